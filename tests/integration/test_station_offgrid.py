"""Off grid with every source (issue 11, item 7): the simulated house's
outage schedule (station_sim_outages) takes the grid away and gives it
back, the backup reserve is released during the outage and the grid power
is 0; pushed measurements with on_grid false and more load than battery
and PV can give show the rest as live.unservedW and in /metrics; a
Victron-GX-like Modbus device whose active input source (register 826)
says 240 "not connected" puts the station off grid."""
import os
import subprocess
import tempfile
import time
from harness import Csmsd, Checks, free_port

c = Checks()


def wait(pred, timeout=5.0):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    return pred()


def station(d):
    return d.get("/api/v1/station")[1]


def metric(d, name):
    st, text = d.get("/metrics", raw=True)
    for line in (text or "").splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def sim_tests():
    tmp = tempfile.mkdtemp(prefix="csms-it-")
    settings = os.path.join(tmp, "station.json")
    with open(settings, "w") as f:
        f.write('{"battery": {"backupReservePct": 90}}')  # SOC starts at 50: held on grid
    # 600x: one real second is ten simulated minutes; the outage from 3 s to 9 s
    d = Csmsd(tmp=tmp, station_speed=600, station_sim_start="2024-06-17T21:00:00Z", station_tick_ms=200,
              station_settings=settings, station_sim_outages="2024-06-17T21:30:00Z/PT1H")
    try:
        g = wait(lambda: (lambda g: g["live"] and g)(station(d)))
        c(bool(g) and g["live"]["time"] < "2024-06-17T21:30", "before the outage: %s" % g["live"]["time"])
        c(g["live"]["onGrid"] is True, "on grid before the outage")
        c(abs(g["live"]["batW"]) < 1e-6, "on grid the reserve holds: battery idle (%r)" % g["live"]["batW"])
        c.eq(g["live"]["unservedW"], 0, "nothing unserved on grid")
        c.eq(metric(d, "csms_station_on_grid"), 1, "metric: on grid")
        g = wait(lambda: (lambda g: not g["live"]["onGrid"] and g)(station(d)), 8)
        c(bool(g), "the scheduled outage comes")
        if g:
            c(g["live"]["time"] >= "2024-06-17T21:30", "off grid at %s" % g["live"]["time"])
            c.eq(g["source"]["measurements"]["gridW"], 0, "no grid power in the outage")
            g = wait(lambda: (lambda g: not g["live"]["onGrid"] and g["live"]["batW"] < -1 and g)(station(d)), 3)
            c(bool(g), "off grid the reserve is released: the battery carries the house")
            if g:
                c(abs(g["live"]["batW"] + g["live"]["loadW"] + g["live"]["loadsW"] + g["live"]["evW"]
                      - g["live"]["pvLimitW"]) < 1 or g["live"]["pvW"] > 0,
                  "the battery balances the house: %r" % g["live"])
                c.eq(g["live"]["unservedW"], 0, "the battery suffices: nothing unserved")
            c.eq(metric(d, "csms_station_on_grid"), 0, "metric: off grid")
        g = wait(lambda: (lambda g: g["live"]["onGrid"] and g["live"]["time"] >= "2024-06-17T22:30" and g)(
            station(d)), 10)
        c(bool(g), "the grid comes back after the outage")
        log = d.logtext()
        c("grid lost" in log and "grid back" in log, "grid changes logged")
        c.eq(d.stop(), 0, "stop")
    except Exception as e:
        c(False, "exception: %r\n%s" % (e, d.logtext()))
        d.kill()
    finally:
        d.cleanup()


