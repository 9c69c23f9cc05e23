/* station_config.c: defaults, range checks and name tables of the station
 * settings, and the local-time window and clear-sky helpers every other part
 * of the station uses. Pure: no clock, no I/O.
 */
#include "station.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

static const char *const mode_names[STATION_MODE_COUNT] = {
	"selfConsumption", "tou", "feedIn", "remoteEms", "loadShedding", "optimise",
};
const station_ev_mode_def station_ev_modes[STATION_EV_MODE_COUNT] = {
	{ STATION_EV_FAST, "fast", "fast" },
	{ STATION_EV_SOLAR_BOOST, "solarBoost", "solarBoost" },
	{ STATION_EV_PV100, "pv100", "pv" },
};

const char *station_mode_name(station_mode m)
{
	return (unsigned)m < STATION_MODE_COUNT ? mode_names[m] : "?";
}

int station_mode_parse(const char *s, station_mode *m)
{
	for (int i = 0; i < STATION_MODE_COUNT; i++)
		if (s && strcmp(s, mode_names[i]) == 0) {
			*m = (station_mode)i;
			return 0;
		}
	return STATION_EINVAL;
}

static const station_ev_mode_def *ev_mode_def(station_ev_mode m)
{
	for (int i = 0; i < STATION_EV_MODE_COUNT; i++)
		if (station_ev_modes[i].mode == m)
			return &station_ev_modes[i];
	return NULL;
}

const char *station_ev_mode_name(station_ev_mode m)
{
	const station_ev_mode_def *d = ev_mode_def(m);
	return d ? d->name : "?";
}

const char *station_ev_mode_charger(station_ev_mode m)
{
	const station_ev_mode_def *d = ev_mode_def(m);
	return d ? d->charger : "?";
}

int station_ev_mode_parse(const char *s, station_ev_mode *m)
{
	for (int i = 0; s && i < STATION_EV_MODE_COUNT; i++)
		if (strcmp(s, station_ev_modes[i].name) == 0 || strcmp(s, station_ev_modes[i].charger) == 0) {
			*m = station_ev_modes[i].mode;
			return 0;
		}
	return STATION_EINVAL;
}

void station_config_defaults(station_config *c)
{
	memset(c, 0, sizeof(*c));
	c->mode = STATION_MODE_SELF_CONSUMPTION;
	c->latitude_deg = 50.0;
	c->longitude_deg = 8.0;
	c->battery = (station_battery_cfg){ .capacity_wh = 10000,
					    .max_charge_w = 5000,
					    .max_discharge_w = 5000,
					    .round_trip_eff = 0.9,
					    .soc_start_pct = 50,
					    .backup_reserve_pct = 10,
					    .soc_min_pct = 0,
					    .soc_max_pct = 100 };
	c->inverter_max_w = 10000;
	c->voltage_v = 230;
	c->grid_phases = 3;
	c->breaker_a = 32;
	c->remote_ems_timeout_s = 600;
	c->shed_target_soc_pct = 100;
	c->shed_margin_min = 30;
	c->import_price = 0.30;
	c->export_price = 0.08;
	c->plan_horizon_h = 36;
	c->replan_min = 15;
	c->plan_levels = 101;
	c->learn_rate = 0.5;
	c->weather_factor = -1;
	c->ev_priority_soc_pct = 50;
	c->heat_pump.power_w = 2000;
	c->heat_pump.min_start_power_w = 1500;
	c->heat_pump.pv_residual_control = true;
	c->heat_pump.auto_mode = true;
	c->heat_pump.min_run_s = 1800;
	c->heat_pump.window = (station_window){ 0, 0, STATION_EVERY_DAY };
	c->generator.rated_power_w = 5000;
	c->generator.best_power_duty = true;
	c->generator.charge_cutoff_soc_pct = 80;
}

static void charger_defaults(station_charger_cfg *ch)
{
	memset(ch, 0, sizeof(*ch));
	ch->mode = STATION_EV_PV100;
	ch->phases = 3;
	ch->auto_phase_switch = true;
	ch->max_current_a = 16;
	ch->enable_delay_s = 60;
	ch->disable_delay_s = 300;
	ch->phase_switch_delay_s = 300;
}

/* Exposed through station_json for new array members; kept here so the
 * defaults live in one file. */
void station_charger_defaults(station_charger_cfg *ch);
void station_charger_defaults(station_charger_cfg *ch)
{
	charger_defaults(ch);
}

