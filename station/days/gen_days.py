#!/usr/bin/python3
"""gen_days.py: regenerate the reference days of station/days/ (stdlib only,
deterministic: fixed seeds, no clock). Usage: /usr/bin/python3 gen_days.py [OUTDIR]

Model (see station/README.md, "Reference days"):
- PV: Haurwitz clear-sky GHI at 48.14 N, 11.58 E (the same formula as
  station_clearsky_ghi), scaled to an 8 kWp array (x 8 W per W/m2 x 0.95
  plane-of-array gain x 0.9 system losses), times a cloud factor: a per-day
  mean clearness plus a smoothed random process (AR(1) at 5 min) whose spread
  grows with cloudiness; clamped 0.05..1.05.
- Load: a BDEW H0-like standard household profile (weekday / Saturday /
  Sunday shapes of night base, morning, noon and evening peaks), scaled by the
  H0 dynamisation polynomial of the day of the year to 4500 kWh/a, plus short
  appliance spikes (kettle, oven, washing machine) from a seeded generator.
- Prices per kWh: flat, TOU (night 22-06 cheap, 17-21 peak) or a day-ahead
  spot curve (night trough, morning and evening peaks, a midday solar dip,
  day-to-day variation) plus fixed fees and VAT, with export at the spot price.
- Optional columns: ev1_w / ev1_need_wh (a car plugged in) and outage.
Each reference file holds 4 days at a 5-minute step, UTC; the KPIs of
interest are the last day's, the three before let the forecasts learn.

Multi-day sets (runs_*.csv, the optimiser's targets in station-bench and
tests/unit/station/test_station_targets.c): 10 days each, the first 3 for
learning and 7 judged, one per day kind, each day's mean clearness drawn from
random.Random(seed + 1000) within the kind's range, the rest as above with
the same seed. Seeds: summer_flat 101 (the held-out summer week: flat
prices, where self-consumption is optimal), spring_tou 102, winter_tou 103,
dynamic 104.
"""
import math
import os
import random
import sys
from datetime import datetime, timedelta, timezone

LAT, LON = 48.14, 11.58
KWP = 8.0
STEP = 300
UTC_OFFSET_H = 1  # local = UTC+1 (the settings' utcOffsetMin = 60; no DST)


def clearsky_ghi(t):
    """Haurwitz clear-sky GHI (W/m2); mirrors station_clearsky_ghi()."""
    doy = t.timetuple().tm_yday - 1
    sec = t.hour * 3600 + t.minute * 60 + t.second
    g = 2 * math.pi / 365.0 * (doy + (sec / 3600.0 - 12) / 24.0)
    eqt = 229.18 * (0.000075 + 0.001868 * math.cos(g) - 0.032077 * math.sin(g)
                    - 0.014615 * math.cos(2 * g) - 0.040849 * math.sin(2 * g))
    decl = (0.006918 - 0.399912 * math.cos(g) + 0.070257 * math.sin(g)
            - 0.006758 * math.cos(2 * g) + 0.000907 * math.sin(2 * g)
            - 0.002697 * math.cos(3 * g) + 0.00148 * math.sin(3 * g))
    tst = sec / 60.0 + eqt + 4 * LON
    ha = math.radians(tst / 4 - 180)
    lat = math.radians(LAT)
    cosz = math.sin(lat) * math.sin(decl) + math.cos(lat) * math.cos(decl) * math.cos(ha)
    if cosz <= 0.01:
        return 0.0
    return 1098.0 * cosz * math.exp(-0.057 / cosz)


def bump(h, centre, width, height):
    d = min(abs(h - centre), 24 - abs(h - centre))
    return height * math.exp(-0.5 * (d / width) ** 2)


def h0_shape(h, weekday):
    """Average household power (W, at 1000 kWh/a ~ 114 W mean) by local hour."""
    if weekday < 5:
        w = 70 + bump(h, 7.0, 0.9, 90) + bump(h, 12.5, 1.3, 95) + bump(h, 19.0, 2.0, 120)
    elif weekday == 5:
        w = 72 + bump(h, 9.0, 1.5, 95) + bump(h, 12.5, 1.4, 120) + bump(h, 19.0, 2.0, 115)
    else:
        w = 72 + bump(h, 9.5, 1.6, 90) + bump(h, 12.5, 1.2, 140) + bump(h, 19.0, 2.0, 105)
    return w


def dynamisation(doy):
    """BDEW H0 dynamisation factor by day of the year (1..366)."""
    t = doy
    return -3.92e-10 * t ** 4 + 3.2e-7 * t ** 3 - 7.02e-5 * t ** 2 + 2.1e-3 * t + 1.24


def spot_price(h, day_rng_shift, sunny):
    """Day-ahead spot price per kWh by local hour."""
    p = (0.085 + bump(h, 8.0, 1.3, 0.05) + bump(h, 19.0, 1.8, 0.10)
         - bump(h, 3.5, 2.0, 0.025) - bump(h, 13.0, 2.2, 0.06 * sunny))
    return max(0.005, p + day_rng_shift)


