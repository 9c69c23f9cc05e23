"""csmsd on a host under systemd (issue 13, item 11): the unit file is
valid (systemd-analyze verify, when systemd's tools are here) and has the
hardening the README promises; scripts/install-host.sh installs into a
staging root and never overwrites an edited config; csmsd speaks the
sd_notify protocol: READY=1 only once the API answers, WATCHDOG=1 at half
of WATCHDOG_USEC from the loop, STOPPING=1 on SIGTERM, then exit 0."""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from harness import BUILD, Csmsd, Checks, HERE

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
c = Checks()
tmp = tempfile.mkdtemp(prefix="csms-systemd-")

# ---- install-host.sh into a staging root ----
stage = os.path.join(tmp, "stage")
env = dict(os.environ, DESTDIR=stage, BUILD=os.path.abspath(BUILD), PREFIX="/usr/local")
r = subprocess.run(["sh", os.path.join(ROOT, "scripts", "install-host.sh")], env=env,
                   capture_output=True, text=True, timeout=120)
c.eq(r.returncode, 0, "install-host.sh into a staging root: %s" % r.stderr[-500:])
for f in ("usr/local/bin/csmsd", "usr/local/bin/csmsctl", "usr/local/lib/systemd/system/csmsd.service",
          "etc/csms/csms.conf", "usr/local/share/csms/csms.conf.example", "usr/local/share/doc/csms/README.md"):
    c(os.path.isfile(os.path.join(stage, f)), "installed " + f)
c(os.access(os.path.join(stage, "usr/local/bin/csmsd"), os.X_OK), "csmsd is executable")
conf = os.path.join(stage, "etc/csms/csms.conf")
c.eq(oct(os.stat(conf).st_mode & 0o777), "0o640", "the config is not world-readable")
with open(conf, "a") as f:
    f.write("heartbeat_interval = 77\n")
r = subprocess.run(["sh", os.path.join(ROOT, "scripts", "install-host.sh")], env=env,
                   capture_output=True, text=True, timeout=120)
c(r.returncode == 0 and "kept" in r.stderr, "a second install keeps the config: %r" % r.stderr[-300:])
c("heartbeat_interval = 77" in open(conf).read(), "the edited config is unchanged")
# the installed config is one csmsd accepts (its db path aside)
r = subprocess.run([os.path.join(BUILD, "csmsd"), "-c", conf, "--help"], capture_output=True, text=True)
c.eq(r.returncode, 0, "csmsd reads the installed config")

unit_path = os.path.join(stage, "usr/local/lib/systemd/system/csmsd.service")
unit = open(unit_path).read()
keys = dict(re.findall(r"^(\w+)=(.*)$", unit, re.M))
c.eq(keys.get("Type"), "notify", "Type=notify")
c.eq(keys.get("ExecStart"), "/usr/local/bin/csmsd -c /etc/csms/csms.conf", "ExecStart names the installed csmsd")
c(keys.get("WatchdogSec"), "a watchdog")
for k, v in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("ProtectHome", "yes"),
             ("PrivateTmp", "yes"), ("CapabilityBoundingSet", ""), ("User", "csms"),
             ("StateDirectory", "csms"), ("RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6")):
    c.eq(keys.get(k), v, "hardening: %s=%s" % (k, v))
if shutil.which("systemd-analyze"):
    # verify needs the binary where ExecStart says: point it at the build's
    local = os.path.join(tmp, "csmsd.service")
    with open(local, "w") as f:
        f.write(unit.replace("/usr/local/bin/csmsd", os.path.abspath(os.path.join(BUILD, "csmsd"))))
    r = subprocess.run(["systemd-analyze", "verify", local], capture_output=True, text=True)
    out = (r.stdout + r.stderr).strip()
    c(r.returncode == 0 and out == "", "systemd-analyze verify: no complaint: %r" % out)
    r = subprocess.run(["systemd-analyze", "security", "--offline=true", local], capture_output=True, text=True)
    m = re.search(r"Overall exposure level for csmsd.service: ([\d.]+)", r.stdout + r.stderr)
    c(m and float(m.group(1)) <= 2.0, "systemd-analyze security: exposure <= 2.0: %s" % (m and m.group(1)))
else:
    print("systemd-analyze not installed: unit syntax not verified here")

# ---- sd_notify ----
sock_path = os.path.join(tmp, "notify.sock")
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sock_path)
s.settimeout(10)
got = []


def recv_until(pred, timeout):
    end = time.time() + timeout
    while time.time() < end:
        try:
            s.settimeout(max(0.05, end - time.time()))
            msg = s.recv(4096).decode()
        except socket.timeout:
            break
        got.append((time.time(), msg))
        if pred(msg):
            return msg
    return None


env = dict(os.environ, NOTIFY_SOCKET=sock_path, WATCHDOG_USEC="400000")
d = Csmsd(env=env)   # returns once /api/v1/health answers
try:
    ready = recv_until(lambda m: "READY=1" in m, 5)
    c(ready is not None, "READY=1 arrives: %r" % got)
    c(ready and "STATUS=OCPP ws://" in ready and "admin http://" in ready, "with a status line: %r" % ready)
    t_ready = got[-1][0] if ready else 0
    dogs = []
    end = time.time() + 2.0
    while time.time() < end:
        m = recv_until(lambda m: "WATCHDOG=1" in m, end - time.time())
        if m:
            dogs.append(got[-1][0])
    c(len(dogs) >= 5, "WATCHDOG=1 fed from the loop: %d in 2 s (every 200-250 ms)" % len(dogs))
    gaps = [b - a for a, b in zip(dogs, dogs[1:])]
    c(gaps and max(gaps) < 0.4, "never a gap of a whole WatchdogSec: max %.3f s" % (max(gaps) if gaps else -1))
    # a loop that stops turning stops feeding: SIGSTOP for 0.6 s, nothing comes
    d.proc.send_signal(signal.SIGSTOP)
    n0 = len(got)
    time.sleep(0.6)
    try:
        s.settimeout(0.01)
        while True:
            got.append((time.time(), s.recv(4096).decode()))
    except socket.timeout:
        pass
    c.eq(len(got), n0, "a stopped loop feeds no watchdog")
    d.proc.send_signal(signal.SIGCONT)
    c(recv_until(lambda m: "WATCHDOG=1" in m, 2) is not None, "fed again once it runs")
    d.proc.send_signal(signal.SIGTERM)
    c(recv_until(lambda m: "STOPPING=1" in m, 5) is not None, "STOPPING=1 on SIGTERM")
    c.eq(d.proc.wait(10), 0, "exit 0")
finally:
    if d.proc.poll() is None:
        d.proc.kill()
    d.cleanup()
    s.close()

# READY only once the listeners are up: csmsd refuses to start on a taken
# port, and then says nothing to systemd (which reports the failure).
busy = socket.socket()
busy.bind(("127.0.0.1", 0))
busy.listen(1)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
os.unlink(sock_path)
s.bind(sock_path)
got = []
r = subprocess.run([os.path.join(BUILD, "csmsd"), "--db", os.path.join(tmp, "x.db"), "--ws_port",
                    str(busy.getsockname()[1])], env=env, capture_output=True, text=True, timeout=20)
c.eq(r.returncode, 2, "a port in use: exit 2")
c.eq(recv_until(lambda m: True, 0.3), None, "... and no READY=1")
busy.close()
s.close()
shutil.rmtree(tmp, ignore_errors=True)
c.done()
