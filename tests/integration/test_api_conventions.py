"""API conventions (issue 13, item 13): a 405 carries an Allow header with
the methods the path has, read from the route table in csms/api/admin.c;
an unknown query parameter is a 400 naming it, on every route, and a route
that takes none refuses any; `metrics_public` lets /metrics be scraped
without the token and nothing else; an invalid enum value is refused with
the accepted values in the description; lists take offset beside limit
(and order where ordered by time) with the total in X-Total-Count, their
answers still plain arrays."""
import glob
import http.client
import json
import os
import re
import subprocess
from harness import BUILD, Csmsd, Checks, HERE, Raw, boot_frame

ROUTE = re.compile(r'\{\s*HTTP_(GET|POST|PUT|DELETE),\s*"(/[^"]*)",\s*\w+,\s*(NULL|"[^"]*"|\w+)\s*\}')
MACRO = re.compile(r'#define\s+(\w+)\s+"([^"]*)"')
ALL = ("GET", "POST", "PUT", "DELETE")

c = Checks()
table = {}    # path: [methods]
takes = {}    # (method, path): [query parameters]
for f in sorted(glob.glob(os.path.join(HERE, "..", "..", "csms", "api", "*.c"))):
    with open(f) as fh:
        text = fh.read()
    macros = dict(MACRO.findall(text))
    for m, p, q in ROUTE.findall(text):
        table.setdefault(p, []).append(m)
        q = macros.get(q, q).strip('"')
        takes[(m, p)] = [] if q == "NULL" else q.split()
c(len(table) > 20, "the route table was read: %d paths" % len(table))
c(takes.get(("GET", "/api/v1/transactions")) and takes.get(("GET", "/api/v1/health")) == [],
  "the query lists were read")


