/* control.c: the glue between the grid sensor, the dlm/ library and the
 * chargers. A decision is made on every new sensor reading and on every
 * control tick; each charger's limit goes out as a ChargePointMaxProfile
 * (connector 0, amps, numberPhases) when it changed by 1 A, crossed 0, or
 * the charger (re)connected. Settings changed through the API are kept in
 * the store (meta "dlm") and win over the config file at the next start
 * (not over the command line or the environment: config_set_stored).
 * The API's routes (api/api_dlm.c) only carry JSON to and from here.
 *
 * Why ChargePointMaxProfile: it caps the whole charger whatever
 * TxDefault/TxProfiles an admin or the car's session installs (OCPP 1.6
 * §3.13.2: the composite is the minimum of the max profile and the tx
 * profile), so no other profile can lift a charger over its DLM limit; a
 * TxProfile would also vanish when the transaction ends. It uses one
 * fixed chargingProfileId at stackLevel 0, so each send replaces the last.
 *
 * Each charger in its own language: on each connection, before its first
 * limit, it is asked (GetConfiguration) which units its schedules take, whether it has
 * SmartCharging at all, how its connectors are wired and whether it
 * switches phases; the answer is kept (charger_caps, in the store). A limit
 * goes out in A with numberPhases where A is taken, else in W
 * (dlm_send_rate_for); a DC charger (setting kind, or kind auto and a
 * Voltage without phase above 260 V in its MeterValues) always gets W; a
 * charger without SmartCharging (or that answered NotSupported) gets no
 * profile and DLM counts it at its maximum (dlm_charger_in.fixed), with an
 * alarm. A phase switch (numberPhases 1) goes only to a charger whose
 * phaseSwitching says it follows it; one seen drawing on more phases than
 * asked after its reaction time is put back on its wired phases, with one
 * log line and an alarm, until an admin changes phaseSwitching. */
#include "control.h"
#include "alarms.h"
#include "charger.h"
#include "csms.h"
#include "energy.h"
#include "errkind.h"
#include "fleet.h"
#include "log.h"
#include "ocppj.h"
#include "server.h"
#include "session.h"
#include "store.h"
#include "timeutil.h"

#include "dlm.h"
#include "dlm_send.h"
#include "dlm_sensor.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROFILE_ID 9000 /* our ChargePointMaxProfile */
#define SITE_NAME_MAX 64
#define CONTROL_MAX_SITES 64 /* sites one node reads (more are left out, with their chargers) */
#define SITE_RELOAD_MS 5000  /* the sites are read from the store again (another node may change them) */

/* One per site (issue 15: a fleet has many sites), from control_init (the
 * default site, app->control, first in the list) or the site's creation
 * (the API, or read from the store) to control_free or the site's
 * deletion: the site's own breaker, sensor and loop, over the chargers
 * whose setting "site" names it. */
struct control {
	struct control *next;
	char site[STORE_ID_MAX];
	char name[SITE_NAME_MAX + 1];
	int is_default;          /* the default site: its settings are app->cfg (meta "dlm") */
	struct csms_config own;  /* another site's settings: only its DLM keys are set */
	struct csms_config *cfg; /* &app->cfg for the default site, else &own */
	char *stored;            /* another site's settings as stored (a change seen at a reload) */
	char src_sensor[STORE_ID_MAX + 16], src_dlm[STORE_ID_MAX + 16]; /* its site alarms' sources */
	dlm_config dcfg;
	dlm_state st;
	dlm_charger_in chin[DLM_MAX_CHARGERS];
	struct charger *chv[DLM_MAX_CHARGERS];
	dlm_output out;
	dlm_send_charger sch[DLM_MAX_CHARGERS]; /* chv's send states, for dlm_send_plan */
	dlm_send_decision plan[DLM_MAX_CHARGERS];
	dlm_sensor *sensor;
	dlm_reading reading;
	dlm_sensor_health health;
	uint64_t seq;
	int have_reading;
	uint32_t next_id;
	int64_t next_tick_ms;
	int64_t next_reload_ms; /* the default site's: when the sites are read again */
	uint64_t decisions, profiles_sent;
	double last_decide_us; /* reading in -> every profile frame queued */
	int last_decide_sent;
	double sim_gen_a[3]; /* sensor sim: the house's generation at its last reading */
	int disagree_shown;  /* the meter-vs-chargers alarm as last raised (1) or cleared (0); -1 not yet */
	int64_t started_ms;  /* control_init: a sensor that never read is stale dlm_stale_s after it */
	int sensor_state;    /* enum sensor_state as last logged */
	struct alarms_watch sensor_alarm;
	/* The fleet (see "one control loop per site" below) */
	int lead;                          /* this node runs the loop (fleet_control) */
	char lead_node[FLEETMSG_NODE_MAX]; /* the node that does, as last read ("" none) */
	struct remote_in {
		char id[STORE_ID_MAX];
		char node[FLEETMSG_NODE_MAX];
		dlm_charger_in in;
		double power_w; /* what its meter says it draws, W (the station's EV power) */
		int64_t at_ms;
		int64_t window_ms;  /* its car reacts to a new limit until then (its node's word) */
		double installed_a; /* the limit it accepted last, < 0 none (its node's word) */
	} remote[DLM_MAX_CHARGERS]; /* the lead's view of other nodes' chargers */
	size_t nremote;
	size_t rix[DLM_MAX_CHARGERS]; /* decision index (past the local ones) -> remote */
};

/* The grid sensor as the log and the alarms see it. */
enum sensor_state { SENSOR_HEALTHY, SENSOR_STALE, SENSOR_ERRORING };
static const char *const sensor_state_names[] = { "healthy", "stale", "erroring" };
#define SENSOR_ERR_POLLS 3 /* failed polls in a row that make a sensor "erroring" */

/* ---- settings ----
 * The DLM settings are the rows of config.c's table that have an API
 * field: each row gives the config key, the API field of GET/PUT
 * /api/v1/dlm, type, default, bounds, and the dlm_config field it sets
 * (with the scale, s -> ms). The command line, the API and dlm_config all
 * read them from there, so adding a setting is one row there plus its use. */

#define MAX_FIELDS 32 /* tests/unit/csms/test_settings.c checks the table fits */

/* The DLM rows, in the table's order. */
static size_t dlm_fields(struct config_info *out)
{
	size_t n = 0;
	struct config_info k;
	for (size_t i = 0; config_info_at(i, &k) == 0; i++)
		if (k.api && n < MAX_FIELDS)
			out[n++] = k;
	return n;
}

/* msg with each setting it names (a dlm_config field, or a config key) as
 * the config key, or as the API field when api is set. */
