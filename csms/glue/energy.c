/* energy.c: a station in the daemon (the default site's, or another
 * site's: energy_sites.c). Each tick builds the station input from the
 * data source (a simulated house, a Modbus inverter, or readings pushed
 * through the API) and its site's chargers' OCPP state, runs
 * station_step() and hands the outputs on: the battery setpoint to the
 * source, the EV targets to control.c (energy_ev_target), controlled
 * loads to coils or the API. Settings changed through the API are kept in
 * the store (meta "station") and win over the station_settings file at
 * the next start. The API's routes (api/api_station.c) only carry JSON to
 * and from here; what they read is energy_json.c's. */
#include "energy.h"
#include "energy_internal.h"
#include "charger.h"
#include "alarms.h"
#include "control.h"
#include "csms.h"
#include "errkind.h"
#include "fleet.h"
#include "history.h"
#include "log.h"
#include "server.h"
#include "session.h"
#include "store.h"
#include "timeutil.h"

#include "station.h"
#include "station_json.h"
#include "station_source.h"
#include "station_time.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OFFGRID_UNSERVED_MIN_W 1.0 /* unserved power below this is rounding, not an overload */

/* ---- clocks ---- */

/* The simulated house runs station_speed times real time. */
static int64_t house_clock(const struct energy *e)
{
	const struct csms *app = e->app;
	return e->sim_t0 + (int64_t)((double)(app->now_ms - e->sim_real0) * app->cfg.station_speed);
}

/* The station's clock: the simulated house's when it is the source. */
int64_t energy_station_clock(const struct energy *e)
{
	return e->kind == STATION_SRC_SIM ? house_clock(e) : e->app->now_ms;
}

static void wake(void *ctx)
{
	server_wake(((struct csms *)ctx)->server);
}

/* ---- chargers: the effective charger list and their inputs ---- */

static int find_eff(const struct energy *e, const char *id)
{
	for (int i = 0; i < e->eff.n_chargers; i++)
		if (!strcmp(e->eff.chargers[i].id, id))
			return i;
	return -1;
}

static const struct charger *find_charger(struct csms *app, const char *id)
{
	for (const struct charger *c = charger_first(app->chargers); c; c = c->next)
		if (!strcmp(c->id, id))
			return c;
	return NULL;
}

/* ---- a charger's mode, phases and maximum current: its own settings ----
 * They live in ONE place, the charger's settings (PUT /api/v1/chargers/{id}):
 * a charger exists before the station lists it, DLM reads its phases and
 * maximum there, and it is where an installer sets up a wallbox. An entry
 * of the station's chargers[] is a view of them (plus the station's own
 * per-charger parameters: autoPhaseSwitch, delays, batteryToEv); a PUT of
 * /api/v1/station that sets them writes the charger's settings. */

/* A charger's settings as its station entry shows them (the station's
 * bounds: 6..80 A). */
static void entry_from_settings(const struct csms *app, const struct charger_settings *s,
				station_charger_cfg *cc)
{
	station_ev_mode m;
	if (station_ev_mode_parse(s->charging_mode, &m) == 0)
		cc->mode = m;
	cc->phases = s->phases == 1 ? 1 : 3;
	double max = s->max_current_a > 0 ? s->max_current_a : app->cfg.dlm_default_max_a;
	cc->max_current_a = max < 6 ? 6 : max > 80 ? 80 : max;
}

/* The charger an entry names, when it is known (in memory or the store). */
static struct charger *known_charger(struct csms *app, const char *id)
{
	struct charger *ch = id[0] ? charger_find(app->chargers, app->store, id) : NULL;
	return ch && ch->reg != REG_UNKNOWN ? ch : NULL;
}

/* Every entry of c that names a known charger takes its settings. */
void energy_derive_entries(struct csms *app, station_config *c)
{
	for (int i = 0; i < c->n_chargers; i++) {
		const struct charger *ch = known_charger(app, c->chargers[i].id);
		if (ch)
			entry_from_settings(app, &ch->settings, &c->chargers[i]);
	}
}

/* eff = the settings' chargers (with their own settings), then every
 * accepted connected charger not listed there. The station state is per
 * list position: entries that moved keep their state, new ones start fresh. */
/* A charger not listed in the settings, in a charging mode: an entry of
 * its own (as the charger's settings say), unless the list is full. */
static void add_entry(struct energy *e, const struct charger *c, const char *id)
{
	struct csms *app = e->app;
	station_ev_mode m;
	if (e->eff.n_chargers >= STATION_MAX_CHARGERS || !c || c->reg != REG_ACCEPTED ||
	    strcmp(c->settings.site, e->site) || find_eff(e, id) >= 0 ||
	    station_ev_mode_parse(c->settings.charging_mode, &m))
		return;
	int i = e->eff.n_chargers++;
	station_charger_cfg *cc = &e->eff.chargers[i];
	*cc = e->charger_default;
	snprintf(cc->id, sizeof cc->id, "%s", id);
	entry_from_settings(app, &c->settings, cc);
	e->from_charger[i] = 1;
}

static void remote_entry(void *arg, const char *id, int plugged, double power_w)
{
	struct energy *e = arg;
	(void)plugged;
	(void)power_w;
	add_entry(e, known_charger(e->app, id), id);
}

static void build_effective(struct energy *e)
{
	struct csms *app = e->app;
	station_charger_state old_st[STATION_MAX_CHARGERS];
	char old_id[STATION_MAX_CHARGERS][49];
	int old_n = e->eff.n_chargers;
	for (int i = 0; i < old_n; i++) {
		old_st[i] = e->st->ev[i];
		memcpy(old_id[i], e->eff.chargers[i].id, sizeof old_id[i]);
	}
	e->eff = e->cfg;
	/* Inside csmsd the breaker is DLM's job, with the grid meter's real
	 * currents; the station's own clamp works on modelled loads and would
	 * cut the cars a second time. */
	e->eff.breaker_a = 0;
	energy_derive_entries(app, &e->eff);
	memset(e->from_charger, 0, sizeof e->from_charger);
	for (const struct charger *c = charger_first(app->chargers); c; c = c->next)
		if (c->session)
			add_entry(e, c, c->id);
	/* the site's chargers other nodes hold, on the node that runs its
	 * loop (their settings: the store's, or what this node has) */
	control_remote_each(app, e->site, remote_entry, e);
	for (int i = 0; i < e->eff.n_chargers; i++) {
		int j;
		for (j = 0; j < old_n; j++)
			if (!strcmp(old_id[j], e->eff.chargers[i].id))
				break;
		if (j < old_n) {
			e->st->ev[i] = old_st[j];
		} else {
			memset(&e->st->ev[i], 0, sizeof e->st->ev[i]);
			e->st->ev[i].phases = e->eff.chargers[i].phases;
			e->st->ev[i].above_since_ms = e->st->ev[i].below_since_ms =
				e->st->ev[i].switch_since_ms = -1;
		}
	}
}

/* The station switches a charger between 1 and 3 phases only where the
 * charger is known to follow the switch (charger_can_switch_phases: its
 * phaseSwitching setting, and no switch seen ignored); a charger wired on
 * one phase is planned on one. */
static void phase_switch_gate(struct energy *e)
{
	struct csms *app = e->app;
	for (int i = 0; i < e->eff.n_chargers; i++) {
		station_charger_cfg *cc = &e->eff.chargers[i];
		const struct charger *c = charger_find(app->chargers, app->store, cc->id);
		if (!c || !charger_can_switch_phases(c))
			cc->auto_phase_switch = false;
		if (c && charger_phases(c) == 1)
			cc->phases = 1;
	}
}

