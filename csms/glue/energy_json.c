/* energy_json.c: what the API and the feeds read of a station, as JSON
 * (GET /api/v1/station and a site's: settings with their origin, live
 * flows, what was measured, the plan, the source and its health, outputs,
 * prices, the learned forecast and the 24 h outlook; the live part for the
 * events stream and MQTT; a step's outputs; the price list's summary).
 * Reads only: energy.c changes the station. */
#include "energy.h"
#include "energy_internal.h"
#include "charger.h"
#include "config.h"
#include "control.h"
#include "csms.h"
#include "errkind.h"
#include "timeutil.h"

#include "station.h"
#include "station_json.h"
#include "station_source.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double r1(double v)
{
	return round(v * 10) / 10;
}

static void add_num_or_null(cJSON *o, const char *k, double v)
{
	if (isfinite(v))
		cJSON_AddNumberToObject(o, k, r1(v));
	else
		cJSON_AddNullToObject(o, k);
}

/* GET /api/v1/station "forecast": how much is learned and the next hours. */
static cJSON *forecast_json(struct energy *e)
{
	char ts[40];
	int l, p;
	station_forecast_counts(&e->st->fc, &l, &p);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "loadSlotsLearned", l);
	cJSON_AddNumberToObject(o, "pvSlotsLearned", p);
	cJSON_AddNumberToObject(o, "slotsSeen", e->st->fc.load_mean_n);
	cJSON_AddBoolToObject(o, "restored", e->fc_restored);
	cJSON *next = cJSON_AddArrayToObject(o, "next");
	int64_t slot = (e->clock_ms >= 0 ? e->clock_ms : 0) / (1000LL * STATION_SLOT_S);
	for (int h = 0; h < 6; h++) {
		double load = 0, pv = 0;
		for (int k = 0; k < 4; k++) { /* hourly means of the 15-minute slots */
			double lw, pw;
			station_forecast_slot(&e->eff, e->st, slot + h * 4 + k, &lw, &pw);
			load += lw / 4;
			pv += pw / 4;
		}
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(
			x, "start", time_format_iso((slot + h * 4) * 1000LL * STATION_SLOT_S, ts, sizeof ts));
		cJSON_AddNumberToObject(x, "loadW", r1(load));
		cJSON_AddNumberToObject(x, "pvW", r1(pv));
		cJSON_AddItemToArray(next, x);
	}
	return o;
}

/* GET /api/v1/station "outlook": the next 24 hours per 15-minute slot as the
 * optimiser sees them (prices with the tariff's fallback, the load and PV
 * forecast) and, in optimising mode, its planned battery power and SOC: what
 * the dashboard's "Prices and plan" chart draws. */
#define OUTLOOK_SLOTS 96

static void add_series(cJSON *o, const char *k, const double *v, int n, double scale)
{
	cJSON *a = cJSON_AddArrayToObject(o, k);
	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(a,
				     isfinite(v[i]) ? cJSON_CreateNumber(round(v[i] * scale) / scale)
						    : cJSON_CreateNull());
}

static cJSON *outlook_json(struct energy *e)
{
	const station_plan *p = &e->st->plan;
	char ts[40];
	double imp[OUTLOOK_SLOTS], exp[OUTLOOK_SLOTS], load[OUTLOOK_SLOTS], pv[OUTLOOK_SLOTS];
	double bat[OUTLOOK_SLOTS], soc[OUTLOOK_SLOTS];
	int64_t slot = (e->clock_ms >= 0 ? e->clock_ms : 0) / (1000LL * STATION_SLOT_S);
	/* the plan only while the optimiser runs: another mode leaves a stale one */
	int planned = e->have_out && e->out.active == STATION_MODE_OPTIMISE && p->made_slot >= 0;
	for (int i = 0; i < OUTLOOK_SLOTS; i++) {
		station_price_slot(&e->eff, e->st, slot + i, &imp[i], &exp[i]);
		station_forecast_slot(&e->eff, e->st, slot + i, &load[i], &pv[i]);
		int64_t k = slot + i - p->made_slot;
		int in = planned && k >= 0 && k < p->n;
		bat[i] = in ? p->bat_w[k] : NAN;
		soc[i] = in ? p->soc_pct[k + 1] : NAN; /* at the end of the slot */
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "start", time_format_iso(slot * 1000LL * STATION_SLOT_S, ts, sizeof ts));
	cJSON_AddNumberToObject(o, "slotS", STATION_SLOT_S);
	cJSON_AddNumberToObject(o, "count", OUTLOOK_SLOTS);
	add_series(o, "importPrice", imp, OUTLOOK_SLOTS, 1e6);
	add_series(o, "exportPrice", exp, OUTLOOK_SLOTS, 1e6);
	add_series(o, "loadW", load, OUTLOOK_SLOTS, 10);
	add_series(o, "pvW", pv, OUTLOOK_SLOTS, 10);
	if (planned) {
		cJSON *pl = cJSON_AddObjectToObject(o, "plan");
		cJSON_AddStringToObject(pl, "made", time_format_iso(p->made_ms, ts, sizeof ts));
		cJSON_AddBoolToObject(pl, "followed", !p->follow_rule);
		cJSON_AddStringToObject(pl, "rule", station_mode_name(p->rule));
		add_series(pl, "batW", bat, OUTLOOK_SLOTS, 10);
		add_series(pl, "socPct", soc, OUTLOOK_SLOTS, 10);
	} else
		cJSON_AddNullToObject(o, "plan");
	return o;
}

