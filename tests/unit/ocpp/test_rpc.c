/* test_rpc.c: the RPC layer (ocppj, session) on its own, with hooks of
 * the test's making: what reaches a handler and what goes back, the
 * acceptance gate, replies held until the owner releases them, our CALLs'
 * queue (order, the DLM's place in it, answers, errors, timeouts, close),
 * the tracking hook and the counters by action. */
#include "check.h"
#include "session_out.h"
#include "ocppj.h"
#include "rpc.h"
#include "schema.h"
#include "session.h"

#include <stdlib.h>

static int64_t now = 1700000000000;
static int is_accepted;
static int wakes;
static enum ocpp_action last_act = OCPP_ACT_COUNT;
static const char *handler_error; /* a handler that refuses */
static int bad_heartbeat;         /* a handler whose answer fails its schema */
static int track_refuses, tracked;
static char tracked_source[16];

static enum ocpp_status handle(struct session *s, enum ocpp_action act, const cJSON *payload, cJSON *resp,
			       const char **why)
{
	(void)s;
	(void)payload;
	last_act = act;
	if (handler_error) {
		*why = handler_error;
		return OCPP_EPROPERTY;
	}
	if (act == OCPP_ACT_Heartbeat && !bad_heartbeat)
		cJSON_AddStringToObject(resp, "currentTime", "2026-12-04T10:00:00Z");
	if (act == OCPP_ACT_BootNotification) {
		cJSON_AddStringToObject(resp, "status", "Accepted");
		cJSON_AddStringToObject(resp, "currentTime", "2026-12-04T10:00:00Z");
		cJSON_AddNumberToObject(resp, "interval", 300);
	}
	return OCPP_OK;
}

static int accepted(const struct session *s)
{
	(void)s;
	return is_accepted;
}

static char results[16][256];
static enum call_outcome outcomes[16];
static int nresults;
static void on_result(void *arg, const struct call_result *r)
{
	outcomes[nresults % 16] = r->outcome;
	char *p = r->payload ? cJSON_PrintUnformatted(r->payload) : NULL;
	snprintf(results[nresults++ % 16], 256, "%s:%s:%s:%lld", (const char *)arg,
		 r->status == OCPP_OK ? "OK" : r->code, p ? p : "", (long long)r->latency_ms);
	free(p);
}

/* The tracking hook wraps the callback, as central/commands.c does. */
struct wrap {
	call_cb cb;
	void *arg;
};
static void wrapped(void *arg, const struct call_result *r)
{
	struct wrap *w = arg;
	tracked--;
	w->cb(w->arg, r);
	free(w);
}
static int track(struct session *s, const char *action, const char *msg_id, const cJSON *payload,
		 const char *source, call_cb *cb, void **arg)
{
	(void)s;
	(void)action;
	(void)msg_id;
	(void)payload;
	if (track_refuses)
		return -1;
	snprintf(tracked_source, sizeof tracked_source, "%s", source ? source : "-");
	struct wrap *w = malloc(sizeof *w);
	w->cb = *cb;
	w->arg = *arg;
	*cb = wrapped;
	*arg = w;
	tracked++;
	return 0;
}

static void want_write(void *wsi)
{
	(void)wsi;
	wakes++;
}

static int64_t armed = -2; /* the last delay given to the deadline hook; -2 never */
static void deadline(void *wsi, int64_t delay_ms)
{
	(void)wsi;
	armed = delay_ms;
}

static const struct rpc_hooks hooks = {
	.handle = handle, .accepted = accepted, .track = track, .want_write = want_write, .deadline = deadline
};
static struct rpc rpc;
static struct session sess;
static char last[4096];

/* The next frame queued for writing, or "". */
static const char *sent(void)
{
	return session_take(&sess, last, sizeof last);
}

static void in(const char *frame)
{
	ocppj_receive(&sess, frame, strlen(frame));
}

/* What the owner does at the end of a turn: release the held replies. */
static void release(void)
{
	for (struct session *s = rpc.dirty, *n; s; s = n) {
		n = s->dirty_next;
		s->dirty = 0;
		s->dirty_next = NULL;
		session_release_held(s);
	}
	rpc.dirty = NULL;
}

