"""API conventions (issue 13, item 13): a 405 carries an Allow header with
the methods the path has, read from the route table in csms/api/admin.c;
an unknown query parameter is a 400 naming it, on every route, and a route
that takes none refuses any; `metrics_public` lets /metrics be scraped
without the token and nothing else; an invalid enum value is refused with
the accepted values in the description."""
import glob
import http.client
import json
import os
import re
from harness import Csmsd, Checks, HERE

ROUTE = re.compile(r'\{\s*HTTP_(GET|POST|PUT|DELETE),\s*"(/[^"]*)"')
ALL = ("GET", "POST", "PUT", "DELETE")

c = Checks()
table = {}
for f in sorted(glob.glob(os.path.join(HERE, "..", "..", "csms", "api", "*.c"))):
    with open(f) as fh:
        for m, p in ROUTE.findall(fh.read()):
            table.setdefault(p, []).append(m)
c(len(table) > 20, "the route table was read: %d paths" % len(table))


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
finally:
    c.eq(d.stop(), 0, "csmsd exits 0")
    d.cleanup()
c.done()
