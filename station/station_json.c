/* station_json.c: station settings <-> JSON through one table per object
 * (name, kind, offset, nested table), so the parser, the unknown-key check
 * and the serialiser cannot disagree about a key's name or type.
 */
#include "station_json.h"
#include "station_internal.h"
#include "station_time.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
	F_NUM,      /* double */
	F_LIMIT,    /* double, null = STATION_UNLIMITED */
	F_OPTNUM,   /* double, null = -1 (not set) */
	F_INT,      /* int */
	F_BOOL,     /* bool */
	F_STR,      /* char[len] */
	F_TIME,     /* int minutes, "HH:MM" */
	F_UTC,      /* int64_t ms since the epoch, ISO 8601 date-time (an offset or Z) */
	F_DAYS,     /* uint8_t weekday mask, "mon-fri", "sat,sun" or ["mon", ...] */
	F_MODE,     /* station_mode */
	F_EVMODE,   /* station_ev_mode */
	F_LOADMODE, /* station_load_mode: "manual" | "autoSoc" */
	F_AUTO,     /* bool: "auto" | "manual" */
	F_KIND,     /* bool charge: "charge" | "discharge" */
	F_OBJ,      /* nested object at off */
	F_ARR,      /* array: count at off, elements at arr_off */
} fkind;

typedef struct table table;
typedef struct field {
	const char *name;
	fkind kind;
	size_t off;
	const table *sub; /* F_OBJ, F_ARR */
	size_t len;       /* F_STR: buffer size; F_ARR: max elements */
	size_t arr_off;   /* F_ARR */
} field;

struct table {
	const field *f;
	int n;
	size_t elem_size;             /* F_ARR elements */
	void (*defaults)(void *elem); /* F_ARR element defaults */
};

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void window_defaults(void *e)
{
	*(station_window *)e = (station_window){ 0, 0, STATION_EVERY_DAY };
}

static void tou_defaults(void *e)
{
	station_tou_period *p = e;
	*p = (station_tou_period){ .w = { 0, 0, STATION_EVERY_DAY },
				   .charge = true,
				   .max_charge_w = STATION_UNLIMITED,
				   .grid_charge_cutoff_soc_pct = 100,
				   .max_import_w = STATION_UNLIMITED,
				   .max_grid_charge_w = STATION_UNLIMITED,
				   .max_discharge_w = STATION_UNLIMITED,
				   .max_export_w = STATION_UNLIMITED,
				   .max_bat_to_grid_w = 0 };
}

static void tariff_defaults(void *e)
{
	station_tariff_period *p = e;
	*p = (station_tariff_period){ .w = { 0, 0, STATION_EVERY_DAY },
				      .import_price = 0.3,
				      .export_price = 0.08 };
}

static void charger_defaults(void *e)
{
	station_charger_defaults(e);
}

static void smart_defaults(void *e)
{
	station_smart_load_cfg *l = e;
	memset(l, 0, sizeof(*l));
	l->mode = STATION_LOAD_MANUAL;
	l->power_w = 1000;
	l->soc_threshold_pct = 80;
	l->window = (station_window){ 0, 0, STATION_EVERY_DAY };
}

static void gen_window_defaults(void *e)
{
	station_gen_window *w = e;
	*w = (station_gen_window){ .w = { 0, 0, STATION_EVERY_DAY },
				   .start_soc_pct = 20,
				   .stop_soc_pct = 80 };
}

static const field window_f[] = {
	{ "start", F_TIME, offsetof(station_window, start_min), NULL, 0, 0 },
	{ "end", F_TIME, offsetof(station_window, end_min), NULL, 0, 0 },
	{ "weekdays", F_DAYS, offsetof(station_window, weekdays), NULL, 0, 0 },
};
static const table window_t = { window_f, N(window_f), sizeof(station_window), window_defaults };

static const field battery_f[] = {
	{ "capacityWh", F_NUM, offsetof(station_battery_cfg, capacity_wh), NULL, 0, 0 },
	{ "maxChargeW", F_NUM, offsetof(station_battery_cfg, max_charge_w), NULL, 0, 0 },
	{ "maxDischargeW", F_NUM, offsetof(station_battery_cfg, max_discharge_w), NULL, 0, 0 },
	{ "roundTripEfficiency", F_NUM, offsetof(station_battery_cfg, round_trip_eff), NULL, 0, 0 },
	{ "socStartPct", F_NUM, offsetof(station_battery_cfg, soc_start_pct), NULL, 0, 0 },
	{ "backupReservePct", F_NUM, offsetof(station_battery_cfg, backup_reserve_pct), NULL, 0, 0 },
	{ "socMinPct", F_NUM, offsetof(station_battery_cfg, soc_min_pct), NULL, 0, 0 },
	{ "socMaxPct", F_NUM, offsetof(station_battery_cfg, soc_max_pct), NULL, 0, 0 },
};
static const table battery_t = { battery_f, N(battery_f), 0, NULL };