static void name_fields(const char *msg, int api, char *out, size_t len)
{
	static const char word[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";
	struct config_info f[MAX_FIELDS];
	size_t nf = dlm_fields(f), n = 0;
	for (const char *p = msg; *p && n + 1 < len;) {
		size_t w = strspn(p, word);
		if (!w) {
			out[n++] = *p++;
			continue;
		}
		const char *to = NULL;
		for (size_t i = 0; i < nf && !to; i++)
			if ((f[i].lib && strlen(f[i].lib) == w && !strncmp(p, f[i].lib, w)) ||
			    (strlen(f[i].name) == w && !strncmp(p, f[i].name, w)))
				to = api ? f[i].api : f[i].name;
		int m = to ? snprintf(out + n, len - n, "%s", to)
			   : snprintf(out + n, len - n, "%.*s", (int)w, p);
		n += (size_t)m < len - n ? (size_t)m : len - n - 1;
		p += w;
	}
	out[n] = 0;
}

/* dlm_config from the settings: defaults, then every row that sets a
 * dlm_config field. -1 with err naming the dlm_config field. */
static int build_dlm_config(const struct csms_config *c, dlm_config *d, char *err, size_t errlen)
{
	struct config_info f[MAX_FIELDS];
	size_t nf = dlm_fields(f);
	dlm_config_defaults(d);
	for (size_t i = 0; i < nf; i++) {
		double v;
		if (f[i].lib &&
		    (config_number(c, f[i].name, &v) ||
		     dlm_config_set_num(d, f[i].lib, v * f[i].lib_scale, err, errlen)))
			return -1;
	}
	return 0;
}

/* The sensor's options from the settings (its kind and meter from the
 * driver's tables), checked as dlm_sensor_start() checks them. -1 with err
 * naming the config key. */
static int sensor_opts(const struct csms_config *c, dlm_sensor_opts *o, char *err, size_t errlen)
{
	const dlm_sensor_kind kind = dlm_sensor_kinds[c->dlm_sensor].kind;
	const dlm_meter_def *meter = &dlm_meters[c->dlm_meter];
	char e[160];
	dlm_sensor_opts_defaults(o);
	o->kind = kind;
	if (meter->preset)
		o->map = *meter->preset;
	else if (dlm_meter_parse(c->dlm_meter_map, &o->map, e, sizeof e)) {
		snprintf(err, errlen, "dlm_meter_map: %s", e);
		return -1;
	}
	/* what the driver would refuse or cut short, named by key */
	const int tcp = kind == DLM_SENSOR_MODBUS_TCP, rtu = kind == DLM_SENSOR_MODBUS_RTU;
	const char *bad = NULL;
	if (tcp && (!c->dlm_modbus_host[0] || strlen(c->dlm_modbus_host) >= sizeof o->host))
		bad = "dlm_modbus_host";
	else if (rtu && (!c->dlm_modbus_device[0] || strlen(c->dlm_modbus_device) >= sizeof o->device))
		bad = "dlm_modbus_device";
	if (bad) {
		snprintf(err, errlen, "%s: must be set, at most %zu characters", bad,
			 (tcp ? sizeof o->host : sizeof o->device) - 1);
		return -1;
	}
	if (rtu && (!c->dlm_modbus_parity[0] || !strchr("NEO", c->dlm_modbus_parity[0]))) {
		snprintf(err, errlen, "dlm_modbus_parity: must be N, E or O");
		return -1;
	}
	snprintf(o->host, sizeof o->host, "%s", c->dlm_modbus_host);
	o->port = c->dlm_modbus_port;
	snprintf(o->device, sizeof o->device, "%s", c->dlm_modbus_device);
	o->baud = c->dlm_modbus_baud;
	o->parity = c->dlm_modbus_parity[0];
	o->unit = c->dlm_modbus_unit;
	o->poll_ms = c->dlm_poll_ms;
	if (o->timeout_ms > c->dlm_poll_ms * 2)
		o->timeout_ms = c->dlm_poll_ms * 2;
	if (dlm_sensor_check(o, e, sizeof e)) {
		snprintf(err, errlen, "dlm_sensor: %s", e);
		return -1;
	}
	return 0;
}

/* Every DLM setting in c as control_init and a PUT use them: the library's
 * rules (dlm_config_validate: ranges, margin below the breaker, fallback
 * within breaker - margin) and the sensor's options. Fills d and o; err
 * names config keys, or API fields when api is set. */
static int check_settings(const struct csms_config *c, dlm_config *d, dlm_sensor_opts *o, int api, char *err,
			  size_t errlen)
{
	char e[256];
	if (build_dlm_config(c, d, e, sizeof e) || dlm_config_validate(d, e, sizeof e) ||
	    sensor_opts(c, o, e, sizeof e)) {
		name_fields(e, api, err, errlen);
		return -1;
	}
	return 0;
}

int control_check_config(const struct csms_config *cfg, char *err, size_t errlen)
{
	dlm_config d;
	dlm_sensor_opts o;
	return check_settings(cfg, &d, &o, 0, err, errlen);
}

static void wake(void *ctx)
{
	server_wake(((struct csms *)ctx)->server);
}

/* Starts the sensor of checked options o in place of the site's running one. */
static int start_sensor(struct csms *app, struct control *ctl, dlm_sensor_opts *o, char *err, size_t errlen)
{
	o->wake = wake;
	o->ctx = app;
	dlm_sensor *s = NULL;
	char e[160];
	if (dlm_sensor_start(&s, o, e, sizeof e)) {
		snprintf(err, errlen, "dlm_sensor: %s", e);
		return -1;
	}
	dlm_sensor_stop(ctl->sensor);
	ctl->sensor = s;
	ctl->have_reading = 0;
	ctl->seq = 0;
	dlm_reading_clear(&ctl->reading);
	memset(&ctl->health, 0, sizeof ctl->health);
	return 0;
}

/* ---- settings kept over a restart ---- */

static int kept_text(struct csms *app, char *buf, size_t len);

static cJSON *stored_settings(struct csms *app)
{
	char buf[4096];
	if (kept_text(app, buf, sizeof buf))
		return cJSON_CreateObject();
	cJSON *j = cJSON_Parse(buf);
	return cJSON_IsObject(j) ? j : (cJSON_Delete(j), cJSON_CreateObject());
}

static void default_reread(struct csms *app, struct control *ctl);

/* What every site's loop starts with. */
static void loop_init(struct csms *app, struct control *ctl, const char *site, const char *name)
{
	snprintf(ctl->site, sizeof ctl->site, "%s", site);
	snprintf(ctl->name, sizeof ctl->name, "%s", name ? name : "");
	ctl->is_default = !strcmp(site, STORE_SITE_DEFAULT);
	ctl->cfg = ctl->is_default ? &app->cfg : &ctl->own;
	ctl->lead = !app->fleet; /* a fleet: the lock decides at the first tick */
	/* the default site's alarms keep their sources; another site's name it */
	snprintf(ctl->src_sensor, sizeof ctl->src_sensor, "%s%s%s", ALARM_SRC_SENSOR,
		 ctl->is_default ? "" : "@", ctl->is_default ? "" : site);
	snprintf(ctl->src_dlm, sizeof ctl->src_dlm, "%s%s%s", ALARM_SRC_DLM, ctl->is_default ? "" : "@",
		 ctl->is_default ? "" : site);
	dlm_state_init(&ctl->st);
	dlm_reading_clear(&ctl->reading);
	ctl->next_id = 1;
	ctl->disagree_shown = -1;
	ctl->started_ms = time_now_ms();
	ctl->sensor_alarm.source = ctl->src_sensor;
	ctl->sensor_alarm.shown = -1;
}

/* Another site's settings into c (zeroed, or freed before): the table's
 * defaults, with sensor api (sim is the station's simulated house, which
 * only the default site has), then json (config key -> value text, as
 * stored; NULL none). -1 with err naming the key. */
static int site_settings(struct csms_config *c, const char *json, char *err, size_t errlen)
{
	struct config_info f[MAX_FIELDS];
	size_t nf = dlm_fields(f);
	for (size_t i = 0; i < nf; i++)
		if (config_set_from(c, f[i].name, strcmp(f[i].name, "dlm_sensor") ? f[i].def : "api",
				    CONFIG_ORIGIN_DEFAULT, err, errlen))
			return -1;
	cJSON *j = json ? cJSON_Parse(json) : NULL, *v;
	int rc = 0;
	cJSON_ArrayForEach(v, j)
	{
		if (!cJSON_IsString(v))
			continue;
		int known = 0; /* only DLM keys */
		for (size_t i = 0; i < nf; i++)
			known |= !strcmp(f[i].name, v->string);
		if (known && config_set_from(c, v->string, v->valuestring, CONFIG_ORIGIN_API, err, errlen)) {
			rc = -1;
			break;
		}
	}
	cJSON_Delete(j);
	return rc;
}

/* A sensor kind the default site alone may have. */
static int site_sensor_ok(const struct control *ctl, char *err, size_t errlen)
{
	if (ctl->is_default || dlm_sensor_kinds[ctl->cfg->dlm_sensor].kind != DLM_SENSOR_SIM)
		return 0;
	snprintf(err, errlen,
		 "sensor.type: sim is the station's simulated house, which only the default site has");
	return -1;
}

static void site_free(struct control *ctl)
{
	dlm_sensor_stop(ctl->sensor);
	if (!ctl->is_default)
		config_free(&ctl->own);
	free(ctl->stored);
	free(ctl);
}

/* Another site's loop from its stored settings, started; NULL with err. */
static struct control *site_new(struct csms *app, const char *site, const char *name, const char *json,
				char *err, size_t errlen)
{
	struct control *ctl = calloc(1, sizeof *ctl);
	if (!ctl) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	loop_init(app, ctl, site, name);
	dlm_sensor_opts o;
	if (site_settings(&ctl->own, json, err, errlen) || site_sensor_ok(ctl, err, errlen) ||
	    check_settings(ctl->cfg, &ctl->dcfg, &o, 1, err, errlen) ||
	    start_sensor(app, ctl, &o, err, errlen) || !(ctl->stored = strdup(json ? json : "{}"))) {
		site_free(ctl);
		return NULL;
	}
	return ctl;
}

/* The loop of a site, or NULL. */
static struct control *site_loop(struct csms *app, const char *site)
{
	for (struct control *ctl = app->control; ctl; ctl = ctl->next)
		if (!strcmp(ctl->site, site))
			return ctl;
	return NULL;
}

/* The loop a charger's limits come from: its site's; the default site's
 * settings for one whose site this node has not read yet (it takes part
 * in no loop until then). */
static struct control *charger_loop(struct csms *app, const struct charger *ch)
{
	struct control *ctl = site_loop(app, ch->settings.site);
	return ctl ? ctl : app->control;
}

/* Ids of chargers in the dlm states: one counter for every site, so that a
 * charger moved to another site never meets another's id there. */
static uint32_t next_dlm_id(struct csms *app)
{
	return app->control->next_id++;
}

struct site_read {
	size_t n;
	struct site_read_row {
		char id[STORE_ID_MAX];
		char name[SITE_NAME_MAX + 1];
		char *settings;
	} rows[CONTROL_MAX_SITES];
};

static int read_site(void *arg, const struct store_site_row *r)
{
	struct site_read *sr = arg;
	if (sr->n == CONTROL_MAX_SITES)
		return 0;
	struct site_read_row *w = &sr->rows[sr->n++];
	snprintf(w->id, sizeof w->id, "%s", r->id);
	snprintf(w->name, sizeof w->name, "%s", r->name ? r->name : "");
	w->settings = strdup(r->settings_json ? r->settings_json : "{}");
	return 0;
}

/* The sites as the store has them now (another node may have changed
 * them): new ones start, changed ones take their new settings, deleted
 * ones stop. The default site's settings are app->cfg (meta "dlm" read
 * at start, PUT /api/v1/dlm; in a fleet, what another node kept there too:
 * default_reread). */
static void sites_reload(struct csms *app)
{
	struct site_read sr = { 0 };
	char err[256];
	if (app->fleet)
		default_reread(app, app->control);
	if (store_site_each(app->store, NULL, read_site, &sr) < 0)
		return; /* the store is away: the sites stay as they are */
	for (size_t i = 0; i < sr.n; i++) {
		struct site_read_row *w = &sr.rows[i];
		struct control *ctl = site_loop(app, w->id);
		if (ctl)
			snprintf(ctl->name, sizeof ctl->name, "%s", w->name);
		if (!strcmp(w->id, STORE_SITE_DEFAULT) ||
		    (ctl && w->settings && !strcmp(ctl->stored, w->settings)))
			continue;
		struct control *nw = site_new(app, w->id, w->name, w->settings, err, sizeof err);
		if (!nw) {
			LOGW("dlm", "site %s: its stored settings are refused: %s", w->id, err);
			continue;
		}
		if (ctl) { /* changed elsewhere: the new settings, the state kept */
			LOGI("dlm", "site %s: settings changed (by another node)", w->id);
			dlm_sensor_stop(ctl->sensor);
			config_free(&ctl->own);
			ctl->own = nw->own;
			ctl->sensor = nw->sensor;
			ctl->dcfg = nw->dcfg;
			free(ctl->stored);
			ctl->stored = nw->stored;
			ctl->have_reading = 0;
			free(nw);
			ctl->next_tick_ms = 0;
			continue;
		}
		LOGI("dlm", "site %s (%s): breaker %.1f A, sensor %s", w->id, w->name, nw->cfg->dlm_breaker_a,
		     dlm_sensor_kinds[nw->cfg->dlm_sensor].name);
		nw->next = app->control->next;
		app->control->next = nw;
	}
	/* gone from the store: stops (the default site never goes) */
	for (struct control **pp = &app->control->next; *pp;) {
		int found = 0;
		for (size_t i = 0; i < sr.n && !found; i++)
			found = !strcmp(sr.rows[i].id, (*pp)->site);
		if (found || sr.n == CONTROL_MAX_SITES) {
			pp = &(*pp)->next;
			continue;
		}
		struct control *gone = *pp;
		*pp = gone->next;
		LOGI("dlm", "site %s deleted", gone->site);
		site_free(gone);
	}
	for (size_t i = 0; i < sr.n; i++)
		free(sr.rows[i].settings);
}

int control_init(struct csms *app, char *err, size_t errlen)
{
	struct control *ctl = calloc(1, sizeof *ctl);
	if (!ctl) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	app->control = ctl;
	loop_init(app, ctl, STORE_SITE_DEFAULT, "");
	/* Settings changed through the API win over the file and the
	 * defaults, and yield to the environment and the command line
	 * (config_set_stored); each choice is logged with both values. */
	cJSON *kept = stored_settings(app), *v;
	int nkept = cJSON_GetArraySize(kept);
	cJSON_ArrayForEach(v, kept)
	{
		char e[256], other[256];
		if (!cJSON_IsString(v))
			continue;
		int o = config_origin_of(&app->cfg, v->string, 0);
		int rc = config_set_stored(&app->cfg, v->string, v->valuestring, other, sizeof other, e,
					   sizeof e);
		if (rc < 0)
			LOGW("dlm", "kept setting ignored: %s", e);
		else if (rc == 1 && strcmp(other, v->valuestring))
			LOGW("dlm",
			     "%s = %s from the %s wins over %s stored through the API (PUT /api/v1/dlm): "
			     "an explicit start value comes first",
			     v->string, other, o == CONFIG_ORIGIN_CMDLINE ? "command line" : "environment",
			     v->valuestring);
		else if (rc == 0 && strcmp(other, v->valuestring))
			LOGI("dlm", "%s = %s stored through the API wins over %s from the %s", v->string,
			     v->valuestring, other, o == CONFIG_ORIGIN_FILE ? "config file" : "default");
	}
	cJSON_Delete(kept);
	char text[4096]; /* what is in force of it (default_reread: what changes later) */
	if (kept_text(app, text, sizeof text) >= 0)
		ctl->stored = strdup(text);
	/* The settings alone were checked before the store was opened
	 * (control_check_config); with those kept from the API they may clash. */
	dlm_sensor_opts o;
	char e[256];
	if (check_settings(&app->cfg, &ctl->dcfg, &o, 0, e, sizeof e)) {
		snprintf(err, errlen, "%s%s", e, nkept ? " (with the DLM settings kept from the API)" : "");
		return -1;
	}
	if (start_sensor(app, ctl, &o, err, errlen))
		return -1;
	LOGI("dlm", "%s, breaker %.1f A, margin %.1f A, sensor %s", app->cfg.dlm_enabled ? "on" : "off",
	     app->cfg.dlm_breaker_a, app->cfg.dlm_margin_a, dlm_sensor_kinds[app->cfg.dlm_sensor].name);
	sites_reload(app); /* the other sites */
	ctl->next_reload_ms = app->now_ms + SITE_RELOAD_MS;
	return 0;
}

void control_free(struct csms *app)
{
	struct control *ctl = app->control, *next;
	for (; ctl; ctl = next) {
		next = ctl->next;
		site_free(ctl);
	}
	app->control = NULL;
}

/* ---- decisions ---- */

static dlm_ev_state ev_state(const struct charger *ch)
{
	int suspended = 0;
	for (int i = 1; i < CHARGER_MAX_CONN; i++) {
		const char *s = charger_conn_get(ch, i)->status;
		if (!strcmp(s, "Charging"))
			return DLM_EV_CHARGING;
		if (!strcmp(s, "SuspendedEV") || !strcmp(s, "SuspendedEVSE") || !strcmp(s, "Preparing"))
			suspended = 1;
		else if (!s[0] && charger_conn_get(ch, i)->tx_id)
			return DLM_EV_CHARGING;
	}
	return suspended ? DLM_EV_SUSPENDED : DLM_EV_IDLE;
}

static void meter_sample(const struct charger *ch, dlm_meter_sample *m)
{
	dlm_meter_sample_clear(m);
	for (int i = 1; i < CHARGER_MAX_CONN; i++) {
		const struct charger_live *l = &charger_conn_get(ch, i)->live;
		if (!l->ts_ms)
			continue;
		if (charger_is_dc(ch)) {
			/* DC current says nothing of the grid: its power does */
			if (isfinite(l->power_w))
				m->power_total_w =
					(isfinite(m->power_total_w) ? m->power_total_w : 0) + l->power_w;
			continue;
		}
		for (int p = 0; p < 3; p++) {
			if (isfinite(l->current_a[p]))
				m->current_a[p] =
					(isfinite(m->current_a[p]) ? m->current_a[p] : 0) + l->current_a[p];
			if (isfinite(l->power_phase_w[p]))
				m->power_w[p] =
					(isfinite(m->power_w[p]) ? m->power_w[p] : 0) + l->power_phase_w[p];
			if (isfinite(l->voltage_v[p]))
				m->voltage_v[p] = l->voltage_v[p];
		}
		if (isfinite(l->power_w))
			m->power_total_w = (isfinite(m->power_total_w) ? m->power_total_w : 0) + l->power_w;
	}
}

static void profile_done(void *arg, const struct call_result *r);
static void send_input(struct csms *app, struct control *ctl, struct charger *ch);
static int64_t react_ms(struct csms *app, const struct charger *ch);

/* DLM's limit in force on a charger that takes no profile is its maximum. */
static double charger_max_a(struct csms *app, const struct charger *ch)
{
	return ch->settings.max_current_a > 0 ? ch->settings.max_current_a
					      : charger_loop(app, ch)->cfg->dlm_default_max_a;
}

/* After a change of what a charger can do: keep it, and raise or clear the
 * alarm of a charger DLM cannot limit. smart_now: -1 keep, 0/1 set. */
static void caps_changed(struct csms *app, struct charger *ch, int smart_now, const char *why)
{
	char info[160];
	int was = ch->caps.smart;
	if (smart_now >= 0)
		ch->caps.smart = smart_now;
	if (charger_caps_save(app->store, ch))
		LOGW("dlm", "%s: cannot store what it can do", ch->id);
	if (ch->caps.smart == 0) {
		snprintf(info, sizeof info,
			 "takes no charging profiles (%s): DLM cannot limit it and counts it at its maximum "
			 "%.1f A",
			 why, charger_max_a(app, ch));
		if (was != 0)
			LOGW("dlm", "%s: %s", ch->id, info);
		alarms_capability(app, ch->id, ALARM_SRC_CONTROL, ALARM_CODE_NOT_CONTROLLABLE, info);
	} else if (ch->caps.smart == 1 && was == 0) {
		alarms_capability(app, ch->id, ALARM_SRC_CONTROL, ALARM_CODE_NOT_CONTROLLABLE, NULL);
	}
}

struct config_call {
	struct csms *app;
	unsigned gen; /* ch->dlm.lang_gen when sent: an answer from an old connection does not count */
	char id[STORE_ID_MAX];
};

/* The charger's answer to what it is (GetConfiguration after its boot). */
static void config_done(void *arg, const struct call_result *r)
{
	struct config_call *cc = arg;
	struct csms *app = cc->app;
	struct charger *ch = charger_find(app->chargers, app->store, cc->id);
	if (ch && cc->gen == ch->dlm.lang_gen) {
		ch->dlm.lang_pending = 0; /* its limit may go out now */
		charger_loop(app, ch)->next_tick_ms = 0;
	}
	if (ch && r->status == OCPP_OK) {
		int was_smart = ch->caps.smart;
		int changed = charger_caps_from_config(
			&ch->caps, cJSON_GetObjectItemCaseSensitive(r->payload, "configurationKey"));
		if (changed && ch->dlm.sent_unit) {
			/* a limit already went out in what was known before: again in its language */
			ch->dlm.need_send = 1;
			ch->dlm.rejected = 0;
		}
		int smart = ch->caps.smart;
		ch->caps.smart = was_smart; /* caps_changed compares with what it was */
		caps_changed(app, ch, smart, "SupportedFeatureProfiles without SmartCharging");
		LOGI("dlm", "%s: units %s%s, SmartCharging %s, wired phases %d, switch 3to1 %s", ch->id,
		     ch->caps.units & CHARGER_UNIT_A ? "A" : "", ch->caps.units & CHARGER_UNIT_W ? "W" : "",
		     ch->caps.smart < 0       ? "?"
			     : ch->caps.smart ? "yes"
					      : "no",
		     ch->caps.wired_phases,
		     ch->caps.switch3to1 < 0       ? "?"
			     : ch->caps.switch3to1 ? "yes"
						   : "no");
		charger_loop(app, ch)->next_tick_ms = 0;
	} else if (ch) {
		LOGI("dlm", "%s: GetConfiguration answered %s: its language stays as known", ch->id,
		     r->code ? r->code : "?");
	}
	free(cc);
}

/* Asks a charger what it can do (OCPP 1.6 9.1/9.4 keys), once per
 * connection, just before its first limit would go out: a charger DLM never
 * commands (DLM off, Fast mode) is not asked at all, and the limit waits
 * only for this one answer (or its error or timeout). */
static void ask_config(struct csms *app, struct charger *ch)
{
	static const char *const keys[] = { "ChargingScheduleAllowedChargingRateUnit",
					    "SupportedFeatureProfiles", "ConnectorPhaseRotation",
					    "ConnectorSwitch3to1PhaseSupported" };
	char why[256];
	cJSON *req = cJSON_CreateObject(), *k = cJSON_AddArrayToObject(req, "key");
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		cJSON_AddItemToArray(k, cJSON_CreateString(keys[i]));
	struct config_call *cc = calloc(1, sizeof *cc);
	if (cc) {
		cc->app = app;
		snprintf(cc->id, sizeof cc->id, "%s", ch->id);
		cc->gen = ++ch->dlm.lang_gen;
		if (ocppj_call_src(ch->session, "GetConfiguration", req, "dlm", config_done, cc, why,
				   sizeof why)) {
			LOGW("dlm", "%s: cannot ask GetConfiguration: %s", ch->id, why);
			free(cc);
		} else {
			ch->dlm.lang_pending = 1;
		}
	}
	cJSON_Delete(req);
}

/* Its MeterValues show a DC charger: a Voltage without phase above what
 * any AC phase has (DC link voltages are 200-1000 V; AC meters report
 * L-N ~230 V with a phase). */
static void infer_dc(struct csms *app, struct charger *ch)
{
	if (ch->caps.dc_seen || strcmp(ch->settings.kind, "auto"))
		return;
	for (int i = 1; i < CHARGER_MAX_CONN; i++)
		if (charger_conn_get(ch, i)->live.ts_ms &&
		    charger_conn_get(ch, i)->live.voltage_any_v > 260) {
			ch->caps.dc_seen = 1;
			LOGI("dlm", "%s: a DC charger (%.0f V without phase): limits in W", ch->id,
			     charger_conn_get(ch, i)->live.voltage_any_v);
			caps_changed(app, ch, -1, "");
			return;
		}
}

/* A charger told to draw on one phase that draws on more after its
 * reaction time: back to its wired phases, one line, an alarm; no more
 * switching until an admin changes phaseSwitching. */
static void check_phases(struct csms *app, struct charger *ch)
{
	if (!ch->dlm.phase_cmd_ms || ch->caps.phase_fault || ch->dlm.sent_limit_a <= 0 || ch->dlm.in_flight)
		return;
	int64_t newest = 0;
	for (int i = 1; i < CHARGER_MAX_CONN; i++)
		if (charger_conn_get(ch, i)->live.ts_ms > newest)
			newest = charger_conn_get(ch, i)->live.ts_ms;
	dlm_meter_sample m;
	meter_sample(ch, &m);
	if (dlm_send_phase_check(ch->dlm.sent_phases, ch->dlm.phase_cmd_ms, react_ms(app, ch), &m,
				 newest ? newest : DLM_NO_TIME) != DLM_PHASES_IGNORED)
		return;
	char info[200];
	snprintf(info, sizeof info,
		 "told numberPhases %d, drew %.1f/%.1f/%.1f A on L1/L2/L3 after %.0f s: back on %d phases, "
		 "no switching until phaseSwitching is changed",
		 ch->dlm.sent_phases, isfinite(m.current_a[0]) ? m.current_a[0] : 0,
		 isfinite(m.current_a[1]) ? m.current_a[1] : 0, isfinite(m.current_a[2]) ? m.current_a[2] : 0,
		 (double)react_ms(app, ch) / 1000, charger_phases(ch));
	ch->caps.phase_fault = 1;
	LOGW("dlm", "%s does not follow a phase switch: %s", ch->id, info);
	if (charger_caps_save(app->store, ch))
		LOGW("dlm", "%s: cannot store what it can do", ch->id);
	alarms_capability(app, ch->id, ALARM_SRC_PHASES, ALARM_CODE_PHASES_IGNORED, info);
}

/* A charger that draws more than its installed limit (+ tolerance) for
 * longer than its reaction time + a margin (dlm_send_follow_check): an
 * alarm and one line; cleared, with one line, once it draws within it. */
static void check_follow(struct csms *app, struct charger *ch)
{
	int64_t newest = 0;
	for (int i = 1; i < CHARGER_MAX_CONN; i++)
		if (charger_conn_get(ch, i)->live.ts_ms > newest)
			newest = charger_conn_get(ch, i)->live.ts_ms;
	dlm_meter_sample m;
	meter_sample(ch, &m);
	int64_t since = ch->dlm.over_since_ms ? ch->dlm.over_since_ms : DLM_NO_TIME;
	dlm_follow_check f = dlm_send_follow_check(ch->dlm.sent_limit_a, ch->dlm.prev_limit_a,
						   ch->dlm.changed_ms ? ch->dlm.changed_ms : DLM_NO_TIME,
						   react_ms(app, ch), &m, newest ? newest : DLM_NO_TIME,
						   app->now_ms, &since);
	ch->dlm.over_since_ms = since == DLM_NO_TIME ? 0 : since;
	if (f == DLM_FOLLOW_IGNORED && ch->dlm.follow_shown != 2) {
		char info[200];
		snprintf(info, sizeof info,
			 "limit %.1f A acknowledged, draws %.1f/%.1f/%.1f A on L1/L2/L3 for %.0f s (reaction "
			 "time %.0f s)",
			 ch->dlm.sent_limit_a, isfinite(m.current_a[0]) ? m.current_a[0] : 0,
			 isfinite(m.current_a[1]) ? m.current_a[1] : 0,
			 isfinite(m.current_a[2]) ? m.current_a[2] : 0, (double)(app->now_ms - since) / 1000,
			 (double)react_ms(app, ch) / 1000);
		alarms_capability(app, ch->id, ALARM_SRC_DLM, ALARM_CODE_LIMIT_NOT_FOLLOWED, info);
		ch->dlm.follow_shown = 2;
	} else if (f == DLM_FOLLOW_OK && ch->dlm.follow_shown != 1) {
		alarms_capability(app, ch->id, ALARM_SRC_DLM, ALARM_CODE_LIMIT_NOT_FOLLOWED, NULL);
		ch->dlm.follow_shown = 1;
	}
}

/* struct charger_dlm holds the send state (the API and commands.c read it
 * there); the rules on it are dlm/dlm_send's. 0 = never in changed_ms. */
static void send_state_get(const struct charger_dlm *d, dlm_send_state *s)
{
	s->sent_limit_a = d->sent_limit_a;
	s->prev_limit_a = d->prev_limit_a;
	s->changed_ms = d->changed_ms ? d->changed_ms : DLM_NO_TIME;
	s->sent_phases = d->sent_phases;
	s->need_send = d->need_send;
	s->in_flight = d->in_flight;
	s->rejected = d->rejected;
	s->rejected_ms = d->rejected_ms;
}

static void send_state_put(struct charger_dlm *d, const dlm_send_state *s)
{
	d->sent_limit_a = s->sent_limit_a;
	d->prev_limit_a = s->prev_limit_a;
	d->changed_ms = s->changed_ms == DLM_NO_TIME ? 0 : s->changed_ms;
	d->sent_phases = s->sent_phases;
	d->need_send = s->need_send;
	d->in_flight = s->in_flight;
	d->rejected = s->rejected;
	d->rejected_ms = s->rejected_ms;
}

/* One dlm_send state change on the charger's holder. */
static void send_state_apply(struct charger_dlm *d, void (*change)(dlm_send_state *))
{
	dlm_send_state s;
	send_state_get(d, &s);
	change(&s);
	send_state_put(d, &s);
}

/* The reaction time of the charger's site. */
static int64_t react_ms(struct csms *app, const struct charger *ch)
{
	return (int64_t)(charger_loop(app, ch)->cfg->dlm_react_s * 1000);
}

/* How long its car may still be reacting to its last new limit, ms (0: not). */
static int64_t window_left_ms(struct csms *app, const struct charger *ch)
{
	dlm_send_state s;
	const int64_t react = react_ms(app, ch);
	send_state_get(&ch->dlm, &s);
	return dlm_send_in_window(&s, react, app->now_ms) ? s.changed_ms + react - app->now_ms : 0;
}

/* What a charger draws now, per grid phase: during the reaction time after a
 * change of its limit (IEC 61851 gives a car 5 s) the larger of its old and
 * new limit, after it its MeterValues when newer than the window
 * (dlm_send_draw). */
static void estimate_draw(struct csms *app, const struct charger *ch, dlm_charger_in *in)
{
	int64_t newest = 0;
	for (int i = 1; i < CHARGER_MAX_CONN; i++)
		if (charger_conn_get(ch, i)->live.ts_ms > newest)
			newest = charger_conn_get(ch, i)->live.ts_ms;
	dlm_send_state s;
	dlm_meter_sample m;
	send_state_get(&ch->dlm, &s);
	meter_sample(ch, &m);
	dlm_send_draw(&s, in, react_ms(app, ch), app->now_ms, &m, newest ? newest : DLM_NO_TIME, in->draw_a);
}

struct profile_call {
	struct csms *app;
	unsigned gen; /* ch->dlm.call_gen when sent */
	char id[STORE_ID_MAX];
	double limit_a;
	int phases;
};

/* The charger's phase voltage from its MeterValues (NAN: not reported). */
static double charger_volts(const struct charger *ch)
{
	double sum = 0;
	int n = 0;
	for (int i = 1; i < CHARGER_MAX_CONN; i++)
		for (int p = 0; p < 3; p++)
			if (charger_conn_get(ch, i)->live.ts_ms &&
			    isfinite(charger_conn_get(ch, i)->live.voltage_v[p])) {
				sum += charger_conn_get(ch, i)->live.voltage_v[p];
				n++;
			}
	return n ? sum / n : NAN;
}

static void send_profile(struct csms *app, struct charger *ch, double limit, int phases,
			 dlm_send_why why_send)
{
	char ts[40], why[256];
	dlm_send_rate rate;
	unsigned units = (ch->caps.units & CHARGER_UNIT_A ? DLM_UNIT_A : 0u) |
		(ch->caps.units & CHARGER_UNIT_W ? DLM_UNIT_W : 0u);
	if (dlm_send_rate_for(limit, phases, charger_volts(ch), units, charger_is_dc(ch), &rate)) {
		LOGE("dlm", "%s: no rate for %.1f A x%d", ch->id, limit, phases);
		return;
	}
	cJSON *req = cJSON_CreateObject();
	cJSON_AddNumberToObject(req, "connectorId", 0);
	cJSON *p = cJSON_AddObjectToObject(req, "csChargingProfiles");
	cJSON_AddNumberToObject(p, "chargingProfileId", PROFILE_ID);
	cJSON_AddNumberToObject(p, "stackLevel", 0);
	cJSON_AddStringToObject(p, "chargingProfilePurpose", "ChargePointMaxProfile");
	cJSON_AddStringToObject(p, "chargingProfileKind", "Absolute");
	cJSON *s = cJSON_AddObjectToObject(p, "chargingSchedule");
	/* Starts a minute back so a charger clock slightly behind ours applies it at once. */
	cJSON_AddStringToObject(s, "startSchedule", time_format_iso(app->now_ms - 60000, ts, sizeof ts));
	char unit[2] = { rate.unit, 0 };
	cJSON_AddStringToObject(s, "chargingRateUnit", unit);
	cJSON *per = cJSON_AddArrayToObject(s, "chargingSchedulePeriod"), *e = cJSON_CreateObject();
	cJSON_AddNumberToObject(e, "startPeriod", 0);
	cJSON_AddNumberToObject(e, "limit",
				rate.unit == 'A' ? floor(rate.limit * 10 + 1e-9) / 10 : rate.limit);
	if (rate.phases)
		cJSON_AddNumberToObject(e, "numberPhases", rate.phases);
	cJSON_AddItemToArray(per, e);
	struct profile_call *pc = calloc(1, sizeof *pc);
	if (pc) {
		pc->app = app;
		snprintf(pc->id, sizeof pc->id, "%s", ch->id);
		pc->limit_a = limit;
		pc->phases = phases;
		pc->gen = ++ch->dlm.call_gen;
		if (ocppj_call_src(ch->session, "SetChargingProfile", req, "dlm", profile_done, pc, why,
				   sizeof why)) {
			LOGE("dlm", "%s: cannot send SetChargingProfile: %s", ch->id, why);
			free(pc);
		} else {
			LOGD("dlm", "%s: SetChargingProfile %.1f A x%d as %.1f %c (%s)", ch->id, limit,
			     phases, rate.limit, rate.unit, dlm_send_why_str(why_send));
			ch->dlm.sent_unit = rate.unit;
			ch->dlm.sent_rate = rate.limit;
			ch->dlm.last_sent_a = limit;
			send_state_apply(&ch->dlm, dlm_send_started);
			charger_loop(app, ch)->profiles_sent++;
		}
	}
	cJSON_Delete(req);
}

static void profile_done(void *arg, const struct call_result *r)
{
	struct profile_call *pc = arg;
	struct csms *app = pc->app;
	struct charger *ch = charger_find(app->chargers, app->store, pc->id);
	/* A call on a connection that has since been replaced ends as "Closed":
	 * it says nothing about the profile in flight on the new one. */
	if (ch && pc->gen != ch->dlm.call_gen)
		ch = NULL;
	if (ch) {
		const cJSON *st = r->status == OCPP_OK ? cJSON_GetObjectItem(r->payload, "status") : NULL;
		const char *status = cJSON_IsString(st) ? st->valuestring : r->code;
		snprintf(ch->dlm.profile_status, sizeof ch->dlm.profile_status, "%s", status ? status : "?");
		dlm_send_outcome o = DLM_SEND_REFUSED; /* Rejected, NotSupported, a CALLERROR, a timeout */
		if (cJSON_IsString(st) && !strcmp(st->valuestring, "Accepted"))
			o = DLM_SEND_ACCEPTED;
		else if (r->outcome == CALL_CLOSED)
			o = DLM_SEND_CLOSED; /* the connection went away */
		dlm_send_state s;
		send_state_get(&ch->dlm, &s);
		if (o == DLM_SEND_ACCEPTED && pc->phases != s.sent_phases)
			ch->dlm.phase_cmd_ms = app->now_ms; /* the car must follow from now (the first
							      limit too: it drew on its wired phases) */
		dlm_send_done(&s, o, pc->limit_a, pc->phases, app->now_ms);
		send_state_put(&ch->dlm, &s);
		/* Several nodes: the lead learns its new draw now, not at our next
		 * tick. Until then it would take the meter's rise (the car
		 * following the raise) for house load and cut every charger of
		 * the site, this one to 0, over and over. */
		if (o == DLM_SEND_ACCEPTED && s.changed_ms == app->now_ms)
			send_input(app, charger_loop(app, ch), ch);
		if (o == DLM_SEND_REFUSED)
			LOGW("dlm", "%s refused its charging profile (%.1f A): %s", ch->id, pc->limit_a,
			     status ? status : "?");
		/* NotSupported: it has no SmartCharging whatever it said; no
		 * NotImplemented either (an action it does not know) */
		if (r->outcome == CALL_ERROR && r->code &&
		    (!strcmp(r->code, "NotSupported") || !strcmp(r->code, "NotImplemented")))
			caps_changed(app, ch, 0, "answered NotSupported to SetChargingProfile");
	}
	free(pc);
}

/* What a charger connected here draws now, W: its connectors' power while
 * it has a session (0 when not reported). */
static double charger_power_w(const struct charger *ch)
{
	double w = 0;
	for (int k = 1; k < CHARGER_MAX_CONN && ch->session; k++) {
		const struct charger_live *l = &charger_conn_get(ch, k)->live;
		if (l->ts_ms && isfinite(l->power_w) && l->power_w > 0)
			w += l->power_w;
	}
	return w;
}

void control_ev_draw_a(struct csms *app, double ev_a[3])
{
	ev_a[0] = ev_a[1] = ev_a[2] = 0;
	for (const struct charger *ch = charger_first(app->chargers); ch; ch = ch->next) {
		if (strcmp(ch->settings.site, STORE_SITE_DEFAULT))
			continue; /* another site's: not in the station's house */
		dlm_ev_state s = ch->session && ch->reg == REG_ACCEPTED ? ev_state(ch) : DLM_EV_IDLE;
		if (s == DLM_EV_IDLE)
			continue; /* no car: nothing flows */
		dlm_meter_sample m;
		double d[3];
		uint8_t gp = (uint8_t)(ch->settings.grid_phase >= 1 && ch->settings.grid_phase <= 3
					       ? ch->settings.grid_phase - 1
					       : 0);
		meter_sample(ch, &m);
		if (dlm_draw_from_meter(&m, ch->settings.phases == 1 ? 1 : 3, gp, s,
					ch->dlm.sent_limit_a > 0 ? ch->dlm.sent_limit_a : 0, d, NULL) == 0)
			for (int p = 0; p < 3; p++)
				ev_a[p] += d[p];
	}
}

/* Sensor sim: the reading of the simulated house now (energy.c owns it:
 * the station's house), pushed as a meter would post it. No station
 * running: no reading, and DLM falls back once the last one is stale. */
static void sim_reading(struct csms *app, struct control *ctl)
{
	dlm_reading r;
	char err[128];
	if (!ctl->sensor || dlm_sensor_kind_of(ctl->sensor) != DLM_SENSOR_SIM)
		return;
	dlm_reading_clear(&r);
	if (energy_house_grid(app, r.current_a, ctl->sim_gen_a))
		return;
	r.power_total_w = 0;
	for (int p = 0; p < 3; p++) {
		r.voltage_v[p] = 230;
		r.power_w[p] = r.current_a[p] * 230;
		r.power_total_w += r.power_w[p];
	}
	r.ts_ms = app->now_ms;
	if (dlm_sensor_push(ctl->sensor, &r, err, sizeof err))
		LOGW("dlm", "simulated reading refused: %s", err);
}

static void take_reading(struct control *ctl)
{
	uint64_t seq;
	dlm_reading r;
	if (ctl->sensor && dlm_sensor_latest(ctl->sensor, &r, &ctl->health, &seq) == 0 && seq != ctl->seq) {
		ctl->seq = seq;
		ctl->reading = r;
		ctl->have_reading = 1;
	}
}

static void decide_inner(struct csms *app, struct control *ctl);
static int charger_input(struct csms *app, struct charger *ch, dlm_charger_in *in);

/* The decision's meter-vs-chargers flag as an alarm and one log line, each
 * time it changes (and at the first decision: clearing one an earlier run
 * left active). */
static void disagreement_alarm(struct csms *app, struct control *ctl)
{
	const dlm_output *o = &ctl->out;
	int now = o->disagree ? 1 : 0;
	if (now == ctl->disagree_shown)
		return;
	char info[192];
	snprintf(info, sizeof info,
		 "grid current minus the chargers' draws is below what local generation explains by L1 %.1f "
		 "A, "
		 "L2 %.1f A, L3 %.1f A: DLM counts that part as 0",
		 o->unexplained_a[0], o->unexplained_a[1], o->unexplained_a[2]);
	int rc = alarms_site(app, ctl->src_dlm, "MeterChargersDisagree", now ? info : NULL);
	if (rc < 0)
		return; /* the store failed: try again at the next decision */
	if (now)
		LOGW("dlm", "meter and chargers disagree: %s", info);
	else if (ctl->disagree_shown == 1 || rc > 0)
		LOGI("dlm", "meter and chargers agree again");
	ctl->disagree_shown = now;
}

/* Times one decision: from the reading to every SetChargingProfile frame
 * queued for writing (the bench figure of GET /api/v1/dlm "lastDecisionUs"). */
static void decide(struct csms *app, struct control *ctl)
{
	struct timespec a, b;
	uint64_t sent = ctl->profiles_sent;
	clock_gettime(CLOCK_MONOTONIC, &a);
	decide_inner(app, ctl);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ctl->last_decide_us = (double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3;
	ctl->last_decide_sent = (int)(ctl->profiles_sent - sent);
}

/* ---- one control loop per site (issue 15: several nodes) ----
 * Only the node that holds the site's advisory lock (fleet_control) reads
 * the grid sensor and runs dlm_compute; every other node sends it, at each
 * of its control ticks and the moment a charger accepts a new limit (else
 * the meter's rise as its car follows looks like house load), each of its
 * chargers' DLM input (charger_input: state, phases, maximum, target,
 * estimated draw; "w", how long its car may still react; "i", the limit
 * it accepted last) as a "dlmin" bus message, and the lock holder answers
 * each with a "dlmout" (limit, phases, what the urgent-cut rule needs:
 * stale, budget and "ie", the limits installed on the site's other
 * chargers per phase; and "h": another charger of the site reacts, so
 * raises wait). So the hold and the urgent cut count the whole site, as
 * on one node. The node that holds the
 * charger's websocket runs dlm_send_plan and sends the profile, as it does
 * for its own DLM: its send state (what the charger accepted, in flight,
 * refused) stays where the answers arrive. Why this design and not the
 * holder sending SetChargingProfile through the forwarded admin calls:
 * the decision is made in one place from one input vector (so the sum of
 * limits respects the breaker as on one node), a limit is only ever
 * applied when it comes from the node that the store names as holder
 * (lead_node, read every tick) and never from this node's own DLM unless
 * it holds the lock, so two nodes never give a charger conflicting limits;
 * and nothing new is needed for a charger's send state or its language.
 * A takeover: the new holder starts from the stored settings, its own
 * sensor and the inputs the others send it within a tick, and every node
 * marks its chargers to be sent their limit again (dlm_send_online) when
 * the holder changes. An input not refreshed within REMOTE_FRESH_MS (its
 * node died or lost the bus) leaves the decision: the charger keeps its
 * last installed limit until its node or the charger's new node sends a
 * fresh input. On SQLite (one node) fleet_control is always 1 and none of
 * this runs. */

#define REMOTE_FRESH_MS(ctl) (3 * (int64_t)(ctl)->cfg->dlm_tick_ms + 2000)

static void plan_and_send(struct csms *app, struct control *ctl, size_t n,
			  const dlm_send_elsewhere *elsewhere);

/* A number member of o in [lo, hi]: 0 with *out, or -1. */
static int num_in(const cJSON *o, const char *k, double lo, double hi, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < lo || v->valuedouble > hi)
		return -1;
	*out = v->valuedouble;
	return 0;
}

/* Three numbers in [lo, hi] under k. */
static int num3_in(const cJSON *o, const char *k, double lo, double hi, double out[3])
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 3)
		return -1;
	for (int p = 0; p < 3; p++) {
		const cJSON *v = cJSON_GetArrayItem(a, p);
		if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < lo ||
		    v->valuedouble > hi)
			return -1;
		out[p] = v->valuedouble;
	}
	return 0;
}

