"""test_last_seen.py: a charger's lastSeen follows every message, not only
Boot and Heartbeat (issue 13, item 10b): a charger that only sends
MeterValues after its boot shows a lastSeen that advances with each, and
the last one is what is stored (read back after a restart)."""
import datetime
import json
import time
from harness import Csmsd, Raw, Checks, boot_frame


def seen(d, cid):
    st, ch = d.get("/api/v1/chargers/" + cid)
    v = ch["lastSeen"] if st == 200 else None
    return datetime.datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp() if v else 0.0


def meter_values(mid):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps([2, mid, "MeterValues", {"connectorId": 1, "meterValue": [
        {"timestamp": now, "sampledValue": [{"value": "100", "measurand": "Energy.Active.Import.Register"}]}]}])


c = Checks()
d = Csmsd(unknown_chargers="accept")
r = None
last = 0.0
try:
    r = Raw(d.url + "/CP-SEEN")
    c.eq(json.loads(r.call(boot_frame()))[2]["status"], "Accepted", "charger booted")
    prev = seen(d, "CP-SEEN")
    c(prev > 0, "lastSeen set by the boot")
    for i in range(2):
        time.sleep(1.2)
        before = time.time()
        ans = json.loads(r.call(meter_values("m%d" % i)))
        c.eq(ans[0], 3, "MeterValues answered")
        now = seen(d, "CP-SEEN")
        c(now >= prev + 1.0, "MeterValues %d moved lastSeen on (%.3f -> %.3f)" % (i, prev, now))
        c(abs(now - before) < 1.0, "lastSeen is the time of the message (%.3f vs %.3f)" % (now, before))
        prev = now
    last = prev
finally:
    if r:
        r.close()
    c.eq(d.stop(), 0, "exit status")
d2 = Csmsd(db=d.db, tmp=d.tmp)
try:
    c.eq(seen(d2, "CP-SEEN"), last, "the last MeterValues' lastSeen is the one stored")
finally:
    c.eq(d2.stop(), 0, "exit status after the restart")
    d2.cleanup()
c.done()