static const field tou_period_f[] = {
	{ "start", F_TIME, offsetof(station_tou_period, w.start_min), NULL, 0, 0 },
	{ "end", F_TIME, offsetof(station_tou_period, w.end_min), NULL, 0, 0 },
	{ "weekdays", F_DAYS, offsetof(station_tou_period, w.weekdays), NULL, 0, 0 },
	{ "type", F_KIND, offsetof(station_tou_period, charge), NULL, 0, 0 },
	{ "maxChargeW", F_LIMIT, offsetof(station_tou_period, max_charge_w), NULL, 0, 0 },
	{ "gridChargeCutoffSocPct", F_NUM, offsetof(station_tou_period, grid_charge_cutoff_soc_pct), NULL, 0,
	  0 },
	{ "maxImportW", F_LIMIT, offsetof(station_tou_period, max_import_w), NULL, 0, 0 },
	{ "maxGridChargeW", F_LIMIT, offsetof(station_tou_period, max_grid_charge_w), NULL, 0, 0 },
	{ "maxDischargeW", F_LIMIT, offsetof(station_tou_period, max_discharge_w), NULL, 0, 0 },
	{ "maxExportW", F_LIMIT, offsetof(station_tou_period, max_export_w), NULL, 0, 0 },
	{ "maxBatToGridW", F_NUM, offsetof(station_tou_period, max_bat_to_grid_w), NULL, 0, 0 },
};
static const table tou_period_t = { tou_period_f, N(tou_period_f), sizeof(station_tou_period), tou_defaults };

static const field tou_f[] = {
	{ "periods", F_ARR, offsetof(station_config, n_tou), &tou_period_t, STATION_MAX_PERIODS,
	  offsetof(station_config, tou) },
};
static const table tou_t = { tou_f, N(tou_f), 0, NULL };

static const field remote_f[] = {
	{ "timeoutS", F_INT, offsetof(station_config, remote_ems_timeout_s), NULL, 0, 0 },
};
static const table remote_t = { remote_f, N(remote_f), 0, NULL };

static void outage_defaults(void *e)
{
	*(station_outage *)e = (station_outage){ 0, 0 };
}

static const field outage_f[] = {
	{ "start", F_UTC, offsetof(station_outage, start_ms), NULL, 0, 0 },
	{ "end", F_UTC, offsetof(station_outage, end_ms), NULL, 0, 0 },
};
static const table outage_t = { outage_f, N(outage_f), sizeof(station_outage), outage_defaults };

static const field shed_f[] = {
	{ "region", F_STR, offsetof(station_config, shed_region), NULL,
	  sizeof(((station_config *)0)->shed_region), 0 },
	{ "windows", F_ARR, offsetof(station_config, n_shed), &window_t, STATION_MAX_PERIODS,
	  offsetof(station_config, shed) },
	{ "targetSocPct", F_NUM, offsetof(station_config, shed_target_soc_pct), NULL, 0, 0 },
	{ "marginMin", F_INT, offsetof(station_config, shed_margin_min), NULL, 0, 0 },
	{ "outages", F_ARR, offsetof(station_config, n_outages), &outage_t, STATION_MAX_OUTAGES,
	  offsetof(station_config, outages) },
};
static const table shed_t = { shed_f, N(shed_f), 0, NULL };

static const field tariff_period_f[] = {
	{ "start", F_TIME, offsetof(station_tariff_period, w.start_min), NULL, 0, 0 },
	{ "end", F_TIME, offsetof(station_tariff_period, w.end_min), NULL, 0, 0 },
	{ "weekdays", F_DAYS, offsetof(station_tariff_period, w.weekdays), NULL, 0, 0 },
	{ "importPrice", F_NUM, offsetof(station_tariff_period, import_price), NULL, 0, 0 },
	{ "exportPrice", F_NUM, offsetof(station_tariff_period, export_price), NULL, 0, 0 },
};
static const table tariff_period_t = { tariff_period_f, N(tariff_period_f), sizeof(station_tariff_period),
				       tariff_defaults };

