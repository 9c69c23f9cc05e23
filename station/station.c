/* station.c: one control step of the home energy station. Turns measurements,
 * settings and the time into a battery setpoint, EV targets (for DLM), PV
 * curtailment and controlled-load decisions, following ../shared/STATION.md.
 * The storage working modes are a table of functions; the caps (reserve,
 * inverter, peak power, export, breaker, off-grid) are applied after them in
 * one place so that no mode can break them.
 */
#include "station.h"
#include "station_internal.h"

#include <math.h>
#include <string.h>

static double clampd(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static double mind(double a, double b)
{
	return a < b ? a : b;
}

static double maxd(double a, double b)
{
	return a > b ? a : b;
}

/* A "maximum" limit: STATION_UNLIMITED (negative) does not apply. */
static double lim(double v, double limit)
{
	return limit < 0 ? v : mind(v, limit);
}

void station_state_init(station_state *st, const station_config *cfg)
{
	memset(st, 0, sizeof(*st));
	st->last_ms = -1;
	st->ems_update_ms = -1;
	st->hp_on_since_ms = -1;
	st->hp_day = INT64_MIN;
	for (int i = 0; i < STATION_MAX_CHARGERS; i++) {
		st->ev[i].phases = i < cfg->n_chargers ? cfg->chargers[i].phases : 3;
		st->ev[i].above_since_ms = st->ev[i].below_since_ms = st->ev[i].switch_since_ms = -1;
	}
	st->fc.acc_slot = -1;
	st->plan.made_slot = -1;
	st->plan.made_ms = -1;
}

void station_remote_ems_set(station_state *st, bool grid_target, double setpoint_w, int64_t now_ms)
{
	if (!isfinite(setpoint_w))
		return;
	st->ems_grid_target = grid_target;
	st->ems_setpoint_w = setpoint_w;
	st->ems_update_ms = now_ms;
}

/* Self-consumption battery power: surplus charges, the battery covers the
 * house deficit and the EV power it is allowed to cover. PV surplus goes to
 * the EVs that may not use the battery first. */
static double self_consumption(const station_ctx *c)
{
	double rest = c->s0 - c->ev;
	if (rest >= 0)
		return mind(rest, c->maxc);
	double e_np = c->ev - c->ev_bat_ok;
	double coverable = maxd(0, -c->s0) + maxd(0, c->ev_bat_ok - maxd(0, c->s0 - e_np));
	return -mind(coverable, c->maxd);
}

/* Grid charging power that keeps import within cap (0 = none) and limit. */
static double grid_charge_room(const station_ctx *c, double want)
{
	double g0 = c->ev - c->s0; /* grid without battery */
	double room = want;
	if (c->cfg->max_peak_power_w > 0)
		room = mind(room, c->cfg->max_peak_power_w - g0);
	return clampd(room, 0, c->maxc);
}

static bool off_peak_now(const station_ctx *c)
{
	for (int i = 0; i < c->cfg->n_off_peak; i++)
		if (station_window_active(&c->cfg->off_peak[i], c->local_s))
			return true;
	return false;
}

/* Peak shaving SOC: off-peak, grid-charge up to it. */
static void peak_shaving_charge(station_ctx *c)
{
	const station_config *cfg = c->cfg;
	if (cfg->peak_shaving_soc_pct <= 0 || c->soc >= cfg->peak_shaving_soc_pct || !off_peak_now(c))
		return;
	double b = grid_charge_room(c, c->maxc);
	if (b > c->bat) {
		c->bat = b;
		c->grid_charge = true;
	}
}

static void mode_self_consumption(station_ctx *c)
{
	c->bat = self_consumption(c);
	peak_shaving_charge(c);
}

double station_tou_battery(const station_tou_period *p, double sc, double soc, double max_c, double max_d,
			   double g0, bool *grid_charge)
{
	*grid_charge = false;
	if (!p) /* outside every period: PV charges, the battery does not discharge */
		return maxd(0, sc);
	if (p->charge) {
		double pv_part = maxd(0, sc);
		double total = lim(max_c, p->max_charge_w);
		double b = mind(pv_part, total);
		if (soc < p->grid_charge_cutoff_soc_pct) {
			double grid_part = lim(total - b, p->max_grid_charge_w);
			if (p->max_import_w >= 0) /* import with the PV part */
				grid_part = mind(grid_part, p->max_import_w - (g0 + b));
			if (grid_part > 0) {
				b += grid_part;
				*grid_charge = true;
			}
		}
		return b;
	}
	/* discharging / self-consumption period */
	double dmax = lim(max_d, p->max_discharge_w);
	double to_grid = p->max_bat_to_grid_w > 0 ? p->max_bat_to_grid_w : 0;
	if (to_grid > 0)
		return -mind(dmax, maxd(0, -sc) + to_grid);
	return maxd(sc, -dmax);
}

const station_tou_period *station_tou_at(const station_config *cfg, int64_t local_s, int *index)
{
	for (int i = 0; i < cfg->n_tou; i++)
		if (station_window_active(&cfg->tou[i].w, local_s)) {
			if (index)
				*index = i;
			return &cfg->tou[i];
		}
	return NULL;
}

void station_ctx_tou(station_ctx *c)
{
	const station_tou_period *p = station_tou_at(c->cfg, c->local_s, &c->tou_period);
	bool gc;
	c->bat = station_tou_battery(p, self_consumption(c), c->soc, c->maxc, c->maxd, c->ev - c->s0, &gc);
	if (gc)
		c->grid_charge = true;
	if (p && p->charge)
		c->import_cap = p->max_import_w;
	else if (p)
		c->export_cap = p->max_export_w;
	if (!p || p->charge)
		peak_shaving_charge(c);
}

static void mode_tou(station_ctx *c)
{
	station_ctx_tou(c);
}

static void mode_feed_in(station_ctx *c)
{
	/* hold the inverter's AC output at its maximum: bat = pv - inverter max */
	c->bat = clampd(c->pv - c->cfg->inverter_max_w, -c->maxd, c->maxc);
}

static void mode_remote_ems(station_ctx *c)
{
	const station_state *st = c->st;
	bool fresh = st->ems_update_ms >= 0 &&
		c->now_ms - st->ems_update_ms <= (int64_t)c->cfg->remote_ems_timeout_s * 1000 &&
		c->now_ms >= st->ems_update_ms;
	if (!fresh) {
		c->ems_fallback = true;
		c->active = STATION_MODE_SELF_CONSUMPTION;
		mode_self_consumption(c);
		return;
	}
	if (st->ems_grid_target)
		c->bat = st->ems_setpoint_w + c->s0 - c->ev;
	else
		c->bat = st->ems_setpoint_w;
	c->bat = clampd(c->bat, -c->maxd, c->maxc);
	if (c->bat > maxd(0, c->s0 - c->ev))
		c->grid_charge = true;
}

/* Seconds from now to the start of the next shedding window or dated
 * outage (INT64_MAX: none), and *inside when now is in one; weekly windows
 * are looked up to 48 h ahead at minute resolution of their starts. */
static int64_t shed_next_start_s(const station_ctx *c, bool *inside)
{
	const station_config *cfg = c->cfg;
	*inside = false;
	for (int i = 0; i < cfg->n_shed; i++)
		if (station_window_active(&cfg->shed[i], c->local_s))
			*inside = true;
	int64_t best = INT64_MAX;
	for (int i = 0; i < cfg->n_outages; i++) {
		const station_outage *o = &cfg->outages[i];
		if (c->now_ms >= o->start_ms && c->now_ms < o->end_ms)
			*inside = true;
		else if (o->start_ms > c->now_ms && (o->start_ms - c->now_ms + 999) / 1000 < best)
			best = (o->start_ms - c->now_ms + 999) / 1000;
	}
	int64_t day0 = c->local_s >= 0 ? c->local_s / 86400 : (c->local_s - 86399) / 86400;
	for (int i = 0; i < cfg->n_shed; i++) {
		const station_window *w = &cfg->shed[i];
		uint8_t mask = w->weekdays ? w->weekdays : STATION_EVERY_DAY;
		for (int64_t d = day0; d <= day0 + 2; d++) {
			int wd = (int)(((d + 3) % 7 + 7) % 7);
			if (!((mask >> wd) & 1))
				continue;
			int64_t start = d * 86400 + (int64_t)w->start_min * 60;
			if (start > c->local_s && start - c->local_s < best)
				best = start - c->local_s;
		}
	}
	return best;
}

static void mode_load_shedding(station_ctx *c)
{
	const station_config *cfg = c->cfg;
	double sc = self_consumption(c);
	bool inside;
	int64_t to_start = shed_next_start_s(c, &inside);
	if (inside && c->on_grid) {
		/* the expected outage has not come (yet): keep the battery full */
		c->bat = maxd(0, sc);
		if (c->soc < cfg->shed_target_soc_pct) {
			double b = grid_charge_room(c, c->maxc);
			if (b > c->bat) {
				c->bat = b;
				c->grid_charge = true;
			}
		}
		return;
	}
	c->bat = sc;
	if (c->soc >= cfg->shed_target_soc_pct || to_start == INT64_MAX)
		return;
	/* start grid charging early enough to be full (plus the margin) at the window */
	double need_wh = (cfg->shed_target_soc_pct - c->soc) / 100.0 * cfg->battery.capacity_wh / c->eta_c;
	double p = c->cfg->battery.max_charge_w;
	if (cfg->max_peak_power_w > 0)
		p = mind(p, maxd(cfg->max_peak_power_w - maxd(0, c->ev - c->s0), 0));
	if (p < 100)
		p = 100;
	double lead_s = need_wh / p * 3600.0 * 1.1 + cfg->shed_margin_min * 60.0;
	if ((double)to_start <= lead_s) {
		double b = grid_charge_room(c, c->maxc);
		if (b > c->bat) {
			c->bat = b;
			c->grid_charge = true;
		}
	}
}

typedef void (*mode_fn)(station_ctx *c);
static const mode_fn mode_table[STATION_MODE_COUNT] = {
	[STATION_MODE_SELF_CONSUMPTION] = mode_self_consumption,
	[STATION_MODE_TOU] = mode_tou,
	[STATION_MODE_FEED_IN] = mode_feed_in,
	[STATION_MODE_REMOTE_EMS] = mode_remote_ems,
	[STATION_MODE_LOAD_SHEDDING] = mode_load_shedding,
	[STATION_MODE_OPTIMISE] = station_mode_optimise,
};

/* Exposed to the optimiser (station_plan.c). */
double station_ctx_self_consumption(const station_ctx *c)
{
	return self_consumption(c);
}

double station_ctx_grid(const station_ctx *c)
{
	return c->ev - c->s0 + c->bat;
}

/* The caps every mode obeys, in a fixed order. Returns the EV power that
 * must be removed to hold the peak cap (0 when none). */
static double apply_caps(station_ctx *c, station_output *out)
{
	const station_config *cfg = c->cfg;
	c->bat = clampd(c->bat, -c->maxd, c->maxc);
	if (!c->on_grid) {
		/* no import, no export: the battery inverter forms the grid and
		 * balances. Its AC output o = own PV used - battery, within
		 * +-inverterMaxW, at most own PV + the discharge limit (SOC above
		 * soc_min), at least -(what the battery takes). The AC side
		 * (third-party PV, generator) serves the rest. A deficit is cut
		 * by the caller (EVs, then controlled loads); what is left is
		 * unserved (finish_step). */
		double inv = cfg->inverter_max_w;
		double need = c->ev - c->s0 + c->pv_own; /* load + loads + EVs - third-party PV - generator */
		double o_max = mind(inv, c->pv_own + c->maxd), o_min = -mind(inv, c->maxc);
		if (need < o_min) { /* AC surplus the battery cannot take: less generator, */
			double g_cut = mind(c->gen, o_min - need);
			c->gen -= g_cut;
			c->s0 -= g_cut;
			need += g_cut;
		}
		if (need < o_min && out->pv3_on) { /* then the third-party inverter trips */
			double pv3 = c->pv - c->pv_own;
			out->pv3_on = false;
			c->pv -= pv3;
			c->s0 -= pv3;
			need += pv3;
		}
		double o = clampd(need, o_min, o_max);
		double pv_used = clampd(c->maxc + o, 0, c->pv_own);
		c->curtail = c->pv_own - pv_used;
		c->bat = pv_used - o;
		return maxd(0, need - o_max);
	}
	double excess_ev = 0;
	double inv = cfg->inverter_max_w;
	/* inverter: AC output pv - bat within +- inverter max (PV above it charges or is curtailed) */
	double pv_used = c->pv_own - c->curtail;
	if (pv_used - c->bat > inv) {
		c->bat = mind(c->maxc, pv_used - inv);
		if (pv_used - c->bat > inv)
			c->curtail += pv_used - c->bat - inv;
	}
	/* import caps: peak power (whole house incl. battery charging) and TOU import */
	double cap = cfg->max_peak_power_w > 0 ? cfg->max_peak_power_w : -1;
	if (c->import_cap >= 0 && (cap < 0 || c->import_cap < cap))
		cap = c->import_cap;
	if (cap >= 0) {
		double g = station_ctx_grid(c);
		if (g > cap) {
			/* battery first: less charging, then discharge down to the reserve
			 * and within the inverter's output */
			pv_used = c->pv_own - c->curtail;
			double lo = maxd(-c->maxd, pv_used - inv);
			double b = maxd(c->bat - (g - cap), lo);
			c->bat = mind(c->bat, b);
			g = station_ctx_grid(c);
			if (g > cap)
				excess_ev = g - cap;
		}
	}
	/* export cap: less discharge, more charging, then curtail PV */
	if (c->export_cap >= 0) {
		double g = station_ctx_grid(c);
		if (g < -c->export_cap) {
			pv_used = c->pv_own - c->curtail;
			c->bat = mind(c->bat + (-c->export_cap - g), mind(c->maxc, pv_used + inv));
			g = station_ctx_grid(c);
			if (g < -c->export_cap)
				c->curtail += -c->export_cap - g;
		}
	}
	pv_used = c->pv_own - c->curtail;
	if (c->bat - pv_used > inv)
		c->bat = pv_used + inv;
	(void)out;
	return excess_ev;
}

static int input_ok(const station_input *in)
{
	return isfinite(in->pv_w) && isfinite(in->pv3_w) && isfinite(in->load_w) && isfinite(in->soc_pct) &&
		isfinite(in->grid_w) && isfinite(in->bat_w) && isfinite(in->ev_w);
}

/* The step's context before any decision: time, SOC, efficiencies. */
static void start_ctx(station_ctx *c, const station_config *cfg, station_state *st, const station_input *in,
		      int64_t now_ms)
{
	memset(c, 0, sizeof(*c));
	c->cfg = cfg;
	c->st = st;
	c->in = in;
	c->now_ms = now_ms;
	c->local_s =
		(now_ms >= 0 ? now_ms / 1000 : (now_ms - 999) / 1000) + (int64_t)cfg->utc_offset_min * 60;
	c->dt_s = st->last_ms >= 0 && now_ms > st->last_ms ? (double)(now_ms - st->last_ms) / 1000.0 : 0;
	if (c->dt_s > 900)
		c->dt_s = 900;
	c->active = cfg->mode;
	c->tou_period = -1;
	c->import_cap = c->export_cap = -1;
	c->soc = clampd(in->soc_pct, 0, 100);
	c->on_grid = in->on_grid;
	double eta = cfg->battery.round_trip_eff > 0 ? cfg->battery.round_trip_eff : 1;
	c->eta_c = c->eta_d = sqrt(eta);
}

/* Battery limits: power limits, then taper so one step cannot cross a
 * bound (the reserve on grid, the minimum off grid, the maximum). */
static void battery_limits(station_ctx *c)
{
	const station_battery_cfg *b = &c->cfg->battery;
	double floor_pct = c->on_grid ? maxd(b->backup_reserve_pct, b->soc_min_pct) : b->soc_min_pct;
	double step_h = (c->dt_s > 0 ? c->dt_s : 60.0) / 3600.0;
	double room_wh = maxd(0, (b->soc_max_pct - c->soc) / 100.0 * b->capacity_wh);
	double avail_wh = maxd(0, (c->soc - floor_pct) / 100.0 * b->capacity_wh);
	c->maxc = mind(b->max_charge_w, room_wh / c->eta_c / step_h);
	c->maxd = mind(b->max_discharge_w, avail_wh * c->eta_d / step_h);
	if (b->capacity_wh <= 0)
		c->maxc = c->maxd = 0;
	c->floor_pct = floor_pct;
}

/* The home load as measured, or derived from the grid meter when unknown
 * (less what this station's own decisions of the last step added). */
static void home_load(station_ctx *c, double pv, double pv3)
{
	const station_input *in = c->in;
	double load = in->load_w;
	if (load < 0)
		load = maxd(0,
			    in->grid_w + pv + pv3 + c->st->last_gen_w - in->bat_w - in->ev_w -
				    c->st->last_loads_w);
	c->load = load;
	c->pv_own = pv;
}

/* Third-party inverter: off-grid it may run only while its power fits
 * load + charging power, else it stops (manual 3.1.9.1). Then the surplus
 * before EVs and battery. */
static void third_party_inverter(station_ctx *c, station_output *out, double pv, double pv3)
{
	out->pv3_on = true;
	if (!c->on_grid && pv3 > c->load + c->loads + c->maxc)
		out->pv3_on = false;
	c->pv = pv + (out->pv3_on ? pv3 : 0);
	c->s0 = c->pv + c->gen - c->load - c->loads;
}

/* Priority SOC: what the battery takes from PV is the mode's own
 * decision, so run the mode once without EVs to learn it. */
static void priority_soc_take(station_ctx *c)
{
	const station_config *cfg = c->cfg;
	c->bat_pv_take = 0;
	if (c->soc < cfg->ev_priority_soc_pct && c->s0 > 0 && cfg->n_chargers > 0) {
		c->ev = c->ev_bat_ok = 0;
		mode_table[cfg->mode](c);
		c->bat_pv_take = clampd(mind(c->bat, c->s0), 0, c->maxc);
	}
}

/* Mode decision and caps; a cap that cuts EVs (off grid: then controlled
 * loads) reruns the mode with the new power (three passes at most on grid,
 * six off grid). */
static void mode_and_caps(station_ctx *c, station_output *out)
{
	const station_config *cfg = c->cfg;
	double ev_cut = 0;
	/* off grid the last pass never cuts: what it leaves short is unserved */
	const int passes = c->on_grid ? 3 : 6;
	for (int pass = 0; pass < passes; pass++) {
		c->bat = 0;
		c->curtail = 0;
		c->grid_charge = false;
		c->ems_fallback = false;
		c->active = cfg->mode;
		c->import_cap = c->export_cap = -1;
		c->tou_period = -1;
		mode_table[cfg->mode](c);
		ev_cut = apply_caps(c, out);
		if (ev_cut <= 1 || (!c->on_grid && pass == passes - 1))
			break;
		if (c->ev > (c->on_grid ? 0 : 1)) /* off grid: rounding left by a cut is not an EV */
			station_ev_reduce(c, out, ev_cut);
		else if (!c->on_grid && c->loads > 0)
			station_loads_shed(c, out, ev_cut); /* off grid: controlled loads next */
		else
			break;
	}
}

/* The setpoints, and what the next step remembers of this one. */
static void finish_step(const station_ctx *c, station_output *out)
{
	const station_config *cfg = c->cfg;
	station_state *st = c->st;
	double pv = c->pv_own;
	out->bat_w = c->bat;
	if (c->curtail > pv) /* only the own PV can be curtailed: the third-party inverter stops */
		out->pv3_on = false;
	out->pv_limit_w = maxd(0, pv - c->curtail);
	out->gen_w = c->gen;
	out->gen_on = c->gen > 0 || st->gen_on;
	out->loads_w = c->loads;
	out->ev_w = c->ev;
	out->grid_w = c->on_grid ? c->ev - c->s0 + c->bat + c->curtail : 0;
	if (!c->on_grid)
		out->unserved_w = maxd(0, c->ev - c->s0 + c->bat + c->curtail);
	out->active = c->active;
	out->ems_fallback = c->ems_fallback;
	out->grid_charging = c->grid_charge;
	out->tou_period = c->tou_period;
	if (cfg->mode != STATION_MODE_OPTIMISE)
		out->plan_soc_pct = -1;
	else
		out->plan_soc_pct = c->plan_soc;
	out->grid_valid = true;

	st->last_ms = c->now_ms;
	st->last_bat_w = c->bat;
	st->last_loads_w = c->loads;
	st->last_gen_w = c->gen;
}

int station_step(const station_config *cfg, station_state *st, const station_input *in, int64_t now_ms,
		 station_output *out)
{
	if (!cfg || !st || !in || !out || !input_ok(in))
		return STATION_EINVAL;
	memset(out, 0, sizeof(*out));
	station_ctx c;
	start_ctx(&c, cfg, st, in, now_ms);
	battery_limits(&c);
	double pv = maxd(0, in->pv_w), pv3 = maxd(0, in->pv3_w);
	home_load(&c, pv, pv3);
	station_forecast_learn(&c, c.load + st->last_loads_w, pv + pv3);
	station_loads_step(&c, out); /* smart loads, heat pump, generator -> c.loads, c.gen */
	third_party_inverter(&c, out, pv, pv3);
	priority_soc_take(&c);
	station_ev_plan(&c, out);
	mode_and_caps(&c, out);
	/* breaker: grid import per phase; EVs are the only flexible consumers here */
	station_ev_breaker(&c, out);
	finish_step(&c, out);
	return 0;
}
