/* test_station_safe_property.c: station_step_checked() and the safe outputs
 * over random settings, random stepped state, random inputs and random
 * measurement ages/gaps. Whenever the measurements are unusable the outputs
 * are the safe ones and the state is untouched; otherwise they are exactly
 * station_step()'s. The safe outputs never charge or discharge the battery,
 * never curtail PV, never switch on an automatic load, never give a 100% PV
 * charger a current, give Solar Boost exactly its minimum only with a car,
 * and never offer a grid setpoint. Usage: test_station_safe_property [cases] [seed]
 */
#include "prop_rng.h"
#include "station.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long failures, cur_case;
static int fails_by[16];

enum { P_REPLACED, P_STEPPED, P_BATTERY, P_CURTAIL, P_AUTOLOAD, P_PV100, P_BOOST, P_GRID, P_REST, P_NPROP };
static const char *const prop_names[P_NPROP] = {
	"unusable -> safe outputs, state untouched",
	"usable -> station_step",
	"battery idle",
	"no curtailment",
	"no automatic load on",
	"100% PV no current",
	"Solar Boost minimum only with a car",
	"no grid setpoint",
	"the rest as documented",
};

#define FAIL(p, ...)                                                                 \
	do {                                                                         \
		fails_by[p]++;                                                       \
		if (failures++ < 20) {                                               \
			fprintf(stderr, "case %ld [%s]: ", cur_case, prop_names[p]); \
			fprintf(stderr, __VA_ARGS__);                                \
			fputc('\n', stderr);                                         \
		}                                                                    \
	} while (0)

static station_window random_window(void)
{
	station_window w = { pick(1440), pick(1440),
			     (uint8_t)(chance(50) ? STATION_EVERY_DAY : 1 + pick(127)) };
	return w;
}

static void random_config(station_config *c)
{
	station_config_defaults(c);
	c->mode = (station_mode)pick(STATION_MODE_COUNT);
	c->utc_offset_min = 60 * (pick(5) - 2);
	c->battery.capacity_wh = chance(10) ? 0 : uni(1000, 30000);
	c->battery.max_charge_w = uni(0, 10000);
	c->battery.max_discharge_w = uni(0, 10000);
	c->battery.soc_min_pct = uni(0, 20);
	c->battery.soc_max_pct = uni(80, 100);
	c->battery.backup_reserve_pct = uni(0, 50);
	c->inverter_max_w = chance(15) ? 0 : uni(1000, 20000);
	c->voltage_v = chance(70) ? 230 : uni(100, 250);
	c->grid_phases = chance(70) ? 3 : 1;
	c->breaker_a = chance(40) ? 0 : uni(10, 63);
	c->max_peak_power_w = chance(50) ? 0 : uni(1000, 15000);
	c->peak_shaving_soc_pct = uni(0, 100);
	c->n_off_peak = pick(3);
	for (int i = 0; i < c->n_off_peak; i++)
		c->off_peak[i] = random_window();
	c->n_tou = pick(3);
	for (int i = 0; i < c->n_tou; i++) {
		station_tou_period *p = &c->tou[i];
		p->w = random_window();
		p->charge = chance(50);
		p->max_charge_w = chance(30) ? STATION_UNLIMITED : uni(0, 8000);
		p->grid_charge_cutoff_soc_pct = uni(0, 100);
		p->max_import_w = chance(30) ? STATION_UNLIMITED : uni(0, 10000);
		p->max_grid_charge_w = chance(30) ? STATION_UNLIMITED : uni(0, 8000);
		p->max_discharge_w = chance(30) ? STATION_UNLIMITED : uni(0, 8000);
		p->max_export_w = chance(30) ? STATION_UNLIMITED : uni(0, 10000);
		p->max_bat_to_grid_w = chance(50) ? 0 : uni(0, 5000);
	}
	c->n_shed = pick(2);
	for (int i = 0; i < c->n_shed; i++)
		c->shed[i] = random_window();
	/* a small planner: the optimising mode re-plans in every case */
	c->plan_horizon_h = 24;
	c->plan_levels = 21;
	c->ev_priority_soc_pct = uni(0, 100);
	c->n_chargers = pick(STATION_MAX_CHARGERS + 1);
	for (int i = 0; i < c->n_chargers; i++) {
		station_charger_cfg *cc = &c->chargers[i];
		memset(cc, 0, sizeof *cc);
		snprintf(cc->id, sizeof cc->id, "CP%d", i);
		cc->mode = (station_ev_mode)pick(STATION_EV_MODE_COUNT);
		cc->phases = chance(50) ? 3 : 1;
		cc->auto_phase_switch = chance(50);
		cc->max_current_a = uni(STATION_MIN_CURRENT_A, 80);
		cc->enable_delay_s = pick(600);
		cc->disable_delay_s = pick(600);
		cc->phase_switch_delay_s = pick(600);
		cc->battery_to_ev = chance(30);
	}
	c->n_smart_loads = pick(STATION_MAX_SMART_LOADS + 1);
	for (int i = 0; i < c->n_smart_loads; i++) {
		station_smart_load_cfg *l = &c->smart_loads[i];
		memset(l, 0, sizeof *l);
		snprintf(l->name, sizeof l->name, "L%d", i);
		l->power_w = uni(0, 5000);
		l->mode = chance(50) ? STATION_LOAD_MANUAL : STATION_LOAD_AUTO_SOC;
		l->manual_on = chance(50); /* also set on automatic loads: it must not count there */
		l->soc_threshold_pct = uni(0, 100);
		l->window = random_window();
	}
	station_heat_pump_cfg *h = &c->heat_pump;
	h->enabled = chance(70);
	h->auto_mode = chance(50);
	h->manual_on = chance(50);
	h->pv_residual_control = chance(50);
	h->power_w = uni(0, 5000);
	h->min_start_power_w = uni(0, 3000);
	h->min_run_s = pick(3600);
	h->max_daily_run_s = pick(86400);
	h->window_enabled = chance(50);
	h->window = random_window();
	h->soc_threshold_pct = uni(0, 100);
	station_generator_cfg *g = &c->generator;
	g->enabled = chance(70);
	g->auto_mode = chance(50);
	g->manual_on = chance(50);
	g->rated_power_w = uni(0, 10000);
	g->best_power_duty = chance(50);
	g->charge_cutoff_soc_pct = uni(0, 100);
	g->n_windows = pick(3);
	for (int i = 0; i < g->n_windows; i++) {
		g->windows[i].w = random_window();
		g->windows[i].start_soc_pct = uni(0, 50);
		g->windows[i].stop_soc_pct = uni(50, 100);
	}
}