static const field tariff_f[] = {
	{ "importPrice", F_NUM, offsetof(station_config, import_price), NULL, 0, 0 },
	{ "exportPrice", F_NUM, offsetof(station_config, export_price), NULL, 0, 0 },
	{ "peakChargePerKw", F_NUM, offsetof(station_config, peak_charge_per_kw), NULL, 0, 0 },
	{ "periods", F_ARR, offsetof(station_config, n_tariff), &tariff_period_t, STATION_MAX_PERIODS,
	  offsetof(station_config, tariff) },
};
static const table tariff_t = { tariff_f, N(tariff_f), 0, NULL };

static const field optimise_f[] = {
	{ "horizonH", F_INT, offsetof(station_config, plan_horizon_h), NULL, 0, 0 },
	{ "replanMin", F_INT, offsetof(station_config, replan_min), NULL, 0, 0 },
	{ "socLevels", F_INT, offsetof(station_config, plan_levels), NULL, 0, 0 },
	{ "learnRate", F_NUM, offsetof(station_config, learn_rate), NULL, 0, 0 },
	{ "weatherFactor", F_OPTNUM, offsetof(station_config, weather_factor), NULL, 0, 0 },
};
static const table optimise_t = { optimise_f, N(optimise_f), 0, NULL };

static const field charger_f[] = {
	{ "id", F_STR, offsetof(station_charger_cfg, id), NULL, sizeof(((station_charger_cfg *)0)->id), 0 },
	{ "mode", F_EVMODE, offsetof(station_charger_cfg, mode), NULL, 0, 0 },
	{ "phases", F_INT, offsetof(station_charger_cfg, phases), NULL, 0, 0 },
	{ "autoPhaseSwitch", F_BOOL, offsetof(station_charger_cfg, auto_phase_switch), NULL, 0, 0 },
	{ "maxCurrentA", F_NUM, offsetof(station_charger_cfg, max_current_a), NULL, 0, 0 },
	{ "enableDelayS", F_INT, offsetof(station_charger_cfg, enable_delay_s), NULL, 0, 0 },
	{ "disableDelayS", F_INT, offsetof(station_charger_cfg, disable_delay_s), NULL, 0, 0 },
	{ "phaseSwitchDelayS", F_INT, offsetof(station_charger_cfg, phase_switch_delay_s), NULL, 0, 0 },
	{ "batteryToEv", F_BOOL, offsetof(station_charger_cfg, battery_to_ev), NULL, 0, 0 },
};
static const table charger_t = { charger_f, N(charger_f), sizeof(station_charger_cfg), charger_defaults };

static const field smart_f[] = {
	{ "name", F_STR, offsetof(station_smart_load_cfg, name), NULL,
	  sizeof(((station_smart_load_cfg *)0)->name), 0 },
	{ "powerW", F_NUM, offsetof(station_smart_load_cfg, power_w), NULL, 0, 0 },
	{ "mode", F_LOADMODE, offsetof(station_smart_load_cfg, mode), NULL, 0, 0 },
	{ "on", F_BOOL, offsetof(station_smart_load_cfg, manual_on), NULL, 0, 0 },
	{ "socThresholdPct", F_NUM, offsetof(station_smart_load_cfg, soc_threshold_pct), NULL, 0, 0 },
	{ "window", F_OBJ, offsetof(station_smart_load_cfg, window), &window_t, 0, 0 },
};
static const table smart_t = { smart_f, N(smart_f), sizeof(station_smart_load_cfg), smart_defaults };

static const field hp_f[] = {
	{ "enabled", F_BOOL, offsetof(station_heat_pump_cfg, enabled), NULL, 0, 0 },
	{ "mode", F_AUTO, offsetof(station_heat_pump_cfg, auto_mode), NULL, 0, 0 },
	{ "on", F_BOOL, offsetof(station_heat_pump_cfg, manual_on), NULL, 0, 0 },
	{ "pvResidualControl", F_BOOL, offsetof(station_heat_pump_cfg, pv_residual_control), NULL, 0, 0 },
	{ "powerW", F_NUM, offsetof(station_heat_pump_cfg, power_w), NULL, 0, 0 },
	{ "minStartPowerW", F_NUM, offsetof(station_heat_pump_cfg, min_start_power_w), NULL, 0, 0 },
	{ "minRunS", F_INT, offsetof(station_heat_pump_cfg, min_run_s), NULL, 0, 0 },
	{ "maxDailyRunS", F_INT, offsetof(station_heat_pump_cfg, max_daily_run_s), NULL, 0, 0 },
	{ "windowEnabled", F_BOOL, offsetof(station_heat_pump_cfg, window_enabled), NULL, 0, 0 },
	{ "window", F_OBJ, offsetof(station_heat_pump_cfg, window), &window_t, 0, 0 },
	{ "socThresholdPct", F_NUM, offsetof(station_heat_pump_cfg, soc_threshold_pct), NULL, 0, 0 },
};
static const table hp_t = { hp_f, N(hp_f), 0, NULL };

