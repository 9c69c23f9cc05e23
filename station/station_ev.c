/* station_ev.c: EV charging modes per charger (Fast, Solar Boost, 100% PV
 * with enable/disable delays and automatic 3-phase/1-phase switching),
 * battery priority SOC and battery-to-EV, and the cuts that the peak cap, the
 * breaker and off-grid operation impose. The targets go to DLM, which has
 * the last word.
 */
#include "station_internal.h"

#include <math.h>

static double floor_a(double a)
{
	return floor(a * 10.0 + 1e-9) / 10.0;
}

/* Below 6 A a limit is 0 (IEC 61851). */
static double legal_a(double a, double max_a)
{
	if (a > max_a)
		a = max_a;
	a = floor_a(a);
	return a < STATION_MIN_CURRENT_A ? 0 : a;
}

static bool elapsed(int64_t since_ms, int64_t now_ms, int delay_s)
{
	return since_ms >= 0 && now_ms - since_ms >= (int64_t)delay_s * 1000;
}

/* 100% PV: start/pause with delays, 3->1 / 1->3 switching with its delay. */
static double pv100_current(const station_config *cfg, const station_charger_cfg *ch,
			    station_charger_state *cs, double avail, int64_t now, station_ev_reason *reason)
{
	double v = cfg->voltage_v;
	double min1 = STATION_MIN_CURRENT_A * v, min3 = 3 * min1;
	int want = cs->phases;
	if (ch->phases == 3 && ch->auto_phase_switch) {
		if (avail >= min3)
			want = 3;
		else if (avail >= min1)
			want = 1;
	} else {
		want = ch->phases;
	}
	if (want != cs->phases) {
		/* a paused charger switches at once (nothing to interrupt); a
		 * charging one only after the switching delay */
		if (cs->switch_since_ms < 0)
			cs->switch_since_ms = now;
		if (!cs->on || elapsed(cs->switch_since_ms, now, ch->phase_switch_delay_s)) {
			cs->phases = want;
			cs->switch_since_ms = -1;
		}
	} else {
		cs->switch_since_ms = -1;
	}
	/* while a switch to one phase is pending, one phase's minimum counts */
	int ph_min = want < cs->phases ? want : cs->phases;
	double pmin = STATION_MIN_CURRENT_A * v * ph_min;
	if (avail >= pmin) {
		cs->below_since_ms = -1;
		if (!cs->on) {
			if (cs->above_since_ms < 0)
				cs->above_since_ms = now;
			if (elapsed(cs->above_since_ms, now, ch->enable_delay_s)) {
				cs->on = true;
				cs->above_since_ms = -1;
			}
		}
	} else {
		cs->above_since_ms = -1;
		if (cs->on) {
			if (cs->below_since_ms < 0)
				cs->below_since_ms = now;
			if (elapsed(cs->below_since_ms, now, ch->disable_delay_s)) {
				cs->on = false;
				cs->below_since_ms = -1;
			}
		}
	}
	if (!cs->on) {
		*reason = cs->above_since_ms >= 0 ? STATION_EV_WAIT_ENABLE : STATION_EV_PAUSED;
		return 0;
	}
	*reason = cs->below_since_ms >= 0 ? STATION_EV_DISABLE_GRACE : STATION_EV_CHARGING;
	double a = avail / (v * cs->phases);
	return a < STATION_MIN_CURRENT_A ? STATION_MIN_CURRENT_A : a;
}

