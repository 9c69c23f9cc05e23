#!/usr/bin/env python3
"""make_seeds.py: writes the starting corpora (valid and near-valid inputs
from the integration tests and the OCPP 1.6 spec) into DIR/<target>/.
Usage: make_seeds.py DIR"""
import json, os, sys

out = sys.argv[1]
TS = "2026-01-01T10:00:00Z"

def put(target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

def call(mid, action, payload):
    return json.dumps([2, mid, action, payload], separators=(",", ":"))

# --- ocppj: CP -> CS CALLs (flags byte, call byte, frames split by 0xFF)
cp = [
    ("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M", "chargePointSerialNumber": "S",
                          "firmwareVersion": "1.0", "meterType": "T"}),
    ("Heartbeat", {}),
    ("Authorize", {"idTag": "TAG1"}),
    ("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Charging", "timestamp": TS}),
    ("StatusNotification", {"connectorId": 0, "errorCode": "GroundFailure", "status": "Faulted",
                            "info": "x", "vendorErrorCode": "E1"}),
    ("StartTransaction", {"connectorId": 1, "idTag": "TAG1", "meterStart": 100, "timestamp": TS,
                          "reservationId": 5}),
    ("StopTransaction", {"transactionId": 1, "meterStop": 2000, "timestamp": TS, "idTag": "TAG1",
                         "reason": "Local", "transactionData": [{"timestamp": TS, "sampledValue": [
                             {"value": "2000", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}]}),
    ("MeterValues", {"connectorId": 1, "transactionId": 1, "meterValue": [{"timestamp": TS, "sampledValue": [
        {"value": "7.5", "measurand": "Current.Import", "phase": "L1", "unit": "A"},
        {"value": "7400", "measurand": "Power.Active.Import", "unit": "W"},
        {"value": "1234", "measurand": "Energy.Active.Import.Register", "unit": "kWh", "context": "Sample.Periodic"},
        {"value": "230", "measurand": "Voltage", "phase": "L1-N"},
        {"value": "55", "measurand": "SoC", "unit": "Percent"}]}]}),
    ("DataTransfer", {"vendorId": "com.x", "messageId": "m", "data": "{\"a\":1}"}),
    ("DiagnosticsStatusNotification", {"status": "Uploaded"}),
    ("FirmwareStatusNotification", {"status": "Installed"}),
    ("SecurityEventNotification", {"type": "FirmwareUpdated", "timestamp": TS, "techInfo": "x"}),
    ("SignCertificate", {"csr": "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----"}),
    ("LogStatusNotification", {"status": "Uploaded", "requestId": 1}),
    ("SignedFirmwareStatusNotification", {"status": "Installed", "requestId": 1}),
]
for i, (a, p) in enumerate(cp):
    put("ocppj", "cp-%02d-%s" % (i, a), b"\x00\x00" + call("m%d" % i, a, p).encode())
# a session: start, meter values, stop in one input
sessionf = b"\xff".join(call("m%d" % i, a, p).encode() for i, (a, p) in enumerate(cp[2:8]))
put("ocppj", "session", b"\x06\x00" + sessionf)
bad = ['not json', '[2,"m1","Heartbeat",{', '{"a":1}', '[2,"m2","Heartbeat"]', '[2,"m3","Heartbeat",[]]',
       '[2,7,"Heartbeat",{}]', '[9,"m4","Heartbeat",{}]', '[2,"m5","FlyToTheMoon",{}]',
       '[2,"m6","Reset",{"type":"Hard"}]', '[3,"x",{}]', '[4,"x","NotSupported","",{}]',
       '[2,"' + "i" * 40 + '","Heartbeat",{}]', '[2,"m10","MeterValues",{"connectorId":1,"meterValue":'
       '[{"timestamp":"yesterday","sampledValue":[{"value":"1"}]}]}]']
for i, b in enumerate(bad):
    put("ocppj", "bad-%02d" % i, b"\x00\x00" + b.encode())
# answers to our CALLs (flag 1: the CALL of byte 1 is in flight)
answers = {
    0: {"status": "Accepted"}, 1: {"status": "Rejected"},
    2: {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}], "unknownKey": ["X"]},
    3: {"configurationKey": [{"key": "HeartbeatInterval", "readonly": True}]},
    4: {"status": "RebootRequired"}, 5: {"status": "Accepted"}, 6: {"status": "Accepted"},
    7: {"status": "Accepted"}, 8: {"listVersion": 3}, 9: {"status": "VersionMismatch"},
    10: {"status": "Accepted", "data": "x"}, 11: {"status": "Unlocked"}, 12: {"status": "Scheduled"},
    13: {"status": "Accepted", "connectorId": 1, "scheduleStart": TS, "chargingSchedule": {
        "chargingRateUnit": "W", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 11000.5, "numberPhases": 3}]}},
    14: {"status": "Accepted"}, 15: {"status": "Accepted"}, 16: {"status": "Rejected"},
    17: {"status": "Unknown"}, 18: {"fileName": "diag.zip"}, 19: {}, 20: {"status": "Accepted"},
    21: {"status": "Accepted", "filename": "log"}, 22: {"status": "Accepted", "certificateHashData": [
        {"hashAlgorithm": "SHA256", "issuerNameHash": "a", "issuerKeyHash": "b", "serialNumber": "1"}]},
}
for k, v in answers.items():
    put("ocppj", "ans-%02d" % k, bytes([1, k]) + json.dumps([3, "@ID@", v], separators=(",", ":")).encode())
    put("ocppj", "err-%02d" % k, bytes([3 if k % 2 else 5, k]) +
        json.dumps([4, "@ID@", "NotSupported", "no", {"k": k}]).encode())

