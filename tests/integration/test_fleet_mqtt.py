"""test_fleet_mqtt.py: MQTT in a fleet (issue 15 with issue 16's MQTT):
two nodes on one PostgreSQL, both with mqtt_url on one broker (Debian's
mosquitto), on one host (the same host name). Checks:

1. both nodes stay connected: each has a client id of its own (the node's
   id), so the broker never closes one for the other;
2. one node speaks for the fleet: the station's entities are the values of
   the node that runs the station (pushed there), and no other node
   publishes another value over them;
3. a charger held by the other node: its power entity is the value its
   MeterValues gave there (the node that publishes asks the holder for its
   live view), never "None" between, and GET /api/v1/chargers/{id} on the
   node that does not hold it, and its events stream (the dashboard), show
   that live view; its transaction's
   "started" event comes once;
4. a command is carried out once: the charging switch of a charger held by
   the other node reaches it as one RemoteStopTransaction, with nothing on
   <prefix>/error; a charger's and the station's settings commands are
   applied by one node ("applied" in one log), and every node shows the
   charger's new settings (before, only its holder and the station's node
   read them again);
5. the last will is the speaking node's: a node that does not speak dies
   (SIGKILL) and <prefix>/status stays "online"; the speaking node dies and
   the status goes "offline", then "online" again from the node that takes
   over, which publishes the station's values from then on.

Exit 77 (skip) without PostgreSQL or mosquitto, unless CSMS_REQUIRE_TEST_PEERS."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from harness import Csmsd, Checks, Raw, boot_frame, free_port
from pgtest import events, fleet_main, lead_of, wait

MOSQUITTO = "/usr/sbin/mosquitto"
for tool in (MOSQUITTO, "mosquitto_sub", "mosquitto_pub"):
    if not shutil.which(tool):
        if os.environ.get("CSMS_REQUIRE_TEST_PEERS"):
            print("FAIL: %s is not installed (package mosquitto / mosquitto-clients)" % tool)
            sys.exit(1)
        print("skipped: %s is not installed (package mosquitto / mosquitto-clients)" % tool)
        sys.exit(77)

c = Checks()
tmp = tempfile.mkdtemp(prefix="csms-fleet-mqtt-")
os.chmod(tmp, 0o755)   # mosquitto started as root reads its files as the user mosquitto


class Broker:
    """mosquitto on a free port, anonymous, its log kept."""

    def __init__(self):
        self.port = free_port()
        conf = os.path.join(tmp, "mosquitto.conf")
        self.logpath = os.path.join(tmp, "mosquitto.log")
        with open(conf, "w") as f:
            f.write("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n" % self.port)
        self.log = open(self.logpath, "ab")
        self.proc = subprocess.Popen([MOSQUITTO, "-c", conf, "-v"], stdout=self.log, stderr=self.log)
        deadline = time.time() + 10
        while time.time() < deadline:
            if subprocess.run(["mosquitto_pub", "-p", str(self.port), "-t", "probe", "-m", "x"],
                              capture_output=True).returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("mosquitto did not come up")

    def logtext(self):
        self.log.flush()
        with open(self.logpath, errors="replace") as f:
            return f.read()

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.log.close()


class Sub:
    """mosquitto_sub on '#': every message (topic, payload) in order."""

    def __init__(self, port):
        self.msgs = []
        self.lock = threading.Lock()
        self.proc = subprocess.Popen(["mosquitto_sub", "-p", str(port), "-t", "#", "-F", "%t\t%p"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1,
                                     encoding="utf-8", errors="replace")

        def pump():
            for line in self.proc.stdout:
                parts = line.rstrip("\n").split("\t", 1)
                if len(parts) == 2:
                    with self.lock:
                        self.msgs.append(tuple(parts))
        threading.Thread(target=pump, daemon=True).start()

    def count(self):
        with self.lock:
            return len(self.msgs)

    def on(self, topic, since=0):
        """The payloads on topic since message number since."""
        with self.lock:
            return [p for t, p in self.msgs[since:] if t == topic]

    def last(self, topic):
        got = self.on(topic)
        return got[-1] if got else None

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=5)


def pub(port, topic, payload):
    subprocess.run(["mosquitto_pub", "-p", str(port), "-q", "1", "-t", topic, "-m", payload], check=True)






class Charger:
    """A Raw peer that answers the central system's calls (the remote
    starts and stops it gets are counted) from a thread of its own."""

    def __init__(self, node, cid):
        self.cid, self.r = cid, Raw(node.url + "/" + cid)
        self.got, self.answers, self.lock = [], {}, threading.Lock()
        self.n = 0
        self.closed = False
        c.eq(self.ask("BootNotification", json.loads(boot_frame())[3])[2]["status"], "Accepted",
             "%s booted" % cid)

    def ask(self, action, payload):
        """A CALL and its answer (frames that are the server's calls are
        answered and kept)."""
        self.n += 1
        mid = "%s-%d" % (self.cid, self.n)
        self.r.send(json.dumps([2, mid, action, payload]))
        deadline = time.time() + 10
        while time.time() < deadline:
            f = self.take(deadline - time.time())
            if f and f[0] in (3, 4) and f[1] == mid:
                return f
        raise AssertionError("%s: no answer to %s" % (self.cid, action))

    def take(self, timeout):
        try:
            line = self.r.line(max(timeout, 0.05))
        except AssertionError:
            return None
        if line.startswith("#"):
            return None
        f = json.loads(line)
        if f[0] == 2:
            with self.lock:
                self.got.append(f)
            ans = {"status": "Accepted"}
            if f[2] == "GetConfiguration":
                ans = {}
            self.r.send(json.dumps([3, f[1], ans]))
        return f

    def pump(self, secs):
        end = time.time() + secs
        while time.time() < end:
            self.take(end - time.time())

    def calls(self, action):
        with self.lock:
            return [f for f in self.got if f[2] == action]

    def close(self):
        if not self.closed:
            self.closed = True
            self.r.close()


def run(url, f):
    broker = Broker()
    sub = Sub(broker.port)
    try:
        scenario(url, f, broker, sub)
    finally:
        sub.close()
        broker.close()
        shutil.rmtree(tmp, ignore_errors=True)


def scenario(url, f, broker, sub):
    chargers = f.chargers
    nodes = []    # the nodes running (f.nodes keeps every one, for their folders)
    settings = dict(unknown_chargers="accept", call_timeout=3, node_lease_s=6, station_source="api",
                    station_stale_s=120, station_tick_ms=200, mqtt_url="mqtt://127.0.0.1:%d" % broker.port,
                    mqtt_period_s=1, log_level="debug")
    ports = {}

    def start(name):
        ports.setdefault(name, (free_port(), free_port()))
        d = Csmsd(db=url, node_id=name, ws_port=ports[name][0], admin_port=ports[name][1], **settings)
        d.node_id = name
        f.nodes.append(d)
        return d
    nodes.extend([start("m0"), start("m1")])

    # 1. both connected, neither closed by the broker for the other
    def connected(n):
        try:
            return n.get("/api/v1/health")[1].get("mqtt") == "connected"
        except OSError:
            return False
    c(wait(lambda: all(connected(n) for n in nodes), 15) is not None, "both nodes connected to the broker")
    time.sleep(3)
    c(all(connected(n) for n in nodes), "both still connected 3 s later")
    log = broker.logtext()
    c("already connected" not in log and "session taken over" not in log,
      "the broker never closed one node's connection for the other's (one client id each): %s"
      % [x for x in log.splitlines() if "already connected" in x or "taken over" in x][:3])
    ids = sorted(set(x.split("New client connected from ")[1].split(" as ")[1].split(" ")[0]
                     for x in log.splitlines() if "New client connected from" in x and " as csmsd" in x))
    c(len(ids) >= 2 and all(any(n.node_id in i for i in ids) for n in nodes),
      "each node's client id names the node: %s" % ids)

    c(wait(lambda: lead_of(nodes) is not None, 15) is not None, "one node runs the station")
    lead = lead_of(nodes)
    other = next(n for n in nodes if n is not lead)
    print("the station runs on %s" % lead.node_id)
    c(wait(lambda: sub.last("csms/status") == "online", 10) is not None, "csms/status online")

    # 2. the station's values: the speaking node's, and nobody's over them
    halt = threading.Event()
    flows = {"pv_w": 4321, "load_w": 500, "soc_pct": 50}
    feed_to = [lead]

    def feed():
        while not halt.is_set():
            try:
                feed_to[0].put("/api/v1/station/measurements", dict(flows))
            except Exception:  # noqa: BLE001
                pass
            time.sleep(0.5)
    threading.Thread(target=feed, daemon=True).start()
    c(wait(lambda: sub.last("csms/station/pv_power") == "4321", 15) is not None,
      "csms/station/pv_power is the station's 4321 W: %s" % sub.on("csms/station/pv_power")[-5:])
    n0 = sub.count()
    time.sleep(3.5)    # three full passes of each node
    seen = sub.on("csms/station/pv_power", n0)
    c(sub.last("csms/station/pv_power") == "4321" and all(p == "4321" for p in seen),
      "3.5 s later still 4321 W, and no other value in between: %s" % seen)

    # 3. a charger on the other node: its measurements, its transaction once
    st, _ = lead.put("/api/v1/id-tags/FT1", {"status": "Accepted"})
    c(st in (200, 201), "idTag FT1")
    here = Charger(lead, "FA")
    chargers.append(here)
    there = Charger(other, "FB")
    chargers.append(there)
    for ch in (here, there):
        ch.ask("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"})
    tx = there.ask("StartTransaction", {"connectorId": 1, "idTag": "FT1", "meterStart": 1000,
                                        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
    c(tx[0] == 3 and tx[2].get("idTagInfo", {}).get("status") == "Accepted", "FB's transaction started")
    txid = tx[2].get("transactionId")
    there.ask("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Charging"})

    def meter(w, wh):
        there.ask("MeterValues", {"connectorId": 1, "transactionId": txid, "meterValue": [{
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "sampledValue": [
                {"value": str(w), "measurand": "Power.Active.Import", "unit": "W"},
                {"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}]})
    meter(7200, 1500)
    got = wait(lambda: sub.last("csms/charger/FB/power") == "7200", 15)
    c(got is not None, "FB's power, held by %s, published as 7200 W: %s"
      % (other.node_id, sub.on("csms/charger/FB/power")[-5:]))
    n0 = sub.count()
    for i in range(4):
        there.pump(1)
        meter(7200, 1600 + i)
    seen = sub.on("csms/charger/FB/power", n0)
    c(sub.last("csms/charger/FB/power") == "7200" and all(p == "7200" for p in seen),
      "4 s later still 7200 W, never None between: %s" % seen)
    c.eq(sub.last("csms/charger/FB/connected"), "ON", "FB connected (on the other node)")
    st, g = lead.get("/api/v1/chargers/FB")
    live = (g.get("live") or [{}])[0] if st == 200 else {}
    c(live.get("powerW") == 7200 and live.get("connectorId") == 1,
      "GET /api/v1/chargers/FB at %s (not its node): the holder's live view: %s" % (lead.node_id, g.get("live")))
    snap = events(lead, 5, lambda d: any((x.get("live") or [{}])[0].get("powerW") == 7200
                                         for x in d.get("chargers", []) if x.get("id") == "FB"))
    fb = next((x for x in (snap or {}).get("chargers", []) if x.get("id") == "FB"), {})
    c((fb.get("live") or [{}])[0].get("powerW") == 7200,
      "the events stream (the dashboard) at %s carries FB's live power: %s" % (lead.node_id, fb.get("live")))
    c(g.get("connected") is True and g.get("lastSeen", "") >= time.strftime("%Y-%m-%dT%H:%M", time.gmtime(
        time.time() - 60)), "... connected, lastSeen the holder's: %s" % g.get("lastSeen"))
    started = [p for p in sub.on("csms/charger/FB/transaction") if '"started"' in p]
    c.eq(len(started), 1, "FB's transaction started: one event (%d)" % len(started))

    # 4. commands, once each
    n0 = sub.count()
    pub(broker.port, "csms/charger/FB/charging/set", "OFF")
    end = time.time() + 3
    while time.time() < end:
        there.pump(0.2)
        here.pump(0.05)
    stops = there.calls("RemoteStopTransaction")
    c.eq(len(stops), 1, "the switch's OFF for FB reached it as one RemoteStopTransaction")
    c(stops and stops[0][3].get("transactionId") == txid, "... of its transaction")
    c.eq(sub.on("csms/error", n0), [], "and nothing on csms/error (no node said 'not connected')")

    n0 = sub.count()
    pub(broker.port, "csms/charger/FA/charging_mode/set", "pv")
    c(wait(lambda: all(n.get("/api/v1/chargers/FA")[1]["settings"]["chargingMode"] == "pv" for n in nodes), 10)
      is not None, "FA's charging mode pv, as both nodes answer")
    pub(broker.port, "csms/station/mode/set", "tou")
    c(wait(lambda: all(n.get("/api/v1/station")[1].get("mode") == "tou" for n in nodes), 10) is not None,
      "the station's mode tou, as both nodes answer")
    time.sleep(1)
    c.eq(sub.on("csms/error", n0), [], "no error for either command")
    for topic in ("csms/charger/FA/charging_mode/set", "csms/station/mode/set"):
        applied = [n.node_id for n in nodes if ("%s applied" % topic) in n.logtext()]
        c.eq(len(applied), 1, "%s applied by one node: %s" % (topic, applied))

    # 5. the last will: a node that does not speak dies, the status stays
    n0 = sub.count()
    there.close()
    other.kill()
    time.sleep(3)
    c.eq(sub.on("csms/status", n0), [], "%s (not speaking) killed: nothing on csms/status" % other.node_id)
    c.eq(sub.last("csms/status"), "online", "... which stays online")
    other = start(other.node_id)
    nodes[:] = [lead, other]
    c(wait(lambda: connected(other), 15) is not None, "%s back and connected" % other.node_id)
    time.sleep(2)

    # the speaking node dies: "offline" (its will), then the other speaks
    n0 = sub.count()
    here.close()
    lead.kill()
    nodes[:] = [other]
    c(wait(lambda: "offline" in sub.on("csms/status", n0), 10) is not None,
      "%s (speaking) killed: csms/status offline (its will)" % lead.node_id)
    c(wait(lambda: lead_of([other]) is other, 20) is not None, "%s runs the station now" % other.node_id)
    c(wait(lambda: sub.last("csms/status") == "online", 15) is not None,
      "csms/status online again, from %s: %s" % (other.node_id, sub.on("csms/status", n0)))
    flows["pv_w"] = 5555
    feed_to[0] = other
    c(wait(lambda: sub.last("csms/station/pv_power") == "5555", 20) is not None,
      "%s publishes the station's values: pv_power 5555: %s" % (other.node_id, sub.on("csms/station/pv_power")[-3:]))
    halt.set()


fleet_main(c, "fleet_mqtt", run)