void station_ev_plan(station_ctx *c, station_output *out)
{
	const station_config *cfg = c->cfg;
	station_state *st = c->st;
	double v = cfg->voltage_v;
	/* battery priority: below the priority SOC the battery takes PV first,
	 * as much as the mode actually charges from it (bat_pv_take), not
	 * its maximum charge power */
	double pv_share = c->soc < cfg->ev_priority_soc_pct ? c->s0 - c->bat_pv_take : c->s0;
	if (pv_share < 0)
		pv_share = 0;
	double bat_room = c->maxd;
	c->ev = c->ev_bat_ok = 0;
	for (int i = 0; i < cfg->n_chargers; i++) {
		const station_charger_cfg *ch = &cfg->chargers[i];
		station_charger_state *cs = &st->ev[i];
		station_ev_output *o = &out->ev[i];
		const station_ev_input *ei = &c->in->ev[i];
		if (!ei->connected) {
			cs->on = false;
			cs->phases = ch->phases;
			cs->above_since_ms = cs->below_since_ms = cs->switch_since_ms = -1;
			o->phases = ch->phases;
			o->reason = STATION_EV_NOT_CONNECTED;
			continue;
		}
		if (cs->phases != 1 && cs->phases != 3)
			cs->phases = ch->phases;
		double avail = pv_share + (ch->battery_to_ev ? bat_room : 0);
		station_ev_reason reason = STATION_EV_CHARGING;
		double a;
		int ph = ch->phases;
		if (!c->on_grid) {
			/* no grid to top up: every mode charges from what is there */
			a = avail / (v * ph);
			if (legal_a(a, ch->max_current_a) == 0)
				reason = STATION_EV_LIMITED;
		} else if (ch->mode == STATION_EV_FAST) {
			a = ch->max_current_a;
		} else if (ch->mode == STATION_EV_SOLAR_BOOST) {
			a = avail / (v * ph);
			if (a < STATION_MIN_CURRENT_A)
				a = STATION_MIN_CURRENT_A;
		} else {
			a = pv100_current(cfg, ch, cs, avail, c->now_ms, &reason);
			ph = cs->phases;
		}
		if (ch->mode != STATION_EV_PV100 || !c->on_grid)
			cs->phases = ph;
		a = legal_a(a, ch->max_current_a);
		double p = a * v * ph;
		double demand = ei->demand_w > 0 ? ei->demand_w : p;
		if (p > demand)
			p = demand;
		o->target_a = a;
		o->phases = ph;
		o->power_w = p;
		o->reason = reason;
		double from_pv = p < pv_share ? p : pv_share;
		pv_share -= from_pv;
		if (ch->battery_to_ev) {
			double from_bat = p - from_pv;
			bat_room -= from_bat < bat_room ? from_bat : bat_room;
			c->ev_bat_ok += p;
		}
		c->ev += p;
	}
}

static void set_power(station_ctx *c, station_output *out, int i, double a)
{
	const station_charger_cfg *ch = &c->cfg->chargers[i];
	station_ev_output *o = &out->ev[i];
	a = legal_a(a, ch->max_current_a);
	double p = a * c->cfg->voltage_v * o->phases;
	if (p > o->power_w)
		p = o->power_w; /* never more than the car takes */
	c->ev -= o->power_w - p;
	if (ch->battery_to_ev)
		c->ev_bat_ok -= o->power_w - p;
	o->power_w = p;
	if (a < o->target_a && (a == 0 || o->reason == STATION_EV_CHARGING))
		o->reason = a == 0 ? STATION_EV_LIMITED : o->reason;
	o->target_a = a;
}

void station_ev_reduce(station_ctx *c, station_output *out, double cut_w)
{
	double v = c->cfg->voltage_v;
	for (int i = c->cfg->n_chargers - 1; i >= 0 && cut_w > 1e-6; i--) {
		station_ev_output *o = &out->ev[i];
		if (o->power_w <= 0)
			continue;
		double before = o->power_w;
		double a = (o->power_w - cut_w) / (v * o->phases);
		set_power(c, out, i, a < 0 ? 0 : a);
		cut_w -= before - o->power_w;
	}
}

/* Per-phase import at the breaker: the house (balanced over the grid
 * phases) plus the EV currents; one-phase chargers are counted on L1. */
void station_ev_breaker(station_ctx *c, station_output *out)
{
	const station_config *cfg = c->cfg;
	if (cfg->breaker_a <= 0 || !c->on_grid)
		return;
	double v = cfg->voltage_v;
	double g0 = station_ctx_grid(c) + c->curtail - c->ev; /* grid without EVs */
	double base = g0 / (cfg->grid_phases * v);
	for (int i = cfg->n_chargers - 1; i >= 0; i--) {
		double l1 = base, l23 = base;
		for (int k = 0; k < cfg->n_chargers; k++) {
			double a = out->ev[k].power_w / (v * (out->ev[k].phases ? out->ev[k].phases : 1));
			l1 += a;
			if (out->ev[k].phases == 3)
				l23 += a;
		}
		if (cfg->grid_phases == 1) { /* one-phase grid: every charger on the same phase */
			l1 = base;
			for (int k = 0; k < cfg->n_chargers; k++)
				l1 += out->ev[k].power_w / v;
			l23 = l1;
		}
		double over = out->ev[i].phases == 3 ? fmax(l1, l23) - cfg->breaker_a : l1 - cfg->breaker_a;
		if (over <= 1e-9)
			break;
		if (out->ev[i].power_w <= 0)
			continue;
		double a_now = out->ev[i].power_w / (v * out->ev[i].phases);
		set_power(c, out, i, a_now - over);
	}
}
