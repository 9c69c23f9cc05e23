"""Every setting is checked before anything is written (issue 10): a value
that passes the config table's bounds but not the dlm/ or station/
library's checks, or a rule across keys, stops csmsd with exit 2 and one
line naming the config key, and no database file appears. The API refuses
an out-of-range DLM setting with the bound of the command line, and its
answers stay as they were; either spelling of a charging mode is accepted
where one is."""
import json
import os
import subprocess
import tempfile
from harness import BUILD, Csmsd, Checks, Raw, boot_frame, free_port

c = Checks()
csmsd = os.path.join(BUILD, "csmsd")
tmp = tempfile.mkdtemp(prefix="csms-chk-")
bad_settings = os.path.join(tmp, "station.json")
with open(bad_settings, "w") as f:
    json.dump({"battery": {"capacityWh": -5}}, f)


def run(*args, env=None, conf=None):
    """csmsd on a database path that must stay absent; (rc, stderr, db created)."""
    db = os.path.join(tmp, "never.db")
    cmd = [csmsd, "--db", db, "--ws_port", "0", "--admin_port", str(free_port())]
    if conf:
        cmd += ["-c", conf]
    p = subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=20,
                       env=dict(os.environ, **(env or {})))
    created = [n for n in os.listdir(tmp) if n.startswith("never.db")]
    for n in created:
        os.unlink(os.path.join(tmp, n))
    return p.returncode, p.stderr, created


# (arguments, what the one line must name, why it is wrong)
cases = [
    (["--dlm_breaker_a", "1500"], "dlm_breaker_a", "over dlm's 1000 A (the table said 2000 before)"),
    (["--dlm_margin_a", "30"], "dlm_margin_a", "margin not below the breaker (25 A)"),
    (["--dlm_breaker_a", "10", "--dlm_fallback_a", "12"], "dlm_fallback_a", "fallback over breaker - margin"),
    (["--dlm_stale_s", "0.01"], "dlm_stale_s", "below the table's bound"),
    (["--dlm_meter", "generic"], "dlm_meter_map", "a generic meter without a map"),
    (["--dlm_meter", "generic", "--dlm_meter_map", "l1_current=4:zz:float32"], "dlm_meter_map", "a bad map"),
    (["--dlm_sensor", "modbus-rtu", "--dlm_modbus_parity", "X"], "dlm_modbus_parity", "parity not N, E, O"),
    (["--dlm_sensor", "modbus-tcp", "--dlm_modbus_host", ""], "dlm_modbus_host", "no meter address"),
    (["--dlm_sensor", "modbus-tcp", "--dlm_modbus_host", "h" * 200], "dlm_modbus_host", "address too long"),
    (["--station_source", "modbus", "--station_map", "sma"], "station_map", "no such preset"),
    (["--station_source", "modbus", "--station_modbus_host", "h" * 200], "station_modbus_host", "too long"),
    (["--station_sim_start", "yesterday"], "station_sim_start", "not a time"),
    (["--station_settings", bad_settings], "station_settings", "station library refuses a battery of -5 Wh"),
    (["--station_settings", os.path.join(tmp, "missing.json")], "station_settings", "no such file"),
    (["--station_speed", "0"], "station_speed", "below the table's bound"),
]
for args, key, why in cases:
    rc, err, created = run(*args)
    c.eq(rc, 2, "exit 2 for %s (%s)" % (key, why))
    c(err.count("\n") == 1 and key in err, "one line naming %s: %r" % (key, err))
    c(not created, "no database for %s: %s" % (key, created))
rc, err, _ = run("--dlm_breaker_a", "1500")
c("1 to 1000" in err, "the bound is said: %r" % err)
rc, err, _ = run("--station_settings", bad_settings)
c("battery.capacityWh" in err, "the station setting is named too: %r" % err)

# the same through the environment and the config file
rc, err, created = run(env={"CSMS_DLM_BREAKER_A": "1500"})
c(rc == 2 and "dlm_breaker_a" in err and not created, "environment: %d %r" % (rc, err))
conf = os.path.join(tmp, "csms.conf")
with open(conf, "w") as f:
    f.write("dlm_margin_a = 30\n")
rc, err, created = run(conf=conf)
c(rc == 2 and "dlm_margin_a" in err and not created, "config file: %d %r" % (rc, err))

