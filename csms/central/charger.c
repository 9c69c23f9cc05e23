/* charger.c: the in-memory charger registry (a chained hash table plus a
 * list for iteration), per-charger settings and live measurements. */
#include "charger.h"
#include "timeutil.h"

#include "station.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 16384

struct charger_registry {
	struct charger *buckets[NBUCKETS];
	struct charger *all;
	size_t count;
	size_t unknown; /* entries with reg REG_UNKNOWN (connected, not booted) */
	struct charger_events ev;
};

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

struct charger_registry *charger_registry_new(void)
{
	return calloc(1, sizeof(struct charger_registry));
}

void charger_registry_set_events(struct charger_registry *r, const struct charger_events *ev)
{
	r->ev = *ev;
}

void charger_booted(struct charger_registry *r, struct charger *c)
{
	if (r->ev.booted)
		r->ev.booted(r->ev.ctx, c);
}

void charger_changed(struct charger_registry *r, struct charger *c)
{
	if (r->ev.changed)
		r->ev.changed(r->ev.ctx, c);
}

void charger_metered(struct charger_registry *r, struct charger *c, int connector, int64_t tx_id, double wh,
		     int64_t ts_ms)
{
	if (r->ev.metered)
		r->ev.metered(r->ev.ctx, c, connector, tx_id, wh, ts_ms);
}

void charger_registry_free(struct charger_registry *r)
{
	if (!r)
		return;
	struct charger *c = r->all, *n;
	for (; c; c = n) {
		n = c->next;
		free(c);
	}
	free(r);
}

static void live_reset(struct charger_live *l)
{
	l->power_w = l->energy_wh = l->soc_pct = l->temperature_c = l->frequency_hz = NAN;
	l->current_offered_a = NAN;
	for (int i = 0; i < 3; i++)
		l->current_a[i] = l->voltage_v[i] = l->power_phase_w[i] = NAN;
	l->ts_ms = 0;
}

void charger_settings_default(struct charger_settings *s)
{
	memset(s, 0, sizeof *s);
	s->phases = 3;
	s->grid_phase = 1;
	snprintf(s->charging_mode, sizeof s->charging_mode, "%s", station_ev_mode_charger(STATION_EV_FAST));
	s->authorization_required = 1;
	snprintf(s->free_id_tag, sizeof s->free_id_tag, "FREE");
}

static struct charger *lookup(struct charger_registry *r, const char *id, uint32_t h)
{
	for (struct charger *c = r->buckets[h % NBUCKETS]; c; c = c->hnext)
		if (!strcmp(c->id, id))
			return c;
	return NULL;
}

static struct charger *insert(struct charger_registry *r, const char *id, uint32_t h)
{
	struct charger *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	snprintf(c->id, sizeof c->id, "%s", id);
	c->reg = REG_UNKNOWN;
	charger_settings_default(&c->settings);
	for (int i = 0; i < CHARGER_MAX_CONN; i++)
		live_reset(&c->conn[i].live);
	c->dlm.sent_limit_a = -1;
	c->dlm.reason = "idle";
	c->hnext = r->buckets[h % NBUCKETS];
	r->buckets[h % NBUCKETS] = c;
	c->next = r->all;
	if (r->all)
		r->all->prev = c;
	r->all = c;
	r->count++;
	r->unknown++;
	return c;
}

