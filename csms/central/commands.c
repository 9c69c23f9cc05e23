/* commands.c: what the central system's CALLs did and what their answers
 * mean. ocppj hands every CALL to commands_track; when it ends, it is
 * counted, audited, and one row of the meanings table keeps what the answer
 * says about the charger. Also reservations consumed and expired, and the
 * charging profiles re-installed after a reboot. */
#include "commands.h"
#include "actions.h"
#include "alarms.h"
#include "charger.h"
#include "csms.h"
#include "jget.h"
#include "log.h"
#include "ocppj.h"
#include "store.h"
#include "timeutil.h"

#include <stdlib.h>
#include <string.h>

/* One tracked CALL, from commands_track to the end of its callback. */
struct cmd_track {
	struct csms *app;
	char charger[STORE_ID_MAX];
	char action[48];
	char msg_id[OCPP_MSGID_MAX];
	const char *source; /* static string */
	char *request;      /* JSON text, owned */
	int64_t queued_ms;
	int row; /* action table index */
	call_cb cb;
	void *arg;
};

/* ---- what answers mean: one row per action that changes what we know ---- */

typedef void (*meaning_fn)(struct cmd_track *tk, const cJSON *req, const struct call_result *r);

static int accepted(const struct call_result *r, const char *also)
{
	const char *st = r->status == OCPP_OK ? jget_str(r->payload, "status") : NULL;
	return st && (!strcmp(st, "Accepted") || (also && !strcmp(st, also)));
}

static void m_availability(struct cmd_track *tk, const cJSON *req, const struct call_result *r)
{
	if (accepted(r, "Scheduled"))
		store_availability_set(tk->app->store, tk->charger, jget_int(req, "connectorId", 0),
				       jget_str(req, "type"), jget_str(r->payload, "status"),
				       tk->app->now_ms);
}

static void m_change_config(struct cmd_track *tk, const cJSON *req, const struct call_result *r)
{
	const char *st = r->status == OCPP_OK ? jget_str(r->payload, "status") : NULL;
	if (!st)
		return;
	/* Accepted: in force. RebootRequired: in force after a reset (kept as
	 * requested). Rejected / NotSupported: the old value stays. */
	store_config_key_set(tk->app->store, tk->charger, jget_str(req, "key"), jget_str(req, "value"),
			     !strcmp(st, "Accepted"), -1, st, jget_str(req, "value"), tk->app->now_ms);
}

static void m_get_config(struct cmd_track *tk, const cJSON *req, const struct call_result *r)
{
	(void)req;
	if (r->status != OCPP_OK)
		return;
	const cJSON *e;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(r->payload, "configurationKey"))
	{
		const cJSON *ro = cJSON_GetObjectItemCaseSensitive(e, "readonly");
		store_config_key_set(tk->app->store, tk->charger, jget_str(e, "key"), jget_str(e, "value"), 1,
				     cJSON_IsBool(ro) ? cJSON_IsTrue(ro) : -1, NULL, NULL, tk->app->now_ms);
	}
	cJSON_ArrayForEach(e,
			   cJSON_GetObjectItemCaseSensitive(r->payload, "unknownKey")) if (cJSON_IsString(e))
		store_config_key_set(tk->app->store, tk->charger, e->valuestring, NULL, 1, -1, "Unknown",
				     NULL, tk->app->now_ms);
}

static void m_reserve(struct cmd_track *tk, const cJSON *req, const struct call_result *r)
{
	struct store_reservation res = { tk->charger,
					 jget_int(req, "reservationId", 0),
					 jget_int(req, "connectorId", 0),
					 jget_str(req, "idTag"),
					 jget_str(req, "parentIdTag"),
					 0 };
	if (!accepted(r, NULL) || time_parse_iso(jget_str(req, "expiryDate"), &res.expiry_ms))
		return;
	store_reservation_add(tk->app->store, &res, tk->app->now_ms);
}

static void m_cancel_reservation(struct cmd_track *tk, const cJSON *req, const struct call_result *r)
{
	if (accepted(r, NULL))
		store_reservation_end(tk->app->store, tk->charger, jget_int(req, "reservationId", 0),
				      "Cancelled", 0, tk->app->now_ms);
}