# --- schema: one valid payload per action/direction seen above
for i, (a, p) in enumerate(cp):
    put("schema", "cp-%02d" % i, json.dumps(p))
for k, v in answers.items():
    put("schema", "ans-%02d" % k, json.dumps(v))
put("schema", "nested", '{"a":[1,2.5,-3e10,true,null,{"b":"\\u00e9\\ud83d\\ude00"}],"c":"x"}')

# --- time
for i, t in enumerate([TS, "2026-01-01T10:00:00.123Z", "2026-02-29T10:00:00+01:30", "2024-12-31T23:59:60Z",
                       "2026-01-01T10:00:00", "2026-01-01", "1970-01-01T00:00:00-00:00",
                       "9999-12-31T23:59:59.999999999Z", "2026-01-01t10:00:00z", "2026-13-40T25:61:61Z"]):
    put("time", "iso-%02d" % i, b"\x00" + t.encode())
keys = [("dlm_breaker_a", "32.5"), ("heartbeat_interval", "300"), ("dlm_meter_map",
        "l1_current=4:0x0006:float32:abcd:1,sign=power"), ("unknown_chargers", "pending"),
        ("log_level", "debug"), ("station_map", "victron-gx"), ("dlm_sensor", "modbus-tcp"),
        ("max_frame", "65536"), ("dlm_stale_s", "1e308"), ("ws_port", "-1")]
for i, (k, v) in enumerate(keys):
    put("time", "cfg-%02d" % i, bytes([1, i]) + v.encode())

# --- meter_map: byte 0 selects dlm map / station map / station JSON
for i, m in enumerate(["l1_current=4:0x0006:float32:abcd:1,l2_current=4:8:float32:cdab:0.001,"
                       "l3_current=3:10:int16::0.1,l1_power=4:12:int32:abcd:-1,power_total=4:52:uint32,sign=power",
                       "l1_voltage=4:0:uint16", "sdm630", ""]):
    put("meter_map", "dlm-%02d" % i, b"\x00" + m.encode())