static int car_plugged(const struct charger *c)
{
	static const char *const wanting[] = { "Preparing", "Charging", "SuspendedEV", "SuspendedEVSE" };
	for (int k = 1; k < CHARGER_MAX_CONN; k++) {
		if (charger_conn_get(c, k)->tx_id)
			return 1;
		for (size_t w = 0; w < sizeof wanting / sizeof wanting[0]; w++)
			if (!strcmp(charger_conn_get(c, k)->status, wanting[w]))
				return 1;
	}
	return 0;
}

/* Fills in->ev[] from the chargers; returns the EV power they report. */
struct remote_ev {
	struct energy *e;
	station_input *in;
	double total_w;
};

static void remote_input(void *arg, const char *id, int plugged, double power_w)
{
	struct remote_ev *r = arg;
	int i = find_eff(r->e, id);
	if (i < 0)
		return;
	r->in->ev[i].connected = plugged;
	r->total_w += power_w;
}

static double ev_inputs(struct energy *e, station_input *in)
{
	struct csms *app = e->app;
	double total = 0;
	for (const struct charger *c = charger_first(app->chargers); c; c = c->next)
		for (int k = 1; c->session && !strcmp(c->settings.site, e->site) && k < CHARGER_MAX_CONN; k++)
			if (charger_conn_get(c, k)->live.ts_ms &&
			    isfinite(charger_conn_get(c, k)->live.power_w) &&
			    charger_conn_get(c, k)->live.power_w > 0)
				total += charger_conn_get(c, k)->live.power_w;
	for (int i = 0; i < e->eff.n_chargers; i++) {
		const struct charger *c = find_charger(app, e->eff.chargers[i].id);
		in->ev[i].connected = c && c->session && car_plugged(c);
		in->ev[i].demand_w = 0;
	}
	/* chargers other nodes hold (the lead of several nodes): as they report */
	struct remote_ev r = { e, in, 0 };
	control_remote_each(app, e->site, remote_input, &r);
	total += r.total_w;
	return total;
}

/* ---- the step ---- */

void energy_take_reading(struct energy *e)
{
	station_src_reading r;
	uint64_t seq;
	if (e->src && station_source_latest(e->src, &r, &e->health, &seq) == 0 && seq != e->seq) {
		e->seq = seq;
		e->rd = r;
		e->have_rd = 1;
	}
}

static double finite_or(double v, double d)
{
	return isfinite(v) ? v : d;
}

static void apply_outputs(struct energy *e)
{
	if (e->kind != STATION_SRC_MODBUS || !e->src)
		return; /* sim applies the setpoint at the next advance; api clients read GET or the PUT answer */
	station_src_command cmd;
	memset(&cmd, 0, sizeof cmd);
	cmd.bat_w = e->out.bat_w;
	/* an ESS-style inverter follows a grid setpoint: the grid power the station expects */
	cmd.grid_w = e->out.grid_w;
	cmd.grid_valid = e->out.grid_valid;
	cmd.pv_limit_w = e->out.pv_limit_w;
	for (int i = 0; i < STATION_MAX_SMART_LOADS; i++)
		cmd.load_on[i] = e->out.smart_load_on[i];
	cmd.heat_pump_on = e->out.heat_pump_on;
	cmd.generator_on = e->out.gen_on;
	station_source_command(e->src, &cmd);
}

/* ---- simulated outages (station_sim_outages) ---- */

/* "START/DURATION" items separated by commas or white space. */
static int outages_parse(const char *spec, int64_t (*o)[2], int *n, char *err, size_t errlen)
{
	char buf[1024], *save = NULL;
	*n = 0;
	if (!spec || !spec[0])
		return 0;
	if (strlen(spec) >= sizeof buf) {
		snprintf(err, errlen, "station_sim_outages: longer than %zu characters", sizeof buf - 1);
		return -1;
	}
	strcpy(buf, spec);
	for (char *it = strtok_r(buf, ", \t", &save); it; it = strtok_r(NULL, ", \t", &save)) {
		int64_t start, end;
		if (station_interval_parse(it, &start, &end)) {
			snprintf(err, errlen,
				 "station_sim_outages: '%s' is not START/DURATION or START/END (e.g. "
				 "2026-06-21T18:00:00Z/PT2H)",
				 it);
			return -1;
		}
		if (*n == ENERGY_MAX_OUTAGES) {
			snprintf(err, errlen, "station_sim_outages: more than %d outages",
				 ENERGY_MAX_OUTAGES);
			return -1;
		}
		o[*n][0] = start;
		o[*n][1] = end;
		(*n)++;
	}
	return 0;
}

static int outage_at(const struct energy *e, int64_t t)
{
	for (int i = 0; i < e->n_outages; i++)
		if (t >= e->outages[i][0] && t < e->outages[i][1])
			return 1;
	return 0;
}

/* The one simulated house at its time t, advanced with the station's
 * battery setpoint when the station runs on it (else the battery idles),
 * measured with every charger's draw per phase from its MeterValues (the
 * same draws whichever side asks). r: the station's view; grid_a (may be
 * NULL) the grid meter's; pv_used_w (may be NULL) the PV the inverter
 * delivers. */
static void house_measure(struct energy *e, int64_t t, station_src_reading *r, double grid_a[3],
			  double *pv_used_w)
{
	struct csms *app = e->app;
	const int own = e->kind == STATION_SRC_SIM && e->have_out;
	double ev_a[3], pv_limit = own ? e->out.pv_limit_w : -1;
	/* the default site's house (control_ev_draw_a: its chargers' draw) */
	control_ev_draw_a(app, ev_a);
	station_house_advance(&e->house, t, own && !e->stale ? e->out.bat_w : 0);
	e->house.off_grid = outage_at(e, t);
	station_house_measure_phases(&e->house, pv_limit, ev_a, own ? e->out.loads_w : 0, STATION_HOUSE_V, r,
				     grid_a);
	if (pv_used_w)
		*pv_used_w = pv_limit >= 0 && pv_limit < r->pv_w ? pv_limit : r->pv_w;
}

int energy_house_grid(struct csms *app, double grid_a[3], double gen_a[3])
{
	struct energy *e = app->energy;
	if (!e)
		return -1;
	station_src_reading r;
	double pv;
	house_measure(e, house_clock(e), &r, grid_a, &pv);
	/* a three-phase inverter: a third of PV and of the battery's discharge on each phase */
	for (int p = 0; p < 3; p++)
		gen_a[p] = (pv + fmax(0, -r.bat_w)) / 3 / STATION_HOUSE_V;
	return 0;
}

double energy_generation_w(const struct energy *e)
{
	if (!e)
		return 0;
	const struct csms *app = e->app;
	/* unknown: DLM trusts no negative house current. A simulated house's
	 * PV explains only the simulated grid (energy_house_grid), not a
	 * real meter's reading. */
	if (e->kind == STATION_SRC_SIM || !e->have_rd || !e->have_out || e->stale)
		return 0;
	const station_src_reading *r = &e->rd;
	if (e->kind != STATION_SRC_SIM &&
	    (double)(app->now_ms - r->ts_ms) / 1000.0 > app->cfg.station_stale_s)
		return 0;
	double pv = fmax(0, finite_or(r->pv_w, 0)) + fmax(0, finite_or(r->pv3_w, 0));
	return pv + fmax(0, -finite_or(r->bat_w, 0)) + (e->out.gen_on ? fmax(0, e->out.gen_w) : 0);
}

static void energy_alarms(struct energy *e);
/* The learned forecast over a restart (below, with the API). */
static void forecast_load(struct energy *e);
void energy_forecast_save(struct energy *e, int force);
static void reload_kept(struct energy *e);

