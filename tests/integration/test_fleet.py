"""Several csmsd nodes on one PostgreSQL (issue 15 items 2 and 3), with a
server of its own (tests/tools/pg_server.sh):

1. three nodes; chargers spread over them: each node holds the leases of
   its chargers (charger_node), and GET /api/v1/health lists the nodes;
2. an admin call at a node that does not hold the charger reaches it
   through the holder; the HTTP answer equals the holder's own answer to
   the same call (a result, a CALLERROR, a schema refusal, a timeout),
   and a charger that nobody holds answers 409 as on one node; a
   charger deleted through a node that does not hold it: 409 while it is
   connected (before, deleted under its node), and forced: its node ends
   the session and forgets it; a charger rejected (accepted) through
   another node has its messages refused (taken) by its node (before, its
   node went on as it knew it); a transaction an admin closes through
   another node ends on the charger's node too (its TxProfile goes);
3. a charger that connects to another node: the old node drops its
   session, the lease moves, calls follow it;
4. a node SIGKILLed: its chargers reconnect to the others and admin calls
   reach them again (the time is printed).

Exit 77 (skip) without PostgreSQL, unless CSMS_REQUIRE_TEST_PEERS."""
import json
import signal
import time
from harness import Csmsd, Checks, LimitCharger, Raw, boot_frame
from pgtest import database, ports, psql, start, stop, wait


c = Checks()


def reply(action, payload):
    if action == "ClearCache":
        return [4, "NotSupported", "not here", {"why": "test"}]
    if action == "UnlockConnector":
        return None  # never answered: a timeout
    return [3, {"status": "Accepted"}]


def holders(url):
    return dict(psql(url, "SELECT charger, node FROM charger_node ORDER BY charger"))


