/* energy_sites.c: the stations of sites other than the default one
 * (issue 15, item 4). PUT /api/v1/sites/{id}/station makes one with its
 * source (api: pushed measurements; modbus: its own inverter), kept in the
 * store's meta under "<key>@<site>" (settings, source, prices, learned
 * forecast), started again at start from what is kept, and, in a fleet,
 * read again every 5 s and when this node takes over a site's loop
 * (energy_sync_sites), so any node may run it. DELETE (or the site's
 * deletion) removes it and what is kept. The step, the settings and the
 * views are energy.c's and energy_json.c's, as for the default site's. */
#include "energy.h"
#include "energy_internal.h"
#include "alarms.h"
#include "csms.h"
#include "errkind.h"
#include "fleet.h"
#include "fnv.h"
#include "log.h"
#include "store.h"

#include "station.h"
#include "station_source.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct energy *energy_of(struct csms *app, const char *site)
{
	for (struct energy *e = app->energy; e; e = e->next)
		if (!strcmp(e->site, site))
			return e;
	return NULL;
}

/* A site's "source": {"type": "api"} or {"type": "modbus", "host", "port",
 * "unit", "map", "pollMs"}; NULL is api. 0, or -1 with err naming the
 * field. */
static int source_from_json(const cJSON *j, station_src_kind *kind, station_src_opts *o, char *map_spec,
			    size_t map_len, char *err, size_t errlen)
{
	static const char *const known[] = { "type", "host", "port", "unit", "map", "pollMs" };
	char e2[200];
	const cJSON *v;
	station_source_opts_defaults(o);
	*kind = STATION_SRC_API;
	snprintf(map_spec, map_len, "%s", "victron-gx");
	if (!j)
		return 0;
	if (!cJSON_IsObject(j)) {
		snprintf(err, errlen, "source: an object {\"type\": \"api\"|\"modbus\", ...}");
		return -1;
	}
	cJSON_ArrayForEach(v, j)
	{
		size_t k;
		for (k = 0; k < sizeof known / sizeof known[0]; k++)
			if (!strcmp(known[k], v->string))
				break;
		if (k == sizeof known / sizeof known[0]) {
			snprintf(err, errlen,
				 "source.%s: unknown field (type, host, port, unit, map, pollMs)", v->string);
			return -1;
		}
	}
	v = cJSON_GetObjectItemCaseSensitive(j, "type");
	if (!cJSON_IsString(v) || (strcmp(v->valuestring, "api") && strcmp(v->valuestring, "modbus"))) {
		snprintf(err, errlen,
			 "source.type: \"api\" (measurements pushed) or \"modbus\" (the simulated house "
			 "is the default site's)");
		return -1;
	}
	if (!strcmp(v->valuestring, "api")) {
		if (cJSON_GetArraySize(j) > 1) {
			snprintf(err, errlen, "source: an api source takes no other field");
			return -1;
		}
		return 0;
	}
	*kind = STATION_SRC_MODBUS;
	v = cJSON_GetObjectItemCaseSensitive(j, "host");
	if (!cJSON_IsString(v) || !v->valuestring[0] || strlen(v->valuestring) >= sizeof o->host) {
		snprintf(err, errlen, "source.host: the Modbus TCP device's host name or address");
		return -1;
	}
	snprintf(o->host, sizeof o->host, "%s", v->valuestring);
	static const struct {
		const char *name;
		int lo, hi;
		size_t off;
	} nums[] = {
		{ "port", 1, 65535, offsetof(station_src_opts, port) },
		{ "unit", 0, 255, offsetof(station_src_opts, unit) },
		{ "pollMs", 100, 60000, offsetof(station_src_opts, poll_ms) },
	};
	for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
		v = cJSON_GetObjectItemCaseSensitive(j, nums[i].name);
		if (!v)
			continue;
		if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
		    v->valuedouble < nums[i].lo || v->valuedouble > nums[i].hi) {
			snprintf(err, errlen, "source.%s: a whole number from %d to %d", nums[i].name,
				 nums[i].lo, nums[i].hi);
			return -1;
		}
		*(int *)((char *)o + nums[i].off) = (int)v->valuedouble;
	}
	v = cJSON_GetObjectItemCaseSensitive(j, "map");
	if (v && (!cJSON_IsString(v) || strlen(v->valuestring) >= map_len)) {
		snprintf(err, errlen, "source.map: a map name or file");
		return -1;
	}
	if (v)
		snprintf(map_spec, map_len, "%s", v->valuestring);
	if (station_source_map_resolve(map_spec, &o->map, e2, sizeof e2)) {
		snprintf(err, errlen, "source.map: %s", e2);
		return -1;
	}
	if (o->timeout_ms > o->poll_ms * 2)
		o->timeout_ms = o->poll_ms * 2;
	if (station_source_check(o, e2, sizeof e2)) {
		snprintf(err, errlen, "source: %s", e2);
		return -1;
	}
	return 0;
}

