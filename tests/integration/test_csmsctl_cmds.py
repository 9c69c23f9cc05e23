#!/usr/bin/python3
"""test_csmsctl_cmds.py: csmsctl's commands matching the API (issue 13,
item 14) against a real csmsd and a cpsim raw charger: `charger set`,
`charger rm`, `configuration`, `transaction stop`, `audit`, `sites`,
`site`, `site set`, `site rm` (output and
exit codes, the API's error text on stderr), the note while a charger is
slow to answer, and tables that fit the terminal (run in a pseudo-terminal
of 80 and 40 columns; whole cells through a pipe).

usage: /usr/bin/python3 test_csmsctl_cmds.py [BUILD_DIR]   (or env CSMS_BUILD)"""
import fcntl
import json
import os
import re
import pty
import struct
import subprocess
import termios
import time
from harness import BUILD, Csmsd, Checks, Raw

CSMSCTL = os.path.join(BUILD, "csmsctl")
TOKEN = "s3cret"
c = Checks()
VENDOR, MODEL = "ACME-EV-Supply-GmbH", "Pulsar-Plus-22kW-3ph"   # OCPP allows 20 characters each


def env_for(d, extra=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("CSMS_") and k != "COLUMNS"}
    e.update({"CSMS_URL": "http://127.0.0.1:%d" % d.admin_port, "CSMS_TOKEN": TOKEN})
    e.update(extra or {})
    return e


def ctl(d, *args, env=None):
    r = subprocess.run([CSMSCTL] + list(args), capture_output=True, text=True, timeout=60, env=env_for(d, env))
    return r.returncode, r.stdout, r.stderr


def expect(res, code, what, out=(), err=(), not_err=()):
    rc, o, e = res
    detail = "exit %d\nstdout:\n%s\nstderr:\n%s" % (rc, o, e)
    c(rc == code, "%s: exit %d, wanted %d\n%s" % (what, rc, code, detail))
    for s in out:
        c(s in o, "%s: stdout lacks %r\n%s" % (what, s, detail))
    for s in err:
        c(s in e, "%s: stderr lacks %r\n%s" % (what, s, detail))
    for s in not_err:
        c(s not in e, "%s: stderr has %r\n%s" % (what, s, detail))
    return o


def with_charger(d, cp, args, answer, delay=0.0):
    """Runs csmsctl while the charger cp answers each CALL with
    answer(action, payload) (a payload, or None for no answer) after
    delay seconds; returns (exit, stdout, stderr, the CALLs seen)."""
    p = subprocess.Popen([CSMSCTL] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=env_for(d))
    calls = []
    while p.poll() is None:
        try:
            line = cp.line(0.5)
        except AssertionError:
            continue
        if line.startswith("#"):
            continue
        f = json.loads(line)
        if f[0] == 2:
            calls.append(f)
            ans = answer(f[2], f[3])
            if ans is not None:
                time.sleep(delay)
                cp.send(json.dumps([3, f[1], ans]))
    o, e = p.communicate(timeout=30)
    return p.returncode, o, e, calls


