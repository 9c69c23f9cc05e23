/* api_records.c: the read-only routes over what the central system's own
 * CALLs left in the store (central/commands.c writes it): audit rows,
 * configuration keys, charging profiles, firmware and diagnostics status,
 * reservations. */
#include "api_records.h"
#include "admin.h"
#include "api_json.h"
#include "charger.h"
#include "csms.h"
#include "http.h"
#include "store.h"

#include <limits.h>

void api_records_audit(struct route_ctx *c)
{
	char charger[STORE_ID_MAX + 1], action[64];
	struct admin_page pg;
	if (admin_query_page(c, 1, 100, &pg) || admin_query_int(c, "limit", 100, 1, 10000, &pg.limit))
		return;
	const char *ch = http_query(c->t, "charger", charger, sizeof charger);
	const char *ac = http_query(c->t, "action", action, sizeof action);
	/* The table keeps up to audit_keep rows: the store counts them, and
	 * newest first (its order) only the rows up to the page's end are read. */
	int64_t total = store_audit_count(c->app->store, ch, ac);
	if (total < 0) {
		admin_error(c->t, 500, "InternalError", "cannot read the audit");
		return;
	}
	int upto = pg.reverse || pg.offset > INT_MAX - pg.limit ? INT_MAX : pg.offset + pg.limit;
	cJSON *arr = api_json_audit(c->app->store, ch, ac, upto);
	if (arr)
		admin_page_apply(c, arr, &pg, pg.reverse ? -1 : (long long)total);
	admin_reply_json(c->t, 200, arr);
}

void api_records_configuration(struct route_ctx *c)
{
	struct charger *ch = admin_route_charger(c);
	if (ch)
		admin_reply_json(c->t, 200, api_json_config(c->app->store, ch->id));
}

void api_records_profiles(struct route_ctx *c)
{
	struct charger *ch = admin_route_charger(c);
	if (ch)
		admin_reply_json(c->t, 200, api_json_profiles(c->app->store, ch->id));
}

void api_records_firmware(struct route_ctx *c)
{
	struct charger *ch = admin_route_charger(c);
	int limit;
	if (!ch || admin_query_int(c, "limit", 100, 1, 10000, &limit))
		return;
	cJSON *one = api_json_chargers(c->app->store, ch->id);
	cJSON *o = cJSON_CreateObject();
	static const char *const keep[] = { "firmware", "firmwareStatus", "diagnosticsStatus" };
	for (int i = 0; i < 3; i++) {
		cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(one, keep[i]);
		cJSON_AddItemToObject(o, keep[i], v ? v : cJSON_CreateNull());
	}
	cJSON_Delete(one);
	cJSON_AddItemToObject(o, "history", api_json_firmware_history(c->app->store, ch->id, limit));
	admin_reply_json(c->t, 200, o);
}

void api_records_reservations(struct route_ctx *c)
{
	char charger[STORE_ID_MAX + 1];
	struct admin_page pg;
	int active;
	if (admin_query_bool(c, "active", &active) || admin_query_page(c, 1, 0, &pg) ||
	    admin_query_int(c, "limit", 0, 0, 100000, &pg.limit))
		return;
	const char *ch = http_query(c->t, "charger", charger, sizeof charger);
	admin_reply_page(c, api_json_reservations(c->app->store, ch, active, 0), &pg);
}
