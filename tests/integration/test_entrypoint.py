"""test_entrypoint.py: docker/entrypoint.sh run outside Docker, in a
temporary root with a fake data directory and a fake csmsd on PATH that
prints its uid, arguments and CSMS_* environment (issue 13, items 1, 2, 4):
the token is generated only when none is configured, a data directory the
service uid cannot write is refused with a message naming the uid (as
non-root) or handed to that uid (as root), and '-' arguments go to csmsd.
Non-root runs use setpriv when the test itself runs as root."""
import os
import shutil
import stat
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ENTRY = os.path.join(HERE, "..", "..", "docker", "entrypoint.sh")
# The image's uid, also the uid of the non-root runs here; without root
# (no setpriv) the non-root runs are our own uid.
SVC = 10001 if os.getuid() == 0 else os.getuid()

FAKE_CSMSD = """#!/bin/sh
echo "uid=$(id -u)"
for a; do echo "arg=$a"; done
env | grep '^CSMS_' | sed 's/^/env:/' | sort
"""

failures = []


def check(cond, what, out=""):
    if not cond:
        failures.append(what)
        print("FAIL:", what, "\n" + out)


class Root:
    """A temporary root: bin/ (fake csmsd), etc/csms.conf, data/."""

    def __init__(self, data_owner=None):
        self.dir = tempfile.mkdtemp(prefix="csms-entry-")
        os.chmod(self.dir, 0o755)
        self.bin = os.path.join(self.dir, "bin")
        self.data = os.path.join(self.dir, "data")
        self.conf = os.path.join(self.dir, "csms.conf")
        os.makedirs(self.bin)
        os.makedirs(self.data)
        shutil.copy(ENTRY, os.path.join(self.bin, "entrypoint.sh"))
        with open(os.path.join(self.bin, "csmsd"), "w") as f:
            f.write(FAKE_CSMSD)
        for p in ("entrypoint.sh", "csmsd"):
            os.chmod(os.path.join(self.bin, p), 0o755)
        self.write_conf("ws_port = 8180\n")
        owner = SVC if data_owner is None else data_owner
        if os.getuid() == 0:
            os.chown(self.data, owner, owner)

    def write_conf(self, text, path=None):
        with open(path or self.conf, "w") as f:
            f.write(text)
        os.chmod(path or self.conf, 0o644)

    def run(self, *args, env=None, as_root=False):
        e = {"PATH": self.bin + ":/usr/bin:/bin", "CSMS_DATA_DIR": self.data,
             "CSMS_CONF_DEFAULT": self.conf, "CSMS_UID": str(SVC), "CSMS_GID": str(SVC)}
        e.update(env or {})
        cmd = ["/bin/sh", os.path.join(self.bin, "entrypoint.sh")] + list(args)
        if os.getuid() == 0 and not as_root:
            cmd = ["setpriv", "--reuid=%d" % SVC, "--regid=%d" % SVC, "--clear-groups", "--"] + cmd
        p = subprocess.run(cmd, env=e, capture_output=True, text=True, timeout=30)
        lines = p.stdout.splitlines()
        return p.returncode, lines, p.stderr, p.stdout + p.stderr

    def token_file(self):
        try:
            with open(os.path.join(self.data, "admin_token")) as f:
                return f.read()
        except FileNotFoundError:
            return None

    def url_file(self):
        with open(os.path.join(self.data, "admin_url")) as f:
            return f.read().strip()

    def done(self):
        shutil.rmtree(self.dir)


def env_of(lines, name):
    for ln in lines:
        if ln.startswith("env:%s=" % name):
            return ln.split("=", 1)[1]
    return None


def args_of(lines):
    return [ln[4:] for ln in lines if ln.startswith("arg=")]


