/* test_ocppj.c: OCPP-J framing and dispatch without a network: frames go
 * into ocppj_receive, answers are read from the session's held queue.
 * Covers every CALLERROR code, the acceptance gate, replies held until the
 * commit, and the queue of CALLs we send (order, answer, error, timeout). */
#include "charger.h"
#include "check.h"
#include "session_out.h"
#include "app.h"
#include "csms.h"
#include "ocppj.h"
#include "schema.h"
#include "session.h"
#include "store.h"

#include <stdlib.h>
#include <unistd.h>

static struct csms app;
static struct session sess;
static char last[4096];

/* Takes the next frame queued for writing, or "". */
static const char *sent(void)
{
	return session_take(&sess, last, sizeof last);
}

/* Sends one frame and returns the single answer (after the commit). */
static const char *rx(const char *frame)
{
	ocppj_receive(&sess, frame, strlen(frame));
	CHECK(sess.out_head == NULL); /* nothing goes out before the commit */
	csms_end_of_turn(&app);
	sent();
	CHECK(sess.out_head == NULL);
	return last;
}

/* The same for a frame with NUL bytes in it. */
static const char *rxn(const char *frame, size_t len)
{
	ocppj_receive(&sess, frame, len);
	csms_end_of_turn(&app);
	sent();
	return last;
}

/* The sampledValue texts stored for a transaction, in order. */
static char stored[4][32768];
static int nstored;
static int on_mv(void *arg, const struct store_mv_row *m)
{
	(void)arg;
	snprintf(stored[nstored++ % 4], sizeof stored[0], "%s", m->sampled_json);
	return 0;
}

/* A MeterValues frame for transaction 1 with n sampled values. The stored
 * text must be cJSON_PrintUnformatted's bytes of the list sent, whether it
 * is printed on the stack (short) or on the heap (longer than 8 KiB). */
static void meter_values_stored_as_printed(int n)
{
	static char frame[65536];
	size_t len = (size_t)snprintf(
		frame, sizeof frame,
		"[2,\"mv%d\",\"MeterValues\",{\"connectorId\":1,\"transactionId\":1,"
		"\"meterValue\":[{\"timestamp\":\"2026-01-01T00:%02d:00Z\",\"sampledValue\":[",
		n, n % 60);
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(frame + len, sizeof frame - len,
					"%s{\"value\":\"%d.5\",\"context\":\"Sample.Periodic\",\"measurand\":"
					"\"Energy.Active.Import.Register\",\"unit\":\"Wh\"}",
					i ? "," : "", 1000 + i);
	len += (size_t)snprintf(frame + len, sizeof frame - len, "]}]}]");
	char want_id[32];
	snprintf(want_id, sizeof want_id, "[3,\"mv%d\",{}]", n);
	CHECK_STR(rx(frame), want_id);
	cJSON *f = cJSON_Parse(frame);
	char *want = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(f, 3), "meterValue"),
				   0),
		"sampledValue"));
	nstored = 0;
	CHECK(store_meter_value_each(app.store, 1, on_mv, NULL) == 0);
	CHECK(nstored >= 1);
	CHECK(want && strlen(want) == strlen(stored[(nstored - 1) % 4]));
	CHECK_STR(stored[(nstored - 1) % 4], want);
	free(want);
	cJSON_Delete(f);
}

static char results[8][256];
static int nresults;
static void on_result(void *arg, const struct call_result *r)
{
	char *p = cJSON_PrintUnformatted(r->payload);
	snprintf(results[nresults++ % 8], 256, "%s:%s:%s", (const char *)arg,
		 r->status == OCPP_OK ? "OK" : r->code, p ? p : "");
	free(p);
}

