"""test_shutdown_close.py: SIGTERM closes each charger's websocket cleanly
(issue 13, item 10b): a booted charger receives a close frame with code
1001 (going away) instead of a dropped connection (1006). One that answers
the close is counted as done; one that never answers delays the exit by
at most about a second, and csmsd still exits 0."""
import json
import struct
import threading
import time
from harness import Csmsd, Ws, Checks, boot_frame

c = Checks()
d = Csmsd(unknown_chargers="accept")
polite, silent = Ws(d.ws_port, "/ocpp/CP-POLITE"), Ws(d.ws_port, "/ocpp/CP-SILENT")
seen = {}


def watch(name, ws, answer):
    """Records the first non-ping frame after SIGTERM; answers a close if told."""
    while True:
        op, p = ws.recv()
        if op == 9:
            continue
        seen[name] = (op, p)
        if op == 8 and answer:
            ws.send(p[:2], opcode=8)
        return


try:
    for ws in (polite, silent):
        c.eq(json.loads(ws.call(boot_frame()))[2]["status"], "Accepted", "charger booted")
    threads = [threading.Thread(target=watch, args=("polite", polite, True)),
               threading.Thread(target=watch, args=("silent", silent, False))]
    for t in threads:
        t.start()
    t0 = time.time()
    rc = d.stop()
    took = time.time() - t0
    for t in threads:
        t.join(5)
    c.eq(rc, 0, "exit status after SIGTERM")
    c(took < 4, "csmsd exited promptly (%.2f s) although one charger never answered the close" % took)
    for name in ("polite", "silent"):
        op, p = seen.get(name, (None, b""))
        c.eq(op, 8, name + ": a close frame, not a dropped connection")
        code = struct.unpack(">H", p[:2])[0] if len(p) >= 2 else None
        c.eq(code, 1001, name + ": close code")
        c.eq(p[2:], b"going away", name + ": close reason")
    with open(d.log.name, "rb") as f:
        log = f.read().decode(errors="replace")
    c("1 charger(s) did not answer the close" in log,
      "the charger that answered is done, the silent one is named by count: " + log[-600:])
finally:
    polite.close()
    silent.close()
    d.cleanup()
c.done()