static void random_input(const station_config *c, station_input *in)
{
	memset(in, 0, sizeof *in);
	double inv = c->inverter_max_w > 0 ? c->inverter_max_w : 20000;
	in->pv_w = chance(20) ? 0 : uni(0, 2 * inv); /* DC may be oversized */
	in->pv3_w = chance(70) ? 0 : uni(0, 5000);
	in->load_w = chance(10) ? -1 : uni(0, 15000);
	in->grid_w = uni(-10000, 10000);
	in->bat_w = uni(-5000, 5000);
	in->ev_w = uni(0, 20000);
	in->soc_pct = uni(0, 100);
	in->on_grid = chance(85);
	for (int i = 0; i < c->n_chargers; i++) {
		in->ev[i].connected = chance(60);
		in->ev[i].demand_w = chance(50) ? 0 : uni(0, 22000);
	}
}

/* A field station_step() refuses (the owner would not pass one, but a bug might). */
static void spoil(station_input *in)
{
	double bad = chance(50) ? NAN : (chance(50) ? INFINITY : -INFINITY);
	double *f[] = {
		&in->pv_w, &in->pv3_w, &in->load_w, &in->grid_w, &in->bat_w, &in->ev_w, &in->soc_pct
	};
	*f[pick((int)(sizeof f / sizeof f[0]))] = bad;
}

/* The measurement's own state, with an independent statement of the rule. */
static const char *random_meas(station_meas *m)
{
	m->present = !chance(10);
	m->timed = chance(80);
	m->stale_s = chance(50) ? (double)(1 + pick(60)) : uni(1, 3600);
	double lim_ms = m->stale_s * 1000;
	int k = pick(4);
	m->age_ms = k == 0 ? (int64_t)ceil(lim_ms) + pick(3) - 1 /* at the edge */
		: k == 1   ? -(int64_t)pick(60000)
			   : (int64_t)uni(0, 2.5 * lim_ms);
	m->soc_pct = chance(10) ? (chance(50) ? NAN : INFINITY) : uni(0, 100);
	if (!m->present)
		return "no measurement yet";
	if (m->timed && (double)m->age_ms > lim_ms)
		return "measurements stale";
	if (!isfinite(m->soc_pct))
		return "no battery SOC";
	return NULL;
}

