"""The crash test: csmsd killed with SIGKILL again and again under load,
then the store checked against what the chargers got acknowledged.

Chargers (a thread each, `cpsim raw` as the websocket) run transactions on
two connectors: StartTransaction, MeterValues, StopTransaction with
transactionData, one CALL in flight. Like a real charger, a CALL left
unanswered by a lost connection is sent again, unchanged, after the
reconnect (no new BootNotification). Meanwhile csmsd is SIGKILLed and
started again on the same database CSMS_KILL_LOOP_KILLS times (default 100;
the sanitizer build runs fewer). At the end every charger finishes the CALL
it holds, csmsd stops cleanly and its database must hold exactly what was
acknowledged:

  lost        an acknowledged start, stop or meterValue element not stored
  duplicated  stored more than once, or stored without having been sent
  incomplete  stored differently: a transaction open in the store after its
              acknowledged stop (or stopped in the store but running on the
              charger), a meter value on another connector than its
              transaction's, a start answered with another id than stored
"""
import json
import os
import random
import signal
import sqlite3
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from harness import Csmsd, Raw, boot_frame, free_port

KILLS = int(os.environ.get("CSMS_KILL_LOOP_KILLS", "100"))
CHARGERS = int(os.environ.get("CSMS_KILL_LOOP_CHARGERS", "6"))
UPTIME = (0.15, 0.6)          # seconds csmsd runs between kills
ANSWER_TIMEOUT = 20           # a real charger gives up on a CALL after a while
SEED = int(os.environ.get("CSMS_KILL_LOOP_SEED", str(int(time.time()))))
random.seed(SEED)

EPOCH = datetime(2026, 5, 1, tzinfo=timezone.utc)
done = threading.Event()       # chargers: finish the CALL in hand, then stop


def canon(sampled):
    return json.dumps(sampled, sort_keys=True, separators=(",", ":"))


