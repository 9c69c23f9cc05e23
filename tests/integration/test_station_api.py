"""The station in a real csmsd: GET/PUT /api/v1/station shapes, validation
errors that leave the settings unchanged, settings and prices kept over a
restart (and winning over the station_settings file), the simulated house
running accelerated, measurements pushed through the API driving the
outputs (PV surplus charges the battery, night discharges it down to the
reserve, stale data idles it), remote EMS setpoints, controlled loads in
the API, a charger's chargingMode setting reaching the station, and a
Victron-GX-like Modbus device (pymodbus) read and written through the
victron-gx register map."""
import json
import os
import subprocess
import time
from harness import Csmsd, Raw, Checks, boot_frame, free_port

c = Checks()


def settings_of(d):
    st, body = d.get("/api/v1/station")
    c.eq(st, 200, "GET /api/v1/station")
    return body["settings"]


def error_names(d, body, field, status=400):
    """A bad PUT: the status, the field named, the settings unchanged."""
    before = settings_of(d)
    st, r = d.put("/api/v1/station", body)
    c.eq(st, status, "PUT %s -> %d" % (json.dumps(body)[:60], status))
    desc = (r or {}).get("error", {}).get("description", "")
    c(field in desc, "error names %r: %r" % (field, desc))
    c.eq(settings_of(d), before, "settings unchanged after a bad PUT %s" % json.dumps(body)[:40])


def wait(pred, timeout=5.0):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    return pred()