int energy_grid_state(struct csms *app, int *on_grid, double *unserved_w)
{
	struct energy *e = app->energy;
	if (!e || !e->have_out)
		return -1;
	*on_grid = e->in.on_grid;
	*unserved_w = e->stale ? 0 : e->out.unserved_w;
	return 0;
}

void energy_step(struct energy *e)
{
	struct csms *app = e->app;
	int64_t t = energy_station_clock(e);
	build_effective(e);
	phase_switch_gate(e);
	station_input *in = &e->in;
	memset(in, 0, sizeof *in);
	double ev_w = ev_inputs(e, in);
	if (e->kind == STATION_SRC_SIM) {
		house_measure(e, t, &e->rd, NULL, NULL);
		e->rd.ts_ms = app->now_ms;
		e->have_rd = 1;
	} else if (e->kind == STATION_SRC_MODBUS) {
		energy_take_reading(e);
	}
	const station_src_reading *r = &e->rd;
	/* the simulated house is measured at every step: its age does not count */
	station_meas m = { .present = e->have_rd,
			   .timed = e->kind != STATION_SRC_SIM,
			   .age_ms = app->now_ms - r->ts_ms,
			   .stale_s = app->cfg.station_stale_s,
			   .soc_pct = r->soc_pct };
	in->pv_w = fmax(0, finite_or(r->pv_w, 0));
	in->pv3_w = fmax(0, finite_or(r->pv3_w, 0));
	in->soc_pct = finite_or(r->soc_pct, 0);
	in->bat_w = finite_or(r->bat_w, 0);
	in->grid_w = finite_or(r->grid_w, 0);
	in->ev_w = ev_w;
	/* the grid state the source measures (sim: its outages; modbus: the
	 * map's grid_state, on grid without one or before a reading); api:
	 * what was pushed */
	in->on_grid = e->kind == STATION_SRC_API ? e->on_grid : !e->have_rd || r->on_grid != 0;
	if (e->steps && in->on_grid != e->last_on_grid)
		LOGW("station", "%s%s%s%s", ESITE(e),
		     in->on_grid ? "grid back: on grid" : "grid lost: off grid");
	e->last_on_grid = in->on_grid;
	double loads = e->st->last_loads_w, gen = e->st->last_gen_w;
	if (isfinite(r->load_w)) {
		in->load_w = r->load_w;
		if (e->kind == STATION_SRC_MODBUS && e->map_gross)
			in->load_w -= ev_w + loads;
	} else {
		/* the house load from the balance at the grid point */
		in->load_w = in->grid_w + in->pv_w + in->pv3_w + gen - in->bat_w - ev_w - loads;
	}
	in->load_w = fmax(0, in->load_w);
	e->stale = station_step_checked(&e->eff, e->st, in, &m, t, &e->out);
	e->have_out = 1;
	e->clock_ms = t;
	e->steps++;
	apply_outputs(e);
	energy_alarms(e);
	if (e->is_default) /* the history is the default site's house */
		history_station_step(app, t, &e->eff, e->st, in, &e->rd, &e->out, e->stale);
	if (e->fc_started)
		energy_forecast_save(e, 0);
}

/* The station's site alarms after a step, each raised and cleared with
 * one log line (alarms_site_watch): the source stale (the step ran on
 * safe outputs; one that never delivered counts from the start), the
 * remote EMS fallen back, the measured grid import above the maximum peak
 * power, load unserved off-grid. */
static void energy_alarms(struct energy *e)
{
	struct csms *app = e->app;
	const station_input *in = &e->in;
	const station_output *out = &e->out;
	char info[200];
	int stale = e->stale && e->kind != STATION_SRC_SIM &&
		(e->have_rd || app->now_ms - e->started_ms > (int64_t)(app->cfg.station_stale_s * 1000));
	snprintf(info, sizeof info, "station source %s: %s: the station runs on safe outputs",
		 station_src_kind_str(e->kind), e->stale ? e->stale : "");
	alarms_site_watch(app, &e->alarm[EA_SOURCE], "station", stale ? ALARM_CODE_SOURCE_STALE : NULL, info);
	snprintf(info, sizeof info, "no remote EMS setpoint for more than %d s: running %s",
		 e->eff.remote_ems_timeout_s, station_mode_name(out->active));
	alarms_site_watch(app, &e->alarm[EA_EMS], "station",
			  out->ems_fallback ? ALARM_CODE_EMS_FALLBACK : NULL, info);
	double grid = e->have_rd ? e->rd.grid_w : NAN;
	int peak =
		!e->stale && e->eff.max_peak_power_w > 0 && isfinite(grid) && grid > e->eff.max_peak_power_w;
	snprintf(info, sizeof info, "grid import %.0f W above the maximum peak power %.0f W", grid,
		 e->eff.max_peak_power_w);
	alarms_site_watch(app, &e->alarm[EA_PEAK], "station", peak ? ALARM_CODE_PEAK_EXCEEDED : NULL, info);
	int over = !in->on_grid && out->unserved_w >= OFFGRID_UNSERVED_MIN_W;
	snprintf(info, sizeof info, "off-grid: %.0f W of load cannot be served by battery, PV and generator",
		 out->unserved_w);
	alarms_site_watch(app, &e->alarm[EA_OFFGRID], "station", over ? ALARM_CODE_OFFGRID_OVERLOAD : NULL,
			  info);
}

void energy_tick(struct csms *app)
{
	if (!app->energy)
		return;
	/* Several nodes: what another node changed (settings, a site's
	 * station), every 5 s; a station whose loop this node takes over reads
	 * what was kept at once (energy_lead) */
	if (app->fleet && app->now_ms - app->energy->synced_ms >= SITES_SYNC_MS)
		energy_sync_sites(app);
	for (struct energy *e = app->energy; e; e = e->next) {
		if (app->now_ms < e->next_tick_ms)
			continue;
		e->next_tick_ms = app->now_ms + app->cfg.station_tick_ms;
		/* Several nodes: only the one that runs the site's control loop
		 * drives its source and steps it (battery setpoint, loads); see
		 * control.c */
		if (energy_lead(e))
			energy_step(e);
	}
}

int energy_lead(struct energy *e)
{
	if (!e)
		return 0;
	int lead = fleet_control_site(e->app, e->site);
	if (lead == e->lead)
		return lead;
	/* Taking a site's loop over: it runs what was last kept (settings,
	 * prices, what was learned), not what this node read before; letting
	 * it go: the source is the new node's to drive. */
	char err[256];
	e->lead = lead;
	if (lead) {
		energy_reread_settings(e);
		reload_kept(e);
	}
	if (energy_source_run(e, lead, err, sizeof err))
		LOGE("station", "%s%s%s%s", ESITE(e), err);
	return lead;
}

void energy_reread_settings(struct energy *e)
{
	char *set = NULL;
	if (energy_meta_read(e->app, e->meta_settings, &set) == 0 && set &&
	    energy_text_hash(set) != e->kept_hash) {
		e->kept_hash = energy_text_hash(set);
		if (set[0])
			energy_apply_kept(e, set);
		station_plan_invalidate(e->st);
		LOGI("station", "%s%s%ssettings read again (changed by another node)", ESITE(e));
	}
	free(set);
}

void energy_wake(struct csms *app)
{
	for (struct energy *e = app->energy; e; e = e->next)
		if (e->src)
			energy_take_reading(e);
}

