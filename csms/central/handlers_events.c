/* handlers_events.c: notifications that are kept as sent (firmware and
 * diagnostics progress, the security extension's events and log uploads)
 * and the security extension's SignCertificate. */
#include "handlers.h"
#include "charger.h"
#include "csms.h"
#include "log.h"
#include "store.h"

#include <string.h>

static enum ocpp_status keep(const struct ocpp_req *r, const char **why)
{
	char *json = cJSON_PrintUnformatted(r->payload);
	int rc = json ? store_event(r->app->store, r->ch->id, r->action, json, r->app->now_ms) : -1;
	cJSON_free(json);
	if (rc) {
		*why = "could not record the notification";
		return OCPP_EINTERNAL;
	}
	return OCPP_OK;
}

static enum ocpp_status keep_status(const struct ocpp_req *r, const char *field, const char **why)
{
	enum ocpp_status st = keep(r, why);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->payload, "status");
	if (st == OCPP_OK && cJSON_IsString(v) &&
	    store_charger_set_field(r->app->store, r->ch->id, field, v->valuestring)) {
		*why = "could not record the status";
		return OCPP_EINTERNAL;
	}
	return st;
}

enum ocpp_status h_diagnostics_status(const struct ocpp_req *r, cJSON *resp, const char **why)
{
	(void)resp;
	return keep_status(r, "diagnostics_status", why);
}

enum ocpp_status h_firmware_status(const struct ocpp_req *r, cJSON *resp, const char **why)
{
	(void)resp;
	return keep_status(r, "firmware_status", why);
}

enum ocpp_status h_signed_firmware_status(const struct ocpp_req *r, cJSON *resp, const char **why)
{
	(void)resp;
	return keep_status(r, "firmware_status", why);
}

enum ocpp_status h_log_status(const struct ocpp_req *r, cJSON *resp, const char **why)
{
	(void)resp;
	return keep(r, why);
}

enum ocpp_status h_security_event(const struct ocpp_req *r, cJSON *resp, const char **why)
{
	(void)resp;
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(r->payload, "type");
	LOGW("security", "%s: %s", r->ch->id, cJSON_IsString(t) ? t->valuestring : "?");
	return keep(r, why);
}

enum ocpp_status h_sign_certificate(const struct ocpp_req *r, cJSON *resp, const char **why)
{
	enum ocpp_status st = keep(r, why);
	/* This central system has no CA to sign charger certificates with. */
	if (st == OCPP_OK)
		cJSON_AddStringToObject(resp, "status", "Rejected");
	return st;
}
