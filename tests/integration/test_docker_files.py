"""test_docker_files.py: what can be checked of the image without a Docker
engine (issue 13, items 3 and 6): compose and the README's `docker run` use
one volume name; the Dockerfile's CSMS_VERSION is the project version and
labels the image; the HEALTHCHECK runs csmsctl, not curl; the runtime
packages are those of the libraries `ldd csmsd csmsctl` lists (no GLPK).
scripts/docker-check.sh builds and runs the image where an engine is."""
import os
import re
import shutil
import subprocess
from harness import BUILD, HERE, Checks

SRC = os.path.join(HERE, "..", "..")
c = Checks()


def read(*p):
    with open(os.path.join(SRC, *p)) as f:
        return f.read()


readme, compose, dockerfile = read("README.md"), read("docker", "compose.yml"), read("docker", "Dockerfile")
run_vols = re.findall(r"docker run [^\n]*-v ([\w.-]+):/var/lib/csms", readme)
c(run_vols, "the README has a docker run with a named volume")
m = re.search(r"^volumes:\n(?:  #[^\n]*\n)*  ([\w.-]+):\n    name: ([\w.-]+)\n", compose, re.M)
c(m, "compose names its volume explicitly (else the project name prefixes it)")
if m:
    c(("- %s:/var/lib/csms" % m.group(1)) in compose, "the service mounts the named volume")
    for v in run_vols:
        c.eq(v, m.group(2), "docker run and compose use one volume")

base = re.search(r"project\(csms VERSION ([0-9.]+)", read("CMakeLists.txt")).group(1)
c.eq(re.search(r"^ARG CSMS_VERSION=(\S+)", dockerfile, re.M).group(1), base,
     "the Dockerfile's CSMS_VERSION is the project version")
c('org.opencontainers.image.version="$CSMS_VERSION"' in dockerfile, "the image has the version label")
c('-DCSMS_GIT_DESCRIBE="$CSMS_GIT_DESCRIBE"' in dockerfile, "the build passes git describe to cmake")
hc = re.search(r"^HEALTHCHECK[^\n]*\\\n\s*CMD (\[[^\n]*\])", dockerfile, re.M)
c(hc and '"csmsctl"' in hc.group(1) and '"health"' in hc.group(1), "HEALTHCHECK runs csmsctl health")
c("curl" not in dockerfile, "no curl in the image")

pkgs = re.search(r'^runtime_pkgs="([^"]*)"', read("scripts", "install-deps.sh"), re.M).group(1).split()
c(not [p for p in pkgs if "glpk" in p], "no GLPK in the runtime packages: %s" % pkgs)
# lws loads its event-loop plugin with dlopen (not in ldd): csmsd's epoll loop
dlopened = {"libwebsockets-evlib-ev"}
c(dlopened <= set(pkgs), "the libev plugin of libwebsockets is a runtime package: %s" % pkgs)
if shutil.which("ldd") and shutil.which("dpkg"):
    libs = set()
    for prog in ("csmsd", "csmsctl"):
        out = subprocess.run(["ldd", os.path.join(BUILD, prog)], capture_output=True, text=True).stdout
        libs |= set(re.findall(r"=> (/\S+)", out))
    owners = set()
    for lib in libs:
        for cand in (lib, os.path.realpath(lib), "/usr" + lib):
            r = subprocess.run(["dpkg", "-S", cand], capture_output=True, text=True)
            if r.returncode == 0:
                owners.add(r.stdout.split(":")[0])
                break
        else:
            c(False, "no package owns %s" % lib)
    # what installing the runtime packages brings: them and their dependencies
    closure, todo = set(), [p for p in pkgs]
    while todo:
        p = todo.pop()
        if p in closure:
            continue
        closure.add(p)
        r = subprocess.run(["dpkg-query", "-W", "-f=${Depends}, ${Pre-Depends}", p], capture_output=True, text=True)
        todo += [re.split(r"[\s:(]", alt.strip())[0] for dep in r.stdout.split(",") if dep.strip()
                 for alt in dep.split("|")[:1]]
    base_pkgs = {"libc6"}   # in every Debian image
    if any("libasan" in lib for lib in libs):
        # the sanitizer build links its runtimes; the image is built without them
        base_pkgs |= {"libasan8", "libubsan1", "libstdc++6", "libgcc-s1"}
    c(not (owners - closure - base_pkgs), "every library's package is installed with the runtime packages: %s"
      % (owners - closure - base_pkgs))
    c(not (set(pkgs) - owners - {"ca-certificates"} - dlopened), "every runtime package is linked: %s"
      % (set(pkgs) - owners - {"ca-certificates"} - dlopened))
else:
    print("skipped the ldd check: no ldd or dpkg here")

# Without an engine the image check skips (77) and says why.
r = subprocess.run(["sh", os.path.join(SRC, "scripts", "docker-check.sh")], capture_output=True, text=True,
                   env=dict(os.environ, DOCKER="csms-no-such-docker"), timeout=30)
c(r.returncode == 77 and "skipped" in r.stderr and "not built" in r.stderr,
  "docker-check.sh without docker: 77 and a message: %d %r" % (r.returncode, r.stderr))

sc = shutil.which("shellcheck")
if sc:
    for f in (("docker", "entrypoint.sh"), ("scripts", "docker-check.sh")):
        r = subprocess.run([sc, "-s", "sh", os.path.join(SRC, *f)], capture_output=True, text=True)
        c(r.returncode == 0, "shellcheck %s: %s" % ("/".join(f), r.stdout))
else:
    print("skipped shellcheck: not installed")
c.done()
