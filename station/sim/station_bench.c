/* station_bench.c: the figures. Runs every storage mode on every reference
 * day (days/NAME.csv with days/settings.json, mode replaced), prints the KPIs of
 * the last day (the days before it let the forecasts learn) and the
 * optimising mode's cost against the perfect-foresight optimum, with the
 * median wall time per run. Then, per day kind (the reference days and the
 * 10-day seeded runs, 3 learning days each), the optimiser's cost against
 * each rule-based mode and the optimum, all from the same SOC at the start
 * of the judged days and priced at equal end SOC (sim_judge()), and the
 * share of the possible saving over self-consumption it captured. Built,
 * not a test.
 * Usage: station-bench [DAYS_DIR]
 */
#include "sim.h"
#include "station_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const days[] = { "summer_sunny", "spring_cloudy", "winter", "dynamic_price" };

/* per day kind: a reference day, then its 10-day seeded run */
static const char *const judged[] = { "summer_sunny", "runs_summer_flat", "spring_cloudy", "runs_spring_tou",
				      "winter",       "runs_winter_tou",  "dynamic_price", "runs_dynamic" };
/* the rule-based modes compared (remoteEms without setpoints is selfConsumption) */
static const station_mode rules[] = { STATION_MODE_SELF_CONSUMPTION, STATION_MODE_TOU, STATION_MODE_FEED_IN,
				      STATION_MODE_LOAD_SHEDDING };
#define N_RULES (int)(sizeof(rules) / sizeof(rules[0]))

