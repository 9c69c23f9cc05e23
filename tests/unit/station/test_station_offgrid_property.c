/* test_station_offgrid_property.c: station_step() off grid over random
 * settings, random houses and runs of steps at a fixed interval, the battery
 * following the setpoints (issue 11, item 7). At every step:
 * - the served power (load + controlled loads + EVs - unserved) never
 *   exceeds what the sources can give: own PV and battery discharge through
 *   the inverter (discharge within its limit and the energy above soc_min),
 *   third-party PV while it runs, the generator;
 * - the energy balance holds with the unserved power in it, no grid;
 * - unserved >= 0, and 0 whenever PV, generator and battery can carry the
 *   home load alone (EVs and controlled loads are shed before the house);
 * - the battery never goes below soc_min and never beyond its discharge limit.
 * Usage: test_station_offgrid_property [cases] [seed]
 */
#include "prop_rng.h"
#include "station.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long failures, cur_case;
static int fails_by[8];

enum { P_SERVED, P_BALANCE, P_UNSERVED_SIGN, P_SUFFICE, P_SOC_MIN, P_DISCHARGE, P_NPROP };
static const char *const prop_names[P_NPROP] = {
	"served <= what the sources can give",
	"energy balance with unserved, no grid",
	"unserved >= 0",
	"unserved 0 when the sources carry the home load",
	"battery never below soc_min",
	"discharge within its limit",
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

static station_window any_window(void)
{
	station_window w = { pick(1440), pick(1440), STATION_EVERY_DAY };
	return w;
}

static void random_config(station_config *c)
{
	station_config_defaults(c);
	c->mode = (station_mode)pick(STATION_MODE_COUNT);
	c->battery.capacity_wh = chance(10) ? 0 : uni(1000, 30000);
	c->battery.max_charge_w = uni(0, 10000);
	c->battery.max_discharge_w = uni(0, 10000);
	c->battery.soc_min_pct = uni(0, 20);
	c->battery.soc_max_pct = uni(80, 100);
	c->battery.backup_reserve_pct = uni(0, 60);
	c->battery.round_trip_eff = uni(0.8, 1.0);
	c->inverter_max_w = chance(10) ? 0 : uni(1000, 15000);
	c->plan_horizon_h = 24;
	c->plan_levels = 21;
	c->ev_priority_soc_pct = uni(0, 100);
	c->n_chargers = pick(4);
	for (int i = 0; i < c->n_chargers; i++) {
		station_charger_cfg *cc = &c->chargers[i];
		snprintf(cc->id, sizeof cc->id, "CP%d", i);
		cc->mode = (station_ev_mode)pick(STATION_EV_MODE_COUNT);
		cc->phases = chance(50) ? 3 : 1;
		cc->max_current_a = uni(STATION_MIN_CURRENT_A, 32);
		cc->battery_to_ev = chance(50);
	}
	c->n_smart_loads = pick(4);
	for (int i = 0; i < c->n_smart_loads; i++) {
		station_smart_load_cfg *l = &c->smart_loads[i];
		memset(l, 0, sizeof *l);
		snprintf(l->name, sizeof l->name, "L%d", i);
		l->power_w = uni(0, 4000);
		l->mode = chance(50) ? STATION_LOAD_MANUAL : STATION_LOAD_AUTO_SOC;
		l->manual_on = chance(70);
		l->soc_threshold_pct = uni(0, 100);
		l->window = any_window();
	}
	station_heat_pump_cfg *h = &c->heat_pump;
	h->enabled = chance(50);
	h->auto_mode = chance(30);
	h->manual_on = chance(70);
	h->power_w = uni(0, 4000);
	station_generator_cfg *g = &c->generator;
	g->enabled = chance(40);
	g->auto_mode = false;
	g->manual_on = chance(70);
	g->rated_power_w = uni(0, 8000);
	g->best_power_duty = chance(50);
	g->charge_cutoff_soc_pct = uni(0, 100);
}

static void random_input(const station_config *c, station_input *in, double soc)
{
	memset(in, 0, sizeof *in);
	in->pv_w = chance(30) ? 0 : uni(0, 12000);
	in->pv3_w = chance(70) ? 0 : uni(0, 5000);
	in->load_w = chance(10) ? 0 : uni(0, 15000);
	in->soc_pct = soc;
	in->on_grid = false;
	for (int i = 0; i < c->n_chargers; i++) {
		in->ev[i].connected = chance(60);
		in->ev[i].demand_w = chance(30) ? 0 : uni(1000, 22000);
	}
}

static void check_step(const station_config *c, const station_input *in, const station_output *o, double dt_s,
		       double soc_before, double soc_after)
{
	const station_battery_cfg *b = &c->battery;
	double eta_d = sqrt(b->round_trip_eff);
	double pv_used = fmin(in->pv_w, o->pv_limit_w);
	double pv3 = o->pv3_on ? in->pv3_w : 0;
	double dmax = 0;
	if (b->capacity_wh > 0)
		dmax = fmin(b->max_discharge_w,
			    fmax(0, (soc_before - b->soc_min_pct) / 100.0 * b->capacity_wh) * eta_d /
				    (dt_s / 3600.0));
	double inverter_out = fmin(in->pv_w + dmax, c->inverter_max_w);
	double served = in->load_w + o->loads_w + o->ev_w - o->unserved_w;
	if (served > inverter_out + pv3 + o->gen_w + 1)
		FAIL(P_SERVED, "served %.1f > inverter %.1f + pv3 %.1f + gen %.1f", served, inverter_out, pv3,
		     o->gen_w);
	double bal =
		pv_used + pv3 + o->gen_w + o->unserved_w - (in->load_w + o->loads_w + o->ev_w + o->bat_w);
	if (fabs(bal) > 1 || o->grid_w != 0)
		FAIL(P_BALANCE, "off by %.3f W, grid %.1f", bal, o->grid_w);
	if (!(o->unserved_w >= 0))
		FAIL(P_UNSERVED_SIGN, "unserved %g", o->unserved_w);
	if (fmin(in->pv_w + dmax, c->inverter_max_w) + o->gen_w >= in->load_w + 1 && o->unserved_w > 1)
		FAIL(P_SUFFICE,
		     "unserved %.1f with pv %.1f dmax %.1f inv %.1f gen %.1f >= load %.1f (loads %.1f ev "
		     "%.1f)",
		     o->unserved_w, in->pv_w, dmax, c->inverter_max_w, o->gen_w, in->load_w, o->loads_w,
		     o->ev_w);
	if (soc_before >= b->soc_min_pct - 1e-9 && soc_after < b->soc_min_pct - 1e-6)
		FAIL(P_SOC_MIN, "SOC %.6f -> %.6f below %.3f (bat %.1f)", soc_before, soc_after,
		     b->soc_min_pct, o->bat_w);
	if (-o->bat_w > b->max_discharge_w + 1e-6)
		FAIL(P_DISCHARGE, "discharge %.1f > %.1f", -o->bat_w, b->max_discharge_w);
}

static void one_case(station_state *st)
{
	station_config c;
	random_config(&c);
	station_state_init(st, &c);
	const double dt_s = chance(50) ? 60 : uni(1, 900);
	const int64_t dt_ms = (int64_t)(dt_s * 1000);
	int64_t t = 1750000000000LL + (int64_t)pick(86400) * 1000;
	double soc = chance(20) ? c.battery.soc_min_pct + uni(0, 1) : uni(0, 100);
	station_input in;
	station_output o;
	/* a first step that only sets the interval the battery limits are tapered to */
	random_input(&c, &in, soc);
	station_step(&c, st, &in, t - dt_ms, &o);
	double eta = sqrt(c.battery.round_trip_eff);
	for (int k = 0; k < 20; k++, t += dt_ms) {
		random_input(&c, &in, soc);
		if (station_step(&c, st, &in, t, &o) != 0) {
			FAIL(P_BALANCE, "station_step refused");
			return;
		}
		double after = soc;
		if (c.battery.capacity_wh > 0)
			after += (o.bat_w > 0 ? o.bat_w * eta : o.bat_w / eta) * ((double)dt_ms / 3.6e6) /
				c.battery.capacity_wh * 100.0;
		check_step(&c, &in, &o, (double)dt_ms / 1000.0, soc, after);
		soc = fmin(100, fmax(0, after));
	}
}

int main(int argc, char **argv)
{
	long cases = argc > 1 ? atol(argv[1]) : 5000;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 0x0ff9a1dULL;
	rng_state = seed ? seed : 1;
	station_state *st = malloc(sizeof *st);
	if (!st)
		return 2;
	for (cur_case = 0; cur_case < cases; cur_case++)
		one_case(st);
	free(st);
	for (int p = 0; p < P_NPROP; p++)
		printf("%-50s %s (%d failures)\n", prop_names[p], fails_by[p] ? "FAIL" : "ok", fails_by[p]);
	printf("%ld cases, seed 0x%llx: %ld failures\n", cases, (unsigned long long)seed, failures);
	return failures ? 1 : 0;
}