#define AMPS_MAX 10000.0 /* no charger input or limit is beyond this */

static cJSON *input_json(const dlm_charger_in *in)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "ph", in->phases);
	cJSON_AddNumberToObject(o, "gp", in->grid_phase);
	cJSON_AddNumberToObject(o, "st", in->state);
	cJSON_AddNumberToObject(o, "min", in->min_a);
	cJSON_AddNumberToObject(o, "max", in->max_a);
	cJSON_AddNumberToObject(o, "tgt", in->target_a);
	cJSON_AddItemToObject(o, "d", cJSON_CreateDoubleArray(in->draw_a, 3));
	cJSON_AddBoolToObject(o, "fx", in->fixed);
	return o;
}

static int input_read(const cJSON *o, dlm_charger_in *in)
{
	double ph, gp, st;
	const cJSON *fx = cJSON_GetObjectItemCaseSensitive(o, "fx");
	memset(in, 0, sizeof *in);
	if (num_in(o, "ph", 1, 3, &ph) || (ph != 1 && ph != 3) || num_in(o, "gp", 0, 2, &gp) ||
	    gp != floor(gp) || num_in(o, "st", 0, DLM_EV_SUSPENDED, &st) || st != floor(st) ||
	    num_in(o, "min", 0, AMPS_MAX, &in->min_a) || num_in(o, "max", 0, AMPS_MAX, &in->max_a) ||
	    num_in(o, "tgt", -AMPS_MAX, AMPS_MAX, &in->target_a) ||
	    num3_in(o, "d", -AMPS_MAX, AMPS_MAX, in->draw_a) || !cJSON_IsBool(fx))
		return -1;
	in->phases = (uint8_t)ph;
	in->grid_phase = (uint8_t)gp;
	in->state = (dlm_ev_state)st;
	in->fixed = cJSON_IsTrue(fx);
	return 0;
}