int energy_ev_target(const struct energy *e, const char *charger_id, double *target_a, int *phases)
{
	*target_a = -1;
	if (!e || !e->have_out || !charger_id)
		return -1;
	int i = find_eff(e, charger_id);
	if (i < 0 || (e->stale && e->eff.chargers[i].mode == STATION_EV_FAST))
		return -1;
	*target_a = e->out.ev[i].target_a;
	if (phases)
		*phases = e->out.ev[i].phases == 1 ? 1 : 3;
	return 0;
}

int energy_price_at(struct csms *app, int64_t ms, double *import_price, double *export_price)
{
	return energy_price_of(app->energy, ms, import_price, export_price);
}

int energy_price_of(const struct energy *e, int64_t ms, double *import_price, double *export_price)
{
	if (!e)
		return -1;
	int64_t s = ms / 1000;
	int64_t slot = s / STATION_SLOT_S - (s % STATION_SLOT_S < 0);
	station_price_slot(&e->cfg, e->st, slot, import_price, export_price);
	return 0;
}

/* ---- settings and prices kept over a restart ---- */

static char *read_text_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	if (!f) {
		snprintf(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) || ftell(f) < 0 || ftell(f) > META_MAX) {
		snprintf(err, errlen, "not a readable file of at most %d bytes", META_MAX);
		goto out;
	}
	long n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		snprintf(err, errlen, "read error");
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = 0;
out:
	fclose(f);
	return buf;
}

/* The kept text of a meta key (malloc'd) or NULL when absent. */
char *energy_meta_text(struct csms *app, const char *key)
{
	char *t = NULL;
	energy_meta_read(app, key, &t);
	return t;
}

int energy_meta_read(struct csms *app, const char *key, char **out)
{
	char *buf = malloc(META_MAX);
	*out = NULL;
	if (!buf)
		return -1;
	int rc = store_meta_get(app->store, key, buf, META_MAX);
	if (rc) {
		free(buf);
		return rc < 0 ? -1 : 0;
	}
	*out = buf;
	return 0;
}

/* A price list body: {"start": ISO, "slotS": 900|3600, "importPrice": [..],
 * "exportPrice": [..] (optional: the tariff's export price)}. On success
 * the list is in force and *n, *start, *slot_s describe it; else err
 * names the field. */
static int prices_apply(struct energy *e, const cJSON *b, int *n_out, int64_t *start_out, int *slot_out,
			char *err, size_t errlen)
{
	double imp[STATION_PRICE_MAX_SLOTS], exp[STATION_PRICE_MAX_SLOTS];
	const cJSON *v;
	int64_t start;
	if (!cJSON_IsObject(b)) {
		snprintf(err, errlen, "body: a JSON object");
		return -1;
	}
	cJSON_ArrayForEach(v, b)
	{
		static const char *const known[] = { "start", "slotS", "importPrice", "exportPrice" };
		size_t k;
		for (k = 0; k < sizeof known / sizeof known[0]; k++)
			if (!strcmp(known[k], v->string))
				break;
		if (k == sizeof known / sizeof known[0]) {
			snprintf(err, errlen, "%s: unknown field (start, slotS, importPrice, exportPrice)",
				 v->string);
			return -1;
		}
	}
	v = cJSON_GetObjectItemCaseSensitive(b, "start");
	if (!cJSON_IsString(v) || time_parse_iso(v->valuestring, &start)) {
		snprintf(err, errlen, "start: an ISO 8601 UTC time");
		return -1;
	}
	v = cJSON_GetObjectItemCaseSensitive(b, "slotS");
	int slot = 3600;
	if (v && (!cJSON_IsNumber(v) || (v->valuedouble != 900 && v->valuedouble != 3600))) {
		snprintf(err, errlen, "slotS: 900 (15 minutes) or 3600 (hourly)");
		return -1;
	}
	if (v)
		slot = (int)v->valuedouble;
	if (start % (1000LL * slot)) {
		snprintf(err, errlen, "start: must be on a %s boundary",
			 slot == 900 ? "15-minute" : "full hour");
		return -1;
	}
	int max = STATION_PRICE_MAX_SLOTS / (slot / STATION_SLOT_S);
	const cJSON *ia = cJSON_GetObjectItemCaseSensitive(b, "importPrice");
	const cJSON *ea = cJSON_GetObjectItemCaseSensitive(b, "exportPrice");
	int n = cJSON_GetArraySize(ia);
	if (!cJSON_IsArray(ia) || n < 1 || n > max) {
		snprintf(err, errlen, "importPrice: an array of 1 to %d prices per kWh", max);
		return -1;
	}
	if (ea && (!cJSON_IsArray(ea) || cJSON_GetArraySize(ea) != n)) {
		snprintf(err, errlen, "exportPrice: an array as long as importPrice");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const cJSON *x = cJSON_GetArrayItem(ia, i), *y = ea ? cJSON_GetArrayItem(ea, i) : NULL;
		if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble) || fabs(x->valuedouble) > 100) {
			snprintf(err, errlen, "importPrice[%d]: a number within +-100 per kWh", i);
			return -1;
		}
		if (y && (!cJSON_IsNumber(y) || !isfinite(y->valuedouble) || fabs(y->valuedouble) > 100)) {
			snprintf(err, errlen, "exportPrice[%d]: a number within +-100 per kWh", i);
			return -1;
		}
		imp[i] = x->valuedouble;
		exp[i] = y ? y->valuedouble : e->cfg.export_price;
	}
	if (station_prices_set(e->st, start, slot, n, imp, exp)) {
		snprintf(err, errlen, "importPrice: the list does not fit");
		return -1;
	}
	station_plan_invalidate(e->st); /* in force at once: the optimiser plans on it now */
	e->prices_start_ms = start;
	e->prices_slot_s = slot;
	e->prices_n = n;
	*n_out = n;
	*start_out = start;
	*slot_out = slot;
	return 0;
}

/* ---- lifecycle ---- */

/* The simulated clock's start: station_sim_start, empty = now_ms. */
static int sim_start(const struct csms_config *c, int64_t now_ms, int64_t *t0, char *err, size_t errlen)
{
	*t0 = now_ms;
	if (c->station_sim_start[0] && time_parse_iso(c->station_sim_start, t0)) {
		snprintf(err, errlen, "station_sim_start: '%s' is not an ISO 8601 UTC time",
			 c->station_sim_start);
		return -1;
	}
	return 0;
}

/* The Modbus driver's options from the settings, checked as
 * station_source_start() checks them; err names the config key. */
static int source_opts(const struct csms_config *c, station_src_opts *o, char *err, size_t errlen)
{
	char e2[256];
	station_source_opts_defaults(o);
	if (station_source_map_resolve(c->station_map, &o->map, e2, sizeof e2)) {
		snprintf(err, errlen, "station_map: %s", e2);
		return -1;
	}
	if (strlen(c->station_modbus_host) >= sizeof o->host) {
		snprintf(err, errlen, "station_modbus_host: too long");
		return -1;
	}
	if (!c->station_modbus_host[0]) {
		snprintf(err, errlen, "station_modbus_host: must be set");
		return -1;
	}
	snprintf(o->host, sizeof o->host, "%s", c->station_modbus_host);
	o->port = c->station_modbus_port;
	o->unit = c->station_modbus_unit;
	o->poll_ms = c->station_poll_ms;
	if (o->timeout_ms > c->station_poll_ms * 2)
		o->timeout_ms = c->station_poll_ms * 2;
	if (station_source_check(o, e2, sizeof e2)) {
		snprintf(err, errlen, "station_source modbus: %s", e2);
		return -1;
	}
	return 0;
}

