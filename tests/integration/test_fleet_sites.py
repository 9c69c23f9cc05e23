"""Sites across a fleet (issue 15 item 4): two csmsd nodes on one
PostgreSQL (a server of its own, tests/tools/pg_server.sh), two sites (the
default one 32 A, "garage" 16 A, margin 1 A, api sensors with readings
pushed to every node), a charging charger of each site on each node:

1. a site created through one node is read by the other (within its
   5 s reload);
2. each site's control loop runs on exactly one node: every node names the
   same controlNode per site in GET /api/v1/sites/{id}, exactly one node
   claims it, and PostgreSQL shows one advisory lock per site (class
   771502, key 0 for the default site, another for the garage);
3. the chargers of each site, on both nodes, share their own site's
   budget: the garage's two within 15 A, the default site's within 31 A;
   every node's GET /api/v1/sites/garage lists both garage chargers (the
   view of the node that runs its loop, with the other node's charger);
   the garage's meter then pushed to the node that does not run its
   loop only: that node sends the readings on to the one that does;
   GET /api/v1/sites on every node gives each site as the node that runs
   its loop has it (before, a node showed its own numbers: no headroom
   for a site it does not run, and not the readings it never got);
4. the node that runs the garage's loop SIGKILLed: the other takes it and
   its garage charger still gets limits within the garage's budget.

Exit 77 (skip) without PostgreSQL, unless CSMS_REQUIRE_TEST_PEERS."""
import signal
import threading
import time
from harness import Csmsd, Checks, LimitCharger, free_port
from pgtest import control, fleet_main, one_runs, psql, wait

c = Checks()
GRID = 1