/* The source as kept (meta META_SOURCE@site) and given back: malloc'd. */
static char *source_text(station_src_kind kind, const station_src_opts *o, const char *map_spec)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "type", station_src_kind_str(kind));
	if (kind == STATION_SRC_MODBUS) {
		cJSON_AddStringToObject(j, "host", o->host);
		cJSON_AddNumberToObject(j, "port", o->port);
		cJSON_AddNumberToObject(j, "unit", o->unit);
		cJSON_AddStringToObject(j, "map", map_spec);
		cJSON_AddNumberToObject(j, "pollMs", o->poll_ms);
	}
	char *t = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return t;
}

#define SITES_MAX 128 /* more than the API allows (64): a truncated list drops nothing */

/* A kept station that does not start is tried again at every sync (every
 * 5 s in a fleet): its reason is an error in the log once, and again only
 * when it changes or after the station started (debug in between). */
static struct start_failure {
	char site[STORE_ID_MAX];
	uint32_t why; /* FNV-1a of the reason */
} failures[SITES_MAX];

/* Remembers site's failure: 1 when it was not the last one logged. */
static int failure_new(const char *site, const char *why)
{
	uint32_t h = fnv1a(why);
	struct start_failure *slot = NULL;
	for (size_t i = 0; i < SITES_MAX; i++) {
		if (!strcmp(failures[i].site, site)) {
			int fresh = failures[i].why != h;
			failures[i].why = h;
			return fresh;
		}
		if (!slot && !failures[i].site[0])
			slot = &failures[i];
	}
	if (slot) {
		snprintf(slot->site, sizeof slot->site, "%s", site);
		slot->why = h;
	}
	return 1;
}

static void failure_gone(const char *site)
{
	for (size_t i = 0; i < SITES_MAX; i++)
		if (!strcmp(failures[i].site, site))
			failures[i].site[0] = 0;
}

/* A kept station started for site: NULL (logged) when its source or start
 * fails. */
static struct energy *site_station_start(struct csms *app, const char *site, const char *src_text)
{
	char err[256], map[256];
	station_src_kind kind;
	station_src_opts o;
	cJSON *j = cJSON_Parse(src_text);
	int rc = j ? source_from_json(j, &kind, &o, map, sizeof map, err, sizeof err) : -1;
	cJSON_Delete(j);
	struct energy *e = NULL;
	if (rc == 0 && !(e = energy_new(app, site, kind, &o, map)))
		snprintf(err, sizeof err, "out of memory");
	if (e && energy_start(e, 0, err, sizeof err)) {
		e->fc_started = 0;
		energy_free_one(e);
		e = NULL;
	}
	const char *why = j ? err : "not JSON";
	if (e)
		failure_gone(site);
	else if (failure_new(site, why))
		LOGE("station", "site %s: the kept station is not started: %s", site, why);
	else
		LOGD("station", "site %s: the kept station is still not started: %s", site, why);
	return e;
}

static void list_add(struct csms *app, struct energy *n)
{
	struct energy **p = &app->energy->next;
	while (*p)
		p = &(*p)->next;
	*p = n;
}

static void list_drop(struct csms *app, struct energy *n)
{
	for (struct energy **p = &app->energy->next; *p; p = &(*p)->next)
		if (*p == n) {
			*p = n->next;
			return;
		}
}

/* Off the list and freed; what it learned is not saved. With its alarms
 * cleared (it goes away with them raised), unless its successor takes
 * them over. why: the log line's reason, NULL for none. */