/* The station_settings file (if set) over *sc. */
static int settings_file(const char *file, station_config *sc, char *err, size_t errlen)
{
	char e2[256];
	bool confirm;
	if (!file || !file[0])
		return 0;
	char *text = read_text_file(file, e2, sizeof e2);
	if (!text) {
		snprintf(err, errlen, "station_settings: %s: %s", file, e2);
		return -1;
	}
	int rc = station_json_parse(text, sc, &confirm, e2, sizeof e2);
	free(text);
	if (rc) {
		snprintf(err, errlen, "station_settings: %s: %s", file, e2);
		return -1;
	}
	return 0;
}

int energy_check_config(const struct csms_config *c, char *err, size_t errlen)
{
	const station_src_kind kind = station_src_kinds[c->station_source].kind;
	int64_t t0;
	station_src_opts o;
	if (sim_start(c, 0, &t0, err, errlen)) /* the house runs for the DLM sensor sim too */
		return -1;
	int64_t outages[ENERGY_MAX_OUTAGES][2];
	int n_outages;
	if (outages_parse(c->station_sim_outages, outages, &n_outages, err, errlen))
		return -1;
	if (kind == STATION_SRC_MODBUS && source_opts(c, &o, err, errlen))
		return -1;
	station_config *sc = malloc(sizeof *sc);
	if (!sc) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	station_config_defaults(sc);
	int rc = settings_file(c->station_settings, sc, err, errlen);
	free(sc);
	return rc;
}

/* What the source needs before it runs (energy_source_run starts a Modbus
 * driver where the site's loop runs): the default site's simulated house,
 * also the DLM sensor sim's whatever the source, and the map's name and
 * whether its load includes EVs. */
static int source_prepare(struct energy *e, char *err, size_t errlen)
{
	struct csms *app = e->app;
	const struct csms_config *c = &app->cfg;
	if (e->is_default) {
		/* the simulated house, also for the DLM sensor sim with another source */
		int64_t t0;
		if (sim_start(c, app->now_ms, &t0, err, errlen))
			return -1;
		e->sim_real0 = app->now_ms;
		e->sim_t0 = t0;
		if (outages_parse(c->station_sim_outages, e->outages, &e->n_outages, err, errlen))
			return -1;
		station_house_init(&e->house, &e->cfg, c->station_sim_pv_w, (uint32_t)c->station_sim_seed,
				   t0);
	}
	e->map_gross = e->opts.map.load_gross;
	snprintf(e->map_name, sizeof e->map_name, "%s", e->opts.map.name);
	return 0;
}

/* The Modbus driver runs only on the node that runs the site's loop (one
 * node drives an inverter, and single-client devices take one
 * connection): started there, stopped when the loop goes elsewhere. */
int energy_source_run(struct energy *e, int run, char *err, size_t errlen)
{
	if (e->kind != STATION_SRC_MODBUS || !run == !e->src)
		return 0;
	if (!run) {
		station_source_stop(e->src); /* waits at most about one response timeout */
		e->src = NULL;
		e->have_rd = 0;
		e->seq = 0;
		return 0;
	}
	station_src_opts o = e->opts;
	char e2[256];
	o.wake = wake;
	o.ctx = e->app;
	if (station_source_start(&e->src, &o, e2, sizeof e2)) {
		snprintf(err, errlen, "%s modbus: %s", e->is_default ? "station_source" : "source", e2);
		return -1;
	}
	return 0;
}

/* The price list and the learned forecast as kept: a node that takes over
 * a site's loop plans with what the last one kept, not what it read at
 * its own start. */
static void reload_kept(struct energy *e)
{
	char e2[160];
	char *prices = NULL;
	if (energy_meta_read(e->app, e->meta_prices, &prices) == 0 && prices && prices[0]) {
		cJSON *j = cJSON_Parse(prices);
		int n, slot;
		int64_t start;
		if (!j || prices_apply(e, j, &n, &start, &slot, e2, sizeof e2))
			LOGW("station", "%s%s%skept price list ignored: %s", ESITE(e), j ? e2 : "not JSON");
		cJSON_Delete(j);
	}
	free(prices);
	forecast_load(e);
}

/* A new station for site (its source's kind and options given), with the
 * defaults: not started, not on any list. NULL when out of memory. */
struct energy *energy_new(struct csms *app, const char *site, station_src_kind kind,
			  const station_src_opts *opts, const char *map_spec)
{
	struct energy *e = calloc(1, sizeof *e);
	char e2[256];
	bool confirm;
	if (e)
		e->st = calloc(1, sizeof *e->st);
	if (!e || !e->st) {
		free(e);
		return NULL;
	}
	e->app = app;
	snprintf(e->site, sizeof e->site, "%s", site);
	e->is_default = !strcmp(site, STORE_SITE_DEFAULT);
	const char *at = e->is_default ? "" : "@";
	const char *s = e->is_default ? "" : site;
	snprintf(e->meta_settings, sizeof e->meta_settings, "%s%s%s", META_SETTINGS, at, s);
	snprintf(e->meta_prices, sizeof e->meta_prices, "%s%s%s", META_PRICES, at, s);
	snprintf(e->meta_forecast, sizeof e->meta_forecast, "%s%s%s", META_FORECAST, at, s);
	snprintf(e->meta_source, sizeof e->meta_source, "%s%s%s", META_SOURCE, at, s);
	e->kind = kind;
	if (opts)
		e->opts = *opts;
	snprintf(e->map_spec, sizeof e->map_spec, "%s", map_spec ? map_spec : "");
	e->on_grid = e->last_on_grid = 1;
	e->started_ms = time_now_ms();
	static const char *const srcs[ENERGY_ALARMS] = { [EA_SOURCE] = ALARM_SRC_SOURCE,
							 [EA_EMS] = ALARM_SRC_EMS,
							 [EA_PEAK] = ALARM_SRC_PEAK,
							 [EA_OFFGRID] = ALARM_SRC_OFFGRID };
	for (int i = 0; i < ENERGY_ALARMS; i++) {
		/* another site's alarms: "stationSource@garage", as DLM's "gridSensor@garage" */
		snprintf(e->alarm_src[i], sizeof e->alarm_src[i], "%s%s%s", srcs[i], at, s);
		e->alarm[i] = (struct alarms_watch){ .source = e->alarm_src[i], .shown = -1 };
	}
	station_config_defaults(&e->cfg);
	/* the element defaults of a charger listed with only its id */
	station_config tmp = e->cfg;
	cJSON *j = cJSON_Parse("{\"chargers\":[{\"id\":\"x\"}]}");
	if (j && station_json_apply(j, &tmp, &confirm, e2, sizeof e2) == 0)
		e->charger_default = tmp.chargers[0];
	else
		e->charger_default =
			(station_charger_cfg){ .mode = STATION_EV_FAST, .phases = 3, .max_current_a = 16 };
	cJSON_Delete(j);
	e->file_keys = cJSON_CreateObject();
	return e;
}

void energy_free_one(struct energy *e)
{
	if (!e)
		return;
	if (e->fc_started)
		energy_forecast_save(e, 1); /* committed by the last turn's commit */
	station_source_stop(e->src);
	free(e->file_cfg);
	cJSON_Delete(e->file_keys);
	cJSON_Delete(e->feeds);
	free(e->st);
	free(e);
}

/* 64-bit FNV-1a of the kept settings, to see another node's change. */
uint64_t energy_text_hash(const char *text)
{
	uint64_t h = 1469598103934665603ULL;
	for (const char *t = text ? text : ""; *t; t++)
		h = (h ^ (unsigned char)*t) * 1099511628211ULL;
	return h;
}

/* The kept settings (meta) over the file's (file_cfg, or the defaults):
 * at start, and when another node changed them. */
