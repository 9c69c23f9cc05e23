#!/usr/bin/python3
"""Self-tests of the charge point tools (cpsim, loadgen) against
tests/integration/fake_csms.js, an ocpp-rpc central system in strict mode,
so the tools are known good before csmsd runs.

usage: selftest.py CASE --bin DIR --integration DIR
Exit 0 pass, 1 fail, 77 skipped (no node or no node_modules).
"""
import argparse
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time

SKIP = 77


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


class Fake:
    """fake_csms.js on a free port; stop() returns (exit code, stats)."""

    def __init__(self, integ, *args, port=0):
        self.p = subprocess.Popen(
            ["node", os.path.join(integ, "fake_csms.js"), "--port", str(port), *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=integ)
        deadline = time.time() + 20
        line = ""
        while time.time() < deadline:
            r, _, _ = select.select([self.p.stdout], [], [], 0.5)
            if r:
                line = self.p.stdout.readline()
                break
            if self.p.poll() is not None:
                break
        if not line.startswith("listening "):
            err = self.p.stderr.read() if self.p.poll() is not None else ""
            self.p.kill()
            raise Fail(f"fake_csms did not start: {line!r} {err}")
        self.port = int(line.split()[1])

    def url(self, path="/ocpp"):
        return f"ws://127.0.0.1:{self.port}{path}"

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        try:
            out, err = self.p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            out, err = self.p.communicate()
        lines = [l for l in out.splitlines() if l.startswith("{")]
        stats = json.loads(lines[-1]) if lines else None
        if self.p.returncode != 0 or stats is None:
            sys.stderr.write(err[-4000:])
        return self.p.returncode, stats


def run(cmd, timeout=60, stdin=None):
    r = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=timeout)
    if r.stderr:
        sys.stderr.write(r.stderr[-3000:])
    return r


def session(bin_dir, url, *args, timeout=60):
    r = run([os.path.join(bin_dir, "cpsim"), "session", "--url", url, *args], timeout=timeout)
    try:
        return r.returncode, json.loads(r.stdout)
    except ValueError:
        raise Fail(f"cpsim session printed no JSON (exit {r.returncode}): {r.stdout[:500]}")


def raw(bin_dir, url, lines, *args, timeout=30):
    r = run([os.path.join(bin_dir, "cpsim"), "raw", "--url", url, *args],
            stdin="".join(l + "\n" for l in lines), timeout=timeout)
    return r.returncode, r.stdout.splitlines()


def fake_clean(stats, code):
    check(code == 0, f"fake_csms exited {code}: {json.dumps(stats)[:1500]}")
    check(stats["violations"] == 0, f"schema violations: {stats['violationList']}")
    check(stats["badMessages"] == 0, f"bad messages: {stats['badMessageList']}")


# ---------------------------------------------------------------- cases

def case_session(a):
    """Two chargers, three connectors, two transactions each, while the fake
    sends every Central-System-initiated action and checks the answers."""
    fake = Fake(a.integration, "--admin-calls", "--quiet")
    try:
        rc, s = session(a.bin, fake.url(), "--id", "SES", "--ids", "2", "--connectors", "3",
                        "--transactions", "2", "--meter-values", "3", "--interval-ms", "20",
                        "--stay", "3")
    finally:
        code, st = fake.stop()
    check(rc == 0 and s["ok"], f"session failed: {json.dumps(s)[:2000]}")
    check([c["id"] for c in s["chargers"]] == ["SES1", "SES2"], "charger ids")
    ids = set()
    for c in s["chargers"]:
        check(c["accepted"] and c["errors"] == 0, f"{c['id']}: {c['errorList']}")
        txs = c["transactions"]
        check(len(txs) == 6, f"{c['id']}: {len(txs)} transactions, want 6")
        for t in txs:
            check(t["completed"] and isinstance(t["transactionId"], int), f"incomplete {t}")
            check(t["meterStop"] - t["meterStart"] == 3 * 37, f"energy of {t}")
            check(t["meterValues"] == 3 and t["stopReason"] == "Local", f"{t}")
            ids.add(t["transactionId"])
        for conn in (1, 2, 3):
            mine = sorted((t for t in txs if t["connectorId"] == conn), key=lambda t: t["meterStart"])
            check(len(mine) == 2 and mine[1]["meterStart"] == mine[0]["meterStop"],
                  f"energy register of connector {conn} not continuous")
        lim = {l["connectorId"]: l for l in c["limits"]}
        check(lim.get(0, {}).get("limit") == 13.5 and lim[0]["unit"] == "A"
              and lim[0]["numberPhases"] == 3, f"limit of connector 0: {c['limits']}")
        check(lim.get(1, {}).get("limit") == 10, f"limit of connector 1: {c['limits']}")
        check(c["localListVersion"] == 5, "SendLocalList version not kept")
        check(c["serverCalls"] >= 34, f"server calls {c['serverCalls']}")
    check(len(ids) == 12, "transaction ids not distinct")
    fake_clean(st, code)
    check(st["admin"]["completed"] == 2 and st["admin"]["failed"] == 0,
          f"admin battery: {st['admin']}")
    check(st["transactions"]["started"] == 12 and st["transactions"]["stopped"] == 12,
          f"fake saw {st['transactions']}")
    check(all(v == 111 for v in st["energyWh"].values()), f"energy {st['energyWh']}")
    calls = st["calls"]
    check(calls.get("FirmwareStatusNotification", 0) >= 8, "UpdateFirmware notifications")
    check(calls.get("SignedFirmwareStatusNotification", 0) >= 10, "SignedUpdateFirmware notifications")
    check(calls.get("DiagnosticsStatusNotification", 0) >= 4, "GetDiagnostics notifications")
    check(calls.get("LogStatusNotification", 0) >= 6, "GetLog/trigger notifications")
    check(calls.get("SignCertificate", 0) >= 2, "triggered SignCertificate")
    check(calls.get("Heartbeat", 0) >= 4, "heartbeat after boot and triggered")
    # 15 sampled values per MeterValues of a session (1+4 power, 3 I, 3 U, SoC, T)
    check(st["sampledValues"] >= 15 * st["meterValues"] - 15 * 10, "sampled values")


