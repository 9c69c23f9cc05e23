/* test_station_rules.c: one table row per rule of STATION.md: each setting
 * visibly does what it says (a cap caps, a cut-off cuts off, a delay
 * delays), on the pure station library with fresh or stepped state. */
#include "station.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

#define MON0 1718582400000LL /* 2024-06-17T00:00Z, a Monday */
#define AT(d, h, m) (MON0 + (int64_t)(d)*86400000LL + (int64_t)(h)*3600000LL + (int64_t)(m)*60000LL)

static station_state *st;

static void base(station_config *c)
{
	station_config_defaults(c);
	c->breaker_a = 0;
	c->inverter_max_w = 10000;
	c->ev_priority_soc_pct = 50;
}

static station_input inp(double pv, double load, double soc)
{
	station_input in;
	memset(&in, 0, sizeof(in));
	in.pv_w = pv;
	in.load_w = load;
	in.soc_pct = soc;
	in.on_grid = true;
	return in;
}

static station_output run(const station_config *c, const station_input *in, int64_t t)
{
	station_output o;
	station_state_init(st, c);
	int rc = station_step(c, st, in, t, &o);
	CHECK(rc == 0, "station_step rc %d", rc);
	return o;
}

static station_output again(const station_config *c, const station_input *in, int64_t t)
{
	station_output o;
	int rc = station_step(c, st, in, t, &o);
	CHECK(rc == 0, "station_step rc %d", rc);
	return o;
}

/* ---- storage modes ---- */

static void t_self_consumption(void)
{
	station_config c;
	base(&c);
	station_input in = inp(5000, 1000, 50);
	station_output o = run(&c, &in, AT(0, 12, 0));
	CHECK(NEAR(o.bat_w, 4000, 1), "surplus charges: %.0f", o.bat_w);
	CHECK(NEAR(o.grid_w, 0, 1), "no export: %.0f", o.grid_w);
	in = inp(9000, 1000, 50);
	o = run(&c, &in, AT(0, 12, 0));
	CHECK(NEAR(o.bat_w, 5000, 1) && NEAR(o.grid_w, -3000, 1), "max charge then export: %.0f %.0f",
	      o.bat_w, o.grid_w);
	in = inp(0, 2000, 50);
	o = run(&c, &in, AT(0, 22, 0));
	CHECK(NEAR(o.bat_w, -2000, 1) && NEAR(o.grid_w, 0, 1), "deficit discharges: %.0f", o.bat_w);
}

static void t_backup_reserve(void)
{
	station_config c;
	base(&c);
	c.battery.backup_reserve_pct = 30;
	station_input in = inp(0, 2000, 30);
	station_output o = run(&c, &in, AT(0, 22, 0));
	CHECK(NEAR(o.bat_w, 0, 1e-6) && NEAR(o.grid_w, 2000, 1), "on grid: stops at the reserve: %.0f",
	      o.bat_w);
	in.soc_pct = 25;
	in.on_grid = false;
	o = run(&c, &in, AT(0, 22, 0));
	CHECK(NEAR(o.bat_w, -2000, 1) && o.grid_w == 0, "outage: reserve available: %.0f", o.bat_w);
	/* off grid: no export, surplus beyond the battery is curtailed */
	in = inp(9000, 1000, 99.99);
	in.on_grid = false;
	o = run(&c, &in, AT(0, 12, 0));
	CHECK(o.grid_w == 0 && o.pv_limit_w < 9000 - 1, "off grid curtails: pv limit %.0f bat %.0f",
	      o.pv_limit_w, o.bat_w);
	CHECK(NEAR(o.pv_limit_w - o.bat_w, 1000, 1), "off grid balance: %.0f", o.pv_limit_w - o.bat_w);
	/* off grid, battery empty: unserved load */
	in = inp(0, 3000, 0);
	in.on_grid = false;
	o = run(&c, &in, AT(0, 22, 0));
	CHECK(NEAR(o.unserved_w, 3000, 1), "unserved: %.0f", o.unserved_w);
}

static void t_third_party(void)
{
	station_config c;
	base(&c);
	station_input in = inp(0, 1000, 100); /* battery full: no charging power */
	in.pv3_w = 3000;
	in.on_grid = false;
	station_output o = run(&c, &in, AT(0, 12, 0));
	CHECK(!o.pv3_on, "third-party inverter above load + charging stops");
	in.pv3_w = 800;
	o = run(&c, &in, AT(0, 12, 0));
	CHECK(o.pv3_on, "third-party inverter below load runs");
	in.pv3_w = 3000;
	in.soc_pct = 50; /* now the battery can take 5 kW */
	o = run(&c, &in, AT(0, 12, 0));
	CHECK(o.pv3_on && NEAR(o.bat_w, 2000, 1), "runs while load + charging covers it: bat %.0f", o.bat_w);
	in.on_grid = true;
	in.soc_pct = 100;
	o = run(&c, &in, AT(0, 12, 0));
	CHECK(o.pv3_on, "on grid it always runs");
}