void energy_apply_kept(struct energy *e, const char *kept)
{
	char e2[256];
	bool confirm;
	station_config *tmp = malloc(sizeof *tmp);
	if (!tmp)
		return;
	*tmp = e->file_cfg ? *e->file_cfg : e->cfg;
	if (station_json_parse(kept, tmp, &confirm, e2, sizeof e2))
		LOGW("station", "%s%s%skept settings ignored: %s", ESITE(e), e2);
	else
		e->cfg = *tmp;
	free(tmp);
}

/* Settings, learned forecast and prices as kept, the source started, a
 * first step: the end of a station's start. 0, or -1 with err. */
int energy_start(struct energy *e, int defer, char *err, size_t errlen)
{
	struct csms *app = e->app;
	if (!e->file_cfg && (e->file_cfg = malloc(sizeof *e->file_cfg)))
		*e->file_cfg = e->cfg; /* what "api" differs from in GET's origin */
	char *kept = energy_meta_text(app, e->meta_settings);
	if (kept && kept[0])
		energy_apply_kept(e, kept);
	e->kept_hash = energy_text_hash(kept);
	free(kept);
	/* A charger's own settings decide its mode, phases and maximum: say
	 * so where the station's list (file or kept) says otherwise. */
	for (int i = 0; i < e->cfg.n_chargers; i++) {
		station_charger_cfg own = e->cfg.chargers[i], *cc = &e->cfg.chargers[i];
		const struct charger *ch = known_charger(app, cc->id);
		if (!ch)
			continue;
		entry_from_settings(app, &ch->settings, &own);
		if (own.mode != cc->mode || own.phases != cc->phases ||
		    fabs(own.max_current_a - cc->max_current_a) > 1e-9)
			LOGW("station",
			     "%s: the station settings say %s, %d phases, %g A; its own settings (%s, %d "
			     "phases, %g A) are used: PUT /api/v1/chargers/%s changes them",
			     cc->id, station_ev_mode_name(cc->mode), cc->phases, cc->max_current_a,
			     station_ev_mode_name(own.mode), own.phases, own.max_current_a, cc->id);
	}
	station_state_init(e->st, &e->cfg);
	e->fc_saved_ms = app->now_ms;
	if (source_prepare(e, err, errlen))
		return -1;
	reload_kept(e);
	/* Several nodes: only the one that runs the site's loop drives the
	 * source and steps (a refused PUT's new station does neither: defer) */
	e->lead = !defer && fleet_control_site(app, e->site);
	if (e->lead && energy_source_run(e, 1, err, errlen))
		return -1;
	if (e->lead)
		energy_step(e); /* outputs from the start: safe ones until a measurement comes */
	e->fc_started = 1;
	e->next_tick_ms = app->now_ms + app->cfg.station_tick_ms;
	LOGI("station", "%s%s%smode %s, source %s%s%s", ESITE(e), station_mode_name(e->cfg.mode),
	     station_src_kind_str(e->kind), e->kind == STATION_SRC_MODBUS ? " " : "",
	     e->kind == STATION_SRC_MODBUS ? e->map_name : "");
	return 0;
}

int energy_init(struct csms *app, char *err, size_t errlen)
{
	const struct csms_config *c = &app->cfg;
	station_src_opts o;
	station_src_kind kind = station_src_kinds[c->station_source].kind;
	station_source_opts_defaults(&o);
	if (kind == STATION_SRC_MODBUS && source_opts(c, &o, err, errlen))
		return -1;
	struct energy *e = energy_new(app, STORE_SITE_DEFAULT, kind, &o, c->station_map);
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	app->energy = e;
	if (settings_file(c->station_settings, &e->cfg, err, errlen))
		goto fail;
	if (c->station_settings[0]) {
		/* the top-level keys the file gives, for the origin of each setting in GET */
		char e2[256];
		char *ftext = read_text_file(c->station_settings, e2, sizeof e2);
		cJSON *fj = ftext ? cJSON_Parse(ftext) : NULL, *k;
		cJSON_ArrayForEach(k, fj) cJSON_AddTrueToObject(e->file_keys, k->string);
		cJSON_Delete(fj);
		free(ftext);
	}
	if (energy_start(e, 0, err, errlen))
		goto fail;
	energy_sync_sites(app); /* the other sites' stations as kept */
	return 0;
fail:
	energy_free(app);
	return -1;
}

void energy_free(struct csms *app)
{
	struct energy *e = app->energy;
	if (!e)
		return;
	while (e->next) {
		struct energy *n = e->next;
		e->next = n->next;
		energy_free_one(n);
	}
	energy_free_one(e);
	app->energy = NULL;
}

/* ---- the learned forecast over a restart (meta "station_forecast") ---- */

static void forecast_load(struct energy *e)
{
	struct csms *app = e->app;
	char *text = energy_meta_text(app, e->meta_forecast);
	if (!text || !text[0]) {
		free(text);
		LOGI("station", "%s%s%sno learned forecast kept: learning from the measurements", ESITE(e));
		return;
	}
	int rc = station_forecast_from_text(&e->st->fc, text);
	free(text);
	if (rc == STATION_EVERSION)
		LOGW("station", "%s%s%skept forecast ignored: another format version (this is %d)", ESITE(e),
		     STATION_FORECAST_VERSION);
	else if (rc)
		LOGW("station", "%s%s%skept forecast ignored: not an intact forecast", ESITE(e));
	else {
		int l, p;
		station_forecast_counts(&e->st->fc, &l, &p);
		e->fc_restored = 1;
		e->fc_saved_n = e->st->fc.load_mean_n;
		LOGI("station", "%s%s%slearned forecast restored: %d load slots, %d PV slots", ESITE(e), l,
		     p);
	}
}

/* Into the store's meta table, committed with the loop turn. force: at the
 * end, whatever the interval. */
void energy_forecast_save(struct energy *e, int force)
{
	struct csms *app = e->app;
	/* what the node that runs the site's loop learned; another node's copy
	 * would overwrite it */
	if (!e->lead || e->st->fc.load_mean_n == e->fc_saved_n ||
	    (!force && app->now_ms - e->fc_saved_ms < FORECAST_SAVE_MS))
		return;
	char text[STATION_FORECAST_TEXT_MAX];
	if (station_forecast_to_text(&e->st->fc, text, sizeof text) ||
	    store_meta_set(app->store, e->meta_forecast, text)) {
		LOGW("station", "%s%s%slearned forecast not kept (store error)", ESITE(e));
		return;
	}
	e->fc_saved_ms = app->now_ms;
	e->fc_saved_n = e->st->fc.load_mean_n;
}

/* One charger whose settings a PUT of the station changes. */
struct charger_write {
	char id[STORE_ID_MAX];
	struct charger_settings s;
	int create; /* not known yet: provisioned as PUT /api/v1/chargers/{id} does */
};

/* The chargers whose mode, phases or maxCurrentA body's chargers[] sets
 * (nc holds the parsed list, same order), with their new settings: an
 * entry for a known charger writes the fields it gives where they differ
 * from what the station shows; one for a charger not known yet provisions
 * it with the entry's values, so that the two views agree from then on. */
