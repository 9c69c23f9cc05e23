#!/usr/bin/python3
"""bench_fleet.py [BUILD] [N]: the fleet's load figures (a benchmark, not a
test; issue 15). N chargers (default 300) send MeterValues in a closed loop
(loadgen, each in a transaction) for BENCH_SECONDS (default 10) against:
one node on SQLite, one node on PostgreSQL, and three nodes on the same
PostgreSQL (N/3 chargers on each, one loadgen per node, all at once).
PostgreSQL is a throwaway one (tests/tools/pg_server.sh, fsync on: the same
durability as SQLite's synchronous=FULL). Prints, per case: durable
MeterValues acknowledged per second, p50/p99 ack latency, csmsd CPU per
message, and the machine's cores: on a 2-core machine three nodes, their
loadgens and PostgreSQL share two cores, so the CPU is the limit there,
not the database."""
import json
import os
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from harness import Csmsd  # noqa: E402

build = sys.argv[1] if len(sys.argv) > 1 else "build"
n_total = int(sys.argv[2]) if len(sys.argv) > 2 else 300
duration = int(os.environ.get("BENCH_SECONDS", "10"))


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def load(d, n, prefix, out):
    p = subprocess.run([os.path.join(build, "tests", "loadgen"), "--url", d.url, "--chargers", str(n),
                        "--duration", str(duration), "--pid", str(d.proc.pid), "--prefix", prefix,
                        "--transaction"], capture_output=True, text=True, timeout=duration + 180)
    try:
        out[prefix] = json.loads(p.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        out[prefix] = {"error": p.stderr.strip()[-300:]}


def case(name, db, nodes):
    ds = [Csmsd(db=db, unknown_chargers="accept", max_connections=max(1000, n_total + 500), log_level="warn",
                dlm_enabled="false", heartbeat_interval=3600, **({"node_id": "n%d" % i} if db else {}))
          for i in range(nodes)]
    try:
        c0 = [cpu_s(d.proc.pid) for d in ds]
        out, ths = {}, []
        for i, d in enumerate(ds):
            t = threading.Thread(target=load, args=(d, n_total // nodes, "%s%d-" % (name[:2], i), out))
            t.start()
            ths.append(t)
        for t in ths:
            t.join()
        c1 = [cpu_s(d.proc.pid) for d in ds]
        bad = [r["error"] for r in out.values() if "error" in r]
        if bad:
            print("%-22s failed: %s" % (name, bad[0]), flush=True)
            return
        acked = sum(r["acked"] for r in out.values())
        print("%-22s %6d %10.0f %8.2f %8.2f %12.1f" % (
            name, sum(r["connected"] for r in out.values()), sum(r["ackPerS"] for r in out.values()),
            max(r["p50Ms"] for r in out.values()), max(r["p99Ms"] for r in out.values()),
            (sum(c1) - sum(c0)) * 1e6 / max(acked, 1)), flush=True)
    finally:
        for d in ds:
            d.stop()
            d.cleanup()


state = tempfile.mkdtemp(prefix="bench-fleet-")
pg = os.path.join(HERE, "pg_server.sh")
have_pg = subprocess.run(["sh", pg, "start", state, "--fsync"], stdout=subprocess.DEVNULL).returncode == 0
try:
    print("%d cores; %d chargers, %d s a case" % (os.cpu_count(), n_total, duration))
    print("%-22s %6s %10s %8s %8s %12s" % ("case", "held", "acked/s", "p50 ms", "p99 ms", "csmsd us/msg"))
    case("1 node, SQLite", None, 1)
    if have_pg:
        url = open(os.path.join(state, "url")).read().strip()
        case("1 node, PostgreSQL", url, 1)
        case("3 nodes, PostgreSQL", url, 3)
    else:
        print("no PostgreSQL here (scripts/install-deps.sh test): the PostgreSQL cases skipped")
finally:
    if have_pg:
        subprocess.run(["sh", pg, "stop", state])
