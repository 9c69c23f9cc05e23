"""A charger on a node that does not run the site's DLM loop, whose car
follows each new limit a moment after its charger accepted it, as the
site's meter shows (two csmsd nodes on one PostgreSQL, a server of its own:
tests/tools/pg_server.sh).

The node that holds the charger sends the deciding node the charger's
input (its state, and what it draws: the larger of its old and new limit
while the car reacts) at each of its ticks. Here the ticks are 3 s apart
and the car follows 0.5 s after the charger accepted: the deciding node
must learn the new draw when the charger accepts its limit, not at the
holder's next tick. Before, it took the meter's rise for house load
(grid - the old draw): the budget left was 0, and the charger was cut to
0 A, raised again, cut again, every few seconds.

Asserts: the charger gets a limit of 6 A or more, and over the next 10 s
(three of the holder's ticks, and a reading every 0.2 s) it is never sent
less than 6 A; the limits it got stay within breaker - margin - house.

Exit 77 (skip) without PostgreSQL, unless CSMS_REQUIRE_TEST_PEERS."""
import time
from harness import Checks, LimitCharger
from pgtest import fleet_main, meter, start_dlm_nodes, wait

BREAKER, MARGIN, HOUSE = 16, 1, 1
LAG = 0.5   # the car follows its new limit this long after its charger got it
WATCH = 10  # seconds watched once it charges

c = Checks()


def run(url, f):
    lead = start_dlm_nodes(c, url, f, 2, dlm_tick_ms=3000, dlm_react_s=1, dlm_breaker_a=BREAKER,
                           dlm_margin_a=MARGIN)
    if lead is None:
        return
    other = next(n for n in f.nodes if n is not lead)
    print("the loop runs on %s; the charger is held by %s" % (lead.node_id, other.node_id))
    car = LimitCharger(other, "F")
    f.chargers.append(car)

    meter(f, lead, HOUSE, [car], LAG)

    t = wait(lambda: (car.last() or 0) >= 6, 20)
    c(t is not None, "F on %s gets a limit of 6 A or more: %s" % (other.node_id, car.history))
    if t is None:
        return
    started = car.at
    time.sleep(WATCH)
    since = [(round(t - started, 2), v) for t, v in car.limits if t >= started]
    c(all(v >= 6 for _, v in since),
      "over %d s it is never cut under 6 A (as (s since it started, A)): %s" % (WATCH, since))
    c(all(v <= BREAKER - MARGIN - HOUSE + 0.1 for _, v in since),
      "its limits stay within breaker - margin - house (%d A): %s" % (BREAKER - MARGIN - HOUSE, since))
    print("limits over %d s: %s" % (WATCH, since))


if __name__ == "__main__":
    fleet_main(c, "fleet_dlm_follow", run)
