/* station_sim.c: build/station-sim DAY.csv SETTINGS.json [--optimum] [--out FILE]
 * (../shared/CONTRACT.md): runs the station over a day file and prints the
 * KPIs as one JSON object; exit 2 with one line on stderr for bad input.
 */
#include "sim.h"
#include "station_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
	fprintf(stderr, "usage: station-sim DAY.csv SETTINGS.json [--optimum] [--out FILE]\n");
	return 2;
}

static char *slurp(const char *path, char *err, int errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	if (!f) {
		snprintf(err, (size_t)errlen, "%s: cannot open", path);
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0)
		goto fail;
	long n = ftell(f);
	if (n < 0 || n > (64L << 20) || fseek(f, 0, SEEK_SET) != 0)
		goto fail;
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		goto fail;
	buf[n] = 0;
	fclose(f);
	return buf;
fail:
	snprintf(err, (size_t)errlen, "%s: cannot read", path);
	free(buf);
	fclose(f);
	return NULL;
}

typedef struct out_ctx {
	FILE *f;
	const station_config *cfg;
	const sim_day *d;
} out_ctx;

static void write_step(void *user, const sim_step_rec *r)
{
	out_ctx *o = user;
	int64_t s = r->t_ms / 1000;
	int64_t day = s / 86400, sod = s % 86400;
	/* civil from days (Howard Hinnant) */
	int64_t z = day + 719468, era = z / 146097, doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365, y = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	int64_t dd = doy - (153 * mp + 2) / 5 + 1, mm = mp < 10 ? mp + 3 : mp - 9;
	y += mm <= 2;
	fprintf(o->f,
		"%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%."
		"1f,%.3f,%d,%.1f,%.2f",
		(long long)y, (long long)mm, (long long)dd, (long long)(sod / 3600),
		(long long)(sod / 60 % 60), (long long)(sod % 60), r->pv_avail, r->pv, r->pv3, r->load,
		r->loads, r->ev, r->gen, r->bat, r->grid, r->unserved, r->soc, r->on_grid ? 1 : 0,
		r->curtailed, r->out->plan_soc_pct);
	for (int k = 0; k < o->cfg->n_chargers; k++)
		fprintf(o->f, ",%.1f,%d", r->ev_a[k], r->ev_phases[k]);
	fputc('\n', o->f);
}

int main(int argc, char **argv)
{
	const char *csv = NULL, *settings = NULL, *out_path = NULL;
	bool optimum = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--optimum") == 0)
			optimum = true;
		else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			out_path = argv[++i];
		else if (argv[i][0] == '-' && argv[i][1])
			return usage();
		else if (!csv)
			csv = argv[i];
		else if (!settings)
			settings = argv[i];
		else
			return usage();
	}
	if (!csv || !settings)
		return usage();
	char err[512];
	int rc = 2;
	station_config *cfg = malloc(sizeof(*cfg));
	sim_day day;
	sim_result res;
	memset(&day, 0, sizeof(day));
	memset(&res, 0, sizeof(res));
	char *text = NULL;
	FILE *of = NULL;
	if (!cfg) {
		fprintf(stderr, "station-sim: out of memory\n");
		return 2;
	}
	station_config_defaults(cfg);
	text = slurp(settings, err, sizeof(err));
	if (!text) {
		fprintf(stderr, "station-sim: %s\n", err);
		goto out;
	}
	if (station_json_parse(text, cfg, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "station-sim: %s: %s\n", settings, err);
		goto out;
	}
	if (sim_day_load(csv, &day, err, sizeof(err)) < 0) {
		fprintf(stderr, "station-sim: %s\n", err);
		goto out;
	}
	out_ctx oc = { NULL, cfg, &day };
	if (out_path) {
		of = fopen(out_path, "w");
		if (!of) {
			fprintf(stderr, "station-sim: %s: cannot write\n", out_path);
			goto out;
		}
		oc.f = of;
		fprintf(of,
			"time,pv_avail_w,pv_w,pv3_w,load_w,loads_w,ev_w,gen_w,bat_w,grid_w,unserved_w,soc_"
			"pct,on_grid,"
			"curtailed_w,plan_soc_pct");
		for (int k = 0; k < cfg->n_chargers; k++)
			fprintf(of, ",ev%d_a,ev%d_phases", k + 1, k + 1);
		fputc('\n', of);
	}
	if (sim_run(cfg, &day, of ? write_step : NULL, &oc, &res, err, sizeof(err)) < 0) {
		fprintf(stderr, "station-sim: %s\n", err);
		goto out;
	}
	sim_opt opt = { 0, 0, "none" };
	if (optimum) {
		if (sim_optimum(cfg, &day, &res, 0, day.n, res.soc_start_pct, res.soc_end_pct, &opt.cost_all,
				&opt.method, NULL) < 0 ||
		    sim_optimum(cfg, &day, &res, res.last_day_row, day.n, res.soc_last_day_start_pct,
				res.soc_end_pct, &opt.cost_last, &opt.method, NULL) < 0) {
			fprintf(stderr, "station-sim: the optimum could not be computed\n");
			rc = 1;
			goto out;
		}
	}
	sim_print_json(stdout, cfg, &day, &res, optimum ? &opt : NULL);
	rc = 0;
out:
	if (of && fclose(of) != 0 && rc == 0) {
		fprintf(stderr, "station-sim: %s: write failed\n", out_path);
		rc = 2;
	}
	sim_result_free(&res);
	sim_day_free(&day);
	free(text);
	free(cfg);
	return rc;
}