/* One frame in; its single answer, once released. */
static const char *rx(const char *frame)
{
	ocppj_receive(&sess, frame, strlen(frame));
	CHECK(sess.out_head == NULL); /* nothing goes out before the owner's commit */
	release();
	sent();
	CHECK(sess.out_head == NULL);
	return last;
}

static void check_calls_in(void)
{
	/* framing */
	CHECK_STR(rx("not json"), "[4,\"-1\",\"FormationViolation\",\"frame is not valid JSON\",{}]");
	CHECK_CONTAINS(rx("[2,\"m1\",\"Heartbeat\",{"), "[4,\"m1\",\"FormationViolation\"");
	CHECK_CONTAINS(rx("[2,\"m2\",\"Heartbeat\"]"), "[4,\"m2\",\"FormationViolation\"");
	CHECK_CONTAINS(rx("[9,\"m3\",\"Heartbeat\",{}]"), "[4,\"m3\",\"ProtocolError\"");
	CHECK_CONTAINS(rx("[2,\"m4\",\"Heartbeat\",{}]x"), "[4,\"m4\",\"FormationViolation\"");
	CHECK_CONTAINS(rx("[2,\"m5\",\"FlyToTheMoon\",{}]"), "[4,\"m5\",\"NotImplemented\"");
	CHECK_CONTAINS(rx("[2,\"m6\",\"Reset\",{\"type\":\"Hard\"}]"), "[4,\"m6\",\"NotSupported\"");
	CHECK_CONTAINS(rx("[2,\"m7\",\"BootNotification\",{\"chargePointVendor\":\"V\"}]"),
		       "[4,\"m7\",\"OccurenceConstraintViolation\"");
	CHECK_CONTAINS(
		rx("[2,\"m8\",\"BootNotification\",{\"chargePointVendor\":1,\"chargePointModel\":\"M\"}]"),
		"[4,\"m8\",\"TypeConstraintViolation\"");
	CHECK(last_act == OCPP_ACT_COUNT); /* no handler ran for any of these */

	/* the acceptance gate: only rows allowed before acceptance pass */
	is_accepted = 0;
	CHECK_CONTAINS(rx("[2,\"g1\",\"Heartbeat\",{}]"), "[4,\"g1\",\"SecurityError\"");
	CHECK(last_act == OCPP_ACT_COUNT);
	CHECK_CONTAINS(rx("[2,\"g2\",\"BootNotification\",{\"chargePointVendor\":\"V\",\"chargePointModel\":"
			  "\"M\"}]"),
		       "[3,\"g2\",{\"status\":\"Accepted\"");
	CHECK(last_act == OCPP_ACT_BootNotification);
	is_accepted = 1;

	/* a handler's answer, its refusal, and an answer that fails its schema */
	CHECK_STR(rx("[2,\"h1\",\"Heartbeat\",{}]"), "[3,\"h1\",{\"currentTime\":\"2026-12-04T10:00:00Z\"}]");
	CHECK(last_act == OCPP_ACT_Heartbeat);
	handler_error = "no such connector";
	CHECK_STR(rx("[2,\"h2\",\"Heartbeat\",{}]"),
		  "[4,\"h2\",\"PropertyConstraintViolation\",\"no such connector\",{}]");
	handler_error = NULL;
	bad_heartbeat = 1;
	CHECK_CONTAINS(rx("[2,\"h3\",\"Heartbeat\",{}]"), "[4,\"h3\",\"InternalError\"");
	bad_heartbeat = 0;

	/* an oversized frame: its id when it can be read */
	ocppj_oversized(&sess, "[2,\"big1\",\"MeterValues\",{\"connectorId\":1,", 40);
	release();
	CHECK_STR(sent(), "[4,\"big1\",\"FormationViolation\",\"frame larger than 65536 bytes\",{}]");

	/* held replies: two CALLs in one turn, answered in order after the release */
	in("[2,\"o1\",\"Heartbeat\",{}]");
	in("[2,\"o2\",\"Heartbeat\",{}]");
	CHECK(rpc.dirty == &sess && sess.out_head == NULL);
	release();
	CHECK_CONTAINS(sent(), "[3,\"o1\"");
	CHECK_CONTAINS(sent(), "[3,\"o2\"");

	/* the counters by action and answer */
	CHECK(rpc.stats.in_msgs[OCPP_ACT_Heartbeat][OCPP_OK] == 3);
	CHECK(rpc.stats.in_msgs[OCPP_ACT_Heartbeat][OCPP_ESECURITY] == 1);
	CHECK(rpc.stats.in_msgs[OCPP_ACT_Heartbeat][OCPP_EPROPERTY] == 1);
	CHECK(rpc.stats.in_msgs[OCPP_ACT_Heartbeat][OCPP_EINTERNAL] == 1);
	CHECK(rpc.stats.in_msgs[OCPP_ACT_COUNT][OCPP_ENOTIMPL] == 1);
	CHECK(rpc.stats.in_msgs[OCPP_ACT_Reset][OCPP_ENOTSUPP] == 1);
	CHECK(rpc.stats.in_msgs[OCPP_ACT_COUNT][OCPP_EFORMATION] == 5);
	CHECK(rpc.stats.frames_in == 16); /* the oversized one was never a frame */
}