cJSON *energy_source_json(struct energy *e)
{
	struct csms *app = e->app;
	const struct csms_config *c = &app->cfg;
	char ts[40];
	cJSON *s = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "type", station_src_kind_str(e->kind));
	double age = e->have_rd ? (double)(app->now_ms - e->rd.ts_ms) / 1000.0 : -1;
	int healthy = e->have_rd && (e->kind == STATION_SRC_SIM || age <= c->station_stale_s);
	cJSON_AddBoolToObject(s, "healthy", healthy);
	if (age >= 0)
		cJSON_AddNumberToObject(s, "ageS", round(age * 1000) / 1000);
	else
		cJSON_AddNullToObject(s, "ageS");
	cJSON_AddNumberToObject(s, "staleS", c->station_stale_s);
	if (e->kind == STATION_SRC_SIM) {
		cJSON_AddNumberToObject(s, "speed", c->station_speed);
		cJSON_AddNumberToObject(s, "pvPeakW", c->station_sim_pv_w);
		cJSON_AddStringToObject(s, "time", time_format_iso(energy_station_clock(e), ts, sizeof ts));
	} else if (e->kind == STATION_SRC_MODBUS) {
		cJSON_AddStringToObject(s, "host", e->opts.host);
		cJSON_AddNumberToObject(s, "port", e->opts.port);
		cJSON_AddNumberToObject(s, "unit", e->opts.unit);
		cJSON_AddStringToObject(s, "map", e->map_name);
		cJSON_AddNumberToObject(s, "pollMs", e->opts.poll_ms);
		cJSON_AddStringToObject(s, "error", e->health.last_error);
		cJSON_AddNumberToObject(s, "readings", (double)e->health.readings);
		cJSON_AddNumberToObject(s, "failures", (double)e->health.failures);
		cJSON_AddNumberToObject(s, "writes", (double)e->health.writes);
		cJSON_AddNumberToObject(s, "writeFailures", (double)e->health.write_failures);
	}
	cJSON *m = cJSON_AddObjectToObject(s, "measurements");
	add_num_or_null(m, "pvW", e->have_rd ? e->rd.pv_w : NAN);
	add_num_or_null(m, "pv3W", e->have_rd ? e->rd.pv3_w : NAN);
	add_num_or_null(m, "loadW", e->have_rd ? e->rd.load_w : NAN);
	add_num_or_null(m, "gridW", e->have_rd ? e->rd.grid_w : NAN);
	add_num_or_null(m, "batW", e->have_rd ? e->rd.bat_w : NAN);
	add_num_or_null(m, "socPct", e->have_rd ? e->rd.soc_pct : NAN);
	return s;
}

