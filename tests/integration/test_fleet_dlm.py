"""One DLM control loop per site across three csmsd nodes on one PostgreSQL
(issue 15 item 3), with a server of its own (tests/tools/pg_server.sh):

1. three nodes with DLM on (grid sensor "api", readings pushed to every
   node): exactly one runs the control loop, and every node's GET
   /api/v1/dlm names the same one (controlNode); then the readings go to
   one node that does not run it (a meter bridge knows one URL), which
   sends them on: the deciding node's grid current is theirs (before, it
   kept its last reading until the fallback);
2. chargers on the three nodes get limits from that one decision: equal
   shares whose sum respects breaker - margin (three separate loops would
   each give their two chargers up to their maximum); GET /api/v1/dlm and
   /api/v1/sites/default on every node, and the events stream of a node
   that does not decide, show the site's whole view: the six chargers
   with the limits their nodes installed, the deciding node's headroom
   (before, each node listed its own chargers, and the others' headroom
   was null); a breaker set through PUT /api/v1/dlm on a node that does
   not decide is in force on the one that does within the 5 s the nodes
   read the settings again, and on the next holder (before, only on the
   node it was sent to);
3. the holder SIGKILLed: another node takes the loop within a few seconds
   (the time is printed), never two nodes claim it at once (all nodes
   polled during the takeover), and the remaining chargers get their
   limits sent again, still within the breaker;
4. PostgreSQL stopped: every node's health says database unavailable and
   no node claims the loop; started again: exactly one does.

Exit 77 (skip) without PostgreSQL, unless CSMS_REQUIRE_TEST_PEERS."""
import signal
import threading
import time
from harness import Csmsd, Checks, LimitCharger
from pgtest import control, events, fleet_main, pg, ports, wait

BREAKER, MARGIN, GRID = 63, 3, 1
GRID2 = 2  # the current pushed to one node only, from step 2 on
BREAKER2 = 45  # the breaker an admin sets through a node that does not decide

c = Checks()


