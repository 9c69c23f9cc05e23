/* test_schema.c: the embedded OCPP 1.6 schemas compile, valid payloads of the
 * main actions pass, and each schema_result category (and the `why` path) is
 * produced by a payload that deserves it. Data-driven: one row per case. */
#include "schema.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;

#define CHECK(cond, ...)                                                                \
	do {                                                                            \
		if (cond) {                                                             \
			passed++;                                                       \
		} else {                                                                \
			failed++;                                                       \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                   \
			fputc('\n', stderr);                                            \
		}                                                                       \
	} while (0)

/* ------------------------------------------------------------ the action set */

static const struct {
	const char *action;
	schema_dir dir;
} expected_actions[] = {
	/* Core, CP -> CS */
	{ "Authorize", SCHEMA_DIR_CP_TO_CS },
	{ "BootNotification", SCHEMA_DIR_CP_TO_CS },
	{ "Heartbeat", SCHEMA_DIR_CP_TO_CS },
	{ "MeterValues", SCHEMA_DIR_CP_TO_CS },
	{ "StartTransaction", SCHEMA_DIR_CP_TO_CS },
	{ "StatusNotification", SCHEMA_DIR_CP_TO_CS },
	{ "StopTransaction", SCHEMA_DIR_CP_TO_CS },
	{ "DataTransfer", SCHEMA_DIR_BOTH },
	/* Core, CS -> CP */
	{ "ChangeAvailability", SCHEMA_DIR_CS_TO_CP },
	{ "ChangeConfiguration", SCHEMA_DIR_CS_TO_CP },
	{ "ClearCache", SCHEMA_DIR_CS_TO_CP },
	{ "GetConfiguration", SCHEMA_DIR_CS_TO_CP },
	{ "RemoteStartTransaction", SCHEMA_DIR_CS_TO_CP },
	{ "RemoteStopTransaction", SCHEMA_DIR_CS_TO_CP },
	{ "Reset", SCHEMA_DIR_CS_TO_CP },
	{ "UnlockConnector", SCHEMA_DIR_CS_TO_CP },
	/* FirmwareManagement */
	{ "DiagnosticsStatusNotification", SCHEMA_DIR_CP_TO_CS },
	{ "FirmwareStatusNotification", SCHEMA_DIR_CP_TO_CS },
	{ "GetDiagnostics", SCHEMA_DIR_CS_TO_CP },
	{ "UpdateFirmware", SCHEMA_DIR_CS_TO_CP },
	/* LocalAuthListManagement */
	{ "GetLocalListVersion", SCHEMA_DIR_CS_TO_CP },
	{ "SendLocalList", SCHEMA_DIR_CS_TO_CP },
	/* Reservation */
	{ "CancelReservation", SCHEMA_DIR_CS_TO_CP },
	{ "ReserveNow", SCHEMA_DIR_CS_TO_CP },
	/* SmartCharging */
	{ "ClearChargingProfile", SCHEMA_DIR_CS_TO_CP },
	{ "GetCompositeSchedule", SCHEMA_DIR_CS_TO_CP },
	{ "SetChargingProfile", SCHEMA_DIR_CS_TO_CP },
	/* RemoteTrigger */
	{ "TriggerMessage", SCHEMA_DIR_CS_TO_CP },
	/* security extension */
	{ "SecurityEventNotification", SCHEMA_DIR_CP_TO_CS },
	{ "SignCertificate", SCHEMA_DIR_CP_TO_CS },
	{ "SignedFirmwareStatusNotification", SCHEMA_DIR_CP_TO_CS },
	{ "LogStatusNotification", SCHEMA_DIR_CP_TO_CS },
	{ "CertificateSigned", SCHEMA_DIR_CS_TO_CP },
	{ "DeleteCertificate", SCHEMA_DIR_CS_TO_CP },
	{ "ExtendedTriggerMessage", SCHEMA_DIR_CS_TO_CP },
	{ "GetInstalledCertificateIds", SCHEMA_DIR_CS_TO_CP },
	{ "GetLog", SCHEMA_DIR_CS_TO_CP },
	{ "InstallCertificate", SCHEMA_DIR_CS_TO_CP },
	{ "SignedUpdateFirmware", SCHEMA_DIR_CS_TO_CP },
};
#define N_EXPECTED (sizeof expected_actions / sizeof expected_actions[0])

