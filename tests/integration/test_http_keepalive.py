"""Review regression: a second HTTP request on a keep-alive admin connection
while the first waits for a charger's answer (a deferred OCPP call). The
POST is dispatched again (a second CALL with the same http_txn) and
LWS_CALLBACK_HTTP frees the deferred txn (server.c txn_free(p->txn)); the
pending call's callback then writes into freed memory (ASan:
heap-use-after-free in http_respond)."""
import json
import socket
import time
from harness import Csmsd, Raw, Checks, boot_frame

c = Checks()
d = Csmsd(unknown_chargers="accept", call_timeout=3)
crashed = False
try:
    r = Raw(d.url + "/CP-PIPE")
    c.eq(r.first, "#connected", "handshake")
    c(json.loads(r.call(boot_frame()))[2]["status"] == "Accepted", "boot accepted")

    s = socket.create_connection(("127.0.0.1", d.admin_port), timeout=10)
    path = "/api/v1/chargers/CP-PIPE/ocpp/GetConfiguration"
    s.sendall(("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               "Content-Length: 2\r\n\r\n{}" % path).encode())
    first = json.loads(r.line(10))
    c(first[0] == 2 and first[2] == "GetConfiguration", "the CALL went out: %s" % first)
    # The same connection asks something else while the CALL is pending.
    s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.5)
    r.send(json.dumps([3, first[1], {"configurationKey": []}]))
    # Answer whatever else comes (a duplicate CALL is itself a defect).
    extra = []
    deadline = time.time() + 5
    while time.time() < deadline:
        for l in r.poll():
            if l.startswith("["):
                f = json.loads(l)
                if f[0] == 2:
                    extra.append(f[2])
                    r.send(json.dumps([3, f[1], {"configurationKey": []}]))
        time.sleep(0.1)
    c.eq(extra, [], "one POST sends one CALL")
    s.settimeout(2)
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
    c(got.startswith(b"HTTP/1.1 200"), "the POST was answered: %r" % got[:80])
    r.close()
    alive = d.proc.poll() is None
    if alive:
        try:
            c.eq(d.get("/api/v1/health")[0], 200, "csmsd still answers")
        except OSError as e:
            c(False, "csmsd unreachable: %s" % e)
    else:
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
