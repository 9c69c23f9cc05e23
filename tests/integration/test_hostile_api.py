"""Hostile input on the admin HTTP API (issue 9, items 4, 5, 6, 8): a body
lws cannot read (chunked) or did not get is refused, never replaced by a
default; a request target that lws decodes to a NUL, a control character or
bytes that are not UTF-8 is a 400; so is an encoded '/' or a dot or empty
segment in the path as sent; double encoding stays literal; JSON
bodies with NUL, bad UTF-8 or trailing data are a 400 and change nothing;
the transactions CSV cannot smuggle a spreadsheet formula."""
import csv
import io
import json
import re
import socket
from harness import Csmsd, Raw, Checks, boot_frame

c = Checks()
d = Csmsd(unknown_chargers="accept")


def raw(req, timeout=5):
    """One request on its own connection; (status, headers, body, closed)."""
    s = socket.create_connection(("127.0.0.1", d.admin_port), timeout=timeout)
    s.sendall(req)
    data, closed = b"", False
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                closed = True
                break
            data += chunk
            if b"\r\n\r\n" in data:
                head, body = data.split(b"\r\n\r\n", 1)
                m = re.search(rb"content-length: *(\d+)", head, re.I)
                if m and len(body) >= int(m.group(1)):
                    # the answer is complete; does the server close?
                    s.settimeout(1)
                    try:
                        closed = s.recv(1) == b""
                    except OSError:
                        closed = False
                    break
    except OSError:
        pass
    s.close()
    if b"\r\n\r\n" not in data:
        return 0, "", b"", closed
    head, body = data.split(b"\r\n\r\n", 1)
    status = int(head.split(b" ", 2)[1])
    return status, head.decode("latin-1").lower(), body, closed


def error_shape(body):
    try:
        e = json.loads(body)["error"]
        return isinstance(e["code"], str) and isinstance(e["description"], str)
    except (ValueError, KeyError, TypeError):
        return False


def tag(name):
    st, t = d.get("/api/v1/id-tags/" + name)
    return t if st == 200 else None


def strict_json(path):
    """GET path and parse it as strict UTF-8 JSON text."""
    st, text = d.request("GET", path, raw=True)
    return json.loads(text.encode("utf-8", "strict").decode("utf-8", "strict"))