static void test_action_set(void)
{
	CHECK(N_EXPECTED == 39, "28 feature-profile actions + 11 security = %zu", N_EXPECTED);
	CHECK(schema_count() == N_EXPECTED, "schema_count %zu", schema_count());
	for (size_t i = 0; i < N_EXPECTED; i++) {
		const char *a = expected_actions[i].action;
		CHECK(schema_get(a, 0) != NULL, "%s request", a);
		CHECK(schema_get(a, 1) != NULL, "%s response", a);
		CHECK(schema_get(a, 0) != schema_get(a, 1), "%s req != resp", a);
		CHECK(schema_action_dir(a) == expected_actions[i].dir, "%s direction %d", a,
		      schema_action_dir(a));
		CHECK(schema_action_profile(a) != NULL, "%s profile", a);
	}
	for (size_t i = 0; i + 1 < schema_count(); i++)
		CHECK(strcmp(schema_action(i), schema_action(i + 1)) < 0, "sorted at %zu: %s", i,
		      schema_action(i));
	CHECK(schema_action(schema_count()) == NULL, "past the end");
	CHECK(schema_get("NoSuchAction", 0) == NULL, "unknown action");
	CHECK(schema_get("BootNotificationResponse", 0) == NULL, "file name is not an action");
	CHECK(schema_get(NULL, 0) == NULL, "NULL action");
	CHECK(schema_action_dir("Nope") == SCHEMA_DIR_UNKNOWN, "unknown direction");
	CHECK(strcmp(schema_action_profile("ReserveNow"), "Reservation") == 0, "profile");
	CHECK(strcmp(schema_action_profile("GetLog"), "Security") == 0, "profile");
	CHECK(schema_init() == 0 && schema_count() == N_EXPECTED, "second init is a no-op");
}

/* Every .json file in the source tree is embedded, byte for byte. */
static void test_embedded_match_files(void)
{
	DIR *d = opendir(SCHEMA_DIR);
	struct dirent *de;
	size_t files = 0;
	CHECK(d != NULL, "opendir %s", SCHEMA_DIR);
	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name), i;
		if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		files++;
		for (i = 0; i < schema_sources_count; i++)
			if (strcmp(schema_sources[i].file, de->d_name) == 0)
				break;
		CHECK(i < schema_sources_count, "%s embedded", de->d_name);
		if (i == schema_sources_count)
			continue;
		char path[512];
		snprintf(path, sizeof path, "%s/%s", SCHEMA_DIR, de->d_name);
		FILE *f = fopen(path, "rb");
		char *buf = malloc(schema_sources[i].len + 1);
		size_t got = (f && buf) ? fread(buf, 1, schema_sources[i].len + 1, f) : 0;
		CHECK(got == schema_sources[i].len && memcmp(buf, schema_sources[i].text, got) == 0,
		      "%s same bytes", path);
		free(buf);
		if (f)
			fclose(f);
	}
	closedir(d);
	CHECK(files == 78 && schema_sources_count == 78, "78 files (%zu on disk, %zu embedded)", files,
	      schema_sources_count);
}

/* ---------------------------------------------------------- payload cases */

struct vcase {
	const char *action;
	int is_response;
	const char *json;
	schema_result want;
	const char *why; /* exact expected text, or NULL: not checked */
};

