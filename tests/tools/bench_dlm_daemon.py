#!/usr/bin/python3
"""bench_dlm_daemon.py [BUILD]: inside csmsd, the time from a new grid
reading to every SetChargingProfile frame queued, for 1, 10 and 100
connected chargers (a benchmark, not a test). Readings are pushed through
the api sensor, alternating so that every charger's limit changes; csmsd
reports each decision's duration in GET /api/v1/dlm (lastDecisionUs)."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import Csmsd  # noqa: E402

build = sys.argv[1] if len(sys.argv) > 1 else "build"
print("%9s %14s %14s %10s" % ("chargers", "median us", "p90 us", "profiles"))
for n in (1, 10, 100):
    d = Csmsd(unknown_chargers="accept", unknown_id_tags="accept", max_active_tx=1000, dlm_enabled="true",
              dlm_sensor="api", dlm_tick_ms=60000, dlm_settle_s=0, dlm_react_s=0, dlm_min_pause_s=0,
              dlm_ramp_a_per_s=100, dlm_breaker_a=400, dlm_margin_a=0, log_level="warn")
    sim = subprocess.Popen([os.path.join(build, "tests", "cpsim"), "session", "--url", d.url, "--id", "B",
                            "--ids", str(n), "--connectors", "1", "--transactions", "1", "--meter-values", "100000",
                            "--interval-ms", "5000", "--timeout", "600"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            st, chs = d.get("/api/v1/transactions?active=true")
            if len(chs) >= n:
                break
            time.sleep(0.2)
        times, profiles = [], []
        for i in range(40):
            grid = 900.0 if i % 2 else 0.0   # over the breaker, then free: every limit changes
            d.put("/api/v1/dlm/readings", {"current": [grid, grid, grid]})
            st, dlm = d.get("/api/v1/dlm")
            if i >= 4:
                times.append(dlm["lastDecisionUs"])
                profiles.append(dlm["lastDecisionProfiles"])
            time.sleep(0.05)
        times.sort()
        print("%9d %14.1f %14.1f %10.1f" % (n, times[len(times) // 2], times[int(len(times) * 0.9)],
                                            sum(profiles) / len(profiles)), flush=True)
    finally:
        sim.kill()
        sim.wait()
        d.stop()
        d.cleanup()
