/* admin.c: the admin HTTP JSON API. One table of routes; each handler
 * answers through http_respond, or defers (an OCPP call to a charger) and
 * answers from the call's callback. Errors are {"error":{code,description}}. */
#include "admin.h"
#include "api_alarms.h"
#include "api_history.h"
#include "api_json.h"
#include "api_locallist.h"
#include "api_records.h"
#include "authkey.h"
#include "charger.h"
#include "commands.h"
#include "control.h"
#include "fleet.h"
#include "api_dlm.h"
#include "api_events.h"
#include "api_fleet.h"
#include "api_web.h"
#include "api_sites.h"
#include "api_station.h"
#include "csms.h"
#include "jget.h"
#include "http.h"
#include "jsontext.h"
#include "locallist.h"
#include "log.h"
#include "metrics.h"
#include "ocppj.h"
#include "server.h"
#include "session.h"
#include "store.h"
#include "timeutil.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct route {
	enum http_method method;
	const char *pattern; /* '*' matches one path segment */
	route_fn fn;
	const char *query; /* the query parameters it takes, space-separated; NULL: none */
};

/* ---- answers ---- */

void admin_reply_json(struct http_txn *t, int status, cJSON *j)
{
	char *s = j ? cJSON_PrintUnformatted(j) : NULL;
	cJSON_Delete(j);
	http_respond(t, status, "application/json", s, s ? strlen(s) : 0);
}

void admin_error(struct http_txn *t, int status, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	http_verror(t, status, code, fmt, ap);
	va_end(ap);
}

/* What each kind of refusal answers: its status and the error code the
 * routes have always used for it. Indexed by kind; a kind with no row is a
 * test failure (tests/unit/csms/test_errkind.c). */
static const struct {
	int status;
	const char *code;
} err_answers[ERR_KINDS] = {
	[ERR_BAD_REQUEST] = { 400, "BadRequest" }, [ERR_NOT_FOUND] = { 404, "NotFound" },
	[ERR_CONFLICT] = { 409, "Conflict" },      [ERR_UNAVAILABLE] = { 503, "Unavailable" },
	[ERR_INTERNAL] = { 500, "InternalError" },
};

int admin_err_answer(enum err_kind kind, const char **code)
{
	if ((unsigned)kind >= ERR_KINDS || !err_answers[kind].code)
		kind = ERR_INTERNAL;
	*code = err_answers[kind].code;
	return err_answers[kind].status;
}

cJSON *admin_refusal(const struct err_info *e, int *status)
{
	const char *code;
	*status = admin_err_answer(e->kind, &code);
	return admin_error_json(code, "%s", e->msg);
}

void admin_fail(struct http_txn *t, const struct err_info *e)
{
	const char *code;
	int status = admin_err_answer(e->kind, &code);
	admin_error(t, status, code, "%s", e->msg);
}

cJSON *admin_parse_body(struct route_ctx *c, int allow_empty)
{
	struct http_txn *t = c->t;
	if (t->body_too_big) {
		admin_error(t, 413, "PayloadTooLarge", "request body larger than 1 MiB");
		return NULL;
	}
	if (!t->body_len && allow_empty)
		return cJSON_CreateObject();
	if (!t->body_len) {
		admin_error(t, 400, "BadRequest", "a JSON request body is needed");
		return NULL;
	}
	enum jtext_err err;
	cJSON *j = jtext_parse(t->body, t->body_len, &err);
	if (!j)
		admin_error(t, 400, "BadRequest", "request body %s", jtext_strerror(err));
	return j;
}

struct charger *admin_route_charger(struct route_ctx *c)
{
	struct charger *ch = charger_find(c->app->chargers, c->app->store, c->params[0]);
	if (!ch)
		admin_error(c->t, 404, "NotFound", "no charger '%s'", c->params[0]);
	return ch;
}

int admin_query_int(struct route_ctx *c, const char *name, int dflt, int lo, int hi, int *out)
{
	char buf[32], *end;
	*out = dflt;
	if (!http_query(c->t, name, buf, sizeof buf))
		return 0;
	long v = strtol(buf, &end, 10);
	if (!*buf || *end || v < lo || v > hi) {
		admin_error(c->t, 400, "BadRequest", "%s: a whole number from %d to %d", name, lo, hi);
		return -1;
	}
	*out = (int)v;
	return 0;
}

int admin_query_bool(struct route_ctx *c, const char *name, int *out)
{
	char buf[16];
	*out = -1;
	if (!http_query(c->t, name, buf, sizeof buf))
		return 0;
	if (!strcmp(buf, "true"))
		*out = 1;
	else if (!strcmp(buf, "false"))
		*out = 0;
	else {
		admin_error(c->t, 400, "BadRequest", "%s: true or false", name);
		return -1;
	}
	return 0;
}

int admin_query_page(struct route_ctx *c, int store_desc, int dflt_limit, struct admin_page *pg)
{
	char buf[16];
	pg->limit = dflt_limit;
	pg->reverse = 0;
	if (admin_query_int(c, "offset", 0, 0, INT_MAX, &pg->offset))
		return -1;
	if (!http_query(c->t, "order", buf, sizeof buf))
		return 0;
	if (strcmp(buf, "asc") && strcmp(buf, "desc")) {
		admin_error(c->t, 400, "BadRequest", "order: one of asc, desc");
		return -1;
	}
	pg->reverse = !strcmp(buf, "desc") != !!store_desc;
	return 0;
}

void admin_page_apply(struct route_ctx *c, cJSON *arr, const struct admin_page *pg, long long total)
{
	char total_text[24];
	int n = cJSON_GetArraySize(arr), i = 0;
	cJSON *rows = cJSON_CreateArray(), *item;
	if (total < 0)
		total = n;
	snprintf(total_text, sizeof total_text, "%lld", total);
	http_add_header(c->t, "X-Total-Count:", total_text);
	if (!rows)
		return;
	/* taken from the front, each at its place in the asked order */
	while ((item = cJSON_DetachItemFromArray(arr, 0)) != NULL) {
		int pos = pg->reverse ? n - 1 - i : i;
		i++;
		if (pos < pg->offset || (pg->limit > 0 && pos - pg->offset >= pg->limit))
			cJSON_Delete(item);
		else if (pg->reverse)
			cJSON_InsertItemInArray(rows, 0, item);
		else
			cJSON_AddItemToArray(rows, item);
	}
	while ((item = cJSON_DetachItemFromArray(rows, 0)) != NULL)
		cJSON_AddItemToArray(arr, item);
	cJSON_Delete(rows);
}