static int bad(char *err, int errlen, const char *name)
{
	if (err && errlen > 0)
		snprintf(err, (size_t)errlen, "%s", name);
	return STATION_EINVAL;
}

static bool in_range(double v, double lo, double hi)
{
	return isfinite(v) && v >= lo && v <= hi;
}

/* A limit is either STATION_UNLIMITED or a finite value >= 0. */
static bool limit_ok(double v)
{
	return v == STATION_UNLIMITED || in_range(v, 0, 1e7);
}

static bool window_ok(const station_window *w)
{
	return w->start_min >= 0 && w->start_min < 1440 && w->end_min >= 0 && w->end_min < 1440 &&
		(w->weekdays & ~STATION_EVERY_DAY) == 0;
}

/* ---- the rules that are more than a range, each naming what it refuses ---- */

static const char *mode_ok(const station_config *c)
{
	return (unsigned)c->mode < STATION_MODE_COUNT ? NULL : "mode";
}

static const char *soc_max_ok(const station_config *c)
{
	return in_range(c->battery.soc_max_pct, c->battery.soc_min_pct, 100) ? NULL : "battery.socMaxPct";
}

static const char *grid_phases_ok(const station_config *c)
{
	return c->grid_phases == 1 || c->grid_phases == 3 ? NULL : "gridPhases";
}

static bool windows_ok(const station_window *w, int n)
{
	if (n < 0 || n > STATION_MAX_PERIODS)
		return false;
	for (int i = 0; i < n; i++)
		if (!window_ok(&w[i]))
			return false;
	return true;
}

static const char *off_peak_ok(const station_config *c)
{
	return windows_ok(c->off_peak, c->n_off_peak) ? NULL : "offPeakPeriods";
}

static const char *tou_ok(const station_config *c)
{
	if (c->n_tou < 0 || c->n_tou > STATION_MAX_PERIODS)
		return "tou.periods";
	for (int i = 0; i < c->n_tou; i++) {
		const station_tou_period *p = &c->tou[i];
		if (!window_ok(&p->w) || !limit_ok(p->max_charge_w) || !limit_ok(p->max_import_w) ||
		    !limit_ok(p->max_grid_charge_w) || !limit_ok(p->max_discharge_w) ||
		    !limit_ok(p->max_export_w) || !limit_ok(p->max_bat_to_grid_w) ||
		    !in_range(p->grid_charge_cutoff_soc_pct, 0, 100))
			return "tou.periods";
	}
	return NULL;
}

static const char *shed_ok(const station_config *c)
{
	return windows_ok(c->shed, c->n_shed) ? NULL : "loadShedding.windows";
}

static const char *outages_ok(const station_config *c)
{
	if (c->n_outages < 0 || c->n_outages > STATION_MAX_OUTAGES)
		return "loadShedding.outages: at most 64";
	for (int i = 0; i < c->n_outages; i++) {
		const station_outage *o = &c->outages[i];
		if (o->end_ms <= o->start_ms || o->end_ms - o->start_ms > STATION_OUTAGE_MAX_MS)
			return "loadShedding.outages: each end after its start, at most 24 h later";
	}
	return NULL;
}

static const char *tariff_ok(const station_config *c)
{
	if (c->n_tariff < 0 || c->n_tariff > STATION_MAX_PERIODS)
		return "tariff.periods";
	for (int i = 0; i < c->n_tariff; i++)
		if (!window_ok(&c->tariff[i].w) || !in_range(c->tariff[i].import_price, -10, 100) ||
		    !in_range(c->tariff[i].export_price, -10, 100))
			return "tariff.periods";
	return NULL;
}

static const char *weather_ok(const station_config *c)
{
	double w = c->weather_factor;
	return (w < 0 || in_range(w, 0, 1.5)) && isfinite(w) ? NULL : "optimise.weatherFactor";
}

static const char *chargers_ok(const station_config *c)
{
	if (c->n_chargers < 0 || c->n_chargers > STATION_MAX_CHARGERS)
		return "chargers";
	for (int i = 0; i < c->n_chargers; i++) {
		const station_charger_cfg *ch = &c->chargers[i];
		if ((unsigned)ch->mode >= STATION_EV_MODE_COUNT)
			return "chargers.mode";
		if (ch->phases != 1 && ch->phases != 3)
			return "chargers.phases";
		if (!in_range(ch->max_current_a, STATION_MIN_CURRENT_A, 80))
			return "chargers.maxCurrentA";
		if (ch->enable_delay_s < 0 || ch->enable_delay_s > 86400)
			return "chargers.enableDelayS";
		if (ch->disable_delay_s < 0 || ch->disable_delay_s > 86400)
			return "chargers.disableDelayS";
		if (ch->phase_switch_delay_s < 0 || ch->phase_switch_delay_s > 86400)
			return "chargers.phaseSwitchDelayS";
	}
	return NULL;
}

