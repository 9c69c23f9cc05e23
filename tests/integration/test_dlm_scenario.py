"""DLM end to end: a real Modbus TCP meter (pymodbus, SDM630 registers), a
household load that steps up and down, three chargers (one single-phase on
L2) that follow their limits with a delay, through a real csmsd.
Asserts: every overshoot above the breaker starts at a load step and ends
within one control period plus the chargers' reaction delay; none is caused
by DLM raising a limit; at least 95 % of the available capacity is used
when demand exceeds it; a stale sensor brings the fallback within the stale
time and normal control when it is back; a reconnecting charger gets its
profile back."""
import json
import os
import subprocess
import sys
import time
from harness import Csmsd, Raw, Checks, boot_frame, free_port, HERE

BREAKER, MARGIN = 25.0, 1.0
DELAY = 0.5                  # chargers follow a new limit after this
POLL, TICK = 0.2, 0.2        # sensor poll and control tick (s)
ALLOWED = POLL + TICK + DELAY + 0.5   # control period + reaction + messaging
WANT = 16.0

HOUSE = [(0, (4, 4, 4)), (8, (4, 15, 4)), (16, (4, 4, 4)), (24, (12, 12, 12)), (32, (2, 2, 2))]
END = 38.0

c = Checks()
mport = free_port()
T0 = [time.time()]


def start_meter():
    m = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "modbus_meter.py"), str(mport)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    c.eq(m.stdout.readline().strip(), "ready", "meter server up")
    time.sleep(0.3)
    return m


class Charger:
    def __init__(self, d, cid, phases, grid_phase):
        self.id, self.phases, self.gp = cid, phases, grid_phase
        self.limit = None          # last limit received
        self.pending = []          # (apply_at, limit)
        self.applied = 0.0         # what the car follows
        self.seq = 0
        self.profiles = 0
        self.connect(d)

    def connect(self, d):
        self.r = Raw(d.url + "/" + self.id)
        self.send("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"})
        self.send("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Charging"})

    def send(self, action, payload):
        self.seq += 1
        self.r.send(json.dumps([2, "%s-%d" % (self.id, self.seq), action, payload]))

    def draw(self):
        a = self.applied if self.applied >= 6 else 0.0
        a = min(a, WANT)
        return [a if self.phases == 3 or p == self.gp else 0.0 for p in range(3)]

    def pump(self, now):
        for line in self.r.poll():
            if line.startswith("#"):
                continue
            f = json.loads(line)
            if f[0] == 2:
                if f[2] == "SetChargingProfile":
                    per = f[3]["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"][0]
                    self.limit = per["limit"]
                    self.profiles += 1
                    self.pending.append((now + DELAY, per["limit"]))
                    if os.environ.get("DLM_TRACE"):
                        print("%.2f %s limit %s" % (now - T0[0], self.id, per["limit"]))
                    self.r.send(json.dumps([3, f[1], {"status": "Accepted"}]))
                else:
                    self.r.send(json.dumps([4, f[1], "NotSupported", "", {}]))
        while self.pending and self.pending[0][0] <= now:
            self.applied = self.pending.pop(0)[1]

    def report(self):
        dr = self.draw()
        sv = []
        for p in range(self.phases):
            grid = p if self.phases == 3 else self.gp
            sv.append({"value": "%.2f" % dr[grid], "measurand": "Current.Import", "phase": "L%d" % (p + 1), "unit": "A"})
        self.send("MeterValues", {"connectorId": 1, "meterValue": [
            {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "sampledValue": sv}]})


def house_at(t):
    h = HOUSE[0][1]
    for ts, v in HOUSE:
        if t >= ts:
            h = v
    return h


meter = start_meter()
d = Csmsd(unknown_chargers="accept", dlm_enabled="true", dlm_sensor="modbus-tcp", dlm_modbus_port=mport,
          dlm_poll_ms=int(POLL * 1000), dlm_tick_ms=int(TICK * 1000), dlm_settle_s=1, dlm_ramp_a_per_s=10,
          dlm_min_pause_s=2, dlm_stale_s=2, dlm_react_s=1.5, dlm_fallback_a=6, dlm_breaker_a=BREAKER, dlm_margin_a=MARGIN)
