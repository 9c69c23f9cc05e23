"""test_fleet_kill.py: issue 15's crash test across a fleet. Three csmsd
nodes on one PostgreSQL (fsync on); test_kill_loop's chargers (start,
meter values, stop with transactionData, one CALL in flight, an unanswered
CALL sent again unchanged after the reconnect) spread over them, each
dialling the next node when its own does not answer, as a charger behind a
load balancer or with several central system URLs does. Under that load:

- again and again a node is SIGKILLed (each in turn, at random moments)
  and started again a moment later under the same id: its chargers
  reconnect to the others (each charger has used more than one node by
  the end);
- when the killed node ran the default site's control loop, another node
  runs it within the lease time (node_lease_s): the takeover times are
  printed;
- once, PostgreSQL itself is cut as a power cut would (immediate stop, no
  checkpoint) and started again: the nodes keep running and serve again by
  themselves (a CALL meanwhile gets CALLERROR InternalError, which the
  charger sends again);

then the chargers finish the CALL in hand, every node stops cleanly (exit
0), and the database must hold exactly what was acknowledged: nothing
lost, nothing doubled, nothing changed (test_kill_loop.check).

CSMS_FLEET_KILLS (default 12) node kills. Exit 77 (skip) without
PostgreSQL, unless CSMS_REQUIRE_TEST_PEERS."""
import json
import os
import random
import time
from harness import Csmsd, Checks, Raw, free_port
from pgtest import database, lead_of, pg, psql, start, stop, wait
import test_kill_loop as kl

KILLS = int(os.environ.get("CSMS_FLEET_KILLS", "12"))
CHARGERS = 6
LEASE_S = 6

c = Checks()


class FleetCharger(kl.Charger):
    """test_kill_loop's charger with one URL per node: it dials the node
    it used last, and the next one when that does not answer."""

    def __init__(self, idx, urls):
        super().__init__(idx, urls[0])
        self.urls = [u + "/" + self.id for u in urls]
        self.at = idx % len(urls)
        self.used = set()
        self.refused = 0   # CALLERROR InternalError (the database away): sent again

    def connect(self):
        while True:
            try:
                r = Raw(self.urls[self.at])
            except AssertionError:
                r = None
            if r is not None and r.first == "#connected":
                self.used.add(self.at)
                return r
            if r is not None:
                r.close()
            self.at = (self.at + 1) % len(self.urls)
            time.sleep(0.05)

    def wait(self, r, mid):
        try:
            return super().wait(r, mid)
        except RuntimeError as e:
            if "InternalError" not in str(e):
                raise
            self.refused += 1   # not stored, so not acknowledged: the same CALL again
            time.sleep(0.2)
            return None




def run(url):
    settings = dict(unknown_chargers="accept", unknown_id_tags="accept", log_level="warn",
                    node_lease_s=LEASE_S, call_timeout=5)
    names = ["k0", "k1", "k2"]
    ports = {n: (free_port(), free_port()) for n in names}
    tmps = {}
    nodes = {}

    def start_node(name):
        for attempt in range(3):
            try:
                d = Csmsd(db=url, node_id=name, ws_port=ports[name][0], admin_port=ports[name][1],
                          tmp=tmps.get(name), **settings)
            except RuntimeError:
                if attempt == 2:
                    raise
                time.sleep(1)
                continue
            d.node_id = name
            tmps[name] = d.tmp
            nodes[name] = d
            return d

    for n in names:
        start_node(n)
    urls = [nodes[n].url for n in names]
    chargers = [FleetCharger(i + 1, urls) for i in range(CHARGERS)]
    takeovers, crash_at = [], KILLS // 2
    t0 = time.time()
    try:
        for ch in chargers:
            ch.start()
        for k in range(KILLS):
            time.sleep(random.uniform(0.6, 1.6))
            victim = names[k % len(names)]
            others = [nodes[n] for n in names if n != victim]
            lead = lead_of(list(nodes.values()))
            nodes[victim].kill()
            if lead is nodes[victim]:
                t = wait(lambda: lead_of(others) is not None, LEASE_S + 4)
                takeovers.append(round(t, 2) if t is not None else None)
            time.sleep(random.uniform(0.1, 0.8))
            start_node(victim)
            if k == crash_at:
                c.eq(pg("crash").returncode, 0, "PostgreSQL cut (immediate stop) under load")
                time.sleep(1.5)
                c.eq(pg("up").returncode, 0, "PostgreSQL started again")
                c.eq([n for n, d in nodes.items() if d.proc.poll() is not None], [],
                     "every node kept running while PostgreSQL was away")
        # the last kill's node is back; every node's database is
        c(wait(lambda: all(d.get("/api/v1/health")[1].get("database") == "ok" for d in nodes.values()), 20)
          is not None, "every node says database ok at the end")
        time.sleep(1)
        kl.done.set()
        for ch in chargers:
            ch.join(kl.ANSWER_TIMEOUT + 30)
        c.eq([ch.id for ch in chargers if ch.is_alive()], [], "every charger finished the CALL in hand")
        rcs = {n: d.stop() for n, d in nodes.items()}
        c.eq(rcs, {n: 0 for n in names}, "every node stops cleanly after the kills")
        lost, dup, inc, notes = kl.check(None, chargers, lambda sql: psql(url, sql))
        res = {"nodes": len(names), "kills": KILLS, "pgCrashes": 1, "chargers": CHARGERS,
               "ackedStarts": sum(len(ch.starts) for ch in chargers),
               "ackedStops": sum(len(ch.stops) for ch in chargers),
               "ackedMeterValues": sum(len(ch.mvs) for ch in chargers),
               "resent": sum(ch.resends for ch in chargers),
               "refusedWhileDbAway": sum(ch.refused for ch in chargers),
               "nodesUsedPerCharger": [len(ch.used) for ch in chargers],
               "controlTakeoversS": takeovers,
               "lost": lost, "duplicated": dup, "incomplete": inc,
               "seconds": round(time.time() - t0, 1), "seed": kl.SEED}
        print(json.dumps(res), flush=True)
        for n in notes[:20]:
            print("  " + n)
        c.eq([e for ch in chargers for e in ch.errors], [], "the chargers saw no other error")
        c.eq((lost, dup, inc), (0, 0, 0), "nothing acknowledged lost, doubled or changed")
        c(res["ackedStarts"] > 0 and res["ackedStops"] > 0 and res["ackedMeterValues"] > 0,
          "load was acknowledged throughout")
        c(all(len(ch.used) > 1 for ch in chargers), "every charger reconnected to another node: %s"
          % res["nodesUsedPerCharger"])
        c(takeovers and all(t is not None and t < LEASE_S for t in takeovers),
          "the control loop moved within the lease time (%d s) each time its node was killed: %s"
          % (LEASE_S, takeovers))
        c(psql(url, "SELECT count(*) FROM charger_node") == [(0,)], "no lease left after the clean stops")
    except Exception:
        kl.done.set()
        for d in nodes.values():
            if d.proc.poll() is None:
                print(d.logtext()[-2000:])
                d.kill()
        raise
    finally:
        for d in nodes.values():
            d.cleanup()


start("--fsync")
try:
    run(database("fleetkill"))
except Exception as e:  # noqa: BLE001
    import traceback
    c(False, "exception: %r\n%s" % (e, traceback.format_exc()))
finally:
    stop()
c.done()