void admin_reply_page(struct route_ctx *c, cJSON *arr, const struct admin_page *pg)
{
	if (arr)
		admin_page_apply(c, arr, pg, -1);
	admin_reply_json(c->t, 200, arr);
}

/* ---- health and chargers ---- */

static void r_health(struct route_ctx *c)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "status", "ok");
	if (c->app->mqtt_state) /* only when mqtt_url is set: the answer stays {"status":"ok"} otherwise */
		cJSON_AddStringToObject(o, "mqtt", c->app->mqtt_state == 2 ? "connected" : "disconnected");
	fleet_health(c->app, o, !c->anonymous);
	admin_reply_json(c->t, 200, o);
}

static void charger_decorate(struct csms *app, cJSON *o)
{
	const cJSON *id = cJSON_GetObjectItem(o, "id");
	struct charger *ch = charger_find(app->chargers, app->store, id->valuestring);
	char node[FLEETMSG_NODE_MAX];
	/* in a fleet, connected to any node: its live view and lastSeen are
	 * that node's (what this one has is from before it moved) */
	int elsewhere = ch && !ch->session && fleet_holder(app, id->valuestring, node) == 1;
	cJSON_AddBoolToObject(o, "connected", ch && (ch->session || elsewhere));
	if (ch) {
		int64_t seen = ch->last_seen_ms;
		cJSON *live = elsewhere ? api_fleet_charger_live(app, node, ch->id, &seen) : NULL;
		if (elsewhere && !live)
			live = cJSON_CreateArray(); /* not known yet */
		/* the registry's lastSeen follows every message; the row's lags by up to a minute */
		if (seen > 0) {
			cJSON_DeleteItemFromObjectCaseSensitive(o, "lastSeen");
			jput_time(o, "lastSeen", seen);
		}
		cJSON_ReplaceItemInObject(o, "settings", charger_settings_json(&ch->settings));
		cJSON_AddItemToObject(o, "live", live ? live : charger_live_json(ch));
		cJSON_AddItemToObject(o, "availability", api_json_availability(app->store, ch->id));
	}
}

void admin_decorate_charger(struct csms *app, cJSON *o)
{
	charger_decorate(app, o);
}

static void r_chargers(struct route_ctx *c)
{
	struct admin_page pg;
	if (admin_query_page(c, 0, 0, &pg) || admin_query_int(c, "limit", 0, 0, INT_MAX, &pg.limit))
		return;
	cJSON *arr = api_json_chargers(c->app->store, NULL), *o;
	if (arr)
		admin_page_apply(c, arr, &pg, -1); /* decorate only the page */
	cJSON_ArrayForEach(o, arr) charger_decorate(c->app, o);
	admin_reply_json(c->t, 200, arr);
}

/* A PUT that created what it names answers 201 with its Location. */
void admin_reply_created(struct route_ctx *c, const char *collection, cJSON *o)
{
	admin_reply_created_at(c, collection, "", o);
}

void admin_location(const char *collection, const char *id, const char *suffix, char *loc, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = (size_t)snprintf(loc, len, "/api/v1/%s/", collection);
	for (const unsigned char *p = (const unsigned char *)id; *p && n + 4 < len; p++) {
		if (isalnum(*p) || strchr("-._~", *p)) {
			loc[n++] = (char)*p;
		} else { /* percent-encoded: the id as a path segment */
			loc[n++] = '%';
			loc[n++] = hex[*p >> 4];
			loc[n++] = hex[*p & 15];
		}
	}
	loc[n] = 0;
	snprintf(loc + n, len - n, "%s", suffix);
}

void admin_reply_created_at(struct route_ctx *c, const char *collection, const char *suffix, cJSON *o)
{
	char loc[ADMIN_LOCATION_MAX];
	admin_location(collection, c->params[0], suffix, loc, sizeof loc);
	http_add_header(c->t, "Location:", loc);
	admin_reply_json(c->t, 201, o);
}

static void charger_reply(struct route_ctx *c, int created)
{
	cJSON *o = api_json_chargers(c->app->store, c->params[0]);
	if (!o) {
		admin_error(c->t, 404, "NotFound", "no charger '%s'", c->params[0]);
		return;
	}
	charger_decorate(c->app, o);
	if (created)
		admin_reply_created(c, "chargers", o);
	else
		admin_reply_json(c->t, 200, o);
}

static void r_charger(struct route_ctx *c)
{
	charger_reply(c, 0);
}

static void set_registration(struct route_ctx *c, enum store_registration reg)
{
	struct charger *ch = charger_find(c->app->chargers, c->app->store, c->params[0]);
	if (!ch || store_charger_set_registration(c->app->store, ch->id, reg)) {
		admin_error(c->t, 404, "NotFound", "no charger '%s'", c->params[0]);
		return;
	}
	charger_set_reg(c->app->chargers, ch, reg);
	LOGI("admin", "%s %s", ch->id, store_registration_names[reg]);
	api_fleet_charger_changed(c->app, ch->id); /* several nodes: its holder decides with it */
	r_charger(c);
}

static void r_accept(struct route_ctx *c)
{
	set_registration(c, REG_ACCEPTED);
}
static void r_reject(struct route_ctx *c)
{
	set_registration(c, REG_REJECTED);
}