static void t_peak_shaving(void)
{
	station_config c;
	base(&c);
	c.max_peak_power_w = 3000;
	c.battery.max_discharge_w = 8000;
	station_input in = inp(0, 9000, 50);
	station_output o = run(&c, &in, AT(0, 18, 0));
	CHECK(o.grid_w <= 3000 + 1 && NEAR(o.bat_w, -8000, 1), "cap: the battery discharges: grid %.0f",
	      o.grid_w);
	/* a cap below what self-consumption leaves: the battery does more */
	c.battery.max_discharge_w = 5000;
	c.battery.backup_reserve_pct = 10;
	c.mode = STATION_MODE_TOU; /* outside every period the battery would not discharge */
	in = inp(0, 6000, 50);
	o = run(&c, &in, AT(0, 18, 0));
	CHECK(NEAR(o.grid_w, 3000, 1) && NEAR(o.bat_w, -3000, 1), "cap holds import: grid %.0f", o.grid_w);
	c.max_peak_power_w = 0;
	o = run(&c, &in, AT(0, 18, 0));
	CHECK(NEAR(o.grid_w, 6000, 1), "without the cap: no discharge there: %.0f", o.grid_w);
	c.mode = STATION_MODE_SELF_CONSUMPTION;
	/* peak shaving SOC: off-peak grid charging up to it, within the cap */
	c.max_peak_power_w = 4000;
	c.peak_shaving_soc_pct = 80;
	c.n_off_peak = 1;
	c.off_peak[0] = (station_window){ 22 * 60, 6 * 60, STATION_EVERY_DAY };
	in = inp(0, 1000, 40);
	o = run(&c, &in, AT(0, 23, 0));
	CHECK(NEAR(o.bat_w, 3000, 1) && NEAR(o.grid_w, 4000, 1) && o.grid_charging, "off-peak charge: %.0f",
	      o.bat_w);
	in.soc_pct = 85;
	o = run(&c, &in, AT(0, 23, 0));
	CHECK(o.bat_w < 0, "above peak shaving SOC: no grid charging: %.0f", o.bat_w);
	in.soc_pct = 40;
	o = run(&c, &in, AT(0, 12, 0));
	CHECK(o.bat_w < 0, "peak period: no grid charging: %.0f", o.bat_w);
}

static void tou_cfg(station_config *c)
{
	base(c);
	c->mode = STATION_MODE_TOU;
	c->n_tou = 2;
	station_tou_period ch = { .w = { 0, 6 * 60, 1 /* Monday only */ },
				  .charge = true,
				  .max_charge_w = STATION_UNLIMITED,
				  .grid_charge_cutoff_soc_pct = 80,
				  .max_import_w = STATION_UNLIMITED,
				  .max_grid_charge_w = 2000,
				  .max_discharge_w = STATION_UNLIMITED,
				  .max_export_w = STATION_UNLIMITED };
	station_tou_period dis = { .w = { 17 * 60, 22 * 60, STATION_EVERY_DAY },
				   .charge = false,
				   .max_charge_w = STATION_UNLIMITED,
				   .max_import_w = STATION_UNLIMITED,
				   .max_grid_charge_w = STATION_UNLIMITED,
				   .max_discharge_w = STATION_UNLIMITED,
				   .max_export_w = STATION_UNLIMITED,
				   .max_bat_to_grid_w = 0 };
	c->tou[0] = ch;
	c->tou[1] = dis;
}

