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

/* A ChargePointMaxProfile of limit (unit "A"/"W"), numberPhases phases (0: none). */
static const char *profile(struct cpsim_cp *cp, double limit, const char *unit, int phases, char *st)
{
	char req[512];

	char ph[32] = "";

	if (phases)
		snprintf(ph, sizeof(ph), ",\"numberPhases\":%d", phases);
	snprintf(req, sizeof(req),
		 "{\"connectorId\":0,\"csChargingProfiles\":{\"chargingProfileId\":9000,\"stackLevel\":0,"
		 "\"chargingProfilePurpose\":\"ChargePointMaxProfile\",\"chargingProfileKind\":\"Absolute\","
		 "\"chargingSchedule\":{\"chargingRateUnit\":\"%s\",\"chargingSchedulePeriod\":[{"
		 "\"startPeriod\":0,\"limit\":%g%s}]}}}",
		 unit, limit, ph);
	return ask(cp, "SetChargingProfile", req, st, NULL);
}

static const char *config_value(struct cpsim_cp *cp, const char *key)
{
	static char val[200];
	char req[128], st[32];
	cJSON *resp = NULL;
	const cJSON *k;

	snprintf(req, sizeof(req), "{\"key\":[\"%s\"]}", key);
	val[0] = 0;
	if (ask(cp, "GetConfiguration", req, st, &resp))
		return NULL;
	k = cJSON_GetArrayItem(cJSON_GetObjectItem(resp, "configurationKey"), 0);
	if (k)
		snprintf(val, sizeof(val), "%s", cJSON_GetObjectItem(k, "value")->valuestring);
	cJSON_Delete(resp);
	return k ? val : NULL;
}

/* A wallbox with a car: what it draws for each profile, after its reaction
 * time, and how it refuses what it cannot take. */
static struct cpsim_cp *wallbox(struct cpsim_ctx *ctx, const char *id, int phases, unsigned units, int dc,
				int ignore, int no_smart)
{
	struct cpsim_url u;
	struct cpsim_cp *cp;
	struct cpsim_wallbox *wb;

	cpsim_url_parse("ws://127.0.0.1:9/ocpp", &u);
	cp = cpsim_cp_new(ctx, &u, id, NULL);
	if (!cp)
		return NULL;
	cpsim_cp_model(cp)->connectors = 1;
	wb = &cpsim_cp_model(cp)->wb;
	wb->on = 1;
	wb->phases = phases;
	wb->units = units;
	wb->dc = dc;
	wb->ignore_phases = ignore;
	wb->no_smart = no_smart;
	wb->car_max_a = dc ? 125 : 16;
	wb->max_a = dc ? 125 : 32;
	wb->react_ms = 1000;
	cpsim_cp_model(cp)->conn[1].has_tx = 1;
	cpsim_cp_model(cp)->conn[1].tx_id = 7;
	cpsim_wallbox_update(cp, 1, 1000000000); /* the car is plugged in at t */
	return cp;
}

static double draw(struct cpsim_cp *cp, int64_t t_us, int *phases)
{
	cpsim_wallbox_update(cp, 1, t_us);
	*phases = cpsim_cp_model(cp)->conn[1].draw_phases;
	return cpsim_cp_model(cp)->conn[1].draw_a;
}