static const field gen_window_f[] = {
	{ "start", F_TIME, offsetof(station_gen_window, w.start_min), NULL, 0, 0 },
	{ "end", F_TIME, offsetof(station_gen_window, w.end_min), NULL, 0, 0 },
	{ "weekdays", F_DAYS, offsetof(station_gen_window, w.weekdays), NULL, 0, 0 },
	{ "startSocPct", F_NUM, offsetof(station_gen_window, start_soc_pct), NULL, 0, 0 },
	{ "stopSocPct", F_NUM, offsetof(station_gen_window, stop_soc_pct), NULL, 0, 0 },
};
static const table gen_window_t = { gen_window_f, N(gen_window_f), sizeof(station_gen_window),
				    gen_window_defaults };

static const field gen_f[] = {
	{ "enabled", F_BOOL, offsetof(station_generator_cfg, enabled), NULL, 0, 0 },
	{ "mode", F_AUTO, offsetof(station_generator_cfg, auto_mode), NULL, 0, 0 },
	{ "on", F_BOOL, offsetof(station_generator_cfg, manual_on), NULL, 0, 0 },
	{ "ratedPowerW", F_NUM, offsetof(station_generator_cfg, rated_power_w), NULL, 0, 0 },
	{ "bestPowerDuty", F_BOOL, offsetof(station_generator_cfg, best_power_duty), NULL, 0, 0 },
	{ "chargeCutoffSocPct", F_NUM, offsetof(station_generator_cfg, charge_cutoff_soc_pct), NULL, 0, 0 },
	{ "windows", F_ARR, offsetof(station_generator_cfg, n_windows), &gen_window_t, STATION_MAX_PERIODS,
	  offsetof(station_generator_cfg, windows) },
};
static const table gen_t = { gen_f, N(gen_f), 0, NULL };

static const field root_f[] = {
	{ "mode", F_MODE, offsetof(station_config, mode), NULL, 0, 0 },
	{ "utcOffsetMin", F_INT, offsetof(station_config, utc_offset_min), NULL, 0, 0 },
	{ "latitudeDeg", F_NUM, offsetof(station_config, latitude_deg), NULL, 0, 0 },
	{ "longitudeDeg", F_NUM, offsetof(station_config, longitude_deg), NULL, 0, 0 },
	{ "battery", F_OBJ, offsetof(station_config, battery), &battery_t, 0, 0 },
	{ "inverterMaxW", F_NUM, offsetof(station_config, inverter_max_w), NULL, 0, 0 },
	{ "voltageV", F_NUM, offsetof(station_config, voltage_v), NULL, 0, 0 },
	{ "gridPhases", F_INT, offsetof(station_config, grid_phases), NULL, 0, 0 },
	{ "breakerA", F_NUM, offsetof(station_config, breaker_a), NULL, 0, 0 },
	{ "maxPeakPowerW", F_NUM, offsetof(station_config, max_peak_power_w), NULL, 0, 0 },
	{ "peakShavingSocPct", F_NUM, offsetof(station_config, peak_shaving_soc_pct), NULL, 0, 0 },
	{ "offPeakPeriods", F_ARR, offsetof(station_config, n_off_peak), &window_t, STATION_MAX_PERIODS,
	  offsetof(station_config, off_peak) },
	{ "tou", F_OBJ, 0, &tou_t, 0, 0 },
	{ "remoteEms", F_OBJ, 0, &remote_t, 0, 0 },
	{ "loadShedding", F_OBJ, 0, &shed_t, 0, 0 },
	{ "tariff", F_OBJ, 0, &tariff_t, 0, 0 },
	{ "optimise", F_OBJ, 0, &optimise_t, 0, 0 },
	{ "evPrioritySocPct", F_NUM, offsetof(station_config, ev_priority_soc_pct), NULL, 0, 0 },
	{ "chargers", F_ARR, offsetof(station_config, n_chargers), &charger_t, STATION_MAX_CHARGERS,
	  offsetof(station_config, chargers) },
	{ "smartLoads", F_ARR, offsetof(station_config, n_smart_loads), &smart_t, STATION_MAX_SMART_LOADS,
	  offsetof(station_config, smart_loads) },
	{ "heatPump", F_OBJ, offsetof(station_config, heat_pump), &hp_t, 0, 0 },
	{ "generator", F_OBJ, offsetof(station_config, generator), &gen_t, 0, 0 },
};
static const table root_t = { root_f, N(root_f), 0, NULL };