def in_pty(d, args, cols, env=None):
    """csmsctl with its stdout on a pseudo-terminal of cols columns; the lines it printed."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
    p = subprocess.Popen([CSMSCTL] + list(args), stdout=slave, stderr=subprocess.PIPE, env=env_for(d, env))
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    p.wait(timeout=30)
    return p.returncode, out.decode().replace("\r\n", "\n").rstrip("\n").split("\n")


d = Csmsd(admin_token=TOKEN, unknown_chargers="accept", call_timeout=10)
cp = None
try:
    expect(ctl(d, "help"), 0, "help lists the commands",
           out=["charger set ID KEY=VALUE", "charger rm ID [--force]", "configuration ID [KEY...]",
                "transaction stop TXID", "audit [--charger ID]", "charger-rm ID", "tx-stop TXID"])
    expect(ctl(d, "help", "charger"), 0, "help charger", out=["charger set", "charger rm"])

    cp = Raw(d.url + "/CP1")
    c.eq(json.loads(cp.call(json.dumps([2, "b1", "BootNotification", {"chargePointVendor": VENDOR,
                                                                       "chargePointModel": MODEL}])))[2]["status"],
         "Accepted", "CP1 boots")
    cp.call(json.dumps([2, "s1", "StatusNotification", {"connectorId": 1, "status": "Available",
                                                        "errorCode": "NoError"}]))

    # ---- charger set ----
    o = expect(ctl(d, "charger", "set", "CP9", "maxCurrentA=16", "phases=1", "chargingMode=solarBoost"), 0,
               "charger set provisions CP9", out=["CP9: settings", "maxCurrentA", "solarBoost"])
    st, ch = d.get("/api/v1/chargers/CP9")
    c.eq((st, ch["settings"]["maxCurrentA"], ch["settings"]["phases"], ch["settings"]["chargingMode"]),
         (200, 16, 1, "solarBoost"), "the settings were stored")
    expect(ctl(d, "charger", "set", "CP9", "colour=red"), 1, "charger set: an unknown key",
           err=["error 400 BadRequest", "colour: unknown setting"])
    expect(ctl(d, "charger", "set", "CP9", "chargingMode=warp"), 1, "charger set: a bad value",
           err=["chargingMode", "fast, solarBoost, pv"])
    expect(ctl(d, "charger", "set", "CP9", "phases=2"), 1, "charger set: phases 2", err=["phases"])
    expect(ctl(d, "charger", "set", "CP9"), 2, "charger set without a setting", err=["usage:", "charger set"])
    expect(ctl(d, "charger", "set", "CP9", "phases"), 2, "charger set: not KEY=VALUE", err=["not KEY=VALUE"])
    expect(ctl(d, "--json", "charger", "set", "CP9", "freeIdTag=OPEN"), 0, "charger set --json",
           out=['"freeIdTag":"OPEN"'])
    expect(ctl(d, "charger", "set", "CP9", "maxCurrentA=null"), 0, "charger set: null clears", out=["maxCurrentA"])
    c.eq(d.get("/api/v1/chargers/CP9")[1]["settings"]["maxCurrentA"], None, "maxCurrentA cleared")

    # ---- configuration ----
    keys = [{"key": "HeartbeatInterval", "readonly": False, "value": "300"},
            {"key": "NumberOfConnectors", "readonly": True, "value": "1"},
            {"key": "MeterValuesSampledData", "readonly": False,
             "value": "Energy.Active.Import.Register,Current.Import,Voltage,Power.Active.Import,SoC"}]

    def config(action, p):
        want = p.get("key")
        return {"configurationKey": [k for k in keys if not want or k["key"] in want],
                "unknownKey": [k for k in (want or []) if k not in [x["key"] for x in keys]]}
    rc, o, e, calls = with_charger(d, cp, ["configuration", "CP1"], config)
    expect((rc, o, e), 0, "configuration CP1", out=["KEY", "VALUE", "READONLY", "HeartbeatInterval", "300",
                                                     "NumberOfConnectors"], not_err=["waiting for"])
    c.eq([f[2] for f in calls], ["GetConfiguration"], "configuration sends GetConfiguration")
    c.eq(calls and calls[0][3], {}, "without keys: an empty payload (all keys)")
    rows = [l.split() for l in o.splitlines()]
    c(["NumberOfConnectors", "1", "yes"] in rows and ["HeartbeatInterval", "300", "no"] in rows,
      "a row per key with its value and readonly: %r" % rows)
    rc, o, e, calls = with_charger(d, cp, ["configuration", "CP1", "HeartbeatInterval", "Nope"], config)
    expect((rc, o, e), 1, "configuration with a key the charger does not know", out=["HeartbeatInterval"],
           err=["unknown to the charger: Nope"])
    c.eq(calls and calls[0][3], {"key": ["HeartbeatInterval", "Nope"]}, "the keys named are asked")
    c("NumberOfConnectors" not in o, "only the keys asked are shown")
    expect(ctl(d, "configuration", "NOPE"), 1, "configuration of an unknown charger",
           err=["error 404", "no charger 'NOPE'"])
    expect(ctl(d, "configuration", "CP9"), 1, "configuration of a charger not connected",
           err=["409", "NotConnected", "not connected"])
    expect(ctl(d, "configuration"), 2, "configuration without ID", err=["usage:"])

    # ---- waiting says what for ----
    rc, o, e, calls = with_charger(d, cp, ["configuration", "CP1", "HeartbeatInterval"], config, delay=3.5)
    expect((rc, o, e), 0, "a slow charger: the answer still comes", out=["HeartbeatInterval"],
           err=["waiting for charger CP1 to answer GetConfiguration", "one call at a time"])
    rc, o, e, calls = with_charger(d, cp, ["reset", "CP1", "soft"], lambda a, p: {"status": "Accepted"}, delay=3.5)
    expect((rc, o, e), 0, "reset, slow", out=["Reset CP1: Accepted"], err=["waiting for charger CP1 to answer Reset"])
    rc, o, e, calls = with_charger(d, cp, ["reset", "CP1", "soft"], lambda a, p: {"status": "Accepted"})
    expect((rc, o, e), 0, "reset, quick: no note", out=["Reset CP1: Accepted"], not_err=["waiting"])

    # ---- transaction stop ----
    # after an accepted Reset csmsd waits for the charger's boot
    cp.call(json.dumps([2, "b2", "BootNotification", {"chargePointVendor": VENDOR, "chargePointModel": MODEL}]))
    cp.call(json.dumps([2, "t1", "StartTransaction", {"connectorId": 1, "idTag": "FREE", "meterStart": 1000,
                                                      "timestamp": "2024-06-01T10:00:00Z"}]))
    tx = d.get("/api/v1/transactions?active=true")[1][0]["id"]
    expect(ctl(d, "transaction", "stop", str(tx), "--reason", "Bored"), 1, "transaction stop: a bad reason",
           err=["error 400", "reason: an OCPP 1.6 stop reason", "EVDisconnected"])
    expect(ctl(d, "transaction", "stop", str(tx), "--meter-stop", "500"), 1, "transaction stop below meterStart",
           err=["not below the transaction's meterStart"])
    expect(ctl(d, "transaction", "stop", "abc"), 2, "transaction stop: not a number", err=["TXID"])
    expect(ctl(d, "transaction", "stop", "999"), 1, "transaction stop: unknown", err=["error 404", "999"])
    expect(ctl(d, "transaction", "stop", str(tx), "--meter-stop", "2500", "--reason", "EVDisconnected"), 0,
           "transaction stop", out=["transaction %d closed by an admin" % tx, "meterStop 2500 Wh", "1.500 kWh",
                                    "EVDisconnected"])
    t = d.get("/api/v1/transactions/%d" % tx)[1]
    c.eq((t["meterStop"], t["stopReason"], t["stoppedBy"]), (2500, "EVDisconnected", "admin"), "stored as an admin's stop")
    expect(ctl(d, "transaction", "stop", str(tx)), 1, "transaction stop twice", err=["409", "AlreadyStopped"])
    expect(ctl(d, "transaction", str(tx)), 0, "transaction TXID still shows one", out=["meterStop", "2500"])

    # ---- audit ----
    o = expect(ctl(d, "audit"), 0, "audit", out=["ID", "QUEUED", "CHARGER", "ACTION", "OUTCOME", "ANSWER",
                                                  "AdminStopTransaction", "GetConfiguration", "Reset", "Accepted"])
    lines = o.splitlines()
    c(len(lines) >= 7 and "AdminStopTransaction" in lines[1], "newest first: %r" % lines[:3])
    o = expect(ctl(d, "audit", "--action", "Reset", "--limit", "1"), 0, "audit --action --limit")
    c.eq(len(o.splitlines()), 2, "one row and the header")
    c("Reset" in o and "GetConfiguration" not in o, "only Reset: %r" % o)
    o = expect(ctl(d, "audit", "--charger", "CP9"), 0, "audit of a charger without calls", out=["(none)"])
    expect(ctl(d, "audit", "--limit", "0"), 2, "audit --limit 0", err=["--limit"])
    o = expect(ctl(d, "--json", "audit", "--limit", "2"), 0, "audit --json")
    c(len(json.loads(o)) == 2, "--json gives the API's array")

    # ---- tables fit the terminal ----
    rc, lines80 = in_pty(d, ["chargers"], 80)
    rc40, lines40 = in_pty(d, ["chargers"], 40)
    _, lines_cols = in_pty(d, ["chargers"], 120, env={"COLUMNS": "60"})
    piped = expect(ctl(d, "chargers"), 0, "chargers through a pipe")
    c(VENDOR + "/" + MODEL in piped and "\u2026" not in piped, "through a pipe cells are whole")
    c(max(len(l) for l in piped.splitlines()) > 100, "the whole table is wider than 100 columns")
    c(rc == 0 and rc40 == 0, "chargers in a terminal exits 0")
    for cols, lines in ((80, lines80), (40, lines40), (60, lines_cols)):
        c(lines and max(len(l) for l in lines) <= cols, "%d columns: every line fits: %r" % (cols, lines))
    for cols, lines in ((80, lines80), (60, lines_cols)):
        c(any("\u2026" in l for l in lines), "%d columns: cut cells end in an ellipsis" % cols)
        c(lines[0].startswith("ID"), "%d columns: the header first: %r" % (cols, lines[0]))
        c(any(l.startswith("CP1") for l in lines), "%d columns: short cells stay whole" % cols)
    # too narrow for columns: one record per charger, a line per column
    c(re.match(r"ID\s+CP1$", lines40[0]), "40 columns: records, the first line 'ID  CP1': %r" % lines40[:2])
    c(any(re.match(r"REGISTRATION\s+accepted$", l) for l in lines40), "40 columns: REGISTRATION  accepted")
    c(any(re.match(r"VENDOR/MODEL\s+\S+", l) for l in lines40), "40 columns: the vendor on its own line")
    c("" in lines40, "40 columns: a blank line between two chargers")
    print("--- csmsctl chargers, 80 columns:\n" + "\n".join(lines80))
    print("--- csmsctl chargers, 40 columns:\n" + "\n".join(lines40))
    _, lines = in_pty(d, ["audit"], 80)
    c(max(len(l) for l in lines) <= 80, "audit fits 80 columns")
    print("--- csmsctl audit, 80 columns:\n" + "\n".join(lines[:6]))
    _, lines = in_pty(d, ["charger", "CP1"], 40)
    c(any("connectors:" in l for l in lines), "charger ID in a terminal: the connectors table")
    c(max(len(l) for l in lines if l.startswith("  ")) <= 40,
      "the tables inside `charger ID` fit 40 columns, indent included: %r" % lines)

    # ---- charger rm ----
    expect(ctl(d, "charger", "rm", "NOPE"), 1, "charger rm: unknown", err=["error 404", "no charger 'NOPE'"])
    expect(ctl(d, "charger", "rm", "CP1"), 1, "charger rm: connected", err=["409", "InUse", "force=true"])
    cp.call(json.dumps([2, "t2", "StartTransaction", {"connectorId": 1, "idTag": "FREE", "meterStart": 3000,
                                                      "timestamp": "2024-06-01T11:00:00Z"}]))
    tx2 = d.get("/api/v1/transactions?active=true")[1][0]["id"]
    expect(ctl(d, "charger", "rm", "CP1", "--force"), 0, "charger rm --force",
           out=["CP1: deleted", "transactions closed: %d" % tx2, "disconnected"])
    c.eq(d.get("/api/v1/chargers/CP1")[0], 404, "CP1 is gone")
    expect(ctl(d, "charger", "rm", "CP9"), 0, "charger rm", out=["CP9: deleted"])
    expect(ctl(d, "charger", "rm"), 2, "charger rm without ID", err=["usage:"])
    expect(ctl(d, "charger", "rm", "X", "--forse"), 2, "charger rm: a wrong option", err=["unknown option '--forse'"])

    # ---- sites ----
    expect(ctl(d, "site", "set", "garage", "name=Garage", "breakerA=16", "sensor.type=api"), 0, "site set: create",
           out=["Garage", "16"])
    o = expect(ctl(d, "sites"), 0, "sites", out=["ID", "BREAKER A", "default", "garage", "Garage"])
    row = [l for l in o.splitlines() if l.startswith("garage")]
    c(row and "16" in row[0] and "api" in row[0] and " no" in row[0], "the garage's row: %r" % row)
    expect(ctl(d, "site", "garage"), 0, "site ID", out=["breakerA", "16"])
    expect(ctl(d, "site", "set", "garage", "breakerA=0"), 1, "site set: a bad breaker", err=["error 400", "breakerA"])
    c.eq(d.get("/api/v1/sites/garage")[1]["breakerA"], 16, "unchanged")
    expect(ctl(d, "site", "rm", "default"), 1, "site rm: the default site", err=["409"])
    expect(ctl(d, "site", "rm", "garage"), 0, "site rm", out=["garage: deleted"])
    expect(ctl(d, "site", "nope"), 1, "site: unknown", err=["404"])
    expect(ctl(d, "site", "set", "x"), 2, "site set without KEY=VALUE", err=["usage:"])
except Exception as e:
    import traceback
    c(False, "exception: %s\n%s" % (traceback.format_exc(), d.logtext()[-3000:]))
finally:
    if cp:
        cp.close()
    c.eq(d.stop(), 0, "csmsd exits 0")
    d.cleanup()
c.done()