static void unlink_entry(struct charger_registry *r, struct charger *c)
{
	struct charger **pp = &r->buckets[hash(c->id) % NBUCKETS];
	while (*pp && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = c->hnext;
	if (c->prev)
		c->prev->next = c->next;
	else
		r->all = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->next = c->prev = c->hnext = NULL;
	r->count--;
	if (c->reg == REG_UNKNOWN)
		r->unknown--;
	c->removed = 1;
}

static struct charger *load(struct charger_registry *r, struct store *st, const char *id, uint32_t h,
			    int create)
{
	struct store_charger sc;
	int rc = store_charger_get(st, id, &sc);
	if (rc < 0 || (rc == 1 && !create))
		return NULL;
	struct charger *c = insert(r, id, h);
	if (!c) {
		free(sc.settings_json);
		return NULL;
	}
	if (rc == 0) {
		charger_set_reg(r, c, sc.registration);
		c->last_seen_ms = sc.last_seen_ms;
		c->seen_stored_ms = sc.last_seen_ms;
		if (sc.settings_json) {
			cJSON *j = cJSON_Parse(sc.settings_json);
			char err[128];
			if (j)
				charger_settings_parse(&c->settings, j, err, sizeof err);
			cJSON_Delete(j);
		}
		c->settings.has_auth_key = sc.auth_key_hash[0] != 0;
		free(sc.settings_json);
		charger_restore(c, st);
	}
	return c;
}

/* ---- state kept over a restart ---- */

static int restore_status(void *arg, const struct store_conn_state *s)
{
	struct charger *c = arg;
	if (s->connector >= 0 && s->connector < CHARGER_MAX_CONN) {
		struct charger_conn *cc = &c->conn[s->connector];
		snprintf(cc->status, sizeof cc->status, "%s", s->status ? s->status : "");
		snprintf(cc->error_code, sizeof cc->error_code, "%s", s->error_code ? s->error_code : "");
	}
	return 0;
}

static int restore_tx(void *arg, const struct store_tx_open *t)
{
	struct charger *c = arg;
	/* Oldest first: a connector with two open ones runs the newer. */
	if (t->connector >= 1 && t->connector < CHARGER_MAX_CONN) {
		struct charger_conn *cc = &c->conn[t->connector];
		cc->tx_id = t->tx_id;
		snprintf(cc->tx_id_tag, sizeof cc->tx_id_tag, "%s", t->id_tag);
		cc->tx_start_ms = t->start_ms;
	}
	return 0;
}

int charger_restore(struct charger *c, struct store *st)
{
	if (store_connector_each(st, c->id, restore_status, c) < 0 ||
	    store_tx_each_open(st, c->id, restore_tx, c) < 0)
		return -1;
	return 0;
}

struct charger *charger_find(struct charger_registry *r, struct store *st, const char *id)
{
	uint32_t h = hash(id);
	struct charger *c = lookup(r, id, h);
	return c ? c : load(r, st, id, h, 0);
}

struct charger *charger_get(struct charger_registry *r, struct store *st, const char *id)
{
	uint32_t h = hash(id);
	struct charger *c = lookup(r, id, h);
	return c ? c : load(r, st, id, h, 1);
}

struct charger *charger_first(struct charger_registry *r)
{
	return r->all;
}
size_t charger_count(const struct charger_registry *r)
{
	return r->count;
}

void charger_set_reg(struct charger_registry *r, struct charger *c, enum store_registration reg)
{
	if (!c->removed && reg == REG_UNKNOWN && c->reg != REG_UNKNOWN)
		r->unknown++;
	else if (!c->removed && reg != REG_UNKNOWN && c->reg == REG_UNKNOWN)
		r->unknown--;
	c->reg = reg;
}

void charger_hold(struct charger *c)
{
	c->nsessions++;
}

void charger_release(struct charger_registry *r, struct charger *c)
{
	if (--c->nsessions > 0)
		return;
	if (c->removed) {
		free(c);
	} else if (c->reg != REG_ACCEPTED) {
		unlink_entry(r, c);
		free(c);
	}
}

void charger_remove(struct charger_registry *r, struct charger *c)
{
	if (c->removed)
		return;
	unlink_entry(r, c);
	if (!c->nsessions)
		free(c);
}

size_t charger_sweep(struct charger_registry *r)
{
	size_t n = 0;
	struct charger *c = r->all, *next;
	for (; c; c = next) {
		next = c->next;
		if (c->reg != REG_ACCEPTED && !c->nsessions) {
			unlink_entry(r, c);
			free(c);
			n++;
		}
	}
	return n;
}

int charger_admit(struct charger_registry *r, struct store *st, const char *id, int max_pending)
{
	if (lookup(r, id, hash(id)))
		return 0;
	struct store_charger sc;
	int rc = store_charger_get(st, id, &sc);
	if (rc <= 0) {
		free(sc.settings_json);
		return rc;
	}
	int64_t pending = store_charger_count(st, REG_PENDING);
	if (pending < 0)
		return -1;
	return pending + (int64_t)r->unknown < max_pending ? 0 : 1;
}

/* ---- settings ---- */

int charger_settings_parse(struct charger_settings *s, const cJSON *j, char *err, size_t errlen)
{
	struct charger_settings n = *s;
	const cJSON *v;
	if (!cJSON_IsObject(j)) {
		snprintf(err, errlen, "settings must be a JSON object");
		return -1;
	}
	cJSON_ArrayForEach(v, j)
	{
		const char *k = v->string;
		if (!strcmp(k, "phases")) {
			if (!cJSON_IsNumber(v) || (v->valuedouble != 1 && v->valuedouble != 3))
				goto bad;
			n.phases = v->valueint;
		} else if (!strcmp(k, "gridPhase")) {
			if (!cJSON_IsNumber(v) || v->valuedouble != (int)v->valuedouble || v->valueint < 1 ||
			    v->valueint > 3)
				goto bad;
			n.grid_phase = v->valueint;
		} else if (!strcmp(k, "maxCurrentA")) {
			if (cJSON_IsNull(v))
				n.max_current_a = 0;
			else if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
				 (v->valuedouble != 0 && (v->valuedouble < 6 || v->valuedouble > 500)))
				goto bad;
			else
				n.max_current_a = v->valuedouble;
		} else if (!strcmp(k, "chargingMode")) {
			/* either spelling of station_ev_modes in, the setting's own out */
			station_ev_mode m;
			if (!cJSON_IsString(v) || station_ev_mode_parse(v->valuestring, &m)) {
				int len = snprintf(err, errlen, "%s: invalid value; one of", k);
				for (int i = 0; i < STATION_EV_MODE_COUNT && len > 0 && (size_t)len < errlen;
				     i++)
					len += snprintf(err + len, errlen - (size_t)len, "%s %s",
							i ? "," : "", station_ev_modes[i].charger);
				return -1;
			}
			snprintf(n.charging_mode, sizeof n.charging_mode, "%s", station_ev_mode_charger(m));
		} else if (!strcmp(k, "authorizationRequired")) {
			if (!cJSON_IsBool(v))
				goto bad;
			n.authorization_required = cJSON_IsTrue(v);
		} else if (!strcmp(k, "freeIdTag")) {
			if (!cJSON_IsString(v) || !*v->valuestring || strlen(v->valuestring) > 20)
				goto bad;
			snprintf(n.free_id_tag, sizeof n.free_id_tag, "%s", v->valuestring);
		} else if (!strcmp(k, "authorizationKey")) {
			/* hashed and stored by the caller; only checked here. 16 to 40
			 * characters: the text of the key or its hex digits (OCPP 1.6
			 * security whitepaper: 16 to 20 bytes, up to 40 hex digits). */
			if (!cJSON_IsNull(v) &&
			    (!cJSON_IsString(v) || strlen(v->valuestring) < 16 ||
			     strlen(v->valuestring) > 40))
				goto bad;
		} else {
			snprintf(err, errlen, "%s: unknown setting", k);
			return -1;
		}
	}
	*s = n;
	return 0;
bad:
	snprintf(err, errlen, "%s: invalid value", v->string);
	return -1;
}