def sim_tests():
    d = Csmsd(station_speed=600, station_sim_start="2024-06-17T07:00:00Z", station_tick_ms=200)
    tmp, db = d.tmp, d.db
    try:
        st, g = d.get("/api/v1/station")
        c.eq(st, 200, "GET station")
        for k in ("mode", "settings", "live", "source", "outputs", "remoteEms", "prices"):
            c(k in g, "GET has %s" % k)
        c.eq(g["mode"], "selfConsumption", "default mode")
        c.eq(g["source"]["type"], "sim", "source type")
        c(g["source"]["healthy"] is True and isinstance(g["source"]["ageS"], (int, float)), "source health")
        live = wait(lambda: d.get("/api/v1/station")[1]["live"])
        for k in ("pvW", "loadW", "socPct", "batW", "gridW", "evW", "activeMode", "time", "stale"):
            c(k in live, "live has %s" % k)
        # the simulated clock runs 600x: 2 s real = 20 min simulated
        t0 = live["time"]
        soc0 = live["socPct"]
        time.sleep(2.0)
        live = d.get("/api/v1/station")[1]["live"]
        c(live["time"] > t0, "simulated time advances: %s -> %s" % (t0, live["time"]))
        # a June morning: PV surplus charges the simulated battery
        c(live["socPct"] > soc0, "SOC rises with the morning PV: %.2f -> %.2f" % (soc0, live["socPct"]))
        c(abs(live["pvW"] + live["gridW"] - live["loadW"] - live["loadsW"] - live["evW"] - live["batW"]
              + (live["pvW"] - live["pvLimitW"] if live["pvLimitW"] < live["pvW"] else 0)) < 1,
          "live flows balance: %r" % live)

        # validation: 400 naming the field, nothing changed
        error_names(d, {"battery": {"capacityWh": -5}}, "battery.capacityWh")
        error_names(d, {"foo": 1}, "foo")
        error_names(d, {"mode": "sideways"}, "mode")
        error_names(d, {"mode": "remoteEms"}, "confirm")
        error_names(d, {"remoteEms": {"setpointW": "x"}}, "remoteEms.setpointW")
        error_names(d, {"remoteEms": {"setpointW": 100}}, "remoteEms.setpointW", status=409)
        error_names(d, [1, 2], "body")
        st, r = d.request("PUT", "/api/v1/station", "{not json")
        c.eq(st, 400, "malformed JSON")
        st, r = d.put("/api/v1/station/measurements", {"pv_w": 1, "soc_pct": 50, "load_w": 1})
        c.eq(st, 409, "measurements refused when the source is sim")

        # a good change is in force at once and answered with the new state
        st, r = d.put("/api/v1/station", {"battery": {"backupReservePct": 20},
                                          "tou": {"periods": [{"start": "22:00", "end": "06:00", "type": "charge",
                                                               "maxChargeW": 3000}]},
                                          "smartLoads": [{"name": "boiler", "powerW": 1500, "mode": "manual",
                                                          "on": True}]})
        c.eq(st, 200, "PUT settings")
        c.eq(r["settings"]["battery"]["backupReservePct"], 20, "reserve set")
        c.eq(len(r["settings"]["tou"]["periods"]), 1, "TOU period set")
        c.eq(r["outputs"]["smartLoads"], [{"name": "boiler", "on": True}], "manual load on in the outputs")

        # remote EMS: entering needs confirm; the setpoint drives the battery
        st, r = d.put("/api/v1/station", {"mode": "remoteEms", "confirm": True,
                                          "remoteEms": {"setpointW": -1200, "target": "battery", "timeoutS": 900}})
        c.eq(st, 200, "enter remoteEms with confirm")
        c.eq(r["mode"], "remoteEms", "mode remoteEms")
        c.eq(r["remoteEms"]["setpointW"], -1200, "setpoint kept")
        c.eq(r["outputs"]["batterySetpointW"], -1200, "battery follows the remote EMS setpoint")
        c.eq(r["settings"]["remoteEms"]["timeoutS"], 900, "remote EMS timeout set with the setpoint")
        error_names(d, {"mode": "selfConsumption"}, "confirm")

        # prices: hourly and 15-minute lists, errors naming the field
        hourly = {"start": "2024-06-18T00:00:00Z", "slotS": 3600, "importPrice": [0.2 + i / 100 for i in range(24)],
                  "exportPrice": [0.05] * 24}
        st, r = d.put("/api/v1/station/prices", hourly)
        c.eq(st, 200, "hourly prices accepted")
        c.eq(r and r.get("count"), 24, "24 hourly prices")
        st, r = d.put("/api/v1/station/prices", {"start": "2024-06-17T00:00:00Z", "slotS": 900,
                                                 "importPrice": [0.3] * 96})
        c.eq(st, 200, "15-minute prices accepted")
        for body, field in (({"start": "2024-06-17T00:00:00Z", "slotS": 600, "importPrice": [1]}, "slotS"),
                            ({"start": "2024-06-17T00:10:00Z", "slotS": 900, "importPrice": [1]}, "start"),
                            ({"start": "yesterday", "importPrice": [1]}, "start"),
                            ({"start": "2024-06-17T00:00:00Z", "importPrice": [1, 2, "x"]}, "importPrice[2]"),
                            ({"start": "2024-06-17T00:00:00Z", "importPrice": []}, "importPrice"),
                            ({"start": "2024-06-17T00:00:00Z", "importPrice": [1] * 97}, "importPrice"),
                            ({"start": "2024-06-17T00:00:00Z", "importPrice": [1], "exportPrice": [1, 2]},
                             "exportPrice"),
                            ({"start": "2024-06-17T00:00:00Z", "importPrice": [1], "bogus": 1}, "bogus")):
            st, r = d.put("/api/v1/station/prices", body)
            desc = (r or {}).get("error", {}).get("description", "")
            c(st == 400 and field in desc, "bad prices %s: %d %r" % (field, st, desc))
        g = d.get("/api/v1/station")[1]
        c(g["prices"] and g["prices"]["slotS"] == 900, "prices in GET: %r" % g["prices"])
        kept = g["settings"]

        # kept over a restart on the same database
        c.eq(d.stop(), 0, "stop")
        d = Csmsd(db=db, tmp=tmp, station_speed=600, station_tick_ms=200)
        g = d.get("/api/v1/station")[1]
        c.eq(g["settings"], kept, "settings kept over a restart")
        c.eq(g["mode"], "remoteEms", "mode kept")
        c(g["prices"] is not None and g["prices"]["count"] == 96, "price list kept: %r" % g["prices"])
        c.eq(d.stop(), 0, "stop again")

        # the station_settings file is read first; what the API stored wins
        path = os.path.join(tmp, "station.json")
        with open(path, "w") as f:
            json.dump({"mode": "feedIn", "inverterMaxW": 6000, "battery": {"capacityWh": 7000}}, f)
        d = Csmsd(db=os.path.join(tmp, "fresh.db"), tmp=tmp, station_settings=path)
        s = settings_of(d)
        c(s["mode"] == "feedIn" and s["inverterMaxW"] == 6000 and s["battery"]["capacityWh"] == 7000,
          "settings file loaded: %s %s" % (s["mode"], s["inverterMaxW"]))
        st, r = d.put("/api/v1/station", {"inverterMaxW": 7000})
        c.eq(st, 200, "change over the file")
        c.eq(d.stop(), 0, "stop")
        d = Csmsd(db=os.path.join(tmp, "fresh.db"), tmp=tmp, station_settings=path)
        s = settings_of(d)
        c(s["inverterMaxW"] == 7000 and s["mode"] == "feedIn", "the stored change wins over the file")
        c.eq(d.stop(), 0, "stop")

        # a bad file: exit 2 with one line naming the setting
        with open(path, "w") as f:
            f.write('{"battery": {"capacityWh": "big"}}')
        try:
            Csmsd(db=os.path.join(tmp, "bad.db"), tmp=tmp, station_settings=path)
            c(False, "a bad station_settings file must stop csmsd")
        except RuntimeError as e:
            c("exited 2" in str(e) and "station_settings" in str(e), "bad file named: %s" % str(e)[:200])
    except Exception as e:
        c(False, "exception: %r\n%s" % (e, d.logtext()))
        d.kill()
    finally:
        d.cleanup()


