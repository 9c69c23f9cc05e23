"""wss:// listener and security profiles 2 (TLS + Basic auth) and 3 (TLS +
client certificate), with certificates made by openssl for the test: a
certificate must chain to tls_ca, be valid now and name the charger, and a
refused one never disturbs the charger already connected. Profiles 2 and 3
refuse to start with a plain ws:// listener. AuthorizationKeys are stored
as PBKDF2, old SHA-256 hashes are upgraded at the next login, and a hex key
verifies as its text and as its bytes."""
import base64
import hashlib
import json
import os
import re
import shutil
import socket
import sqlite3
import ssl
import struct
import subprocess
import sys
import tempfile
import time
from harness import BUILD, Csmsd, Checks, handshake, free_port

if not shutil.which("openssl"):
    print("SKIP: openssl not installed")
    sys.exit(77)
c = Checks()
tmp = tempfile.mkdtemp(prefix="csms-tls-")
csmsd = os.path.join(BUILD, "csmsd")


def sh(*args):
    subprocess.run(args, check=True, capture_output=True, cwd=tmp)


def p(f):
    return os.path.join(tmp, f)


def make_ca(name):
    sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=" + name,
       "-keyout", name + ".key", "-out", name + ".pem")


def csr(name, cn):
    sh("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + cn, "-keyout", name + ".key",
       "-out", name + ".csr")


def sign(name, ca, days=2):
    sh("openssl", "x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
       "-CAcreateserial", "-days", str(days), "-out", name + ".pem")


def sign_dated(name, ca, start, end):
    """openssl ca: the only way in OpenSSL 3.0 to set notBefore/notAfter."""
    with open(p("ca.cnf"), "w") as f:
        f.write("[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\n"
                "default_md = sha256\npolicy = any\nunique_subject = no\n[any]\ncommonName = supplied\n")
    open(p("index.txt"), "a").close()
    if not os.path.exists(p("serial")):
        with open(p("serial"), "w") as f:
            f.write("1000\n")
    sh("openssl", "ca", "-batch", "-config", "ca.cnf", "-cert", ca + ".pem", "-keyfile", ca + ".key",
       "-in", name + ".csr", "-out", name + ".pem", "-startdate", start, "-enddate", end, "-notext")


make_ca("ca")
make_ca("other-ca")
csr("server", "localhost")
sign("server", "ca")
for name, cn in (("client", "CP-T3"), ("wrongcn", "CP-OTHER"), ("otherca", "CP-T3"), ("expired", "CP-T3"),
                 ("future", "CP-T3")):
    csr(name, cn)
sign("client", "ca")
sign("wrongcn", "ca")
sign("otherca", "other-ca")
sign_dated("expired", "ca", "200101000000Z", "200102000000Z")
sign_dated("future", "ca", "350101000000Z", "360101000000Z")
sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=CP-T3",
   "-keyout", "selfsigned.key", "-out", "selfsigned.pem")


def ctx(cert=None):
    x = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    x.load_verify_locations(p("ca.pem"))
    if cert:
        x.load_cert_chain(p(cert + ".pem"), p(cert + ".key"))
    return x


