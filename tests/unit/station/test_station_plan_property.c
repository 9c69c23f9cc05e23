/* test_station_plan_property.c: properties of the optimiser's dynamic
 * program (station_plan_dp()) on random batteries, forecasts and prices:
 * the planned SOC stays within [floor, ceiling] and the power within the
 * battery's limits; with flat prices and no PV the battery is not cycled;
 * with a price spread wider than the round-trip losses energy is shifted
 * from the cheap slots to the dear ones; the same inputs give the same plan.
 * And the external forecast (station_forecast_set()) replaces the learned
 * one where it covers a slot. Usage: test_station_plan_property [CASES] */
#include "prop_rng.h"
#include "station.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

enum { N = STATION_PLAN_MAX_SLOTS };

typedef struct plan_case {
	station_config c;
	int n, levels;
	float load[N], pv[N], imp[N], exp[N];
	double soc0, floor_pct, ceil_pct;
} plan_case;

static void random_case(plan_case *k)
{
	station_config_defaults(&k->c);
	k->c.battery.capacity_wh = uni(2000, 20000);
	k->c.battery.max_charge_w = uni(500, 8000);
	k->c.battery.max_discharge_w = uni(500, 8000);
	k->c.battery.round_trip_eff = uni(0.7, 1.0);
	k->c.inverter_max_w = uni(3000, 12000);
	k->n = 24 + pick(N - 23);
	k->levels = 21 + pick(STATION_PLAN_MAX_LEVELS - 20);
	k->floor_pct = uni(0, 40);
	k->ceil_pct = uni(60, 100);
	k->soc0 = uni(k->floor_pct, k->ceil_pct);
	for (int t = 0; t < k->n; t++) {
		k->load[t] = (float)uni(100, 4000);
		k->pv[t] = chance(50) ? (float)uni(0, 6000) : 0;
		k->imp[t] = (float)uni(-0.05, 0.6);
		k->exp[t] = (float)(k->imp[t] - uni(0, 0.3));
	}
}

static double plan(plan_case *k, station_plan *p, float *soc, float *bat)
{
	return station_plan_dp(&k->c, p, k->n, STATION_SLOT_S, k->load, k->pv, k->imp, k->exp, k->soc0,
			       k->floor_pct, k->ceil_pct, k->levels, 0, soc, bat);
}

/* SOC within [floor, ceiling] after every slot; power within the limits
 * (a hair of float rounding allowed); the same inputs, the same plan. */
static void t_bounds_and_determinism(station_plan *p, int cases)
{
	static plan_case k;
	static float soc[N + 1], bat[N], soc2[N + 1], bat2[N];
	int bad_soc = 0, bad_pow = 0, bad_det = 0;
	for (int i = 0; i < cases; i++) {
		random_case(&k);
		double cost = plan(&k, p, soc, bat);
		double cost2 = plan(&k, p, soc2, bat2);
		if (cost != cost2 || memcmp(soc, soc2, sizeof(float) * (size_t)(k.n + 1)) != 0 ||
		    memcmp(bat, bat2, sizeof(float) * (size_t)k.n) != 0)
			bad_det++;
		for (int t = 0; t < k.n; t++) {
			if (soc[t + 1] < k.floor_pct - 1e-3 || soc[t + 1] > k.ceil_pct + 1e-3)
				bad_soc++;
			if (bat[t] > k.c.battery.max_charge_w * (1 + 1e-5) + 1e-3 ||
			    bat[t] < -k.c.battery.max_discharge_w * (1 + 1e-5) - 1e-3)
				bad_pow++;
		}
	}
	CHECK(bad_soc == 0, "%d planned SOCs outside [floor, ceiling]", bad_soc);
	CHECK(bad_pow == 0, "%d planned powers outside the battery's limits", bad_pow);
	CHECK(bad_det == 0, "%d plans differ for the same inputs", bad_det);
}

/* Flat prices, no PV: every kWh through the battery loses to the round
 * trip, so the plan leaves the battery alone (it may only cover the load
 * from what it holds, worth nothing at the horizon: terminal value 0 makes
 * discharging to the load free, so check throughput into the battery). */
static void t_flat_no_cycling(station_plan *p, int cases)
{
	static plan_case k;
	static float soc[N + 1], bat[N];
	int cycled = 0;
	for (int i = 0; i < cases; i++) {
		random_case(&k);
		double price = uni(0.05, 0.5);
		for (int t = 0; t < k.n; t++) {
			k.pv[t] = 0;
			k.imp[t] = (float)price;
			k.exp[t] = (float)(price * uni(0, 1));
		}
		plan(&k, p, soc, bat);
		double charged = 0;
		for (int t = 0; t < k.n; t++)
			charged += bat[t] > 0 ? bat[t] : 0;
		/* the first move absorbs the rounding to the level grid */
		double de = (k.ceil_pct - k.floor_pct) / 100.0 * k.c.battery.capacity_wh / (k.levels - 1);
		if (charged * 0.25 > de / 0.7 + 1)
			cycled++;
	}
	CHECK(cycled == 0, "%d plans charge the battery at flat prices without PV", cycled);
}

