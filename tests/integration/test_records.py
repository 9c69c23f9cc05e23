"""Records that stay exact over retries and restarts (issue 9, items 9-11).
csmsd is stopped mid-transaction (SIGTERM, then SIGKILL) and started again
on the same database:
- a MeterValues sent again (its answer was lost) is stored once;
- the stop's transactionData lands on the transaction's connector, and a
  retried StopTransaction stores it no second time;
- a TxProfile of the stopped transaction is gone from the profile list;
- with DLM on, a connector that was charging gets a non-zero limit right
  after the restart, with no new StatusNotification."""
import json
import signal
import threading
import time
from harness import Csmsd, Raw, Checks, boot_frame, free_port

c = Checks()


def answer_calls(r, answer, until, want=None, timeout=8.0):
    """Answers every CALL from csmsd with answer; returns the first CALL of
    action want (None when none came within timeout)."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        if until is not None:
            until()
        for line in r.poll():
            if line.startswith("[2"):
                f = json.loads(line)
                r.send(json.dumps([3, f[1], answer]))
                if want and f[2] == want:
                    return f
        time.sleep(0.05)
    return None


def limit_of(f):
    return f[3]["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"]


def restart(d, sig, **settings):
    if sig == signal.SIGTERM:
        c.eq(d.stop(), 0, "SIGTERM exits 0")
    else:
        d.kill()
    return Csmsd(ws_port=d.ws_port, admin_port=d.admin_port, db=d.db, tmp=d.tmp, **settings)


def records(d):
    for round_, sig in enumerate((signal.SIGTERM, signal.SIGKILL)):
        cp = "CP-REC%d" % round_
        r = Raw(d.url + "/" + cp)
        r.call(boot_frame())
        r.call(json.dumps([2, "sn", "StatusNotification", {"connectorId": 2, "errorCode": "NoError",
                                                            "status": "Charging"}]))
        start = [2, "s1", "StartTransaction", {"connectorId": 2, "idTag": "T", "meterStart": 1000,
                                               "timestamp": "2026-03-01T08:00:0%dZ" % round_}]
        tx = json.loads(r.call(json.dumps(start)))[2]["transactionId"]
        # A TxProfile for this transaction, installed by an admin.
        prof = {"connectorId": 2, "csChargingProfiles": {
            "chargingProfileId": 40 + round_, "stackLevel": 1, "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Relative", "transactionId": tx, "chargingSchedule": {
                "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]}}}
        res = {}
        t = threading.Thread(target=lambda: res.update(
            r=d.post("/api/v1/chargers/%s/ocpp/SetChargingProfile" % cp, prof)))
        t.start()
        answer_calls(r, {"status": "Accepted"}, None, "SetChargingProfile")
        t.join(10)
        c.eq(res.get("r", (0,))[0], 200, "TxProfile installed")
        c.eq([p["chargingProfileId"] for p in d.get("/api/v1/chargers/%s/profiles" % cp)[1]], [40 + round_],
             "TxProfile listed")
        # The same MeterValues twice: the charger did not get our first answer.
        mv = json.dumps([2, "mv1", "MeterValues", {"connectorId": 2, "transactionId": tx, "meterValue": [
            {"timestamp": "2026-03-01T08:10:00Z", "sampledValue": [
                {"value": "1600", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]},
            {"timestamp": "2026-03-01T08:11:00Z", "sampledValue": [
                {"value": "1700", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}]}])
        c.eq(json.loads(r.call(mv))[0], 3, "meter values acknowledged")
        d = restart(d, sig, unknown_chargers="accept")
        ev = r.line(10)
        c(ev.startswith("#closed"), "charger saw the connection close: " + ev)
        r.close()
        r = Raw(d.url + "/" + cp)
        c.eq(r.first, "#connected", "charger reconnects")
        c.eq(json.loads(r.call(mv))[0], 3, "meter values sent again after the restart acknowledged")
        stop = json.dumps([2, "t1", "StopTransaction", {
            "transactionId": tx, "meterStop": 3500, "timestamp": "2026-03-01T09:00:00Z", "reason": "EVDisconnected",
            "transactionData": [
                {"timestamp": "2026-03-01T08:00:00Z", "sampledValue": [
                    {"value": "1000", "measurand": "Energy.Active.Import.Register", "context": "Transaction.Begin"}]},
                {"timestamp": "2026-03-01T09:00:00Z", "sampledValue": [
                    {"value": "3500", "measurand": "Energy.Active.Import.Register", "context": "Transaction.End"}]}]}])
        c.eq(json.loads(r.call(stop))[0], 3, "stop acknowledged")
        c.eq(json.loads(r.call(stop))[0], 3, "retried stop acknowledged")
        r.close()
        st, full = d.get("/api/v1/transactions/%d" % tx)
        c.eq((full["stop"], full["energyWh"], full["stopReason"]), ("2026-03-01T09:00:00Z", 2500, "EVDisconnected"),
             "stop recorded (%s)" % sig.name)
        srcs = [m["source"] for m in full["meterValues"]]
        c.eq(srcs.count("MeterValues"), 2, "each MeterValues element stored once (%s)" % sig.name)
        c.eq(srcs.count("StopTransaction"), 2, "transactionData stored once despite the retry (%s)" % sig.name)
        c.eq(sorted(set(m.get("connectorId") for m in full["meterValues"])), [2],
             "every meter value on the transaction's connector (%s)" % sig.name)
        c.eq(d.get("/api/v1/chargers/%s/profiles" % cp)[1], [],
             "the stopped transaction's TxProfile is gone (%s)" % sig.name)
    return d


def dlm(d):
    """A charging connector keeps getting current over a restart."""
    settings = dict(unknown_chargers="accept", dlm_enabled="true", dlm_sensor="api", dlm_tick_ms=100,
                    dlm_settle_s=0, dlm_react_s=0, dlm_min_pause_s=0, dlm_ramp_a_per_s=100)
    d = restart(d, signal.SIGTERM, **settings)

    def reading():
        d.put("/api/v1/dlm/readings", {"current": [3, 3, 3]})
    cp = "CP-DLM"
    r = Raw(d.url + "/" + cp)
    r.call(boot_frame())
    r.call(json.dumps([2, "sn", "StatusNotification", {"connectorId": 1, "errorCode": "NoError",
                                                        "status": "Charging"}]))
    r.send(json.dumps([2, "s1", "StartTransaction", {"connectorId": 1, "idTag": "T", "meterStart": 0,
                                                     "timestamp": "2026-03-02T08:00:00Z"}]))
    f = answer_calls(r, {"status": "Accepted"}, reading, "SetChargingProfile")
    c(f is not None and limit_of(f) > 0, "charging before the restart: limit %s" % (f and limit_of(f)))
    for sig in (signal.SIGTERM, signal.SIGKILL):
        d = restart(d, sig, **settings)
        r.close()
        # The charger reconnects: no BootNotification, no StatusNotification.
        r = Raw(d.url + "/" + cp)
        c.eq(r.first, "#connected", "reconnects (%s)" % sig.name)
        f = answer_calls(r, {"status": "Accepted"}, reading, "SetChargingProfile")
        c(f is not None and limit_of(f) > 0,
          "a non-zero limit right after the restart (%s): %s" % (sig.name, f and limit_of(f)))
        time.sleep(0.3)
        ch = [x for x in d.get("/api/v1/dlm")[1]["chargers"] if x["id"] == cp]
        c(ch and ch[0]["limitA"] > 0 and ch[0]["reason"] != "idle", "DLM sees it charging (%s): %s" % (sig.name, ch))
    r.close()
    return d


d = Csmsd(unknown_chargers="accept", ws_port=free_port(), admin_port=free_port())
try:
    d = records(d)
    d = dlm(d)
    c.eq(d.stop(), 0, "final stop")
except Exception as e:
    import traceback
    traceback.print_exc()
    c(False, "exception: %r\n%s" % (e, d.logtext()[-3000:]))
    d.kill()
finally:
    d.cleanup()
c.done()
