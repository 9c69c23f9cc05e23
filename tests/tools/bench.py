#!/usr/bin/python3
"""bench.py BUILD [--busy 200] [--idle 2000] [--tls 2000] [--seconds 5]
[--runs 3] [--tiny]: the project's benchmark (issue 14; a benchmark that
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
  tls       tests/tools/bench_tls_reconnect.py with --tls chargers: csmsd's
            KiB per TLS connection, and the reconnect storm's time (cold:
            every authorization key through the KDF; warm: cached).

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
ap.add_argument("--seconds", type=int, default=5)
ap.add_argument("--runs", type=int, default=3)
ap.add_argument("--tiny", action="store_true")
a = ap.parse_args()
if a.tiny:
    a.busy, a.idle, a.tls, a.seconds, a.runs = 10, 10, 10, 1, 1
build = os.path.abspath(a.build)
os.environ["CSMS_BUILD"] = build                  # harness.py reads it
from harness import Csmsd  # noqa: E402

LOADGEN = os.path.join(build, "tests", "loadgen")
NODE_MODULES = os.path.join(ROOT, "tests", "integration", "node_modules")


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


class Csms:
    name = "csmsd"

    def __init__(self, n):
        self.d = Csmsd(unknown_chargers="accept", max_connections=n + 500, log_level="warn",
                       dlm_enabled="false", heartbeat_interval=3600)
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


def loadgen(srv, n, seconds, *extra):
    p = subprocess.run([LOADGEN, "--url", srv.url, "--chargers", str(n), "--duration", str(seconds),
                        "--pid", str(srv.pid), "--source-addrs", str(1 + n // 20000)] + list(extra),
                       capture_output=True, text=True, timeout=seconds + 300)
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


def med(rs, key):
    return statistics.median(r[key] for r in rs)


print("bench: %d busy chargers x %d s x %d runs per server, %d idle, %d TLS (build %s)" %
      (a.busy, a.seconds, a.runs, a.idle, a.tls, build), flush=True)
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
t = subprocess.run([sys.executable, os.path.join(HERE, "bench_tls_reconnect.py"), build, str(a.tls)],
                   capture_output=True, text=True, timeout=1800)
if t.returncode or not t.stdout.strip():
    raise RuntimeError("bench_tls_reconnect.py failed: " + t.stdout[-1000:] + t.stderr[-2000:])
tls = json.loads(t.stdout.strip().splitlines()[-1])

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
    "tlsRefused": tls["coldRefused"] + tls["warmRefused"],
}
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
    ("TLS connections refused/failed", "%d" % fig["tlsRefused"], "-"),
]
for r in rows:
    print("%-34s %12s %12s" % r)
print("(CPU figures are wall-clock CPU time on a possibly shared machine: noisy; see PROFILE.md for "
      "instruction counts)")
print(json.dumps(fig), flush=True)
