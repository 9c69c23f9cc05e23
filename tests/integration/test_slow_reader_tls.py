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
from harness import Csmsd, Checks, boot_frame, free_port

N = 100000
c = Checks()
if not shutil.which("openssl"):
    print("SKIP: openssl not installed")
    raise SystemExit(77)
tmp = tempfile.mkdtemp(prefix="csms-slowtls-")
subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", "k.pem", "-out", "c.pem", "-days", "2", "-subj", "/CN=localhost"],
               check=True, capture_output=True, cwd=tmp)


def frame(text):
    """A masked text frame with a zero mask (the payload as it is)."""
    b = text.encode()
    n = len(b)
    hdr = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n))
    return hdr + b"\0\0\0\0" + b


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


port = free_port()
d = Csmsd(unknown_chargers="accept", ws_port=0, tls_port=port, tls_cert=os.path.join(tmp, "c.pem"),
          tls_key=os.path.join(tmp, "k.pem"))
try:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname="localhost")
    s.sendall(("GET /ocpp/SLOWTLS HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp1.6\r\n\r\n"
               % base64.b64encode(os.urandom(16)).decode()).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += s.recv(4096)
    head, buf = buf.split(b"\r\n\r\n", 1)
    c(b" 101 " in head.split(b"\r\n")[0], "wss:// upgrade")
    s.sendall(frame(boot_frame()))
    got = []
    while not got:
        buf += s.recv(65536)
        got, buf = frames(buf)
    c("Accepted" in got[0].decode(), "booted over TLS")

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
    pid = d.proc.pid
    with open("/proc/%d/stat" % pid) as f:
        cpu0 = sum(int(x) for x in f.read().rsplit(")", 1)[1].split()[11:13])
    time.sleep(1)
    with open("/proc/%d/stat" % pid) as f:
        cpu1 = sum(int(x) for x in f.read().rsplit(")", 1)[1].split()[11:13])
    c((cpu1 - cpu0) / os.sysconf("SC_CLK_TCK") < 0.3, "csmsd is idle after it")
    s2 = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname="localhost")
    s2.sendall(("GET /ocpp/TLS2 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp1.6\r\n\r\n"
                % base64.b64encode(os.urandom(16)).decode()).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += s2.recv(4096)
    buf = buf.split(b"\r\n\r\n", 1)[1]
    s2.sendall(frame(boot_frame()))
    got = []
    while not got:
        buf += s2.recv(65536)
        got, buf = frames(buf)
    c("Accepted" in got[0].decode(), "a new TLS charger is served")
    s2.close()
finally:
    if c.failed:
        print(d.logtext()[-2000:])
    d.stop()
    d.cleanup()
    shutil.rmtree(tmp, ignore_errors=True)
c.done()