/* A charger of the site's loop. */
static int in_site(const struct control *ctl, const struct charger *ch)
{
	return !strcmp(ch->settings.site, ctl->site);
}

/* The charger of that id with a session here, or NULL. */
static struct charger *connected_here(struct csms *app, const char *id)
{
	for (struct charger *ch = charger_first(app->chargers); ch; ch = ch->next)
		if (ch->session && !strcmp(ch->id, id))
			return ch;
	return NULL;
}

/* The lead: the fresh inputs of other nodes' chargers after the n local
 * ones (a charger connected here now counts once, as ours). The new n. */
static size_t remote_inputs(struct csms *app, struct control *ctl, size_t n)
{
	for (size_t r = 0; r < ctl->nremote && n < DLM_MAX_CHARGERS; r++) {
		struct remote_in *ri = &ctl->remote[r];
		if (app->now_ms - ri->at_ms > REMOTE_FRESH_MS(ctl) || connected_here(app, ri->id))
			continue;
		ctl->chin[n] = ri->in;
		/* the station runs here, with the lead: its charging mode's target
		 * (Solar Boost, 100% PV) is set here, not by the node that holds
		 * the charger (its station does not step); DLM keeps the last word */
		double target;
		if (energy_ev_target(energy_of(app, ctl->site), ri->id, &target, NULL) == 0)
			ctl->chin[n].target_a = target;
		ctl->chv[n] = NULL;
		ctl->rix[n++] = r;
	}
	return n;
}

/* The lead: what charger i of the decision adds to the site's send rules
 * (in its reaction window; *installed_a, its installed limit, < 0 none),
 * as this node knows it or as its node said (an input past the nl local
 * ones). */
static bool site_part(struct csms *app, const struct control *ctl, size_t i, size_t nl, double *installed_a)
{
	if (i < nl) {
		*installed_a = ctl->chv[i]->dlm.sent_limit_a;
		return window_left_ms(app, ctl->chv[i]) > 0;
	}
	const struct remote_in *ri = &ctl->remote[ctl->rix[i]];
	*installed_a = ri->installed_a;
	return app->now_ms < ri->window_ms;
}

/* The lead, with other nodes' chargers in the decision (past the nl local
 * ones, up to n): sends each its limit with the rest of the site (another
 * charger in its reaction window: "h"; the others' installed limits per
 * phase: "ie"), and returns what the other nodes' chargers are to the
 * chargers connected here. */