class Charger(threading.Thread):
    """One charge point with connectors 1 and 2; keeps what was acknowledged."""

    def __init__(self, idx, url):
        super().__init__(daemon=True)
        self.id = "KL%d" % idx
        self.url = url + "/" + self.id
        self.clock = EPOCH + timedelta(days=30 * idx)
        self.seq = 0
        self.conn = {c: {"tx": None, "tag": "K%dC%d" % (idx, c), "reg": 1000 * c, "left": 0, "start": None}
                     for c in (1, 2)}
        self.booted = False
        self.pending = None           # (kind, frame text, message id, payload)
        self.starts, self.stops, self.mvs = [], [], []   # acknowledged
        self.resends = self.reconnects = self.acked = 0
        self.errors = []

    def ts(self):
        self.clock += timedelta(seconds=1)
        return self.clock.strftime("%Y-%m-%dT%H:%M:%SZ")

    def build(self):
        self.seq += 1
        mid = "%s-%d" % (self.id, self.seq)
        if not self.booted:
            return ("boot", boot_frame(mid, "KL", "Loop"), mid, None)
        c = 1 + self.seq % 2
        st = self.conn[c]
        if st["tx"] is None:
            p = {"connectorId": c, "idTag": st["tag"], "meterStart": st["reg"], "timestamp": self.ts()}
            st["start"] = p
            return ("start", json.dumps([2, mid, "StartTransaction", p]), mid, p)
        if st["left"] > 0:
            elems = []
            for _ in range(random.choice((1, 1, 2))):
                st["reg"] += 37
                elems.append({"timestamp": self.ts(), "sampledValue": [
                    {"value": str(st["reg"]), "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                    {"value": "7400", "measurand": "Power.Active.Import", "unit": "W"}]})
            p = {"connectorId": c, "transactionId": st["tx"], "meterValue": elems}
            return ("mv", json.dumps([2, mid, "MeterValues", p]), mid, p)
        stop_ts = self.ts()
        p = {"transactionId": st["tx"], "idTag": st["tag"], "meterStop": st["reg"], "timestamp": stop_ts,
             "reason": "Local", "transactionData": [
                 {"timestamp": st["start"]["timestamp"], "sampledValue": [
                     {"value": str(st["start"]["meterStart"]), "context": "Transaction.Begin",
                      "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]},
                 {"timestamp": stop_ts, "sampledValue": [
                     {"value": str(st["reg"]), "context": "Transaction.End",
                      "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}]}
        return ("stop", json.dumps([2, mid, "StopTransaction", p]), mid, p)

    def acknowledged(self, kind, p, answer):
        self.acked += 1
        if kind == "boot":
            if answer.get("status") != "Accepted":
                self.errors.append("boot answered %s" % answer)
            self.booted = answer.get("status") == "Accepted"
            return
        if kind == "start":
            st = self.conn[p["connectorId"]]
            st["tx"] = answer["transactionId"]
            st["left"] = random.randint(2, 6)
            self.starts.append((p, st["tx"]))
        elif kind == "mv":
            self.conn[p["connectorId"]]["left"] -= 1
            for e in p["meterValue"]:
                self.mvs.append((p["connectorId"], p["transactionId"], e["timestamp"], "MeterValues",
                                 canon(e["sampledValue"])))
        else:
            c = [k for k, v in self.conn.items() if v["tx"] == p["transactionId"]][0]
            self.stops.append((p, c))
            for e in p["transactionData"]:
                self.mvs.append((c, p["transactionId"], e["timestamp"], "StopTransaction",
                                 canon(e["sampledValue"])))
            self.conn[c]["tx"] = None

    def connect(self):
        while True:
            try:
                r = Raw(self.url)
            except AssertionError:   # no handshake result in 10 s (a killed csmsd's backlog,
                time.sleep(0.05)     # a loaded machine): give up on it and dial again, as a charger does
                continue
            if r.first == "#connected":
                return r
            r.close()
            time.sleep(0.05)

    def run(self):
        r = None
        try:
            while True:
                if self.pending is None:
                    if done.is_set():
                        break
                    self.pending = self.build()
                if r is None:
                    r = self.connect()
                kind, frame, mid, p = self.pending
                try:
                    r.send(frame)
                    answer = self.wait(r, mid)
                except OSError:           # cpsim raw already gone with the connection
                    answer = None
                if answer is None:        # connection lost: reconnect, send it again
                    r.close()
                    r = None
                    self.reconnects += 1
                    self.resends += 1
                    continue
                self.pending = None
                self.acknowledged(kind, p, answer)
        except Exception as e:   # noqa: BLE001 - reported as a test failure
            self.errors.append("%s: %r" % (self.id, e))
        finally:
            if r:
                r.close()

    def wait(self, r, mid):
        t0 = time.time()
        while time.time() - t0 < ANSWER_TIMEOUT:
            try:
                line = r.line(ANSWER_TIMEOUT)
            except AssertionError:
                return None
            if line.startswith("#closed"):
                return None
            if line.startswith("#"):
                continue
            f = json.loads(line)
            if f[0] == 2:              # a CALL of csmsd: not what this test is about
                r.send(json.dumps([4, f[1], "NotImplemented", "", {}]))
            elif f[1] == mid and f[0] == 3:
                return f[2]
            elif f[1] == mid:
                raise RuntimeError("%s: CALLERROR %s" % (mid, f[2:]))
        return None                     # no answer: the charger gives up on this connection


def check(db, chargers, query=None):
    """Counts lost, duplicated and incomplete records; details for the report.
    query(sql) gives the rows of another store (test_pg_store.py)."""
    q = sqlite3.connect("file:%s?mode=ro" % db, uri=True) if query is None else None
    if q is not None:
        query = q.execute
    lost = dup = inc = 0
    notes = []
    txs = {}
    for row in query("SELECT id, charger, connector_id, id_tag, meter_start, start_ts, stop_ts, meter_stop"
                         " FROM transactions WHERE charger LIKE 'KL%'"):
        txs[row[0]] = row
    mv_rows = {}
    for row in query("SELECT charger, connector_id, transaction_id, timestamp, source, sampled FROM meter_values"
                         " WHERE charger LIKE 'KL%'"):
        key = (row[0], row[2], row[3], row[4], canon(json.loads(row[5])))
        mv_rows.setdefault(key, []).append(row[1])
    seen_tx = set()
    for ch in chargers:
        by_start = {}
        for (p, tx) in ch.starts:
            by_start[(p["connectorId"], p["timestamp"])] = tx
            row = txs.get(tx)
            if row is None:
                lost += 1
                notes.append("lost start %s tx %s" % (ch.id, tx))
                continue
            seen_tx.add(tx)
            if (row[1], row[2], row[3], row[4], row[5]) != (ch.id, p["connectorId"], p["idTag"], p["meterStart"],
                                                           p["timestamp"]):
                inc += 1
                notes.append("start %s tx %s stored as %s" % (ch.id, tx, row))
        open_on_charger = {v["tx"] for v in ch.conn.values() if v["tx"] is not None}
        for (p, c) in ch.stops:
            row = txs.get(p["transactionId"])
            if row is None:
                continue   # counted as a lost start
            if row[6] is None:
                inc += 1
                notes.append("tx %s open in the store after its acknowledged stop" % p["transactionId"])
            elif (row[6], row[7]) != (p["timestamp"], p["meterStop"]):
                inc += 1
                notes.append("tx %s stop stored as %s" % (p["transactionId"], row[6:]))
        for tx in open_on_charger:
            if tx in txs and txs[tx][6] is not None:
                inc += 1
                notes.append("tx %s stopped in the store but running on the charger" % tx)
        # Several transactions for one start: a retried start that got a second record.
        for row in txs.values():
            if row[1] == ch.id and row[0] not in seen_tx:
                dup += 1
                notes.append("transaction %s stored but never acknowledged: %s" % (row[0], row))
        for (c, tx, ts, src, sv) in ch.mvs:
            conns = mv_rows.pop((ch.id, tx, ts, src, sv), [])
            if not conns:
                lost += 1
                notes.append("lost meter value %s tx %s %s %s" % (ch.id, tx, ts, src))
                continue
            dup += len(conns) - 1
            if len(conns) > 1:
                notes.append("meter value %s tx %s %s %s stored %d times" % (ch.id, tx, ts, src, len(conns)))
            bad = [k for k in conns if k != c]
            if bad:
                inc += len(bad)
                notes.append("meter value %s tx %s %s %s on connector %s, not %d" % (ch.id, tx, ts, src, bad, c))
    for key, conns in mv_rows.items():
        dup += len(conns)
        notes.append("meter value stored but never acknowledged: %s" % (key[:4],))
    if q is not None:
        q.close()
    return lost, dup, inc, notes


def main():
    ws, admin = free_port(), free_port()
    settings = dict(unknown_chargers="accept", unknown_id_tags="accept", log_level="warn",
                    ws_port=ws, admin_port=admin)
    d = Csmsd(**settings)
    tmp, db = d.tmp, d.db
    chargers = [Charger(i + 1, d.url) for i in range(CHARGERS)]
    ok = False
    t0 = time.time()
    try:
        for ch in chargers:
            ch.start()
        kills = 0
        while kills < KILLS:
            time.sleep(random.uniform(*UPTIME))
            d.proc.send_signal(signal.SIGKILL)
            d.proc.wait()
            d.log.close()
            kills += 1
            d = Csmsd(db=db, tmp=tmp, **settings)
        time.sleep(0.5)
        done.set()
        for ch in chargers:
            ch.join(ANSWER_TIMEOUT + 30)
        alive = [ch.id for ch in chargers if ch.is_alive()]
        rc = d.stop()
        lost, dup, inc, notes = check(db, chargers)
        errors = [e for ch in chargers for e in ch.errors]
        acked = sum(ch.acked for ch in chargers)
        res = {"kills": kills, "chargers": CHARGERS, "acked": acked,
               "ackedStarts": sum(len(ch.starts) for ch in chargers),
               "ackedStops": sum(len(ch.stops) for ch in chargers),
               "ackedMeterValues": sum(len(ch.mvs) for ch in chargers),
               "resent": sum(ch.resends for ch in chargers),
               "lost": lost, "duplicated": dup, "incomplete": inc, "errors": len(errors),
               "seconds": round(time.time() - t0, 1), "seed": SEED}
        print(json.dumps(res), flush=True)
        for n in notes[:20]:
            print("  " + n)
        if len(notes) > 20:
            print("  ... %d more" % (len(notes) - 20))
        for e in errors[:10]:
            print("  error: " + e)
        ok = (rc == 0 and not alive and not errors and lost == 0 and dup == 0 and inc == 0 and kills >= KILLS
              and res["ackedStarts"] > 0 and res["ackedStops"] > 0 and res["ackedMeterValues"] > 0)
        if rc != 0:
            print("csmsd exited %s on SIGTERM" % rc)
        if alive:
            print("chargers that did not finish: %s" % alive)
    except Exception as e:   # noqa: BLE001
        import traceback
        traceback.print_exc()
        print("exception: %r\n%s" % (e, d.logtext()[-3000:]))
        done.set()
        d.kill()
    finally:
        d.cleanup()
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