static void t_tou(void)
{
	station_config c;
	tou_cfg(&c);
	station_input in = inp(0, 500, 50);
	station_output o = run(&c, &in, AT(0, 2, 0));
	CHECK(o.tou_period == 0 && NEAR(o.bat_w, 2000, 1), "Max Charging Power from Grid to BAT: %.0f",
	      o.bat_w);
	c.tou[0].max_charge_w = 1500;
	o = run(&c, &in, AT(0, 2, 0));
	CHECK(NEAR(o.bat_w, 1500, 1), "Maximum charging power for BAT: %.0f", o.bat_w);
	c.tou[0].max_charge_w = STATION_UNLIMITED;
	c.tou[0].max_import_w = 1500;
	o = run(&c, &in, AT(0, 2, 0));
	CHECK(NEAR(o.bat_w, 1000, 1) && NEAR(o.grid_w, 1500, 1),
	      "Maximum power for importing from grid: %.0f", o.grid_w);
	c.tou[0].max_import_w = STATION_UNLIMITED;
	in.soc_pct = 85;
	o = run(&c, &in, AT(0, 2, 0));
	CHECK(NEAR(o.bat_w, 0, 1e-6), "Grid Charging Cut-off SOC: %.0f", o.bat_w);
	in = inp(3000, 500, 90);
	o = run(&c, &in, AT(0, 5, 0));
	CHECK(NEAR(o.bat_w, 2500, 1), "above the cut-off PV still charges: %.0f", o.bat_w);
	/* weekdays: Tuesday 02:00 is outside the Monday-only period */
	in = inp(0, 500, 50);
	o = run(&c, &in, AT(1, 2, 0));
	CHECK(o.tou_period == -1 && NEAR(o.bat_w, 0, 1e-6), "weekday mask: outside, bat %.0f", o.bat_w);
	/* outside every period: PV charges, no discharge */
	in = inp(0, 2000, 60);
	o = run(&c, &in, AT(0, 12, 0));
	CHECK(o.tou_period == -1 && NEAR(o.bat_w, 0, 1e-6) && NEAR(o.grid_w, 2000, 1),
	      "outside: no discharge");
	in = inp(4000, 1000, 60);
	o = run(&c, &in, AT(0, 12, 0));
	CHECK(NEAR(o.bat_w, 3000, 1), "outside: surplus charges %.0f", o.bat_w);
	/* discharging period and its three limits */
	in = inp(0, 3000, 60);
	o = run(&c, &in, AT(0, 18, 0));
	CHECK(o.tou_period == 1 && NEAR(o.bat_w, -3000, 1), "discharge period covers load: %.0f", o.bat_w);
	c.tou[1].max_discharge_w = 1000;
	o = run(&c, &in, AT(0, 18, 0));
	CHECK(NEAR(o.bat_w, -1000, 1), "Maximum discharging power for BAT: %.0f", o.bat_w);
	c.tou[1].max_discharge_w = STATION_UNLIMITED;
	c.tou[1].max_bat_to_grid_w = 2000;
	in = inp(0, 500, 60);
	o = run(&c, &in, AT(0, 18, 0));
	CHECK(NEAR(o.bat_w, -2500, 1) && NEAR(o.grid_w, -2000, 1),
	      "Maximum Discharging Power from BAT to Grid: %.0f", o.grid_w);
	c.tou[1].max_export_w = 800;
	o = run(&c, &in, AT(0, 18, 0));
	CHECK(NEAR(o.grid_w, -800, 1), "Maximum power for exporting to grid: %.0f", o.grid_w);
	in = inp(5000, 500, 99.9);
	o = run(&c, &in, AT(0, 18, 0));
	CHECK(o.grid_w >= -800 - 1 && o.pv_limit_w < 5000, "export cap curtails PV: grid %.0f pv %.0f",
	      o.grid_w, o.pv_limit_w);
	/* peak shaving applies in TOU as well */
	c.max_peak_power_w = 1000;
	in = inp(0, 3000, 60);
	o = run(&c, &in, AT(0, 12, 0));
	CHECK(NEAR(o.grid_w, 1000, 1), "TOU + Maximum Peak Power: %.0f", o.grid_w);
}

static void t_feed_in(void)
{
	station_config c;
	base(&c);
	c.mode = STATION_MODE_FEED_IN;
	c.inverter_max_w = 8000;
	station_input in = inp(12000, 1000, 50);
	station_output o = run(&c, &in, AT(0, 12, 0));
	CHECK(NEAR(o.bat_w, 4000, 1) && NEAR(o.pv_limit_w - o.bat_w, 8000, 1), "PV above max charges: %.0f",
	      o.bat_w);
	in = inp(4000, 1000, 50);
	o = run(&c, &in, AT(0, 12, 0));
	CHECK(NEAR(o.bat_w, -4000, 1) && NEAR(o.grid_w, -7000, 1), "battery tops up to max output: %.0f",
	      o.bat_w);
	in = inp(0, 1000, 50);
	o = run(&c, &in, AT(0, 2, 0));
	CHECK(NEAR(o.bat_w, -5000, 1), "night: battery at its limit: %.0f", o.bat_w);
	in.soc_pct = 10;
	o = run(&c, &in, AT(0, 2, 0));
	CHECK(NEAR(o.bat_w, 0, 1e-6), "down to the reserve only: %.0f", o.bat_w);
	in = inp(20000, 1000, 99.99);
	o = run(&c, &in, AT(0, 12, 0));
	CHECK(o.pv_limit_w - o.bat_w <= 8000 + 1e-6, "inverter max never exceeded: %.0f",
	      o.pv_limit_w - o.bat_w);
}

