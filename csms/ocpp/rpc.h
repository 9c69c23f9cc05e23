/* rpc.h: what the RPC layer (ocppj.c, session.c) needs from the layers
 * above, given once by the app: its settings, the loop's clock, the hooks
 * it calls up through, and the counters it keeps. One per daemon. */
#ifndef CSMS_RPC_H
#define CSMS_RPC_H

#include <stdint.h>
#include <cjson/cJSON.h>
#include "actions.h"
#include "ocpp.h"

struct session;

/* How a CALL we sent ended. */
enum call_outcome {
	CALL_ANSWERED, /* a CALLRESULT that passed its schema (status OCPP_OK) */
	CALL_ERROR,    /* a CALLERROR, or a CALLRESULT failing its schema */
	CALL_TIMEOUT,  /* no answer before the deadline */
	CALL_CLOSED    /* the connection went away first */
};

/* The result of a CALL we sent: its outcome; status OCPP_OK with the
 * payload, an error code from a CALLERROR, or OCPP_EINTERNAL with code
 * "Timeout"/"Closed". payload and details are borrowed for the callback's
 * duration. */
struct call_result {
	enum call_outcome outcome;
	enum ocpp_status status;
	const char *code; /* wire code, "Timeout" or "Closed" */
	const char *description;
	const cJSON *payload; /* CALLRESULT payload or CALLERROR details */
	int64_t latency_ms;
};
typedef void (*call_cb)(void *arg, const struct call_result *r);

struct rpc_hooks {
	/* A charger's CALL, valid by its schema and allowed now: fill resp
	 * (an empty object) or return an error status (*why: static text). */
	enum ocpp_status (*handle)(struct session *s, enum ocpp_action act, const cJSON *payload, cJSON *resp,
				   const char **why);
	/* May this charger send actions that need acceptance? */
	int (*accepted)(const struct session *s);
	/* Every CALL we send, before it is queued; may wrap *cb and *arg to
	 * learn its outcome. 0, or -1 to refuse it. */
	int (*track)(struct session *s, const char *action, const char *msg_id, const cJSON *payload,
		     const char *source, call_cb *cb, void **arg);
	/* A session has frames to write. */
	void (*want_write)(void *wsi);
	/* Write a session's queued frames now, outside the connection's
	 * callbacks (the end of a turn releasing what its commit made
	 * durable); NULL: want_write. */
	void (*flush)(void *wsi);
	/* Call ocppj_check_timeouts for this connection's session in delay_ms
	 * (it replaces the one set before); delay_ms < 0 cancels. Each
	 * connection's in-flight CALL has its own timer: no scan of all. */
	void (*deadline)(void *wsi, int64_t delay_ms);
};

/* Frames and answers, for /metrics. */
struct rpc_stats {
	uint64_t frames_in, frames_out, callerrors_out, calls_out, call_timeouts;
	/* CALLs from chargers by action (last row: unknown action or no frame)
	 * and answer (OCPP_OK = CALLRESULT, else the CALLERROR sent). */
	uint64_t in_msgs[OCPP_ACT_COUNT + 1][OCPP_STATUS_COUNT];
};

struct rpc {
	const struct rpc_hooks *hooks;
	const int64_t *now_ms; /* the loop's clock, stamped by its owner */
	int max_frame;         /* bytes, for the oversized-frame answer */
	int call_timeout_s;    /* our CALLs' deadline */
	int validate_outgoing; /* check our own CALLRESULTs against their schema */
	struct session *dirty; /* sessions holding replies until the commit */
	struct rpc_stats stats;
};

#endif