static void test_wallbox(void)
{
	struct cpsim_ctx_opts o = { .max_chargers = 8 };
	struct cpsim_ctx *ctx = cpsim_ctx_create(&o);
	struct cpsim_cp *ac, *one, *ign, *wonly, *dc, *dumb;
	char st[32], buf[4096];
	int ph = -1, n;
	int64_t t = 1000000000;

	CHECK(ctx);
	if (!ctx)
		return;
	ac = wallbox(ctx, "AC", 3, CPSIM_UNIT_A | CPSIM_UNIT_W, 0, 0, 0);
	one = wallbox(ctx, "ONE", 1, CPSIM_UNIT_A, 0, 0, 0);
	ign = wallbox(ctx, "IGN", 3, CPSIM_UNIT_A, 0, 1, 0);
	wonly = wallbox(ctx, "W", 3, CPSIM_UNIT_W, 0, 0, 0);
	dc = wallbox(ctx, "DC", 3, CPSIM_UNIT_A | CPSIM_UNIT_W, 1, 0, 0);
	dumb = wallbox(ctx, "DUMB", 3, CPSIM_UNIT_A | CPSIM_UNIT_W, 0, 0, 1);
	CHECK(ac && one && ign && wonly && dc && dumb);
	if (!ac || !one || !ign || !wonly || !dc || !dumb)
		goto out;

	/* no profile: the car's maximum on the wired phases, after its reaction */
	CHECK(draw(ac, t, &ph) == 0);
	CHECK(draw(ac, t + 999000, &ph) == 0);
	CHECK(draw(ac, t + 1000000, &ph) == 16 && ph == 3);
	/* 10 A on one phase: follows after the reaction time, not before */
	CHECK(!profile(ac, 10, "A", 1, st) && is(st, "Accepted"));
	CHECK(draw(ac, t + 1500000, &ph) == 16 && ph == 3);
	CHECK(draw(ac, t + 2500000, &ph) == 10 && ph == 1);
	/* a W limit over the phases in force: 6900 W on 3 phases = 10 A */
	CHECK(!profile(ac, 6900, "W", 3, st) && is(st, "Accepted"));
	draw(ac, t + 2600000, &ph);
	CHECK(draw(ac, t + 4000000, &ph) == 10 && ph == 3);
	/* below 6 A an AC car stops, at once */
	CHECK(!profile(ac, 5, "A", 3, st) && is(st, "Accepted"));
	CHECK(draw(ac, t + 4000001, &ph) == 0);

	/* wired on one phase: numberPhases 3 cannot add phases */
	CHECK(!profile(one, 13, "A", 3, st) && is(st, "Accepted"));
	draw(one, t + 500000, &ph);
	CHECK(draw(one, t + 2000000, &ph) == 13 && ph == 1);
	CHECK(is(config_value(one, "ConnectorPhaseRotation"), "1.NotApplicable"));
	CHECK(is(config_value(one, "ChargingScheduleAllowedChargingRateUnit"), "Current"));
	CHECK(is(config_value(ac, "ConnectorPhaseRotation"), "1.RST"));
	CHECK(is(config_value(ac, "ConnectorSwitch3to1PhaseSupported"), "true"));

	/* ignores numberPhases: 1 phase asked, 3 drawn */
	CHECK(!profile(ign, 10, "A", 1, st) && is(st, "Accepted"));
	draw(ign, t + 500000, &ph);
	CHECK(draw(ign, t + 2000000, &ph) == 10 && ph == 3);
	CHECK(is(config_value(ign, "ConnectorSwitch3to1PhaseSupported"), "false"));

	/* W only: an A profile is Rejected and changes nothing */
	CHECK(!profile(wonly, 6, "A", 3, st) && is(st, "Rejected"));
	CHECK(draw(wonly, t + 2000000, &ph) == 16);
	CHECK(!profile(wonly, 4140, "W", 3, st) && is(st, "Accepted"));
	draw(wonly, t + 2500000, &ph);
	CHECK(draw(wonly, t + 4000000, &ph) == 6 && ph == 3);
	CHECK(is(config_value(wonly, "ChargingScheduleAllowedChargingRateUnit"), "Power"));

	/* DC: 16 A is DC current (6.4 kW); 50 kW is 125 A */
	CHECK(!profile(dc, 16, "A", 3, st) && is(st, "Accepted"));
	draw(dc, t + 500000, &ph);
	CHECK(draw(dc, t + 2000000, &ph) == 16);
	CHECK(!profile(dc, 20000, "W", 0, st) && is(st, "Accepted"));
	draw(dc, t + 2500000, &ph);
	CHECK(draw(dc, t + 4000000, &ph) == 50);
	n = cpsim_wallbox_meter_values(dc, 1, buf, sizeof(buf), 0, "Sample.Periodic");
	CHECK(n > 0 && strstr(buf, "\"value\":\"20000\"") && !strstr(buf, "\"phase\""));
	CHECK(is(config_value(dc, "ConnectorPhaseRotation"), "1.NotApplicable"));

	/* no SmartCharging: NotSupported, and not among its profiles */
	CHECK(is(profile(dumb, 10, "A", 3, st), "NotSupported"));
	CHECK(is(ask(dumb, "ClearChargingProfile", "{}", st, NULL), "NotSupported"));
	CHECK(!strstr(config_value(dumb, "SupportedFeatureProfiles"), "SmartCharging"));
	CHECK(strstr(config_value(ac, "SupportedFeatureProfiles"), "SmartCharging") != NULL);
	CHECK(cpsim_cp_model(dumb)->wb.not_supported == 1);

	/* MeterValues: per-phase current of what it draws; energy integrated */
	n = cpsim_wallbox_meter_values(one, 1, buf, sizeof(buf), 0, "Sample.Periodic");
	CHECK(n > 0 &&
	      strstr(buf,
		     "\"value\":\"13.0\",\"context\":\"Sample.Periodic\",\"format\":\"Raw\","
		     "\"measurand\":\"Current.Import\",\"phase\":\"L1\""));
	CHECK(strstr(buf,
		     "\"value\":\"0.0\",\"context\":\"Sample.Periodic\",\"format\":\"Raw\","
		     "\"measurand\":\"Current.Import\",\"phase\":\"L2\""));
	{
		double e0 = cpsim_cp_model(one)->conn[1].energy_wh;

		cpsim_wallbox_update(one, 1, t + 2000000 + 3600000000LL);
		e0 = cpsim_cp_model(one)->conn[1].energy_wh - e0;
		CHECK(e0 > 13 * 230 - 1 && e0 < 13 * 230 + 1); /* 13 A x 230 V for an hour */
	}
	/* no transaction: nothing drawn */
	cpsim_cp_model(one)->conn[1].has_tx = 0;
	CHECK(draw(one, t + 3600000000LL + 3000000, &ph) == 0);
	CHECK(cpsim_wallbox_meter_values(one, 1, buf, 100, 0, "x") == -ENOSPC);
out:
	cpsim_ctx_destroy(ctx);
}

int main(void)
{
	test_url();
	test_shapes();
	test_answers();
	test_meter_values();
	test_wallbox();
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("test_cpsim_core: all checks passed\n");
	return 0;
}
