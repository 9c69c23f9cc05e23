/* ocppj.h: OCPP-J RPC over one session: CALL / CALLRESULT / CALLERROR
 * frames, schema validation of everything received, dispatch through the
 * action table, and the CALLs we send (one in flight, the rest queued in
 * order, each with a deadline). It reaches the layers above only through
 * the session's rpc hooks (rpc.h): a CALL's handler, the acceptance gate,
 * the tracking of our CALLs (audit, meaning) and the write wake-up. */
#ifndef CSMS_OCPPJ_H
#define CSMS_OCPPJ_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "session.h"

/* One complete text frame from a charger. Never fails: every problem is
 * answered with a CALLERROR where the protocol allows an answer. */
void ocppj_receive(struct session *s, const char *buf, size_t len);
/* A frame larger than max_frame: only its first bytes were kept. */
void ocppj_oversized(struct session *s, const char *prefix, size_t prefix_len);

/* Sends (or queues) a CALL. payload is borrowed (serialised at once).
 * Returns 0; -1 when the payload fails the request schema (why filled),
 * -2 on allocation failure. cb is called exactly once. */
int ocppj_call(struct session *s, const char *action, const cJSON *payload, call_cb cb, void *arg, char *why,
	       size_t whylen);
/* The same, naming who asked for the audit ("admin", "dlm", "csms"; NULL: guessed).
 * A "dlm" call goes ahead of the queued ones. */
int ocppj_call_src(struct session *s, const char *action, const cJSON *payload, const char *source,
		   call_cb cb, void *arg, char *why, size_t whylen);
/* Ends in-flight calls past their deadline. */
void ocppj_check_timeouts(struct session *s, int64_t now_ms);
/* Fails every queued and in-flight call with "Closed". */
void ocppj_fail_all(struct session *s, const char *code);

/* One debug line for a frame on the wire: the charger, in or out, the
 * action of a CALL (else the message type) and message id, the size in
 * bytes; never the payload. The caller checks log_enabled(LOG_DEBUG) first:
 * with debug off a frame costs that one test. */
void ocppj_trace(const char *charger, int out, const char *buf, size_t len);

struct outmsg *ocppj_frame_result(const char *id, const cJSON *payload);
struct outmsg *ocppj_frame_error(const char *id, enum ocpp_status st, const char *desc);

#endif
