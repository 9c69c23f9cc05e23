/* sim.h: the day simulator behind build/station-sim and station-bench: reads
 * a day CSV, steps the station library, a battery model and a local DLM clamp
 * (breaker) over it, and computes the KPIs of STATION.md; sim_optimum() gives
 * the perfect-foresight minimum cost of the same day (GLPK LP).
 *
 * Ownership: sim_day_load() and sim_run() allocate inside their structs;
 * free them with sim_day_free() / sim_result_free(). Not thread-shared.
 */
#ifndef STATION_SIM_H
#define STATION_SIM_H

#include "station.h"

#include <stdio.h>

/* One CSV file, column-wise. Lifetime: sim_day_load() .. sim_day_free(). */
typedef struct sim_day {
	int n;         /* rows */
	int step_s;    /* 60..900 */
	int64_t *t_ms; /* UTC */
	double *pv, *load, *imp, *exp, *pv3;
	unsigned char *outage; /* 1 = off grid (outage column) */
	int n_ev;              /* ev<k>_w columns present: k = 1..n_ev */
	double *ev_w[STATION_MAX_CHARGERS];
	double *ev_need_wh[STATION_MAX_CHARGERS]; /* NULL when the column is absent */
} sim_day;

int sim_day_load(const char *path, sim_day *d, char *err, int errlen);
void sim_day_free(sim_day *d);

/* The flows of one simulated step (what --out writes). */
typedef struct sim_step_rec {
	int row;
	int64_t t_ms;
	double dt_s;
	double pv_avail, pv, pv3, load, loads, ev, gen, bat, grid, unserved, curtailed;
	double soc_before, soc; /* % */
	bool on_grid;
	double breaker_phase_a; /* highest phase current at the grid point, A */
	double ev_a[STATION_MAX_CHARGERS];
	int ev_phases[STATION_MAX_CHARGERS];
	const station_output *out; /* the station's setpoints for this step */
	const station_input *in;
} sim_step_rec;

typedef struct sim_kpi {
	double self_consumption, self_sufficiency; /* 0..1 */
	double cost_total, import_wh, export_wh, peak_import_w;
	double battery_throughput_wh, ev_energy_wh, ev_pv_wh, ev_pv_share;
	double seconds_over_breaker;
	double pv_wh, consumption_wh, curtailed_wh, unserved_wh;
} sim_kpi;

/* What a run produced. Lifetime: sim_run() .. sim_result_free(). */
typedef struct sim_result {
	sim_kpi all, last_day;
	int last_day_row; /* first row of the last 24 h */
	double soc_start_pct, soc_last_day_start_pct, soc_end_pct;
	/* per row, for the optimum: the consumption as realised (home load +
	 * controlled loads + EVs), PV available (own + third party) and generator */
	double *fixed_load, *pv_avail, *gen;
	double *soc; /* SOC at the end of each row, % */
} sim_result;

typedef void (*sim_step_cb)(void *user, const sim_step_rec *r);

/* Runs the whole day file. cb (may be NULL) sees every step. Returns 0 or -1
 * with err set. */
int sim_run(const station_config *cfg, const sim_day *d, sim_step_cb cb, void *user, sim_result *res,
	    char *err, int errlen);
void sim_result_free(sim_result *res);

/* Perfect-foresight minimum cost over rows [from, to): the same battery,
 * consumption and PV, starting at soc_start_pct and ending at or above
 * soc_end_min_pct. method receives "glpk-lp" or "dp" (fine-grid dynamic
 * program, when GLPK is not built in). soc_out (NULL or to - from values)
 * receives the optimal SOC at the end of each row. Returns 0 or -1. */
int sim_optimum(const station_config *cfg, const sim_day *d, const sim_result *res, int from, int to,
		double soc_start_pct, double soc_end_min_pct, double *cost, const char **method,
		double *soc_out);

/* The same optimum by the station's dynamic program on a fine SOC grid
 * (levels points), for cross-checking the LP. */
int sim_optimum_dp(const station_config *cfg, const sim_day *d, const sim_result *res, int from, int to,
		   double soc_start_pct, double soc_end_min_pct, int levels, double *cost);

/* costRatio as printed: 1 + (cost - optimum) / |optimum| (= cost / optimum
 * when the optimum is positive; >= 1 means worse in every case). */
double sim_cost_ratio(double cost, double optimum);

/* Writes the KPI JSON object (one line) to f. With opt != NULL also
 * optimumCost, costRatio (whole file) and lastDay.optimumCost/costRatio. */
typedef struct sim_opt {
	double cost_all, cost_last;
	const char *method;
} sim_opt;
void sim_print_json(FILE *f, const station_config *cfg, const sim_day *d, const sim_result *res,
		    const sim_opt *opt);

#endif
