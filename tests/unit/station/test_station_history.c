/* test_station_history.c: the history's arithmetic with exact values:
 * integration of held measurements across bucket boundaries (averages, the
 * import/export and charge/discharge split, phase currents, chargers),
 * merging (downsampling; a restart back into a written bucket; a clock that
 * ran twice), the local day and month boundaries with an offset, the
 * ratios, and a charging session's cost across a tariff boundary, PV share
 * with partial grid import, and zero energy. */
#include "station_history.h"
#include "check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)
#define T0 1718625600LL /* 2024-06-17T12:00:00Z, a multiple of 3600 */

struct got {
	int n;
	station_hist_bucket b[16];
};

static void keep(void *arg, const station_hist_bucket *b)
{
	struct got *g = arg;
	if (g->n < 16)
		g->b[g->n++] = *b;
}

static station_hist_sample sample(double pv, double load, double bat, double soc, double grid, double ev)
{
	station_hist_sample s;
	memset(&s, 0, sizeof s);
	s.pv_w = pv;
	s.load_w = load;
	s.bat_w = bat;
	s.soc_pct = soc;
	s.grid_w = grid;
	s.ev_w = ev;
	return s;
}

/* Two samples held 30 s each into one minute; then one held 90 s across
 * the next two minutes. */
static void t_integrate(void)
{
	station_hist_acc a;
	struct got g = { 0 };
	station_hist_acc_init(&a, 60);
	station_hist_sample s1 = sample(1000, 500, 200, 40, -300, 0);
	station_hist_sample s2 = sample(0, 800, -300, 50, 500, 0);
	s2.has_grid_a = true;
	s2.grid_a[0] = 3, s2.grid_a[1] = 6, s2.grid_a[2] = 9;
	s2.n_chargers = 1;
	strcpy(s2.chargers[0].id, "cp1");
	s2.chargers[0].w = 7200;
	int64_t t = T0 * 1000;
	station_hist_advance(&a, &s1, t, t + 30000, keep, &g);
	CHECK(g.n == 0);
	station_hist_advance(&a, &s2, t + 30000, t + 60000, keep, &g);
	CHECK(g.n == 1); /* the minute ended at t + 60 s exactly */
	station_hist_avg v;
	station_hist_average(&g.b[0], &v);
	CHECK(g.b[0].start_s == T0 && g.b[0].len_s == 60);
	CHECK(NEAR(v.cover_s, 60));
	CHECK(NEAR(v.pv_w, 500) && NEAR(v.load_w, 650) && NEAR(v.soc_pct, 45));
	CHECK(NEAR(v.bat_w, -50) && NEAR(v.bat_in_wh, 200.0 * 30 / 3600) &&
	      NEAR(v.bat_out_wh, 300.0 * 30 / 3600));
	/* net grid +100 W, but 150 W imported and 150 W exported on average */
	CHECK(NEAR(v.grid_w, 100) && NEAR(v.import_w, 250) && NEAR(v.export_w, 150));
	CHECK(NEAR(v.import_wh, 500.0 * 30 / 3600) && NEAR(v.export_wh, 300.0 * 30 / 3600));
	CHECK(v.has_grid_a && NEAR(v.grid_a[0], 3) && NEAR(v.grid_a[2], 9)); /* over the 30 s it had them */
	CHECK(g.b[0].n_chargers == 1 && NEAR(g.b[0].chargers[0].ws, 7200.0 * 30));
	CHECK(NEAR(g.b[0].peak_import_w, 500));
	/* 90 s from t + 60: one full minute out, the next half open */
	station_hist_advance(&a, &s1, t + 60000, t + 150000, keep, &g);
	CHECK(g.n == 2 && g.b[1].start_s == T0 + 60 && NEAR(g.b[1].cover_s, 60));
	station_hist_bucket rest;
	CHECK(station_hist_acc_take(&a, &rest) == 1);
	CHECK(rest.start_s == T0 + 120 && NEAR(rest.cover_s, 30));
	CHECK(station_hist_acc_take(&a, &rest) == 0);
	/* a gap: the next sample starts later; the open bucket ends first */
	station_hist_advance(&a, &s1, t + 300000, t + 310000, keep, &g);
	station_hist_advance(&a, &s1, t + 500000, t + 500000, keep, &g); /* no time: emits what ended */
	CHECK(g.n == 3 && g.b[2].start_s == T0 + 300 && NEAR(g.b[2].cover_s, 10));
}

/* A fine bucket merged into its 15-minute and hourly rows; the same bucket
 * written in two halves (a restart inside it) is one bucket. */
