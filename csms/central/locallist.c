/* locallist.c: SendLocalList computed from the id-tag table: the whole list
 * a charger should hold (Full) or the difference from what it holds
 * (Differential: changed entries with their idTagInfo, removed ones
 * without). What the charger accepted is recorded by commands.c from the
 * answer, so a raw SendLocalList through the generic route counts too. */
#include "locallist.h"
#include "admin.h"
#include "charger.h"
#include "csms.h"
#include "http.h"
#include "log.h"
#include "ocppj.h"
#include "session.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define META_KEY "localListVersion"

static int table_version(struct csms *app)
{
	char buf[32];
	return store_meta_get(app->store, META_KEY, buf, sizeof buf) == 0 ? atoi(buf) : 0;
}

static int set_table_version(struct csms *app, int v)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%d", v);
	return store_meta_set(app->store, META_KEY, buf);
}

int locallist_tags_changed(struct csms *app)
{
	return set_table_version(app, table_version(app) + 1);
}

static const cJSON *find_entry(const cJSON *list, const char *tag)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, list) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "idTag");
		if (cJSON_IsString(t) && !strcmp(t->valuestring, tag))
			return e;
	}
	return NULL;
}

/* The Differential list from held to wanted (both sorted by idTag, small:
 * a home or small site; a quadratic scan is fine up to a few thousand). */
static cJSON *diff(const cJSON *held, const cJSON *wanted, int *changed, int *removed)
{
	cJSON *out = cJSON_CreateArray();
	const cJSON *e;
	*changed = *removed = 0;
	cJSON_ArrayForEach(e, wanted) {
		const cJSON *tag = cJSON_GetObjectItemCaseSensitive(e, "idTag");
		const cJSON *h = find_entry(held, tag->valuestring);
		if (!h || !cJSON_Compare(cJSON_GetObjectItemCaseSensitive(h, "idTagInfo"),
					 cJSON_GetObjectItemCaseSensitive(e, "idTagInfo"), 1)) {
			cJSON_AddItemToArray(out, cJSON_Duplicate(e, 1));
			(*changed)++;
		}
	}
	cJSON_ArrayForEach(e, held) {
		const cJSON *tag = cJSON_GetObjectItemCaseSensitive(e, "idTag");
		if (!find_entry(wanted, tag->valuestring)) {
			cJSON *r = cJSON_CreateObject();
			cJSON_AddStringToObject(r, "idTag", tag->valuestring);
			cJSON_AddItemToArray(out, r);
			(*removed)++;
		}
	}
	return out;
}

static struct charger *route_charger(struct route_ctx *c)
{
	struct charger *ch = charger_find(c->app->chargers, c->app->store, c->params[0]);
	if (!ch)
		admin_error(c->t, 404, "NotFound", "no charger '%s'", c->params[0]);
	return ch;
}

void locallist_api_get(struct route_ctx *c)
{
	struct csms *app = c->app;
	struct charger *ch = route_charger(c);
	if (!ch)
		return;
	cJSON *o = store_locallist_json(app->store, ch->id);
	cJSON *wanted = store_locallist_wanted(app->store, ch->id, app->now_ms);
	int changed, removed;
	cJSON *d = diff(cJSON_GetObjectItemCaseSensitive(o, "entries"), wanted, &changed, &removed);
	cJSON_AddNumberToObject(o, "tableVersion", table_version(app));
	cJSON_AddNumberToObject(o, "wantedEntries", cJSON_GetArraySize(wanted));
	cJSON_AddBoolToObject(o, "upToDate", cJSON_IsNumber(cJSON_GetObjectItem(o, "version")) && !changed && !removed);
	cJSON_Delete(d);
	cJSON_Delete(wanted);
	admin_reply_json(c->t, 200, o);
}

/* What the answer to the HTTP request adds to the charger's answer. */
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

void locallist_api_send(struct route_ctx *c)
{
	struct csms *app = c->app;
	char why[256];
	struct charger *ch = route_charger(c);
	if (!ch)
		return;
	cJSON *body = admin_parse_body(c, 0), *req = NULL, *wanted = NULL, *held = NULL, *list = NULL;
	struct send_ctx *sc = NULL;
	if (!body)
		return;
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(body, "updateType"), *v;
	cJSON_ArrayForEach(v, body)
		if (strcmp(v->string, "updateType")) {
			admin_error(c->t, 400, "BadRequest", "%.40s: unknown field", v->string);
			goto out;
		}
	if (!cJSON_IsString(type) || (strcmp(type->valuestring, "Full") && strcmp(type->valuestring, "Differential"))) {
		admin_error(c->t, 400, "BadRequest", "updateType: Full or Differential");
		goto out;
	}
	if (!ch->session) {
		admin_error(c->t, 409, "NotConnected", "charger '%s' is not connected", ch->id);
		goto out;
	}
	int full = !strcmp(type->valuestring, "Full"), held_version;
	if (store_locallist_get(app->store, ch->id, &held_version) < 0) {
		admin_error(c->t, 500, "InternalError", "cannot read the local list");
		goto out;
	}
	sc = calloc(1, sizeof *sc);
	wanted = store_locallist_wanted(app->store, ch->id, app->now_ms);
	held = store_locallist_entries(app->store, ch->id);
	req = cJSON_CreateObject();
	if (!sc || !wanted || !held || !req) {
		admin_error(c->t, 500, "InternalError", "out of memory");
		goto out;
	}
	/* The table's version, unless the charger already holds that one: a
	 * Differential must carry a higher version than the one held. */
	int version = table_version(app);
	if (version <= held_version)
		version = held_version + 1;
	if (version < 1)
		version = 1;
	if (version != table_version(app) && set_table_version(app, version)) {
		admin_error(c->t, 500, "InternalError", "cannot store the list version");
		goto out;
	}
	if (full) {
		list = wanted;
		wanted = NULL;
		sc->entries = cJSON_GetArraySize(list);
	} else {
		list = diff(held, wanted, &sc->entries, &sc->removed);
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
	LOGI("locallist", "%s: SendLocalList %s version %d (%d entries, %d removed)", ch->id, sc->type, version,
	     sc->entries, sc->removed);
	sc = NULL;   /* the callback frees it */
out:
	free(sc);
	cJSON_Delete(req);
	cJSON_Delete(wanted);
	cJSON_Delete(held);
	cJSON_Delete(body);
}
