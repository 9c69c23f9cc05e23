"""test_web_routes.py: the dashboard's files and the live feed (issue 12).
The files of web/dist are served at / without the token, byte for byte,
gzipped when asked (once: the same bytes as gzip -9n), with an ETag that
answers 304, the security headers (CSP default-src 'self', no framing,
nosniff, no referrer) and no-cache; only those exact paths are public
(test_public_health checks every API route still needs the token, the
events route included). GET /api/v1/events needs the token, is a
text/event-stream of "state" snapshots at least every 2 s; at most 8
clients (the 9th gets 503); a client that stops reading is dropped once
256 KiB wait for it, while one that reads stays connected."""
import gzip
import http.client
import json
import os
import socket
import time
from harness import Csmsd, Checks, HERE

DIST = os.path.join(HERE, "..", "..", "web", "dist")
c = Checks()


def fetch(d, path, headers=None, method="GET"):
    conn = http.client.HTTPConnection("127.0.0.1", d.admin_port, timeout=10)
    conn.request(method, path, headers=headers or {})
    r = conn.getresponse()
    body = r.read()
    conn.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body


def stream(d, token, rcvbuf=None):
    """A raw socket with GET /api/v1/events sent; the caller reads."""
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", d.admin_port))
    s.sendall(("GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n" % token).encode())
    return s


def read_for(s, seconds):
    """Everything s sends in that time; (bytes, closed)."""
    data, end = b"", time.time() + seconds
    while time.time() < end:
        s.settimeout(max(0.05, end - time.time()))
        try:
            b = s.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            return data, True
        if not b:
            return data, True
        data += b
    return data, False