static void r_charger_put(struct route_ctx *c)
{
	struct csms *app = c->app;
	char err[256], hash[AUTHKEY_HASH_MAX];
	if (!*c->params[0] || strlen(c->params[0]) >= STORE_ID_MAX) {
		admin_error(c->t, 400, "BadRequest", "charger id must be 1 to 48 characters");
		return;
	}
	cJSON *body = admin_parse_body(c, 0);
	if (!body)
		return;
	struct charger_settings s;
	struct charger *ch = charger_find(app->chargers, app->store, c->params[0]);
	if (ch)
		s = ch->settings;
	else
		charger_settings_default(&s);
	if (charger_settings_parse(&s, body, err, sizeof err)) {
		cJSON_Delete(body);
		admin_error(c->t, 400, "BadRequest", "%s", err);
		return;
	}
	/* a site that exists, before anything is created or changed */
	int64_t nsite = admin_site_exists(app, s.site);
	if (nsite <= 0) {
		cJSON_Delete(body);
		if (nsite < 0)
			admin_error(c->t, 500, "InternalError", "cannot read the sites");
		else
			admin_error(c->t, 400, "BadRequest",
				    "site: no site %s (GET /api/v1/sites lists them)", s.site);
		return;
	}
	const cJSON *key = cJSON_GetObjectItemCaseSensitive(body, "authorizationKey");
	const char *hash_arg = NULL;
	if (cJSON_IsString(key)) {
		if (authkey_hash(key->valuestring, strlen(key->valuestring), app->cfg.auth_key_iterations,
				 hash, sizeof hash)) {
			cJSON_Delete(body);
			admin_error(c->t, 500, "InternalError", "cannot hash the key");
			return;
		}
		hash_arg = hash;
	} else if (cJSON_IsNull(key))
		hash_arg = "";
	cJSON_Delete(body);
	int created = !ch;
	if (!ch || ch->reg == REG_UNKNOWN) {
		/* Provisioning a charger before it first connects (or boots). */
		if (store_charger_create(app->store, c->params[0], REG_ACCEPTED, app->now_ms) < 0 ||
		    !(ch = charger_get(app->chargers, app->store, c->params[0]))) {
			admin_error(c->t, 500, "InternalError", "cannot create the charger");
			return;
		}
		charger_set_reg(app->chargers, ch, REG_ACCEPTED);
	}
	int rc = admin_charger_store_settings(app, ch, &s, hash_arg);
	if (rc) {
		if (rc > 0)
			admin_error(c->t, 400, "BadRequest", "site: no site %s", s.site);
		else
			admin_error(c->t, 500, "InternalError", "cannot store the settings");
		return;
	}
	charger_reply(c, created);
}

static int site_seen(void *arg, const struct store_site_row *r)
{
	(void)r;
	(*(int64_t *)arg)++;
	return 0;
}

int64_t admin_site_exists(struct csms *app, const char *site)
{
	int64_t n = 0;
	return store_site_each(app->store, site, site_seen, &n) < 0 ? -1 : n;
}

int admin_charger_store_settings(struct csms *app, struct charger *ch, const struct charger_settings *in,
				 const char *hash_arg)
{
	struct charger_settings s = *in;
	if (hash_arg)
		s.has_auth_key = hash_arg[0] != 0;
	/* its site first: an unknown one (deleted a moment ago) changes nothing */
	if (strcmp(s.site, ch->settings.site)) {
		int rc = store_charger_set_site(app->store, ch->id, s.site);
		if (rc)
			return rc;
	}
	cJSON *sj = charger_settings_json(&s);
	cJSON_DeleteItemFromObject(sj, "authorizationKeySet");
	char *text = cJSON_PrintUnformatted(sj);
	cJSON_Delete(sj);
	int rc = text ? store_charger_set_settings(app->store, ch->id, text, hash_arg) : -1;
	free(text);
	if (rc)
		return -1;
	if (hash_arg)
		ch->auth_cache.valid = 0; /* the cached password is not the key any more */
	struct charger_settings old = ch->settings;
	ch->settings = s;
	control_charger_settings(app, ch, &old);
	api_fleet_charger_changed(app, ch->id); /* several nodes: its holder and the station's node */
	return 0;
}

/* ---- OCPP calls to a charger ---- */

void admin_call_reply(struct http_txn *t, const struct call_result *r, cJSON *extra)
{
	int status;
	cJSON *o = admin_call_answer(r, extra, &status);
	admin_reply_json(t, status, o);
}

cJSON *admin_call_answer(const struct call_result *r, cJSON *extra, int *status_out)
{
	cJSON *o = cJSON_CreateObject(), *v;
	int status = 200;
	if (r->status == OCPP_OK) {
		cJSON_AddItemToObject(o, "result", cJSON_Duplicate(r->payload, 1));
	} else {
		status = r->outcome == CALL_TIMEOUT ? 504 : 502;
		cJSON *e = cJSON_AddObjectToObject(o, "error");
		cJSON_AddStringToObject(e, "code", r->code);
		cJSON_AddStringToObject(e, "description", r->description ? r->description : "");
		cJSON_AddItemToObject(e, "details",
				      r->payload ? cJSON_Duplicate(r->payload, 1) : cJSON_CreateObject());
	}
	while (extra && (v = extra->child)) {
		cJSON_DetachItemViaPointer(extra, v);
		cJSON_AddItemToObject(o, v->string, v);
	}
	cJSON_Delete(extra);
	*status_out = status;
	return o;
}

/* The JSON of an error answer, as http_error writes it. */
cJSON *admin_error_json(const char *code, const char *fmt, ...)
{
	char desc[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(desc, sizeof desc, fmt, ap);
	va_end(ap);
	cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o, "error");
	cJSON_AddStringToObject(e, "code", code);
	cJSON_AddStringToObject(e, "description", desc);
	return o;
}

/* An admin CALL in flight: where its HTTP answer goes. */
struct admin_send {
	admin_answer_fn *answer;
	void *arg;
};

static void send_done(void *arg, const struct call_result *r)
{
	struct admin_send *a = arg;
	int status;
	cJSON *o = admin_call_answer(r, NULL, &status);
	a->answer(a->arg, status, o);
	free(a);
}

void admin_ocpp_send(struct csms *app, struct charger *ch, const char *action, cJSON *body,
		     admin_answer_fn *answer, void *arg)
{
	char why[256];
	(void)app;
	if (!ch->session) {
		answer(arg, 409, admin_error_json("NotConnected", "charger '%s' is not connected", ch->id));
		return;
	}
	/* The charger's "Authorization" switch is off: a remote start needs no
	 * card, the transaction goes under its free idTag. */
	if (!strcmp(action, "RemoteStartTransaction") && cJSON_IsObject(body) &&
	    !cJSON_GetObjectItemCaseSensitive(body, "idTag") && !ch->settings.authorization_required)
		cJSON_AddStringToObject(body, "idTag", ch->settings.free_id_tag);
	struct admin_send *a = malloc(sizeof *a);
	int rc = -2;
	if (a) {
		a->answer = answer;
		a->arg = arg;
		rc = ocppj_call_src(ch->session, action, body, "admin", send_done, a, why, sizeof why);
	}
	if (!rc)
		return;
	free(a);
	if (rc == -1)
		answer(arg, 400, admin_error_json("BadRequest", "%s", why));
	else
		answer(arg, 500, admin_error_json("InternalError", "out of memory"));
}