def case_remote(a):
    """RemoteStart, MeterValues, RemoteStop (reason Remote), Reset (re-boot)."""
    fake = Fake(a.integration, "--remote", "--quiet")
    try:
        rc, s = session(a.bin, fake.url(), "--id", "REM", "--connectors", "2",
                        "--transactions", "0", "--stay", "5", "--remote-mv-ms", "200")
    finally:
        code, st = fake.stop()
    check(rc == 0 and s["ok"], f"session failed: {json.dumps(s)[:2000]}")
    fake_clean(st, code)
    check(st["remote"]["completed"] == 1, f"remote scenario: {st['remote']}")
    txs = s["chargers"][0]["transactions"]
    check(len(txs) == 1 and txs[0]["remote"] and txs[0]["stopReason"] == "Remote"
          and txs[0]["idTag"] == "REMOTE1" and txs[0]["meterValues"] >= 2, f"{txs}")
    check(st["calls"]["BootNotification"] == 2, "no second boot after Reset")


def case_raw(a):
    """Frames go out exactly as typed; answers come back one per line."""
    fake = Fake(a.integration, "--quiet")
    cp = a.bin
    try:
        rc, out = raw(cp, fake.url("/ocpp/RAW1"), [
            '[2,"b1","BootNotification",{"chargePointVendor":"v","chargePointModel":"m"}]',
            '#sleep 200',
            'not json',
            '#sleep 200',
            '[2,"h1","Heartbeat",{"extra":1}]',
            '#sleep 200',
            '#ping',
            '#big 3000',
            '#sleep 300',
            '#close'])
        check(rc == 0, f"raw exit {rc}")
        check(out[0] == "#connected", f"first line {out[:1]}")
        frames = [json.loads(l) for l in out[1:-1]]
        check(len(frames) == 4, f"want 4 frames, got {out}")
        check(frames[0][0] == 3 and frames[0][1] == "b1" and frames[0][2]["status"] == "Accepted",
              f"boot answer {frames[0]}")
        check(frames[1][0] == 4, f"not json answered {frames[1]}")
        check(frames[2][0] == 4 and frames[2][1] == "h1" and frames[2][2] ==
              "PropertyConstraintViolation", f"bad heartbeat answered {frames[2]}")
        check(frames[3][0] == 3 and frames[3][1] == "big" and len(frames[3][2]["data"]) > 2900,
              f"big frame answered {str(frames[3])[:200]}")
        check(out[-1] == "#closed 1000", f"last line {out[-1]}")
        # stdin closing ends the session cleanly after the drain
        rc, out = raw(cp, fake.url("/ocpp/RAW2"), ['[2,"x","Heartbeat",{}]'])
        check(rc == 0 and out[0] == "#connected" and json.loads(out[1])[1] == "x"
              and out[-1].startswith("#closed"), f"eof run: {rc} {out}")
        rc, out = raw(cp, fake.url("/ocpp/RAW3"), [], "--no-subprotocol")
        check(rc == 3 and out and out[0].startswith("#refused"), f"no subprotocol: {rc} {out}")
        rc, out = raw(cp, "ws://127.0.0.1:1/ocpp/X", [])
        check(rc == 3 and out[0].startswith("#refused"), f"closed port: {rc} {out}")
        rc, out = raw(cp, "http://nope", [])
        check(rc == 2, "bad url must be a usage error")
    finally:
        code, st = fake.stop()
    # the fake saw exactly the violations we sent on purpose
    check(st["violations"] == 1 and st["badMessages"] == 1, f"fake stats {st}")
    check(st["refused"] == 1, "no-subprotocol handshake not refused")
    fake = Fake(a.integration, "--quiet", "--password", "s3cret")
    try:
        rc, out = raw(cp, fake.url("/ocpp/AUTH1"), [], "--basic", "AUTH1:s3cret")
        check(rc == 0 and out[0] == "#connected", f"basic auth: {rc} {out}")
        rc, out = raw(cp, fake.url("/ocpp/AUTH1"), [], "--basic", "AUTH1:wrong")
        check(rc == 3 and out[0].startswith("#refused"), f"wrong password: {rc} {out}")
        rc, s = session(cp, fake.url(), "--id", "AUTH2", "--connectors", "1",
                        "--meter-values", "1", "--password", "s3cret")
        check(rc == 0 and s["ok"], f"session with --password: {s}")
    finally:
        code, st = fake.stop()
    fake_clean(st, code)