static void t_remote_ems(void)
{
	station_config c, n;
	base(&c);
	c.mode = STATION_MODE_REMOTE_EMS;
	c.remote_ems_timeout_s = 600;
	station_input in = inp(0, 1000, 50);
	station_output o;
	station_state_init(st, &c);
	station_remote_ems_set(st, false, 3000, AT(0, 12, 0));
	station_step(&c, st, &in, AT(0, 12, 1), &o);
	CHECK(NEAR(o.bat_w, 3000, 1) && !o.ems_fallback && o.active == STATION_MODE_REMOTE_EMS,
	      "battery setpoint %.0f", o.bat_w);
	station_remote_ems_set(st, true, -2000, AT(0, 12, 5));
	station_step(&c, st, &in, AT(0, 12, 6), &o);
	CHECK(NEAR(o.grid_w, -2000, 1) && NEAR(o.bat_w, -3000, 1), "grid setpoint: grid %.0f", o.grid_w);
	station_step(&c, st, &in, AT(0, 12, 5) + 600000, &o);
	CHECK(!o.ems_fallback, "within the timeout");
	station_step(&c, st, &in, AT(0, 12, 5) + 601000, &o);
	CHECK(o.ems_fallback && o.active == STATION_MODE_SELF_CONSUMPTION && NEAR(o.bat_w, -1000, 1),
	      "timeout: self-consumption, said so (bat %.0f)", o.bat_w);
	/* confirmation flag */
	base(&n);
	CHECK(station_config_check_change(&n, &c, false) == STATION_ECONFIRM, "entering needs confirmation");
	CHECK(station_config_check_change(&n, &c, true) == 0, "confirmed entering");
	CHECK(station_config_check_change(&c, &n, false) == STATION_ECONFIRM, "leaving needs confirmation");
	CHECK(station_config_check_change(&n, &n, false) == 0, "other changes need none");
}

static void t_load_shedding(void)
{
	station_config c;
	base(&c);
	c.mode = STATION_MODE_LOAD_SHEDDING;
	c.n_shed = 1;
	c.shed[0] = (station_window){ 18 * 60, 20 * 60, STATION_EVERY_DAY };
	c.shed_margin_min = 30;
	station_input in = inp(0, 1000, 30);
	/* 70% of 10 kWh at 5 kW: ~1.5 h, plus 10% and 30 min: start by ~16:10 */
	station_output o = run(&c, &in, AT(0, 16, 30));
	CHECK(o.bat_w > 4000 && o.grid_charging, "charges from the grid before the window: %.0f", o.bat_w);
	o = run(&c, &in, AT(0, 12, 0));
	CHECK(NEAR(o.bat_w, -1000, 1), "well before: self-consumption: %.0f", o.bat_w);
	in.soc_pct = 100;
	o = run(&c, &in, AT(0, 17, 30));
	CHECK(o.bat_w <= 0, "full: no more charging: %.0f", o.bat_w);
	o = run(&c, &in, AT(0, 19, 0));
	CHECK(NEAR(o.bat_w, 0, 1e-6), "in the window, grid still up: hold: %.0f", o.bat_w);
	in.on_grid = false;
	o = run(&c, &in, AT(0, 19, 0));
	CHECK(NEAR(o.bat_w, -1000, 1), "outage in the window: supplies the house: %.0f", o.bat_w);
}

/* A dated outage (an operator's schedule) works as a weekly window does,
 * on the station's clock (UTC), and only on its date. */
static void t_load_shedding_dated(void)
{
	station_config c;
	base(&c);
	c.mode = STATION_MODE_LOAD_SHEDDING;
	c.utc_offset_min = 120; /* the dates are UTC whatever the local time */
	c.n_outages = 2;
	c.outages[0] = (station_outage){ AT(1, 18, 0), AT(1, 20, 0) };
	c.outages[1] = (station_outage){ AT(0, 6, 0), AT(0, 7, 0) }; /* past */
	c.shed_margin_min = 30;
	station_input in = inp(0, 1000, 30);
	/* 70% of 10 kWh at 5 kW: ~1.5 h, plus 10% and 30 min: start by ~16:10 UTC */
	station_output o = run(&c, &in, AT(1, 16, 30));
	CHECK(o.bat_w > 4000 && o.grid_charging, "dated: charges from the grid before it: %.0f", o.bat_w);
	o = run(&c, &in, AT(0, 16, 30));
	CHECK(NEAR(o.bat_w, -1000, 1), "the day before at the same time: self-consumption: %.0f", o.bat_w);
	o = run(&c, &in, AT(1, 12, 0));
	CHECK(NEAR(o.bat_w, -1000, 1), "well before: self-consumption: %.0f", o.bat_w);
	o = run(&c, &in, AT(1, 20, 30));
	CHECK(NEAR(o.bat_w, -1000, 1), "after it: self-consumption: %.0f", o.bat_w);
	in.soc_pct = 100;
	o = run(&c, &in, AT(1, 19, 0));
	CHECK(NEAR(o.bat_w, 0, 1e-6), "in it, grid still up: hold: %.0f", o.bat_w);
	in.on_grid = false;
	o = run(&c, &in, AT(1, 19, 0));
	CHECK(NEAR(o.bat_w, -1000, 1), "the outage came: supplies the house: %.0f", o.bat_w);
	/* bounds: an end not after its start, a day and more, too many */
	char err[160];
	c.outages[0].end_ms = c.outages[0].start_ms;
	CHECK(station_config_validate(&c, err, sizeof err) == STATION_EINVAL &&
		      strstr(err, "loadShedding.outages"),
	      "an end at its start refused: %s", err);
	c.outages[0].end_ms = c.outages[0].start_ms + STATION_OUTAGE_MAX_MS + 1;
	CHECK(station_config_validate(&c, err, sizeof err) == STATION_EINVAL, "over 24 h refused");
	c.outages[0].end_ms = c.outages[0].start_ms + STATION_OUTAGE_MAX_MS;
	CHECK(station_config_validate(&c, err, sizeof err) == 0, "24 h accepted: %s", err);
	c.n_outages = STATION_MAX_OUTAGES + 1;
	CHECK(station_config_validate(&c, err, sizeof err) == STATION_EINVAL, "65 refused");
}

