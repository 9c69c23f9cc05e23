"""Websocket pings find dead peers: a peer that never answers pings is
hung up on; one that answers (cpsim, on lws) stays connected."""
import base64
import os
import socket
import time
from harness import Csmsd, Raw, Checks, boot_frame

c = Checks()
d = Csmsd(unknown_chargers="accept", ping_interval=1)
try:
    good = Raw(d.url + "/CP-ALIVE")
    good.call(boot_frame())
    s = socket.create_connection(("127.0.0.1", d.ws_port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /ocpp/CP-DEAD HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp1.6\r\n\r\n"
               % key).encode())
    c("101" in s.recv(4096).decode(errors="replace").split("\r\n")[0], "dead peer's handshake accepted")
    t0 = time.time()
    st, ch = d.get("/api/v1/chargers")
    closed_after = None
    while time.time() - t0 < 8:
        try:
            data = s.recv(4096)   # pings arrive; we never answer
        except socket.timeout:
            break
        if not data:
            closed_after = time.time() - t0
            break
    c(closed_after is not None and closed_after <= 6, "silent peer hung up on (%s s)" % closed_after)
    hb = good.call('[2,"h","Heartbeat",{}]')
    c(hb.startswith('[3,"h"'), "a peer that answers pings stays connected")
    good.close()
    c.eq(d.stop(), 0, "stop")
except Exception as e:
    c(False, "exception: %r\n%s" % (e, d.logtext()[-2000:]))
    d.kill()
finally:
    d.cleanup()
c.done()
