"""The admin API of the core: chargers (pending, accept, reject, settings),
id tags, transactions with filters and CSV, bearer token, Basic auth of
security profile 1, and OCPP calls to a charger (answer, CALLERROR,
timeout, not connected, bad payload, queueing order)."""
import json
import threading
from harness import Csmsd, Raw, Checks, boot_frame, handshake

c = Checks()
d = Csmsd(unknown_chargers="pending", call_timeout=2, admin_token="s3cret")
try:
    c.eq(d.get("/api/v1/chargers", token="")[0], 401, "no token: 401")
    c.eq(d.get("/api/v1/chargers", token="wrong")[0], 401, "wrong token: 401")
    c.eq(d.get("/api/v1/health"), (200, {"status": "ok"}), "health")
    c.eq(d.get("/api/v1/nothing")[0], 404, "unknown path 404")
    st, body = d.get("/api/v1/chargers/NOPE")
    c.eq(st, 404, "unknown charger 404")
    c("error" in body and "code" in body["error"] and "description" in body["error"], "error shape")

    # A pending charger gets Pending until an admin accepts it.
    r = Raw(d.url + "/CP-A")
    c.eq(json.loads(r.call(boot_frame()))[2]["status"], "Pending", "unknown charger pending")
    hb = json.loads(r.call('[2,"h","Heartbeat",{}]'))
    c(hb[0] == 4 and hb[2] == "SecurityError", "pending charger cannot transact")
    st, ch = d.get("/api/v1/chargers/CP-A")
    c.eq((st, ch["registration"], ch["connected"], ch["vendor"]), (200, "pending", True, "V"), "charger shown pending")
    c.eq(d.post("/api/v1/chargers/CP-A/accept")[1]["registration"], "accepted", "accept")
    c.eq(json.loads(r.call(boot_frame("b2")))[2]["status"], "Accepted", "accepted after admin accept")
    r.call('[2,"s0","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Available"}]')
    st, lst = d.get("/api/v1/chargers")
    c.eq([x["id"] for x in lst], ["CP-A"], "list")
    c.eq(lst[0]["connectors"][0]["status"], "Available", "connector status in list")

    # Id tags: put, get, list, validation, delete.
    c.eq(d.put("/api/v1/id-tags/PARENT", {"status": "Accepted"})[0], 201, "put parent (new: 201)")
    st, t = d.put("/api/v1/id-tags/CARD1", {"status": "Accepted", "expiryDate": "2099-01-01T00:00:00Z",
                                           "parentIdTag": "PARENT", "maxActiveTransactions": 2, "chargers": ["CP-A"]})
    c.eq(st, 201, "put card (new: 201)")
    c.eq((t["parentIdTag"], t["maxActiveTransactions"], t["chargers"]), ("PARENT", 2, ["CP-A"]), "card fields")
    c(t["expiryDate"].startswith("2099-01-01T00:00:00"), "expiry kept")
    for bad, field in [({"status": "Maybe"}, "status"), ({"expiryDate": "tomorrow"}, "expiryDate"),
                       ({"maxActiveTransactions": 0}, "maxActiveTransactions"), ({"colour": "red"}, "colour"),
                       ({"chargers": "CP-A"}, "chargers")]:
        st, e = d.put("/api/v1/id-tags/CARD1", bad)
        c(st == 400 and field in e["error"]["description"], "400 naming %s: %s" % (field, e))
    c.eq(d.request("PUT", "/api/v1/id-tags/CARD1", "{not json")[0], 400, "bad JSON 400")
    c.eq(d.get("/api/v1/id-tags/CARD1")[1]["maxActiveTransactions"], 2, "bad input changed nothing")
    c.eq(d.put("/api/v1/id-tags/BLOCKED", {"status": "Blocked"})[0], 201, "put blocked (new: 201)")
    c.eq(len(d.get("/api/v1/id-tags")[1]), 3, "tag list")

    def authorize(tag):
        return json.loads(r.call(json.dumps([2, "a", "Authorize", {"idTag": tag}])))[2]["idTagInfo"]

    c.eq(authorize("CARD1")["status"], "Accepted", "card accepted")
    c.eq(authorize("CARD1")["parentIdTag"], "PARENT", "parent sent")
    c.eq(authorize("BLOCKED")["status"], "Blocked", "blocked")
    c.eq(authorize("WHO")["status"], "Invalid", "unknown invalid")
    d.put("/api/v1/id-tags/PARENT", {"status": "Blocked"})
    c.eq(authorize("CARD1")["status"], "Blocked", "blocked parent blocks the group")
    d.put("/api/v1/id-tags/PARENT", {"status": "Accepted"})

    # Transactions: start (even refused ones get an id), stop, filters, CSV.
    def start(tag, conn, meter, ts):
        return json.loads(r.call(json.dumps([2, "s", "StartTransaction", {
            "connectorId": conn, "idTag": tag, "meterStart": meter, "timestamp": ts}])))[2]
    s1 = start("CARD1", 1, 0, "2026-05-01T10:00:00Z")
    s2 = start("BLOCKED", 2, 100, "2026-05-02T10:00:00Z")
    c.eq(s1["idTagInfo"]["status"], "Accepted", "start accepted")
    c.eq(s2["idTagInfo"]["status"], "Blocked", "refused start still recorded")
    c(s2["transactionId"] > s1["transactionId"], "refused start gets an id")
    r.call(json.dumps([2, "t", "StopTransaction", {"transactionId": s1["transactionId"], "meterStop": 12345,
                                                   "timestamp": "2026-05-01T12:00:00Z", "idTag": "CARD1"}]))
    c.eq(len(d.get("/api/v1/transactions")[1]), 2, "all transactions")
    c.eq([t["id"] for t in d.get("/api/v1/transactions?active=true")[1]], [s2["transactionId"]], "active filter")
    c.eq([t["id"] for t in d.get("/api/v1/transactions?idTag=CARD1")[1]], [s1["transactionId"]], "idTag filter")
    c.eq(len(d.get("/api/v1/transactions?from=2026-05-02T00:00:00Z")[1]), 1, "from filter")
    c.eq(len(d.get("/api/v1/transactions?to=2026-05-02T00:00:00Z")[1]), 1, "to filter")
    c.eq(len(d.get("/api/v1/transactions?charger=NONE")[1]), 0, "charger filter")
    c.eq(d.get("/api/v1/transactions?active=maybe")[0], 400, "bad filter 400")
    st, csv = d.get("/api/v1/transactions.csv?active=false", raw=True)
    lines = csv.strip().split("\n")
    # issue 12 added cost and pvShare at the end (the contract grows only by adding)
    c.eq(lines[0], "id,charger,connectorId,idTag,start,stop,meterStart,meterStop,energyWh,stopReason,cost,pvShare",
         "CSV header")
    c.eq(lines[1].split(",")[8], "12345", "CSV energy")
    c.eq(d.get("/api/v1/transactions/999")[0], 404, "unknown transaction 404")

    # OCPP calls to the charger.
    c.eq(d.post("/api/v1/chargers/CP-A/ocpp/Reset", {"type": "Sideways"})[0], 400, "schema-invalid payload 400")
    c.eq(d.post("/api/v1/chargers/CP-A/ocpp/Heartbeat", {})[0], 400, "not a CS action 400")
    c.eq(d.post("/api/v1/chargers/NOPE/ocpp/Reset", {"type": "Soft"})[0], 404, "unknown charger 404")
    results = {}

    def admin_call(name, action, payload):
        results[name] = d.post("/api/v1/chargers/CP-A/ocpp/" + action, payload)

    threads = [threading.Thread(target=admin_call, args=("a", "Reset", {"type": "Soft"})),
               threading.Thread(target=admin_call, args=("b", "ClearCache", {})),
               threading.Thread(target=admin_call, args=("c", "UnlockConnector", {"connectorId": 1}))]
    threads[0].start()
    call1 = json.loads(r.line())
    threads[1].start()
    threads[2].start()
    import time
    time.sleep(0.3)
    c.eq((call1[0], call1[2]), (2, "Reset"), "first call sent")
    r.send(json.dumps([3, call1[1], {"status": "Accepted"}]))
    call2 = json.loads(r.line())
    r.send(json.dumps([4, call2[1], "NotSupported", "not here", {"why": "test"}]))
    call3 = json.loads(r.line())
    c.eq(sorted([call2[2], call3[2]]), ["ClearCache", "UnlockConnector"], "queued calls follow one by one")
    # the third is never answered: 504 after call_timeout
    for t in threads:
        t.join(10)
    c.eq(results["a"], (200, {"result": {"status": "Accepted"}}), "answer relayed")
    second = "b" if call2[2] == "ClearCache" else "c"
    third = "c" if second == "b" else "b"
    c.eq(results[second][0], 502, "CALLERROR is 502")
    c.eq(results[second][1]["error"]["code"], "NotSupported", "CALLERROR code relayed")
    c.eq(results[second][1]["error"]["details"], {"why": "test"}, "CALLERROR details relayed")
    c.eq(results[third][0], 504, "timeout is 504")
    r.close()
    import time
    time.sleep(0.3)
    c.eq(d.post("/api/v1/chargers/CP-A/ocpp/Reset", {"type": "Soft"})[0], 409, "not connected 409")

    # Charger settings; provisioning with an AuthorizationKey; reject.
    st, e = d.put("/api/v1/chargers/CP-A", {"phases": 2})
    c(st == 400 and "phases" in e["error"]["description"], "bad setting names field")
    st, ch = d.put("/api/v1/chargers/CP-A", {"phases": 1, "gridPhase": 2, "maxCurrentA": 16, "chargingMode": "pv"})
    c.eq((st, ch["settings"]["phases"], ch["settings"]["gridPhase"], ch["settings"]["maxCurrentA"],
          ch["settings"]["chargingMode"]), (200, 1, 2, 16, "pv"), "settings stored")
    c.eq(d.post("/api/v1/chargers/CP-A/reject")[1]["registration"], "rejected", "reject")
    c.eq(d.stop(), 0, "stop")
