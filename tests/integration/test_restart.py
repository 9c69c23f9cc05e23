"""csmsd stopped mid-transaction (SIGTERM, then SIGKILL) and started again
on the same database: the charger reconnects, re-sends what it was not
sure of, stops its transaction, and there is exactly one complete record
with the right energy."""
import json
import signal
from harness import Csmsd, Raw, Checks, boot_frame, free_port

c = Checks()
ws, admin = free_port(), free_port()
d = Csmsd(unknown_chargers="accept", ws_port=ws, admin_port=admin)
tmp, db = d.tmp, d.db
try:
    for round_, sig in enumerate((signal.SIGTERM, signal.SIGKILL)):
        cp = "CP-R%d" % round_
        r = Raw(d.url + "/" + cp)
        r.call(boot_frame())
        start = [2, "s1", "StartTransaction", {"connectorId": 1, "idTag": "T", "meterStart": 5000,
                                               "timestamp": "2026-03-01T08:00:0%dZ" % round_}]
        tx = json.loads(r.call(json.dumps(start)))[2]["transactionId"]
        mv = json.loads(r.call(json.dumps([2, "mv1", "MeterValues", {"connectorId": 1, "transactionId": tx, "meterValue": [
            {"timestamp": "2026-03-01T08:10:00Z", "sampledValue": [{"value": "5600", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}]}])))
        c.eq(mv[0], 3, "meter values acknowledged")
        # The daemon goes away.
        if sig == signal.SIGTERM:
            c.eq(d.stop(), 0, "SIGTERM exits 0")
        else:
            d.kill()
        ev = r.line(10)
        c(ev.startswith("#closed"), "charger saw the connection close: " + ev)
        r.close()
        d = Csmsd(ws_port=ws, admin_port=admin, db=db, tmp=tmp, unknown_chargers="accept")
        r = Raw(d.url + "/" + cp)
        c.eq(r.first, "#connected", "charger reconnects")
        r.call(boot_frame("b2"))
        # The charger was not sure its StartTransaction went through: sends it again.
        again = json.loads(r.call(json.dumps(start)))
        c.eq(again[2]["transactionId"], tx, "same transactionId after restart")
        stop = json.loads(r.call(json.dumps([2, "t1", "StopTransaction", {
            "transactionId": tx, "meterStop": 7500, "timestamp": "2026-03-01T09:00:00Z", "reason": "EVDisconnected",
            "transactionData": [{"timestamp": "2026-03-01T09:00:00Z", "sampledValue": [
                {"value": "7500", "measurand": "Energy.Active.Import.Register", "context": "Transaction.End"}]}]}])))
        c.eq(stop[0], 3, "stop acknowledged")
        r.close()
        st, txs = d.get("/api/v1/transactions?charger=" + cp)
        c.eq(len(txs), 1, "exactly one record (%s)" % sig.name)
        c.eq(txs[0]["energyWh"], 2500, "right energy (%s)" % sig.name)
        c.eq(txs[0]["stopReason"], "EVDisconnected", "stop reason kept")
        st, full = d.get("/api/v1/transactions/%d" % tx)
        c.eq([m["source"] for m in full["meterValues"]], ["MeterValues", "StopTransaction"],
             "meter values from before and after the restart")
    c.eq(d.stop(), 0, "final stop")
except Exception as e:
    c(False, "exception: %r\n%s" % (e, d.logtext()))
    d.kill()
finally:
    d.cleanup()
c.done()
