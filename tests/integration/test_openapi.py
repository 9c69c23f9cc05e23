"""test_openapi.py: GET /api/v1/openapi.json (issue 13, item 12) and the
document behind it, csms/api/openapi.json, embedded in csmsd at build time.

1. Coverage, both ways: every route of the table in csms/api/*.c is in the
   document with its method and exactly the query parameters its row
   takes; every path and method of the document is a route of the table.
2. The document is valid OpenAPI (swagger-parser, openapi_check.js).
3. The answers of a running csmsd, over a scenario that calls every route
   (answers, refusals, a charger answering our CALLs), validate against
   the document's response schemas for their status (ajv, openapi_check.js):
   a field the code adds or drops, or a status not described, fails here.
4. csmsd serves the file it was built from, byte for byte, with the token
   like any other route."""
import glob
import http.client
import json
import os
import re
import socket
import shutil
import subprocess
import sys
import tempfile
import threading
from harness import Csmsd, Checks, HERE, Raw, boot_frame

DOC_PATH = os.path.join(HERE, "..", "..", "csms", "api", "openapi.json")
ROUTE = re.compile(r'\{\s*HTTP_(GET|POST|PUT|DELETE),\s*"(/[^"]*)",\s*\w+,\s*(NULL|"[^"]*"|\w+)\s*\}')
MACRO = re.compile(r'#define\s+(\w+)\s+"([^"]*)"')
NODE = shutil.which("node")
CHECKER = os.path.join(HERE, "openapi_check.js")

c = Checks()
if not NODE or not os.path.exists(os.path.join(HERE, "node_modules", "@apidevtools", "swagger-parser")):
    print("skip: node or tests/integration/node_modules/@apidevtools/swagger-parser missing (npm ci)")
    sys.exit(77)

with open(DOC_PATH, "rb") as f:
    DOC_BYTES = f.read()
DOC = json.loads(DOC_BYTES)

# ---- 1. coverage, both ways ----
routes = {}   # (METHOD, "/api/v1/chargers/*"): [query parameters]
for f in sorted(glob.glob(os.path.join(HERE, "..", "..", "csms", "api", "*.c"))):
    with open(f) as fh:
        text = fh.read()
    macros = dict(MACRO.findall(text))
    for m, p, q in ROUTE.findall(text):
        q = macros.get(q, q).strip('"')
        routes[(m, p)] = [] if q == "NULL" else q.split()
c(len(routes) > 30, "the route table was read: %d routes" % len(routes))


def pattern_of(doc_path):
    """/api/v1/chargers/{id}/ocpp/{action} -> /api/v1/chargers/*/ocpp/*"""
    return re.sub(r"\{[^}/]+\}", "*", doc_path)


