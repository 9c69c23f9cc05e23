#!/usr/bin/python3
"""test_csmsctl.py: csmsctl against a real csmsd (temporary database, free
ports) with a strict-mode ocpp-rpc charger connected, plus a small fake API
server to check what csmsctl puts on the wire for the routes csmsd may not
have yet (station, dlm, alarms, metrics). Checks output and exit codes.

usage: /usr/bin/python3 test_csmsctl.py [BUILD_DIR]   (or env CSMS_BUILD)
Stdlib only. Exit 0 pass, 1 fail, 77 skip (no node or ocpp-rpc)."""
import csv
import http.server
import io
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

from harness import free_port

BUILD = (sys.argv[1] if len(sys.argv) > 1 else None) or os.environ.get("CSMS_BUILD") or "build"
CSMSD = os.path.join(BUILD, "csmsd")
CSMSCTL = os.path.join(BUILD, "csmsctl")
HERE = os.path.dirname(os.path.abspath(__file__))
OCPP_RPC = os.path.join(HERE, "node_modules", "ocpp-rpc")
NODE = shutil.which("node")

failures = []
checks = [0]


def check(cond, what, detail=""):
    checks[0] += 1
    if not cond:
        failures.append(what)
        print("FAIL: %s\n%s" % (what, detail), file=sys.stderr)
    return cond


def ctl(*args, url=None, env=None, stdin=None):
    """Runs csmsctl; returns (exit code, stdout, stderr)."""
    cmd = [CSMSCTL] + (["--url", url] if url else []) + list(args)
    e = dict(os.environ)
    e.pop("CSMS_URL", None)
    e.pop("CSMS_TOKEN", None)
    e.update(env or {})
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=30, env=e, input=stdin)
    return r.returncode, r.stdout, r.stderr


def expect(res, code, what, out=(), err=()):
    rc, o, e = res
    detail = "exit %d\nstdout:\n%s\nstderr:\n%s" % (rc, o, e)
    ok = check(rc == code, "%s: exit %d, wanted %d" % (what, rc, code), detail)
    for s in out:
        ok &= check(s in o, "%s: stdout lacks %r" % (what, s), detail)
    for s in err:
        ok &= check(s in e, "%s: stderr lacks %r" % (what, s), detail)
    return ok


def table_rows(text):
    """A csmsctl table as a list of lists of cells (header first)."""
    return [line.split() for line in text.splitlines() if line.strip()]


