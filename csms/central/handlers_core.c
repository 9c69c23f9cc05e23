/* handlers_core.c: the Core profile's charger-initiated messages: boot,
 * heartbeat, status, authorisation, transactions and meter values. Each
 * handler writes its rows; the reply goes out after the turn's commit. */
#include "handlers.h"
#include "alarms.h"
#include "auth.h"
#include "charger.h"
#include "commands.h"
#include "csms.h"
#include "evhook.h"
#include "jget.h"
#include "log.h"
#include "session.h"
#include "store.h"
#include "timeutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void add_now(cJSON *resp, int64_t now)
{
	char buf[40];
	cJSON_AddStringToObject(resp, "currentTime", time_format_iso(now, buf, sizeof buf));
}

enum ocpp_status h_boot_notification(const struct ocpp_req *r, cJSON *resp, const char **why)
{
	struct csms *app = r->app;
	static const enum store_registration policy[] = { REG_ACCEPTED, REG_PENDING, REG_REJECTED };
	enum store_registration reg;
	if (store_charger_boot(app->store, r->ch->id, r->payload, app->now_ms,
			       policy[app->cfg.unknown_chargers], &reg)) {
		*why = "could not record the boot";
		return OCPP_EINTERNAL;
	}
	charger_set_reg(app->chargers, r->ch, reg);
	static const char *const status[] = { "Accepted", "Pending", "Rejected", "Rejected" };
	cJSON_AddStringToObject(resp, "status", status[reg]);
	add_now(resp, app->now_ms);
	int interval = app->cfg.heartbeat_interval;
	if (reg != REG_ACCEPTED && interval > 60)
		interval = 60; /* retry a pending or rejected boot sooner */
	cJSON_AddNumberToObject(resp, "interval", interval);
	LOGI("ocpp", "%s booted (%s %s), %s", r->ch->id, jget_str(r->payload, "chargePointVendor"),
	     jget_str(r->payload, "chargePointModel"), store_registration_names[reg]);
	if (reg == REG_ACCEPTED) {
		r->s->booted = 1;
		charger_booted(app->chargers, r->ch);
		commands_charger_booted(app, r->ch);
	}
	return OCPP_OK;
}

enum ocpp_status h_heartbeat(const struct ocpp_req *r, cJSON *resp, const char **why)
{
	(void)why;
	store_charger_seen(r->app->store, r->ch->id, r->app->now_ms);
	add_now(resp, r->app->now_ms);
	return OCPP_OK;
}

enum ocpp_status h_status_notification(const struct ocpp_req *r, cJSON *resp, const char **why)
{
	(void)resp;
	double c = 0;
	jget_num(r->payload, "connectorId", &c);
	int conn = (int)c;
	if (conn < 0) {
		*why = "connectorId must not be negative";
		return OCPP_EPROPERTY;
	}
	if (store_connector_status(r->app->store, r->ch->id, conn, r->payload, r->app->now_ms)) {
		*why = "could not record the status";
		return OCPP_EINTERNAL;
	}
	struct charger_conn *cc = charger_conn_at(r->ch, conn);
	if (cc) {
		snprintf(cc->status, sizeof cc->status, "%s", jget_str(r->payload, "status"));
		snprintf(cc->error_code, sizeof cc->error_code, "%s", jget_str(r->payload, "errorCode"));
	}
	alarms_status(r->app, r->ch, conn, r->payload);
	charger_changed(r->app->chargers, r->ch);
	return OCPP_OK;
}

enum ocpp_status h_authorize(const struct ocpp_req *r, cJSON *resp, const char **why)
{
	(void)why;
	cJSON *info = cJSON_AddObjectToObject(resp, "idTagInfo");
	const char *tag = jget_str(r->payload, "idTag");
	const char *status = auth_check(r->app, r->ch, tag, info);
	if (strcmp(status, "Accepted"))
		LOGI("ocpp", "%s: Authorize refused for idTag %s: %s", r->ch->id, tag, status);
	return OCPP_OK;
}

