"""wss:// with an ECDSA (P-256) certificate and session resumption (issue
14): tls_cert/tls_key take an EC key as they take an RSA one; a charger
that comes back with the session ticket of its last connection resumes
(no full handshake), under profile 0 and under profile 3, where the
client certificate's common name is still checked on the resumed
connection; 200 idle TLS connections stay under 40 KiB each (a loose
bound: this client's handshakes are not concurrent enough to show the
~60 KiB of before; test_server_tls checks SSL_MODE_RELEASE_BUFFERS and
scripts/bench.sh measures). Resumption already worked with OpenSSL's
defaults; this pins it down."""
import base64
import concurrent.futures
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from harness import Csmsd, Checks, free_port, rss_kib

if not shutil.which("openssl"):
    print("SKIP: openssl not installed")
    sys.exit(77)
c = Checks()
tmp = tempfile.mkdtemp(prefix="csms-tlsres-")


def sh(*args):
    subprocess.run(args, check=True, capture_output=True, cwd=tmp)


def p(f):
    return os.path.join(tmp, f)


def ec_cert(name, cn, ca=None):
    """A P-256 key and its certificate: self-signed (a CA) or signed by ca."""
    sh("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", name + ".key")
    if ca is None:
        sh("openssl", "req", "-x509", "-key", name + ".key", "-days", "2", "-subj", "/CN=" + cn, "-out",
           name + ".pem")
    else:
        sh("openssl", "req", "-new", "-key", name + ".key", "-subj", "/CN=" + cn, "-out", name + ".csr")
        sh("openssl", "x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
           "-CAcreateserial", "-days", "2", "-out", name + ".pem")


ec_cert("ca", "test-ec-ca")
ec_cert("server", "localhost", "ca")
ec_cert("cp1", "CP-EC1", "ca")


def client_ctx(cert=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(p("ca.pem"))
    if cert:
        ctx.load_cert_chain(p(cert + ".pem"), p(cert + ".key"))
    return ctx


def connect(ctx, port, cid, session=None):
    """A wss:// upgrade; (status, session, reused, peer cert DER, socket)."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    s = ctx.wrap_socket(raw, server_hostname="localhost", session=session)
    s.sendall(("GET /ocpp/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp1.6\r\n\r\n"
               % (cid, base64.b64encode(os.urandom(16)).decode())).encode())
    head = b""
    try:
        while b"\r\n\r\n" not in head:
            chunk = s.recv(4096)
            if not chunk:
                break
            head += chunk
    except (OSError, ssl.SSLError):
        pass
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
    return status, s.session, s.session_reused, s.getpeercert(binary_form=True), s


def der(pem):
    return ssl.PEM_cert_to_DER_cert(open(p(pem)).read())


# ---- Profile 0 on wss:// with the EC certificate ----
port = free_port()
d = Csmsd(unknown_chargers="accept", ws_port=0, tls_port=port, tls_cert=p("server.pem"),
          tls_key=p("server.key"), ping_interval=0)
try:
    ctx = client_ctx()
    st, sess, reused, cert, s = connect(ctx, port, "CP-R1")
    c.eq(st, 101, "the EC certificate's listener upgrades")
    c(cert == der("server.pem"), "the server presents the P-256 certificate")
    c(not reused, "the first connection is a full handshake")
    c(sess is not None and sess.has_ticket, "the server gave a session ticket")
    s.close()
    st, sess2, reused, _, s = connect(ctx, port, "CP-R1", session=sess)
    c.eq(st, 101, "the resumed connection upgrades")
    c(reused, "the second connection resumes the first one's session")
    s.close()
    # a session ticket of another server's key is not resumed, still served
    other = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    other.load_verify_locations(p("ca.pem"))
    st, _, reused, _, s = connect(other, port, "CP-R2")
    c.eq(st, 101, "a client without a session is served")
    s.close()

    # idle TLS connections after a storm of handshakes (all at once):
    # buffers released when idle and the storm's freed memory given back
    # (before: ~60 KiB each)
    n = 200
    r0 = rss_kib(d.proc.pid)
    with concurrent.futures.ThreadPoolExecutor(max_workers=n) as pool:
        res = list(pool.map(lambda i: connect(ctx, port, "CP-IDLE%d" % i), range(n)))
    held = [r[4] for r in res if r[0] == 101]
    c.eq(len(held), n, "idle TLS connections held")
    time.sleep(2)
    kib = (rss_kib(d.proc.pid) - r0) / max(len(held), 1)
    if os.environ.get("CSMS_SANITIZED"):  # ASan keeps freed memory in quarantine: no bound to check
        print("KiB per idle TLS connection under the sanitizers: %.1f (not checked)" % kib)
    else:
        c(kib < 40, "KiB per idle TLS connection: %.1f (buffers released, the storm's memory given back)" % kib)
    for s in held:
        s.close()
    c.eq(d.stop(), 0, "stops cleanly")
except Exception as e:
    c(False, "exception: %r\n%s" % (e, d.logtext()[-2000:]))
    d.kill()
finally:
    d.cleanup()

# ---- Profile 3: client certificates (EC), resumed, the name still checked ----
port = free_port()
d = Csmsd(unknown_chargers="accept", security_profile=3, ws_port=0, tls_port=port, tls_cert=p("server.pem"),
          tls_key=p("server.key"), tls_ca=p("ca.pem"), ping_interval=0)
try:
    ctx = client_ctx("cp1")
    st, sess, reused, _, s = connect(ctx, port, "CP-EC1")
    c.eq(st, 101, "profile 3: the EC client certificate is accepted")
    s.close()
    st, _, reused, _, s = connect(ctx, port, "CP-EC1", session=sess)
    c.eq(st, 101, "profile 3: the resumed connection upgrades")
    c(reused, "profile 3: the session is resumed")
    s.close()
    st, _, reused, _, s = connect(ctx, port, "CP-OTHER", session=sess)
    c(st != 101, "profile 3: a resumed session does not open another charger's id: %d" % st)
    s.close()
    c.eq(d.stop(), 0, "stops cleanly")
except Exception as e:
    c(False, "exception: %r\n%s" % (e, d.logtext()[-2000:]))
    d.kill()
finally:
    d.cleanup()
shutil.rmtree(tmp, ignore_errors=True)
c.done()
