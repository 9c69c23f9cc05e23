"""A station per site: any site may have its own station (PV, battery,
modes, the Solar Boost / 100% PV targets of that site's chargers), through
/api/v1/sites/{id}/station. One csmsd (SQLite), the default site 32 A and
"garage" 16 A (margin 1 A, api sensors, each meter read as its house plus
its car's limit, as test_sites.py does), the default station on
station_source=api; a charging car in 100% PV on each site (D1 on the
default site, G1 on the garage) and an empty site "annex". Asserts:

1. before the garage has a station: GET .../garage/station is 404, the
   sites say "station" only for the default site, and G1 in 100% PV is
   held by no station (DLM alone: it charges);
2. the first PUT .../garage/station creates it: 201, Location, the answer
   as GET (plus "site"), source api; a second PUT changes it (200, the
   rest kept); the default station's settings do not move; the sites say
   "station": true for the garage;
3. bad settings (the same 400 messages as PUT /api/v1/station) and bad
   sources (source.type sim, modbus without source.host, an unknown
   source field) are 400 naming the field and change nothing: the garage's
   settings stay, the annex still has no station; an unknown site is 404;
4. /api/v1/sites/default/station is /api/v1/station plus "site" (a
   "source" key refused with 400, DELETE 409);
5. each station counts only its own site's chargers: the garage without a
   surplus and the default site with one hold G1 at 0 A and charge D1; the
   other way round G1 charges (>= 6 A, within the garage's 15 A) and D1 is
   held at 0 A; a garage house of 7 A keeps G1 within 8 A (DLM on the
   garage); the default station's source.measurements are not the
   garage's; measurements and prices to the garage's station answer as
   /api/v1/station's do, 400 naming a bad field, 404 for no station;
6. a modbus source: GET says modbus with host, port, unit, map;
   measurements through the API are 409;
7. a restart keeps the garage's station (settings and source), and it
   holds G1 again; then source api again;
8. DELETE .../garage/station: 204, then 404 everywhere, "station": false,
   and G1 is no longer held (DLM alone: it charges again); kept deleted
   over a restart;
9. DELETE of a site with a station removes the station: the site made
   again has none.

Until the feature exists the first PUT .../garage/station answers 404:
the test says so and stops there."""
import json
import os
import threading
import time
from harness import Csmsd, Checks, LimitCharger, free_port

c = Checks()
# reactS 1: a meter read as house + limit, 0.3 s late, does not make DLM swing
FAST = {"settleS": 0, "reactS": 1, "minPauseS": 0, "rampAPerS": 100, "tickMs": 100, "staleS": 30}
ARGS = dict(log_level=os.environ.get("SITES_LOG", "info"), unknown_chargers="accept", dlm_enabled="true",
            dlm_sensor="api", dlm_breaker_a=32, dlm_margin_a=1, dlm_fallback_a=0, dlm_tick_ms=100,
            dlm_settle_s=0, dlm_react_s=1, dlm_min_pause_s=0, dlm_ramp_a_per_s=100, dlm_stale_s=30,
            station_source="api", station_stale_s=30, station_tick_ms=200)
NO_SURPLUS = {"pv_w": 0, "load_w": 500, "soc_pct": 100}
SURPLUS = {"pv_w": 9000, "load_w": 500, "soc_pct": 100}   # 8.5 kW, the battery full: ~12.3 A on 3 phases
# 100% PV starts and stops at once (the defaults wait 60 s and 300 s)
NOW = {"enableDelayS": 0, "disableDelayS": 0}
GARAGE_STATION = {"mode": "selfConsumption", "inverterMaxW": 6000, "battery": {"capacityWh": 7000},
                  "chargers": [dict(NOW, id="G1")]}


class Missing(Exception):
    """A per-site station route answered 404: the feature is not there."""




def desc(body):
    return ((body or {}).get("error") or {}).get("description", "")