def api_tests():
    d = Csmsd(station_source="api", station_stale_s=2, station_tick_ms=200, unknown_chargers="accept")
    try:
        g = d.get("/api/v1/station")[1]
        o = wait(lambda: d.get("/api/v1/station")[1]["outputs"])
        c(o["safe"] is True and o["batterySetpointW"] == 0, "no measurement yet: safe, battery idle: %r" % o)
        c("no measurement" in (o["safeReason"] or ""), "says why: %r" % o["safeReason"])
        c(g["source"]["healthy"] is False, "source unhealthy before a measurement")

        def push(body, status=200):
            st, r = d.put("/api/v1/station/measurements", body)
            c.eq(st, status, "measurements %s" % json.dumps(body)[:70])
            return r

        # PV surplus, battery below full: it charges (at most its maximum)
        r = push({"pv_w": 6000, "load_w": 1000, "soc_pct": 50, "grid_w": -5000, "bat_w": 0})
        c.eq(r["outputs"]["safe"], False, "fresh measurements: not safe mode")
        c.eq(r["outputs"]["batterySetpointW"], 5000, "surplus charges the battery at its maximum")
        c.eq(r["live"]["gridW"], 0, "nothing exported while the battery takes it")
        r = push({"pvW": 2000, "loadW": 800, "socPct": 60})
        c.eq(r["outputs"]["batterySetpointW"], 1200, "camelCase names; the surplus exactly")
        # night: the battery covers the house, not below the reserve
        r = push({"pv_w": 0, "load_w": 2000, "soc_pct": 50})
        c.eq(r["outputs"]["batterySetpointW"], -2000, "night: the battery covers the load")
        r = push({"pv_w": 0, "load_w": 2000, "soc_pct": 10})
        c.eq(r["outputs"]["batterySetpointW"], 0, "at the backup reserve: no discharge")
        # the load derived from the grid meter
        r = push({"pv_w": 3000, "grid_w": -1000, "bat_w": 1500, "soc_pct": 50})
        c(abs(r["live"]["loadW"] - 500) < 1e-6, "load from the balance: %r" % r["live"]["loadW"])

        # bad measurements: 400 naming the field
        for body, field in (({"pv_w": 1, "load_w": 1, "soc_pct": 120}, "soc_pct"),
                            ({"load_w": 1, "soc_pct": 50}, "pv_w"),
                            ({"pv_w": 1, "soc_pct": 50}, "load_w"),
                            ({"pv_w": 1, "soc_pct": 50, "grid_w": 10}, "bat_w"),
                            ({"pv_w": "1", "load_w": 1, "soc_pct": 50}, "pv_w"),
                            ({"pv_w": -1, "load_w": 1, "soc_pct": 50}, "pv_w"),
                            ({"pv_w": 1, "load_w": 1, "soc_pct": 50, "volts": 230}, "volts"),
                            ({"pv_w": 1, "load_w": 1, "soc_pct": 50, "timestamp": "2999-01-01T00:00:00Z"},
                             "timestamp"),
                            ({"pv_w": 1, "load_w": 1, "soc_pct": 50, "on_grid": "yes"}, "on_grid")):
            st, r = d.put("/api/v1/station/measurements", body)
            desc = (r or {}).get("error", {}).get("description", "")
            c(st == 400 and field in desc, "bad measurement %s: %d %r" % (field, st, desc))

        # an old timestamp is stale at once: battery idle, and said so
        old = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
        r = push({"pv_w": 6000, "load_w": 500, "soc_pct": 50, "timestamp": old})
        c(r["outputs"]["safe"] and r["outputs"]["batterySetpointW"] == 0, "old measurement: battery idle")
        c("stale" in (r["outputs"]["safeReason"] or ""), "stale said: %r" % r["outputs"]["safeReason"])
        # fresh, then nothing for longer than station_stale_s
        r = push({"pv_w": 6000, "load_w": 500, "soc_pct": 50})
        c(r["outputs"]["batterySetpointW"] > 0, "fresh again: charging")
        o = wait(lambda: (lambda g: g["outputs"]["safe"] and g)(d.get("/api/v1/station")[1]), 5)
        c(o and o["outputs"]["batterySetpointW"] == 0 and o["live"]["stale"] is True,
          "no update for station_stale_s: battery idle")
        c(o and o["source"]["healthy"] is False, "source unhealthy when stale")

        # controlled loads: Auto SOC state in the API
        st, r = d.put("/api/v1/station", {"smartLoads": [{"name": "boiler", "powerW": 1500, "mode": "autoSoc",
                                                           "socThresholdPct": 60}]})
        c.eq(st, 200, "smart load configured")
        r = push({"pv_w": 4000, "load_w": 500, "soc_pct": 80})
        c.eq(r["outputs"]["smartLoads"], [{"name": "boiler", "on": True}], "above the SOC threshold: on")
        r = push({"pv_w": 4000, "load_w": 500, "soc_pct": 40})
        c.eq(r["outputs"]["smartLoads"], [{"name": "boiler", "on": False}], "below the threshold: off")

        # a charger's chargingMode setting reaches the station's charger list
        raw = Raw(d.url + "/CP-PV")
        raw.call(boot_frame())
        st, _ = d.put("/api/v1/chargers/CP-PV", {"chargingMode": "pv", "phases": 3, "maxCurrentA": 16})
        c.eq(st, 200, "charger set to 100% PV")
        raw.call(json.dumps([2, "s1", "StatusNotification", {"connectorId": 1, "status": "Preparing",
                                                              "errorCode": "NoError"}]))
        push({"pv_w": 1000, "load_w": 900, "soc_pct": 80})
        live = wait(lambda: [ch for ch in d.get("/api/v1/station")[1]["live"]["chargers"] if ch["id"] == "CP-PV"])
        c(bool(live), "charger in the live list")
        if live:
            ch = live[0]
            c(ch["mode"] == "pv100" and ch["from"] == "chargerSetting", "mode from the charger setting: %r" % ch)
            c(ch["carConnected"] is True, "car seen as plugged in")
            c.eq(ch["targetA"], 0, "100% PV without surplus: no current")
        raw.close()
        c.eq(d.stop(), 0, "stop")
    except Exception as e:
        c(False, "exception: %r\n%s" % (e, d.logtext()))
        d.kill()
    finally:
        d.cleanup()


