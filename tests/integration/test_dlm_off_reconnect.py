"""With DLM disabled, a charger in Fast mode gets the profile that matches
its mode after every reconnect (issue 11, item 3): a charger that held our
0 A profile from 100% PV mode, switched to Fast while away, is lifted to
its own maximum when it comes back, and again after a restart of csmsd
(the store knows what it last accepted). A Fast charger that never got a
profile from us still gets none (test_dlm_disabled)."""
import json
import time
from harness import Csmsd, Raw, Checks

c = Checks()
MEAS = {"pv_w": 0, "load_w": 500, "soc_pct": 50}


def settings(**kw):
    s = dict(unknown_chargers="accept", dlm_enabled="false", station_source="api", dlm_tick_ms=200)
    s.update(kw)
    return s


def session(d, cid, status, secs=3.0):
    """Connects cid, boots, reports status; answers every CALL Accepted for
    secs; returns (the peer, the SetChargingProfile limits it got)."""
    r = Raw(d.url + "/" + cid)
    r.send(json.dumps([2, "b", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]))
    r.send(json.dumps([2, "s", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": status}]))
    limits = []
    t0 = time.time()
    while time.time() - t0 < secs:
        d.put("/api/v1/station/measurements", MEAS)
        for line in r.poll():
            if line.startswith("[2"):
                f = json.loads(line)
                if f[2] == "SetChargingProfile":
                    p = f[3]["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]
                    limits.append(p["limit"])
                r.send(json.dumps([3, f[1], {"status": "Accepted"}]))
        time.sleep(0.1)
    return r, limits


d = Csmsd(**settings())
tmp, db = d.tmp, d.db
try:
    c.eq(d.put("/api/v1/chargers/CPF", {"chargingMode": "pv", "maxCurrentA": 20})[0], 201, "pv mode, 20 A (provisioned: 201)")
    d.put("/api/v1/station/measurements", MEAS)
    r, lim = session(d, "CPF", "Preparing")
    c(lim and lim[-1] == 0, "100%% PV without surplus: 0 A installed: %r" % lim)
    r.close()
    time.sleep(0.5)
    # switched to Fast while away: the 0 A profile is still on the charger
    c.eq(d.put("/api/v1/chargers/CPF", {"chargingMode": "fast"})[0], 200, "fast mode")
    r, lim = session(d, "CPF", "Charging")
    c(lim and lim[-1] == 20, "Fast after a reconnect: lifted to its maximum 20 A: %r" % lim)
    r.close()
    st, g = d.get("/api/v1/chargers/CPF")
    c.eq(d.stop(), 0, "stop")

    # csmsd restarts: the charger reconnects and gets its Fast profile again
    d = Csmsd(db=db, tmp=tmp, **settings())
    r, lim = session(d, "CPF", "Charging")
    c(lim and lim[-1] == 20, "Fast after a restart of csmsd: its maximum again: %r" % lim)
    r.close()

    # a Fast charger that never had a profile of ours gets none
    r, lim = session(d, "NEWF", "Charging", secs=2.0)
    c.eq(lim, [], "a fresh Fast charger gets no profile")
    r.close()
    c.eq(d.stop(), 0, "stop again")
except Exception as e:
    import traceback
    traceback.print_exc()
    c(False, "exception: %r\n%s" % (e, d.logtext()[-3000:]))
    d.kill()
finally:
    d.cleanup()
c.done()