d = Csmsd(admin_token="t0k")
try:
    files = sorted(os.listdir(DIST))
    c("index.html" in files and "app.js" in files, "web/dist holds the page and its script: %s" % files)
    for f in files:
        path = "/" if f == "index.html" else "/" + f
        raw = open(os.path.join(DIST, f), "rb").read()
        st, h, body = fetch(d, path)
        c.eq(st, 200, "GET %s without the token" % path)
        c.eq(body, raw, "%s: the bytes of web/dist/%s" % (path, f))
        c("content-encoding" not in h, "%s: plain when gzip is not asked for" % path)
        c("default-src 'self'" in h.get("content-security-policy", "") and
          "frame-ancestors 'none'" in h.get("content-security-policy", "") and
          "unsafe-inline" not in h.get("content-security-policy", ""), "%s: CSP %s" % (path, h.get("content-security-policy")))
        c.eq(h.get("x-content-type-options"), "nosniff", "%s: nosniff" % path)
        c.eq(h.get("referrer-policy"), "no-referrer", "%s: Referrer-Policy" % path)
        c.eq(h.get("cache-control"), "no-cache", "%s: revalidated (no-cache)" % path)
        st, hz, bz = fetch(d, path, {"Accept-Encoding": "gzip, deflate, br"})
        c.eq((st, hz.get("content-encoding"), hz.get("vary")), (200, "gzip", "Accept-Encoding"), "%s gzipped" % path)
        c.eq(gzip.decompress(bz), raw, "%s: gzip holds the same bytes" % path)
        c(len(bz) < len(raw) or len(raw) < 300, "%s: %d -> %d bytes" % (path, len(raw), len(bz)))
        etag = h.get("etag", "")
        c(etag.startswith('"') and len(etag) > 8, "%s: ETag %s" % (path, etag))
        st, h304, b304 = fetch(d, path, {"If-None-Match": etag})
        c.eq((st, b304), (304, b""), "%s: 304 for its ETag" % path)
        c.eq(fetch(d, path, {"If-None-Match": '"other"'})[0], 200, "%s: 200 for another ETag" % path)
    st, h, _ = fetch(d, "/")
    c(h.get("content-type", "").startswith("text/html"), "/ is HTML: %s" % h.get("content-type"))
    c(fetch(d, "/app.js")[1].get("content-type", "").startswith("text/javascript"), "app.js is JavaScript")
    # only the exact files are public
    for p in ("/index.html", "/app.js.map", "/x.js", "/api", "/app.js/x"):
        c.eq(fetch(d, p)[0], 401, "GET %s without the token: 401" % p)
    for m in ("POST", "PUT", "DELETE"):
        c.eq(fetch(d, "/", method=m)[0], 401, "%s / without the token: 401" % m)
    c.eq(fetch(d, "/index.html", {"Authorization": "Bearer t0k"})[0], 404, "GET /index.html with the token: 404")
    c("default-src" in fetch(d, "/api/v1/health")[1].get("content-security-policy", ""),
      "the API's answers carry the headers too")

    # the live feed
    c.eq(fetch(d, "/api/v1/events")[0], 401, "events without the token: 401")
    c.eq(fetch(d, "/api/v1/events", {"Authorization": "Bearer nope"})[0], 401, "events with a wrong token: 401")
    c.eq(fetch(d, "/api/v1/events?token=t0k")[0], 401, "the token in the URL is not taken")
    s = stream(d, "t0k")
    data, closed = read_for(s, 3.5)
    head, _, body = data.partition(b"\r\n\r\n")
    c(head.startswith(b"HTTP/1.1 200") and b"text/event-stream" in head.lower(), "events: 200 text/event-stream")
    events = [b for b in body.decode().split("\n\n") if b.startswith("event: state")]
    c(len(events) >= 2 and not closed, "at least 2 snapshots in 3.5 s (%d), still open" % len(events))
    snap = json.loads(events[-1].split("data: ", 1)[1])
    c(set(("time", "station", "dlm", "chargers", "active")) <= set(snap), "a snapshot's parts: %s" % sorted(snap))
    c(snap["station"] is None or "live" in snap["station"], "the station's live flows")
    more = [stream(d, "t0k") for _ in range(7)]
    time.sleep(0.3)
    st, _, body = fetch(d, "/api/v1/events", {"Authorization": "Bearer t0k"})
    c.eq(st, 503, "a ninth client: 503 %s" % body[:80])
    for m in more:
        m.close()
    time.sleep(0.5)

    # a slow client: big snapshots (many chargers), a tiny receive window
    for i in range(150):
        d.put("/api/v1/chargers/WEBP%03d" % i, {"maxCurrentA": 16})
    # the seven closed above leave when csmsd next writes to them (within
    # two snapshots): until then a new stream may still be the ninth (503)
    for _ in range(20):
        slow = stream(d, "t0k", rcvbuf=4096)
        slow.settimeout(5)
        status = slow.recv(12)
        if status.startswith(b"HTTP/1.1 200"):
            break
        slow.close()
        time.sleep(0.5)
    c(status.startswith(b"HTTP/1.1 200"), "the slow client's stream opened: %r" % status)
    read_for(s, 0.2)
    got, _ = read_for(s, 2.2)
    size = max(len(b) for b in got.split(b"\n\n"))
    c(size > 20000, "a snapshot with 150 chargers: %d bytes" % size)
    # 256 KiB at one snapshot a second, plus what the kernel buffers
    dropped, fast_ok, t0 = False, True, time.time()
    while time.time() - t0 < 90 and not dropped:
        got, fast_closed = read_for(s, 2)
        fast_ok = fast_ok and not fast_closed and b"event: state" in got
        dropped = "event stream client is dropped" in d.logtext()
    print("dropped after %.1f s" % (time.time() - t0))
    c(fast_ok, "the reading client stayed connected meanwhile")
    c(dropped, "the client that stopped reading was dropped")
    got, fast_closed = read_for(s, 2.5)
    c(not fast_closed and b"event: state" in got, "the client that reads still gets snapshots")
    s.close()
    slow.close()
finally:
    c.eq(d.stop(), 0, "csmsd exits 0")
    d.cleanup()
c.done()