static const char *smart_loads_ok(const station_config *c)
{
	if (c->n_smart_loads < 0 || c->n_smart_loads > STATION_MAX_SMART_LOADS)
		return "smartLoads";
	for (int i = 0; i < c->n_smart_loads; i++) {
		const station_smart_load_cfg *l = &c->smart_loads[i];
		if (!in_range(l->power_w, 0, 1e6) || !in_range(l->soc_threshold_pct, 0, 100) ||
		    !window_ok(&l->window) || (unsigned)l->mode > STATION_LOAD_AUTO_SOC)
			return "smartLoads";
	}
	return NULL;
}

static const char *heat_pump_ok(const station_config *c)
{
	const station_heat_pump_cfg *h = &c->heat_pump;
	if (!in_range(h->power_w, 0, 1e6) || !in_range(h->min_start_power_w, 0, 1e6))
		return "heatPump.powerW";
	if (h->min_run_s < 0 || h->min_run_s > 86400 || h->max_daily_run_s < 0 || h->max_daily_run_s > 86400)
		return "heatPump.minRunS";
	if (!window_ok(&h->window) || !in_range(h->soc_threshold_pct, 0, 100))
		return "heatPump.window";
	return NULL;
}

static const char *generator_windows_ok(const station_config *c)
{
	const station_generator_cfg *g = &c->generator;
	if (g->n_windows < 0 || g->n_windows > STATION_MAX_PERIODS)
		return "generator.windows";
	for (int i = 0; i < g->n_windows; i++)
		if (!window_ok(&g->windows[i].w) || !in_range(g->windows[i].start_soc_pct, 0, 100) ||
		    !in_range(g->windows[i].stop_soc_pct, 0, 100))
			return "generator.windows";
	return NULL;
}

/* What station_config_validate checks, in the order it reports: a number
 * within its bounds (the first failing one is named), or a rule. */
enum vkind { V_DBL, V_INT, V_RULE };
static const struct vcheck {
	const char *name;
	enum vkind kind;
	size_t off;
	double lo, hi;
	const char *(*rule)(const station_config *c);
} checks[] = {
#define DBL(n, f, lo, hi)                                           \
	{                                                           \
		n, V_DBL, offsetof(station_config, f), lo, hi, NULL \
	}
#define INT(n, f, lo, hi)                                           \
	{                                                           \
		n, V_INT, offsetof(station_config, f), lo, hi, NULL \
	}
#define RULE(fn)                          \
	{                                 \
		NULL, V_RULE, 0, 0, 0, fn \
	}
	RULE(mode_ok),
	INT("utcOffsetMin", utc_offset_min, -900, 900),
	DBL("latitudeDeg", latitude_deg, -90, 90),
	DBL("longitudeDeg", longitude_deg, -180, 180),
	DBL("battery.capacityWh", battery.capacity_wh, 0, 1e7),
	DBL("battery.maxChargeW", battery.max_charge_w, 0, 1e7),
	DBL("battery.maxDischargeW", battery.max_discharge_w, 0, 1e7),
	DBL("battery.roundTripEfficiency", battery.round_trip_eff, 0.01, 1),
	DBL("battery.socMinPct", battery.soc_min_pct, 0, 100),
	RULE(soc_max_ok),
	DBL("battery.socStartPct", battery.soc_start_pct, 0, 100),
	DBL("battery.backupReservePct", battery.backup_reserve_pct, 0, 100),
	DBL("inverterMaxW", inverter_max_w, 0, 1e7),
	DBL("voltageV", voltage_v, 50, 500),
	RULE(grid_phases_ok),
	DBL("breakerA", breaker_a, 0, 10000),
	DBL("maxPeakPowerW", max_peak_power_w, 0, 1e7),
	DBL("peakShavingSocPct", peak_shaving_soc_pct, 0, 100),
	RULE(off_peak_ok),
	RULE(tou_ok),
	INT("remoteEms.timeoutS", remote_ems_timeout_s, 1, 86400),
	RULE(shed_ok),
	RULE(outages_ok),
	DBL("loadShedding.targetSocPct", shed_target_soc_pct, 0, 100),
	INT("loadShedding.marginMin", shed_margin_min, 0, 1440),
	DBL("tariff.importPrice", import_price, -10, 100),
	DBL("tariff.exportPrice", export_price, -10, 100),
	DBL("tariff.peakChargePerKw", peak_charge_per_kw, 0, 1e4),
	RULE(tariff_ok),
	INT("optimise.horizonH", plan_horizon_h, 24, 48),
	INT("optimise.replanMin", replan_min, 1, 60),
	INT("optimise.socLevels", plan_levels, 21, STATION_PLAN_MAX_LEVELS),
	DBL("optimise.learnRate", learn_rate, 0.01, 1),
	RULE(weather_ok),
	DBL("evPrioritySocPct", ev_priority_soc_pct, 0, 100),
	RULE(chargers_ok),
	RULE(smart_loads_ok),
	RULE(heat_pump_ok),
	DBL("generator.ratedPowerW", generator.rated_power_w, 0, 1e7),
	DBL("generator.chargeCutoffSocPct", generator.charge_cutoff_soc_pct, 0, 100),
	RULE(generator_windows_ok),
#undef DBL
#undef INT
#undef RULE
};