static const struct vcase cases[] = {
	/* ---- valid */
	{ "BootNotification", 0,
	  "{\"chargePointVendor\":\"VendorX\",\"chargePointModel\":\"Model-1\",\"chargePointSerialNumber\":"
	  "\"SN1\","
	  "\"chargeBoxSerialNumber\":\"CB1\",\"firmwareVersion\":\"1.2.3\",\"iccid\":\"8988\",\"imsi\":"
	  "\"2620\","
	  "\"meterType\":\"DZG\",\"meterSerialNumber\":\"M77\"}",
	  SCHEMA_OK, "" },
	{ "BootNotification", 1,
	  "{\"status\":\"Accepted\",\"currentTime\":\"2024-05-01T10:00:00.123Z\",\"interval\":300}",
	  SCHEMA_OK, "" },
	{ "Heartbeat", 0, "{}", SCHEMA_OK, "" },
	{ "Heartbeat", 1, "{\"currentTime\":\"2024-02-29T23:59:60+01:00\"}", SCHEMA_OK, "" },
	{ "Authorize", 1,
	  "{\"idTagInfo\":{\"status\":\"ConcurrentTx\",\"expiryDate\":\"2030-01-01T00:00:00Z\","
	  "\"parentIdTag\":\"GROUP\"}}",
	  SCHEMA_OK, "" },
	{ "StatusNotification", 0,
	  "{\"connectorId\":0,\"errorCode\":\"OtherError\",\"info\":\"door open\",\"status\":\"Faulted\","
	  "\"timestamp\":\"2024-05-01T10:00:00Z\",\"vendorId\":\"com.vendor\",\"vendorErrorCode\":\"E42\"}",
	  SCHEMA_OK, "" },
	{ "StartTransaction", 0,
	  "{\"connectorId\":2,\"idTag\":\"04A2B3C4D5E6F7\",\"meterStart\":123456,\"reservationId\":7,"
	  "\"timestamp\":\"2024-05-01T10:00:00.5-05:30\"}",
	  SCHEMA_OK, "" },
	{ "StartTransaction", 1, "{\"idTagInfo\":{\"status\":\"Accepted\"},\"transactionId\":5}", SCHEMA_OK,
	  "" },
	{ "StopTransaction", 0,
	  "{\"idTag\":\"04A2B3C4D5E6F7\",\"meterStop\":130000,\"timestamp\":\"2024-05-01T11:00:00Z\","
	  "\"transactionId\":5,"
	  "\"reason\":\"EVDisconnected\",\"transactionData\":[{\"timestamp\":\"2024-05-01T10:00:00Z\","
	  "\"sampledValue\":"
	  "[{\"value\":\"123456\",\"context\":\"Transaction.Begin\",\"measurand\":\"Energy.Active.Import."
	  "Register\","
	  "\"unit\":\"Wh\"}]},{\"timestamp\":\"2024-05-01T11:00:00Z\",\"sampledValue\":[{\"value\":"
	  "\"130000\","
	  "\"context\":\"Transaction.End\",\"format\":\"Raw\",\"measurand\":\"Energy.Active.Import."
	  "Register\","
	  "\"location\":\"Outlet\",\"unit\":\"Wh\"}]}]}",
	  SCHEMA_OK, "" },
	{ "MeterValues", 0,
	  "{\"connectorId\":1,\"transactionId\":5,\"meterValue\":[{\"timestamp\":\"2024-05-01T10:15:00Z\","
	  "\"sampledValue\":["
	  "{\"value\":\"230.1\",\"context\":\"Sample.Periodic\",\"format\":\"Raw\",\"measurand\":\"Voltage\","
	  "\"phase\":\"L1-N\",\"location\":\"Outlet\",\"unit\":\"V\"},"
	  "{\"value\":\"16.0\",\"context\":\"Sample.Periodic\",\"format\":\"Raw\",\"measurand\":\"Current."
	  "Import\","
	  "\"phase\":\"L1\",\"location\":\"Outlet\",\"unit\":\"A\"},"
	  "{\"value\":\"AB12CD\",\"context\":\"Sample.Clock\",\"format\":\"SignedData\","
	  "\"measurand\":\"Energy.Active.Import.Register\",\"location\":\"Body\",\"unit\":\"kWh\"},"
	  "{\"value\":\"35\",\"context\":\"Trigger\",\"measurand\":\"Temperature\",\"location\":\"Body\","
	  "\"unit\":\"Celsius\"},"
	  "{\"value\":\"80\",\"measurand\":\"SoC\",\"location\":\"EV\",\"unit\":\"Percent\"},"
	  "{\"value\":\"1\"}]}]}",
	  SCHEMA_OK, "" },
	{ "MeterValues", 1, "{}", SCHEMA_OK, "" },
	{ "SetChargingProfile", 0,
	  "{\"connectorId\":1,\"csChargingProfiles\":{\"chargingProfileId\":10,\"transactionId\":5,"
	  "\"stackLevel\":0,"
	  "\"chargingProfilePurpose\":\"TxProfile\",\"chargingProfileKind\":\"Recurring\",\"recurrencyKind\":"
	  "\"Daily\","
	  "\"validFrom\":\"2024-05-01T00:00:00Z\",\"validTo\":\"2024-12-31T23:59:59Z\",\"chargingSchedule\":{"
	  "\"duration\":86400,\"startSchedule\":\"2024-05-01T00:00:00Z\",\"chargingRateUnit\":\"A\","
	  "\"chargingSchedulePeriod\":[{\"startPeriod\":0,\"limit\":16.1,\"numberPhases\":3},"
	  "{\"startPeriod\":3600,\"limit\":6,\"numberPhases\":1},{\"startPeriod\":7200,\"limit\":32.0}],"
	  "\"minChargingRate\":6.1}}}",
	  SCHEMA_OK, "" },
	{ "SendLocalList", 0,
	  "{\"listVersion\":3,\"updateType\":\"Full\",\"localAuthorizationList\":[{\"idTag\":\"A\","
	  "\"idTagInfo\":"
	  "{\"status\":\"Accepted\",\"expiryDate\":\"2030-01-01T00:00:00Z\",\"parentIdTag\":\"P\"}},{"
	  "\"idTag\":\"B\"}]}",
	  SCHEMA_OK, "" },
	{ "DataTransfer", 0, "{\"vendorId\":\"com.example\",\"messageId\":\"m\",\"data\":\"{\\\"x\\\":1}\"}",
	  SCHEMA_OK, "" },
	{ "DataTransfer", 1, "{\"status\":\"UnknownVendorId\"}", SCHEMA_OK, "" },
	{ "GetConfiguration", 1,
	  "{\"configurationKey\":[{\"key\":\"HeartbeatInterval\",\"readonly\":false,\"value\":\"300\"}],"
	  "\"unknownKey\":[\"Foo\"]}",
	  SCHEMA_OK, "" },
	{ "SecurityEventNotification", 0,
	  "{\"type\":\"FirmwareUpdated\",\"timestamp\":\"2024-05-01T10:00:00Z\",\"techInfo\":\"v2\"}",
	  SCHEMA_OK, "" },
	{ "SignedFirmwareStatusNotification", 0, "{\"status\":\"SignatureVerified\",\"requestId\":4}",
	  SCHEMA_OK, "" },
	{ "LogStatusNotification", 0, "{\"status\":\"Uploaded\",\"requestId\":4}", SCHEMA_OK, "" },
	{ "SignCertificate", 0, "{\"csr\":\"-----BEGIN CERTIFICATE REQUEST-----\"}", SCHEMA_OK, "" },
	{ "GetInstalledCertificateIds", 1,
	  "{\"status\":\"Accepted\",\"certificateHashData\":[{\"hashAlgorithm\":\"SHA256\","
	  "\"issuerNameHash\":\"aa\","
	  "\"issuerKeyHash\":\"bb\",\"serialNumber\":\"01\"}]}",
	  SCHEMA_OK, "" },
	{ "GetLog", 0,
	  "{\"logType\":\"SecurityLog\",\"requestId\":1,\"retries\":2,\"log\":{\"remoteLocation\":\"ftp://x/"
	  "\","
	  "\"oldestTimestamp\":\"2024-01-01T00:00:00Z\"}}",
	  SCHEMA_OK, "" },
	{ "SignedUpdateFirmware", 0,
	  "{\"requestId\":9,\"firmware\":{\"location\":\"https://fw/"
	  "\",\"retrieveDateTime\":\"2024-05-01T10:00:00Z\","
	  "\"signingCertificate\":\"C\",\"signature\":\"S\"}}",
	  SCHEMA_OK, "" },
	{ "ExtendedTriggerMessage", 0, "{\"requestedMessage\":\"SignChargePointCertificate\"}", SCHEMA_OK,
	  "" },
	{ "TriggerMessage", 0, "{\"requestedMessage\":\"MeterValues\",\"connectorId\":1}", SCHEMA_OK, "" },
	{ "RemoteStartTransaction", 0, "{\"idTag\":\"X\",\"connectorId\":1}", SCHEMA_OK, "" },
	{ "ReserveNow", 0,
	  "{\"connectorId\":1,\"expiryDate\":\"2024-05-01T10:00:00Z\",\"idTag\":\"X\",\"reservationId\":3}",
	  SCHEMA_OK, "" },
	/* integer means "no fractional part": 1.0 is an integer */
	{ "RemoteStopTransaction", 0, "{\"transactionId\":1.0}", SCHEMA_OK, "" },

	/* ---- FORMATION */
	{ "BootNotification", 0, "[\"chargePointVendor\",\"V\"]", SCHEMA_FORMATION,
	  "(root): expected object, got array" },
	{ "Heartbeat", 0, "\"hi\"", SCHEMA_FORMATION, "(root): expected object, got string" },
	{ "Heartbeat", 0, "null", SCHEMA_FORMATION, NULL },
	{ "Heartbeat", 0, "{\"extra\":1}", SCHEMA_FORMATION, "extra: property not allowed" },
	{ "BootNotification", 0,
	  "{\"chargePointVendor\":\"V\",\"chargePointModel\":\"M\",\"colour\":\"red\"}", SCHEMA_FORMATION,
	  "colour: property not allowed" },
	{ "MeterValues", 0,
	  "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":\"2024-05-01T10:15:00Z\",\"sampledValue\":"
	  "[{\"value\":\"1\"},{\"value\":\"2\",\"phase\":\"L1\",\"colour\":\"red\"}]}]}",
	  SCHEMA_FORMATION, "meterValue[0].sampledValue[1].colour: property not allowed" },
	/* FORMATION outranks everything, even when it comes last */
	{ "StartTransaction", 0, "{\"connectorId\":\"1\",\"idTag\":\"X\",\"timestamp\":\"bad\",\"zzz\":0}",
	  SCHEMA_FORMATION, "zzz: property not allowed" },

	/* ---- OCCURRENCE */
	{ "BootNotification", 0, "{\"chargePointVendor\":\"V\"}", SCHEMA_OCCURRENCE,
	  "chargePointModel: required property missing" },
	{ "BootNotification", 0, "{}", SCHEMA_OCCURRENCE, "chargePointVendor: required property missing" },
	{ "StopTransaction", 0,
	  "{\"meterStop\":1,\"timestamp\":\"2024-05-01T11:00:00Z\",\"transactionId\":5,\"transactionData\":"
	  "[{\"sampledValue\":[{\"value\":\"1\"}]}]}",
	  SCHEMA_OCCURRENCE, "transactionData[0].timestamp: required property missing" },
	{ "MeterValues", 0,
	  "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":\"2024-05-01T10:15:00Z\",\"sampledValue\":"
	  "[{\"value\":\"1\"},{\"value\":\"2\"},{\"unit\":\"Wh\"}]}]}",
	  SCHEMA_OCCURRENCE, "meterValue[0].sampledValue[2].value: required property missing" },
	{ "GetInstalledCertificateIds", 1, "{\"status\":\"Accepted\",\"certificateHashData\":[]}",
	  SCHEMA_OCCURRENCE, "certificateHashData: fewer than 1 items" },
	/* OCCURRENCE outranks an earlier TYPE error */
	{ "StartTransaction", 0, "{\"connectorId\":\"1\",\"idTag\":\"X\",\"meterStart\":0}",
	  SCHEMA_OCCURRENCE, "timestamp: required property missing" },

	/* ---- TYPE */
	{ "StartTransaction", 0,
	  "{\"connectorId\":\"1\",\"idTag\":\"X\",\"meterStart\":0,\"timestamp\":\"2024-05-01T10:00:00Z\"}",
	  SCHEMA_TYPE, "connectorId: expected integer, got string" },
	{ "StartTransaction", 0,
	  "{\"connectorId\":1.5,\"idTag\":\"X\",\"meterStart\":0,\"timestamp\":\"2024-05-01T10:00:00Z\"}",
	  SCHEMA_TYPE, "connectorId: expected integer, got number" },
	{ "GetConfiguration", 1, "{\"configurationKey\":[{\"key\":\"K\",\"readonly\":\"false\"}]}",
	  SCHEMA_TYPE, "configurationKey[0].readonly: expected boolean, got string" },
	{ "MeterValues", 0, "{\"connectorId\":1,\"meterValue\":{}}", SCHEMA_TYPE,
	  "meterValue: expected array, got object" },
	{ "SetChargingProfile", 0,
	  "{\"connectorId\":1,\"csChargingProfiles\":{\"chargingProfileId\":10,\"stackLevel\":0,"
	  "\"chargingProfilePurpose\":\"TxDefaultProfile\",\"chargingProfileKind\":\"Absolute\","
	  "\"chargingSchedule\":{"
	  "\"chargingRateUnit\":\"W\",\"chargingSchedulePeriod\":[{\"startPeriod\":0,\"limit\":\"11000\"}]}}"
	  "}",
	  SCHEMA_TYPE,
	  "csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0].limit: expected number, got "
	  "string" },
	{ "MeterValues", 0,
	  "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":\"2024-05-01T10:15:00Z\",\"sampledValue\":"
	  "[{\"value\":230}]}]}",
	  SCHEMA_TYPE, "meterValue[0].sampledValue[0].value: expected string, got integer" },
	/* TYPE outranks an earlier PROPERTY error */
	{ "StatusNotification", 0, "{\"connectorId\":1,\"errorCode\":\"Bogus\",\"status\":null}", SCHEMA_TYPE,
	  "status: expected string, got null" },

	/* ---- PROPERTY */
	{ "BootNotification", 1,
	  "{\"status\":\"Maybe\",\"currentTime\":\"2024-05-01T10:00:00Z\",\"interval\":300}", SCHEMA_PROPERTY,
	  "status: value not in enum" },
	{ "BootNotification", 0,
	  "{\"chargePointVendor\":\"ABCDEFGHIJKLMNOPQRSTU\",\"chargePointModel\":\"M\"}", SCHEMA_PROPERTY,
	  "chargePointVendor: string longer than 20 characters" },
	/* maxLength counts characters, not bytes: 20 two-byte characters pass */
	{ "BootNotification", 0,
	  "{\"chargePointVendor\":"
	  "\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\","
	  "\"chargePointModel\":\"M\"}",
	  SCHEMA_OK, "" },
	{ "Heartbeat", 1, "{\"currentTime\":\"2024-05-01 10:00:00Z\"}", SCHEMA_PROPERTY,
	  "currentTime: not an RFC 3339 date-time" },
	{ "Heartbeat", 1, "{\"currentTime\":\"2024-05-01T10:00:00\"}", SCHEMA_PROPERTY, NULL }, /* no zone */
	{ "Heartbeat", 1, "{\"currentTime\":\"2023-02-29T10:00:00Z\"}", SCHEMA_PROPERTY,
	  NULL }, /* not a leap year */
	{ "Heartbeat", 1, "{\"currentTime\":\"2024-04-31T10:00:00Z\"}", SCHEMA_PROPERTY, NULL }, /* 30 days */
	{ "Heartbeat", 1, "{\"currentTime\":\"2024-13-01T10:00:00Z\"}", SCHEMA_PROPERTY, NULL },
	{ "Heartbeat", 1, "{\"currentTime\":\"2024-05-01T24:00:00Z\"}", SCHEMA_PROPERTY, NULL },
	{ "Heartbeat", 1, "{\"currentTime\":\"2024-05-01T10:60:00Z\"}", SCHEMA_PROPERTY, NULL },
	{ "Heartbeat", 1, "{\"currentTime\":\"2024-05-01T10:00:00.Z\"}", SCHEMA_PROPERTY,
	  NULL }, /* empty fraction */
	{ "Heartbeat", 1, "{\"currentTime\":\"2024-05-01T10:00:00+0100\"}", SCHEMA_PROPERTY,
	  NULL }, /* colon */
	{ "Heartbeat", 1, "{\"currentTime\":\"2024-05-01T10:00:00+24:00\"}", SCHEMA_PROPERTY, NULL },
	{ "Heartbeat", 1, "{\"currentTime\":\"2024-05-01T10:00:00Zjunk\"}", SCHEMA_PROPERTY, NULL },
	{ "Heartbeat", 1, "{\"currentTime\":\"\"}", SCHEMA_PROPERTY, NULL },
	{ "Heartbeat", 1, "{\"currentTime\":\"2000-02-29t00:00:00.000000001z\"}", SCHEMA_OK,
	  "" }, /* 2000 is leap */
	{ "SetChargingProfile", 0,
	  "{\"connectorId\":1,\"csChargingProfiles\":{\"chargingProfileId\":10,\"stackLevel\":0,"
	  "\"chargingProfilePurpose\":\"TxDefaultProfile\",\"chargingProfileKind\":\"Absolute\","
	  "\"chargingSchedule\":{"
	  "\"chargingRateUnit\":\"A\",\"chargingSchedulePeriod\":[{\"startPeriod\":0,\"limit\":16.05}]}}}",
	  SCHEMA_PROPERTY,
	  "csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0].limit: value not a multiple of "
	  "0.1" },
	{ "MeterValues", 0,
	  "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":\"2024-05-01T10:15:00Z\",\"sampledValue\":"
	  "[{\"value\":\"1\"},{\"value\":\"2\"},{\"value\":\"3\",\"measurand\":\"Energy.Active.Import\"}]}]}",
	  SCHEMA_PROPERTY, "meterValue[0].sampledValue[2].measurand: value not in enum" },
	{ "MeterValues", 0,
	  "{\"connectorId\":1,\"meterValue\":[{\"timestamp\":\"2024-05-01T10:15:00Z\",\"sampledValue\":[{"
	  "\"value\":\"1\"}]},"
	  "{\"timestamp\":\"2024-05-01T10:16:00\",\"sampledValue\":[{\"value\":\"1\",\"unit\":\"kWh\"}]}]}",
	  SCHEMA_PROPERTY, "meterValue[1].timestamp: not an RFC 3339 date-time" },
	/* within one category the first in document order wins */
	{ "StatusNotification", 0,
	  "{\"connectorId\":1,\"errorCode\":\"Bogus\",\"status\":\"Nope\",\"info\":"
	  "\"012345678901234567890123456789012345678901234567890\"}",
	  SCHEMA_PROPERTY, "errorCode: value not in enum" },
	{ "StatusNotification", 0,
	  "{\"info\":\"012345678901234567890123456789012345678901234567890\",\"connectorId\":1,\"errorCode\":"
	  "\"Bogus\","
	  "\"status\":\"Nope\"}",
	  SCHEMA_PROPERTY, "info: string longer than 50 characters" },
	{ "UpdateFirmware", 0,
	  "{\"location\":\"ftp://user@host:21/fw%20v2.bin?x=1#f\",\"retrieveDate\":\"2024-05-01T10:00:00Z\"}",
	  SCHEMA_OK, "" },
	{ "UpdateFirmware", 0, "{\"location\":\"/fw.bin\",\"retrieveDate\":\"2024-05-01T10:00:00Z\"}",
	  SCHEMA_PROPERTY, "location: not a URI" },
	{ "GetDiagnostics", 0, "{\"location\":\"http://h/a b\"}", SCHEMA_PROPERTY, "location: not a URI" },
	{ "GetDiagnostics", 0, "{\"location\":\"http://h/%zz\"}", SCHEMA_PROPERTY, "location: not a URI" },
	{ "DeleteCertificate", 0,
	  "{\"certificateHashData\":{\"hashAlgorithm\":\"MD5\",\"issuerNameHash\":\"a\",\"issuerKeyHash\":"
	  "\"b\","
	  "\"serialNumber\":\"c\"}}",
	  SCHEMA_PROPERTY, "certificateHashData.hashAlgorithm: value not in enum" },
};

