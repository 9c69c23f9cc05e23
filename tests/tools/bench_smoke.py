#!/usr/bin/python3
"""bench_smoke.py BUILD: scripts/bench.sh --tiny (10 chargers, 1 s) prints
every figure of the benchmark: the table's rows and a JSON line whose
figures are all there and plausible (all chargers held, messages
acknowledged, CPU per message measured for both servers, memory and TLS
figures present; the TLS round with session tickets resumed every
session, with the ECDSA P-256 certificate). Not a timing test: no figure is compared with a target.
Exit 0 pass, 1 fail, 77 skipped (no node or tests/integration/node_modules)."""
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
build = sys.argv[1] if len(sys.argv) > 1 else "build"
if not shutil.which("node") or not os.path.isdir(os.path.join(ROOT, "tests", "integration", "node_modules",
                                                                "ocpp-rpc")):
    print("SKIP: node or tests/integration/node_modules (ocpp-rpc) missing")
    sys.exit(77)
p = subprocess.run([os.path.join(ROOT, "scripts", "bench.sh"), build, "--tiny"], capture_output=True, text=True,
                   timeout=240)
print(p.stdout)
fails = []
if p.returncode:
    fails.append("bench.sh exited %d: %s" % (p.returncode, p.stderr[-3000:]))
lines = p.stdout.strip().splitlines()
try:
    fig = json.loads(lines[-1])
except (IndexError, ValueError):
    fig = {}
    fails.append("no JSON line at the end")
for row in ("chargers held", "KiB per idle charger, ws", "KiB per idle charger, TLS", "MeterValues/s",
            "us CPU per message", "CPU ratio peer / csmsd", "ack latency p50", "ack latency p99",
            "TLS reconnect 10 cold", "TLS reconnect 10 warm", "TLS reconnect 10 resumed"):
    if not any(line.startswith(row) for line in lines):
        fails.append("no row %r" % row)
# tlsResumed: every charger of the resumed round came back with its session ticket
want = {"chargersHeld": 10, "peerChargersHeld": 10, "tlsHeld": 10, "tlsRefused": 0, "busyChargers": 10,
        "tlsResumed": 10, "tlsCert": "p256"}
for k, v in want.items():
    if fig.get(k) != v:
        fails.append("%s = %r, want %r" % (k, fig.get(k), v))
for k in ("durableMsgPerS", "peerMsgPerS", "usCpuPerMsg", "peerUsCpuPerMsg", "cpuRatio", "p50Ms", "p99Ms",
          "peerP50Ms", "peerP99Ms", "tlsColdS", "tlsWarmS"):
    if not isinstance(fig.get(k), (int, float)) or fig[k] <= 0:
        fails.append("%s = %r, want > 0" % (k, fig.get(k)))
if fig and not fig["p50Ms"] <= fig["p99Ms"]:
    fails.append("p50 > p99")
for k in ("kibPerIdleWs", "peerKibPerIdleWs", "kibPerIdleTls"):
    if not isinstance(fig.get(k), (int, float)):
        fails.append("%s missing" % k)
for f in fails:
    print("FAIL:", f)
sys.exit(1 if fails else 0)
