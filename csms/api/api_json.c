/* api_json.c: the admin API's JSON of the store's rows. The store hands
 * rows to a callback (store.h); each builder here appends one object per
 * row, and fills what a row links to (a charger's connectors, a tag's
 * chargers, a transaction's meter values) after its walk, since a walk's
 * callback may not call the store. Times are ISO 8601 with milliseconds. */
#include "api_json.h"
#include "jget.h"
#include "store.h"
#include "timeutil.h"

#include <math.h>
#include <stdlib.h>

static void add_str_or_null(cJSON *o, const char *key, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

static void add_time(cJSON *o, const char *key, int64_t ms)
{
	char buf[40];
	cJSON_AddStringToObject(o, key, time_format_iso(ms, buf, sizeof buf));
}

/* JSON the store keeps as text; null when there is none or it does not parse. */
static void add_json_text(cJSON *o, const char *key, const char *text)
{
	cJSON *j = text ? cJSON_Parse(text) : NULL;
	cJSON_AddItemToObject(o, key, j ? j : cJSON_CreateNull());
}

/* A builder asked for one row: the first of the array, or NULL. */
static cJSON *first(cJSON *arr)
{
	cJSON *one = cJSON_DetachItemFromArray(arr, 0);
	cJSON_Delete(arr);
	return one;
}

/* ---- chargers ---- */

static int connector_row(void *arg, const struct store_conn_state *s)
{
	cJSON *c = cJSON_CreateObject();
	cJSON_AddNumberToObject(c, "connectorId", s->connector);
	add_str_or_null(c, "status", s->status);
	add_str_or_null(c, "errorCode", s->error_code);
	add_str_or_null(c, "info", s->info);
	add_str_or_null(c, "vendorId", s->vendor_id);
	add_str_or_null(c, "vendorErrorCode", s->vendor_error_code);
	add_str_or_null(c, "timestamp", s->timestamp);
	cJSON_AddItemToArray(arg, c);
	return 0;
}

static int charger_row(void *arg, const struct store_charger_row *r)
{
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "id", r->id);
	cJSON_AddStringToObject(c, "registration", store_registration_names[r->registration]);
	add_str_or_null(c, "vendor", r->vendor);
	add_str_or_null(c, "model", r->model);
	add_str_or_null(c, "firmware", r->firmware);
	add_str_or_null(c, "serial", r->serial);
	jput_time(c, "lastSeen", r->last_seen_ms);
	cJSON *settings = r->settings_json ? cJSON_Parse(r->settings_json) : NULL;
	cJSON_AddItemToObject(c, "settings", settings ? settings : cJSON_CreateObject());
	add_str_or_null(c, "firmwareStatus", r->firmware_status);
	add_str_or_null(c, "diagnosticsStatus", r->diagnostics_status);
	add_str_or_null(c, "meterType", r->meter_type);
	add_str_or_null(c, "meterSerial", r->meter_serial);
	cJSON_AddItemToArray(arg, c);
	return 0;
}

cJSON *api_json_chargers(struct store *st, const char *id)
{
	cJSON *arr = cJSON_CreateArray(), *c;
	store_charger_each(st, id, charger_row, arr);
	cJSON_ArrayForEach(c, arr)
	{
		cJSON *conns = cJSON_CreateArray();
		store_connector_each(st, cJSON_GetObjectItem(c, "id")->valuestring, connector_row, conns);
		cJSON_AddItemToObject(c, "connectors", conns);
	}
	return id ? first(arr) : arr;
}

static int availability_row(void *arg, const struct store_availability_row *r)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "connectorId", r->connector);
	cJSON_AddStringToObject(o, "type", r->type);
	cJSON_AddStringToObject(o, "status", r->status);
	add_time(o, "changed", r->changed_ms);
	cJSON_AddItemToArray(arg, o);
	return 0;
}

cJSON *api_json_availability(struct store *st, const char *charger)
{
	cJSON *arr = cJSON_CreateArray();
	store_availability_each(st, charger, availability_row, arr);
	return arr;
}

/* ---- id tags ---- */

static int idtag_row(void *arg, const struct store_idtag *t)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "idTag", t->id_tag);
	cJSON_AddStringToObject(o, "status", t->status);
	if (t->expiry_ms)
		add_time(o, "expiryDate", t->expiry_ms);
	else
		cJSON_AddNullToObject(o, "expiryDate");
	add_str_or_null(o, "parentIdTag", t->parent[0] ? t->parent : NULL);
	if (t->max_active)
		cJSON_AddNumberToObject(o, "maxActiveTransactions", t->max_active);
	else
		cJSON_AddNullToObject(o, "maxActiveTransactions");
	cJSON_AddItemToArray(arg, o);
	return 0;
}

static int idtag_charger(void *arg, const char *charger)
{
	cJSON_AddItemToArray(arg, cJSON_CreateString(charger));
	return 0;
}