def params_of(path_item, op, where):
    out = []
    for p in path_item.get("parameters", []) + op.get("parameters", []):
        if "$ref" in p:
            p = DOC["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]
        if p["in"] == where:
            out.append(p["name"])
    return out


documented = {}   # (METHOD, pattern): [query parameters]
ops = {}          # (METHOD, pattern): (doc path, operation)
for dpath, item in DOC["paths"].items():
    for m in ("get", "put", "post", "delete", "patch", "head", "options"):
        if m in item:
            key = (m.upper(), pattern_of(dpath))
            documented[key] = params_of(item, item[m], "query")
            ops[key] = (dpath, item[m])
            path_params = params_of(item, item[m], "path")
            c.eq(len(path_params), dpath.count("{"), "%s %s: each {segment} is a path parameter" % key)
for key, takes in sorted(routes.items()):
    c(key in documented, "route %s %s is in openapi.json" % key)
    if key in documented:
        c.eq(sorted(documented[key]), sorted(takes), "%s %s: the query parameters of its route row" % key)
for key in sorted(documented):
    c(key in routes, "openapi.json's %s %s is a route of csms/api" % key)

# ---- 2. a valid OpenAPI document ----
r = subprocess.run([NODE, CHECKER, "validate", DOC_PATH], capture_output=True, text=True, timeout=60)
c(r.returncode == 0, "swagger-parser validates openapi.json: %s%s" % (r.stdout[-2000:], r.stderr[-2000:]))

# ---- 3. a running csmsd's answers against the document ----
TOKEN = "s3cret"
seen = []   # {"method", "pattern", "status", "type", "body"}


def match_route(method, path):
    path = path.split("?", 1)[0]
    for (m, pat) in routes:
        if m != method:
            continue
        rx = "^" + re.escape(pat).replace(r"\*", "[^/]+") + "$"
        if re.match(rx, path):
            return pat
    return None


def call(d, method, path, body=None, token=TOKEN, raw_body=None):
    """(status, parsed JSON or text); the answer is kept for the check."""
    conn = http.client.HTTPConnection("127.0.0.1", d.admin_port, timeout=60)
    hdrs = {"Authorization": "Bearer " + token} if token else {}
    data = raw_body
    if body is not None:
        data = json.dumps(body).encode()
    if data is not None:
        hdrs["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=hdrs)
    resp = conn.getresponse()
    text = resp.read().decode()
    ctype = resp.getheader("Content-Type", "")
    conn.close()
    pat = match_route(method, path)
    if pat:
        seen.append({"method": method, "pattern": pat, "status": resp.status, "type": ctype, "body": text,
                     "what": "%s %s" % (method, path)})
    try:
        return resp.status, (json.loads(text) if text and "json" in ctype else text)
    except ValueError:
        return resp.status, text


def events_call(d, token=TOKEN):
    """GET /api/v1/events: a stream that does not end; its head and first
    event are kept for the check."""
    s = socket.create_connection(("127.0.0.1", d.admin_port), timeout=10)
    s.sendall(("GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n" % token).encode())
    data = b""
    while b"event: state" not in data and b"\r\n\r\n{" not in data:
        b = s.recv(65536)
        if not b:
            break
        data += b
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    ctype = re.search(rb"(?im)^content-type:\s*(\S+)", head)
    seen.append({"method": "GET", "pattern": "/api/v1/events", "status": status,
                 "type": ctype.group(1).decode() if ctype else "", "body": body.decode(errors="replace"),
                 "what": "GET /api/v1/events"})
    return status, body


def answering(d, cp, method, path, body, reply):
    """Sends an admin request that makes csmsd CALL the charger cp (a Raw
    peer), answers that CALL with reply(action, payload) (a frame without
    the id), and returns the admin answer."""
    out = {}
    action = path.rsplit("/", 1)[1] if "/ocpp/" in path else "SendLocalList"
    t = threading.Thread(target=lambda: out.update(r=call(d, method, path, body)))
    t.start()
    while t.is_alive():
        try:
            line = cp.line(5)
        except AssertionError:
            continue
        if line.startswith("#"):
            continue
        f = json.loads(line)
        if f[0] == 2:
            # DLM's own profiles may come between: accepted
            ans = reply(f[2], f[3]) if f[2] == action else [3, {"status": "Accepted"}]
            if ans:
                cp.send(json.dumps([ans[0], f[1]] + ans[1:]))
    t.join()
    return out.get("r", (0, None))


tmp = tempfile.mkdtemp(prefix="csms-openapi-")
d = Csmsd(admin_token=TOKEN, unknown_chargers="pending", dlm_enabled="true", dlm_sensor="api",
          station_source="api", call_timeout=3)
cp = None
try:
    # the document itself: the embedded copy of the source file, behind the token
    conn = http.client.HTTPConnection("127.0.0.1", d.admin_port, timeout=10)
    conn.request("GET", "/api/v1/openapi.json", headers={"Authorization": "Bearer " + TOKEN})
    resp = conn.getresponse()
    served = resp.read()
    c.eq((resp.status, resp.getheader("Content-Type")), (200, "application/json"), "openapi.json served")
    c(served == DOC_BYTES, "the served document is csms/api/openapi.json byte for byte")
    conn.close()
    c(call(d, "GET", "/api/v1/openapi.json")[1] == DOC, "openapi.json through the checked calls")
    c.eq(call(d, "GET", "/api/v1/openapi.json", token="")[0], 401, "openapi.json needs the token")
    c.eq(call(d, "GET", "/api/v1/openapi.json?x=1")[0], 400, "openapi.json takes no query parameter")

    call(d, "GET", "/api/v1/health")
    call(d, "GET", "/api/v1/chargers", token="wrong")
    call(d, "GET", "/api/v1/chargers?limit=x")

    # a charger boots (pending), is accepted, reports a fault, a firmware state
    cp = Raw(d.url + "/CP1")
    cp.call(boot_frame(vendor="ACME", model="Wallbox"))
    call(d, "GET", "/api/v1/chargers")
    call(d, "POST", "/api/v1/chargers/CP1/reject")
    call(d, "POST", "/api/v1/chargers/CP1/accept")
    call(d, "POST", "/api/v1/chargers/NOPE/accept")
    cp.call(json.dumps([2, "b2", "BootNotification", {"chargePointVendor": "ACME", "chargePointModel": "Wallbox",
                                                       "firmwareVersion": "1.2", "chargePointSerialNumber": "S1"}]))
    cp.call(json.dumps([2, "s1", "StatusNotification", {"connectorId": 1, "status": "Faulted",
                                                        "errorCode": "GroundFailure", "info": "RCD"}]))
    cp.call(json.dumps([2, "s2", "StatusNotification", {"connectorId": 1, "status": "Available",
                                                        "errorCode": "NoError"}]))
    cp.call(json.dumps([2, "f1", "FirmwareStatusNotification", {"status": "Downloading"}]))
    call(d, "GET", "/api/v1/chargers?limit=1&offset=0")
    call(d, "GET", "/api/v1/chargers/CP1")
    call(d, "GET", "/api/v1/chargers/NOPE")
    call(d, "GET", "/api/v1/chargers/CP1/firmware?limit=5")
    call(d, "GET", "/api/v1/chargers/NOPE/firmware")
    call(d, "GET", "/api/v1/alarms")
    call(d, "GET", "/api/v1/alarms?active=true&charger=CP1&limit=5&offset=0&order=desc")
    call(d, "GET", "/api/v1/alarms?active=maybe")
    call(d, "GET", "/api/v1/diagnosis")

    # settings: provisioning a charger, changing one, refusals
    call(d, "PUT", "/api/v1/chargers/CP2", {"maxCurrentA": 16, "phases": 1, "authorizationKey": "0123456789abcdef"})
    call(d, "PUT", "/api/v1/chargers/CP1", {"chargingMode": "pv", "authorizationRequired": False})
    call(d, "PUT", "/api/v1/chargers/CP1", {"colour": "red"})
    call(d, "PUT", "/api/v1/chargers/CP1", {"chargingMode": "warp"})
    call(d, "PUT", "/api/v1/chargers/CP1", raw_body=b"{not json")

    # OCPP calls through the API: a result, a CALLERROR, a timeout, refusals
    def config_answer(action, p):
        return [3, {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"},
                                         {"key": "NumberOfConnectors", "readonly": True, "value": "1"}],
                    "unknownKey": ["Nope"]}]
    answering(d, cp, "POST", "/api/v1/chargers/CP1/ocpp/GetConfiguration",
              {"key": ["HeartbeatInterval", "NumberOfConnectors", "Nope"]}, config_answer)
    answering(d, cp, "POST", "/api/v1/chargers/CP1/ocpp/ChangeConfiguration",
              {"key": "HeartbeatInterval", "value": "60"}, lambda a, p: [3, {"status": "Accepted"}])
    answering(d, cp, "POST", "/api/v1/chargers/CP1/ocpp/Reset", {"type": "Soft"},
              lambda a, p: [4, "NotSupported", "no resets today", {"why": "test"}])
    answering(d, cp, "POST", "/api/v1/chargers/CP1/ocpp/ClearCache", {}, lambda a, p: None)  # no answer: 504
    cp.poll()
    call(d, "POST", "/api/v1/chargers/CP1/ocpp/Reset", {"type": "Sideways"})
    call(d, "POST", "/api/v1/chargers/CP2/ocpp/Reset", {"type": "Soft"})
    call(d, "POST", "/api/v1/chargers/NOPE/ocpp/Reset", {"type": "Soft"})
    answering(d, cp, "POST", "/api/v1/chargers/CP1/ocpp/SetChargingProfile",
              {"connectorId": 1, "csChargingProfiles": {
                  "chargingProfileId": 7, "stackLevel": 1, "chargingProfilePurpose": "TxDefaultProfile",
                  "chargingProfileKind": "Absolute", "chargingSchedule": {
                      "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]}}},
              lambda a, p: [3, {"status": "Accepted"}])
    answering(d, cp, "POST", "/api/v1/chargers/CP1/ocpp/ReserveNow",
              {"connectorId": 1, "expiryDate": "2099-01-01T00:00:00Z", "idTag": "TAG1", "reservationId": 3},
              lambda a, p: [3, {"status": "Accepted"}])
    call(d, "GET", "/api/v1/chargers/CP1/configuration")
    call(d, "GET", "/api/v1/chargers/NOPE/configuration")
    call(d, "GET", "/api/v1/chargers/CP1/profiles")
    call(d, "GET", "/api/v1/reservations")
    call(d, "GET", "/api/v1/reservations?active=true&charger=CP1&limit=3&offset=0&order=asc")
    call(d, "GET", "/api/v1/audit")
    call(d, "GET", "/api/v1/audit?charger=CP1&action=Reset&limit=2&offset=0&order=asc")
    call(d, "GET", "/api/v1/audit?limit=0")

    # id tags and the local list
    call(d, "PUT", "/api/v1/id-tags/TAG1", {"status": "Accepted", "expiryDate": "2099-01-01T00:00:00Z",
                                            "maxActiveTransactions": 2, "chargers": ["CP1"]})
    call(d, "PUT", "/api/v1/id-tags/TAG2", {"status": "Blocked", "parentIdTag": "TAG1"})
    call(d, "PUT", "/api/v1/id-tags/TAG3", {"status": "Lost"})
    call(d, "GET", "/api/v1/id-tags")
    call(d, "GET", "/api/v1/id-tags?limit=1&offset=1")
    call(d, "GET", "/api/v1/id-tags/TAG1")
    call(d, "GET", "/api/v1/id-tags/NOPE")
    call(d, "DELETE", "/api/v1/id-tags/TAG2")
    call(d, "DELETE", "/api/v1/id-tags/TAG2")
    call(d, "GET", "/api/v1/chargers/CP1/local-list")
    answering(d, cp, "POST", "/api/v1/chargers/CP1/local-list", {"updateType": "Full"},
              lambda a, p: [3, {"status": "Accepted"}])
    call(d, "POST", "/api/v1/chargers/CP1/local-list", {"updateType": "Sometimes"})
    call(d, "POST", "/api/v1/chargers/CP2/local-list", {"updateType": "Full"})
    call(d, "GET", "/api/v1/chargers/CP1/local-list")

    # transactions: one that runs, its meter values, an admin's stop
    cp.call(json.dumps([2, "t1", "StartTransaction", {"connectorId": 1, "idTag": "TAG1", "meterStart": 1000,
                                                      "timestamp": "2024-06-01T10:00:00Z"}]))
    cp.call(json.dumps([2, "m1", "MeterValues", {"connectorId": 1, "transactionId": 1, "meterValue": [
        {"timestamp": "2024-06-01T10:05:00Z", "sampledValue": [
            {"value": "1500", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
            {"value": "15.8", "measurand": "Current.Import", "phase": "L1", "unit": "A"}]}]}]))
    call(d, "GET", "/api/v1/chargers/CP1")
    call(d, "GET", "/api/v1/transactions")
    call(d, "GET", "/api/v1/transactions?charger=CP1&idTag=TAG1&active=true&from=2024-01-01T00:00:00Z"
         "&to=2099-01-01T00:00:00Z&limit=5&offset=0&order=desc")
    call(d, "GET", "/api/v1/transactions?from=yesterday")
    call(d, "GET", "/api/v1/transactions/1")
    call(d, "GET", "/api/v1/transactions/99")
    call(d, "GET", "/api/v1/transactions.csv?active=true")
    call(d, "GET", "/api/v1/transactions.csv?active=sometimes")
    call(d, "POST", "/api/v1/transactions/1/stop", {"reason": "Sideways"})
    call(d, "POST", "/api/v1/transactions/1/stop", {"meterStop": 1600, "reason": "EVDisconnected"})
    call(d, "POST", "/api/v1/transactions/1/stop", {})
    call(d, "POST", "/api/v1/transactions/99/stop", {})
    call(d, "GET", "/api/v1/transactions/1")
    call(d, "GET", "/api/v1/audit?action=AdminStopTransaction")

    # DLM and station (both fed through the API here)
    call(d, "PUT", "/api/v1/dlm/readings", {"current": [10, 12.5, -3], "voltage": [230, 231, 229], "power": 4500})
    call(d, "PUT", "/api/v1/dlm/readings", {"current": [1, 2]})
    call(d, "GET", "/api/v1/dlm")
    call(d, "PUT", "/api/v1/dlm", {"breakerA": 32, "marginA": 2})
    call(d, "PUT", "/api/v1/dlm", {"breakerA": "big"})
    # sites: each with its own breaker and sensor
    call(d, "GET", "/api/v1/sites")
    call(d, "PUT", "/api/v1/sites/garage", {"name": "Garage", "breakerA": 16, "sensor": "api"})
    call(d, "PUT", "/api/v1/sites/garage", {"breakerA": 20})
    call(d, "PUT", "/api/v1/sites/garage", {"breakerA": 0})
    call(d, "PUT", "/api/v1/sites/garage/readings", {"current": [3, 4, 5]})
    call(d, "PUT", "/api/v1/sites/garage/readings", {"current": [3]})
    call(d, "PUT", "/api/v1/sites/nope/readings", {"current": [3, 4, 5]})
    call(d, "GET", "/api/v1/sites/garage")
    call(d, "GET", "/api/v1/sites/default")
    call(d, "GET", "/api/v1/sites/nope")
    call(d, "GET", "/api/v1/sites")
    # a site's own station: made, read, fed, priced, refused, removed
    call(d, "GET", "/api/v1/sites/garage/station")
    call(d, "PUT", "/api/v1/sites/garage/station", {"mode": "selfConsumption", "source": {"type": "api"}})
    call(d, "PUT", "/api/v1/sites/garage/station", {"source": {"type": "sim"}})
    call(d, "PUT", "/api/v1/sites/nope/station", {"mode": "selfConsumption"})
    call(d, "PUT", "/api/v1/sites/garage/station", {"mode": "tou"})
    call(d, "GET", "/api/v1/sites/garage/station")
    call(d, "GET", "/api/v1/sites/default/station")
    call(d, "PUT", "/api/v1/sites/garage/station/measurements", {"pv_w": 100, "load_w": 300, "soc_pct": 50})
    call(d, "PUT", "/api/v1/sites/garage/station/measurements", {"pv_w": -1})
    call(d, "PUT", "/api/v1/sites/garage/station/prices", {"start": "2024-01-01T00:00:00Z", "importPrice": [0.1]})
    call(d, "PUT", "/api/v1/sites/nope/station/prices", {"start": "2024-01-01T00:00:00Z", "importPrice": [0.1]})
    call(d, "DELETE", "/api/v1/sites/default/station")
    call(d, "DELETE", "/api/v1/sites/garage/station")
    call(d, "DELETE", "/api/v1/sites/garage/station")
    call(d, "DELETE", "/api/v1/sites/default")
    call(d, "DELETE", "/api/v1/sites/garage")
    call(d, "DELETE", "/api/v1/sites/garage")
    call(d, "GET", "/api/v1/station")
    call(d, "PUT", "/api/v1/station/measurements", {"pvW": 2000, "loadW": 800, "socPct": 60})
    call(d, "PUT", "/api/v1/station/measurements", {"pvW": "sunny"})
    call(d, "PUT", "/api/v1/station/prices", {"start": "2024-06-18T00:00:00Z", "slotS": 3600,
                                              "importPrice": [0.25] * 24, "exportPrice": [0.05] * 24})
    call(d, "PUT", "/api/v1/station/prices", {"start": "yesterday", "importPrice": [1]})
    call(d, "PUT", "/api/v1/station", {"inverterMaxW": 8000, "battery": {"capacityWh": 12000}})
    call(d, "PUT", "/api/v1/station", {"mode": "warp"})
    call(d, "GET", "/api/v1/station")
    st, body = events_call(d)
    c(st == 200 and b"event: state" in body, "the event stream answers with a state event")
    call(d, "GET", "/api/v1/history")
    call(d, "GET", "/api/v1/history?from=2020-01-01T00:00:00Z&to=2030-01-01T00:00:00Z&step=86400")
    call(d, "GET", "/api/v1/history?step=7")
    call(d, "GET", "/api/v1/energy")
    call(d, "GET", "/api/v1/energy?from=2020-01-01T00:00:00Z&to=2030-01-01T00:00:00Z&period=month")
    call(d, "GET", "/api/v1/energy?period=week")
    call(d, "GET", "/metrics")

    # forgetting chargers: refused while connected, then forced
    call(d, "DELETE", "/api/v1/chargers/CP1")
    call(d, "DELETE", "/api/v1/chargers/CP1?force=maybe")
    call(d, "DELETE", "/api/v1/chargers/CP2")
    call(d, "DELETE", "/api/v1/chargers/NOPE")
    cp.call(json.dumps([2, "t2", "StartTransaction", {"connectorId": 1, "idTag": "TAG1", "meterStart": 2000,
                                                      "timestamp": "2024-06-01T11:00:00Z"}]))
    call(d, "DELETE", "/api/v1/chargers/CP1?force=true")
    call(d, "GET", "/api/v1/audit?action=AdminDeleteCharger")

    if os.environ.get("OPENAPI_DUMP"):
        with open(os.environ["OPENAPI_DUMP"], "w") as f:
            json.dump(seen, f, indent=1)
    # every route was called, and answered at least once with a 2xx
    called = {(s["method"], s["pattern"]) for s in seen}
    ok = {(s["method"], s["pattern"]) for s in seen if 200 <= s["status"] < 300}
    for key in sorted(routes):
        c(key in called, "the scenario calls %s %s" % key)
        c(key in ok, "the scenario gets a 2xx from %s %s" % key)
    c(len({s["status"] for s in seen}) >= 8, "statuses seen: %s" % sorted({s["status"] for s in seen}))

    answers = os.path.join(tmp, "answers.json")
    with open(answers, "w") as f:
        json.dump(seen, f)
    r = subprocess.run([NODE, CHECKER, "answers", DOC_PATH, answers], capture_output=True, text=True, timeout=120)
    print(r.stdout.strip().splitlines()[-1] if r.stdout.strip() else "(no output)")
    c(r.returncode == 0, "every answer validates against openapi.json:\n%s%s" % (r.stdout[-6000:], r.stderr[-2000:]))
except Exception as e:
    c(False, "exception: %r\n%s" % (e, d.logtext()[-3000:]))
finally:
    if cp:
        cp.close()
    c.eq(d.stop(), 0, "csmsd exits 0")
    d.cleanup()
    shutil.rmtree(tmp, ignore_errors=True)
c.done()
