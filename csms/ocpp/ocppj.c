/* ocppj.c: the OCPP-J RPC layer. Parses frames, validates payloads with the
 * schemas, dispatches CALLs to handlers and turns their small status into
 * the CALLERROR wire code (the only place that does), and runs the queue of
 * CALLs we send to a charger. */
#include "ocppj.h"
#include "actions.h"
#include "jarena.h"
#include "jsontext.h"
#include "log.h"
#include "rpc.h"
#include "schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct outmsg *outmsg_new(size_t len)
{
	struct outmsg *m = malloc(sizeof *m + SESSION_PRE + len + 1);
	if (!m)
		return NULL;
	m->next = NULL;
	m->len = len;
	return m;
}

/* Builds "[prefix...payload]" into an outmsg. The payload is printed into
 * a stack buffer (no allocation for the usual small answer), a larger one
 * on the heap; the bytes are cJSON_PrintUnformatted's either way. */
static struct outmsg *frame_with_payload(const char *head, size_t headlen, const cJSON *payload)
{
	char text[2048], *heap = NULL, *p = text;
	if (!cJSON_PrintPreallocated((cJSON *)payload, text, (int)sizeof text, 0)) {
		p = heap = cJSON_PrintUnformatted(payload);
		if (!p)
			return NULL;
	}
	size_t plen = strlen(p);
	struct outmsg *m = outmsg_new(headlen + plen + 1);
	if (m) {
		char *d = (char *)m->data + SESSION_PRE;
		memcpy(d, head, headlen);
		memcpy(d + headlen, p, plen);
		d[headlen + plen] = ']';
	}
	cJSON_free(heap);
	return m;
}

/* JSON-escapes s into out (for ids and descriptions we did not produce). */
static size_t escape(char *out, size_t cap, const char *s)
{
	size_t n = 0;
	for (; *s && n + 7 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			out[n++] = '\\';
			out[n++] = (char)c;
		} else if (c < 0x20) {
			n += (size_t)snprintf(out + n, cap - n, "\\u%04x", c);
		} else
			out[n++] = (char)c;
	}
	out[n] = 0;
	return n;
}

struct outmsg *ocppj_frame_result(const char *id, const cJSON *payload)
{
	char head[2 * OCPP_MSGID_MAX + 16], eid[2 * OCPP_MSGID_MAX];
	escape(eid, sizeof eid, id);
	int n = snprintf(head, sizeof head, "[3,\"%s\",", eid);
	return frame_with_payload(head, (size_t)n, payload);
}

struct outmsg *ocppj_frame_error(const char *id, enum ocpp_status st, const char *desc)
{
	char eid[2 * OCPP_MSGID_MAX], edesc[512];
	escape(eid, sizeof eid, id);
	escape(edesc, sizeof edesc, desc ? desc : "");
	size_t cap = strlen(eid) + strlen(edesc) + 96;
	struct outmsg *m = outmsg_new(cap);
	if (!m)
		return NULL;
	int n = snprintf((char *)m->data + SESSION_PRE, cap, "[4,\"%s\",\"%s\",\"%s\",{}]", eid,
			 ocpp_error_code(st), edesc);
	m->len = (size_t)n;
	return m;
}

/* A charger's CALL and what it got, by action (-1: none or unknown). */
static void count_in(struct session *s, int row, enum ocpp_status st)
{
	if (row < 0 || row >= OCPP_ACT_COUNT)
		row = OCPP_ACT_COUNT;
	s->rpc->stats.in_msgs[row][st]++;
}

static void reply_error(struct session *s, const char *id, enum ocpp_status st, const char *desc)
{
	LOGD("ocppj", "%s: CALLERROR %s %s: %s", s->id, id, ocpp_error_code(st), desc ? desc : "");
	s->rpc->stats.callerrors_out++;
	struct outmsg *m = ocppj_frame_error(id, st, desc);
	if (m)
		session_reply(s, m);
}

/* Best effort: the message id of a frame we cannot parse, so the charger
 * can match our CALLERROR. "-1" when there is none. */