def run(url):
    settings = dict(unknown_chargers="accept", call_timeout=2, node_lease_s=6)
    p = ports(6)
    nodes = []
    for i in range(3):
        nodes.append(Csmsd(db=url, node_id="n%d" % i, ws_port=p[2 * i], admin_port=p[2 * i + 1], **settings))
    chargers = []
    try:
        st, h = nodes[0].get("/api/v1/health")
        c.eq(sorted(n["id"] for n in h["nodes"]), ["n0", "n1", "n2"], "health lists the three nodes")
        c.eq((h["node"], h["database"], h["bus"]), ("n0", "ok", "ok"), "health: the node, its database and bus")
        c.eq(nodes[1].get("/api/v1/health", token="x")[0], 200, "health still public")

        # 1. chargers spread over the nodes
        for i in range(6):
            chargers.append(LimitCharger(nodes[i % 3], "F%d" % i, status=None, reply=reply))
        want = {"F%d" % i: "n%d" % (i % 3) for i in range(6)}
        c.eq(holders(url), want, "each node holds the leases of its chargers")
        st, lst = nodes[0].get("/api/v1/chargers")
        c.eq(sorted(x["id"] for x in lst if x["connected"]), sorted(want), "connected on any node, as any node says")

        # 2. admin calls at a node that does not hold the charger
        lat = []
        for action, body in (("Reset", {"type": "Soft"}), ("ClearCache", {}), ("Reset", {"type": "Sideways"}),
                             ("TriggerMessage", {"requestedMessage": "Heartbeat"})):
            local = nodes[1].post("/api/v1/chargers/F1/ocpp/" + action, body)
            t0 = time.time()
            remote = nodes[0].post("/api/v1/chargers/F1/ocpp/" + action, body)
            lat.append(time.time() - t0)
            c.eq(remote, local, "%s %s: the same answer through another node %s" % (action, body, remote))
            c.eq(nodes[2].post("/api/v1/chargers/F1/ocpp/" + action, body), local, "%s: from the third node" % action)
        lat.sort()
        print("call forwarding: median %.0f ms, max %.0f ms (a forwarded call against the holder's own: "
              "both include the charger's answer)" % (1000 * lat[len(lat) // 2], 1000 * lat[-1]))
        # the bus's socket wakes the loop (server_watch_fd): not the next 250 ms tick, twice
        c(lat[len(lat) // 2] < 0.1, "a forwarded call is not held by the ticks (median %.0f ms)"
          % (1000 * lat[len(lat) // 2]))
        local = nodes[1].post("/api/v1/chargers/F1/ocpp/UnlockConnector", {"connectorId": 1})
        remote = nodes[0].post("/api/v1/chargers/F1/ocpp/UnlockConnector", {"connectorId": 1})
        c.eq((remote[0], remote), (504, local), "a timeout: the same 504 through another node")
        c.eq(nodes[0].post("/api/v1/chargers/NOPE/ocpp/Reset", {"type": "Soft"})[0], 404, "unknown charger 404")
        audit = psql(url, "SELECT count(*) FROM audit WHERE charger='F1' AND action='TriggerMessage'")[0][0]
        c.eq(audit, 3, "one audit row per call, forwarded or not")

        # the local authorisation list through another node: sent by the holder, the same answer
        c.eq(nodes[1].put("/api/v1/id-tags/TAG-FLEET", {})[0] in (200, 201),
             True, "an id tag for the local lists")
        st, r = nodes[0].post("/api/v1/chargers/F1/local-list", {"updateType": "Full"})
        c(st == 200 and r.get("result", {}).get("status") == "Accepted" and r.get("entries", 0) >= 1,
          "POST .../local-list at a node that does not hold the charger: sent through its holder (%s %s)"
          % (st, r))
        st, r = nodes[2].get("/api/v1/chargers/F1/local-list")
        c(st == 200 and r.get("version") is not None and r.get("upToDate") is True,
          "any node sees the list the charger now holds: %s" % r)
        st, r = nodes[0].post("/api/v1/chargers/F1/local-list", {"updateType": "Sideways"})
        c.eq(st, 400, "a bad updateType through another node: the holder's 400")

        # a charger that nobody holds: 409 as on one node
        chargers[5].close()
        c(wait(lambda: "F5" not in holders(url), 5) is not None, "a closed charger's lease is dropped")
        c.eq(nodes[0].post("/api/v1/chargers/F5/ocpp/Reset", {"type": "Soft"})[0], 409, "nobody holds it: 409")

        # deleting a charger another node holds: connected, as on one node (409); forced: its node ends
        # the session and forgets it
        st, r = nodes[0].delete("/api/v1/chargers/F4")
        c.eq((st, (r or {}).get("error", {}).get("code")), (409, "InUse"),
             "DELETE of F4 (on n1) through n0: 409 while it is connected to another node")
        c.eq(nodes[2].get("/api/v1/chargers/F4")[0], 200, "F4 is still there")
        st, r = nodes[0].delete("/api/v1/chargers/F4?force=true")
        c.eq((st, (r or {}).get("disconnected")), (200, True), "forced: deleted, disconnected")
        c(wait(chargers[4].ended, 5) is not None, "n1 ended F4's session")
        c(wait(lambda: all(n.get("/api/v1/chargers/F4")[0] == 404 for n in nodes), 5) is not None,
          "no node knows F4: %s" % [n.get("/api/v1/chargers/F4")[0] for n in nodes])
        c(wait(lambda: "F4" not in holders(url), 5) is not None, "its lease is gone")

        # a registration decided through another node is in force on the holder
        r = Raw(nodes[1].url + "/FR")
        c.eq(r.ask(boot_frame())[2].get("status"), "Accepted", "FR boots at n1, accepted")

        def heartbeat():
            return r.ask(json.dumps([2, "hb%d" % time.monotonic_ns(), "Heartbeat", {}]))
        c.eq(nodes[0].post("/api/v1/chargers/FR/reject")[0], 200, "FR rejected through n0")
        t = wait(lambda: heartbeat()[0] == 4, 5)
        f = heartbeat()
        c(t is not None and f[0] == 4 and f[2] == "SecurityError",
          "n1 refuses FR's Heartbeat once it is rejected through n0: %s" % f)
        c.eq(nodes[2].post("/api/v1/chargers/FR/accept")[0], 200, "FR accepted through n2")
        t = wait(lambda: heartbeat()[0] == 3, 5)
        c(t is not None, "n1 takes FR's Heartbeat again: %s" % heartbeat())
        r.close()

        # an admin's stop through another node: the charger's node ends the transaction too
        ft = LimitCharger(nodes[1], "FT", status=None)
        chargers.append(ft)
        ft.r.send(json.dumps([2, "st1", "StartTransaction", {"connectorId": 1, "idTag": "T1", "meterStart": 100,
                                                             "timestamp": "2026-12-01T10:00:00Z"}]))

        def active():
            st, txs = nodes[1].get("/api/v1/transactions?charger=FT&active=true")
            return txs if st == 200 else []
        c(wait(lambda: len(active()) == 1, 5) is not None, "FT's transaction runs at n1")
        tx = (active() or [{"id": 0}])[0]["id"]
        prof = {"connectorId": 1, "csChargingProfiles": {
            "chargingProfileId": 77, "stackLevel": 1, "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Relative", "transactionId": tx, "chargingSchedule": {
                "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]}}}
        c.eq(nodes[1].post("/api/v1/chargers/FT/ocpp/SetChargingProfile", prof)[0], 200, "a TxProfile for it")

        def profiles():
            return [p["chargingProfileId"] for p in nodes[1].get("/api/v1/chargers/FT/profiles")[1]]
        c.eq(profiles(), [77], "the TxProfile listed")
        c.eq(nodes[0].post("/api/v1/transactions/%d/stop" % tx, {})[0], 200, "the transaction closed by an admin at n0")
        t = wait(lambda: profiles() == [], 5)
        c(t is not None, "n1 ends it too: the transaction's TxProfile is gone (%s)" % profiles())
        ft.close()

        # 3. a charger connects to another node: the newer connection wins
        old = chargers[1]
        t0 = time.time()
        chargers[1] = LimitCharger(nodes[2], "F1", status=None, reply=reply)
        moved = wait(old.ended, 5)
        c(moved is not None, "the old node dropped its session")
        print("takeover: the old node closed its session %.0f ms after the new boot" % (1000 * (moved or 0)))
        c.eq(holders(url).get("F1"), "n2", "the lease moved")
        c.eq(nodes[1].post("/api/v1/chargers/F1/ocpp/Reset", {"type": "Soft"}), (200, {"result": {"status": "Accepted"}}),
             "the old node forwards to the new one")

        # 4. a node SIGKILLed: its chargers dial another node
        nodes[0].proc.send_signal(signal.SIGKILL)
        nodes[0].proc.wait()
        killed = time.time()
        gone = [ch for ch in chargers if ch.cid in ("F0", "F3")]
        c(wait(lambda: all(ch.ended() for ch in gone), 5) is not None, "its chargers saw the connection end")
        for ch in gone:
            chargers.append(LimitCharger(nodes[1], ch.cid, status=None, reply=reply))
        ok = wait(lambda: all(nodes[2].post("/api/v1/chargers/%s/ocpp/Reset" % ch.cid, {"type": "Soft"})[0] == 200
                              for ch in gone), 15)
        c(ok is not None, "admin calls reach them again through the other nodes")
        print("node killed: its chargers answer admin calls through another node %.1f s later (lease %d s)"
              % (time.time() - killed, settings["node_lease_s"]))
        st, h = nodes[1].get("/api/v1/health")
        c.eq({n["id"]: n["running"] for n in h["nodes"]}.get("n0"), False, "health: the killed node does not run")
        for d in nodes[1:]:
            c.eq(d.stop(), 0, "a node stops")
        c.eq(psql(url, "SELECT count(*) FROM charger_node")[0][0], 0, "stopped nodes leave no lease")
    except Exception as e:  # noqa: BLE001
        import traceback
        c(False, "exception: %r\n%s\n%s" % (e, traceback.format_exc(), "\n".join(d.logtext()[-2000:] for d in nodes)))
        for d in nodes:
            d.kill()
    finally:
        for ch in chargers:
            ch.close()
        for d in nodes:
            d.cleanup()


start()
try:
    run(database("fleet"))
finally:
    stop()
c.done()
