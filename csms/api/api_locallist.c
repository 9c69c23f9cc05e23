/* api_locallist.c: GET and POST /api/v1/chargers/{id}/local-list. The list
 * and its version come from central/locallist.c; this file checks the
 * request, sends the SendLocalList and answers with the charger's answer
 * and what was sent. Several nodes: a charger another node holds gets it
 * through that node (api_fleet_forward_op), which runs api_locallist_run. */
#include "api_locallist.h"
#include "admin.h"
#include "api_fleet.h"
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

/* What the answer adds to the charger's answer; from the send to the end
 * of the call. */
struct send_ctx {
	void (*reply)(void *arg, int status, cJSON *body);
	void *arg;
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
	int status;
	cJSON *o = admin_call_answer(r, extra, &status);
	sc->reply(sc->arg, status, o);
	free(sc);
}

/* An answer now: *status and *answer, 1. */
static int now(int *status, cJSON **answer, int st, const char *code, const char *msg)
{
	*status = st;
	*answer = admin_error_json(code, "%s", msg);
	return 1;
}

int api_locallist_run(struct csms *app, struct charger *ch, const cJSON *body,
		      void (*reply)(void *arg, int status, cJSON *body), void *arg, int *status,
		      cJSON **answer)
{
	char why[256];
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(body, "updateType"), *v;
	cJSON_ArrayForEach(v, body) if (strcmp(v->string, "updateType"))
	{
		snprintf(why, sizeof why, "%.40s: unknown field", v->string);
		return now(status, answer, 400, "BadRequest", why);
	}
	if (!cJSON_IsString(type) ||
	    (strcmp(type->valuestring, "Full") && strcmp(type->valuestring, "Differential")))
		return now(status, answer, 400, "BadRequest", "updateType: Full or Differential");
	if (!ch->session) {
		snprintf(why, sizeof why, "charger '%s' is not connected", ch->id);
		return now(status, answer, 409, "NotConnected", why);
	}
	int full = !strcmp(type->valuestring, "Full"), held_version, version;
	if (store_locallist_get(app->store, ch->id, &held_version) < 0)
		return now(status, answer, 500, "InternalError", "cannot read the local list");
	struct send_ctx *sc = calloc(1, sizeof *sc);
	cJSON *wanted = locallist_wanted(app->store, ch->id, app->now_ms);
	cJSON *held = locallist_held(app->store, ch->id);
	cJSON *req = cJSON_CreateObject(), *list;
	int rc = 1;
	if (!sc || !wanted || !held || !req) {
		now(status, answer, 500, "InternalError", "out of memory");
		goto out;
	}
	if (locallist_send_version(app->store, held_version, &version)) {
		now(status, answer, 500, "InternalError", "cannot store the list version");
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
	sc->reply = reply;
	sc->arg = arg;
	sc->version = version;
	snprintf(sc->type, sizeof sc->type, "%s", type->valuestring);
	int sent = ocppj_call_src(ch->session, "SendLocalList", req, "admin", send_done, sc, why, sizeof why);
	if (sent) {
		now(status, answer, sent == -1 ? 400 : 500, sent == -1 ? "BadRequest" : "InternalError",
		    sent == -1 ? why : "out of memory");
		goto out;
	}
	LOGI("locallist", "%s: SendLocalList %s version %d (%d entries, %d removed)", ch->id, sc->type,
	     version, sc->entries, sc->removed);
	sc = NULL; /* the callback frees it */
	rc = 0;
out:
	free(sc);
	cJSON_Delete(req);
	cJSON_Delete(wanted);
	cJSON_Delete(held);
	return rc;
}

static void http_reply(void *arg, int status, cJSON *body)
{
	admin_reply_json(arg, status, body);
}

void api_locallist_send(struct route_ctx *c)
{
	struct charger *ch = admin_route_charger(c);
	if (!ch)
		return;
	cJSON *body = admin_parse_body(c, 0), *answer;
	if (!body)
		return;
	int status;
	/* several nodes: a charger another node holds gets it through that node */
	if (ch->session || api_fleet_forward_op(c, ch->id, "localListSend", body)) {
		c->t->deferred = 1;
		if (api_locallist_run(c->app, ch, body, http_reply, c->t, &status, &answer)) {
			c->t->deferred = 0;
			admin_reply_json(c->t, status, answer);
		}
	}
	cJSON_Delete(body);
}
