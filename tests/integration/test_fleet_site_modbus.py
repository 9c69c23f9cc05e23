"""A site's own station with a Modbus source, across two csmsd nodes on one
PostgreSQL (tests/tools/pg_server.sh): only the node that runs the site's
control loop drives the site's inverter. Every node keeps every station
(any of them may take the loop over), but a second node polling and
writing the same inverter would fight the first (safe outputs against
the plan) and take a connection single-client devices do not have.
A Modbus TCP device (pymodbus, the Victron GX registers) stands for the
garage's inverter. Asserts:

1. the garage's station made with {"source": {"type": "modbus", ...}}:
   within a few seconds the node that runs the garage's loop is connected
   to the device and its GET shows the source healthy with the device's
   SOC; the other node has no connection to it, all along (sampled for
   3 s);
2. that node SIGKILLed: the survivor takes the loop over, connects to the
   device and its GET shows the source healthy again.

Connections are read from /proc (the sockets each node's process holds
to the device's port). Exit 77 (skip) without PostgreSQL, unless
CSMS_REQUIRE_TEST_PEERS."""
import os
import signal
import subprocess
import time
from harness import Csmsd, Checks, free_port
from pgtest import control, fleet_main, one_runs, wait

c = Checks()

DEVICE = r"""
import sys, threading
from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartTcpServer
hr = ModbusSequentialDataBlock(0, [0] * 3000)
store = ModbusSlaveContext(hr=hr, ir=ModbusSequentialDataBlock(0, [0] * 10), zero_mode=True)
for addr, v in ((817, 400), (818, 300), (819, 300), (820, 1000), (842, 0), (843, 61), (826, 1)):
    store.setValues(3, addr, [v])
ctx = ModbusServerContext(slaves=store, single=True)
def stop():
    sys.stdin.read()
    import os
    os._exit(0)
threading.Thread(target=stop, daemon=True).start()
print("ready", flush=True)
StartTcpServer(context=ctx, address=("127.0.0.1", int(sys.argv[1])))
"""


def connections(pid, port):
    """Established TCP connections process pid holds to 127.0.0.1:port."""
    inodes = set()
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
    except OSError:
        return 0
    n = 0
    with open("/proc/%d/net/tcp" % pid) as f:
        next(f)
        for line in f:
            w = line.split()
            rem, state, inode = w[2], w[3], w[9]
            if state == "01" and int(rem.split(":")[1], 16) == port and inode in inodes:
                n += 1
    return n




def healthy(n):
    st, s = n.get("/api/v1/sites/garage/station")
    src = (s or {}).get("source") or {}
    return st == 200 and src.get("type") == "modbus" and src.get("healthy") is True and \
        (src.get("measurements") or {}).get("socPct") == 61


def run(url, f):
    port = free_port()
    dev = subprocess.Popen(["/usr/bin/python3", "-c", DEVICE, str(port)], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        c.eq(dev.stdout.readline().strip(), "ready", "the garage's inverter (a Modbus device) is up")
        settings = dict(unknown_chargers="accept", node_lease_s=4, dlm_sensor="api", dlm_tick_ms=200,
                        station_source="api", station_stale_s=5, station_tick_ms=200)
        for i in range(2):
            d = Csmsd(db=url, node_id="n%d" % i, ws_port=free_port(), admin_port=free_port(), **settings)
            d.node_id = "n%d" % i
            f.nodes.append(d)
        a, b = f.nodes
        st, _ = a.put("/api/v1/sites/garage", {"name": "Garage", "breakerA": 16, "sensor": "api"})
        c.eq(st, 201, "the garage made")
        t = wait(lambda: one_runs(f.nodes, "garage"), 15, step=0.2)
        c(t is not None, "one node runs the garage's loop")
        lead = next(n for n in f.nodes if n.node_id == next(iter(control(f.nodes, "garage").values())))
        other = b if lead is a else a
        st, s = other.put("/api/v1/sites/garage/station",
                          {"mode": "selfConsumption",
                           "source": {"type": "modbus", "host": "127.0.0.1", "port": port, "pollMs": 200}})
        c.eq(st, 201, "the garage's station made at %s with a Modbus source (%s)" % (other.node_id, st))
        # 1. the loop's node drives the device; the other never connects
        t = wait(lambda: healthy(lead) and connections(lead.proc.pid, port) == 1, 10, step=0.2)
        c(t is not None, "%s (runs the loop) is connected and reads the device: %s connection(s)"
          % (lead.node_id, connections(lead.proc.pid, port)))
        t = wait(lambda: other.get("/api/v1/sites/garage")[1].get("station") is True, 8, step=0.2)
        c(t is not None, "%s has the garage's station too (it may take it over)" % other.node_id)
        seen = max(connections(other.proc.pid, port) for _ in range(15) if time.sleep(0.2) is None)
        c.eq(seen, 0, "%s (does not run the loop) never connects to the device (sampled for 3 s)" % other.node_id)
        # 2. the loop's node killed: the survivor takes the device over
        c.eq(connections(other.proc.pid, port), 0, "%s not connected before the kill" % other.node_id)
        lead.proc.send_signal(signal.SIGKILL)
        lead.proc.wait()
        killed = time.time()
        t = wait(lambda: healthy(other) and connections(other.proc.pid, port) == 1, 20, step=0.2)
        c(t is not None, "%s took the loop over and reads the device: %s connection(s), %s"
          % (other.node_id, connections(other.proc.pid, port), other.get("/api/v1/sites/garage/station")[1]
             .get("source")))
        print("the device is read again %.1f s after the SIGKILL, by %s" % (time.time() - killed, other.node_id))
        c.eq(other.stop(), 0, "the survivor stops")
    finally:
        dev.stdin.close()
        dev.wait(5)


fleet_main(c, "fleetsitemodbus", run)