static const char *const day_names[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

static int day_index(const char *s, size_t len)
{
	for (int i = 0; i < 7; i++)
		if (len == 3 && strncmp(s, day_names[i], 3) == 0)
			return i;
	return -1;
}

/* "mon-fri", "sat,sun", "mon,wed-fri", "all" */
static int parse_days_str(const char *s, uint8_t *mask)
{
	if (strcmp(s, "all") == 0) {
		*mask = STATION_EVERY_DAY;
		return 0;
	}
	uint8_t m = 0;
	const char *p = s;
	while (*p) {
		const char *e = p;
		while (*e && *e != ',')
			e++;
		const char *dash = memchr(p, '-', (size_t)(e - p));
		int a, b;
		if (dash) {
			a = day_index(p, (size_t)(dash - p));
			b = day_index(dash + 1, (size_t)(e - dash - 1));
		} else {
			a = b = day_index(p, (size_t)(e - p));
		}
		if (a < 0 || b < 0)
			return -1;
		for (int d = a;; d = (d + 1) % 7) {
			m |= (uint8_t)(1u << d);
			if (d == b)
				break;
		}
		p = *e ? e + 1 : e;
	}
	if (!m)
		return -1;
	*mask = m;
	return 0;
}

static int parse_time(const char *s, int *min)
{
	int h, m;
	char tail;
	if (sscanf(s, "%d:%d%c", &h, &m, &tail) != 2 || h < 0 || h > 24 || m < 0 || m > 59 ||
	    (h == 24 && m != 0))
		return -1;
	*min = (h * 60 + m) % 1440; /* "24:00" is midnight */
	return 0;
}

typedef struct perr {
	char *buf;
	int len;
} perr;

static int fail(perr *e, const char *what, const char *path, const char *name)
{
	if (e->buf && e->len > 0)
		snprintf(e->buf, (size_t)e->len, "%s '%s%s%s'", what, path, *path ? "." : "", name);
	return STATION_EINVAL;
}

/* fail for a value outside a vocabulary: "bad value for 'path.name': one
 * of a, b, c", the names of kind's vocabulary, so the caller's user sees
 * what is accepted. */
static int fail_enum(perr *e, int kind, const char *path, const char *name)
{
	static const char *const load_modes[] = { "manual", "autoSoc", NULL };
	static const char *const auto_modes[] = { "manual", "auto", NULL };
	static const char *const kinds[] = { "charge", "discharge", NULL };
	const char *names[STATION_MODE_COUNT + STATION_EV_MODE_COUNT + 1] = { NULL };
	const char *const *list = names;
	if (kind == F_MODE)
		for (int i = 0; i < STATION_MODE_COUNT; i++)
			names[i] = station_mode_name((station_mode)i);
	else if (kind == F_EVMODE)
		for (int i = 0; i < STATION_EV_MODE_COUNT; i++)
			names[i] = station_ev_modes[i].name;
	else
		list = kind == F_LOADMODE ? load_modes : kind == F_AUTO ? auto_modes : kinds;
	fail(e, "bad value for", path, name);
	if (!e->buf || e->len <= 0)
		return STATION_EINVAL;
	for (int i = 0; list[i]; i++) {
		size_t n = strlen(e->buf);
		snprintf(e->buf + n, (size_t)e->len - n, "%s%s", i ? ", " : ": one of ", list[i]);
	}
	return STATION_EINVAL;
}

static int apply_table(const table *t, const cJSON *obj, char *base, const char *path, perr *e);

static int apply_field(const field *f, const cJSON *v, char *base, const char *path, perr *e)
{
	char *p = base + f->off;
	switch (f->kind) {
	case F_NUM:
		if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
			return fail(e, "bad value for", path, f->name);
		*(double *)p = v->valuedouble;
		return 0;
	case F_LIMIT:
	case F_OPTNUM:
		if (cJSON_IsNull(v)) {
			*(double *)p = -1;
			return 0;
		}
		if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0)
			return fail(e, "bad value for", path, f->name);
		*(double *)p = v->valuedouble;
		return 0;
	case F_INT:
		if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
		    fabs(v->valuedouble) > 1e9)
			return fail(e, "bad value for", path, f->name);
		*(int *)p = (int)v->valuedouble;
		return 0;
	case F_BOOL:
		if (!cJSON_IsBool(v))
			return fail(e, "bad value for", path, f->name);
		*(bool *)p = cJSON_IsTrue(v);
		return 0;
	case F_STR:
		if (!cJSON_IsString(v) || strlen(v->valuestring) >= f->len)
			return fail(e, "bad value for", path, f->name);
		snprintf(p, f->len, "%s", v->valuestring);
		return 0;
	case F_TIME:
		if (!cJSON_IsString(v) || parse_time(v->valuestring, (int *)p) < 0)
			return fail(e, "bad value for", path, f->name);
		return 0;
	case F_UTC:
		if (!cJSON_IsString(v) || station_time_parse(v->valuestring, (int64_t *)(void *)p) < 0) {
			fail(e, "bad value for", path, f->name);
			if (e->buf && e->len > 0) {
				size_t n = strlen(e->buf);
				snprintf(e->buf + n, (size_t)e->len - n,
					 ": an ISO 8601 date-time, e.g. 2026-12-05T16:00:00+02:00");
			}
			return STATION_EINVAL;
		}
		return 0;
	case F_DAYS:
		if (cJSON_IsString(v)) {
			if (parse_days_str(v->valuestring, (uint8_t *)p) < 0)
				return fail(e, "bad value for", path, f->name);
			return 0;
		}
		if (cJSON_IsArray(v)) {
			uint8_t m = 0;
			const cJSON *d;
			cJSON_ArrayForEach(d, v)
			{
				int i = cJSON_IsString(d) ? day_index(d->valuestring, strlen(d->valuestring))
							  : -1;
				if (i < 0)
					return fail(e, "bad value for", path, f->name);
				m |= (uint8_t)(1u << i);
			}
			if (!m)
				return fail(e, "bad value for", path, f->name);
			*(uint8_t *)p = m;
			return 0;
		}
		return fail(e, "bad value for", path, f->name);
	case F_MODE:
		if (!cJSON_IsString(v) || station_mode_parse(v->valuestring, (station_mode *)p) < 0)
			return fail_enum(e, f->kind, path, f->name);
		return 0;
	case F_EVMODE:
		if (!cJSON_IsString(v) || station_ev_mode_parse(v->valuestring, (station_ev_mode *)p) < 0)
			return fail_enum(e, f->kind, path, f->name);
		return 0;
	case F_LOADMODE:
		if (cJSON_IsString(v) && strcmp(v->valuestring, "manual") == 0)
			*(station_load_mode *)p = STATION_LOAD_MANUAL;
		else if (cJSON_IsString(v) && strcmp(v->valuestring, "autoSoc") == 0)
			*(station_load_mode *)p = STATION_LOAD_AUTO_SOC;
		else
			return fail_enum(e, f->kind, path, f->name);
		return 0;
	case F_AUTO:
		if (cJSON_IsString(v) && strcmp(v->valuestring, "manual") == 0)
			*(bool *)p = false;
		else if (cJSON_IsString(v) && strcmp(v->valuestring, "auto") == 0)
			*(bool *)p = true;
		else
			return fail_enum(e, f->kind, path, f->name);
		return 0;
	case F_KIND:
		if (cJSON_IsString(v) && strcmp(v->valuestring, "charge") == 0)
			*(bool *)p = true;
		else if (cJSON_IsString(v) && strcmp(v->valuestring, "discharge") == 0)
			*(bool *)p = false;
		else
			return fail_enum(e, f->kind, path, f->name);
		return 0;
	case F_OBJ: {
		if (!cJSON_IsObject(v))
			return fail(e, "bad value for", path, f->name);
		char sub[160];
		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", f->name);
		return apply_table(f->sub, v, p, sub, e);
	}
	case F_ARR: {
		if (!cJSON_IsArray(v))
			return fail(e, "bad value for", path, f->name);
		int n = cJSON_GetArraySize(v);
		if (n < 0 || (size_t)n > f->len)
			return fail(e, "too many elements in", path, f->name);
		char *arr = base + f->arr_off;
		const cJSON *el;
		int i = 0;
		cJSON_ArrayForEach(el, v)
		{
			char sub[160];
			snprintf(sub, sizeof(sub), "%s%s%s[%d]", path, *path ? "." : "", f->name, i);
			char *dst = arr + (size_t)i * f->sub->elem_size;
			f->sub->defaults(dst);
			if (!cJSON_IsObject(el)) {
				if (e->buf && e->len > 0)
					snprintf(e->buf, (size_t)e->len, "bad value for '%s'", sub);
				return STATION_EINVAL;
			}
			int rc = apply_table(f->sub, el, dst, sub, e);
			if (rc < 0)
				return rc;
			i++;
		}
		*(int *)p = n;
		return 0;
	}
	}
	return fail(e, "bad value for", path, f->name);
}