static int plan_charger_writes(struct csms *app, const cJSON *body, const station_config *nc,
			       struct charger_write *w, int *nw)
{
	static const char *const fields[] = { "mode", "phases", "maxCurrentA" };
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(body, "chargers"), *el;
	int i = 0;
	*nw = 0;
	cJSON_ArrayForEach(el, arr)
	{
		if (i >= nc->n_chargers)
			break;
		const station_charger_cfg *cc = &nc->chargers[i++];
		const struct charger *ch = known_charger(app, cc->id);
		struct charger_write *x = &w[*nw];
		station_charger_cfg view = *cc;
		int given[3], change = 0;
		if (!cc->id[0])
			continue;
		for (int f = 0; f < 3; f++)
			given[f] = !ch || cJSON_GetObjectItemCaseSensitive(el, fields[f]) != NULL;
		if (ch)
			x->s = ch->settings;
		else
			charger_settings_default(&x->s);
		entry_from_settings(app, &x->s, &view);
		if (given[0] && view.mode != cc->mode) {
			snprintf(x->s.charging_mode, sizeof x->s.charging_mode, "%s",
				 station_ev_mode_charger(cc->mode));
			change = 1;
		}
		if (given[1] && view.phases != cc->phases) {
			x->s.phases = cc->phases;
			change = 1;
		}
		if (given[2] && fabs(view.max_current_a - cc->max_current_a) > 1e-9) {
			x->s.max_current_a = cc->max_current_a;
			change = 1;
		}
		if (!change && ch)
			continue;
		snprintf(x->id, sizeof x->id, "%s", cc->id);
		x->create = !ch;
		(*nw)++;
	}
	return 0;
}

/* Writes one planned change: the store, then the registry (as PUT
 * /api/v1/chargers/{id} does). */
static int write_charger(struct csms *app, const struct charger_write *w)
{
	struct charger *ch = NULL;
	if (w->create) {
		if (store_charger_create(app->store, w->id, REG_ACCEPTED, app->now_ms) < 0 ||
		    !(ch = charger_get(app->chargers, app->store, w->id)))
			return -1;
		charger_set_reg(app->chargers, ch, REG_ACCEPTED);
	} else if (!(ch = known_charger(app, w->id)))
		return -1;
	struct charger_settings s = w->s;
	s.has_auth_key = ch->settings.has_auth_key;
	cJSON *sj = charger_settings_json(&s);
	cJSON_DeleteItemFromObject(sj, "authorizationKeySet");
	char *text = sj ? cJSON_PrintUnformatted(sj) : NULL;
	cJSON_Delete(sj);
	int rc = text ? store_charger_set_settings(app->store, ch->id, text, NULL) : -1;
	free(text);
	if (rc)
		return -1;
	LOGI("station",
	     "%s: chargingMode %s, phases %d, maxCurrentA %g written to the charger's own settings "
	     "(PUT /api/v1/station chargers[]%s)",
	     ch->id, s.charging_mode, s.phases, s.max_current_a, w->create ? "; charger provisioned" : "");
	ch->settings = s;
	control_charger_changed(app, ch);
	return 0;
}

/* nc as the kept station settings (META_SETTINGS). 0, or -1 with er. */
static int keep_settings(struct energy *e, const station_config *nc, struct err_info *er)
{
	cJSON *kept = station_json_from_config(nc);
	char *text = kept ? cJSON_PrintUnformatted(kept) : NULL;
	cJSON_Delete(kept);
	int rc = 0;
	if (!text || strlen(text) >= META_MAX || store_meta_set(e->app->store, e->meta_settings, text))
		rc = err_set(er, ERR_INTERNAL, "cannot store the station settings");
	else /* written here: a fleet's sync does not read it back as another node's */
		e->kept_hash = energy_text_hash(text);
	free(text);
	return rc;
}

/* A partial settings object (station/README.md names), "confirm": true to
 * enter or leave remoteEms, and the remote EMS setpoint as "remoteEms":
 * {"setpointW": W, "target": "battery"|"grid"}. */
int energy_apply_settings(struct energy *e, const cJSON *body, struct err_info *er)
{
	char err[256];
	cJSON *copy = NULL, *sp = NULL, *tg = NULL;
	station_config *nc = NULL;
	int rc = -1;
	struct charger_write writes[STATION_MAX_CHARGERS];
	if (energy_running(e, er))
		return -1;
	struct csms *app = e->app;
	if (!cJSON_IsObject(body))
		return err_set(er, ERR_BAD_REQUEST, "body: a JSON object of station settings");
	copy = cJSON_Duplicate(body, 1);
	nc = malloc(sizeof *nc);
	if (!copy || !nc) {
		err_set(er, ERR_INTERNAL, "out of memory");
		goto out;
	}
	cJSON *ems = cJSON_GetObjectItemCaseSensitive(copy, "remoteEms");
	if (cJSON_IsObject(ems)) {
		sp = cJSON_DetachItemFromObjectCaseSensitive(ems, "setpointW");
		tg = cJSON_DetachItemFromObjectCaseSensitive(ems, "target");
		if (!ems->child)
			cJSON_DeleteItemFromObjectCaseSensitive(copy, "remoteEms");
	}
	if (sp && (!cJSON_IsNumber(sp) || !isfinite(sp->valuedouble) || fabs(sp->valuedouble) > 1e6)) {
		err_set(er, ERR_BAD_REQUEST, "remoteEms.setpointW: a number of W within +-1000000");
		goto out;
	}
	if (tg &&
	    (!cJSON_IsString(tg) ||
	     (strcmp(tg->valuestring, "battery") && strcmp(tg->valuestring, "grid")))) {
		err_set(er, ERR_BAD_REQUEST, "remoteEms.target: \"battery\" or \"grid\"");
		goto out;
	}
	if (tg && !sp) {
		err_set(er, ERR_BAD_REQUEST, "remoteEms.target: goes with remoteEms.setpointW");
		goto out;
	}
	const cJSON *shed = cJSON_GetObjectItemCaseSensitive(copy, "loadShedding");
	if (e->is_default && app->cfg.station_outages_file[0] && cJSON_IsObject(shed) &&
	    cJSON_GetObjectItemCaseSensitive(shed, "outages")) {
		err_set(er, ERR_CONFLICT,
			"loadShedding.outages: read from the file %s (station_outages_file); change the file",
			app->cfg.station_outages_file);
		goto out;
	}
	*nc = e->cfg;
	bool confirm = false;
	if (station_json_apply(copy, nc, &confirm, err, sizeof err)) {
		err_set(er, ERR_BAD_REQUEST, "%s", err);
		goto out;
	}
	if (station_config_check_change(&e->cfg, nc, confirm) == STATION_ECONFIRM) {
		err_set(er, ERR_BAD_REQUEST,
			"confirm: entering or leaving remoteEms needs \"confirm\": true");
		goto out;
	}
	if (sp && nc->mode != STATION_MODE_REMOTE_EMS) {
		err_set(er, ERR_CONFLICT, "remoteEms.setpointW: the mode is %s, not remoteEms",
			station_mode_name(nc->mode));
		goto out;
	}
	/* mode, phases, maxCurrentA of chargers[]: into the chargers' settings */
	int nw = 0;
	plan_charger_writes(app, copy, nc, writes, &nw);
	for (int i = 0; i < nw; i++)
		if (write_charger(app, &writes[i])) {
			err_set(er, ERR_INTERNAL, "cannot store the settings of charger %s", writes[i].id);
			goto out;
		}
	energy_derive_entries(app, nc);
	if (keep_settings(e, nc, er))
		goto out;
	if (e->cfg.mode != nc->mode)
		LOGI("station", "%s%s%smode %s -> %s", ESITE(e), station_mode_name(e->cfg.mode),
		     station_mode_name(nc->mode));
	e->cfg = *nc;
	station_house_set_battery(&e->house, &e->cfg.battery);
	if (sp) {
		e->ems_set = 1;
		e->ems_grid = tg && !strcmp(tg->valuestring, "grid");
		e->ems_w = sp->valuedouble;
		e->ems_clock_ms = energy_station_clock(e);
		station_remote_ems_set(e->st, e->ems_grid, e->ems_w, e->ems_clock_ms);
	}
	/* in force at once where this node runs the site's loop; elsewhere (a
	 * fleet's MQTT command) it is kept, and that node reads it within 5 s */
	if (e->lead)
		energy_step(e);
	e->next_tick_ms = app->now_ms + app->cfg.station_tick_ms;
	rc = 0;
out:
	free(nc);
	cJSON_Delete(sp);
	cJSON_Delete(tg);
	cJSON_Delete(copy);
	return rc;
}