/* What the station commands, as the source (or an API client) applies it. */
static cJSON *outputs_json(struct energy *e)
{
	cJSON *o = cJSON_CreateObject();
	const station_output *out = &e->out;
	cJSON_AddNumberToObject(o, "batterySetpointW", e->have_out ? r1(out->bat_w) : 0);
	cJSON_AddNumberToObject(o, "gridSetpointW", e->have_out ? r1(out->grid_w) : 0);
	cJSON_AddNumberToObject(o, "pvLimitW", e->have_out ? r1(out->pv_limit_w) : 0);
	cJSON *sl = cJSON_AddArrayToObject(o, "smartLoads");
	for (int i = 0; i < e->eff.n_smart_loads; i++) {
		cJSON *l = cJSON_CreateObject();
		cJSON_AddStringToObject(l, "name", e->eff.smart_loads[i].name);
		cJSON_AddBoolToObject(l, "on", e->have_out && out->smart_load_on[i]);
		cJSON_AddItemToArray(sl, l);
	}
	cJSON_AddBoolToObject(o, "heatPumpOn", e->have_out && out->heat_pump_on);
	cJSON_AddBoolToObject(o, "generatorOn", e->have_out && out->gen_on);
	cJSON_AddNumberToObject(o, "generatorW", e->have_out ? r1(out->gen_w) : 0);
	cJSON_AddBoolToObject(o, "safe", e->stale != NULL);
	if (e->stale)
		cJSON_AddStringToObject(o, "safeReason", e->stale);
	else
		cJSON_AddNullToObject(o, "safeReason");
	return o;
}

/* Where each setting GET /api/v1/station shows came from: a top-level
 * settings key is "api" where it differs from the station_settings file
 * over the defaults, else "file" when the file gives it, else "default";
 * chargers[]' mode, phases and maxCurrentA are the chargers' own settings
 * ("chargerSettings"); the source's fields are config keys
 * (config_origin_name). */
static cJSON *origin_json(struct energy *e, const cJSON *settings)
{
	static const struct {
		const char *api, *key;
	} source_keys[] = {
		{ "source.type", "station_source" },      { "source.staleS", "station_stale_s" },
		{ "source.speed", "station_speed" },      { "source.pvPeakW", "station_sim_pv_w" },
		{ "source.host", "station_modbus_host" }, { "source.port", "station_modbus_port" },
		{ "source.unit", "station_modbus_unit" }, { "source.map", "station_map" },
	};
	struct csms *app = e->app;
	cJSON *o = cJSON_CreateObject();
	station_config *fc = e->file_cfg ? malloc(sizeof *fc) : NULL;
	if (fc) {
		*fc = *e->file_cfg;
		energy_derive_entries(app, fc); /* chargers[] compared as both views show them */
	}
	cJSON *base = fc ? station_json_from_config(fc) : NULL;
	free(fc);
	const cJSON *v;
	cJSON_ArrayForEach(v, settings)
	{
		const cJSON *b = cJSON_GetObjectItemCaseSensitive(base, v->string);
		const char *from = !b || !cJSON_Compare(v, b, 1)                    ? "api"
			: cJSON_GetObjectItemCaseSensitive(e->file_keys, v->string) ? "file"
										    : "default";
		cJSON_AddStringToObject(o, v->string, from);
	}
	cJSON_Delete(base);
	cJSON_AddStringToObject(o, "chargers.mode", "chargerSettings");
	cJSON_AddStringToObject(o, "chargers.phases", "chargerSettings");
	cJSON_AddStringToObject(o, "chargers.maxCurrentA", "chargerSettings");
	/* the default site's source: settings; another site's: its PUT */
	for (size_t i = 0; i < sizeof source_keys / sizeof source_keys[0]; i++)
		cJSON_AddStringToObject(
			o, source_keys[i].api,
			e->is_default ? config_origin_name(config_origin_of(&app->cfg, source_keys[i].key, 0))
				      : "api");
	return o;
}

/* What the station measured at its last step ("live" shows the plan's
 * flows): the source's reading, the EVs' measured power, and per charger
 * the limit DLM sent, the one it acknowledged and what it draws. */