static void m_send_local_list(struct cmd_track *tk, const cJSON *req, const struct call_result *r)
{
	const char *type = jget_str(req, "updateType");
	if (accepted(r, NULL) && type)
		store_locallist_apply(
			tk->app->store, tk->charger, jget_int(req, "listVersion", 0), !strcmp(type, "Full"),
			cJSON_GetObjectItemCaseSensitive(req, "localAuthorizationList"), tk->app->now_ms);
}

static void m_local_list_version(struct cmd_track *tk, const cJSON *req, const struct call_result *r)
{
	(void)req;
	if (r->status == OCPP_OK)
		store_locallist_reported(tk->app->store, tk->charger, jget_int(r->payload, "listVersion", -1),
					 tk->app->now_ms);
}

static void m_set_profile(struct cmd_track *tk, const cJSON *req, const struct call_result *r)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(req, "csChargingProfiles");
	int conn = jget_int(req, "connectorId", 0), id = jget_int(p, "chargingProfileId", 0);
	const char *purpose = jget_str(p, "chargingProfilePurpose");
	if (accepted(r, NULL)) {
		store_profile_put(tk->app->store, tk->charger, conn, p, tk->app->now_ms);
		alarms_profile(tk->app, tk->charger, conn, id, purpose, NULL);
	} else if (r->status == OCPP_OK) {
		alarms_profile(tk->app, tk->charger, conn, id, purpose, jget_str(r->payload, "status"));
	} else if (r->outcome == CALL_ERROR) {
		alarms_profile(tk->app, tk->charger, conn, id, purpose, r->code);
	}
}

/* Whether a ClearChargingProfile request matches DLM's ChargePointMaxProfile
 * (an id decides alone; otherwise every given criterion must match). */
static int clears_dlm_profile(const cJSON *req)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(req, "id");
	if (cJSON_IsNumber(id))
		return id->valueint == COMMANDS_DLM_PROFILE_ID;
	const char *purpose = jget_str(req, "chargingProfilePurpose");
	return jget_int(req, "connectorId", 0) == 0 && jget_int(req, "stackLevel", 0) == 0 &&
		(!purpose || !strcmp(purpose, "ChargePointMaxProfile"));
}

static void m_clear_profile(struct cmd_track *tk, const cJSON *req, const struct call_result *r)
{
	if (!accepted(r, NULL))
		return;
	store_profile_clear(tk->app->store, tk->charger, req);
	struct charger *ch = charger_find(tk->app->chargers, tk->app->store, tk->charger);
	if (ch && clears_dlm_profile(req) && ch->dlm.sent_limit_a >= 0) {
		/* The breaker's protection is gone from the charger: DLM installs
		 * its limit again at the next decision. */
		LOGW("commands", "%s: DLM's charging profile was cleared; it is sent again", ch->id);
		ch->dlm.need_send = 1;
		charger_changed(tk->app->chargers, ch);
	}
}

static const struct meaning {
	const char *action;
	meaning_fn fn;
} meanings[] = {
	{ "CancelReservation", m_cancel_reservation },
	{ "ChangeAvailability", m_availability },
	{ "ChangeConfiguration", m_change_config },
	{ "ClearChargingProfile", m_clear_profile },
	{ "GetConfiguration", m_get_config },
	{ "GetLocalListVersion", m_local_list_version },
	{ "ReserveNow", m_reserve },
	{ "SendLocalList", m_send_local_list },
	{ "SetChargingProfile", m_set_profile },
};
#define NMEANINGS (sizeof meanings / sizeof meanings[0])

/* ---- tracking ---- */

const double commands_lat_bounds_s[COMMANDS_LAT_BUCKETS] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
							     0.5,   1,    2.5,   5,    10,  30 };