class Csmsd:
    def __init__(self, tmp, *extra):
        self.port = free_port()
        self.ws_port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.logpath = os.path.join(tmp, "csmsd-%d.log" % self.port)
        self.log = open(self.logpath, "wb")
        cmd = [CSMSD, "--db", os.path.join(tmp, "csms-%d.db" % self.port), "--ws_port", str(self.ws_port),
               "--admin_port", str(self.port)] + list(extra)
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("csmsd exited: " + self.logtext())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("csmsd did not come up: " + self.logtext())

    def logtext(self):
        self.log.flush()
        with open(self.logpath, "rb") as f:
            return f.read().decode(errors="replace")[-3000:]

    def api(self, method, path, body=None, token=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if token:
            req.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


CHARGER_JS = r"""
// A charger for the csmsctl test: boots (again while Pending), reports its
// connector, answers the CS-initiated calls the test sends; one JSON line
// per event on stdout. Ends when stdin closes.
const { RPCClient, createRPCError } = require(process.env.OCPP_RPC);
const [endpoint, identity] = process.argv.slice(2);
const now = () => new Date().toISOString();
const say = (o) => console.log(JSON.stringify(o));
const cli = new RPCClient({ endpoint, identity, protocols: ['ocpp1.6'], strictMode: true });
cli.handle('RemoteStartTransaction', ({ params }) => {
  setTimeout(async () => {
    const r = await cli.call('StartTransaction', { connectorId: params.connectorId || 1,
      idTag: params.idTag, meterStart: 1000, timestamp: now() });
    say({ event: 'started', transactionId: r.transactionId, status: r.idTagInfo.status });
  }, 20);
  return { status: 'Accepted' };
});
cli.handle('RemoteStopTransaction', ({ params }) => {
  setTimeout(async () => {
    await cli.call('StopTransaction', { transactionId: params.transactionId, meterStop: 8500,
      timestamp: now(), reason: 'Remote' });
    say({ event: 'stopped', transactionId: params.transactionId });
  }, 20);
  return { status: 'Accepted' };
});
cli.handle('Reset', ({ params }) => { say({ event: 'reset', type: params.type }); return { status: 'Accepted' }; });
cli.handle('GetConfiguration', ({ params }) => ({
  configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '300' }],
  unknownKey: (params.key || []).filter((k) => k !== 'HeartbeatInterval') }));
cli.handle('ChangeAvailability', () => ({ status: 'Rejected' }));
cli.handle('UnlockConnector', () => { throw createRPCError('InternalError', 'motor jammed', { motor: 2 }); });
cli.handle('ClearCache', () => new Promise((res) => setTimeout(() => res({ status: 'Accepted' }), 5000)));
cli.handle(({ method }) => { throw createRPCError('NotImplemented', method); });
(async () => {
  await cli.connect();
  for (;;) {
    const b = await cli.call('BootNotification', { chargePointVendor: 'Acme', chargePointModel: 'Wallbox7' });
    say({ event: 'boot', status: b.status });
    if (b.status === 'Accepted') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await cli.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Available', timestamp: now() });
  say({ event: 'ready' });
})().catch((e) => { say({ event: 'error', message: String(e) }); process.exit(1); });
process.stdin.on('end', () => { cli.close({ force: true }); process.exit(0); });
process.stdin.resume();
"""


class Charger:
    """The ocpp-rpc charger process; events() come from its stdout."""

    def __init__(self, tmp, ws_port, identity):
        path = os.path.join(tmp, "charger.js")
        with open(path, "w") as f:
            f.write(CHARGER_JS)
        env = dict(os.environ, OCPP_RPC=OCPP_RPC)
        self.proc = subprocess.Popen([NODE, path, "ws://127.0.0.1:%d/ocpp" % ws_port, identity],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        self.q = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                self.q.put(json.loads(line))
            except ValueError:
                pass

    def wait(self, event, timeout=30, **fields):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                ev = self.q.get(timeout=max(0.01, deadline - time.time()))
            except queue.Empty:
                break
            if ev.get("event") == "error":
                raise RuntimeError("charger: " + ev.get("message", ""))
            if ev.get("event") == event and all(ev.get(k) == v for k, v in fields.items()):
                return ev
        raise RuntimeError("charger: no %s event %r" % (event, fields))

    def stop(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(5)
        except (subprocess.TimeoutExpired, OSError):
            self.proc.kill()
            self.proc.wait()


class FakeApi(http.server.BaseHTTPRequestHandler):
    """Canned answers for routes csmsd may not have yet; records requests."""
    protocol_version = "HTTP/1.1"
    seen = []
    answers = {
        ("GET", "/api/v1/station"): (200, "application/json", json.dumps(
            {"mode": "selfConsumption", "battery": {"socPct": 55, "capacityWh": 10000}, "pvW": 1200})),
        ("PUT", "/api/v1/station"): (200, "application/json", json.dumps({"mode": "tou"})),
        ("GET", "/api/v1/sites/gar%20age/station"): (200, "application/json", json.dumps(
            {"site": "gar age", "mode": "feedIn"})),
        ("PUT", "/api/v1/sites/garage/station"): (201, "application/json", json.dumps({"site": "garage", "mode": "tou"})),
        ("DELETE", "/api/v1/sites/garage/station"): (204, "application/json", ""),
        ("PUT", "/api/v1/dlm"): (400, "application/json", json.dumps(
            {"error": {"code": "BadRequest", "description": "breakerA: 6 to 1000"}})),
        ("GET", "/api/v1/dlm"): (503, "text/plain", "Service Unavailable\n"),
        ("GET", "/api/v1/alarms?active=true"): (200, "application/json", json.dumps([
            {"id": 7, "source": "charger", "charger": "CP1", "connectorId": 1, "code": "GroundFailure",
             "info": "leak", "raised": "2024-05-01T10:00:00Z", "cleared": None}])),
        ("GET", "/metrics"): (200, "text/plain", "csms_chargers_known 2\n"),
    }

    def _answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode() if n else ""
        FakeApi.seen.append({"method": self.command, "path": self.path, "body": body,
                             "auth": self.headers.get("Authorization"),
                             "ctype": self.headers.get("Content-Type")})
        status, ctype, text = self.answers.get((self.command, self.path), (404, "application/json", json.dumps(
            {"error": {"code": "NotFound", "description": "no such path"}})))
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = _answer

    def log_message(self, *a):
        pass


def test_usage():
    expect(ctl("help"), 0, "help", out=["chargers", "remote-start", "tag set", "station set", "alarms",
                                       "tx-stop TXID", "charger-rm ID", "exit status"])
    expect(ctl("--help"), 0, "--help", out=["usage: csmsctl"])
    expect(ctl("help", "tag"), 0, "help tag", out=["tag set", "tag rm"])
    expect(ctl("frobnicate"), 2, "unknown command", err=["unknown command 'frobnicate'"])
    expect(ctl("tag"), 2, "tag without a subcommand", err=["tag set", "tag rm"])
    expect(ctl(), 2, "no command", err=["usage:"])
    expect(ctl("chargers", "extra"), 2, "extra argument", err=["unexpected argument 'extra'", "usage:"])
    expect(ctl("charger"), 2, "missing argument", err=["missing", "usage: csmsctl"])
    expect(ctl("--bogus", "chargers"), 2, "unknown global option", err=["unknown option"])
    expect(ctl("transactions", "--bogus"), 2, "unknown command option", err=["unknown option '--bogus'"])
    expect(ctl("chargers", url="ftp://x"), 2, "bad --url scheme", err=["bad --url"])
    expect(ctl("chargers", url="http://127.0.0.1:99999"), 2, "bad --url port", err=["port"])
    expect(ctl("--timeout", "0", "chargers"), 2, "bad --timeout", err=["--timeout"])


def test_server_down():
    port = free_port()
    expect(ctl("chargers", url="http://127.0.0.1:%d" % port), 1, "server down",
           err=["cannot connect to http://127.0.0.1:%d" % port, "connection refused"])
    expect(ctl("health", env={"CSMS_URL": "http://127.0.0.1:%d" % port}), 1, "server down via CSMS_URL",
           err=["connection refused"])
    expect(ctl("health", url="http://no-such-host.invalid:8181"), 1, "unknown host", err=["unknown host"])
    # A server that takes the connection and never answers, or hangs up.
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(4)
    url = "http://127.0.0.1:%d" % s.getsockname()[1]
    try:
        expect(ctl("--timeout", "1", "chargers", url=url), 1, "no answer", err=["/api/v1/chargers", "within 1 s"])
        threading.Thread(target=lambda: [c.close() for c, _ in [s.accept(), s.accept()]], daemon=True).start()
        expect(ctl("chargers", url=url), 1, "hang-up", err=["closed the connection"])
    finally:
        s.close()


def test_fake_api():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeApi)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d" % srv.server_address[1]
    try:
        FakeApi.seen.clear()
        expect(ctl("--token", "abc", "station", url=url), 0, "station view",
               out=["mode", "selfConsumption", "battery.socPct", "55", "pvW"])
        check(FakeApi.seen and FakeApi.seen[-1]["auth"] == "Bearer abc", "--token sent as a Bearer token",
              repr(FakeApi.seen[-1:]))
        expect(ctl("station", "set", "mode=tou", "battery.capacityWh=12000", "battery.socStartPct=50",
                   "note=hello world", "flags=[1,true]", url=url), 0, "station set", out=["tou"])
        last = FakeApi.seen[-1]
        check(last["method"] == "PUT" and last["path"] == "/api/v1/station", "station set is a PUT", repr(last))
        check(json.loads(last["body"] or "null") == {"mode": "tou", "battery": {"capacityWh": 12000,
              "socStartPct": 50}, "note": "hello world", "flags": [1, True]}, "station set body", repr(last))
        check(last["ctype"] == "application/json", "station set Content-Type", repr(last))
        check(last["auth"] is None, "no token, no Authorization header", repr(last))
        # a site's own station: --site on station, station set, station rm
        expect(ctl("station", "--site", "gar age", url=url), 0, "a site's station", out=["gar age", "feedIn"])
        check(FakeApi.seen[-1]["path"] == "/api/v1/sites/gar%20age/station", "--site: the site's path, encoded",
              repr(FakeApi.seen[-1:]))
        expect(ctl("station", "set", "--site", "garage", "mode=tou", "source.type=modbus", "source.host=10.0.0.5",
                   "source.port=1502", url=url), 0, "a site's station set", out=["garage", "tou"])
        last = FakeApi.seen[-1]
        check(last["method"] == "PUT" and last["path"] == "/api/v1/sites/garage/station", "site station set is a PUT",
              repr(last))
        check(json.loads(last["body"] or "null") == {"mode": "tou", "source": {"type": "modbus", "host": "10.0.0.5",
              "port": 1502}}, "site station set body", repr(last))
        expect(ctl("station", "rm", "--site", "garage", url=url), 0, "a site's station removed", out=["garage: deleted"])
        check(FakeApi.seen[-1]["method"] == "DELETE" and FakeApi.seen[-1]["path"] == "/api/v1/sites/garage/station",
              "station rm is a DELETE of the site's station", repr(FakeApi.seen[-1:]))
        n = len(FakeApi.seen)
        expect(ctl("station", "rm", url=url), 2, "station rm without --site", err=["--site ID"])
        check(len(FakeApi.seen) == n, "station rm without --site sends nothing", repr(FakeApi.seen[n:]))
        expect(ctl("station", "set", "mode", url=url), 2, "station set without =", err=["KEY=VALUE"])
        expect(ctl("station", "set", url=url), 2, "station set without pairs", err=["missing"])
        expect(ctl("dlm", "set", "breakerA=1", url=url), 1, "dlm set rejected", err=["400", "breakerA: 6 to 1000"])
        check(json.loads(FakeApi.seen[-1]["body"]) == {"breakerA": 1}, "dlm set body", repr(FakeApi.seen[-1]))
        expect(ctl("dlm", url=url), 1, "non-JSON 503", err=["error 503", "Service Unavailable"])
        expect(ctl("alarms", "--active", url=url), 0, "alarms --active",
               out=["GroundFailure", "CP1", "(active)"])
        check(FakeApi.seen[-1]["path"] == "/api/v1/alarms?active=true", "alarms --active query",
              repr(FakeApi.seen[-1]))
        rc, out, _ = ctl("--json", "alarms", "--active", url=url)
        check(rc == 0 and json.loads(out)[0]["id"] == 7, "alarms --json unchanged", out)
        expect(ctl("metrics", url=url), 0, "metrics text", out=["csms_chargers_known 2"])
        expect(ctl("alarms", url=url), 1, "404 from the API", err=["error 404 NotFound"])
    finally:
        srv.shutdown()
        srv.server_close()


def test_with_charger(tmp):
    d = Csmsd(tmp, "--unknown_chargers", "pending", "--call_timeout", "2")
    cp = None
    try:
        u = d.url
        expect(ctl("health", url=u), 0, "health", out=["ok"])
        res = ctl("chargers", url=u)
        expect(res, 0, "chargers (none yet)", out=["REGISTRATION", "(none)"])
        rc, out, _ = ctl("--json", "tags", url=u)
        check(rc == 0 and json.loads(out) == [], "--json tags on an empty database", out)

        cp = Charger(tmp, d.ws_port, "CP1")
        cp.wait("boot", status="Pending")
        rc, out, err = ctl("chargers", url=u)
        rows = table_rows(out)
        check(rc == 0 and rows[0][:3] == ["ID", "REGISTRATION", "CONNECTED"] and
              ["CP1", "pending", "yes", "Acme/Wallbox7"] == rows[1][:4], "pending charger listed", out + err)
        rc, out, _ = ctl("--json", "chargers", url=u)
        j = json.loads(out) if rc == 0 else []
        check(len(j) == 1 and j[0]["id"] == "CP1" and j[0]["registration"] == "pending" and
              j[0]["connected"] is True, "--json chargers is the API's JSON", out)

        expect(ctl("accept", "CP1", url=u), 0, "accept", out=["CP1: registration accepted"])
        cp.wait("ready")
        rc, out, _ = ctl("chargers", url=u)
        check(rc == 0 and table_rows(out)[1][1] == "accepted" and "1:Available" in out,
              "accepted charger with its connector status", out)
        expect(ctl("charger", "CP1", url=u), 0, "charger detail",
               out=["registration", "accepted", "Wallbox7", "Available", "settings."])

        # A second charger provisioned through the API, never connected.
        st, body = d.api("PUT", "/api/v1/chargers/CP2", {"maxCurrentA": 16})
        check(st == 201, "provision CP2 (new: 201)", body)
        expect(ctl("reject", "CP2", url=u), 0, "reject", out=["CP2: registration rejected"])
        rc, out, _ = ctl("--json", "charger", "CP2", url=u)
        check(rc == 0 and json.loads(out)["registration"] == "rejected", "reject stored", out)
        expect(ctl("accept", "NOPE", url=u), 1, "accept an unknown charger", err=["404", "NotFound", "NOPE"])
        rc, out, err = ctl("--json", "accept", "NOPE", url=u)
        check(rc == 1 and json.loads(out)["error"]["code"] == "NotFound", "--json error body on stdout", out + err)

        # send: result, OCPP status, HTTP errors, bad JSON.
        rc, out, err = ctl("send", "CP1", "GetConfiguration", '{"key":["HeartbeatInterval","Foo"]}', url=u)
        check(rc == 0, "send GetConfiguration", out + err)
        if rc == 0:
            check(json.loads(out) == {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False,
                  "value": "300"}], "unknownKey": ["Foo"]}, "send prints the result", out)
            check("\n  " in out, "send pretty-prints", out)
        expect(ctl("send", "CP1", "GetConfiguration", "-", url=u, stdin='{"key":["A"]}'), 0,
               "send reads the payload from stdin", out=['"unknownKey"', '"A"'])
        expect(ctl("send", "CP1", "ChangeAvailability", '{"connectorId":0,"type":"Inoperative"}', url=u),
               0, "OCPP Rejected is not an error", out=["Rejected"])
        expect(ctl("send", "CP2", "GetConfiguration", url=u), 1, "send to an unconnected charger",
               err=["409", "NotConnected", "not connected"])
        expect(ctl("send", "CP1", "GetConfiguration", "{bad", url=u), 2, "send with invalid JSON",
               err=["invalid JSON", "usage: csmsctl"])
        expect(ctl("send", "CP1", "GetConfiguration", "[1]", url=u), 2, "send with a non-object",
               err=["JSON object"])
        expect(ctl("send", "CP1", "Reset", '{"type":"Medium"}', url=u), 1, "schema-invalid payload",
               err=["error 400"])
        expect(ctl("send", "CP1", "UnlockConnector", '{"connectorId":1}', url=u), 1, "CALLERROR",
               err=["502", "InternalError", "motor jammed", '"motor":2'])
        expect(ctl("send", "CP1", "ClearCache", url=u), 1, "charger timeout", err=["504"])

        # id tags: set (merging), list, remove.
        expect(ctl("tag", "set", "T1", "--status", "blocked", "--max-active", "2", url=u), 0, "tag set",
               out=["T1", "Blocked", "(all)"])
        expect(ctl("tag", "set", "T1", "--expiry", "2031-05-01T00:00:00Z", "--charger", "CP1", "--charger",
                   "CP2", "--parent", "P1", url=u), 0, "tag set again", out=["2031-05-01", "CP1,CP2"])
        st, body = d.api("GET", "/api/v1/id-tags/T1")
        t = json.loads(body) if st == 200 else {}
        check(t.get("status") == "Blocked" and t.get("maxActiveTransactions") == 2 and
              t.get("parentIdTag") == "P1" and sorted(t.get("chargers", [])) == ["CP1", "CP2"] and
              t.get("expiryDate", "").startswith("2031-05-01"), "tag set keeps the fields not given", body)
        expect(ctl("tag", "set", "T1", "--parent", "none", "--charger", "", url=u), 0, "tag set clears")
        st, body = d.api("GET", "/api/v1/id-tags/T1")
        t = json.loads(body) if st == 200 else {}
        check(t.get("parentIdTag") is None and t.get("chargers") == [] and t.get("status") == "Blocked",
              "tag set none/'' clear fields", body)
        expect(ctl("tag", "set", "T1", "--status", "Lost", url=u), 1, "bad status from the server",
               err=["400", "status"])
        expect(ctl("tag", "set", "T1", "--max-active", "x", url=u), 2, "bad --max-active", err=["--max-active"])
        rc, out, _ = ctl("tags", url=u)
        check(rc == 0 and table_rows(out)[1][:2] == ["T1", "Blocked"], "tags lists T1", out)
        expect(ctl("tag", "rm", "T1", url=u), 0, "tag rm", out=["T1: deleted"])
        expect(ctl("tags", url=u), 0, "tags after rm", out=["(none)"])
        expect(ctl("tag", "rm", "T1", url=u), 1, "tag rm twice", err=["404"])
        # The server's HTTP library decodes %2F and resolves '..' before
        # routing: a '/' in an id would name another record.
        expect(ctl("tag", "set", "VICTIM", url=u), 0, "tag VICTIM")
        expect(ctl("tag", "rm", "x/../VICTIM", url=u), 2, "tag rm with '/'", err=["cannot be named"])
        expect(ctl("tag", "rm", "..", url=u), 2, "tag rm ..", err=["cannot be named"])
        expect(ctl("charger", "..", url=u), 2, "charger ..", err=["cannot be named"])
        expect(ctl("tags", url=u), 0, "VICTIM still there", out=["VICTIM"])
        expect(ctl("tag", "rm", "VICTIM", url=u), 0, "tag rm VICTIM")

        # remote start/stop, transactions, reset.
        expect(ctl("tag", "set", "T9", url=u), 0, "tag for charging")
        expect(ctl("remote-start", "CP1", "--id-tag", "T9", url=u, env={}), 0, "remote-start",
               out=["RemoteStartTransaction CP1: Accepted"])
        ev = cp.wait("started")
        check(ev["status"] == "Accepted", "StartTransaction accepted", repr(ev))
        tx = str(ev["transactionId"])
        rc, out, _ = ctl("transactions", "--active", url=u)
        rows = table_rows(out)
        check(rc == 0 and len(rows) == 2 and rows[1][:4] == [tx, "CP1", "1", "T9"] and "(active)" in out,
              "active transaction listed", out)
        expect(ctl("remote-stop", "CP1", tx, url=u), 0, "remote-stop", out=["RemoteStopTransaction CP1: Accepted"])
        cp.wait("stopped")
        deadline = time.time() + 5
        while time.time() < deadline:   # StopTransaction is stored right after it is answered
            rc, out, _ = ctl("transactions", "--charger", "CP1", url=u)
            if "7.500" in out:
                break
            time.sleep(0.05)
        rows = table_rows(out)
        check(rc == 0 and len(rows) == 2 and rows[1][0] == tx and rows[1][-2:] == ["7.500", "Remote"],
              "finished transaction with energy in kWh", out)
        expect(ctl("transactions", "--active", url=u), 0, "no active transaction left", out=["(none)"])
        expect(ctl("transactions", "--charger", "CP2", url=u), 0, "transactions filtered", out=["(none)"])
        rc, out, _ = ctl("transactions", "--csv", "--id-tag", "T9", url=u)
        rows = list(csv.DictReader(io.StringIO(out))) if rc == 0 else []
        check(len(rows) == 1 and rows[0]["id"] == tx and rows[0]["energyWh"] == "7500" and
              rows[0]["idTag"] == "T9", "transactions --csv", out)
        rc, out, _ = ctl("--json", "transactions", url=u)
        check(rc == 0 and json.loads(out)[0]["energyWh"] == 7500, "--json transactions", out)
        expect(ctl("transaction", tx, url=u), 0, "one transaction", out=["meterStop", "8500"])
        expect(ctl("remote-start", "CP1", "--connector", "1", url=u), 2, "remote-start without --id-tag",
               err=["--id-tag"])
        expect(ctl("remote-start", "CP1", "--connector", "x", "--id-tag", "T9", url=u), 2,
               "remote-start bad --connector", err=["--connector"])
        expect(ctl("remote-stop", "CP1", "abc", url=u), 2, "remote-stop bad TXID", err=["TXID"])
        expect(ctl("reset", "CP1", "soft", url=u), 0, "reset", out=["Reset CP1: Accepted"])
        check(cp.wait("reset")["type"] == "Soft", "charger got a soft reset")
        expect(ctl("reset", "CP1", "medium", url=u), 2, "reset bad type", err=["soft or hard"])
        expect(ctl("reset", "CP2", "hard", url=u), 1, "reset an unconnected charger", err=["409"])

        # Views csmsd may not serve yet: exit code follows the API's status.
        for args, path in ((["dlm"], "/api/v1/dlm"), (["station"], "/api/v1/station"),
                           (["alarms"], "/api/v1/alarms")):
            st, _ = d.api("GET", path)
            rc, out, err = ctl(*args, url=u)
            check(rc == (0 if st == 200 else 1) and (rc == 0 or ("error %d" % st) in err),
                  "%s follows the API (%d)" % (args[0], st), out + err)

        # tx-stop: an admin closes a transaction that will never stop.
        expect(ctl("remote-start", "CP1", "--id-tag", "T9", url=u), 0, "remote-start again")
        tx2 = str(cp.wait("started")["transactionId"])
        expect(ctl("tx-stop", "abc", url=u), 2, "tx-stop bad TXID", err=["TXID"])
        expect(ctl("tx-stop", tx2, "--meter-stop", "-5", url=u), 2, "tx-stop bad --meter-stop", err=["--meter-stop"])
        expect(ctl("tx-stop", tx2, "--reason", "Bored", url=u), 1, "tx-stop bad reason (400)",
               err=["error 400", "reason"])
        expect(ctl("tx-stop", "999999", url=u), 1, "tx-stop unknown (404)", err=["error 404"])
        expect(ctl("tx-stop", tx2, "--meter-stop", "3500", "--reason", "DeAuthorized", url=u), 0, "tx-stop",
               out=["transaction %s closed by an admin: meterStop 3500 Wh, 2.500 kWh, DeAuthorized" % tx2])
        st, body = d.api("GET", "/api/v1/transactions/" + tx2)
        t = json.loads(body) if st == 200 else {}
        check((t.get("meterStop"), t.get("stopReason"), t.get("stoppedBy")) == (3500, "DeAuthorized", "admin"),
              "tx-stop stored", body)
        expect(ctl("tx-stop", tx2, url=u), 1, "tx-stop twice (409)", err=["error 409", "already stopped"])
        expect(ctl("remote-start", "CP1", "--id-tag", "T9", url=u), 0, "remote-start a third time")
        tx3 = cp.wait("started")["transactionId"]
        rc, out, _ = ctl("--json", "tx-stop", str(tx3), url=u)
        j = json.loads(out) if rc == 0 else {}
        check((j.get("id"), j.get("meterStop"), j.get("stopReason"), j.get("stoppedBy")) == (tx3, 1000, "Other", "admin"),
              "tx-stop --json: defaults (meterStart, Other)", out)

        # charger-rm: refused while connected, --force drops it; unknown 404.
        expect(ctl("charger-rm", "NOPE", url=u), 1, "charger-rm unknown (404)", err=["error 404"])
        expect(ctl("charger-rm", "CP1", url=u), 1, "charger-rm a connected charger (409)",
               err=["error 409", "connected", "force"])
        expect(ctl("charger-rm", url=u), 2, "charger-rm without an id", err=["missing"])
        expect(ctl("charger-rm", "CP2", url=u), 0, "charger-rm", out=["CP2: deleted"])
        expect(ctl("charger", "CP2", url=u), 1, "charger-rm'd charger is gone", err=["error 404"])
        expect(ctl("charger-rm", "CP1", "--force", url=u), 0, "charger-rm --force",
               out=["CP1: deleted", "disconnected"])
        st, _ = d.api("GET", "/api/v1/chargers/CP1")
        check(st in (200, 404), "after --force the charger may come back as a new one (%d)" % st)
        rc, out, _ = ctl("transactions", "--charger", "CP1", url=u)
        check(rc == 0 and len(table_rows(out)) == 4, "its transactions stay", out)
    finally:
        if cp:
            cp.stop()
        d.stop()


