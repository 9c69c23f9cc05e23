"""Every npm package the project pins (tests/integration and web lockfiles)
runs on Debian 12's Node.js (18): the README's commands install Debian's
nodejs on a fresh machine, and a package that needs a newer Node passes on
a machine with a newer one and fails there (playwright-core 1.62+ needs
Node 20). Reads each lockfile's engines.node: '>=N', '>= N', '^N' or 'N.x'
ranges with a lower bound above 18 fail, naming the package."""
import json
import os
import re
from harness import Checks, HERE

DEBIAN_NODE = 18
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
c = Checks()
n = 0
for lock in ("tests/integration/package-lock.json", "web/package-lock.json"):
    with open(os.path.join(ROOT, lock)) as f:
        packages = json.load(f).get("packages", {})
    c(packages, "%s has packages" % lock)
    for name, p in packages.items():
        eng = (p.get("engines") or {}) if isinstance(p.get("engines"), dict) else {}
        rng = eng.get("node")
        if not rng:
            continue
        n += 1
        # the lowest major any alternative of the range admits
        lows = []
        for alt in rng.split("||"):
            m = re.search(r"(?:>=|\^|~)?\s*v?(\d+)", alt.strip())
            lows.append(int(m.group(1)) if m else 0)
        c(min(lows) <= DEBIAN_NODE, "%s %s: engines.node %r admits Node %d" % (lock, name or "(root)", rng, DEBIAN_NODE))
c(n > 5, "engines read: %d" % n)
c.done()