static void check_calls_out(void)
{
	char why[256];
	cJSON *reset = cJSON_Parse("{\"type\":\"Soft\"}");
	cJSON *bad = cJSON_Parse("{\"type\":\"Medium\"}");
	cJSON *prof = cJSON_Parse(
		"{\"connectorId\":0,\"csChargingProfiles\":{\"chargingProfileId\":1,"
		"\"stackLevel\":0,\"chargingProfilePurpose\":\"ChargePointMaxProfile\","
		"\"chargingProfileKind\":\"Absolute\",\"chargingSchedule\":{\"chargingRateUnit\":\"A\","
		"\"chargingSchedulePeriod\":[{\"startPeriod\":0,\"limit\":6}]}}}");

	/* refused before anything is queued */
	CHECK(ocppj_call(&sess, "Reset", bad, on_result, "x", why, sizeof why) == -1);
	CHECK(ocppj_call(&sess, "Heartbeat", reset, on_result, "x", why, sizeof why) == -1);
	CHECK_CONTAINS(why, "not an action the central system sends");
	track_refuses = 1; /* (it has used message id cs-1) */
	CHECK(ocppj_call(&sess, "Reset", reset, on_result, "x", why, sizeof why) == -2);
	track_refuses = 0;
	CHECK(sess.out_head == NULL && !sess.inflight && nresults == 0);

	/* one in flight, the rest queued in order; a DLM call goes ahead */
	int w = wakes;
	CHECK(ocppj_call(&sess, "Reset", reset, on_result, "a", why, sizeof why) == 0);
	CHECK(!strcmp(tracked_source, "-"));
	CHECK(wakes == w + 1);
	CHECK_STR(sent(), "[2,\"cs-2\",\"Reset\",{\"type\":\"Soft\"}]");
	CHECK(armed == 30000); /* its own timer, for its deadline */
	CHECK(ocppj_call_src(&sess, "Reset", reset, "admin", on_result, "b", why, sizeof why) == 0);
	CHECK(ocppj_call_src(&sess, "SetChargingProfile", prof, "dlm", on_result, "c", why, sizeof why) == 0);
	CHECK(!strcmp(tracked_source, "dlm"));
	CHECK(sess.out_head == NULL); /* one in flight per charger */
	now += 120;
	in("[3,\"cs-2\",{\"status\":\"Accepted\"}]");
	CHECK_STR(results[0], "a:OK:{\"status\":\"Accepted\"}:120");
	CHECK_CONTAINS(sent(), "[2,\"cs-4\",\"SetChargingProfile\""); /* the DLM's, ahead of b */

	/* an answer to another id is ignored; a CALLERROR is a result with its code */
	in("[3,\"cs-9\",{\"status\":\"Accepted\"}]");
	CHECK(nresults == 1);
	in("[4,\"cs-4\",\"NotSupported\",\"no\",{}]");
	CHECK_STR(results[1], "c:NotSupported:{}:0");
	CHECK_STR(sent(), "[2,\"cs-3\",\"Reset\",{\"type\":\"Soft\"}]");

	/* an answer that fails its schema */
	in("[3,\"cs-3\",{\"status\":\"Maybe\"}]");
	CHECK_CONTAINS(results[2], "b:PropertyConstraintViolation:");

	CHECK(armed == -1); /* nothing in flight: no timer */

	/* a timeout at the deadline, not before */
	CHECK(ocppj_call(&sess, "Reset", reset, on_result, "d", why, sizeof why) == 0);
	CHECK(ocppj_call(&sess, "Reset", reset, on_result, "e", why, sizeof why) == 0);
	CHECK_CONTAINS(sent(), "cs-5");
	CHECK(armed == 30000);
	ocppj_check_timeouts(&sess, now + 30000 - 1); /* a timer a little early: wait for the rest */
	CHECK(nresults == 3);
	now += 29990;
	ocppj_check_timeouts(&sess, now);
	CHECK(nresults == 3 && armed == 10);
	now -= 29990;
	now += 30000;
	ocppj_check_timeouts(&sess, now);
	CHECK_STR(results[3], "d:Timeout::30000");
	CHECK_CONTAINS(sent(), "cs-6"); /* the next one goes out */
	CHECK(armed == 30000);          /* with a timer of its own */
	CHECK(rpc.stats.call_timeouts == 1);

	/* closing fails what is in flight and queued */
	CHECK(ocppj_call(&sess, "Reset", reset, on_result, "f", why, sizeof why) == 0);
	ocppj_fail_all(&sess, "Closed");
	CHECK_STR(results[4], "e:Closed::0");
	CHECK_STR(results[5], "f:Closed::0");
	CHECK(armed == -1);
	CHECK(!sess.inflight && !sess.queue_head);
	CHECK(tracked == 0); /* every tracked CALL ended exactly once */
	/* typed outcomes: a, c, b, d, e, f */
	CHECK(outcomes[0] == CALL_ANSWERED && outcomes[1] == CALL_ERROR && outcomes[2] == CALL_ERROR);
	CHECK(outcomes[3] == CALL_TIMEOUT && outcomes[4] == CALL_CLOSED && outcomes[5] == CALL_CLOSED);
	CHECK(rpc.stats.calls_out == 5);
	cJSON_Delete(reset);
	cJSON_Delete(bad);
	cJSON_Delete(prof);
}