/* ---- EV ---- */

static void ev_cfg(station_config *c, station_ev_mode m)
{
	base(c);
	c->n_chargers = 1;
	station_charger_cfg ch = { .mode = m,
				   .phases = 3,
				   .auto_phase_switch = true,
				   .max_current_a = 16,
				   .enable_delay_s = 60,
				   .disable_delay_s = 300,
				   .phase_switch_delay_s = 120 };
	strcpy(ch.id, "CP1");
	c->chargers[0] = ch;
}

static station_input ev_in(double pv, double load, double soc)
{
	station_input in = inp(pv, load, soc);
	in.ev[0].connected = true;
	in.ev[0].demand_w = 11040;
	return in;
}

static void t_ev_fast_boost(void)
{
	station_config c;
	ev_cfg(&c, STATION_EV_FAST);
	station_input in = ev_in(0, 1000, 60);
	station_output o = run(&c, &in, AT(0, 20, 0));
	CHECK(o.ev[0].target_a == 16 && o.ev[0].phases == 3, "fast: max current %.1f", o.ev[0].target_a);
	CHECK(NEAR(o.bat_w, -1000, 1), "battery not into the EV by default: %.0f", o.bat_w);
	c.chargers[0].battery_to_ev = true;
	o = run(&c, &in, AT(0, 20, 0));
	CHECK(NEAR(o.bat_w, -5000, 1), "battery-to-EV on: %.0f", o.bat_w);
	c.chargers[0].battery_to_ev = false;
	c.chargers[0].max_current_a = 10;
	o = run(&c, &in, AT(0, 20, 0));
	CHECK(o.ev[0].target_a == 10, "Charging Current Adjustment caps: %.1f", o.ev[0].target_a);
	c.chargers[0].max_current_a = 16;
	c.max_peak_power_w = 6000;
	in.soc_pct = 10; /* battery at the reserve: nothing to shave with */
	o = run(&c, &in, AT(0, 20, 0));
	CHECK(o.grid_w <= 6000 + 1 && o.ev[0].target_a >= 6 && o.ev[0].target_a < 16,
	      "fast within the peak cap: %.1f A, grid %.0f", o.ev[0].target_a, o.grid_w);
	c.max_peak_power_w = 0;
	/* Solar Boost: surplus, never below the minimum */
	ev_cfg(&c, STATION_EV_SOLAR_BOOST);
	in = ev_in(3000, 1000, 60);
	o = run(&c, &in, AT(0, 12, 0));
	CHECK(o.ev[0].target_a == 6 && NEAR(o.grid_w, 4140 - 2000, 2),
	      "boost: minimum, grid tops up: %.1f A grid %.0f", o.ev[0].target_a, o.grid_w);
	in = ev_in(9000, 1000, 60);
	o = run(&c, &in, AT(0, 12, 0));
	CHECK(NEAR(o.ev[0].target_a, 11.5, 0.11), "boost follows surplus: %.1f", o.ev[0].target_a);
}