static int apply_table(const table *t, const cJSON *obj, char *base, const char *path, perr *e)
{
	const cJSON *v;
	cJSON_ArrayForEach(v, obj)
	{
		const field *f = NULL;
		for (int i = 0; i < t->n && !f; i++)
			if (v->string && strcmp(v->string, t->f[i].name) == 0)
				f = &t->f[i];
		if (!f) {
			if (t == &root_t && v->string && strcmp(v->string, "confirm") == 0)
				continue;
			return fail(e, "unknown key", path, v->string ? v->string : "?");
		}
		int rc = apply_field(f, v, base, path, e);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int station_json_apply(const cJSON *obj, station_config *cfg, bool *confirm, char *err, int errlen)
{
	perr e = { err, errlen };
	if (err && errlen > 0)
		err[0] = 0;
	if (!cJSON_IsObject(obj)) {
		if (err && errlen > 0)
			snprintf(err, (size_t)errlen, "settings must be a JSON object");
		return STATION_EINVAL;
	}
	station_config *tmp = malloc(sizeof(*tmp));
	if (!tmp) {
		if (err && errlen > 0)
			snprintf(err, (size_t)errlen, "out of memory");
		return STATION_EINVAL;
	}
	*tmp = *cfg;
	int rc = apply_table(&root_t, obj, (char *)tmp, "", &e);
	if (rc == 0) {
		char name[96];
		if (station_config_validate(tmp, name, sizeof(name)) < 0) {
			if (err && errlen > 0)
				snprintf(err, (size_t)errlen, "bad value for '%s'", name);
			rc = STATION_EINVAL;
		}
	}
	if (rc == 0) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(obj, "confirm");
		if (c && !cJSON_IsBool(c)) {
			if (err && errlen > 0)
				snprintf(err, (size_t)errlen, "bad value for 'confirm'");
			rc = STATION_EINVAL;
		} else {
			if (confirm)
				*confirm = cJSON_IsTrue(c);
			*cfg = *tmp;
		}
	}
	free(tmp);
	return rc;
}

int station_json_parse(const char *text, station_config *cfg, bool *confirm, char *err, int errlen)
{
	cJSON *obj = text ? cJSON_Parse(text) : NULL;
	if (!obj) {
		if (err && errlen > 0)
			snprintf(err, (size_t)errlen, "not valid JSON");
		return STATION_EINVAL;
	}
	int rc = station_json_apply(obj, cfg, confirm, err, errlen);
	cJSON_Delete(obj);
	return rc;
}

static cJSON *days_json(uint8_t m)
{
	cJSON *a = cJSON_CreateArray();
	for (int i = 0; a && i < 7; i++)
		if ((m >> i) & 1)
			cJSON_AddItemToArray(a, cJSON_CreateString(day_names[i]));
	return a;
}

static cJSON *table_json(const table *t, const char *base);

static cJSON *field_json(const field *f, const char *base)
{
	const char *p = base + f->off;
	char buf[8];
	switch (f->kind) {
	case F_NUM: return cJSON_CreateNumber(*(const double *)p);
	case F_LIMIT:
	case F_OPTNUM:
		return *(const double *)p < 0 ? cJSON_CreateNull() : cJSON_CreateNumber(*(const double *)p);
	case F_INT: return cJSON_CreateNumber(*(const int *)p);
	case F_BOOL: return cJSON_CreateBool(*(const bool *)p);
	case F_STR: return cJSON_CreateString(p);
	case F_TIME: {
		int m = *(const int *)p;
		snprintf(buf, sizeof(buf), "%02d:%02d", (m / 60) % 100, m % 60);
		return cJSON_CreateString(buf);
	}
	case F_UTC: {
		char ts[40];
		return cJSON_CreateString(
			station_time_format(*(const int64_t *)(const void *)p, ts, sizeof ts));
	}
	case F_DAYS: return days_json(*(const uint8_t *)p);
	case F_MODE: return cJSON_CreateString(station_mode_name(*(const station_mode *)p));
	case F_EVMODE: return cJSON_CreateString(station_ev_mode_name(*(const station_ev_mode *)p));
	case F_LOADMODE:
		return cJSON_CreateString(*(const station_load_mode *)p == STATION_LOAD_AUTO_SOC ? "autoSoc"
												 : "manual");
	case F_AUTO: return cJSON_CreateString(*(const bool *)p ? "auto" : "manual");
	case F_KIND: return cJSON_CreateString(*(const bool *)p ? "charge" : "discharge");
	case F_OBJ: return table_json(f->sub, p);
	case F_ARR: {
		cJSON *a = cJSON_CreateArray();
		int n = *(const int *)p;
		for (int i = 0; a && i < n; i++) {
			cJSON *el = table_json(f->sub, base + f->arr_off + (size_t)i * f->sub->elem_size);
			if (!el || !cJSON_AddItemToArray(a, el)) {
				cJSON_Delete(el);
				cJSON_Delete(a);
				return NULL;
			}
		}
		return a;
	}
	}
	return NULL;
}

static cJSON *table_json(const table *t, const char *base)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	for (int i = 0; i < t->n; i++) {
		cJSON *v = field_json(&t->f[i], base);
		if (!v || !cJSON_AddItemToObject(o, t->f[i].name, v)) {
			cJSON_Delete(v);
			cJSON_Delete(o);
			return NULL;
		}
	}
	return o;
}