static void drop(struct csms *app, struct energy *e, const char *why, int clear_alarms)
{
	if (why)
		LOGI("station", "site %s: station removed (%s)", e->site, why);
	list_drop(app, e);
	for (int i = 0; clear_alarms && i < ENERGY_ALARMS; i++)
		alarms_site_watch(app, &e->alarm[i], "station", NULL, NULL);
	e->fc_started = 0;
	energy_free_one(e);
}

struct site_ids {
	int n, truncated;
	char id[SITES_MAX][STORE_ID_MAX];
};

static int collect_site(void *arg, const struct store_site_row *r)
{
	struct site_ids *ids = arg;
	if (!strcmp(r->id, STORE_SITE_DEFAULT))
		return 0;
	if (ids->n == SITES_MAX)
		ids->truncated = 1;
	else
		snprintf(ids->id[ids->n++], STORE_ID_MAX, "%s", r->id);
	return 0;
}

/* One site's station as kept (src: its kept source, "" none). */
static void sync_one(struct csms *app, const char *site, const char *src)
{
	struct energy *e = energy_of(app, site);
	if (!src[0]) { /* none kept: none here either */
		if (e)
			drop(app, e, "by another node", 1);
		return;
	}
	if (!e) {
		if ((e = site_station_start(app, site, src)))
			list_add(app, e);
		return;
	}
	char *now = source_text(e->kind, &e->opts, e->map_spec);
	if (!now || strcmp(now, src)) { /* a new source: the station starts again */
		free(now);
		energy_forecast_save(e, 1); /* what it learned goes on (where it runs) */
		drop(app, e, NULL, 1);
		if ((e = site_station_start(app, site, src)))
			list_add(app, e);
		return;
	}
	free(now);
	energy_reread_settings(e);
}

void energy_sync_sites(struct csms *app)
{
	struct energy *d = app->energy;
	struct site_ids *ids = d ? calloc(1, sizeof *ids) : NULL;
	if (!ids || store_site_each(app->store, NULL, collect_site, ids) < 0)
		goto out; /* the store does not answer: nothing changes here */
	d->synced_ms = app->now_ms;
	energy_reread_settings(d); /* the default site's settings another node changed */
	/* stations of sites that are gone */
	for (struct energy *e = d->next, *n; e && !ids->truncated; e = n) {
		n = e->next;
		int i;
		for (i = 0; i < ids->n && strcmp(ids->id[i], e->site); i++)
			;
		if (i == ids->n)
			drop(app, e, "its site is gone", 1);
	}
	for (int i = 0; i < ids->n; i++) {
		char key[STORE_ID_MAX + 24], *src = NULL;
		snprintf(key, sizeof key, "%s@%s", META_SOURCE, ids->id[i]);
		if (energy_meta_read(app, key, &src)) /* not answered: this one stays as it is */
			continue;
		sync_one(app, ids->id[i], src ? src : "");
		free(src);
	}
out:
	free(ids);
}

struct site_found {
	int found;
};

static int found_site(void *arg, const struct store_site_row *r)
{
	(void)r;
	((struct site_found *)arg)->found = 1;
	return 0;
}

int energy_site_known(struct csms *app, const char *site, struct err_info *er)
{
	struct site_found f = { 0 };
	int rc = store_site_each(app->store, site, found_site, &f);
	if (rc < 0)
		return err_set(er, ERR_INTERNAL, "cannot read the sites");
	if (!f.found)
		return err_set(er, ERR_NOT_FOUND, "no site %s (GET /api/v1/sites lists them)", site);
	return 0;
}

int energy_site_station(struct csms *app, const char *site, struct err_info *er)
{
	if (energy_site_known(app, site, er))
		return -1;
	if (!energy_of(app, site))
		return err_set(er, !strcmp(site, STORE_SITE_DEFAULT) ? ERR_UNAVAILABLE : ERR_NOT_FOUND,
			       "site %s has no station (PUT /api/v1/sites/%s/station makes one)", site, site);
	return 0;
}

