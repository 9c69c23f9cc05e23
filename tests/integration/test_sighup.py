"""test_sighup.py: SIGHUP does not end csmsd (issue 13, item 9): after
three HUPs it is still running, logs that it received them, answers the
API, and a charger connected before keeps its connection and is answered;
SIGTERM then shuts it down gracefully (exit 0) as before."""
import json
import signal
import time
from harness import Csmsd, Raw, Checks, boot_frame

c = Checks()
d = Csmsd(unknown_chargers="accept", admin_token="s3cret")
r = None
try:
    r = Raw(d.url + "/CP-HUP")
    c.eq(json.loads(r.call(boot_frame()))[2]["status"], "Accepted", "charger booted")
    for _ in range(3):
        d.proc.send_signal(signal.SIGHUP)
        time.sleep(0.3)
    deadline = time.time() + 5
    while time.time() < deadline and d.logtext().count("SIGHUP received") < 1:
        time.sleep(0.1)
    c(d.proc.poll() is None, "csmsd still running after SIGHUP")
    c("SIGHUP received" in d.logtext(), "the HUP is logged: " + d.logtext()[-400:])
    c.eq(d.get("/api/v1/chargers")[0], 200, "the API answers after SIGHUP")
    hb = json.loads(r.call('[2,"h1","Heartbeat",{}]'))
    c(hb[0] == 3 and hb[1] == "h1", "the charger's connection survived: %r" % hb)
    st, ch = d.get("/api/v1/chargers/CP-HUP")
    c(st == 200 and ch["connected"], "the charger is still connected")
finally:
    if r:
        r.close()
    c.eq(d.stop(), 0, "SIGTERM after SIGHUP: exit 0")
    with open(d.log.name, "rb") as f:
        c(b"shutting down" in f.read(), "graceful shutdown logged")
    d.cleanup()
c.done()
