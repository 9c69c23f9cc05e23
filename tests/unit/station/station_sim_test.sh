#!/bin/bash
# station_sim_test.sh SIM DAYS_DIR: build/station-sim as CONTRACT.md has it:
# error handling (exit 2, one line naming the problem), the JSON keys, --out,
# and the KPIs of the reference days against frozen values with tolerances.
set -u
SIM=$1
DAYS=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }

expect2() { # name, expected stderr substring, args...
	local name=$1 want=$2
	shift 2
	"$SIM" "$@" >"$T/out" 2>"$T/err"
	local rc=$?
	local lines
	lines=$(wc -l <"$T/err")
	if [ $rc -ne 2 ]; then bad "$name: exit $rc, want 2"; fi
	if [ "$lines" -ne 1 ]; then bad "$name: $lines stderr lines, want 1"; fi
	if ! grep -q -- "$want" "$T/err"; then bad "$name: stderr '$(cat "$T/err")' lacks '$want'"; fi
	if [ -s "$T/out" ]; then bad "$name: printed to stdout"; fi
}

S=$DAYS/settings.json
D=$DAYS/winter.csv
printf 'time,pv_w,load_w,import_price\n2024-01-01T00:00:00Z,0,100,0.3\n' >"$T/missing.csv"
printf 'time,pv_w,load_w,import_price,export_price\n2024-01-01 00:00,0,100,0.3,0.1\n' >"$T/time.csv"
printf 'time,pv_w,load_w,import_price,export_price\n2024-01-01T00:00:00Z,0,abc,0.3,0.1\n' >"$T/num.csv"
printf 'time,pv_w,load_w,import_price,export_price\n2024-01-01T00:00:00Z,0,1,0.3,0.1\n2024-01-01T00:00:30Z,0,1,0.3,0.1\n' >"$T/step.csv"
printf 'time,pv_w,load_w,import_price,export_price,colour\n' >"$T/col.csv"
printf '{"mode":"selfConsumption","battery":{"capacityWh":5000,"sizeWh":1}}' >"$T/unknown.json"
printf '{"mode":"selfConsumption",' >"$T/broken.json"
printf '{"battery":{"roundTripEfficiency":1.7}}' >"$T/range.json"

expect2 "missing column" "missing column 'export_price'" "$T/missing.csv" "$S"
expect2 "bad time" "bad time" "$T/time.csv" "$S"
expect2 "bad number" "bad number 'abc'" "$T/num.csv" "$S"
expect2 "bad step" "step must be 1 to 15 minutes" "$T/step.csv" "$S"
expect2 "unknown column" "unknown column 'colour'" "$T/col.csv" "$S"
expect2 "no file" "nonexistent.csv" "$T/nonexistent.csv" "$S"
expect2 "unknown key" "unknown key 'battery.sizeWh'" "$D" "$T/unknown.json"
expect2 "broken json" "not valid JSON" "$D" "$T/broken.json"
expect2 "out of range" "battery.roundTripEfficiency" "$D" "$T/range.json"
expect2 "usage" "usage" "$D"
expect2 "bad option" "usage" "$D" "$S" --frobnicate

# --out writes one line per step plus a header
if "$SIM" "$D" "$S" --out "$T/flows.csv" >"$T/j"; then
	n=$(wc -l <"$T/flows.csv")
	[ "$n" -eq 1153 ] || bad "--out: $n lines, want 1153"
else
	bad "--out run failed"
fi

# KPIs of the reference days, whole file (and the last day's cost ratio)
for mode in selfConsumption tou feedIn optimise; do
	sed "s/\"mode\": \"selfConsumption\"/\"mode\": \"$mode\"/" "$S" >"$T/$mode.json"
done
for day in summer_sunny spring_cloudy winter dynamic_price; do
	for mode in selfConsumption tou feedIn optimise; do
		if ! "$SIM" "$DAYS/$day.csv" "$T/$mode.json" --optimum >"$T/$day.$mode.json" 2>"$T/err"; then
			bad "$day $mode: $(cat "$T/err")"
		fi
	done
done
/usr/bin/python3 - "$T" <<'PY' || fail=1
import json, sys
t = sys.argv[1]
need = ["selfConsumption", "selfSufficiency", "costTotal", "importWh", "exportWh", "peakImportW",
        "batteryThroughputWh", "evEnergyWh", "evPvShare", "secondsOverBreaker", "optimumCost", "costRatio"]
