"""A site's own station across three csmsd nodes on one PostgreSQL (a
server of its own, tests/tools/pg_server.sh). The garage (16 A, margin
1 A, api sensor) gets a station through /api/v1/sites/garage/station; its
charger G, in 100% PV, is held by a node that does not run the garage's
control loop (the holder H: GET /api/v1/sites/garage names it as
controlNode). The meters are pushed to every node (each its house plus its
car's limit), the default station (station_source=api) gets a large PV
surplus throughout. Asserts:

1. before the garage has a station G charges on DLM alone (the set-up);
2. the first PUT .../garage/station, at a node that is not H, creates it
   (201, Location); GET at each of the three nodes answers the same status
   and station (site, mode, settings, source); a measurement pushed at one
   node is what the other two show (one station, on H); a bad PUT gets
   the same 400 at every node; an unknown site is 404; every node's
   GET /api/v1/sites/garage says "station": true within 8 s (sites are read
   again every 5 s);
3. the garage's station steps on H for G on another node: without a garage
   surplus G is held at 0 A (the default station's surplus does not move
   it), with one it charges within the garage's 15 A, and H's GET lists G
   with its car plugged in;
4. settings PUT at a node that is not H, then H SIGKILLed: once another
   node runs the garage's loop (503 allowed meanwhile, retried for 15 s),
   GET .../garage/station on it and on the other survivor shows the
   settings that were PUT (the new controller reads the kept settings, not
   what it had at its start, when the garage had no station), and it holds
   G at 0 A when the surplus goes;
5. DELETE .../garage/station at a node that does not run the loop: 204,
   404 at every node ("station": false within 8 s), and G is no longer
   held (DLM alone: it charges);
6. a kept station that no node can start (its kept source changed in the
   database to a type csmsd does not know): each node logs the error
   once, not at every 5 s sync.

Until the feature exists the first PUT .../garage/station answers 404:
the test says so and stops there. Exit 77 (skip) without PostgreSQL,
unless CSMS_REQUIRE_TEST_PEERS."""
import json
import signal
import threading
import time
from harness import Csmsd, Checks, LimitCharger, free_port
from pgtest import control, fleet_main, one_runs, psql, wait

c = Checks()
NO_SURPLUS = {"pv_w": 0, "load_w": 500, "soc_pct": 100}
SURPLUS = {"pv_w": 9000, "load_w": 500, "soc_pct": 100}   # 8.5 kW, the battery full: ~12.3 A on 3 phases
NOW = {"enableDelayS": 0, "disableDelayS": 0}   # 100% PV starts and stops at once


class Missing(Exception):
    """A per-site station route answered 404: the feature is not there."""




def desc(body):
    return ((body or {}).get("error") or {}).get("description", "")






def stable(st, g):
    """What every node must answer alike for GET .../station: the status and
    the station (not its clocks: live.time and source.ageS move)."""
    if st != 200 or not isinstance(g, dict):
        return (st, g)
    src = g.get("source") or {}
    return (st, g.get("site"), g.get("mode"), g.get("settings"), src.get("type"), src.get("measurements"),
            g.get("prices"))


def live_charger(g, cid):
    return next((x for x in ((g or {}).get("live") or {}).get("chargers", []) if x.get("id") == cid), None)