try:
    # ---- item 4: a chunked body is refused (411), not ignored ----
    c.eq(d.put("/api/v1/id-tags/X", {"status": "Accepted"})[0], 201, "put X")
    body = b'{"status":"Blocked"}'
    chunked = (b"PUT /api/v1/id-tags/X HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n"
               % (5, body[:5], len(body) - 5, body[5:]))
    st, head, b, closed = raw(chunked)
    c.eq(st, 411, "chunked PUT: 411 Length Required")
    c(error_shape(b), "chunked PUT: JSON error shape: %r" % b)
    c(closed, "chunked PUT: the connection is closed (the chunks are never read as a request)")
    c.eq(tag("X")["status"], "Accepted", "chunked PUT changed nothing")
    st, _, _, _ = raw(chunked.replace(b"/id-tags/X", b"/id-tags/NEWTAG"))
    c.eq((st, tag("NEWTAG")), (411, None), "chunked PUT creates nothing")
    # A PUT or POST that needs a body and has none: 400, not a default.
    for what, req in [("Content-Length: 0", b"PUT /api/v1/id-tags/EMPTY HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"),
                      ("no Content-Length", b"PUT /api/v1/id-tags/EMPTY HTTP/1.1\r\nHost: x\r\n\r\n")]:
        st, _, b, _ = raw(req)
        c(st == 400 and error_shape(b), "PUT id-tag with %s: 400, got %d %r" % (what, st, b))
        c.eq(tag("EMPTY"), None, "PUT id-tag with %s stores nothing" % what)

    # ---- item 6: JSON bodies ----
    bad_bodies = [
        ("trailing garbage", b'{"status":"Blocked"}garbage'),
        ("two values", b'{"status":"Blocked"} {}'),
        ("NUL escape", b'{"status":"Blocked","parentIdTag":"P\\u0000ARENT"}'),
        ("raw NUL", b'{"status":"Blocked","parentIdTag":"P\x00"}'),
        ("raw control byte", b'{"status":"Blocked","parentIdTag":"P\x01"}'),
        ("bad UTF-8", b'{"status":"Blocked","parentIdTag":"P\xff"}'),
        ("overlong UTF-8", b'{"status":"Blocked","parentIdTag":"P\xc0\xaf"}'),
    ]
    for what, b in bad_bodies:
        st, e = d.request("PUT", "/api/v1/id-tags/X", b)
        c(st == 400 and e and "error" in e, "%s in a body: 400, got %d %r" % (what, st, e))
    c.eq(tag("X")["status"], "Accepted", "bad bodies changed nothing")
    c.eq(tag("X")["parentIdTag"], None, "no truncated parent stored")
    st, e = d.request("PUT", "/api/v1/id-tags/X", b'{"status":"Blocked"}\r\n')
    c.eq(st, 200, "whitespace after the value is fine")
    c.eq(tag("X")["status"], "Blocked", "and the body was read")
    strict_json("/api/v1/id-tags")

    # ---- item 5: what lws decodes in the request target ----
    c.eq(d.put("/api/v1/id-tags/VICTIM", {"status": "Accepted"})[0], 201, "put VICTIM")
    # lws refuses %00 in the path itself (no answer); nothing is deleted.
    st, _, _, _ = raw(b"DELETE /api/v1/id-tags/VICTIM%00 HTTP/1.1\r\nHost: x\r\n\r\n")
    c(st == 0 or st >= 400, "DELETE .../VICTIM%%00: refused, got %d" % st)
    # lws ends the request line at a decoded %0A or %0D: "VICTIM%0Ax" would
    # reach us as "VICTIM" but for the HTTP version it never read.
    for seg in ["VICTIM%01", "VICTIM%7F", "VICTIM%0A", "VICTIM%0D", "VICTIM%0Ax", "VICTIM%FF", "VICTIM%C0%AF"]:
        st, _, b, _ = raw(b"DELETE /api/v1/id-tags/%s HTTP/1.1\r\nHost: x\r\n\r\n" % seg.encode())
        c(st == 400 and error_shape(b), "DELETE .../%s: 400 with the error shape, got %d %r" % (seg, st, b))
        st, _, b, _ = raw(b"PUT /api/v1/id-tags/%s HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}" % seg.encode())
        c.eq(st, 400, "PUT .../%s: 400" % seg)
    c(tag("VICTIM") is not None, "VICTIM still there")
    strict_json("/api/v1/id-tags")
    # The query is decoded by lws too: a NUL or control character is a 400,
    # not a filter silently cut short.
    # (lws itself drops the connection on a %00 in the query.)
    for q in ["idTag=X%00", "idTag=X%01", "idTag=%FF", "active=true%00x", "idTag=X%0A&active=true"]:
        st, _, b, _ = raw(b"GET /api/v1/transactions?%s HTTP/1.1\r\nHost: x\r\n\r\n" % q.encode())
        c(st == 0 or (st == 400 and error_shape(b)), "GET transactions?%s: refused, got %d %r" % (q, st, b))
    st, _, b, _ = raw(b"GET /api/v1/transactions?idTag=" + b"A" * 2000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    c.eq(st, 400, "a query too long for us is a 400, not a shorter filter")
    # Routed on the target as sent: lws decodes %2F and folds "/../", so
    # "x%2F..%2FVICTIM" reached the route as "VICTIM" and deleted it.
    for target in ["x%2F..%2FVICTIM", "x%2f..%2fVICTIM", "x/../VICTIM", "x/%2e%2e/VICTIM", "x/%2E%2E/VICTIM",
                   "./VICTIM", "%2e/VICTIM", "/VICTIM", "x%2FVICTIM"]:
        st, hd, b, _ = raw(b"DELETE /api/v1/id-tags/%s HTTP/1.1\r\nHost: x\r\n\r\n" % target.encode())
        c(st == 400 and error_shape(b), "DELETE .../%s: 400 with the error shape, got %d %r" % (target, st, b))
    # A '%' without two hex digits: lws answers 403 itself, before routing.
    for target in ["VICTIM%", "VICTIM%2", "VICTIM%zz"]:
        st, hd, b, _ = raw(b"DELETE /api/v1/id-tags/%s HTTP/1.1\r\nHost: x\r\n\r\n" % target.encode())
        c(st in (400, 403), "DELETE .../%s: refused, got %d" % (target, st))
    c(tag("VICTIM") is not None, "VICTIM survives every encoded or dotted path")
    st, _, b, _ = raw(b"GET /api/v1/id-tags/x%2F..%2FVICTIM HTTP/1.1\r\nHost: x\r\n\r\n")
    c(st == 400 and b"%2F" in b, "the 400 says why: %r" % b)
    st, _, b, _ = raw(b"GET /api//v1/id-tags HTTP/1.1\r\nHost: x\r\n\r\n")
    c.eq(st, 400, "an empty segment ('//') is a 400")
    st, _, b, _ = raw(b"GET /api/v1/id-tags/ HTTP/1.1\r\nHost: x\r\n\r\n")
    c.eq(st, 200, "a trailing '/' is fine")
    # The query may hold an encoded '/': it is not a path segment.
    st, _, b, _ = raw(b"GET /api/v1/transactions?idTag=a%2Fb HTTP/1.1\r\nHost: x\r\n\r\n")
    c.eq(st, 200, "%2F in a query value is fine")
    # One request per connection: a request pipelined behind the first is
    # not read (its line was never checked), and the answer says close.
    s = socket.create_connection(("127.0.0.1", d.admin_port), timeout=5)
    s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n"
              b"DELETE /api/v1/id-tags/x%2F..%2FVICTIM HTTP/1.1\r\nHost: x\r\n\r\n")
    got = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except OSError:
        pass
    s.close()
    c.eq(got.count(b"HTTP/1.1 "), 1, "one answer on the connection")
    c(got.startswith(b"HTTP/1.1 200") and b"connection: close" in got.lower(), "200 with Connection: close: %r" % got[:200])
    c(tag("VICTIM") is not None, "VICTIM still there after the pipelined DELETE")
    # Decoded once: double encoding stays a literal %2F in the id.
    st, t = d.put("/api/v1/id-tags/A%252FB", {"status": "Accepted"})
    c.eq((st, t and t["idTag"]), (201, "A%2FB"), "%252F is a literal %2F")
    c.eq(d.get("/api/v1/id-tags/A%252FB")[1]["idTag"], "A%2FB", "and reads back")
    c.eq(tag("B"), None, "no tag B")
    st, t = d.put("/api/v1/id-tags/A%20B", {"status": "Accepted"})
    c.eq((st, t and t["idTag"]), (201, "A B"), "%20 still works")
    c.eq(d.delete("/api/v1/id-tags/A%20B")[0], 204, "and deletes")
    st, t = d.put("/api/v1/id-tags/K%C3%B6ln", {"status": "Accepted"})
    c.eq((st, t and t["idTag"]), (201, "K\u00f6ln"), "UTF-8 in an id works")

    # ---- item 4 (cont.): an OCPP call needs a payload ----
    r = Raw(d.url + "/CP-H")
    c(json.loads(r.call(boot_frame()))[2]["status"] == "Accepted", "boot")
    st, _, b, _ = raw(b"POST /api/v1/chargers/CP-H/ocpp/ClearCache HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    c(st == 400 and error_shape(b), "OCPP call without a body: 400, got %d %r" % (st, b))
    c.eq(r.poll(), [], "and nothing was sent to the charger")

    # ---- item 8: CSV formula injection ----
    evil = ['=HYPERLINK("x")', "+1+2", "-3+4", "@SUM(A1)", "\tTAB", "\rCR", "PLAIN", 'say "hi", ok']
    for i, t in enumerate(evil):
        a = json.loads(r.call(json.dumps([2, "s%d" % i, "StartTransaction", {
            "connectorId": 1, "idTag": t, "meterStart": 0, "timestamp": "2026-05-01T10:00:00Z"}])))
        c(a[0] == 3, "start with idTag %r: %s" % (t, a))
    r.close()
    st, head, b, _ = raw(b"GET /api/v1/transactions.csv HTTP/1.1\r\nHost: x\r\n\r\n")
    c.eq(st, 200, "CSV")
    c('content-disposition: attachment; filename="transactions.csv"' in head,
      "CSV is an attachment: %s" % head)
    rows = list(csv.reader(io.StringIO(b.decode("utf-8"), newline="")))
    c.eq(rows[0][3], "idTag", "CSV header")
    got = [row[3] for row in rows[1:]]
    want = ["'" + t if t[0] in "=+-@\t\r" else t for t in evil]
    c.eq(sorted(got), sorted(want), "formula cells start with a quote, others unchanged")
    for line in b.decode("utf-8").split("\n"):
        for cell in re.findall(r'(?:^|,)("(?:[^"]|"")*"|[^,]*)', line):
            c(not cell or cell[0] not in "=+-@\t\r", "no raw cell starts a formula: %r" % line)
    c(all(re.fullmatch(r"-?\d*", row[7]) for row in rows[1:]), "numbers stay numbers")

    strict_json("/api/v1/chargers")
    c.eq(d.stop(), 0, "clean exit")
except Exception as e:
    import traceback
    traceback.print_exc()
    c(False, "exception: %r\n%s" % (e, d.logtext()))
    d.kill()
finally:
    d.cleanup()
c.done()
