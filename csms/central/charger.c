/* charger.c: the in-memory charger registry (a chained hash table plus a
 * list for iteration), per-charger settings and live measurements. */
#include "charger.h"
#include "fnv.h"
#include "timeutil.h"

#include "station.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <strings.h>
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

const struct charger_conn charger_conn_blank = {
	.live = { .power_w = NAN,
		  .energy_wh = NAN,
		  .soc_pct = NAN,
		  .temperature_c = NAN,
		  .frequency_hz = NAN,
		  .current_a = { NAN, NAN, NAN },
		  .voltage_v = { NAN, NAN, NAN },
		  .power_phase_w = { NAN, NAN, NAN },
		  .current_offered_a = NAN,
		  .voltage_any_v = NAN,
		  .ts_ms = 0 },
};

struct charger_conn *charger_conn_at(struct charger *c, int k)
{
	if (k < 0 || k >= CHARGER_MAX_CONN)
		return NULL;
	if (k >= c->nconn) {
		struct charger_conn *n = realloc(c->conns, (size_t)(k + 1) * sizeof *n);
		if (!n)
			return NULL;
		for (int i = c->nconn; i <= k; i++)
			n[i] = charger_conn_blank;
		c->conns = n;
		c->nconn = k + 1;
	}
	return &c->conns[k];
}

struct store_tx_meter *charger_tx_meter(struct charger *c, int64_t tx_id)
{
	for (int k = 0; k < c->nconn; k++) {
		struct charger_conn *cc = &c->conns[k];
		if (cc->txm && cc->txm->tx_id == tx_id && cc->txm_link == c->links)
			return cc->txm;
	}
	return NULL;
}

void charger_tx_meter_keep(struct charger *c, const struct store_tx_meter *m)
{
	struct charger_conn *cc = charger_conn_at(c, m->connector);
	if (!cc)
		return;
	if (!cc->txm && !(cc->txm = malloc(sizeof *cc->txm)))
		return;
	*cc->txm = *m;
	cc->txm_link = c->links;
}

/* An entry and its connectors. */
static void entry_free(struct charger *c)
{
	for (int k = 0; k < c->nconn; k++)
		free(c->conns[k].txm);
	free(c->conns);
	free(c);
}

void charger_registry_free(struct charger_registry *r)
{
	if (!r)
		return;
	struct charger *c = r->all, *n;
	for (; c; c = n) {
		n = c->next;
		entry_free(c);
	}
	free(r);
}

void charger_settings_default(struct charger_settings *s)
{
	memset(s, 0, sizeof *s);
	s->phases = 3;
	s->grid_phase = 1;
	snprintf(s->charging_mode, sizeof s->charging_mode, "%s", station_ev_mode_charger(STATION_EV_FAST));
	s->authorization_required = 1;
	snprintf(s->free_id_tag, sizeof s->free_id_tag, "FREE");
	snprintf(s->phase_switching, sizeof s->phase_switching, "none");
	snprintf(s->kind, sizeof s->kind, "auto");
	snprintf(s->site, sizeof s->site, "%s", STORE_SITE_DEFAULT);
}

