"""test_mqtt.py: MQTT with Home Assistant discovery (issue 16, item 1),
against Debian's own broker (/usr/sbin/mosquitto, on a free port with a
config and password file of its own) and its clients (mosquitto_sub,
mosquitto_pub): the discovery payloads hold what Home Assistant's MQTT
integration documents for each component (sensor, binary_sensor, select,
number, switch), their topics are ones csmsd publishes, unique ids are
unique, default_entity_id is the component + "." + object_id, the
max_current number's range is the API's; states and configs are retained (a
subscriber that comes later gets them at once); the values after a
charger's session; a good command changes what the API shows, a bad one
changes nothing and is answered on <prefix>/error; the charging switch's
remote start and stop; a burst of state changes is published at most once
per 250 ms tick; remoteEms through the select is refused, through
<prefix>/station/set with "confirm": true taken;
user and password; a broker restart (csmsd reconnects and publishes again),
also while csmsd holds more than 1024 descriptors (libmosquitto's own loop
selects and refuses such a socket);
a deleted charger's entities removed; the last will; mqtt_events publishes
the kinds chosen only; with DLM on and the station's measurements pushed,
the station topics are the values of GET /api/v1/dlm and /api/v1/station;
a broker that is down
or a host that does not answer never slows OCPP down; bad settings stop the
start."""
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from harness import BUILD, Csmsd, LimitCharger, Raw, Checks, boot_frame, free_port

MOSQUITTO = "/usr/sbin/mosquitto"
for tool in (MOSQUITTO, "mosquitto_sub", "mosquitto_pub", "mosquitto_passwd"):
    if not shutil.which(tool):
        print("skipped: %s is not installed (package mosquitto / mosquitto-clients)" % tool)
        sys.exit(77)

c = Checks()
tmp = tempfile.mkdtemp(prefix="csms-mqtt-")
os.chmod(tmp, 0o755)   # mosquitto started as root reads its files as the user mosquitto
USER, PASSWORD = "csms", "s3cret-pw"