static void t_merge(void)
{
	station_hist_sample s = sample(2000, 1000, 0, 60, -1000, 0);
	station_hist_bucket q, m1, m2, whole;
	station_hist_bucket_init(&q, T0, 900);
	for (int i = 0; i < 15; i++) {
		station_hist_bucket_init(&m1, T0 + i * 60, 60);
		station_hist_add(&m1, &s, 60);
		m1.cost = -0.01;
		station_hist_merge(&q, &m1);
	}
	station_hist_avg v;
	station_hist_average(&q, &v);
	CHECK(q.start_s == T0 && q.len_s == 900 && NEAR(q.cover_s, 900));
	CHECK(NEAR(v.pv_w, 2000) && NEAR(v.pv_wh, 500) && NEAR(v.export_wh, 250) && NEAR(v.cost, -0.15));
	/* restart in the middle of a minute */
	station_hist_bucket_init(&m1, T0, 60);
	station_hist_add(&m1, &s, 20);
	station_hist_bucket_init(&m2, T0, 60);
	station_hist_add(&m2, &s, 40);
	station_hist_merge(&m1, &m2);
	station_hist_bucket_init(&whole, T0, 60);
	station_hist_add(&whole, &s, 60);
	CHECK(NEAR(m1.cover_s, whole.cover_s) && NEAR(m1.pv_ws, whole.pv_ws) && NEAR(m1.soc_s, whole.soc_s));
	/* a clock that ran the minute twice: the average, for one minute */
	station_hist_merge(&m1, &whole);
	station_hist_average(&m1, &v);
	CHECK(NEAR(v.cover_s, 60) && NEAR(v.pv_w, 2000) && NEAR(v.pv_wh, 2000.0 / 60));
	/* chargers merge by id */
	station_hist_bucket a, b;
	station_hist_bucket_init(&a, T0, 60);
	station_hist_bucket_init(&b, T0, 60);
	a.n_chargers = 1;
	strcpy(a.chargers[0].id, "x");
	a.chargers[0].ws = 10;
	b.n_chargers = 2;
	strcpy(b.chargers[0].id, "y");
	b.chargers[0].ws = 5;
	strcpy(b.chargers[1].id, "x");
	b.chargers[1].ws = 7;
	station_hist_merge(&a, &b);
	CHECK(a.n_chargers == 2 && NEAR(a.chargers[0].ws, 17) && !strcmp(a.chargers[1].id, "y"));
	/* an empty bucket averages to nothing */
	station_hist_bucket_init(&a, T0, 60);
	station_hist_average(&a, &v);
	CHECK(v.cover_s == 0 && v.pv_w == 0);
}

static void t_floor_and_calendar(void)
{
	CHECK(station_hist_floor(119, 60) == 60 && station_hist_floor(-1, 60) == -60 &&
	      station_hist_floor(-60, 60) == -60);
	/* 2024-06-17T23:30Z at UTC+2 is 2024-06-18 01:30 local: the day began at 2024-06-17T22:00Z */
	int64_t t = 1718667000;
	CHECK(station_hist_period_start(t, 120, STATION_HIST_DAY) == 1718661600);
	CHECK(station_hist_period_next(1718661600, 120, STATION_HIST_DAY) == 1718748000);
	/* UTC-5: 2024-03-01T03:00Z is still February 29 locally */
	t = 1709262000;
	CHECK(station_hist_period_start(t, -300, STATION_HIST_MONTH) == 1706763600); /* 2024-02-01T05:00Z */
	CHECK(station_hist_period_next(1706763600, -300, STATION_HIST_MONTH) == 1709269200); /* 03-01T05Z */
	/* December to January */
	CHECK(station_hist_period_next(1733011200, 0, STATION_HIST_MONTH) == 1735689600); /* 2025-01-01 */
	/* the ratios */
	CHECK(NEAR(station_hist_self_consumption(10, 4), 0.6) && isnan(station_hist_self_consumption(0, 0)));
	CHECK(NEAR(station_hist_self_sufficiency(10, 2.5), 0.75) &&
	      NEAR(station_hist_self_sufficiency(10, 20), 0) && isnan(station_hist_self_sufficiency(0, 1)));
}

/* Price per kWh: 0.10 before T0 + 30 min, 0.40 from there (a tariff boundary). */
static double price(void *arg, int64_t slot_ms)
{
	int *calls = arg;
	(*calls)++;
	return slot_ms < (T0 + 1800) * 1000 ? 0.10 : 0.40;
}

static void t_session(void)
{
	int calls = 0;
	/* 2 kWh evenly over 20:00 min across the boundary at 30:00: 3/4 before, 1/4 after */
	int64_t t0 = (T0 + 15 * 60) * 1000, t1 = (T0 + 35 * 60) * 1000;
	double c = station_hist_interval_cost(2000, t0, t1, price, &calls);
	CHECK(NEAR(c, 1.5 * 0.10 + 0.5 * 0.40));
	CHECK(calls == 2);
	/* inside one slot, and an interval with no length: the end's price */
	CHECK(NEAR(station_hist_interval_cost(1000, (T0 + 1900) * 1000, (T0 + 2000) * 1000, price, &calls),
		   0.40));
	CHECK(NEAR(station_hist_interval_cost(1000, t1, t1, price, &calls), 0.40));
	/* zero energy costs nothing and asks no price */
	calls = 0;
	CHECK(station_hist_interval_cost(0, t0, t1, price, &calls) == 0 && calls == 0);
	/* grid fraction: partial import, none, all, export, no EV */
	CHECK(NEAR(station_hist_grid_fraction(2000, 8000), 0.25));
	CHECK(station_hist_grid_fraction(-500, 8000) == 0 && station_hist_grid_fraction(9000, 8000) == 1);
	CHECK(station_hist_grid_fraction(2000, 0) == 0);
	/* a session: 4 kWh with a quarter from the grid, 2 kWh of unknown origin, then zero */
	station_hist_tx tx = { 0 };
	CHECK(isnan(station_hist_tx_pv_share(&tx)));
	station_hist_tx_add(&tx, 4000, 1.2, 0.25);
	station_hist_tx_add(&tx, 2000, 0.6, -1);
	station_hist_tx_add(&tx, 0, 0, 0.5);
	CHECK(NEAR(tx.cost, 1.8) && NEAR(tx.pv_wh, 3000) && NEAR(tx.shared_wh, 4000));
	CHECK(NEAR(station_hist_tx_pv_share(&tx), 0.75));
}

int main(void)
{
	t_integrate();
	t_merge();
	t_floor_and_calendar();
	t_session();
	return CHECK_DONE();
}
