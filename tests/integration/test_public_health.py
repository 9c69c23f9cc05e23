"""test_public_health.py: GET /api/v1/health answers without the admin
token (a container's HEALTHCHECK asks it), its answer unchanged; every
other route of the table (read from csms/api/*.c), and health with any
other method, still answers 401 without the token (issue 13, item 3)."""
import glob
import os
import re
from harness import Csmsd, Checks, HERE

ROUTE = re.compile(r'\{\s*HTTP_(GET|POST|PUT|DELETE),\s*"(/[^"]*)"')

c = Checks()
routes = []
for f in sorted(glob.glob(os.path.join(HERE, "..", "..", "csms", "api", "*.c"))):
    with open(f) as fh:
        routes += ROUTE.findall(fh.read())
c(len(routes) > 20 and ("GET", "/api/v1/health") in routes, "the route table was read: %d routes" % len(routes))

d = Csmsd(admin_token="s3cret")
try:
    for tok in ("", "wrong", "s3cret"):
        c.eq(d.get("/api/v1/health", token=tok), (200, {"status": "ok"}), "health with token %r" % tok)
    c.eq(d.get("/api/v1/health/", token="")[0], 200, "health/ without a token")
    for method, path in routes:
        if (method, path) == ("GET", "/api/v1/health"):
            continue
        p = path.replace("*", "x")
        st, _ = d.request(method, p, body={} if method in ("PUT", "POST") else None, token="", raw=True)
        c.eq(st, 401, "%s %s without a token" % (method, p))
    for method in ("POST", "PUT", "DELETE"):
        st, _ = d.request(method, "/api/v1/health", body={} if method != "DELETE" else None, token="", raw=True)
        c.eq(st, 401, "%s /api/v1/health without a token" % method)
    for p in ("/api/v1/healthz", "/api/v1/health/x", "/api/v1/nothing", "/metrics"):
        c.eq(d.get(p, token="", raw=True)[0], 401, "GET %s without a token" % p)
    c.eq(d.get("/api/v1/chargers")[0], 200, "with the token the API answers")
finally:
    c.eq(d.stop(), 0, "csmsd exits 0")
    d.cleanup()
c.done()