static void test_cases(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct vcase *c = &cases[i];
		char why[256];
		const schema *s = schema_get(c->action, c->is_response);
		cJSON *j = cJSON_Parse(c->json);
		CHECK(s && j, "case %zu: schema %s/%d and JSON parse", i, c->action, c->is_response);
		if (!s || !j) {
			cJSON_Delete(j);
			continue;
		}
		memset(why, 'x', sizeof why);
		schema_result r = schema_validate(s, j, why, sizeof why);
		CHECK(r == c->want, "case %zu (%s%s): got %s want %s (%s)", i, c->action,
		      c->is_response ? "Response" : "", schema_result_name(r), schema_result_name(c->want),
		      why);
		if (c->why)
			CHECK(strcmp(why, c->why) == 0, "case %zu (%s): why \"%s\" want \"%s\"", i, c->action,
			      why, c->why);
		else
			CHECK(why[0] != '\0' && strchr(why, ':') != NULL, "case %zu: why \"%s\"", i, why);
		cJSON_Delete(j);
	}
}

/* why is always terminated and truncated to whylen; NULL inputs are safe. */
static void test_why_buffer(void)
{
	const schema *s = schema_get("MeterValues", 0);
	cJSON *j = cJSON_Parse("{\"connectorId\":1,\"meterValue\":[{\"timestamp\":\"x\",\"sampledValue\":[{"
			       "\"value\":\"1\"}]}]}");
	char why[8];
	memset(why, 'x', sizeof why);
	CHECK(schema_validate(s, j, why, sizeof why) == SCHEMA_PROPERTY, "short buffer");
	CHECK(strlen(why) == sizeof why - 1 && strncmp(why, "meterVa", 7) == 0, "truncated: %s", why);
	CHECK(schema_validate(s, j, NULL, 0) == SCHEMA_PROPERTY, "no buffer");
	CHECK(schema_validate(NULL, j, why, sizeof why) == SCHEMA_FORMATION, "NULL schema");
	CHECK(schema_validate(s, NULL, why, sizeof why) == SCHEMA_FORMATION, "NULL payload");
	cJSON_Delete(j);
}