class Ws:
    """A websocket client over TLS that stays open: connect, then text
    frames both ways. status is the HTTP status of the upgrade (0 refused)."""

    def __init__(self, port, path, tls, auth=None):
        self.status = 0
        self.buf = b""
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        try:
            s = tls.wrap_socket(s, server_hostname="localhost")
            req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp1.6\r\n"
                   % (path, base64.b64encode(os.urandom(16)).decode())).encode()
            if auth is not None:
                req += b"Authorization: Basic " + base64.b64encode(auth) + b"\r\n"
            s.sendall(req + b"\r\n")
            while b"\r\n\r\n" not in self.buf:
                chunk = s.recv(4096)
                if not chunk:
                    break
                self.buf += chunk
        except OSError:
            pass
        self.sock = s
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        parts = head.split(b" ", 2)
        if len(parts) > 1 and parts[1].isdigit():
            self.status = int(parts[1])

    def send(self, text):
        data = text.encode()
        mask = os.urandom(4)
        hdr = bytes([0x81]) + (bytes([0x80 | len(data)]) if len(data) < 126
                               else bytes([0x80 | 126]) + struct.pack("!H", len(data)))
        self.sock.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise OSError("connection closed")
            self.buf += chunk

    def recv(self):
        """The next text frame; OSError when the connection ends or closes."""
        while True:
            self._need(2)
            op, ln = self.buf[0] & 0x0F, self.buf[1] & 0x7F
            off = 2
            if ln == 126:
                self._need(4)
                ln, off = struct.unpack("!H", self.buf[2:4])[0], 4
            elif ln == 127:
                self._need(10)
                ln, off = struct.unpack("!Q", self.buf[2:10])[0], 10
            self._need(off + ln)
            payload, self.buf = self.buf[off:off + ln], self.buf[off + ln:]
            if op == 8:
                raise OSError("closed by the server: %r" % payload)
            if op == 1:
                return payload.decode()

    def call(self, frame):
        self.send(frame)
        return json.loads(self.recv())

    def close(self):
        self.sock.close()


def answers(ws, mid):
    try:
        r = ws.call(json.dumps([2, mid, "Heartbeat", {}]))
        return r[0] == 3 and r[1] == mid
    except OSError as e:
        print("  connection:", e)
        return False


