"""test_web_ui.py: the web dashboard end to end in headless Chromium
(web_e2e.js, playwright-core) against a real csmsd with a simulated
charger (cpsim session, answering remote starts with meter values) and the
simulated house sped up: sign-in, the charger appears, a session started
and stopped from the page lands in the records with its energy, the mode
set on the page is stored, a card added, the power flow moves, no console
error, no request to another host; screenshots of every screen at 360 and
1280 px in BUILD/screenshots (issue 12). The Prices and plan card: the
tariff without a price list, the failing price feed's line in red, and with
a price list in optimising mode the chart (prices, PV forecast, the plan),
the cheapest and dearest price ahead (issue 16). The dated load-shedding
outages: added through the form in the browser's time (Europe/Berlin, one
across the change of the clocks), stored in UTC exactly, the same after a
reload; an end before its start or over 24 h refused in the form (nothing
sent); the next one on Home. A csmsd with station_outages_file (a file
written here): the list read-only naming the file, a save without the
outages, a bad line's error in red. Screenshots of the list at 360 and
1280 px (outages*-360.png, outages*-1280.png). Then a csmsd without a token:
no sign-in."""
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from harness import Csmsd, Checks, BUILD, HERE, free_port

chromium = os.environ.get("CHROMIUM") or shutil.which("chromium")
if not chromium or not os.path.isdir(os.path.join(HERE, "node_modules", "playwright-core")):
    print("SKIP: chromium or playwright-core missing (scripts/install-deps.sh test)")
    sys.exit(77)

c = Checks()
shots = os.path.join(os.path.abspath(BUILD), "screenshots")
env = dict(os.environ, CHROMIUM=chromium)


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def run_node(*args):
    p = subprocess.run(["node", os.path.join(HERE, "web_e2e.js"), *args], capture_output=True, text=True,
                       timeout=240, env=env)
    sys.stdout.write(p.stdout)
    sys.stdout.write(p.stderr[-2000:])
    return p.returncode


d = Csmsd(admin_token="web-s3cret", unknown_chargers="accept", dlm_enabled="true",
          station_speed="600", station_sim_start="2026-06-21T09:00:00Z",
          price_source="awattar", price_url="http://127.0.0.1:%d/v1/marketdata" % free_port())
sim = None
try:
    sim = subprocess.Popen([os.path.join(BUILD, "tests", "cpsim"), "session", "--url", d.url, "--id", "WEB1",
                            "--connectors", "1", "--transactions", "0", "--stay", "200", "--remote-mv-ms", "500",
                            "--timeout", "230"], stdout=subprocess.DEVNULL, stderr=open(os.path.join(d.tmp, "cpsim.log"), "w"))
    c.eq(run_node("full", "http://127.0.0.1:%d" % d.admin_port, "web-s3cret", "WEB1", shots), 0,
         "the dashboard's checks in Chromium")
    for s in ("signin", "home", "chargers", "records", "cards", "dlm", "settings", "alarms", "prices"):
        for w in (360, 1280):
            c(os.path.getsize(os.path.join(shots, "%s-%d.png" % (s, w))) > 2000, "screenshot %s-%d.png" % (s, w))
    for s in ("outages", "outages-error"):
        for w in (360, 1280):
            c(os.path.getsize(os.path.join(shots, "%s-%d.png" % (s, w))) > 2000, "screenshot %s-%d.png" % (s, w))
finally:
    if sim:
        print("cpsim %s" % ("running" if sim.poll() is None else "exited %d" % sim.returncode))
        sim.kill()
        sim.wait()
        print(open(os.path.join(d.tmp, "cpsim.log")).read()[-1500:])
    c.eq(d.stop(), 0, "csmsd exits 0")
    d.cleanup()

# The outages from a file: two to come (UTC, whole hours from tomorrow).
tmp = tempfile.mkdtemp(prefix="csms-web-outages-")
path = os.path.join(tmp, "outages.txt")
t0 = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
with open(path, "w") as f:
    f.write("# stage 2 (UTC)\n%s/PT2H\n%s/%s\n" % (iso(t0), iso(t0 + timedelta(days=1, hours=3)),
                                                  iso(t0 + timedelta(days=1, hours=5, minutes=30))))
d = Csmsd(admin_token="web-s3cret", station_outages_file=path, tmp=tmp)
try:
    c.eq(run_node("outagesfile", "http://127.0.0.1:%d" % d.admin_port, "web-s3cret", path, shots), 0,
         "the outages from a file in Chromium")
    for s in ("outages-file", "outages-file-error"):
        for w in (360, 1280):
            c(os.path.getsize(os.path.join(shots, "%s-%d.png" % (s, w))) > 2000, "screenshot %s-%d.png" % (s, w))
finally:
    c.eq(d.stop(), 0, "csmsd exits 0")
    d.cleanup()

d = Csmsd()
try:
    c.eq(run_node("notoken", "http://127.0.0.1:%d" % d.admin_port), 0, "without a token: no sign-in")
finally:
    c.eq(d.stop(), 0, "csmsd exits 0")
    d.cleanup()
c.done()
