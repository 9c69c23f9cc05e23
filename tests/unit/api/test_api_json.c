/* test_api_json.c: the admin API's JSON of the store's rows (api_json.c),
 * pinned byte for byte: field names and order, null versus absent, times
 * with milliseconds, JSON kept as text parsed back (null, or [] for sampled
 * values, when it does not parse), a charger's connectors, a tag's chargers
 * and a transaction's meter values. Any store backend must give these. */
#include "api_json.h"
#include "store.h"
#include "check.h"
#include "test_db.h"

#include <stdlib.h>
#include <unistd.h>

#define T0 1767225600000 /* 2026-01-01T00:00:00Z */

static void check_json(cJSON *j, const char *want)
{
	char *text = j ? cJSON_PrintUnformatted(j) : NULL;
	CHECK_STR(text, want);
	free(text);
	cJSON_Delete(j);
}

static void chargers(struct store *st)
{
	enum store_registration reg;
	cJSON *boot = cJSON_Parse(
		"{\"chargePointVendor\":\"V\",\"chargePointModel\":\"M\",\"firmwareVersion\":\"1.2\","
		"\"chargePointSerialNumber\":\"S1\",\"meterType\":\"EM\"}");
	CHECK(store_charger_boot(st, "CP1", boot, T0, REG_ACCEPTED, &reg) == 0);
	cJSON_Delete(boot);
	CHECK(store_charger_set_settings(st, "CP1", "{\"phases\":1}", NULL) == 0);
	CHECK(store_charger_set_field(st, "CP1", "firmware_status", "Installed") == 0);
	CHECK(store_charger_create(st, "CP0", REG_PENDING, T0) == 0); /* never seen */
	cJSON *sn = cJSON_Parse(
		"{\"connectorId\":1,\"errorCode\":\"NoError\",\"status\":\"Available\",\"info\":\"ok\","
		"\"timestamp\":\"2026-01-01T00:00:00Z\"}");
	CHECK(store_connector_status(st, "CP1", 1, sn, T0) == 0);
	cJSON_Delete(sn);
	CHECK(store_availability_set(st, "CP1", 1, "Inoperative", "Scheduled", T0 + 1000) == 0);
	check_json(
		api_json_chargers(st, NULL),
		"[{\"id\":\"CP0\",\"registration\":\"pending\",\"vendor\":null,\"model\":null,"
		"\"firmware\":null,\"serial\":null,\"lastSeen\":null,\"settings\":{},\"firmwareStatus\":null,"
		"\"diagnosticsStatus\":null,\"meterType\":null,\"meterSerial\":null,\"connectors\":[]},"
		"{\"id\":\"CP1\",\"registration\":\"accepted\",\"vendor\":\"V\",\"model\":\"M\","
		"\"firmware\":\"1.2\",\"serial\":\"S1\",\"lastSeen\":\"2026-01-01T00:00:00.000Z\","
		"\"settings\":{\"phases\":1},\"firmwareStatus\":\"Installed\",\"diagnosticsStatus\":null,"
		"\"meterType\":\"EM\",\"meterSerial\":null,\"connectors\":[{\"connectorId\":1,"
		"\"status\":\"Available\",\"errorCode\":\"NoError\",\"info\":\"ok\",\"vendorId\":null,"
		"\"vendorErrorCode\":null,\"timestamp\":\"2026-01-01T00:00:00Z\"}]}]");
	check_json(api_json_chargers(st, "CP1"),
		   "{\"id\":\"CP1\",\"registration\":\"accepted\",\"vendor\":\"V\",\"model\":\"M\","
		   "\"firmware\":\"1.2\",\"serial\":\"S1\",\"lastSeen\":\"2026-01-01T00:00:00.000Z\","
		   "\"settings\":{\"phases\":1},\"firmwareStatus\":\"Installed\",\"diagnosticsStatus\":null,"
		   "\"meterType\":\"EM\",\"meterSerial\":null,\"connectors\":[{\"connectorId\":1,"
		   "\"status\":\"Available\",\"errorCode\":\"NoError\",\"info\":\"ok\",\"vendorId\":null,"
		   "\"vendorErrorCode\":null,\"timestamp\":\"2026-01-01T00:00:00Z\"}]}");
	CHECK(api_json_chargers(st, "NOPE") == NULL);
	check_json(api_json_availability(st, "CP1"),
		   "[{\"connectorId\":1,\"type\":\"Inoperative\",\"status\":\"Scheduled\","
		   "\"changed\":\"2026-01-01T00:00:01.000Z\"}]");
}