/* The answer goes to the admin's request. */
static void txn_answer(void *arg, int status, cJSON *o)
{
	admin_reply_json(arg, status, o);
}

static void r_ocpp_call(struct route_ctx *c)
{
	struct csms *app = c->app;
	struct charger *ch = charger_find(app->chargers, app->store, c->params[0]);
	if (!ch) {
		admin_error(c->t, 404, "NotFound", "no charger '%s'", c->params[0]);
		return;
	}
	cJSON *body = admin_parse_body(c, 0);
	if (!body)
		return;
	/* Held by another node of a fleet: it sends the CALL and answers. */
	if (!ch->session && !api_fleet_forward(c, ch->id, c->params[1], body)) {
		cJSON_Delete(body);
		return;
	}
	c->t->deferred = 1;
	admin_ocpp_send(app, ch, c->params[1], body, txn_answer, c->t);
	cJSON_Delete(body);
	if (c->t->answered)
		c->t->deferred = 0;
}

/* ---- id tags ---- */

static const char *const tag_statuses[] = { "Accepted", "Blocked", "Expired", "Invalid", NULL };

static void r_tags(struct route_ctx *c)
{
	struct admin_page pg;
	if (admin_query_page(c, 0, 0, &pg) || admin_query_int(c, "limit", 0, 0, INT_MAX, &pg.limit))
		return;
	admin_reply_page(c, api_json_idtags(c->app->store, NULL), &pg);
}

static void tag_reply(struct route_ctx *c, int created)
{
	cJSON *o = api_json_idtags(c->app->store, c->params[0]);
	if (!o)
		admin_error(c->t, 404, "NotFound", "no idTag '%s'", c->params[0]);
	else if (created)
		admin_reply_created(c, "id-tags", o);
	else
		admin_reply_json(c->t, 200, o);
}

static void r_tag_get(struct route_ctx *c)
{
	tag_reply(c, 0);
}

static void r_tag_put(struct route_ctx *c)
{
	struct store_idtag tag = { 0 };
	const char *name = c->params[0];
	if (!*name || strlen(name) > 20) {
		admin_error(c->t, 400, "BadRequest", "idTag: 1 to 20 characters");
		return;
	}
	cJSON *b = admin_parse_body(c, 0), *v;
	if (!b)
		return;
	const char *bad = NULL;
	snprintf(tag.id_tag, sizeof tag.id_tag, "%.20s", name);
	snprintf(tag.status, sizeof tag.status, "Accepted");
	cJSON *fields = cJSON_IsObject(b) ? b : NULL;
	if (!fields)
		bad = "body: must be a JSON object";
	cJSON_ArrayForEach(v, fields)
	{
		const char *k = v->string;
		if (bad)
			break;
		if (!strcmp(k, "idTag")) {
			if (!cJSON_IsString(v) || strcmp(v->valuestring, name))
				bad = "idTag: must match the path";
		} else if (!strcmp(k, "status")) {
			int ok = 0;
			for (int i = 0; cJSON_IsString(v) && tag_statuses[i]; i++)
				ok |= !strcmp(tag_statuses[i], v->valuestring);
			if (!ok)
				bad = "status: Accepted, Blocked, Expired or Invalid";
			else
				snprintf(tag.status, sizeof tag.status, "%s", v->valuestring);
		} else if (!strcmp(k, "expiryDate")) {
			if (!cJSON_IsNull(v) &&
			    (!cJSON_IsString(v) || time_parse_iso(v->valuestring, &tag.expiry_ms)))
				bad = "expiryDate: an ISO 8601 time or null";
		} else if (!strcmp(k, "parentIdTag")) {
			if (cJSON_IsString(v) && *v->valuestring && strlen(v->valuestring) <= 20 &&
			    strcmp(v->valuestring, name))
				snprintf(tag.parent, sizeof tag.parent, "%s", v->valuestring);
			else if (!cJSON_IsNull(v))
				bad = "parentIdTag: another idTag of 1 to 20 characters, or null";
		} else if (!strcmp(k, "maxActiveTransactions")) {
			if (cJSON_IsNumber(v) && v->valuedouble == (int)v->valuedouble && v->valueint >= 1 &&
			    v->valueint <= 1000)
				tag.max_active = v->valueint;
			else if (!cJSON_IsNull(v))
				bad = "maxActiveTransactions: a whole number from 1 to 1000, or null";
		} else if (!strcmp(k, "chargers")) {
			const cJSON *e, *list = cJSON_IsArray(v) ? v : NULL;
			if (!list)
				bad = "chargers: an array of charger ids";
			cJSON_ArrayForEach(e, list) if (!cJSON_IsString(e) || !*e->valuestring ||
							strlen(e->valuestring) >= STORE_ID_MAX) bad =
				"chargers: an array of charger ids";
		} else {
			static char msg[96];
			snprintf(msg, sizeof msg, "%.40s: unknown field", k);
			bad = msg;
		}
	}
	if (bad) {
		cJSON_Delete(b);
		admin_error(c->t, 400, "BadRequest", "%s", bad);
		return;
	}
	struct store_idtag old;
	int created = store_idtag_get(c->app->store, tag.id_tag, &old) == 1;
	int rc = store_idtag_put(c->app->store, &tag, cJSON_GetObjectItemCaseSensitive(b, "chargers"));
	cJSON_Delete(b);
	if (!rc)
		rc = locallist_tags_changed(c->app);
	if (rc) {
		csms_abort_turn(c->app);
		admin_error(c->t, 500, "InternalError", "cannot store the idTag");
		return;
	}
	tag_reply(c, created);
}

static void r_tag_delete(struct route_ctx *c)
{
	int rc = store_idtag_delete(c->app->store, c->params[0]);
	if (!rc && locallist_tags_changed(c->app))
		rc = -1;
	if (rc == 1)
		admin_error(c->t, 404, "NotFound", "no idTag '%s'", c->params[0]);
	else if (rc)
		admin_error(c->t, 500, "InternalError", "cannot delete");
	else
		http_respond(c->t, 204, "application/json", NULL, 0);
}

/* ---- transactions ---- */