static dlm_send_elsewhere send_remote(struct csms *app, struct control *ctl, size_t nl, size_t n)
{
	dlm_send_elsewhere remote = { 0 };
	size_t windows = 0; /* the site's chargers in their window */
	double site[3] = { 0, 0, 0 }, lim;
	for (size_t i = 0; i < n; i++) {
		bool w = site_part(app, ctl, i, nl, &lim);
		windows += w;
		dlm_send_add_installed(lim, &ctl->chin[i], site);
		if (i >= nl) {
			remote.held |= w;
			dlm_send_add_installed(lim, &ctl->chin[i], remote.installed_a);
		}
	}
	for (size_t i = nl; i < n; i++) {
		const struct remote_in *ri = &ctl->remote[ctl->rix[i]];
		const dlm_charger_out *o = &ctl->out.chargers[i];
		const bool own = site_part(app, ctl, i, nl, &lim);
		double others[3] = { 0, 0, 0 };
		dlm_send_add_installed(lim, &ctl->chin[i], others);
		for (int p = 0; p < 3; p++)
			others[p] = fmax(site[p] - others[p], 0);
		struct fleetmsg m = { .type = FLEETMSG_DLMOUT, .payload = cJSON_CreateObject() };
		snprintf(m.charger, sizeof m.charger, "%s", ri->id);
		cJSON_AddNumberToObject(m.payload, "l", o->limit_a);
		cJSON_AddNumberToObject(m.payload, "ph", o->phases);
		cJSON_AddNumberToObject(m.payload, "r", o->reason);
		cJSON_AddNumberToObject(m.payload, "tg", o->target_a);
		cJSON_AddBoolToObject(m.payload, "s", ctl->out.stale);
		cJSON_AddItemToObject(m.payload, "b", cJSON_CreateDoubleArray(ctl->out.budget_a, 3));
		cJSON_AddStringToObject(m.payload, "site", ctl->site);
		cJSON_AddBoolToObject(m.payload, "h", windows > (size_t)own);
		cJSON_AddItemToObject(m.payload, "ie", cJSON_CreateDoubleArray(others, 3));
		if (fleet_send(app, ri->node, &m))
			LOGW("dlm", "%s: cannot send its limit to node %s", ri->id, ri->node);
		fleetmsg_free(&m);
	}
	return remote;
}

/* Not the lead: one charger's input to the node that runs the loop. */
static void send_input(struct csms *app, struct control *ctl, struct charger *ch)
{
	dlm_charger_in in;
	if (ctl->lead || !ctl->lead_node[0] || !in_site(ctl, ch) || charger_input(app, ch, &in))
		return;
	struct fleetmsg m = { .type = FLEETMSG_DLMIN, .payload = input_json(&in) };
	cJSON_AddStringToObject(m.payload, "site", ctl->site);
	cJSON_AddNumberToObject(m.payload, "pw", charger_power_w(ch));            /* for the lead's station */
	cJSON_AddNumberToObject(m.payload, "w", (double)window_left_ms(app, ch)); /* the lead holds raises */
	cJSON_AddNumberToObject(m.payload, "i", ch->dlm.sent_limit_a); /* and counts it in the urgent cut */
	snprintf(m.charger, sizeof m.charger, "%s", ch->id);
	if (fleet_send(app, ctl->lead_node, &m))
		LOGW("dlm", "%s: cannot send its input to node %s", ch->id, ctl->lead_node);
	fleetmsg_free(&m);
}

/* Not the lead: each charger's input, at every tick. */
static void send_inputs(struct csms *app, struct control *ctl)
{
	for (struct charger *ch = charger_first(app->chargers); ch; ch = ch->next)
		send_input(app, ctl, ch);
}

/* The lead: another node's charger's input, kept until it is stale. */
static void on_input(struct csms *app, struct control *ctl, const struct fleetmsg *m)
{
	dlm_charger_in in;
	if (!ctl->lead || input_read(m->payload, &in)) {
		if (ctl->lead)
			LOGW("dlm", "%s: a bad input from node %s refused", m->charger, m->from);
		return;
	}
	size_t r, free_r = ctl->nremote;
	for (r = 0; r < ctl->nremote && strcmp(ctl->remote[r].id, m->charger); r++)
		if (free_r == ctl->nremote && app->now_ms - ctl->remote[r].at_ms > 60000)
			free_r = r; /* gone for a minute: its place may be reused */
	if (r == ctl->nremote) {
		if (free_r == ctl->nremote && ctl->nremote == DLM_MAX_CHARGERS)
			return;
		r = free_r;
		if (r == ctl->nremote)
			ctl->nremote++;
		snprintf(ctl->remote[r].id, sizeof ctl->remote[r].id, "%s", m->charger);
		ctl->remote[r].in.id = next_dlm_id(app);
	}
	struct remote_in *ri = &ctl->remote[r];
	uint32_t id = ri->in.id;
	ri->in = in;
	ri->in.id = id; /* our key for dlm_state, not the sender's */
	/* its power ("pw" absent: a node from before; its draw at 230 V) */
	if (num_in(m->payload, "pw", 0, 1e6, &ri->power_w))
		ri->power_w = (fmax(in.draw_a[0], 0) + fmax(in.draw_a[1], 0) + fmax(in.draw_a[2], 0)) * 230.0;
	snprintf(ri->node, sizeof ri->node, "%s", m->from);
	ri->at_ms = app->now_ms;
	double w; /* "w" absent: a node from before, which says nothing of it */
	ri->window_ms = app->now_ms + (num_in(m->payload, "w", 0, 3600000, &w) ? 0 : (int64_t)w);
	if (num_in(m->payload, "i", -1, AMPS_MAX, &ri->installed_a)) /* "i" absent: nothing known */
		ri->installed_a = -1;
}

/* Not the lead: a limit for a charger of ours from the node that runs
 * the loop (and only from it). */
static void on_limit(struct csms *app, struct control *ctl, const struct fleetmsg *m)
{
	struct charger *ch = connected_here(app, m->charger);
	double l, ph, r, tg;
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(m->payload, "s");
	if (ctl->lead || strcmp(m->from, ctl->lead_node) || !ch || !in_site(ctl, ch) ||
	    charger_input(app, ch, &ctl->chin[0]))
		return;
	dlm_output *o = &ctl->out;
	if (num_in(m->payload, "l", 0, AMPS_MAX, &l) || num_in(m->payload, "ph", 0, 3, &ph) ||
	    ph != floor(ph) || num_in(m->payload, "r", 0, DLM_R_COUNT - 1, &r) || r != floor(r) ||
	    num_in(m->payload, "tg", -AMPS_MAX, AMPS_MAX, &tg) || !cJSON_IsBool(st) ||
	    num3_in(m->payload, "b", -AMPS_MAX, AMPS_MAX, o->budget_a)) {
		LOGW("dlm", "%s: a bad limit from node %s refused", m->charger, m->from);
		return;
	}
	o->n = 1;
	o->stale = cJSON_IsTrue(st);
	o->chargers[0] = (dlm_charger_out){ .id = ctl->chin[0].id,
					    .limit_a = l,
					    .phases = (uint8_t)ph,
					    .reason = (dlm_reason)r,
					    .target_a = tg };
	ctl->chv[0] = ch;
	/* "h": a charger of the site elsewhere is in its window; "ie": what the
	 * others installed (absent: a node from before, which says nothing) */
	dlm_send_elsewhere e = { .held = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m->payload, "h")) };
	if (cJSON_GetObjectItemCaseSensitive(m->payload, "ie") &&
	    num3_in(m->payload, "ie", 0, DLM_MAX_CHARGERS * AMPS_MAX, e.installed_a)) {
		LOGW("dlm", "%s: a bad limit from node %s refused", m->charger, m->from);
		return;
	}
	plan_and_send(app, ctl, 1, &e);
}

void control_remote_each(struct csms *app, const char *site,
			 void (*fn)(void *arg, const char *id, int plugged, double power_w), void *arg)
{
	struct control *ctl = site_loop(app, site);
	for (size_t r = 0; ctl && ctl->lead && r < ctl->nremote; r++) {
		const struct remote_in *ri = &ctl->remote[r];
		if (app->now_ms - ri->at_ms <= REMOTE_FRESH_MS(ctl) && !connected_here(app, ri->id))
			fn(arg, ri->id, ri->in.state != DLM_EV_IDLE, ri->power_w);
	}
}

void control_fleet_msg(struct csms *app, struct fleetmsg *m)
{
	if (!app->control || !m->payload)
		return;
	/* the site's loop ("site" absent: a node from before the sites, the default) */
	const cJSON *site = cJSON_GetObjectItemCaseSensitive(m->payload, "site");
	struct control *ctl = site_loop(app, cJSON_IsString(site) ? site->valuestring : STORE_SITE_DEFAULT);
	if (!ctl)
		return; /* a site this node has not read yet */
	if (m->type == FLEETMSG_DLMIN)
		on_input(app, ctl, m);
	else if (m->type == FLEETMSG_DLMOUT)
		on_limit(app, ctl, m);
}

/* Every tick: whether we run the loop, and who does. A change of holder:
 * every charger here gets its limit sent again from the new decisions. */
static void fleet_lead(struct csms *app, struct control *ctl)
{
	char node[FLEETMSG_NODE_MAX] = "";
	int was = ctl->lead;
	ctl->lead = fleet_control_site(app, ctl->site);
	if (ctl->lead && !was && ctl->is_default)
		default_reread(app, ctl); /* decide with what another node kept a moment ago */
	if (fleet_control_node_site(app, ctl->site, node) != 1)
		node[0] = '\0';
	if (strcmp(node, ctl->lead_node)) {
		for (struct charger *ch = charger_first(app->chargers); ch; ch = ch->next)
			if (ch->session && in_site(ctl, ch))
				send_state_apply(&ch->dlm, dlm_send_online);
		if (!ctl->lead)
			ctl->nremote = 0; /* a later lead starts from fresh inputs */
	}
	snprintf(ctl->lead_node, sizeof ctl->lead_node, "%s", node);
}

/* A charger connected here as DLM's input: 0, or -1 when it takes no part
 * (not accepted, or waiting for its boot). */
static int charger_input(struct csms *app, struct charger *ch, dlm_charger_in *in)
{
	if (!ch->session || ch->reg != REG_ACCEPTED)
		return -1;
	/* Wait for the boot, or a few seconds for a charger that reconnects without one. */
	if (!ch->session->booted && app->now_ms - ch->session->connected_ms < 3000)
		return -1;
	if (!ch->dlm.id)
		ch->dlm.id = next_dlm_id(app);
	const struct charger_settings *s = &ch->settings;
	memset(in, 0, sizeof *in);
	in->id = ch->dlm.id;
	infer_dc(app, ch);
	check_phases(app, ch);
	check_follow(app, ch);
	in->phases = (uint8_t)charger_phases(ch);
	in->grid_phase = (uint8_t)(s->grid_phase - 1);
	in->state = ev_state(ch);
	in->min_a = 6;
	in->max_a = charger_max_a(app, ch);
	in->target_a = DLM_TARGET_MAX;
	in->fixed = ch->caps.smart == 0; /* it takes no profiles: it draws what it wants */
	/* The station's charging mode (Solar Boost, 100% PV) sets the target;
	 * DLM keeps the last word. */
	double target;
	int ph;
	if (energy_ev_target(energy_of(app, s->site), ch->id, &target, &ph) == 0) {
		in->target_a = target;
		/* a switch to one phase only where it is known to work */
		if (ph == 1 && in->phases == 3 && charger_can_switch_phases(ch))
			in->phases = 1;
	}
	estimate_draw(app, ch, in);
	return 0;
}

static void decide_inner(struct csms *app, struct control *ctl)
{
	size_t n = 0;
	for (struct charger *ch = charger_first(app->chargers); ch && n < DLM_MAX_CHARGERS; ch = ch->next)
		if (in_site(ctl, ch) && charger_input(app, ch, &ctl->chin[n]) == 0)
			ctl->chv[n++] = ch;
	size_t nl = n;
	n = remote_inputs(app, ctl, n);
	dlm_input in = { .grid_ts_ms = DLM_NO_TIME, .n = n, .chargers = ctl->chin };
	if (ctl->have_reading) {
		for (int p = 0; p < 3; p++)
			in.grid_a[p] = isfinite(ctl->reading.current_a[p]) ? ctl->reading.current_a[p] : 0;
		in.grid_ts_ms = ctl->reading.ts_ms;
	}
	/* What may explain a negative house current: the simulated house's
	 * own PV and battery, else what the station measures. */
	if (dlm_sensor_kind_of(ctl->sensor) == DLM_SENSOR_SIM)
		memcpy(in.gen_a, ctl->sim_gen_a, sizeof in.gen_a);
	else /* the site's station (its PV, battery), if it has one */
		in.gen_w = energy_generation_w(energy_of(app, ctl->site));
	if (dlm_compute(&ctl->dcfg, &in, &ctl->st, app->now_ms, &ctl->out)) {
		LOGE("dlm", "compute failed: %s", ctl->out.error);
		return;
	}
	ctl->decisions++;
	disagreement_alarm(app, ctl);
	/* Several nodes: the send rules are the site's, as on one node (while
	 * any car of it reacts to a new limit no raise goes out; the urgent
	 * cut counts every installed limit), so each node plans with the rest */
	dlm_send_elsewhere remote;
	if (n > nl)
		remote = send_remote(app, ctl, nl, n);
	ctl->out.n = nl; /* the plan is for the chargers connected here */
	plan_and_send(app, ctl, nl, n > nl ? &remote : NULL);
	ctl->out.n = n;
}

/* Which limits go out to chargers chv[0..n) (1 A steps, cuts at once,
 * raises held while a car reacts, refusals retried after a minute):
 * dlm_send_plan on ctl->out, whose n is n. */
