/* test_station_plan.c: the optimising mode's parts: the dynamic program
 * against brute force and against a plain reference DP when the battery can
 * cross its whole SOC range in one slot, forecasts learned from history (weekday/weekend,
 * clear-sky PV, weather factor), the price list and its fallbacks, the
 * re-plan interval, the mode's decisions on a dynamic tariff, and the rule it
 * falls back to (TOU only where it did better in the shadows). */
#include "station.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

#define MON0 1718582400000LL /* 2024-06-17T00:00Z, a Monday */
#define SLOT0 (MON0 / 1000 / STATION_SLOT_S)

static station_state *st;

/* the planner's stage cost without its tie-breaks */
static double stage(double load, double pv, double b, double imp, double exp, double dt_h)
{
	double g = load - pv + b;
	return (g > 0 ? g * imp : g * exp) * dt_h / 1000.0;
}

static void t_dp_brute_force(void)
{
	station_config c;
	station_config_defaults(&c);
	c.battery.capacity_wh = 1000;
	c.battery.max_charge_w = 10000;
	c.battery.max_discharge_w = 10000;
	c.battery.round_trip_eff = 0.81; /* 0.9 each way */
	c.inverter_max_w = 1e6;
	enum { N = 5, L = 5 };
	float load[N] = { 400, 300, 900, 1200, 200 }, pv[N] = { 0, 1500, 800, 0, 0 };
	float imp[N] = { 0.10f, 0.30f, 0.25f, 0.50f, 0.20f }, exp[N] = { 0.05f, 0.05f, 0.10f, 0.10f, 0.02f };
	float soc[N + 1], bat[N];
	double dp = station_plan_dp(&c, &st->plan, N, 900, load, pv, imp, exp, 50, 0, 100, L, 0, soc, bat);
	/* brute force over every level sequence (levels 0, 25, 50, 75, 100 %) */
	double best = 1e18;
	int seq[N];
	for (int code = 0; code < 3125; code++) {
		int x = code;
		for (int t = 0; t < N; t++) {
			seq[t] = x % L;
			x /= L;
		}
		double cost = 0, e = 500;
		for (int t = 0; t < N; t++) {
			double e2 = seq[t] * 250.0, dE = e2 - e;
			double b = dE > 0 ? dE / 0.9 / 0.25 : dE * 0.9 / 0.25;
			cost += stage(load[t], pv[t], b, imp[t], exp[t], 0.25);
			e = e2;
		}
		if (cost < best)
			best = cost;
	}
	CHECK(NEAR(dp, best, 1e-3), "DP %.5f = brute force %.5f", dp, best);
	/* the trajectory it returns costs what it says */
	double cost = 0;
	for (int t = 0; t < N; t++)
		cost += stage(load[t], pv[t], bat[t], imp[t], exp[t], 0.25);
	CHECK(NEAR(cost, best, 1e-3), "trajectory cost %.5f", cost);
	CHECK(soc[0] == 50 && bat[1] > 0 && bat[3] < 0, "stores the PV, discharges at 0.50 (%g, %g)", bat[1],
	      bat[3]);
}

/* A battery that can cross its whole SOC range in one slot moves many more
 * levels than the grid has (here 450 up, 555 down on 201 levels); the
 * planner meets this with a small battery, or a SOC range narrowed by a
 * high backup reserve. The DP must stay within its stage-cost table and
 * still find the optimum: compared with a plain DP over every move. */