/* The filters into f, the page into pg (the store gives the oldest first;
 * limit 0 or absent: all). 0, or -1 after answering 400. */
static int tx_filter(struct route_ctx *c, struct store_tx_filter *f, char bufs[4][128], struct admin_page *pg)
{
	char tmp[128];
	memset(f, 0, sizeof *f);
	f->active = -1;
	f->charger = http_query(c->t, "charger", bufs[0], sizeof bufs[0]);
	f->id_tag = http_query(c->t, "idTag", bufs[1], sizeof bufs[1]);
	if (http_query(c->t, "active", tmp, sizeof tmp)) {
		if (!strcmp(tmp, "true"))
			f->active = 1;
		else if (!strcmp(tmp, "false"))
			f->active = 0;
		else {
			admin_error(c->t, 400, "BadRequest", "active: true or false");
			return -1;
		}
	}
	if (http_query(c->t, "from", bufs[2], sizeof bufs[2]) && time_parse_iso(bufs[2], &f->from_ms)) {
		admin_error(c->t, 400, "BadRequest", "from: an ISO 8601 time");
		return -1;
	}
	if (http_query(c->t, "to", bufs[3], sizeof bufs[3]) && time_parse_iso(bufs[3], &f->to_ms)) {
		admin_error(c->t, 400, "BadRequest", "to: an ISO 8601 time");
		return -1;
	}
	if (admin_query_page(c, 0, 0, pg))
		return -1;
	/* negative or 0: all, as before pages */
	if (admin_query_int(c, "limit", 0, INT_MIN, INT_MAX, &pg->limit))
		return -1;
	return 0;
}

static void r_transactions(struct route_ctx *c)
{
	struct store_tx_filter f;
	struct admin_page pg;
	char bufs[4][128];
	if (!tx_filter(c, &f, bufs, &pg))
		admin_reply_page(c, api_json_transactions(c->app->store, &f), &pg);
}

/* One CSV cell. A text cell that a spreadsheet would take for a formula
 * (it starts with = + - @, a tab or a CR) gets a leading ' and quotes
 * (OWASP, CSV injection); numbers are ours and stay as they are. */
static void csv_field(char **p, size_t *len, size_t *cap, const cJSON *v, int last)
{
	char num[64];
	const char *s = "";
	int formula = 0;
	if (cJSON_IsString(v)) {
		s = v->valuestring;
		formula = *s && strchr("=+-@\t\r", *s);
	} else if (cJSON_IsNumber(v)) {
		/* whole numbers as they always were; fractions (cost, pvShare) as they are */
		snprintf(num, sizeof num, v->valuedouble == floor(v->valuedouble) ? "%.0f" : "%.10g",
			 v->valuedouble);
		s = num;
	}
	size_t need = 2 * strlen(s) + 5;
	if (*len + need >= *cap) {
		size_t nc = (*cap + need) * 2;
		char *np = realloc(*p, nc);
		if (!np)
			return;
		*p = np;
		*cap = nc;
	}
	int quote = formula || strpbrk(s, ",\"\n\r") != NULL;
	if (quote)
		(*p)[(*len)++] = '"';
	if (formula)
		(*p)[(*len)++] = '\'';
	for (; *s; s++) {
		if (*s == '"')
			(*p)[(*len)++] = '"';
		(*p)[(*len)++] = *s;
	}
	if (quote)
		(*p)[(*len)++] = '"';
	(*p)[(*len)++] = last ? '\n' : ',';
}

static void r_transactions_csv(struct route_ctx *c)
{
	static const char *const cols[] = { "id",       "charger",    "connectorId", "idTag",
					    "start",    "stop",       "meterStart",  "meterStop",
					    "energyWh", "stopReason", "cost",        "pvShare" };
	const int ncols = (int)(sizeof cols / sizeof cols[0]);
	struct store_tx_filter f;
	struct admin_page pg;
	char bufs[4][128];
	if (tx_filter(c, &f, bufs, &pg))
		return;
	cJSON *arr = api_json_transactions(c->app->store, &f), *o;
	if (arr)
		admin_page_apply(c, arr, &pg, -1);
	size_t cap = 4096, len = 0;
	char *out = malloc(cap);
	if (!out) {
		cJSON_Delete(arr);
		admin_error(c->t, 500, "InternalError", "out of memory");
		return;
	}
	len = (size_t)snprintf(out, cap,
			       "id,charger,connectorId,idTag,start,stop,meterStart,meterStop,energyWh,"
			       "stopReason,cost,pvShare\n");
	cJSON_ArrayForEach(o, arr) for (int i = 0; i < ncols; i++)
		csv_field(&out, &len, &cap, cJSON_GetObjectItem(o, cols[i]), i == ncols - 1);
	cJSON_Delete(arr);
	c->t->disposition = "attachment; filename=\"transactions.csv\"";
	http_respond(c->t, 200, "text/csv", out, len);
}

static void r_transaction(struct route_ctx *c)
{
	char *end;
	long long id = strtoll(c->params[0], &end, 10);
	cJSON *o = (*end || id <= 0) ? NULL : api_json_transaction(c->app->store, id);
	if (!o)
		admin_error(c->t, 404, "NotFound", "no transaction '%s'", c->params[0]);
	else
		admin_reply_json(c->t, 200, o);
}

/* ---- admin closes: a transaction that will never stop, a charger gone for good ---- */

static const char *const stop_reasons[] = { "EmergencyStop", "EVDisconnected", "HardReset",    "Local",
					    "Other",         "PowerLoss",      "Reboot",       "Remote",
					    "SoftReset",     "UnlockCommand",  "DeAuthorized", NULL };