static void plan_and_send(struct csms *app, struct control *ctl, size_t n,
			  const dlm_send_elsewhere *elsewhere)
{
	for (size_t i = 0; i < n; i++) {
		struct charger *ch = ctl->chv[i];
		send_state_get(&ch->dlm, &ctl->sch[i].st);
		ctl->sch[i].online = ch->session != NULL;
		ctl->sch[i].fast = !strcmp(ch->settings.charging_mode, "fast");
		/* DLM off: a Fast charger's limit is what its mode asks (its
		 * maximum), not DLM's share; sent only over one installed before */
		if (!ctl->cfg->dlm_enabled && ctl->sch[i].fast) {
			const dlm_charger_in *ci = &ctl->chin[i];
			ctl->out.chargers[i].limit_a =
				ci->target_a < 0 ? ci->max_a : fmin(ci->target_a, ci->max_a);
			ctl->out.chargers[i].phases = ci->phases;
		}
		ctl->sch[i].no_profiles = ch->caps.smart == 0;
	}
	if (dlm_send_plan(&ctl->out, ctl->chin, ctl->sch, n, ctl->cfg->dlm_enabled, elsewhere,
			  (int64_t)(ctl->cfg->dlm_react_s * 1000), app->now_ms, ctl->plan)) {
		LOGE("dlm", "send plan failed");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct charger *ch = ctl->chv[i];
		const dlm_charger_out *o = &ctl->out.chargers[i];
		ch->dlm.limit_a = o->limit_a;
		ch->dlm.phases = o->phases;
		ch->dlm.reason = dlm_reason_str(o->reason);
		memcpy(ch->dlm.draw_a, ctl->chin[i].draw_a, sizeof ch->dlm.draw_a);
		if (ctl->plan[i].send && !ch->dlm.lang_asked) {
			ch->dlm.lang_asked = 1; /* its language first; the limit at the answer */
			ask_config(app, ch);
		}
		/* an urgent cut does not wait for the answer: it goes in what is known */
		if (ctl->plan[i].send && (!ch->dlm.lang_pending || ctl->plan[i].urgent))
			send_profile(app, ch, o->limit_a, o->phases, ctl->plan[i].why);
	}
}

/* The grid sensor's state: erroring (its driver failed SENSOR_ERR_POLLS
 * polls in a row), stale (no reading for dlm_stale_s; one that never read
 * counts from the start), else healthy. Each change is one log line with
 * the error text; while DLM is on, stale and erroring are a site alarm. */
static void sensor_watch(struct csms *app, struct control *ctl)
{
	double age =
		(double)(app->now_ms - (ctl->have_reading ? ctl->reading.ts_ms : ctl->started_ms)) / 1000.0;
	int st = !ctl->health.ok && ctl->health.consecutive_failures >= SENSOR_ERR_POLLS ? SENSOR_ERRORING
		: age > ctl->cfg->dlm_stale_s                                            ? SENSOR_STALE
											 : SENSOR_HEALTHY;
	char info[256];
	if (st == SENSOR_ERRORING)
		snprintf(info, sizeof info, "grid sensor %s: %s (%u failures in a row)",
			 dlm_sensor_kinds[ctl->cfg->dlm_sensor].name, ctl->health.last_error,
			 (unsigned)ctl->health.consecutive_failures);
	else if (st == SENSOR_STALE)
		snprintf(info, sizeof info, "grid sensor %s: %s for %.0f s%s%s: DLM runs on its fallback",
			 dlm_sensor_kinds[ctl->cfg->dlm_sensor].name,
			 ctl->have_reading ? "no new reading" : "no reading", age,
			 *ctl->health.last_error ? ", last error: " : "", ctl->health.last_error);
	else
		snprintf(info, sizeof info, "grid sensor %s: readings again",
			 dlm_sensor_kinds[ctl->cfg->dlm_sensor].name);
	if (st != ctl->sensor_state) {
		if (st == SENSOR_HEALTHY)
			LOGI("dlm", "sensor %s -> %s: %s", sensor_state_names[ctl->sensor_state],
			     sensor_state_names[st], info);
		else
			LOGW("dlm", "sensor %s -> %s: %s", sensor_state_names[ctl->sensor_state],
			     sensor_state_names[st], info);
		ctl->sensor_state = st;
	}
	const char *code = !ctl->cfg->dlm_enabled ? NULL
		: st == SENSOR_ERRORING           ? ALARM_CODE_SENSOR_ERROR
		: st == SENSOR_STALE              ? ALARM_CODE_SENSOR_STALE
						  : NULL;
	alarms_site_watch(app, &ctl->sensor_alarm, "alarms", code, info);
}

/* One site's loop at its tick. */
static void site_tick(struct csms *app, struct control *ctl)
{
	if (app->now_ms < ctl->next_tick_ms)
		return;
	ctl->next_tick_ms = app->now_ms + ctl->cfg->dlm_tick_ms;
	fleet_lead(app, ctl);
	if (!ctl->lead) {
		send_inputs(app, ctl); /* the lead decides; we measure nothing */
		return;
	}
	sim_reading(app, ctl);
	take_reading(ctl);
	sensor_watch(app, ctl);
	decide(app, ctl);
}

void control_tick(struct csms *app)
{
	if (!app->control)
		return;
	if (app->now_ms >= app->control->next_reload_ms) {
		app->control->next_reload_ms = app->now_ms + SITE_RELOAD_MS;
		sites_reload(app);
	}
	for (struct control *ctl = app->control; ctl; ctl = ctl->next)
		site_tick(app, ctl);
}

void control_wake(struct csms *app)
{
	for (struct control *ctl = app->control; ctl; ctl = ctl->next) {
		if (!ctl->sensor || !ctl->lead)
			continue;
		uint64_t before = ctl->seq;
		take_reading(ctl);
		if (ctl->seq != before) {
			app->now_ms = time_now_ms();
			decide(app, ctl); /* a new reading: decide now, do not wait for the tick */
		}
	}
}

/* store_profile_each: the limit of our profile as the charger last accepted it. */
static int stored_limit(void *arg, const struct store_profile_row *p)
{
	double *lim = arg;
	if (p->profile_id != PROFILE_ID || !p->profile_json)
		return 0;
	cJSON *j = cJSON_Parse(p->profile_json);
	const cJSON *sched = cJSON_GetObjectItemCaseSensitive(j, "chargingSchedule");
	const cJSON *per =
		cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(sched, "chargingSchedulePeriod"), 0);
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(per, "limit");
	const cJSON *unit = cJSON_GetObjectItemCaseSensitive(sched, "chargingRateUnit");
	const cJSON *np = cJSON_GetObjectItemCaseSensitive(per, "numberPhases");
	if (cJSON_IsNumber(l) && isfinite(l->valuedouble) && l->valuedouble >= 0) {
		*lim = l->valuedouble;
		/* a limit sent in W (a charger that takes no A, a DC charger):
		 * its amps at the nominal 230 V, as dlm_send_rate_for converts */
		if (cJSON_IsString(unit) && !strcmp(unit->valuestring, "W"))
			*lim /= 230.0 * (cJSON_IsNumber(np) && np->valueint == 1 ? 1 : 3);
	}
	cJSON_Delete(j);
	return 0;
}

void control_charger_online(struct csms *app, struct charger *ch)
{
	send_state_apply(&ch->dlm, dlm_send_online); /* (re)install the profile after a boot or reconnect */
	/* What we installed before this connection may still be on the
	 * charger (across a reconnect, or a restart of ours): the store knows
	 * what it last accepted. Without it a rule that only lifts a profile
	 * installed before (DLM off, Fast) would leave an old limit in place. */
	double lim = -1;
	if (ch->dlm.sent_limit_a < 0 && app->store &&
	    store_profile_each(app->store, ch->id, stored_limit, &lim) >= 0 && lim >= 0)
		ch->dlm.sent_limit_a = lim;
	ch->dlm.phase_cmd_ms = 0;
	ch->dlm.lang_asked = ch->dlm.lang_pending = 0; /* asked again: after a boot it may have changed */
	ch->dlm.lang_gen++;                            /* an answer on the old connection is not this one's */
}

void control_charger_settings(struct csms *app, struct charger *ch, const struct charger_settings *old)
{
	/* a charger that ignored a phase switch gets another chance only when
	 * an admin says again how it switches */
	if (strcmp(old->phase_switching, ch->settings.phase_switching) && ch->caps.phase_fault) {
		ch->caps.phase_fault = 0;
		ch->dlm.phase_cmd_ms = 0;
		if (charger_caps_save(app->store, ch))
			LOGW("dlm", "%s: cannot store what it can do", ch->id);
		alarms_capability(app, ch->id, ALARM_SRC_PHASES, ALARM_CODE_PHASES_IGNORED, NULL);
		LOGI("dlm", "%s: phaseSwitching now %s: phase switching allowed again", ch->id,
		     ch->settings.phase_switching);
	}
	if (strcmp(old->site, ch->settings.site))
		LOGI("dlm", "%s: now on site %s (was %s)", ch->id, ch->settings.site, old->site);
	control_charger_changed(app, ch);
}

void control_charger_offline(struct csms *app, struct charger *ch)
{
	(void)app;
	send_state_apply(&ch->dlm, dlm_send_offline);
}

void control_charger_changed(struct csms *app, struct charger *ch)
{
	(void)ch;
	/* A status change can free or claim current, a move to another site
	 * in two: decide at the next turn's tick. */
	for (struct control *ctl = app->control; ctl; ctl = ctl->next)
		ctl->next_tick_ms = 0;
}

/* ---- API ---- */

static cJSON *status_json(struct csms *app, struct control *ctl);
static int push_readings(struct csms *app, struct control *ctl, const cJSON *body, struct err_info *e);

struct site_count {
	const char *site;
	int64_t n;
};

static int count_site(void *arg, const struct store_site_row *r)
{
	((struct site_count *)arg)->n = r->chargers;
	return 0;
}

/* The chargers that belong to a site (the store's count; -1 error). */
static int64_t site_chargers(struct csms *app, const char *site)
{
	struct site_count c = { site, 0 };
	return store_site_each(app->store, site, count_site, &c) < 0 ? -1 : c.n;
}
static int apply_settings(struct csms *app, struct control *ctl, const cJSON *body, const char *name,
			  struct err_info *e);

/* One loop's sensor (its reading taken first). */
static void sensor_info(struct csms *app, struct control *ctl, struct control_sensor_info *out)
{
	take_reading(ctl);
	out->type = dlm_sensor_kinds[ctl->cfg->dlm_sensor].name;
	out->dlm_enabled = ctl->cfg->dlm_enabled;
	out->age_s = ctl->have_reading ? (double)(app->now_ms - ctl->reading.ts_ms) / 1000.0 : -1;
	out->healthy = ctl->have_reading && out->age_s <= ctl->cfg->dlm_stale_s;
	out->error = ctl->health.last_error;
	out->readings = ctl->health.readings;
	out->failures = ctl->health.failures;
}

/* One loop's grid currents and headroom (after sensor_info took the reading). */
static int grid_of(struct control *ctl, int healthy, double current_a[3], double headroom_a[3])
{
	for (int p = 0; p < 3; p++) {
		current_a[p] = healthy ? ctl->reading.current_a[p] : NAN;
		headroom_a[p] = ctl->decisions ? ctl->out.headroom_a[p] : NAN;
	}
	return healthy ? 0 : 1;
}

int control_sensor_info(struct csms *app, struct control_sensor_info *out)
{
	if (!app->control)
		return -1;
	sensor_info(app, app->control, out);
	return 0;
}

int control_grid(struct csms *app, double current_a[3], double headroom_a[3])
{
	struct control_sensor_info si;
	if (!app->control)
		return -1;
	sensor_info(app, app->control, &si);
	return grid_of(app->control, si.healthy, current_a, headroom_a);
}

int control_site_each(struct csms *app,
		      int (*fn)(void *arg, const char *site, const struct control_sensor_info *si,
				const double current_a[3], const double headroom_a[3]),
		      void *arg)
{
	for (struct control *ctl = app->control; ctl; ctl = ctl->next) {
		struct control_sensor_info si;
		double cur[3], head[3];
		sensor_info(app, ctl, &si);
		grid_of(ctl, si.healthy, cur, head);
		int rc = fn(arg, ctl->site, &si, cur, head);
		if (rc)
			return rc;
	}
	return 0;
}

static cJSON *phases_json(const double v[3])
{
	cJSON *a = cJSON_CreateArray();
	for (int i = 0; i < 3; i++)
		cJSON_AddItemToArray(
			a, isfinite(v[i]) ? cJSON_CreateNumber(round(v[i] * 100) / 100) : cJSON_CreateNull());
	return a;
}

cJSON *control_charger_flow_json(struct csms *app, const char *charger_id)
{
	if (!app->control)
		return NULL;
	struct charger *ch = charger_find(app->chargers, NULL, charger_id);
	if (!ch)
		return NULL;
	cJSON *o = cJSON_CreateObject();
	if (ch->dlm.last_sent_a >= 0)
		cJSON_AddNumberToObject(o, "limitSentA", floor(ch->dlm.last_sent_a * 10 + 1e-9) / 10);
	else
		cJSON_AddNullToObject(o, "limitSentA");
	if (ch->dlm.sent_limit_a >= 0)
		cJSON_AddNumberToObject(o, "limitAckA", floor(ch->dlm.sent_limit_a * 10 + 1e-9) / 10);
	else
		cJSON_AddNullToObject(o, "limitAckA");
	dlm_meter_sample m;
	meter_sample(ch, &m);
	cJSON_AddItemToObject(o, "drawA", phases_json(m.current_a));
	if (ch->dlm.follow_shown)
		cJSON_AddBoolToObject(o, "followsLimit", ch->dlm.follow_shown == 1);
	else
		cJSON_AddNullToObject(o, "followsLimit");
	return o;
}

cJSON *control_status_json(struct csms *app)
{
	return app->control ? status_json(app, app->control) : NULL;
}

cJSON *control_charger_json(const struct charger *ch)
{
	if (!ch->session || ch->reg != REG_ACCEPTED || !ch->dlm.id)
		return NULL;
	cJSON *e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "id", ch->id);
	cJSON_AddNumberToObject(e, "connectorId", 0);
	cJSON_AddNumberToObject(e, "phases", ch->dlm.phases ? ch->dlm.phases : ch->settings.phases);
	cJSON_AddNumberToObject(e, "limitA", floor(ch->dlm.limit_a * 10 + 1e-9) / 10);
	cJSON_AddItemToObject(e, "drawA", phases_json(ch->dlm.draw_a));
	cJSON_AddStringToObject(e, "reason", ch->dlm.reason ? ch->dlm.reason : "");
	if (ch->dlm.sent_limit_a >= 0)
		cJSON_AddNumberToObject(e, "installedA", ch->dlm.sent_limit_a);
	else
		cJSON_AddNullToObject(e, "installedA");
	cJSON_AddStringToObject(e, "profileStatus", ch->dlm.profile_status);
	cJSON_AddBoolToObject(e, "profileRejected", ch->dlm.rejected);
	/* the charger's language: how its limit goes out, and what it can do */
	cJSON_AddBoolToObject(e, "controllable", ch->caps.smart != 0);
	if (ch->dlm.sent_unit) {
		char u[2] = { ch->dlm.sent_unit, 0 };
		cJSON_AddStringToObject(e, "profileUnit", u);
		cJSON_AddNumberToObject(e, "profileLimit", ch->dlm.sent_rate);
	} else {
		cJSON_AddNullToObject(e, "profileUnit");
		cJSON_AddNullToObject(e, "profileLimit");
	}
	cJSON_AddStringToObject(e, "kind", charger_is_dc(ch) ? "dc" : "ac");
	cJSON_AddStringToObject(e, "phaseSwitching", ch->settings.phase_switching);
	cJSON_AddBoolToObject(e, "phaseSwitchAllowed", charger_can_switch_phases(ch));
	cJSON_AddItemToObject(e, "capabilities", charger_caps_json(&ch->caps));
	return e;
}

