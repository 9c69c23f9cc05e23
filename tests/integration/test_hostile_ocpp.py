"""Hostile input on the OCPP websocket (issue 9, items 5 and 6): the id in
the handshake path is decoded once (by lws) and must be UTF-8 text; a text
frame that is not UTF-8 closes with 1007; a binary frame that is not UTF-8,
a NUL in a string, data after the JSON value or two CALLs in one frame get
a FormationViolation and store nothing; GET /api/v1/chargers stays valid
JSON text throughout."""
import base64
import json
import os
import socket
import struct
from harness import Csmsd, Raw, Checks, boot_frame, handshake

c = Checks()
d = Csmsd(unknown_chargers="accept")


class Ws:
    """A bare websocket client that can send any bytes in any frame type."""

    def __init__(self, port, path):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=5)
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                        "Sec-WebSocket-Protocol: ocpp1.6\r\n\r\n" % (path, key)).encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.s.recv(4096)
            if not chunk:
                raise AssertionError("handshake refused")
            data += chunk
        head, self.buf = data.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise AssertionError("handshake: %r" % head)

    def send(self, payload, opcode=1):
        mask = os.urandom(4)
        n = len(payload)
        hdr = bytes([0x80 | opcode])
        if n < 126:
            hdr += bytes([0x80 | n])
        else:
            hdr += bytes([0x80 | 126]) + struct.pack(">H", n)
        self.s.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk

    def recv(self):
        """(opcode, payload) of the next frame; (None, b"") when closed."""
        try:
            self._need(2)
            op, n = self.buf[0] & 0x0f, self.buf[1] & 0x7f
            pos = 2
            if n == 126:
                self._need(4)
                n, pos = struct.unpack(">H", self.buf[2:4])[0], 4
            elif n == 127:
                self._need(10)
                n, pos = struct.unpack(">Q", self.buf[2:10])[0], 10
            self._need(pos + n)
            payload, self.buf = self.buf[pos:pos + n], self.buf[pos + n:]
            return op, payload
        except (EOFError, OSError):
            return None, b""

    def call(self, payload, opcode=1):
        self.send(payload, opcode)
        while True:
            op, p = self.recv()
            if op != 9:           # skip pings
                return op, p

    def close(self):
        self.s.close()


def chargers_json():
    """GET /api/v1/chargers as strict UTF-8 JSON text."""
    st, text = d.request("GET", "/api/v1/chargers", raw=True)
    return json.loads(text.encode("utf-8", "strict").decode("utf-8", "strict"))


def error_of(payload):
    a = json.loads(payload.decode("utf-8", "strict"))
    return a[1], a[2], a[3]


