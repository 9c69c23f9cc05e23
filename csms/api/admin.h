/* admin.h: the admin HTTP JSON API. The routes table lives in admin.c;
 * one file per resource (api_*.c) provides route handlers with this shape,
 * calling the modules below that know the resource, sharing the helpers
 * below and answering refusals (struct err_info) with admin_fail. */
#ifndef CSMS_ADMIN_H
#define CSMS_ADMIN_H

#include "errkind.h"

#include <cjson/cJSON.h>
#include <stdint.h>

struct csms;
struct charger;
struct http_txn;

#define ADMIN_MAX_PARAMS 4

/* One matched request; lives for the handler's call. */
struct route_ctx {
	struct csms *app;
	struct http_txn *t;
	char params[ADMIN_MAX_PARAMS][256]; /* the '*' segments of the route */
	int nparams;
	int anonymous; /* without the token (a public route): no charger ids in the answer */
};
typedef void (*route_fn)(struct route_ctx *c);

/* Answers t at once (http_respond) or marks it deferred and answers later. */
void admin_handle(struct csms *app, struct http_txn *t);

/* Helpers for route handlers. admin_reply_json takes ownership of j. */
void admin_reply_json(struct http_txn *t, int status, cJSON *j);
void admin_error(struct http_txn *t, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Answers t with a refusal: {"error":{code,description}}, the status and
 * code from the one table of kinds (admin.c), the description e->msg. */
void admin_fail(struct http_txn *t, const struct err_info *e);
/* A PUT that created what it names (c->params[0], in /api/v1/<collection>/)
 * answers 201 with o and its Location. */
void admin_reply_created(struct route_ctx *c, const char *collection, cJSON *o);
/* The Location of a made resource: /api/v1/<collection>/<id, percent-
 * encoded as a path segment><suffix>, cut to len. */
#define ADMIN_LOCATION_MAX 320
void admin_location(const char *collection, const char *id, const char *suffix, char *loc, size_t len);
/* The same with suffix after the id in Location ("/station"). */
void admin_reply_created_at(struct route_ctx *c, const char *collection, const char *suffix, cJSON *o);
/* That table: the status of kind, and *code its error code (static). A
 * kind outside the table answers as ERR_INTERNAL. */
int admin_err_answer(enum err_kind kind, const char **code);
/* The refusal e as an error body with its *status (admin_fail's, for an
 * answer that is sent later or elsewhere: over the bus). */
cJSON *admin_refusal(const struct err_info *e, int *status);
/* After the commit of an admin's stop: ch (NULL: nothing) no longer counts
 * transaction id on connector as running; its TxProfiles go, DLM is told. */
void admin_tx_closed(struct csms *app, struct charger *ch, int connector, int64_t id);
/* Answers t with a CALL's end: 200 {"result"}, 502 {"error":{code,description,
 * details}} for a CALLERROR or a closed connection, 504 on timeout. The
 * members of extra (may be NULL; taken) are added to the answer. */
struct call_result;
void admin_call_reply(struct http_txn *t, const struct call_result *r, cJSON *extra);
/* The same answer as JSON (taken by the caller) and its status. */
cJSON *admin_call_answer(const struct call_result *r, cJSON *extra, int *status);
/* The JSON of an error answer: {"error":{code,description}}, as admin_error. */
cJSON *admin_error_json(const char *code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Where an admin CALL's HTTP answer goes: status and body (taken). */
typedef void admin_answer_fn(void *arg, int status, cJSON *body);
/* POST /api/v1/chargers/{id}/ocpp/{Action} for a charger connected here
 * (or not: 409), wherever the request came from (this node's HTTP, or
 * another node's through the fleet's bus): answer(arg, ...) exactly once,
 * maybe before it returns. body is borrowed (a RemoteStartTransaction may
 * get the charger's free idTag added). */
void admin_ocpp_send(struct csms *app, struct charger *ch, const char *action, cJSON *body,
		     admin_answer_fn *answer, void *arg);
/* Adds to a charger of api_json_chargers what the registry knows:
 * connected, the live lastSeen, settings, live measurements, availability. */
void admin_decorate_charger(struct csms *app, cJSON *o);
/* Stores s as ch's settings and puts them in force (DLM re-decides), as
 * PUT /api/v1/chargers/{id} does once it has parsed them: hash_arg is a new
 * AuthorizationKey hash ("" removes it; NULL keeps it). 0, 1 when s names
 * a site that does not exist, or -1 when the store fails (nothing changed
 * either way). Commit is the caller's. */
struct charger_settings;
int admin_charger_store_settings(struct csms *app, struct charger *ch, const struct charger_settings *s,
				 const char *hash_arg);
/* 1 when the site exists, 0 not, -1 store error. */
int64_t admin_site_exists(struct csms *app, const char *site);
/* The request body as JSON (new tree, caller frees), or NULL after answering 400. */
cJSON *admin_parse_body(struct route_ctx *c, int allow_empty);
/* The charger named by the route's first '*', or NULL after answering 404. */
struct charger *admin_route_charger(struct route_ctx *c);
/* The query parameter name as a whole number from lo to hi into *out (dflt
 * when absent), or as true/false into *out (1/0, -1 when absent). 0, or -1
 * after answering 400. */
int admin_query_int(struct route_ctx *c, const char *name, int dflt, int lo, int hi, int *out);
int admin_query_bool(struct route_ctx *c, const char *name, int *out);
/* One page of a list answer: the rows from offset, at most limit (0: all),
 * in the store's order or its reverse (reverse). */
struct admin_page {
	int offset, limit, reverse;
};
/* Reads offset (0 when absent) and, for a list ordered by time, order
 * (asc or desc; store_desc: the store gives newest first, the default)
 * into pg; pg->limit is set to dflt_limit, for the caller to read. 0, or -1
 * after answering 400. */
int admin_query_page(struct route_ctx *c, int store_desc, int dflt_limit, struct admin_page *pg);
/* Answers 200 with pg's page of arr (taken; the whole filtered list in the
 * store's order), its size before paging in X-Total-Count. */
void admin_reply_page(struct route_ctx *c, cJSON *arr, const struct admin_page *pg);
/* The same page of arr, in place, and X-Total-Count (for an answer that is
 * not JSON, or one fetched in part): total is the list's size before paging
 * (< 0: arr's size; arr then holds the whole list, else its first rows in
 * the store's order, and pg is not reversed). */
void admin_page_apply(struct route_ctx *c, cJSON *arr, const struct admin_page *pg, long long total);

#endif