int station_config_validate(const station_config *c, char *err, int errlen)
{
	for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
		const struct vcheck *k = &checks[i];
		const char *field = (const char *)c + k->off;
		const char *why = NULL;
		switch (k->kind) {
		case V_DBL:
			if (!in_range(*(const double *)(const void *)field, k->lo, k->hi))
				why = k->name;
			break;
		case V_INT:
			if (!in_range(*(const int *)(const void *)field, k->lo, k->hi))
				why = k->name;
			break;
		case V_RULE: why = k->rule(c); break;
		}
		if (why)
			return bad(err, errlen, why);
	}
	return 0;
}

int station_config_check_change(const station_config *o, const station_config *n, bool confirmed)
{
	bool was = o->mode == STATION_MODE_REMOTE_EMS, is = n->mode == STATION_MODE_REMOTE_EMS;
	if (was != is && !confirmed)
		return STATION_ECONFIRM;
	return 0;
}

static int64_t floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Monday = 0; 1970-01-01 was a Thursday. */
static int weekday_of_day(int64_t day)
{
	return (int)(((day + 3) % 7 + 7) % 7);
}

bool station_window_active(const station_window *w, int64_t local_s)
{
	int64_t day = floordiv(local_s, 86400);
	int tod = (int)((local_s - day * 86400) / 60);
	uint8_t mask = w->weekdays ? w->weekdays : STATION_EVERY_DAY;
	bool today = (mask >> weekday_of_day(day)) & 1, yesterday = (mask >> weekday_of_day(day - 1)) & 1;
	if (w->start_min == w->end_min)
		return today;
	if (w->start_min < w->end_min)
		return today && tod >= w->start_min && tod < w->end_min;
	return (today && tod >= w->start_min) || (yesterday && tod < w->end_min);
}

/* Haurwitz clear-sky GHI with a NOAA-style solar position (declination and
 * equation of time from the fractional year); accurate to a few percent,
 * which is all a forecast normaliser needs. */
double station_clearsky_ghi(double lat_deg, double lon_deg, int64_t unix_s)
{
	const double pi = 3.14159265358979323846;
	int64_t day = floordiv(unix_s, 86400);
	double sec = (double)(unix_s - day * 86400);
	/* day of year from days since epoch (civil-from-days) */
	int64_t z = day + 719468, era = floordiv(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy_mar = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t doy =
		doy_mar >= 306 ? doy_mar - 306 : doy_mar + 59; /* days since Jan 1 (approx, ignores leap) */
	double g = 2 * pi / 365.0 * ((double)doy + (sec / 3600.0 - 12) / 24.0);
	double eqt = 229.18 *
		(0.000075 + 0.001868 * cos(g) - 0.032077 * sin(g) - 0.014615 * cos(2 * g) -
		 0.040849 * sin(2 * g));
	double decl = 0.006918 - 0.399912 * cos(g) + 0.070257 * sin(g) - 0.006758 * cos(2 * g) +
		0.000907 * sin(2 * g) - 0.002697 * cos(3 * g) + 0.00148 * sin(3 * g);
	double tst = sec / 60.0 + eqt + 4 * lon_deg; /* true solar time, minutes */
	double ha = (tst / 4 - 180) * pi / 180;
	double lat = lat_deg * pi / 180;
	double cosz = sin(lat) * sin(decl) + cos(lat) * cos(decl) * cos(ha);
	if (cosz <= 0.01)
		return 0;
	return 1098.0 * cosz * exp(-0.057 / cosz);
}
