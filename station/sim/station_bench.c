/* station_bench.c: the figures. Runs every storage mode on every reference
 * day (days/NAME.csv with days/settings.json, mode replaced), prints the KPIs of
 * the last day (the days before it let the forecasts learn) and the
 * optimising mode's cost against the perfect-foresight optimum, with the
 * median wall time per run. Built, not a test.
 * Usage: station-bench [DAYS_DIR]
 */
#include "sim.h"
#include "station_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const days[] = { "summer_sunny", "spring_cloudy", "winter", "dynamic_price" };

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
			double ratio = sim_cost_ratio(k->cost_total, opt);
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
	qsort(times, (size_t)nt, sizeof(double), cmpd);
	printf("\nmedian wall time per 4-day run: %.1f ms (max %.1f ms, %d runs)\n", times[nt / 2] * 1e3,
	       times[nt - 1] * 1e3, nt);
	free(base);
	free(cfg);
	return 0;
}