static void t_dp_fast_battery(void)
{
	station_config c;
	station_config_defaults(&c);
	c.battery.capacity_wh = 1000;
	c.battery.max_charge_w = 10000;
	c.battery.max_discharge_w = 10000;
	c.battery.round_trip_eff = 0.81;
	c.inverter_max_w = 1e6;
	enum { N = 8, L = STATION_PLAN_MAX_LEVELS };
	float load[N] = { 400, 300, 900, 1200, 200, 700, 2500, 100 },
	      pv[N] = { 0, 1500, 800, 0, 0, 3000, 0, 0 };
	float imp[N] = { 0.10f, 0.30f, 0.25f, 0.50f, 0.20f, 0.05f, 0.60f, 0.30f };
	float exp[N] = { 0.05f, 0.05f, 0.10f, 0.10f, 0.02f, 0.01f, 0.10f, 0.05f };
	float soc[N + 1], bat[N];
	double dp = station_plan_dp(&c, &st->plan, N, 900, load, pv, imp, exp, 50, 0, 100, L, 0, soc, bat);
	/* reference: every level reachable from every level (5 Wh apart) */
	static double v[N + 1][L];
	const double de = 1000.0 / (L - 1);
	for (int i = 0; i < L; i++)
		v[N][i] = 0;
	for (int t = N - 1; t >= 0; t--)
		for (int i = 0; i < L; i++) {
			double best = 1e18;
			for (int j = 0; j < L; j++) {
				double dE = (j - i) * de;
				double b = dE > 0 ? dE / 0.9 / 0.25 : dE * 0.9 / 0.25;
				double x = stage(load[t], pv[t], b, imp[t], exp[t], 0.25) + v[t + 1][j];
				if (x < best)
					best = x;
			}
			v[t][i] = best;
		}
	double ref = v[0][(L - 1) / 2];
	CHECK(NEAR(dp, ref, 1e-3), "fast battery: DP %.5f = reference %.5f", dp, ref);
	double cost = 0;
	for (int t = 0; t < N; t++)
		cost += stage(load[t], pv[t], bat[t], imp[t], exp[t], 0.25);
	CHECK(NEAR(cost, ref, 1e-3), "fast battery: trajectory cost %.5f", cost);
	bool in_range = true;
	for (int t = 0; t <= N; t++)
		in_range &= soc[t] >= -1e-3 && soc[t] <= 100 + 1e-3;
	CHECK(in_range && soc[0] == 50, "fast battery: SOC within 0..100 from 50");
}

