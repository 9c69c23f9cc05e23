"""A charger that sends without reading our answers (issue 14's direct
writes, a charger with a bad day): once 256 frames wait for it csmsd
closes its connection (1008, "not reading", when the socket has room for
the close frame), so csmsd's memory does not
grow with what the charger sends; the answers it got before are whole and
in order; another charger is served meanwhile, and csmsd is idle after.
A burst of 100 CALLs read afterwards (under the bound) is answered whole."""
import json
import os
import struct
import threading
import time
from harness import BUILD, Csmsd, Ws, Checks, boot_frame, cpu_s, rss_kib, ws_frame as frame

N = 200000
c = Checks()
with open(os.path.join(BUILD, "csmsd"), "rb") as f:
    ASAN = b"__asan_init" in f.read()   # its quarantine keeps freed memory: RSS says nothing
d = Csmsd(unknown_chargers="accept")


try:
    # a burst under the bound, read afterwards: every answer, the connection stays
    burst = Ws(d.ws_port, "/ocpp/BURST")
    c("Accepted" in burst.call(boot_frame()), "the bursting charger is accepted")
    burst.s.sendall(b"".join(frame('[2,"b%d","Heartbeat",{}]' % i) for i in range(100)))
    time.sleep(1)
    ids = []
    while len(ids) < 100:
        op, p = burst.recv()
        if op is None:
            break
        if op == 1:
            ids.append(json.loads(p)[1])
    c(ids == ["b%d" % i for i in range(100)], "a burst of 100 is answered in order (%d)" % len(ids))
    c('"b100"' in (burst.call('[2,"b100","Heartbeat",{}]') or ""), "and the connection stays")
    burst.close()

    slow = Ws(d.ws_port, "/ocpp/SLOW")
    c("Accepted" in slow.call(boot_frame()), "the slow charger is accepted")
    other = Ws(d.ws_port, "/ocpp/OTHER")
    c("Accepted" in other.call(boot_frame()), "another charger is accepted")

    blob = b"".join(frame('[2,"h%d","Heartbeat",{}]' % i) for i in range(N))

    def send_all():
        try:
            slow.s.settimeout(30)
            slow.s.sendall(blob)
        except OSError:
            pass

    rss0 = rss_kib(d.proc.pid)
    t = threading.Thread(target=send_all, daemon=True)
    t.start()
    time.sleep(4)                 # the charger reads nothing meanwhile
    grown = rss_kib(d.proc.pid) - rss0
    c(ASAN or grown < 3 * 1024, "csmsd grew %d KiB while the charger read nothing (< 3 MiB)" % grown)

    t0 = time.time()
    ans = other.call('[2,"o1","Heartbeat",{}]')
    c(ans is not None and '"o1"' in ans and time.time() - t0 < 2, "the other charger is answered meanwhile")

    # now it reads: the answers it was sent, in order, then the close
    slow.s.settimeout(10)
    i, ok, close = 0, True, None
    while True:
        op, p = slow.recv()
        if op is None:
            break
        if op == 8:
            close = struct.unpack(">H", p[:2])[0] if len(p) >= 2 else 0
            break
        if op != 1:
            continue
        m = json.loads(p)
        if m[1] != "h%d" % i or "currentTime" not in m[2]:
            ok = False
            break
        i += 1
    c(ok and 0 < i < N, "the answers before the close came whole and in order (%d)" % i)
    # the close frame (1008) only when the socket has room for it; here it is full
    c(close in (1008, None), "the connection is closed (%s)" % close)
    c("does not read them: closed" in d.logtext(), "the close is logged")
    cpu0 = cpu_s(d.proc.pid)
    time.sleep(1)
    c(cpu_s(d.proc.pid) - cpu0 < 0.3, "csmsd is idle after it")
    c('"o2"' in (other.call('[2,"o2","Heartbeat",{}]') or ""), "the other charger works on")
    slow.close()
    other.close()
finally:
    if c.failed:
        print(d.logtext()[-3000:])
    d.stop()
    d.cleanup()
c.done()
