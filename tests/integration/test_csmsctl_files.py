"""test_csmsctl_files.py: csmsctl finds the admin API and the token the
way the Docker image sets them up (issue 13, items 3 and 5): CSMS_URL_FILE
names a file holding the URL (the entrypoint writes it with the configured
admin port), CSMS_ADMIN_TOKEN_FILE one holding the token; --url/CSMS_URL
and --token/CSMS_TOKEN win over them."""
import os
import subprocess
import tempfile
from harness import BUILD, Csmsd, Checks, free_port

c = Checks()
tmp = tempfile.mkdtemp(prefix="csms-ctlfiles-")
d = Csmsd(admin_token="s3cret")


def write(name, text):
    p = os.path.join(tmp, name)
    with open(p, "w") as f:
        f.write(text)
    return p


def ctl(*args, as_nobody=False, **env):
    e = {k: v for k, v in os.environ.items() if not k.startswith("CSMS_")}
    e.update(env)
    pre = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"] if as_nobody else []
    r = subprocess.run(pre + [os.path.abspath(os.path.join(BUILD, "csmsctl"))] + list(args), env=e,
                       capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout + r.stderr


try:
    url = "http://127.0.0.1:%d" % d.admin_port
    urlfile = write("admin_url", url + "\n")
    dead = "http://127.0.0.1:%d" % free_port()
    rc, out = ctl("health", CSMS_URL_FILE=urlfile)
    c.eq(rc, 0, "health at the URL of CSMS_URL_FILE (no token needed): " + out)
    rc, out = ctl("health", CSMS_URL_FILE=write("dead_url", dead))
    c(rc != 0, "the URL really comes from the file: " + out)
    rc, out = ctl("health", CSMS_URL_FILE=write("dead_url", dead), CSMS_URL=url)
    c.eq(rc, 0, "CSMS_URL wins over CSMS_URL_FILE: " + out)
    rc, out = ctl("--url", url, "health", CSMS_URL_FILE=os.path.join(tmp, "missing"))
    c.eq(rc, 0, "a missing CSMS_URL_FILE is no error: " + out)

    # The token: the file named by CSMS_ADMIN_TOKEN_FILE, unless given.
    good, bad = write("token", "s3cret\n"), write("bad_token", "wrong")
    rc, out = ctl("--url", url, "chargers")
    c(rc != 0, "no token: refused: " + out)
    rc, out = ctl("--url", url, "--json", "chargers", CSMS_ADMIN_TOKEN_FILE=good)
    c.eq((rc, out.strip()), (0, "[]"), "the token from CSMS_ADMIN_TOKEN_FILE")
    rc, out = ctl("--url", url, "chargers", CSMS_ADMIN_TOKEN_FILE=bad)
    c(rc != 0, "the token really comes from the file: " + out)
    rc, out = ctl("--url", url, "--token", "s3cret", "chargers", CSMS_ADMIN_TOKEN_FILE=bad)
    c.eq(rc, 0, "--token wins over the file: " + out)
    rc, out = ctl("--url", url, "chargers", CSMS_ADMIN_TOKEN_FILE=bad, CSMS_TOKEN="s3cret")
    c.eq(rc, 0, "CSMS_TOKEN wins over the file: " + out)
    rc, out = ctl("chargers", CSMS_ADMIN_TOKEN_FILE=good, CSMS_URL_FILE=urlfile)
    c.eq(rc, 0, "both files, as in the image (docker exec C csmsctl chargers): " + out)
    # An unreadable file is named (as another uid: root reads anything).
    os.chmod(tmp, 0o755)
    os.chmod(bad, 0)
    rc, out = ctl("--url", url, "chargers", CSMS_ADMIN_TOKEN_FILE=bad, as_nobody=os.getuid() == 0)
    c(rc != 0 and "CSMS_ADMIN_TOKEN_FILE" in out, "an unreadable token file is named: " + out)
finally:
    c.eq(d.stop(), 0, "csmsd exits 0")
    d.cleanup()
c.done()