void charger_caps_default(struct charger_caps *c)
{
	memset(c, 0, sizeof *c);
	c->smart = -1;
	c->switch3to1 = -1;
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
	charger_caps_default(&c->caps);
	c->dlm.sent_limit_a = -1;
	c->dlm.last_sent_a = -1;
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
	struct charger **pp = &r->buckets[fnv1a(c->id) % NBUCKETS];
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

/* A stored charger row's settings over the defaults in *s. */
static void settings_from_row(struct charger_settings *s, const struct store_charger *sc)
{
	charger_settings_default(s);
	if (sc->settings_json) {
		cJSON *j = cJSON_Parse(sc->settings_json);
		char err[128];
		if (j)
			charger_settings_parse(s, j, err, sizeof err);
		cJSON_Delete(j);
	}
	s->has_auth_key = sc->auth_key_hash[0] != 0;
	snprintf(s->site, sizeof s->site, "%s", sc->site[0] ? sc->site : STORE_SITE_DEFAULT);
}

int charger_reload(struct charger_registry *r, struct charger *c, struct store *st)
{
	struct store_charger sc;
	int rc = store_charger_get(st, c->id, &sc);
	if (rc)
		return rc < 0 ? rc : -1;
	charger_set_reg(r, c, sc.registration);
	settings_from_row(&c->settings, &sc);
	free(sc.settings_json);
	return 0;
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
		settings_from_row(&c->settings, &sc);
		free(sc.settings_json);
		char key[STORE_ID_MAX + 8], buf[512];
		snprintf(key, sizeof key, "caps.%s", id);
		if (store_meta_get(st, key, buf, sizeof buf) == 0) {
			cJSON *j = cJSON_Parse(buf);
			charger_caps_parse(&c->caps, j);
			cJSON_Delete(j);
		}
		charger_restore(c, st);
	}
	return c;
}

/* ---- state kept over a restart ---- */

static int restore_status(void *arg, const struct store_conn_state *s)
{
	struct charger *c = arg;
	struct charger_conn *cc = charger_conn_at(c, s->connector);
	if (cc) {
		snprintf(cc->status, sizeof cc->status, "%s", s->status ? s->status : "");
		snprintf(cc->error_code, sizeof cc->error_code, "%s", s->error_code ? s->error_code : "");
	}
	return 0;
}

static int restore_tx(void *arg, const struct store_tx_open *t)
{
	struct charger *c = arg;
	/* Oldest first: a connector with two open ones runs the newer. */
	struct charger_conn *cc = t->connector >= 1 ? charger_conn_at(c, t->connector) : NULL;
	if (cc) {
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
	uint32_t h = fnv1a(id);
	struct charger *c = lookup(r, id, h);
	return c ? c : load(r, st, id, h, 0);
}

struct charger *charger_get(struct charger_registry *r, struct store *st, const char *id)
{
	uint32_t h = fnv1a(id);
	struct charger *c = lookup(r, id, h);
	return c ? c : load(r, st, id, h, 1);
}

uint64_t charger_registry_signature(struct charger_registry *r)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
#define MIX(p, n)                           \
	for (size_t _i = 0; _i < (n); _i++) \
	h = (h ^ ((const unsigned char *)(p))[_i]) * 1099511628211ull
	for (struct charger *c = charger_first(r); c; c = c->next) {
		int conn = c->session != NULL;
		MIX(c->id, strlen(c->id));
		MIX(&c->reg, sizeof c->reg);
		MIX(&conn, sizeof conn);
		MIX(c->settings.charging_mode, strlen(c->settings.charging_mode));
		MIX(&c->settings.max_current_a, sizeof c->settings.max_current_a);
		MIX(&c->nconn, sizeof c->nconn);
		for (int i = 0; i < c->nconn; i++) {
			const struct charger_conn *k = charger_conn_get(c, i);
			MIX(k->status, strlen(k->status));
			MIX(&k->tx_id, sizeof k->tx_id);
		}
	}
#undef MIX
	return h;
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
		entry_free(c);
	} else if (c->reg != REG_ACCEPTED) {
		unlink_entry(r, c);
		entry_free(c);
	}
}

void charger_remove(struct charger_registry *r, struct charger *c)
{
	if (c->removed)
		return;
	unlink_entry(r, c);
	if (!c->nsessions)
		entry_free(c);
}

size_t charger_sweep(struct charger_registry *r)
{
	size_t n = 0;
	struct charger *c = r->all, *next;
	for (; c; c = next) {
		next = c->next;
		if (c->reg != REG_ACCEPTED && !c->nsessions) {
			unlink_entry(r, c);
			entry_free(c);
			n++;
		}
	}
	return n;
}