except Exception as e:
    import traceback
    traceback.print_exc()
    c(False, "exception: %r\n%s" % (e, d.logtext()))
    d.kill()
finally:
    d.cleanup()

# Security profile 1: Basic auth with the charger's AuthorizationKey.
d = Csmsd(security_profile=1, unknown_chargers="accept")
try:
    c.eq(d.put("/api/v1/chargers/CP-S", {"authorizationKey": "0123456789abcdef"})[0], 201, "provision key (new: 201)")
    c.eq(handshake(d.ws_port, "/ocpp/CP-S"), 0, "no credentials refused")
    c.eq(handshake(d.ws_port, "/ocpp/CP-S", auth="CP-S:wrongwrongwrong"), 0, "wrong password refused")
    c.eq(handshake(d.ws_port, "/ocpp/CP-S", auth="CP-X:0123456789abcdef"), 0, "wrong user refused")
    c.eq(handshake(d.ws_port, "/ocpp/CP-S", auth="CP-S:0123456789abcdef"), 101, "right key accepted")
    st, ch = d.get("/api/v1/chargers/CP-S")
    c("0123456789abcdef" not in json.dumps(ch) and ch["settings"]["authorizationKeySet"], "key never shown")
    c.eq(d.stop(), 0, "stop")
finally:
    d.cleanup()
c.done()