/* Every action of actions.def has its schemas, both ways. */
static void check_action_list(void)
{
	int n;
	const struct action_row *rows = actions_table(&n);
	CHECK(n == OCPP_ACT_COUNT && n == 39);
	for (int i = 0; i < n; i++) {
		CHECK(schema_get(rows[i].name, 0) != NULL);
		CHECK(schema_get(rows[i].name, 1) != NULL);
		CHECK(actions_find(rows[i].name) == &rows[i]);
		CHECK(actions_index(&rows[i]) == i);
	}
	CHECK(actions_find("Heartbeat") == &rows[OCPP_ACT_Heartbeat]);
	CHECK(rows[OCPP_ACT_BootNotification].before_accept && !rows[OCPP_ACT_Authorize].before_accept);
	CHECK(rows[OCPP_ACT_Reset].dir == CS_TO_CP && rows[OCPP_ACT_DataTransfer].dir == BOTH_WAYS);
}

int main(void)
{
	CHECK(schema_init() == 0);
	rpc.hooks = &hooks;
	rpc.now_ms = &now;
	rpc.max_frame = 65536;
	rpc.call_timeout_s = 30;
	rpc.validate_outgoing = 1;
	sess.rpc = &rpc;
	snprintf(sess.id, sizeof sess.id, "CP1");
	is_accepted = 1;
	check_action_list();
	check_calls_in();
	check_calls_out();
	session_destroy(&sess);
	return CHECK_DONE();
}
