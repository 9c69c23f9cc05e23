/* bench_history_size.c: what a year of history costs on disk. Writes a
 * year of rows through store.h as csmsd keeps them with the default
 * settings (history_step_s 60 for history_fine_days 30, 15-minute rows for
 * history_15min_days 400, hourly for ever), one charger charging a third of
 * the time, the grid sensor's phase currents, a group commit per minute as
 * the daemon does, then prints the file's size. A program, not a test:
 *   build/tests/bench_history_size [FILE] */
#include "store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static struct store_history_row row(int res, int64_t t, unsigned *seed)
{
	double day = fmod((double)t, 86400) / 86400;
	double pv = fmax(0, sin((day - 0.25) * 2 * M_PI)) * 6000 * (0.5 + (rand_r(seed) % 50) / 100.0);
	double load = 400 + rand_r(seed) % 1500, ev = (t / 3600) % 3 == 0 ? 7200 : 0;
	double grid = load + ev - pv, bat = grid < 0 ? fmin(-grid, 3000) : -fmin(grid, 3000);
	grid += bat;
	struct store_history_row r = {
		.res = res,
		.t_s = t,
		.cover_s = res,
		.pv_ws = pv * res,
		.load_ws = load * res,
		.bat_in_ws = fmax(bat, 0) * res,
		.bat_out_ws = fmax(-bat, 0) * res,
		.import_ws = fmax(grid, 0) * res,
		.export_ws = fmax(-grid, 0) * res,
		.ev_ws = ev * res,
		.soc_s = (20 + rand_r(seed) % 80) * (double)res,
		.grid_as = { grid / 690 * res, grid / 690 * res, grid / 690 * res },
		.grid_cover_s = res,
		.peak_import_w = fmax(grid, 0),
		.cost = fmax(grid, 0) * res / 3.6e6 * 0.3,
		.chargers_json = ev > 0 ? "{\"charger-01\":432000}" : NULL,
	};
	return r;
}

int main(int argc, char **argv)
{
	char path[] = "/tmp/csms-history-year-XXXXXX";
	const char *file = argc > 1 ? argv[1] : path;
	char err[256];
	struct store *st;
	unsigned seed = 1;
	if (argc <= 1) {
		int fd = mkstemp(path);
		if (fd >= 0)
			close(fd);
		unlink(path);
	}
	if (store_open(file, &st, err, sizeof err)) {
		fprintf(stderr, "%s: %s\n", file, err);
		return 1;
	}
	const int64_t t0 = 1704067200, year = 365 * 86400LL, fine_from = t0 + year - 30 * 86400LL;
	long rows = 0;
	for (int64_t t = t0; t < t0 + year; t += 60) {
		struct store_history_row r;
		if (t >= fine_from) {
			r = row(60, t, &seed);
			store_history_put(st, &r);
			rows++;
		}
		if (t % 900 == 0) {
			r = row(900, t, &seed);
			store_history_put(st, &r);
			rows++;
		}
		if (t % 3600 == 0) {
			r = row(3600, t, &seed);
			store_history_put(st, &r);
			rows++;
		}
		store_commit(st);
	}
	store_close(st);
	struct stat sb;
	char wal[512];
	snprintf(wal, sizeof wal, "%s-wal", file);
	if (stat(file, &sb)) {
		perror(file);
		return 1;
	}
	printf("a year of history: %ld rows (30 days of 1-minute, 365 days of 15-minute and hourly rows), "
	       "%lld bytes (%.1f MB), %.0f bytes per row\n",
	       rows, (long long)sb.st_size, (double)sb.st_size / 1e6, (double)sb.st_size / (double)rows);
	if (argc <= 1) {
		unlink(file);
		unlink(wal);
	}
	return 0;
}