cJSON *charger_settings_json(const struct charger_settings *s)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "phases", s->phases);
	cJSON_AddNumberToObject(o, "gridPhase", s->grid_phase);
	if (s->max_current_a > 0)
		cJSON_AddNumberToObject(o, "maxCurrentA", s->max_current_a);
	else
		cJSON_AddNullToObject(o, "maxCurrentA");
	cJSON_AddStringToObject(o, "chargingMode", s->charging_mode);
	cJSON_AddBoolToObject(o, "authorizationRequired", s->authorization_required);
	cJSON_AddStringToObject(o, "freeIdTag", s->free_id_tag);
	cJSON_AddBoolToObject(o, "authorizationKeySet", s->has_auth_key);
	return o;
}

/* ---- live measurements ---- */

static void add_num(cJSON *o, const char *k, double v)
{
	if (isfinite(v))
		cJSON_AddNumberToObject(o, k, v);
}

static void add_phases(cJSON *o, const char *k, const double v[3])
{
	if (!isfinite(v[0]) && !isfinite(v[1]) && !isfinite(v[2]))
		return;
	cJSON *a = cJSON_AddArrayToObject(o, k);
	for (int i = 0; i < 3; i++)
		cJSON_AddItemToArray(a, isfinite(v[i]) ? cJSON_CreateNumber(v[i]) : cJSON_CreateNull());
}