int charger_admit(struct charger_registry *r, struct store *st, const char *id, int max_pending)
{
	if (lookup(r, id, fnv1a(id)))
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

/* The settings that take one of a few words: the field, where it goes, the words. */
static const char *const phase_switching_values[] = { "none", "profile", NULL };
static const char *const kind_values[] = { "auto", "ac", "dc", NULL };
static const struct {
	const char *name;
	size_t offset, size;
	const char *const *values;
} word_settings[] = {
	{ "phaseSwitching", offsetof(struct charger_settings, phase_switching),
	  sizeof(((struct charger_settings *)0)->phase_switching), phase_switching_values },
	{ "kind", offsetof(struct charger_settings, kind), sizeof(((struct charger_settings *)0)->kind),
	  kind_values },
};

/* 1 when k is one of the word settings (set in n, or err filled: -1); 0 not one. */
static int parse_word(struct charger_settings *n, const char *k, const cJSON *v, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof word_settings / sizeof word_settings[0]; i++) {
		if (strcmp(k, word_settings[i].name))
			continue;
		const char *const *w = word_settings[i].values;
		for (; *w; w++)
			if (cJSON_IsString(v) && !strcmp(v->valuestring, *w)) {
				snprintf((char *)n + word_settings[i].offset, word_settings[i].size, "%s",
					 *w);
				return 1;
			}
		int len = snprintf(err, errlen, "%s: invalid value; one of", k);
		for (w = word_settings[i].values; *w && len > 0 && (size_t)len < errlen; w++)
			len += snprintf(err + len, errlen - (size_t)len, "%s %s",
					w == word_settings[i].values ? "" : ",", *w);
		return -1;
	}
	return 0;
}

int charger_site_id_ok(const char *id)
{
	size_t n = strlen(id);
	if (n < 1 || n >= STORE_ID_MAX)
		return 0;
	for (const char *p = id; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '/' || *p == '?' || *p == '#' ||
		    *p == '%')
			return 0;
	return 1;
}

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
		int w = parse_word(&n, k, v, err, errlen);
		if (w < 0)
			return -1;
		if (w)
			continue;
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
				 (v->valuedouble != 0 &&
				  (v->valuedouble < CHARGER_MAX_CURRENT_MIN_A ||
				   v->valuedouble > CHARGER_MAX_CURRENT_MAX_A)))
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
		} else if (!strcmp(k, "site")) {
			/* an id as a charger's (1 to 48 characters); whether the site
			 * exists is the store's to say (store_charger_set_site) */
			if (!cJSON_IsString(v) || !charger_site_id_ok(v->valuestring))
				goto bad;
			snprintf(n.site, sizeof n.site, "%s", v->valuestring);
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
	cJSON_AddStringToObject(o, "phaseSwitching", s->phase_switching);
	cJSON_AddStringToObject(o, "kind", s->kind);
	cJSON_AddStringToObject(o, "site", s->site);
	return o;
}

/* ---- what the charger says of itself ---- */

static void add_tristate(cJSON *o, const char *k, int v)
{
	if (v < 0)
		cJSON_AddNullToObject(o, k);
	else
		cJSON_AddBoolToObject(o, k, v);
}

cJSON *charger_caps_json(const struct charger_caps *c)
{
	cJSON *o = cJSON_CreateObject(), *u = cJSON_AddArrayToObject(o, "chargingRateUnits");
	if (c->units & CHARGER_UNIT_A)
		cJSON_AddItemToArray(u, cJSON_CreateString("A"));
	if (c->units & CHARGER_UNIT_W)
		cJSON_AddItemToArray(u, cJSON_CreateString("W"));
	add_tristate(o, "smartCharging", c->smart);
	add_tristate(o, "switch3to1", c->switch3to1);
	if (c->wired_phases)
		cJSON_AddNumberToObject(o, "wiredPhases", c->wired_phases);
	else
		cJSON_AddNullToObject(o, "wiredPhases");
	cJSON_AddBoolToObject(o, "dcSeen", c->dc_seen);
	cJSON_AddBoolToObject(o, "phaseFault", c->phase_fault);
	return o;
}

