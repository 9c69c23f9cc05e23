"""A fleet has many sites (issue 15 item 4): each site its own breaker and
grid sensor, each charger on one site (the default one unless set).
Asserts, with two sites on api sensors (the default site 32 A, "garage"
16 A, margin 1 A each) and a charging car on each:
- each charger's limit stays within its own site's budget, and the
  site's GET shows its own charger only, with "station" only on the
  default site;
- a reading near the breaker pushed to the garage lowers only the
  garage's charger; the default site's limit does not move;
- a charger moved to the default site is budgeted there (with the other
  charger, under 31 A together) and is no longer under the garage's cut;
- bad inputs (unknown site, a bad site id, a bad breaker, sensor sim on
  another site, deleting the default site or one in use, readings to an
  unknown site) get a clear error and change nothing;
- a restart keeps the sites, their settings and the chargers' sites;
- an empty site is deleted."""
import json
import os
import time
from harness import Csmsd, Raw, Checks

c = Checks()
FAST = {"settleS": 0, "reactS": 0, "minPauseS": 0, "rampAPerS": 100, "tickMs": 100}
ARGS = dict(log_level=os.environ.get("SITES_LOG", "info"), unknown_chargers="accept", dlm_enabled="true", dlm_sensor="api", dlm_breaker_a=32, dlm_margin_a=1,
            dlm_fallback_a=0, dlm_tick_ms=100, dlm_settle_s=0, dlm_react_s=0, dlm_min_pause_s=0,
            dlm_ramp_a_per_s=100)


class Car:
    """A charger with a car that charges: answers DLM's calls, keeps the
    limit it was last sent."""

    def __init__(self, d, cid):
        self.id, self.limit = cid, None
        self.r = Raw(d.url + "/" + cid)
        self.r.send(json.dumps([2, "b", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]))
        self.r.send(json.dumps([2, "s", "StatusNotification",
                                {"connectorId": 1, "errorCode": "NoError", "status": "Charging"}]))

    def pump(self):
        for line in self.r.poll():
            if not line.startswith("[2"):
                continue
            f = json.loads(line)
            if f[2] == "SetChargingProfile":
                self.limit = f[3]["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"]
                self.r.send(json.dumps([3, f[1], {"status": "Accepted"}]))
            else:
                self.r.send(json.dumps([3, f[1], {}]))


def run(d, cars, houses, secs):
    """For secs: every car follows its limit, and each site's meter reads
    its house plus its cars' limits (houses: site -> (house A, [cars]))."""
    t0 = time.time()
    while time.time() - t0 < secs:
        for car in cars:
            car.pump()
        for site, (house, on) in houses.items():
            cur = house + sum(car.limit or 0 for car in on)
            st, _ = d.put("/api/v1/sites/%s/readings" % site, {"current": [cur, cur, cur]})
            c.eq(st, 204, "readings to site %s" % site)
        time.sleep(0.1)


def ids(lst):
    return sorted(x["id"] for x in lst)


