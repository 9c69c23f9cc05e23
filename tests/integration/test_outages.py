"""The load-shedding outage schedule (issue 16, item 3): dated outages from
a file (station_outages_file) or through the API (loadShedding.outages).

Asserts, on a running csmsd with the api station source in loadShedding
mode and the battery at 50 %:
- the file's outages (comments, a past one left out, START/DURATION and
  START/END) become settings.loadShedding.outages in UTC, and feeds.outages
  reports the file; an outage 20 min ahead makes the station charge the
  battery from the grid now;
- the API refuses to set the outages while the file holds them (409 naming
  the file);
- a bad line changes nothing, names the line, raises the site alarm
  outageSchedule; a good file clears it and replaces the outages: one three
  days ahead stops the grid charging; a FIFO in its place is refused (never
  waited on) and a deleted file keeps them, each with an error;
- without the file the API sets them (a bad date: 400 naming the field,
  nothing changed) and a restart keeps them."""
import os
import time
from datetime import datetime, timedelta, timezone
from harness import Csmsd, Checks

c = Checks()


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def write(path, text):
    tmp = path + ".new"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)   # as an editor or a download script would


def station(d):
    d.put("/api/v1/station/measurements", {"pv_w": 0, "load_w": 500, "soc_pct": 50, "grid_w": 500})
    st, s = d.get("/api/v1/station")
    return s


def until(d, pred, secs=12):
    t0, s = time.time(), None
    while time.time() - t0 < secs:
        s = station(d)
        if pred(s):
            return s
        time.sleep(0.3)
    return s


def site_alarm(d):
    st, a = d.get("/api/v1/alarms")
    return [x for x in a if x.get("source") == "outageSchedule" and not x.get("cleared")]


now = datetime.now(timezone.utc).replace(microsecond=0)
soon, later = now + timedelta(minutes=20), now + timedelta(days=3)
ARGS = dict(station_source="api", station_tick_ms=200)
d = Csmsd(**ARGS)
path = os.path.join(d.tmp, "outages.txt")
d.stop()
write(path, "# stage 4, block 12 (times UTC)\n\n"
      "%s/PT2H   # ended\n" % iso(now - timedelta(hours=5))
      + "%s/%s\n" % (iso(soon + timedelta(days=1)), iso(soon + timedelta(days=1, hours=2)))
      + "%s/PT1H30M\n" % iso(soon))
d = Csmsd(db=d.db, tmp=d.tmp, station_outages_file=path, **ARGS)
try:
    st, _ = d.put("/api/v1/station", {"mode": "loadShedding", "loadShedding": {"marginMin": 30}})
    c.eq(st, 200, "loadShedding mode")
    s = until(d, lambda s: s["live"].get("gridCharging"))
    out = s["settings"]["loadShedding"]["outages"]
    c.eq([(o["start"][:19], o["end"][:19]) for o in out],
         [(iso(soon)[:19], iso(soon + timedelta(minutes=90))[:19]),
          (iso(soon + timedelta(days=1))[:19], iso(soon + timedelta(days=1, hours=2))[:19])],
         "the file's outages to come, by start, in UTC")
    f = s.get("feeds", {}).get("outages", {})
    c.eq((f.get("source"), f.get("url"), f.get("count"), f.get("error")), ("file", path, 2, None),
         "feeds.outages reports the file: %s" % f)
    c(s["live"]["gridCharging"] and s["live"]["batW"] > 1000,
      "an outage in 20 min: the battery charges from the grid now: %s" % s["live"])
    st, e = d.put("/api/v1/station", {"loadShedding": {"outages": []}})
    c(st == 409 and path in e["error"]["description"], "the API does not set the file's outages: %s %s" % (st, e))

    # a bad line: nothing changes, the line is named, a site alarm
    write(path, "%s/PT1H\nstage 6 from tonight\n" % iso(later))
    s = until(d, lambda s: s.get("feeds", {}).get("outages", {}).get("error"))
    err = s["feeds"]["outages"]["error"] or ""
    c("line 2" in err and "stage 6" in err, "the bad line named: %s" % err)
    c.eq(len(s["settings"]["loadShedding"]["outages"]), 2, "the outages in force stay")
    c(s["live"]["gridCharging"], "still charging ahead of the outage in force")
    c(len(site_alarm(d)) == 1, "site alarm outageSchedule raised: %s" % site_alarm(d))

    # a good file: the alarm clears, the outages are replaced
    write(path, "%s/PT1H\n" % iso(later))
    s = until(d, lambda s: not s["live"].get("gridCharging") and not s["feeds"]["outages"]["error"])
    c.eq([o["start"][:19] for o in s["settings"]["loadShedding"]["outages"]], [iso(later)[:19]],
         "replaced by the file's new outage")
    c(not s["live"]["gridCharging"], "three days ahead: no grid charging now: %s" % s["live"])
    c.eq(site_alarm(d), [], "the alarm cleared")

    # a FIFO in its place: refused, never waited on (the daemon answers)
    os.unlink(path)
    os.mkfifo(path)
    s = until(d, lambda s: "not a regular file" in (s["feeds"]["outages"]["error"] or ""))
    c("not a regular file" in (s["feeds"]["outages"]["error"] or ""), "a FIFO refused: %s" % s["feeds"]["outages"])
    c.eq(len(s["settings"]["loadShedding"]["outages"]), 1, "a FIFO keeps the outages")

    # the file gone: an error, the outages kept
    os.unlink(path)
    s = until(d, lambda s: "cannot open" in (s["feeds"]["outages"]["error"] or ""))
    c("cannot open" in (s["feeds"]["outages"]["error"] or ""), "a missing file: %s" % s["feeds"]["outages"])
    c.eq(len(s["settings"]["loadShedding"]["outages"]), 1, "a missing file keeps the outages")
    d.stop()

    # without the file: the API sets them, checked, kept over a restart
    d = Csmsd(db=d.db, tmp=d.tmp, **ARGS)
    one = {"start": iso(soon).replace("Z", "+00:00"), "end": iso(soon + timedelta(hours=1))}
    st, e = d.put("/api/v1/station", {"loadShedding": {"outages": [dict(one, start="tonight")]}})
    c(st == 400 and "loadShedding.outages[0].start" in e["error"]["description"], "a bad date: 400 %s" % e)
    st, e = d.put("/api/v1/station", {"loadShedding": {"outages": [{"start": one["end"], "end": one["start"]}]}})
    c(st == 400 and "end after its start" in e["error"]["description"], "an end before its start: 400 %s" % e)
    st, s = d.get("/api/v1/station")
    c.eq([o["start"][:19] for o in s["settings"]["loadShedding"]["outages"]], [iso(later)[:19]],
         "nothing changed by the refused PUTs")
    st, s = d.put("/api/v1/station", {"loadShedding": {"outages": [one]}})
    c.eq(st, 200, "outages set through the API")
    d.stop()
    d = Csmsd(db=d.db, tmp=d.tmp, **ARGS)
    s = until(d, lambda s: s["live"].get("gridCharging"))
    c.eq([o["start"][:19] for o in s["settings"]["loadShedding"]["outages"]], [iso(soon)[:19]],
         "kept over a restart")
    c(s["live"]["gridCharging"], "and in force: charging ahead of it")
finally:
    d.stop()
    d.cleanup()
c.done()