def case_refusals(a):
    """cpsim must notice what goes wrong: refused tags, pending boots."""
    fake = Fake(a.integration, "--reject-tag", "BADTAG", "--pending-boots", "2", "--quiet")
    try:
        rc, s = session(a.bin, fake.url(), "--id", "NEG", "--connectors", "1",
                        "--id-tag", "BADTAG", "--boot-retry-ms", "200")
        c = s["chargers"][0]
        check(rc == 1 and not s["ok"], "a refused idTag must fail the session")
        check(any("Authorize answered Invalid" in e for e in c["errorList"]), f"{c['errorList']}")
        check(c["accepted"], "boot after two Pending answers")
        rc, s = session(a.bin, fake.url(), "--id", "NEG2", "--connectors", "1",
                        "--id-tag", "BADTAG", "--allow-refused", "--boot-retry-ms", "200")
        check(rc == 0 and s["ok"], f"--allow-refused: {s}")
        rc, s = session(a.bin, fake.url(), "--id", "NEG3", "--connectors", "1",
                        "--boot-retries", "1", "--boot-retry-ms", "100")
        check(rc == 1 and not s["chargers"][0]["accepted"], "boot retries must be bounded")
        rc, s = session(a.bin, fake.url(), "--id", "NEG4", "--no-subprotocol")
        check(rc == 1 and "refused" in " ".join(s["chargers"][0]["errorList"]), f"{s}")
    finally:
        code, st = fake.stop()
    fake_clean(st, code)
    check(st["calls"]["BootNotification"] >= 7, "pending boots not retried")
    # an answer outside the schema is an error for cpsim and for loadgen
    fake = Fake(a.integration, "--quiet", "--bad-boot-for", "BADBOOT")
    try:
        rc, s = session(a.bin, fake.url(), "--id", "BADBOOT", "--connectors", "1")
        r = run([os.path.join(a.bin, "loadgen"), "--url", fake.url(), "--chargers", "1",
                 "--prefix", "BADBOOT", "--duration", "1", "--boot-wait", "1"], timeout=30)
    finally:
        fake.stop()
    check(rc == 1 and any("invalid CALLRESULT" in e and "interval" in e
                          for e in s["chargers"][0]["errorList"]), f"bad boot answer: {s}")
    j = json.loads([l for l in r.stdout.splitlines() if l.startswith("{")][-1])
    check(r.returncode == 1 and j["errors"] >= 1 and j["booted"] == 0, f"loadgen on a bad boot: {j}")


def case_reconnect(a):
    """The central system goes away mid-transaction and comes back on the same
    port: cpsim reconnects, boots, resends and completes with the right energy."""
    fake = Fake(a.integration, "--quiet")
    port = fake.port
    cmd = [os.path.join(a.bin, "cpsim"), "session", "--url", fake.url(), "--id", "RC",
           "--connectors", "1", "--meter-values", "12", "--interval-ms", "250",
           "--reconnect", "--call-timeout-ms", "5000", "--timeout", "40"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.2)
        code, st1 = fake.stop()
        check(st1["transactions"]["started"] == 1, f"first fake: {st1['transactions']}")
        time.sleep(0.8)
        fake = Fake(a.integration, "--quiet", port=port)
        out, err = p.communicate(timeout=40)
    finally:
        if p.poll() is None:
            p.kill()
        code2, st2 = fake.stop()
    sys.stderr.write(err[-2000:])
    s = json.loads(out)
    c = s["chargers"][0]
    check(p.returncode == 0 and s["ok"], f"session failed: {json.dumps(s)[:2000]}")
    check(c["reconnects"] >= 1, "no reconnect counted")
    t = c["transactions"]
    check(len(t) == 1 and t[0]["completed"] and t[0]["meterStop"] - t[0]["meterStart"] == 12 * 37
          and t[0]["meterValues"] == 12, f"{t}")
    check(st2["calls"].get("BootNotification", 0) == 1 and st2["calls"].get("StopTransaction") == 1,
          f"second fake: {st2['calls']}")
    fake_clean(st2, code2)


