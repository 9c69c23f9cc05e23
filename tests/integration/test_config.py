"""The daemon's outside contract: --help from the table, precedence
command line > environment > file > default, one clear line and exit 2 for
a bad setting / port in use / unwritable database, exit 0 on SIGTERM."""
import os
import signal
import socket
import subprocess
import tempfile
from harness import BUILD, Csmsd, Checks, free_port

c = Checks()
csmsd = os.path.join(BUILD, "csmsd")


def run(*args, env=None):
    p = subprocess.run([csmsd] + list(args), capture_output=True, text=True, timeout=20,
                       env=env)
    return p.returncode, p.stdout, p.stderr


rc, out, err = run("--help")
c.eq(rc, 0, "--help exits 0")
for key in ("ws_bind", "ws_port", "tls_port", "tls_cert", "tls_key", "tls_ca", "security_profile",
            "admin_bind", "admin_port", "admin_token", "db", "unknown_chargers",
            "heartbeat_interval", "call_timeout", "dlm_breaker_a", "dlm_sensor"):
    c("--" + key in out, "--help lists " + key)
c("(default: 8180)" in out, "--help shows defaults")

tmp = tempfile.mkdtemp(prefix="csms-cfg-")
db = os.path.join(tmp, "x.db")
for args, needle in [
    (["--no_such_key", "1"], "no_such_key"),
    (["--ws_port", "70000"], "ws_port"),
    (["--unknown_chargers", "maybe"], "unknown_chargers"),
    (["--dlm_enabled", "yes"], "dlm_enabled"),
    (["--admin_bind", "0.0.0.0"], "admin_token"),
    (["--db", "/nonexistent/dir/x.db"], "db"),
    (["-c", "/nonexistent.conf"], "nonexistent.conf"),
]:
    rc, out, err = run("--db", db, "--ws_port", "0", "--admin_port", str(free_port()), *args)
    c.eq(rc, 2, "exit 2 for %s" % args)
    c(err.count("\n") == 1 and needle in err, "one line naming %s: %r" % (needle, err))
c(not os.path.exists(os.path.join(tmp, "nonexistent")), "nothing written")

# a port in use
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
busy = s.getsockname()[1]
rc, out, err = run("--db", db, "--ws_port", "0", "--admin_port", str(busy))
c.eq(rc, 2, "admin port in use: exit 2")
c("admin_port" in err and err.count("\n") == 1, "names admin_port: %r" % err)
rc, out, err = run("--db", db, "--ws_port", str(busy), "--ws_bind", "127.0.0.1", "--admin_port", str(free_port()))
c.eq(rc, 2, "ws port in use: exit 2")
c("ws_port" in err, "names ws_port: %r" % err)
s.close()

# precedence: command line > environment > file > default
conf = os.path.join(tmp, "csms.conf")
with open(conf, "w") as f:
    f.write("# a comment\nheartbeat_interval = 111\ncall_timeout = 7  # trailing comment\nunknown_chargers = reject\n")
env = dict(os.environ, CSMS_HEARTBEAT_INTERVAL="222", CSMS_UNKNOWN_CHARGERS="accept")
d = Csmsd("-c", conf, "--heartbeat_interval", "333", env=env)
try:
    from harness import Raw, boot_frame
    import json
    r = Raw(d.url + "/CP-P")
    boot = json.loads(r.call(boot_frame()))
    c.eq(boot[2]["interval"], 333, "command line beats environment and file")
    c.eq(boot[2]["status"], "Accepted", "environment beats file")
    r.close()
    c.eq(d.stop(signal.SIGINT), 0, "SIGINT exits 0")
finally:
    d.cleanup()
d = Csmsd("-c", conf, env=dict(os.environ, CSMS_HEARTBEAT_INTERVAL="222"))
try:
    r = Raw(d.url + "/CP-Q")
    boot = json.loads(r.call(boot_frame()))
    c.eq(boot[2]["status"], "Rejected", "file value used (unknown_chargers = reject)")
    c.eq(boot[2]["interval"], 60, "rejected boot retries within 60 s")
    r.close()
    d.stop()
finally:
    d.cleanup()
with open(conf, "w") as f:
    f.write("call_timeout = soon\n")
rc, out, err = run("-c", conf, "--db", db)
c.eq(rc, 2, "bad value in file: exit 2")
c("csms.conf:1" in err and "call_timeout" in err, "names file, line and key: %r" % err)
c.done()