for i, m in enumerate(["pv_power=4:0x10:uint32, bat_soc=3:843:uint16, grid_power=3:820:int16:abcd:-1, "
                       "bat_setpoint=16:2700:int16, load=5:100:coil:0, enable=6:5:1, load_gross",
                       "victron-gx", "pv3_power=4:1:float32:cdab:0.5,house_load=3:2:int32"]):
    put("meter_map", "src-%02d" % i, b"\x01" + m.encode())
st = {"mode": "solar", "battery": {"capacityKwh": 10, "maxChargeW": 5000}, "chargers": [{"id": "CP1", "mode": "fast"}],
      "confirm": True}
put("meter_map", "json-00", b"\x02" + json.dumps(st).encode())
settings = os.path.join(os.path.dirname(__file__), "../../station/days/settings.json")
if os.path.exists(settings):
    put("meter_map", "json-01", b"\x02" + open(settings, "rb").read())

# --- admin: method byte, then "path\nquery\nbody"
admin = [
    (0, "/api/v1/health", "", ""), (0, "/api/v1/chargers", "", ""), (0, "/api/v1/chargers/CP1", "", ""),
    (2, "/api/v1/chargers/CP1", "", '{"maxCurrentA":16,"phases":3}'), (1, "/api/v1/chargers/CP2/accept", "", ""),
    (1, "/api/v1/chargers/CP2/reject", "", ""), (1, "/api/v1/chargers/CP1/ocpp/Reset", "", '{"type":"Soft"}'),
    (1, "/api/v1/chargers/CP1/ocpp/GetConfiguration", "", '{}'),
    (1, "/api/v1/chargers/CP1/ocpp/SetChargingProfile", "", json.dumps({"connectorId": 1, "csChargingProfiles": {
        "chargingProfileId": 7, "stackLevel": 1, "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Absolute", "chargingSchedule": {"chargingRateUnit": "A",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]}}})),
    (0, "/api/v1/chargers/CP1/configuration", "", ""), (0, "/api/v1/chargers/CP1/profiles", "", ""),
    (0, "/api/v1/chargers/CP1/firmware", "", ""), (0, "/api/v1/chargers/CP1/local-list", "", ""),
    (1, "/api/v1/chargers/CP1/local-list", "", '{"updateType":"Full","entries":[{"idTag":"A"}]}'),
    (0, "/api/v1/reservations", "charger=CP1&active=1", ""), (0, "/api/v1/audit", "charger=CP1&limit=3", ""),
    (0, "/api/v1/alarms", "", ""), (0, "/api/v1/diagnosis", "", ""), (0, "/metrics", "", ""),
    (0, "/api/v1/id-tags", "", ""), (0, "/api/v1/id-tags/TAG1", "", ""),
    (2, "/api/v1/id-tags/TAG1", "", '{"status":"Accepted","expiryDate":"2030-01-01T00:00:00Z","maxActiveTx":2}'),
    (3, "/api/v1/id-tags/TAG1", "", ""), (0, "/api/v1/transactions", "charger=CP1&limit=5&from=2026-01-01T00:00:00Z", ""),
    (0, "/api/v1/transactions.csv", "", ""), (0, "/api/v1/transactions/1", "", ""),
    (0, "/api/v1/dlm", "", ""), (2, "/api/v1/dlm", "", '{"breakerA":40,"enabled":true}'),
    (2, "/api/v1/dlm/readings", "", '{"currentA":[10,11,12],"voltageV":[230,230,230]}'),
    (0, "/api/v1/station", "", ""), (2, "/api/v1/station", "", json.dumps(st)),
    (2, "/api/v1/station/measurements", "", '{"pvW":3000,"socPct":50,"batteryW":0,"gridW":100,"loadW":500}'),
    (2, "/api/v1/station/prices", "", '{"start":"2026-01-01T00:00:00Z","slotMinutes":60,"prices":[0.1,0.2,0.3]}'),
]
for i, (m, p, q, b) in enumerate(admin):
    put("admin", "req-%02d" % i, bytes([m]) + ("%s\n%s\n%s" % (p, q, b)).encode())