/* Stores a list of meterValue elements (MeterValues or transactionData). */
static int store_meter_list(const struct ocpp_req *r, int conn, int64_t tx, const cJSON *list,
			    const char *source)
{
	const cJSON *mv;
	cJSON_ArrayForEach(mv, list)
	{
		const char *ts = jget_str(mv, "timestamp");
		const cJSON *sv = cJSON_GetObjectItemCaseSensitive(mv, "sampledValue");
		int64_t ms = 0;
		time_parse_iso(ts, &ms);
		/* The sampled values' text: the bytes cJSON_PrintUnformatted gives
		 * (the stored text and its digest must not change), printed into
		 * a stack buffer without allocations; a longer list on the heap. */
		char text[8192], *heap = NULL;
		const char *json = text;
		if (!cJSON_PrintPreallocated((cJSON *)sv, text, (int)sizeof text, 0)) {
			heap = cJSON_PrintUnformatted(sv);
			if (!heap)
				return -1;
			json = heap;
		}
		/* 1: the same element again (our answer was lost): kept once. */
		int rc = store_meter_value(r->app->store, r->ch->id, conn, tx, ts, ms, json, source);
		cJSON_free(heap);
		if (rc < 0)
			return -1;
		charger_live_update(r->ch, conn, sv, ms ? ms : r->app->now_ms);
		double wh;
		/* a new element's energy register: the transaction's running figures */
		if (rc == 0 && charger_energy_register(sv, &wh) == 0)
			charger_metered(r->app->chargers, r->ch, conn, tx, wh, ms ? ms : r->app->now_ms);
	}
	return 0;
}

enum ocpp_status h_start_transaction(const struct ocpp_req *r, cJSON *resp, const char **why)
{
	struct csms *app = r->app;
	double conn = 0, meter = 0, resv = 0;
	jget_num(r->payload, "connectorId", &conn);
	jget_num(r->payload, "meterStart", &meter);
	const char *tag = jget_str(r->payload, "idTag");
	if (!r->ch->settings.authorization_required)
		tag = r->ch->settings.free_id_tag;
	struct store_tx_start s = {
		.charger = r->ch->id,
		.connector = (int)conn,
		.id_tag = tag,
		.meter_start = (int64_t)meter,
		.timestamp = jget_str(r->payload, "timestamp"),
		.reservation_id = jget_num(r->payload, "reservationId", &resv) ? -1 : (int)resv,
	};
	if (s.connector < 1) {
		*why = "connectorId must be 1 or more";
		return OCPP_EPROPERTY;
	}
	time_parse_iso(s.timestamp, &s.start_ms);
	int64_t id;
	char status[16];
	cJSON *info = cJSON_AddObjectToObject(resp, "idTagInfo");
	int rc = store_tx_find(app->store, &s, &id, status);
	if (rc == 0) {
		/* The same start again: our answer was lost. Same id, no second record. */
		cJSON_AddStringToObject(info, "status", status);
	} else {
		s.auth_status = auth_check(app, r->ch, tag, info);
		if (strcmp(s.auth_status, "Accepted"))
			LOGI("ocpp", "%s: StartTransaction refused for idTag %s on connector %d: %s",
			     r->ch->id, tag, s.connector, s.auth_status);
		int retry;
		if (rc < 0 || store_tx_start(app->store, &s, &id, &retry)) {
			*why = "could not record the transaction";
			return OCPP_EINTERNAL;
		}
		LOGI("ocpp", "%s: transaction %lld started on connector %d for %s (%s)", r->ch->id,
		     (long long)id, s.connector, tag, s.auth_status);
		commands_tx_started(app, r->ch, s.connector, s.reservation_id, tag, id);
	}
	cJSON_AddNumberToObject(resp, "transactionId", (double)id);
	struct charger_conn *cc = charger_conn_at(r->ch, s.connector);
	if (cc) {
		cc->tx_id = id;
		snprintf(cc->tx_id_tag, sizeof cc->tx_id_tag, "%s", tag);
		cc->tx_start_ms = s.start_ms;
	}
	charger_changed(app->chargers, r->ch);
	return OCPP_OK;
}

/* A session ended (its stop recorded and metered in this turn): the
 * listeners hear its energy, and the cost and PV share glue/history.c kept
 * with it (NaN when it never computed them). */
static void tell_finished(struct csms *app, const struct store_tx_stop *s, int conn, const char *tag)
{
	struct store_tx_meter m;
	if (!evhook_wanted(app) || store_tx_meter_get(app->store, s->tx_id, &m))
		return;
	double energy = (double)(s->meter_stop - m.meter_start);
	struct evhook_event ev = {
		.kind = EVHOOK_SESSION_FINISHED,
		.time_ms = app->now_ms,
		.charger = s->charger,
		.connector = conn,
		.tx_id = s->tx_id,
		.id_tag = s->id_tag ? s->id_tag : (tag[0] ? tag : NULL),
		.stop_reason = s->reason,
		.start_ms = m.start_ms,
		.stop_ms = s->stop_ms ? s->stop_ms : app->now_ms,
		.energy_wh = energy > 0 ? energy : 0,
		.cost = m.has_last && isfinite(m.cost) ? m.cost : NAN,
		.pv_share = m.shared_wh > 0 ? m.pv_wh / m.shared_wh : NAN,
	};
	evhook_emit(app, &ev);
}

