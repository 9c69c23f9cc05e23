"""Every Central-System-initiated OCPP 1.6 action (Core, FirmwareManagement,
LocalAuthListManagement, Reservation, SmartCharging, RemoteTrigger and the
security extension) through POST /api/v1/chargers/{id}/ocpp/{Action}, end
to end: against our simulator (cpsim session --stay) and against the
independent ocpp-rpc client in strict mode, whose schema checks must pass on
every request we send. Then what the answers mean (availability,
configuration, reservations, local list, profiles, firmware progress), the
audit rows of every call and /metrics."""
import json
import os
import shutil
import subprocess
import time
from datetime import datetime, timedelta, timezone
from harness import BUILD, HERE, Csmsd, Checks

c = Checks()


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def actions(conn, tx_id, soon):
    """(action, payload, check of the result) for every CS-initiated action,
    in an order that leaves the charger usable (Reset last)."""
    st = lambda *ok: (lambda r: r.get("status") in ok)
    hashdata = {"hashAlgorithm": "SHA256", "issuerNameHash": "ab" * 32, "issuerKeyHash": "cd" * 32,
                "serialNumber": "01"}
    profile = {"chargingProfileId": 31, "stackLevel": 2, "chargingProfilePurpose": "TxDefaultProfile",
               "chargingProfileKind": "Relative",
               "chargingSchedule": {"chargingRateUnit": "A",
                                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}]}}
    return [
        ("ChangeAvailability", {"connectorId": conn, "type": "Inoperative"}, st("Accepted", "Scheduled")),
        ("ChangeAvailability", {"connectorId": conn, "type": "Operative"}, st("Accepted", "Scheduled")),
        ("ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "30"}, st("Accepted", "RebootRequired")),
        ("ChangeConfiguration", {"key": "NoSuchKeyAnywhere", "value": "1"}, st("NotSupported", "Rejected")),
        ("GetConfiguration", {}, lambda r: len(r.get("configurationKey", [])) > 3),
        ("GetConfiguration", {"key": ["HeartbeatInterval", "NoSuchKeyAnywhere"]},
         lambda r: r.get("unknownKey") == ["NoSuchKeyAnywhere"]),
        ("ClearCache", {}, st("Accepted", "Rejected")),
        ("DataTransfer", {"vendorId": "csms-test", "messageId": "m1", "data": "hello"},
         st("Accepted", "Rejected", "UnknownMessageId", "UnknownVendorId")),
        ("UnlockConnector", {"connectorId": conn}, st("Unlocked", "UnlockFailed", "NotSupported")),
        ("GetDiagnostics", {"location": "ftp://diag.example.com/up/"}, lambda r: True),
        ("UpdateFirmware", {"location": "https://fw.example.com/fw.bin", "retrieveDate": soon}, lambda r: r == {}),
        ("GetLocalListVersion", {}, lambda r: isinstance(r.get("listVersion"), int)),
        ("SendLocalList", {"listVersion": 7, "updateType": "Full", "localAuthorizationList": [
            {"idTag": "LL1", "idTagInfo": {"status": "Accepted"}}]}, st("Accepted")),
        ("GetLocalListVersion", {}, lambda r: r.get("listVersion") == 7),
        ("ReserveNow", {"connectorId": conn, "expiryDate": soon, "idTag": "RES1", "reservationId": 501},
         st("Accepted")),
        ("CancelReservation", {"reservationId": 501}, st("Accepted")),
        ("SetChargingProfile", {"connectorId": conn, "csChargingProfiles": profile}, st("Accepted")),
        ("GetCompositeSchedule", {"connectorId": conn, "duration": 300, "chargingRateUnit": "A"},
         st("Accepted", "Rejected")),
        ("ClearChargingProfile", {"id": 99999}, st("Unknown", "Accepted")),
        ("TriggerMessage", {"requestedMessage": "Heartbeat"}, st("Accepted")),
        ("TriggerMessage", {"requestedMessage": "StatusNotification", "connectorId": conn}, st("Accepted")),
        ("RemoteStartTransaction", {"connectorId": conn, "idTag": "REMOTE1"}, st("Accepted")),
        ("RemoteStopTransaction", {"transactionId": tx_id}, st("Accepted")),
        ("CertificateSigned", {"certificateChain": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"},
         st("Accepted", "Rejected")),
        ("DeleteCertificate", {"certificateHashData": hashdata}, st("Accepted", "Failed", "NotFound")),
        ("ExtendedTriggerMessage", {"requestedMessage": "Heartbeat"}, st("Accepted", "Rejected", "NotImplemented")),
        ("GetInstalledCertificateIds", {"certificateType": "CentralSystemRootCertificate"},
         st("Accepted", "NotFound")),
        ("GetLog", {"logType": "DiagnosticsLog", "requestId": 9, "log": {"remoteLocation": "ftp://log.example.com/"}},
         st("Accepted", "Rejected", "AcceptedCanceled")),
        ("InstallCertificate", {"certificateType": "ManufacturerRootCertificate",
                                "certificate": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"},
         st("Accepted", "Failed", "Rejected")),
        ("SignedUpdateFirmware", {"requestId": 11, "firmware": {"location": "https://fw.example.com/s.bin",
                                                                 "retrieveDateTime": soon,
                                                                 "signingCertificate": "CERT", "signature": "SIG"}},
         st("Accepted", "Rejected", "AcceptedCanceled", "InvalidCertificate", "RevokedCertificate")),
        ("Reset", {"type": "Soft"}, st("Accepted")),
    ]


def wait(cond, timeout=10, step=0.1):
    end = time.time() + timeout
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(step)
    return cond()


def active_tx(d, cp):
    st, txs = d.get("/api/v1/transactions?charger=%s&active=true" % cp)
    return txs[0]["id"] if st == 200 and txs else None


def run_actions(d, cp, conn, label):
    """Sends every action; returns the set of actions answered 200 and checked."""
    soon = iso(datetime.now(timezone.utc) + timedelta(minutes=30))
    done = set()
    for action, payload, check in actions(conn, 0, soon):
        if action == "RemoteStopTransaction":
            tx = wait(lambda: active_tx(d, cp), 10)
            c(tx, "%s: the remote start made a transaction" % label)
            payload = {"transactionId": tx or 0}
        st, body = d.post("/api/v1/chargers/%s/ocpp/%s" % (cp, action), payload)
        ok = st == 200 and isinstance(body.get("result"), dict) and check(body["result"])
        c(ok, "%s: %s %s -> %s %s" % (label, action, json.dumps(payload)[:80], st, body))
        if ok:
            done.add(action)
        if action == "RemoteStopTransaction":
            wait(lambda: not active_tx(d, cp), 10)
    return done


ALL = {"CancelReservation", "CertificateSigned", "ChangeAvailability", "ChangeConfiguration", "ClearCache",
       "ClearChargingProfile", "DataTransfer", "DeleteCertificate", "ExtendedTriggerMessage", "GetCompositeSchedule",
       "GetConfiguration", "GetDiagnostics", "GetInstalledCertificateIds", "GetLocalListVersion", "GetLog",
       "InstallCertificate", "RemoteStartTransaction", "RemoteStopTransaction", "ReserveNow", "Reset",
       "SendLocalList", "SetChargingProfile", "SignedUpdateFirmware", "TriggerMessage", "UnlockConnector",
       "UpdateFirmware"}


def connected(d, cp):
    st, ch = d.get("/api/v1/chargers/%s" % cp)
    return st == 200 and ch["connected"] and ch["registration"] == "accepted" and ch["connectors"]


d = Csmsd(unknown_chargers="accept", unknown_id_tags="accept", max_active_tx=100, call_timeout=10)
sim = rpc = None
try:
    # ---- our simulator
    sim = subprocess.Popen([os.path.join(BUILD, "tests", "cpsim"), "session", "--url", d.url, "--id", "SIMC",
                            "--connectors", "2", "--transactions", "0", "--stay", "25", "--remote-mv-ms", "200",
                            "--timeout", "60"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    node = shutil.which("node")
    rpc = None
    if not node or not os.path.isdir(os.path.join(HERE, "node_modules", "ocpp-rpc")):
        print("SKIP ocpp-rpc part: node or tests/integration/node_modules missing")
    else:
        # its own session first (boot, a transaction), then it stays answering
        rpc = subprocess.Popen([node, os.path.join(HERE, "ocpp_rpc_session.js"), d.url, "RPCC", "--stay", "15",
                                "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    c(wait(lambda: connected(d, "SIMC")), "cpsim connected and booted")
    # ---- the strict ocpp-rpc client
    if rpc:
        c(wait(lambda: connected(d, "RPCC") and
               len(d.get("/api/v1/transactions?charger=RPCC&active=false")[1]) >= 1, 20), "ocpp-rpc session ran")
        done = run_actions(d, "RPCC", 1, "ocpp-rpc")
        c.eq(ALL - done, set(), "ocpp-rpc: every action answered")
    done = run_actions(d, "SIMC", 1, "cpsim")
    c.eq(ALL - done, set(), "cpsim: every action answered")

    # what the answers mean
    st, ch = d.get("/api/v1/chargers/SIMC")
    av = {a["connectorId"]: a for a in ch["availability"]}
    c(av.get(1, {}).get("type") == "Operative", "availability of connector 1 kept: %s" % ch["availability"])
    st, cfg = d.get("/api/v1/chargers/SIMC/configuration")
    keys = {k["key"]: k for k in cfg}
    c(keys.get("MeterValueSampleInterval", {}).get("status") in ("Accepted", "RebootRequired") and
      keys["MeterValueSampleInterval"]["requestedValue"] == "30", "ChangeConfiguration outcome kept: %s" %
      keys.get("MeterValueSampleInterval"))
    c(keys.get("NoSuchKeyAnywhere", {}).get("status") in ("NotSupported", "Rejected", "Unknown"),
      "refused key kept")
    c(keys.get("HeartbeatInterval", {}).get("value") is not None and
      isinstance(keys["HeartbeatInterval"]["readonly"], bool), "GetConfiguration keys kept")
    st, res = d.get("/api/v1/reservations?charger=SIMC")
    c(any(r["reservationId"] == 501 and r["status"] == "Cancelled" for r in res), "reservation then cancelled: %s" % res)
    st, ll = d.get("/api/v1/chargers/SIMC/local-list")
    c.eq((ll["version"], ll["reportedVersion"], [e["idTag"] for e in ll["entries"]]), (7, 7, ["LL1"]),
         "local list sent through the raw action kept")
    st, fw = d.get("/api/v1/chargers/SIMC/firmware")
    acts = {h["action"] for h in fw["history"]}
    c({"FirmwareStatusNotification", "DiagnosticsStatusNotification"} <= acts, "firmware/diagnostics history: %s" % acts)
    c(fw["firmwareStatus"] is not None, "firmware status shown")

    st, prof = d.get("/api/v1/chargers/SIMC/profiles")
    c.eq([(p["chargingProfileId"], p["connectorId"], p["chargingProfilePurpose"]) for p in prof],
         [(31, 1, "TxDefaultProfile")], "installed profiles")

    # audit: every call, its answer and latency
    st, rows = d.get("/api/v1/audit?charger=SIMC&limit=1000")
    c(ALL <= {r["action"] for r in rows}, "every action audited")
    r0 = [r for r in rows if r["action"] == "DataTransfer"][0]
    c(r0["request"] == {"vendorId": "csms-test", "messageId": "m1", "data": "hello"} and r0["outcome"] == "result"
      and r0["source"] == "admin" and isinstance(r0["latencyMs"], (int, float)) and r0["result"]["status"],
      "audit row: %s" % r0)
    c.eq(len(d.get("/api/v1/audit?charger=SIMC&action=Reset&limit=1")[1]), 1, "audit filters")
    c.eq(d.get("/api/v1/audit?limit=0")[0], 400, "bad limit 400")

    # metrics
    st, text = d.get("/metrics", raw=True)
    c(st == 200, "metrics 200")
    c('csms_ocpp_messages_total{direction="out",action="Reset",outcome="result"} 2' in text, "out messages counted")
    c('csms_ocpp_messages_total{direction="in",action="BootNotification",outcome="result"}' in text, "in messages counted")
    c('csms_cs_call_latency_seconds_count{action="GetConfiguration"} 4' in text, "latency histogram")
    c("csms_chargers_connected 2" in text and "csms_chargers_known 2" in text, "chargers known/connected")
    for name in ("csms_transactions_active", "csms_energy_delivered_wh_total", "csms_cs_calls_queued",
                 "csms_replies_held", "csms_commits_total", "csms_alarms_active"):
        c(("\n" + name + " ") in text, "metric " + name)
    sim.wait(timeout=60)
    out = sim.stdout.read()
    try:
        summ = json.loads(out)
        c.eq(summ["chargers"][0]["errors"], 0, "cpsim saw no error: %s" % summ["chargers"][0]["errorList"])
    except ValueError:
        c(False, "cpsim output: %s %s" % (out[-300:], sim.stderr.read()[-500:]))

    if rpc:
        out, err = rpc.communicate(timeout=60)
        try:
            summ = json.loads(out.strip().splitlines()[-1])
            c.eq(summ["violations"], [], "no schema violation on any request we sent")
            c.eq(summ["badMessages"], [], "no bad message")
            c(ALL - {"Reset"} <= set(summ["handled"]), "ocpp-rpc handled every action: %s" %
              sorted(ALL - set(summ["handled"])))
            c.eq(rpc.returncode, 0, "ocpp-rpc session ok: %s" % err[-800:])
        except (ValueError, IndexError) as e:
            c(False, "ocpp-rpc output %r: %s %s" % (e, out[-300:], err[-500:]))
    c.eq(d.stop(), 0, "stop")
except Exception as e:
    import traceback
    traceback.print_exc()
    c(False, "exception: %r\n%s" % (e, d.logtext()[-3000:]))
    d.kill()
finally:
    for p in (sim, rpc):
        if p and p.poll() is None:
            p.kill()
    d.cleanup()
c.done()
