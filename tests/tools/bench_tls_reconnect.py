#!/usr/bin/python3
"""bench_tls_reconnect.py [BUILD] [N] [ITERATIONS] [--rsa]: a reconnect storm
under security profile 2 (a benchmark, not a test). csmsd on wss:// with
Basic auth and N chargers that have AuthorizationKeys (auth_key_iterations =
ITERATIONS, default the daemon's); the server's certificate is ECDSA P-256
(--rsa: RSA 2048, as before issue 14's TLS step); all N connect at once:

  cold    the first connections after csmsd started: every key goes through
          the KDF (PBKDF2) on the event loop;
  warm    all disconnect, then connect again with a full TLS handshake: each
          password is recognised by the keyed digest the charger's entry
          keeps in memory;
  resumed all disconnect, then connect again with the session ticket each
          got in the warm round (TLS resumption: no certificate, no
          signature); the sessions actually resumed are counted.

Each client behaves as a charger: refused (a 503 while csmsd's key checks
have used their share of the loop, or a reset) it comes back after a
jittered backoff (1-2 s, doubling to 16 s) for up to 90 s. Prints, per
round, the time from the first connect until all N are upgraded, the
p50/p99 of one charger's time, the chargers still out at the end, csmsd's
CPU time in the round, and the attempts it took; then csmsd's resident memory per held
TLS connection (VmRSS with the N cold connections up, less VmRSS before,
over N: connections upgraded, not booted). The last line is the same as
JSON (read by bench.py). The client is Python asyncio on the
same machine; its TLS handshakes share the cores with csmsd."""
import asyncio
import base64
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import Csmsd, free_port, rss_kib  # noqa: E402
import ssl  # noqa: E402

rsa = "--rsa" in sys.argv
argv = [x for x in sys.argv if x != "--rsa"]
build = argv[1] if len(argv) > 1 else "build"
n = int(argv[2]) if len(argv) > 2 else 1000
iterations = argv[3] if len(argv) > 3 else None

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < n + 200:
    try:                     # past the hard limit only as root; csmsd inherits it
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(hard, n + 200),) * 2)
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 200), hard))

tmp = tempfile.mkdtemp(prefix="csms-bench-tls-")


def sh(*args):
    subprocess.run(args, check=True, capture_output=True, cwd=tmp)


newkey = ["-newkey", "rsa:2048"] if rsa else ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
sh("openssl", "req", "-x509", *newkey, "-nodes", "-days", "2", "-subj", "/CN=bench-ca",
   "-keyout", "ca.key", "-out", "ca.pem")
sh("openssl", "req", *newkey, "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key",
   "-out", "server.csr")
sh("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
   "-days", "2", "-out", "server.pem")
sessions = {}     # server_hostname -> the session its last connection got


class ResumingContext(ssl.SSLContext):
    """asyncio cannot pass a session to a connection: each connection
    names its charger in server_hostname (the certificate's chain is still
    verified; the name is not checked), and the session kept for that
    name, if any, is offered."""

    def wrap_bio(self, incoming, outgoing, server_side=False, server_hostname=None, session=None):
        return super().wrap_bio(incoming, outgoing, server_side, server_hostname,
                                session=session or sessions.get(server_hostname))


sslctx = ResumingContext(ssl.PROTOCOL_TLS_CLIENT)
sslctx.check_hostname = False
sslctx.load_verify_locations(os.path.join(tmp, "ca.pem"))


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def key(i):
    return "bench-key-%08d-%s" % (i, "x" * 6)        # 25 characters


def connected(d):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % d.admin_port, timeout=30) as r:
        for line in r.read().decode().splitlines():
            if line.startswith("csms_chargers_connected "):
                return int(float(line.split()[1]))
    return -1


async def attempt(port, i, src):
    """One connection and upgrade: (status, writer or None); status 0 when
    it failed (the reason counted in errors)."""
    cid = "BT%05d" % i
    auth = base64.b64encode(("%s:%s" % (cid, key(i))).encode()).decode()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=sslctx,
                                                       server_hostname="bt%05d.localhost" % i,
                                                       ssl_handshake_timeout=120, local_addr=(src, 0))
        writer.write(("GET /ocpp/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp1.6\r\n"
                      "Authorization: Basic %s\r\n\r\n"
                      % (cid, base64.b64encode(os.urandom(16)).decode(), auth)).encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 120)
        status = int(head.split(b" ", 2)[1])
    except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError, IndexError) as e:
        why = type(e).__name__ + (":%s" % e.errno if isinstance(e, OSError) and e.errno else "")
        errors[why] = errors.get(why, 0) + 1
        return 0, None
    if status != 101:
        errors["HTTP %d" % status] = errors.get("HTTP %d" % status, 0) + 1
        writer.close()
        return status, None
    return status, writer