enum ocpp_status h_stop_transaction(const struct ocpp_req *r, cJSON *resp, const char **why)
{
	struct csms *app = r->app;
	double tx = 0, meter = 0;
	jget_num(r->payload, "transactionId", &tx);
	jget_num(r->payload, "meterStop", &meter);
	struct store_tx_stop s = {
		.charger = r->ch->id,
		.tx_id = (int64_t)tx,
		.id_tag = jget_str(r->payload, "idTag"),
		.meter_stop = (int64_t)meter,
		.timestamp = jget_str(r->payload, "timestamp"),
		.reason = jget_str(r->payload, "reason"),
	};
	time_parse_iso(s.timestamp, &s.stop_ms);
	enum store_stop_outcome outcome;
	char tag[STORE_TAG_MAX];
	int active = 0, conn = 0;
	if (store_tx_get_tag(app->store, s.tx_id, tag, &active))
		tag[0] = 0;
	/* The store knows the connector, also after a restart; 0 for a
	 * transaction unknown to this charger. */
	if (store_tx_connector(app->store, r->ch->id, s.tx_id, &conn))
		conn = 0;
	if (store_tx_stop(app->store, &s, &outcome)) {
		*why = "could not record the stop";
		return OCPP_EINTERNAL;
	}
	/* A retry's transactionData was stored with the stop it repeats. */
	if (outcome != STOP_RETRY &&
	    store_meter_list(r, conn, s.tx_id,
			     cJSON_GetObjectItemCaseSensitive(r->payload, "transactionData"),
			     "StopTransaction")) {
		*why = "could not record the stop";
		return OCPP_EINTERNAL;
	}
	if (outcome == STOP_OK) {
		charger_metered(app->chargers, r->ch, conn, s.tx_id, (double)s.meter_stop,
				s.stop_ms ? s.stop_ms : app->now_ms);
		tell_finished(app, &s, conn, tag);
	}
	static const char *const outcome_names[] = { "stopped", "retry", "unknown transaction",
						     "already stopped" };
	LOGI("ocpp", "%s: transaction %lld %s, meterStop %lld", r->ch->id, (long long)s.tx_id,
	     outcome_names[outcome], (long long)s.meter_stop);
	if (s.id_tag) {
		cJSON *info = cJSON_AddObjectToObject(resp, "idTagInfo");
		const char *st = auth_check(app, r->ch, s.id_tag, info);
		if (!strcmp(st, "ConcurrentTx")) {
			/* Counted itself: the tag is fine for ending its own transaction. */
			cJSON_ReplaceItemInObject(info, "status", cJSON_CreateString("Accepted"));
		}
	}
	/* A connector already running a newer transaction keeps it and its profiles. */
	struct charger_conn *cc = conn > 0 && charger_conn_get(r->ch, conn)->tx_id == s.tx_id
		? charger_conn_at(r->ch, conn)
		: NULL;
	if (cc) {
		cc->tx_id = 0;
		cc->tx_id_tag[0] = 0;
		cc->tx_start_ms = 0;
	}
	if (conn > 0 && (conn >= CHARGER_MAX_CONN || !charger_conn_get(r->ch, conn)->tx_id))
		commands_tx_stopped(app, r->ch, conn);
	charger_changed(app->chargers, r->ch);
	return OCPP_OK;
}

enum ocpp_status h_meter_values(const struct ocpp_req *r, cJSON *resp, const char **why)
{
	(void)resp;
	double conn = 0, tx = 0;
	jget_num(r->payload, "connectorId", &conn);
	jget_num(r->payload, "transactionId", &tx);
	if (conn < 0) {
		*why = "connectorId must not be negative";
		return OCPP_EPROPERTY;
	}
	if (store_meter_list(r, (int)conn, (int64_t)tx,
			     cJSON_GetObjectItemCaseSensitive(r->payload, "meterValue"), "MeterValues")) {
		*why = "could not record the meter values";
		return OCPP_EINTERNAL;
	}
	return OCPP_OK;
}

enum ocpp_status h_data_transfer(const struct ocpp_req *r, cJSON *resp, const char **why)
{
	char *json = cJSON_PrintUnformatted(r->payload);
	int rc = json ? store_event(r->app->store, r->ch->id, r->action, json, r->app->now_ms) : -1;
	cJSON_free(json);
	if (rc) {
		*why = "could not record the data transfer";
		return OCPP_EINTERNAL;
	}
	/* No vendor extensions are known to this central system. */
	cJSON_AddStringToObject(resp, "status", "UnknownVendorId");
	return OCPP_OK;
}
