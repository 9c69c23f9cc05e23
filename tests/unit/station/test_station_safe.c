/* test_station_safe.c: the safe outputs of station_safe.c with exact values:
 * each reason the measurements are not usable (and their order), each output
 * rule, and station_step_checked() choosing between station_step() and the
 * safe outputs without touching the state when it does not step. */
#include "station.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

#define NOON 1718625600000LL /* 2024-06-17T12:00Z */

static int same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* ---- reasons ---- */

static void t_reasons(void)
{
	static const struct {
		bool present, timed;
		int64_t age_ms;
		double stale_s, soc;
		const char *want;
	} rows[] = {
		{ false, true, 0, 30, 50, "no measurement yet" },
		{ false, true, 999999, 30, NAN, "no measurement yet" }, /* first reason wins */
		{ false, false, 0, 30, 50, "no measurement yet" },
		{ true, true, 30001, 30, 50, "measurements stale" },
		{ true, true, 30000, 30, 50, NULL },                  /* exactly stale_s: still fresh */
		{ true, true, 30001, 30, NAN, "measurements stale" }, /* stale before SOC */
		{ true, true, 1501, 1.5, 0, "measurements stale" },
		{ true, true, 1500, 1.5, 0, NULL },
		{ true, true, -60000, 30, 50, NULL },      /* stamped ahead of our clock */
		{ true, false, 1000000000, 30, 50, NULL }, /* simulated: age does not count */
		{ true, false, 1000000000, 30, NAN, "no battery SOC" },
		{ true, true, 0, 30, NAN, "no battery SOC" },
		{ true, true, 0, 30, INFINITY, "no battery SOC" },
		{ true, true, 0, 30, 0, NULL },
		{ true, true, 0, 30, 100, NULL },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		station_meas m = { rows[i].present, rows[i].timed, rows[i].age_ms, rows[i].stale_s,
				   rows[i].soc };
		const char *got = station_measurements_usable(&m);
		CHECK(same_str(got, rows[i].want), "row %zu: %s, want %s", i, got ? got : "NULL",
		      rows[i].want ? rows[i].want : "NULL");
	}
}

/* ---- output rules ---- */

/* Every kind of controlled load and charger once. */
static void house(station_config *c, station_state *st)
{
	station_config_defaults(c);
	c->mode = STATION_MODE_TOU;
	c->inverter_max_w = 8000;
	c->n_smart_loads = 3;
	c->smart_loads[0] = (station_smart_load_cfg){
		.name = "on", .power_w = 1500, .mode = STATION_LOAD_MANUAL, .manual_on = true
	};
	c->smart_loads[1] =
		(station_smart_load_cfg){ .name = "off", .power_w = 700, .mode = STATION_LOAD_MANUAL };
	c->smart_loads[2] = (station_smart_load_cfg){ .name = "auto",
						      .power_w = 900,
						      .mode = STATION_LOAD_AUTO_SOC,
						      .manual_on = true,
						      .soc_threshold_pct = 10 };
	c->heat_pump.enabled = true;
	c->heat_pump.auto_mode = false;
	c->heat_pump.manual_on = true;
	c->heat_pump.power_w = 2000;
	c->generator.enabled = true;
	c->generator.auto_mode = false;
	c->generator.manual_on = true;
	static const struct {
		station_ev_mode mode;
		int phases;
		double max_a;
	} ch[] = {
		{ STATION_EV_FAST, 3, 16 },        { STATION_EV_FAST, 1, 32 },
		{ STATION_EV_SOLAR_BOOST, 3, 20 }, { STATION_EV_SOLAR_BOOST, 3, 20 },
		{ STATION_EV_PV100, 3, 16 },       { STATION_EV_PV100, 3, 16 },
	};
	c->n_chargers = (int)(sizeof ch / sizeof ch[0]);
	for (int i = 0; i < c->n_chargers; i++) {
		station_charger_cfg *cc = &c->chargers[i];
		memset(cc, 0, sizeof *cc);
		snprintf(cc->id, sizeof cc->id, "CP%d", i);
		cc->mode = ch[i].mode;
		cc->phases = ch[i].phases;
		cc->max_current_a = ch[i].max_a;
	}
	station_state_init(st, c);
	st->ev[5].phases = 1; /* switched to one phase by the 100% PV rule */
	st->last_bat_w = 3000;
	st->smart_on[2] = true; /* Auto SOC had it on */
	st->hp_on = true;
}