int main(void)
{
	char path[] = "/tmp/csms-test-ocppj-XXXXXX", err[256];
	close(mkstemp(path));
	unlink(path);
	CHECK(schema_init() == 0);
	config_load(&app.cfg, 1, (char *[]){ "csmsd", NULL });
	app.cfg.unknown_chargers = UNKNOWN_PENDING;
	app.cfg.validate_outgoing = 1;
	CHECK(store_open(path, &app.store, err, sizeof err) == 0);
	app.chargers = charger_registry_new();
	app.now_ms = 1700000000000;
	csms_wire(&app);
	sess.app = &app;
	sess.rpc = &app.rpc;
	snprintf(sess.id, sizeof sess.id, "CP1");
	sess.ch = charger_get(app.chargers, app.store, "CP1");

	/* framing errors */
	CHECK_STR(rx("not json"), "[4,\"-1\",\"FormationViolation\",\"frame is not valid JSON\",{}]");
	CHECK_CONTAINS(rx("[2,\"m1\",\"Heartbeat\",{"), "[4,\"m1\",\"FormationViolation\"");
	CHECK_CONTAINS(rx("{\"a\":1}"), "\"FormationViolation\"");
	CHECK_CONTAINS(rx("[2,\"m2\",\"Heartbeat\"]"), "[4,\"m2\",\"FormationViolation\"");
	CHECK_CONTAINS(rx("[2,\"m3\",\"Heartbeat\",[]]"), "[4,\"m3\",\"FormationViolation\"");
	CHECK_CONTAINS(rx("[2,7,\"Heartbeat\",{}]"), "[4,\"-1\",\"FormationViolation\"");
	CHECK_CONTAINS(rx("[9,\"m4\",\"Heartbeat\",{}]"), "[4,\"m4\",\"ProtocolError\"");
	/* found by fuzzing: a message type out of int range, a fraction, an escaped id */
	CHECK_CONTAINS(rx("[1e300,\"m4a\",\"Heartbeat\",{}]"), "[4,\"m4a\",\"ProtocolError\"");
	CHECK_CONTAINS(rx("[2.5,\"m4b\",\"Heartbeat\",{}]"), "[4,\"m4b\",\"ProtocolError\"");
	CHECK_STR(rx("[2,\"abcdefgh\\"), "[4,\"-1\",\"FormationViolation\",\"frame is not valid JSON\",{}]");
	CHECK_CONTAINS(rx("[2,\"big\",\"StatusNotification\",{\"connectorId\":1e11,\"errorCode\":\"NoError\","
			  "\"status\":\"Available\"}]"),
		       "[4,\"big\",\"PropertyConstraintViolation\"");
	CHECK_CONTAINS(rx("[2,\"m5\",\"FlyToTheMoon\",{}]"), "[4,\"m5\",\"NotImplemented\"");
	CHECK_CONTAINS(rx("[2,\"m6\",\"Reset\",{\"type\":\"Hard\"}]"), "[4,\"m6\",\"NotSupported\"");
	/* schema violations map to their codes */
	CHECK_CONTAINS(rx("[2,\"v1\",\"BootNotification\",{\"chargePointVendor\":\"V\"}]"),
		       "[4,\"v1\",\"OccurenceConstraintViolation\"");
	CHECK_CONTAINS(
		rx("[2,\"v2\",\"BootNotification\",{\"chargePointVendor\":1,\"chargePointModel\":\"M\"}]"),
		"[4,\"v2\",\"TypeConstraintViolation\"");
	CHECK_CONTAINS(rx("[2,\"v3\",\"BootNotification\",{\"chargePointVendor\":"
			  "\"VVVVVVVVVVVVVVVVVVVVVVVVV\",\"chargePointModel\":\"M\"}]"),
		       "[4,\"v3\",\"PropertyConstraintViolation\"");
	CHECK_CONTAINS(rx("[2,\"v4\",\"BootNotification\",{\"chargePointVendor\":\"V\",\"chargePointModel\":"
			  "\"M\",\"x\":1}]"),
		       "[4,\"v4\",\"FormationViolation\"");
	/* not accepted yet: only BootNotification */
	CHECK_CONTAINS(rx("[2,\"h0\",\"Heartbeat\",{}]"), "[4,\"h0\",\"SecurityError\"");
	CHECK_CONTAINS(rx("[2,\"b1\",\"BootNotification\",{\"chargePointVendor\":\"V\",\"chargePointModel\":"
			  "\"M\"}]"),
		       "[3,\"b1\",{\"status\":\"Pending\"");
	CHECK(store_charger_set_registration(app.store, "CP1", REG_ACCEPTED) == 0);
	CHECK_CONTAINS(rx("[2,\"b2\",\"BootNotification\",{\"chargePointVendor\":\"V\",\"chargePointModel\":"
			  "\"M\"}]"),
		       "[3,\"b2\",{\"status\":\"Accepted\"");
	CHECK_CONTAINS(rx("[2,\"h1\",\"Heartbeat\",{}]"), "[3,\"h1\",{\"currentTime\":\"");
	/* text cJSON would let through: data after the value, two CALLs in
	 * one frame, a NUL that cuts a 33-character idTag to 3, raw control
	 * bytes, bytes that are not UTF-8 (never echoed back) */
	CHECK_STR(rx("[2,\"g1\",\"Heartbeat\",{}]garbage"),
		  "[4,\"g1\",\"FormationViolation\",\"frame has data after the JSON value\",{}]");
	CHECK_CONTAINS(rx("[2,\"g2\",\"Heartbeat\",{}][2,\"g3\",\"Heartbeat\",{}]"),
		       "[4,\"g2\",\"FormationViolation\"");
	CHECK_CONTAINS(rx("[2,\"g4\",\"Heartbeat\",{}] \r\n"), "[3,\"g4\",{\"currentTime\"");
	CHECK_STR(rx("[2,\"g5\",\"Authorize\",{\"idTag\":\"ABC\\u0000DEFGHIJKLMNOPQRSTUVWXYZ0123\"}]"),
		  "[4,\"g5\",\"FormationViolation\",\"frame has a NUL (\\\\u0000) in a string\",{}]");
	CHECK_CONTAINS(rxn("[2,\"g6\",\"Authorize\",{\"idTag\":\"ABC\0DEF\"}]", 40),
		       "[4,\"g6\",\"FormationViolation\"");
	CHECK_CONTAINS(rx("[2,\"g7\",\"Authorize\",{\"idTag\":\"AB\x01\"}]"),
		       "[4,\"g7\",\"FormationViolation\"");
	CHECK_STR(rx("[2,\"g8\",\"Authorize\",{\"idTag\":\"AB\xff\"}]"),
		  "[4,\"g8\",\"FormationViolation\",\"frame is not valid UTF-8\",{}]");
	CHECK_STR(rx("[2,\"g9\xc3\",\"Heartbeat\",{}]"),
		  "[4,\"-1\",\"FormationViolation\",\"frame is not valid UTF-8\",{}]");
	CHECK_CONTAINS(rx("[2,\"g10\",\"Authorize\",{\"idTag\":\"A\\\\u0000\"}]"),
		       "[3,\"g10\",{\"idTagInfo\"");
	CHECK_CONTAINS(rx("[2,\"g11\",\"Authorize\",{\"idTag\":\"K\xc3\xb6ln\"}]"),
		       "[3,\"g11\",{\"idTagInfo\"");
	/* an oversized frame gets its id back when it can be read */
	ocppj_oversized(&sess, "[2,\"big1\",\"DataTransfer\",{\"vendorId\":\"", 36);
	csms_end_of_turn(&app);
	CHECK_CONTAINS(sent(), "[4,\"big1\",\"FormationViolation\"");

	/* transactions: retry gets the same id; unknown stop still answered */
	const char *start = "[2,\"s1\",\"StartTransaction\",{\"connectorId\":1,\"idTag\":\"X\","
			    "\"meterStart\":10,\"timestamp\":\"2026-01-01T00:00:00Z\"}]";
	char first[256];
	snprintf(first, sizeof first, "%s", rx(start));
	CHECK_CONTAINS(first, "\"transactionId\":1");
	CHECK_STR(rx(start), first);
	meter_values_stored_as_printed(3);   /* printed on the stack */
	meter_values_stored_as_printed(150); /* ~14 KiB: on the heap */
	CHECK_CONTAINS(rx("[2,\"t1\",\"StopTransaction\",{\"transactionId\":77,\"meterStop\":5,\"timestamp\":"
			  "\"2026-01-01T00:00:00Z\"}]"),
		       "[3,\"t1\",{}]");

	/* a CALL sent in the turn of a reply waits behind it: the charger hears
	 * its answer (a boot's acceptance) before anything we ask */
	ocppj_receive(&sess, "[2,\"hb\",\"Heartbeat\",{}]", 23);
	cJSON *p = cJSON_Parse("{}");
	CHECK(ocppj_call(&sess, "ClearCache", p, on_result, "h", err, sizeof err) == 0);
	cJSON_Delete(p);
	CHECK(sess.out_head == NULL);
	CHECK_STR(sent(), "");
	csms_end_of_turn(&app);
	CHECK_CONTAINS(sent(), "[3,\"hb\",{\"currentTime\":");
	CHECK_STR(sent(), "[2,\"cs-1\",\"ClearCache\",{}]");
	CHECK_STR(sent(), "");
	ocppj_receive(&sess, "[3,\"cs-1\",{\"status\":\"Accepted\"}]", 32);
	CHECK_STR(results[0], "h:OK:{\"status\":\"Accepted\"}");
	nresults = 0;

	/* CALLs we send: one in flight, the rest queued in order */
	p = cJSON_Parse("{\"type\":\"Soft\"}");
	CHECK(ocppj_call(&sess, "Reset", p, on_result, "a", err, sizeof err) == 0);
	CHECK(ocppj_call(&sess, "Reset", p, on_result, "b", err, sizeof err) == 0);
	CHECK(ocppj_call(&sess, "Reset", p, on_result, "c", err, sizeof err) == 0);
	cJSON_Delete(p);
	p = cJSON_Parse("{\"type\":\"Sideways\"}");
	CHECK(ocppj_call(&sess, "Reset", p, on_result, "x", err, sizeof err) == -1);
	CHECK_CONTAINS(err, "type");
	CHECK(ocppj_call(&sess, "Heartbeat", p, on_result, "x", err, sizeof err) == -1);
	cJSON_Delete(p);
	CHECK_STR(sent(), "[2,\"cs-2\",\"Reset\",{\"type\":\"Soft\"}]");
	CHECK_STR(sent(), ""); /* b waits for a's answer */
	ocppj_receive(&sess, "[3,\"cs-2\",{\"status\":\"Accepted\"}]", 32);
	CHECK_STR(results[0], "a:OK:{\"status\":\"Accepted\"}");
	CHECK_STR(sent(), "[2,\"cs-3\",\"Reset\",{\"type\":\"Soft\"}]");
	const char *e = "[4,\"cs-3\",\"NotSupported\",\"no\",{\"k\":1}]";
	ocppj_receive(&sess, e, strlen(e));
	CHECK_STR(results[1], "b:NotSupported:{\"k\":1}");
	CHECK_STR(sent(), "[2,\"cs-4\",\"Reset\",{\"type\":\"Soft\"}]");
	ocppj_receive(&sess, "[3,\"cs-9\",{}]", 13); /* a stray answer is ignored */
	CHECK(nresults == 2);
	/* an answer that breaks the response schema is an error */
	ocppj_receive(&sess, "[3,\"cs-4\",{\"status\":\"Maybe\"}]", 29);
	CHECK_CONTAINS(results[2], "c:PropertyConstraintViolation");
	p = cJSON_Parse("{}");
	CHECK(ocppj_call(&sess, "ClearCache", p, on_result, "d", err, sizeof err) == 0);
	cJSON_Delete(p);
	sent();
	ocppj_check_timeouts(&sess, app.now_ms + app.cfg.call_timeout * 1000 - 1);
	CHECK(nresults == 3);
	ocppj_check_timeouts(&sess, app.now_ms + app.cfg.call_timeout * 1000);
	CHECK_STR(results[3], "d:Timeout:");
	p = cJSON_Parse("{}");
	CHECK(ocppj_call(&sess, "ClearCache", p, on_result, "e", err, sizeof err) == 0);
	cJSON_Delete(p);
	session_destroy(&sess); /* pending calls end as Closed */
	CHECK_STR(results[4], "e:Closed:");

	store_close(app.store);
	charger_registry_free(app.chargers);
	schema_free();
	config_free(&app.cfg);
	unlink(path);
	return CHECK_DONE();
}