def run(url, f):
    settings = dict(unknown_chargers="accept", call_timeout=2, node_lease_s=6, dlm_enabled="true",
                    dlm_sensor="api", dlm_tick_ms=200, dlm_settle_s=0, dlm_react_s=0, dlm_min_pause_s=0,
                    dlm_ramp_a_per_s=100, dlm_breaker_a=BREAKER, dlm_margin_a=MARGIN, dlm_stale_s=30)
    p = ports(6)
    nodes, chargers = f.nodes, f.chargers
    stop = f.halt

    feed_to = {"nodes": None, "grid": GRID}  # None: every node

    def feed():   # the site's meter
        while not stop.is_set():
            for n in feed_to["nodes"] or nodes:
                if n.proc.poll() is None:
                    try:
                        n.put("/api/v1/dlm/readings", {"current": [feed_to["grid"]] * 3})
                    except Exception:  # noqa: BLE001
                        pass
            time.sleep(0.3)
    feeder = threading.Thread(target=feed, daemon=True)
    for i in range(3):
        d = Csmsd(db=url, node_id="n%d" % i, ws_port=p[2 * i], admin_port=p[2 * i + 1], **settings)
        d.node_id = "n%d" % i
        nodes.append(d)
    feeder.start()

    # 1. one node runs the loop, and all say which
    ok = wait(lambda: len(set(control(nodes).values())) == 1
              and None not in control(nodes).values(), 10)
    seen = control(nodes)
    c(ok is not None, "every node names the same control node: %s" % seen)
    holder = next(iter(seen.values()))
    c(holder in ("n0", "n1", "n2"), "the control node is one of them: %s" % holder)
    claims = [n for n, v in seen.items() if v == n]
    c.eq(claims, [holder], "exactly one node says it runs the loop")

    # the meter's readings pushed to one node that does not decide: it sends them on
    lead = nodes[int(holder[1])]
    bridge_to = next(n for n in nodes if n is not lead)
    feed_to.update(nodes=[bridge_to], grid=GRID2)
    t = wait(lambda: (lead.get("/api/v1/dlm")[1].get("grid") or {}).get("current") == [GRID2] * 3, 5)
    c(t is not None, "readings pushed to %s reach %s, which decides: its grid current %s" % (
        bridge_to.node_id, holder, (lead.get("/api/v1/dlm")[1].get("grid") or {}).get("current")))

    # 2. chargers on every node, limits from the one decision
    for i in range(6):
        chargers.append(LimitCharger(nodes[i % 3], "D%d" % i))
    budget = BREAKER - MARGIN

    def settled(chs, share):
        lim = [ch.last() for ch in chs]
        return None not in lim and all(abs(x - share) <= 1.5 for x in lim)
    share6 = (budget - GRID2) / 6.0
    t = wait(lambda: settled(chargers, share6), 20)
    lim = {ch.cid: ch.last() for ch in chargers}
    c(t is not None, "six chargers on three nodes get one decision's shares (~%.1f A): %s" % (share6, lim))
    c(None not in lim.values() and sum(lim.values()) <= budget + 0.1,
      "the sum of their limits %s <= breaker - margin %d" % (sum(x or 0 for x in lim.values()), budget))
    # the site's view on any node: every node's chargers, the one decision
    six = ["D%d" % i for i in range(6)]

    def view(n, path):
        st, g = n.get(path)
        return {x["id"]: x for x in g.get("chargers", [])} if st == 200 else {}, g
    for path in ("/api/v1/dlm", "/api/v1/sites/default"):
        t = wait(lambda: all(sorted(view(n, path)[0]) == six for n in nodes), 10)
        c(t is not None, "GET %s on every node lists the six chargers of the three nodes: %s"
          % (path, {n.node_id: sorted(view(n, path)[0]) for n in nodes}))
        for n in nodes:
            # a limit sent while the view was read shows in the next one: wait for them to agree
            def agree():
                got = view(n, path)[0]
                return all(got[ch.cid].get("installedA") is not None
                           and abs(got[ch.cid]["installedA"] - ch.last()) <= 0.15 for ch in chargers if ch.cid in got)
            wait(agree, 3)
            got, g = view(n, path)
            c(all(got[ch.cid].get("installedA") is not None and abs(got[ch.cid]["installedA"] - ch.last()) <= 0.15
                  for ch in chargers if ch.cid in got),
              "%s %s: each charger's installedA is what its node sent it: %s, the chargers got %s" % (
                  n.node_id, path, {k: v.get("installedA") for k, v in got.items()},
                  {ch.cid: ch.last() for ch in chargers}))
            c(all(x is not None for x in g.get("headroomA", [None])),
              "%s %s: the headroom of the node that decides: %s" % (n.node_id, path, g.get("headroomA")))
    other = next(n for n in nodes if n.node_id != holder)
    snap = events(other, 5, lambda d: sorted(x["id"] for x in ((d.get("dlm") or {}).get("chargers") or [])) == six)
    c(snap is not None and sorted(x["id"] for x in snap["dlm"]["chargers"]) == six
      and all(x is not None for x in snap["dlm"]["headroomA"]),
      "the events stream (the dashboard) at %s carries the site's whole DLM view" % other.node_id)

    # the breaker changed through a node that does not run the loop: in force where it does
    st, r = bridge_to.put("/api/v1/dlm", {"breakerA": BREAKER2})
    c.eq(st, 200, "PUT /api/v1/dlm breakerA %d through %s" % (BREAKER2, bridge_to.node_id))
    budget = BREAKER2 - MARGIN
    share6 = (budget - GRID2) / 6.0
    t = wait(lambda: lead.get("/api/v1/dlm")[1].get("breakerA") == BREAKER2 and settled(chargers, share6), 12)
    lim = {ch.cid: ch.last() for ch in chargers}
    c(t is not None, "%s, which decides, uses the breaker kept through %s: %s A, shares ~%.1f A: %s" % (
        holder, bridge_to.node_id, lead.get("/api/v1/dlm")[1].get("breakerA"), share6, lim))
    c(None not in lim.values() and sum(lim.values()) <= budget + 0.1,
      "the sum of their limits %s <= the new breaker - margin %d" % (sum(x or 0 for x in lim.values()), budget))
    print("a breaker kept through another node in force %.1f s later" % (t or -1))

    # 3. the holder SIGKILLed
    dead = nodes[int(holder[1])]
    rest = [n for n in nodes if n is not dead]
    left = [ch for ch in chargers if ch.node is not dead]
    both = []
    named_dead = []
    killed = time.time()
    dead.proc.send_signal(signal.SIGKILL)
    dead.proc.wait()

    def taken():
        now = control(rest)
        claim = [n for n, v in now.items() if v == n]
        if len(claim) > 1:
            both.append(now)
        if time.time() - killed > 2 and holder in now.values():
            named_dead.append(now)
        return len(claim) == 1 and len(set(now.values())) == 1
    t = wait(taken, 15, step=0.02)
    c(t is not None, "another node took the control loop: %s" % control(rest))
    print("control loop takeover: %.2f s after the SIGKILL (dlm_tick_ms %d)" % (t or -1, settings["dlm_tick_ms"]))
    c.eq(both, [], "never two nodes claiming the loop at once")
    c.eq(named_dead, [], "no node names the killed one 2 s after its death")
    share4 = (budget - GRID2) / 4.0
    t2 = wait(lambda: all(any(ts > killed for ts, _ in ch.limits) for ch in left)
              and settled(left, share4), 20)
    lim = {ch.cid: ch.last() for ch in left}
    c(t2 is not None, "the remaining chargers got their limits again (~%.1f A): %s" % (share4, lim))
    print("limits re-sent to the remaining chargers %.2f s after the SIGKILL" % (t2 or -1))
    c(None not in lim.values() and sum(lim.values()) <= budget + 0.1,
      "still within breaker - margin: %s" % sum(x or 0 for x in lim.values()))

    # 4. the database away: no node runs the loop, health says so; back: one does again
    c.eq(pg("down").returncode, 0, "PostgreSQL stopped")
    down = time.time()

    def health_down():
        return all(n.get("/api/v1/health")[1].get("database") == "unavailable" for n in rest)
    t3 = wait(health_down, 15, step=0.2)
    c(t3 is not None, "health: database unavailable on every node")
    now = control(rest)
    c.eq([n for n, v in now.items() if v == n], [], "no node runs the loop without its database: %s" % now)
    print("database away: health says so %.1f s later (node_lease_s %d)" % (t3 or -1, settings["node_lease_s"]))
    c(any("no longer runs the site's control loop" in d.logtext() for d in rest),
      "the holder logged that it let the loop go")
    c.eq(pg("up").returncode, 0, "PostgreSQL started again")
    t4 = wait(lambda: len([n for n, v in control(rest).items() if v == n]) == 1
              and len(set(control(rest).values())) == 1, 20, step=0.2)
    c(t4 is not None, "one node runs the loop again once the database is back: %s" % control(rest))
    print("database back: a node runs the loop again %.1f s later (%.1f s after it went away)"
          % (t4 or -1, time.time() - down))
    stop.set()
    for d in rest:
        c.eq(d.stop(), 0, "a node stops")


fleet_main(c, "fleetdlm", run)
