/* test_station_days.c: invariants at every simulated step of every reference
 * day in every storage mode, with the reference settings and with a
 * stressed variant (peak cap, Fast charging against a small breaker, a
 * generator): energy balance, SOC within 0..100, the reserve while on grid,
 * battery and inverter limits, no grid off-grid, legal EV currents, the
 * breaker, the peak cap where it can be held. */
#include "sim.h"
#include "station_json.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

typedef struct ctx {
	const station_config *cfg;
	const char *what;
	int bad; /* failures reported for this run (capped) */
	int steps;
} ctx;

#define STEP_CHECK(c, cond, ...)                  \
	do {                                      \
		if (!(cond) && (c)->bad++ < 5) {  \
			CHECK(cond, __VA_ARGS__); \
		} else if (cond) {                \
			t_checks++;               \
		} else {                          \
			t_fail++;                 \
		}                                 \
	} while (0)

static void on_step(void *user, const sim_step_rec *r)
{
	ctx *c = user;
	const station_config *cfg = c->cfg;
	const station_battery_cfg *b = &cfg->battery;
	c->steps++;
	double bal = r->pv + r->pv3 + r->grid + r->gen + r->unserved - (r->load + r->loads + r->ev + r->bat);
	STEP_CHECK(c, fabs(bal) < 1e-6, "%s row %d: energy balance off by %g W", c->what, r->row, bal);
	STEP_CHECK(c, r->soc >= -1e-9 && r->soc <= 100 + 1e-9, "%s row %d: SOC %g", c->what, r->row, r->soc);
	double floor_pct = fmax(b->backup_reserve_pct, b->soc_min_pct);
	if (r->on_grid && r->soc_before >= floor_pct - 1e-9)
		STEP_CHECK(c, r->soc >= floor_pct - 1e-6, "%s row %d: reserve broken on grid: %g -> %g",
			   c->what, r->row, r->soc_before, r->soc);
	if (r->on_grid && r->soc_before < floor_pct)
		STEP_CHECK(c, r->bat >= -1e-9, "%s row %d: discharge below the reserve", c->what, r->row);
	STEP_CHECK(c, r->bat <= b->max_charge_w + 1e-6 && -r->bat <= b->max_discharge_w + 1e-6,
		   "%s row %d: battery %g", c->what, r->row, r->bat);
	STEP_CHECK(c,
		   r->pv - r->bat <= cfg->inverter_max_w + 1e-6 &&
			   r->bat - r->pv <= cfg->inverter_max_w + 1e-6,
		   "%s row %d: inverter %g", c->what, r->row, r->pv - r->bat);
	STEP_CHECK(c, r->pv <= r->pv_avail + 1e-9 && r->curtailed >= -1e-9, "%s row %d: PV %g of %g", c->what,
		   r->row, r->pv, r->pv_avail);
	if (!r->on_grid)
		STEP_CHECK(c, r->grid == 0, "%s row %d: grid %g off grid", c->what, r->row, r->grid);
	for (int k = 0; k < cfg->n_chargers; k++) {
		double a = r->out->ev[k].target_a;
		STEP_CHECK(c,
			   a == 0 ||
				   (a >= STATION_MIN_CURRENT_A && a <= cfg->chargers[k].max_current_a + 1e-9),
			   "%s row %d: EV target %g A", c->what, r->row, a);
	}
	if (cfg->breaker_a > 0)
		STEP_CHECK(c, r->breaker_phase_a <= cfg->breaker_a + 1e-6,
			   "%s row %d: %g A over the %g A breaker", c->what, r->row, r->breaker_phase_a,
			   cfg->breaker_a);
	if (cfg->max_peak_power_w > 0 && r->on_grid && r->grid > cfg->max_peak_power_w + 1) {
		/* over the cap only when nothing is left to give: battery at its
		 * limit (or reserve), EVs at 0 */
		bool bat_maxed = r->bat <= -b->max_discharge_w + 1 || r->soc_before <= floor_pct + 0.5;
		STEP_CHECK(c, bat_maxed && r->ev == 0, "%s row %d: import %g over the cap (bat %g ev %g)",
			   c->what, r->row, r->grid, r->bat, r->ev);
	}
	if (cfg->mode == STATION_MODE_TOU && r->out->tou_period >= 0) {
		const station_tou_period *p = &cfg->tou[r->out->tou_period];
		if (!p->charge && p->max_export_w >= 0)
			STEP_CHECK(c, r->grid >= -p->max_export_w - 1,
				   "%s row %d: export %g over the TOU cap", c->what, r->row, -r->grid);
	}
}