int energy_site_put(struct csms *app, const char *site, const cJSON *body, int *created, struct err_info *er)
{
	char err[256], map[256];
	*created = 0;
	if (energy_site_known(app, site, er))
		return -1;
	if (!cJSON_IsObject(body))
		return err_set(er, ERR_BAD_REQUEST, "body: a JSON object of station settings");
	const cJSON *sj = cJSON_GetObjectItemCaseSensitive(body, "source");
	struct energy *e = energy_of(app, site);
	if (!strcmp(site, STORE_SITE_DEFAULT)) {
		if (sj)
			return err_set(er, ERR_BAD_REQUEST,
				       "source: the default site's source is the station_source setting");
		return energy_apply_settings(e, body, er);
	}
	station_src_kind kind;
	station_src_opts o;
	if (sj || !e) {
		if (source_from_json(sj, &kind, &o, map, sizeof map, err, sizeof err))
			return err_set(er, ERR_BAD_REQUEST, "%s", err);
	} else {
		kind = e->kind;
		o = e->opts;
		snprintf(map, sizeof map, "%s", e->map_spec);
	}
	cJSON *settings = cJSON_Duplicate(body, 1);
	if (!settings)
		return err_set(er, ERR_INTERNAL, "out of memory");
	cJSON_DeleteItemFromObjectCaseSensitive(settings, "source");
	char *src = source_text(kind, &o, map);
	char *old = e ? source_text(e->kind, &e->opts, e->map_spec) : NULL;
	int rc = -1, fresh = !e || !old || strcmp(old, src);
	struct energy *n = NULL;
	if (fresh) {
		/* a new station, or a new source: made beside the old one, with
		 * the kept settings and what it learned, neither driving a
		 * source nor stepping until the settings are taken (a refused
		 * PUT leaves no trace: no connection, no alarm touched) */
		n = energy_new(app, site, kind, &o, map);
		if (!n) {
			err_set(er, ERR_INTERNAL, "out of memory");
			goto out;
		}
		if (e)
			energy_forecast_save(e, 1);
		if (energy_start(n, 1, err, sizeof err)) {
			err_set(er, ERR_BAD_REQUEST, "%s", err);
			goto out;
		}
	}
	if (energy_apply_settings(fresh ? n : e, settings, er))
		goto out;
	if (fresh && (!src || store_meta_set(app->store, n->meta_source, src))) {
		err_set(er, ERR_INTERNAL, "cannot store the station's source");
		goto out;
	}
	if (fresh) {
		if (e) {
			/* its source stops before the new one starts; its alarms are
			 * the new one's now (evaluated at its first step) */
			drop(app, e, NULL, 0);
			LOGI("station", "site %s: source %s", site, station_src_kind_str(kind));
		} else
			*created = 1;
		list_add(app, n);
		e = n;
		n = NULL;
		e->lead = fleet_control_site(app, site);
		if (e->lead && energy_source_run(e, 1, err, sizeof err))
			LOGE("station", "site %s: %s", site, err);
		if (e->lead)
			energy_step(e); /* in force at once, its answer with outputs */
	}
	rc = 0;
out:
	if (n) {
		n->fc_started = 0; /* nothing of a refused station is kept */
		energy_free_one(n);
	}
	free(src);
	free(old);
	cJSON_Delete(settings);
	return rc;
}

int energy_site_delete(struct csms *app, const char *site, struct err_info *er)
{
	if (energy_site_known(app, site, er))
		return -1;
	if (!strcmp(site, STORE_SITE_DEFAULT))
		return err_set(er, ERR_CONFLICT, "the default site's station is set by station_source");
	struct energy *e = energy_of(app, site);
	if (!e)
		return err_set(er, ERR_NOT_FOUND, "site %s has no station", site);
	return energy_site_forget(app, site, er);
}

int energy_site_forget(struct csms *app, const char *site, struct err_info *er)
{
	char key[STORE_ID_MAX + 24];
	static const char *const metas[] = { META_SOURCE, META_SETTINGS, META_PRICES, META_FORECAST };
	if (!strcmp(site, STORE_SITE_DEFAULT))
		return 0;
	for (size_t i = 0; i < sizeof metas / sizeof metas[0]; i++) {
		snprintf(key, sizeof key, "%s@%s", metas[i], site);
		if (store_meta_delete(app->store, key))
			return err_set(er, ERR_INTERNAL, "cannot store the station's removal");
	}
	struct energy *e = energy_of(app, site);
	if (e)
		drop(app, e, "deleted", 1);
	return 0;
}
