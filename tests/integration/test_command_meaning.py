"""CS-initiated calls against a scripted charger (cpsim raw): the generic
route's errors (not connected, invalid payload, CALLERROR, timeout), calls
queued in order behind the one in flight, and what the answers mean:
reservations used by StartTransaction (by id and on connector 0) and
expired by time, local list versions with Full and Differential updates
computed from the id-tag table, charging profiles kept, cleared and
re-installed after a new boot, a refused profile as an alarm, availability.
Every call is in the audit table with its outcome."""
import json
import threading
import time
from datetime import datetime, timedelta, timezone
from harness import Csmsd, Raw, Checks, boot_frame

c = Checks()


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def now_plus(s):
    return iso(datetime.now(timezone.utc) + timedelta(seconds=s))


class Admin:
    """An admin call in a thread: the raw charger answers meanwhile."""

    def __init__(self, d, cp, action, payload):
        self.res = None
        self.t = threading.Thread(target=self.run, args=(d, "/api/v1/chargers/%s/ocpp/%s" % (cp, action), payload))
        self.t.start()

    def run(self, d, path, payload):
        self.res = d.post(path, payload)

    def wait(self):
        self.t.join(30)
        return self.res


def next_call(r, timeout=10):
    """The next CALL the charger receives (skipping nothing else: the raw
    charger sends only what the test sends)."""
    while True:
        l = r.line(timeout)
        if l.startswith("#"):
            continue
        f = json.loads(l)
        if f[0] == 2:
            return f


def call(d, r, cp, action, payload, answer):
    """One admin call answered by the charger with answer (a payload, or a
    CALLERROR tuple); returns (HTTP status, body, the CALL received)."""
    a = Admin(d, cp, action, payload)
    f = next_call(r)
    if isinstance(answer, tuple):
        r.send(json.dumps([4, f[1], answer[0], answer[1], answer[2]]))
    else:
        r.send(json.dumps([3, f[1], answer]))
    st, body = a.wait()
    return st, body, f


def ocpp(r, mid, action, payload):
    return json.loads(r.call(json.dumps([2, mid, action, payload])))