static void idtags(struct store *st)
{
	struct store_idtag t = { "T1", "Accepted", T0 + 500, "P", 2, 0 }, p = { "P", "Blocked", 0, "", 0, 0 };
	cJSON *ch = cJSON_Parse("[\"CP2\",\"CP1\"]");
	CHECK(store_idtag_put(st, &t, ch) == 0);
	CHECK(store_idtag_put(st, &p, NULL) == 0);
	cJSON_Delete(ch);
	check_json(
		api_json_idtags(st, NULL),
		"[{\"idTag\":\"P\",\"status\":\"Blocked\",\"expiryDate\":null,\"parentIdTag\":null,"
		"\"maxActiveTransactions\":null,\"chargers\":[]},{\"idTag\":\"T1\",\"status\":\"Accepted\","
		"\"expiryDate\":\"2026-01-01T00:00:00.500Z\",\"parentIdTag\":\"P\","
		"\"maxActiveTransactions\":2,\"chargers\":[\"CP1\",\"CP2\"]}]");
	check_json(api_json_idtags(st, "T1"),
		   "{\"idTag\":\"T1\",\"status\":\"Accepted\",\"expiryDate\":\"2026-01-01T00:00:00.500Z\","
		   "\"parentIdTag\":\"P\",\"maxActiveTransactions\":2,\"chargers\":[\"CP1\",\"CP2\"]}");
	CHECK(api_json_idtags(st, "NOPE") == NULL);
}

static void transactions(struct store *st)
{
	struct store_tx_start a = { "CP1", 1, "T1", 100, "2026-01-01T00:00:00Z", T0, -1, "Accepted" };
	struct store_tx_start b = { "CP1", 2, "P", 5, "2026-01-01T00:10:00Z", T0 + 600000, 3, "Blocked" };
	int64_t ia, ib;
	int retry;
	CHECK(store_tx_start(st, &a, &ia, &retry) == 0 && ia == 1);
	CHECK(store_tx_start(st, &b, &ib, &retry) == 0 && ib == 2);
	CHECK(store_meter_value(st, "CP1", 1, ia, "2026-01-01T00:05:00Z", 1, "[{\"value\":\"150\"}]",
				"MeterValues") == 0);
	CHECK(store_meter_value(st, "CP1", 1, ia, "2026-01-01T00:06:00Z", 1, "not json", "StopTransaction") ==
	      0);
	struct store_tx_stop sa = { "CP1", ia, NULL, 1100, "2026-01-01T01:00:00Z", T0 + 3600000, NULL };
	enum store_stop_outcome out;
	CHECK(store_tx_stop(st, &sa, &out) == 0 && out == STOP_OK);
	check_json(
		api_json_transactions(st, NULL),
		"[{\"id\":1,\"charger\":\"CP1\",\"connectorId\":1,\"idTag\":\"T1\","
		"\"start\":\"2026-01-01T00:00:00Z\",\"stop\":\"2026-01-01T01:00:00Z\",\"meterStart\":100,"
		"\"meterStop\":1100,\"energyWh\":1000,\"stopReason\":\"Local\",\"authStatus\":\"Accepted\","
		"\"stoppedBy\":\"charger\",\"cost\":null,\"pvShare\":null},{\"id\":2,\"charger\":\"CP1\","
		"\"connectorId\":2,\"idTag\":\"P\","
		"\"start\":\"2026-01-01T00:10:00Z\",\"stop\":null,\"meterStart\":5,\"meterStop\":null,"
		"\"energyWh\":null,\"stopReason\":null,\"authStatus\":\"Blocked\",\"reservationId\":3,"
		"\"stoppedBy\":null,\"cost\":null,\"pvShare\":null}]");
	check_json(
		api_json_transaction(st, ia),
		"{\"id\":1,\"charger\":\"CP1\",\"connectorId\":1,\"idTag\":\"T1\","
		"\"start\":\"2026-01-01T00:00:00Z\",\"stop\":\"2026-01-01T01:00:00Z\",\"meterStart\":100,"
		"\"meterStop\":1100,\"energyWh\":1000,\"stopReason\":\"Local\",\"authStatus\":\"Accepted\","
		"\"stoppedBy\":\"charger\",\"cost\":null,\"pvShare\":null,\"meterValues\":[{\"timestamp\":"
		"\"2026-01-01T00:05:00Z\","
		"\"source\":\"MeterValues\",\"sampledValue\":[{\"value\":\"150\"}],\"connectorId\":1},"
		"{\"timestamp\":\"2026-01-01T00:06:00Z\",\"source\":\"StopTransaction\",\"sampledValue\":[],"
		"\"connectorId\":1}]}");
	check_json(api_json_transaction(st, ib),
		   "{\"id\":2,\"charger\":\"CP1\",\"connectorId\":2,\"idTag\":\"P\","
		   "\"start\":\"2026-01-01T00:10:00Z\",\"stop\":null,\"meterStart\":5,\"meterStop\":null,"
		   "\"energyWh\":null,\"stopReason\":null,\"authStatus\":\"Blocked\",\"reservationId\":3,"
		   "\"stoppedBy\":null,\"cost\":null,\"pvShare\":null,\"meterValues\":[]}");
	CHECK(store_tx_admin_stop(st, ib, 7, T0 + 3700000, "2026-01-01T01:01:40.000Z", "Other") == 0);
	check_json(
		api_json_transaction(st, ib),
		"{\"id\":2,\"charger\":\"CP1\",\"connectorId\":2,\"idTag\":\"P\","
		"\"start\":\"2026-01-01T00:10:00Z\",\"stop\":\"2026-01-01T01:01:40.000Z\",\"meterStart\":5,"
		"\"meterStop\":7,\"energyWh\":2,\"stopReason\":\"Other\",\"authStatus\":\"Blocked\","
		"\"reservationId\":3,\"stoppedBy\":\"admin\",\"cost\":null,\"pvShare\":null,\"meterValues\":["
		"]}");
	CHECK(api_json_transaction(st, 999) == NULL);
}

