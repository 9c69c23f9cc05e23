/* test_webhook.c: the webhook body's fields per kind and its signature
 * (HMAC-SHA256, RFC 4231 test case 2), and the alarm kinds' table. */
#include "webhook.h"
#include "evhook.h"
#include "alarms.h"
#include "check.h"

#include <math.h>
#include <stdlib.h>

int main(void)
{
	char sig[80];
	const char *data = "what do ya want for nothing?";
	CHECK(webhook_sign("Jefe", data, strlen(data), sig, sizeof sig) == 0);
	CHECK_STR(sig, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	CHECK(webhook_sign("Jefe", data, strlen(data), sig, 20) == -1);

	CHECK(evhook_alarm_kind(ALARM_SRC_OFFLINE, "Offline", 1) == EVHOOK_CHARGER_OFFLINE);
	CHECK(evhook_alarm_kind(ALARM_SRC_OFFLINE, "Offline", 0) == EVHOOK_CHARGER_ONLINE);
	CHECK(evhook_alarm_kind(ALARM_SRC_SENSOR, ALARM_CODE_SENSOR_STALE, 1) == EVHOOK_SENSOR_STALE);
	CHECK(evhook_alarm_kind(ALARM_SRC_SENSOR, ALARM_CODE_SENSOR_ERROR, 1) == EVHOOK_ALARM_RAISED);
	CHECK(evhook_alarm_kind(ALARM_SRC_STATUS, "GroundFailure", 0) == EVHOOK_ALARM_CLEARED);
	CHECK(evhook_kind_of("sessionFinished") == EVHOOK_SESSION_FINISHED);
	CHECK(evhook_kind_of("nope") == -1);

	struct evhook_event ev = { .kind = EVHOOK_SESSION_FINISHED,
				   .time_ms = 1782036000000LL,
				   .charger = "CP1",
				   .connector = 2,
				   .tx_id = 7,
				   .id_tag = "TAG",
				   .start_ms = 1782032400000LL,
				   .stop_ms = 1782036000000LL,
				   .energy_wh = 4500,
				   .cost = 1.234567,
				   .pv_share = NAN };
	cJSON *j = webhook_event_json(&ev, "home", "1-1");
	char *t = cJSON_PrintUnformatted(j);
	CHECK_STR(t,
		  "{\"id\":\"1-1\",\"kind\":\"sessionFinished\",\"time\":\"2026-06-21T10:00:00.000Z\","
		  "\"site\":\"home\",\"charger\":\"CP1\",\"connectorId\":2,\"session\":{\"transactionId\":7,"
		  "\"idTag\":\"TAG\",\"start\":\"2026-06-21T09:00:00.000Z\",\"stop\":\"2026-06-21T10:00:00."
		  "000Z\","
		  "\"energyWh\":4500,\"cost\":1.2346,\"pvShare\":null,\"stopReason\":null}}");
	cJSON_free(t);
	cJSON_Delete(j);
	struct evhook_event al = { .kind = EVHOOK_SENSOR_OK,
				   .time_ms = 1782036000000LL,
				   .connector = -1,
				   .source = ALARM_SRC_SENSOR,
				   .code = ALARM_CODE_SENSOR_STALE,
				   .info = "x" };
	j = webhook_event_json(&al, "home", "1-2");
	t = cJSON_PrintUnformatted(j);
	CHECK_STR(t,
		  "{\"id\":\"1-2\",\"kind\":\"gridSensorOk\",\"time\":\"2026-06-21T10:00:00.000Z\",\"site\":"
		  "\"home\",\"charger\":null,\"connectorId\":null,\"alarm\":{\"source\":\"gridSensor\","
		  "\"code\":"
		  "\"SensorStale\",\"info\":\"x\",\"active\":false}}");
	cJSON_free(t);
	cJSON_Delete(j);
	return CHECK_DONE();
}