cJSON *api_json_idtags(struct store *st, const char *tag)
{
	cJSON *arr = cJSON_CreateArray(), *o;
	store_idtag_each(st, tag, idtag_row, arr);
	cJSON_ArrayForEach(o, arr)
	{
		cJSON *ch = cJSON_CreateArray();
		store_idtag_each_charger(st, cJSON_GetObjectItem(o, "idTag")->valuestring, idtag_charger, ch);
		cJSON_AddItemToObject(o, "chargers", ch);
	}
	return tag ? first(arr) : arr;
}

/* ---- transactions ---- */

static int tx_row(void *arg, const struct store_tx_row *t)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)t->id);
	cJSON_AddStringToObject(o, "charger", t->charger);
	cJSON_AddNumberToObject(o, "connectorId", t->connector);
	cJSON_AddStringToObject(o, "idTag", t->id_tag);
	add_str_or_null(o, "start", t->start_ts);
	add_str_or_null(o, "stop", t->stop_ts);
	cJSON_AddNumberToObject(o, "meterStart", (double)t->meter_start);
	if (t->stopped) {
		cJSON_AddNumberToObject(o, "meterStop", (double)t->meter_stop);
		cJSON_AddNumberToObject(o, "energyWh", (double)(t->meter_stop - t->meter_start));
	} else {
		/* so far: from the latest energy register of its meter values (null: none yet) */
		cJSON_AddNullToObject(o, "meterStop");
		if (t->has_last)
			cJSON_AddNumberToObject(o, "energyWh",
						round(t->meter_last_wh - (double)t->meter_start));
		else
			cJSON_AddNullToObject(o, "energyWh");
	}
	add_str_or_null(o, "stopReason", t->stop_reason);
	add_str_or_null(o, "authStatus", t->auth_status);
	if (t->reservation_id >= 0)
		cJSON_AddNumberToObject(o, "reservationId", t->reservation_id);
	add_str_or_null(o, "stoppedBy", !t->stopped ? NULL : t->stop_source ? t->stop_source : "charger");
	/* kept with the transaction at each meter value (glue/history.c); null: none computed */
	if (t->has_cost)
		cJSON_AddNumberToObject(o, "cost", round(t->cost * 10000) / 10000);
	else
		cJSON_AddNullToObject(o, "cost");
	if (t->has_cost && t->shared_wh > 0)
		cJSON_AddNumberToObject(o, "pvShare", round(t->pv_wh / t->shared_wh * 10000) / 10000);
	else
		cJSON_AddNullToObject(o, "pvShare");
	cJSON_AddItemToArray(arg, o);
	return 0;
}

cJSON *api_json_transactions(struct store *st, const struct store_tx_filter *f)
{
	cJSON *arr = cJSON_CreateArray();
	store_tx_each(st, f, tx_row, arr);
	return arr;
}

static int meter_value_row(void *arg, const struct store_mv_row *m)
{
	cJSON *mv = cJSON_CreateObject();
	cJSON_AddStringToObject(mv, "timestamp", m->timestamp);
	cJSON_AddStringToObject(mv, "source", m->source);
	cJSON *sv = cJSON_Parse(m->sampled_json);
	cJSON_AddItemToObject(mv, "sampledValue", sv ? sv : cJSON_CreateArray());
	cJSON_AddNumberToObject(mv, "connectorId", m->connector);
	cJSON_AddItemToArray(arg, mv);
	return 0;
}

cJSON *api_json_transaction(struct store *st, int64_t tx_id)
{
	struct store_tx_filter f = { .active = -1, .tx_id = tx_id };
	cJSON *o = first(api_json_transactions(st, &f));
	if (!o)
		return NULL;
	store_meter_value_each(st, tx_id, meter_value_row, cJSON_AddArrayToObject(o, "meterValues"));
	return o;
}

/* ---- what our CALLs left: firmware progress, audit, configuration, reservations, profiles ---- */

static int firmware_row(void *arg, const struct store_event_row *e)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "action", e->action);
	add_time(o, "received", e->received_ms);
	add_json_text(o, "payload", e->payload_json);
	cJSON_AddItemToArray(arg, o);
	return 0;
}

cJSON *api_json_firmware_history(struct store *st, const char *charger, int limit)
{
	cJSON *arr = cJSON_CreateArray();
	store_firmware_history_each(st, charger, limit, firmware_row, arr);
	return arr;
}

