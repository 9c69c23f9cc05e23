/*
 * What a charger draws per grid phase, from the MeterValues it reported:
 * measured current first, then power over voltage, then its last limit.
 * Pure; the daemon calls it when building dlm_input.
 */
#include "dlm.h"

#include <errno.h>
#include <math.h>

#define NOMINAL_V 230.0

void dlm_meter_sample_clear(dlm_meter_sample *m)
{
	for (int p = 0; p < DLM_PHASES; p++)
		m->current_a[p] = m->power_w[p] = m->voltage_v[p] = NAN;
	m->current_any_a = NAN;
	m->power_total_w = NAN;
}

static double volts(const dlm_meter_sample *m, int k)
{
	double v = m->voltage_v[k];
	return isfinite(v) && v > 50 ? v : NOMINAL_V;
}

static double amps(double v)
{
	return isfinite(v) && v > 0 ? v : 0;
}

int dlm_draw_from_meter(const dlm_meter_sample *m, uint8_t phases, uint8_t grid_phase, dlm_ev_state state,
			double last_limit_a, double draw_a[DLM_PHASES], dlm_draw_source *src)
{
	if ((phases != 1 && phases != 3) || (phases == 1 && grid_phase > 2) || !draw_a)
		return -EINVAL;
	double own[DLM_PHASES] = { 0 }; /* by the charger's own phase numbering */
	dlm_draw_source s = DLM_DRAW_NONE;
	bool any = false;
	/* A single-phase charger may label its one phase L1, L2 or L3: take the
     * largest it reports as its draw on the grid phase it sits on. */
	for (int k = 0; m && k < DLM_PHASES; k++)
		if (isfinite(m->current_a[k])) {
			own[k] = amps(m->current_a[k]);
			any = true;
		}
	if (any) {
		s = DLM_DRAW_CURRENT;
	} else if (m && isfinite(m->current_any_a)) {
		for (int k = 0; k < DLM_PHASES; k++)
			own[k] = amps(m->current_any_a);
		s = DLM_DRAW_CURRENT;
	} else {
		for (int k = 0; m && k < DLM_PHASES; k++)
			if (isfinite(m->power_w[k])) {
				own[k] = amps(m->power_w[k] / volts(m, k));
				any = true;
			}
		if (any) {
			s = DLM_DRAW_POWER;
		} else if (m && isfinite(m->power_total_w)) {
			for (int k = 0; k < DLM_PHASES; k++)
				own[k] = amps(m->power_total_w / (phases * volts(m, k)));
			s = DLM_DRAW_POWER;
		} else if (state == DLM_EV_CHARGING) {
			for (int k = 0; k < DLM_PHASES; k++)
				own[k] = amps(last_limit_a);
			s = DLM_DRAW_LIMIT;
		}
	}
	for (int p = 0; p < DLM_PHASES; p++)
		draw_a[p] = 0;
	if (phases == 3) {
		for (int p = 0; p < DLM_PHASES; p++)
			draw_a[p] = own[p];
	} else {
		double v = 0;
		for (int k = 0; k < DLM_PHASES; k++)
			v = fmax(v, own[k]);
		draw_a[grid_phase] = v;
	}
	if (src)
		*src = s;
	return 0;
}
