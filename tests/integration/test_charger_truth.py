"""One source of truth for a charger's mode, phases and maximum current
(issue 11, item 3): the charger's own settings (PUT /api/v1/chargers/{id}).
The station's chargers[] shows them and a PUT /api/v1/station that sets
them writes them; GET /station and GET /chargers/{id} agree both ways, over
a restart, and a GET/PUT round trip of the station changes nothing."""
import json
import time
from harness import Csmsd, Raw, Checks

c = Checks()
MODE = {"fast": "fast", "solarBoost": "solarBoost", "pv": "pv100"}   # charger spelling -> station's


def station_entry(d, cid):
    st, g = d.get("/api/v1/station")
    e = [x for x in g["settings"]["chargers"] if x["id"] == cid]
    return e[0] if e else None


def own(d, cid):
    st, g = d.get("/api/v1/chargers/" + cid)
    return g["settings"] if st == 200 else None


def agree(d, cid, what):
    """The station's entry shows exactly the charger's own settings."""
    e, s = station_entry(d, cid), own(d, cid)
    if not e or not s:
        c(False, "%s: both views exist: %r %r" % (what, e, s))
        return
    mx = s["maxCurrentA"] if s["maxCurrentA"] is not None else 32
    c.eq((e["mode"], e["phases"], e["maxCurrentA"]), (MODE[s["chargingMode"]], s["phases"], mx),
         "%s: GET /station chargers[] agrees with GET /chargers/%s" % (what, cid))


d = Csmsd(unknown_chargers="accept", station_source="api", station_tick_ms=200)
tmp, db = d.tmp, d.db
try:
    # the charger's own settings first, then the station lists it: it shows them
    c.eq(d.put("/api/v1/chargers/CP1", {"chargingMode": "pv", "phases": 1, "maxCurrentA": 20})[0], 201, "own (provisioned: 201)")
    st, r = d.put("/api/v1/station", {"chargers": [{"id": "CP1", "batteryToEv": True}]})
    c.eq(st, 200, "station lists CP1 with only its station parameters")
    c.eq((r["settings"]["chargers"][0]["mode"], r["settings"]["chargers"][0]["phases"],
          r["settings"]["chargers"][0]["maxCurrentA"]), ("pv100", 1, 20), "the PUT answer shows CP1's own settings")
    agree(d, "CP1", "listed")
    c.eq(own(d, "CP1")["chargingMode"], "pv", "listing it changed nothing of its own")

    # PUT /chargers/{id} -> the station's view follows
    c.eq(d.put("/api/v1/chargers/CP1", {"chargingMode": "solarBoost"})[0], 200, "own mode solarBoost")
    c.eq(station_entry(d, "CP1")["mode"], "solarBoost", "station view follows the charger's mode")
    agree(d, "CP1", "after PUT /chargers")

    # PUT /station chargers[] -> written to the charger's own settings (only the fields given)
    st, r = d.put("/api/v1/station", {"chargers": [{"id": "CP1", "mode": "fast", "maxCurrentA": 25,
                                                    "batteryToEv": True}]})
    c.eq(st, 200, "station sets CP1 fast, 25 A")
    s = own(d, "CP1")
    c.eq((s["chargingMode"], s["maxCurrentA"], s["phases"]), ("fast", 25, 1),
         "the charger's own settings were written (phases not given: kept)")
    agree(d, "CP1", "after PUT /station")
    c("written to the charger's own settings" in d.logtext(), "the write-through is logged")

    # a charger the station names before it is known: provisioned with the entry's values
    st, r = d.put("/api/v1/station", {"chargers": [{"id": "CP1"}, {"id": "CP2", "mode": "pv100", "phases": 3,
                                                                   "maxCurrentA": 16}]})
    c.eq(st, 200, "station lists an unknown CP2")
    s = own(d, "CP2")
    c(s is not None and s["chargingMode"] == "pv" and s["maxCurrentA"] == 16,
      "CP2 provisioned with the entry's settings: %r" % s)
    agree(d, "CP2", "provisioned")
    agree(d, "CP1", "an entry with only its id leaves the charger as it was")
    c.eq(own(d, "CP1")["chargingMode"], "fast", "CP1 still fast")

    # a round trip (GET settings, PUT them back) changes nothing; null max stays null
    c.eq(d.put("/api/v1/chargers/CP3", {"chargingMode": "pv"})[0], 201, "CP3 with the default maximum (provisioned: 201)")
    d.put("/api/v1/station", {"chargers": [{"id": "CP1"}, {"id": "CP2"}, {"id": "CP3"}]})
    before = {cid: own(d, cid) for cid in ("CP1", "CP2", "CP3")}
    settings = d.get("/api/v1/station")[1]["settings"]
    c.eq(d.put("/api/v1/station", settings)[0], 200, "PUT back what GET gave")
    c.eq({cid: own(d, cid) for cid in ("CP1", "CP2", "CP3")}, before, "round trip: no charger setting changed")
    c.eq(own(d, "CP3")["maxCurrentA"], None, "CP3's maximum is still the default")

    # a bad PUT changes neither view
    st, _ = d.put("/api/v1/station", {"chargers": [{"id": "CP1", "mode": "warp"}]})
    c.eq(st, 400, "bad mode refused")
    c.eq(own(d, "CP1")["chargingMode"], "fast", "nothing written on a refusal")

    # the plan uses the same values: the live list's mode is the charger's own
    d.put("/api/v1/station/measurements", {"pv_w": 0, "load_w": 500, "soc_pct": 50})
    r = Raw(d.url + "/CP2")
    r.send(json.dumps([2, "b", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]))
    time.sleep(0.5)
    d.put("/api/v1/station/measurements", {"pv_w": 0, "load_w": 500, "soc_pct": 50})
    live = [x for x in d.get("/api/v1/station")[1]["live"]["chargers"] if x["id"] == "CP2"]
    c(live and live[0]["mode"] == "pv100" and live[0]["from"] == "station", "live CP2 in pv100: %r" % live)
    r.close()

    # origins in GET /station
    g = d.get("/api/v1/station")[1]
    o = g.get("origin") or {}
    c.eq((o.get("chargers.mode"), o.get("chargers"), o.get("mode"), o.get("source.type")),
         ("chargerSettings", "api", "default", "commandLine"), "origin of the station settings")
    c.eq(d.stop(), 0, "stop")

    # over a restart both views still agree
    d = Csmsd(db=db, tmp=tmp, unknown_chargers="accept", station_source="api")
    for cid in ("CP1", "CP2", "CP3"):
        agree(d, cid, "after a restart")
    c.eq(d.stop(), 0, "stop again")
except Exception as e:
    import traceback
    traceback.print_exc()
    c(False, "exception: %r\n%s" % (e, d.logtext()[-3000:]))
    d.kill()
finally:
    d.cleanup()
c.done()
