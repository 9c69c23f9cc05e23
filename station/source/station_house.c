/*
 * The simulated house behind station_source "sim" and the DLM grid sensor
 * "sim" (one house for both): PV from the clear-sky model with
 * deterministic clouds, a household load with morning, noon and evening
 * peaks plus appliances on their phases, a battery that follows the
 * setpoint within its limits, and the grid current per phase with the
 * chargers' measured draws. Everything is a function of (seed, time): no
 * clock, no randomness state, so an accelerated run is reproducible.
 */
#include "station_source.h"

#include <math.h>
#include <string.h>

static uint32_t mix(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

/* A uniform number in [0, 1) for (seed, k, salt). */
static double u01(uint32_t seed, int64_t k, uint32_t salt)
{
	uint32_t h = mix(seed ^ mix((uint32_t)k ^ mix((uint32_t)((uint64_t)k >> 32) + salt * 0x9e3779b9U)));
	return h / 4294967296.0;
}

static int64_t floordiv(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static double clampd(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

void station_house_set_battery(station_house *h, const station_battery_cfg *b)
{
	h->bat = *b;
	h->soc_pct = clampd(h->soc_pct, b->soc_min_pct, b->soc_max_pct);
}

void station_house_init(station_house *h, const station_config *cfg, double pv_peak_w, uint32_t seed,
			int64_t t_ms)
{
	memset(h, 0, sizeof *h);
	h->seed = seed;
	h->pv_peak_w = pv_peak_w;
	h->lat_deg = cfg->latitude_deg;
	h->lon_deg = cfg->longitude_deg;
	h->utc_offset_min = cfg->utc_offset_min;
	h->annual_kwh = 4500;
	h->soc_pct = cfg->battery.soc_start_pct;
	station_house_set_battery(h, &cfg->battery);
	h->t_ms = t_ms;
}

/* Cloud factor: a daily clearness and 10-minute variations around it,
 * interpolated so that PV does not jump. */
static double cloud(const station_house *h, int64_t t_s)
{
	int64_t day = floordiv(t_s, 86400);
	double clear = 0.35 + 0.65 * u01(h->seed, day, 1);
	int64_t k = floordiv(t_s, 600);
	double f = (double)(t_s - k * 600) / 600.0;
	double a = u01(h->seed, k, 2) - 0.5, b = u01(h->seed, k + 1, 2) - 0.5;
	return clampd(clear + (a + (b - a) * f) * 1.6 * (1 - clear), 0.05, 1);
}

static double bump(double h, double mu, double sigma)
{
	double d = h - mu;
	if (d > 12)
		d -= 24;
	else if (d < -12)
		d += 24;
	return exp(-0.5 * d * d / (sigma * sigma));
}

/* The base load's share per phase: lighting, fridge and sockets are seldom
 * wired evenly; L1 usually carries the most. */
static const double base_share[3] = { 0.37, 0.30, 0.33 };

/* Where an appliance of the 15-minute slot is wired, drawn by the slot's
 * hash: kettle or washing machine on one phase, or an oven or heat pump
 * on all three. Phase masks, bit k = L(k+1). */
static const uint8_t appliance_phases[] = { 1u << 0, 1u << 1, 1u << 2, 1u << 0, 7u };
#define N_PLACES (sizeof appliance_phases / sizeof appliance_phases[0])

/* The household load at t_s in W, as its base part and the slot's
 * appliance (0 when none), and the appliance's phases. */
static void house_load(const station_house *h, int64_t t_s, double *base_w, double *appl_w, uint8_t *mask)
{
	int64_t local = t_s + (int64_t)h->utc_offset_min * 60;
	double hour = (double)(local - floordiv(local, 86400) * 86400) / 3600.0;
	/* shape mean ~410 W and appliances ~200 W make ~5330 kWh a year */
	double shape =
		180 + 500 * bump(hour, 7.5, 1.0) + 300 * bump(hour, 12.5, 1.2) + 900 * bump(hour, 19.0, 1.5);
	int64_t slot = floordiv(local, 900);
	double appl = 0;
	if (u01(h->seed, slot, 3) < 0.12 && hour > 6 && hour < 23)
		appl = 800 + 1700 * u01(h->seed, slot, 4);
	double noise = 1 + 0.1 * (u01(h->seed, floordiv(local, 60), 5) - 0.5);
	*base_w = shape * noise * h->annual_kwh / 5330.0;
	*appl_w = appl * h->annual_kwh / 5330.0;
	*mask = appliance_phases[(size_t)(u01(h->seed, slot, 6) * N_PLACES) % N_PLACES];
}

void station_house_sample(const station_house *h, int64_t t_ms, double *pv_w, double *load_w)
{
	int64_t t_s = floordiv(t_ms, 1000);
	double ghi = station_clearsky_ghi(h->lat_deg, h->lon_deg, t_s);
	double pv = h->pv_peak_w * ghi / 1000.0 * cloud(h, t_s);
	*pv_w = clampd(pv, 0, h->pv_peak_w);
	double base, appl;
	uint8_t mask;
	house_load(h, t_s, &base, &appl, &mask);
	*load_w = base + appl;
}

void station_house_load_phases(const station_house *h, int64_t t_ms, double load_w[3])
{
	double base, appl;
	uint8_t mask;
	house_load(h, floordiv(t_ms, 1000), &base, &appl, &mask);
	int on = (mask & 1) + (mask >> 1 & 1) + (mask >> 2 & 1);
	for (int k = 0; k < 3; k++)
		load_w[k] = base * base_share[k] + ((mask >> k & 1) ? appl / on : 0);
}

void station_house_advance(station_house *h, int64_t t_ms, double bat_w)
{
	if (h->t_ms < 0 || t_ms <= h->t_ms) {
		if (h->t_ms < 0)
			h->t_ms = t_ms;
		return;
	}
	double dt_h = (double)(t_ms - h->t_ms) / 3.6e6;
	h->t_ms = t_ms;
	const station_battery_cfg *b = &h->bat;
	double eta = b->round_trip_eff > 0 ? sqrt(b->round_trip_eff) : 1;
	double p = isfinite(bat_w) ? clampd(bat_w, -b->max_discharge_w, b->max_charge_w) : 0;
	if (b->capacity_wh <= 0 || dt_h <= 0) {
		h->bat_w = 0;
		return;
	}
	double e = h->soc_pct / 100.0 * b->capacity_wh;
	if (p > 0) {
		double room = fmax(0, b->soc_max_pct / 100.0 * b->capacity_wh - e);
		double stored = fmin(p * eta * dt_h, room);
		e += stored;
		p = stored / eta / dt_h;
	} else if (p < 0) {
		double avail = fmax(0, e - b->soc_min_pct / 100.0 * b->capacity_wh);
		double taken = fmin(-p / eta * dt_h, avail);
		e -= taken;
		p = -taken * eta / dt_h;
	}
	h->soc_pct = clampd(e / b->capacity_wh * 100.0, 0, 100);
	h->bat_w = p;
}

void station_house_measure(const station_house *h, double pv_limit_w, double extra_w, station_src_reading *r)
{
	station_house_measure_phases(h, pv_limit_w, NULL, extra_w, STATION_HOUSE_V, r, NULL);
}

void station_house_measure_phases(const station_house *h, double pv_limit_w, const double ev_a[3],
				  double extra_w, double volt_v, station_src_reading *r, double grid_a[3])
{
	double pv, load, load_ph[3];
	station_house_sample(h, h->t_ms, &pv, &load);
	station_house_load_phases(h, h->t_ms, load_ph);
	double used = pv_limit_w >= 0 && pv_limit_w < pv ? pv_limit_w : pv;
	double v = isfinite(volt_v) && volt_v > 0 ? volt_v : STATION_HOUSE_V;
	double extra = isfinite(extra_w) && extra_w > 0 ? extra_w : 0, ev_w = 0;
	station_source_reading_clear(r);
	/* PV, battery and the controlled loads through three-phase
	 * connections: a third on each phase; the household load by where its
	 * appliances are wired; the chargers where they draw. */
	for (int k = 0; k < 3; k++) {
		double ev = ev_a && isfinite(ev_a[k]) && ev_a[k] > 0 ? ev_a[k] * v : 0;
		ev_w += ev;
		if (grid_a)
			grid_a[k] = h->off_grid ? 0 : (load_ph[k] + ev + (extra + h->bat_w - used) / 3) / v;
	}
	r->pv_w = pv;
	r->load_w = load;
	r->soc_pct = h->soc_pct;
	r->bat_w = h->bat_w;
	r->grid_w = h->off_grid ? 0 : load + extra + ev_w + h->bat_w - used;
	r->on_grid = !h->off_grid;
	r->ts_ms = h->t_ms;
}