static void t_ev_pv100(void)
{
	station_config c;
	ev_cfg(&c, STATION_EV_PV100);
	station_input in = ev_in(6000, 1000, 80);
	station_output o = run(&c, &in, AT(0, 12, 0));
	CHECK(o.ev[0].target_a == 0 && o.ev[0].reason == STATION_EV_WAIT_ENABLE, "enable delay running");
	o = again(&c, &in, AT(0, 12, 0) + 59000);
	CHECK(o.ev[0].target_a == 0, "still waiting at 59 s");
	o = again(&c, &in, AT(0, 12, 1));
	CHECK(NEAR(o.ev[0].target_a, 7.2, 0.11) && o.ev[0].phases == 3, "starts after the enable delay: %.1f",
	      o.ev[0].target_a);
	CHECK(o.bat_w >= -1e-6 && NEAR(o.grid_w, 0, 40), "PV only: grid %.0f bat %.0f", o.grid_w, o.bat_w);
	/* surplus for one phase only: stays 3-phase at the minimum until the switch delay */
	in = ev_in(3500, 1000, 80);
	o = again(&c, &in, AT(0, 12, 2));
	CHECK(o.ev[0].phases == 3 && o.ev[0].target_a == 6, "switch pending: 3 x 6 A (%d, %.1f)",
	      o.ev[0].phases, o.ev[0].target_a);
	o = again(&c, &in, AT(0, 12, 3));
	CHECK(o.ev[0].phases == 3, "switch pending at 60 s");
	o = again(&c, &in, AT(0, 12, 4));
	CHECK(o.ev[0].phases == 1 && NEAR(o.ev[0].target_a, 10.8, 0.11), "one phase after the delay: %d %.1f",
	      o.ev[0].phases, o.ev[0].target_a);
	in = ev_in(8000, 1000, 80);
	o = again(&c, &in, AT(0, 12, 5));
	CHECK(o.ev[0].phases == 1 && o.ev[0].target_a == 16, "back to 3 phases waits: %d", o.ev[0].phases);
	o = again(&c, &in, AT(0, 12, 7));
	CHECK(o.ev[0].phases == 3, "three phases again after the delay: %d", o.ev[0].phases);
	/* surplus gone: minimum during the disable delay, then pause */
	in = ev_in(1000, 1000, 80);
	o = again(&c, &in, AT(0, 12, 8));
	CHECK(o.ev[0].reason == STATION_EV_DISABLE_GRACE && o.ev[0].target_a == 6, "disable delay running");
	o = again(&c, &in, AT(0, 12, 12));
	CHECK(o.ev[0].target_a == 6, "still in grace at 4 min");
	o = again(&c, &in, AT(0, 12, 13));
	CHECK(o.ev[0].target_a == 0 && o.ev[0].reason == STATION_EV_PAUSED, "paused after the disable delay");
	/* without auto switch a 3-phase charger never goes to one phase */
	c.chargers[0].auto_phase_switch = false;
	in = ev_in(3500, 1000, 80);
	o = run(&c, &in, AT(0, 12, 0));
	o = again(&c, &in, AT(0, 12, 10));
	CHECK(o.ev[0].phases == 3 && o.ev[0].target_a == 0, "no auto switch: waits for 3-phase surplus");
}

static void t_ev_priority(void)
{
	station_config c;
	ev_cfg(&c, STATION_EV_PV100);
	c.chargers[0].enable_delay_s = 0;
	c.ev_priority_soc_pct = 50;
	station_input in = ev_in(6000, 1000, 30);
	station_output o = run(&c, &in, AT(0, 12, 0));
	CHECK(o.ev[0].target_a == 0 && NEAR(o.bat_w, 5000, 1), "below priority SOC: battery first (%.0f)",
	      o.bat_w);
	in = ev_in(12000, 1000, 30);
	o = run(&c, &in, AT(0, 12, 0));
	CHECK(NEAR(o.ev[0].target_a, 8.6, 0.11) && NEAR(o.bat_w, 5000, 1), "EV gets the rest: %.1f",
	      o.ev[0].target_a);
	in = ev_in(6000, 1000, 60);
	o = run(&c, &in, AT(0, 12, 0));
	CHECK(NEAR(o.ev[0].target_a, 7.2, 0.11) && NEAR(o.bat_w, 40, 40),
	      "above: EV first (%.1f A, bat %.0f)", o.ev[0].target_a, o.bat_w);
	/* below it the EV gets what the battery actually takes, not what exceeds
	 * its maximum charge power: feed-in charges only pv - inverter max */
	c.mode = STATION_MODE_FEED_IN;
	c.inverter_max_w = 3000;
	in = ev_in(6000, 1000, 30);
	o = run(&c, &in, AT(0, 12, 0));
	CHECK(o.ev[0].target_a >= 6 && NEAR(o.bat_w, 3000, 1) && NEAR(o.grid_w, 0, 150),
	      "battery takes 3 kW of 5: EV gets the rest (%.1f A, bat %.0f, grid %.0f)", o.ev[0].target_a,
	      o.bat_w, o.grid_w);
	c.mode = STATION_MODE_SELF_CONSUMPTION;
	c.inverter_max_w = 10000;
	/* battery-to-EV in 100% PV */
	in = ev_in(2000, 1000, 60);
	o = run(&c, &in, AT(0, 12, 0));
	CHECK(o.ev[0].target_a == 0, "1 kW surplus: no start");
	c.chargers[0].battery_to_ev = true;
	o = run(&c, &in, AT(0, 12, 0));
	CHECK(o.ev[0].target_a > 6 && o.bat_w < 0, "battery may feed the EV: %.1f A bat %.0f",
	      o.ev[0].target_a, o.bat_w);
}

