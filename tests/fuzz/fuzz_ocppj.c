/* fuzz_ocppj.c: whole OCPP-J frames from an accepted charger through
 * ocppj_receive(), one loop turn each. Input: byte 0 = flags, byte 1 = which
 * CALL we send first; the rest is up to 8 frames separated by 0xFF bytes.
 * "@ID@" in a frame becomes the id of our CALL in flight, so CALLRESULT and
 * CALLERROR answers reach the tracker (commands.c) and what they mean is
 * stored. Flags: 1 send a CALL first, 2 run csms_tick after each frame
 * (call timeouts, DLM, station), 4 advance the clock 61 s per frame. */
#include "fuzz_common.h"
#include "ocppj.h"

#include <stdlib.h>
#include <string.h>

static const struct {
	const char *action, *payload;
} calls[] = {
	{ "Reset", "{\"type\":\"Soft\"}" },
	{ "ClearCache", "{}" },
	{ "GetConfiguration", "{}" },
	{ "GetConfiguration", "{\"key\":[\"HeartbeatInterval\"]}" },
	{ "ChangeConfiguration", "{\"key\":\"HeartbeatInterval\",\"value\":\"60\"}" },
	{ "RemoteStartTransaction", "{\"idTag\":\"X\",\"connectorId\":1}" },
	{ "RemoteStopTransaction", "{\"transactionId\":1}" },
	{ "TriggerMessage", "{\"requestedMessage\":\"StatusNotification\",\"connectorId\":1}" },
	{ "GetLocalListVersion", "{}" },
	{ "SendLocalList",
	  "{\"listVersion\":3,\"updateType\":\"Full\",\"localAuthorizationList\":"
	  "[{\"idTag\":\"A\",\"idTagInfo\":{\"status\":\"Accepted\"}}]}" },
	{ "DataTransfer", "{\"vendorId\":\"v\",\"messageId\":\"m\",\"data\":\"d\"}" },
	{ "UnlockConnector", "{\"connectorId\":1}" },
	{ "ChangeAvailability", "{\"connectorId\":0,\"type\":\"Inoperative\"}" },
	{ "GetCompositeSchedule", "{\"connectorId\":1,\"duration\":3600}" },
	{ "ReserveNow",
	  "{\"connectorId\":1,\"expiryDate\":\"2030-01-01T00:00:00Z\",\"idTag\":\"X\","
	  "\"reservationId\":5}" },
	{ "CancelReservation", "{\"reservationId\":5}" },
	{ "SetChargingProfile",
	  "{\"connectorId\":1,\"csChargingProfiles\":{\"chargingProfileId\":7,"
	  "\"stackLevel\":1,\"chargingProfilePurpose\":\"TxDefaultProfile\","
	  "\"chargingProfileKind\":\"Absolute\",\"chargingSchedule\":{\"chargingRateUnit\":\"A\","
	  "\"chargingSchedulePeriod\":[{\"startPeriod\":0,\"limit\":16}]}}}" },
	{ "ClearChargingProfile", "{\"id\":7}" },
	{ "GetDiagnostics", "{\"location\":\"ftp://x/y\"}" },
	{ "UpdateFirmware", "{\"location\":\"http://x/fw\",\"retrieveDate\":\"2030-01-01T00:00:00Z\"}" },
	{ "ExtendedTriggerMessage", "{\"requestedMessage\":\"Heartbeat\"}" },
	{ "GetLog",
	  "{\"logType\":\"DiagnosticsLog\",\"requestId\":1,\"log\":{\"remoteLocation\":\"http://x/\"}}" },
	{ "GetInstalledCertificateIds", "{\"certificateType\":\"CentralSystemRootCertificate\"}" },
};
#define NCALLS (sizeof calls / sizeof calls[0])

static void on_result(void *arg, const struct call_result *r)
{
	(void)arg;
	(void)r;
}

/* frame with every "@ID@" replaced by id (caller frees). */
static char *with_id(const uint8_t *p, size_t n, const char *id, size_t *outlen)
{
	size_t idl = strlen(id), cap = n + 1, len = 0;
	for (size_t i = 0; i + 4 <= n; i++)
		if (!memcmp(p + i, "@ID@", 4))
			cap += idl;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		if (i + 4 <= n && !memcmp(p + i, "@ID@", 4)) {
			memcpy(out + len, id, idl);
			len += idl;
			i += 4;
		} else {
			out[len++] = (char)p[i++];
		}
	}
	out[len] = 0;
	*outlen = len;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csms *app = fuzz_app();
	struct session *s = fuzz_session();
	if (size < 2)
		return 0;
	unsigned flags = data[0], which = data[1] % NCALLS;
	data += 2;
	size -= 2;
	if (flags & 1) {
		cJSON *p = cJSON_Parse(calls[which].payload);
		char why[256];
		if (p && ocppj_call(s, calls[which].action, p, on_result, NULL, why, sizeof why) == -1)
			abort(); /* the table above must stay valid */
		cJSON_Delete(p);
		fuzz_drain(s);
	}
	for (int nframes = 0; nframes < 8; nframes++) {
		const uint8_t *end = memchr(data, 0xFF, size);
		size_t n = end ? (size_t)(end - data) : size;
		size_t len;
		char *frame = with_id(data, n, s->inflight ? s->inflight->id : "none", &len);
		if (frame) {
			ocppj_receive(s, frame, len);
			free(frame);
		}
		if (flags & 4)
			app->now_ms += 61000;
		if (flags & 2)
			csms_tick(app);
		fuzz_end_turn();
		if (!end)
			break;
		data = end + 1;
		size -= n + 1;
	}
	/* Nothing left in flight for the next input: time out what remains. */
	while (s->inflight || s->queue_head) {
		app->now_ms += (int64_t)app->cfg.call_timeout * 1000 + 1;
		ocppj_check_timeouts(s, app->now_ms);
		fuzz_drain(s);
	}
	fuzz_end_turn();
	return 0;
}