static station_input cars(void)
{
	station_input in;
	memset(&in, 0, sizeof in);
	in.pv_w = 9000;
	in.load_w = 500;
	in.soc_pct = 90;
	in.on_grid = true;
	static const bool car[] = { false, true, true, false, true, true };
	for (int i = 0; i < 6; i++)
		in.ev[i].connected = car[i];
	return in;
}

static void t_outputs(station_state *st)
{
	station_config c;
	house(&c, st);
	station_input in = cars();
	station_output o;
	memset(&o, 0x5a, sizeof o); /* everything must be written */
	station_safe_output(&c, st, &in, &o);
	CHECK(o.bat_w == 0, "battery idle: %g", o.bat_w);
	CHECK(o.pv_limit_w == 80000, "no curtailment: 10 x inverter: %g", o.pv_limit_w);
	CHECK(o.pv3_on, "third-party inverter runs");
	CHECK(!o.grid_valid, "no grid setpoint");
	CHECK(o.grid_w == 0 && o.unserved_w == 0, "grid %g unserved %g", o.grid_w, o.unserved_w);
	CHECK(o.smart_load_on[0] && !o.smart_load_on[1] && !o.smart_load_on[2],
	      "smart loads: manual on, manual off, auto off: %d %d %d", o.smart_load_on[0],
	      o.smart_load_on[1], o.smart_load_on[2]);
	for (int i = 3; i < STATION_MAX_SMART_LOADS; i++)
		CHECK(!o.smart_load_on[i], "unconfigured load %d off", i);
	CHECK(o.heat_pump_on, "heat pump on by hand stays on");
	CHECK(o.gen_on && o.gen_w == 0, "generator on by hand, no setpoint: %d %g", o.gen_on, o.gen_w);
	CHECK(o.loads_w == 3500, "loads = 1500 + 2000: %g", o.loads_w);
	static const struct {
		double a;
		int phases;
		double w;
		station_ev_reason reason;
	} want[] = {
		{ 16, 3, 0, STATION_EV_NOT_CONNECTED },    /* Fast, no car: its maximum, no power expected */
		{ 32, 1, 32 * 230.0, STATION_EV_LIMITED }, /* Fast, car */
		{ 6, 3, 6 * 230.0 * 3, STATION_EV_LIMITED }, /* Solar Boost, car: the minimum */
		{ 0, 3, 0, STATION_EV_NOT_CONNECTED },       /* Solar Boost, no car */
		{ 0, 3, 0, STATION_EV_LIMITED },             /* 100% PV, car: paused */
		{ 0, 1, 0, STATION_EV_LIMITED },             /* 100% PV on one phase by its state */
	};
	double ev = 0;
	for (int i = 0; i < 6; i++) {
		CHECK(o.ev[i].target_a == want[i].a && o.ev[i].phases == want[i].phases &&
			      o.ev[i].power_w == want[i].w && o.ev[i].reason == want[i].reason,
		      "charger %d: %g A %d ph %g W reason %d", i, o.ev[i].target_a, o.ev[i].phases,
		      o.ev[i].power_w, (int)o.ev[i].reason);
		ev += want[i].w;
	}
	for (int i = 6; i < STATION_MAX_CHARGERS; i++)
		CHECK(o.ev[i].target_a == 0 && o.ev[i].phases == 0 && o.ev[i].power_w == 0,
		      "unconfigured charger %d", i);
	CHECK(o.ev_w == ev && ev == 32 * 230.0 + 6 * 230.0 * 3, "ev_w %g", o.ev_w);
	CHECK(o.active == STATION_MODE_TOU && !o.ems_fallback && !o.grid_charging,
	      "mode as set, no fallback");
	CHECK(o.tou_period == -1 && o.plan_soc_pct == -1, "no TOU period, no plan: %d %g", o.tou_period,
	      o.plan_soc_pct);

	/* no inverter limit set: a fixed 1 MW */
	c.inverter_max_w = 0;
	station_safe_output(&c, st, &in, &o);
	CHECK(o.pv_limit_w == 1e6, "no inverter limit: %g", o.pv_limit_w);
	c.inverter_max_w = -5;
	station_safe_output(&c, st, &in, &o);
	CHECK(o.pv_limit_w == 1e6, "negative inverter limit: %g", o.pv_limit_w);

	/* the heat pump and the generator: on only when enabled, manual and on */
	static const struct {
		bool enabled, auto_mode, on, want;
	} sw[] = {
		{ true, false, true, true },   { false, false, true, false }, { true, true, true, false },
		{ true, false, false, false }, { true, true, false, false },
	};
	for (size_t k = 0; k < sizeof sw / sizeof sw[0]; k++) {
		house(&c, st);
		c.heat_pump.enabled = c.generator.enabled = sw[k].enabled;
		c.heat_pump.auto_mode = c.generator.auto_mode = sw[k].auto_mode;
		c.heat_pump.manual_on = c.generator.manual_on = sw[k].on;
		station_safe_output(&c, st, &in, &o);
		CHECK(o.heat_pump_on == sw[k].want && o.gen_on == sw[k].want,
		      "row %zu: heat pump %d generator %d", k, o.heat_pump_on, o.gen_on);
		CHECK(o.loads_w == 1500 + (sw[k].want ? 2000 : 0), "row %zu: loads %g", k, o.loads_w);
	}
	/* the measurements play no part: the same outputs at night, off grid, empty */
	house(&c, st);
	station_output o2;
	station_safe_output(&c, st, &in, &o);
	in.pv_w = 0;
	in.load_w = 7000;
	in.soc_pct = 0;
	in.on_grid = false;
	station_safe_output(&c, st, &in, &o2);
	CHECK(memcmp(&o, &o2, sizeof o) == 0, "safe outputs do not follow the measurements");
}