static void records(struct store *st)
{
	CHECK(store_event(st, "CP1", "FirmwareStatusNotification", "{\"status\":\"Downloading\"}", T0) == 0);
	CHECK(store_event(st, "CP1", "DiagnosticsStatusNotification", "{bad", T0 + 1000) == 0);
	CHECK(store_event(st, "CP1", "Heartbeat", "{}", T0 + 2000) == 0); /* not firmware history */
	check_json(api_json_firmware_history(st, "CP1", 0),
		   "[{\"action\":\"DiagnosticsStatusNotification\",\"received\":\"2026-01-01T00:00:01.000Z\","
		   "\"payload\":null},{\"action\":\"FirmwareStatusNotification\","
		   "\"received\":\"2026-01-01T00:00:00.000Z\",\"payload\":{\"status\":\"Downloading\"}}]");
	struct store_audit au = { "CP1",
				  "Reset",
				  "cs-1",
				  "admin",
				  T0,
				  T0 + 10,
				  T0 + 20,
				  10,
				  "{\"type\":\"Soft\"}",
				  "result",
				  "{\"status\":\"Accepted\"}",
				  NULL,
				  NULL };
	struct store_audit ae = { "CP1", "ClearCache", NULL, "csms",         T0,  0, T0 + 30000, -1,
				  "{}",  "error",      NULL, "NotSupported", NULL };
	CHECK(store_audit_add(st, &au) == 0);
	CHECK(store_audit_add(st, &ae) == 0);
	check_json(api_json_audit(st, NULL, NULL, 0),
		   "[{\"id\":2,\"charger\":\"CP1\",\"action\":\"ClearCache\",\"messageId\":null,"
		   "\"source\":\"csms\",\"queued\":\"2026-01-01T00:00:00.000Z\",\"sent\":null,"
		   "\"answered\":\"2026-01-01T00:00:30.000Z\",\"latencyMs\":null,\"request\":{},"
		   "\"outcome\":\"error\",\"result\":null,\"error\":{\"code\":\"NotSupported\","
		   "\"description\":null}},{\"id\":1,\"charger\":\"CP1\",\"action\":\"Reset\","
		   "\"messageId\":\"cs-1\",\"source\":\"admin\",\"queued\":\"2026-01-01T00:00:00.000Z\","
		   "\"sent\":\"2026-01-01T00:00:00.010Z\",\"answered\":\"2026-01-01T00:00:00.020Z\","
		   "\"latencyMs\":10,\"request\":{\"type\":\"Soft\"},\"outcome\":\"result\","
		   "\"result\":{\"status\":\"Accepted\"},\"error\":null}]");
	CHECK(store_config_key_set(st, "CP1", "A", "1", 1, 1, NULL, NULL, T0) == 0);
	CHECK(store_config_key_set(st, "CP1", "B", NULL, 0, -1, "Rejected", "2", T0) == 0);
	check_json(
		api_json_config(st, "CP1"),
		"[{\"key\":\"A\",\"value\":\"1\",\"readonly\":true,\"status\":null,\"requestedValue\":null,"
		"\"updated\":\"2026-01-01T00:00:00.000Z\"},{\"key\":\"B\",\"value\":null,\"readonly\":null,"
		"\"status\":\"Rejected\",\"requestedValue\":\"2\",\"updated\":\"2026-01-01T00:00:00.000Z\"}"
		"]");
	struct store_reservation r1 = { "CP1", 11, 1, "T1", "P", T0 + 3600000 };
	struct store_reservation r2 = { "CP1", 12, 0, "T1", NULL, T0 + 3600000 };
	CHECK(store_reservation_add(st, &r1, T0) == 0);
	CHECK(store_reservation_add(st, &r2, T0 + 1000) == 0);
	CHECK(store_reservation_use(st, "CP1", 1, 11, "T1", 1, T0 + 2000) == 0);
	check_json(api_json_reservations(st, NULL, -1, 0),
		   "[{\"charger\":\"CP1\",\"reservationId\":12,\"connectorId\":0,\"idTag\":\"T1\","
		   "\"parentIdTag\":null,\"expiryDate\":\"2026-01-01T01:00:00.000Z\",\"status\":\"Reserved\","
		   "\"created\":\"2026-01-01T00:00:01.000Z\",\"ended\":null,\"transactionId\":null},"
		   "{\"charger\":\"CP1\",\"reservationId\":11,\"connectorId\":1,\"idTag\":\"T1\","
		   "\"parentIdTag\":\"P\",\"expiryDate\":\"2026-01-01T01:00:00.000Z\",\"status\":\"Used\","
		   "\"created\":\"2026-01-01T00:00:00.000Z\",\"ended\":\"2026-01-01T00:00:02.000Z\","
		   "\"transactionId\":1}]");
	cJSON *p5 = cJSON_Parse(
		"{\"chargingProfileId\":5,\"stackLevel\":1,\"chargingProfilePurpose\":\"TxDefaultProfile\"}");
	cJSON *p7 = cJSON_Parse(
		"{\"chargingProfileId\":7,\"stackLevel\":2,\"chargingProfilePurpose\":\"TxProfile\","
		"\"transactionId\":3}");
	CHECK(store_profile_put(st, "CP1", 1, p7, T0) == 0);
	CHECK(store_profile_put(st, "CP1", 0, p5, T0 + 1000) == 0);
	cJSON_Delete(p5);
	cJSON_Delete(p7);
	check_json(
		api_json_profiles(st, "CP1"),
		"[{\"connectorId\":0,\"chargingProfileId\":5,\"chargingProfilePurpose\":\"TxDefaultProfile\","
		"\"stackLevel\":1,\"transactionId\":null,\"csChargingProfiles\":{\"chargingProfileId\":5,"
		"\"stackLevel\":1,\"chargingProfilePurpose\":\"TxDefaultProfile\"},"
		"\"installed\":\"2026-01-01T00:00:01.000Z\"},{\"connectorId\":1,\"chargingProfileId\":7,"
		"\"chargingProfilePurpose\":\"TxProfile\",\"stackLevel\":2,\"transactionId\":3,"
		"\"csChargingProfiles\":{\"chargingProfileId\":7,\"stackLevel\":2,"
		"\"chargingProfilePurpose\":\"TxProfile\",\"transactionId\":3},"
		"\"installed\":\"2026-01-01T00:00:00.000Z\"}]");
	struct store_alarm al = { "statusNotification", "CP1", 2, "GroundFailure", "leak", NULL, "E1" };
	struct store_alarm off = { "offline", "CP1", STORE_NO_CONNECTOR, "Offline", NULL, NULL, NULL };
	CHECK(store_alarm_raise(st, &al, T0) == 0);
	CHECK(store_alarm_raise(st, &off, T0 + 1000) == 0);
	CHECK(store_alarm_clear(st, "offline", "CP1", STORE_NO_CONNECTOR, NULL, T0 + 2000) == 1);
	check_json(
		api_json_alarms(st, 0, NULL, 0),
		"[{\"id\":2,\"source\":\"offline\",\"charger\":\"CP1\",\"connectorId\":null,"
		"\"code\":\"Offline\",\"info\":null,\"vendorId\":null,\"vendorErrorCode\":null,"
		"\"raised\":\"2026-01-01T00:00:01.000Z\",\"cleared\":\"2026-01-01T00:00:02.000Z\"},{\"id\":1,"
		"\"source\":\"statusNotification\",\"charger\":\"CP1\",\"connectorId\":2,"
		"\"code\":\"GroundFailure\",\"info\":\"leak\",\"vendorId\":null,\"vendorErrorCode\":\"E1\","
		"\"raised\":\"2026-01-01T00:00:00.000Z\",\"cleared\":null}]");
}

int main(void)
{
	char path[] = "/tmp/csms-test-apijson-XXXXXX";
	struct store *st = test_db_open(path);
	CHECK(st != NULL);
	if (!st)
		return CHECK_DONE();
	chargers(st);
	idtags(st);
	transactions(st);
	records(st);
	store_close(st);
	unlink(path);
	return CHECK_DONE();
}