static void guess_id(const char *buf, size_t len, char id[OCPP_MSGID_MAX])
{
	size_t i = 0, n = 0;
	snprintf(id, OCPP_MSGID_MAX, "-1");
	while (i < len && (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t'))
		i++;
	if (i >= len || buf[i++] != '[')
		return;
	while (i < len && buf[i] != ',')
		i++;
	while (++i < len && buf[i] == ' ')
		;
	if (i >= len || buf[i] != '"')
		return;
	for (i++; i < len && buf[i] != '"' && n + 1 < OCPP_MSGID_MAX; i++) {
		if (buf[i] == '\\') { /* an escaped id: give up, keep "-1" */
			snprintf(id, OCPP_MSGID_MAX, "-1");
			return;
		}
		id[n++] = buf[i];
	}
	if (i < len && buf[i] == '"' && n && utf8_valid(id, n)) {
		id[n] = 0; /* never echo bytes that are not UTF-8 */
	} else
		snprintf(id, OCPP_MSGID_MAX, "-1");
}

void ocppj_oversized(struct session *s, const char *prefix, size_t prefix_len)
{
	char id[OCPP_MSGID_MAX], desc[96];
	guess_id(prefix, prefix_len, id);
	snprintf(desc, sizeof desc, "frame larger than %d bytes", s->rpc->max_frame);
	LOGW("ocppj", "%s: %s", s->id, desc);
	reply_error(s, id, OCPP_EFORMATION, desc);
	count_in(s, -1, OCPP_EFORMATION);
}

static enum ocpp_status from_schema(schema_result r)
{
	switch (r) {
	case SCHEMA_OK: return OCPP_OK;
	case SCHEMA_FORMATION: return OCPP_EFORMATION;
	case SCHEMA_TYPE: return OCPP_ETYPE;
	case SCHEMA_PROPERTY: return OCPP_EPROPERTY;
	case SCHEMA_OCCURRENCE: return OCPP_EOCCURRENCE;
	}
	return OCPP_EFORMATION;
}

/* Answers one CALL; returns what was answered (OCPP_OK: a CALLRESULT) and
 * the action's row in *rowi (-1 unknown). */
static enum ocpp_status handle_call_inner(struct session *s, const char *id, const char *action,
					  const cJSON *payload, int *rowi)
{
	const struct action_row *row = actions_find(action);
	char why[256];
	if (!row) {
		snprintf(why, sizeof why, "unknown action '%.64s'", action);
		reply_error(s, id, OCPP_ENOTIMPL, why);
		return OCPP_ENOTIMPL;
	}
	*rowi = actions_index(row);
	if (!(row->dir & CP_TO_CS)) {
		snprintf(why, sizeof why, "%s is sent by the central system, not by a charge point", action);
		reply_error(s, id, OCPP_ENOTSUPP, why);
		return OCPP_ENOTSUPP;
	}
	const schema *sc = schema_get(action, 0);
	if (!sc) {
		reply_error(s, id, OCPP_ENOTSUPP, "no schema for this action");
		return OCPP_ENOTSUPP;
	}
	schema_result vr = schema_validate(sc, payload, why, sizeof why);
	if (vr != SCHEMA_OK) {
		reply_error(s, id, from_schema(vr), why);
		return from_schema(vr);
	}
	if (!row->before_accept && !s->rpc->hooks->accepted(s)) {
		reply_error(s, id, OCPP_ESECURITY,
			    "charge point is not accepted: send BootNotification first");
		return OCPP_ESECURITY;
	}
	cJSON *resp = cJSON_CreateObject();
	const char *hwhy = NULL;
	if (!resp) {
		reply_error(s, id, OCPP_EINTERNAL, "out of memory");
		return OCPP_EINTERNAL;
	}
	enum ocpp_status st = s->rpc->hooks->handle(s, (enum ocpp_action) * rowi, payload, resp, &hwhy);
	if (st != OCPP_OK) {
		reply_error(s, id, st, hwhy ? hwhy : "");
		goto out;
	}
	if (s->rpc->validate_outgoing) {
		const schema *rs = schema_get(action, 1);
		if (rs && schema_validate(rs, resp, why, sizeof why) != SCHEMA_OK) {
			LOGE("ocppj", "BUG: our %s response fails its schema: %s", action, why);
			reply_error(s, id, OCPP_EINTERNAL, "response failed validation");
			st = OCPP_EINTERNAL;
			goto out;
		}
	}
	struct outmsg *m = ocppj_frame_result(id, resp);
	if (m) {
		session_reply(s, m);
	} else {
		reply_error(s, id, OCPP_EINTERNAL, "out of memory");
		st = OCPP_EINTERNAL;
	}
out:
	cJSON_Delete(resp);
	return st;
}

static void handle_call(struct session *s, const char *id, const char *action, const cJSON *payload)
{
	int rowi = -1;
	enum ocpp_status st = handle_call_inner(s, id, action, payload, &rowi);
	count_in(s, rowi, st);
}

static void send_next_call(struct session *s);

static void finish_call(struct session *s, struct pending_call *c, const struct call_result *r)
{
	(void)s;
	if (c->cb)
		c->cb(c->arg, r);
	free(c->frame);
	free(c);
}

static void handle_answer(struct session *s, int type, const char *id, const cJSON *root)
{
	struct pending_call *c = s->inflight;
	if (!c || strcmp(c->id, id)) {
		LOGW("ocppj", "%s: answer to unknown message id '%s' ignored", s->id, id);
		return;
	}
	s->inflight = NULL;
	struct call_result r = { 0 };
	r.latency_ms = *s->rpc->now_ms - c->sent_ms;
	char why[256];
	if (type == 3) {
		const cJSON *payload = cJSON_GetArrayItem(root, 2);
		const schema *rs = schema_get(c->action, 1);
		schema_result vr = rs ? schema_validate(rs, payload, why, sizeof why) : SCHEMA_OK;
		if (vr != SCHEMA_OK) {
			r.outcome = CALL_ERROR;
			r.status = from_schema(vr);
			r.code = ocpp_error_code(r.status);
			r.description = why;
			r.payload = payload;
			LOGW("ocppj", "%s: %s response fails its schema: %s", s->id, c->action, why);
		} else {
			r.outcome = CALL_ANSWERED;
			r.status = OCPP_OK;
			r.payload = payload;
		}
	} else {
		const cJSON *code = cJSON_GetArrayItem(root, 2), *desc = cJSON_GetArrayItem(root, 3);
		r.outcome = CALL_ERROR;
		r.code = cJSON_IsString(code) ? code->valuestring : "GenericError";
		int st = ocpp_error_from_code(r.code);
		r.status = st > 0 ? (enum ocpp_status)st : OCPP_EGENERIC;
		r.description = cJSON_IsString(desc) ? desc->valuestring : "";
		r.payload = cJSON_GetArrayItem(root, 4);
	}
	finish_call(s, c, &r);
	send_next_call(s);
}

/* The next JSON string of a frame's head, up to cap - 1 bytes of name
 * characters (anything else ends it: a trace line is not a validator).
 * Returns where it stopped. */
static const char *trace_str(const char *p, const char *end, char *out, size_t cap)
{
	size_t n = 0;
	while (p < end && (*p == ' ' || *p == ',' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	if (p < end && *p == '"')
		for (p++; p < end && *p != '"' && n + 1 < cap; p++) {
			unsigned char c = (unsigned char)*p;
			if (c < 0x21 || c > 0x7e || c == '\\')
				break;
			out[n++] = (char)c;
		}
	out[n] = 0;
	return p < end && *p == '"' ? p + 1 : end;
}

void ocppj_trace(const char *charger, int out, const char *buf, size_t len)
{
	static const char *const types[] = { [2] = "CALL", [3] = "CALLRESULT", [4] = "CALLERROR" };
	const char *p = buf, *end = buf + len;
	char msgid[OCPP_MSGID_MAX], action[48];
	const char *type = "not an OCPP-J message";
	while (p < end && (*p == '[' || *p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	int t = p < end && p + 1 < end && p[1] != '.' && (p[1] < '0' || p[1] > '9') ? *p - '0' : -1;
	if (t >= 2 && t <= 4)
		type = types[t];
	p = p < end ? trace_str(p + 1, end, msgid, sizeof msgid) : end;
	if (t == 2)
		trace_str(p, end, action, sizeof action);
	else
		action[0] = 0;
	LOGD("ocppj", "%s %s %s%s%s %s, %zu bytes", charger, out ? "out" : "in", action[0] ? action : type,
	     action[0] ? " " : "", action[0] ? type : "", msgid[0] ? msgid : "-", len);
}

void ocppj_receive(struct session *s, const char *buf, size_t len)
{
	char id[OCPP_MSGID_MAX];
	s->rpc->stats.frames_in++;
	enum jtext_err jerr;
	char why[96];
	/* The tree lives in the frame arena until the jarena_delete below:
	 * handlers and answer callbacks only look at it (jarena.h). */
	cJSON *root = jarena_parse(buf, len, &jerr);
	if (!root || !cJSON_IsArray(root)) {
		guess_id(buf, len, id);
		snprintf(why, sizeof why, "frame %s", root ? "is not a JSON array" : jtext_strerror(jerr));
		reply_error(s, id, OCPP_EFORMATION, why);
		count_in(s, -1, OCPP_EFORMATION);
		goto out;
	}
	const cJSON *t = cJSON_GetArrayItem(root, 0), *jid = cJSON_GetArrayItem(root, 1);
	int n = cJSON_GetArraySize(root);
	if (!cJSON_IsString(jid) || !*jid->valuestring || strlen(jid->valuestring) >= OCPP_MSGID_MAX) {
		reply_error(s, "-1", OCPP_EFORMATION, "message id must be a string of 1 to 36 characters");
		count_in(s, -1, OCPP_EFORMATION);
		goto out;
	}
	snprintf(id, sizeof id, "%s", jid->valuestring);
	if (!cJSON_IsNumber(t)) {
		reply_error(s, id, OCPP_EFORMATION, "message type id must be a number");
		count_in(s, -1, OCPP_EFORMATION);
		goto out;
	}
	/* Only the whole numbers 2, 3 and 4 are message types; converting any
	 * other double to int could be out of range. */
	double tv = t->valuedouble;
	int mtype = (tv == 2 || tv == 3 || tv == 4) ? (int)tv : 0;
	switch (mtype) {
	case 2: {
		const cJSON *action = cJSON_GetArrayItem(root, 2), *payload = cJSON_GetArrayItem(root, 3);
		if (n != 4 || !cJSON_IsString(action)) {
			reply_error(s, id, OCPP_EFORMATION, "CALL must be [2, id, action, payload]");
			count_in(s, -1, OCPP_EFORMATION);
			break;
		}
		if (!cJSON_IsObject(payload)) {
			reply_error(s, id, OCPP_EFORMATION, "CALL payload must be a JSON object");
			count_in(s, -1, OCPP_EFORMATION);
			break;
		}
		handle_call(s, id, action->valuestring, payload);
		break;
	}
	case 3:
		if (n != 3) {
			LOGW("ocppj", "%s: malformed CALLRESULT ignored", s->id);
			break;
		}
		handle_answer(s, 3, id, root);
		break;
	case 4:
		if (n < 4) {
			LOGW("ocppj", "%s: malformed CALLERROR ignored", s->id);
			break;
		}
		handle_answer(s, 4, id, root);
		break;
	default:
		reply_error(s, id, OCPP_EPROTOCOL, "message type id must be 2, 3 or 4");
		count_in(s, -1, OCPP_EPROTOCOL);
	}
out:
	jarena_delete(root);
}

/* ---- CALLs we send ---- */

/* The timer of the call in flight, or none. */
static void arm(struct session *s)
{
	if (!s->rpc->hooks->deadline)
		return;
	int64_t d = -1;
	if (s->inflight) {
		d = s->inflight->deadline_ms - *s->rpc->now_ms;
		if (d < 0)
			d = 0;
	}
	s->rpc->hooks->deadline(s->wsi, d);
}

static void send_next_call(struct session *s)
{
	if (s->inflight)
		return; /* its timer runs */
	if (!s->queue_head) {
		arm(s); /* nothing in flight: no timer */
		return;
	}
	struct pending_call *c = s->queue_head;
	s->queue_head = c->next;
	if (!s->queue_head)
		s->queue_tail = NULL;
	c->next = NULL;
	c->sent_ms = *s->rpc->now_ms;
	c->deadline_ms = c->sent_ms + (int64_t)s->rpc->call_timeout_s * 1000;
	s->inflight = c;
	struct outmsg *m = c->frame;
	c->frame = NULL;
	s->rpc->stats.calls_out++;
	session_send(s, m);
	arm(s);
}

int ocppj_call(struct session *s, const char *action, const cJSON *payload, call_cb cb, void *arg, char *why,
	       size_t whylen)
{
	return ocppj_call_src(s, action, payload, NULL, cb, arg, why, whylen);
}

int ocppj_call_src(struct session *s, const char *action, const cJSON *payload, const char *source,
		   call_cb cb, void *arg, char *why, size_t whylen)
{
	const schema *sc = schema_get(action, 0);
	const struct action_row *row = actions_find(action);
	if (!row || !(row->dir & CS_TO_CP) || !sc) {
		snprintf(why, whylen, "%s is not an action the central system sends", action);
		return -1;
	}
	if (!cJSON_IsObject(payload)) {
		snprintf(why, whylen, "payload must be a JSON object");
		return -1;
	}
	if (schema_validate(sc, payload, why, whylen) != SCHEMA_OK)
		return -1;
	struct pending_call *c = calloc(1, sizeof *c);
	if (!c)
		return -2;
	snprintf(c->id, sizeof c->id, "cs-%u", ++s->call_seq);
	snprintf(c->action, sizeof c->action, "%s", action);
	char head[128];
	int n = snprintf(head, sizeof head, "[2,\"%s\",\"%s\",", c->id, action);
	c->frame = frame_with_payload(head, (size_t)n, payload);
	if (!c->frame) {
		free(c);
		return -2;
	}
	if (s->rpc->hooks->track && s->rpc->hooks->track(s, action, c->id, payload, source, &cb, &arg)) {
		free(c->frame);
		free(c);
		return -2;
	}
	c->cb = cb;
	c->arg = arg;
	c->queued_ms = *s->rpc->now_ms;
	if (source && !strcmp(source, "dlm")) {
		/* A DLM limit may be a cut that keeps the breaker in: it goes
		 * ahead of queued admin calls (not of the one in flight). */
		c->next = s->queue_head;
		s->queue_head = c;
		if (!s->queue_tail)
			s->queue_tail = c;
	} else {
		if (s->queue_tail)
			s->queue_tail->next = c;
		else
			s->queue_head = c;
		s->queue_tail = c;
	}
	send_next_call(s);
	return 0;
}

void ocppj_check_timeouts(struct session *s, int64_t now_ms)
{
	struct pending_call *c = s->inflight;
	if (!c || now_ms < c->deadline_ms) {
		arm(s); /* early (clocks differ by a little): wait for the rest */
		return;
	}
	s->inflight = NULL;
	s->rpc->stats.call_timeouts++;
	LOGW("ocppj", "%s: %s %s timed out", s->id, c->action, c->id);
	struct call_result r = { .outcome = CALL_TIMEOUT,
				 .status = OCPP_EINTERNAL,
				 .code = "Timeout",
				 .description = "no answer from the charge point",
				 .latency_ms = now_ms - c->sent_ms };
	finish_call(s, c, &r);
	send_next_call(s);
}

void ocppj_fail_all(struct session *s, const char *code)
{
	struct call_result r = { .outcome = CALL_CLOSED,
				 .status = OCPP_EINTERNAL,
				 .code = code,
				 .description = "connection closed" };
	struct pending_call *c = s->inflight, *n;
	s->inflight = NULL;
	if (c)
		finish_call(s, c, &r);
	for (c = s->queue_head; c; c = n) {
		n = c->next;
		finish_call(s, c, &r);
	}
	s->queue_head = s->queue_tail = NULL;
	arm(s);
}
