/* station_history.h: the arithmetic of the station's measured history, a
 * pure module (libc + libm only): measurements held between steps
 * integrated into fixed buckets, buckets merged (downsampling, and a
 * restart that comes back into a bucket it had written), averages and
 * energies out of a bucket, local day and month boundaries, and the cost
 * and PV share of a charging session's meter value intervals.
 *
 * A bucket keeps integrals (W.s, %.s, A.s) and the seconds it covers, not
 * averages: merging is adding, and an average is the integral over the
 * covered time. A bucket that covers more than its length (a simulated
 * clock that ran the same time twice) gives its average for its length.
 * Ownership: the caller owns every struct; nothing is allocated. */
#ifndef STATION_HISTORY_H
#define STATION_HISTORY_H

#include <stdbool.h>
#include <stdint.h>

#define STATION_HIST_MAX_CHARGERS 16 /* chargers kept per bucket; more still count in ev */
#define STATION_HIST_ID_MAX 49

/* One measurement, held from its time until the next one. Signs as in
 * station.h: bat > 0 charging, grid > 0 import. */
typedef struct station_hist_sample {
	double pv_w, load_w, bat_w, soc_pct, grid_w, ev_w;
	bool has_grid_a; /* the grid sensor gave per-phase currents */
	double grid_a[3];
	int n_chargers;
	struct {
		char id[STATION_HIST_ID_MAX];
		double w;
	} chargers[STATION_HIST_MAX_CHARGERS];
} station_hist_sample;

/* Integrals over [start_s, start_s + len_s), unix seconds. */
typedef struct station_hist_bucket {
	int64_t start_s;
	int32_t len_s;
	double cover_s; /* seconds measured */
	double pv_ws, load_ws, bat_in_ws, bat_out_ws, import_ws, export_ws, ev_ws;
	double soc_s;         /* SOC % x s */
	double grid_as[3];    /* phase currents A x s, over grid_cover_s */
	double grid_cover_s;  /* seconds with phase currents */
	double peak_import_w; /* highest import held in the bucket */
	double cost;          /* import cost minus export revenue (set by the owner) */
	int n_chargers;
	struct {
		char id[STATION_HIST_ID_MAX];
		double ws;
	} chargers[STATION_HIST_MAX_CHARGERS];
} station_hist_bucket;

/* What a bucket says: averages over its covered time, energies for its length. */
typedef struct station_hist_avg {
	double cover_s; /* min(cover, len) */
	double pv_w, load_w, bat_w, soc_pct, grid_w, import_w, export_w, ev_w;
	bool has_grid_a;
	double grid_a[3];
	double pv_wh, load_wh, bat_in_wh, bat_out_wh, import_wh, export_wh, ev_wh, cost;
} station_hist_avg;

/* floor(t_s / len_s) * len_s, also for t_s < 0. */
int64_t station_hist_floor(int64_t t_s, int32_t len_s);
void station_hist_bucket_init(station_hist_bucket *b, int64_t start_s, int32_t len_s);
/* s held for dt_s seconds, into b. */
void station_hist_add(station_hist_bucket *b, const station_hist_sample *s, double dt_s);

/* The bucket being filled. Lifetime: the owner's; zero it, then
 * station_hist_acc_init. */
typedef struct station_hist_acc {
	int32_t len_s;
	bool open; /* cur holds a bucket */
	station_hist_bucket cur;
} station_hist_acc;
void station_hist_acc_init(station_hist_acc *a, int32_t len_s);
/* s held over [t0_ms, t1_ms): integrated bucket by bucket; each bucket that
 * ends at or before t1_ms and covered something goes to emit (in time
 * order; it is the caller's to keep), and the bucket t1_ms falls in stays
 * open. t1_ms <= t0_ms integrates nothing but still emits what ended. */
void station_hist_advance(station_hist_acc *a, const station_hist_sample *s, int64_t t0_ms, int64_t t1_ms,
			  void (*emit)(void *arg, const station_hist_bucket *b), void *arg);
/* The open bucket, if it covered something (shutdown), to emit; the
 * accumulator is empty after. 1 when *out was filled, else 0. */
int station_hist_acc_take(station_hist_acc *a, station_hist_bucket *out);

/* Adds b into into (sums, cover, the highest peak, chargers by id; start
 * and length stay into's). */
void station_hist_merge(station_hist_bucket *into, const station_hist_bucket *b);
void station_hist_average(const station_hist_bucket *b, station_hist_avg *out);

/* Local calendar: local = UTC + utc_offset_min. The start (unix s) of the
 * local day or month that t_s falls in, and the start of the next one. */
typedef enum { STATION_HIST_DAY = 0, STATION_HIST_MONTH } station_hist_period;
int64_t station_hist_period_start(int64_t t_s, int utc_offset_min, station_hist_period p);
int64_t station_hist_period_next(int64_t start_s, int utc_offset_min, station_hist_period p);

/* Self-consumption (share of PV not exported) and self-sufficiency (share
 * of consumption not imported), clamped to 0..1; NAN when PV or
 * consumption is 0. */
double station_hist_self_consumption(double pv_wh, double export_wh);
double station_hist_self_sufficiency(double consumption_wh, double import_wh);

/* ---- a charging session, interval by interval ---- */

/* Price per kWh of the 15-minute slot that starts at slot_ms (station.h's
 * STATION_SLOT_S). */
typedef double (*station_hist_price_fn)(void *arg, int64_t slot_ms);
/* The cost of wh delivered evenly over [t0_ms, t1_ms): each 15-minute
 * slot's share at its price. t1_ms <= t0_ms: all of it at t1_ms's price. */
double station_hist_interval_cost(double wh, int64_t t0_ms, int64_t t1_ms, station_hist_price_fn price,
				  void *arg);
/* The share of EV power the grid covers: min(import, ev) / ev, 0 with no EV
 * power or no import (grid import is counted against the EVs first: the PV
 * share is never overstated). */
double station_hist_grid_fraction(double grid_w, double ev_w);

/* What a session has accumulated. */
typedef struct station_hist_tx {
	double cost;      /* currency */
	double pv_wh;     /* energy from PV or the battery */
	double shared_wh; /* energy whose origin was known */
} station_hist_tx;
/* One interval: wh at cost, grid_fraction in 0..1, or < 0 when unknown
 * (then the PV share does not count it). */
void station_hist_tx_add(station_hist_tx *t, double wh, double cost, double grid_fraction);
/* pv_wh / shared_wh, or NAN when no energy of known origin. */
double station_hist_tx_pv_share(const station_hist_tx *t);

#endif