/* ------------------------------------------ keywords the OCPP files do not use */

struct gcase {
	const char *json;
	schema_result want;
	const char *why;
};

static void run_generic(const char *schema_text, const struct gcase *gc, size_t n)
{
	schema *s = schema_compile("generic", schema_text);
	CHECK(s != NULL, "compile %s", schema_text);
	if (!s)
		return;
	for (size_t i = 0; i < n; i++) {
		char why[200];
		cJSON *j = cJSON_Parse(gc[i].json);
		schema_result r = schema_validate(s, j, why, sizeof why);
		CHECK(r == gc[i].want, "%s: got %s want %s (%s)", gc[i].json, schema_result_name(r),
		      schema_result_name(gc[i].want), why);
		if (gc[i].why)
			CHECK(strcmp(why, gc[i].why) == 0, "%s: why \"%s\" want \"%s\"", gc[i].json, why,
			      gc[i].why);
		cJSON_Delete(j);
	}
	schema_destroy(s);
}

static void test_generic_keywords(void)
{
	static const char sch[] =
		"{\"type\":\"object\",\"properties\":{"
		"\"n\":{\"type\":[\"integer\",\"null\"],\"minimum\":-5,\"maximum\":10},"
		"\"x\":{\"type\":\"number\",\"exclusiveMinimum\":0,\"exclusiveMaximum\":1},"
		"\"s\":{\"type\":\"string\",\"minLength\":2,\"maxLength\":4,\"pattern\":\"^[A-Z]+$\"},"
		"\"a\":{\"type\":\"array\",\"minItems\":1,\"maxItems\":2,\"items\":{\"$ref\":\"#/definitions/"
		"e\"}},"
		"\"any\":{},"
		"\"m\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"boolean\"}}},"
		"\"required\":[\"n\",\"undeclared\"],"
		"\"definitions\":{\"e\":{\"enum\":[1,\"one\",true,null]}}}";
	static const struct gcase gc[] = {
		{ "{\"n\":3,\"undeclared\":[]}", SCHEMA_OK, "" },
		{ "{\"n\":null,\"undeclared\":0,\"x\":0.5,\"s\":\"AB\",\"a\":[1,\"one\"],\"any\":[{}],\"m\":{"
		  "\"p\":true}}",
		  SCHEMA_OK, "" },
		{ "{\"n\":\"3\",\"undeclared\":0}", SCHEMA_TYPE, "n: expected null or integer, got string" },
		{ "{\"n\":11,\"undeclared\":0}", SCHEMA_PROPERTY, "n: value above maximum 10" },
		{ "{\"n\":-6,\"undeclared\":0}", SCHEMA_PROPERTY, "n: value below minimum -5" },
		{ "{\"n\":0,\"undeclared\":0,\"x\":0}", SCHEMA_PROPERTY,
		  "x: value not above exclusiveMinimum 0" },
		{ "{\"n\":0,\"undeclared\":0,\"x\":1}", SCHEMA_PROPERTY,
		  "x: value not below exclusiveMaximum 1" },
		{ "{\"n\":0,\"undeclared\":0,\"s\":\"A\"}", SCHEMA_PROPERTY,
		  "s: string shorter than 2 characters" },
		{ "{\"n\":0,\"undeclared\":0,\"s\":\"ABCDE\"}", SCHEMA_PROPERTY,
		  "s: string longer than 4 characters" },
		{ "{\"n\":0,\"undeclared\":0,\"s\":\"ab\"}", SCHEMA_PROPERTY, "s: does not match pattern" },
		{ "{\"n\":0,\"undeclared\":0,\"a\":[]}", SCHEMA_OCCURRENCE, "a: fewer than 1 items" },
		{ "{\"n\":0,\"undeclared\":0,\"a\":[1,1,1]}", SCHEMA_OCCURRENCE, "a: more than 2 items" },
		{ "{\"n\":0,\"undeclared\":0,\"a\":[1,2]}", SCHEMA_PROPERTY, "a[1]: value not in enum" },
		{ "{\"n\":0,\"undeclared\":0,\"a\":[null,false]}", SCHEMA_PROPERTY,
		  "a[1]: value not in enum" },
		{ "{\"n\":0,\"undeclared\":0,\"m\":{\"p\":1}}", SCHEMA_TYPE,
		  "m.p: expected boolean, got integer" },
		{ "{\"n\":0}", SCHEMA_OCCURRENCE, "undeclared: required property missing" },
	};
	run_generic(sch, gc, sizeof gc / sizeof gc[0]);

	/* a root array schema: errors at depth 0 are indexed from the root */
	static const struct gcase ga[] = {
		{ "[\"a\",\"b\"]", SCHEMA_OK, "" },
		{ "[\"a\",2]", SCHEMA_TYPE, "[1]: expected string, got integer" },
		{ "{}", SCHEMA_FORMATION, "(root): expected array, got object" },
	};
	run_generic("{\"type\":\"array\",\"items\":{\"type\":\"string\"}}", ga, sizeof ga / sizeof ga[0]);
}

