/* station_internal.h: the per-step context shared by the parts of the
 * station library (modes, EV, controlled loads, optimiser). Not installed,
 * not for callers. Lifetime: one station_ctx lives on the stack of one
 * station_step() call.
 */
#ifndef STATION_INTERNAL_H
#define STATION_INTERNAL_H

#include "station.h"

typedef struct station_ctx {
	const station_config *cfg;
	station_state *st;
	const station_input *in;
	int64_t now_ms, local_s;
	double dt_s; /* since the previous step, 0 on the first */
	double soc, floor_pct;
	bool on_grid;
	double eta_c, eta_d;
	double maxc, maxd;           /* battery AC power limits now (SOC-tapered, reserve) */
	double pv_own;               /* own PV available */
	double pv, load, loads, gen; /* pv = own + third-party (when running) */
	double s0;                   /* pv + gen - load - loads */
	double ev, ev_bat_ok;        /* EV power, and the part the battery may cover */
	double bat_pv_take;          /* PV the mode charges with no EV (priority SOC) */
	/* decision */
	double bat, curtail;
	double import_cap, export_cap; /* this step's extra caps, < 0 none */
	bool grid_charge, ems_fallback;
	station_mode active;
	int tou_period;
	double plan_soc;
} station_ctx;

double station_ctx_self_consumption(const station_ctx *c);
double station_ctx_grid(const station_ctx *c);
/* The TOU mode's step (battery power, caps, grid charging) on c. */
void station_ctx_tou(station_ctx *c);
/* The TOU period active at local time local_s (its index into *index when
 * not NULL), or NULL. */
const station_tou_period *station_tou_at(const station_config *cfg, int64_t local_s, int *index);
/* The TOU rule's battery power (W, + charges) in period p (NULL: outside
 * every period), given the self-consumption power sc, the SOC (%), the
 * battery's charge and discharge limits now and the import without the
 * battery g0 (W); *grid_charge says whether the grid charges it. Shared by
 * the mode and the optimiser's guard, which costs the rule on a forecast. */
double station_tou_battery(const station_tou_period *p, double sc, double soc, double max_c, double max_d,
			   double g0, bool *grid_charge);

void station_forecast_learn(station_ctx *c, double load_w, double pv_w);
void station_mode_optimise(station_ctx *c);
void station_loads_step(station_ctx *c, station_output *out);
void station_loads_shed(station_ctx *c, station_output *out, double cut_w);
void station_ev_plan(station_ctx *c, station_output *out);
void station_ev_reduce(station_ctx *c, station_output *out, double cut_w);
void station_ev_breaker(station_ctx *c, station_output *out);
void station_charger_defaults(station_charger_cfg *ch);

#endif