static bool outputs_equal(const station_config *c, const station_output *a, const station_output *b)
{
	bool eq = a->bat_w == b->bat_w && a->pv_limit_w == b->pv_limit_w && a->pv3_on == b->pv3_on &&
		a->gen_w == b->gen_w && a->gen_on == b->gen_on && a->heat_pump_on == b->heat_pump_on &&
		a->loads_w == b->loads_w && a->ev_w == b->ev_w && a->grid_w == b->grid_w &&
		a->unserved_w == b->unserved_w && a->active == b->active &&
		a->ems_fallback == b->ems_fallback && a->grid_charging == b->grid_charging &&
		a->tou_period == b->tou_period &&
		(a->plan_soc_pct == b->plan_soc_pct || (isnan(a->plan_soc_pct) && isnan(b->plan_soc_pct))) &&
		a->grid_valid == b->grid_valid;
	for (int i = 0; i < c->n_smart_loads; i++)
		eq = eq && a->smart_load_on[i] == b->smart_load_on[i];
	for (int i = 0; i < c->n_chargers; i++)
		eq = eq && a->ev[i].target_a == b->ev[i].target_a && a->ev[i].phases == b->ev[i].phases &&
			a->ev[i].power_w == b->ev[i].power_w && a->ev[i].reason == b->ev[i].reason;
	return eq;
}

/* The rules of the safe outputs, stated independently of station_safe.c. */
static void check_safe(const station_config *c, const station_state *st, const station_input *in,
		       const station_output *o)
{
	if (o->bat_w != 0)
		FAIL(P_BATTERY, "bat_w %g", o->bat_w);
	double inv = c->inverter_max_w > 0 ? c->inverter_max_w : 0;
	double pv = isfinite(in->pv_w) ? in->pv_w : 0; /* a spoilt input: no PV figure to compare with */
	if (!(o->pv_limit_w >= pv && o->pv_limit_w >= 10 * inv && o->pv_limit_w >= 1e6 * (inv <= 0)) ||
	    !o->pv3_on)
		FAIL(P_CURTAIL, "pv_limit %g for pv %g inverter %g, pv3_on %d", o->pv_limit_w, in->pv_w,
		     c->inverter_max_w, o->pv3_on);
	double loads = 0;
	for (int i = 0; i < STATION_MAX_SMART_LOADS; i++) {
		const station_smart_load_cfg *l = &c->smart_loads[i];
		bool by_hand = i < c->n_smart_loads && l->mode == STATION_LOAD_MANUAL && l->manual_on;
		if (o->smart_load_on[i] != by_hand)
			FAIL(P_AUTOLOAD, "smart load %d (mode %d, on %d) -> %d", i, (int)l->mode,
			     l->manual_on, o->smart_load_on[i]);
		loads += by_hand ? l->power_w : 0;
	}
	const station_heat_pump_cfg *h = &c->heat_pump;
	bool hp = h->enabled && !h->auto_mode && h->manual_on;
	if (o->heat_pump_on != hp)
		FAIL(P_AUTOLOAD, "heat pump (enabled %d auto %d on %d) -> %d", h->enabled, h->auto_mode,
		     h->manual_on, o->heat_pump_on);
	loads += hp ? h->power_w : 0;
	const station_generator_cfg *g = &c->generator;
	bool gen = g->enabled && !g->auto_mode && g->manual_on;
	if (o->gen_on != gen || o->gen_w != 0)
		FAIL(P_AUTOLOAD, "generator (enabled %d auto %d on %d) -> %d, %g W", g->enabled, g->auto_mode,
		     g->manual_on, o->gen_on, o->gen_w);
	if (fabs(o->loads_w - loads) > 1e-9)
		FAIL(P_REST, "loads_w %g, want %g", o->loads_w, loads);
	double ev_w = 0;
	for (int i = 0; i < c->n_chargers; i++) {
		const station_charger_cfg *cc = &c->chargers[i];
		const station_ev_output *e = &o->ev[i];
		bool car = in->ev[i].connected;
		if (cc->mode == STATION_EV_PV100 && e->target_a != 0)
			FAIL(P_PV100, "charger %d: 100%% PV gets %g A", i, e->target_a);
		if (cc->mode == STATION_EV_SOLAR_BOOST && e->target_a != (car ? STATION_MIN_CURRENT_A : 0))
			FAIL(P_BOOST, "charger %d: Solar Boost, car %d: %g A", i, car, e->target_a);
		if (cc->mode == STATION_EV_FAST && e->target_a != cc->max_current_a)
			FAIL(P_REST, "charger %d: Fast %g A, max %g", i, e->target_a, cc->max_current_a);
		int ph = st->ev[i].phases ? st->ev[i].phases : cc->phases;
		double w = car ? e->target_a * c->voltage_v * ph : 0;
		if (e->phases != ph || e->power_w != w ||
		    e->reason != (car ? STATION_EV_LIMITED : STATION_EV_NOT_CONNECTED))
			FAIL(P_REST, "charger %d: %d ph %g W reason %d", i, e->phases, e->power_w,
			     (int)e->reason);
		ev_w += w;
	}
	if (fabs(o->ev_w - ev_w) > 1e-9)
		FAIL(P_REST, "ev_w %g, want %g", o->ev_w, ev_w);
	if (o->grid_valid)
		FAIL(P_GRID, "a grid setpoint (%g W) offered on safe outputs", o->grid_w);
	if (o->grid_w != 0 || o->unserved_w != 0 || o->active != c->mode || o->ems_fallback ||
	    o->grid_charging || o->tou_period != -1 || o->plan_soc_pct != -1)
		FAIL(P_REST, "grid %g unserved %g active %d fallback %d tou %d plan %g", o->grid_w,
		     o->unserved_w, (int)o->active, o->ems_fallback, o->tou_period, o->plan_soc_pct);
}