/* A keyword, type, format or $ref the validator does not know is refused. */
static void test_refused_schemas(void)
{
	static const char *const bad[] = {
		"{\"type\":\"object\",\"propertyNames\":{\"maxLength\":3}}",
		"{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"format\":\"email\"}}}",
		"{\"type\":\"strin\"}",
		"{\"type\":[]}",
		"{\"items\":[{\"type\":\"string\"}]}",
		"{\"properties\":{\"a\":{\"$ref\":\"#/definitions/missing\"}}}",
		"{\"properties\":{\"a\":{\"$ref\":\"other.json#/x\"}}}",
		"{\"properties\":{\"a\":{\"$ref\":\"#/definitions/"
		"x\",\"maxLength\":2}},\"definitions\":{\"x\":{}}}",
		"{\"definitions\":{\"x\":{\"$ref\":\"#/definitions/x\"}},\"$ref\":\"#/definitions/x\"}",
		"{\"exclusiveMinimum\":true,\"minimum\":0}",
		"{\"multipleOf\":0}",
		"{\"maxLength\":-1}",
		"{\"pattern\":\"(\"}",
		"{\"enum\":[]}",
		"{\"required\":[1]}",
		"{\"additionalProperties\":\"no\"}",
		"[\"not\",\"an\",\"object\"]",
		"{not json",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		schema *s = schema_compile("refused", bad[i]);
		CHECK(s == NULL, "schema %s must be refused", bad[i]);
		schema_destroy(s);
	}
}

int main(void)
{
	CHECK(schema_get("BootNotification", 0) == NULL && schema_count() == 0, "nothing before init");
	if (schema_init() != 0) {
		fprintf(stderr, "schema_init failed\n");
		return 1;
	}
	test_action_set();
	test_embedded_match_files();
	test_cases();
	test_why_buffer();
	test_generic_keywords();
	test_refused_schemas();
	schema_free();
	CHECK(schema_count() == 0 && schema_get("BootNotification", 0) == NULL, "nothing after free");
	CHECK(schema_init() == 0 && schema_count() == 39, "init again after free");
	schema_free();
	printf("schema: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