class Broker:
    """mosquitto on a free port; user/password required."""

    def __init__(self, port=None):
        self.port = port or free_port()
        pw = os.path.join(tmp, "passwd")
        if not os.path.exists(pw):
            subprocess.run(["mosquitto_passwd", "-c", "-b", pw, USER, PASSWORD], check=True)
            os.chmod(pw, 0o644)
        conf = os.path.join(tmp, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write("listener %d 127.0.0.1\nallow_anonymous false\npassword_file %s\npersistence false\n"
                    % (self.port, pw))
        self.log = open(os.path.join(tmp, "mosquitto.log"), "ab")
        self.proc = subprocess.Popen([MOSQUITTO, "-c", conf], stdout=self.log, stderr=self.log)
        deadline = time.time() + 10
        while time.time() < deadline:
            r = subprocess.run(["mosquitto_pub", "-p", str(self.port), "-u", USER, "-P", PASSWORD,
                                "-t", "probe", "-m", "x"], capture_output=True)
            if r.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("mosquitto did not come up")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.log.close()


class Sub:
    """mosquitto_sub on '#': every message (retained flag, topic, payload)
    in order, and the last payload of each topic."""

    def __init__(self, port, topic="#"):
        self.msgs, self.last = [], {}
        self.lock = threading.Lock()
        self.proc = subprocess.Popen(["mosquitto_sub", "-p", str(port), "-u", USER, "-P", PASSWORD,
                                      "-t", topic, "-F", "%r\t%t\t%l\t%p"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1,
                                     encoding="utf-8", errors="replace")

        def pump():
            for line in self.proc.stdout:
                parts = line.rstrip("\n").split("\t", 3)
                if len(parts) < 4:
                    continue
                retained, topic, _, payload = parts
                with self.lock:
                    self.msgs.append((retained == "1", topic, payload))
                    self.last[topic] = payload
        threading.Thread(target=pump, daemon=True).start()

    def wait(self, what, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                r = what(self)
            if r:
                return r
            time.sleep(0.05)
        return None

    def value(self, topic, want, timeout=15):
        return self.wait(lambda s: s.last.get(topic) == want, timeout)

    def since(self, n):
        with self.lock:
            return list(self.msgs[n:])

    def count(self):
        with self.lock:
            return len(self.msgs)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=5)


def pub(port, topic, payload, raw=False):
    args = ["mosquitto_pub", "-p", str(port), "-u", USER, "-P", PASSWORD, "-t", topic]
    if raw:   # bytes: from a file, as they are
        path = os.path.join(tmp, "payload.bin")
        with open(path, "wb") as f:
            f.write(payload)
        args += ["-f", path]
    else:
        args += ["-m", payload]
    subprocess.run(args, check=True)


def ocpp(r, frame, timeout=10):
    """Sends a charger's CALL and returns csmsd's answer to it; csmsd's own
    CALLs that come first (the station's charging profiles) are answered as
    a charger would."""
    mid = json.loads(frame)[1]
    r.send(frame)
    while True:
        line = r.line(timeout)
        if line.startswith("#"):
            continue
        f = json.loads(line)
        if f[0] == 2:
            r.send(json.dumps([3, f[1], Raw.DLM_ANSWERS.get(f[2], {})]))
        elif f[1] == mid:
            return f


def await_call(r, action, timeout=10):
    """The next CALL of csmsd's that is action; others before it answered."""
    while True:
        line = r.line(timeout)
        if line.startswith("#"):
            continue
        f = json.loads(line)
        if f[0] == 2 and f[2] == action:
            return f
        if f[0] == 2:
            r.send(json.dumps([3, f[1], Raw.DLM_ANSWERS.get(f[2], {})]))


def errors_since(sub, n, topic, timeout=10):
    """The <prefix>/error answers about topic that came after message n."""
    def find(s):
        out = [json.loads(p) for _, t, p in s.msgs[n:] if t == "csms/error"]
        return [e for e in out if e.get("topic") == topic] or None
    return sub.wait(find, timeout) or []


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# What Home Assistant's MQTT integration documents per component: the keys
# it requires, and the keys we may use (abbreviations not used).
COMMON = {"name", "unique_id", "object_id", "default_entity_id", "state_topic", "availability_topic",
          "payload_available", "payload_not_available", "device", "device_class"}
SCHEMA = {
    "sensor": ({"state_topic"}, COMMON | {"unit_of_measurement", "state_class", "options"}),
    "binary_sensor": ({"state_topic"}, COMMON | {"payload_on", "payload_off"}),
    "select": ({"command_topic", "options"}, COMMON | {"command_topic", "options"}),
    "number": ({"command_topic"}, COMMON | {"command_topic", "min", "max", "step", "mode", "unit_of_measurement"}),
    "switch": ({"command_topic"}, COMMON | {"command_topic", "payload_on", "payload_off"}),
}
UNITS = {"power": {"W", "kW"}, "energy": {"Wh", "kWh", "MWh"}, "current": {"A", "mA"}, "battery": {"%"}}
SENSOR_CLASSES = {"power", "energy", "current", "battery", "enum", None}
BINARY_CLASSES = {"connectivity", "power", None}
ID = re.compile(r"^[a-zA-Z0-9_-]+$")


def check_discovery(configs, last):
    """configs: {topic: payload dict}. Every rule of the documented schema."""
    uids = {}
    for topic, p in configs.items():
        m = re.match(r"^homeassistant/([a-z_]+)/([^/]+)/([^/]+)/config$", topic)
        c(m, "discovery topic shape: %s" % topic)
        if not m:
            continue
        comp, node, obj = m.groups()
        c(comp in SCHEMA, "%s: a component csmsd means to use" % comp)
        req, allowed = SCHEMA.get(comp, (set(), set()))
        c(ID.match(node) and ID.match(obj), "%s: node and object id are [a-zA-Z0-9_-]" % topic)
        c(req <= set(p), "%s has the required %s" % (topic, req - set(p)))
        c(set(p) <= allowed, "%s: only documented keys (%s)" % (topic, set(p) - allowed))
        c(isinstance(p.get("unique_id"), str) and p["unique_id"], "%s has a unique_id" % topic)
        uids.setdefault(p.get("unique_id"), []).append(topic)
        # the entity id: object_id for Home Assistant before 2025.10, default_entity_id
        # ("<component>.<object id>") from then on (object_id stops working in 2026.4)
        c(isinstance(p.get("object_id"), str) and ID.match(p["object_id"]), "%s has an object_id" % topic)
        c.eq(p.get("default_entity_id"), "%s.%s" % (comp, p.get("object_id")),
             "%s: default_entity_id is the component + '.' + object_id" % topic)
        c.eq(p.get("availability_topic"), "csms/status", "%s: availability on csms/status" % topic)
        dev = p.get("device", {})
        c(isinstance(dev.get("identifiers"), list) and dev["identifiers"] and dev.get("name"),
          "%s: device with identifiers and a name" % topic)
        st = p.get("state_topic")
        c(st in last and last[st] != "", "%s: its state topic %s is published (%r)" % (topic, st, last.get(st)))
        if "command_topic" in p:
            c.eq(p["command_topic"], st + "/set", "%s: command topic is the state topic + /set" % topic)
        dc = p.get("device_class")
        if comp == "sensor":
            c(dc in SENSOR_CLASSES, "%s: sensor device_class %s" % (topic, dc))
            if dc in UNITS:
                c(p.get("unit_of_measurement") in UNITS[dc], "%s: unit %s fits %s" % (
                    topic, p.get("unit_of_measurement"), dc))
            if dc == "enum":
                c(isinstance(p.get("options"), list) and p["options"] and "unit_of_measurement" not in p
                  and "state_class" not in p, "%s: an enum sensor has options, no unit, no state class" % topic)
                c(last.get(st) in p.get("options", []), "%s: its state %r is one of its options" % (topic, last.get(st)))
            sc = p.get("state_class")
            c(sc in (None, "measurement", "total", "total_increasing"), "%s: state_class %s" % (topic, sc))
            if dc == "energy":
                c(sc in ("total", "total_increasing"), "%s: energy is a total, not a measurement" % topic)
            if sc and last.get(st) not in (None, "None"):
                try:
                    float(last[st])
                    c(True, "")
                except ValueError:
                    c(False, "%s: numeric state %r" % (topic, last[st]))
        if comp == "binary_sensor":
            c(dc in BINARY_CLASSES, "%s: binary_sensor device_class %s" % (topic, dc))
            c(last.get(st) in (p.get("payload_on", "ON"), p.get("payload_off", "OFF")),
              "%s: state %r is its on or off payload" % (topic, last.get(st)))
        if comp == "switch":
            c(last.get(st) in (p.get("payload_on", "ON"), p.get("payload_off", "OFF")),
              "%s: state %r is its on or off payload" % (topic, last.get(st)))
        if comp == "select":
            c(isinstance(p["options"], list) and all(isinstance(o, str) for o in p["options"]) and p["options"],
              "%s: options a list of strings" % topic)
            c(last.get(st) in p["options"], "%s: its state %r is one of its options" % (topic, last.get(st)))
        if comp == "number":
            c(p.get("min", 1) < p.get("max", 100) and p.get("step", 1) > 0, "%s: min < max, step > 0" % topic)
            c(p.get("mode", "auto") in ("auto", "box", "slider"), "%s: mode" % topic)
    dup = {u: t for u, t in uids.items() if len(t) > 1}
    c(not dup, "unique_id unique: %s" % dup)
    return uids


def configs_of(sub, node_part):
    with sub.lock:
        return {t: json.loads(p) for t, p in sub.last.items()
                if t.startswith("homeassistant/") and t.endswith("/config") and node_part in t and p}


broker = Broker()
sub = Sub(broker.port)
d = r = None
try:
    d = Csmsd(unknown_chargers="accept", mqtt_url="mqtt://127.0.0.1:%d" % broker.port, mqtt_user=USER,
              mqtt_password=PASSWORD, mqtt_period_s=1)
    c(sub.value("csms/status", "online"), "csms/status online (retained) after the connect")
    c.eq(d.get("/api/v1/health"), (200, {"status": "ok", "mqtt": "connected"}), "health says MQTT is connected")
    c(PASSWORD not in d.logtext(), "the password is never logged")

    # ---- a charger and its session ----
    r = Raw(d.url + "/CP-MQ")
    c.eq(json.loads(r.call(boot_frame(vendor="ACME", model="Wallbox 11")))[2]["status"], "Accepted", "booted")
    r.call(json.dumps([2, "s1", "StatusNotification", {"connectorId": 1, "errorCode": "NoError",
                                                        "status": "Available"}]))
    c(sub.value("csms/charger/CP-MQ/connected", "ON"), "connected ON")
    c(sub.value("csms/charger/CP-MQ/connector/1/status", "Available"), "connector 1 Available")
    c(sub.wait(lambda s: len([t for t in s.last if "/csms_CP-MQ/" in t]) >= 11),
      "the charger's discovery: every entity of its device")
    station = configs_of(sub, "/csms_station/")
    charger = configs_of(sub, "/csms_CP-MQ/")
    c(len(station) >= 15 and len(charger) >= 11, "discovery configs: %d station, %d charger" % (
        len(station), len(charger)))
    with sub.lock:
        last = dict(sub.last)
    uids = check_discovery(dict(station, **charger), last)
    comps = {t.split("/")[1] for t in list(station) + list(charger)}
    c(comps >= {"sensor", "binary_sensor", "select", "number", "switch"}, "every component: %s" % comps)
    chg_dev = charger["homeassistant/sensor/csms_CP-MQ/power/config"]["device"]
    c.eq((chg_dev.get("manufacturer"), chg_dev.get("model")), ("ACME", "Wallbox 11"), "the device says vendor and model")
    c.eq(chg_dev.get("via_device"), "csms_station", "a charger is reached through the station")
    modes = station["homeassistant/select/csms_station/mode/config"]["options"]
    c("selfConsumption" in modes and "optimise" in modes, "station modes offered: %s" % modes)
    c.eq(charger["homeassistant/select/csms_CP-MQ/charging_mode/config"]["options"], ["fast", "solarBoost", "pv"],
         "charging modes offered")
    # ---- retained: a subscriber that comes after the publishing gets every state and config at once ----
    wanted = {"csms/status"} | set(station) | set(charger) | {p["state_topic"] for p in list(station.values())
                                                              + list(charger.values())}
    late = Sub(broker.port)
    try:
        late.wait(lambda s: wanted <= set(s.last), 5)
        with late.lock:
            first = {}
            for ret, t, p in late.msgs:
                first.setdefault(t, (ret, p))
        missing = sorted(wanted - set(first))
        c(not missing, "a late subscriber got all %d state and discovery topics: missing %s" % (len(wanted), missing))
        c(all(first[t][0] for t in wanted if t in first),
          "each came from the broker's retained store (retain flag): not %s"
          % sorted(t for t in wanted if t in first and not first[t][0]))
        confs = dict(station, **charger)
        c(all(json.loads(first[t][1]) == confs[t] for t in confs if t in first),
          "the late subscriber's discovery configs are the ones published")
    finally:
        late.stop()

    # the max_current number's range is the API's: both ends taken, a step beyond either refused
    num = charger["homeassistant/number/csms_CP-MQ/max_current/config"]
    for v, want in ((num["min"], 200), (num["max"], 200), (num["min"] - num["step"], 400),
                    (num["max"] + num["step"], 400)):
        c.eq(d.put("/api/v1/chargers/CP-MQ", {"maxCurrentA": v})[0], want,
             "max_current offers %g..%g: PUT maxCurrentA %g" % (num["min"], num["max"], v))
    c.eq(d.put("/api/v1/chargers/CP-MQ", {"maxCurrentA": None})[0], 200, "maxCurrentA back to none")
    for k in ("grid_current_l1", "grid_current_l2", "grid_current_l3", "battery_soc"):
        c(re.match(r"^-?\d+(\.\d+)?$", last.get("csms/station/" + k, "")), "station %s = %r" % (
            k, last.get("csms/station/" + k)))

    # ---- a burst of state changes: at most one pass per 250 ms tick, not one per change ----
    st_topic = "csms/charger/CP-MQ/connector/1/status"
    n = sub.count()
    t0 = time.time()
    changes = 41
    for i in range(changes):   # ends on Reserved, a value not published before
        ocpp(r, json.dumps([2, "b%d" % i, "StatusNotification", {
            "connectorId": 1, "errorCode": "NoError", "status": "Available" if i % 2 else "Reserved"}]))
    c(sub.value(st_topic, "Reserved"), "the burst's last status published")
    took = time.time() - t0
    pubs = [p for _, t, p in sub.since(n) if t == st_topic]
    bound = int(took / 0.25) + 2
    c(changes > bound, "the burst (%d changes in %.2f s) is faster than the ticks" % (changes, took))
    c(len(pubs) <= bound, "%d status changes in %.2f s: published %d times (at most %d, one per tick)"
      % (changes, took, len(pubs), bound))
    ocpp(r, json.dumps([2, "b-end", "StatusNotification", {"connectorId": 1, "errorCode": "NoError",
                                                           "status": "Available"}]))
    c(sub.value(st_topic, "Available"), "connector 1 Available again")

    n0 = sub.count()
    ans = json.loads(r.call(json.dumps([2, "t1", "StartTransaction", {
        "connectorId": 1, "idTag": "TAG1", "meterStart": 1000, "timestamp": now_iso()}])))
    txid = ans[2]["transactionId"]
    r.call(json.dumps([2, "s2", "StatusNotification", {"connectorId": 1, "errorCode": "NoError",
                                                        "status": "Charging"}]))
    r.call(json.dumps([2, "mv1", "MeterValues", {"connectorId": 1, "transactionId": txid, "meterValue": [
        {"timestamp": now_iso(), "sampledValue": [
            {"value": "3000", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
            {"value": "7.2", "measurand": "Power.Active.Import", "unit": "kW"},
            {"value": "10.5", "measurand": "Current.Import", "phase": "L1", "unit": "A"},
            {"value": "10.4", "measurand": "Current.Import", "phase": "L2", "unit": "A"},
            {"value": "10.3", "measurand": "Current.Import", "phase": "L3", "unit": "A"}]}]}]))
    c(sub.value("csms/charger/CP-MQ/charging", "ON"), "charging ON during the session")
    c(sub.value("csms/charger/CP-MQ/connector/1/status", "Charging"), "connector 1 Charging")
    c(sub.value("csms/charger/CP-MQ/transaction_id", "%d" % txid), "transaction id published")
    c(sub.value("csms/charger/CP-MQ/power", "7200"), "power 7200 W (kW scaled)")
    c(sub.value("csms/charger/CP-MQ/current", "10.5"), "current: the largest phase")
    c(sub.value("csms/charger/CP-MQ/energy", "3000"), "energy register 3000 Wh")
    c(sub.value("csms/charger/CP-MQ/transaction_energy", "2000"), "session energy 2000 Wh so far")
    started = sub.wait(lambda s: [json.loads(p) for ret, t, p in s.msgs[n0:]
                                  if t == "csms/charger/CP-MQ/transaction" and not ret])
    c(started and started[0]["event"] == "started" and started[0]["transaction"]["id"] == txid,
      "a 'started' event (not retained): %s" % started)
    r.call(json.dumps([2, "t2", "StopTransaction", {"transactionId": txid, "meterStop": 3500,
                                                     "timestamp": now_iso(), "reason": "Local"}]))
    c(sub.value("csms/charger/CP-MQ/charging", "OFF"), "charging OFF after the stop")
    stopped = sub.wait(lambda s: [json.loads(p) for _, t, p in s.msgs[n0:]
                                  if t == "csms/charger/CP-MQ/transaction" and '"stopped"' in p])
    c(stopped and stopped[0]["transaction"]["energyWh"] == 2500 and stopped[0]["transaction"]["stopReason"] == "Local",
      "a 'stopped' event with the energy and reason: %s" % stopped)
    c(sub.value("csms/charger/CP-MQ/transaction_id", "None"), "no transaction: None")

    # ---- notifications (central/evhook.h) on csms/event/<kind>, the webhooks' body ----
    fin = sub.wait(lambda s: [json.loads(p) for ret, t, p in s.msgs[n0:]
                              if t == "csms/event/sessionFinished" and not ret])
    c(fin and fin[0]["session"]["transactionId"] == txid and fin[0]["session"]["energyWh"] == 2500
      and fin[0]["charger"] == "CP-MQ", "sessionFinished on csms/event/sessionFinished: %s" % fin)
    n1 = sub.count()
    r.call(json.dumps([2, "s3", "StatusNotification", {"connectorId": 1, "errorCode": "GroundFailure",
                                                        "status": "Faulted"}]))
    raised = sub.wait(lambda s: [json.loads(p) for ret, t, p in s.msgs[n1:]
                                 if t == "csms/event/alarmRaised" and not ret])
    c(raised and raised[0]["alarm"]["code"] == "GroundFailure" and raised[0]["alarm"]["active"] is True
      and raised[0]["kind"] == "alarmRaised", "a fault: alarmRaised with its code: %s" % raised)
    r.call(json.dumps([2, "s4", "StatusNotification", {"connectorId": 1, "errorCode": "NoError",
                                                        "status": "Available"}]))
    cleared = sub.wait(lambda s: [json.loads(p) for ret, t, p in s.msgs[n1:]
                                  if t == "csms/event/alarmCleared" and not ret])
    c(cleared and cleared[0]["alarm"]["code"] == "GroundFailure", "its clear: alarmCleared: %s" % cleared)

    # ---- commands: good ones change what the API shows ----
    pub(broker.port, "csms/charger/CP-MQ/charging_mode/set", "pv")
    c(sub.value("csms/charger/CP-MQ/charging_mode", "pv"), "charging mode pv published back")
    c.eq(d.get("/api/v1/chargers/CP-MQ")[1]["settings"]["chargingMode"], "pv", "the API shows the new mode")
    pub(broker.port, "csms/charger/CP-MQ/max_current/set", "16")
    c(sub.value("csms/charger/CP-MQ/max_current", "16.0"), "max current 16 published back")
    c.eq(d.get("/api/v1/chargers/CP-MQ")[1]["settings"]["maxCurrentA"], 16, "the API shows maxCurrentA 16")
    pub(broker.port, "csms/station/mode/set", "feedIn")
    c(sub.value("csms/station/mode", "feedIn"), "station mode feedIn published back")
    c.eq(d.get("/api/v1/station")[1]["mode"], "feedIn", "the API shows the station in feedIn")
    pub(broker.port, "csms/charger/CP-MQ/set", json.dumps({"phases": 1, "gridPhase": 2}))
    c(sub.wait(lambda s: d.get("/api/v1/chargers/CP-MQ")[1]["settings"]["phases"] == 1, 10),
      "a JSON body on csms/charger/<id>/set is a PUT of the charger's settings")

    # ---- bad ones change nothing and are answered on csms/error ----
    before_ch = d.get("/api/v1/chargers/CP-MQ")[1]["settings"]
    before_st = d.get("/api/v1/station")[1]["settings"]
    bad = [
        ("csms/charger/CP-MQ/max_current/set", "3", "maxCurrentA"),
        ("csms/charger/CP-MQ/max_current/set", "abc", "not a number"),
        ("csms/charger/CP-MQ/max_current/set", "nan", "not a number"),
        ("csms/charger/CP-MQ/max_current/set", "1e999", "not a number"),
        ("csms/charger/CP-MQ/charging_mode/set", "warp", "chargingMode"),
        ("csms/station/mode/set", "bogus", "mode"),
        ("csms/station/set", "{\"mode\": ", "JSON"),
        ("csms/station/set", "[1]", "object"),
        ("csms/charger/CP-MQ/set", json.dumps({"authorizationKey": "0123456789abcdef0"}), "authorizationKey"),
        ("csms/charger/CP-MQ/set", json.dumps({"noSuchSetting": 1}), "noSuchSetting"),
        ("csms/charger/NOPE/charging_mode/set", "pv", "no such charger"),
        ("csms/charger/CP-MQ/charging/set", "MAYBE", "ON or OFF"),
        ("csms/charger/CP-MQ/charging/set", "OFF", "no transaction"),
        ("csms/charger/CP-MQ/charging/set", "ON", "needs a card"),
    ]
    for topic, payload, why in bad:
        n = sub.count()
        pub(broker.port, topic, payload)
        errs = errors_since(sub, n, topic)
        c(errs and why in errs[0]["error"] and errs[0].get("code"), "%s %r refused (%s): %s" % (
            topic, payload, why, errs))
    for topic, payload, why in [("csms/charger/CP-MQ/charging_mode/set", b"p\xffv", "UTF-8"),
                                ("csms/charger/CP-MQ/charging_mode/set", b"x" * 5000, "longer")]:
        n = sub.count()
        pub(broker.port, topic, payload, raw=True)
        errs = errors_since(sub, n, topic)
        c(errs and why in errs[0]["error"], "%s: a payload %s refused: %s" % (topic, why, errs))
    c.eq(d.get("/api/v1/chargers/CP-MQ")[1]["settings"], before_ch, "the bad commands changed no charger setting")
    c.eq(d.get("/api/v1/station")[1]["settings"], before_st, "the bad commands changed no station setting")
    c.eq(d.get("/api/v1/station")[1]["mode"], "feedIn", "station mode unchanged")

    # ---- remoteEms: the select alone is refused (entering or leaving needs confirm);
    # <prefix>/station/set with {"mode", "confirm": true} does it ----
    for mode, before in (("remoteEms", "feedIn"), ("feedIn", "remoteEms")):
        n = sub.count()
        pub(broker.port, "csms/station/mode/set", mode)
        errs = errors_since(sub, n, "csms/station/mode/set")
        c(errs and "confirm" in errs[0]["error"], "the select to %s is refused, confirm needed: %s" % (mode, errs))
        c.eq(d.get("/api/v1/station")[1]["mode"], before, "the refused select changed no mode")
        pub(broker.port, "csms/station/set", json.dumps({"mode": mode, "confirm": True}))
        c(sub.value("csms/station/mode", mode), "csms/station/set {mode: %s, confirm: true}: published" % mode)
        c.eq(d.get("/api/v1/station")[1]["mode"], mode, "the API shows %s" % mode)

    # ---- the charging switch: a remote start the charger sees ----
    c.eq(d.put("/api/v1/chargers/CP-MQ", {"authorizationRequired": False, "freeIdTag": "HOME"})[0], 200,
         "no card needed")
    pub(broker.port, "csms/charger/CP-MQ/charging/set", "ON")
    call = json.loads(r.line(10))
    while call[0] == 2 and call[2] != "RemoteStartTransaction":   # csmsd's own calls after the boot
        r.send(json.dumps([3, call[1], {}]))
        call = json.loads(r.line(10))
    c(call[0] == 2 and call[2] == "RemoteStartTransaction" and call[3].get("idTag") == "HOME",
      "ON sent RemoteStartTransaction with the free idTag: %s" % call)
    n = sub.count()
    r.send(json.dumps([3, call[1], {"status": "Rejected"}]))
    errs = errors_since(sub, n, "csms/charger/CP-MQ/charging/set")
    c(errs and "Rejected" in errs[0]["error"], "a Rejected remote start is answered on csms/error: %s" % errs)

    # ---- the charging switch: a remote stop the charger sees, OFF once it stopped ----
    ans = ocpp(r, json.dumps([2, "t3", "StartTransaction", {
        "connectorId": 1, "idTag": "HOME", "meterStart": 5000, "timestamp": now_iso()}]))
    tx2 = ans[2]["transactionId"]
    c(sub.value("csms/charger/CP-MQ/charging", "ON"), "charging ON in transaction %s" % tx2)
    pub(broker.port, "csms/charger/CP-MQ/charging/set", "OFF")
    call = await_call(r, "RemoteStopTransaction")
    c(call[3] == {"transactionId": tx2},
      "OFF sent RemoteStopTransaction of the running transaction: %s" % call)
    n = sub.count()
    r.send(json.dumps([3, call[1], {"status": "Accepted"}]))
    c.eq(errors_since(sub, n, "csms/charger/CP-MQ/charging/set", 1), [], "an Accepted remote stop: no error")
    c.eq(sub.last.get("csms/charger/CP-MQ/charging"), "ON", "still ON until the charger stops the transaction")
    ocpp(r, json.dumps([2, "t4", "StopTransaction", {"transactionId": tx2, "meterStop": 5400,
                                                       "timestamp": now_iso(), "reason": "Remote"}]))
    c(sub.value("csms/charger/CP-MQ/charging", "OFF"), "charging OFF after its StopTransaction")
    c.eq([t["id"] for t in d.get("/api/v1/transactions?active=true")[1] if t["charger"] == "CP-MQ"], [],
         "the API has no transaction running on CP-MQ")

    # ---- a deleted charger's entities go ----
    r.close()
    r = None
    c.eq(d.delete("/api/v1/chargers/CP-MQ?force=true")[0], 200, "charger deleted")
    c(sub.wait(lambda s: all(s.last.get(t) == "" for t in charger), 15),
      "every discovery config of the deleted charger emptied (removed from Home Assistant)")
    c(sub.wait(lambda s: s.last.get("csms/charger/CP-MQ/power") == "", 15), "and its state topics cleared")

    # ---- broker restart: csmsd connects again and publishes everything ----
    broker.stop()
    sub.stop()
    time.sleep(0.5)
    c(d.get("/api/v1/health")[1].get("mqtt") == "disconnected", "health: disconnected while the broker is down")
    broker = Broker(broker.port)   # no persistence: the retained messages are gone
    sub = Sub(broker.port)
    c(sub.value("csms/status", "online", 20), "online again after the broker came back")
    c(sub.wait(lambda s: len([t for t in s.last if t.startswith("homeassistant/") and "/csms_station/" in t])
               >= len(station), 20), "the station's discovery published again")
    c(sub.wait(lambda s: s.last.get("csms/station/mode") == "feedIn", 10), "and its states")
    c(d.get("/api/v1/health")[1].get("mqtt") == "connected", "health: connected again")

    # ---- Home Assistant restarts: its birth message brings discovery again ----
    n = sub.count()
    pub(broker.port, "homeassistant/status", "online")
    c(sub.wait(lambda s: [t for _, t, _ in s.msgs[n:] if t == "homeassistant/select/csms_station/mode/config"]),
      "discovery again after homeassistant/status online")

    # ---- a clean stop says offline; a crash leaves the will ----
    c.eq(d.stop(), 0, "exit status")
    c(sub.value("csms/status", "offline", 5), "offline (retained) after a clean stop")
    d = Csmsd(mqtt_url="mqtt://127.0.0.1:%d" % broker.port, mqtt_user=USER, mqtt_password=PASSWORD)
    c(sub.value("csms/status", "online", 10), "online")
    d.kill()
    c(sub.value("csms/status", "offline", 60), "the last will: offline after a crash")
    d = None

    # ---- a wrong password: refused, csmsd runs on ----
    d = Csmsd(unknown_chargers="accept", mqtt_url="mqtt://127.0.0.1:%d" % broker.port, mqtt_user=USER,
              mqtt_password="wrong")
    time.sleep(1.5)
    c.eq(d.get("/api/v1/health"), (200, {"status": "ok", "mqtt": "disconnected"}), "wrong password: not connected")
    c(re.search(r"mqtt .*not connected.*(refused|authori)", d.logtext(), re.I), "the log says the broker refused: %s"
      % [l for l in d.logtext().splitlines() if "mqtt" in l])
    c.eq(d.stop(), 0, "exit status (wrong password)")
    d = None

    # ---- 1100 descriptors held (as by a thousand chargers): every socket
    # csmsd opens is numbered 1024 or more; MQTT connects and reconnects ----
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2048:
        print("high descriptors: NOFILE hard limit %d, skipped" % hard)
    else:
        resource.setrlimit(resource.RLIMIT_NOFILE, (2048, hard))
        held = [os.open("/dev/null", os.O_RDONLY) for _ in range(1100)]
        try:
            d = Csmsd(mqtt_url="mqtt://127.0.0.1:%d" % broker.port, mqtt_user=USER, mqtt_password=PASSWORD,
                      max_connections=3000, pass_fds=held)
        finally:
            for fd in held:
                os.close(fd)
        n = sub.count()
        c(sub.wait(lambda s: ("csms/status", "online") in [(t, p) for _, t, p in s.msgs[n:]], 15),
          "1100 descriptors held: online")
        broker.stop()
        sub.stop()
        broker = Broker(broker.port)
        sub = Sub(broker.port)
        c(sub.value("csms/status", "online", 20), "1100 descriptors held: online again after a broker restart")
        c(sub.wait(lambda s: s.last.get("csms/station/mode") is not None, 10), "and publishing")
        c.eq(d.get("/api/v1/health")[1].get("mqtt"), "connected", "health: connected")
        c.eq(d.stop(), 0, "exit status (1100 descriptors)")
        d = None
finally:
    if r:
        r.close()
    if d:
        d.stop()
    sub.stop()
    broker.stop()

# ---- a charger on another site (issue 15): its limit is its site's loop's ----
broker = Broker()
sub = Sub(broker.port)
d = g = None
try:
    d = Csmsd(unknown_chargers="accept", dlm_enabled="true", mqtt_url="mqtt://127.0.0.1:%d" % broker.port,
              mqtt_user=USER, mqtt_password=PASSWORD, mqtt_period_s=1)
    c.eq(d.put("/api/v1/sites/garage", {"breakerA": 16, "marginA": 1, "sensor": "api"})[0], 201, "site garage")
    c.eq(d.put("/api/v1/chargers/CP-G", {"site": "garage"})[0], 201, "CP-G provisioned on the garage")
    g = LimitCharger(d, "CP-G")
    deadline = time.time() + 15
    while time.time() < deadline and g.limit is None:
        d.put("/api/v1/sites/garage/readings", {"current": [2, 2, 2]})
        time.sleep(0.2)
    c(g.limit is not None, "CP-G got a limit from the garage's loop: %s" % g.limit)
    got = sub.wait(lambda s: re.match(r"^\d+(\.\d+)?$", s.last.get("csms/charger/CP-G/limit") or "")
                   and s.last.get("csms/charger/CP-G/limit"))
    c(got is not None and g.limit is not None and abs(float(got) - g.limit) <= 1,
      "csms/charger/CP-G/limit is published: %r (sent %s A)" % (got, g.limit))
finally:
    if g:
        g.close()
    if d:
        d.stop()
    sub.stop()
    broker.stop()

# ---- mqtt_events: a kind not chosen is not published, a chosen one is ----
broker = Broker()
sub = Sub(broker.port)
d = r = None
try:
    d = Csmsd(unknown_chargers="accept", mqtt_url="mqtt://127.0.0.1:%d" % broker.port, mqtt_user=USER,
              mqtt_password=PASSWORD, mqtt_events="alarmCleared")
    c(sub.value("csms/status", "online"), "mqtt_events=alarmCleared: online")
    r = Raw(d.url + "/CP-EV")
    c.eq(json.loads(r.call(boot_frame()))[2]["status"], "Accepted", "CP-EV booted")
    n = sub.count()
    ocpp(r, json.dumps([2, "f1", "StatusNotification", {"connectorId": 1, "errorCode": "GroundFailure",
                                                         "status": "Faulted"}]))
    al = d.get("/api/v1/alarms?active=true")[1]
    c([a["code"] for a in al if a.get("charger") == "CP-EV"] == ["GroundFailure"],
      "the fault raised an alarm (an alarmRaised notification): %s" % al)
    ocpp(r, json.dumps([2, "f2", "StatusNotification", {"connectorId": 1, "errorCode": "NoError",
                                                         "status": "Available"}]))
    cleared = sub.wait(lambda s: [json.loads(p) for ret, t, p in s.msgs[n:]
                                  if t == "csms/event/alarmCleared" and not ret])
    c(cleared and cleared[0]["alarm"]["code"] == "GroundFailure", "the chosen kind: alarmCleared published: %s"
      % cleared)
    # the raise came first, and one client's messages arrive in order: it would be here by now
    kinds = sorted({t for _, t, _ in sub.since(n) if t.startswith("csms/event/")})
    c.eq(kinds, ["csms/event/alarmCleared"], "alarmRaised, not chosen, not published")
finally:
    if r:
        r.close()
    if d:
        d.stop()
    sub.stop()
    broker.stop()

# ---- DLM on, the station's measurements pushed (station_source api): the
# station topics are the values GET /api/v1/dlm and GET /api/v1/station show ----
broker = Broker()
sub = Sub(broker.port)
d = None
try:
    d = Csmsd(dlm_enabled="true", dlm_sensor="api", station_source="api", mqtt_url="mqtt://127.0.0.1:%d" % broker.port,
              mqtt_user=USER, mqtt_password=PASSWORD, mqtt_period_s=1)
    c.eq(d.put("/api/v1/station/measurements", {"pv_w": 3210, "load_w": 845, "bat_w": 1200, "soc_pct": 63.4})[0],
         200, "station measurements pushed")
    # topic under csms/station/: (decimals published, its value in GET /api/v1/station, /api/v1/dlm)
    expect = {"breaker": (1, lambda st, dl: dl["breakerA"]),
              "pv_power": (0, lambda st, dl: st["live"]["pvW"]),
              "load_power": (0, lambda st, dl: st["live"]["loadW"]),
              "grid_power": (0, lambda st, dl: st["live"]["gridW"]),
              "battery_power": (0, lambda st, dl: st["live"]["batW"]),
              "ev_power": (0, lambda st, dl: st["live"]["evW"]),
              "battery_soc": (1, lambda st, dl: st["live"]["socPct"])}
    for i in range(3):
        expect["available_current_l%d" % (i + 1)] = (2, lambda st, dl, i=i: dl["headroomA"][i])
        expect["grid_current_l%d" % (i + 1)] = (2, lambda st, dl, i=i: dl["grid"]["current"][i])

    def compare():
        """{topic: (same, published, the API's)}, the API read and the topics looked at together."""
        c.eq(d.put("/api/v1/dlm/readings", {"current": [3.25, 4.5, 5.75]})[0], 204, "a fresh grid reading")
        st, dl = d.get("/api/v1/station")[1], d.get("/api/v1/dlm")[1]
        with sub.lock:
            last = dict(sub.last)
        out = {}
        for k, (dec, f) in expect.items():
            want, got = f(st, dl), last.get("csms/station/" + k)
            try:
                same = want is not None and abs(float(got) - want) <= 0.5 * 10 ** -dec + 1e-9
            except (TypeError, ValueError):
                same = False
            out[k] = (same, got, want)
        return out
    deadline = time.time() + 15
    res = compare()
    while time.time() < deadline and not all(same for same, _, _ in res.values()):
        time.sleep(0.3)
        res = compare()
    for k, (same, got, want) in sorted(res.items()):
        c(same, "csms/station/%s = %r, as the API's %r (rounded)" % (k, got, want))
    c(all(res[k][2] for k in ("pv_power", "load_power", "battery_soc", "breaker", "available_current_l1")),
      "the values compared are not nothing: %s" % {k: v[2] for k, v in res.items()})
finally:
    if d:
        d.stop()
    sub.stop()
    broker.stop()

# ---- a broker that is down, or a host that never answers: OCPP stays fast ----
for url in ("mqtt://127.0.0.1:%d" % free_port(), "mqtt://192.0.2.1:1883"):
    d = Csmsd(unknown_chargers="accept", mqtt_url=url)
    try:
        times = []
        for i in range(5):
            rr = Raw(d.url + "/CP-DOWN%d" % i)
            t0 = time.time()
            ans = json.loads(rr.call(boot_frame()))
            times.append(time.time() - t0)
            rr.close()
            c.eq(ans[2]["status"], "Accepted", "%s: boot answered" % url)
        c(max(times) < 0.5, "%s: BootNotification answered fast while the broker is unreachable (%s s)" % (
            url, ["%.3f" % t for t in times]))
        c.eq(d.get("/api/v1/health")[1].get("mqtt"), "disconnected", "%s: health says disconnected" % url)
        t0 = time.time()
        c.eq(d.stop(), 0, "%s: exit status" % url)
        c(time.time() - t0 < 5, "%s: stops within 5 s (%.1f s)" % (url, time.time() - t0))
    finally:
        if d.proc.poll() is None:
            d.kill()

# ---- mqtts: the broker's certificate checked against mqtt_ca ----
def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, capture_output=True, cwd=tmp)


for ca in ("ca", "other-ca"):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-subj", "/CN=" + ca, "-keyout", ca + ".key", "-out", ca + ".pem")
openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", "broker.key", "-out", "broker.csr")
with open(os.path.join(tmp, "san.cnf"), "w") as f:
    f.write("subjectAltName=IP:127.0.0.1\n")
openssl("x509", "-req", "-in", "broker.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
        "-extfile", "san.cnf", "-out", "broker.pem")
for f in ("broker.key", "broker.pem", "ca.pem"):
    os.chmod(os.path.join(tmp, f), 0o644)
tls_port = free_port()
tconf = os.path.join(tmp, "mosquitto-tls.conf")
with open(tconf, "w") as f:
    f.write("listener %d 127.0.0.1\ncafile %s\ncertfile %s\nkeyfile %s\nallow_anonymous false\n"
            "password_file %s\npersistence false\n" % (tls_port, os.path.join(tmp, "ca.pem"),
                                                       os.path.join(tmp, "broker.pem"),
                                                       os.path.join(tmp, "broker.key"), os.path.join(tmp, "passwd")))
tlog = open(os.path.join(tmp, "mosquitto-tls.log"), "ab")
tb = subprocess.Popen([MOSQUITTO, "-c", tconf], stdout=tlog, stderr=tlog)
try:
    time.sleep(0.5)
    d = Csmsd(mqtt_url="mqtts://127.0.0.1:%d" % tls_port, mqtt_ca=os.path.join(tmp, "ca.pem"), mqtt_user=USER,
              mqtt_password=PASSWORD)
    ok = None
    for _ in range(100):
        if d.get("/api/v1/health")[1].get("mqtt") == "connected":
            ok = True
            break
        time.sleep(0.1)
    c(ok, "mqtts: connected to a broker whose certificate mqtt_ca signed")
    got = subprocess.run(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(tls_port), "--cafile", os.path.join(tmp, "ca.pem"), "-u", USER,
                          "-P", PASSWORD, "-t", "csms/status", "-C", "1", "-W", "5"],
                         capture_output=True, text=True)
    c.eq(got.stdout.strip(), "online", "mqtts: csms/status online over TLS")
    c.eq(d.stop(), 0, "mqtts: stop")
    d = Csmsd(mqtt_url="mqtts://127.0.0.1:%d" % tls_port, mqtt_ca=os.path.join(tmp, "other-ca.pem"),
              mqtt_user=USER, mqtt_password=PASSWORD)
    time.sleep(3)
    c.eq(d.get("/api/v1/health")[1].get("mqtt"), "disconnected",
         "mqtts: a broker certificate another CA signed is refused (stays disconnected)")
    c.eq(d.stop(), 0, "mqtts: stop after the refusal")
finally:
    if d and d.proc.poll() is None:
        d.kill()
    tb.terminate()
    tb.wait(timeout=10)
    tlog.close()

# ---- bad settings: one line naming the key, exit 2 ----
for key, val in (("mqtt_url", "http://broker"), ("mqtt_url", "mqtt://"), ("mqtt_url", "mqtt://h:99999"),
                 ("mqtt_url", "mqtt://user:pw@host"), ("mqtt_prefix", "a/#"), ("mqtt_prefix", "/a"),
                 ("mqtt_discovery_prefix", "ha/+"), ("mqtt_ca", "/nonexistent.pem"),
                 ("mqtt_events", "alarmRaised,bogus")):
    args = [os.path.join(BUILD, "csmsd"), "--db", os.path.join(tmp, "x.db"), "--ws_port", "0",
            "--admin_port", str(free_port()), "--" + key, val]
    if key != "mqtt_url":
        args += ["--mqtt_url", "mqtts://127.0.0.1:1"]
    p = subprocess.run(args, capture_output=True, text=True, timeout=10)
    c("pw@" not in p.stderr, "--%s: a password in the URL is not echoed" % key)
    c(p.returncode == 2 and key in p.stderr, "--%s %s: exit 2 naming it (%d, %r)" % (key, val, p.returncode,
                                                                                   p.stderr.strip()))
c(not os.path.exists(os.path.join(tmp, "x.db")), "nothing written on a bad setting")
shutil.rmtree(tmp, ignore_errors=True)
c.done()