def tou_price(h):
    if h >= 22 or h < 6:
        return 0.24
    if 17 <= h < 21:
        return 0.38
    return 0.31


def make(name, start, days, clearness, seed, price, ev=None, outage=None):
    rng = random.Random(seed)
    rows = []
    cloud = 0.0
    spike_until = -1
    spike_w = 0.0
    n = days * 86400 // STEP
    scale = 4500.0 / 1000.0
    shifts = [rng.uniform(-0.02, 0.03) for _ in range(days)]
    remaining_need = {}
    for i in range(n):
        t = start + timedelta(seconds=i * STEP)
        d = i * STEP // 86400
        local = t + timedelta(hours=UTC_OFFSET_H)
        h = local.hour + local.minute / 60.0
        k = clearness[d]
        # clouds: AR(1), spread grows as the day gets cloudier
        cloud = 0.97 * cloud + rng.gauss(0, 0.06 + 0.25 * (1 - k))
        cf = min(1.05, max(0.05, k + cloud * (1 - k) * 1.2))
        ghi = clearsky_ghi(t + timedelta(seconds=STEP / 2))
        pv = KWP * ghi * 0.95 * 0.9 * cf
        doy = local.timetuple().tm_yday
        load = h0_shape(h, local.weekday()) * scale * dynamisation(doy)
        if i >= spike_until and rng.random() < 0.02 and 6 <= h < 23:
            spike_until = i + rng.choice([1, 2, 6, 12])
            spike_w = rng.choice([2000.0, 1200.0, 2500.0, 800.0])
        if i < spike_until:
            load += spike_w
        load *= 1 + rng.gauss(0, 0.05)
        load = max(80.0, load)
        if price == "flat":
            imp, exp = 0.32, 0.08
        elif price == "tou":
            imp, exp = tou_price(local.hour), 0.08
        else:
            s = spot_price(h, shifts[d], sunny=clearness[d])
            imp, exp = 0.17 + 1.19 * s, s
        row = [t.strftime("%Y-%m-%dT%H:%M:%SZ"), "%.1f" % pv, "%.1f" % load, "%.4f" % imp, "%.4f" % exp]
        if ev is not None:
            w, need = 0.0, 0.0
            for (day, h_in, h_out, need_wh) in ev:
                if d == day and h_in <= h < h_out:
                    w = 11000.0
                    if (day, h_in) not in remaining_need:
                        remaining_need[(day, h_in)] = True
                        need = need_wh
            row += ["%.0f" % w, "%.0f" % need]
        if outage is not None:
            off = any(d == day and a <= h < b for (day, a, b) in outage)
            row.append("1" if off else "0")
        rows.append(row)
    header = ["time", "pv_w", "load_w", "import_price", "export_price"]
    if ev is not None:
        header += ["ev1_w", "ev1_need_wh"]
    if outage is not None:
        header.append("outage")
    return name, header, rows


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    utc = timezone.utc
    files = [
        make("summer_sunny.csv", datetime(2024, 6, 17, tzinfo=utc), 4, [0.95, 0.85, 0.97, 0.96], 11, "flat",
             ev=[(1, 9.5, 16.0, 12000), (3, 9.0, 17.0, 15000)]),
        make("spring_cloudy.csv", datetime(2024, 4, 8, tzinfo=utc), 4, [0.55, 0.35, 0.6, 0.45], 22, "tou",
             outage=[(3, 18.5, 20.5)]),
        make("winter.csv", datetime(2024, 1, 15, tzinfo=utc), 4, [0.3, 0.7, 0.2, 0.5], 33, "tou"),
        make("dynamic_price.csv", datetime(2024, 10, 14, tzinfo=utc), 4, [0.6, 0.8, 0.5, 0.75], 44, "spot"),
    ]
    runs = [  # name, start, price, clearness range, seed
        ("runs_summer_flat.csv", datetime(2024, 7, 1, tzinfo=utc), "flat", (0.35, 1.0), 101),
        ("runs_spring_tou.csv", datetime(2024, 4, 15, tzinfo=utc), "tou", (0.25, 0.9), 102),
        ("runs_winter_tou.csv", datetime(2024, 2, 5, tzinfo=utc), "tou", (0.1, 0.8), 103),
        ("runs_dynamic.csv", datetime(2024, 10, 7, tzinfo=utc), "spot", (0.3, 0.95), 104),
    ]
    for name, start, price, (lo, hi), seed in runs:
        crng = random.Random(seed + 1000)
        clear = [round(crng.uniform(lo, hi), 2) for _ in range(10)]
        files.append(make(name, start, 10, clear, seed, price))
    for name, header, rows in files:
        with open(os.path.join(out, name), "w", newline="\n") as f:
            f.write(",".join(header) + "\n")
            for r in rows:
                f.write(",".join(r) + "\n")
        print("wrote", name, len(rows), "rows")


if __name__ == "__main__":
    main()