static void t_forecast_learns(void)
{
	station_config c;
	station_config_defaults(&c);
	c.mode = STATION_MODE_SELF_CONSUMPTION;
	station_state_init(st, &c);
	station_input in;
	memset(&in, 0, sizeof(in));
	in.on_grid = true;
	in.soc_pct = 50;
	station_output o;
	/* 13 days at 5 min: weekday load 400 W + 1 kW 18-20 h, weekend 900 W; PV 6 W per W/m2 */
	for (int64_t t = MON0; t < MON0 + 13 * 86400000LL; t += 300000) {
		int64_t sod = (t / 1000) % 86400;
		int wd = (int)(((t / 86400000) + 3) % 7);
		in.load_w = wd >= 5 ? 900 : 400 + (sod >= 18 * 3600 && sod < 20 * 3600 ? 1000 : 0);
		in.pv_w = 6 * station_clearsky_ghi(c.latitude_deg, c.longitude_deg, t / 1000);
		station_step(&c, st, &in, t, &o);
	}
	double l, p;
	int64_t day13 = SLOT0 + 13 * 96; /* Sunday 30 June */
	station_forecast_slot(&c, st, day13 + 19 * 4, &l, &p);
	CHECK(NEAR(l, 900, 5), "weekend slot learned: %.0f", l);
	station_forecast_slot(&c, st, day13 + 96 + 19 * 4, &l, &p);
	CHECK(NEAR(l, 1400, 5), "weekday evening slot learned: %.0f", l);
	station_forecast_slot(&c, st, day13 + 96 + 3 * 4, &l, &p);
	CHECK(NEAR(l, 400, 5), "weekday night slot learned: %.0f", l);
	station_forecast_slot(&c, st, day13 + 96 + 12 * 4, &l, &p);
	double cs =
		6 * station_clearsky_ghi(c.latitude_deg, c.longitude_deg, (day13 + 96 + 12 * 4) * 900 + 450);
	CHECK(NEAR(p, cs, cs * 0.03) && p > 1000, "PV follows the clear-sky curve: %.0f vs %.0f", p, cs);
	/* weather factor scales the learned site size */
	c.weather_factor = 0.3;
	station_forecast_slot(&c, st, day13 + 96 + 12 * 4, &l, &p);
	CHECK(NEAR(p, 0.3 * cs, cs * 0.03), "weather factor 0.3: %.0f", p);
	c.weather_factor = -1;
	double k[4] = { 0.5, 0.5, 0.5, 0.5 };
	CHECK(station_weather_set(st, (day13 + 96 + 48) * 900000LL, 3600, 1, k) == 0, "weather list set");
	station_forecast_slot(&c, st, day13 + 96 + 48, &l, &p);
	CHECK(NEAR(p, 0.5 * cs, cs * 0.03), "weather list 0.5: %.0f", p);
	k[0] = 2;
	CHECK(station_weather_set(st, (day13 + 96) * 900000LL, 3600, 1, k) == STATION_EINVAL,
	      "bad weather rejected");
	/* a forecast service's PV power wins over weather and what was learned, where it has slots */
	double pv[2] = { 1234, 2500 };
	CHECK(station_forecast_set(st, (day13 + 96 + 48) * 900000LL, 900, 2, NULL, pv) == 0,
	      "PV forecast set");
	station_forecast_slot(&c, st, day13 + 96 + 48, &l, &p);
	CHECK(p == 1234, "PV forecast slot 1: %.0f", p);
	station_forecast_slot(&c, st, day13 + 96 + 49, &l, &p);
	CHECK(p == 2500, "PV forecast slot 2: %.0f", p);
	station_forecast_slot(&c, st, day13 + 96 + 50, &l, &p);
	double cs50 =
		6 * station_clearsky_ghi(c.latitude_deg, c.longitude_deg, (day13 + 96 + 50) * 900 + 450);
	CHECK(NEAR(p, 0.5 * cs50, cs50 * 0.03), "beyond the forecast: the weather list again: %.0f", p);
	double badpv[2] = { 100, -1 };
	CHECK(station_forecast_set(st, (day13 + 96 + 48) * 900000LL, 900, 2, NULL, badpv) == STATION_EINVAL,
	      "negative PV refused");
	badpv[1] = NAN;
	CHECK(station_forecast_set(st, (day13 + 96 + 48) * 900000LL, 900, 2, NULL, badpv) == STATION_EINVAL,
	      "NaN PV refused");
	station_forecast_slot(&c, st, day13 + 96 + 48, &l, &p);
	CHECK(p == 1234, "a refused forecast changes nothing: %.0f", p);
	CHECK(station_forecast_set(st, (day13 + 96 + 48) * 900000LL + 60000, 900, 1, NULL, pv) ==
		      STATION_EINVAL,
	      "off-slot start refused");
}

