/* test_cpsim_core.c: unit test of the simulator core without a server: URL
 * parsing, the CALLRESULT shape checks (a simulator that accepts any answer
 * would test nothing), the answers to server CALLs with their CALLERROR
 * codes and state, and the MeterValues formatter.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpsim.h"

static int failures;

#define CHECK(c)                                                                              \
	do {                                                                                  \
		if (!(c)) {                                                                   \
			failures++;                                                           \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); \
		}                                                                             \
	} while (0)

static int shape_ok(const char *action, const char *json)
{
	char err[160];
	cJSON *j = cJSON_Parse(json);
	int r = cpsim_check_result(action, j, err, sizeof(err));

	cJSON_Delete(j);
	return r == 0;
}

static void test_url(void)
{
	struct cpsim_url u;

	CHECK(!cpsim_url_parse("ws://127.0.0.1:8180/ocpp/", &u));
	CHECK(!strcmp(u.host, "127.0.0.1") && u.port == 8180 && !strcmp(u.path, "/ocpp"));
	CHECK(!cpsim_url_parse("ws://localhost", &u) && u.port == 80 && !u.path[0]);
	CHECK(cpsim_url_parse("http://x/", &u) == -EINVAL);
	CHECK(cpsim_url_parse("ws://:80/", &u) == -EINVAL);
	CHECK(cpsim_url_parse("ws://h:0/", &u) == -EINVAL);
	CHECK(cpsim_url_parse("ws://h:99999/", &u) == -EINVAL);
	CHECK(cpsim_url_parse("ws://h:12x/", &u) == -EINVAL);
}

static void test_shapes(void)
{
	CHECK(shape_ok(
		"BootNotification",
		"{\"status\":\"Accepted\",\"currentTime\":\"2024-01-01T00:00:00Z\",\"interval\":300}"));
	CHECK(!shape_ok("BootNotification",
			"{\"status\":\"Accepted\",\"currentTime\":\"2024-01-01T00:00:00Z\"}"));
	CHECK(!shape_ok("BootNotification",
			"{\"status\":\"OK\",\"currentTime\":\"2024-01-01T00:00:00Z\",\"interval\":300}"));
	CHECK(!shape_ok("BootNotification",
			"{\"status\":\"Accepted\",\"currentTime\":\"yesterday\",\"interval\":300}"));
	CHECK(!shape_ok(
		"BootNotification",
		"{\"status\":\"Accepted\",\"currentTime\":\"2024-01-01T00:00:00Z\",\"interval\":1.5}"));
	CHECK(shape_ok("StartTransaction", "{\"transactionId\":5,\"idTagInfo\":{\"status\":\"Accepted\"}}"));
	CHECK(!shape_ok("StartTransaction",
			"{\"transactionId\":\"5\",\"idTagInfo\":{\"status\":\"Accepted\"}}"));
	CHECK(!shape_ok("StartTransaction", "{\"idTagInfo\":{\"status\":\"Accepted\"}}"));
	CHECK(!shape_ok("StartTransaction", "{\"transactionId\":5,\"idTagInfo\":{}}"));
	CHECK(shape_ok("Authorize",
		       "{\"idTagInfo\":{\"status\":\"Blocked\",\"expiryDate\":"
		       "\"2030-01-01T00:00:00.000Z\",\"parentIdTag\":\"P\"}}"));
	CHECK(!shape_ok("Authorize", "{\"idTagInfo\":{\"status\":\"Accepted\",\"expiryDate\":5}}"));
	CHECK(!shape_ok("Authorize", "{\"idTagInfo\":{\"status\":\"Accepted\",\"colour\":\"red\"}}"));
	CHECK(!shape_ok("Authorize",
			"{\"idTagInfo\":{\"status\":\"Accepted\",\"parentIdTag\":"
			"\"123456789012345678901\"}}"));
	CHECK(shape_ok("StopTransaction", "{}"));
	CHECK(shape_ok("StopTransaction", "{\"idTagInfo\":{\"status\":\"Invalid\"}}"));
	CHECK(shape_ok("MeterValues", "{}"));
	CHECK(!shape_ok("MeterValues", "{\"ok\":true}"));
	CHECK(!shape_ok("Heartbeat", "{}"));
	CHECK(!shape_ok("Heartbeat", "[]"));
	CHECK(shape_ok("DataTransfer", "{\"status\":\"UnknownVendorId\"}"));
	CHECK(!shape_ok("DataTransfer", "{\"status\":\"Accepted\",\"data\":5}"));
	CHECK(shape_ok("SomeVendorAction", "{\"anything\":1}"));
	CHECK(!shape_ok("SomeVendorAction", "5"));
}

/* Answer a request; returns the CALLERROR code or NULL, the status in st. */
static const char *ask(struct cpsim_cp *cp, const char *action, const char *req, char *st, cJSON **keep)
{
	cJSON *r = cJSON_Parse(req), *resp = NULL;
	const char *code;

	if (!r) {
		fprintf(stderr, "bad test JSON %s\n", req);
		exit(1);
	}
	code = cpsim_answer(cp, action, r, &resp);
	st[0] = '\0';
	if (resp) {
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(resp, "status");

		if (cJSON_IsString(s))
			snprintf(st, 32, "%s", s->valuestring);
	}
	if (keep)
		*keep = resp;
	else
		cJSON_Delete(resp);
	cJSON_Delete(r);
	return code;
}