static void t_ev_min_current_breaker(void)
{
	station_config c;
	ev_cfg(&c, STATION_EV_FAST);
	c.breaker_a = 20;
	station_input in = ev_in(0, 6000, 10); /* 8.7 A per phase of house load */
	station_output o = run(&c, &in, AT(0, 20, 0));
	CHECK(NEAR(o.ev[0].target_a, 11.3, 0.11), "breaker headroom: %.1f", o.ev[0].target_a);
	in = ev_in(0, 10500, 10); /* 15.2 A: 4.8 A left, below 6 A -> 0 */
	o = run(&c, &in, AT(0, 20, 0));
	CHECK(o.ev[0].target_a == 0 && o.ev[0].reason == STATION_EV_LIMITED, "below 6 A is 0: %.1f",
	      o.ev[0].target_a);
	in.ev[0].connected = false;
	o = run(&c, &in, AT(0, 20, 0));
	CHECK(o.ev[0].target_a == 0 && o.ev[0].reason == STATION_EV_NOT_CONNECTED, "no car, no current");
}

/* ---- controlled loads ---- */

static void t_smart_loads(void)
{
	station_config c;
	base(&c);
	c.n_smart_loads = 2;
	c.smart_loads[0] = (station_smart_load_cfg){
		.name = "m", .power_w = 500, .mode = STATION_LOAD_MANUAL, .manual_on = true
	};
	c.smart_loads[1] = (station_smart_load_cfg){ .name = "a",
						     .power_w = 2000,
						     .mode = STATION_LOAD_AUTO_SOC,
						     .soc_threshold_pct = 80,
						     .window = { 10 * 60, 16 * 60, STATION_EVERY_DAY } };
	station_input in = inp(3000, 500, 90);
	station_output o = run(&c, &in, AT(0, 12, 0));
	CHECK(o.smart_load_on[0] && o.smart_load_on[1] && NEAR(o.loads_w, 2500, 1e-6),
	      "manual on, auto above threshold");
	c.smart_loads[0].manual_on = false;
	in.soc_pct = 70;
	o = run(&c, &in, AT(0, 12, 0));
	CHECK(!o.smart_load_on[0] && !o.smart_load_on[1], "manual off, auto below threshold");
	in.soc_pct = 90;
	o = run(&c, &in, AT(0, 18, 0));
	CHECK(!o.smart_load_on[1], "auto outside its Time of Use window");
	/* the load's power is in the balance */
	in = inp(0, 500, 90);
	o = run(&c, &in, AT(0, 12, 0));
	CHECK(NEAR(o.bat_w, -2500, 1), "battery supplies the smart load: %.0f", o.bat_w);
}

static void t_heat_pump(void)
{
	station_config c;
	base(&c);
	c.heat_pump = (station_heat_pump_cfg){ .enabled = true,
					       .auto_mode = true,
					       .pv_residual_control = true,
					       .power_w = 2000,
					       .min_start_power_w = 1500,
					       .min_run_s = 1800,
					       .max_daily_run_s = 3600,
					       .window = { 0, 0, STATION_EVERY_DAY } };
	station_input in = inp(4000, 1000, 100); /* battery full: the surplus is 3 kW */
	station_output o = run(&c, &in, AT(0, 10, 0));
	CHECK(o.heat_pump_on, "surplus above Min Starting Power: on");
	in = inp(1500, 1000, 100);
	o = again(&c, &in, AT(0, 10, 10));
	CHECK(o.heat_pump_on, "Min Running Time holds it on");
	o = again(&c, &in, AT(0, 10, 31));
	CHECK(!o.heat_pump_on, "below Min Starting Power after the min run: off");
	in = inp(4000, 1000, 100);
	o = again(&c, &in, AT(0, 11, 0));
	CHECK(o.heat_pump_on, "back on");
	for (int m = 1; m <= 35; m++)
		o = again(&c, &in, AT(0, 11, m));
	CHECK(!o.heat_pump_on, "Max Daily Running Time (1 h: 31 + 29 min) reached: off");
	o = again(&c, &in, AT(1, 11, 0));
	CHECK(o.heat_pump_on, "a new day: runs again");
	/* battery charging counts against the surplus (PV - load - charging) */
	c.heat_pump.enabled = false;
	in = inp(4000, 1000, 50);
	o = run(&c, &in, AT(0, 10, 0));
	c.heat_pump.enabled = true;
	o = again(&c, &in, AT(0, 10, 1));
	CHECK(!o.heat_pump_on, "surplus taken by the battery: stays off");
	/* Time of Use window with SOC threshold */
	c.heat_pump.window_enabled = true;
	c.heat_pump.window = (station_window){ 12 * 60, 14 * 60, STATION_EVERY_DAY };
	c.heat_pump.soc_threshold_pct = 90;
	in = inp(4000, 1000, 100);
	o = run(&c, &in, AT(0, 10, 0));
	CHECK(!o.heat_pump_on, "outside the window: off");
	o = run(&c, &in, AT(0, 13, 0));
	CHECK(o.heat_pump_on, "inside the window: on");
	in.soc_pct = 80;
	o = run(&c, &in, AT(0, 13, 0));
	CHECK(!o.heat_pump_on, "below the window's SOC threshold: off");
	/* manual */
	c.heat_pump.auto_mode = false;
	c.heat_pump.manual_on = true;
	in = inp(0, 1000, 50);
	o = run(&c, &in, AT(0, 3, 0));
	CHECK(o.heat_pump_on && NEAR(o.loads_w, 2000, 1e-6), "manual start");
}