static int64_t json_int(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

/* The last energy register stored for the transaction (tx: api_json_transaction's
 * object, with its meterValues), or its meterStart. */
static int64_t tx_last_meter(const cJSON *tx)
{
	int64_t start = json_int(tx, "meterStart");
	double wh, last = NAN;
	const cJSON *mv;
	cJSON_ArrayForEach(mv, cJSON_GetObjectItemCaseSensitive(tx, "meterValues")) if (
		!charger_energy_register(cJSON_GetObjectItemCaseSensitive(mv, "sampledValue"), &wh)) last =
		wh;
	return isfinite(last) && last >= (double)start && last < 9e15 ? llround(last) : start;
}

/* An admin's action in the audit table, beside the calls sent to chargers
 * (never sent, so no sent time and no latency). request is consumed. */
static int audit_admin(struct csms *app, const char *charger, const char *action, cJSON *request)
{
	char *req = cJSON_PrintUnformatted(request);
	cJSON_Delete(request);
	struct store_audit a = { .charger = charger,
				 .action = action,
				 .source = "admin",
				 .queued_ms = app->now_ms,
				 .done_ms = app->now_ms,
				 .latency_ms = -1,
				 .request = req,
				 .outcome = "result" };
	int rc = req ? store_audit_add(app->store, &a) : -1;
	free(req);
	return rc;
}

/* Closes the active transaction tx (api_json_transaction's object) as an admin:
 * stored with stoppedBy "admin" and audited. 0, 1 no longer active, -1
 * store error. The in-memory connector follows in admin_tx_closed, after the commit. */
static int tx_close(struct csms *app, const cJSON *tx, int64_t meter_stop, const char *reason)
{
	char ts[40];
	int64_t id = json_int(tx, "id");
	const cJSON *charger = cJSON_GetObjectItemCaseSensitive(tx, "charger");
	if (!cJSON_IsString(charger))
		return -1;
	time_format_iso(app->now_ms, ts, sizeof ts);
	int rc = store_tx_admin_stop(app->store, id, meter_stop, app->now_ms, ts, reason);
	if (rc)
		return rc;
	cJSON *req = cJSON_CreateObject();
	cJSON_AddNumberToObject(req, "transactionId", (double)id);
	cJSON_AddNumberToObject(req, "meterStop", (double)meter_stop);
	cJSON_AddStringToObject(req, "reason", reason);
	if (audit_admin(app, charger->valuestring, "AdminStopTransaction", req))
		return -1;
	LOGI("admin", "%s: transaction %lld closed by an admin, meterStop %lld (%s)", charger->valuestring,
	     (long long)id, (long long)meter_stop, reason);
	return 0;
}

void admin_tx_closed(struct csms *app, struct charger *ch, int connector, int64_t id)
{
	struct charger_conn *cc = ch && connector >= 1 && charger_conn_get(ch, connector)->tx_id == id
		? charger_conn_at(ch, connector)
		: NULL;
	if (!cc)
		return;
	cc->tx_id = 0;
	cc->tx_id_tag[0] = 0;
	commands_tx_stopped(app, ch, connector);
	control_charger_changed(app, ch);
}

static void r_transaction_stop(struct route_ctx *c)
{
	struct csms *app = c->app;
	char *end;
	const char *reason = "Other", *bad = NULL;
	long long id = strtoll(c->params[0], &end, 10);
	cJSON *tx = (*end || id <= 0) ? NULL : api_json_transaction(app->store, id), *body = NULL, *v;
	if (!tx) {
		admin_error(c->t, 404, "NotFound", "no transaction '%s'", c->params[0]);
		return;
	}
	int64_t meter = -1, start = json_int(tx, "meterStart");
	if (!(body = admin_parse_body(c, 1)))
		goto out;
	cJSON *fields = cJSON_IsObject(body) ? body : NULL;
	if (!fields)
		bad = "body: must be a JSON object";
	cJSON_ArrayForEach(v, fields)
	{
		if (bad)
			break;
		if (!strcmp(v->string, "meterStop")) {
			if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
			    v->valuedouble < 0 || v->valuedouble > 9007199254740992.0)
				bad = "meterStop: a whole number of Wh";
			else if ((meter = (int64_t)v->valuedouble) < start)
				bad = "meterStop: not below the transaction's meterStart";
		} else if (!strcmp(v->string, "reason")) {
			int ok = 0;
			for (int i = 0; cJSON_IsString(v) && stop_reasons[i]; i++)
				if (!strcmp(stop_reasons[i], v->valuestring))
					ok = 1, reason = stop_reasons[i];
			if (!ok) {
				static char msg[256];
				int n = snprintf(msg, sizeof msg, "reason: an OCPP 1.6 stop reason, one of");
				for (int i = 0; stop_reasons[i] && n > 0 && (size_t)n < sizeof msg; i++)
					n += snprintf(msg + n, sizeof msg - (size_t)n, "%s %s", i ? "," : "",
						      stop_reasons[i]);
				bad = msg;
			}
		} else {
			bad = "unknown field (meterStop, reason)";
		}
	}
	if (bad) {
		admin_error(c->t, 400, "BadRequest", "%s", bad);
		goto out;
	}
	if (!cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(tx, "stop"))) {
		admin_error(c->t, 409, "AlreadyStopped", "transaction %lld is already stopped", id);
		goto out;
	}
	if (meter < 0)
		meter = tx_last_meter(tx);
	int rc = tx_close(app, tx, meter, reason);
	if (rc || csms_commit(app)) {
		if (rc < 0)
			csms_abort_turn(app);
		if (rc == 1)
			admin_error(c->t, 409, "AlreadyStopped", "transaction %lld is already stopped", id);
		else
			admin_error(c->t, 500, "InternalError", "cannot store the stop");
		goto out;
	}
	const char *charger = cJSON_GetObjectItemCaseSensitive(tx, "charger")->valuestring;
	admin_tx_closed(app, charger_find(app->chargers, app->store, charger),
			(int)json_int(tx, "connectorId"), id);
	api_fleet_charger_changed(app, charger); /* several nodes: its holder ends it too */
	r_transaction(c);
out:
	cJSON_Delete(body);
	cJSON_Delete(tx);
}