def case_loadgen(a):
    fake = Fake(a.integration, "--quiet")
    try:
        r = run([os.path.join(a.bin, "loadgen"), "--url", fake.url(), "--chargers", "50",
                 "--duration", "3", "--ramp-per-s", "200", "--pid", str(fake.p.pid)], timeout=60)
    finally:
        code, st = fake.stop()
    sys.stdout.write(r.stdout)
    lines = [l for l in r.stdout.splitlines() if l.startswith("{")]
    check(r.returncode == 0 and lines, f"loadgen exit {r.returncode}")
    j = json.loads(lines[-1])
    check(j["booted"] == 50 and j["connected"] == 50, f"connections {j}")
    check(j["acked"] > 50 and j["ackPerS"] > 0 and j["errors"] == 0, f"{j}")
    check(0 < j["p50Ms"] <= j["p99Ms"] <= j["maxMs"] + 0.01, f"latencies {j}")
    check(j["rssKiB"] > 0, "VmRSS of --pid not read")
    fake_clean(st, code)
    check(st["meterValues"] >= j["acked"], "fake saw fewer MeterValues than acknowledged")
    # 6 measurands over 3 phases: E, P, P L1-3, I L1-3, U L1-3, PF L1-3, f = 15
    check(st["sampledValues"] == 15 * st["meterValues"], "MeterValues shape")

    j2 = json.loads([l for l in run([os.path.join(a.bin, "loadgen"), "--url", "ws://127.0.0.1:1/ocpp",
                                     "--chargers", "3", "--duration", "1", "--boot-wait", "1"],
                                    timeout=30).stdout.splitlines() if l.startswith("{")][-1])
    check(j2["failed"] == 3 and j2["acked"] == 0, f"unreachable server: {j2}")


def case_ocpp_rpc(a):
    """ocpp_rpc_session.js (strict ocpp-rpc client) against the strict fake:
    a complete session, then every server-initiated action and a remote
    transaction answered while it stays."""
    fake = Fake(a.integration, "--admin-calls", "--remote", "--quiet")
    try:
        r = run(["node", os.path.join(a.integration, "ocpp_rpc_session.js"), fake.url(), "RPC1",
                 "--stay", "6", "--quiet"], timeout=60)
    finally:
        code, st = fake.stop()
    s = json.loads(r.stdout)
    check(r.returncode == 0 and s["ok"], f"rpc session: {json.dumps(s)[:3000]}")
    check(not s["violations"] and isinstance(s["transactionId"], int), f"{s}")
    done = {x["action"] for x in s["steps"] if x["ok"]}
    for want in ("BootNotification", "Heartbeat", "StatusNotification", "Authorize", "StartTransaction",
                 "MeterValues", "StopTransaction", "DataTransfer", "DiagnosticsStatusNotification",
                 "FirmwareStatusNotification", "SecurityEventNotification",
                 "SignedFirmwareStatusNotification", "LogStatusNotification"):
        check(want in done, f"step {want} missing")
    check(len(s["handled"]) >= 25, f"handled only {sorted(s['handled'])}")
    check(s["remoteTransactions"] and s["remoteTransactions"][0]["reason"] == "Remote",
          f"remote: {s['remoteTransactions']}")
    fake_clean(st, code)
    check(st["admin"]["completed"] == 1 and st["remote"]["completed"] == 1, f"{st['admin']} {st['remote']}")
    # a strict client must notice a server answering outside the schema: the
    # fake answers BootNotification of charger BADBOOT with a bad interval
    fake = Fake(a.integration, "--quiet", "--bad-boot-for", "BADBOOT")
    try:
        r = run(["node", os.path.join(a.integration, "ocpp_rpc_session.js"), fake.url(), "BADBOOT",
                 "--quiet"], timeout=60)
    finally:
        fake.stop()
    s = json.loads(r.stdout)
    check(r.returncode == 1 and not s["ok"] and s["violations"], f"violation not noticed: {s}")


CASES = {n[5:]: f for n, f in globals().items() if n.startswith("case_")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=sorted(CASES))
    ap.add_argument("--bin", required=True)
    ap.add_argument("--integration", required=True)
    a = ap.parse_args()
    if not shutil.which("node"):
        print("SKIP: node is not installed")
        return SKIP
    if not os.path.isdir(os.path.join(a.integration, "node_modules", "ocpp-rpc")):
        print(f"SKIP: {a.integration}/node_modules is missing: run `npm ci` in tests/integration")
        return SKIP
    try:
        CASES[a.case](a)
    except Fail as e:
        print(f"FAIL {a.case}: {e}")
        return 1
    print(f"PASS {a.case}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
