"""Webhooks (issue 16, item 2): a local HTTP receiver gets, within seconds,
an alarm raised and cleared (a StatusNotification fault), a finished
session with its energy and cost (equal to the API's), a charger gone
offline; each body signed with HMAC-SHA256 (webhook_secret). A receiver
that is down gets what was queued once it is back, exactly once and in
order, and the outage is logged once; a receiver that sleeps 10 s does
not slow OCPP answers; webhook_events filters the kinds (the grid sensor
going stale and back, no alarms)."""
import hashlib
import hmac
import http.server
import json
import os
import subprocess
import threading
import time
from harness import BUILD, Csmsd, Raw, Checks, boot_frame, free_port

c = Checks()
SECRET = "s3cret-key"


class Receiver:
    """An HTTP receiver on a port of its own; mode "ok" answers 204 at once,
    "slow" sleeps 10 s first (what it got then is kept apart: the sender
    gave up before the answer); stop() closes the port (connection refused)."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.got = []        # (headers dict, body bytes), delivered
        self.slow_seen = []
        self.mode = "ok"
        self.lock = threading.Lock()
        self.start()

    def start(self):
        rx = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(n)
                if rx.mode == "slow":
                    rx.slow_seen.append(body)
                    time.sleep(10)
                else:
                    with rx.lock:
                        rx.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
                try:
                    self.send_response(204)
                    self.end_headers()
                except OSError:
                    pass

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), H)
        self.srv.daemon_threads = True
        self.t = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.t.start()

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()

    @property
    def url(self):
        return "http://127.0.0.1:%d/hook" % self.port

    def events(self, kind=None):
        with self.lock:
            out = [json.loads(b) for _, b in self.got]
        return [e for e in out if kind is None or e["kind"] == kind]

    def wait(self, cond, timeout=8):
        end = time.time() + timeout
        while time.time() < end:
            v = cond()
            if v:
                return v
            time.sleep(0.05)
        return cond()


def status(r, mid, conn, code, st="Faulted"):
    return json.loads(r.call(json.dumps([2, mid, "StatusNotification",
                                         {"connectorId": conn, "errorCode": code, "status": st}])))


# bad settings: one line naming the key, exit 2
for k, v in (("webhook_events", "alarmRaised,bogus"), ("webhook_url", "ftp://example.org/x")):
    p = subprocess.run([os.path.join(BUILD, "csmsd"), "--" + k, v, "--db", "/nonexistent/x.db"],
                       capture_output=True, text=True, timeout=10)
    c(p.returncode == 2 and k in p.stderr, "%s %s refused: %d %s" % (k, v, p.returncode, p.stderr))

rx = Receiver()
d = Csmsd(unknown_chargers="accept", unknown_id_tags="accept", heartbeat_interval=1, webhook_url=rx.url,
          webhook_secret=SECRET, webhook_timeout_s=3)
d2 = None
try:
    r = Raw(d.url + "/WH1")
    r.call(boot_frame())

    # ---- an alarm raised and cleared, signed ----
    t0 = time.time()
    status(r, "s1", 1, "GroundFailure")
    ev = rx.wait(lambda: rx.events("alarmRaised"), 5)
    c(ev, "alarmRaised reached the webhook within 5 s")
    if ev:
        e = ev[0]
        c.eq((e["charger"], e["connectorId"], e["alarm"]["source"], e["alarm"]["code"], e["alarm"]["active"]),
             ("WH1", 1, "statusNotification", "GroundFailure", True), "alarm fields")
        c(e["time"].endswith("Z") and e["site"] and e["id"], "time, site, id: %s" % e)
        print("alarm delivered after %.2f s" % (time.time() - t0))
    hdr, body = rx.got[0]
    want = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    c.eq(hdr.get("x-csms-signature"), want, "HMAC-SHA256 signature of the body verifies")
    c.eq(hdr.get("x-csms-event"), "alarmRaised", "event kind header")
    c.eq(hdr.get("content-type"), "application/json", "JSON body")
    status(r, "s2", 1, "NoError", "Available")
    ev = rx.wait(lambda: rx.events("alarmCleared"), 5)
    c(ev and ev[0]["alarm"]["code"] == "GroundFailure" and ev[0]["alarm"]["active"] is False,
      "alarmCleared with the cleared code: %s" % ev)

    # ---- a session finished: energy and the cost the API shows ----
    tx = json.loads(r.call(json.dumps([2, "st", "StartTransaction", {
        "connectorId": 1, "idTag": "TAG1", "meterStart": 1000,
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))}])))[2]["transactionId"]
    r.call(json.dumps([2, "sp", "StopTransaction", {
        "transactionId": tx, "meterStop": 5500, "reason": "EVDisconnected",
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}]))
    ev = rx.wait(lambda: rx.events("sessionFinished"), 5)
    c(ev, "sessionFinished delivered")
    if ev:
        s = ev[0]["session"]
        api = d.get("/api/v1/transactions/%d" % tx)[1]
        c.eq((s["transactionId"], s["energyWh"], s["idTag"], s["stopReason"], ev[0]["connectorId"]),
             (tx, 4500, "TAG1", "EVDisconnected", 1), "session fields")
        c(isinstance(s["cost"], (int, float)) and abs(s["cost"] - api["cost"]) < 1e-3,
          "cost equals the API's: %s vs %s" % (s["cost"], api["cost"]))
        c(s["pvShare"] == api["pvShare"] or (s["pvShare"] is not None and abs(s["pvShare"] - api["pvShare"]) < 1e-3),
          "pvShare equals the API's: %s vs %s" % (s["pvShare"], api["pvShare"]))

    # ---- a slow receiver: OCPP answers stay fast ----
    rx.mode = "slow"
    status(r, "s3", 2, "HighTemperature")
    rx.wait(lambda: rx.slow_seen, 5)
    c(rx.slow_seen, "the slow receiver got the request")
    worst = 0
    for i in range(10):
        t = time.time()
        a = json.loads(r.call(json.dumps([2, "hb%d" % i, "Heartbeat", {}])))
        worst = max(worst, time.time() - t)
        c.eq(a[0], 3, "heartbeat answered")
        time.sleep(0.2)
    c(worst < 0.6, "OCPP answers stay fast while the receiver sleeps: worst %.3f s" % worst)
    print("worst heartbeat round trip while the receiver sleeps: %.3f s" % worst)
    rx.mode = "ok"
    ev = rx.wait(lambda: [e for e in rx.events("alarmRaised") if e["alarm"]["code"] == "HighTemperature"], 12)
    c(len(ev) == 1, "the slow receiver's event is delivered by the retry, once: %s" % ev)

    # ---- receiver down, then up: delivered after retries, once, in order ----
    rx.stop()
    n_before = len(rx.events())
    for conn, code in ((3, "OverVoltage"), (4, "UnderVoltage"), (5, "OverCurrentFailure")):
        status(r, "d%d" % conn, conn, code)
    time.sleep(3.5)
    rx.start()
    ev = rx.wait(lambda: len(rx.events()) >= n_before + 3, 20)
    got = [(e["connectorId"], e["alarm"]["code"]) for e in rx.events()[n_before:]]
    c.eq(got, [(3, "OverVoltage"), (4, "UnderVoltage"), (5, "OverCurrentFailure")],
         "after the outage: each delivered once, in order")
    ids = [e["id"] for e in rx.events()]
    c.eq(len(ids), len(set(ids)), "no notification delivered twice")
    log = d.logtext()
    c.eq(log.count("/hook: ") - log.count("delivering again"), 2,
         "one failure line per outage (slow, down), not one per retry:\n%s" %
         "\n".join(x for x in log.splitlines() if "webhook" in x))
    c(log.count("delivering again") == 2, "the recovery logged")

    # ---- a charger gone silent: chargerOffline (3 heartbeat intervals) ----
    r.close()
    ev = rx.wait(lambda: rx.events("chargerOffline"), 10)
    c(ev and ev[0]["charger"] == "WH1" and ev[0]["alarm"]["code"] == "Offline", "chargerOffline: %s" % ev)
    r = Raw(d.url + "/WH1")
    r.call(boot_frame())
    ev = rx.wait(lambda: rx.events("chargerOnline"), 5)
    c(ev and ev[0]["charger"] == "WH1", "chargerOnline: %s" % ev)
    r.close()
    c.eq(d.stop(), 0, "SIGTERM exits 0")

    # ---- the filter: only the kinds webhook_events names ----
    rx2 = Receiver()
    d2 = Csmsd(unknown_chargers="accept", unknown_id_tags="accept", webhook_url=rx2.url,
               webhook_events="sessionFinished,gridSensorStale,gridSensorOk", dlm_enabled="true",
               dlm_sensor="api", dlm_stale_s=1, dlm_tick_ms=200)
    d2.put("/api/v1/dlm/readings", {"current": [1, 1, 1]})
    r = Raw(d2.url + "/WH2")
    r.call(boot_frame())
    status(r, "f1", 1, "GroundFailure")
    ev = rx2.wait(lambda: rx2.events("gridSensorStale"), 8)
    c(ev and ev[0]["alarm"]["code"] == "SensorStale" and ev[0]["charger"] is None,
      "gridSensorStale when the readings stop: %s" % ev)
    d2.put("/api/v1/dlm/readings", {"current": [1, 1, 1]})
    ev = rx2.wait(lambda: rx2.events("gridSensorOk"), 5)
    c(ev, "gridSensorOk when a reading comes")
    time.sleep(1)
    c.eq([e for e in rx2.events() if e["kind"].startswith("alarm")], [], "alarm kinds filtered out")
    d2.stop()
    d2 = None
finally:
    d.stop()
    if d2:
        d2.stop()
c.done()