# A Modbus TCP device with the GX's registers (pymodbus, any unit id).
# stdin: "set ADDR VALUE" (raw 16-bit), "get ADDR" -> prints the raw value.
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
        elif w and w[0] == "get":
            print(store.getValues(3, int(w[1]), 1)[0], flush=True)
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

    def dget(addr):
        dev.stdin.write("get %d\n" % addr)
        dev.stdin.flush()
        v = int(dev.stdout.readline())
        return v - 65536 if v >= 32768 else v

    # 2 kW AC-coupled + 3 kW DC PV, 1 kW consumption, battery at 50 %
    for addr, v in ((808, 2000), (850, 3000), (817, 400), (818, 300), (819, 300), (820, 0), (842, 0), (843, 50)):
        dset(addr, v)
    d = Csmsd("--station_source", "modbus", "--station_modbus_port", str(port), "--station_poll_ms", "200",
              station_tick_ms=200, station_stale_s=2)
    try:
        g = wait(lambda: (lambda g: g["source"]["healthy"] and g["live"]["pvW"] > 0 and g)(
            d.get("/api/v1/station")[1]), 5)
        c(bool(g), "modbus readings arrive")
        if g:
            c.eq(g["source"]["map"], "victron-gx", "default map")
            c.eq(g["source"]["unit"], 100, "default unit of the GX")
            c.eq(g["live"]["pvW"], 5000, "PV summed over the map's registers")
            c.eq(g["live"]["socPct"], 50, "SOC")
            c.eq(g["live"]["loadW"], 1000, "house load from the consumption registers")
            c.eq(g["outputs"]["batterySetpointW"], 4000, "surplus to the battery")
        # remote EMS on the battery: the GX gets the grid setpoint that gives it
        st, r = d.put("/api/v1/station", {"mode": "remoteEms", "confirm": True,
                                          "remoteEms": {"setpointW": -800, "target": "battery"}})
        c.eq(st, 200, "remote EMS setpoint")
        ok = wait(lambda: dget(2700) == -4800, 5)
        c(ok, "grid setpoint register 2700 = load - PV + battery = -4800 (got %d)" % dget(2700))
        st, r = d.put("/api/v1/station", {"remoteEms": {"setpointW": 500, "target": "grid"}})
        c.eq(st, 200, "grid setpoint")
        c(wait(lambda: dget(2700) == 500, 5), "grid setpoint written as given (got %d)" % dget(2700))
        # beyond the battery's 5 kW the station says what the grid will really be
        st, r = d.put("/api/v1/station", {"remoteEms": {"setpointW": 1500, "target": "grid"}})
        c(wait(lambda: dget(2700) == 1000, 5), "grid setpoint within the battery's limit (got %d)" % dget(2700))
        st, g = d.get("/api/v1/station")
        c(g["source"]["writes"] > 0 and g["source"]["writeFailures"] == 0, "writes counted: %r" % g["source"])
        # the device goes away: stale after station_stale_s, battery idle, error said
        dev.stdin.close()
        dev.wait(5)
        g = wait(lambda: (lambda g: g["outputs"]["safe"] and g)(d.get("/api/v1/station")[1]), 6)
        c(bool(g) and g["outputs"]["batterySetpointW"] == 0, "device gone: safe outputs")
        c(bool(g) and g["source"]["healthy"] is False and g["source"]["error"], "device gone: unhealthy, error said")
        c.eq(d.stop(), 0, "stop")
    except Exception as e:
        c(False, "exception: %r\n%s" % (e, d.logtext()))
        d.kill()
    finally:
        if dev.poll() is None:
            dev.kill()
        d.cleanup()


sim_tests()
api_tests()
modbus_tests()
c.done()