def wait_exit(args, timeout=10):
    """Runs csmsd with args; (exit status or None when it kept running, stderr)."""
    pr = subprocess.Popen([csmsd] + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        pr.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pr.kill()
        pr.wait()
        return None, pr.stderr.read()
    return pr.returncode, pr.stderr.read()


server_tls = ["--tls_cert", p("server.pem"), "--tls_key", p("server.key")]

# ---- Profile 3: TLS + client certificate ----
tls_port = free_port()
d = Csmsd(security_profile=3, ws_port=0, tls_port=tls_port, tls_cert=p("server.pem"), tls_key=p("server.key"),
          tls_ca=p("ca.pem"), unknown_chargers="accept")
try:
    legit = Ws(tls_port, "/ocpp/CP-T3", ctx("client"))
    c.eq(legit.status, 101, "certificate from tls_ca with CN = chargePointId accepted")
    boot = legit.call(json.dumps([2, "b1", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]))
    c.eq(boot[2]["status"], "Accepted", "the charger boots")
    for cert, what in (("selfsigned", "self-signed certificate"), ("otherca", "certificate of another CA"),
                       ("expired", "expired certificate"), ("future", "certificate not yet valid"),
                       ("wrongcn", "certificate of another charger"), (None, "no certificate")):
        w = Ws(tls_port, "/ocpp/CP-T3", ctx(cert))
        c.eq(w.status, 0, what + " refused")
        w.close()
        c(answers(legit, "hb-" + (cert or "none")), "after the %s the connected charger still answers" % what)
    c.eq(handshake(tls_port, "/ocpp/CP-OTHER", tls=ctx("client")), 0, "a certificate used for another id refused")
    c(answers(legit, "hb-last"), "the connected charger still answers at the end")
    ch = d.get("/api/v1/chargers/CP-T3")[1]
    c(ch.get("connected", True), "the charger is still connected: %r" % ch.get("connected"))
    legit.close()
    log = d.logtext()
    c("certificate has expired" in log and "not yet valid" in log, "the log says why a certificate was refused")
    c(re.search(r"TLS handshake refused from (::ffff:)?127\.0\.0\.1: client certificate", log),
      "... and from which peer address")
    c.eq(d.stop(), 0, "stop")
finally:
    d.cleanup()

# ---- Profiles 2 and 3 do not start with a plain ws:// listener ----
for prof, extra in ((2, []), (3, ["--tls_ca", p("ca.pem")])):
    db = p("plain%d.db" % prof)
    rc, err = wait_exit(["--security_profile", str(prof), "--tls_port", str(free_port()), "--ws_port",
                         str(free_port()), "--admin_port", str(free_port()), "--db", db] + server_tls + extra)
    c.eq(rc, 2, "profile %d with ws_port: exit 2" % prof)
    c(err.count("\n") == 1 and "ws_port" in err and "security_profile" in err,
      "one line naming ws_port and security_profile: %r" % err)
    c(not os.path.exists(db), "profile %d with ws_port: nothing written" % prof)
rc, err = wait_exit(["--security_profile", "3", "--tls_port", str(free_port()), "--ws_port", "0",
                     "--admin_port", str(free_port()), "--db", p("noca.db")] + server_tls)
c.eq(rc, 2, "profile 3 without tls_ca: exit 2")
c(err.count("\n") == 1 and "tls_ca" in err, "one line naming tls_ca: %r" % err)

# ---- Profile 2: TLS + Basic auth; how keys are stored ----
HEX16 = "3a00ff10c0ffee7f80aa55e1d2c3b4a5"            # ':' and NUL among its bytes
HEX20 = "00112233445566778899AABBCCDDEEFF01234567"


def login(port, cid, pw):
    pw = pw.encode() if isinstance(pw, str) else pw
    w = Ws(port, "/ocpp/" + cid, ctx(), auth=cid.encode() + b":" + pw)
    w.close()
    return w.status


def stored(db, cid, want=None):
    """The stored hash; with want, waits up to 5 s for one starting so
    (csmsd commits at the end of the loop turn, after the 101 went out)."""
    deadline = time.time() + 5
    while True:
        con = sqlite3.connect(db)
        try:
            h = con.execute("SELECT auth_key_hash FROM chargers WHERE id=?", (cid,)).fetchone()[0]
        finally:
            con.close()
        if want is None or h.startswith(want) or time.time() > deadline:
            return h
        time.sleep(0.05)


tls_port = free_port()
work = tempfile.mkdtemp(prefix="csms-tls-db-")
db = os.path.join(work, "csms.db")
opts = dict(security_profile=2, ws_port=0, tls_port=tls_port, tls_cert=p("server.pem"), tls_key=p("server.key"),
            unknown_chargers="accept", auth_key_iterations=2000)
d = Csmsd(db=db, tmp=work, **opts)
try:
    c.eq(d.put("/api/v1/chargers/CP-T2", {"authorizationKey": "secret-key-0015"})[0], 400, "15-character key refused")
    c.eq(d.put("/api/v1/chargers/CP-T2", {"authorizationKey": "secret-key-000016"})[0], 201, "key set (provisioned: 201)")
    c.eq(handshake(tls_port, "/ocpp/CP-T2", auth="CP-T2:secret-key-000016", tls=ctx()), 101, "wss with the key")
    c.eq(login(tls_port, "CP-T2", "secret-key-000016"), 101, "again (the cached password)")
    c.eq(handshake(tls_port, "/ocpp/CP-T2", auth="CP-T2:wrong-key-0000000", tls=ctx()), 0, "wss with a wrong key")
    c.eq(login(tls_port, "CP-T2", "secret-key-00001"), 0, "a prefix of the key")
    c.eq(handshake(tls_port, "/ocpp/CP-T2", tls=ctx()), 0, "wss without a key")
    # The path as sent is checked over TLS too (issue 9 item 5).
    c.eq(handshake(tls_port, "/ocpp/X%2FCP-T2", auth="CP-T2:secret-key-000016", tls=ctx()), 400,
         "wss: an encoded '/' in the path is a 400")
    c.eq(login(tls_port, "CP-T3", "secret-key-000016"), 0, "the key of another charger")
    c.eq(handshake(tls_port, "/ocpp/CP-T2", auth="CP-T2:secret-key-000016"), 0, "plain ws on the TLS port")
    c(stored(db, "CP-T2").startswith("pbkdf2-sha256$2000$"), "stored as PBKDF2: %r" % stored(db, "CP-T2"))
    # A new key invalidates the cached password.
    c.eq(d.put("/api/v1/chargers/CP-T2", {"authorizationKey": "secret-key-000017"})[0], 200, "key changed")
    c.eq(login(tls_port, "CP-T2", "secret-key-000016"), 0, "the old key after the change")
    c.eq(login(tls_port, "CP-T2", "secret-key-000017"), 101, "the new key")
    # Hex keys: the charger sends the hex text or the bytes it encodes.
    for cid, key in (("CP-H16", HEX16), ("CP-H20", HEX20)):
        c.eq(d.put("/api/v1/chargers/" + cid, {"authorizationKey": key})[0], 201, cid + " hex key set")
        c.eq(login(tls_port, cid, bytes.fromhex(key)), 101, cid + ": the decoded bytes")
        c.eq(login(tls_port, cid, key), 101, cid + ": the hex text")
        c.eq(login(tls_port, cid, key.swapcase()), 101, cid + ": the hex text in the other case")
        c.eq(login(tls_port, cid, bytes.fromhex(key)[:-1] + b"\x00"), 0, cid + ": other bytes")
    c.eq(d.stop(), 0, "stop")

    # Hashes of the old form (one salted SHA-256 of the key's text) still
    # verify, and the next login replaces them.
    def old_form(key):
        salt = os.urandom(16).hex()
        return "sha256$%s$%s" % (salt, hashlib.sha256((salt + key).encode()).hexdigest())
    con = sqlite3.connect(db)
    con.execute("UPDATE chargers SET auth_key_hash=? WHERE id='CP-T2'", (old_form("secret-key-000017"),))
    con.execute("UPDATE chargers SET auth_key_hash=? WHERE id='CP-H16'", (old_form(HEX16),))
    con.execute("UPDATE chargers SET auth_key_hash=? WHERE id='CP-H20'", (old_form(HEX20),))
    con.commit()
    con.close()
    d = Csmsd(db=db, tmp=work, **opts)
    c.eq(login(tls_port, "CP-T2", "secret-key-000018"), 0, "old form: wrong key refused")
    c(stored(db, "CP-T2").startswith("sha256$"), "old form kept after a wrong key")
    c.eq(login(tls_port, "CP-T2", "secret-key-000017"), 101, "old form: the key")
    c(stored(db, "CP-T2", "pbkdf2").startswith("pbkdf2-sha256$2000$"), "old form upgraded: %r" % stored(db, "CP-T2"))
    c.eq(login(tls_port, "CP-T2", "secret-key-000017"), 101, "upgraded: the key")
    c.eq(login(tls_port, "CP-T2", "secret-key-000018"), 0, "upgraded: a wrong key")
    c.eq(login(tls_port, "CP-H16", bytes.fromhex(HEX16)), 101, "old form of a hex key: the bytes")
    c(stored(db, "CP-H16", "pbkdf2").startswith("pbkdf2-sha256$"), "old form of a hex key upgraded")
    c.eq(login(tls_port, "CP-H16", HEX16), 101, "upgraded hex key: the text")
    c.eq(login(tls_port, "CP-H20", HEX20), 101, "old form of a hex key: the text")
    c.eq(login(tls_port, "CP-H20", bytes.fromhex(HEX20)), 101, "upgraded hex key: the bytes")
    c.eq(d.stop(), 0, "stop")

    # A higher iteration count: hashes are raised at the next login.
    d = Csmsd(db=db, tmp=work, **dict(opts, auth_key_iterations=3000))
    c.eq(login(tls_port, "CP-T2", "secret-key-000017"), 101, "login with more iterations configured")
    c(stored(db, "CP-T2", "pbkdf2-sha256$3000$").startswith("pbkdf2-sha256$3000$"), "re-hashed with 3000: %r" % stored(db, "CP-T2"))
    c("secret-key" not in d.logtext(), "the key is never logged")
    c.eq(d.stop(), 0, "stop")
finally:
    d.cleanup()

# Bad TLS settings: one line, exit 2.
r = subprocess.run([csmsd, "--tls_port", str(free_port()), "--tls_cert", "/nonexistent.pem", "--tls_key",
                    "/nonexistent.key", "--db", p("x.db"), "--ws_port", "0", "--admin_port", str(free_port())],
                   capture_output=True, text=True, timeout=20)
c.eq(r.returncode, 2, "missing certificate: exit 2")
c("tls" in r.stderr and r.stderr.count("\n") == 1, "one line naming tls: %r" % r.stderr)
shutil.rmtree(tmp, ignore_errors=True)
c.done()
