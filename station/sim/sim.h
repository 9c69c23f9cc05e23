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
	/* set by the caller after sim_day_load(): runs give the station the
	 * file's own future home load and PV as its forecast every hour
	 * (station_forecast_set()), the optimiser without forecast error */
	bool perfect_forecast;
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
	double flex;            /* the automatic controlled loads in `loads`, W */
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
	/* the automatic controlled loads (Auto-SOC smart loads, heat pump in
	 * auto): their energy, and its worth at the feed-in price of each step */
	double flex_wh, flex_credit;
} sim_kpi;

/* A run's cost on the base consumption (home load + EVs + loads switched by
 * hand): the money cost less the automatic controlled loads' energy valued
 * at the feed-in price. Such a load is a use for surplus; running it on PV
 * that would have been exported changes nothing here, running it on bought
 * or stored energy costs the difference. This is the figure compared with
 * the optimum, which is computed on the base consumption. */
double sim_cost_comparable(const sim_kpi *k);

/* What a run produced. Lifetime: sim_run() .. sim_result_free(). */
typedef struct sim_result {
	sim_kpi all, last_day;
	int last_day_row; /* first row of the last 24 h */
	double soc_start_pct, soc_last_day_start_pct, soc_end_pct;
	/* per row, for the optimum: the base consumption as realised (home load
	 * + EVs + controlled loads switched by hand, without the automatic ones:
	 * see sim_cost_comparable()), PV available (own + third party) and
	 * generator */
	double *fixed_load, *pv_avail, *gen;
	double *soc; /* SOC at the end of each row, % */
} sim_result;

typedef void (*sim_step_cb)(void *user, const sim_step_rec *r);

/* Runs the whole day file. cb (may be NULL) sees every step. Returns 0 or -1
 * with err set. */
int sim_run(const station_config *cfg, const sim_day *d, sim_step_cb cb, void *user, sim_result *res,
	    char *err, int errlen);

/* sim_run() that sets the battery to judge_soc_pct at row judge_row (the
 * start of a judged window), so that every mode starts it alike; the KPIs
 * of `last_day` then cover [judge_row, end) instead of the last 24 h.
 * judge_row < 0: sim_run(). */
int sim_run_judged(const station_config *cfg, const sim_day *d, int judge_row, double judge_soc_pct,
		   sim_step_cb cb, void *user, sim_result *res, char *err, int errlen);
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
 * when the optimum is positive; >= 1 means worse in every case); the cost
 * is sim_cost_comparable(). */
double sim_cost_ratio(double cost, double optimum);

/* One mode judged over [judge_row, end) of a day file (the rows before let
 * the forecasts learn), starting at the settings' socStartPct in every mode,
 * against the perfect-foresight optimum on the base consumption:
 * optimum = from the same start to at least the run's own end SOC, so
 * regret = comparable - optimum >= 0 is the run's loss that no end-SOC
 * difference explains; optimum_eq = from the start back to at least the
 * start, and cost_eq = optimum_eq + regret is the run's cost at equal start
 * and end SOC (the end-SOC difference priced by the optimum itself), the
 * figure that compares modes. */
typedef struct sim_judged {
	double cost, comparable, flex_wh, soc_start, soc_end;
	double optimum, regret, optimum_eq, cost_eq;
} sim_judged;
/* The first row at or after `days` whole days from the file's start. */
int sim_row_after_days(const sim_day *d, int days);
int sim_judge(const station_config *cfg, const sim_day *d, int judge_row, sim_judged *j, char *err,
	      int errlen);

/* Writes the KPI JSON object (one line) to f. With opt != NULL also
 * optimumCost, costRatio (whole file) and lastDay.optimumCost/costRatio. */
typedef struct sim_opt {
	double cost_all, cost_last;
	const char *method;
} sim_opt;
void sim_print_json(FILE *f, const station_config *cfg, const sim_day *d, const sim_result *res,
		    const sim_opt *opt);

#endif