def wait(pred, timeout):
    """Polls pred: the seconds it took to hold, or None after timeout."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        if pred():
            return time.time() - t0
        time.sleep(0.1)
    return None








def station_of(d, site):
    st, g = d.get("/api/v1/sites/%s/station" % site)
    return g if st == 200 else None


def live_charger(g, cid):
    return next((x for x in ((g or {}).get("live") or {}).get("chargers", []) if x.get("id") == cid), None)


def stations(d):
    """{site id: its "station" flag} from GET /api/v1/sites."""
    return {s["id"]: s.get("station") for s in d.get("/api/v1/sites")[1]}


class Feed:
    """A thread that pushes, every 0.3 s, each site's meter (its house plus
    its car's limit, to PUT /api/v1/sites/{id}/readings), the default
    station's measurements and, while garage_on, the garage station's."""

    def __init__(self):
        self.node, self.cars = None, {}
        self.house = {"default": 1, "garage": 1}
        self.flows = {"default": dict(NO_SURPLUS), "garage": dict(NO_SURPLUS)}
        self.garage_on = False
        self.halt = threading.Event()
        threading.Thread(target=self.pump, daemon=True).start()

    def pump(self):
        while not self.halt.is_set():
            d = self.node
            if d is not None:
                try:
                    for site, h in self.house.items():
                        car = self.cars.get(site)
                        cur = h + (car.drawn() if car else 0)   # the car follows its limit after a moment
                        d.put("/api/v1/sites/%s/readings" % site, {"current": [cur, cur, cur]})
                    d.put("/api/v1/station/measurements", dict(self.flows["default"]))
                    if self.garage_on:
                        d.put("/api/v1/sites/garage/station/measurements", dict(self.flows["garage"]))
                except Exception:  # noqa: BLE001 (a node stopping)
                    pass
            time.sleep(0.3)


def close_cars(cars):
    """Closes the cars once their threads stopped (a thread answering a
    CALL on a closed pipe would print a traceback)."""
    for ch in cars:
        ch.alive = False
    for ch in cars:
        ch.t.join(2)
        ch.close()


def connect(d, feed):
    """The two cars, charging, on d; the feeder on d."""
    g1, d1 = LimitCharger(d, "G1"), LimitCharger(d, "D1")
    feed.cars = {"garage": g1, "default": d1}
    feed.node = d
    return g1, d1


def setup(d):
    st, s = d.put("/api/v1/sites/garage", dict(FAST, name="Garage", breakerA=16, marginA=1, fallbackA=0,
                                               sensor="api"))
    c.eq(st, 201, "the garage created")
    st, s = d.put("/api/v1/sites/annex", dict(FAST, name="Annex", breakerA=16, marginA=1, sensor="api"))
    c.eq(st, 201, "the annex created")
    st, ch = d.put("/api/v1/chargers/G1", {"site": "garage", "chargingMode": "pv100", "phases": 3,
                                           "maxCurrentA": 16})
    c.eq((st, ch["settings"]["site"], ch["settings"]["chargingMode"]), (201, "garage", "pv"),
         "G1 provisioned on the garage in 100% PV")
    st, ch = d.put("/api/v1/chargers/D1", {"chargingMode": "pv100", "phases": 3, "maxCurrentA": 16})
    c.eq((st, ch["settings"]["site"]), (201, "default"), "D1 provisioned on the default site in 100% PV")
    st, r = d.put("/api/v1/station", {"chargers": [dict(NOW, id="D1")]})
    c.eq(st, 200, "the default station's entry for D1 (%s)" % (desc(r) if st != 200 else ""))


def baseline(d, g1, d1):
    """1. no garage station yet (what the current build does too)."""
    c.eq(d.get("/api/v1/sites/garage/station")[0], 404, "no garage station yet: GET 404")
    c.eq(stations(d), {"default": True, "garage": False, "annex": False},
         "the sites list: a station on the default site only")
    t = wait(lambda: g1.charging(15.05) and d1.held(), 15)
    c(t is not None, "no garage station: G1 in 100%% PV charges on DLM alone (%s A); D1 without a surplus "
      "is held by the default station (%s A)" % (g1.limit, d1.limit))
    g = d.get("/api/v1/station")[1]
    c(live_charger(g, "D1") is not None, "the default station lists D1: %s" % g["live"]["chargers"])


def create(d):
    """2. the first PUT creates the garage's station, a second one changes it."""
    default_before = d.get("/api/v1/station")[1]["settings"]
    st, hdr, r = d.request("PUT", "/api/v1/sites/garage/station", GARAGE_STATION, headers=True)
    if st == 404:
        c(False, "PUT /api/v1/sites/garage/station: 404 (%s): no per-site station, the rest not run" % desc(r))
        raise Missing()
    c.eq(st, 201, "the first PUT /api/v1/sites/garage/station creates it (%s)" % desc(r))
    c.eq(hdr.get("location"), "/api/v1/sites/garage/station", "its Location")
    r = r or {}
    g = station_of(d, "garage")
    c(g is not None, "GET /api/v1/sites/garage/station: 200")
    g = g or {}
    for k in ("mode", "settings", "live", "source", "outputs", "site"):
        c(k in g, "the garage station's GET has %s" % k)
    c.eq(sorted(r), sorted(g), "the PUT answers what GET answers (its keys)")
    c.eq((r.get("site"), r.get("mode"), (r.get("source") or {}).get("type")), ("garage", "selfConsumption", "api"),
         "the PUT's answer: the garage's, mode as PUT, source api without a \"source\"")
    c.eq(r.get("settings"), g.get("settings"), "the PUT's settings are GET's")
    s = g.get("settings") or {}
    c.eq((s.get("inverterMaxW"), (s.get("battery") or {}).get("capacityWh")), (6000, 7000),
         "the garage's settings as PUT")
    gch = [x for x in s.get("chargers", []) if x.get("id") == "G1"]
    c(gch and gch[0].get("enableDelayS") == 0 and gch[0].get("mode") == "pv100",
      "the garage's station has G1's entry, in 100%% PV: %s" % gch)
    c.eq(d.get("/api/v1/station")[1]["settings"], default_before, "the default station's settings did not move")
    st, site = d.get("/api/v1/sites/garage")
    c.eq((st, site.get("station")), (200, True), "GET /api/v1/sites/garage: \"station\": true")
    c.eq(stations(d), {"default": True, "garage": True, "annex": False}, "the sites list says which have one")

    st, hdr, r = d.request("PUT", "/api/v1/sites/garage/station", {"inverterMaxW": 6500}, headers=True)
    c.eq(st, 200, "a second PUT changes it: 200 (%s)" % desc(r))
    s = (r or {}).get("settings") or {}
    c.eq((s.get("inverterMaxW"), (s.get("battery") or {}).get("capacityWh"), (r or {}).get("site")),
         (6500, 7000, "garage"), "the change made, the rest kept")
    c.eq(station_of(d, "garage")["settings"], s, "GET shows the change")


