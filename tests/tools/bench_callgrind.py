#!/usr/bin/python3
"""bench_callgrind.py [BUILD] [--chargers 100] [--idle 0] [--seconds 6] [--keep]: where
csmsd's time goes, in instructions (a benchmark, not a test; see PROFILE.md).

csmsd runs under `valgrind --tool=callgrind` with instrumentation off; loadgen
drives --chargers chargers (MeterValues in a closed loop, as bench.py does).
Once every charger has booted, instrumentation is switched on (callgrind_control
-i on) for the measured window and off again; csmsd's own counter of frames
received (/metrics) is read at both ends (--idle N: N more chargers
booted first and held idle, the cost of a turn with many connections), so the figure is instructions per
received frame of the steady state, without start-up, boots or the /metrics
requests. Instruction counts do not depend on the machine's load (CPU time
does): they are the stable measure on a shared machine. Kernel time
(syscalls, fsync) is not counted by callgrind.

Prints Ir per frame in total, of the frame path alone (ocppj_receive and
the end of turn, inclusive: stable, unlike the total, which carries the
once-a-second timers spread over however many frames the run got), per
group (the table of PROFILE.md), then
the top functions. --keep leaves the callgrind.out file and prints its path."""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from harness import free_port  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("build", nargs="?", default="build")
ap.add_argument("--chargers", type=int, default=100)
ap.add_argument("--idle", type=int, default=0)
ap.add_argument("--seconds", type=int, default=6)
ap.add_argument("--top", type=int, default=25)
ap.add_argument("--keep", action="store_true")
a = ap.parse_args()
build = os.path.abspath(a.build)

# Groups, first match wins: (label, regex on callgrind_annotate's
# "file:function [object]" column).
GROUPS = [
    ("malloc/free (libc; mostly cJSON trees)", r"(^|[^a-z])(_?_?libc_)?(malloc|free|calloc|realloc|"
     r"_int_malloc|_int_free|_int_realloc|malloc_consolidate|unlink_chunk|tcache_\w+|cfree)\b|"
     r"\b(_int_malloc|_int_free|malloc_consolidate|unlink_chunk)\b"),
    ("cJSON build/print/delete/lookup", r"libcjson|cJSON"),
    ("schema validation (ocpp/schema.c)", r"ocpp/schema\.c"),
    ("jsontext parse (lib/jsontext.c)", r"lib/jsontext\.c"),
    ("SQLite (incl. WAL)", r"libsqlite3"),
    ("store (csms/store)", r"csms/store/"),
    ("libwebsockets", r"libwebsockets"),
    ("OpenSSL", r"libssl|libcrypto"),
    ("string compares (strcmp & co)", r"str(n)?(case)?cmp|__strcmp|strcmp_"),
    ("libc mem*/str* (copies, lengths)", r"mem(cpy|move|set|chr|cmp)|str(len|chr|rchr|nlen|cpy|ncpy)|"
     r"__mem|__str"),
    ("libc printf/strtod/time", r"printf|vfprintf|strtod|____strtod|__printf_fp|_IO_|strftime|gmtime|"
     r"__tz|localtime|mktime|__mpn|round_and_return|hack_digit"),
    ("ocpp dispatch/framing (ocppj, actions, session)", r"ocpp/(ocppj|actions|session|ocpp)\.c"),
    ("csmsd other", r"csms/"),
    ("libc other", r"libc\.so|libc-|/libc/|glibc"),
]


def metric(admin, name):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % admin, timeout=120) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    raise RuntimeError("no metric " + name)


def ctl(pid, *args):
    subprocess.run(["callgrind_control", *args, str(pid)], check=True, capture_output=True, timeout=120)


tmp = tempfile.mkdtemp(prefix="csms-callgrind-")
out = os.path.join(tmp, "callgrind.out")
ws, admin = free_port(), free_port()
cmd = ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--callgrind-out-file=" + out,
       os.path.join(build, "csmsd"), "--db", os.path.join(tmp, "csms.db"), "--ws_port", str(ws),
       "--admin_port", str(admin), "--validate_outgoing", "true", "--unknown_chargers", "accept",
       "--max_connections", str(a.chargers + a.idle + 500), "--max_pending_chargers",
       str(a.chargers + a.idle + 500), "--log_level", "warn", "--dlm_enabled", "false",
       "--heartbeat_interval", "3600"]
