/* auth.c: idTag authorisation. The rules, in order: unknown tags follow the
 * unknown_id_tags setting; a tag's own status; its expiry; its binding to
 * chargers; its parent's status (a blocked or expired parent blocks the
 * group); the number of its active transactions. */
#include "auth.h"
#include "charger.h"
#include "csms.h"
#include "timeutil.h"

#include <string.h>

static int expired(const struct store_idtag *t, int64_t now)
{
	return t->expiry_ms && now >= t->expiry_ms;
}

void auth_decide(const struct auth_input *in, struct auth_result *out)
{
	const struct store_idtag *t = in->tag;
	out->expiry_ms = 0;
	out->parent = NULL;
	if (!t) {
		out->status = in->unknown_accept ? "Accepted" : "Invalid";
		return;
	}
	out->expiry_ms = t->expiry_ms;
	out->parent = t->parent[0] ? t->parent : NULL;
	if (!strcmp(t->status, "Blocked") || !strcmp(t->status, "Expired") || !strcmp(t->status, "Invalid")) {
		out->status = !strcmp(t->status, "Blocked") ? "Blocked"
			: !strcmp(t->status, "Expired")     ? "Expired"
							    : "Invalid";
		return;
	}
	if (expired(t, in->now_ms)) {
		out->status = "Expired";
		return;
	}
	if (!in->bound_here) {
		out->status = "Invalid";
		return;
	}
	if (in->parent &&
	    (!strcmp(in->parent->status, "Blocked") || !strcmp(in->parent->status, "Expired") ||
	     expired(in->parent, in->now_ms))) {
		out->status = "Blocked";
		return;
	}
	int max = t->max_active > 0 ? t->max_active : in->max_active_default;
	if (in->active_tx >= max) {
		out->status = "ConcurrentTx";
		return;
	}
	out->status = "Accepted";
}

const char *auth_check(struct csms *app, const struct charger *ch, const char *tag, cJSON *info)
{
	struct auth_result res;
	struct store_idtag t, p; /* res.parent may point into t */
	char buf[40];
	if (!ch->settings.authorization_required) {
		/* The charger's "Authorization" switch is off: every card charges. */
		res.status = "Accepted";
		res.expiry_ms = 0;
		res.parent = NULL;
	} else {
		struct auth_input in = { 0 };
		int rc = store_idtag_get(app->store, tag, &t);
		in.tag = rc == 0 ? &t : NULL;
		if (in.tag && t.parent[0] && store_idtag_get(app->store, t.parent, &p) == 0)
			in.parent = &p;
		in.active_tx = in.tag ? store_active_tx_count(app->store, tag) : 0;
		in.max_active_default = app->cfg.max_active_tx;
		in.unknown_accept = app->cfg.unknown_id_tags == 1;
		in.bound_here = !in.tag || t.nchargers == 0 || store_idtag_bound_to(app->store, tag, ch->id);
		in.now_ms = app->now_ms;
		auth_decide(&in, &res);
		if (rc < 0)
			res.status = "Invalid";
	}
	cJSON_AddStringToObject(info, "status", res.status);
	if (res.expiry_ms)
		cJSON_AddStringToObject(info, "expiryDate", time_format_iso(res.expiry_ms, buf, sizeof buf));
	if (res.parent)
		cJSON_AddStringToObject(info, "parentIdTag", res.parent);
	return res.status;
}