static void t_generator(void)
{
	station_config c;
	base(&c);
	c.generator = (station_generator_cfg){ .enabled = true,
					       .auto_mode = false,
					       .manual_on = true,
					       .rated_power_w = 5000,
					       .best_power_duty = true,
					       .charge_cutoff_soc_pct = 80 };
	station_input in = inp(0, 2000, 30);
	in.on_grid = false;
	station_output o = run(&c, &in, AT(0, 3, 0));
	CHECK(NEAR(o.gen_w, 4000, 1) && NEAR(o.bat_w, 2000, 1), "below cut-off: charges, within 80%%: %.0f",
	      o.gen_w);
	c.generator.best_power_duty = false;
	o = run(&c, &in, AT(0, 3, 0));
	CHECK(NEAR(o.gen_w, 5000, 1), "without Best Power Duty: rated: %.0f", o.gen_w);
	in.soc_pct = 85;
	o = run(&c, &in, AT(0, 3, 0));
	CHECK(NEAR(o.gen_w, 2000, 1) && NEAR(o.bat_w, 0, 1), "above cut-off: load only: %.0f", o.gen_w);
	c.generator.manual_on = false;
	o = run(&c, &in, AT(0, 3, 0));
	CHECK(o.gen_w == 0 && !o.gen_on, "manual stop");
	/* auto: window with start/stop SOC */
	c.generator.auto_mode = true;
	c.generator.n_windows = 1;
	c.generator.windows[0] = (station_gen_window){ { 6 * 60, 22 * 60, STATION_EVERY_DAY }, 20, 60 };
	in.soc_pct = 25;
	o = run(&c, &in, AT(0, 8, 0));
	CHECK(o.gen_w == 0, "above start SOC: off");
	in.soc_pct = 20;
	o = again(&c, &in, AT(0, 8, 1));
	CHECK(o.gen_w > 0, "at start SOC: on");
	in.soc_pct = 40;
	o = again(&c, &in, AT(0, 8, 2));
	CHECK(o.gen_w > 0, "between thresholds: keeps running");
	in.soc_pct = 60;
	o = again(&c, &in, AT(0, 8, 3));
	CHECK(o.gen_w == 0, "stop SOC: off");
	in.soc_pct = 10;
	o = run(&c, &in, AT(0, 23, 0));
	CHECK(o.gen_w == 0, "outside the window: off");
}

static void t_bad_input(void)
{
	station_config c;
	base(&c);
	station_input in = inp(NAN, 0, 50);
	station_output o;
	station_state_init(st, &c);
	CHECK(station_step(&c, st, &in, 0, &o) == STATION_EINVAL, "NaN rejected");
	CHECK(station_step(NULL, st, &in, 0, &o) == STATION_EINVAL, "NULL rejected");
	c.battery.round_trip_eff = 2;
	char err[64] = "";
	CHECK(station_config_validate(&c, err, sizeof(err)) == STATION_EINVAL &&
		      strcmp(err, "battery.roundTripEfficiency") == 0,
	      "validate names the setting: %s", err);
	/* load derived from the grid meter when not measured */
	base(&c);
	in = inp(1000, -1, 50);
	in.grid_w = 500;
	in.bat_w = 0;
	o = run(&c, &in, AT(0, 12, 0));
	CHECK(NEAR(o.bat_w, -500, 1), "derived load 1500 W on 1000 W PV: bat %.0f", o.bat_w);
}

int main(void)
{
	st = calloc(1, sizeof(*st));
	if (!st)
		return 1;
	static const struct {
		const char *name;
		void (*fn)(void);
	} cases[] = {
		{ "self-consumption", t_self_consumption },
		{ "backup reserve / off-grid", t_backup_reserve },
		{ "third-party inverter", t_third_party },
		{ "peak shaving", t_peak_shaving },
		{ "TOU", t_tou },
		{ "full feed-in", t_feed_in },
		{ "remote EMS", t_remote_ems },
		{ "load shedding", t_load_shedding },
		{ "load shedding, dated", t_load_shedding_dated },
		{ "EV fast / solar boost", t_ev_fast_boost },
		{ "EV 100% PV", t_ev_pv100 },
		{ "EV priority SOC", t_ev_priority },
		{ "EV min current / breaker", t_ev_min_current_breaker },
		{ "smart loads", t_smart_loads },
		{ "heat pump", t_heat_pump },
		{ "generator", t_generator },
		{ "bad input", t_bad_input },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int before = t_fail;
		cases[i].fn();
		fprintf(stderr, "%-28s %s\n", cases[i].name, t_fail == before ? "ok" : "FAILED");
	}
	free(st);
	T_DONE();
}
