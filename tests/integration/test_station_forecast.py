"""What the optimiser learned survives a restart (issue 11, item 8): a
csmsd on the simulated house at 3600x learns load and PV slots, stops,
starts again on the same database and shows the learned forecast restored
(GET /api/v1/station forecast); a corrupt kept forecast is ignored with a
log line and learning starts over."""
import sqlite3
import time
from harness import Csmsd, Checks

c = Checks()
SIM = dict(station_speed=3600, station_sim_start="2024-06-17T06:00:00Z", station_tick_ms=100)


def wait(pred, timeout=5.0):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    return pred()


def forecast(d):
    st, g = d.get("/api/v1/station")
    c.eq(st, 200, "GET station")
    return g["forecast"]


def main():
    d = Csmsd(**SIM)
    tmp, db = d.tmp, d.db
    try:
        f = forecast(d)
        c(f["restored"] is False, "nothing kept yet: not restored")
        c.eq(len(f["next"]), 6, "six hours ahead")
        c(all(set(x) == {"start", "loadW", "pvW"} for x in f["next"]), "next: start, loadW, pvW")
        # one real second is one simulated hour: a morning of slots
        f = wait(lambda: (lambda f: f["loadSlotsLearned"] >= 16 and f["pvSlotsLearned"] >= 16 and f)(
            forecast(d)), 15)
        c(bool(f), "slots learned: %r" % forecast(d))
        c(forecast(d)["next"][0]["loadW"] > 0, "a load forecast, not 0")
        c.eq(d.stop(), 0, "stop")
        con = sqlite3.connect(db)
        row = con.execute("SELECT value FROM meta WHERE key='station_forecast'").fetchone()
        con.close()
        c(row is not None and len(row[0]) > 1000, "kept in the store at shutdown")
        before = f

        d = Csmsd(db=db, tmp=tmp, **SIM)
        f = forecast(d)
        c(f["restored"] is True, "restored at start")
        c(before and f["loadSlotsLearned"] >= before["loadSlotsLearned"] and
          f["pvSlotsLearned"] >= before["pvSlotsLearned"] and f["slotsSeen"] >= before["slotsSeen"],
          "the learned slots survive: %r -> %r" % (before, f))
        c("learned forecast restored" in d.logtext(), "restore logged")
        c.eq(d.stop(), 0, "stop")

        # a corrupt blob: ignored, said, learning starts over
        con = sqlite3.connect(db)
        con.execute("UPDATE meta SET value='U0ZDAQ==' WHERE key='station_forecast'")
        con.commit()
        con.close()
        d = Csmsd(db=db, tmp=tmp, **SIM)
        f = forecast(d)
        c(f["restored"] is False and f["slotsSeen"] < 5, "corrupt blob ignored: %r" % f)
        c("kept forecast ignored" in d.logtext(), "corrupt blob logged")
        c.eq(d.stop(), 0, "stop")
    except Exception as e:
        c(False, "exception: %r\n%s" % (e, d.logtext()))
        d.kill()
    finally:
        d.cleanup()


main()
c.done()