def refusals(d):
    """3. bad settings and sources: 400 naming the field, nothing changes."""
    before = station_of(d, "garage")
    for body in ({"mode": "nope"}, {"battery": {"capacityWh": "big"}}, {"colour": 1},
                 {"chargers": [{"id": "G1", "enableDelayS": -1}]}):
        st0, e0 = d.put("/api/v1/station", body)
        st, e = d.put("/api/v1/sites/garage/station", body)
        c(st == 400 and st0 == 400 and desc(e) == desc(e0) and desc(e),
          "bad settings %s: 400 as PUT /api/v1/station says (%d %r; there %d %r)"
          % (json.dumps(body), st, desc(e), st0, desc(e0)))
        st, e = d.put("/api/v1/sites/annex/station", body)
        c(st == 400 and desc(e) == desc(e0), "on a site without a station too: %d %r" % (st, desc(e)))
    for src, field in (({"type": "sim"}, "source.type"), ({"type": "grid"}, "source.type"),
                       ({"type": 1}, "source.type"), ({"type": "modbus"}, "source.host"),
                       ({"type": "modbus", "port": 502}, "source.host"),
                       ({"type": "api", "colour": 1}, "source.colour"),
                       ({"type": "modbus", "host": "127.0.0.1", "bogus": 2}, "source.bogus")):
        for site in ("garage", "annex"):
            st, e = d.put("/api/v1/sites/%s/station" % site, {"mode": "feedIn", "source": src})
            c(st == 400 and field in desc(e), "source %s on the %s: 400 naming %s (%d %r)"
              % (json.dumps(src), site, field, st, desc(e)))
    after = station_of(d, "garage")
    c.eq((after or {}).get("settings"), before["settings"], "the garage's settings unchanged by the 400s")
    c.eq(((after or {}).get("mode"), ((after or {}).get("source") or {}).get("type")), ("selfConsumption", "api"),
         "the garage's mode and source unchanged")
    c.eq(d.get("/api/v1/sites/annex/station")[0], 404, "the annex still has no station")
    c.eq(stations(d).get("annex"), False, "and says so")
    st, e = d.put("/api/v1/sites/nope/station", {"mode": "feedIn"})
    c.eq(st, 404, "PUT for an unknown site: 404")
    c.eq(d.get("/api/v1/sites/nope/station")[0], 404, "GET for an unknown site: 404")
    c.eq(d.delete("/api/v1/sites/nope/station")[0], 404, "DELETE for an unknown site: 404")
    c.eq(d.get("/api/v1/sites/nope")[0], 404, "and no such site made")


