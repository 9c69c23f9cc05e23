/*
 * Simulated house load for the "sim" sensor: a smooth daily profile plus
 * appliances switching on and off, all derived from a hash of (seed, time
 * slot) so that any instant can be evaluated on its own. Pure.
 */
#include "dlm.h"

#include <math.h>

#define SLOT_MS 300000LL /* appliance decisions per 5-minute slot */
#define MAX_SLOTS_BACK 3 /* longest appliance run: 15 minutes */

typedef struct appliance {
	double amps;
	uint8_t mask;      /* grid phases it loads */
	int prob_permille; /* chance to start in a slot, at full activity */
	int min_s, max_s;  /* run length */
} appliance;

static const appliance appliances[] = {
	{ 9.0, 1u << 0, 60, 120, 240 },  /* kettle, L1 */
	{ 14.0, 1u << 2, 40, 300, 600 }, /* induction hob, L3 */
	{ 9.0, 1u << 1, 40, 300, 900 },  /* washing machine heater, L2 */
	{ 7.0, 7u, 40, 600, 900 },       /* oven, three-phase */
	{ 4.0, 7u, 150, 300, 900 },      /* heat pump compressor */
};
#define NAPPL (sizeof appliances / sizeof appliances[0])

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* 0..1: how busy the household is at local hour h. */
static double activity(double h)
{
	double morning = exp(-0.5 * pow((h - 7.5) / 1.0, 2));
	double evening = exp(-0.5 * pow((h - 19.0) / 2.0, 2));
	return fmin(1.0, 0.5 * morning + evening);
}

void dlm_sim_defaults(dlm_sim_params *p)
{
	p->seed = 1;
	p->base_a = 1.5;
	p->peak_a = 4.0;
	p->step_scale = 1.0;
	p->utc_offset_h = 0;
}

void dlm_sim_load(const dlm_sim_params *p, int64_t t_ms, double out_a[DLM_PHASES])
{
	static const double phase_share[DLM_PHASES] = { 1.0, 0.8, 0.9 };
	double h = fmod((double)t_ms / 3600000.0 + p->utc_offset_h, 24.0);
	if (h < 0)
		h += 24.0;
	double act = activity(h);
	for (int k = 0; k < DLM_PHASES; k++)
		out_a[k] = phase_share[k] * (p->base_a + p->peak_a * act);

	int64_t slot = floor_div(t_ms, SLOT_MS);
	for (int64_t s = slot - MAX_SLOTS_BACK; s <= slot; s++) {
		int64_t slot_start = s * SLOT_MS;
		double hs = fmod((double)slot_start / 3600000.0 + p->utc_offset_h, 24.0);
		if (hs < 0)
			hs += 24.0;
		double a = 0.2 + 0.8 * activity(hs);
		for (size_t i = 0; i < NAPPL; i++) {
			const appliance *ap = &appliances[i];
			uint64_t r = mix(p->seed ^ mix((uint64_t)s * 16 + i));
			if ((double)(r % 1000) >= ap->prob_permille * a)
				continue;
			int64_t start = slot_start + (int64_t)((r >> 10) % (SLOT_MS / 1000)) * 1000;
			int64_t len =
				(ap->min_s + (int64_t)((r >> 30) % (uint64_t)(ap->max_s - ap->min_s + 1))) *
				1000;
			if (t_ms < start || t_ms >= start + len)
				continue;
			for (int k = 0; k < DLM_PHASES; k++)
				if (ap->mask & (1u << k))
					out_a[k] += ap->amps * p->step_scale;
		}
	}
}
