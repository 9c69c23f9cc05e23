/* test_station_targets.c: the optimising mode against the rule-based modes
 * on every reference day and every 10-day seeded run of station/days (3
 * learning days, then judged from the same SOC in every mode, costs at
 * equal end SOC on the base consumption: sim_judge()). With the forecast it
 * learns it must never cost more than the best rule-based mode (issue 11,
 * item 9: on the winter TOU days that is the TOU mode, which the guard
 * falls back to once the shadows show it does better), and keep at least
 * the share of the possible saving it captures today on the dynamic-price
 * run and over all judged days (regression floors; the 90% is not
 * reached yet). Given a perfect forecast of load and PV
 * (sim_day.perfect_forecast; prices still day-ahead), it must cost no more
 * than the best rule-based mode on every file, and capture at least 75% on
 * the dynamic-price run (80.7% reached; the rest is the Auto-SOC boiler's
 * band above 95% that the optimum, on the base consumption, does not have,
 * and the prices beyond the day-ahead). */
#include "sim.h"
#include "station_json.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

#define TIE 0.005 /* currency: the guard's own tie */

static int load_settings(const char *path, station_config *cfg)
{
	static char text[1 << 16];
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = 0;
	char err[256];
	station_config_defaults(cfg);
	return station_json_parse(text, cfg, NULL, err, sizeof(err)) < 0 ? -1 : 0;
}

/* the rule-based modes besides selfConsumption (remoteEms without
 * setpoints is selfConsumption) */
static const station_mode rules[] = { STATION_MODE_TOU, STATION_MODE_FEED_IN, STATION_MODE_LOAD_SHEDDING };

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	static const char *const files[] = { "summer_sunny",    "runs_summer_flat", "spring_cloudy",
					     "runs_spring_tou", "winter",           "runs_winter_tou",
					     "dynamic_price",   "runs_dynamic" };
	char path[1024], err[512];
	station_config *base = malloc(sizeof(*base)), *cfg = malloc(sizeof(*cfg));
	if (!base || !cfg)
		return 1;
	double sum_sc = 0, sum_op = 0, sum_best = 0;
	snprintf(path, sizeof(path), "%s/settings.json", dir);
	CHECK(load_settings(path, base) == 0, "reference settings load");
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		sim_day d;
		snprintf(path, sizeof(path), "%s/%s.csv", dir, files[i]);
		if (sim_day_load(path, &d, err, sizeof(err)) < 0) {
			CHECK(0, "%s", err);
			continue;
		}
		int row = sim_row_after_days(&d, 3);
		sim_judged sc, op, pf, r;
		*cfg = *base;
		cfg->mode = STATION_MODE_SELF_CONSUMPTION;
		int rc = sim_judge(cfg, &d, row, &sc, err, sizeof(err));
		cfg->mode = STATION_MODE_OPTIMISE;
		rc |= sim_judge(cfg, &d, row, &op, err, sizeof(err));
		d.perfect_forecast = true;
		rc |= sim_judge(cfg, &d, row, &pf, err, sizeof(err));
		d.perfect_forecast = false;
		double best = sc.cost_eq;
		for (size_t m = 0; m < sizeof(rules) / sizeof(rules[0]); m++) {
			cfg->mode = rules[m];
			rc |= sim_judge(cfg, &d, row, &r, err, sizeof(err));
			if (r.cost_eq < best)
				best = r.cost_eq;
		}
		CHECK(rc == 0, "%s: judged (%s)", files[i], rc ? err : "");
		CHECK(pf.cost_eq <= best + TIE, "%s: optimise with a perfect forecast %.3f <= best rule %.3f",
		      files[i], pf.cost_eq, best);
		CHECK(op.cost_eq <= best + TIE, "%s: optimise %.3f <= best rule %.3f", files[i], op.cost_eq,
		      best);
		sum_sc += sc.cost_eq;
		sum_op += op.cost_eq;
		sum_best += op.optimum_eq;
		CHECK(op.regret >= -1e-6 && sc.regret >= -1e-6,
		      "%s: the optimum is a lower bound (%.4f %.4f)", files[i], op.regret, sc.regret);
		if (strcmp(files[i], "runs_dynamic") == 0) {
			double captured = (sc.cost_eq - op.cost_eq) / (sc.cost_eq - op.optimum_eq);
			CHECK(captured >= 0.50, "%s: %.1f%% of the possible saving captured (floor 50%%)",
			      files[i], captured * 100);
			double cap_pf = (sc.cost_eq - pf.cost_eq) / (sc.cost_eq - op.optimum_eq);
			CHECK(cap_pf >= 0.75, "%s: %.1f%% captured with a perfect forecast (floor 75%%)",
			      files[i], cap_pf * 100);
		}
		sim_day_free(&d);
	}
	double all = (sum_sc - sum_op) / (sum_sc - sum_best);
	CHECK(all >= 0.38, "all judged days: %.1f%% of the possible saving captured (floor 38%%)", all * 100);
	free(base);
	free(cfg);
	T_DONE();
}