def default_site(d):
    """4. the default site's station under /sites/default/station."""
    st, g = d.get("/api/v1/sites/default/station")
    g0 = d.get("/api/v1/station")[1]
    c.eq(st, 200, "GET /api/v1/sites/default/station")
    g = g or {}
    c.eq((g.get("site"), g.get("settings"), g.get("mode"), (g.get("source") or {}).get("type")),
         ("default", g0["settings"], g0["mode"], "api"), "it is GET /api/v1/station plus \"site\"")
    c.eq(sorted(g), sorted(set(g0) | {"site"}), "the same keys")
    st, e = d.put("/api/v1/sites/default/station", {"inverterMaxW": 9000, "source": {"type": "api"}})
    c(st == 400 and "source" in desc(e), "a source for the default site: 400 naming it (%d %r)" % (st, desc(e)))
    c.eq(d.get("/api/v1/station")[1]["settings"]["inverterMaxW"], g0["settings"]["inverterMaxW"],
         "and nothing changed")
    st, hdr, r = d.request("PUT", "/api/v1/sites/default/station", {"inverterMaxW": 9000}, headers=True)
    c.eq((st, (r or {}).get("site")), (200, "default"), "PUT /api/v1/sites/default/station: 200 (%s)" % desc(r))
    c.eq(d.get("/api/v1/station")[1]["settings"]["inverterMaxW"], 9000, "/api/v1/station shows it")
    st, e = d.put("/api/v1/sites/default/station", {"mode": "nope"})
    c(st == 400 and "mode" in desc(e), "a bad mode there: 400 naming it")
    c.eq(d.delete("/api/v1/sites/default/station")[0], 409, "DELETE of the default site's station: 409")
    c.eq(d.get("/api/v1/station")[0], 200, "it is still there")


