/* api_locallist.c: GET and POST /api/v1/chargers/{id}/local-list. The list
 * and its version come from central/locallist.c; this file checks the
 * request, sends the SendLocalList and answers with the charger's answer
 * and what was sent. */
#include "api_locallist.h"
#include "admin.h"
#include "charger.h"
#include "csms.h"
#include "http.h"
#include "locallist.h"
#include "log.h"
#include "ocppj.h"
#include "session.h"
#include "store.h"
#include "timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add_time_or_null(cJSON *o, const char *key, int64_t ms)
{
	char buf[40];
	if (ms)
		cJSON_AddStringToObject(o, key, time_format_iso(ms, buf, sizeof buf));
	else
		cJSON_AddNullToObject(o, key);
}

/* {"version","updateType","updated","reportedVersion","reported","entries"}:
 * what we last sent the charger and it accepted, what it last reported. */
static cJSON *list_json(struct store *st, const char *charger)
{
	struct store_locallist l;
	cJSON *o = cJSON_CreateObject();
	if (store_locallist_read(st, charger, &l) == 0) {
		if (l.version >= 0)
			cJSON_AddNumberToObject(o, "version", l.version);
		else
			cJSON_AddNullToObject(o, "version");
		if (l.update_type[0])
			cJSON_AddStringToObject(o, "updateType", l.update_type);
		else
			cJSON_AddNullToObject(o, "updateType");
		add_time_or_null(o, "updated", l.updated_ms);
		if (l.has_reported)
			cJSON_AddNumberToObject(o, "reportedVersion", l.reported_version);
		else
			cJSON_AddNullToObject(o, "reportedVersion");
		add_time_or_null(o, "reported", l.reported_ms);
	} else {
		cJSON_AddNullToObject(o, "version");
		cJSON_AddNullToObject(o, "updateType");
		cJSON_AddNullToObject(o, "updated");
		cJSON_AddNullToObject(o, "reportedVersion");
		cJSON_AddNullToObject(o, "reported");
	}
	cJSON_AddItemToObject(o, "entries", locallist_held(st, charger));
	return o;
}

void api_locallist_get(struct route_ctx *c)
{
	struct csms *app = c->app;
	struct charger *ch = admin_route_charger(c);
	if (!ch)
		return;
	cJSON *o = list_json(app->store, ch->id);
	cJSON *wanted = locallist_wanted(app->store, ch->id, app->now_ms);
	int changed, removed;
	cJSON *d = locallist_diff(cJSON_GetObjectItemCaseSensitive(o, "entries"), wanted, &changed, &removed);
	cJSON_AddNumberToObject(o, "tableVersion", locallist_version(app->store));
	cJSON_AddNumberToObject(o, "wantedEntries", cJSON_GetArraySize(wanted));
	cJSON_AddBoolToObject(o, "upToDate",
			      cJSON_IsNumber(cJSON_GetObjectItem(o, "version")) && !changed && !removed);
	cJSON_Delete(d);
	cJSON_Delete(wanted);
	admin_reply_json(c->t, 200, o);
}

/* What the answer to the HTTP request adds to the charger's answer; from
 * the send to the end of the call. */
struct send_ctx {
	struct http_txn *t;
	int version, entries, removed;
	char type[16];
};

static void send_done(void *arg, const struct call_result *r)
{
	struct send_ctx *sc = arg;
	cJSON *extra = cJSON_CreateObject();
	cJSON_AddNumberToObject(extra, "listVersion", sc->version);
	cJSON_AddStringToObject(extra, "updateType", sc->type);
	cJSON_AddNumberToObject(extra, "entries", sc->entries);
	cJSON_AddNumberToObject(extra, "removed", sc->removed);
	admin_call_reply(sc->t, r, extra);
	free(sc);
}

void api_locallist_send(struct route_ctx *c)
{
	struct csms *app = c->app;
	char why[256];
	struct charger *ch = admin_route_charger(c);
	if (!ch)
		return;
	cJSON *body = admin_parse_body(c, 0), *req = NULL, *wanted = NULL, *held = NULL, *list = NULL;
	struct send_ctx *sc = NULL;
	if (!body)
		return;
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(body, "updateType"), *v;
	cJSON_ArrayForEach(v, body) if (strcmp(v->string, "updateType"))
	{
		admin_error(c->t, 400, "BadRequest", "%.40s: unknown field", v->string);
		goto out;
	}
	if (!cJSON_IsString(type) ||
	    (strcmp(type->valuestring, "Full") && strcmp(type->valuestring, "Differential"))) {
		admin_error(c->t, 400, "BadRequest", "updateType: Full or Differential");
		goto out;
	}
	if (!ch->session) {
		admin_error(c->t, 409, "NotConnected", "charger '%s' is not connected", ch->id);
		goto out;
	}
	int full = !strcmp(type->valuestring, "Full"), held_version, version;
	if (store_locallist_get(app->store, ch->id, &held_version) < 0) {
		admin_error(c->t, 500, "InternalError", "cannot read the local list");
		goto out;
	}
	sc = calloc(1, sizeof *sc);
	wanted = locallist_wanted(app->store, ch->id, app->now_ms);
	held = locallist_held(app->store, ch->id);
	req = cJSON_CreateObject();
	if (!sc || !wanted || !held || !req) {
		admin_error(c->t, 500, "InternalError", "out of memory");
		goto out;
	}
	if (locallist_send_version(app->store, held_version, &version)) {
		admin_error(c->t, 500, "InternalError", "cannot store the list version");
		goto out;
	}
	if (full) {
		list = wanted;
		wanted = NULL;
		sc->entries = cJSON_GetArraySize(list);
	} else {
		list = locallist_diff(held, wanted, &sc->entries, &sc->removed);
	}
	cJSON_AddNumberToObject(req, "listVersion", version);
	cJSON_AddStringToObject(req, "updateType", type->valuestring);
	cJSON_AddItemToObject(req, "localAuthorizationList", list);
	sc->t = c->t;
	sc->version = version;
	snprintf(sc->type, sizeof sc->type, "%s", type->valuestring);
	c->t->deferred = 1;
	int rc = ocppj_call_src(ch->session, "SendLocalList", req, "admin", send_done, sc, why, sizeof why);
	if (rc) {
		c->t->deferred = 0;
		admin_error(c->t, rc == -1 ? 400 : 500, rc == -1 ? "BadRequest" : "InternalError", "%s",
			    rc == -1 ? why : "out of memory");
		goto out;
	}
	LOGI("locallist", "%s: SendLocalList %s version %d (%d entries, %d removed)", ch->id, sc->type,
	     version, sc->entries, sc->removed);
	sc = NULL; /* the callback frees it */
out:
	free(sc);
	cJSON_Delete(req);
	cJSON_Delete(wanted);
	cJSON_Delete(held);
	cJSON_Delete(body);
}
