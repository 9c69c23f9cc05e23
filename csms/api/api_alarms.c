/* api_alarms.c: GET /api/v1/alarms and GET /api/v1/diagnosis. The alarms
 * are rows of the store; the diagnosis puts together the chargers (from
 * central/alarms.c), the DLM grid sensor and the station's data source
 * (from glue/), and the store. */
#include "api_alarms.h"
#include "jget.h"
#include "admin.h"
#include "alarms.h"
#include "api_json.h"
#include "control.h"
#include "csms.h"
#include "energy.h"
#include "http.h"
#include "store.h"
#include "timeutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void api_alarms_list(struct route_ctx *c)
{
	char buf[16], charger[STORE_ID_MAX + 1];
	struct admin_page pg;
	int active = 0, limit = 0;
	if (http_query(c->t, "active", buf, sizeof buf)) {
		if (!strcmp(buf, "true"))
			active = 1;
		else if (strcmp(buf, "false")) {
			admin_error(c->t, 400, "BadRequest", "active: true or false");
			return;
		}
	}
	/* Not admin_query_int: its longer buffer would read a value that
	 * this one cuts at 15 characters, and the answer must not change. */
	if (http_query(c->t, "limit", buf, sizeof buf)) {
		char *end;
		long v = strtol(buf, &end, 10);
		if (!*buf || *end || v < 1 || v > 100000) {
			admin_error(c->t, 400, "BadRequest", "limit: a whole number from 1 to 100000");
			return;
		}
		limit = (int)v;
	}
	if (admin_query_page(c, 1, limit, &pg))
		return;
	const char *ch = http_query(c->t, "charger", charger, sizeof charger);
	admin_reply_page(c, api_json_alarms(c->app->store, active, ch, 0), &pg);
}

void api_alarms_diagnosis(struct route_ctx *c)
{
	struct csms *app = c->app;
	cJSON *o = cJSON_CreateObject();
	jput_time(o, "time", app->now_ms);
	cJSON_AddItemToObject(o, "chargers", alarms_diagnosis_chargers(app->chargers));
	cJSON *devs = cJSON_AddArrayToObject(o, "devices");
	struct control_sensor_info si;
	if (control_sensor_info(app, &si) == 0) {
		cJSON *d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "name", "dlm-grid-sensor");
		cJSON_AddStringToObject(d, "type", si.type);
		cJSON_AddBoolToObject(d, "inUse", si.dlm_enabled);
		cJSON_AddBoolToObject(d, "connected", si.healthy);
		cJSON_AddBoolToObject(d, "healthy", si.healthy);
		if (si.age_s >= 0) {
			cJSON_AddNumberToObject(d, "ageS", round(si.age_s * 1000) / 1000);
			jput_time(d, "lastSeen", app->now_ms - (int64_t)(si.age_s * 1000));
		} else {
			cJSON_AddNullToObject(d, "ageS");
			cJSON_AddNullToObject(d, "lastSeen");
		}
		cJSON_AddStringToObject(d, "error", si.error ? si.error : "");
		cJSON_AddNumberToObject(d, "readings", (double)si.readings);
		cJSON_AddNumberToObject(d, "failures", (double)si.failures);
		cJSON_AddItemToArray(devs, d);
	}
	cJSON *src = app->energy ? energy_source_json(app->energy) : NULL;
	if (src) {
		cJSON_AddStringToObject(src, "name", "station-source");
		cJSON_AddItemToArray(devs, src);
	}
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "name", "store");
	cJSON_AddStringToObject(d, "type", "sqlite");
	cJSON_AddStringToObject(d, "path", app->cfg.db);
	cJSON_AddBoolToObject(d, "connected", 1);
	cJSON_AddBoolToObject(d, "healthy", app->stats.commit_failures == 0);
	cJSON_AddNumberToObject(d, "schemaVersion", store_schema_version(app->store));
	cJSON_AddNumberToObject(d, "commits", (double)app->stats.commits);
	cJSON_AddNumberToObject(d, "commitFailures", (double)app->stats.commit_failures);
	cJSON_AddItemToArray(devs, d);
	admin_reply_json(c->t, 200, o);
}