/* ---- station_step_checked ---- */

static void t_checked(station_state *st)
{
	station_config c;
	house(&c, st);
	c.mode = STATION_MODE_SELF_CONSUMPTION;
	station_state *ref = malloc(sizeof *ref), *before = malloc(sizeof *before);
	CHECK(ref && before, "memory");
	if (!ref || !before)
		goto out;
	station_input in = cars();
	station_meas fresh = { true, true, 1000, 30, 90 };
	station_output o, want;

	/* usable: exactly station_step(), state advanced as it advances it */
	memcpy(ref, st, sizeof *ref);
	const char *why = station_step_checked(&c, st, &in, &fresh, NOON, &o);
	CHECK(why == NULL, "fresh: %s", why ? why : "NULL");
	CHECK(station_step(&c, ref, &in, NOON, &want) == 0, "reference step");
	CHECK(memcmp(&o, &want, sizeof o) == 0, "fresh: station_step's outputs");
	CHECK(memcmp(st, ref, sizeof *st) == 0, "fresh: state as station_step leaves it");
	CHECK(o.grid_valid && o.bat_w > 0, "fresh: a grid setpoint, and surplus charges: %g", o.bat_w);

	/* each reason: the safe outputs, state untouched */
	static const struct {
		station_meas m;
		double pv;
		const char *want;
	} rows[] = {
		{ { false, true, 0, 30, 90 }, 9000, "no measurement yet" },
		{ { true, true, 30001, 30, 90 }, 9000, "measurements stale" },
		{ { true, true, 0, 30, NAN }, 9000, "no battery SOC" },
		{ { true, true, 0, 30, 90 }, NAN, "measurements not usable" }, /* station_step refuses it */
		{ { true, false, 99999999, 30, 90 }, INFINITY, "measurements not usable" },
	};
	for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
		in.pv_w = rows[k].pv;
		memcpy(before, st, sizeof *before);
		memset(&o, 0, sizeof o);
		why = station_step_checked(&c, st, &in, &rows[k].m, NOON + 60000 * (int64_t)(k + 1), &o);
		station_safe_output(&c, before, &in, &want);
		CHECK(same_str(why, rows[k].want), "row %zu: %s", k, why ? why : "NULL");
		CHECK(memcmp(&o, &want, sizeof o) == 0, "row %zu: the safe outputs", k);
		CHECK(o.bat_w == 0 && !o.grid_valid, "row %zu: battery idle, no grid setpoint", k);
		CHECK(memcmp(st, before, sizeof *st) == 0, "row %zu: state untouched", k);
	}
out:
	free(ref);
	free(before);
}

int main(void)
{
	station_state *st = malloc(sizeof *st);
	if (!st)
		return 1;
	t_reasons();
	t_outputs(st);
	t_checked(st);
	free(st);
	T_DONE();
}
