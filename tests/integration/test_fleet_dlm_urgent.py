"""When the limits installed across a fleet add up to more than the
budget, the cut goes out at once, however small (two csmsd nodes on one
PostgreSQL, a server of its own: tests/tools/pg_server.sh).

One node sends a cut of 0.1 A or more at once, under the 1 A send
threshold, when the limits installed on the site's chargers add up to more
than the budget on a phase (the urgent cut). In a fleet each node plans
the chargers it holds, so the deciding node tells each one what the site's
other chargers have installed ("ie"), from the limit each holder says its
charger accepted ("i").

Set-up: breaker 40 A, margin 0, the house 8 A (fed meter: the house and
what each car draws, following its limit 0.5 s after it got it). A (max
16 A) on the node that does not decide, B (max 16 A) on the node that
does: 16 + 16 = the 32 A budget. Then the house draws 8.5 A: the budget is
31.5 A, 0.5 A under what is installed. Asserts: both chargers are cut
within 3 s, by less than 1 A, and their sum is within the budget. Before,
each node counted only its own charger's 16 A, saw no phase over budget,
and held both cuts under the 1 A threshold: 32 A stayed installed.

Exit 77 (skip) without PostgreSQL, unless CSMS_REQUIRE_TEST_PEERS."""
import time
from harness import Checks, LimitCharger
from pgtest import fleet_main, meter, start_dlm_nodes, wait

BREAKER, REACT, LAG = 40, 2, 0.5
house = [8.0]

c = Checks()


def run(url, f):
    lead = start_dlm_nodes(c, url, f, 2, dlm_react_s=REACT, dlm_breaker_a=BREAKER)
    if lead is None:
        return
    other = next(n for n in f.nodes if n is not lead)
    cars = {}
    for cid, node in (("A", other), ("B", lead)):
        st, _ = node.put("/api/v1/chargers/" + cid, {"maxCurrentA": 16, "phases": 3})
        c.eq(st, 201, "%s (max 16 A) provisioned at %s" % (cid, node.node_id))
        cars[cid] = LimitCharger(node, cid)
        f.chargers.append(cars[cid])
    print("the loop runs on %s; A on %s, B on %s" % (lead.node_id, other.node_id, lead.node_id))
    A, B = cars["A"], cars["B"]
    meter(f, lead, lambda: house[0], [A, B], LAG)

    t = wait(lambda: (A.last(), B.last()) == (16, 16) and time.time() - max(A.at, B.at) > REACT + 1, 40)
    c(t is not None, "settled at A 16, B 16: %s %s" % (A.history, B.history))
    if t is None:
        return

    house[0] = 8.5   # the budget is 31.5 A: 0.5 A under the 32 A installed
    t = wait(lambda: (A.last() or 0) < 16 and (B.last() or 0) < 16, 3)
    c(t is not None, "a 0.5 A excess across the two nodes is cut at once: A %s, B %s" % (A.history, B.history))
    for car in (A, B):
        c(15 < (car.last() or 0) < 16, "%s cut by less than 1 A (under the send threshold): %s"
          % (car.cid, car.last()))
    c((A.last() or 0) + (B.last() or 0) <= BREAKER - house[0] + 0.05,
      "their sum %s is within the budget %.1f" % ((A.last() or 0) + (B.last() or 0), BREAKER - house[0]))
    print("cut %.1f s after the house rose: A %s, B %s" % ((t or 0), A.last(), B.last()))


if __name__ == "__main__":
    fleet_main(c, "fleet_dlm_urgent", run)