cJSON *charger_live_json(const struct charger *c)
{
	cJSON *arr = cJSON_CreateArray();
	char buf[40];
	for (int i = 0; i < CHARGER_MAX_CONN; i++) {
		const struct charger_live *l = &c->conn[i].live;
		if (!l->ts_ms)
			continue;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "connectorId", i);
		cJSON_AddStringToObject(o, "time", time_format_iso(l->ts_ms, buf, sizeof buf));
		add_num(o, "powerW", l->power_w);
		add_phases(o, "currentA", l->current_a);
		add_phases(o, "voltageV", l->voltage_v);
		add_phases(o, "powerPhaseW", l->power_phase_w);
		add_num(o, "energyWh", l->energy_wh);
		add_num(o, "socPct", l->soc_pct);
		add_num(o, "temperatureC", l->temperature_c);
		add_num(o, "frequencyHz", l->frequency_hz);
		add_num(o, "currentOfferedA", l->current_offered_a);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static int phase_index(const char *phase)
{
	if (!phase)
		return -1;
	if (!strncmp(phase, "L1", 2))
		return 0;
	if (!strncmp(phase, "L2", 2))
		return 1;
	if (!strncmp(phase, "L3", 2))
		return 2;
	return -1;
}

/* Scales a value by its unit to the base unit (kW -> W, kWh -> Wh). */
static double scaled(const char *unit, double v)
{
	if (unit &&
	    (!strcmp(unit, "kW") || !strcmp(unit, "kWh") || !strcmp(unit, "kvar") || !strcmp(unit, "kvarh") ||
	     !strcmp(unit, "kVA")))
		return v * 1000;
	return v;
}

int charger_energy_register(const cJSON *sampled, double *wh)
{
	const cJSON *sv;
	cJSON_ArrayForEach(sv, sampled)
	{
		const cJSON *val = cJSON_GetObjectItemCaseSensitive(sv, "value");
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(sv, "measurand");
		const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(sv, "format");
		const cJSON *unit = cJSON_GetObjectItemCaseSensitive(sv, "unit");
		if (!cJSON_IsString(val) || cJSON_GetObjectItemCaseSensitive(sv, "phase") ||
		    (cJSON_IsString(fmt) && !strcmp(fmt->valuestring, "SignedData")) ||
		    (m && (!cJSON_IsString(m) || strcmp(m->valuestring, "Energy.Active.Import.Register"))))
			continue;
		char *end;
		double v = strtod(val->valuestring, &end);
		if (end == val->valuestring || *end || !isfinite(v))
			continue;
		*wh = scaled(cJSON_IsString(unit) ? unit->valuestring : NULL, v);
		return 0;
	}
	return -1;
}

void charger_live_update(struct charger *c, int connector, const cJSON *sampled, int64_t ts_ms)
{
	if (connector < 0 || connector >= CHARGER_MAX_CONN)
		return;
	struct charger_live *l = &c->conn[connector].live;
	const cJSON *sv;
	cJSON_ArrayForEach(sv, sampled)
	{
		const cJSON *val = cJSON_GetObjectItemCaseSensitive(sv, "value");
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(sv, "measurand");
		const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(sv, "format");
		const cJSON *ph = cJSON_GetObjectItemCaseSensitive(sv, "phase");
		const cJSON *unit = cJSON_GetObjectItemCaseSensitive(sv, "unit");
		const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(sv, "context");
		if (!cJSON_IsString(val) || (cJSON_IsString(fmt) && !strcmp(fmt->valuestring, "SignedData")))
			continue;
		char *end;
		double v = strtod(val->valuestring, &end);
		if (end == val->valuestring || !isfinite(v))
			continue;
		v = scaled(cJSON_IsString(unit) ? unit->valuestring : NULL, v);
		const char *meas = cJSON_IsString(m) ? m->valuestring : "Energy.Active.Import.Register";
		int p = phase_index(cJSON_IsString(ph) ? ph->valuestring : NULL);
		(void)ctx;
		if (!strcmp(meas, "Energy.Active.Import.Register")) {
			if (p < 0)
				l->energy_wh = v;
		} else if (!strcmp(meas, "Power.Active.Import")) {
			if (p < 0)
				l->power_w = v;
			else
				l->power_phase_w[p] = v;
		} else if (!strcmp(meas, "Current.Import")) {
			if (p >= 0)
				l->current_a[p] = v;
			else
				l->current_a[0] = v; /* no phase given: a single-phase reading */
		} else if (!strcmp(meas, "Voltage")) {
			if (p >= 0)
				l->voltage_v[p] = v;
		} else if (!strcmp(meas, "SoC")) {
			l->soc_pct = v;
		} else if (!strcmp(meas, "Temperature")) {
			l->temperature_c = v;
		} else if (!strcmp(meas, "Frequency")) {
			l->frequency_hz = v;
		} else if (!strcmp(meas, "Current.Offered")) {
			l->current_offered_a = v;
		}
	}
	/* Power per phase given without a total: sum it. */
	if (!isfinite(l->power_w) && isfinite(l->power_phase_w[0]))
		l->power_w = l->power_phase_w[0] + (isfinite(l->power_phase_w[1]) ? l->power_phase_w[1] : 0) +
			(isfinite(l->power_phase_w[2]) ? l->power_phase_w[2] : 0);
	l->ts_ms = ts_ms;
}