static int audit_row(void *arg, const struct store_audit_row *r)
{
	const struct store_audit *a = &r->a;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)r->id);
	cJSON_AddStringToObject(o, "charger", a->charger);
	cJSON_AddStringToObject(o, "action", a->action);
	add_str_or_null(o, "messageId", a->message_id);
	cJSON_AddStringToObject(o, "source", a->source);
	add_time(o, "queued", a->queued_ms);
	jput_time(o, "sent", a->sent_ms);
	add_time(o, "answered", a->done_ms);
	if (a->latency_ms < 0)
		cJSON_AddNullToObject(o, "latencyMs");
	else
		cJSON_AddNumberToObject(o, "latencyMs", (double)a->latency_ms);
	add_json_text(o, "request", a->request);
	cJSON_AddStringToObject(o, "outcome", a->outcome);
	add_json_text(o, "result", a->response);
	if (a->error_code) {
		cJSON *e = cJSON_AddObjectToObject(o, "error");
		cJSON_AddStringToObject(e, "code", a->error_code);
		add_str_or_null(e, "description", a->error_description);
	} else
		cJSON_AddNullToObject(o, "error");
	cJSON_AddItemToArray(arg, o);
	return 0;
}

cJSON *api_json_audit(struct store *st, const char *charger, const char *action, int limit)
{
	cJSON *arr = cJSON_CreateArray();
	store_audit_each(st, charger, action, limit, audit_row, arr);
	return arr;
}

static int config_row(void *arg, const struct store_config_row *k)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "key", k->key);
	add_str_or_null(o, "value", k->value);
	if (k->readonly < 0)
		cJSON_AddNullToObject(o, "readonly");
	else
		cJSON_AddBoolToObject(o, "readonly", k->readonly);
	add_str_or_null(o, "status", k->status);
	add_str_or_null(o, "requestedValue", k->requested);
	add_time(o, "updated", k->updated_ms);
	cJSON_AddItemToArray(arg, o);
	return 0;
}

cJSON *api_json_config(struct store *st, const char *charger)
{
	cJSON *arr = cJSON_CreateArray();
	store_config_each(st, charger, config_row, arr);
	return arr;
}

static int reservation_row(void *arg, const struct store_reservation_row *row)
{
	const struct store_reservation *r = &row->r;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "charger", r->charger);
	cJSON_AddNumberToObject(o, "reservationId", r->reservation_id);
	cJSON_AddNumberToObject(o, "connectorId", r->connector);
	cJSON_AddStringToObject(o, "idTag", r->id_tag);
	add_str_or_null(o, "parentIdTag", r->parent);
	add_time(o, "expiryDate", r->expiry_ms);
	cJSON_AddStringToObject(o, "status", row->status);
	add_time(o, "created", row->created_ms);
	jput_time(o, "ended", row->ended_ms);
	if (row->tx_id)
		cJSON_AddNumberToObject(o, "transactionId", (double)row->tx_id);
	else
		cJSON_AddNullToObject(o, "transactionId");
	cJSON_AddItemToArray(arg, o);
	return 0;
}

cJSON *api_json_reservations(struct store *st, const char *charger, int active, int limit)
{
	cJSON *arr = cJSON_CreateArray();
	store_reservation_each(st, charger, active, limit, reservation_row, arr);
	return arr;
}

static int profile_row(void *arg, const struct store_profile_row *p)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "connectorId", p->connector);
	cJSON_AddNumberToObject(o, "chargingProfileId", p->profile_id);
	cJSON_AddStringToObject(o, "chargingProfilePurpose", p->purpose);
	cJSON_AddNumberToObject(o, "stackLevel", p->stack_level);
	if (p->has_tx_id)
		cJSON_AddNumberToObject(o, "transactionId", (double)p->tx_id);
	else
		cJSON_AddNullToObject(o, "transactionId");
	add_json_text(o, "csChargingProfiles", p->profile_json);
	add_time(o, "installed", p->installed_ms);
	cJSON_AddItemToArray(arg, o);
	return 0;
}

cJSON *api_json_profiles(struct store *st, const char *charger)
{
	cJSON *arr = cJSON_CreateArray();
	store_profile_each(st, charger, profile_row, arr);
	return arr;
}

/* ---- alarms ---- */

static int alarm_row(void *arg, const struct store_alarm_row *r)
{
	const struct store_alarm *a = &r->a;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)r->id);
	cJSON_AddStringToObject(o, "source", a->source);
	if (a->charger && *a->charger)
		cJSON_AddStringToObject(o, "charger", a->charger);
	else
		cJSON_AddNullToObject(o, "charger"); /* an alarm of the site (alarms_site) */
	if (a->connector < 0)
		cJSON_AddNullToObject(o, "connectorId");
	else
		cJSON_AddNumberToObject(o, "connectorId", a->connector);
	cJSON_AddStringToObject(o, "code", a->code);
	add_str_or_null(o, "info", a->info);
	add_str_or_null(o, "vendorId", a->vendor_id);
	add_str_or_null(o, "vendorErrorCode", a->vendor_error_code);
	add_time(o, "raised", r->raised_ms);
	jput_time(o, "cleared", r->cleared_ms);
	cJSON_AddItemToArray(arg, o);
	return 0;
}

cJSON *api_json_alarms(struct store *st, int active_only, const char *charger, int limit)
{
	cJSON *arr = cJSON_CreateArray();
	store_alarm_each(st, active_only, charger, limit, alarm_row, arr);
	return arr;
}