static void t_prices(void)
{
	station_config c;
	station_config_defaults(&c);
	c.n_tariff = 1;
	c.tariff[0] = (station_tariff_period){ { 22 * 60, 6 * 60, STATION_EVERY_DAY }, 0.2, 0.05 };
	station_state_init(st, &c);
	double imp, exp;
	station_price_slot(&c, st, SLOT0 + 4 * 23, &imp, &exp);
	CHECK(imp == 0.2 && exp == 0.05, "tariff period: %.2f", imp);
	station_price_slot(&c, st, SLOT0 + 4 * 12, &imp, &exp);
	CHECK(imp == c.import_price && exp == c.export_price, "outside the tariff periods: flat");
	double a[24], b[24];
	for (int h = 0; h < 24; h++) {
		a[h] = 0.1 + h * 0.01;
		b[h] = 0.05;
	}
	CHECK(station_prices_set(st, MON0, 3600, 24, a, b) == 0, "hourly list set");
	station_price_slot(&c, st, SLOT0 + 4 * 5 + 3, &imp, &exp);
	CHECK(NEAR(imp, 0.15, 1e-6), "hour 5 covers its 4 slots: %.3f", imp);
	station_price_slot(&c, st, SLOT0 + 96 + 4 * 7, &imp, &exp);
	CHECK(NEAR(imp, 0.17, 1e-6), "beyond the list: the same slot a day earlier: %.3f", imp);
	CHECK(station_prices_set(st, MON0 + 1000, 3600, 24, a, b) == STATION_EINVAL,
	      "unaligned start rejected");
	CHECK(station_prices_set(st, MON0, 600, 24, a, b) == STATION_EINVAL, "slot length rejected");
	CHECK(station_prices_set(st, MON0, 900, 400, a, b) == STATION_EINVAL, "too long rejected");
	a[3] = NAN;
	CHECK(station_prices_set(st, MON0, 3600, 24, a, b) == STATION_EINVAL, "NaN rejected");
	/* a newer list keeps the older slots that still fit */
	a[3] = 0.13;
	double a2[4] = { 1, 1, 1, 1 };
	CHECK(station_prices_set(st, MON0 + 86400000LL, 3600, 4, a2, b) == 0, "second list");
	station_price_slot(&c, st, SLOT0 + 4 * 5, &imp, &exp);
	CHECK(NEAR(imp, 0.15, 1e-6), "older slots kept: %.3f", imp);
}

static void t_optimise_mode(void)
{
	station_config c;
	station_config_defaults(&c);
	c.mode = STATION_MODE_OPTIMISE;
	c.battery.backup_reserve_pct = 10;
	c.battery.capacity_wh = 3000; /* less than the evening needs */
	station_state_init(st, &c);
	/* night 0.10, evening 0.50, otherwise 0.30, for two days */
	double a[48], b[48];
	for (int h = 0; h < 48; h++) {
		int hd = h % 24;
		a[h] = hd < 6 ? 0.10 : (hd >= 17 && hd < 22) ? 0.50 : 0.30;
		b[h] = 0.05;
	}
	CHECK(station_prices_set(st, MON0, 3600, 48, a, b) == 0, "prices");
	station_input in;
	memset(&in, 0, sizeof(in));
	in.on_grid = true;
	in.load_w = 600;
	in.soc_pct = 20;
	station_output o;
	/* a day of history so the load forecast exists */
	for (int64_t t = MON0 - 86400000LL; t < MON0; t += 300000) {
		station_step(&c, st, &in, t, &o);
		in.soc_pct = 20;
	}
	station_step(&c, st, &in, MON0 + 2 * 3600000LL, &o);
	CHECK(NEAR(o.bat_w, 0, 1e-6), "cheap night, early: waits, charging as late as it can (%.0f)",
	      o.bat_w);
	station_step(&c, st, &in, MON0 + 5 * 3600000LL + 30 * 60000, &o);
	CHECK(o.bat_w > 1000 && o.grid_charging, "cheap night, last hour: charges from the grid (%.0f)",
	      o.bat_w);
	CHECK(o.plan_soc_pct > 20, "plan SOC rises: %.1f", o.plan_soc_pct);
	int64_t made = st->plan.made_ms;
	station_step(&c, st, &in, MON0 + 5 * 3600000LL + 44 * 60000, &o);
	CHECK(st->plan.made_ms == made, "no re-plan within 15 min");
	station_step(&c, st, &in, MON0 + 5 * 3600000LL + 45 * 60000, &o);
	CHECK(st->plan.made_ms != made, "re-plan after 15 min");
	in.soc_pct = 60;
	station_step(&c, st, &in, MON0 + 12 * 3600000LL, &o);
	CHECK(o.bat_w >= -1e-6, "0.30 at noon, 0.50 ahead: the battery waits (%.0f)", o.bat_w);
	station_step(&c, st, &in, MON0 + 18 * 3600000LL, &o);
	CHECK(NEAR(o.bat_w, -600, 1), "0.50 in the evening: the battery supplies (%.0f)", o.bat_w);
	/* memory is bounded and preallocated */
	CHECK(sizeof(station_state) < 512 * 1024, "state size %zu", sizeof(station_state));
}