/* A CALL of ours that ended; latency_ms < 0: not answered (not observed). */
static void count_out(struct commands_stats *st, int row, int col, int64_t latency_ms)
{
	if (row < 0 || row >= OCPP_ACT_COUNT || col < 0 || col > COMMANDS_OUT_CLOSED)
		return;
	st->out_msgs[row][col]++;
	if (latency_ms < 0)
		return;
	double s = (double)latency_ms / 1000.0;
	int b = 0;
	while (b < COMMANDS_LAT_BUCKETS && s > commands_lat_bounds_s[b])
		b++;
	st->out_lat[row][b]++;
	st->out_lat_sum_s[row] += s;
}

static void track_done(void *arg, const struct call_result *r)
{
	struct cmd_track *tk = arg;
	struct csms *app = tk->app;
	/* the audit's word and the counters' column for each outcome */
	static const char *const words[] = { [CALL_ANSWERED] = "result",
					     [CALL_ERROR] = "error",
					     [CALL_TIMEOUT] = "timeout",
					     [CALL_CLOSED] = "closed" };
	const char *outcome = words[r->outcome];
	int col;
	switch (r->outcome) {
	case CALL_ANSWERED: col = OCPP_OK; break;
	case CALL_TIMEOUT: col = COMMANDS_OUT_TIMEOUT; break;
	case CALL_CLOSED: col = COMMANDS_OUT_CLOSED; break;
	case CALL_ERROR:
	default: col = r->status > OCPP_OK && r->status < OCPP_STATUS_COUNT ? (int)r->status : OCPP_EGENERIC;
	}
	int answered = col != COMMANDS_OUT_TIMEOUT && col != COMMANDS_OUT_CLOSED;
	count_out(&app->calls, tk->row, col, answered ? r->latency_ms : -1);

	char *resp = r->payload ? cJSON_PrintUnformatted(r->payload) : NULL;
	struct store_audit a = {
		.charger = tk->charger,
		.action = tk->action,
		.message_id = tk->msg_id,
		.source = tk->source,
		.queued_ms = tk->queued_ms,
		.done_ms = app->now_ms,
		.sent_ms = col == COMMANDS_OUT_CLOSED ? 0 : app->now_ms - r->latency_ms,
		.latency_ms = answered ? r->latency_ms : -1,
		.request = tk->request,
		.outcome = outcome,
		.response = resp,
		.error_code = r->status == OCPP_OK ? NULL : r->code,
		.error_description = r->status == OCPP_OK ? NULL : r->description,
	};
	if (store_audit_add(app->store, &a))
		LOGW("commands", "%s: %s not audited", tk->charger, tk->action);
	cJSON_free(resp);

	for (size_t i = 0; i < NMEANINGS; i++) {
		if (strcmp(meanings[i].action, tk->action))
			continue;
		cJSON *req = cJSON_Parse(tk->request);
		if (req)
			meanings[i].fn(tk, req, r);
		cJSON_Delete(req);
		break;
	}
	if (tk->cb)
		tk->cb(tk->arg, r);
	free(tk->request);
	free(tk);
}

static const char *guess_source(const char *action, const cJSON *payload)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(payload, "csChargingProfiles");
	if (!strcmp(action, "SetChargingProfile") &&
	    jget_int(p, "chargingProfileId", 0) == COMMANDS_DLM_PROFILE_ID)
		return "dlm";
	return "csms";
}

int commands_track(struct session *s, const char *action, const char *msg_id, const cJSON *payload,
		   const char *source, call_cb *cb, void **arg)
{
	const struct action_row *row = actions_find(action);
	struct cmd_track *tk = calloc(1, sizeof *tk);
	if (!tk || !row)
		goto fail;
	tk->request = cJSON_PrintUnformatted(payload);
	if (!tk->request)
		goto fail;
	tk->app = s->app;
	snprintf(tk->charger, sizeof tk->charger, "%s", s->id);
	snprintf(tk->action, sizeof tk->action, "%s", action);
	snprintf(tk->msg_id, sizeof tk->msg_id, "%s", msg_id);
	tk->source = source ? source : guess_source(action, payload);
	tk->queued_ms = s->app->now_ms;
	tk->row = actions_index(row);
	tk->cb = *cb;
	tk->arg = *arg;
	*cb = track_done;
	*arg = tk;
	return 0;
fail:
	if (tk)
		free(tk->request);
	free(tk);
	return -1;
}