log = open(os.path.join(tmp, "csmsd.log"), "wb")
d = subprocess.Popen(cmd, stdout=log, stderr=log)
idle = None
try:
    deadline = time.time() + 120
    while True:
        try:
            metric(admin, "csms_frames_received_total")
            break
        except OSError:
            if time.time() > deadline or d.poll() is not None:
                raise RuntimeError("csmsd under valgrind did not come up")
            time.sleep(0.5)
    if a.idle:
        idle = subprocess.Popen([os.path.join(build, "tests", "loadgen"), "--url", "ws://127.0.0.1:%d/ocpp" % ws,
                                 "--chargers", str(a.idle), "--idle", "--prefix", "IDLE", "--duration", "86400",
                                 "--ramp-per-s", "500", "--call-timeout-ms", "60000", "--boot-wait", "300"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for line in idle.stderr:
            if "measuring" in line:
                break
    lg = subprocess.Popen([os.path.join(build, "tests", "loadgen"), "--url", "ws://127.0.0.1:%d/ocpp" % ws,
                           "--chargers", str(a.chargers), "--duration", str(a.seconds + 4), "--ramp-per-s", "200",
                           "--call-timeout-ms", "60000", "--boot-wait", "120"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in lg.stderr:
        if "measuring" in line:
            break
    time.sleep(1)
    f0 = metric(admin, "csms_frames_received_total")
    ctl(d.pid, "-i", "on")
    time.sleep(a.seconds)
    ctl(d.pid, "-i", "off")
    f1 = metric(admin, "csms_frames_received_total")
    lg.stderr.read()
    lg.wait(timeout=300)
    lgout = lg.stdout.read().strip().splitlines()
finally:
    if idle:
        idle.kill()
        idle.wait()
    d.send_signal(signal.SIGTERM)
    d.wait(timeout=300)
# Frames: the calls of ocppj_receive that callgrind saw (exact; /metrics is
# read a moment before and after the switch takes effect).
names, cur, calls = {}, None, 0
with open(out) as f:
    for line in f:
        m = re.match(r"c?fn=\((\d+)\)(?: (.*))?", line)
        if m:
            if m.group(2):
                names[m.group(1)] = m.group(2).strip()
            cur = names.get(m.group(1), "") if line.startswith("cfn") else None
        elif line.startswith("calls=") and cur and cur.endswith("ocppj_receive"):
            calls += int(line[6:].split()[0])
frames = calls or (f1 - f0)
ann = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", out], capture_output=True,
                     text=True, check=True).stdout
total = None
rows = []
for line in ann.splitlines():
    m = re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(.*\S)\s*$", line)
    if not m or m.group(2).startswith(("=>", "<")):
        continue
    ir = int(m.group(1).replace(",", ""))
    what = m.group(2)
    if "PROGRAM TOTALS" in what:
        total = ir
    elif ":" in what:
        rows.append((ir, what))
total = total or sum(r[0] for r in rows)
groups = {g[0]: 0 for g in GROUPS}
groups["other (ld.so, libz, ...)"] = 0
for ir, what in rows:
    for label, rx in GROUPS:
        if re.search(rx, what):
            groups[label] += ir
            break
    else:
        groups["other (ld.so, libz, ...)"] += ir
print("csmsd under callgrind: %d chargers (and %d idle), %d frames received in the window (/metrics: %.0f)" %
      (a.chargers, a.idle, frames, f1 - f0))
print("total %.0f Ir per received frame (%d Ir)" % (total / frames, total))
# The frame path alone (inclusive): timer work (DLM, energy, history ticks)
# runs per second, not per frame, so its share of the total per frame moves
# with the frame rate callgrind's slowness allows; these two do not.
inc = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", out], capture_output=True,
                     text=True, check=True).stdout
for fn, label in (("ocppj.c:ocppj_receive", "receive (parse, validate, handle, store, answer)"),
                  ("turn.c:csms_end_of_turn", "end of turn (commit, release answers)")):
    m = re.search(r"^\s*([\d,]+)\s+\([^)]*\)\s+\S*" + re.escape(fn) + r" \[", inc, re.M)
    ir = int(m.group(1).replace(",", "")) if m else 0
    print("%-50s %.0f Ir per frame" % (label, ir / frames))
print()
print("| group | Ir per frame | share |")
print("|---|---:|---:|")
for label, ir in sorted(groups.items(), key=lambda kv: -kv[1]):
    print("| %s | %.0f | %.1f%% |" % (label, ir / frames, 100.0 * ir / total))
print()
print("top functions (self Ir per frame):")
for ir, what in sorted(rows, reverse=True)[:a.top]:
    print("%9.0f  %5.1f%%  %s" % (ir / frames, 100.0 * ir / total, what[:140]))
if a.keep:
    print("kept:", out)
else:
    shutil.rmtree(tmp, ignore_errors=True)