def main():
    # 1. Nothing configured: one token generated, kept, exported, printed once.
    r = Root()
    rc, lines, err, out = r.run()
    tok = r.token_file()
    check(rc == 0 and tok and len(tok) == 48, "no token anywhere: a 48-hex token is generated", out)
    check(env_of(lines, "CSMS_ADMIN_TOKEN") == tok, "the generated token is exported to csmsd", out)
    check("generated admin token" in err, "the generated token is printed", out)
    check(oct(os.stat(os.path.join(r.data, "admin_token")).st_mode & 0o777) == "0o600",
          "the token file is private", out)
    rc, lines, err, out = r.run()
    check(env_of(lines, "CSMS_ADMIN_TOKEN") == tok and "generated" not in err,
          "a token file already there is used, not replaced", out)
    check(args_of(lines) == ["-c", r.conf], "no arguments: csmsd -c the default config", out)
    r.done()

    # 1. The image's own config file configures no token (its admin_token line is a comment).
    r = Root()
    with open(os.path.join(HERE, "..", "..", "docker", "csms.conf")) as f:
        r.write_conf(f.read())
    rc, lines, err, out = r.run()
    check(rc == 0 and "generated admin token" in err and env_of(lines, "CSMS_ADMIN_TOKEN") == r.token_file(),
          "docker/csms.conf: a token is generated", out)
    r.done()

    # 1. A token in the config file wins: nothing generated, nothing exported.
    for conf_line in ("admin_token = fromconf\n", 'admin_token="fromconf"  # the admin\n'):
        r = Root()
        r.write_conf("ws_port = 8180\n" + conf_line)
        for env in ({}, {"CSMS_ADMIN_TOKEN": ""}):   # compose's ${CSMS_ADMIN_TOKEN:-}
            rc, lines, err, out = r.run(env=env)
            check(rc == 0 and env_of(lines, "CSMS_ADMIN_TOKEN") is None,
                  "config-file token (%r, env %r): no token exported" % (conf_line, env), out)
            check("generated" not in err, "config-file token: none generated", out)
            check(r.token_file() == "fromconf", "config-file token: token file holds it for csmsctl", out)
        r.done()

    # 1. A token file from an earlier start does not override the config file.
    r = Root()
    r.run()
    r.write_conf("admin_token = newer\n")
    rc, lines, err, out = r.run()
    check(env_of(lines, "CSMS_ADMIN_TOKEN") is None and r.token_file() == "newer",
          "config token wins over an older token file", out)
    r.done()

    # 1. Environment and command line.
    r = Root()
    rc, lines, err, out = r.run(env={"CSMS_ADMIN_TOKEN": "fromenv"})
    check(env_of(lines, "CSMS_ADMIN_TOKEN") == "fromenv" and r.token_file() == "fromenv"
          and "generated" not in err, "environment token passed through", out)
    r.done()
    r = Root()
    rc, lines, err, out = r.run("--admin_token", "fromarg")
    check(env_of(lines, "CSMS_ADMIN_TOKEN") is None and r.token_file() == "fromarg"
          and "generated" not in err, "command-line token: none generated", out)
    r.done()

    # 4. '-' arguments go to csmsd after the default config; other commands run as given.
    r = Root()
    rc, lines, err, out = r.run("--log_level", "debug")
    check(rc == 0 and args_of(lines) == ["-c", r.conf, "--log_level", "debug"],
          "--log_level debug goes to csmsd", out)
    other = os.path.join(r.dir, "other.conf")
    r.write_conf("admin_token = other\nadmin_port = 9000\n", other)
    rc, lines, err, out = r.run("csmsd", "-c", other)
    check(args_of(lines) == ["-c", other] and r.token_file() == "other"
          and env_of(lines, "CSMS_ADMIN_TOKEN") is None, "csmsd -c FILE: that file's token", out)
    check(r.url_file() == "http://127.0.0.1:9000", "admin_url from the config file's port", out)
    rc, lines, err, out = r.run("csmsd", "-c", other, "--admin_port=9100")
    check(r.url_file() == "http://127.0.0.1:9100", "admin_url: the command line wins", out)
    rc, lines, err, out = r.run(env={"CSMS_ADMIN_PORT": "9200", "CSMS_ADMIN_BIND": "0.0.0.0"})
    check(r.url_file() == "http://127.0.0.1:9200", "admin_url: the environment's port", out)
    for q in ("--version", "--help"):
        os.remove(os.path.join(r.data, "admin_url"))
        rc, lines, err, out = r.run(q)
        check(rc == 0 and args_of(lines) == ["-c", r.conf, q]
              and not os.path.exists(os.path.join(r.data, "admin_url")),
              "%s goes straight to csmsd (no setup)" % q, out)
        r.run()
    rc, lines, err, out = r.run("echo", "hello")
    check(rc == 0 and lines == ["hello"], "a command other than csmsd runs as given", out)
    r.done()

    # 2. A data directory the uid cannot write: a clear message, non-zero exit.
    if os.getuid() == 0:
        r = Root(data_owner=0)
        os.chmod(r.data, 0o755)
        rc, lines, err, out = r.run()
        check(rc != 0 and not lines, "unwritable data dir: csmsd is not started", out)
        check(("not writable by uid %d" % SVC) in err and "chown" in err and "--user 0" in err,
              "unwritable data dir: the message names the uid and the fixes", out)
        check("Permission denied" not in err, "unwritable data dir: no shell error", out)

        # 2. As root: the directory (and what is in it) goes to the service uid, csmsd runs as it.
        with open(os.path.join(r.data, "csms.db"), "w") as f:
            f.write("x")
        rc, lines, err, out = r.run("--log_level", "debug", as_root=True)
        check(rc == 0 and "uid=%d" % SVC in lines, "as root: csmsd runs as the service uid", out)
        check(args_of(lines) == ["-c", r.conf, "--log_level", "debug"], "as root: arguments kept", out)
        for p in ("", "csms.db", "admin_token"):
            st = os.stat(os.path.join(r.data, p))
            check(st.st_uid == SVC and st.st_gid == SVC, "as root: %s owned by the service uid" % (p or "data dir"), out)
        r.done()
    else:
        print("skipped the root cases: not running as root")
        r = Root()
        os.chmod(r.data, 0o555)
        rc, lines, err, out = r.run()
        check(rc != 0 and ("not writable by uid %d" % SVC) in err, "unwritable data dir: message", out)
        os.chmod(r.data, 0o755)
        r.done()

    if failures:
        print("%d failure(s)" % len(failures))
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