def call(d, method, path, body=None, token="s3cret"):
    """(status, headers as a dict with lower-case names, body text)."""
    conn = http.client.HTTPConnection("127.0.0.1", d.admin_port, timeout=30)
    hdrs = {"Authorization": "Bearer " + token} if token else {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        hdrs["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=hdrs)
    r = conn.getresponse()
    text = r.read().decode()
    h = {k.lower(): v for k, v in r.getheaders()}
    conn.close()
    return r.status, h, text


def description(text):
    try:
        return json.loads(text)["error"]["description"]
    except (ValueError, KeyError, TypeError):
        return None


d = Csmsd(admin_token="s3cret", unknown_chargers="accept")
try:
    # ---- 1. 405 with Allow ----
    n405 = 0
    for path, methods in sorted(table.items()):
        p = path.replace("*", "x")
        for m in ALL:
            if m in methods:
                continue
            st, h, text = call(d, m, p, body={} if m in ("PUT", "POST") else None)
            c.eq(st, 405, "%s %s is a 405" % (m, p))
            allow = sorted(x.strip() for x in h.get("allow", "").split(","))
            c.eq(allow, sorted(methods), "%s %s: Allow lists the path's methods" % (m, p))
            c(description(text) is not None, "%s %s: the error shape" % (m, p))
            n405 += 1
    c(n405 > 40, "405s tried: %d" % n405)
    st, h, _ = call(d, "GET", "/api/v1/chargers")
    c(st == 200 and "allow" not in h, "a 200 has no Allow header")
    st, h, _ = call(d, "GET", "/api/v1/nothing")
    c(st == 404 and "allow" not in h, "a 404 has no Allow header")
    st, h, _ = call(d, "PATCH", "/api/v1/dlm", body={})
    c.eq((st, h.get("allow")), (405, "GET, PUT"), "PATCH /api/v1/dlm: 405, Allow: GET, PUT")

    # ---- 2. unknown query parameters ----
    for (m, path), params in sorted(takes.items()):
        p = path.replace("*", "x")
        body = {} if m in ("PUT", "POST") else None
        st, _, text = call(d, m, p + "?bogus=1", body=body)
        c.eq(st, 400, "%s %s?bogus=1 is a 400" % (m, p))
        desc = description(text) or ""
        c(desc.startswith("bogus: unknown query parameter"), "%s %s?bogus=1 names it: %r" % (m, p, desc))
        for q in params:
            c(q in desc, "%s %s: the refusal lists %s: %r" % (m, p, q, desc))
        # an unknown one behind known ones, and one without a value
        known = "&".join("%s=" % q for q in params)
        st, _, text = call(d, m, p + "?" + (known + "&" if known else "") + "zz", body=body)
        c(st == 400 and (description(text) or "").startswith("zz: unknown query parameter"),
          "%s %s?%s&zz: 400 naming zz, got %d %r" % (m, p, known, st, text[:200]))
    c.eq(call(d, "GET", "/api/v1/health?x=1", token="")[0], 400, "health takes no parameter either")
    c.eq(call(d, "GET", "/api/v1/diagnosis?limit=5")[0], 400, "the diagnosis takes no limit")
    c.eq(call(d, "GET", "/api/v1/transactions?charger=&idTag=&active=true&limit=3")[0], 200,
         "transactions with known parameters: 200")
    c.eq(call(d, "GET", "/api/v1/alarms?active=true&charger=X&limit=2")[0], 200,
         "alarms with known parameters: 200")
    c.eq(call(d, "GET", "/api/v1/audit?charger=X&action=Reset&limit=2")[0], 200,
         "audit with known parameters: 200")
    c.eq(call(d, "GET", "/api/v1/transactions?Charger=x")[0], 400, "names are case-sensitive")
    st, _, text = call(d, "DELETE", "/api/v1/chargers/NOPE?force=true&x=1")
    c.eq(st, 400, "DELETE with force and an unknown one: 400 before the 404")

    # ---- 4. an invalid enum value lists the valid ones ----
    def refused(method, path, body, what):
        st, _, text = call(d, method, path, body=body)
        desc = description(text) or ""
        c(st == 400, "%s: 400, got %d %r" % (what, st, text[:200]))
        return desc

    def listed(desc, names, what):
        for n in names:
            c(re.search(r"\b%s\b" % re.escape(n), desc), "%s: the refusal names %s: %r" % (what, n, desc))

    desc = refused("PUT", "/api/v1/chargers/EN1", {"chargingMode": "turbo"}, "chargingMode turbo")
    c(desc.startswith("chargingMode: invalid value"), "chargingMode: the old start kept: %r" % desc)
    listed(desc, ["fast", "solarBoost", "pv"], "chargingMode")
    for i, mode in enumerate(re.findall(r"one of (.*)$", desc)[0].split(", ")):
        st, _, text = call(d, "PUT", "/api/v1/chargers/EN1", body={"chargingMode": mode})
        want = 201 if i == 0 else 200  # the first PUT creates EN1
        c.eq((st, json.loads(text)["settings"]["chargingMode"] if st in (200, 201) else text), (want, mode),
             "chargingMode %s, as listed, is accepted" % mode)
    desc = refused("PUT", "/api/v1/id-tags/EN", {"status": "Lost"}, "id-tag status Lost")
    listed(desc, ["Accepted", "Blocked", "Expired", "Invalid"], "id-tag status")
    desc = refused("PUT", "/api/v1/dlm", {"sensor": "bogus"}, "DLM sensor bogus")
    listed(desc, ["sim", "api", "modbus-tcp", "modbus-rtu"], "DLM sensor")
    desc = refused("PUT", "/api/v1/station", {"mode": "bogus"}, "station mode bogus")
    listed(desc, ["selfConsumption", "tou", "feedIn", "remoteEms", "loadShedding", "optimise"], "station mode")
    st, _, text = call(d, "GET", "/api/v1/station")
    c(st == 200 and json.loads(text)["mode"] in desc, "the station's mode is among those listed")
    desc = refused("PUT", "/api/v1/station", {"chargers": [{"id": "EN1", "mode": "warp"}]}, "station EV mode")
    listed(desc, ["fast", "solarBoost", "pv100"], "station EV mode")
    r = Raw(d.url + "/EN1")
    try:
        r.ask(boot_frame())
        call(d, "PUT", "/api/v1/id-tags/ENCARD", body={})
        tx = r.ask(json.dumps([2, "s1", "StartTransaction", {
            "connectorId": 1, "idTag": "ENCARD", "meterStart": 0, "timestamp": "2026-06-01T10:00:00Z"}]))[2]
        desc = refused("POST", "/api/v1/transactions/%d/stop" % tx["transactionId"], {"reason": "Bored"},
                       "stop reason Bored")
        listed(desc, ["EmergencyStop", "EVDisconnected", "HardReset", "Local", "Other", "PowerLoss", "Reboot",
                      "Remote", "SoftReset", "UnlockCommand", "DeAuthorized"], "stop reason")
    finally:
        r.close()

    # ---- 6. a PUT that creates answers 201 with a Location; one that changes, 200 ----
    st, h, text = call(d, "PUT", "/api/v1/id-tags/NEW-1", body={"status": "Accepted"})
    c.eq((st, h.get("location"), json.loads(text)["idTag"]), (201, "/api/v1/id-tags/NEW-1", "NEW-1"),
         "PUT of a new idTag: 201, Location, the tag")
    st, h, text = call(d, "PUT", "/api/v1/id-tags/NEW-1", body={"status": "Blocked"})
    c.eq((st, "location" in h, json.loads(text)["status"]), (200, False, "Blocked"),
         "PUT of an existing idTag: 200, no Location")
    c.eq(call(d, "PUT", "/api/v1/id-tags/NEW-2", body={"status": "Lost"})[0], 400, "a refused PUT creates nothing")
    c.eq(call(d, "PUT", "/api/v1/id-tags/NEW-2", body={})[0], 201, "... so the next one creates it: 201")
    st, h, text = call(d, "PUT", "/api/v1/chargers/NEW%20CP", body={"maxCurrentA": 16})
    c.eq((st, h.get("location"), json.loads(text)["id"]), (201, "/api/v1/chargers/NEW%20CP", "NEW CP"),
         "PUT provisioning a new charger: 201, its Location percent-encoded")
    st, h, _ = call(d, "PUT", "/api/v1/chargers/NEW%20CP", body={"maxCurrentA": 20})
    c.eq((st, "location" in h), (200, False), "PUT of the same charger again: 200")
    st, _, _ = call(d, "PUT", "/api/v1/chargers/EN1", body={"maxCurrentA": 20})
    c.eq(st, 200, "PUT of a charger that has booted: 200")

    # ---- 3. metrics_public, default false ----
    c.eq(call(d, "GET", "/metrics", token="")[0], 401, "metrics_public off: /metrics needs the token")
    st, _, text = call(d, "GET", "/metrics")
    c(st == 200 and "csms_build_info" in text, "with the token /metrics answers")
finally:
    c.eq(d.stop(), 0, "csmsd exits 0")
    d.cleanup()

help_text = subprocess.run([os.path.join(BUILD, "csmsd"), "--help"], capture_output=True, text=True)
c(re.search(r"metrics_public\b.*false", help_text.stdout + help_text.stderr),
  "--help lists metrics_public with its default false")
d = Csmsd(admin_token="s3cret", metrics_public="true")
try:
    for tok in ("", "wrong", "s3cret"):
        st, h, text = call(d, "GET", "/metrics", token=tok)
        c(st == 200 and "csms_build_info" in text and h.get("content-type", "").startswith("text/plain"),
          "metrics_public: GET /metrics with token %r: 200 %r" % (tok, text[:80]))
    c.eq(call(d, "GET", "/metrics/", token="")[0], 200, "GET /metrics/ too")
    c.eq(call(d, "GET", "/metrics?x=1", token="")[0], 400, "its query is checked like any other")
    c.eq(call(d, "POST", "/metrics", body={}, token="")[0], 401, "POST /metrics without the token: 401")
    for m, path in sorted((m, p) for p, ms in table.items() for m in ms):
        if path in ("/metrics", "/api/v1/health"):
            continue
        st, _, _ = call(d, m, path.replace("*", "x"), body={} if m in ("PUT", "POST") else None, token="")
        c.eq(st, 401, "metrics_public: %s %s without the token is still a 401" % (m, path))
    c.eq(call(d, "GET", "/metricsx", token="")[0], 401, "only /metrics itself")
finally:
    c.eq(d.stop(), 0, "csmsd exits 0")
    d.cleanup()

# ---- 5. pages: offset, limit, order, X-Total-Count ----
def page(d, path):
    st, h, text = call(d, "GET", path, token="")
    body = json.loads(text) if text and h.get("content-type", "").startswith("application/json") else text
    return st, h.get("x-total-count"), body


d = Csmsd(unknown_chargers="accept")
try:
    for i in range(1, 6):
        call(d, "PUT", "/api/v1/id-tags/T%d" % i, body={}, token="")
    st, total, tags = page(d, "/api/v1/id-tags")
    c.eq((st, total, [t["idTag"] for t in tags]), (200, "5", ["T1", "T2", "T3", "T4", "T5"]),
         "id-tags: the whole array, total 5")
    st, total, tags = page(d, "/api/v1/id-tags?limit=2&offset=1")
    c.eq((st, total, [t["idTag"] for t in tags]), (200, "5", ["T2", "T3"]), "id-tags limit 2 offset 1")
    c.eq(page(d, "/api/v1/id-tags?offset=9")[:3], (200, "5", []), "id-tags offset past the end: []")
    c.eq(page(d, "/api/v1/id-tags?order=desc")[0], 400, "id-tags are not ordered by time: no order")
    c.eq(page(d, "/api/v1/id-tags?offset=-1")[0], 400, "a negative offset is a 400")
    for cid in ("C1", "C2", "C3"):
        call(d, "PUT", "/api/v1/chargers/" + cid, body={}, token="")
    st, total, chs = page(d, "/api/v1/chargers?offset=1&limit=1")
    c.eq((st, total, [x["id"] for x in chs]), (200, "3", ["C2"]), "chargers offset 1 limit 1")
    c(chs and "connected" in chs[0] and "settings" in chs[0], "a paged charger is decorated as before")

    r = Raw(d.url + "/C1")
    try:
        r.ask(boot_frame())
        ids = []
        for i in range(1, 5):
            f = r.ask(json.dumps([2, "s%d" % i, "StartTransaction", {
                "connectorId": i, "idTag": "T%d" % i, "meterStart": 0,
                "timestamp": "2026-06-01T1%d:00:00Z" % i}]))
            ids.append(f[2]["transactionId"])
    finally:
        r.close()
    c.eq(len(ids), 4, "four transactions")
    st, total, txs = page(d, "/api/v1/transactions")
    c.eq((st, total, [t["id"] for t in txs]), (200, "4", ids), "transactions: oldest first as before, total 4")
    c.eq([t["id"] for t in page(d, "/api/v1/transactions?order=desc")[2]], ids[::-1], "order=desc: newest first")
    c.eq([t["id"] for t in page(d, "/api/v1/transactions?order=asc")[2]], ids, "order=asc: oldest first")
    st, total, txs = page(d, "/api/v1/transactions?order=desc&limit=2&offset=1")
    c.eq((total, [t["id"] for t in txs]), ("4", [ids[2], ids[1]]), "desc, limit 2 offset 1")
    st, total, txs = page(d, "/api/v1/transactions?limit=2&offset=3")
    c.eq((total, [t["id"] for t in txs]), ("4", [ids[3]]), "asc, limit 2 offset 3: the last one")
    st, total, txs = page(d, "/api/v1/transactions?idTag=T2&offset=0")
    c.eq((total, [t["id"] for t in txs]), ("1", [ids[1]]), "the total counts what the filter keeps")
    c.eq(len(page(d, "/api/v1/transactions?limit=0")[2]), 4, "limit=0 is still all")
    st, _, text = call(d, "GET", "/api/v1/transactions?order=newest", token="")
    c(st == 400 and "asc" in (description(text) or "") and "desc" in description(text),
      "order=newest: 400 naming asc and desc: %r" % text)
    c.eq(page(d, "/api/v1/transactions?limit=x")[0], 400, "limit=x is a 400")
    st, total, text = page(d, "/api/v1/transactions.csv?order=desc&limit=1")
    rows = text.strip().split("\n")
    c.eq((st, total, len(rows), rows[1].split(",")[0] if len(rows) > 1 else None), (200, "4", 2, str(ids[3])),
         "CSV: header and the newest row, total 4")

    for t in ids[:3]:
        call(d, "POST", "/api/v1/transactions/%d/stop" % t, body={}, token="")
    st, total, audit = page(d, "/api/v1/audit?action=AdminStopTransaction")
    got = [a["request"]["transactionId"] for a in audit]
    c.eq((st, total, got), (200, "3", ids[:3][::-1]), "audit: newest first as before, total 3")
    c.eq([a["request"]["transactionId"] for a in page(d, "/api/v1/audit?action=AdminStopTransaction&order=asc")[2]],
         ids[:3], "audit order=asc: oldest first")
    st, total, audit = page(d, "/api/v1/audit?action=AdminStopTransaction&limit=1&offset=1")
    c.eq((total, [a["request"]["transactionId"] for a in audit]), ("3", [ids[1]]), "audit limit 1 offset 1")
    st, total, all_audit = page(d, "/api/v1/audit")
    c(st == 200 and int(total) >= 3 and len(all_audit) == int(total), "audit total %s" % total)
    st, total1, one = page(d, "/api/v1/audit?limit=1&offset=1")
    c.eq((total1, [a["id"] for a in one]), (total, [a["id"] for a in all_audit[1:2]]),
         "audit limit 1 offset 1: the second newest, the total of all")
    st, total1, rest = page(d, "/api/v1/audit?order=asc&limit=2")
    c.eq((total1, [a["id"] for a in rest]), (total, [a["id"] for a in all_audit[::-1][:2]]),
         "audit order=asc limit 2: the two oldest")
    for path in ("/api/v1/alarms", "/api/v1/reservations"):
        st, total, rows = page(d, path + "?order=asc&offset=0&limit=5")
        c(st == 200 and isinstance(rows, list) and total == str(len(rows)), "%s paged: %d %r" % (path, st, total))
        c.eq(page(d, path + "?order=up")[0], 400, path + "?order=up: 400")
finally:
    c.eq(d.stop(), 0, "csmsd exits 0")
    d.cleanup()
c.done()