def per_site(d, feed, g1, d1):
    """5. each station counts its own site's chargers only."""
    feed.garage_on = True
    feed.flows["garage"] = dict(NO_SURPLUS)
    feed.flows["default"] = dict(SURPLUS)
    t = wait(lambda: g1.held() and d1.charging(31.05), 15)
    c(t is not None, "the garage without a surplus, the default site with one: G1 held at 0 A (%s), D1 "
      "charges (%s)" % (g1.limit, d1.limit))
    g, g0 = station_of(d, "garage"), d.get("/api/v1/station")[1]
    gc = live_charger(g, "G1")
    c(gc is not None and gc.get("targetA") == 0 and gc.get("mode") == "pv100" and gc.get("carConnected") is True,
      "the garage's station: G1, its car plugged in, target 0 A: %s" % gc)
    c(live_charger(g, "D1") is None, "the garage's station does not list D1")
    c(live_charger(g0, "G1") is None and ((live_charger(g0, "D1") or {}).get("targetA") or 0) >= 6,
      "the default station: D1 charging, no G1: %s" % g0["live"]["chargers"])

    feed.flows["garage"] = dict(SURPLUS)
    feed.flows["default"] = dict(NO_SURPLUS)
    t = wait(lambda: g1.charging(15.05) and d1.held(), 15)
    c(t is not None, "the garage with a surplus, the default site without: G1 charges within the garage's 15 A "
      "(%s), D1 held at 0 A (%s)" % (g1.limit, d1.limit))
    g, g0 = station_of(d, "garage"), d.get("/api/v1/station")[1]
    c(((live_charger(g, "G1") or {}).get("targetA") or 0) >= 6, "the garage's station raised G1's target: %s"
      % live_charger(g, "G1"))
    m, m0 = (g or {}).get("source", {}).get("measurements", {}), g0["source"]["measurements"]
    c.eq((m.get("pvW"), m.get("loadW"), (g or {}).get("live", {}).get("pvW")), (9000, 500, 9000),
         "the garage's station has the garage's measurements")
    c.eq((m0.get("pvW"), m0.get("loadW"), g0["live"]["pvW"]), (0, 500, 0),
         "the default station's source.measurements are its own, not the garage's")

    feed.house["garage"] = 7
    t = wait(lambda: g1.within(6, 8.05, 1.5), 10)
    c(t is not None, "a garage house of 7 A: DLM keeps G1 within 15 - 7 = 8 A: %s" % g1.limit)
    feed.house["garage"] = 1

    st, r = d.put("/api/v1/sites/garage/station/measurements", {"pvW": 9000, "loadW": 500, "socPct": 100})
    c(st == 200 and "outputs" in (r or {}) and (r or {}).get("live", {}).get("pvW") == 9000,
      "PUT .../garage/station/measurements: 200, the outputs and live flows (%d %s)" % (st, desc(r)))
    for body, field in (({"pv_w": 1, "load_w": 1, "soc_pct": 120}, "soc_pct"),
                        ({"load_w": 1, "soc_pct": 50}, "pv_w"),
                        ({"pv_w": 1, "load_w": 1, "soc_pct": 50, "volts": 230}, "volts")):
        st, e = d.put("/api/v1/sites/garage/station/measurements", body)
        c(st == 400 and field in desc(e), "a bad garage measurement: 400 naming %s (%d %r)" % (field, st, desc(e)))
    c.eq(d.put("/api/v1/sites/annex/station/measurements", SURPLUS)[0], 404, "measurements to no station: 404")
    c.eq(d.put("/api/v1/sites/nope/station/measurements", SURPLUS)[0], 404, "measurements to no site: 404")

    prices0 = d.get("/api/v1/station")[1]["prices"]
    hourly = {"start": "2024-06-18T00:00:00Z", "slotS": 3600, "importPrice": [0.2] * 24}
    st, r = d.put("/api/v1/sites/garage/station/prices", hourly)
    c.eq((st, (r or {}).get("count")), (200, 24), "PUT .../garage/station/prices: 200, 24 prices")
    c.eq(((station_of(d, "garage") or {}).get("prices") or {}).get("count"), 24, "the garage's GET shows them")
    c.eq(d.get("/api/v1/station")[1]["prices"], prices0, "the default station's prices did not move")
    st, e = d.put("/api/v1/sites/garage/station/prices", dict(hourly, slotS=600))
    c(st == 400 and "slotS" in desc(e), "bad garage prices: 400 naming slotS (%d %r)" % (st, desc(e)))
    c.eq(d.put("/api/v1/sites/annex/station/prices", hourly)[0], 404, "prices to no station: 404")
    c.eq(d.put("/api/v1/sites/nope/station/prices", hourly)[0], 404, "prices to no site: 404")


def modbus(d, feed, port):
    """6. a modbus source on the garage."""
    feed.garage_on = False
    src = {"type": "modbus", "host": "127.0.0.1", "port": port, "unit": 1, "map": "victron-gx", "pollMs": 1000}
    st, r = d.put("/api/v1/sites/garage/station", {"source": src})
    c.eq(st, 200, "the garage's source to modbus (%s)" % desc(r))
    s = (station_of(d, "garage") or {}).get("source") or {}
    c.eq((s.get("type"), s.get("host"), s.get("port"), s.get("unit"), s.get("map")),
         ("modbus", "127.0.0.1", port, 1, "victron-gx"), "GET shows the modbus source")
    st, e = d.put("/api/v1/sites/garage/station/measurements", SURPLUS)
    c.eq(st, 409, "measurements through the API to a modbus source: 409")
    c.eq(d.get("/api/v1/station")[1]["source"]["type"], "api", "the default station's source is still api")


