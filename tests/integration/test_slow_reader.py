"""A charger that sends without reading our answers (issue 14's direct
writes, a charger with a bad day): csmsd stops reading from it once 64
frames wait for it, so its memory does not grow with what the charger
sends; every answer still arrives, whole and in order, once the charger
reads; another charger is served meanwhile."""
import json
import os
import struct
import threading
import time
from harness import BUILD, Csmsd, Ws, Checks, boot_frame, rss_kib

N = 200000
c = Checks()
with open(os.path.join(BUILD, "csmsd"), "rb") as f:
    ASAN = b"__asan_init" in f.read()   # its quarantine keeps freed memory: RSS says nothing
d = Csmsd(unknown_chargers="accept")


def frame(text):
    """A masked text frame with a zero mask (the payload as it is)."""
    b = text.encode()
    n = len(b)
    hdr = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n))
    return hdr + b"\0\0\0\0" + b


def server_rx_queue(port, peer_port):
    """Bytes received on csmsd's side of the connection and not yet read
    by it (/proc/net/tcp: local port, remote port, rx_queue)."""
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(name) as f:
            for line in f.readlines()[1:]:
                col = line.split()
                if int(col[1].split(":")[-1], 16) == port and int(col[2].split(":")[-1], 16) == peer_port:
                    return int(col[4].split(":")[1], 16)
    return -1


try:
    slow = Ws(d.ws_port, "/ocpp/SLOW")
    c("Accepted" in slow.call(boot_frame()), "the slow charger is accepted")
    other = Ws(d.ws_port, "/ocpp/OTHER")
    c("Accepted" in other.call(boot_frame()), "another charger is accepted")

    blob = b"".join(frame('[2,"h%d","Heartbeat",{}]' % i) for i in range(N))
    sent = threading.Event()

    def send_all():
        try:
            slow.s.settimeout(60)
            slow.s.sendall(blob)
        except OSError:
            pass
        sent.set()

    rss0 = rss_kib(d.proc.pid)
    t = threading.Thread(target=send_all, daemon=True)
    t.start()
    time.sleep(4)                 # the charger reads nothing meanwhile
    grown = rss_kib(d.proc.pid) - rss0
    c(ASAN or grown < 3 * 1024, "csmsd grew %d KiB while the charger read nothing (< 3 MiB)" % grown)
    waiting = server_rx_queue(d.ws_port, slow.s.getsockname()[1])
    c(waiting > 0 and not sent.is_set(),
      "csmsd stopped reading the charger: %d bytes wait in its socket, the rest in the charger's" % waiting)

    t0 = time.time()
    ans = other.call('[2,"o1","Heartbeat",{}]')
    c(ans is not None and '"o1"' in ans and time.time() - t0 < 2, "the other charger is answered meanwhile")

    # now it reads: every answer, whole and in order
    slow.s.settimeout(30)
    ok, i = True, 0
    while i < N:
        op, p = slow.recv()
        if op is None:
            break
        if op != 1:
            continue
        m = json.loads(p)
        if m[0] != 3 or m[1] != "h%d" % i or "currentTime" not in m[2]:
            ok = False
            print("answer %d: %r" % (i, p[:200]))
            break
        i += 1
    c(ok and i == N, "all %d answers arrived in order (%d)" % (N, i))
    t.join(30)
    c(sent.is_set(), "the charger's frames were all taken once it read")
    x1 = slow.call('[2,"x1","Heartbeat",{}]')
    c('"x1"' in (x1 or ""), "the connection works on: %r" % x1)
    slow.close()
    other.close()
    c(d.proc.poll() is None, "csmsd is running")
finally:
    print(d.logtext()[-3000:]) if c.failed else None
    d.stop()
    d.cleanup()
c.done()
