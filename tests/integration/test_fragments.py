"""Review regression: fragmented websocket frames. After a frame whose first
fragment alone is over max_frame, on_receive (server.c) shrinks the
reassembly buffer to 256 bytes but keeps the old rx_cap; the next
fragmented frame is then copied past the end of the 256-byte buffer (heap
overflow; ASan aborts csmsd). Needs a raw websocket peer that controls the
FIN bit, so it speaks the protocol itself (stdlib only)."""
import base64
import json
import os
import socket
import struct
from harness import Csmsd, Checks


class Ws:
    """A websocket client that sends frames with the FIN bit we choose."""

    def __init__(self, port, path, protocol="ocpp1.6"):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: %s\r\n\r\n"
               % (path, key, protocol))
        self.s.sendall(req.encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.s.recv(4096)
            if not chunk:
                raise AssertionError("handshake: connection closed")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise AssertionError("handshake refused: %r" % head[:80])

    def frame(self, payload, opcode=1, fin=True):
        if isinstance(payload, str):
            payload = payload.encode()
        b0 = (0x80 if fin else 0) | opcode
        n = len(payload)
        if n < 126:
            hdr = struct.pack("!BB", b0, 0x80 | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", b0, 0x80 | 126, n)
        else:
            hdr = struct.pack("!BBQ", b0, 0x80 | 127, n)
        mask = os.urandom(4)
        body = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
        self.s.sendall(hdr + mask + body)

    def fragmented(self, parts):
        """One text message sent as len(parts) websocket fragments."""
        for i, p in enumerate(parts):
            self.frame(p, opcode=1 if i == 0 else 0, fin=(i == len(parts) - 1))

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                raise AssertionError("connection ended")
            self.buf += chunk

    def recv(self):
        """The next text message (server frames are unmasked, unfragmented)."""
        while True:
            self._need(2)
            b0, b1 = self.buf[0], self.buf[1]
            n, off = b1 & 0x7f, 2
            if n == 126:
                self._need(4)
                n, off = struct.unpack("!H", self.buf[2:4])[0], 4
            elif n == 127:
                self._need(10)
                n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
            self._need(off + n)
            data, self.buf = self.buf[off:off + n], self.buf[off + n:]
            op = b0 & 0x0f
            if op == 8:
                raise AssertionError("server closed the connection")
            if op in (1, 0):
                return data.decode()

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def call_id(text):
    return json.loads(text)[1]


c = Checks()
d = Csmsd(unknown_chargers="accept", max_frame=1024)
crashed = False
try:
    ws = Ws(d.ws_port, "/ocpp/CP-FRAG")
    hb = '[2,"%s","Heartbeat",{}]'
    boot = json.dumps([2, "b1", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}])
    ws.frame(boot)
    c.eq(call_id(ws.recv()), "b1", "boot answered")

    # 1. A fragmented frame under max_frame: the reassembly buffer grows to 4096.
    ws.fragmented(['[2,"f1","Heartbeat",', '{}]' + " " * 600])
    c.eq(call_id(ws.recv()), "f1", "fragmented heartbeat answered")

    # 2. A first fragment alone over max_frame (1024): rx shrinks to 256 bytes.
    ws.fragmented(['[2,"big","DataTransfer",{"vendorId":"x","data":"' + "A" * 2000, '"}]'])
    a = json.loads(ws.recv())
    c(a[0] == 4 and a[1] == "big" and a[2] == "FormationViolation", "oversized first fragment: %s" % a[:3])

    # 3. Another fragmented frame under max_frame: 1000 bytes into the 256-byte buffer.
    ws.fragmented(['[2,"f2","Heartbeat",{}' + " " * 980, ']'])
    try:
        c.eq(call_id(ws.recv()), "f2", "fragmented heartbeat after an oversized one")
    except (AssertionError, OSError) as e:
        c(False, "no answer after the oversized fragment: %s" % e)
    ws.close()
    st, _ = (0, None)
    try:
        st, _ = d.get("/api/v1/health")
    except OSError:
        pass
    c.eq(st, 200, "csmsd still up")
    if st != 200:
        try:
            d.proc.wait(timeout=10)
        except Exception:
            pass
    alive = d.proc.poll() is None
    c(alive, "csmsd alive")
    if not alive:
        crashed = True
        log = d.logtext()
        i = log.find("ERROR: AddressSanitizer")
        c(False, "csmsd died: " + (log[i:i + 1500] if i >= 0 else log[-1500:]))
finally:
    if crashed:
        d.log.close()
    else:
        c.eq(d.stop(), 0, "clean exit")
    d.cleanup()
c.done()
