"""The DLM API: GET/PUT /api/v1/dlm shapes and validation, settings kept over
a restart, PUT /api/v1/dlm/readings validation, limits driven by pushed
readings, and a charger that refuses its profile reported as such."""
import json
import time
from harness import Csmsd, Raw, Checks, free_port

c = Checks()
ws, admin = free_port(), free_port()
d = Csmsd(ws_port=ws, admin_port=admin, unknown_chargers="accept", dlm_enabled="true", dlm_sensor="api",
          dlm_tick_ms=100, dlm_settle_s=0, dlm_react_s=0, dlm_min_pause_s=0, dlm_ramp_a_per_s=100)
tmp, db = d.tmp, d.db
try:
    st, g = d.get("/api/v1/dlm")
    c.eq(st, 200, "GET dlm")
    for k in ("enabled", "breakerA", "marginA", "fallbackA", "sensor", "grid", "headroomA", "chargers"):
        c(k in g, "GET has " + k)
    c.eq((g["sensor"]["type"], g["sensor"]["healthy"], g["sensor"]["ageS"]), ("api", False, None), "no reading yet")

    # readings: shape, NaN, range, unknown field -> 400; good -> 204
    for bad in ({"current": [1, 2]}, {"current": [1, 2, "x"]}, {"current": [1, 2, 1001]}, {"current": [1, 2, 3], "x": 1},
                {"current": [1, 2, 3], "timestamp": "noon"}, {"voltage": [230, 230, 230]}):
        c.eq(d.put("/api/v1/dlm/readings", bad)[0], 400, "bad reading %s" % bad)
    c.eq(d.request("PUT", "/api/v1/dlm/readings", '{"current":[NaN,1,1]}')[0], 400, "NaN reading")
    c.eq(d.put("/api/v1/dlm/readings", {"current": [10, 12.5, -3], "voltage": [230, 231, 229], "power": 4500})[0],
         204, "good reading")
    st, g = d.get("/api/v1/dlm")
    c.eq(g["grid"]["current"], [10, 12.5, -3], "reading shown")
    c.eq(g["sensor"]["healthy"], True, "sensor healthy after a reading")

    # settings: validation names the field and changes nothing
    for bad, field in (({"breakerA": "big"}, "breakerA"), ({"breakerA": 0}, "breakerA"),
                       ({"marginA": 50, "breakerA": 20}, "margin"), ({"sensor": {"type": "zigbee"}}, "sensor.type"),
                       ({"colour": 1}, "colour"), ({"sensor": {"speed": 1}}, "sensor.speed")):
        st, e = d.put("/api/v1/dlm", bad)
        c(st == 400 and field in e["error"]["description"], "400 naming %s: %s" % (field, e))
    c.eq(d.get("/api/v1/dlm")[1]["breakerA"], 25, "bad PUTs changed nothing")
    st, g = d.put("/api/v1/dlm", {"breakerA": 32, "marginA": 2, "fallbackA": 0, "staleS": 30})
    c.eq((st, g["breakerA"], g["marginA"], g["fallbackA"], g["staleS"]), (200, 32, 2, 0, 30), "settings changed")

    # a charger under DLM; refuses its profile -> reported
    r = Raw(d.url + "/CP-NO")
    r.send(json.dumps([2, "b", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]))
    r.send(json.dumps([2, "s", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Charging"}]))
    seen = None
    t0 = time.time()
    while time.time() - t0 < 5 and not seen:
        d.put("/api/v1/dlm/readings", {"current": [5, 5, 5]})
        for line in r.poll():
            if line.startswith("[2"):
                f = json.loads(line)
                if f[2] == "GetConfiguration":   # its language, asked before its first limit
                    r.send(json.dumps([3, f[1], {}]))
                if f[2] == "SetChargingProfile":
                    seen = f
                    r.send(json.dumps([3, f[1], {"status": "Rejected"}]))
        time.sleep(0.1)
    c(seen is not None, "profile sent")
    if seen:
        prof = seen[3]["csChargingProfiles"]
        c.eq((seen[3]["connectorId"], prof["chargingProfilePurpose"], prof["chargingSchedule"]["chargingRateUnit"]),
             (0, "ChargePointMaxProfile", "A"), "profile shape")
        c("numberPhases" in prof["chargingSchedule"]["chargingSchedulePeriod"][0], "numberPhases sent")
    time.sleep(0.5)
    st, g = d.get("/api/v1/dlm")
    ch = [x for x in g["chargers"] if x["id"] == "CP-NO"]
    c(ch and ch[0]["profileRejected"] and ch[0]["profileStatus"] == "Rejected", "rejection reported: %s" % ch)
    c("refused its charging profile" in d.logtext(), "rejection logged")
    for k in ("id", "connectorId", "phases", "limitA", "drawA", "reason"):
        c(ch and k in ch[0], "charger entry has " + k)
    r.close()

    # A DLM cut goes ahead of queued admin calls.
    r = Raw(d.url + "/CP-Q")
    r.send(json.dumps([2, "b", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]))
    r.send(json.dumps([2, "s", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Charging"}]))

    def next_call(timeout=5):
        t0 = time.time()
        while time.time() - t0 < timeout:
            for line in r.poll():
                if line.startswith("[2"):
                    f = json.loads(line)
                    if f[2] == "GetConfiguration":   # its language, asked before its first limit
                        r.send(json.dumps([3, f[1], {}]))
                        continue
                    return f
            time.sleep(0.02)
        return None
    t0 = time.time()
    first = None
    while time.time() - t0 < 5 and not first:
        d.put("/api/v1/dlm/readings", {"current": [2, 2, 2]})
        first = next_call(0.2)
    c(first is not None and first[2] == "SetChargingProfile", "first profile")
    while first:   # answer every profile until DLM is quiet
        r.send(json.dumps([3, first[1], {"status": "Accepted"}]))
        first = next_call(1.0)
    import threading
    calls = [threading.Thread(target=d.post, args=("/api/v1/chargers/CP-Q/ocpp/ClearCache", {})) for _ in range(3)]
    for t in calls:
        t.start()
        time.sleep(0.1)
    inflight = next_call()
    c(inflight is not None and inflight[2] == "ClearCache", "an admin call in flight")
    d.put("/api/v1/dlm/readings", {"current": [40, 40, 40]})   # over the breaker: cut now
    time.sleep(0.2)
    if inflight:
        r.send(json.dumps([3, inflight[1], {"status": "Accepted"}]))
    after = next_call()
    c(after is not None and after[2] == "SetChargingProfile", "the cut jumps the admin queue: %s" % (after and after[2]))
    for _ in range(3):
        f = after if after and after[2] != "SetChargingProfile" else next_call(2)
        after = None
        if f:
            r.send(json.dumps([3, f[1], {"status": "Accepted"}]))
    for t in calls:
        t.join(10)
    r.close()
    c.eq(d.stop(), 0, "stop")

    # kept over a restart; a value given on the command line wins over the
    # stored one (issue 11: command line > environment > API > file > default)
    d = Csmsd(ws_port=ws, admin_port=admin, db=db, tmp=tmp, dlm_sensor="api", dlm_breaker_a=16)
    st, g = d.get("/api/v1/dlm")
    c.eq((g["breakerA"], g["marginA"], g["staleS"]), (16, 2, 30), "API settings kept over a restart, "
         "the command line's breaker wins")
    c.eq(d.stop(), 0, "stop again")
except Exception as e:
    import traceback
    traceback.print_exc()
    c(False, "exception: %r\n%s" % (e, d.logtext()[-2000:]))
    d.kill()
finally:
    d.cleanup()
c.done()