async def one(port, i, t0, src):
    """A charger: connects, and after a refusal (503 while csmsd is busy
    checking keys, or a reset) comes back after a jittered backoff (1-2 s,
    doubling to 16 s), as chargers do, until RETRY_FOR seconds have passed.
    (status, seconds to the upgrade, writer or None, attempts)."""
    tries, wait = 0, 1.0
    while True:
        tries += 1
        status, writer = await attempt(port, i, src)
        if status == 101 or time.perf_counter() - t0 > RETRY_FOR:
            return status, time.perf_counter() - t0, writer, tries
        await asyncio.sleep(wait * (1 + random.random()))
        wait = min(wait * 2, 8.0)


RETRY_FOR = 90   # a charger tries again for this long after the storm began
errors = {}   # why connections failed, by exception (printed per round)


async def storm(port, src):
    """All n at once from the source address src: each round has its own
    (127.0.0.2, .3, .4), so that the last one's ports in TIME_WAIT do not
    use up the next one's ephemeral ports (3 x 10,000 did on one address)."""
    t0 = time.perf_counter()
    res = await asyncio.gather(*(one(port, i, t0, src) for i in range(n)))
    total = time.perf_counter() - t0
    return total, res


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


async def main():
    settings = dict(security_profile=2, ws_port=0, tls_port=free_port(), tls_cert=os.path.join(tmp, "server.pem"),
                    tls_key=os.path.join(tmp, "server.key"), unknown_chargers="accept", log_level="warn",
                    max_connections=max(1000, n + 500), ping_interval=0)
    if iterations:
        settings["auth_key_iterations"] = iterations
    work = tempfile.mkdtemp(prefix="csms-bench-tls-db-")
    db = os.path.join(work, "csms.db")
    d = Csmsd(db=db, tmp=work, **settings)
    t = time.perf_counter()
    for i in range(n):
        st, _ = d.put("/api/v1/chargers/BT%05d" % i, {"authorizationKey": key(i)})
        assert st in (200, 201), st      # 201 created
    print("%d chargers registered in %.1f s (one KDF each, plus a commit)" % (n, time.perf_counter() - t))
    d.stop()
    d = Csmsd(db=db, tmp=work, **settings)       # a fresh start: nothing cached
    print("server certificate: %s" % ("RSA 2048" if rsa else "ECDSA P-256"))
    print("%-7s %8s %10s %8s %8s %8s %12s %8s %9s" % ("round", "N", "all up s", "p50 ms", "p99 ms", "failed",
                                                       "csmsd CPU s", "resumed", "attempts"))
    out = {"n": n, "cert": "rsa2048" if rsa else "p256"}
    try:
        for k, rnd in enumerate(("cold", "warm", "resumed")):
            if rnd != "resumed":
                sessions.clear()
            c0 = cpu_s(d.proc.pid)
            r0 = rss_kib(d.proc.pid)
            total, res = await storm(settings["tls_port"], "127.0.0.%d" % (k + 2))
            c1 = cpu_s(d.proc.pid)
            ok = [r for r in res if r[0] == 101]
            reused = sum(1 for r in ok if r[2].get_extra_info("ssl_object").session_reused)
            for i, r in enumerate(res):
                if r[2]:
                    sessions["bt%05d.localhost" % i] = r[2].get_extra_info("ssl_object").session
            out[rnd + "Reused"] = reused
            out[rnd + "CpuS"] = round(c1 - c0, 2)
            out[rnd + "S"] = round(total, 3)
            out[rnd + "Refused"] = n - len(ok)
            out[rnd + "Attempts"] = sum(r[3] for r in res)
            if rnd == "cold":
                time.sleep(1.5)      # csmsd gives a storm's freed memory back within a second
                out["held"] = len(ok)
                out["kibPerCharger"] = round((rss_kib(d.proc.pid) - r0) / max(len(ok), 1), 2)
            print("%-7s %8d %10.2f %8.1f %8.1f %8d %12.2f %8d %9d" % (
                rnd, n, total, pct([r[1] for r in ok], 0.5) * 1e3, pct([r[1] for r in ok], 0.99) * 1e3,
                n - len(ok), c1 - c0, reused, out[rnd + "Attempts"]), flush=True)
            if errors:
                print("        refused attempts: %s" % ", ".join("%s %d" % kv for kv in sorted(errors.items())),
                      flush=True)
                errors.clear()
            up = connected(d)
            if up != len(ok):
                print("  csmsd reports %d connected" % up)
            for r in res:
                if r[2]:
                    r[2].close()
            deadline = time.time() + 60
            while connected(d) and time.time() < deadline:
                await asyncio.sleep(0.2)
        print("held %d TLS connections: %.1f KiB of csmsd's VmRSS each" % (out["held"], out["kibPerCharger"]))
        print(json.dumps(out), flush=True)
    finally:
        d.stop()
        d.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


asyncio.run(main())
