/* station_loads.c: the controlled loads and sources of the station: smart
 * loads (Manual, Auto SOC inside a Time of Use window), the SG-ready heat
 * pump (Manual, Auto with PV residual power, minimum running time, maximum
 * daily running time, window + SOC threshold) and the generator (Manual,
 * Auto windows with start/stop SOC, Best Power Duty, charging cut-off SOC).
 */
#include "station_internal.h"

#include <stddef.h>

static void smart_loads(station_ctx *c, station_output *out)
{
	const station_config *cfg = c->cfg;
	station_state *st = c->st;
	for (int i = 0; i < cfg->n_smart_loads; i++) {
		const station_smart_load_cfg *l = &cfg->smart_loads[i];
		bool on = st->smart_on[i];
		if (l->mode == STATION_LOAD_MANUAL) {
			on = l->manual_on;
		} else if (!station_window_active(&l->window, c->local_s)) {
			on = false;
		} else if (c->soc > l->soc_threshold_pct) {
			on = true;
		} else if (c->soc < l->soc_threshold_pct) {
			on = false;
		} /* exactly at the threshold: keep the state (no chatter) */
		st->smart_on[i] = on;
		out->smart_load_on[i] = on;
		if (on)
			c->loads += l->power_w;
	}
}

static void heat_pump(station_ctx *c, station_output *out)
{
	const station_heat_pump_cfg *h = &c->cfg->heat_pump;
	station_state *st = c->st;
	if (!h->enabled) {
		st->hp_on = false;
		out->heat_pump_on = false;
		return;
	}
	int64_t day = c->local_s >= 0 ? c->local_s / 86400 : (c->local_s - 86399) / 86400;
	if (st->hp_on)
		st->hp_run_today_s += c->dt_s;
	if (day != st->hp_day) {
		st->hp_day = day;
		st->hp_run_today_s = 0;
	}
	bool on;
	if (!h->auto_mode) {
		on = h->manual_on;
	} else {
		/* surplus = PV - AC load - storage charging power (manual 3.1.9.4);
		 * the heat pump's own draw is not in the AC load */
		double charging = st->last_bat_w > 0 ? st->last_bat_w : 0;
		double surplus = c->pv_own + c->in->pv3_w + c->gen - c->load - c->loads - charging;
		bool allowed = !h->window_enabled ||
			(station_window_active(&h->window, c->local_s) && c->soc >= h->soc_threshold_pct);
		bool want = allowed && (!h->pv_residual_control || surplus > h->min_start_power_w);
		bool min_run = st->hp_on && st->hp_on_since_ms >= 0 &&
			c->now_ms - st->hp_on_since_ms < (int64_t)h->min_run_s * 1000;
		on = want || min_run;
		if (h->max_daily_run_s > 0 && st->hp_run_today_s >= h->max_daily_run_s)
			on = false;
	}
	if (on && !st->hp_on)
		st->hp_on_since_ms = c->now_ms;
	st->hp_on = on;
	out->heat_pump_on = on;
	if (on)
		c->loads += h->power_w;
}

static void generator(station_ctx *c)
{
	const station_generator_cfg *g = &c->cfg->generator;
	station_state *st = c->st;
	if (!g->enabled) {
		st->gen_on = false;
		return;
	}
	bool on = st->gen_on;
	if (!g->auto_mode) {
		on = g->manual_on;
	} else {
		const station_gen_window *w = NULL;
		for (int i = 0; i < g->n_windows && !w; i++)
			if (station_window_active(&g->windows[i].w, c->local_s))
				w = &g->windows[i];
		if (!w)
			on = false;
		else if (!on && c->soc <= w->start_soc_pct)
			on = true;
		else if (on && c->soc >= w->stop_soc_pct)
			on = false;
	}
	st->gen_on = on;
	if (!on)
		return;
	double limit = g->rated_power_w * (g->best_power_duty ? 0.8 : 1.0);
	double deficit = c->load + c->loads - c->pv_own - c->in->pv3_w;
	double want = deficit > 0 ? deficit : 0;
	if (c->soc < g->charge_cutoff_soc_pct)
		want += c->maxc; /* charge the battery up to the cut-off */
	c->gen = want < limit ? want : limit;
}

void station_loads_step(station_ctx *c, station_output *out)
{
	c->loads = 0;
	c->gen = 0;
	smart_loads(c, out);
	heat_pump(c, out);
	generator(c);
}

/* Off grid, when battery, PV and generator cannot carry the house: switch
 * off controlled loads until cut_w is freed, the heat pump first, then the
 * smart loads from the last (the first listed is the most wanted). The
 * generator keeps its setpoint. */
void station_loads_shed(station_ctx *c, station_output *out, double cut_w)
{
	const station_config *cfg = c->cfg;
	station_state *st = c->st;
	double freed = 0;
	if (out->heat_pump_on && cut_w > 1e-6) {
		out->heat_pump_on = false;
		st->hp_on = false;
		freed += cfg->heat_pump.power_w;
		cut_w -= cfg->heat_pump.power_w;
	}
	for (int i = cfg->n_smart_loads - 1; i >= 0 && cut_w > 1e-6; i--) {
		if (!out->smart_load_on[i])
			continue;
		out->smart_load_on[i] = false;
		st->smart_on[i] = false;
		freed += cfg->smart_loads[i].power_w;
		cut_w -= cfg->smart_loads[i].power_w;
	}
	if (freed > c->loads)
		freed = c->loads;
	c->loads -= freed;
	c->s0 += freed;
}