# the API: same bounds as the command line, answers unchanged
d = Csmsd(unknown_chargers="accept", dlm_sensor="api")
try:
    st, raw = d.request("GET", "/api/v1/dlm", raw=True)
    order = list(json.loads(raw, object_pairs_hook=lambda kv: dict(kv, _order=[k for k, _ in kv]))["_order"])
    c.eq(order[:12], ["enabled", "breakerA", "marginA", "fallbackA", "staleS", "settleS", "rampAPerS",
                      "minPauseS", "reactS", "tickMs", "pollMs", "defaultMaxA"], "GET settings in their order")
    g = d.get("/api/v1/dlm")[1]
    c.eq((g["enabled"], g["breakerA"], g["staleS"], g["tickMs"], g["sensor"]["type"], g["sensor"]["meter"]),
         (False, 25, 10, 1000, "api", "sdm630"), "GET values")
    for body, field, text in (({"breakerA": 1500}, "breakerA", "1 to 1000"),
                              ({"fallbackA": 81}, "fallbackA", "0 to 80"),
                              ({"staleS": 0.01}, "staleS", "0.1 to 3600"),
                              ({"marginA": 30}, "marginA", "below breakerA"),
                              ({"sensor": {"type": "modbus-rtu", "parity": "X"}}, "sensor.parity", "N, E or O"),
                              ({"sensor": {"meter": "generic"}}, "sensor.map", "l1_current")):
        st, e = d.put("/api/v1/dlm", body)
        desc = (e or {}).get("error", {}).get("description", "")
        c(st == 400 and desc.startswith(field) and text in desc, "PUT %s: 400 naming %s: %s %r" % (body, field, st, e))
    g = d.get("/api/v1/dlm")[1]
    c.eq((g["breakerA"], g["marginA"], g["fallbackA"], g["staleS"], g["sensor"]["type"], g["sensor"]["meter"]),
         (25, 1, 6, 10, "api", "sdm630"), "refused PUTs changed nothing")
    st, g = d.put("/api/v1/dlm", {"breakerA": 1000, "sensor": {"meter": "dtsu666"}})
    c.eq((st, g["breakerA"], g["sensor"]["meter"]), (200, 1000, "dtsu666"), "the top of the bound is taken")

    # charging modes: either spelling in, each resource answers as before
    r = Raw(d.url + "/CP-M")
    r.call(boot_frame())
    for given, answered in (("pv100", "pv"), ("pv", "pv"), ("solarBoost", "solarBoost"), ("fast", "fast")):
        st, ch = d.put("/api/v1/chargers/CP-M", {"chargingMode": given})
        c.eq((st, ch["settings"]["chargingMode"] if st == 200 else None), (200, answered),
             "chargingMode %s answered as %s" % (given, answered))
    c.eq(d.put("/api/v1/chargers/CP-M", {"chargingMode": "solar"})[0], 400, "unknown chargingMode 400")
    st, s = d.put("/api/v1/station", {"chargers": [{"id": "CP-S", "mode": "pv"}]})
    c.eq(st, 200, "station charger mode 'pv' accepted: %r" % s)
    st, s = d.get("/api/v1/station")
    modes = [x.get("mode") for x in s["settings"]["chargers"] if x.get("id") == "CP-S"] if st == 200 else None
    c.eq(modes, ["pv100"], "station answers pv100")
    r.close()
    c.eq(d.stop(), 0, "stop")

    # settings kept from the API that clash with the command line's: named
    d = Csmsd(unknown_chargers="accept", dlm_sensor="api")
    c.eq(d.put("/api/v1/dlm", {"breakerA": 16})[0], 200, "breaker 16 kept")
    c.eq(d.stop(), 0, "stop")
    p = subprocess.run([csmsd, "--db", d.db, "--ws_port", "0", "--admin_port", str(free_port()),
                        "--dlm_fallback_a", "20"], capture_output=True, text=True, timeout=20)
    c(p.returncode == 2 and "dlm_fallback_a" in p.stderr and "kept from the API" in p.stderr,
      "a clash with kept settings names the key: %d %r" % (p.returncode, p.stderr))
except Exception as e:
    import traceback
    traceback.print_exc()
    c(False, "exception: %r\n%s" % (e, d.logtext()[-2000:]))
    d.kill()
finally:
    d.cleanup()
c.done()