static void r_charger_delete(struct route_ctx *c)
{
	struct csms *app = c->app;
	const char *id = c->params[0];
	char buf[16];
	int force = 0;
	if (http_query(c->t, "force", buf, sizeof buf)) {
		if (strcmp(buf, "true") && strcmp(buf, "false")) {
			admin_error(c->t, 400, "BadRequest", "force: true or false");
			return;
		}
		force = !strcmp(buf, "true");
	}
	struct store_charger sc;
	int rc = store_charger_get(app->store, id, &sc);
	free(sc.settings_json);
	if (rc) {
		if (rc > 0)
			admin_error(c->t, 404, "NotFound", "no charger '%s'", id);
		else
			admin_error(c->t, 500, "InternalError", "cannot read the charger");
		return;
	}
	struct charger *ch = charger_find(app->chargers, app->store, id);
	char holder[FLEETMSG_NODE_MAX] = "";
	/* a fleet: connected to another node is connected too */
	int elsewhere = !(ch && ch->session) && fleet_holder(app, id, holder) == 1;
	int connected = (ch && ch->session) || elsewhere;
	struct store_tx_filter f = { .charger = id, .active = 1 };
	cJSON *active = api_json_transactions(app->store, &f), *tx, *o = NULL;
	int n = cJSON_GetArraySize(active);
	if ((connected || n) && !force) {
		char why[64] = "";
		if (n)
			snprintf(why, sizeof why, "%s%d active transaction(s)",
				 connected ? " and has " : "has ", n);
		admin_error(c->t, 409, "InUse",
			    "charger '%s' %s%s; ?force=true closes its transactions and "
			    "drops the connection",
			    id, connected ? "is connected" : "", why);
		goto out;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", id);
	cJSON *closed = cJSON_AddArrayToObject(o, "closedTransactions");
	cJSON_AddBoolToObject(o, "disconnected", connected);
	cJSON_ArrayForEach(tx, active)
	{
		int64_t tid = json_int(tx, "id");
		cJSON *full = api_json_transaction(app->store, tid);
		rc = full ? tx_close(app, full, tx_last_meter(full), "Other") : -1;
		cJSON_Delete(full);
		if (rc < 0)
			goto fail;
		cJSON_AddItemToArray(closed, cJSON_CreateNumber((double)tid));
	}
	cJSON *req = cJSON_CreateObject();
	cJSON_AddBoolToObject(req, "force", force);
	cJSON_AddItemToObject(req, "closedTransactions", cJSON_Duplicate(closed, 1));
	if (store_charger_delete(app->store, id, app->now_ms) ||
	    audit_admin(app, id, "AdminDeleteCharger", req))
		goto fail;
	if (csms_commit(app)) {
		admin_error(c->t, 500, "InternalError", "cannot store the deletion");
		goto out;
	}
	LOGI("admin", "%s deleted (%d transaction(s) closed%s)", id, n, connected ? ", disconnected" : "");
	if (ch) {
		if (ch->session)
			server_close_session(ch->session);
		charger_remove(app->chargers, ch);
	}
	if (elsewhere) /* its node ends the session and forgets it */
		fleet_drop(app, holder, id);
	admin_reply_json(c->t, 200, o);
	o = NULL;
	goto out;
fail:
	csms_abort_turn(app);
	admin_error(c->t, 500, "InternalError", "cannot delete the charger");
out:
	cJSON_Delete(o);
	cJSON_Delete(active);
}

/* ---- the description of this API ---- */

/* csms/api/openapi.json, compiled in (embed_file.cmake); test_openapi.py
 * keeps it and the table below in step. */
extern const char api_openapi_json[];
extern const size_t api_openapi_json_len;

static void r_openapi(struct route_ctx *c)
{
	char *body = malloc(api_openapi_json_len);
	if (!body) {
		admin_error(c->t, 500, "InternalError", "out of memory");
		return;
	}
	memcpy(body, api_openapi_json, api_openapi_json_len);
	http_respond(c->t, 200, "application/json", body, api_openapi_json_len);
}

/* ---- the table ---- */

/* the filters of the transaction lists (tx_filter) */
#define TX_QUERY "charger idTag active from to limit offset order"

static const struct route routes[] = {
	{ HTTP_GET, "/api/v1/health", r_health, NULL },
	{ HTTP_GET, "/api/v1/openapi.json", r_openapi, NULL },
	{ HTTP_GET, "/api/v1/events", api_events_open, NULL },
	{ HTTP_GET, "/api/v1/chargers", r_chargers, "limit offset" },
	{ HTTP_GET, "/api/v1/chargers/*", r_charger, NULL },
	{ HTTP_PUT, "/api/v1/chargers/*", r_charger_put, NULL },
	{ HTTP_DELETE, "/api/v1/chargers/*", r_charger_delete, "force" },
	{ HTTP_POST, "/api/v1/chargers/*/accept", r_accept, NULL },
	{ HTTP_POST, "/api/v1/chargers/*/reject", r_reject, NULL },
	{ HTTP_POST, "/api/v1/chargers/*/ocpp/*", r_ocpp_call, NULL },
	{ HTTP_GET, "/api/v1/chargers/*/configuration", api_records_configuration, NULL },
	{ HTTP_GET, "/api/v1/chargers/*/profiles", api_records_profiles, NULL },
	{ HTTP_GET, "/api/v1/chargers/*/firmware", api_records_firmware, "limit" },
	{ HTTP_GET, "/api/v1/chargers/*/local-list", api_locallist_get, NULL },
	{ HTTP_POST, "/api/v1/chargers/*/local-list", api_locallist_send, NULL },
	{ HTTP_GET, "/api/v1/reservations", api_records_reservations, "active charger limit offset order" },
	{ HTTP_GET, "/api/v1/audit", api_records_audit, "charger action limit offset order" },
	{ HTTP_GET, "/api/v1/alarms", api_alarms_list, "active charger limit offset order" },
	{ HTTP_GET, "/api/v1/diagnosis", api_alarms_diagnosis, NULL },
	{ HTTP_GET, "/metrics", metrics_api, NULL },
	{ HTTP_GET, "/api/v1/id-tags", r_tags, "limit offset" },
	{ HTTP_GET, "/api/v1/id-tags/*", r_tag_get, NULL },
	{ HTTP_PUT, "/api/v1/id-tags/*", r_tag_put, NULL },
	{ HTTP_DELETE, "/api/v1/id-tags/*", r_tag_delete, NULL },
	{ HTTP_GET, "/api/v1/transactions", r_transactions, TX_QUERY },
	{ HTTP_GET, "/api/v1/transactions.csv", r_transactions_csv, TX_QUERY },
	{ HTTP_GET, "/api/v1/transactions/*", r_transaction, NULL },
	{ HTTP_POST, "/api/v1/transactions/*/stop", r_transaction_stop, NULL },
	{ HTTP_GET, "/api/v1/dlm", api_dlm_get, NULL },
	{ HTTP_PUT, "/api/v1/dlm", api_dlm_put, NULL },
	{ HTTP_PUT, "/api/v1/dlm/readings", api_dlm_readings, NULL },
	{ HTTP_GET, "/api/v1/sites", api_sites_list, NULL },
	{ HTTP_GET, "/api/v1/sites/*", api_sites_get, NULL },
	{ HTTP_PUT, "/api/v1/sites/*", api_sites_put, NULL },
	{ HTTP_DELETE, "/api/v1/sites/*", api_sites_delete, NULL },
	{ HTTP_PUT, "/api/v1/sites/*/readings", api_sites_readings, NULL },
	{ HTTP_GET, "/api/v1/sites/*/station", api_site_station_get, NULL },
	{ HTTP_PUT, "/api/v1/sites/*/station", api_site_station_put, NULL },
	{ HTTP_DELETE, "/api/v1/sites/*/station", api_site_station_delete, NULL },
	{ HTTP_PUT, "/api/v1/sites/*/station/measurements", api_site_station_measurements, NULL },
	{ HTTP_PUT, "/api/v1/sites/*/station/prices", api_site_station_prices, NULL },
	{ HTTP_GET, "/api/v1/station", api_station_get, NULL },
	{ HTTP_PUT, "/api/v1/station", api_station_put, NULL },
	{ HTTP_PUT, "/api/v1/station/measurements", api_station_measurements, NULL },
	{ HTTP_PUT, "/api/v1/station/prices", api_station_prices, NULL },
	{ HTTP_GET, "/api/v1/history", api_history_series, "from to step" },
	{ HTTP_GET, "/api/v1/energy", api_history_energy, "from to period" },
};
#define NROUTES (sizeof routes / sizeof routes[0])

/* Matches path against pattern, capturing '*' segments. */
static int match(const char *pattern, const char *path, struct route_ctx *c)
{
	c->nparams = 0;
	while (*pattern && *path) {
		if (*pattern == '*') {
			size_t n = strcspn(path, "/");
			if (!n || c->nparams >= ADMIN_MAX_PARAMS || n >= sizeof c->params[0])
				return 0;
			memcpy(c->params[c->nparams], path, n);
			c->params[c->nparams++][n] = 0;
			pattern++;
			path += n;
		} else if (*pattern++ != *path++)
			return 0;
	}
	return !*pattern && (!*path || !strcmp(path, "/"));
}

/* The first parameter of query that the space-separated list takes does not
 * name, copied into name; NULL when it names them all. */
static const char *unknown_param(const char *takes, const char *query, char *name, size_t len)
{
	for (const char *p = query; *p;) {
		size_t seg = strcspn(p, "&"), nl = strcspn(p, "=&");
		int known = !seg; /* the '&' between two */
		for (const char *w = takes ? takes : ""; *w && !known;) {
			size_t wl = strcspn(w, " ");
			known = wl == nl && !strncmp(w, p, nl);
			w += wl;
			w += strspn(w, " ");
		}
		if (!known) {
			snprintf(name, len, "%.*s", (int)(nl < 64 ? nl : 64), p);
			return name;
		}
		p += seg;
		if (*p)
			p++;
	}
	return NULL;
}

static int authorised(struct csms *app, struct http_txn *t)
{
	const char *tok = app->cfg.admin_token;
	if (!tok[0])
		return 1;
	size_t n = strlen(tok);
	return !strncmp(t->auth, "Bearer ", 7) && strlen(t->auth + 7) == n &&
		!CRYPTO_memcmp(t->auth + 7, tok, n);
}

/* GET /api/v1/health needs no token: it says only "ok", and a container's
 * HEALTHCHECK or a load balancer can ask it without the secret. GET
 * /metrics neither when metrics_public says so: a scraper then needs no
 * secret (counts and gauges, no ids). Nor the dashboard's own files (the
 * page asks for the token and sends it with every API call). */
static int public_route(struct csms *app, struct http_txn *t, struct route_ctx *c)
{
	return t->method == HTTP_GET &&
		(match("/api/v1/health", t->path, c) || api_web_find(t->path) ||
		 (app->cfg.metrics_public && match("/metrics", t->path, c)));
}

void admin_handle(struct csms *app, struct http_txn *t)
{
	struct route_ctx c;
	memset(&c, 0, sizeof c);
	c.app = app;
	c.t = t;
	if (!authorised(app, t)) {
		if (!public_route(app, t, &c)) {
			admin_error(t, 401, "Unauthorized", "missing or wrong bearer token");
			return;
		}
		c.anonymous = 1;
	}
	/* lws has percent-decoded the target once; what it decoded must be
	 * text (no NUL, no control character, UTF-8) before we route on it,
	 * store it or echo it. */
	if (t->bad_target_why) {
		admin_error(t, 400, "BadRequest", "%s", t->bad_target_why);
		return;
	}
	if (t->bad_target || !jtext_text_ok(t->path, strlen(t->path)) ||
	    !jtext_text_ok(t->query, strlen(t->query))) {
		admin_error(t, 400, "BadRequest",
			    "the request target has a NUL or control character, or is not UTF-8");
		return;
	}
	const struct web_asset *asset = t->method == HTTP_GET ? api_web_find(t->path) : NULL;
	if (asset) {
		api_web_serve(t, asset);
		return;
	}
	/* the methods the path has, in the table's order: a 405's Allow */
	static const char *const method_names[] = {
		[HTTP_GET] = "GET", [HTTP_POST] = "POST", [HTTP_PUT] = "PUT", [HTTP_DELETE] = "DELETE"
	};
	char allow[64] = "";
	for (size_t i = 0; i < NROUTES; i++) {
		if (!match(routes[i].pattern, t->path, &c))
			continue;
		if (routes[i].method == t->method) {
			char name[72];
			if (unknown_param(routes[i].query, t->query, name, sizeof name)) {
				admin_error(t, 400, "BadRequest", "%s: unknown query parameter (%s takes %s)",
					    name, t->path, routes[i].query ? routes[i].query : "none");
				return;
			}
			routes[i].fn(&c);
			return;
		}
		const char *m = method_names[routes[i].method];
		if (!strstr(allow, m))
			snprintf(allow + strlen(allow), sizeof allow - strlen(allow), "%s%s",
				 *allow ? ", " : "", m);
	}
	if (*allow) {
		http_add_header(t, "Allow:", allow);
		admin_error(t, 405, "MethodNotAllowed", "method not allowed on %s", t->path);
	} else
		admin_error(t, 404, "NotFound", "no such path %s", t->path);
}