/* ---- charger events ---- */

void commands_charger_booted(struct csms *app, struct charger *ch)
{
	/* A reboot ended every transaction, and with them their TxProfiles;
	 * the rest are sent again once the boot answer is out (commands_reinstall). */
	store_profile_clear_tx(app->store, ch->id, -1);
	store_config_rebooted(app->store, ch->id, app->now_ms);
	ch->reinstall_profiles = 1;
	ch->booted_ms = app->now_ms;
}

void commands_tx_started(struct csms *app, struct charger *ch, int connector, int reservation_id,
			 const char *id_tag, int64_t tx_id)
{
	if (store_reservation_use(app->store, ch->id, connector, reservation_id, id_tag, tx_id,
				  app->now_ms) == 0)
		LOGI("commands", "%s: transaction %lld used a reservation", ch->id, (long long)tx_id);
}

void commands_tx_stopped(struct csms *app, struct charger *ch, int connector)
{
	if (connector > 0)
		store_profile_clear_tx(app->store, ch->id, connector);
}

/* The profiles to send again, collected while the store walks its rows
 * (a walk's callback may not call out), sent after it. */
struct reinstall_walk {
	int64_t booted_ms;
	struct reinstall_item {
		int profile_id;
		cJSON *req; /* a SetChargingProfile request, owned */
	} * items;
	size_t n, cap;
};

static int reinstall_row(void *arg, const struct store_profile_row *p)
{
	struct reinstall_walk *w = arg;
	/* DLM's own is re-sent by control.c; a TxProfile ended with the
	 * reboot; one installed since the boot is in place. */
	if (p->profile_id == COMMANDS_DLM_PROFILE_ID || !p->purpose || !strcmp(p->purpose, "TxProfile") ||
	    p->installed_ms >= w->booted_ms)
		return 0;
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 8;
		struct reinstall_item *items = realloc(w->items, cap * sizeof *items);
		if (!items)
			return -1;
		w->items = items;
		w->cap = cap;
	}
	cJSON *req = cJSON_CreateObject(), *prof = p->profile_json ? cJSON_Parse(p->profile_json) : NULL;
	cJSON_AddNumberToObject(req, "connectorId", p->connector);
	cJSON_AddItemToObject(req, "csChargingProfiles", prof ? prof : cJSON_CreateNull());
	w->items[w->n].profile_id = p->profile_id;
	w->items[w->n++].req = req;
	return 0;
}

static void reinstall(struct csms *app, struct charger *ch)
{
	char why[256];
	struct reinstall_walk w = { .booted_ms = ch->booted_ms };
	int n = 0;
	ch->reinstall_profiles = 0;
	if (store_profile_each(app->store, ch->id, reinstall_row, &w))
		LOGW("commands", "%s: not every charging profile could be read for the re-install", ch->id);
	for (size_t i = 0; i < w.n; i++) {
		if (ocppj_call_src(ch->session, "SetChargingProfile", w.items[i].req, "csms", NULL, NULL, why,
				   sizeof why))
			LOGW("commands", "%s: profile %d not re-installed: %s", ch->id, w.items[i].profile_id,
			     why);
		else
			n++;
		cJSON_Delete(w.items[i].req);
	}
	free(w.items);
	if (n)
		LOGI("commands", "%s: %d charging profile(s) re-installed after the boot", ch->id, n);
}

void commands_reinstall(struct csms *app)
{
	for (struct charger *ch = charger_first(app->chargers); ch; ch = ch->next)
		if (ch->reinstall_profiles && ch->session && ch->session->booted && ch->reg == REG_ACCEPTED)
			reinstall(app, ch);
}

void commands_expire_reservations(struct csms *app)
{
	int n = store_reservation_expire(app->store, app->now_ms);
	if (n > 0)
		LOGI("commands", "%d reservation(s) expired", n);
}

void commands_prune_audit(struct csms *app)
{
	store_audit_prune(app->store, app->cfg.audit_keep);
}