/* GET /api/v1/dlm of a site's loop. */
static cJSON *status_json(struct csms *app, struct control *ctl)
{
	const struct csms_config *cfg = ctl->cfg;
	take_reading(ctl);
	cJSON *o = cJSON_CreateObject();
	/* the settings: every top-level field of the table; sensor.* below,
	 * only those its kind uses */
	struct config_info f[MAX_FIELDS];
	size_t nf = dlm_fields(f);
	for (size_t i = 0; i < nf; i++) {
		double v;
		char text[256];
		if (strchr(f[i].api, '.'))
			continue;
		if (f[i].kind == CONFIG_TEXT)
			cJSON_AddStringToObject(o, f[i].api, config_get(cfg, f[i].name, text, sizeof text));
		else if (config_number(cfg, f[i].name, &v))
			continue;
		else if (f[i].kind == CONFIG_BOOL)
			cJSON_AddBoolToObject(o, f[i].api, v != 0);
		else
			cJSON_AddNumberToObject(o, f[i].api, v);
	}
	/* where each setting's value came from (config_origin_name) */
	cJSON *org = cJSON_AddObjectToObject(o, "origin");
	for (size_t i = 0; i < nf; i++)
		cJSON_AddStringToObject(org, f[i].api,
					config_origin_name(config_origin_of(cfg, f[i].name, 0)));
	const dlm_sensor_kind kind = dlm_sensor_kinds[cfg->dlm_sensor].kind;
	cJSON *s = cJSON_AddObjectToObject(o, "sensor");
	cJSON_AddStringToObject(s, "type", dlm_sensor_kinds[cfg->dlm_sensor].name);
	cJSON_AddStringToObject(s, "meter", dlm_meters[cfg->dlm_meter].name);
	if (kind == DLM_SENSOR_MODBUS_TCP) {
		cJSON_AddStringToObject(s, "host", cfg->dlm_modbus_host);
		cJSON_AddNumberToObject(s, "port", cfg->dlm_modbus_port);
	} else if (kind == DLM_SENSOR_MODBUS_RTU) {
		cJSON_AddStringToObject(s, "device", cfg->dlm_modbus_device);
		cJSON_AddNumberToObject(s, "baud", cfg->dlm_modbus_baud);
		cJSON_AddStringToObject(s, "parity", cfg->dlm_modbus_parity);
	}
	double age = ctl->have_reading ? (double)(app->now_ms - ctl->reading.ts_ms) / 1000.0 : -1;
	int healthy = ctl->have_reading && age <= cfg->dlm_stale_s;
	cJSON_AddBoolToObject(s, "healthy", healthy);
	if (age >= 0)
		cJSON_AddNumberToObject(s, "ageS", round(age * 1000) / 1000);
	else
		cJSON_AddNullToObject(s, "ageS");
	cJSON_AddStringToObject(s, "error", ctl->health.last_error);
	cJSON_AddNumberToObject(s, "readings", (double)ctl->health.readings);
	cJSON_AddNumberToObject(s, "failures", (double)ctl->health.failures);
	cJSON *g = cJSON_AddObjectToObject(o, "grid");
	double nan3[3] = { NAN, NAN, NAN };
	cJSON_AddItemToObject(g, "current", phases_json(ctl->have_reading ? ctl->reading.current_a : nan3));
	if (ctl->have_reading) {
		cJSON_AddItemToObject(g, "voltage", phases_json(ctl->reading.voltage_v));
		if (isfinite(ctl->reading.power_total_w))
			cJSON_AddNumberToObject(g, "power", ctl->reading.power_total_w);
	}
	cJSON_AddItemToObject(o, "headroomA", phases_json(ctl->decisions ? ctl->out.headroom_a : nan3));
	/* the house current DLM counts with (never below -generation), what
	 * grid - EV measured, the generation, and how far they disagree */
	cJSON_AddItemToObject(o, "houseA", phases_json(ctl->decisions ? ctl->out.house_a : nan3));
	cJSON_AddItemToObject(o, "houseMeasuredA", phases_json(ctl->decisions ? ctl->out.house_raw_a : nan3));
	cJSON_AddItemToObject(o, "generationA", phases_json(ctl->decisions ? ctl->out.gen_a : nan3));
	cJSON *dis = cJSON_AddObjectToObject(o, "disagreement");
	cJSON_AddBoolToObject(dis, "active", ctl->decisions && ctl->out.disagree);
	cJSON_AddItemToObject(dis, "unexplainedA",
			      phases_json(ctl->decisions ? ctl->out.unexplained_a : nan3));
	cJSON_AddBoolToObject(o, "stale", !healthy);
	cJSON_AddNumberToObject(o, "lastDecisionUs", round(ctl->last_decide_us * 10) / 10);
	cJSON_AddNumberToObject(o, "lastDecisionProfiles", ctl->last_decide_sent);
	if (fleet_node(app)) { /* a fleet: the node that runs the loop (null: none right now) */
		char node[FLEETMSG_NODE_MAX];
		if (fleet_control_node_site(app, ctl->site, node) == 1)
			cJSON_AddStringToObject(o, "controlNode", node);
		else
			cJSON_AddNullToObject(o, "controlNode");
	}
	cJSON *arr = cJSON_AddArrayToObject(o, "chargers");
	for (struct charger *ch = charger_first(app->chargers); ch; ch = ch->next) {
		cJSON *e = in_site(ctl, ch) ? control_charger_json(ch) : NULL;
		if (e)
			cJSON_AddItemToArray(arr, e);
	}
	return o;
}

/* The value of one API field as config text, or NULL for a wrong type. */
static const char *field_text(const struct config_info *f, const cJSON *v, char *buf, size_t len)
{
	if (f->kind == CONFIG_BOOL && cJSON_IsBool(v))
		return cJSON_IsTrue(v) ? "true" : "false";
	if (f->kind == CONFIG_NUMBER && cJSON_IsNumber(v) && isfinite(v->valuedouble)) {
		snprintf(buf, len, "%.17g", v->valuedouble);
		return buf;
	}
	if (f->kind == CONFIG_TEXT && cJSON_IsString(v))
		return v->valuestring;
	return NULL;
}

static const cJSON *lookup(const cJSON *body, const char *path)
{
	const char *dot = strchr(path, '.');
	if (!dot)
		return cJSON_GetObjectItemCaseSensitive(body, path);
	char head[32];
	snprintf(head, sizeof head, "%.*s", (int)(dot - path), path);
	const cJSON *sub = cJSON_GetObjectItemCaseSensitive(body, head);
	if (cJSON_IsString(sub) && !strcmp(dot + 1, "type"))
		return sub; /* "sensor": "api" is short for {"type": "api"} */
	return cJSON_IsObject(sub) ? cJSON_GetObjectItemCaseSensitive(sub, dot + 1) : NULL;
}

static int known_field(const struct config_info *f, size_t nf, const char *name, const char *prefix)
{
	char full[64];
	for (size_t i = 0; i < nf; i++) {
		snprintf(full, sizeof full, "%s%s", prefix, name);
		if (!strcmp(f[i].api, full))
			return 1;
	}
	return !*prefix && !strcmp(name, "sensor");
}

int control_apply_settings(struct csms *app, const cJSON *body, struct err_info *e)
{
	return apply_settings(app, app->control, body, NULL, e);
}

/* Keeps another site's settings (every DLM key, config key -> text) and
 * its name in its row. 0 or -1. */
static int site_store(struct csms *app, struct control *ctl, const char *name)
{
	struct config_info f[MAX_FIELDS];
	size_t nf = dlm_fields(f);
	cJSON *o = cJSON_CreateObject();
	for (size_t i = 0; i < nf && o; i++) {
		char text[256];
		cJSON_AddStringToObject(o, f[i].name, config_get(ctl->cfg, f[i].name, text, sizeof text));
	}
	char *json = o ? cJSON_PrintUnformatted(o) : NULL;
	cJSON_Delete(o);
	if (!json || store_site_put(app->store, ctl->site, name, json, app->now_ms) < 0) {
		free(json);
		return -1;
	}
	free(ctl->stored);
	ctl->stored = json;
	return 0;
}

/* The fields a change set, with their values before it (to undo). */
struct field_undo {
	char old[MAX_FIELDS][256];
	int origin[MAX_FIELDS];
	int touched[MAX_FIELDS];
};

/* Sets field i of f to text (origin API), its old value kept in u: 0, or
 * -1 with err. */
static int field_set(struct control *ctl, const struct config_info *f, size_t i, const char *text,
		     struct field_undo *u, char *err, size_t len)
{
	config_get(ctl->cfg, f[i].name, u->old[i], sizeof u->old[i]);
	u->origin[i] = config_origin_of(ctl->cfg, f[i].name, 0);
	if (config_set_from(ctl->cfg, f[i].name, text, CONFIG_ORIGIN_API, err, len))
		return -1;
	u->touched[i] = 1;
	return 0;
}

static void fields_undo(struct control *ctl, const struct config_info *f, size_t nf,
			const struct field_undo *u)
{
	char err[256];
	for (size_t i = 0; i < nf; i++)
		if (u->touched[i])
			config_set_from(ctl->cfg, f[i].name, u->old[i], (enum config_origin)u->origin[i], err,
					sizeof err);
}

/* After field_set: the settings as a whole, as at start, and the sensor
 * started again when one of its fields changed; then in force. 0, or -1
 * with err (the caller undoes). */
static int fields_commit(struct csms *app, struct control *ctl, const struct config_info *f, size_t nf,
			 const struct field_undo *u, char *err, size_t len)
{
	dlm_config nd;
	dlm_sensor_opts so;
	if (site_sensor_ok(ctl, err, len) || check_settings(ctl->cfg, &nd, &so, 1, err, len))
		return -1;
	int sensor_changed = 0;
	for (size_t i = 0; i < nf; i++)
		if (u->touched[i] && (!strncmp(f[i].api, "sensor.", 7) || !strcmp(f[i].api, "pollMs")))
			sensor_changed = 1;
	if (sensor_changed && start_sensor(app, ctl, &so, err, len))
		return -1;
	ctl->dcfg = nd;
	return 0;
}

/* The default site's meta "dlm" as kept now: 0, 1 absent (buf ""), <0. */
static int kept_text(struct csms *app, char *buf, size_t len)
{
	int rc = store_meta_get(app->store, "dlm", buf, len);
	if (rc)
		buf[0] = '\0';
	return rc;
}

/* A fleet: the default site's settings another node kept through PUT
 * /api/v1/dlm are in force here too, so the node that runs its loop (or
 * the next one to) decides with them: as on the node that took the PUT,
 * in force now even over this node's command line or environment, which
 * win again at its next start (the PUT's answer warned). Read with the
 * sites (every 5 s) and when this node takes the loop over. */
static void default_reread(struct csms *app, struct control *ctl)
{
	char buf[4096], err[256], cur[256];
	if (kept_text(app, buf, sizeof buf) < 0 || (ctl->stored && !strcmp(ctl->stored, buf)))
		return; /* the store is away, or nothing new */
	char *now = strdup(buf);
	if (!now)
		return;
	free(ctl->stored);
	ctl->stored = now;
	cJSON *kept = cJSON_Parse(buf);
	struct config_info f[MAX_FIELDS];
	const size_t nf = dlm_fields(f);
	struct field_undo u;
	int n = 0;
	memset(u.touched, 0, sizeof u.touched);
	for (size_t i = 0; i < nf; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(kept, f[i].name);
		if (!cJSON_IsString(v) ||
		    !strcmp(config_get(ctl->cfg, f[i].name, cur, sizeof cur), v->valuestring))
			continue;
		if (field_set(ctl, f, i, v->valuestring, &u, err, sizeof err))
			goto refused;
		n++;
	}
	if (n && fields_commit(app, ctl, f, nf, &u, err, sizeof err))
		goto refused;
	if (n) {
		LOGI("dlm", "the default site's settings changed (by another node): %d", n);
		ctl->next_tick_ms = 0;
	}
	cJSON_Delete(kept);
	return;
refused:
	fields_undo(ctl, f, nf, &u);
	LOGW("dlm", "the default site's settings another node kept are refused here: %s", err);
	cJSON_Delete(kept);
}

/* PUT of a site's DLM settings: body (borrowed) holds some of the API
 * fields (the default site: as PUT /api/v1/dlm); each is checked with the
 * command line's bounds, then all as control_init checks them. name: the
 * site's name to keep with them (NULL: the default site's settings alone,
 * PUT /api/v1/dlm). 0 once in force and kept in the store; else -1 with e
 * and every setting as it was. */
