#!/usr/bin/python3
"""bench.py BUILD [--busy 200] [--idle 2000] [--tls 2000] [--tls-big 10000]
[--held 0] [--seconds 5] [--runs 3] [--tiny]: the project's benchmark (issue 14; a benchmark that
prints figures, not a timed test). scripts/bench.sh runs it.

In one run, with the same load generator (build/tests/loadgen) against two
servers:

  csmsd     on its durable defaults (SQLite WAL, synchronous=FULL, the answer
            after the commit), every frame validated in and out
            (--validate_outgoing true);
  peer      tests/tools/bench_peer.js: a Node ocpp-rpc RPCServer in strict
            mode (schemas checked both ways), in memory, nothing durable.

  busy      --busy chargers each send MeterValues (15 sampled values) in a
            closed loop for --seconds; --runs runs per server, alternating,
            each on a fresh server; medians are printed. CPU per message is
            the server's utime+stime over the measured window divided by
            the messages acknowledged in it (loadgen reads /proc/PID/stat).
  idle      --idle chargers connect and boot, then send nothing: KiB per
            idle charger is (VmRSS held - VmRSS before) / chargers.
  tls       tests/tools/bench_tls_reconnect.py with --tls chargers, then
            with --tls-big (0: skipped): csmsd's KiB per TLS connection
            (ECDSA P-256 certificate), and the reconnect storm's time (cold:
            every authorization key through the KDF; warm: cached, full TLS
            handshakes; resumed: with the session tickets of the warm round).
  held      --held N (0: skipped; 50000 for issue 14): N idle chargers
            connected and booted to one csmsd (from 127.0.0.1..K, K = N/20000
            + 1, past one address's ephemeral ports), then --busy chargers
            busy beside them for --seconds: chargers held, KiB each, and the
            CPU per message with N idle connections (an epoll loop's does
            not grow with them). RLIMIT_NOFILE is raised for both processes
            (past the hard limit when run as root).

--tiny (10 chargers, 1 s, 1 run, 10 TLS) is the smoke test's mode. The last
line of the output is every figure as one JSON object."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
ap.add_argument("build", nargs="?", default="build")
ap.add_argument("--busy", type=int, default=200)
ap.add_argument("--idle", type=int, default=2000)
ap.add_argument("--tls", type=int, default=2000)
ap.add_argument("--tls-big", type=int, default=10000)
ap.add_argument("--held", type=int, default=0)
ap.add_argument("--seconds", type=int, default=5)
ap.add_argument("--runs", type=int, default=3)
ap.add_argument("--tiny", action="store_true")
a = ap.parse_args()
if a.tiny:
    a.busy, a.idle, a.tls, a.seconds, a.runs, a.tls_big = 10, 10, 10, 1, 1, 0
build = os.path.abspath(a.build)
os.environ["CSMS_BUILD"] = build                  # harness.py reads it
from harness import Csmsd, rss_kib  # noqa: E402

LOADGEN = os.path.join(build, "tests", "loadgen")
NODE_MODULES = os.path.join(ROOT, "tests", "integration", "node_modules")


class Csms:
    name = "csmsd"

    def __init__(self, n):
        # every charger is new: all may be pending their first boot at once; a free port taken
        # by someone else between harness.free_port() and csmsd's bind is tried again
        for attempt in range(3):
            try:
                self.d = Csmsd(unknown_chargers="accept", max_connections=n + 500, max_pending_chargers=n + 500,
                               log_level="warn", dlm_enabled="false", heartbeat_interval=3600)
                break
            except RuntimeError as e:
                if "cannot listen" not in str(e) or attempt == 2:
                    raise
        self.pid, self.url = self.d.proc.pid, self.d.url

    def stop(self):
        self.d.stop()
        self.d.cleanup()


class Peer:
    name = "peer"

    def __init__(self, n):
        env = dict(os.environ, NODE_PATH=NODE_MODULES)
        self.p = subprocess.Popen(["node", os.path.join(HERE, "bench_peer.js")], stdout=subprocess.PIPE,
                                  text=True, env=env)
        line = self.p.stdout.readline().split()
        if len(line) != 2 or line[0] != "listening":
            self.p.kill()
            raise RuntimeError("bench_peer.js did not start: %r" % line)
        self.pid, self.url = self.p.pid, "ws://127.0.0.1:%s/ocpp" % line[1]
        time.sleep(0.2)                     # let node settle before the baseline RSS

    def stop(self):
        self.p.terminate()
        stats = json.loads(self.p.stdout.readline() or "{}")
        if self.p.wait(timeout=15) != 0:
            raise RuntimeError("bench_peer.js saw frames outside the schema: %r" % stats)


def raise_nofile(n):
    """Enough open files for n connections in each process (csmsd and
    loadgen inherit it); past the hard limit only as root."""
    import resource
    want = n + 1000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= want:
        return soft
    try:
        with open("/proc/sys/fs/nr_open") as f:
            cap = int(f.read())
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, cap), max(hard, min(want, cap))))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, want), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def loadgen(srv, n, seconds, *extra):
    p = subprocess.run([LOADGEN, "--url", srv.url, "--chargers", str(n), "--duration", str(seconds),
                        "--pid", str(srv.pid), "--source-addrs", str(1 + n // 20000)] + list(extra),
                       capture_output=True, text=True, timeout=seconds + 600)
    lines = p.stdout.strip().splitlines()
    if not lines:
        raise RuntimeError("loadgen printed nothing: " + p.stderr[-2000:])
    res = json.loads(lines[-1])
    if res["errors"] or res["failed"]:
        raise RuntimeError("%s: loadgen saw errors: %s" % (srv.name, lines[-1]))
    return res


def busy(kind):
    srv = kind(a.busy)
    try:
        return loadgen(srv, a.busy, a.seconds)
    finally:
        srv.stop()


def idle(kind):
    srv = kind(a.idle)
    try:
        r0 = rss_kib(srv.pid)
        res = loadgen(srv, a.idle, 1, "--idle", "--ramp-per-s", "2000")
        return res["connected"], (res["rssKiB"] - r0) / max(res["connected"], 1)
    finally:
        srv.stop()


def held(n):
    """n idle chargers held and booted, then a.busy busy ones beside them.
    The idle ones come from as many loadgen processes as the open files
    limit needs (each holds up to limit - 200), all from 127.0.0.1..K."""
    limit = raise_nofile(n)
    if limit < n + 128 + 200:
        print("  held: RLIMIT_NOFILE is %d and cannot be raised (hard limit; root without CAP_SYS_RESOURCE "
              "or not root): one csmsd holds at most %d connections" % (limit, limit - 128), flush=True)
    srv = Csms(n)
    gens = []
    try:
        r0 = rss_kib(srv.pid)
        t0 = time.time()
        per = max(1, limit - 200)
        for k, start in enumerate(range(0, n, per)):
            gens.append(subprocess.Popen([LOADGEN, "--url", srv.url, "--chargers", str(min(per, n - start)),
                                          "--duration", "86400", "--idle", "--prefix", "HELD%d-" % k,
                                          "--ramp-per-s", "2000", "--boot-wait", "120", "--call-timeout-ms",
                                          "120000", "--source-addrs", str(1 + n // 20000)],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
        booted, failed, lines = 0, 0, []
        for g in gens:
            line = ""
            for line in g.stderr:
                if "measuring" in line:
                    break
            # "loadgen: C connected, B booted, F failed; measuring ..."
            words = line.replace(",", "").replace(";", "").split()
            booted += int(words[words.index("booted") - 1]) if "booted" in words else 0
            failed += int(words[words.index("failed") - 1]) if "failed" in words else 0
            lines.append(line.strip())
        up = time.time() - t0
        rss = rss_kib(srv.pid)
        try:
            res = loadgen(srv, a.busy, a.seconds)
        except RuntimeError as e:          # say where it broke, keep the other figures
            print("  held: the busy chargers beside %d held failed: %s" % (booted, str(e)[:300]), flush=True)
            res = {"pidCpuUsPerMsg": -1, "ackPerS": 0, "p99Ms": -1}
        return {"heldTarget": n, "heldBooted": booted, "heldFailed": failed, "heldUpS": round(up, 1),
                "nofile": limit, "heldKib": round((rss - r0) / max(booted, 1), 2),
                "heldBusyUsCpuPerMsg": res["pidCpuUsPerMsg"], "heldBusyMsgPerS": res["ackPerS"],
                "heldBusyP99Ms": res["p99Ms"], "heldLine": " | ".join(lines)}
    finally:
        for g in gens:
            g.kill()
            g.wait()
        srv.stop()


def tls_storm(n):
    raise_nofile(n)
    t = subprocess.run([sys.executable, os.path.join(HERE, "bench_tls_reconnect.py"), build, str(n)],
                       capture_output=True, text=True, timeout=3600)
    if t.returncode or not t.stdout.strip():
        raise RuntimeError("bench_tls_reconnect.py failed: " + t.stdout[-1000:] + t.stderr[-2000:])
    return json.loads(t.stdout.strip().splitlines()[-1])


def med(rs, key):
    return statistics.median(r[key] for r in rs)


print("bench: %d busy chargers x %d s x %d runs per server, %d idle, %d and %d TLS, %d held (build %s)" %
      (a.busy, a.seconds, a.runs, a.idle, a.tls, a.tls_big, a.held, build), flush=True)
runs = {Csms: [], Peer: []}
for i in range(a.runs):
    for kind in (Csms, Peer):          # alternating, so both see the same machine
        r = busy(kind)
        runs[kind].append(r)
        print("  run %d %-5s %8.0f msg/s  %6.1f us CPU/msg  p50 %6.2f ms  p99 %6.2f ms" %
              (i + 1, kind.name, r["ackPerS"], r["pidCpuUsPerMsg"], r["p50Ms"], r["p99Ms"]), flush=True)
held_c, kib_c = idle(Csms)
held_p, kib_p = idle(Peer)
print("  idle  csmsd %d held, %.2f KiB each; peer %d held, %.2f KiB each" % (held_c, kib_c, held_p, kib_p),
      flush=True)
tls = tls_storm(a.tls)
big = tls_storm(a.tls_big) if a.tls_big else None
for t in (tls, big):
    if t:
        print("  TLS %d (%s): cold %.2f s, warm %.2f s, resumed %.2f s (%d resumed), %.2f KiB each; "
              "csmsd CPU cold %.2f s, warm %.2f s, resumed %.2f s" %
              (t["n"], t["cert"], t["coldS"], t["warmS"], t["resumedS"], t["resumedReused"], t["kibPerCharger"],
               t["coldCpuS"], t["warmCpuS"], t["resumedCpuS"]), flush=True)
hd = held(a.held) if a.held else None
if hd:
    print("  held: %(heldBooted)d of %(heldTarget)d booted (%(heldFailed)d failed, open files limit %(nofile)d) "
          "in %(heldUpS).1f s, %(heldKib).2f KiB each; "
          "beside them: %(heldBusyMsgPerS).0f msg/s, %(heldBusyUsCpuPerMsg).2f us CPU/msg, p99 %(heldBusyP99Ms).2f ms"
          % hd, flush=True)

C, P = runs[Csms], runs[Peer]
fig = {
    "busyChargers": a.busy, "seconds": a.seconds, "runs": a.runs,
    "chargersHeld": held_c, "peerChargersHeld": held_p,
    "kibPerIdleWs": round(kib_c, 2), "peerKibPerIdleWs": round(kib_p, 2),
    "kibPerIdleTls": tls["kibPerCharger"], "tlsHeld": tls["held"],
    "durableMsgPerS": round(med(C, "ackPerS")), "peerMsgPerS": round(med(P, "ackPerS")),
    "usCpuPerMsg": round(med(C, "pidCpuUsPerMsg"), 2), "peerUsCpuPerMsg": round(med(P, "pidCpuUsPerMsg"), 2),
    "p50Ms": med(C, "p50Ms"), "p99Ms": med(C, "p99Ms"),
    "peerP50Ms": med(P, "p50Ms"), "peerP99Ms": med(P, "p99Ms"),
    "tlsReconnectN": tls["n"], "tlsColdS": tls["coldS"], "tlsWarmS": tls["warmS"],
    "tlsResumedS": tls["resumedS"], "tlsResumed": tls["resumedReused"], "tlsCert": tls["cert"],
    "tlsColdCpuS": tls["coldCpuS"], "tlsWarmCpuS": tls["warmCpuS"], "tlsResumedCpuS": tls["resumedCpuS"],
    "tlsRefused": tls["coldRefused"] + tls["warmRefused"] + tls["resumedRefused"],
}
if big:
    fig.update({"tlsBigN": big["n"], "tlsBigColdS": big["coldS"], "tlsBigWarmS": big["warmS"],
                "tlsBigResumedS": big["resumedS"], "tlsBigResumed": big["resumedReused"],
                "tlsBigColdCpuS": big["coldCpuS"], "tlsBigWarmCpuS": big["warmCpuS"],
                "tlsBigResumedCpuS": big["resumedCpuS"],
                "tlsBigKib": big["kibPerCharger"],
                "tlsBigRefused": big["coldRefused"] + big["warmRefused"] + big["resumedRefused"]})
if hd:
    fig.update({k: v for k, v in hd.items() if k != "heldLine"})
fig["cpuRatio"] = round(fig["peerUsCpuPerMsg"] / fig["usCpuPerMsg"], 2) if fig["usCpuPerMsg"] > 0 else 0
print()
print("%-34s %12s %12s" % ("figure (medians of %d runs)" % a.runs, "csmsd", "ocpp-rpc"))
rows = [
    ("chargers held (idle, ws)", "%d" % held_c, "%d" % held_p),
    ("KiB per idle charger, ws", "%.2f" % kib_c, "%.2f" % kib_p),
    ("KiB per idle charger, TLS", "%.2f" % tls["kibPerCharger"], "-"),
    ("MeterValues/s (%d busy)" % a.busy, "%d durable" % fig["durableMsgPerS"],
     "%d in mem" % fig["peerMsgPerS"]),
    ("us CPU per message", "%.2f" % fig["usCpuPerMsg"], "%.2f" % fig["peerUsCpuPerMsg"]),
    ("CPU ratio peer / csmsd", "%.2fx" % fig["cpuRatio"], ""),
    ("ack latency p50 ms", "%.2f" % fig["p50Ms"], "%.2f" % fig["peerP50Ms"]),
    ("ack latency p99 ms", "%.2f" % fig["p99Ms"], "%.2f" % fig["peerP99Ms"]),
    ("TLS reconnect %d cold s" % tls["n"], "%.2f" % tls["coldS"], "-"),
    ("TLS reconnect %d warm s" % tls["n"], "%.2f" % tls["warmS"], "-"),
    ("TLS reconnect %d resumed s" % tls["n"], "%.2f" % tls["resumedS"], "-"),
    ("csmsd CPU s: cold/warm/resumed", "%.2f/%.2f/%.2f" % (tls["coldCpuS"], tls["warmCpuS"], tls["resumedCpuS"]),
     "-"),
    ("TLS connections refused/failed", "%d" % fig["tlsRefused"], "-"),
]
if big:
    rows += [("TLS reconnect %d cold s" % big["n"], "%.2f" % big["coldS"], "-"),
             ("TLS reconnect %d warm s" % big["n"], "%.2f" % big["warmS"], "-"),
             ("TLS reconnect %d resumed s" % big["n"], "%.2f" % big["resumedS"], "-"),
             ("csmsd CPU s: cold/warm/resumed", "%.2f/%.2f/%.2f" % (big["coldCpuS"], big["warmCpuS"],
                                                                    big["resumedCpuS"]), "-"),
             ("KiB per TLS charger (%d)" % big["n"], "%.2f" % big["kibPerCharger"], "-"),
             ("TLS %d refused/failed" % big["n"], "%d" % fig["tlsBigRefused"], "-")]
if hd:
    rows += [("held (idle, booted) of %d" % hd["heldTarget"], "%d" % hd["heldBooted"], "-"),
             ("KiB per held charger", "%.2f" % hd["heldKib"], "-"),
             ("us CPU/msg, %d busy + %d idle" % (a.busy, hd["heldBooted"]), "%.2f" % hd["heldBusyUsCpuPerMsg"],
              "-")]
for r in rows:
    print("%-34s %12s %12s" % r)
print("(CPU figures are wall-clock CPU time on a possibly shared machine: noisy; see PROFILE.md for "
      "instruction counts)")
print(json.dumps(fig), flush=True)
