"""Malformed frames get the right CALLERROR; the connection and the stored
data survive them. Also: subprotocol required, id from the path."""
import json
from harness import Csmsd, Raw, Checks, boot_frame, handshake

c = Checks()
d = Csmsd(unknown_chargers="accept", max_frame=8192)
try:
    r = Raw(d.url + "/CP-MAL")
    c.eq(r.first, "#connected", "handshake")
    c(json.loads(r.call(boot_frame()))[2]["status"] == "Accepted", "boot accepted")
    start = json.loads(r.call(json.dumps([2, "s1", "StartTransaction", {
        "connectorId": 1, "idTag": "T1", "meterStart": 1000, "timestamp": "2026-01-01T10:00:00Z"}])))
    txid = start[2]["transactionId"]

    cases = [
        ("not json", "not json at all", "-1", "FormationViolation"),
        ("broken json, id recoverable", '[2,"m1","Heartbeat",{', "m1", "FormationViolation"),
        ("object, not array", '{"a":1}', "-1", "FormationViolation"),
        ("payload not object", '[2,"m2","Heartbeat",[]]', "m2", "FormationViolation"),
        ("bad message type", '[7,"m3","Heartbeat",{}]', "m3", "ProtocolError"),
        ("unknown action", '[2,"m4","Teleport",{}]', "m4", "NotImplemented"),
        ("CS action from CP", '[2,"m5","RemoteStartTransaction",{"idTag":"A"}]', "m5", "NotSupported"),
        ("wrong type", '[2,"m6","StatusNotification",{"connectorId":"1","errorCode":"NoError","status":"Available"}]',
         "m6", "TypeConstraintViolation"),
        ("missing field", '[2,"m7","StatusNotification",{"connectorId":1,"status":"Available"}]',
         "m7", "OccurenceConstraintViolation"),
        ("enum violated", '[2,"m8","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Sleeping"}]',
         "m8", "PropertyConstraintViolation"),
        ("extra field", '[2,"m9","Heartbeat",{"x":1}]', "m9", "FormationViolation"),
        ("bad date-time", '[2,"m10","MeterValues",{"connectorId":1,"meterValue":[{"timestamp":"yesterday","sampledValue":[{"value":"1"}]}]}]',
         "m10", "PropertyConstraintViolation"),
        ("deep wrong type", '[2,"m11","MeterValues",{"connectorId":1,"meterValue":[{"timestamp":"2026-01-01T10:00:00Z","sampledValue":[{"value":5}]}]}]',
         "m11", "TypeConstraintViolation"),
    ]
    for what, frame, mid, code in cases:
        ans = r.call(frame)
        try:
            a = json.loads(ans)
            c(a[0] == 4 and a[1] == mid and a[2] == code, "%s: got %s" % (what, ans))
        except ValueError:
            c(False, "%s: answer is not JSON: %s" % (what, ans))

    # A frame over max_frame: CALLERROR with its id, connection stays.
    big = '[2,"huge","DataTransfer",{"vendorId":"x","data":"' + "A" * 20000 + '"}]'
    a = json.loads(r.call(big))
    c(a[0] == 4 and a[1] == "huge" and a[2] == "FormationViolation", "huge frame: %s" % a[:3])

    # The connection survived everything: a normal message still works.
    hb = json.loads(r.call('[2,"ok1","Heartbeat",{}]'))
    c(hb[0] == 3 and hb[1] == "ok1" and "currentTime" in hb[2], "heartbeat after garbage")
    stop = json.loads(r.call(json.dumps([2, "t1", "StopTransaction", {
        "transactionId": txid, "meterStop": 4000, "timestamp": "2026-01-01T11:00:00Z"}])))
    c(stop[0] == 3, "stop after garbage")
    r.close()
    st, tx = d.get("/api/v1/transactions/%d" % txid)
    c.eq(st, 200, "transaction readable")
    c.eq(tx["energyWh"], 3000, "stored energy intact")
    st, txs = d.get("/api/v1/transactions")
    c.eq(len(txs), 1, "no stray transaction from the garbage")

    # Handshake rules.
    r2 = Raw(d.url + "/CP-NOPROTO", "--no-subprotocol")
    c(r2.first.startswith("#refused"), "no subprotocol refused: " + r2.first)
    r2.close()
    c.eq(handshake(d.ws_port, "/ocpp/"), 400, "empty id refused")
    c.eq(handshake(d.ws_port, "/ocpp/" + "X" * 49), 400, "49-character id refused")
    c.eq(handshake(d.ws_port, "/ocpp/" + "X" * 48), 101, "48-character id accepted")
    c.eq(handshake(d.ws_port, "/ocpp/CPZ", protocol="ocpp2.0.1"), 0, "other subprotocol refused")
    c.eq(handshake(d.ws_port, "/ocpp/CPZ", protocol="ocpp2.0.1, ocpp1.6"), 101, "ocpp1.6 among others")
    r4 = Raw("ws://127.0.0.1:%d/some/prefix/CP%%20SPACE" % d.ws_port)
    c.eq(r4.first, "#connected", "percent-encoded id")
    r4.call(boot_frame())
    r4.close()
    st, ch = d.get("/api/v1/chargers/CP%20SPACE")
    c.eq(st, 200, "id percent-decoded")
    c.eq(d.stop(), 0, "clean exit on SIGTERM")
except Exception as e:
    c(False, "exception: %r\n%s" % (e, d.logtext()))
    d.kill()
finally:
    d.cleanup()
c.done()