static int load_settings(const char *path, station_config *cfg)
{
	static char text[1 << 16];
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = 0;
	char err[256];
	station_config_defaults(cfg);
	if (station_json_parse(text, cfg, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", path, err);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	static const char *const days[] = { "summer_sunny", "spring_cloudy", "winter", "dynamic_price" };
	char path[1024], err[512], what[128];
	station_config *base = malloc(sizeof(*base)), *cfg = malloc(sizeof(*cfg));
	if (!base || !cfg)
		return 1;
	snprintf(path, sizeof(path), "%s/settings.json", dir);
	CHECK(load_settings(path, base) == 0, "reference settings load");
	for (size_t di = 0; di < sizeof(days) / sizeof(days[0]); di++) {
		sim_day d;
		snprintf(path, sizeof(path), "%s/%s.csv", dir, days[di]);
		if (sim_day_load(path, &d, err, sizeof(err)) < 0) {
			CHECK(0, "%s", err);
			continue;
		}
		CHECK(d.n == 4 * 288 && d.step_s == 300, "%s: 4 days at 5 min (%d rows)", days[di], d.n);
		for (int variant = 0; variant < 2; variant++)
			for (int m = 0; m < STATION_MODE_COUNT; m++) {
				*cfg = *base;
				cfg->mode = (station_mode)m;
				if (variant == 1) {
					cfg->max_peak_power_w = 4000;
					cfg->breaker_a = 16;
					cfg->chargers[0].mode = STATION_EV_FAST;
					cfg->chargers[0].battery_to_ev = true;
					cfg->generator.enabled = true;
					cfg->heat_pump.enabled = true;
					cfg->peak_shaving_soc_pct = 60;
				}
				snprintf(what, sizeof(what), "%s/%s%s", days[di],
					 station_mode_name(cfg->mode), variant ? "+stress" : "");
				ctx c = { cfg, what, 0, 0 };
				sim_result res;
				int rc = sim_run(cfg, &d, on_step, &c, &res, err, sizeof(err));
				CHECK(rc == 0 && c.steps == d.n, "%s: ran %d steps", what, c.steps);
				if (rc < 0)
					continue;
				const sim_kpi *k = &res.all;
				CHECK(k->self_consumption >= 0 && k->self_consumption <= 1 &&
					      k->self_sufficiency >= 0 && k->self_sufficiency <= 1 &&
					      k->ev_pv_share >= 0 && k->ev_pv_share <= 1,
				      "%s: ratios in 0..1", what);
				CHECK(k->seconds_over_breaker == 0, "%s: %g s over the breaker", what,
				      k->seconds_over_breaker);
				/* the optimum is a lower bound of every mode's cost */
				double opt;
				const char *method;
				CHECK(sim_optimum(cfg, &d, &res, res.last_day_row, d.n,
						  res.soc_last_day_start_pct, res.soc_end_pct, &opt, &method,
						  NULL) == 0,
				      "%s: optimum", what);
				CHECK(opt <= res.last_day.cost_total + 1e-6,
				      "%s: optimum %.4f above the run's %.4f", what, opt,
				      res.last_day.cost_total);
				sim_result_free(&res);
			}
		sim_day_free(&d);
	}
	free(base);
	free(cfg);
	T_DONE();
}