cJSON *station_json_from_config(const station_config *cfg)
{
	return table_json(&root_t, (const char *)cfg);
}

char *station_json_print(const station_config *cfg)
{
	cJSON *o = station_json_from_config(cfg);
	if (!o)
		return NULL;
	char *s = cJSON_Print(o);
	cJSON_Delete(o);
	return s;
}

static const char *const reason_names[] = { "notConnected", "charging",     "waitEnable",
					    "paused",       "disableGrace", "limited" };

cJSON *station_json_from_output(const station_config *cfg, const station_input *in, const station_output *out)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	int ok = 1;
	ok &= cJSON_AddStringToObject(o, "activeMode", station_mode_name(out->active)) != NULL;
	ok &= cJSON_AddBoolToObject(o, "emsFallback", out->ems_fallback) != NULL;
	ok &= cJSON_AddBoolToObject(o, "onGrid", in->on_grid) != NULL;
	ok &= cJSON_AddNumberToObject(o, "pvW", in->pv_w) != NULL;
	ok &= cJSON_AddNumberToObject(o, "pvLimitW", out->pv_limit_w) != NULL;
	ok &= cJSON_AddNumberToObject(o, "loadW", in->load_w) != NULL;
	ok &= cJSON_AddNumberToObject(o, "socPct", in->soc_pct) != NULL;
	ok &= cJSON_AddNumberToObject(o, "batW", out->bat_w) != NULL;
	ok &= cJSON_AddNumberToObject(o, "gridW", out->grid_w) != NULL;
	ok &= cJSON_AddNumberToObject(o, "evW", out->ev_w) != NULL;
	ok &= cJSON_AddNumberToObject(o, "loadsW", out->loads_w) != NULL;
	ok &= cJSON_AddNumberToObject(o, "generatorW", out->gen_w) != NULL;
	ok &= cJSON_AddBoolToObject(o, "heatPumpOn", out->heat_pump_on) != NULL;
	ok &= cJSON_AddBoolToObject(o, "thirdPartyPvOn", out->pv3_on) != NULL;
	ok &= cJSON_AddBoolToObject(o, "gridCharging", out->grid_charging) != NULL;
	ok &= cJSON_AddNumberToObject(o, "unservedW", out->unserved_w) != NULL;
	if (out->plan_soc_pct >= 0)
		ok &= cJSON_AddNumberToObject(o, "planSocPct", out->plan_soc_pct) != NULL;
	cJSON *sl = cJSON_AddArrayToObject(o, "smartLoadsOn");
	for (int i = 0; sl && i < cfg->n_smart_loads; i++)
		ok &= cJSON_AddItemToArray(sl, cJSON_CreateBool(out->smart_load_on[i]));
	cJSON *ev = cJSON_AddArrayToObject(o, "chargers");
	for (int i = 0; ev && i < cfg->n_chargers; i++) {
		cJSON *c = cJSON_CreateObject();
		if (!c || !cJSON_AddItemToArray(ev, c)) {
			cJSON_Delete(c);
			ok = 0;
			break;
		}
		ok &= cJSON_AddStringToObject(c, "id", cfg->chargers[i].id) != NULL;
		ok &= cJSON_AddNumberToObject(c, "targetA", out->ev[i].target_a) != NULL;
		ok &= cJSON_AddNumberToObject(c, "phases", out->ev[i].phases) != NULL;
		ok &= cJSON_AddNumberToObject(c, "powerW", out->ev[i].power_w) != NULL;
		ok &= cJSON_AddStringToObject(c, "reason", reason_names[out->ev[i].reason]) != NULL;
	}
	if (!ok || !sl || !ev) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}