static const char *const reason_names[3] = { "no measurement yet", "measurements stale", "no battery SOC" };

int main(int argc, char **argv)
{
	long n_cases = argc > 1 ? atol(argv[1]) : 5000;
	rng_state = argc > 2 ? strtoull(argv[2], NULL, 0) : 0x5AFE5AFE12345678ULL;
	if (!rng_state)
		rng_state = 1;
	station_state *st = malloc(sizeof *st), *ref = malloc(sizeof *ref);
	if (!st || !ref)
		return 1;
	long unusable = 0, refused = 0, stepped = 0, reasons[3] = { 0, 0, 0 };
	station_config c;
	station_input in;
	station_output o, want;
	for (cur_case = 0; cur_case < n_cases; cur_case++) {
		random_config(&c);
		char err[64];
		if (station_config_validate(&c, err, sizeof err)) {
			fprintf(stderr, "case %ld: generator made an invalid config (%s)\n", cur_case, err);
			failures++;
			continue;
		}
		/* state from a few real steps: 100% PV delays, phase switches, loads, last setpoints */
		station_state_init(st, &c);
		int64_t now = 1704067200000LL + (int64_t)pick(365 * 96) * 900000LL;
		for (int k = pick(4); k > 0; k--) {
			random_input(&c, &in);
			station_step(&c, st, &in, now, &o);
			now += 1000 * (1 + pick(120));
		}
		for (int i = 0; i < c.n_chargers; i++)
			if (chance(10))
				st->ev[i].phases = chance(50) ? 1 : 3;

		random_input(&c, &in);
		bool spoilt = chance(10);
		if (spoilt)
			spoil(&in);
		station_meas m;
		const char *expect = random_meas(&m);
		memcpy(ref, st, sizeof *ref);
		memset(&o, 0, sizeof o);
		const char *why = station_step_checked(&c, st, &in, &m, now, &o);

		if (!expect && spoilt)
			expect = "measurements not usable";
		if (!(why == expect || (why && expect && !strcmp(why, expect))))
			FAIL(P_REPLACED, "reason %s, want %s", why ? why : "NULL", expect ? expect : "NULL");
		if (expect) {
			unusable++;
			refused += !strcmp(expect, "measurements not usable");
			for (int r = 0; r < 3; r++)
				reasons[r] += !strcmp(expect, reason_names[r]);
			station_safe_output(&c, ref, &in, &want);
			if (!outputs_equal(&c, &o, &want))
				FAIL(P_REPLACED, "outputs are not the safe ones (bat %g)", o.bat_w);
			if (memcmp(st, ref, sizeof *st))
				FAIL(P_REPLACED, "state changed without a step");
			check_safe(&c, ref, &in, &o);
		} else {
			stepped++;
			int rc = station_step(&c, ref, &in, now, &want);
			if (rc || !outputs_equal(&c, &o, &want) || !o.grid_valid)
				FAIL(P_STEPPED, "rc %d, outputs differ from station_step's", rc);
			if (memcmp(st, ref, sizeof *st))
				FAIL(P_STEPPED, "state differs from station_step's");
		}
		/* the safe outputs of any situation, measurements usable or not */
		station_safe_output(&c, st, &in, &o);
		check_safe(&c, st, &in, &o);
	}
	printf("%ld cases: %ld stepped, %ld on safe outputs (no measurement %ld, stale %ld, no SOC %ld, "
	       "refused by station_step %ld)\n",
	       n_cases, stepped, unusable, reasons[0], reasons[1], reasons[2], refused);
	for (int p = 0; p < P_NPROP; p++)
		if (fails_by[p])
			printf("  %s: %d failures\n", prop_names[p], fails_by[p]);
	printf("%ld failures\n", failures);
	free(st);
	free(ref);
	return failures ? 1 : 0;
}