static int tristate(const cJSON *v, int dflt)
{
	return cJSON_IsBool(v) ? cJSON_IsTrue(v) : cJSON_IsNull(v) ? -1 : dflt;
}

void charger_caps_parse(struct charger_caps *c, const cJSON *j)
{
	const cJSON *v;
	if (!cJSON_IsObject(j))
		return;
	c->units = 0;
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(j, "chargingRateUnits"))
	{
		if (cJSON_IsString(v) && !strcmp(v->valuestring, "A"))
			c->units |= CHARGER_UNIT_A;
		else if (cJSON_IsString(v) && !strcmp(v->valuestring, "W"))
			c->units |= CHARGER_UNIT_W;
	}
	c->smart = tristate(cJSON_GetObjectItemCaseSensitive(j, "smartCharging"), c->smart);
	c->switch3to1 = tristate(cJSON_GetObjectItemCaseSensitive(j, "switch3to1"), c->switch3to1);
	v = cJSON_GetObjectItemCaseSensitive(j, "wiredPhases");
	c->wired_phases = cJSON_IsNumber(v) && (v->valueint == 1 || v->valueint == 3) ? v->valueint : 0;
	c->dc_seen = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "dcSeen"));
	c->phase_fault = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "phaseFault"));
}

/* Whether a comma-separated list holds word (OCPP's CSL values). */
static int csl_has(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; p && *p;) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, word, n) && (p[n] == ',' || p[n] == ' ' || !p[n]))
			return 1;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return 0;
}

/* ConnectorPhaseRotation "0.RST,1.NotApplicable,2.RST": 1 when every
 * connector (index >= 1) is NotApplicable (single phase, or DC), 3 when
 * each has a rotation, 0 when unknown or mixed. */
