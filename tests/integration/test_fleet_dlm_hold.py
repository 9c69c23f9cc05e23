"""While a car anywhere on the site reacts to a cut, no node raises
another charger (three csmsd nodes on one PostgreSQL, a server of its own:
tests/tools/pg_server.sh).

For dlm_react_s after a charger accepts a new limit, DLM counts its draw
as the larger of its old and new limit (its car may not have followed
yet). After a cut the car does follow, the meter drops, and that drop
looks like less house load: one node holds every raise of the site for
that window. In a fleet each node plans the chargers it holds, so the
deciding node learns of another node's window with that charger's input
("w"), holds its own chargers' raises, and tells each other node to hold
theirs ("h").

Set-up: breaker 40 A, margin 0, the house 10 A (fed meter: the house and
what each car draws, following its limit 0.3 s after it got it). A (max
16 A) on a node that does not decide, B (max 7 A) on the deciding node, C
(max 7 A) on the third node: A 16, B 7, C 7 = the 30 A budget. Then A's
maximum goes to 6 A: A is cut, and its car follows at once. Inside A's
5 s window, B's and C's maxima go to 32 A. Asserts: neither B nor C is
raised while A's window lasts (one node would hold both); after it both
get their share, (30 - 6) / 2 = 12 A. Before, both were raised to 12 A
1.6 s after A's cut. (DLM's allocation also counts A at 16 A, so that
share is right here; the hold is one node's second guard, for a meter
sample or a car slower than the allocation assumes, and a fleet keeps it.)

Exit 77 (skip) without PostgreSQL, unless CSMS_REQUIRE_TEST_PEERS."""
import time
from harness import Checks, LimitCharger
from pgtest import fleet_main, meter, start_dlm_nodes, wait

BREAKER, HOUSE, REACT = 40, 10, 5
LAG = 0.3
SHARE = (BREAKER - HOUSE - 6) / 2.0   # B's and C's true share once A is at 6 A

c = Checks()


def run(url, f):
    lead = start_dlm_nodes(c, url, f, 3, dlm_react_s=REACT, dlm_breaker_a=BREAKER)
    if lead is None:
        return
    x, y = [n for n in f.nodes if n is not lead]
    cars = {}
    for cid, node, mx in (("A", x, 16), ("B", lead, 7), ("C", y, 7)):
        st, _ = node.put("/api/v1/chargers/" + cid, {"maxCurrentA": mx, "phases": 3})
        c.eq(st, 201, "%s (max %d A) provisioned at %s" % (cid, mx, node.node_id))
        cars[cid] = LimitCharger(node, cid)
        f.chargers.append(cars[cid])
    print("the loop runs on %s; A on %s, B on %s, C on %s" % (lead.node_id, x.node_id, lead.node_id, y.node_id))

    meter(f, lead, HOUSE, list(cars.values()), LAG)

    A, B, C = cars["A"], cars["B"], cars["C"]
    # settled: A 16, B 7, C 7, and no change for longer than a window
    t = wait(lambda: (A.last(), B.last(), C.last()) == (16, 7, 7)
             and time.time() - max(A.at, B.at, C.at) > REACT + 0.5, 40)
    c(t is not None, "settled at A 16, B 7, C 7: %s %s %s" % (A.history, B.history, C.history))
    if t is None:
        return

    # A cut to 6 A through its maximum; its car follows
    c.eq(x.put("/api/v1/chargers/A", {"maxCurrentA": 6})[0], 200, "A's maximum 6 A")
    t = wait(lambda: A.last() == 6, 10)
    c(t is not None, "A is cut to 6 A: %s" % A.history)
    cut_at = A.at
    time.sleep(1.0)   # the meter shows A at 6 A; its window has 4 s to go
    c.eq(lead.put("/api/v1/chargers/B", {"maxCurrentA": 32})[0], 200, "B's maximum 32 A")
    c.eq(y.put("/api/v1/chargers/C", {"maxCurrentA": 32})[0], 200, "C's maximum 32 A")
    time.sleep(max(0.0, cut_at + REACT - 0.3 - time.time()))
    inside = {cid: [(round(t - cut_at, 2), v) for t, v in car.limits if t >= cut_at] for cid, car in
              (("B", B), ("C", C))}
    for cid in ("B", "C"):
        c(all(v <= 7 for _, v in inside[cid]),
          "%s is not raised while A's car reacts (as (s after A's cut, A)): %s" % (cid, inside[cid]))
    t = wait(lambda: abs((B.last() or 0) - SHARE) <= 1 and abs((C.last() or 0) - SHARE) <= 1, 10)
    c(t is not None, "after A's window B and C get their share, %.0f A: %s %s" % (SHARE, B.history, C.history))
    peak = max(v for car in (B, C) for t, v in car.limits if t >= cut_at)
    print("after A's cut: B %s, C %s; peak %s A" % (inside["B"], inside["C"], peak))


if __name__ == "__main__":
    fleet_main(c, "fleet_dlm_hold", run)
