"""test_slow_reader over wss:// (issue 14's direct writes under TLS, where
OpenSSL may take a record only in part): a charger sends 100,000 CALLs
without reading for 4 s, then reads: the answers it got are whole and in
order, then csmsd closes it; csmsd is idle after it (lws 4.1 spun for ever
here when csmsd stopped reading such a connection instead), serves a new
TLS charger and stops on SIGTERM. One thread, a non-blocking socket (an
SSL object must not be read and written from two threads)."""
import base64
import json
import os
import select
import shutil
import socket
import ssl
import struct
import subprocess
import tempfile
import time
from harness import Csmsd, Checks, boot_frame, cpu_s, free_port, ws_frame as frame

N = 100000
c = Checks()
if not shutil.which("openssl"):
    print("SKIP: openssl not installed")
    raise SystemExit(77)
tmp = tempfile.mkdtemp(prefix="csms-slowtls-")
subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", "k.pem", "-out", "c.pem", "-days", "2", "-subj", "/CN=localhost"],
               check=True, capture_output=True, cwd=tmp)


def frames(buf):
    """(complete text payloads, rest) of what the server sent."""
    out, pos = [], 0
    while len(buf) - pos >= 2:
        n, at = buf[pos + 1] & 0x7f, pos + 2
        if n == 126:
            if len(buf) - pos < 4:
                break
            n, at = struct.unpack(">H", buf[pos + 2:pos + 4])[0], pos + 4
        elif n == 127:
            if len(buf) - pos < 10:
                break
            n, at = struct.unpack(">Q", buf[pos + 2:pos + 10])[0], pos + 10
        if len(buf) - at < n:
            break
        if buf[pos] & 0x0f == 1:
            out.append(buf[at:at + n])
        pos = at + n
    return out, buf[pos:]


def wss_boot(ctx, cid):
    """A wss:// charger booted: (socket, what came after the boot's answer,
    the upgrade's head); socket None when the boot was not accepted."""
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname="localhost")
    s.sendall(("GET /ocpp/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp1.6\r\n\r\n"
               % (cid, base64.b64encode(os.urandom(16)).decode())).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += s.recv(4096)
    head, buf = buf.split(b"\r\n\r\n", 1)
    s.sendall(frame(boot_frame()))
    got = []
    while not got:
        buf += s.recv(65536)
        got, buf = frames(buf)
    if "Accepted" not in got[0].decode():
        s.close()
        return None, None, head
    return s, buf, head


port = free_port()
d = Csmsd(unknown_chargers="accept", ws_port=0, tls_port=port, tls_cert=os.path.join(tmp, "c.pem"),
          tls_key=os.path.join(tmp, "k.pem"))
try:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s, buf, head = wss_boot(ctx, "SLOWTLS")
    c(b" 101 " in head.split(b"\r\n")[0], "wss:// upgrade")
    c(s is not None, "booted over TLS")

    out = b"".join(frame('[2,"h%d","Heartbeat",{}]' % i) for i in range(N))
    s.setblocking(False)

    def pump(read, until):
        """Sends what it can (and reads when told) until until() or 60 s."""
        global out, buf
        answers = []
        t_end = time.time() + 60
        while not until(answers) and time.time() < t_end:
            want_w = [s] if out else []
            r, w, _ = select.select([s] if read else [], want_w, [], 0.2)
            if w and out:
                try:
                    n = s.send(out[:65536])
                    out = out[n:]
                except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
                    pass
                except (ssl.SSLError, OSError):
                    out = b""               # closed by csmsd
            if r or (read and s.pending()):
                try:
                    chunk = s.recv(262144)
                    if not chunk:
                        break
                    buf += chunk
                    more, buf = frames(buf)
                    answers += more
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                    pass
                except (ssl.SSLError, OSError):
                    break                   # closed by csmsd
        return answers

    t0 = time.time()
    pump(False, lambda a: time.time() - t0 > 4)      # not reading
    answers = pump(True, lambda a: False)            # reads until csmsd closes it (or 60 s)
    ok = 0 < len(answers) < N and all(json.loads(a)[1] == "h%d" % i for i, a in enumerate(answers))
    c(ok, "the answers before the close came over TLS, whole and in order (%d)" % len(answers))
    c("does not read them: closed" in d.logtext(), "the close is logged")
    s.close()
    cpu0 = cpu_s(d.proc.pid)
    time.sleep(1)
    c(cpu_s(d.proc.pid) - cpu0 < 0.3, "csmsd is idle after it")
    s2, _, head = wss_boot(ctx, "TLS2")
    c(s2 is not None, "a new TLS charger is served")
    s2.close()
finally:
    if c.failed:
        print(d.logtext()[-2000:])
    d.stop()
    d.cleanup()
    shutil.rmtree(tmp, ignore_errors=True)
c.done()