def main():
    feed = Feed()
    d = Csmsd(**ARGS)
    tmp, db = d.tmp, d.db
    cars = []
    try:
        setup(d)
        g1, d1 = connect(d, feed)
        cars = [g1, d1]
        t0 = time.time()
        baseline(d, g1, d1)
        try:
            create(d)
        except Missing:
            return d
        refusals(d)
        default_site(d)
        per_site(d, feed, g1, d1)
        port = free_port()
        modbus(d, feed, port)
        print("per-site checks: %.1f s" % (time.time() - t0))

        # 7. kept over a restart
        kept = station_of(d, "garage")
        feed.node = None
        close_cars(cars)
        c.eq(d.stop(), 0, "stop")
        d = Csmsd(db=db, tmp=tmp, **ARGS)
        g = station_of(d, "garage")
        c(g is not None, "the garage's station after a restart")
        g = g or {}
        c.eq(g.get("settings"), kept["settings"], "its settings kept")
        s = g.get("source") or {}
        c.eq((s.get("type"), s.get("host"), s.get("port"), s.get("unit"), s.get("map")),
             ("modbus", "127.0.0.1", port, 1, "victron-gx"), "its modbus source kept")
        c.eq(stations(d).get("garage"), True, "the garage still says \"station\": true")
        st, r = d.put("/api/v1/sites/garage/station", {"source": {"type": "api"}})
        c.eq((st, ((r or {}).get("source") or {}).get("type")), (200, "api"), "the source back to api")
        feed.flows["garage"] = dict(NO_SURPLUS)
        feed.garage_on = True
        g1, d1 = connect(d, feed)
        cars = [g1, d1]
        t = wait(lambda: g1.held(), 15)
        c(t is not None, "after the restart the garage's station holds G1 without a surplus: %s" % g1.limit)

        # 8. DELETE the garage's station
        feed.garage_on = False
        time.sleep(0.4)   # no garage measurement in flight
        c.eq(d.delete("/api/v1/sites/garage/station")[0], 204, "DELETE /api/v1/sites/garage/station: 204")
        c.eq(d.get("/api/v1/sites/garage/station")[0], 404, "then GET: 404")
        c.eq(d.get("/api/v1/sites/garage")[1].get("station"), False, "the garage says \"station\": false")
        c.eq(d.put("/api/v1/sites/garage/station/measurements", SURPLUS)[0], 404, "measurements: 404")
        c.eq(d.put("/api/v1/sites/garage/station/prices",
                   {"start": "2024-06-18T00:00:00Z", "importPrice": [0.2]})[0], 404, "prices: 404")
        c.eq(d.delete("/api/v1/sites/garage/station")[0], 404, "a second DELETE: 404")
        c.eq(d.delete("/api/v1/sites/annex/station")[0], 404, "DELETE where there is none: 404")
        t = wait(lambda: g1.charging(15.05) and d1.held(), 10)
        c(t is not None, "G1 in 100%% PV is no longer held by a station: DLM alone lets it charge (%s A); D1 "
          "still held by the default station (%s A)" % (g1.limit, d1.limit))

        # 9. a site deleted with its station
        st, r = d.put("/api/v1/sites/annex/station", {"mode": "feedIn"})
        c.eq(st, 201, "a station for the annex")
        c.eq(d.delete("/api/v1/sites/annex")[0], 204, "the (empty) annex deleted with its station")
        c.eq(d.get("/api/v1/sites/annex/station")[0], 404, "no annex, no station: 404")
        c.eq(d.put("/api/v1/sites/annex", {"breakerA": 16})[0], 201, "the annex made again")
        c.eq((d.get("/api/v1/sites/annex/station")[0], stations(d).get("annex")), (404, False),
             "the new annex has no station")

        # the deleted station stays deleted
        feed.node = None
        close_cars(cars)
        cars = []
        c.eq(d.stop(), 0, "stop")
        d = Csmsd(db=db, tmp=tmp, **ARGS)
        c.eq(d.get("/api/v1/sites/garage/station")[0], 404, "after a restart the garage's station is still gone")
        c.eq(stations(d), {"default": True, "garage": False, "annex": False}, "the sites after the restart")
        import sqlite3
        con = sqlite3.connect(db)
        left = con.execute("SELECT key, value FROM meta WHERE key LIKE '%@garage' OR key LIKE '%@annex'").fetchall()
        con.close()
        c.eq(left, [], "nothing kept of the deleted stations (no empty meta rows)")
        c.eq(d.stop(), 0, "stop")
        return d
    except Exception as e:  # noqa: BLE001
        import traceback
        traceback.print_exc()
        try:
            log = d.logtext()[-3000:]
        except ValueError:   # stopped: its log closed
            log = ""
        c(False, "exception: %r\n%s" % (e, log))
        d.kill()
        return d
    finally:
        feed.halt.set()
        feed.node = None
        close_cars(cars)


t_start = time.time()
node = main()
if node.proc.poll() is None:
    c.eq(node.stop(), 0, "stop")
node.cleanup()
print("test_site_station: %.1f s" % (time.time() - t_start))
c.done()
