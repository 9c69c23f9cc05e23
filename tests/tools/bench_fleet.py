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
not the database.

Where the database is not the limit (issue 15's scale-out target): with
a writable cgroup cpu controller (v1 or v2; root) the two PostgreSQL cases
run again with each node held to BENCH_NODE_CPU of a core (default 0.25,
0 turns it off) by a CFS quota of its own, as if each node were a machine
of that size: one node, then three, and the ratio of their throughput.
Each such case also prints how much of the time the nodes were held back
by their quota (throttled), PostgreSQL's CPU and the load generators':
where the nodes are throttled and the database and generators have CPU to
spare, the nodes are the limit."""
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time

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


node_cpu = float(os.environ.get("BENCH_NODE_CPU", "0.25"))
PERIOD_US = 10000  # a short CFS period: a held node waits ms, not a tenth of a second


class CpuCap:
    """A cgroup of its own with a CPU quota of share x one core (v1 cpu
    controller or v2 cpu.max); None when the machine does not allow it."""

    @staticmethod
    def make(tag, share):
        for root, v2 in (("/sys/fs/cgroup/cpu", False), ("/sys/fs/cgroup", True)):
            if not os.path.exists(os.path.join(root, "cgroup.procs")):
                continue
            if v2 and not os.path.exists(os.path.join(root, "cgroup.subtree_control")):
                continue
            path = os.path.join(root, "bench-fleet-%d-%s" % (os.getpid(), tag))
            try:
                os.mkdir(path)
                cap = CpuCap(path, v2)
                if v2:
                    cap.write("cpu.max", "%d %d" % (int(share * PERIOD_US), PERIOD_US))
                else:
                    cap.write("cpu.cfs_period_us", str(PERIOD_US))
                    cap.write("cpu.cfs_quota_us", str(int(share * PERIOD_US)))
                return cap
            except OSError:
                try:
                    os.rmdir(path)
                except OSError:
                    pass
        return None

    def __init__(self, path, v2):
        self.path, self.v2 = path, v2

    def write(self, name, value):
        with open(os.path.join(self.path, name), "w") as f:
            f.write(value)

    def add(self, pid):
        self.write("cgroup.procs", str(pid))

    def throttled_s(self):
        with open(os.path.join(self.path, "cpu.stat")) as f:
            st = dict(line.split() for line in f if len(line.split()) == 2)
        return int(st.get("throttled_usec", 0)) / 1e6 if self.v2 else int(st.get("throttled_time", 0)) / 1e9

    def remove(self):
        try:
            os.rmdir(self.path)
        except OSError:
            pass


def postgres_cpu_s():
    """CPU seconds of every postgres process now (the bench's own server)."""
    total = 0.0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/comm" % pid) as f:
                if f.read().strip() != "postgres":
                    continue
            total += cpu_s(int(pid))
        except OSError:
            pass
    return total


def children_cpu_s():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


results = {}


def case(name, db, nodes, share=0.0):
    ds = [Csmsd(db=db, unknown_chargers="accept", max_connections=max(1000, n_total + 500), log_level="warn",
                dlm_enabled="false", heartbeat_interval=3600, **({"node_id": "n%d" % i} if db else {}))
          for i in range(nodes)]
    caps = []
    try:
        if share:
            for i, d in enumerate(ds):
                cap = CpuCap.make("n%d" % i, share)
                if not cap:
                    print("%-22s skipped: no writable cgroup cpu controller here" % name)
                    return
                cap.add(d.proc.pid)
                caps.append(cap)
        t0 = [cap.throttled_s() for cap in caps]
        pg0, gen0, w0 = postgres_cpu_s(), children_cpu_s(), time.time()
        c0 = [cpu_s(d.proc.pid) for d in ds]
        out, ths = {}, []
        for i, d in enumerate(ds):
            t = threading.Thread(target=load, args=(d, n_total // nodes, "%s%d-" % (name[:2], i), out))
            t.start()
            ths.append(t)
        for t in ths:
            t.join()
        c1 = [cpu_s(d.proc.pid) for d in ds]
        wall = time.time() - w0
        pg_s, gen_s = postgres_cpu_s() - pg0, children_cpu_s() - gen0
        thr = [cap.throttled_s() - t for cap, t in zip(caps, t0)]
        bad = [r["error"] for r in out.values() if "error" in r]
        if bad:
            print("%-22s failed: %s" % (name, bad[0]), flush=True)
            return
        acked = sum(r["acked"] for r in out.values())
        rate = sum(r["ackPerS"] for r in out.values())
        results[name] = rate
        print("%-22s %6d %10.0f %8.2f %8.2f %12.1f" % (
            name, sum(r["connected"] for r in out.values()), rate,
            max(r["p50Ms"] for r in out.values()), max(r["p99Ms"] for r in out.values()),
            (sum(c1) - sum(c0)) * 1e6 / max(acked, 1)), flush=True)
        if db:
            print("%-22s nodes' CPU %.2f cores%s; PostgreSQL %.2f cores; load generators %.2f cores" % (
                "", (sum(c1) - sum(c0)) / wall,
                " (quota %.2f each, held back %.0f%% of the time)" % (
                    share, 100 * sum(thr) / (wall * len(thr))) if caps else "",
                pg_s / wall, gen_s / wall), flush=True)
    finally:
        for d in ds:
            d.stop()
            d.cleanup()
        for cap in caps:
            cap.remove()


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
        if node_cpu > 0:
            one, three = "1 node, %.2f CPU" % node_cpu, "3 nodes, %.2f CPU each" % node_cpu
            case(one, url, 1, node_cpu)
            case(three, url, 3, node_cpu)
            if one in results and three in results:
                print("3 nodes / 1 node, each held to %.2f of a core: %.2fx" % (
                    node_cpu, results[three] / max(results[one], 1)))
    else:
        print("no PostgreSQL here (scripts/install-deps.sh test): the PostgreSQL cases skipped")
finally:
    if have_pg:
        subprocess.run(["sh", pg, "stop", state])
