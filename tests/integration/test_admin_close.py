"""An admin closes what will never close by itself (issue 9, item 12):
POST /api/v1/transactions/{id}/stop (meterStop defaults to the last energy
register stored, else meterStart; reason defaults to Other; recorded as
stoppedBy "admin" and in the audit; 404, 400, 409), the charger's late
StopTransaction still answered while the record keeps the admin's stop;
DELETE /api/v1/chargers/{id} (404, 400, 409 while connected or with an
active transaction, ?force=true closes them and drops the connection; the
charger's settings, connectors, profiles, configuration go, its
transactions stay)."""
import json
import threading
import time
from harness import Csmsd, Raw, Checks, boot_frame

c = Checks()


def start(r, tag, conn, meter, ts):
    return json.loads(r.call(json.dumps([2, "s%d" % conn, "StartTransaction", {
        "connectorId": conn, "idTag": tag, "meterStart": meter, "timestamp": ts}])))[2]


def meter_values(r, conn, tx, value, unit=None, extra=()):
    sv = [{"value": str(value), "measurand": "Energy.Active.Import.Register"}] + list(extra)
    if unit:
        sv[0]["unit"] = unit
    return json.loads(r.call(json.dumps([2, "mv", "MeterValues", {"connectorId": conn, "transactionId": tx,
                                                                  "meterValue": [{"timestamp": "2026-06-01T10:30:00Z",
                                                                                  "sampledValue": sv}]}])))


def answer_call(d, r, charger, action, payload, reply):
    """An admin call through the API, answered by the Raw charger."""
    res = {}
    t = threading.Thread(target=lambda: res.setdefault("r", d.post("/api/v1/chargers/%s/ocpp/%s" % (charger, action),
                                                                   payload)))
    t.start()
    f = json.loads(r.line(10))
    r.send(json.dumps([3, f[1], reply]))
    t.join(10)
    return res.get("r")