# frozen from the first run of this version (issue 11: costRatio on the base
# consumption, Auto-SOC loads credited at feed-in; the guarded optimiser,
# falling back to TOU where the shadows show it does better: winter's
# 4-day total is higher as it ends with 61% SOC against 10%, at equal end
# SOC its judged last day costs 1.722 against 1.821);
# tolerances cover float noise
# and small, deliberate tuning: cost +-0.05 (currency), ratios +-0.01
expected = {
    ("summer_sunny", "selfConsumption"): dict(cost=-8.301, selfC=0.5308, selfS=0.9979, ev=27000, ratio=1.0156),
    ("summer_sunny", "optimise"): dict(cost=-8.301, selfC=0.5308, selfS=0.9979, ev=27000, ratio=1.0156),
    ("summer_sunny", "tou"): dict(cost=-6.191, selfC=0.4926, selfS=0.9215, ev=27000, ratio=1.1314),
    ("spring_cloudy", "selfConsumption"): dict(cost=-1.066, selfC=0.8549, selfS=1.0000, ev=0, ratio=1.0081),
    ("spring_cloudy", "optimise"): dict(cost=-0.531, selfC=0.8099, selfS=0.9519, ev=0, ratio=1.0081),
    ("spring_cloudy", "tou"): dict(cost=1.584, selfC=0.7732, selfS=0.8331, ev=0, ratio=1.4802),
    ("winter", "selfConsumption"): dict(cost=11.534, selfC=1.0000, selfS=0.4807, ev=0, ratio=1.0903),
    ("winter", "optimise"): dict(cost=11.791, selfC=0.9998, selfS=0.3848, ev=0, ratio=1.0142),
    ("winter", "tou"): dict(cost=11.940, selfC=1.0000, selfS=0.3838, ev=0, ratio=1.0273),
    ("dynamic_price", "selfConsumption"): dict(cost=4.547, selfC=0.9788, selfS=0.7950, ev=0, ratio=1.5033),
    ("dynamic_price", "optimise"): dict(cost=4.424, selfC=0.9633, selfS=0.7740, ev=0, ratio=1.5030),
    ("dynamic_price", "tou"): dict(cost=6.587, selfC=0.9469, selfS=0.6940, ev=0, ratio=16.6681),
    ("summer_sunny", "feedIn"): dict(cost=-8.403, selfC=0.2685, selfS=0.8140, ev=27000, ratio=1.2813),
    ("spring_cloudy", "feedIn"): dict(cost=2.813, selfC=0.2748, selfS=0.5250, ev=0, ratio=2.0641),
    ("winter", "feedIn"): dict(cost=15.599, selfC=0.4565, selfS=0.2568, ev=0, ratio=1.9856),
    ("dynamic_price", "feedIn"): dict(cost=10.682, selfC=0.3099, selfS=0.3535, ev=0, ratio=7.6439),
}
bad = 0
for (day, mode), e in expected.items():
    j = json.load(open(f"{t}/{day}.{mode}.json"))
    for k in need:
        if k not in j:
            print(f"FAIL {day} {mode}: key {k} missing"); bad = 1
    if not 0 <= j["selfConsumption"] <= 1 or not 0 <= j["selfSufficiency"] <= 1 or not 0 <= j["evPvShare"] <= 1:
        print(f"FAIL {day} {mode}: ratio outside 0..1"); bad = 1
    if j["secondsOverBreaker"] != 0:
        print(f"FAIL {day} {mode}: over the breaker"); bad = 1
    if j["optimumCost"] > j["costTotal"] + 1e-6:
        print(f"FAIL {day} {mode}: optimum above the run"); bad = 1
    checks = [("costTotal", e["cost"], 0.05), ("selfConsumption", e["selfC"], 0.01),
              ("selfSufficiency", e["selfS"], 0.01), ("evEnergyWh", e["ev"], 50)]
    for key, want, tol in checks:
        if abs(j[key] - want) > tol:
            print(f"FAIL {day} {mode}: {key} {j[key]:.4f}, want {want} +- {tol}"); bad = 1
    r = j["lastDay"]["costRatio"]
    if abs(r - e["ratio"]) > 0.01:
        print(f"FAIL {day} {mode}: lastDay costRatio {r:.4f}, want {e['ratio']} +- 0.01"); bad = 1
sys.exit(bad)
PY
[ $fail -eq 0 ] && echo "station-sim: all checks passed"
exit $fail