/* The judged comparison of one file; prints one line. Returns 0 or -1. */
static int judge_file(const char *dir, const char *name, const station_config *base, station_config *cfg,
		      double *sum_sc, double *sum_opt, double *sum_best)
{
	char path[1024], err[512];
	sim_day d;
	snprintf(path, sizeof(path), "%s/%s.csv", dir, name);
	if (sim_day_load(path, &d, err, sizeof(err)) < 0) {
		fprintf(stderr, "station-bench: %s\n", err);
		return -1;
	}
	int row = sim_row_after_days(&d, 3);
	sim_judged r[N_RULES], o, pf;
	/* the optimiser once more with a perfect forecast of load and PV
	 * (prices still as the day-ahead market gives them) */
	*cfg = *base;
	cfg->mode = STATION_MODE_OPTIMISE;
	d.perfect_forecast = true;
	int rc = sim_judge(cfg, &d, row, &pf, err, sizeof(err));
	d.perfect_forecast = false;
	if (rc < 0) {
		fprintf(stderr, "station-bench: %s: %s\n", name, err);
		sim_day_free(&d);
		return -1;
	}
	double best = 1e300;
	for (int i = 0; i <= N_RULES; i++) {
		*cfg = *base;
		cfg->mode = i < N_RULES ? rules[i] : STATION_MODE_OPTIMISE;
		sim_judged *j = i < N_RULES ? &r[i] : &o;
		if (sim_judge(cfg, &d, row, j, err, sizeof(err)) < 0) {
			fprintf(stderr, "station-bench: %s: %s\n", name, err);
			sim_day_free(&d);
			return -1;
		}
		if (i < N_RULES && j->cost_eq < best)
			best = j->cost_eq;
	}
	double possible = r[0].cost_eq - o.optimum_eq;
	double captured = possible > 1e-9 ? (r[0].cost_eq - o.cost_eq) / possible : 1.0;
	double cap_pf = possible > 1e-9 ? (r[0].cost_eq - pf.cost_eq) / possible : 1.0;
	printf("%-17s %5.1f %8.3f", name, (double)(d.n - row) * d.step_s / 86400.0, o.cost_eq);
	for (int i = 0; i < N_RULES; i++)
		printf(" %8.3f", r[i].cost_eq);
	printf(" %8.3f %+7.3f %8.3f %7.1f%% %8.3f %+7.3f %7.1f%% %6.0f %6.0f\n", best, o.cost_eq - best,
	       o.optimum_eq, captured * 100, pf.cost_eq, pf.cost_eq - best, cap_pf * 100, o.flex_wh,
	       r[0].flex_wh);
	*sum_sc += r[0].cost_eq;
	*sum_opt += o.cost_eq;
	*sum_best += o.optimum_eq;
	sim_day_free(&d);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* CPU time of one plan: station_step() in the optimising mode 15 min
 * apart (each step re-plans: forecast, prices, dynamic program, guard),
 * for the reference settings and for the largest plan (48 h, the most SOC
 * levels). */
static void plan_cpu(const station_config *base)
{
	static const struct {
		int horizon_h, levels;
	} sizes[] = { { 0, 0 }, { 48, STATION_PLAN_MAX_LEVELS } };
	station_config *cfg = malloc(sizeof(*cfg));
	station_state *st = malloc(sizeof(*st));
	if (!cfg || !st) {
		free(cfg);
		free(st);
		return;
	}
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		*cfg = *base;
		cfg->mode = STATION_MODE_OPTIMISE;
		if (sizes[k].horizon_h) {
			cfg->plan_horizon_h = sizes[k].horizon_h;
			cfg->plan_levels = sizes[k].levels;
		}
		station_state_init(st, cfg);
		enum { RUNS = 200 };
		double per[RUNS];
		int64_t t = 1728864000000LL; /* 2024-10-14 00:00 UTC */
		for (int i = 0; i < RUNS; i++, t += 900000) {
			station_input in;
			memset(&in, 0, sizeof(in));
			in.load_w = 400 + (i % 7) * 100;
			in.pv_w = (i % 96 > 30 && i % 96 < 70) ? 3000 : 0;
			in.soc_pct = 20 + (i % 60);
			in.on_grid = true;
			station_output out;
			clock_t c0 = clock();
			station_step(cfg, st, &in, t, &out);
			per[i] = (double)(clock() - c0) / CLOCKS_PER_SEC;
		}
		qsort(per, RUNS, sizeof(double), cmpd);
		printf("planner CPU time per plan (%d h, %d SOC levels): median %.2f ms, max %.2f ms (%d "
		       "plans)\n",
		       cfg->plan_horizon_h, cfg->plan_levels, per[RUNS / 2] * 1e3, per[RUNS - 1] * 1e3, RUNS);
	}
	free(cfg);
	free(st);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : STATION_DAYS_DIR;
	char path[1024], err[512];
	snprintf(path, sizeof(path), "%s/settings.json", dir);
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "station-bench: %s: cannot open\n", path);
		return 2;
	}
	static char text[1 << 16];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = 0;
	station_config *base = malloc(sizeof(*base)), *cfg = malloc(sizeof(*cfg));
	if (!base || !cfg)
		return 2;
	station_config_defaults(base);
	if (station_json_parse(text, base, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "station-bench: %s: %s\n", path, err);
		return 2;
	}
	printf("Last day of each reference file (3 learning days before it), KPIs per storage mode\n");
	printf("%-14s %-16s %7s %7s %8s %8s %8s %8s %8s %6s %6s %5s %5s %9s %6s\n", "day", "mode", "selfC",
	       "selfS", "cost", "impWh", "expWh", "peakW", "batThrWh", "evWh", "evPV", "soc0", "soc1",
	       "optimum", "ratio");
	double ratios[8];
	int nr = 0;
	double times[64];
	int nt = 0;
	for (size_t di = 0; di < sizeof(days) / sizeof(days[0]); di++) {
		sim_day d;
		snprintf(path, sizeof(path), "%s/%s.csv", dir, days[di]);
		if (sim_day_load(path, &d, err, sizeof(err)) < 0) {
			fprintf(stderr, "station-bench: %s\n", err);
			return 2;
		}
		for (int m = 0; m < STATION_MODE_COUNT; m++) {
			*cfg = *base;
			cfg->mode = (station_mode)m;
			sim_result res;
			double t0 = now_s();
			if (sim_run(cfg, &d, NULL, NULL, &res, err, sizeof(err)) < 0) {
				fprintf(stderr, "station-bench: %s\n", err);
				return 2;
			}
			if (nt < 64)
				times[nt++] = now_s() - t0;
			double opt = 0;
			const char *method = "";
			int ok = sim_optimum(cfg, &d, &res, res.last_day_row, d.n, res.soc_last_day_start_pct,
					     res.soc_end_pct, &opt, &method, NULL);
			const sim_kpi *k = &res.last_day;
			double ratio = sim_cost_ratio(sim_cost_comparable(k), opt);
			printf("%-14s %-16s %7.3f %7.3f %8.3f %8.0f %8.0f %8.0f %8.0f %6.0f %6.2f %5.1f "
			       "%5.1f %9.3f %6.3f\n",
			       days[di], station_mode_name(cfg->mode), k->self_consumption,
			       k->self_sufficiency, k->cost_total, k->import_wh, k->export_wh,
			       k->peak_import_w, k->battery_throughput_wh, k->ev_energy_wh, k->ev_pv_share,
			       res.soc_last_day_start_pct, res.soc_end_pct, ok == 0 ? opt : -1,
			       ok == 0 ? ratio : -1);
			if (m == STATION_MODE_OPTIMISE && nr < 8)
				ratios[nr++] = ratio;
			sim_result_free(&res);
		}
		sim_day_free(&d);
	}
	printf("\noptimising mode vs perfect-foresight optimum (GLPK LP, same day, same end SOC):\n");
	for (int i = 0; i < nr; i++)
		printf("  %-14s costRatio %.4f (%+.2f%%)\n", days[i], ratios[i], (ratios[i] - 1) * 100);
	printf("\nPer day kind: the judged days (after 3 learning days) from socStartPct in every mode,\n"
	       "costs at equal end SOC (cost - optimum to the run's own end SOC + optimum back to the\n"
	       "start SOC), on the base consumption: Auto-SOC loads' energy credited at the feed-in\n"
	       "price (sim_judge()); captured = (selfConsumption - optimise) / (selfConsumption - "
	       "optimum)\n");
	printf("optPerf/vsBestPf/capPerf: the optimiser given a perfect forecast of load and PV\n"
	       "(station_forecast_set(); prices as the day-ahead market gives them)\n");
	printf("%-17s %5s %8s %8s %8s %8s %8s %8s %7s %8s %8s %8s %7s %8s %6s %6s\n", "file", "days",
	       "optimise", "selfCons", "tou", "feedIn", "loadShed", "bestRule", "vsBest", "optimum",
	       "captured", "optPerf", "vsBstPf", "capPerf", "autoWh", "scAuto");
	double ssc = 0, sopt = 0, sbest = 0;
	for (size_t i = 0; i < sizeof(judged) / sizeof(judged[0]); i++)
		if (judge_file(dir, judged[i], base, cfg, &ssc, &sopt, &sbest) < 0)
			return 2;
	printf("all judged days: optimise %.3f, selfConsumption %.3f, optimum %.3f: %.1f%% of the possible "
	       "saving captured\n",
	       sopt, ssc, sbest, ssc - sbest > 1e-9 ? (ssc - sopt) / (ssc - sbest) * 100 : 100.0);
	plan_cpu(base);
	qsort(times, (size_t)nt, sizeof(double), cmpd);
	printf("\nmedian wall time per 4-day run: %.1f ms (max %.1f ms, %d runs)\n", times[nt / 2] * 1e3,
	       times[nt - 1] * 1e3, nt);
	free(base);
	free(cfg);
	return 0;
}