d = Csmsd(**ARGS)
tmp, db = d.tmp, d.db
cars = []
try:
    st, lst = d.get("/api/v1/sites")
    c.eq((st, ids(lst)), (200, ["default"]), "a fresh install has the default site only")
    c.eq(lst[0]["station"], True, "the default site has the station")
    st, s = d.put("/api/v1/sites/garage", dict(FAST, name="Garage", breakerA=16, marginA=1, fallbackA=0, sensor="api"))
    c.eq(st, 201, "a site is created: 201 (%s)" % s)
    c.eq((s["id"], s["name"], s["breakerA"], s["station"], s["sensor"]["type"]),
         ("garage", "Garage", 16, False, "api"), "the new site as PUT")
    st, s = d.put("/api/v1/sites/garage", {"name": "Garage", "marginA": 1})
    c.eq((st, s["breakerA"]), (200, 16), "a PUT of an existing site: 200, the rest unchanged")
    st, ch = d.put("/api/v1/chargers/CP-B", {"site": "garage"})
    c.eq((st, ch["settings"]["site"]), (201, "garage"), "a charger provisioned on the garage")
    st, ch = d.put("/api/v1/chargers/CP-A", {"phases": 3})
    c.eq((st, ch["settings"]["site"]), (201, "default"), "a charger without a site is on the default site")
    a, b = Car(d, "CP-A"), Car(d, "CP-B")
    cars = [a, b]

    # 1. each within its own site's budget
    run(d, cars, {"default": (0, [a]), "garage": (0, [b])}, 4)
    print("limits: CP-A %s A (default, 32 A), CP-B %s A (garage, 16 A)" % (a.limit, b.limit))
    c(a.limit is not None and 20 <= a.limit <= 31.05, "CP-A within the default site's 31 A: %s" % a.limit)
    c(b.limit is not None and 10 <= b.limit <= 15.05, "CP-B within the garage's 15 A: %s" % b.limit)
    st, g = d.get("/api/v1/sites/garage")
    c.eq((st, ids(g["chargers"]), g["chargerCount"]), (200, ["CP-B"], 1), "the garage shows its charger only")
    c(g["grid"]["current"][0] is not None and "headroomA" in g, "the garage shows its grid")
    st, dl = d.get("/api/v1/dlm")
    c.eq(ids(dl["chargers"]), ["CP-A"], "GET /api/v1/dlm shows the default site's charger only")
    st, g0 = d.get("/api/v1/sites/default")
    c.eq((g0["station"], g0["breakerA"], ids(g0["chargers"])), (True, 32, ["CP-A"]), "the default site as /dlm")

    # 2. the garage near its breaker: only CP-B goes down
    a_before = a.limit
    run(d, cars, {"default": (0, [a]), "garage": (8, [b])}, 3)
    print("garage house 8 A: CP-A %s A, CP-B %s A" % (a.limit, b.limit))
    c(b.limit is not None and b.limit <= 7.05, "CP-B cut to the garage's 15 - 8 A: %s" % b.limit)
    c.eq(a.limit, a_before, "CP-A did not move for the garage's reading")
    st, g = d.get("/api/v1/sites/garage")
    gb = [x for x in g["chargers"] if x["id"] == "CP-B"]
    c(gb and gb[0]["limitA"] <= 7.05, "the garage's GET shows the cut: %s" % gb)
    # /metrics: every site's grid, headroom and sensor, labelled by site
    st, text = d.get("/metrics", raw=True)
    text = text.decode() if isinstance(text, bytes) else text
    rows = {}
    for line in text.splitlines():
        if line.startswith("csms_site_"):
            name, val = line.rsplit(" ", 1)
            rows[name] = float(val)
    want = 8 + (b.limit or 0)
    got = rows.get('csms_site_grid_current_amperes{site="garage",phase="L1"}')
    c(got is not None and abs(got - want) <= 7.1,
      "metrics: the garage's grid current %s (house 8 A + CP-B)" % got)
    c.eq(rows.get('csms_site_sensor_healthy{site="garage",type="api"}'), 1.0, "metrics: the garage's sensor")
    c('csms_site_grid_current_amperes{site="default",phase="L3"}' in rows, "metrics: the default site too")
    hg = rows.get('csms_site_dlm_headroom_amperes{site="garage",phase="L1"}')
    c(hg is not None and hg < 8, "metrics: the garage's headroom %s" % hg)
    c(text.count("# TYPE csms_site_grid_current_amperes gauge") == 1, "metrics: one family head")

    # 3. bad inputs change nothing
    st, e = d.put("/api/v1/chargers/CP-A", {"site": "nope"})
    c(st == 400 and "nope" in e["error"]["description"], "unknown site: 400 naming it (%s %s)" % (st, e))
    c.eq(d.get("/api/v1/chargers/CP-A")[1]["settings"]["site"], "default", "CP-A still on the default site")
    st, e = d.put("/api/v1/chargers/CP-NEW", {"site": "nope"})
    c.eq((st, d.get("/api/v1/chargers/CP-NEW")[0]), (400, 404), "unknown site: no charger provisioned")
    for bad in ("", 5, "x" * 49):
        c.eq(d.put("/api/v1/chargers/CP-A", {"site": bad})[0], 400, "a bad site value %r: 400" % (bad,))
    st, e = d.put("/api/v1/sites/garage", {"breakerA": 0})
    c(st == 400 and "breakerA" in e["error"]["description"], "a bad breaker: 400 naming it (%s)" % e)
    st, e = d.put("/api/v1/sites/garage", {"breakerA": 20, "marginA": 30})
    c.eq(st, 400, "a margin above the breaker: 400")
    c.eq(d.get("/api/v1/sites/garage")[1]["breakerA"], 16, "the garage's breaker unchanged")
    st, e = d.put("/api/v1/sites/annex", {"breakerA": "big"})
    c.eq((st, d.get("/api/v1/sites/annex")[0]), (400, 404), "a bad new site: 400, not created")
    st, e = d.put("/api/v1/sites/annex", {"sensor": "sim"})
    c(st == 400 and "sim" in e["error"]["description"], "sensor sim on another site: 400 (%s)" % e)
    c.eq(d.put("/api/v1/sites/annex", {"name": 7})[0], 400, "a name that is no text: 400")
    c.eq(d.put("/api/v1/sites/annex", {"colour": 1})[0], 400, "an unknown field: 400")
    c.eq(d.put("/api/v1/sites/" + "x" * 49, {})[0], 400, "a site id of 49 characters: 400")
    c.eq(ids(d.get("/api/v1/sites")[1]), ["default", "garage"], "no site made by bad PUTs")
    st, e = d.delete("/api/v1/sites/garage")
    c(st == 409 and "charger" in e["error"]["description"], "a site in use is not deleted: 409 (%s)" % e)
    st, e = d.delete("/api/v1/sites/default")
    c.eq(st, 409, "the default site is not deleted")
    c.eq(d.delete("/api/v1/sites/nope")[0], 404, "an unknown site: 404")
    c.eq(d.get("/api/v1/sites/nope")[0], 404, "GET of an unknown site: 404")
    c.eq(d.put("/api/v1/sites/nope/readings", {"current": [1, 1, 1]})[0], 404, "readings to an unknown site: 404")
    c.eq(d.put("/api/v1/sites/garage/readings", {"current": [1, 1]})[0], 400, "a bad reading: 400")
    c.eq(ids(d.get("/api/v1/sites")[1]), ["default", "garage"], "both sites still there")

    # 4. CP-B moves to the default site: budgeted there, not under the garage's cut
    st, ch = d.put("/api/v1/chargers/CP-B", {"site": "default"})
    c.eq((st, ch["settings"]["site"]), (200, "default"), "CP-B moved to the default site")
    run(d, cars, {"default": (0, [a, b]), "garage": (8, [])}, 4)
    print("both on the default site: CP-A %s A, CP-B %s A" % (a.limit, b.limit))
    c(b.limit > 7.5, "CP-B is no longer under the garage's cut: %s" % b.limit)
    c(a.limit + b.limit <= 31.1, "together within the default site's 31 A: %s + %s" % (a.limit, b.limit))
    c.eq(ids(d.get("/api/v1/dlm")[1]["chargers"]), ["CP-A", "CP-B"], "the default site shows both")
    st, g = d.get("/api/v1/sites/garage")
    c.eq((g["chargers"], g["chargerCount"]), ([], 0), "the garage has none")

    # 5. a restart keeps the sites and the chargers' sites
    c.eq(d.put("/api/v1/chargers/CP-B", {"site": "garage"})[0], 200, "CP-B back to the garage")
    for car in cars:
        car.r.close()
    cars = []
    c.eq(d.stop(), 0, "stop")
    d = Csmsd(db=db, tmp=tmp, **ARGS)
    st, lst = d.get("/api/v1/sites")
    c.eq(ids(lst), ["default", "garage"], "the sites after a restart")
    g = [x for x in lst if x["id"] == "garage"][0]
    c.eq((g["name"], g["breakerA"], g["marginA"], g["sensor"]["type"], g["chargerCount"]),
         ("Garage", 16, 1, "api", 1), "the garage's settings after a restart")
    c.eq(d.get("/api/v1/chargers/CP-B")[1]["settings"]["site"], "garage", "CP-B still on the garage")
    c.eq(d.get("/api/v1/chargers/CP-A")[1]["settings"]["site"], "default", "CP-A still on the default site")
    st, lst = d.get("/api/v1/chargers")
    c.eq(sorted((x["id"], x["settings"]["site"]) for x in lst), [("CP-A", "default"), ("CP-B", "garage")],
         "GET /api/v1/chargers shows each charger's site")
    a, b = Car(d, "CP-A"), Car(d, "CP-B")
    cars = [a, b]
    run(d, cars, {"default": (0, [a]), "garage": (8, [b])}, 3)
    c(b.limit is not None and b.limit <= 7.05, "after the restart the garage's budget holds: %s" % b.limit)

    # 6. an empty site goes
    c.eq(d.put("/api/v1/chargers/CP-B", {"site": "default"})[0], 200, "CP-B to the default site")
    c.eq(d.delete("/api/v1/sites/garage")[0], 204, "an empty site is deleted")
    c.eq((d.get("/api/v1/sites/garage")[0], ids(d.get("/api/v1/sites")[1])), (404, ["default"]), "gone")

    # 7. at most 64 sites (what a node reads): the 65th is refused, not left without its loop
    made = [d.put("/api/v1/sites/s%02d" % i, {"breakerA": 16})[0] for i in range(63)]
    c.eq(set(made), {201}, "63 more sites created")
    st, e = d.put("/api/v1/sites/one-too-many", {"breakerA": 16})
    c(st == 409 and "64" in e["error"]["description"], "the 65th site: 409 (%s)" % e)
    c.eq(len(d.get("/api/v1/sites")[1]), 64, "64 sites, the refused one not among them")
    c.eq(d.put("/api/v1/sites/s00", {"breakerA": 20})[0], 200, "an existing site still changes")
    for car in cars:
        car.r.close()
    c.eq(d.stop(), 0, "stop")
except Exception as e:
    import traceback
    traceback.print_exc()
    c(False, "exception: %r\n%s" % (e, d.logtext()[-3000:]))
    d.kill()
c.done()