def run(url, f):
    settings = dict(unknown_chargers="accept", call_timeout=2, node_lease_s=6, dlm_enabled="true",
                    dlm_sensor="api", dlm_tick_ms=200, dlm_settle_s=0, dlm_react_s=0, dlm_min_pause_s=0,
                    dlm_ramp_a_per_s=100, dlm_breaker_a=32, dlm_margin_a=1, dlm_stale_s=30)
    nodes, chargers = f.nodes, f.chargers
    halt = f.halt

    feed_to = {}  # site: (the nodes it goes to, its current); not there: every node, GRID

    def feed():   # each site's meter
        while not halt.is_set():
            for site in ("default", "garage"):
                to, cur = feed_to.get(site, (nodes, GRID))
                for n in to:
                    try:
                        n.put("/api/v1/sites/%s/readings" % site, {"current": [cur, cur, cur]})
                    except Exception:  # noqa: BLE001
                        pass
            time.sleep(0.3)
    for i in range(2):
        d = Csmsd(db=url, node_id="n%d" % i, ws_port=free_port(), admin_port=free_port(), **settings)
        d.node_id = "n%d" % i
        nodes.append(d)
    st, s = nodes[0].put("/api/v1/sites/garage", {"name": "Garage", "breakerA": 16, "marginA": 1, "sensor": "api",
                                                  "settleS": 0, "reactS": 0, "minPauseS": 0, "rampAPerS": 100,
                                                  "tickMs": 200, "staleS": 30})
    c.eq(st, 201, "the garage created through n0")
    t = wait(lambda: nodes[1].get("/api/v1/sites/garage")[0] == 200, 10)
    c(t is not None, "n1 reads the garage from the database")
    print("the new site reached the other node %.1f s later" % (t or -1))
    threading.Thread(target=feed, daemon=True).start()

    # 2. one node per site
    for site in ("default", "garage"):
        t = wait(lambda: one_runs(nodes, site), 15)
        c(t is not None, "exactly one node runs the %s site's loop, all name it: %s" % (site, control(nodes, site)))
    locks = psql(url, "SELECT objid::bigint FROM pg_locks WHERE locktype='advisory' AND granted"
                      " AND classid=771502 ORDER BY 1")
    c(len(locks) == 2 and locks[0][0] == 0, "one advisory lock per site (key 0: the default site): %s" % locks)
    holders = {site: next(iter(control(nodes, site).values())) for site in ("default", "garage")}
    print("control nodes: %s" % holders)

    # 3. each site's chargers, on both nodes, share their site's budget
    for i, n in enumerate(nodes):
        for site, pre in (("garage", "G"), ("default", "D")):
            cid = "%s%d" % (pre, i)
            c.eq(n.put("/api/v1/chargers/" + cid, {"site": site})[0], 201, "%s provisioned on %s" % (cid, site))
            chargers.append(LimitCharger(n, cid))
    gar = [ch for ch in chargers if ch.cid.startswith("G")]
    dfl = [ch for ch in chargers if ch.cid.startswith("D")]
    t = wait(lambda: all(ch.limit is not None and ch.limit >= 6 for ch in chargers)
             and sum(ch.limit for ch in gar) <= 15.1 and sum(ch.limit for ch in dfl) <= 31.1
             and min(ch.limit for ch in dfl) > 8, 20)
    lim = {ch.cid: ch.limit for ch in chargers}
    print("limits: %s" % lim)
    if t is None:
        for ch in chargers:
            print(ch.cid, ch.history)
    c(t is not None, "every charger got a limit, the garage's within its 15 A: %s" % lim)
    c(sum(ch.limit or 0 for ch in gar) <= 15.1, "the garage's chargers within 15 A: %s" % lim)
    c(sum(ch.limit or 0 for ch in dfl) <= 31.1, "the default site's chargers within 31 A: %s" % lim)
    c(min(ch.limit or 0 for ch in dfl) > 8, "the default site's chargers are not under the garage's budget: %s"
      % lim)
    def garage(n):
        st, g = n.get("/api/v1/sites/garage")
        return sorted(x["id"] for x in g.get("chargers", [])) if st == 200 else st
    t = wait(lambda: all(garage(n) == ["G0", "G1"] for n in nodes), 10)
    c(t is not None, "every node's GET of the garage lists the garage's chargers on both nodes, and only "
      "those: %s" % {n.node_id: garage(n) for n in nodes})

    # the garage's meter pushed to the node that does not run its loop only
    glead = nodes[int(holders["garage"][1])]
    gother = next(n for n in nodes if n is not glead)
    feed_to["garage"] = ([gother], 4)

    def ggrid():
        return (glead.get("/api/v1/sites/garage")[1].get("grid") or {}).get("current")
    t = wait(lambda: ggrid() == [4, 4, 4], 5)
    c(t is not None, "the garage's readings pushed to %s reach %s, which runs its loop: %s" % (
        gother.node_id, glead.node_id, ggrid()))

    # GET /api/v1/sites on every node: each site as the node that runs its loop has it
    def listing(n):
        st, a = n.get("/api/v1/sites")
        return {x["id"]: x for x in a} if st == 200 else {}

    def as_deciding(n):
        got = listing(n)
        return sorted(got) == ["default", "garage"] and all(
            got[s].get("controlNode") == holders[s] and None not in (got[s].get("headroomA") or [None])
            and sorted(x["id"] for x in got[s].get("chargers", [])) == want
            and (s != "garage" or (got[s].get("grid") or {}).get("current") == [4, 4, 4])
            for s, want in (("default", ["D0", "D1"]), ("garage", ["G0", "G1"])))
    t = wait(lambda: all(as_deciding(n) for n in nodes), 10)
    c(t is not None, "GET /api/v1/sites on every node: each site's headroom, grid and chargers as the node that "
      "runs its loop has them: %s" % {n.node_id: {k: (v.get("controlNode"), v.get("headroomA"),
                                                     (v.get("grid") or {}).get("current"),
                                                     sorted(x["id"] for x in v.get("chargers", [])))
                                                 for k, v in listing(n).items()} for n in nodes})

    # 4. the garage's holder killed: the other node takes the garage's loop
    dead = nodes[int(holders["garage"][1])]
    rest = [n for n in nodes if n is not dead]
    killed = time.time()
    dead.proc.send_signal(signal.SIGKILL)
    dead.proc.wait()
    t = wait(lambda: one_runs(rest, "garage") and one_runs(rest, "default"), 15)
    c(t is not None, "the other node runs both sites' loops: %s %s" % (control(rest, "garage"),
                                                                     control(rest, "default")))
    print("garage loop takeover %.2f s after the SIGKILL" % (time.time() - killed))
    left = [ch for ch in gar if ch.node is not dead][0]
    t = wait(lambda: left.at > killed, 10)
    c(t is not None and left.limit <= 15.05,
      "the remaining garage charger gets its limit again from the new holder, within 15 A: %s" % left.limit)
    print("the remaining garage charger: %s A" % left.limit)
    halt.set()
    for d in rest:
        c.eq(d.stop(), 0, "a node stops")


fleet_main(c, "fleetsites", run)
