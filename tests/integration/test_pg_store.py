"""csmsd on PostgreSQL (--db postgresql://..., issue 15 item 1), with a
server of its own (tests/tools/pg_server.sh: Debian's PostgreSQL 15 on a
free port, run by csms-pg):

1. a charger session (boot, authorize, start, meter values, stop) reads
   back through the API, and again after csmsd restarts;
2. PostgreSQL stopped under a running csmsd: each CALL that needs the store
   is refused with CALLERROR InternalError (nothing is acknowledged that is
   not committed); when it is back, csmsd serves again by itself and the
   record holds each acknowledged element once;
3. csmsd SIGKILLed again and again under load (test_kill_loop.py's chargers
   and check): no acknowledged record lost, none doubled.

Exit 77 (skip) without PostgreSQL, unless CSMS_REQUIRE_TEST_PEERS."""
import json
import os
import random
import signal
import time
from harness import Csmsd, Raw, Checks, boot_frame, free_port
from pgtest import database, pg, psql, start, stop
import test_kill_loop as kl

KILLS = int(os.environ.get("CSMS_PG_KILLS", "20"))

c = Checks()


def call(r, frame):
    return json.loads(r.call(json.dumps(frame)))


def mv(tx, ts, wh, mid):
    return [2, mid, "MeterValues", {"connectorId": 1, "transactionId": tx, "meterValue": [
        {"timestamp": ts, "sampledValue": [{"value": str(wh), "measurand": "Energy.Active.Import.Register",
                                            "unit": "Wh"}]}]}]


def session_and_restart(url):
    ws, admin = free_port(), free_port()
    settings = dict(unknown_chargers="accept", unknown_id_tags="accept", ws_port=ws, admin_port=admin)
    d = Csmsd(db=url, **settings)
    try:
        r = Raw(d.url + "/PG1")
        c.eq(call(r, json.loads(boot_frame()))[2]["status"], "Accepted", "boot accepted")
        c.eq(call(r, [2, "a1", "Authorize", {"idTag": "TAG1"}])[2]["idTagInfo"]["status"], "Accepted",
             "authorized")
        start = [2, "s1", "StartTransaction", {"connectorId": 1, "idTag": "TAG1", "meterStart": 1000,
                                               "timestamp": "2026-06-01T08:00:00Z"}]
        tx = call(r, start)[2]["transactionId"]
        c.eq(call(r, start)[2]["transactionId"], tx, "a start sent again gets the same transactionId")
        for i, wh in enumerate((1500, 2200)):
            c.eq(call(r, mv(tx, "2026-06-01T08:%02d:00Z" % (10 * (i + 1)), wh, "m%d" % i))[0], 3,
                 "meter values acknowledged")
        stop = call(r, [2, "t1", "StopTransaction", {"transactionId": tx, "meterStop": 3000,
                                                     "timestamp": "2026-06-01T09:00:00Z", "reason": "Local"}])
        c.eq(stop[0], 3, "stop acknowledged")
        r.close()

        def record(d):
            st, txs = d.get("/api/v1/transactions?charger=PG1")
            c.eq(st, 200, "transactions listed")
            st, full = d.get("/api/v1/transactions/%d" % tx)
            return txs, full

        txs, full = record(d)
        c.eq(len(txs), 1, "one record")
        c.eq((txs[0]["energyWh"], txs[0]["stopReason"]), (2000, "Local"), "its energy and stop reason")
        c.eq([m["timestamp"] for m in full["meterValues"]], ["2026-06-01T08:10:00Z", "2026-06-01T08:20:00Z"],
             "its meter values, in order")
        c.eq(d.stop(), 0, "csmsd stops")
        d = Csmsd(db=url, **settings)
        txs2, full2 = record(d)
        c.eq((txs2, full2), (txs, full), "the same record after a restart")
        c.eq(d.stop(), 0, "csmsd stops again")
    except Exception as e:  # noqa: BLE001
        c(False, "exception: %r\n%s" % (e, d.logtext()[-3000:]))
        d.kill()
    finally:
        d.cleanup()