static cJSON *measured_json(struct energy *e)
{
	struct csms *app = e->app;
	const station_input *in = &e->in;
	char ts[40];
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "time", time_format_iso(e->clock_ms, ts, sizeof ts));
	cJSON_AddNumberToObject(o, "ageS", round((double)(app->now_ms - e->rd.ts_ms)) / 1000);
	cJSON_AddBoolToObject(o, "stale", e->stale != NULL);
	cJSON_AddBoolToObject(o, "onGrid", in->on_grid);
	add_num_or_null(o, "pvW", e->rd.pv_w);
	add_num_or_null(o, "pv3W", e->rd.pv3_w);
	add_num_or_null(o, "gridW", e->rd.grid_w);
	add_num_or_null(o, "batW", e->rd.bat_w);
	add_num_or_null(o, "socPct", e->rd.soc_pct);
	add_num_or_null(o, "loadW", in->load_w); /* the house without EVs and controlled loads */
	cJSON_AddBoolToObject(o, "loadDerived", !isfinite(e->rd.load_w));
	cJSON_AddNumberToObject(o, "evW", r1(in->ev_w));
	cJSON *chs = cJSON_AddArrayToObject(o, "chargers");
	for (const struct charger *c = charger_first(app->chargers); c; c = c->next) {
		if (c->reg != REG_ACCEPTED || !c->session || strcmp(c->settings.site, e->site))
			continue; /* this station's site's chargers */
		cJSON *f = control_charger_flow_json(app, c->id);
		if (!f)
			f = cJSON_CreateObject();
		double w = 0;
		int any = 0;
		for (int k = 1; k < CHARGER_MAX_CONN; k++)
			if (charger_conn_get(c, k)->live.ts_ms &&
			    isfinite(charger_conn_get(c, k)->live.power_w)) {
				w += charger_conn_get(c, k)->live.power_w;
				any = 1;
			}
		cJSON_AddStringToObject(f, "id", c->id);
		add_num_or_null(f, "powerW", any ? w : NAN);
		cJSON_AddItemToArray(chs, f);
	}
	return o;
}

/* What the station commands at its last step: setpoints and the flows it
 * expects from them (the same numbers "live" shows, under a clear name). */
static cJSON *plan_json(struct energy *e)
{
	const station_output *out = &e->out;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "activeMode", station_mode_name(out->active));
	cJSON_AddNumberToObject(o, "batW", r1(out->bat_w));
	cJSON_AddNumberToObject(o, "gridW", r1(out->grid_w));
	cJSON_AddNumberToObject(o, "pvLimitW", r1(out->pv_limit_w));
	cJSON_AddNumberToObject(o, "evW", r1(out->ev_w));
	cJSON_AddNumberToObject(o, "loadsW", r1(out->loads_w));
	cJSON_AddNumberToObject(o, "generatorW", r1(out->gen_w));
	cJSON_AddNumberToObject(o, "unservedW", r1(out->unserved_w));
	cJSON_AddBoolToObject(o, "safe", e->stale != NULL);
	cJSON *chs = cJSON_AddArrayToObject(o, "chargers");
	for (int i = 0; i < e->eff.n_chargers; i++) {
		cJSON *c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "id", e->eff.chargers[i].id);
		cJSON_AddNumberToObject(c, "targetA", r1(out->ev[i].target_a));
		cJSON_AddNumberToObject(c, "phases", out->ev[i].phases);
		cJSON_AddNumberToObject(c, "powerW", r1(out->ev[i].power_w));
		cJSON_AddItemToArray(chs, c);
	}
	return o;
}

/* "live": what the station decided at its last step, per charger with its
 * mode and where the mode comes from; null before the first step. */
static cJSON *live_json(struct energy *e)
{
	char ts[40];
	if (!e->have_out)
		return cJSON_CreateNull();
	cJSON *live = station_json_from_output(&e->eff, &e->in, &e->out);
	if (!live)
		return cJSON_CreateNull();
	cJSON_AddBoolToObject(live, "stale", e->stale != NULL);
	cJSON_AddStringToObject(live, "time", time_format_iso(e->clock_ms, ts, sizeof ts));
	cJSON *chs = cJSON_GetObjectItemCaseSensitive(live, "chargers");
	for (int i = 0; i < e->eff.n_chargers; i++) {
		cJSON *ch = cJSON_GetArrayItem(chs, i);
		cJSON_AddStringToObject(ch, "mode", station_ev_mode_name(e->eff.chargers[i].mode));
		cJSON_AddStringToObject(ch, "from", e->from_charger[i] ? "chargerSetting" : "station");
		cJSON_AddBoolToObject(ch, "carConnected", e->in.ev[i].connected);
	}
	return live;
}

