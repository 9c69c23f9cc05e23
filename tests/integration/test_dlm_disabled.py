"""With DLM disabled, a Fast charger runs on its own maximum and gets no
profile, while a 100% PV charger still gets its charging-mode target (0 A
without PV surplus)."""
import json
import time
from harness import Csmsd, Raw, Checks

c = Checks()
d = Csmsd(unknown_chargers="accept", dlm_enabled="false", station_source="api", dlm_tick_ms=200)
try:
    c.eq(d.put("/api/v1/chargers/PV1", {"chargingMode": "pv"})[0], 201, "pv mode set (provisioned: 201)")
    d.put("/api/v1/station/measurements", {"pv_w": 0, "load_w": 500, "soc_pct": 50})
    chargers = {}
    for cid in ("PV1", "FAST1"):
        r = Raw(d.url + "/" + cid)
        r.send(json.dumps([2, "b", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]))
        r.send(json.dumps([2, "s", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Preparing"}]))
        chargers[cid] = r
    got = {"PV1": [], "FAST1": []}
    t0 = time.time()
    while time.time() - t0 < 4:
        d.put("/api/v1/station/measurements", {"pv_w": 0, "load_w": 500, "soc_pct": 50})
        for cid, r in chargers.items():
            for line in r.poll():
                if line.startswith("[2"):
                    f = json.loads(line)
                    got[cid].append(f)
                    r.send(json.dumps([3, f[1], {"status": "Accepted"}]))
        time.sleep(0.2)
    pv = [f for f in got["PV1"] if f[2] == "SetChargingProfile"]
    c(pv, "the 100% PV charger got a profile")
    if pv:
        lim = pv[-1][3]["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"]
        c.eq(lim, 0, "no surplus: 0 A")
    c.eq([f[2] for f in got["FAST1"]], [], "the Fast charger got nothing")
    for r in chargers.values():
        r.close()
    c.eq(d.stop(), 0, "stop")
except Exception as e:
    import traceback
    traceback.print_exc()
    c(False, "exception: %r\n%s" % (e, d.logtext()[-2000:]))
    d.kill()
finally:
    d.cleanup()
c.done()