static int is(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static void test_answers(void)
{
	struct cpsim_ctx_opts o = { .max_chargers = 1 };
	struct cpsim_ctx *ctx = cpsim_ctx_create(&o);
	struct cpsim_url u;
	struct cpsim_cp *cp;
	struct cpsim_model *m;
	char st[32];
	cJSON *resp;

	CHECK(ctx);
	if (!ctx)
		return;
	cpsim_url_parse("ws://127.0.0.1:9/ocpp", &u);
	cp = cpsim_cp_new(ctx, &u, "T 1", NULL);
	CHECK(cp);
	m = cpsim_cp_model(cp);
	m->connectors = 2;
	m->remote_tx = 1;

	CHECK(is(ask(cp, "FlyToTheMoon", "{}", st, NULL), "NotImplemented"));
	CHECK(is(ask(cp, "RemoteStartTransaction", "{}", st, NULL), "OccurenceConstraintViolation"));
	CHECK(is(ask(cp, "RemoteStartTransaction", "{\"idTag\":5}", st, NULL), "TypeConstraintViolation"));
	CHECK(is(ask(cp, "RemoteStartTransaction", "{\"idTag\":\"123456789012345678901\"}", st, NULL),
		 "PropertyConstraintViolation"));
	CHECK(!ask(cp, "RemoteStartTransaction", "{\"idTag\":\"A\"}", st, NULL) && is(st, "Accepted"));
	CHECK(m->remote_start_connector == 1);
	m->conn[1].busy = 1;
	CHECK(!ask(cp, "RemoteStartTransaction", "{\"idTag\":\"A\",\"connectorId\":1}", st, NULL) &&
	      is(st, "Rejected"));
	CHECK(!ask(cp, "RemoteStartTransaction", "{\"idTag\":\"A\"}", st, NULL) && is(st, "Accepted"));
	CHECK(m->remote_start_connector == 2);
	m->conn[1].busy = 0;
	CHECK(is(ask(cp, "Reset", "{\"type\":\"Warm\"}", st, NULL), "PropertyConstraintViolation"));
	CHECK(!ask(cp, "Reset", "{\"type\":\"Soft\"}", st, NULL) && is(st, "Accepted"));

	/* smart charging: the limit is remembered and reported back */
	CHECK(!ask(cp, "SetChargingProfile",
		   "{\"connectorId\":0,\"csChargingProfiles\":{"
		   "\"chargingProfileId\":3,\"stackLevel\":2,\"chargingProfilePurpose\":"
		   "\"ChargePointMaxProfile\",\"chargingProfileKind\":\"Absolute\",\"chargingSchedule\":"
		   "{\"chargingRateUnit\":\"A\",\"chargingSchedulePeriod\":[{\"startPeriod\":0,"
		   "\"limit\":11.5,\"numberPhases\":1}]}}}",
		   st, NULL) &&
	      is(st, "Accepted"));
	CHECK(m->conn[0].has_limit && m->conn[0].limit == 11.5 && m->conn[0].limit_phases == 1);
	CHECK(!ask(cp, "SetChargingProfile",
		   "{\"connectorId\":1,\"csChargingProfiles\":{"
		   "\"chargingProfileId\":4,\"stackLevel\":0,\"chargingProfilePurpose\":\"TxProfile\","
		   "\"chargingProfileKind\":\"Absolute\",\"chargingSchedule\":{\"chargingRateUnit\":\"A\","
		   "\"chargingSchedulePeriod\":[{\"startPeriod\":0,\"limit\":6}]}}}",
		   st, NULL) &&
	      is(st, "Rejected")); /* no transaction on connector 1 */
	CHECK(is(ask(cp, "SetChargingProfile",
		     "{\"connectorId\":1,\"csChargingProfiles\":{"
		     "\"chargingProfileId\":4,\"stackLevel\":0,\"chargingProfilePurpose\":\"TxProfile\","
		     "\"chargingProfileKind\":\"Absolute\",\"chargingSchedule\":{\"chargingRateUnit\":\"A\","
		     "\"chargingSchedulePeriod\":[{\"startPeriod\":0}]}}}",
		     st, NULL),
		 "OccurenceConstraintViolation"));
	CHECK(!ask(cp, "GetCompositeSchedule", "{\"connectorId\":2,\"duration\":60}", st, &resp) &&
	      is(st, "Accepted"));
	CHECK(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(resp, "chargingSchedule"),
						     "chargingSchedulePeriod"),
				 0) &&
	      cJSON_GetObjectItem(
		      cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(resp, "chargingSchedule"),
							     "chargingSchedulePeriod"),
					 0),
		      "limit")
			      ->valuedouble == 11.5);
	cJSON_Delete(resp);
	CHECK(!ask(cp, "ClearChargingProfile", "{\"id\":99}", st, NULL) && is(st, "Unknown"));
	CHECK(!ask(cp, "ClearChargingProfile", "{\"id\":3}", st, NULL) && is(st, "Accepted"));
	CHECK(!m->conn[0].has_limit);

	/* configuration */
	CHECK(!ask(cp, "ChangeConfiguration", "{\"key\":\"HeartbeatInterval\",\"value\":\"abc\"}", st,
		   NULL) &&
	      is(st, "Rejected"));
	CHECK(!ask(cp, "ChangeConfiguration", "{\"key\":\"HeartbeatInterval\",\"value\":\"60\"}", st, NULL) &&
	      is(st, "Accepted"));
	CHECK(m->heartbeat_interval == 60);
	CHECK(!ask(cp, "ChangeConfiguration", "{\"key\":\"NumberOfConnectors\",\"value\":\"4\"}", st, NULL) &&
	      is(st, "Rejected"));
	CHECK(!ask(cp, "ChangeConfiguration", "{\"key\":\"Nope\",\"value\":\"4\"}", st, NULL) &&
	      is(st, "NotSupported"));
	CHECK(!ask(cp, "GetConfiguration", "{\"key\":[\"HeartbeatInterval\",\"Nope\"]}", st, &resp));
	CHECK(is(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(resp, "configurationKey"), 0),
				     "value")
			 ->valuestring,
		 "60"));
	CHECK(is(cJSON_GetArrayItem(cJSON_GetObjectItem(resp, "unknownKey"), 0)->valuestring, "Nope"));
	cJSON_Delete(resp);
	CHECK(is(ask(cp, "GetConfiguration", "{\"key\":\"HeartbeatInterval\"}", st, NULL),
		 "TypeConstraintViolation"));

	/* reservations, transactions, local list, availability */
	CHECK(!ask(cp, "ReserveNow",
		   "{\"connectorId\":1,\"expiryDate\":\"2030-01-01T00:00:00Z\","
		   "\"idTag\":\"R\",\"reservationId\":9}",
		   st, NULL) &&
	      is(st, "Accepted"));
	CHECK(!ask(cp, "CancelReservation", "{\"reservationId\":8}", st, NULL) && is(st, "Rejected"));
	CHECK(!ask(cp, "CancelReservation", "{\"reservationId\":9}", st, NULL) && is(st, "Accepted"));
	m->conn[2].has_tx = 1;
	m->conn[2].tx_id = 77;
	CHECK(!ask(cp, "RemoteStopTransaction", "{\"transactionId\":76}", st, NULL) && is(st, "Rejected"));
	CHECK(!ask(cp, "RemoteStopTransaction", "{\"transactionId\":77}", st, NULL) && is(st, "Accepted"));
	CHECK(!ask(cp, "ChangeAvailability", "{\"connectorId\":0,\"type\":\"Inoperative\"}", st, NULL) &&
	      is(st, "Scheduled"));
	CHECK(m->conn[1].unavailable);
	CHECK(!ask(cp, "SendLocalList", "{\"listVersion\":3,\"updateType\":\"Full\"}", st, NULL));
	CHECK(!ask(cp, "GetLocalListVersion", "{}", st, &resp) &&
	      cJSON_GetObjectItem(resp, "listVersion")->valueint == 3);
	cJSON_Delete(resp);
	CHECK(is(ask(cp, "SendLocalList",
		     "{\"listVersion\":3,\"updateType\":\"Full\","
		     "\"localAuthorizationList\":[{\"idTagInfo\":{}}]}",
		     st, NULL),
		 "OccurenceConstraintViolation"));
	CHECK(!ask(cp, "UnlockConnector", "{\"connectorId\":3}", st, NULL) && is(st, "NotSupported"));
	CHECK(!ask(cp, "TriggerMessage", "{\"requestedMessage\":\"Heartbeat\"}", st, NULL) &&
	      is(st, "Accepted"));
	CHECK(is(ask(cp, "TriggerMessage", "{\"requestedMessage\":\"Coffee\"}", st, NULL),
		 "PropertyConstraintViolation"));
	CHECK(!ask(cp, "GetLog",
		   "{\"logType\":\"SecurityLog\",\"requestId\":1,\"log\":"
		   "{\"remoteLocation\":\"ftp://x/\"}}",
		   st, NULL) &&
	      is(st, "Accepted"));
	CHECK(is(ask(cp, "GetLog", "{\"logType\":\"SecurityLog\",\"requestId\":1}", st, NULL),
		 "OccurenceConstraintViolation"));
	cpsim_ctx_destroy(ctx);
}