def database_away(url):
    ws, admin = free_port(), free_port()
    d = Csmsd(db=url, unknown_chargers="accept", unknown_id_tags="accept", ws_port=ws, admin_port=admin)
    try:
        r = Raw(d.url + "/PG2")
        call(r, json.loads(boot_frame()))
        tx = call(r, [2, "s1", "StartTransaction", {"connectorId": 1, "idTag": "TAG2", "meterStart": 0,
                                                    "timestamp": "2026-06-02T08:00:00Z"}])[2]["transactionId"]
        c.eq(call(r, mv(tx, "2026-06-02T08:01:00Z", 100, "m0"))[0], 3, "a meter value before")
        c.eq(pg("down").returncode, 0, "PostgreSQL stopped")
        acked = ["2026-06-02T08:01:00Z"]
        answers = []
        for i in range(3):
            ts = "2026-06-02T08:%02d:00Z" % (2 + i)
            try:
                f = call(r, mv(tx, ts, 200 + i, "away%d" % i))
            except AssertionError:   # the connection dropped: the charger dials again
                r.close()
                r = Raw(d.url + "/PG2")
                continue
            answers.append(f[0] if f[0] == 3 else f[2])
            if f[0] == 3:
                acked.append(ts)
        c.eq(set(answers), {"InternalError"}, "while the database is away: CALLERROR InternalError %s" % answers)
        c.eq(d.proc.poll(), None, "csmsd keeps running")
        c.eq(pg("up").returncode, 0, "PostgreSQL started again")
        # The charger sends the same element again until it is acknowledged.
        back = None
        t0 = time.time()
        while time.time() - t0 < 15:
            f = call(r, mv(tx, "2026-06-02T08:05:00Z", 300, "back%d" % int(time.time() * 10)))
            if f[0] == 3:
                back = time.time() - t0
                acked.append("2026-06-02T08:05:00Z")
                break
            time.sleep(0.3)
        c(back is not None, "meter values acknowledged again once PostgreSQL is back")
        print("served again %.1f s after PostgreSQL came back" % (back or -1))
        c.eq(call(r, [2, "t1", "StopTransaction", {"transactionId": tx, "meterStop": 400,
                                                   "timestamp": "2026-06-02T09:00:00Z"}])[0], 3, "stopped")
        r.close()
        st, full = d.get("/api/v1/transactions/%d" % tx)
        got = [m["timestamp"] for m in full["meterValues"] if m["source"] == "MeterValues"]
        c.eq(got, acked, "each acknowledged meter value once, nothing refused kept")
        c.eq(d.stop(), 0, "csmsd stops")
    except Exception as e:  # noqa: BLE001
        c(False, "exception: %r\n%s" % (e, d.logtext()[-3000:]))
        d.kill()
    finally:
        d.cleanup()


def kill_loop(url):
    ws, admin = free_port(), free_port()
    settings = dict(unknown_chargers="accept", unknown_id_tags="accept", log_level="warn",
                    ws_port=ws, admin_port=admin)
    d = Csmsd(db=url, **settings)
    tmp = d.tmp
    chargers = [kl.Charger(i + 1, d.url) for i in range(4)]
    try:
        for ch in chargers:
            ch.start()
        for _ in range(KILLS):
            time.sleep(random.uniform(*kl.UPTIME))
            d.proc.send_signal(signal.SIGKILL)
            d.proc.wait()
            d.log.close()
            d = Csmsd(db=url, tmp=tmp, **settings)
        time.sleep(0.5)
        kl.done.set()
        for ch in chargers:
            ch.join(kl.ANSWER_TIMEOUT + 30)
        c.eq(d.stop(), 0, "csmsd stops after the kills")
        lost, dup, inc, notes = kl.check(None, chargers, lambda sql: psql(url, sql))
        res = {"kills": KILLS, "starts": sum(len(ch.starts) for ch in chargers),
               "stops": sum(len(ch.stops) for ch in chargers),
               "meterValues": sum(len(ch.mvs) for ch in chargers), "lost": lost, "duplicated": dup,
               "incomplete": inc}
        print(json.dumps(res))
        for n in notes[:20]:
            print("  " + n)
        errors = [e for ch in chargers for e in ch.errors]
        c.eq(errors, [], "the chargers saw no error")
        c.eq((lost, dup, inc), (0, 0, 0), "nothing acknowledged lost, doubled or changed")
        c(res["starts"] > 0 and res["stops"] > 0 and res["meterValues"] > 0, "load was acknowledged")
    except Exception as e:  # noqa: BLE001
        c(False, "exception: %r\n%s" % (e, d.logtext()[-3000:]))
        kl.done.set()
        d.kill()
    finally:
        d.cleanup()


start("--fsync")
try:
    session_and_restart(database("session"))
    database_away(database("away"))
    kill_loop(database("kills"))
finally:
    stop()
c.done()