d = Csmsd(unknown_chargers="accept", max_active_tx=1)
try:
    d.put("/api/v1/id-tags/CARD", {})
    d.put("/api/v1/id-tags/CARD2", {})
    r = Raw(d.url + "/AC1")
    r.call(boot_frame())
    s1 = start(r, "CARD", 1, 1000, "2026-06-01T10:00:00Z")
    tx1 = s1["transactionId"]
    meter_values(r, 1, tx1, 1500)
    meter_values(r, 1, tx1, "2.75", "kWh", extra=[{"value": "9999", "measurand": "Energy.Active.Import.Register",
                                                  "phase": "L1"}])
    s2 = start(r, "CARD2", 2, 500, "2026-06-01T11:00:00Z")
    tx2 = s2["transactionId"]

    # 404
    c.eq(d.post("/api/v1/transactions/999999/stop")[0], 404, "unknown transaction 404")
    c.eq(d.post("/api/v1/transactions/abc/stop")[0], 404, "not a number 404")
    c.eq(d.post("/api/v1/transactions/0/stop")[0], 404, "id 0 404")
    # 400, and nothing changes
    for body, what in [("{not json", "bad JSON"), ("[]", "an array"), ({"meterStop": -1}, "negative meterStop"),
                       ({"meterStop": 1500.5}, "fractional meterStop"), ({"meterStop": "2000"}, "meterStop a string"),
                       ({"meterStop": 999}, "meterStop below meterStart"), ({"reason": "Bored"}, "unknown reason"),
                       ({"reason": 5}, "reason a number"), ({"colour": "red"}, "unknown field")]:
        st, e = d.request("POST", "/api/v1/transactions/%d/stop" % tx1, body)
        c(st == 400 and "error" in e, "%s: 400 (%s %s)" % (what, st, e))
    t = d.get("/api/v1/transactions/%d" % tx1)[1]
    c.eq((t["stop"], t["meterStop"], t["stoppedBy"]), (None, None, None), "bad input changed nothing")
    # the card's one active transaction blocks another start
    r2 = Raw(d.url + "/AC2")
    r2.call(boot_frame())
    refused = start(r2, "CARD", 1, 0, "2026-06-02T09:00:00Z")
    c.eq(refused["idTagInfo"]["status"], "ConcurrentTx", "the ghost transaction blocks the card")
    r2.call(json.dumps([2, "rs", "StopTransaction", {"transactionId": refused["transactionId"], "meterStop": 0,
                                                     "timestamp": "2026-06-02T09:00:01Z", "reason": "DeAuthorized"}]))
    c.eq(start(r2, "CARD", 1, 0, "2026-06-02T09:01:00Z")["idTagInfo"]["status"], "ConcurrentTx",
         "still blocked by the ghost")
    r2.call(json.dumps([2, "rs2", "StopTransaction", {"transactionId": refused["transactionId"] + 1, "meterStop": 0,
                                                      "timestamp": "2026-06-02T09:01:01Z", "reason": "DeAuthorized"}]))

    # 200: defaults
    st, t = d.post("/api/v1/transactions/%d/stop" % tx1)
    c.eq(st, 200, "admin stop 200")
    c.eq((t["meterStop"], t["energyWh"], t["stopReason"], t["stoppedBy"]), (2750, 1750, "Other", "admin"),
         "meterStop = the last energy register stored (2.75 kWh), reason Other, stoppedBy admin")
    c(isinstance(t["stop"], str) and t["stop"].startswith("20"), "stop time set: %s" % t.get("stop"))
    c.eq(d.post("/api/v1/transactions/%d/stop" % tx1)[0], 409, "already stopped 409")
    c.eq(start(r2, "CARD", 1, 0, "2026-06-02T09:05:00Z")["idTagInfo"]["status"], "Accepted",
         "after the admin stop the card may start again")
    # 200: explicit values
    st, t = d.post("/api/v1/transactions/%d/stop" % tx2, {"meterStop": 4321, "reason": "DeAuthorized"})
    c.eq((st, t["meterStop"], t["energyWh"], t["stopReason"], t["stoppedBy"]), (200, 4321, 3821, "DeAuthorized", "admin"),
         "explicit meterStop and reason")
    # meterStart when nothing was measured
    s3 = start(r, "CARD2", 3, 7000, "2026-06-01T12:00:00Z")
    st, t = d.post("/api/v1/transactions/%d/stop" % s3["transactionId"], {})
    c.eq((st, t["meterStop"], t["energyWh"]), (200, 7000, 0), "no meter values: meterStop = meterStart")

    # visible in the list and the audit
    lst = {x["id"]: x for x in d.get("/api/v1/transactions")[1]}
    c.eq(lst[tx1]["stoppedBy"], "admin", "stoppedBy in the list")
    active = [x for x in lst.values() if x["stop"] is None]
    c(active and all(x["stoppedBy"] is None for x in active), "an active one has stoppedBy null")
    aud = d.get("/api/v1/audit?action=AdminStopTransaction")[1]
    c.eq(sorted((a["request"]["transactionId"], a["request"]["meterStop"], a["request"]["reason"], a["source"],
                 a["charger"]) for a in aud),
         sorted([(tx1, 2750, "Other", "admin", "AC1"), (tx2, 4321, "DeAuthorized", "admin", "AC1"),
                 (s3["transactionId"], 7000, "Other", "admin", "AC1")]), "each admin stop audited")

    # the charger's real StopTransaction comes later: answered, the admin's stop stays
    f = json.loads(r.call(json.dumps([2, "late", "StopTransaction", {
        "transactionId": tx1, "meterStop": 2900, "timestamp": "2026-06-01T13:00:00Z", "idTag": "CARD",
        "reason": "EVDisconnected"}])))
    c.eq((f[0], f[1]), (3, "late"), "a late StopTransaction is still answered")
    c.eq(f[2].get("idTagInfo", {}).get("status"), "Accepted", "and Accepted")
    t = d.get("/api/v1/transactions/%d" % tx1)[1]
    c.eq((t["meterStop"], t["stopReason"], t["stoppedBy"]), (2750, "Other", "admin"),
         "the record keeps the admin's stop")
    # a charger's own stop says so
    s4 = start(r, "CARD2", 4, 0, "2026-06-01T14:00:00Z")
    r.call(json.dumps([2, "st4", "StopTransaction", {"transactionId": s4["transactionId"], "meterStop": 10,
                                                     "timestamp": "2026-06-01T14:10:00Z"}]))
    c.eq(d.get("/api/v1/transactions/%d" % s4["transactionId"])[1]["stoppedBy"], "charger",
         "stopped by the charger: stoppedBy charger")

    # ---- DELETE /api/v1/chargers/{id} ----
    c.eq(d.delete("/api/v1/chargers/NOPE")[0], 404, "delete unknown 404")
    c.eq(d.delete("/api/v1/chargers/AC1?force=maybe")[0], 400, "force: true or false")
    st, e = d.delete("/api/v1/chargers/AC1")
    c(st == 409 and "connected" in e["error"]["description"], "connected: 409 (%s)" % e)
    # settings, a connector status, a profile, a configuration key and an alarm to be forgotten
    d.put("/api/v1/chargers/AC1", {"phases": 1, "maxCurrentA": 10})
    r.call('[2,"sn","StatusNotification",{"connectorId":1,"errorCode":"GroundFailure","status":"Faulted"}]')
    prof = {"chargingProfileId": 77, "stackLevel": 1, "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute", "chargingSchedule": {"chargingRateUnit": "A",
                                                                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]}}
    c.eq(answer_call(d, r, "AC1", "SetChargingProfile", {"connectorId": 1, "csChargingProfiles": prof},
                     {"status": "Accepted"})[0], 200, "profile installed")
    c.eq(answer_call(d, r, "AC1", "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "30"},
                     {"status": "Accepted"})[0], 200, "configuration changed")
    c.eq(len(d.get("/api/v1/chargers/AC1/profiles")[1]), 1, "one profile stored")
    c(d.get("/api/v1/alarms?active=true&charger=AC1")[1], "a fault alarm is active")
    s5 = start(r, "CARD2", 1, 100, "2026-06-01T15:00:00Z")
    meter_values(r, 1, s5["transactionId"], 600)
    st, e = d.delete("/api/v1/chargers/AC1")
    c(st == 409 and "1 active transaction" in e["error"]["description"], "connected with a transaction: 409 (%s)" % e)
    c.eq(d.get("/api/v1/chargers/AC1")[0], 200, "a refused delete changes nothing")

    # not connected but with an active transaction: 409 too
    r3 = Raw(d.url + "/AC3")
    r3.call(boot_frame())
    s6 = start(r3, "CARD2", 1, 0, "2026-06-01T16:00:00Z")
    r3.close()
    time.sleep(0.3)
    st, e = d.delete("/api/v1/chargers/AC3")
    c(st == 409 and "active transaction" in e["error"]["description"] and "connected" not in e["error"]["description"],
      "offline with an active transaction: 409 (%s)" % e)

    # force: transactions closed as by an admin, the connection dropped
    st, res = d.delete("/api/v1/chargers/AC1?force=true")
    c.eq((st, res.get("closedTransactions"), res.get("disconnected")), (200, [s5["transactionId"]], True),
         "forced delete: 200, what it closed and dropped")
    seen = []
    try:
        while True:
            seen.append(r.line(5))
    except AssertionError as e:
        seen.append(str(e))
    c(any(x.startswith("#closed") for x in seen), "the charger's connection is closed: %s" % seen)
    c.eq(d.get("/api/v1/chargers/AC1")[0], 404, "the charger is gone")
    c("AC1" not in [x["id"] for x in d.get("/api/v1/chargers")[1]], "not in the list")
    t = d.get("/api/v1/transactions/%d" % s5["transactionId"])[1]
    c.eq((t["meterStop"], t["stopReason"], t["stoppedBy"]), (600, "Other", "admin"),
         "its active transaction closed as by an admin, at the last meter value")
    c.eq(len(d.get("/api/v1/transactions?charger=AC1")[1]), 5, "its transactions stay as history")
    c(not d.get("/api/v1/alarms?active=true&charger=AC1")[1], "its alarms are cleared")
    c(d.get("/api/v1/alarms?charger=AC1")[1], "and kept as history")
    aud = d.get("/api/v1/audit?action=AdminDeleteCharger")[1]
    c.eq([(a["charger"], a["request"]["force"], a["request"]["closedTransactions"]) for a in aud],
         [("AC1", True, [s5["transactionId"]])], "the delete is audited")
    c.eq(len(d.get("/api/v1/audit?action=AdminStopTransaction&charger=AC1")[1]), 4, "and its forced stop too")
    # it comes back: a new charger, nothing of the old one
    d.put("/api/v1/chargers/AC1", {})
    ch = d.get("/api/v1/chargers/AC1")[1]
    c.eq((ch["settings"]["phases"], ch["settings"]["maxCurrentA"], ch["connectors"], ch["vendor"]),
         (3, None, [], None), "settings and connectors went")
    c.eq(d.get("/api/v1/chargers/AC1/profiles")[1], [], "profiles went")
    c.eq(d.get("/api/v1/chargers/AC1/configuration")[1], [], "configuration went")
    r = Raw(d.url + "/AC1")
    c.eq(json.loads(r.call(boot_frame()))[2]["status"], "Accepted", "it can connect again")
    r.close()

    # not connected, nothing active: deleted at once (and AC3 by force)
    st, res = d.delete("/api/v1/chargers/AC3?force=true")
    c.eq((st, res["closedTransactions"], res["disconnected"]), (200, [s6["transactionId"]], False),
         "an offline charger forced")
    c.eq(d.get("/api/v1/transactions/%d" % s6["transactionId"])[1]["meterStop"], 0,
         "no meter values: closed at meterStart")
    d.put("/api/v1/chargers/IDLE", {})
    c.eq(d.delete("/api/v1/chargers/IDLE")[0], 200, "an idle charger is deleted without force")
    c.eq(d.delete("/api/v1/chargers/IDLE")[0], 404, "then it is unknown")
    r2.close()
    c.eq(d.stop(), 0, "stop")

    # everything above was committed: a restart shows the same
    d2 = Csmsd(db=d.db, tmp=d.tmp)
    t = d2.get("/api/v1/transactions/%d" % tx1)[1]
    c.eq((t["meterStop"], t["stoppedBy"]), (2750, "admin"), "the admin stop is durable")
    c.eq(d2.get("/api/v1/chargers/AC3")[0], 404, "the delete is durable")
    c.eq(d2.stop(), 0, "stop")
except Exception as e:
    import traceback
    traceback.print_exc()
    c(False, "exception: %r\n%s" % (e, d.logtext()[-3000:]))
    d.kill()
finally:
    d.cleanup()
c.done()