static int apply_settings(struct csms *app, struct control *ctl, const cJSON *body, const char *name,
			  struct err_info *e)
{
	struct config_info fields[MAX_FIELDS];
	const size_t nfields = dlm_fields(fields);
	char buf[64], err[256];
	struct field_undo u;
	const cJSON *v;
	memset(u.touched, 0, sizeof u.touched);
	if (!ctl)
		return err_set(e, ERR_UNAVAILABLE, "DLM is not running");
	if (!cJSON_IsObject(body))
		return err_set(e, ERR_BAD_REQUEST, "body: a JSON object");
	cJSON_ArrayForEach(v, body)
	{
		if (!known_field(fields, nfields, v->string, ""))
			return err_set(e, ERR_BAD_REQUEST, "%s: unknown field", v->string);
		if (!strcmp(v->string, "sensor") && cJSON_IsObject(v)) {
			const cJSON *w;
			cJSON_ArrayForEach(
				w, v) if (!known_field(fields, nfields, w->string,
						       "sensor.")) return err_set(e, ERR_BAD_REQUEST,
										  "sensor.%s: unknown field",
										  w->string);
		}
	}
	/* Apply field by field (the bounds of the command line: config_set),
	 * remembering old values to undo on error. */
	for (size_t i = 0; i < nfields; i++) {
		const cJSON *val = lookup(body, fields[i].api);
		if (!val)
			continue;
		const char *text = field_text(&fields[i], val, buf, sizeof buf);
		if (!text || field_set(ctl, fields, i, text, &u, err, sizeof err)) {
			err_set(e, ERR_BAD_REQUEST, "%s: %s", fields[i].api,
				text ? strchr(err, ':') ? strchr(err, ':') + 2 : err : "wrong type");
			goto undo;
		}
	}
	/* then as a whole, as at start */
	if (fields_commit(app, ctl, fields, nfields, &u, err, sizeof err)) {
		err_set(e, ERR_BAD_REQUEST, "%s", err);
		goto undo;
	}
	if (!ctl->is_default) { /* another site: its row */
		if (site_store(app, ctl, name)) {
			err_set(e, ERR_INTERNAL, "cannot store the settings");
			goto undo;
		}
		snprintf(ctl->name, sizeof ctl->name, "%s", name);
		LOGI("dlm", "site %s: settings changed through the API", ctl->site);
		ctl->next_tick_ms = 0;
		return 0;
	}
	/* The default site: keep what the API set, over a restart (its name
	 * in its row). */
	if (name && store_site_put(app->store, STORE_SITE_DEFAULT, name, "{}", app->now_ms) < 0) {
		err_set(e, ERR_INTERNAL, "cannot store the name");
		goto undo;
	}
	if (name)
		snprintf(ctl->name, sizeof ctl->name, "%s", name);
	cJSON *kept = stored_settings(app);
	for (size_t i = 0; i < nfields; i++)
		if (u.touched[i]) {
			char now[256];
			cJSON_DeleteItemFromObject(kept, fields[i].name);
			cJSON_AddStringToObject(kept, fields[i].name,
						config_get(ctl->cfg, fields[i].name, now, sizeof now));
		}
	char *text = cJSON_PrintUnformatted(kept);
	cJSON_Delete(kept);
	if (!text || store_meta_set(app->store, "dlm", text)) {
		free(text);
		err_set(e, ERR_INTERNAL, "cannot store the settings");
		goto undo;
	}
	free(ctl->stored); /* what this node keeps is in force here already */
	ctl->stored = text;
	LOGI("dlm", "settings changed through the API");
	for (size_t i = 0; i < nfields; i++)
		if (u.touched[i] && config_origin_of(ctl->cfg, fields[i].name, 1) > CONFIG_ORIGIN_API)
			LOGW("dlm", "%s: in force now; at the next start the %s's value wins over it",
			     fields[i].name,
			     config_origin_of(ctl->cfg, fields[i].name, 1) == CONFIG_ORIGIN_CMDLINE
				     ? "command line"
				     : "environment");
	ctl->next_tick_ms = 0;
	return 0;
undo:
	fields_undo(ctl, fields, nfields, &u);
	return -1;
}

cJSON *control_put_warnings(struct csms *app, const cJSON *body)
{
	struct config_info f[MAX_FIELDS];
	size_t nf = dlm_fields(f);
	cJSON *w = cJSON_CreateArray();
	for (size_t i = 0; i < nf && w; i++) {
		int o = config_origin_of(&app->cfg, f[i].name, 1);
		char msg[256];
		if (!lookup(body, f[i].api) || o <= CONFIG_ORIGIN_API)
			continue;
		char flag[64];
		size_t n = (size_t)snprintf(flag, sizeof flag, "%s",
					    o == CONFIG_ORIGIN_CMDLINE ? "--" : "CSMS_");
		for (const char *p = f[i].name; *p && n + 1 < sizeof flag; p++)
			flag[n++] = o == CONFIG_ORIGIN_CMDLINE ? *p : (char)toupper((unsigned char)*p);
		flag[n] = 0;
		snprintf(msg, sizeof msg,
			 "%s: in force now, but at the next start %s from the %s wins over the value stored "
			 "through the API",
			 f[i].api, flag, o == CONFIG_ORIGIN_CMDLINE ? "command line" : "environment");
		cJSON_AddItemToArray(w, cJSON_CreateString(msg));
	}
	return w;
}

static int read_phases(const cJSON *a, double out[3], double lim)
{
	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 3)
		return -1;
	for (int i = 0; i < 3; i++) {
		const cJSON *e = cJSON_GetArrayItem(a, i);
		if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble) || fabs(e->valuedouble) > lim)
			return -1;
		out[i] = e->valuedouble;
	}
	return 0;
}

int control_accepts_readings(struct csms *app, struct err_info *e)
{
	if (dlm_sensor_kinds[app->cfg.dlm_sensor].kind != DLM_SENSOR_API)
		return err_set(e, ERR_CONFLICT, "dlm_sensor is %s, not api",
			       dlm_sensor_kinds[app->cfg.dlm_sensor].name);
	if (!app->control)
		return err_set(e, ERR_UNAVAILABLE, "DLM is not running");
	return 0;
}

int control_push_readings(struct csms *app, const cJSON *body, struct err_info *e)
{
	if (control_accepts_readings(app, e))
		return -1;
	return push_readings(app, app->control, body, e);
}

/* A site's loop, or -1 with e (not running, not found). */
static struct control *site_or_fail(struct csms *app, const char *site, struct err_info *e)
{
	struct control *ctl;
	if (!app->control) {
		err_set(e, ERR_UNAVAILABLE, "DLM is not running");
		return NULL;
	}
	if (!(ctl = site_loop(app, site))) {
		sites_reload(app); /* made by another node a moment ago? */
		if (!(ctl = site_loop(app, site)))
			err_set(e, ERR_NOT_FOUND, "no site %s", site);
	}
	return ctl;
}

int control_site_known(struct csms *app, const char *site, struct err_info *e)
{
	return site_or_fail(app, site, e) ? 0 : -1;
}

int control_site_accepts_readings(struct csms *app, const char *site, struct err_info *e)
{
	struct control *ctl = site_or_fail(app, site, e);
	if (!ctl)
		return -1;
	if (dlm_sensor_kinds[ctl->cfg->dlm_sensor].kind != DLM_SENSOR_API)
		return err_set(e, ERR_CONFLICT, "site %s: its sensor is %s, not api", site,
			       dlm_sensor_kinds[ctl->cfg->dlm_sensor].name);
	return 0;
}

int control_site_push_readings(struct csms *app, const char *site, const cJSON *body, struct err_info *e)
{
	if (control_site_accepts_readings(app, site, e))
		return -1;
	return push_readings(app, site_loop(app, site), body, e);
}

cJSON *control_site_json(struct csms *app, const char *site, struct err_info *e)
{
	struct control *ctl = site_or_fail(app, site, e);
	if (!ctl)
		return NULL;
	cJSON *o = status_json(app, ctl);
	if (!o) {
		err_set(e, ERR_INTERNAL, "out of memory");
		return NULL;
	}
	/* who it is first, then the state as GET /api/v1/dlm shows it */
	cJSON *head = cJSON_CreateObject(), *v;
	cJSON_AddStringToObject(head, "id", ctl->site);
	cJSON_AddStringToObject(head, "name", ctl->name[0] ? ctl->name : ctl->site);
	cJSON_AddBoolToObject(head, "station", energy_of(app, ctl->site) != NULL || ctl->is_default);
	cJSON_AddNumberToObject(head, "chargerCount", (double)site_chargers(app, ctl->site));
	while ((v = o->child)) {
		cJSON_DetachItemViaPointer(o, v);
		cJSON_AddItemToObject(head, v->string, v);
	}
	cJSON_Delete(o);
	return head;
}

cJSON *control_sites_json(struct csms *app, struct err_info *e)
{
	if (!app->control) {
		err_set(e, ERR_UNAVAILABLE, "DLM is not running");
		return NULL;
	}
	sites_reload(app);
	cJSON *a = cJSON_CreateArray();
	/* by id, as the store lists them */
	struct control *v[CONTROL_MAX_SITES + 1];
	size_t n = 0;
	for (struct control *ctl = app->control; ctl && n <= CONTROL_MAX_SITES; ctl = ctl->next)
		v[n++] = ctl;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(v[j - 1]->site, v[j]->site) > 0; j--) {
			struct control *t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++) {
		cJSON *o = control_site_json(app, v[i]->site, e);
		if (o)
			cJSON_AddItemToArray(a, o);
	}
	return a;
}

int control_site_put(struct csms *app, const char *site, const cJSON *body, int *created, struct err_info *e)
{
	char err[256];
	*created = 0;
	if (!app->control)
		return err_set(e, ERR_UNAVAILABLE, "DLM is not running");
	if (!charger_site_id_ok(site))
		return err_set(e, ERR_BAD_REQUEST,
			       "site id: 1 to 48 characters, no control character nor / ? # %%");
	if (!cJSON_IsObject(body))
		return err_set(e, ERR_BAD_REQUEST, "body: a JSON object");
	const cJSON *nm = cJSON_GetObjectItemCaseSensitive(body, "name");
	if (nm && (!cJSON_IsString(nm) || !nm->valuestring[0] || strlen(nm->valuestring) > SITE_NAME_MAX))
		return err_set(e, ERR_BAD_REQUEST, "name: a text of 1 to %d characters", SITE_NAME_MAX);
	cJSON *dlm = cJSON_Duplicate(body, 1);
	if (!dlm)
		return err_set(e, ERR_INTERNAL, "out of memory");
	cJSON_DeleteItemFromObjectCaseSensitive(dlm, "name");
	struct control *ctl = site_loop(app, site);
	if (!ctl) {
		sites_reload(app);
		ctl = site_loop(app, site);
	}
	const char *name = nm ? nm->valuestring : ctl && ctl->name[0] ? ctl->name : site;
	char keep[SITE_NAME_MAX + 1];
	snprintf(keep, sizeof keep, "%s", name); /* ctl->name may be what it points to */
	int rc, nsites = 0;
	for (const struct control *k = app->control; k; k = k->next)
		nsites++;
	if (ctl) {
		rc = apply_settings(app, ctl, dlm, keep, e);
	} else if (nsites >= CONTROL_MAX_SITES) {
		/* a node reads this many: one more would run without its loop */
		rc = err_set(e, ERR_CONFLICT, "at most %d sites (delete one first)", CONTROL_MAX_SITES);
	} else if (!(ctl = site_new(app, site, keep, NULL, err, sizeof err))) {
		rc = err_set(e, ERR_INTERNAL, "%s", err);
	} else if ((rc = apply_settings(app, ctl, dlm, keep, e)) != 0) {
		site_free(ctl); /* nothing of it stays */
	} else {
		ctl->next = app->control->next;
		app->control->next = ctl;
		*created = 1;
		LOGI("dlm", "site %s (%s) created: breaker %.1f A, sensor %s", site, keep,
		     ctl->cfg->dlm_breaker_a, dlm_sensor_kinds[ctl->cfg->dlm_sensor].name);
	}
	cJSON_Delete(dlm);
	return rc;
}

int control_site_delete(struct csms *app, const char *site, struct err_info *e)
{
	if (!app->control)
		return err_set(e, ERR_UNAVAILABLE, "DLM is not running");
	int rc = store_site_delete(app->store, site);
	if (rc == 3)
		return err_set(e, ERR_CONFLICT, "the default site cannot be deleted");
	if (rc == 2)
		return err_set(e, ERR_CONFLICT, "site %s: chargers still belong to it (move them first)",
			       site);
	if (rc == 1)
		return err_set(e, ERR_NOT_FOUND, "no site %s", site);
	if (rc < 0)
		return err_set(e, ERR_INTERNAL, "cannot delete the site");
	energy_site_forget(app, site, e); /* its station goes with it */
	for (struct control **pp = &app->control->next; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->site, site)) {
			struct control *gone = *pp;
			*pp = gone->next;
			site_free(gone);
			break;
		}
	LOGI("dlm", "site %s deleted", site);
	return 0;
}

/* Pushed readings to a site's api sensor, and a decision on them at once. */
static int push_readings(struct csms *app, struct control *ctl, const cJSON *body, struct err_info *e)
{
	char err[160];
	dlm_reading r;
	dlm_reading_clear(&r);
	const cJSON *v;
	const char *bad = NULL;
	if (!cJSON_IsObject(body))
		bad = "body: a JSON object";
	else if (read_phases(cJSON_GetObjectItemCaseSensitive(body, "current"), r.current_a, 1000))
		bad = "current: three numbers in A within +-1000";
	else if ((v = cJSON_GetObjectItemCaseSensitive(body, "voltage")) &&
		 read_phases(v, r.voltage_v, 100000))
		bad = "voltage: three numbers in V";
	else if ((v = cJSON_GetObjectItemCaseSensitive(body, "power")) &&
		 (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || fabs(v->valuedouble) > 1e7))
		bad = "power: a number in W";
	else if (v)
		r.power_total_w = v->valuedouble;
	r.ts_ms = app->now_ms;
	if (!bad && (v = cJSON_GetObjectItemCaseSensitive(body, "timestamp")) &&
	    (!cJSON_IsString(v) || time_parse_iso(v->valuestring, &r.ts_ms)))
		bad = "timestamp: an ISO 8601 UTC time";
	if (!bad) {
		cJSON_ArrayForEach(v, body) if (strcmp(v->string, "current") &&
						strcmp(v->string, "voltage") && strcmp(v->string, "power") &&
						strcmp(v->string, "timestamp")) bad = "unknown field";
	}
	if (bad)
		return err_set(e, ERR_BAD_REQUEST, "%s", bad);
	if (dlm_sensor_push(ctl->sensor, &r, err, sizeof err))
		return err_set(e, ERR_BAD_REQUEST, "%s", err);
	take_reading(ctl);
	/* only the node that runs the site's loop decides (a fleet); another
	 * keeps the reading for a takeover: deciding on its own chargers
	 * alone would give them the whole budget */
	if (ctl->lead)
		decide(app, ctl);
	return 0;
}
