"""Alarms and diagnosis: a StatusNotification fault raises an alarm with its
info and vendor codes and NoError clears it; a charger silent for more than
three heartbeat intervals is an offline alarm, cleared when it reconnects,
also for a charger that never reconnects after a restart; a charging
profile DLM sends and the charger refuses is an alarm and an audit row of
source "dlm". GET /api/v1/diagnosis shows chargers and devices."""
import json
import time
from harness import Csmsd, Raw, Checks, boot_frame

c = Checks()


def status(r, mid, conn, code, st="Available", **kw):
    p = {"connectorId": conn, "errorCode": code, "status": st}
    p.update(kw)
    return json.loads(r.call(json.dumps([2, mid, "StatusNotification", p])))


def alarms(d, q=""):
    return d.get("/api/v1/alarms" + q)[1]


def wait(cond, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.1)
    return cond()


d = Csmsd(unknown_chargers="accept", heartbeat_interval=1)
d2 = None
try:
    r = Raw(d.url + "/AL1")
    r.call(boot_frame())
    c.eq(status(r, "s1", 1, "GroundFailure", "Faulted", info="leak 30 mA", vendorId="acme",
                vendorErrorCode="E17")[0], 3, "status answered")
    a = alarms(d, "?active=true")
    c.eq(len(a), 1, "one active alarm")
    a = a[0]
    c.eq((a["source"], a["charger"], a["connectorId"], a["code"], a["info"], a["vendorId"], a["vendorErrorCode"],
          a["cleared"]), ("statusNotification", "AL1", 1, "GroundFailure", "leak 30 mA", "acme", "E17", None),
         "alarm fields")
    c(a["raised"] and a["raised"].endswith("Z") and isinstance(a["id"], int), "raised time and id")
    status(r, "s2", 1, "GroundFailure", "Faulted")
    c.eq(len(alarms(d)), 1, "the same fault again raises nothing new")
    status(r, "s3", 2, "OverCurrentFailure", "Faulted")
    c.eq(sorted(x["connectorId"] for x in alarms(d, "?active=true")), [1, 2], "per connector")
    status(r, "s4", 1, "HighTemperature", "Faulted")
    act = alarms(d, "?active=true")
    c.eq(sorted((x["connectorId"], x["code"]) for x in act), [(1, "HighTemperature"), (2, "OverCurrentFailure")],
         "a different code replaces the connector's fault")
    status(r, "s5", 1, "NoError")
    act = alarms(d, "?active=true")
    c.eq([(x["connectorId"], x["code"]) for x in act], [(2, "OverCurrentFailure")], "NoError clears the connector's")
    hist = alarms(d)
    c.eq(len(hist), 3, "all alarms kept with ?active unset")
    c(all(x["cleared"] for x in hist if x["connectorId"] == 1), "cleared times set")
    c.eq(alarms(d, "?charger=NONE"), [], "charger filter")
    c.eq(d.get("/api/v1/alarms?active=yes")[0], 400, "bad filter 400")

    diag = d.get("/api/v1/diagnosis")[1]
    ch = {x["id"]: x for x in diag["chargers"]}
    c.eq((ch["AL1"]["connected"], ch["AL1"]["registration"], ch["AL1"]["healthy"]), (True, "accepted", True),
         "diagnosis: charger connected")
    c(ch["AL1"]["lastSeen"], "diagnosis: last seen")
    devs = {x["name"]: x for x in diag["devices"]}
    c("dlm-grid-sensor" in devs and devs["dlm-grid-sensor"]["type"] == "sim" and "healthy" in devs["dlm-grid-sensor"],
      "diagnosis: the DLM grid sensor: %s" % devs.get("dlm-grid-sensor"))
    c(devs.get("store", {}).get("healthy") is True and devs["store"]["schemaVersion"] >= 2, "diagnosis: the store")
    c(devs.get("station-source", {}).get("type") == "sim" and "healthy" in devs["station-source"],
      "diagnosis: the station's data source: %s" % devs.get("station-source"))

    # offline: more than 3 heartbeat intervals (3 s) without a connection
    r.close()
    time.sleep(1.5)
    c.eq([x for x in alarms(d, "?active=true") if x["source"] == "offline"], [], "not offline yet")
    off = wait(lambda: [x for x in alarms(d, "?active=true") if x["source"] == "offline"], 6)
    c(len(off) == 1 and off[0]["charger"] == "AL1" and off[0]["code"] == "Offline" and off[0]["connectorId"] is None,
      "offline alarm: %s" % off)
    ch = {x["id"]: x for x in d.get("/api/v1/diagnosis")[1]["chargers"]}
    c.eq((ch["AL1"]["connected"], ch["AL1"]["healthy"], ch["AL1"]["offlineAlarm"]), (False, False, True),
         "diagnosis: offline")
    st, text = d.get("/metrics", raw=True)
    c("\ncsms_alarms_active 2\n" in text, "active alarms in /metrics")
    r = Raw(d.url + "/AL1")
    r.call(boot_frame("b2"))
    c(wait(lambda: not [x for x in alarms(d, "?active=true") if x["source"] == "offline"], 3),
      "reconnected: offline alarm cleared")
    r.close()
    c.eq(d.stop(), 0, "stop")

    # a restart: the charger known from before never comes back
    d2 = Csmsd(unknown_chargers="accept", heartbeat_interval=1, db=d.db, tmp=d.tmp)
    off = wait(lambda: [x for x in alarms(d2, "?active=true") if x["source"] == "offline"], 6)
    c.eq(len(off), 1, "offline alarm for a charger that does not come back after a restart")
    c.eq(d2.stop(), 0, "stop 2")
    d2 = None

    # DLM's profile refused by the charger
    d2 = Csmsd(unknown_chargers="accept", dlm_enabled="true", dlm_tick_ms=200, tmp=d.tmp,
               db=d.db + "-dlm")
    r = Raw(d2.url + "/DL1")
    r.call(boot_frame())
    f = None
    end = time.time() + 10
    while time.time() < end:
        f = json.loads(r.line(10))
        if f[0] == 2 and f[2] == "GetConfiguration":   # its language, asked before its first limit
            r.send(json.dumps([3, f[1], {}]))
        elif f[0] == 2:
            break
    c.eq((f[2], f[3]["csChargingProfiles"]["chargingProfileId"]), ("SetChargingProfile", 9000), "DLM's profile")
    r.send(json.dumps([3, f[1], {"status": "Accepted"}]))
    # the answer is recorded in the turn that reads it: wait for it (a loaded machine)
    wait(lambda: d2.get("/api/v1/chargers/DL1/profiles")[1], 5)
    prof = d2.get("/api/v1/chargers/DL1/profiles")[1]
    c.eq([(p["chargingProfileId"], p["chargingProfilePurpose"]) for p in prof], [(9000, "ChargePointMaxProfile")],
         "DLM's profile shown as installed")
    # an admin clears every profile: DLM's limit must go back on the charger
    import threading
    t = threading.Thread(target=lambda: d2.post("/api/v1/chargers/DL1/ocpp/ClearChargingProfile", {}))
    t.start()
    f = r.past_dlm(json.loads(r.line(5)), 5)
    c.eq(f[2], "ClearChargingProfile", "clear sent")
    r.send(json.dumps([3, f[1], {"status": "Accepted"}]))
    t.join(5)
    f = json.loads(r.line(5))
    c.eq((f[2], f[3]["csChargingProfiles"]["chargingProfileId"]), ("SetChargingProfile", 9000),
         "DLM's profile sent again after it was cleared")
    r.send(json.dumps([3, f[1], {"status": "Rejected"}]))
    al = wait(lambda: [x for x in alarms(d2, "?active=true") if x["source"] == "chargingProfile"], 3)
    c(al and al[0]["charger"] == "DL1" and al[0]["code"] == "Rejected" and al[0]["connectorId"] == 0,
      "refused DLM profile is an alarm: %s" % al)
    rows = d2.get("/api/v1/audit?charger=DL1&action=SetChargingProfile")[1]
    c(rows and rows[0]["source"] == "dlm" and rows[0]["result"] == {"status": "Rejected"},
      "DLM's call audited: %s" % rows[:1])
    r.close()
    c.eq(d2.stop(), 0, "stop 3")
    d2 = None
except Exception as e:
    import traceback
    traceback.print_exc()
    c(False, "exception: %r\n%s" % (e, (d2 or d).logtext()[-3000:]))
    d.kill()
    if d2:
        d2.kill()
finally:
    d.cleanup()
c.done()