def test_token(tmp):
    d = Csmsd(tmp, "--admin_token", "s3cret", "--ws_port", "0")
    try:
        u = d.url
        expect(ctl("chargers", url=u), 1, "no token", err=["401", "Unauthorized", "--token"])
        expect(ctl("--token", "wrong", "chargers", url=u), 1, "wrong token", err=["401"])
        expect(ctl("--token", "s3cret", "chargers", url=u), 0, "right token", out=["(none)"])
        expect(ctl("chargers", "--token=s3cret", url=u), 0, "--token=T after the command")
        expect(ctl("tags", env={"CSMS_TOKEN": "s3cret", "CSMS_URL": u}), 0, "CSMS_TOKEN and CSMS_URL",
               out=["IDTAG"])
        expect(ctl("--token", "wrong", "tags", env={"CSMS_TOKEN": "s3cret", "CSMS_URL": u}), 1,
               "--token wins over CSMS_TOKEN", err=["401"])
    finally:
        d.stop()


def main():
    for p in (CSMSD, CSMSCTL):
        if not os.access(p, os.X_OK):
            print("missing %s (give the build directory)" % p, file=sys.stderr)
            return 1
    if not NODE or not os.path.isdir(OCPP_RPC):
        print("SKIP: node or %s missing (npm ci in tests/integration)" % OCPP_RPC)
        return 77
    tmp = tempfile.mkdtemp(prefix="csmsctl-test-")
    t0 = time.time()
    try:
        test_usage()
        test_server_down()
        test_fake_api()
        test_with_charger(tmp)
        test_token(tmp)
    except Exception as e:  # a harness failure is a test failure, with the reason
        failures.append("exception: %r" % e)
        print("FAIL: %r" % e, file=sys.stderr)
    finally:
        if failures:
            print("kept %s for inspection" % tmp, file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("%s: %d checks, %d failures, %.1f s" % ("FAIL" if failures else "PASS", checks[0], len(failures),
                                                 time.time() - t0))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
