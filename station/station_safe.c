/* station_safe.c: what the station does when its measurements cannot be
 * trusted (none yet, too old, no battery SOC, or refused by station_step):
 * outputs that keep the battery and the house safe whatever the real
 * situation is, so the owner (csms/energy.c) only reports them.
 */
#include "station.h"

#include <math.h>
#include <string.h>

static bool absent(const station_meas *m)
{
	return !m->present;
}

static bool too_old(const station_meas *m)
{
	return m->timed && m->age_ms > (int64_t)(m->stale_s * 1000);
}

static bool no_soc(const station_meas *m)
{
	return !isfinite(m->soc_pct);
}

/* In order: the first that applies is the reason shown. */
static const struct {
	bool (*bad)(const station_meas *m);
	const char *why;
} checks[] = {
	{ absent, "no measurement yet" },
	{ too_old, "measurements stale" },
	{ no_soc, "no battery SOC" },
};

const char *station_measurements_usable(const station_meas *m)
{
	for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
		if (checks[i].bad(m))
			return checks[i].why;
	return NULL;
}

void station_safe_output(const station_config *cfg, const station_state *st, const station_input *in,
			 station_output *out)
{
	memset(out, 0, sizeof *out);
	out->active = cfg->mode;
	/* far above anything the inverter can deliver: no curtailment */
	out->pv_limit_w = cfg->inverter_max_w > 0 ? cfg->inverter_max_w * 10 : 1e6;
	out->pv3_on = true;
	out->tou_period = -1;
	out->plan_soc_pct = -1;
	/* only what a person switched on: an automatic rule would act on numbers we do not have */
	for (int i = 0; i < cfg->n_smart_loads; i++) {
		const station_smart_load_cfg *l = &cfg->smart_loads[i];
		out->smart_load_on[i] = l->mode == STATION_LOAD_MANUAL && l->manual_on;
		if (out->smart_load_on[i])
			out->loads_w += l->power_w;
	}
	const station_heat_pump_cfg *h = &cfg->heat_pump;
	out->heat_pump_on = h->enabled && !h->auto_mode && h->manual_on;
	if (out->heat_pump_on)
		out->loads_w += h->power_w;
	const station_generator_cfg *g = &cfg->generator;
	out->gen_on = g->enabled && !g->auto_mode && g->manual_on;
	/* EVs: Solar Boost keeps its minimum, 100% PV pauses (no surplus known),
	 * Fast asks its maximum and the breaker is DLM's, on the grid meter */
	for (int i = 0; i < cfg->n_chargers; i++) {
		const station_charger_cfg *cc = &cfg->chargers[i];
		station_ev_output *ev = &out->ev[i];
		bool car = in->ev[i].connected;
		ev->phases = st->ev[i].phases ? st->ev[i].phases : cc->phases;
		ev->reason = car ? STATION_EV_LIMITED : STATION_EV_NOT_CONNECTED;
		if (cc->mode == STATION_EV_FAST)
			ev->target_a = cc->max_current_a;
		else if (cc->mode == STATION_EV_SOLAR_BOOST && car)
			ev->target_a = STATION_MIN_CURRENT_A;
		ev->power_w = car ? ev->target_a * cfg->voltage_v * ev->phases : 0;
		out->ev_w += ev->power_w;
	}
}

const char *station_step_checked(const station_config *cfg, station_state *st, const station_input *in,
				 const station_meas *m, int64_t now_ms, station_output *out)
{
	const char *why = station_measurements_usable(m);
	if (!why && station_step(cfg, st, in, now_ms, out))
		why = "measurements not usable";
	if (why)
		station_safe_output(cfg, st, in, out);
	return why;
}
