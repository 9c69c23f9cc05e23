"""harness.py: what every integration test needs: a real csmsd on free
ports with a temporary database, the admin API, and our tools (cpsim raw
as a line-based websocket peer). Stdlib only; run with /usr/bin/python3."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

BUILD = os.environ.get("CSMS_BUILD") or (sys.argv[1] if len(sys.argv) > 1 else "build")
HERE = os.path.dirname(os.path.abspath(__file__))


def rss_kib(pid):
    """The resident memory of process pid, KiB (0 when it cannot be read)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def ws_frame(text):
    """A client's masked text frame with a zero mask (the payload as it is):
    cheap to build by the hundred thousand."""
    import struct
    b = text.encode()
    n = len(b)
    hdr = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n))
    return hdr + b"\0\0\0\0" + b


def cpu_s(pid):
    """A process's user + system CPU time so far, s."""
    with open("/proc/%d/stat" % pid) as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


_held = []  # the lock files of the ports this process reserved (see free_port)


def _port_range():
    """Ports below the kernel's ephemeral range: bind(0) and outgoing
    connections never get one of these, so only free_port hands them out."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    return max(1024, low - 12000), low


def free_port():
    """A port free on every address (csmsd listens on 0.0.0.0, which a port
    in use on 127.0.0.2, a load generator's source address, blocks) and
    reserved for this test process: a lock file under the temporary
    directory, held until the process ends, keeps the tests ctest runs side
    by side from picking the same port between its pick and csmsd's bind.
    A port from bind(0) could not be kept so: the kernel hands the same
    range to every other process (CI once saw another test's server answer
    csmsd's health check)."""
    import fcntl
    import random
    d = os.path.join(tempfile.gettempdir(), "csms-it-ports")
    os.makedirs(d, exist_ok=True)
    lo, hi = _port_range()
    start = random.randrange(lo, hi)
    for i in range(hi - lo):
        port = lo + (start - lo + i) % (hi - lo)
        fd = os.open(os.path.join(d, str(port)), os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        s = socket.socket()
        try:
            s.bind(("0.0.0.0", port))
        except OSError:
            os.close(fd)  # in use by something outside the tests
            continue
        finally:
            s.close()
        _held.append(fd)
        return port
    raise RuntimeError("no free port in %d-%d" % (lo, hi))


_running = []


def _kill_leftovers():
    """A test that failed half-way must not leave a csmsd behind."""
    for d in _running:
        if d.proc.poll() is None:
            d.proc.kill()


import atexit  # noqa: E402
atexit.register(_kill_leftovers)


class Csmsd:
    """A csmsd process; stop() checks it exits 0 on SIGTERM. Any still
    running when the test ends is killed."""

    def __init__(self, *args, db=None, tmp=None, env=None, pass_fds=(), **settings):
        self.tmp = tmp or tempfile.mkdtemp(prefix="csms-it-")
        self.db = db or os.path.join(self.tmp, "csms.db")
        self.ws_port = settings.pop("ws_port", None)
        if self.ws_port is None:      # 0 turns the plain listener off
            self.ws_port = free_port()
        self.admin_port = settings.pop("admin_port", None) or free_port()
        self.token = settings.get("admin_token")
        # DLM sends charging profiles to every charger; tests of other things turn it off.
        settings.setdefault("dlm_enabled", "false")
        cmd = [os.path.join(BUILD, "csmsd"), "--db", self.db, "--ws_port", str(self.ws_port),
               "--admin_port", str(self.admin_port), "--validate_outgoing", "true"]
        for k, v in settings.items():
            cmd += ["--" + k, str(v)]
        cmd += list(args)
        self.log = open(os.path.join(self.tmp, "csmsd.log"), "ab")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log, env=env, pass_fds=pass_fds)
        _running.append(self)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("csmsd exited %d: %s" % (self.proc.returncode, self.logtext()))
            try:
                if self.get("/api/v1/health")[0] == 200:
                    return
            except (OSError, ValueError):  # not listening yet
                pass
            time.sleep(0.05)
        raise RuntimeError("csmsd did not come up: " + self.logtext())

    def logtext(self):
        self.log.flush()
        with open(os.path.join(self.tmp, "csmsd.log"), "rb") as f:
            return f.read().decode(errors="replace")

    @property
    def url(self):
        return "ws://127.0.0.1:%d/ocpp" % self.ws_port

    def request(self, method, path, body=None, token=None, raw=False, headers=False):
        """(status, JSON body or None); raw: the body's text; headers:
        (status, {lower-case name: value}, body)."""
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            data = data.encode() if isinstance(data, str) else data
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.admin_port, path), data=data,
                                     method=method)
        tok = token if token is not None else self.token
        if tok:
            req.add_header("Authorization", "Bearer " + tok)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                text = r.read().decode()
                status, hdr = r.status, r.getheaders()
        except urllib.error.HTTPError as e:
            text = e.read().decode()
            status, hdr = e.code, e.headers.items()
        out = text if raw else (json.loads(text) if text else None)
        if headers:
            return status, {k.lower(): v for k, v in hdr}, out
        return status, out

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def put(self, path, body, **kw):
        return self.request("PUT", path, body, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body if body is not None else {}, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("csmsd did not stop on %s" % sig)
        self.log.close()
        return self.proc.returncode

    def kill(self):
        self.proc.kill()
        self.proc.wait()
        self.log.close()

    def cleanup(self):
        if not os.environ.get("CSMS_KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)


class Raw:
    """A websocket peer through `cpsim raw`: send() one frame, line() or
    poll() what arrived. A reader thread queues every line, so nothing
    waits in a pipe buffer that select() cannot see."""

    def __init__(self, url, *extra):
        import queue
        import threading
        self.proc = subprocess.Popen([os.path.join(BUILD, "tests", "cpsim"), "raw", "--url", url] + list(extra),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, bufsize=1)
        self.q = queue.Queue()

        def pump():
            for l in self.proc.stdout:
                self.q.put(l.rstrip("\n"))
            self.q.put(None)
        threading.Thread(target=pump, daemon=True).start()
        try:
            self.first = self.line(10)
        except AssertionError:   # no handshake result: do not leave the peer running
            self.proc.kill()
            self.proc.wait()
            raise

    # DLM's own calls: its language query and a limit, answered as a charger would
    DLM_ANSWERS = {"GetConfiguration": {}, "SetChargingProfile": {"status": "Accepted"}}

    def past_dlm(self, f, timeout=10):
        """f, or when it is one of DLM's calls (which may get in first on a
        slow machine), the first frame after them, each answered."""
        while f[0] == 2 and f[2] in self.DLM_ANSWERS:
            self.send(json.dumps([3, f[1], self.DLM_ANSWERS[f[2]]]))
            f = json.loads(self.line(timeout))
        return f

    def line(self, timeout=10):
        import queue
        try:
            l = self.q.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no frame within %ss" % timeout)
        if l is None:
            self.q.put(None)
            raise AssertionError("connection ended")
        return l

    def poll(self):
        """Every line that has arrived, without waiting."""
        import queue
        out = []
        while True:
            try:
                l = self.q.get_nowait()
            except queue.Empty:
                return out
            if l is None:
                self.q.put(None)
                return out
            out.append(l)

    def send(self, frame):
        self.proc.stdin.write(frame + "\n")
        self.proc.stdin.flush()

    def call(self, frame, timeout=10):
        self.send(frame)
        while True:
            l = self.line(timeout)
            if not l.startswith("#"):
                return l

    def ask(self, frame, timeout=10):
        """Send a CALL and return its answer as a list, answering DLM's own
        calls (which may get in first on a slow machine) on the way."""
        self.send(frame)
        mid = json.loads(frame)[1]
        while True:
            l = self.line(timeout)
            if l.startswith("#"):
                continue
            f = self.past_dlm(json.loads(l), timeout)
            if f[0] in (3, 4) and f[1] == mid:
                return f
            raise AssertionError("expected the answer to %s, got %r" % (mid, f))

    def close(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Ws:
    """A bare websocket client (stdlib only) that shows every frame the
    server sends, close frames included, and answers a close only when told."""

    def __init__(self, port, path, protocol="ocpp1.6", timeout=5):
        import base64
        import struct
        self._struct = struct
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                        "Sec-WebSocket-Protocol: %s\r\n\r\n" % (path, key, protocol)).encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.s.recv(4096)
            if not chunk:
                raise AssertionError("handshake refused")
            data += chunk
        head, self.buf = data.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise AssertionError("handshake: %r" % head)

    def send(self, payload, opcode=1):
        if isinstance(payload, str):
            payload = payload.encode()
        mask = os.urandom(4)
        n = len(payload)
        hdr = bytes([0x80 | opcode])
        if n < 126:
            hdr += bytes([0x80 | n])
        else:
            hdr += bytes([0x80 | 126]) + self._struct.pack(">H", n)
        self.s.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk

    def recv(self):
        """(opcode, payload) of the next frame; (None, b"") when the
        connection ended without one."""
        try:
            self._need(2)
            op, n = self.buf[0] & 0x0f, self.buf[1] & 0x7f
            pos = 2
            if n == 126:
                self._need(4)
                n, pos = self._struct.unpack(">H", self.buf[2:4])[0], 4
            elif n == 127:
                self._need(10)
                n, pos = self._struct.unpack(">Q", self.buf[2:10])[0], 10
            self._need(pos + n)
            payload, self.buf = self.buf[pos:pos + n], self.buf[pos + n:]
            return op, payload
        except (EOFError, OSError):
            return None, b""

    def call(self, payload):
        """Sends a frame; the next text frame (pings skipped)."""
        self.send(payload)
        while True:
            op, p = self.recv()
            if op != 9:
                return p.decode() if op == 1 else None

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass



class LimitCharger:
    """A booted charger on a Raw connection that answers every CALL from a
    thread: by reply(action, payload) (a frame without the id, or None for
    no answer) when given, else SetChargingProfile Accepted and {} to the
    rest. With status, a StatusNotification of its connector 1 first (a car
    charging). Keeps the CALLs (calls), the limits it was sent (limits
    [(time, A)]; limit / at: the last one and when; history) and the last
    profile's numberPhases (phases)."""

    def __init__(self, node, cid, status="Charging", reply=None):
        import threading
        self.cid, self.node, self.alive, self.reply = cid, node, True, reply
        self.limits, self.calls, self.phases = [], [], None
        self.r = Raw(node.url + "/" + cid)
        f = json.loads(self.r.call(boot_frame()))
        assert f[0] == 3 and f[2].get("status") == "Accepted", "%s's boot: %r" % (cid, f)
        if status:
            self.r.send(json.dumps([2, "s", "StatusNotification",
                                    {"connectorId": 1, "errorCode": "NoError", "status": status}]))
        self.t = threading.Thread(target=self.pump, daemon=True)
        self.t.start()

    def pump(self):
        while self.alive:
            try:
                line = self.r.line(0.5)
            except AssertionError as e:
                if "ended" in str(e):
                    self.alive = False
                continue
            if not line.startswith("[2"):
                continue
            f = json.loads(line)
            self.calls.append(f[2])
            if f[2] == "SetChargingProfile":
                per = f[3]["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]
                self.limits.append((time.time(), per["limit"]))
                self.phases = per.get("numberPhases")
            if self.reply:
                ans = self.reply(f[2], f[3])
            else:
                ans = [3, {"status": "Accepted"} if f[2] == "SetChargingProfile" else {}]
            if ans:
                self.r.send(json.dumps([ans[0], f[1]] + ans[1:]))

    def last(self):
        return self.limits[-1][1] if self.limits else None

    @property
    def limit(self):
        return self.last()

    @property
    def at(self):
        return self.limits[-1][0] if self.limits else 0.0

    def drawn(self, lag=0.5):
        """What its car draws, for a meter fed by a test: the limit it was
        sent at least lag s ago (0 before any). A car follows a new limit
        some time after its charger accepted it (IEC 61851-1 gives it up to
        5 s); a meter that shows it before the charger even answered is one
        no DLM can follow."""
        now = time.time()
        return next((v for t, v in reversed(self.limits) if t <= now - lag), 0)

    @property
    def history(self):
        return [(round(t % 100, 2), v) for t, v in self.limits]

    def ended(self):
        return not self.alive

    def within(self, lo, hi, secs):
        """Every limit it stood at over the last secs (the one in force
        secs ago and any sent since) is between lo and hi A."""
        now, lims = time.time(), list(self.limits)
        before = [v for t, v in lims if t <= now - secs]
        return bool(before) and all(lo <= v <= hi for v in before[-1:] + [v for t, v in lims if t > now - secs])

    def held(self, secs=1.5):
        """Held at 0 A for secs."""
        return self.within(0, 0, secs)

    def charging(self, hi, secs=1.5):
        """Charging, between 6 A and hi, for secs."""
        return self.within(6, hi, secs)

    def close(self):
        self.alive = False
        self.r.close()


def boot_frame(mid="b1", vendor="V", model="M"):
    return json.dumps([2, mid, "BootNotification", {"chargePointVendor": vendor, "chargePointModel": model}])


class Checks:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def __call__(self, cond, what):
        self.n += 1
        if not cond:
            self.failed += 1
            print("FAIL:", what, flush=True)

    def eq(self, a, b, what):
        self(a == b, "%s: expected %r, got %r" % (what, b, a))

    def done(self):
        print("%d passed, %d failed" % (self.n - self.failed, self.failed))
        sys.exit(1 if self.failed else 0)


def handshake(port, path, protocol="ocpp1.6", auth=None, tls=None, timeout=5):
    """Sends a websocket upgrade request by hand; returns the HTTP status
    (0 when refused, or no answer within timeout s). tls: an
    ssl.SSLContext for wss://."""
    import base64
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    if tls is not None:
        try:
            s = tls.wrap_socket(s, server_hostname="localhost")
        except OSError:
            s.close()
            return 0
    key = base64.b64encode(os.urandom(16)).decode()
    req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n" % (path, key))
    if protocol:
        req += "Sec-WebSocket-Protocol: %s\r\n" % protocol
    if auth:
        req += "Authorization: Basic %s\r\n" % base64.b64encode(auth.encode()).decode()
    try:
        s.sendall((req + "\r\n").encode())
    except OSError:   # TLS 1.3: a refused client certificate shows up here
        s.close()
        return 0
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    s.close()
    parts = data.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
