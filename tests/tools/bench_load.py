#!/usr/bin/python3
"""bench_load.py [BUILD] [N...]: the load figures of csmsd (a benchmark, not
a test). For each N, a fresh csmsd on its default durable settings (SQLite
WAL, synchronous=FULL, one commit per loop turn) and loadgen: N chargers
connect, boot, (with BENCH_TRANSACTION=1 start a transaction each,) then
each sends MeterValues (3 phases, 6 measurands) in a closed loop. Prints connections held, acknowledged messages per second,
p50/p99 ack latency, csmsd's resident memory and CPU time per message."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import Csmsd  # noqa: E402

build = sys.argv[1] if len(sys.argv) > 1 else "build"
counts = [int(x) for x in sys.argv[2:]] or [100, 1000, 5000]
duration = int(os.environ.get("BENCH_SECONDS", "10"))
# BENCH_TRANSACTION=1: each charger starts a transaction first, so every
# MeterValues belongs to one (as while cars charge).
with_tx = ["--transaction"] if os.environ.get("BENCH_TRANSACTION") == "1" else []
# BENCH_DB=postgresql://...: the store on PostgreSQL instead of a fresh SQLite file.
bench_db = os.environ.get("BENCH_DB") or None


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


print("%7s %9s %10s %8s %8s %9s %12s %9s" % ("N", "held", "acked/s", "p50 ms", "p99 ms", "RSS MiB",
                                             "csmsd us/msg", "commits/s"))
for n in counts:
    d = Csmsd(db=bench_db, unknown_chargers="accept", max_connections=max(1000, n + 500), log_level="warn",
              dlm_enabled="false", heartbeat_interval=3600)
    try:
        c0 = cpu_s(d.proc.pid)
        p = subprocess.run([os.path.join(build, "tests", "loadgen"), "--url", d.url, "--chargers", str(n),
                            "--duration", str(duration), "--pid", str(d.proc.pid),
                            "--source-addrs", str(1 + n // 20000)] + with_tx,
                           capture_output=True, text=True, timeout=duration + 180)
        c1 = cpu_s(d.proc.pid)
        res = json.loads(p.stdout.strip().splitlines()[-1])
        acked = max(res["acked"], 1)
        print("%7d %9d %10.0f %8.2f %8.2f %9.1f %12.1f" % (
            n, res["connected"], res["ackPerS"], res["p50Ms"], res["p99Ms"], res["rssKiB"] / 1024.0,
            (c1 - c0) * 1e6 / acked, ), flush=True)
    finally:
        d.stop()
        d.cleanup()