static int rotation_phases(const char *v)
{
	int na = 0, rot = 0;
	for (const char *p = v; p && *p;) {
		char *end;
		long idx = strtol(p, &end, 10);
		if (end != p && *end == '.' && idx >= 1) {
			const char *r = end + 1;
			if (!strncmp(r, "NotApplicable", 13))
				na++;
			else if (strchr("RST", r[0]) && strchr("RST", r[1]) && strchr("RST", r[2]))
				rot++;
		}
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return na && !rot ? 1 : rot && !na ? 3 : 0;
}

int charger_caps_from_config(struct charger_caps *c, const cJSON *keys)
{
	struct charger_caps old = *c;
	const cJSON *k;
	cJSON_ArrayForEach(k, keys)
	{
		const cJSON *kk = cJSON_GetObjectItemCaseSensitive(k, "key");
		const cJSON *vv = cJSON_GetObjectItemCaseSensitive(k, "value");
		if (!cJSON_IsString(kk) || !cJSON_IsString(vv))
			continue;
		const char *key = kk->valuestring, *val = vv->valuestring;
		if (!strcmp(key, "ChargingScheduleAllowedChargingRateUnit"))
			c->units = (csl_has(val, "Current") ? CHARGER_UNIT_A : 0u) |
				(csl_has(val, "Power") ? CHARGER_UNIT_W : 0u);
		else if (!strcmp(key, "SupportedFeatureProfiles"))
			c->smart = csl_has(val, "SmartCharging");
		else if (!strcmp(key, "ConnectorSwitch3to1PhaseSupported"))
			c->switch3to1 = !strcasecmp(val, "true");
		else if (!strcmp(key, "ConnectorPhaseRotation"))
			c->wired_phases = rotation_phases(val);
	}
	return memcmp(&old, c, sizeof old) != 0;
}

int charger_caps_save(struct store *st, const struct charger *c)
{
	char key[STORE_ID_MAX + 8];
	snprintf(key, sizeof key, "caps.%s", c->id);
	cJSON *j = charger_caps_json(&c->caps);
	char *text = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	int rc = text ? store_meta_set(st, key, text) : -1;
	free(text);
	return rc;
}

int charger_is_dc(const struct charger *c)
{
	return !strcmp(c->settings.kind, "dc") || (!strcmp(c->settings.kind, "auto") && c->caps.dc_seen);
}

int charger_phases(const struct charger *c)
{
	if (c->settings.phases == 3 && c->caps.wired_phases == 1 && !charger_is_dc(c))
		return 1;
	return c->settings.phases == 1 ? 1 : 3;
}

int charger_can_switch_phases(const struct charger *c)
{
	return !strcmp(c->settings.phase_switching, "profile") && !c->caps.phase_fault && !charger_is_dc(c) &&
		charger_phases(c) == 3;
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
		const struct charger_live *l = &charger_conn_get(c, i)->live;
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

/* One sampledValue's members, found in one walk (a MeterValues carries
 * 10-20 of them; looking each member up by name compared every key six
 * times). As cJSON_GetObjectItemCaseSensitive: the first member of a name
 * counts. `has` says which were present (SV_*); a present member that is
 * not a string leaves its pointer NULL. */
enum { SV_VALUE = 1, SV_MEASURAND = 2, SV_FORMAT = 4, SV_PHASE = 8, SV_UNIT = 16 };
struct sampled {
	const char *value, *measurand, *format, *phase, *unit;
	unsigned has;
};

static void sampled_read(const cJSON *sv, struct sampled *f)
{
	static const struct {
		const char *name;
		unsigned bit;
		size_t off;
	} keys[] = {
		{ "value", SV_VALUE, offsetof(struct sampled, value) },
		{ "measurand", SV_MEASURAND, offsetof(struct sampled, measurand) },
		{ "format", SV_FORMAT, offsetof(struct sampled, format) },
		{ "phase", SV_PHASE, offsetof(struct sampled, phase) },
		{ "unit", SV_UNIT, offsetof(struct sampled, unit) },
	};
	const cJSON *m;
	memset(f, 0, sizeof *f);
	cJSON_ArrayForEach(m, sv)
	{
		const char *k = m->string;
		if (!k)
			continue;
		for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
			if (k[0] == keys[i].name[0] && !(f->has & keys[i].bit) && !strcmp(k, keys[i].name)) {
				f->has |= keys[i].bit;
				if (cJSON_IsString(m))
					*(const char **)((char *)f + keys[i].off) = m->valuestring;
				break;
			}
	}
}

/* A plain number (no SignedData), scaled to its base unit; -1 otherwise. */
static int sampled_number(const struct sampled *f, double *v)
{
	char *end;
	if (!f->value || (f->format && !strcmp(f->format, "SignedData")))
		return -1;
	*v = strtod(f->value, &end);
	if (end == f->value || !isfinite(*v))
		return -1;
	*v = scaled(f->unit, *v);
	return *end ? 1 : 0; /* 1: trailing text after the number */
}

int charger_energy_register(const cJSON *sampled, double *wh)
{
	const cJSON *sv;
	cJSON_ArrayForEach(sv, sampled)
	{
		struct sampled f;
		double v;
		sampled_read(sv, &f);
		/* a phase member of any type, or a measurand that is not a
		 * string, is not the register */
		if ((f.has & SV_PHASE) ||
		    ((f.has & SV_MEASURAND) &&
		     (!f.measurand || strcmp(f.measurand, "Energy.Active.Import.Register"))))
			continue;
		if (sampled_number(&f, &v) != 0)
			continue;
		*wh = v;
		return 0;
	}
	return -1;
}

void charger_live_update(struct charger *c, int connector, const cJSON *sampled, int64_t ts_ms)
{
	struct charger_conn *cc = charger_conn_at(c, connector);
	if (!cc)
		return;
	struct charger_live *l = &cc->live;
	const cJSON *sv;
	cJSON_ArrayForEach(sv, sampled)
	{
		struct sampled f;
		double v;
		sampled_read(sv, &f);
		if (sampled_number(&f, &v) < 0)
			continue;
		const char *meas = f.measurand ? f.measurand : "Energy.Active.Import.Register";
		int p = phase_index(f.phase);
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
			else
				l->voltage_any_v = v;
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
