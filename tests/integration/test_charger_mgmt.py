"""Charger management as the manual's charger settings describe: settings
stored and returned; the "Authorization" switch end to end (off: any card
is Accepted at Authorize, the transaction is recorded under the free idTag,
a remote start needs no card); card binding (a card bound to some chargers
is Invalid on the others, an unbound one works everywhere its status
allows); "Real Time Info": the latest measurements per connector after
MeterValues, with their time."""
import json
import threading
from harness import Csmsd, Raw, Checks, boot_frame

c = Checks()


def answer_calls(r, f):
    """A CALL of ours may come first on a slow machine (DLM's profile):
    answer it and read on. Returns the next frame that is not a CALL."""
    while f[0] == 2:
        r.send(json.dumps([3, f[1], {} if f[2] == "GetConfiguration" else {"status": "Accepted"}]))
        f = json.loads(r.line(10))
    return f


def authorize(r, tag):
    f = answer_calls(r, json.loads(r.call(json.dumps([2, "a-" + tag, "Authorize", {"idTag": tag}]))))
    return f[2]["idTagInfo"]["status"]


d = Csmsd(unknown_chargers="accept")
try:
    st, ch = d.put("/api/v1/chargers/CM1", {"authorizationRequired": False, "freeIdTag": "HOUSE", "phases": 1,
                                            "gridPhase": 2, "maxCurrentA": 16, "chargingMode": "pv"})
    c.eq(st, 201, "settings of a charger provisioned before it connects (created: 201)")
    s = d.get("/api/v1/chargers/CM1")[1]["settings"]
    c.eq((s["authorizationRequired"], s["freeIdTag"], s["phases"], s["gridPhase"], s["maxCurrentA"],
          s["chargingMode"]), (False, "HOUSE", 1, 2, 16, "pv"), "settings returned")
    c.eq(d.put("/api/v1/chargers/CM1", {"gridPhase": 4})[0], 400, "bad gridPhase 400")
    c.eq(d.put("/api/v1/chargers/CM1", {"freeIdTag": ""})[0], 400, "empty freeIdTag 400")
    c.eq(d.get("/api/v1/chargers/CM1")[1]["settings"]["gridPhase"], 2, "a refused change changes nothing")

    r1 = Raw(d.url + "/CM1")
    r1.call(boot_frame())
    d.put("/api/v1/id-tags/BLOCKED", {"status": "Blocked"})
    # switch off: any card, even unknown or blocked
    c.eq(authorize(r1, "NOBODY"), "Accepted", "switch off: an unknown card is Accepted")
    c.eq(authorize(r1, "BLOCKED"), "Accepted", "switch off: any card is Accepted")
    s1 = answer_calls(r1, json.loads(r1.call(json.dumps([2, "st1", "StartTransaction", {
        "connectorId": 1, "idTag": "NOBODY", "meterStart": 100, "timestamp": "2026-03-01T10:00:00Z"}]))))[2]
    c.eq(s1["idTagInfo"]["status"], "Accepted", "switch off: start accepted")
    tx = d.get("/api/v1/transactions/%d" % s1["transactionId"])[1]
    c.eq(tx["idTag"], "HOUSE", "the transaction is recorded under the free idTag")
    # a remote start without a card
    res = {}
    t = threading.Thread(target=lambda: res.setdefault("r", d.post("/api/v1/chargers/CM1/ocpp/RemoteStartTransaction",
                                                                   {"connectorId": 2})))
    t.start()
    f = r1.past_dlm(json.loads(r1.line(10)))
    c.eq((f[2], f[3]), ("RemoteStartTransaction", {"connectorId": 2, "idTag": "HOUSE"}),
         "remote start without a card carries the free idTag")
    r1.send(json.dumps([3, f[1], {"status": "Accepted"}]))
    t.join(10)
    c.eq(res["r"], (200, {"result": {"status": "Accepted"}}), "remote start answered")
    # switch on again
    d.put("/api/v1/chargers/CM1", {"authorizationRequired": True})
    c.eq(authorize(r1, "NOBODY"), "Invalid", "switch on: an unknown card is Invalid")
    c.eq(authorize(r1, "BLOCKED"), "Blocked", "switch on: a blocked card is Blocked")
    c.eq(d.post("/api/v1/chargers/CM1/ocpp/RemoteStartTransaction", {"connectorId": 2})[0], 400,
         "switch on: a remote start needs an idTag")

    # card binding
    r2 = Raw(d.url + "/CM2")
    r2.call(boot_frame())
    d.put("/api/v1/id-tags/BOUND", {"chargers": ["CM1"]})
    d.put("/api/v1/id-tags/FREE1", {})
    c.eq(authorize(r1, "BOUND"), "Accepted", "a bound card works on its charger")
    c.eq(authorize(r2, "BOUND"), "Invalid", "and is Invalid on another")
    c.eq((authorize(r1, "FREE1"), authorize(r2, "FREE1")), ("Accepted", "Accepted"), "an unbound card works anywhere")
    s2 = answer_calls(r2, json.loads(r2.call(json.dumps([2, "st2", "StartTransaction", {
        "connectorId": 1, "idTag": "BOUND", "meterStart": 0, "timestamp": "2026-03-01T11:00:00Z"}]))))[2]
    c.eq(s2["idTagInfo"]["status"], "Invalid", "a start with a card bound elsewhere is Invalid (still recorded)")

    # real time info
    mv = {"connectorId": 1, "transactionId": s1["transactionId"], "meterValue": [{
        "timestamp": "2026-03-01T10:05:00Z", "sampledValue": [
            {"value": "1234", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
            {"value": "7.2", "measurand": "Power.Active.Import", "unit": "kW"},
            {"value": "10.5", "measurand": "Current.Import", "phase": "L1", "unit": "A"},
            {"value": "10.4", "measurand": "Current.Import", "phase": "L2", "unit": "A"},
            {"value": "10.3", "measurand": "Current.Import", "phase": "L3", "unit": "A"},
            {"value": "230.1", "measurand": "Voltage", "phase": "L1-N", "unit": "V"},
            {"value": "231.2", "measurand": "Voltage", "phase": "L2-N", "unit": "V"},
            {"value": "229.3", "measurand": "Voltage", "phase": "L3-N", "unit": "V"},
            {"value": "64", "measurand": "SoC", "unit": "Percent"},
            {"value": "41.5", "measurand": "Temperature", "unit": "Celsius"}]}]}
    c.eq(answer_calls(r1, json.loads(r1.call(json.dumps([2, "mv1", "MeterValues", mv]))))[0], 3,
         "MeterValues answered")
    live = {x["connectorId"]: x for x in d.get("/api/v1/chargers/CM1")[1]["live"]}
    l1 = live.get(1, {})
    c.eq((l1.get("energyWh"), l1.get("powerW"), l1.get("currentA"), l1.get("voltageV"), l1.get("socPct"),
          l1.get("temperatureC")), (1234, 7200, [10.5, 10.4, 10.3], [230.1, 231.2, 229.3], 64, 41.5),
         "live values per connector")
    c(l1.get("time", "").startswith("2026-03-01T10:05:00"), "with their time: %s" % l1.get("time"))
    mv["meterValue"][0]["timestamp"] = "2026-03-01T10:06:00Z"
    mv["meterValue"][0]["sampledValue"] = [{"value": "1300", "measurand": "Energy.Active.Import.Register"}]
    answer_calls(r1, json.loads(r1.call(json.dumps([2, "mv2", "MeterValues", mv]))))
    l1 = {x["connectorId"]: x for x in d.get("/api/v1/chargers/CM1")[1]["live"]}[1]
    c.eq((l1["energyWh"], l1["time"][:19]), (1300, "2026-03-01T10:06:00"), "the latest value wins")
    c.eq(d.get("/api/v1/chargers/CM2")[1]["live"], [], "no measurement, no live entry")
    r1.close()
    r2.close()
    c.eq(d.stop(), 0, "stop")
except Exception as e:
    import traceback
    traceback.print_exc()
    c(False, "exception: %r\n%s" % (e, d.logtext()[-3000:]))
    d.kill()
finally:
    d.cleanup()
c.done()
