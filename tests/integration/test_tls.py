"""wss:// listener and security profiles 2 (TLS + Basic auth) and 3 (TLS +
client certificate), with certificates made by openssl for the test."""
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
from harness import Csmsd, Checks, handshake, free_port

if not shutil.which("openssl"):
    print("SKIP: openssl not installed")
    sys.exit(77)
c = Checks()
tmp = tempfile.mkdtemp(prefix="csms-tls-")


def sh(*args):
    subprocess.run(args, check=True, capture_output=True, cwd=tmp)


sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca",
   "-keyout", "ca.key", "-out", "ca.pem")
sh("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key",
   "-out", "server.csr")
sh("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
   "-days", "2", "-out", "server.pem")
sh("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=CP-T3", "-keyout", "client.key",
   "-out", "client.csr")
sh("openssl", "x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
   "-days", "2", "-out", "client.pem")
p = lambda f: os.path.join(tmp, f)


def ctx(client_cert=False):
    x = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    x.load_verify_locations(p("ca.pem"))
    if client_cert:
        x.load_cert_chain(p("client.pem"), p("client.key"))
    return x


# Profile 2: TLS + Basic auth.
tls_port = free_port()
d = Csmsd(security_profile=2, tls_port=tls_port, tls_cert=p("server.pem"), tls_key=p("server.key"),
          unknown_chargers="accept")
try:
    c.eq(d.put("/api/v1/chargers/CP-T2", {"authorizationKey": "secret-key-0001"})[0], 200, "key set")
    c.eq(handshake(tls_port, "/ocpp/CP-T2", auth="CP-T2:secret-key-0001", tls=ctx()), 101, "wss with the key")
    c.eq(handshake(tls_port, "/ocpp/CP-T2", auth="CP-T2:wrong-key-00000", tls=ctx()), 0, "wss with a wrong key")
    c.eq(handshake(tls_port, "/ocpp/CP-T2", tls=ctx()), 0, "wss without a key")
    c.eq(handshake(tls_port, "/ocpp/CP-T2", auth="CP-T2:secret-key-0001"), 0, "plain ws on the TLS port")
    c.eq(d.stop(), 0, "stop")
finally:
    d.cleanup()

# Profile 3: TLS + client certificate.
tls_port = free_port()
d = Csmsd(security_profile=3, tls_port=tls_port, tls_cert=p("server.pem"), tls_key=p("server.key"),
          tls_ca=p("ca.pem"), unknown_chargers="accept")
try:
    c.eq(handshake(tls_port, "/ocpp/CP-T3", tls=ctx(client_cert=True)), 101, "client certificate accepted")
    c.eq(handshake(tls_port, "/ocpp/CP-T3", tls=ctx()), 0, "no client certificate refused")
    c.eq(handshake(tls_port, "/ocpp/CP-OTHER", tls=ctx(client_cert=True)), 0, "certificate of another charger refused")
    c.eq(d.stop(), 0, "stop")
finally:
    d.cleanup()

# Bad TLS settings: one line, exit 2.
r = subprocess.run([os.path.join(os.environ.get("CSMS_BUILD") or sys.argv[1], "csmsd"), "--tls_port",
                    str(free_port()), "--tls_cert", "/nonexistent.pem", "--tls_key", "/nonexistent.key",
                    "--db", p("x.db"), "--ws_port", "0", "--admin_port", str(free_port())],
                   capture_output=True, text=True, timeout=20)
c.eq(r.returncode, 2, "missing certificate: exit 2")
c("tls" in r.stderr and r.stderr.count("\n") == 1, "one line naming tls: %r" % r.stderr)
shutil.rmtree(tmp, ignore_errors=True)
c.done()