def run(url, f):
    settings = dict(unknown_chargers="accept", call_timeout=2, node_lease_s=6, dlm_enabled="true",
                    dlm_sensor="api", dlm_tick_ms=200, dlm_settle_s=0, dlm_react_s=1, dlm_min_pause_s=0,
                    dlm_ramp_a_per_s=100, dlm_breaker_a=32, dlm_margin_a=1, dlm_stale_s=30,
                    station_source="api", station_stale_s=30, station_tick_ms=200)
    nodes, chargers, halt = f.nodes, f.chargers, f.halt
    live = []      # the nodes the feeder talks to
    house = {"default": 1, "garage": 1}
    garage_flows = {"on": False, "flows": dict(NO_SURPLUS)}
    cars = {}

    def feed():   # each site's meter and the default station's measurements to every node; the garage's too
        while not halt.is_set():
            for n in list(live):
                try:
                    for site, h in house.items():
                        car = cars.get(site)
                        cur = h + (car.drawn() if car else 0)   # the car follows its limit after a moment
                        n.put("/api/v1/sites/%s/readings" % site, {"current": [cur, cur, cur]})
                    n.put("/api/v1/station/measurements", dict(SURPLUS))
                    if garage_flows["on"]:
                        n.put("/api/v1/sites/garage/station/measurements", dict(garage_flows["flows"]))
                except Exception:  # noqa: BLE001
                    pass
            time.sleep(0.3)

    for i in range(3):
        d = Csmsd(db=url, node_id="n%d" % i, ws_port=free_port(), admin_port=free_port(), **settings)
        d.node_id = "n%d" % i
        nodes.append(d)
    live.extend(nodes)
    st, s = nodes[0].put("/api/v1/sites/garage", {"name": "Garage", "breakerA": 16, "marginA": 1, "sensor": "api",
                                                  "fallbackA": 0, "settleS": 0, "reactS": 1, "minPauseS": 0,
                                                  "rampAPerS": 100, "tickMs": 200, "staleS": 30})
    c.eq(st, 201, "the garage created through n0")
    t = wait(lambda: all(n.get("/api/v1/sites/garage")[0] == 200 for n in nodes), 12)
    c(t is not None, "every node reads the garage")
    threading.Thread(target=feed, daemon=True).start()
    t = wait(lambda: one_runs(nodes, "garage"), 15)
    c(t is not None, "one node runs the garage's loop: %s" % control(nodes, "garage"))
    hid = next(iter(control(nodes, "garage").values()))
    H = next(n for n in nodes if n.node_id == hid)
    a, b = [n for n in nodes if n is not H]
    print("the garage's loop runs on %s; PUTs at %s, G held by %s" % (H.node_id, a.node_id, b.node_id))
    st, ch = b.put("/api/v1/chargers/G", {"site": "garage", "chargingMode": "pv100", "phases": 3,
                                          "maxCurrentA": 16})
    c.eq((st, ch["settings"]["site"]), (201, "garage"), "G provisioned on the garage in 100% PV")
    g = LimitCharger(b, "G")
    chargers.append(g)
    cars["garage"] = g

    # 1. no garage station: DLM alone
    t = wait(lambda: g.charging(15.05), 15)
    c(t is not None, "no garage station: G charges on DLM alone: %s A" % g.limit)

    # 2. created at a node that does not run the loop; every node answers alike
    st, hdr, r = a.request("PUT", "/api/v1/sites/garage/station",
                      {"mode": "selfConsumption", "inverterMaxW": 6000, "battery": {"capacityWh": 7000},
                       "chargers": [dict(NOW, id="G")]}, headers=True)
    if st == 404:
        c(False, "PUT /api/v1/sites/garage/station at %s: 404 (%s): no per-site station, the rest not run"
          % (a.node_id, desc(r)))
        raise Missing()
    c.eq(st, 201, "the first PUT .../garage/station at %s creates it (%s)" % (a.node_id, desc(r)))
    c.eq(hdr.get("location"), "/api/v1/sites/garage/station", "its Location")
    c.eq(((r or {}).get("site"), ((r or {}).get("source") or {}).get("type")), ("garage", "api"),
         "the answer: the garage's station, source api")
    st, r = b.put("/api/v1/sites/garage/station/measurements", {"pv_w": 1234, "load_w": 500, "soc_pct": 100})
    c.eq(st, 200, "a garage measurement pushed at %s (%s)" % (b.node_id, desc(r)))
    answers = {n.node_id: stable(*n.get("/api/v1/sites/garage/station")) for n in nodes}
    c(len(set(json.dumps(v, sort_keys=True) for v in answers.values())) == 1 and answers[H.node_id][0] == 200,
      "GET .../garage/station: the same status and station at every node: %s" % answers)
    m = answers[a.node_id][5] if answers[a.node_id][0] == 200 else None
    c((m or {}).get("pvW") == 1234, "the measurement pushed at %s is what %s shows: %s" % (b.node_id, a.node_id, m))
    c.eq(answers[H.node_id][3].get("inverterMaxW") if answers[H.node_id][0] == 200 else None, 6000,
         "the settings PUT at %s are %s's" % (a.node_id, H.node_id))
    errs = {n.node_id: n.put("/api/v1/sites/garage/station", {"mode": "nope"}) for n in nodes}
    c(len(set(json.dumps(v, sort_keys=True) for v in errs.values())) == 1 and errs[H.node_id][0] == 400
      and "mode" in desc(errs[H.node_id][1]), "a bad mode: the same 400 at every node: %s" % errs)
    c.eq([n.get("/api/v1/sites/nope/station")[0] for n in nodes], [404] * 3, "an unknown site: 404 at every node")
    # every node reads the sites again within 5 s: "station" may lag that long where the PUT did not run
    t = wait(lambda: all(n.get("/api/v1/sites/garage")[1].get("station") is True for n in nodes), 8, step=0.2)
    c(t is not None, "the garage says \"station\": true at every node within 8 s: %s"
      % {n.node_id: n.get("/api/v1/sites/garage")[1].get("station") for n in nodes})

    # 3. the garage's station, on H, holds G on b
    garage_flows["on"] = True
    t = wait(lambda: g.held(), 15)
    c(t is not None, "no garage surplus (the default site has one): G on %s held at 0 A: %s"
      % (b.node_id, g.limit))
    garage_flows["flows"] = dict(SURPLUS)
    t = wait(lambda: g.charging(15.05), 15)
    c(t is not None, "a garage surplus of 8.5 kW: G charges within the garage's 15 A: %s" % g.limit)
    gc = live_charger(H.get("/api/v1/sites/garage/station")[1], "G")
    c(gc is not None and gc.get("carConnected") is True and (gc.get("targetA") or 0) >= 6,
      "%s's garage station lists G, its car plugged in, its target: %s" % (H.node_id, gc))

    # 4. settings PUT at a, then the loop's node killed
    st, r = a.put("/api/v1/sites/garage/station", {"inverterMaxW": 6100, "battery": {"capacityWh": 7100},
                                                    "evPrioritySocPct": 40})
    c.eq(st, 200, "new settings PUT at %s (%s)" % (a.node_id, desc(r)))
    # and a price list: the node that takes over plans with it (it kept what it read at its start)
    st, r = a.put("/api/v1/sites/garage/station/prices", {"start": "2030-01-01T00:00:00Z", "importPrice": [0.71, 0.72]})
    c.eq(st, 200, "a price list PUT at %s (%s)" % (a.node_id, desc(r)))
    st, want = H.get("/api/v1/sites/garage/station")
    want = (want or {}).get("settings") or {}
    c.eq((st, want.get("inverterMaxW"), (want.get("battery") or {}).get("capacityWh"), want.get("evPrioritySocPct")),
         (200, 6100, 7100, 40), "%s has them" % H.node_id)
    live.remove(H)
    killed = time.time()
    H.proc.send_signal(signal.SIGKILL)
    H.proc.wait()
    rest = [a, b]
    got = {}

    def taken():
        if not one_runs(rest, "garage"):
            return False
        new = next(iter(control(rest, "garage").values()))
        for n in sorted(rest, key=lambda n: n.node_id != new):   # the new controller first
            st, s = n.get("/api/v1/sites/garage/station")
            if st != 200:    # 503 while the station is not there yet
                return False
            got[n.node_id] = s
        got["new"] = new
        return True
    t = wait(taken, 15, step=0.2)
    c(t is not None, "another node runs the garage's loop and answers for its station: %s" % control(rest, "garage"))
    print("the garage's station answered again %.1f s after the SIGKILL, on %s" % (time.time() - killed,
                                                                                 got.get("new")))
    newc = next((n for n in rest if n.node_id == got.get("new")), None)
    pr = ((got.get(newc.node_id) if newc else None) or {}).get("prices") or {}
    c.eq((pr.get("start"), pr.get("importPrice")), ("2030-01-01T00:00:00.000Z", [0.71, 0.72]),
         "the new controller plans with the price list PUT before the takeover")
    for n in rest:
        s = (got.get(n.node_id) or {}).get("settings") or {}
        diff = {k: (s.get(k), want.get(k)) for k in set(s) | set(want) if s.get(k) != want.get(k)}
        c(not diff, "after the takeover %s%s shows the settings PUT at %s (differs, as {key: (shown, PUT)}: %s)"
          % (n.node_id, " (the new controller)" if n.node_id == got.get("new") else "", a.node_id, diff))
    garage_flows["flows"] = dict(NO_SURPLUS)
    t = wait(lambda: g.held(), 15)
    c(t is not None, "the new controller's garage station holds G at 0 A without a surplus: %s" % g.limit)

    # 5. DELETE at a node that does not run the loop
    other = next((n for n in rest if n.node_id != got.get("new")), a)
    garage_flows["on"] = False
    time.sleep(0.4)
    try:
        st = other.delete("/api/v1/sites/garage/station")[0]
    except OSError as e:   # the node closed the connection without an answer
        st = repr(e)
    c.eq(st, 204, "DELETE .../garage/station at %s" % other.node_id)
    c.eq([n.get("/api/v1/sites/garage/station")[0] for n in rest], [404, 404], "then 404 at every node")
    t = wait(lambda: all(n.get("/api/v1/sites/garage")[1].get("station") is False for n in rest), 8, step=0.2)
    c(t is not None, "\"station\": false at every node within 8 s")
    t = wait(lambda: g.charging(15.05), 15)
    c(t is not None, "G no longer held by a station: DLM alone lets it charge: %s" % g.limit)

    # 6. a kept station no node can start (its source as kept is not one
    # csmsd knows): tried again at every sync (5 s), logged once per node
    c.eq(other.put("/api/v1/sites/garage/station", {})[0], 201, "the garage's station again")
    time.sleep(1)
    psql(url, "UPDATE meta SET value='{\"type\":\"bogus\"}' WHERE key='station_source@garage'")
    time.sleep(12)   # two syncs at least
    said = {n.node_id: n.logtext().count("site garage: the kept station is not started") for n in rest}
    c.eq(said, {n.node_id: 1 for n in rest}, "each node says once that it cannot start it, not every 5 s")

    halt.set()
    for d in rest:
        c.eq(d.stop(), 0, "a node stops")


def main(url, f):
    t0 = time.time()
    try:
        run(url, f)
    except Missing:
        f.halt.set()
        for d in f.nodes:
            if d.proc.poll() is None:
                c.eq(d.stop(), 0, "a node stops")
    print("test_fleet_site_station: %.1f s" % (time.time() - t0))


fleet_main(c, "fleetsitestation", main)