try:
    # ---- the id in the handshake path ----
    # lws has decoded it once; %252F is the literal id "A%2FB", not "A/B".
    c.eq(handshake(d.ws_port, "/ocpp/A%252FB"), 101, "%252F: accepted as a literal")
    r = Raw("ws://127.0.0.1:%d/ocpp/A%%252FB" % d.ws_port)
    r.call(boot_frame())
    r.close()
    st, ch = d.get("/api/v1/chargers/A%252FB")
    c.eq((st, ch.get("id")), (200, "A%2FB"), "charger 'A%2FB' registered under its literal id")
    # A decoded '?' belongs to the id (lws has split off the real query).
    r = Raw("ws://127.0.0.1:%d/ocpp/Q%%3FX" % d.ws_port)
    r.call(boot_frame())
    r.close()
    c.eq(d.get("/api/v1/chargers/Q%3FX")[0], 200, "charger 'Q?X'")
    c.eq(d.get("/api/v1/chargers/Q")[0], 404, "no charger 'Q'")
    # A bad id is a 400 at the handshake (lws itself drops a %00 at once).
    for bad in ["CP%01", "CP%7F", "CP%FF", "CP%C0%AF", "CP%ED%A0%80", "CP%0A", "CP%0Ax", "CP%0D"]:
        c.eq(handshake(d.ws_port, "/ocpp/" + bad), 400, "id %s refused at the handshake" % bad)
    c(handshake(d.ws_port, "/ocpp/CP%00") in (0, 400), "id CP%00 refused at the handshake")
    # Routed on the path as sent (issue 9 item 5): lws decodes %2F to '/'
    # and folds "/../", which made "/ocpp/A%2FB" register charger "B".
    for bad in ["/ocpp/A%2FB", "/ocpp/A%2fB", "/ocpp/A%2F..%2FB", "/ocpp/x/../B", "/ocpp/x/%2e%2e/B",
                "/ocpp/./B", "/ocpp//B"]:
        c.eq(handshake(d.ws_port, bad), 400, "%s: 400 at the handshake" % bad)
    c.eq(handshake(d.ws_port, "/ocpp/B%"), 403, "a lone '%': lws's own 403")
    c.eq(d.get("/api/v1/chargers/B")[0], 404, "no charger 'B' from an encoded or dotted path")
    r = Raw("ws://127.0.0.1:%d/ocpp/K%%C3%%B6ln" % d.ws_port)
    c.eq(r.first, "#connected", "a UTF-8 id is fine")
    r.call(boot_frame())
    r.close()
    c.eq(d.get("/api/v1/chargers/CP")[0], 404, "no charger 'CP' from a cut path")

    # ---- frames ----
    w = Ws(d.ws_port, "/ocpp/CP-W")
    op, p = w.call(boot_frame().encode())
    c(op == 1 and json.loads(p)[2]["status"] == "Accepted", "boot")
    # data after the value, two CALLs in one frame
    op, p = w.call(b'[2,"g1","Heartbeat",{}]garbage')
    c.eq(error_of(p)[:2], ("g1", "FormationViolation"), "trailing garbage")
    op, p = w.call(b'[2,"g2","Heartbeat",{}][2,"g3","Heartbeat",{}]')
    c.eq(error_of(p)[:2], ("g2", "FormationViolation"), "two CALLs in one frame")
    op, p = w.call(b'[2,"g4","Heartbeat",{}]')
    c.eq(json.loads(p)[:2], [3, "g4"], "one CALL, one answer (nothing left over)")
    # a NUL would cut a 33-character idTag down to 3 and pass the 20-character limit
    op, p = w.call(b'[2,"n1","Authorize",{"idTag":"ABC\\u0000DEFGHIJKLMNOPQRSTUVWXYZ0123"}]')
    c.eq(error_of(p)[:2], ("n1", "FormationViolation"), "NUL in an idTag")
    op, p = w.call(b'[2,"n2","StartTransaction",{"connectorId":1,"idTag":"ABC\\u0000DEF",'
                   b'"meterStart":0,"timestamp":"2026-05-01T10:00:00Z"}]')
    c.eq(error_of(p)[:2], ("n2", "FormationViolation"), "NUL in a StartTransaction idTag")
    # not UTF-8 in a binary frame (lws checks only text frames): a
    # FormationViolation that does not echo the bytes
    op, p = w.call(b'[2,"u1","BootNotification",{"chargePointVendor":"V\xff\xfe","chargePointModel":"M"}]', opcode=2)
    c.eq(error_of(p)[:2], ("u1", "FormationViolation"), "bad UTF-8 in a binary frame")
    c(b"\xff" not in p, "the bad bytes are not echoed")
    op, p = w.call(b'[2,"u2\xc3","Heartbeat",{}]', opcode=2)
    c.eq(error_of(p)[:2], ("-1", "FormationViolation"), "bad UTF-8 in the message id: id -1")
    op, p = w.call(b'[2,"ok","Heartbeat",{}]')
    c.eq(json.loads(p)[:2], [3, "ok"], "the connection survived")
    # not UTF-8 in a text frame: lws closes with 1007
    op, p = w.call(b'[2,"u3","BootNotification",{"chargePointVendor":"V\xc0\xaf","chargePointModel":"M"}]')
    c.eq(op, 8, "bad UTF-8 in a text frame: close")
    c.eq(struct.unpack(">H", p[:2])[0] if len(p) >= 2 else None, 1007, "close code 1007")
    w.close()

    txs = d.get("/api/v1/transactions")[1]
    c.eq(txs, [], "nothing stored from the refused frames")
    ch = chargers_json()
    c.eq(sorted(x["id"] for x in ch), sorted(["A%2FB", "Q?X", "K\u00f6ln", "CP-W"]), "charger list")
    c.eq([x["vendor"] for x in ch if x["id"] == "CP-W"], ["V"], "vendor untouched by the refused boot")
    c.eq(d.stop(), 0, "clean exit")
except Exception as e:
    import traceback
    traceback.print_exc()
    c(False, "exception: %r\n%s" % (e, d.logtext()))
    d.kill()
finally:
    d.cleanup()
c.done()
