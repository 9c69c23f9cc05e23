"""test_version.py: one version string from the build (issue 13, item 8):
`csmsd --version` and `csmsctl --version` print it and exit 0, it is the
project version of CMakeLists.txt (plus "+" and git describe in a git
checkout), csmsd's start-up line names it, and /metrics carries
csms_build_info{version="..."} 1."""
import os
import re
import shutil
import subprocess
from harness import BUILD, HERE, Csmsd, Checks

SRC = os.path.join(HERE, "..", "..")
c = Checks()
with open(os.path.join(SRC, "CMakeLists.txt")) as f:
    base = re.search(r"project\(csms VERSION ([0-9.]+)", f.read()).group(1)

versions = {}
for prog in ("csmsd", "csmsctl"):
    r = subprocess.run([os.path.join(BUILD, prog), "--version"], capture_output=True, text=True, timeout=10)
    m = re.fullmatch(r"%s (\S+)\n" % prog, r.stdout)
    c(r.returncode == 0 and m, "%s --version: %r (exit %d)" % (prog, r.stdout, r.returncode))
    versions[prog] = m.group(1) if m else None
v = versions["csmsd"]
c.eq(versions["csmsctl"], v, "csmsctl and csmsd have one version")
c(v is not None and re.fullmatch(re.escape(base) + r"(\+[0-9A-Za-z.-]+)?", v), "%r is %s[+describe]" % (v, base))
git = shutil.which("git")
if git and os.path.exists(os.path.join(SRC, ".git")) and \
        subprocess.run([git, "-C", SRC, "rev-parse"], capture_output=True).returncode == 0:
    c(v is not None and v.startswith(base + "+"), "in a git checkout the version has git describe: %r" % v)
r = subprocess.run([os.path.join(BUILD, "csmsd"), "--help"], capture_output=True, text=True, timeout=10)
c("--version" in r.stdout, "--help mentions --version")
r = subprocess.run([os.path.join(BUILD, "csmsctl"), "--help"], capture_output=True, text=True, timeout=10)
c("--version" in r.stdout, "csmsctl --help mentions --version")

d = Csmsd()
try:
    c(re.search(r"csmsd %s listening" % re.escape(v or "?"), d.logtext()), "start-up line names the version: "
      + d.logtext()[-300:])
    st, text = d.get("/metrics", raw=True)
    c.eq(st, 200, "/metrics")
    c('csms_build_info{version="%s"} 1\n' % v in text, "csms_build_info with the version")
    c("# TYPE csms_build_info gauge\n" in text, "csms_build_info is a gauge")
finally:
    c.eq(d.stop(), 0, "csmsd exits 0")
    d.cleanup()
c.done()