/* Cheap first half, dear second half, spread wider than the losses: the
 * plan charges in the cheap half and discharges in the dear half, and saves
 * against leaving the battery idle. */
static void t_spread_shifts(station_plan *p, int cases)
{
	static plan_case k;
	static float soc[N + 1], bat[N];
	int no_shift = 0;
	for (int i = 0; i < cases; i++) {
		random_case(&k);
		k.soc0 = k.floor_pct;
		/* levels finer than one slot's move (a coarser grid cannot move at all) */
		k.levels = STATION_PLAN_MAX_LEVELS;
		double eta = k.c.battery.round_trip_eff;
		double lo = uni(0.05, 0.2), hi = lo / eta * uni(1.3, 3);
		int half = k.n / 2;
		double idle = 0;
		for (int t = 0; t < k.n; t++) {
			k.pv[t] = 0;
			k.load[t] = (float)uni(1000, 3000);
			k.imp[t] = (float)(t < half ? lo : hi);
			k.exp[t] = 0;
			idle += k.load[t] * k.imp[t] * 0.25 / 1000.0;
		}
		double cost = plan(&k, p, soc, bat);
		double in_cheap = 0, out_dear = 0;
		for (int t = 0; t < k.n; t++) {
			if (t < half && bat[t] > 0)
				in_cheap += bat[t];
			if (t >= half && bat[t] < 0)
				out_dear -= bat[t];
		}
		if (!(in_cheap > 0 && out_dear > 0 && cost < idle - 1e-6))
			no_shift++;
	}
	CHECK(no_shift == 0, "%d plans do not shift energy across a spread wider than the losses", no_shift);
}

/* station_forecast_set(): the slots it covers come from it, the others are
 * learned; bad values are refused. */
static void t_external_forecast(void)
{
	station_config c;
	station_config_defaults(&c);
	station_state *st = calloc(1, sizeof(*st));
	if (!st)
		return;
	station_state_init(st, &c);
	int64_t t0 = 1718582400000LL; /* a slot boundary */
	double load[4] = { 500, 600, 700, 800 }, pv[4] = { 0, 100, 200, 300 };
	CHECK(station_forecast_set(st, t0, 900, 4, load, pv) == 0, "forecast taken");
	double l, v;
	station_forecast_slot(&c, st, t0 / 1000 / STATION_SLOT_S + 2, &l, &v);
	CHECK(NEAR(l, 700, 1e-3) && NEAR(v, 200, 1e-3), "slot 2 from the external forecast (%g, %g)", l, v);
	station_forecast_slot(&c, st, t0 / 1000 / STATION_SLOT_S + 5, &l, &v);
	CHECK(NEAR(l, 0, 1e-3) && NEAR(v, 0, 1e-3), "beyond it the learned forecast (nothing yet: %g, %g)", l,
	      v);
	double neg[1] = { -1 }, ok[1] = { 1 };
	CHECK(station_forecast_set(st, t0, 900, 1, neg, ok) == STATION_EINVAL, "negative load refused");
	CHECK(station_forecast_set(st, t0, 900, 1, ok, NULL) == STATION_EINVAL, "missing PV refused");
	CHECK(station_forecast_set(st, t0 + 1000, 900, 1, ok, ok) == STATION_EINVAL,
	      "start off a slot refused");
	CHECK(NEAR(l, 0, 1e-3), "a refused forecast changes nothing");
	/* PV only (a forecast service): PV from it, the load learned */
	double pv_only[2] = { 1500, 2500 };
	CHECK(station_forecast_set(st, t0 + 3600000, 3600, 2, NULL, pv_only) == 0, "PV-only forecast taken");
	station_forecast_slot(&c, st, t0 / 1000 / STATION_SLOT_S + 8, &l, &v);
	CHECK(NEAR(v, 2500, 1e-3) && l >= 0 && NEAR(l, 0, 1e-3),
	      "PV-only: PV 2500 from it, the load learned (%g, %g)", l, v);
	station_forecast_slot(&c, st, t0 / 1000 / STATION_SLOT_S + 2, &l, &v);
	CHECK(NEAR(l, 700, 1e-3) && NEAR(v, 200, 1e-3), "the earlier slots kept (%g, %g)", l, v);
	free(st);
}

int main(int argc, char **argv)
{
	int cases = argc > 1 ? atoi(argv[1]) : 200;
	rng_state = 0x9E3779B97F4A7C15ULL;
	station_plan *p = calloc(1, sizeof(*p));
	if (!p)
		return 1;
	t_bounds_and_determinism(p, cases);
	t_flat_no_cycling(p, cases);
	t_spread_shifts(p, cases);
	t_external_forecast();
	free(p);
	T_DONE();
}