static void test_meter_values(void)
{
	char buf[4096];
	int n = cpsim_format_meter_values(buf, sizeof(buf), 1, 42, 1700000000123456LL, 1234.0, 16.0,
					  CPSIM_MV_LOAD, "Sample.Periodic");
	cJSON *j = cJSON_ParseWithLength(buf, n > 0 ? (size_t)n : 0), *mv, *svs, *sv;
	int count = 0, phases = 0;

	CHECK(n > 0 && j);
	CHECK(cJSON_GetObjectItem(j, "transactionId")->valueint == 42);
	mv = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "meterValue"), 0);
	CHECK(is(cJSON_GetObjectItem(mv, "timestamp")->valuestring, "2023-11-14T22:13:20.123Z"));
	svs = cJSON_GetObjectItem(mv, "sampledValue");
	cJSON_ArrayForEach(sv, svs)
	{
		count++;
		phases += cJSON_GetObjectItem(sv, "phase") != NULL;
		CHECK(cJSON_IsString(cJSON_GetObjectItem(sv, "value")));
	}
	CHECK(count == 15 && phases == 12);
	cJSON_Delete(j);
	n = cpsim_format_meter_values(buf, sizeof(buf), 1, -1, 0, 0, 0, CPSIM_MV_SESSION, "Trigger");
	j = cJSON_ParseWithLength(buf, n > 0 ? (size_t)n : 0);
	CHECK(j && !cJSON_GetObjectItem(j, "transactionId"));
	cJSON_Delete(j);
	CHECK(cpsim_format_meter_values(buf, 100, 1, 1, 0, 0, 0, CPSIM_MV_LOAD, "x") == -ENOSPC);
}

int main(void)
{
	test_url();
	test_shapes();
	test_answers();
	test_meter_values();
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("test_cpsim_core: all checks passed\n");
	return 0;
}