def api_tests():
    d = Csmsd(station_source="api", station_stale_s=30, station_tick_ms=200)
    try:
        def push(body):
            st, r = d.put("/api/v1/station/measurements", body)
            c.eq(st, 200, "measurements pushed")
            return r or {}

        # off grid, 12 kW of house, no PV, the battery's 5 kW: 7 kW unserved
        r = push({"pv_w": 0, "load_w": 12000, "soc_pct": 50, "on_grid": False})
        live = r.get("live", {})
        c(live.get("onGrid") is False, "off grid as pushed")
        c.eq(live.get("batW"), -5000, "the battery at its discharge limit")
        c.eq(live.get("gridW"), 0, "no grid")
        c(abs(live.get("unservedW", -1) - 7000) < 1, "the rest unserved: %r" % live.get("unservedW"))
        un = metric(d, "csms_station_unserved_watts")
        c(un is not None and abs(un - 7000) < 1, "metric: unserved %r" % un)
        # at soc_min the battery gives nothing: all of it unserved
        r = push({"pv_w": 0, "load_w": 3000, "soc_pct": 0, "on_grid": False})
        c(abs(r.get("live", {}).get("unservedW", -1) - 3000) < 1, "empty battery: %r" % r.get("live"))
        # enough PV: nothing unserved
        r = push({"pv_w": 4000, "load_w": 3000, "soc_pct": 50, "on_grid": False})
        c.eq(r.get("live", {}).get("unservedW"), 0, "PV suffices")
        # back on grid: the grid takes the rest
        r = push({"pv_w": 0, "load_w": 12000, "soc_pct": 50, "on_grid": True})
        c.eq(r.get("live", {}).get("unservedW"), 0, "on grid nothing unserved")
        c.eq(metric(d, "csms_station_unserved_watts"), 0, "metric: 0 on grid")
        c.eq(d.stop(), 0, "stop")
    except Exception as e:
        c(False, "exception: %r\n%s" % (e, d.logtext()))
        d.kill()
    finally:
        d.cleanup()


# A Modbus TCP device with the GX's registers (pymodbus, any unit id).
# stdin: "set ADDR VALUE" (raw 16-bit).
DEVICE = r"""
import sys, threading
from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartTcpServer
hr = ModbusSequentialDataBlock(0, [0] * 3000)
store = ModbusSlaveContext(hr=hr, ir=ModbusSequentialDataBlock(0, [0] * 10), zero_mode=True)
ctx = ModbusServerContext(slaves=store, single=True)
def cmd():
    for line in sys.stdin:
        w = line.split()
        if w and w[0] == "set":
            store.setValues(3, int(w[1]), [int(w[2]) & 0xffff])
    import os
    os._exit(0)
threading.Thread(target=cmd, daemon=True).start()
print("ready", flush=True)
StartTcpServer(context=ctx, address=("127.0.0.1", int(sys.argv[1])))
"""


def modbus_tests():
    port = free_port()
    dev = subprocess.Popen(["/usr/bin/python3", "-c", DEVICE, str(port)], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    c.eq(dev.stdout.readline().strip(), "ready", "device up")
    time.sleep(0.3)

    def dset(addr, v):
        dev.stdin.write("set %d %d\n" % (addr, v))
        dev.stdin.flush()

    # night: no PV, 1 kW consumption, battery at 50 %, grid connected (826 = 1)
    for addr, v in ((817, 400), (818, 300), (819, 300), (820, 1000), (842, 0), (843, 50), (826, 1)):
        dset(addr, v)
    d = Csmsd("--station_source", "modbus", "--station_modbus_port", str(port), "--station_poll_ms", "100",
              station_tick_ms=200, station_stale_s=5)
    try:
        g = wait(lambda: (lambda g: g["source"]["healthy"] and g["live"] and g["live"]["loadW"] > 0 and g)(
            station(d)), 5)
        c(bool(g) and g["live"]["onGrid"] is True, "826 = 1 (grid): on grid")
        dset(826, 240)
        g = wait(lambda: (lambda g: g["live"]["onGrid"] is False and g)(station(d)), 5)
        c(bool(g), "826 = 240 (not connected): off grid")
        if g:
            c.eq(g["live"]["gridW"], 0, "no grid planned off grid")
            c.eq(g["live"]["unservedW"], 0, "the battery carries 1 kW")
        dset(826, 1)
        c(bool(wait(lambda: station(d)["live"]["onGrid"] is True, 5)), "back on grid")
        c.eq(d.stop(), 0, "stop")
    except Exception as e:
        c(False, "exception: %r\n%s" % (e, d.logtext()))
        d.kill()
    finally:
        dev.stdin.close()
        dev.wait(5)
        d.cleanup()


sim_tests()
api_tests()
modbus_tests()
c.done()