try:
    for cid, ph, gp in (("EV1", 3, 0), ("EV2", 3, 0), ("EV3", 1, 1)):
        st, _ = d.put("/api/v1/chargers/" + cid, {"phases": ph, "gridPhase": gp + 1, "maxCurrentA": WANT})
        c.eq(st, 201, "settings for " + cid + " (provisioned: 201)")
    evs = [Charger(d, "EV1", 3, 0), Charger(d, "EV2", 3, 0), Charger(d, "EV3", 1, 1)]

    def world(t0, until, samples):
        last_report = 0
        while True:
            now = time.time()
            t = now - t0
            if t >= until:
                return
            for ev in evs:
                ev.pump(now)
            house = house_at(t)
            ev_draw = [sum(ev.draw()[p] for ev in evs) for p in range(3)]
            grid = [house[p] + ev_draw[p] for p in range(3)]
            meter.stdin.write("%f %f %f 230 %f %f %f\n" % (grid[0], grid[1], grid[2],
                              grid[0] * 230, grid[1] * 230, grid[2] * 230))
            meter.stdin.flush()
            if now - last_report >= 0.5:
                last_report = now
                for ev in evs:
                    ev.report()
            samples.append((t, house, ev_draw, grid))
            if os.environ.get("DLM_TRACE") and len(samples) % 20 == 0:
                st, dd = d.get("/api/v1/dlm")
                print("%.2f api headroom %s %s" % (t, dd["headroomA"], [(x["id"], x["limitA"], x["installedA"], x["reason"], x["drawA"]) for x in dd["chargers"]]))
            time.sleep(0.05)

    samples = []
    t0 = time.time()
    T0[0] = t0
    world(t0, END, samples)
    if os.environ.get("DLM_TRACE"):
        for i, (t, house, ev, grid) in enumerate(samples):
            if i % 10 == 0:
                print("%5.2f house %s ev %s grid %s" % (t, house, ["%.1f" % x for x in ev], ["%.1f" % x for x in grid]))

    # 1. Overshoots: start at a load step-up, end within ALLOWED.
    steps_up = [ts for i, (ts, v) in enumerate(HOUSE) if i and any(v[p] > HOUSE[i - 1][1][p] for p in range(3))]
    episodes, cur = [], None
    for t, house, ev, grid in samples:
        over = max(grid) > BREAKER + 1e-6
        if over and cur is None:
            cur = [t, t]
        elif over:
            cur[1] = t
        elif cur is not None:
            episodes.append(cur)
            cur = None
    if cur:
        episodes.append(cur)
    for s, e in episodes:
        cause = [ts for ts in steps_up if ts - 0.06 <= s <= ts + 0.2]
        c(cause, "overshoot at %.2f s not caused by a load step (DLM raised a limit?)" % s)
        c(e - s <= ALLOWED, "overshoot at %.2f s lasted %.2f s > %.2f s" % (s, e - s, ALLOWED))
    c(len(episodes) >= 1, "the load steps did cause overshoots to correct (%d)" % len(episodes))
    print("overshoots: %s" % ["%.2f s for %.2f s" % (s, e - s) for s, e in episodes])

    # 2. Use of capacity where demand exceeds it: every window from 5 s after
    # a load step (pause, settle and reaction over) to the next step.
    utils = []
    bounds = [ts for ts, v in HOUSE] + [END]
    for lo, hi in zip(bounds, bounds[1:]):
        for t, house, ev, grid in samples:
            if lo + 5 <= t < hi:
                budget = [BREAKER - MARGIN - house[p] for p in range(3)]
                utils.append(max(ev[p] / budget[p] for p in range(3)))
    mean = sum(utils) / len(utils)
    print("capacity used in settled windows: mean %.3f, min %.3f over %d samples" % (mean, min(utils), len(utils)))
    c(mean >= 0.95, "capacity used >= 95%% when demand exceeds it (mean %.3f)" % mean)

    st, dlm = d.get("/api/v1/dlm")
    c.eq(dlm["sensor"]["healthy"], True, "sensor healthy")
    c.eq(len(dlm["chargers"]), 3, "three chargers under DLM")

    # 3. Stale sensor: fallback within the stale time; back: normal control.
    meter.kill()
    meter.wait()
    t_kill = time.time()
    fallback_at = None
    while time.time() - t_kill < 6:
        for ev in evs:
            ev.pump(time.time())
        if all(ev.limit == 6 for ev in evs):
            fallback_at = time.time() - t_kill
            break
        time.sleep(0.05)
    c(fallback_at is not None and fallback_at <= 2 + POLL + TICK + 0.5,
      "fallback applied within the stale time (%s s)" % fallback_at)
    st, dlm = d.get("/api/v1/dlm")
    if fallback_at is None:
        print("stale state:", [(ev.id, ev.limit) for ev in evs], dlm)
    c.eq(dlm["sensor"]["healthy"], False, "sensor reported unhealthy")
    c(all(x["reason"] == "stale sensor fallback" for x in dlm["chargers"]), "reason is the fallback")
    meter = start_meter()
    samples = []
    world(time.time() - 33, 39.5, samples)   # house at 2 A: room for more than the fallback
    st, dlm = d.get("/api/v1/dlm")
    c.eq(dlm["sensor"]["healthy"], True, "sensor back")
    c(all(x["reason"] != "stale sensor fallback" for x in dlm["chargers"]), "normal control again: %s" %
      [x["reason"] for x in dlm["chargers"]])
    c(any(ev.limit > 6 for ev in evs), "limits above the fallback again: %s" % [ev.limit for ev in evs])

    # 4. A reconnecting charger gets its profile back.
    ev = evs[0]
    ev.r.close()
    before = ev.profiles
    time.sleep(0.3)
    ev.connect(d)
    t1 = time.time()
    while time.time() - t1 < 3 and ev.profiles == before:
        ev.pump(time.time())
        time.sleep(0.05)
    c(ev.profiles > before, "profile re-installed after reconnect")
    if ev.profiles == before:
        print(d.logtext()[-2500:])
        print(d.get("/api/v1/dlm"))
    for e in evs:
        e.r.close()
    c.eq(d.stop(), 0, "stop")
except Exception as e:
    import traceback
    traceback.print_exc()
    c(False, "exception: %r\n%s" % (e, d.logtext()[-3000:]))
    d.kill()
finally:
    meter.kill()
    d.cleanup()
c.done()