/* Days of a flat 600 W load without PV under tariff periods night/evening
 * prices (imp_night, imp_evening; 0.30 otherwise) in the optimising mode
 * with TOU periods set (or not); returns the rule after `days`. */
static station_mode fallback_after(double days, double imp_night, double imp_evening, bool tou,
				   int64_t *changed_ms)
{
	station_config c;
	station_config_defaults(&c);
	c.mode = STATION_MODE_OPTIMISE;
	c.battery.capacity_wh = 5000;
	c.n_tariff = 2;
	c.tariff[0] = (station_tariff_period){ { 0, 6 * 60, STATION_EVERY_DAY }, imp_night, 0.05 };
	c.tariff[1] = (station_tariff_period){ { 17 * 60, 22 * 60, STATION_EVERY_DAY }, imp_evening, 0.05 };
	c.import_price = 0.30;
	c.export_price = 0.05;
	if (tou) { /* charge from the grid at night, discharge in the evening */
		c.n_tou = 2;
		c.tou[0] = (station_tou_period){ .w = { 0, 6 * 60, STATION_EVERY_DAY },
						 .charge = true,
						 .max_charge_w = STATION_UNLIMITED,
						 .grid_charge_cutoff_soc_pct = 90,
						 .max_import_w = STATION_UNLIMITED,
						 .max_grid_charge_w = STATION_UNLIMITED };
		c.tou[1] = (station_tou_period){ .w = { 17 * 60, 22 * 60, STATION_EVERY_DAY },
						 .charge = false,
						 .max_discharge_w = STATION_UNLIMITED,
						 .max_export_w = STATION_UNLIMITED };
	}
	station_state_init(st, &c);
	station_input in;
	memset(&in, 0, sizeof(in));
	in.on_grid = true;
	in.load_w = 600;
	in.soc_pct = 20;
	station_output o;
	station_mode rule = STATION_MODE_SELF_CONSUMPTION;
	*changed_ms = -1;
	for (int64_t t = MON0; t < MON0 + (int64_t)(days * 86400000.0); t += 300000) {
		station_step(&c, st, &in, t, &o);
		if (st->plan.rule != rule && *changed_ms < 0)
			*changed_ms = t - MON0;
		rule = st->plan.rule;
	}
	return rule;
}

static void t_fallback_rule(void)
{
	int64_t at;
	/* cheap nights and dear evenings: TOU's grid charging pays, and once
	 * two days of shadows say so it is the rule the plan must beat */
	CHECK(fallback_after(1.9, 0.10, 0.50, true, &at) == STATION_MODE_SELF_CONSUMPTION,
	      "before two days of shadows: self-consumption");
	CHECK(fallback_after(3, 0.10, 0.50, true, &at) == STATION_MODE_TOU && at >= 2 * 86400000LL,
	      "after two days: TOU did better, it is the rule (from %.1f h)", (double)at / 3.6e6);
	CHECK(st->shadow.cost[1] < st->shadow.cost[0], "the shadows: TOU %.3f < self-consumption %.3f",
	      st->shadow.cost[1], st->shadow.cost[0]);
	/* flat prices: buying at night to use in the evening only loses the
	 * round trip; the rule stays self-consumption */
	station_mode fr = fallback_after(3, 0.30, 0.30, true, &at);
	CHECK(fr == STATION_MODE_SELF_CONSUMPTION && at < 0, "flat prices: self-consumption");
	/* no TOU periods: nothing to fall back to but self-consumption */
	CHECK(fallback_after(3, 0.10, 0.50, false, &at) == STATION_MODE_SELF_CONSUMPTION && at < 0,
	      "no TOU periods: self-consumption");
}

int main(void)
{
	st = calloc(1, sizeof(*st));
	if (!st)
		return 1;
	t_dp_brute_force();
	t_dp_fast_battery();
	t_forecast_learns();
	t_prices();
	t_optimise_mode();
	t_fallback_rule();
	free(st);
	T_DONE();
}