/* One measurement field: its names (the brief's snake_case and the API's
 * camelCase), where it goes and its bounds. */
struct meas_field {
	const char *name, *alt;
	size_t off;
	double lo, hi;
};
#define MO(f) offsetof(station_src_reading, f)
static const struct meas_field meas_fields[] = {
	{ "pv_w", "pvW", MO(pv_w), 0, MAX_POWER_W },
	{ "pv3_w", "pv3W", MO(pv3_w), 0, MAX_POWER_W },
	{ "load_w", "loadW", MO(load_w), 0, MAX_POWER_W },
	{ "grid_w", "gridW", MO(grid_w), -MAX_POWER_W, MAX_POWER_W },
	{ "bat_w", "batW", MO(bat_w), -MAX_POWER_W, MAX_POWER_W },
	{ "soc_pct", "socPct", MO(soc_pct), 0, 100 },
};
#undef MO
#define NMEAS (sizeof meas_fields / sizeof meas_fields[0])

int energy_accepts_measurements(struct energy *e, struct err_info *er)
{
	if (!e || e->kind != STATION_SRC_API)
		return err_set(er, ERR_CONFLICT, "%s is %s, not api",
			       !e || e->is_default ? "station_source" : "the site's station source",
			       e ? station_src_kind_str(e->kind) : "off");
	return 0;
}

/* {"pv_w", "load_w" or "grid_w" + "bat_w", "soc_pct", optional "pv3_w",
 * "on_grid", "timestamp"}: a station step on it at once. */
int energy_push_measurements(struct energy *e, const cJSON *b, struct err_info *er)
{
	const cJSON *v;
	if (energy_accepts_measurements(e, er))
		return -1;
	struct csms *app = e->app;
	station_src_reading r;
	station_source_reading_clear(&r);
	int on_grid = 1;
	int64_t ts = app->now_ms;
	if (!cJSON_IsObject(b))
		return err_set(er, ERR_BAD_REQUEST, "body: a JSON object");
	cJSON_ArrayForEach(v, b)
	{
		size_t k;
		for (k = 0; k < NMEAS; k++)
			if (!strcmp(v->string, meas_fields[k].name) || !strcmp(v->string, meas_fields[k].alt))
				break;
		if (k < NMEAS) {
			const struct meas_field *f = &meas_fields[k];
			if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < f->lo ||
			    v->valuedouble > f->hi)
				return err_set(er, ERR_BAD_REQUEST, "%s: a number from %g to %g", v->string,
					       f->lo, f->hi);
			*(double *)((char *)&r + f->off) = v->valuedouble;
		} else if (!strcmp(v->string, "timestamp")) {
			if (!cJSON_IsString(v) || time_parse_iso(v->valuestring, &ts) ||
			    ts > app->now_ms + FUTURE_SLACK_MS)
				return err_set(er, ERR_BAD_REQUEST,
					       "timestamp: an ISO 8601 UTC time, not in the future");
		} else if (!strcmp(v->string, "on_grid") || !strcmp(v->string, "onGrid")) {
			if (!cJSON_IsBool(v))
				return err_set(er, ERR_BAD_REQUEST, "%s: true or false", v->string);
			on_grid = cJSON_IsTrue(v);
		} else {
			return err_set(er, ERR_BAD_REQUEST,
				       "%s: unknown field (pv_w, pv3_w, load_w, grid_w, bat_w, soc_pct, "
				       "on_grid, timestamp)",
				       v->string);
		}
	}
	const char *missing = !isfinite(r.pv_w)              ? "pv_w"
		: !isfinite(r.soc_pct)                       ? "soc_pct"
		: !isfinite(r.load_w) && !isfinite(r.grid_w) ? "load_w (or grid_w)"
		: !isfinite(r.load_w) && !isfinite(r.bat_w)  ? "bat_w (to derive the load from grid_w)"
							     : NULL;
	if (missing)
		return err_set(er, ERR_BAD_REQUEST, "%s: missing", missing);
	r.ts_ms = ts;
	e->rd = r;
	e->have_rd = 1;
	e->on_grid = on_grid;
	if (e->lead)
		energy_step(e);
	e->next_tick_ms = app->now_ms + app->cfg.station_tick_ms;
	return 0;
}

/* See prices_apply(); kept over a restart. */
int energy_set_prices(struct energy *e, const cJSON *b, struct err_info *er)
{
	char err[160];
	int n, slot;
	int64_t start;
	if (energy_running(e, er))
		return -1;
	if (prices_apply(e, b, &n, &start, &slot, err, sizeof err))
		return err_set(er, ERR_BAD_REQUEST, "%s", err);
	char *text = cJSON_PrintUnformatted(b);
	if (!text || store_meta_set(e->app->store, e->meta_prices, text))
		LOGW("station", "%s%s%sprice list not kept over a restart (store)", ESITE(e));
	free(text);
	return 0;
}

int energy_set_pv_forecast(struct csms *app, int64_t start_ms, int slot_s, int n, const double *pv_w)
{
	struct energy *e = app->energy;
	if (!e)
		return -1;
	if (station_forecast_set(e->st, start_ms, slot_s, n, NULL, pv_w))
		return -1;
	station_plan_invalidate(e->st);
	return 0;
}

int energy_set_outages(struct csms *app, const station_outage *o, int n, struct err_info *er)
{
	struct energy *e = app->energy;
	char err[256];
	if (energy_running(e, er))
		return -1;
	if (n < 0 || n > STATION_MAX_OUTAGES)
		return err_set(er, ERR_BAD_REQUEST, "loadShedding.outages: at most %d", STATION_MAX_OUTAGES);
	station_config *nc = malloc(sizeof *nc);
	if (!nc)
		return err_set(er, ERR_INTERNAL, "out of memory");
	*nc = e->cfg;
	nc->n_outages = n;
	if (n)
		memcpy(nc->outages, o, (size_t)n * sizeof *o);
	int rc = -1;
	if (station_config_validate(nc, err, sizeof err)) {
		err_set(er, ERR_BAD_REQUEST, "%s", err);
		goto out;
	}
	if (keep_settings(e, nc, er))
		goto out;
	e->cfg.n_outages = nc->n_outages;
	memcpy(e->cfg.outages, nc->outages, sizeof e->cfg.outages);
	station_plan_invalidate(e->st);
	if (e->lead)
		energy_step(e); /* in force at once */
	rc = 0;
out:
	free(nc);
	return rc;
}

int64_t energy_clock_ms(struct csms *app)
{
	return app->energy ? energy_station_clock(app->energy) : app->now_ms;
}

void energy_set_feed(struct csms *app, const char *name, cJSON *status)
{
	struct energy *e = app->energy;
	if (!e || (!e->feeds && !(e->feeds = cJSON_CreateObject()))) {
		cJSON_Delete(status);
		return;
	}
	if (cJSON_GetObjectItemCaseSensitive(e->feeds, name))
		cJSON_ReplaceItemInObjectCaseSensitive(e->feeds, name, status);
	else
		cJSON_AddItemToObject(e->feeds, name, status);
}