d = Csmsd(unknown_chargers="accept", unknown_id_tags="accept", max_active_tx=100, call_timeout=2)
try:
    r = Raw(d.url + "/RM1")
    c.eq(json.loads(r.call(boot_frame()))[2]["status"], "Accepted", "boot")

    # ---- the generic route's errors
    c.eq(d.post("/api/v1/chargers/RM1/ocpp/ReserveNow", {"connectorId": 1})[0], 400, "invalid payload 400")
    c.eq(d.post("/api/v1/chargers/RM1/ocpp/NoSuchAction", {})[0], 400, "unknown action 400")
    d.put("/api/v1/chargers/GHOST", {"phases": 1})
    c.eq(d.post("/api/v1/chargers/GHOST/ocpp/ClearCache", {})[0], 409, "not connected 409")
    st, body, f = call(d, r, "RM1", "ClearCache", {}, ("NotSupported", "not here", {"why": "test"}))
    c.eq((st, body["error"]["code"], body["error"]["details"]), (502, "NotSupported", {"why": "test"}),
         "CALLERROR relayed as 502")
    a = Admin(d, "RM1", "UnlockConnector", {"connectorId": 1})
    f = next_call(r)
    c.eq(a.wait()[0], 504, "no answer: 504 after call_timeout")
    r.send(json.dumps([3, f[1], {"status": "Unlocked"}]))   # too late: ignored

    # ---- queued in order behind the one in flight
    first = Admin(d, "RM1", "Reset", {"type": "Soft"})
    f1 = next_call(r)
    later = []
    for i in range(3):
        later.append(Admin(d, "RM1", "DataTransfer", {"vendorId": "q", "messageId": "m%d" % i}))
        time.sleep(0.15)    # admitted in this order
    time.sleep(0.3)
    c.eq([l for l in r.poll() if not l.startswith("#")], [], "nothing else sent while a call is in flight")
    st, text = d.get("/metrics", raw=True)
    c("csms_cs_calls_queued 3" in text and "csms_cs_calls_in_flight 1" in text, "queue depth in /metrics")
    diag = {x["id"]: x for x in d.get("/api/v1/diagnosis")[1]["chargers"]}
    c.eq((diag["RM1"]["queuedCalls"], diag["RM1"]["callInFlight"]), (3, "Reset"), "queue in the diagnosis")
    r.send(json.dumps([3, f1[1], {"status": "Accepted"}]))
    order = []
    for i in range(3):
        f = next_call(r)
        order.append(f[3]["messageId"])
        r.send(json.dumps([3, f[1], {"status": "Accepted", "data": f[3]["messageId"]}]))
    c.eq(order, ["m0", "m1", "m2"], "queued calls sent in the order they were asked")
    c.eq(first.wait(), (200, {"result": {"status": "Accepted"}}), "first answered")
    c.eq([l.wait()[1]["result"]["data"] for l in later], ["m0", "m1", "m2"], "each got its own answer")

    # ---- reservations
    st, body, f = call(d, r, "RM1", "ReserveNow", {"connectorId": 1, "expiryDate": now_plus(60), "idTag": "RT1",
                                                  "reservationId": 11}, {"status": "Accepted"})
    c.eq(st, 200, "ReserveNow")
    call(d, r, "RM1", "ReserveNow", {"connectorId": 2, "expiryDate": now_plus(60), "idTag": "RTX",
                                     "reservationId": 10}, {"status": "Occupied"})
    call(d, r, "RM1", "ReserveNow", {"connectorId": 0, "expiryDate": now_plus(60), "idTag": "RT2",
                                     "reservationId": 12}, {"status": "Accepted"})
    call(d, r, "RM1", "ReserveNow", {"connectorId": 2, "expiryDate": now_plus(1.5), "idTag": "RT3",
                                     "reservationId": 13}, {"status": "Accepted"})
    st, act = d.get("/api/v1/reservations?active=true")
    c.eq(sorted(x["reservationId"] for x in act), [11, 12, 13], "accepted reservations kept, an Occupied one not")
    s1 = ocpp(r, "st1", "StartTransaction", {"connectorId": 1, "idTag": "RT1", "meterStart": 0, "reservationId": 11,
                                             "timestamp": now_plus(0)})
    s2 = ocpp(r, "st2", "StartTransaction", {"connectorId": 2, "idTag": "RT2", "meterStart": 0,
                                             "timestamp": now_plus(0)})
    res = {x["reservationId"]: x for x in d.get("/api/v1/reservations?charger=RM1")[1]}
    c.eq((res[11]["status"], res[11]["transactionId"]), ("Used", s1[2]["transactionId"]),
         "StartTransaction with the reservationId used it")
    c.eq((res[12]["status"], res[12]["transactionId"]), ("Used", s2[2]["transactionId"]),
         "a connector-0 reservation used by its idTag on any connector")
    c.eq(res[13]["status"], "Reserved", "the other one still reserved")
    time.sleep(2.6)
    res = {x["reservationId"]: x for x in d.get("/api/v1/reservations?charger=RM1")[1]}
    c.eq(res[13]["status"], "Expired", "expired by time")
    c.eq(d.get("/api/v1/reservations?active=true")[1], [], "no active reservation left")
    c.eq(d.get("/api/v1/reservations?active=maybe")[0], 400, "bad filter 400")
    call(d, r, "RM1", "ReserveNow", {"connectorId": 1, "expiryDate": now_plus(60), "idTag": "RT4",
                                     "reservationId": 14}, {"status": "Accepted"})
    call(d, r, "RM1", "CancelReservation", {"reservationId": 14}, {"status": "Accepted"})
    res = {x["reservationId"]: x for x in d.get("/api/v1/reservations?charger=RM1")[1]}
    c.eq(res[14]["status"], "Cancelled", "cancelled")

    # ---- local lists from the id-tag table
    for tag, body in (("A1", {}), ("A2", {}), ("B1", {"chargers": ["RM1"]}), ("C1", {"chargers": ["OTHER"]})):
        d.put("/api/v1/id-tags/" + tag, body)
    a = threading.Thread(target=lambda: setattr(a, "res", d.post("/api/v1/chargers/RM1/local-list",
                                                                 {"updateType": "Full"})))
    a.start()
    f = next_call(r)
    c.eq((f[2], f[3]["updateType"], f[3]["listVersion"]), ("SendLocalList", "Full", 4), "Full list, table version 4")
    c.eq([e["idTag"] for e in f[3]["localAuthorizationList"]], ["A1", "A2", "B1"],
         "unbound tags and tags bound to this charger, not others'")
    c.eq(f[3]["localAuthorizationList"][0]["idTagInfo"], {"status": "Accepted"}, "entry form")
    r.send(json.dumps([3, f[1], {"status": "Accepted"}]))
    a.join(10)
    c.eq((a.res[0], a.res[1]["result"], a.res[1]["listVersion"], a.res[1]["entries"]),
         (200, {"status": "Accepted"}, 4, 3), "answer of the local-list route")
    ll = d.get("/api/v1/chargers/RM1/local-list")[1]
    c.eq((ll["version"], ll["upToDate"], len(ll["entries"])), (4, True, 3), "what the charger holds")
    d.put("/api/v1/id-tags/A1", {"status": "Blocked"})
    d.delete("/api/v1/id-tags/A2")
    d.put("/api/v1/id-tags/D1", {"expiryDate": "2099-01-01T00:00:00Z"})
    c.eq(d.get("/api/v1/chargers/RM1/local-list")[1]["upToDate"], False, "out of date after tag changes")

    def send_list(kind, answer):
        a = threading.Thread(target=lambda: setattr(a, "res", d.post("/api/v1/chargers/RM1/local-list",
                                                                     {"updateType": kind})))
        a.start()
        f = next_call(r)
        r.send(json.dumps([3, f[1], {"status": answer}]))
        a.join(10)
        return f[3], a.res
    req, res = send_list("Differential", "Accepted")
    c.eq((req["updateType"], req["listVersion"]), ("Differential", 7), "Differential, table version 7")
    c.eq(sorted((e["idTag"], e.get("idTagInfo", {}).get("status")) for e in req["localAuthorizationList"]),
         [("A1", "Blocked"), ("A2", None), ("D1", "Accepted")], "only the changes; a removed tag without idTagInfo")
    c(req["localAuthorizationList"][[e["idTag"] for e in req["localAuthorizationList"]].index("D1")]
      ["idTagInfo"]["expiryDate"].startswith("2099-01-01"), "expiry sent")
    c.eq((res[1]["entries"], res[1]["removed"]), (2, 1), "counts in the answer")
    ll = d.get("/api/v1/chargers/RM1/local-list")[1]
    c.eq(([e["idTag"] for e in ll["entries"]], ll["version"], ll["upToDate"]), (["A1", "B1", "D1"], 7, True),
         "the charger's list after the differential update")
    req, res = send_list("Differential", "VersionMismatch")
    c.eq((req["listVersion"], req["localAuthorizationList"]), (8, []), "nothing changed: empty, version above held")
    c.eq((res[0], res[1]["result"]["status"]), (200, "VersionMismatch"), "refusal relayed")
    c.eq(d.get("/api/v1/chargers/RM1/local-list")[1]["version"], 7, "a refused update changes nothing")
    call(d, r, "RM1", "GetLocalListVersion", {}, {"listVersion": 7})
    c.eq(d.get("/api/v1/chargers/RM1/local-list")[1]["reportedVersion"], 7, "reported version kept")
    c.eq(d.post("/api/v1/chargers/RM1/local-list", {"updateType": "Half"})[0], 400, "bad updateType 400")
    c.eq(d.post("/api/v1/chargers/GHOST/local-list", {"updateType": "Full"})[0], 409, "local list: not connected")

    # ---- charging profiles
    def prof(pid, purpose, level, **kw):
        p = {"chargingProfileId": pid, "stackLevel": level, "chargingProfilePurpose": purpose,
             "chargingProfileKind": "Relative",
             "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10}]}}
        p.update(kw)
        return p
    call(d, r, "RM1", "SetChargingProfile", {"connectorId": 1, "csChargingProfiles": prof(5, "TxDefaultProfile", 1)},
         {"status": "Accepted"})
    call(d, r, "RM1", "SetChargingProfile",
         {"connectorId": 1, "csChargingProfiles": prof(6, "TxProfile", 2, transactionId=s1[2]["transactionId"])},
         {"status": "Accepted"})
    call(d, r, "RM1", "SetChargingProfile", {"connectorId": 2, "csChargingProfiles": prof(7, "TxDefaultProfile", 3)},
         {"status": "Rejected"})
    al = [x for x in d.get("/api/v1/alarms?active=true")[1] if x["source"] == "chargingProfile"]
    c(len(al) == 1 and al[0]["code"] == "Rejected" and al[0]["connectorId"] == 2 and al[0]["charger"] == "RM1",
      "refused profile raises an alarm: %s" % al)
    call(d, r, "RM1", "SetChargingProfile", {"connectorId": 2, "csChargingProfiles": prof(7, "TxDefaultProfile", 3)},
         {"status": "Accepted"})
    c.eq([x for x in d.get("/api/v1/alarms?active=true")[1] if x["source"] == "chargingProfile"], [],
         "accepted later: alarm cleared")
    call(d, r, "RM1", "SetChargingProfile", {"connectorId": 1, "csChargingProfiles": prof(8, "TxDefaultProfile", 1)},
         {"status": "Accepted"})
    ids = sorted(p["chargingProfileId"] for p in d.get("/api/v1/chargers/RM1/profiles")[1])
    c.eq(ids, [6, 7, 8], "same purpose and stack level on a connector replaces (5 -> 8)")
    call(d, r, "RM1", "ClearChargingProfile", {"id": 7}, {"status": "Accepted"})
    call(d, r, "RM1", "ClearChargingProfile", {"chargingProfilePurpose": "TxDefaultProfile"}, {"status": "Unknown"})
    ids = sorted(p["chargingProfileId"] for p in d.get("/api/v1/chargers/RM1/profiles")[1])
    c.eq(ids, [6, 8], "cleared by id; an Unknown answer clears nothing")
    ocpp(r, "sp1", "StopTransaction", {"transactionId": s1[2]["transactionId"], "meterStop": 10,
                                       "timestamp": now_plus(0)})
    ids = sorted(p["chargingProfileId"] for p in d.get("/api/v1/chargers/RM1/profiles")[1])
    c.eq(ids, [8], "a TxProfile ends with its transaction")
    # configuration: what needs a reboot is in force after the next boot
    call(d, r, "RM1", "GetConfiguration", {"key": ["HeartbeatInterval"]},
         {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]})
    call(d, r, "RM1", "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "600"}, {"status": "RebootRequired"})
    call(d, r, "RM1", "ChangeConfiguration", {"key": "Locked", "value": "1"}, {"status": "Rejected"})
    cfg = {k["key"]: k for k in d.get("/api/v1/chargers/RM1/configuration")[1]}
    c.eq((cfg["HeartbeatInterval"]["value"], cfg["HeartbeatInterval"]["status"],
          cfg["HeartbeatInterval"]["requestedValue"]), ("300", "RebootRequired", "600"), "RebootRequired kept")
    c.eq((cfg["Locked"]["value"], cfg["Locked"]["status"]), (None, "Rejected"), "Rejected kept")
    # a new boot: the profiles are sent again, after the boot's answer
    r.send(boot_frame("b2"))
    got = []
    for _ in range(2):
        f = json.loads(r.line(5))
        got.append(f)
        if f[0] == 2:
            r.send(json.dumps([3, f[1], {"status": "Accepted"}]))
    c.eq(got[0][:2], [3, "b2"], "boot answered first")
    c.eq((got[1][2], got[1][3]["csChargingProfiles"]["chargingProfileId"], got[1][3]["connectorId"]),
         ("SetChargingProfile", 8, 1), "the stored profile re-installed after the boot")
    time.sleep(0.3)
    rows = d.get("/api/v1/audit?charger=RM1&action=SetChargingProfile&limit=1")[1]
    c.eq((rows[0]["source"], rows[0]["outcome"]), ("csms", "result"), "the re-install is audited")
    cfg = {k["key"]: k for k in d.get("/api/v1/chargers/RM1/configuration")[1]}
    c.eq((cfg["HeartbeatInterval"]["value"], cfg["HeartbeatInterval"]["status"]), ("600", "Accepted"),
         "after the boot the new value is in force")

    # ---- availability
    call(d, r, "RM1", "ChangeAvailability", {"connectorId": 2, "type": "Inoperative"}, {"status": "Accepted"})
    call(d, r, "RM1", "ChangeAvailability", {"connectorId": 0, "type": "Inoperative"}, {"status": "Scheduled"})
    av = {x["connectorId"]: x for x in d.get("/api/v1/chargers/RM1")[1]["availability"]}
    c.eq((av[0]["type"], av[0]["status"], av[2]["type"]), ("Inoperative", "Scheduled", "Inoperative"),
         "availability per connector; connector 0 is the whole charger")

    # ---- audit outcomes
    rows = d.get("/api/v1/audit?charger=RM1&limit=1000")[1]
    by = {}
    for x in rows:
        by.setdefault((x["action"], x["outcome"]), x)
    c(("ClearCache", "error") in by and by[("ClearCache", "error")]["error"]["code"] == "NotSupported",
      "CALLERROR audited with its code")
    c(("UnlockConnector", "timeout") in by and by[("UnlockConnector", "timeout")]["latencyMs"] is None,
      "timeout audited")
    c.eq(sum(1 for x in rows if x["action"] == "DataTransfer"), 3, "each queued call audited")
    c(all(x["source"] == "admin" for x in rows if x["action"] == "ReserveNow"), "admin calls say so")
    c(not any(x["action"] == "ReserveNow" and x["request"] == {"connectorId": 1} for x in rows),
      "an invalid payload is not sent, not audited")
    r.close()
    c.eq(d.stop(), 0, "stop")
except Exception as e:
    import traceback
    traceback.print_exc()
    c(False, "exception: %r\n%s" % (e, d.logtext()[-3000:]))
    d.kill()
finally:
    d.cleanup()
c.done()
