"""test_logs.py: logs worth reading (issue 13, item 10). At log_level debug
every OCPP frame in and out is one line (charger, direction, action or
message type, message id, size in bytes; never the payload); at info there
are none. Refused handshakes name the peer address and the path; refused
authorisations (Authorize, StartTransaction) the charger, idTag and status;
an unknown CSMS_ environment variable is named at start, with the closest
setting when there is one, and the image's own variables are not.
log_format json: every line is one JSON object."""
import json
import os
import re
from harness import Csmsd, Raw, Checks, boot_frame, handshake

c = Checks()
env = dict(os.environ, CSMS_HEARTBEAT_INTERVALL="5", CSMS_ZZZ="1", CSMS_DATA_DIR="/nowhere",
           CSMS_URL_FILE="/nowhere/url")
d = Csmsd(unknown_chargers="accept", log_level="debug", env=env)
r = None
try:
    log = d.logtext()
    c("CSMS_HEARTBEAT_INTERVALL is not a setting and is ignored (did you mean CSMS_HEARTBEAT_INTERVAL?)" in log,
      "a misspelt setting is named with the closest key: " + log[:600])
    c(re.search(r"WARN .*CSMS_ZZZ is not a setting and is ignored \(csmsd --help", log) is not None,
      "an unknown variable with no close key is named: " + log[:600])
    c("CSMS_DATA_DIR" not in log and "CSMS_URL_FILE" not in log, "the image's own variables are not warned about")

    r = Raw(d.url + "/CP-LOG")
    boot = boot_frame()
    ans = r.call(boot)
    c.eq(json.loads(ans)[2]["status"], "Accepted", "charger booted")
    hb = '[2,"h1","Heartbeat",{}]'
    hb_ans = r.call(hb)
    bad = r.call('[2,"u1","NoSuchAction",{}]')
    r.call('hello')
    auth = json.loads(r.call('[2,"a1","Authorize",{"idTag":"NOBODY"}]'))
    c.eq(auth[2]["idTagInfo"]["status"], "Invalid", "an unknown idTag is refused")
    st = json.loads(r.call('[2,"s1","StartTransaction",{"connectorId":1,"idTag":"NOBODY2","meterStart":0,'
                           '"timestamp":"2026-01-01T00:00:00Z"}]'))
    c.eq(st[2]["idTagInfo"]["status"], "Invalid", "StartTransaction with an unknown idTag is refused")

    c.eq(handshake(d.ws_port, "/ocpp/CP-NOPROTO", protocol=None), 0, "no subprotocol: refused")
    c.eq(handshake(d.ws_port, "/ocpp/"), 400, "no id in the path: 400")
    log = d.logtext()

    def has(pattern, what):
        c(re.search(pattern, log) is not None, what + " (/" + pattern + "/) in:\n" + log[-2500:])

    has(r"DEBUG ocppj +CP-LOG in BootNotification CALL b1, %d bytes" % len(boot.encode()), "Boot traced in")
    has(r"DEBUG ocppj +CP-LOG out CALLRESULT b1, %d bytes" % len(ans.encode()), "its answer traced out")
    has(r"DEBUG ocppj +CP-LOG in Heartbeat CALL h1, %d bytes" % len(hb), "Heartbeat traced in")
    has(r"DEBUG ocppj +CP-LOG out CALLRESULT h1, %d bytes" % len(hb_ans.encode()), "its answer traced out")
    has(r"DEBUG ocppj +CP-LOG out CALLERROR u1, %d bytes" % len(bad.encode()), "a CALLERROR traced out")
    has(r"DEBUG ocppj +CP-LOG in not an OCPP-J message -, 5 bytes", "a frame that is no message traced as such")
    c('"chargePointVendor"' not in log and '"currentTime"' not in log, "no payload in the log")
    has(r"INFO  ocpp +CP-LOG: Authorize refused for idTag NOBODY: Invalid", "refused Authorize")
    has(r"INFO  ocpp +CP-LOG: StartTransaction refused for idTag NOBODY2 on connector 1: Invalid",
        "refused StartTransaction")
    has(r"WARN  server +handshake refused from 127\.0\.0\.1 path /ocpp/CP-NOPROTO: subprotocol ocpp1\.6 not offered",
        "refused handshake with address and path")
    has(r"WARN  server +handshake refused \(400\) from 127\.0\.0\.1 path /ocpp/: no valid chargePointId",
        "refused handshake (400) with address and path")
finally:
    if r:
        r.close()
    c.eq(d.stop(), 0, "exit status")
    d.cleanup()

# At info (the default) no frame is traced.
d = Csmsd(unknown_chargers="accept")
r = None
try:
    r = Raw(d.url + "/CP-QUIET")
    r.call(boot_frame())
    r.call('[2,"h1","Heartbeat",{}]')
    log = d.logtext()
    c(" in BootNotification" not in log and "CALLRESULT" not in log, "no frame traced at info: " + log[-800:])
    c("CP-QUIET booted" in log, "the info lines are there")
finally:
    if r:
        r.close()
    c.eq(d.stop(), 0, "exit status")
    d.cleanup()
# log_format json: every line one JSON object, quotes in an id escaped,
# the warnings about the environment included.
d = Csmsd(unknown_chargers="accept", log_level="debug", log_format="json",
          env=dict(os.environ, CSMS_ZZZ="1"))
r = None
try:
    r = Raw(d.url + "/CP%22Q%5CJ")
    r.call(boot_frame())
    lines = [l for l in d.logtext().splitlines() if l]
    objs = []
    for l in lines:
        try:
            objs.append(json.loads(l))
        except ValueError:
            c(False, "not a JSON line: %r" % l)
    c(len(objs) > 5 and all(set(o) == {"time", "level", "module", "msg"} for o in objs),
      "each line has time, level, module, msg: %r" % objs[:3])
    c(all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", o["time"]) for o in objs), "UTC times")
    msgs = [(o["level"], o["module"], o["msg"]) for o in objs]
    c(("INFO", "server", 'CP"Q\\J connected') in msgs, "an id with a quote and a backslash: %r" % msgs[-6:])
    c(any(m[0] == "DEBUG" and m[2].startswith('CP"Q\\J in BootNotification CALL b1') for m in msgs),
      "frames traced in JSON too")
    c(any(m[0] == "WARN" and m[2].startswith("CSMS_ZZZ is not a setting") for m in msgs),
      "the environment warning is a JSON line too")
finally:
    if r:
        r.close()
    c.eq(d.stop(), 0, "exit status")
    d.cleanup()
c.done()