static cJSON *status_json(struct energy *e)
{
	struct csms *app = e->app;
	char ts[40];
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "site", e->site);
	cJSON_AddStringToObject(o, "mode", station_mode_name(e->cfg.mode));
	station_config *view = malloc(sizeof *view);
	if (view) {
		/* chargers[]' mode, phases and maxCurrentA as the chargers' own settings say */
		*view = e->cfg;
		energy_derive_entries(app, view);
	}
	cJSON *settings = station_json_from_config(view ? view : &e->cfg);
	free(view);
	cJSON_AddItemToObject(o, "settings", settings);
	cJSON_AddItemToObject(o, "origin", origin_json(e, settings));
	cJSON_AddItemToObject(o, "live", live_json(e));
	cJSON_AddItemToObject(o, "measured",
			      e->have_out && e->have_rd ? measured_json(e) : cJSON_CreateNull());
	cJSON_AddItemToObject(o, "plan", e->have_out ? plan_json(e) : cJSON_CreateNull());
	cJSON_AddItemToObject(o, "source", energy_source_json(e));
	cJSON_AddItemToObject(o, "outputs", outputs_json(e));
	if (e->ems_set) {
		cJSON *r = cJSON_AddObjectToObject(o, "remoteEms");
		cJSON_AddStringToObject(r, "target", e->ems_grid ? "grid" : "battery");
		cJSON_AddNumberToObject(r, "setpointW", e->ems_w);
		cJSON_AddNumberToObject(r, "ageS",
					round((double)(energy_station_clock(e) - e->ems_clock_ms)) / 1000);
		cJSON_AddBoolToObject(r, "fallback", e->have_out && e->out.ems_fallback);
	} else
		cJSON_AddNullToObject(o, "remoteEms");
	if (e->prices_n) {
		cJSON *p = cJSON_AddObjectToObject(o, "prices");
		cJSON_AddStringToObject(p, "start", time_format_iso(e->prices_start_ms, ts, sizeof ts));
		cJSON_AddNumberToObject(p, "slotS", e->prices_slot_s);
		cJSON_AddNumberToObject(p, "count", e->prices_n);
		/* the list as the station plans with it, per slot (what a provider's feed gave, converted) */
		cJSON *ia = cJSON_AddArrayToObject(p, "importPrice"),
		      *ea = cJSON_AddArrayToObject(p, "exportPrice");
		for (int i = 0; i < e->prices_n; i++) {
			double imp, exp;
			energy_price_of(e, e->prices_start_ms + (int64_t)i * e->prices_slot_s * 1000, &imp,
					&exp);
			cJSON_AddItemToArray(ia, cJSON_CreateNumber(round(imp * 1e6) / 1e6));
			cJSON_AddItemToArray(ea, cJSON_CreateNumber(round(exp * 1e6) / 1e6));
		}
	} else
		cJSON_AddNullToObject(o, "prices");
	cJSON_AddItemToObject(o, "forecast", forecast_json(e));
	cJSON_AddItemToObject(o, "outlook", outlook_json(e));
	if (e->feeds)
		cJSON_AddItemToObject(o, "feeds", cJSON_Duplicate(e->feeds, 1));
	return o;
}

int energy_running(struct energy *e, struct err_info *er)
{
	return e ? 0 : err_set(er, ERR_UNAVAILABLE, "the station is not running");
}

cJSON *energy_status_json(struct energy *e)
{
	if (!e)
		return NULL;
	energy_take_reading(e);
	return status_json(e);
}

cJSON *energy_live_json(struct energy *e)
{
	if (!e)
		return NULL;
	energy_take_reading(e);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "mode", station_mode_name(e->cfg.mode));
	cJSON_AddItemToObject(o, "live", live_json(e));
	cJSON_AddItemToObject(o, "source", energy_source_json(e));
	return o;
}

cJSON *energy_step_json(struct energy *e)
{
	if (!e)
		return NULL;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "outputs", outputs_json(e));
	cJSON *live = station_json_from_output(&e->eff, &e->in, &e->out);
	cJSON_AddItemToObject(o, "live", live ? live : cJSON_CreateNull());
	return o;
}

cJSON *energy_prices_json(struct energy *e)
{
	char ts[40];
	if (!e || !e->prices_n)
		return NULL;
	int64_t start = e->prices_start_ms;
	int slot = e->prices_slot_s, n = e->prices_n;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "start", time_format_iso(start, ts, sizeof ts));
	cJSON_AddNumberToObject(o, "slotS", slot);
	cJSON_AddNumberToObject(o, "count", n);
	cJSON_AddStringToObject(o, "end", time_format_iso(start + (int64_t)n * slot * 1000, ts, sizeof ts));
	return o;
}
