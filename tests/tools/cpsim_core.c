/* cpsim_core.c: the simulator's connection layer. One lws client context for
 * many chargers, OCPP-J framing, one CALL in flight per charger with a FIFO
 * behind it, message-id matching, timeouts, and dispatch of server CALLs to
 * cpsim_answer(). The only file of the tools that includes libwebsockets.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <libwebsockets.h>

#include "cpsim_int.h"

_Static_assert(CPSIM_PRE >= LWS_PRE, "CPSIM_PRE must cover LWS_PRE");

static void went_down(struct cpsim_cp *cp, enum cpsim_conn_event ev, int code, const char *reason);

int64_t cpsim_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---------------------------------------------------------------- URLs */

int cpsim_url_parse(const char *url, struct cpsim_url *out)
{
	const char *p, *host, *slash, *colon;
	size_t hl;

	memset(out, 0, sizeof(*out));
	if (!url || strncmp(url, "ws://", 5))
		return -EINVAL; /* wss:// is not needed by the tests yet */
	host = url + 5;
	slash = strchr(host, '/');
	p = slash ? slash : host + strlen(host);
	colon = memchr(host, ':', (size_t)(p - host));
	hl = (size_t)((colon ? colon : p) - host);
	if (!hl || hl >= sizeof(out->host))
		return -EINVAL;
	memcpy(out->host, host, hl);
	out->port = 80;
	if (colon) {
		char *end;
		long port = strtol(colon + 1, &end, 10);

		if (end != p || port < 1 || port > 65535)
			return -EINVAL;
		out->port = (int)port;
	}
	if (slash) {
		size_t pl = strlen(slash);

		while (pl > 1 && slash[pl - 1] == '/')
			pl--;
		if (pl >= sizeof(out->path))
			return -EINVAL;
		memcpy(out->path, slash, pl);
		if (pl == 1)
			out->path[0] = '\0';
	}
	return 0;
}

/* ---------------------------------------------------------------- errors */

void cpsim_cp_error(struct cpsim_cp *cp, const char *fmt, ...)
{
	va_list ap;
	char buf[256];

	cp->stats.errors++;
	if (cp->nerrlog >= CPSIM_ERRLOG_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	cp->errlog[cp->nerrlog] = strdup(buf);
	if (cp->errlog[cp->nerrlog])
		cp->nerrlog++;
}

const char *const *cpsim_cp_errlog(const struct cpsim_cp *cp)
{
	return (const char *const *)cp->errlog;
}

const struct cpsim_stats *cpsim_cp_stats(const struct cpsim_cp *cp)
{
	return &cp->stats;
}
const char *cpsim_cp_id(const struct cpsim_cp *cp)
{
	return cp->id;
}
int cpsim_cp_index(const struct cpsim_cp *cp)
{
	return cp->index;
}
int cpsim_ctx_count(const struct cpsim_ctx *ctx)
{
	return ctx->ncps;
}
struct cpsim_cp *cpsim_ctx_cp(struct cpsim_ctx *ctx, int i)
{
	return i >= 0 && i < ctx->ncps ? ctx->cps[i] : NULL;
}
struct cpsim_ctx *cpsim_cp_ctx(struct cpsim_cp *cp)
{
	return cp->ctx;
}
void *cpsim_cp_user(struct cpsim_cp *cp)
{
	return cp->user;
}
void cpsim_cp_set_user(struct cpsim_cp *cp, void *user)
{
	cp->user = user;
}
void *cpsim_ctx_user(struct cpsim_ctx *ctx)
{
	return ctx->o.user;
}
struct cpsim_model *cpsim_cp_model(struct cpsim_cp *cp)
{
	return &cp->model;
}
int cpsim_is_open(const struct cpsim_cp *cp)
{
	return cp->state == CPSIM_OPEN;
}
void cpsim_cp_wake_at(struct cpsim_cp *cp, int64_t at_us)
{
	cp->wake_us = at_us;
}
void cpsim_ctx_stop(struct cpsim_ctx *ctx)
{
	ctx->stop = 1;
	if (ctx->lws)
		lws_cancel_service(ctx->lws);
}
void cpsim_ctx_wake(struct cpsim_ctx *ctx)
{
	lws_cancel_service(ctx->lws);
}

int cpsim_calls_pending(const struct cpsim_cp *cp)
{
	int n = cp->call_active;

	for (struct cpsim_qcall *q = cp->cq_head; q; q = q->next)
		n++;
	return n;
}

int cpsim_tx_idle(const struct cpsim_cp *cp)
{
	return !cp->fq_head && !cp->call_unsent && (!cp->wsi || !lws_send_pipe_choked(cp->wsi));
}

/* ---------------------------------------------------------------- chargers */

static int pct_encode(const char *in, char *out, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *in; in++) {
		unsigned char c = (unsigned char)*in;
		int plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			strchr("-._~", c);

		if (o + 4 > len)
			return -ENAMETOOLONG;
		if (plain) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return 0;
}

struct cpsim_cp *cpsim_cp_new(struct cpsim_ctx *ctx, const struct cpsim_url *url, const char *id,
			      const char *path)
{
	struct cpsim_cp *cp = NULL;
	char enc[3 * CPSIM_ID_MAX + 1];
	size_t plen;

	if (!id || !*id || strlen(id) > CPSIM_ID_MAX)
		return NULL;
	if (ctx->ncps == ctx->cap) {
		int ncap = ctx->cap ? 2 * ctx->cap : 16;
		struct cpsim_cp **n = realloc(ctx->cps, (size_t)ncap * sizeof(*n));

		if (!n)
			return NULL;
		ctx->cps = n;
		ctx->cap = ncap;
	}
	cp = calloc(1, sizeof(*cp));
	if (!cp)
		return NULL;
	cp->ctx = ctx;
	cp->url = url;
	snprintf(cp->id, sizeof(cp->id), "%s", id);
	if (path) {
		cp->path = strdup(path);
	} else {
		if (pct_encode(id, enc, sizeof(enc)))
			goto fail;
		plen = strlen(url->path) + strlen(enc) + 2;
		cp->path = malloc(plen);
		if (cp->path)
			snprintf(cp->path, plen, "%s/%s", url->path, enc);
	}
	if (!cp->path)
		goto fail;
	cp->model.connectors = 1;
	cp->model.heartbeat_interval = 300;
	snprintf(cp->model.vendor, sizeof(cp->model.vendor), "cpsim");
	snprintf(cp->model.model, sizeof(cp->model.model), "sim-22kW");
	cp->index = ctx->ncps;
	ctx->cps[ctx->ncps++] = cp;
	return cp;
fail:
	free(cp->path);
	free(cp);
	return NULL;
}

int cpsim_cp_set_basic(struct cpsim_cp *cp, const char *user_colon_pass)
{
	size_t n = strlen(user_colon_pass);
	size_t cap = 4 * (n / 3 + 2) + 8;
	char *b = malloc(cap);

	if (!b)
		return -ENOMEM;
	memcpy(b, "Basic ", 6);
	if (lws_b64_encode_string(user_colon_pass, (int)n, b + 6, (int)(cap - 6)) < 0) {
		free(b);
		return -EINVAL;
	}
	free(cp->auth);
	cp->auth = b;
	return 0;
}

int cpsim_cp_set_source(struct cpsim_cp *cp, const char *addr)
{
	char *s = addr ? strdup(addr) : NULL;

	if (addr && !s)
		return -ENOMEM;
	free(cp->source);
	cp->source = s;
	return 0;
}

void cpsim_cp_set_reconnect(struct cpsim_cp *cp, int max_backoff_ms, int max_tries)
{
	cp->reconnect = 1;
	cp->rc_max_backoff_ms = max_backoff_ms > 0 ? max_backoff_ms : 10000;
	cp->rc_max_tries = max_tries;
}

int cpsim_connect(struct cpsim_cp *cp)
{
	struct lws_client_connect_info i;

	if (cp->state != CPSIM_IDLE)
		return -EALREADY;
	memset(&i, 0, sizeof(i));
	i.context = cp->ctx->lws;
	i.address = cp->url->host;
	i.port = cp->url->port;
	i.path = cp->path;
	i.host = cp->url->host;
	i.origin = cp->url->host;
	i.protocol = cp->ctx->o.omit_subprotocol ? NULL : "ocpp1.6";
	i.local_protocol_name = "cpsim";
	i.iface = cp->source;
	i.userdata = cp;
	i.pwsi = &cp->wsi;
	cp->state = CPSIM_CONNECTING;
	if (!lws_client_connect_via_info(&i)) {
		/* lws may already have reported CONNECTION_ERROR */
		if (cp->state == CPSIM_CONNECTING)
			went_down(cp, CPSIM_EV_REFUSED, 0, "connect failed");
		return -ECONNREFUSED;
	}
	return 0;
}

static void request_write(struct cpsim_cp *cp)
{
	if (cp->wsi && cp->state == CPSIM_OPEN)
		lws_callback_on_writable(cp->wsi);
}

void cpsim_close(struct cpsim_cp *cp, int code)
{
	cp->reconnect = 0;
	if (cp->state == CPSIM_OPEN) {
		cp->want_close = 1;
		cp->close_code_req = code ? code : LWS_CLOSE_STATUS_NORMAL;
		request_write(cp);
	}
}

/* ---------------------------------------------------------------- sending */

static int frame_push(struct cpsim_cp *cp, int kind, const char *buf, size_t len)
{
	struct cpsim_frame *f;

	if (cp->state != CPSIM_OPEN)
		return -ENOTCONN;
	f = malloc(sizeof(*f) + CPSIM_PRE + len + 1);
	if (!f)
		return -ENOMEM;
	f->next = NULL;
	f->kind = kind;
	f->len = len;
	if (len)
		memcpy(f->buf + CPSIM_PRE, buf, len);
	if (cp->fq_tail)
		cp->fq_tail->next = f;
	else
		cp->fq_head = f;
	cp->fq_tail = f;
	request_write(cp);
	return 0;
}

int cpsim_send_text(struct cpsim_cp *cp, const char *buf, size_t len)
{
	return frame_push(cp, 0, buf, len);
}

int cpsim_send_ping(struct cpsim_cp *cp)
{
	return frame_push(cp, 1, NULL, 0);
}

/* Frame the CALL into the charger's call buffer, which is kept between
 * calls: a closed-loop sender never allocates. */
static int call_start(struct cpsim_cp *cp, const char *action, const char *payload, size_t len,
		      cpsim_reply_fn cb, void *arg)
{
	size_t need = CPSIM_PRE + len + strlen(action) + 48;
	int n;

	if (need > cp->callbuf_cap) {
		unsigned char *b = realloc(cp->callbuf, need);

		if (!b)
			return -ENOMEM;
		cp->callbuf = b;
		cp->callbuf_cap = need;
	}
	snprintf(cp->call_id, sizeof(cp->call_id), "%u", ++cp->next_msgid);
	snprintf(cp->call_action, sizeof(cp->call_action), "%s", action);
	n = snprintf((char *)cp->callbuf + CPSIM_PRE, need - CPSIM_PRE, "[2,\"%s\",\"%s\",", cp->call_id,
		     action);
	memcpy(cp->callbuf + CPSIM_PRE + n, payload, len);
	cp->callbuf[CPSIM_PRE + (size_t)n + len] = ']';
	cp->call_len = (size_t)n + len + 1;
	cp->call_cb = cb;
	cp->call_arg = arg;
	cp->call_active = 1;
	cp->call_unsent = 1;
	request_write(cp);
	return 0;
}

int cpsim_call(struct cpsim_cp *cp, const char *action, const char *payload, size_t len, cpsim_reply_fn cb,
	       void *arg)
{
	struct cpsim_qcall *q;

	if (cp->state != CPSIM_OPEN)
		return -ENOTCONN;
	if (strlen(action) >= sizeof(cp->call_action))
		return -EINVAL;
	if (!cp->call_active)
		return call_start(cp, action, payload, len, cb, arg);
	q = malloc(sizeof(*q) + len + 1);
	if (!q)
		return -ENOMEM;
	q->next = NULL;
	q->cb = cb;
	q->arg = arg;
	snprintf(q->action, sizeof(q->action), "%s", action);
	q->len = len;
	memcpy(q->payload, payload, len);
	q->payload[len] = '\0';
	if (cp->cq_tail)
		cp->cq_tail->next = q;
	else
		cp->cq_head = q;
	cp->cq_tail = q;
	return 0;
}

int cpsim_call_json(struct cpsim_cp *cp, const char *action, cJSON *payload, cpsim_reply_fn cb, void *arg)
{
	char *txt;
	int ret;

	if (!payload)
		return -ENOMEM;
	txt = cJSON_PrintUnformatted(payload);
	cJSON_Delete(payload);
	if (!txt)
		return -ENOMEM;
	ret = cpsim_call(cp, action, txt, strlen(txt), cb, arg);
	cJSON_free(txt);
	return ret;
}

/* The in-flight CALL is over: hand the reply over, then start the next
 * queued one (before the callback, so a callback's new CALL queues behind it). */
static void call_finish(struct cpsim_cp *cp, struct cpsim_reply *r)
{
	cpsim_reply_fn cb = cp->call_cb;
	void *arg = cp->call_arg;
	char action[sizeof(cp->call_action)];
	struct cpsim_qcall *q;

	memcpy(action, cp->call_action, sizeof(action));
	r->rtt_us = cpsim_now_us() - cp->call_sent_us;
	cp->call_active = 0;
	cp->call_unsent = 0;
	if (r->kind == CPSIM_REPLY_RESULT)
		cp->stats.results++;
	else if (r->kind == CPSIM_REPLY_INVALID)
		cpsim_cp_error(cp, "%s: invalid CALLRESULT: %s", action, r->error_desc);
	else if (r->kind == CPSIM_REPLY_ERROR)
		cpsim_cp_error(cp, "%s: CALLERROR %s: %s", action, r->error_code ? r->error_code : "?",
			       r->error_desc ? r->error_desc : "");
	else if (r->kind == CPSIM_REPLY_TIMEOUT)
		cpsim_cp_error(cp, "%s: no answer in time", action);
	/* CLOSED is counted by the owner of the call: a reconnecting session
	 * resends, a load generator counts it */
	q = cp->cq_head;
	if (q && cp->state == CPSIM_OPEN) {
		cp->cq_head = q->next;
		if (!cp->cq_head)
			cp->cq_tail = NULL;
		if (call_start(cp, q->action, q->payload, q->len, q->cb, q->arg))
			cpsim_cp_error(cp, "%s: out of memory", q->action);
		free(q);
	}
	if (cb)
		cb(cp, arg, r);
}

/* Connection gone: every waiting CALL gets CLOSED, frames are dropped. */
static void fail_all(struct cpsim_cp *cp)
{
	struct cpsim_reply r = { .kind = CPSIM_REPLY_CLOSED, .error_desc = "connection closed" };
	struct cpsim_frame *f;
	struct cpsim_qcall *q;

	while ((f = cp->fq_head)) {
		cp->fq_head = f->next;
		free(f);
	}
	cp->fq_tail = NULL;
	/* detach the queue first: callbacks may queue new calls (which fail) */
	q = cp->cq_head;
	cp->cq_head = cp->cq_tail = NULL;
	if (cp->call_active) {
		cpsim_reply_fn cb = cp->call_cb;
		void *arg = cp->call_arg;

		cp->call_active = cp->call_unsent = 0;
		if (cb)
			cb(cp, arg, &r);
	}
	while (q) {
		struct cpsim_qcall *n = q->next;

		if (q->cb)
			q->cb(cp, q->arg, &r);
		free(q);
		q = n;
	}
}

/* ---------------------------------------------------------------- receiving */

static void send_callerror(struct cpsim_cp *cp, const char *id, const char *code, const char *desc)
{
	cJSON *a = cJSON_CreateArray();
	char *t;

	if (!a)
		return;
	cJSON_AddItemToArray(a, cJSON_CreateNumber(4));
	cJSON_AddItemToArray(a, cJSON_CreateString(id));
	cJSON_AddItemToArray(a, cJSON_CreateString(code));
	cJSON_AddItemToArray(a, cJSON_CreateString(desc));
	cJSON_AddItemToArray(a, cJSON_CreateObject());
	t = cJSON_PrintUnformatted(a);
	cJSON_Delete(a);
	if (t) {
		frame_push(cp, 0, t, strlen(t));
		cJSON_free(t);
	}
}

static void on_server_call(struct cpsim_cp *cp, const char *id, const char *action, const cJSON *req)
{
	const char *code;
	cJSON *resp = NULL, *a;
	char *t;

	cp->stats.server_calls++;
	if (cp->ctx->o.hooks.server_call_rx)
		cp->ctx->o.hooks.server_call_rx(cp, action);
	code = cpsim_answer(cp, action, req, &resp);
	if (code) {
		send_callerror(cp, id, code, "cpsim cannot handle this request");
		return;
	}
	a = cJSON_CreateArray();
	if (!a) {
		cJSON_Delete(resp);
		return;
	}
	cJSON_AddItemToArray(a, cJSON_CreateNumber(3));
	cJSON_AddItemToArray(a, cJSON_CreateString(id));
	cJSON_AddItemToArray(a, resp);
	t = cJSON_PrintUnformatted(a);
	if (t) {
		frame_push(cp, 0, t, strlen(t));
		cJSON_free(t);
	}
	/* consequences (triggered messages, notifications) go after the answer */
	cpsim_answers_after(cp, action, req, resp);
	if (cp->ctx->o.hooks.server_call) {
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(resp, "status");

		cp->ctx->o.hooks.server_call(cp, action, req, cJSON_IsString(st) ? st->valuestring : NULL);
	}
	cJSON_Delete(a);
}

static void on_frame(struct cpsim_cp *cp, const char *buf, size_t len)
{
	cJSON *root, *type, *id;
	int t;

	cp->stats.frames_rx++;
	if (cp->ctx->o.hooks.text) {
		cp->ctx->o.hooks.text(cp, buf, len);
		return;
	}
	root = cJSON_ParseWithLength(buf, len);
	if (!root) {
		cpsim_cp_error(cp, "received a frame that is not JSON");
		return;
	}
	type = cJSON_GetArrayItem(root, 0);
	id = cJSON_GetArrayItem(root, 1);
	if (!cJSON_IsArray(root) || !cJSON_IsNumber(type) || !cJSON_IsString(id)) {
		cpsim_cp_error(cp, "received a frame that is not OCPP-J");
		goto out;
	}
	t = type->valueint;
	if (t == 2) {
		cJSON *action = cJSON_GetArrayItem(root, 2);
		cJSON *payload = cJSON_GetArrayItem(root, 3);

		if (!cJSON_IsString(action) || !cJSON_IsObject(payload))
			send_callerror(cp, id->valuestring, "FormationViolation",
				       "CALL needs an action and an object payload");
		else
			on_server_call(cp, id->valuestring, action->valuestring, payload);
	} else if (t == 3 || t == 4) {
		struct cpsim_reply r = { 0 };
		char why[160];

		if (!cp->call_active || cp->call_unsent || strcmp(id->valuestring, cp->call_id)) {
			cpsim_cp_error(cp, "reply with unexpected message id \"%.40s\"", id->valuestring);
			goto out;
		}
		if (t == 3) {
			r.payload = cJSON_GetArrayItem(root, 2);
			r.kind = CPSIM_REPLY_RESULT;
			if (cpsim_check_result(cp->call_action, r.payload, why, sizeof(why))) {
				r.kind = CPSIM_REPLY_INVALID;
				r.error_desc = why;
			}
		} else {
			cJSON *c = cJSON_GetArrayItem(root, 2), *d = cJSON_GetArrayItem(root, 3);

			r.kind = CPSIM_REPLY_ERROR;
			r.error_code = cJSON_IsString(c) ? c->valuestring : "?";
			r.error_desc = cJSON_IsString(d) ? d->valuestring : "";
			r.payload = cJSON_GetArrayItem(root, 4);
		}
		call_finish(cp, &r);
	} else {
		cpsim_cp_error(cp, "received a frame of unknown message type %d", t);
	}
out:
	cJSON_Delete(root);
}

static void on_receive(struct cpsim_cp *cp, struct lws *wsi, const char *in, size_t len)
{
	size_t max = cp->ctx->o.max_frame;
	int first = lws_is_first_fragment(wsi), final = lws_is_final_fragment(wsi);

	if (lws_frame_is_binary(wsi)) {
		if (final)
			cpsim_cp_error(cp, "received a binary frame");
		return;
	}
	if (first && final && !lws_remaining_packet_payload(wsi)) {
		on_frame(cp, in, len); /* the common case: no copy */
		return;
	}
	if (first) {
		cp->rx_len = 0;
		cp->rx_overflow = 0;
	}
	if (!cp->rx_overflow) {
		if (cp->rx_len + len > max) {
			cp->rx_overflow = 1;
		} else {
			if (cp->rx_len + len > cp->rx_cap) {
				size_t ncap = cp->rx_cap ? cp->rx_cap : 4096;
				char *n;

				while (ncap < cp->rx_len + len)
					ncap *= 2;
				n = realloc(cp->rx, ncap);
				if (!n) {
					cp->rx_overflow = 1;
					return;
				}
				cp->rx = n;
				cp->rx_cap = ncap;
			}
			memcpy(cp->rx + cp->rx_len, in, len);
			cp->rx_len += len;
		}
	}
	if (final && !lws_remaining_packet_payload(wsi)) {
		if (cp->rx_overflow)
			cpsim_cp_error(cp, "received a frame over %zu bytes", max);
		else
			on_frame(cp, cp->rx, cp->rx_len);
		cp->rx_len = 0;
		cp->rx_overflow = 0;
	}
}

static int on_writable(struct cpsim_cp *cp, struct lws *wsi)
{
	struct cpsim_frame *f = cp->fq_head;

	if (cp->want_close && !f && !cp->call_unsent) {
		lws_close_reason(wsi, (enum lws_close_status)cp->close_code_req, NULL, 0);
		cp->stats.close_code = cp->close_code_req;
		cp->state = CPSIM_CLOSING;
		return -1;
	}
	if (f) {
		int wp = f->kind == 1 ? LWS_WRITE_PING : LWS_WRITE_TEXT;

		cp->fq_head = f->next;
		if (!cp->fq_head)
			cp->fq_tail = NULL;
		if (lws_write(wsi, f->buf + CPSIM_PRE, f->len, (enum lws_write_protocol)wp) < (int)f->len) {
			free(f);
			return -1;
		}
		free(f);
	} else if (cp->call_unsent) {
		cp->call_sent_us = cpsim_now_us();
		if (lws_write(wsi, cp->callbuf + CPSIM_PRE, cp->call_len, LWS_WRITE_TEXT) < (int)cp->call_len)
			return -1;
		cp->call_unsent = 0;
		cp->stats.calls++;
	}
	if (cp->fq_head || cp->call_unsent || cp->want_close)
		lws_callback_on_writable(wsi);
	return 0;
}

static void schedule_reconnect(struct cpsim_cp *cp)
{
	int64_t backoff = 500;

	if (!cp->reconnect || cp->ctx->stop)
		return;
	if (cp->rc_max_tries && cp->rc_tries >= cp->rc_max_tries) {
		cpsim_cp_error(cp, "gave up reconnecting after %d tries", cp->rc_tries);
		return;
	}
	for (int i = 0; i < cp->rc_tries && backoff < cp->rc_max_backoff_ms; i++)
		backoff *= 2;
	if (backoff > cp->rc_max_backoff_ms)
		backoff = cp->rc_max_backoff_ms;
	cp->rc_tries++;
	cp->rc_at_us = cpsim_now_us() + backoff * 1000;
}

static void went_down(struct cpsim_cp *cp, enum cpsim_conn_event ev, int code, const char *reason)
{
	struct cpsim_hooks *h = &cp->ctx->o.hooks;

	cp->state = CPSIM_IDLE;
	cp->wsi = NULL;
	cp->want_close = 0;
	if (ev == CPSIM_EV_CLOSED)
		cp->stats.close_code = code;
	fail_all(cp);
	schedule_reconnect(cp);
	if (h->conn)
		h->conn(cp, ev, code, reason);
}

static int cb_cpsim(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct cpsim_cp *cp = user;

	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		if (cp && cp->auth) {
			unsigned char **p = in, *end = *p + len;

			if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
							 (unsigned char *)cp->auth, (int)strlen(cp->auth), p,
							 end))
				return -1;
		}
		break;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (!cp)
			break;
		cp->wsi = wsi;
		cp->state = CPSIM_OPEN;
		if (cp->ever_open)
			cp->stats.reconnects++;
		cp->ever_open = 1;
		cp->rc_tries = 0;
		cp->stats.close_code = 0;
		if (cp->ctx->o.hooks.conn)
			cp->ctx->o.hooks.conn(cp, CPSIM_EV_CONNECTED, 0, NULL);
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (!cp)
			break;
		went_down(cp, CPSIM_EV_REFUSED, 0, in ? (const char *)in : "connection failed");
		break;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (cp && len >= 2) {
			const unsigned char *b = in;

			cp->stats.close_code = (b[0] << 8) | b[1];
		}
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (!cp)
			break;
		went_down(cp, CPSIM_EV_CLOSED, cp->stats.close_code ? cp->stats.close_code : 1006, NULL);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (cp)
			on_receive(cp, wsi, in, len);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (cp && cp->state >= CPSIM_OPEN)
			return on_writable(cp, wsi);
		break;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED: {
		struct cpsim_ctx *ctx = lws_context_user(lws_get_context(wsi));

		if (ctx && ctx->o.hooks.tick && !ctx->stop)
			ctx->o.hooks.tick(ctx, cpsim_now_us());
		break;
	}
	default: break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = { { "cpsim", cb_cpsim, 0, 0, 0, NULL, 0 },
						  { NULL, NULL, 0, 0, 0, NULL, 0 } };

/* ---------------------------------------------------------------- the loop */

/* One timer for the whole ctx: per-charger timers would each cost a sorted
 * list insertion, which is linear in the number of timers. */
static void on_tick(lws_sorted_usec_list_t *sul)
{
	struct cpsim_ctx *ctx = *(struct cpsim_ctx **)(sul + 1);
	int64_t now = cpsim_now_us();
	int64_t timeout = (int64_t)ctx->o.call_timeout_ms * 1000;

	for (int i = 0; i < ctx->ncps && !ctx->stop; i++) {
		struct cpsim_cp *cp = ctx->cps[i];

		if (cp->call_active && !cp->call_unsent && now - cp->call_sent_us > timeout) {
			struct cpsim_reply r = { .kind = CPSIM_REPLY_TIMEOUT };

			call_finish(cp, &r);
		}
		if (cp->rc_at_us && now >= cp->rc_at_us && cp->state == CPSIM_IDLE) {
			cp->rc_at_us = 0;
			cpsim_connect(cp);
		}
		if (cp->wake_us && now >= cp->wake_us) {
			cp->wake_us = 0;
			if (ctx->o.hooks.timer)
				ctx->o.hooks.timer(cp, now);
		}
	}
	if (ctx->o.hooks.tick && !ctx->stop)
		ctx->o.hooks.tick(ctx, now);
	if (!ctx->stop)
		lws_sul_schedule(ctx->lws, 0, sul, on_tick, (lws_usec_t)ctx->o.tick_ms * 1000);
}

struct cpsim_ctx *cpsim_ctx_create(const struct cpsim_ctx_opts *o)
{
	struct lws_context_creation_info info;
	struct cpsim_ctx *ctx;
	struct rlimit rl;
	rlim_t want = (rlim_t)(o->max_chargers > 0 ? o->max_chargers : 1) + 64;

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return NULL;
	ctx->o = *o;
	if (!ctx->o.call_timeout_ms)
		ctx->o.call_timeout_ms = 30000;
	if (!ctx->o.max_frame)
		ctx->o.max_frame = 1 << 20;
	if (!ctx->o.tick_ms)
		ctx->o.tick_ms = 10;
	/* the sul and a back pointer to ctx, so on_tick finds its ctx */
	ctx->tick_sul = calloc(1, sizeof(lws_sorted_usec_list_t) + sizeof(ctx));
	if (!ctx->tick_sul)
		goto fail;
	*(struct cpsim_ctx **)((lws_sorted_usec_list_t *)ctx->tick_sul + 1) = ctx;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < want) {
		rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	lws_set_log_level(o->lws_log_level ? o->lws_log_level : LLL_ERR, NULL);
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.gid = -1;
	info.uid = -1;
	info.user = ctx;
	info.fd_limit_per_thread = (unsigned int)want + 16;
	info.timeout_secs = 10;
	ctx->lws = lws_create_context(&info);
	if (!ctx->lws)
		goto fail;
	lws_sul_schedule(ctx->lws, 0, (lws_sorted_usec_list_t *)ctx->tick_sul, on_tick,
			 (lws_usec_t)ctx->o.tick_ms * 1000);
	return ctx;
fail:
	free(ctx->tick_sul);
	free(ctx);
	return NULL;
}

int cpsim_run(struct cpsim_ctx *ctx)
{
	while (!ctx->stop)
		if (lws_service(ctx->lws, 0) < 0)
			return -EIO;
	return 0;
}

static void cp_free(struct cpsim_cp *cp)
{
	struct cpsim_frame *f;
	struct cpsim_qcall *q;

	while ((f = cp->fq_head)) {
		cp->fq_head = f->next;
		free(f);
	}
	while ((q = cp->cq_head)) {
		cp->cq_head = q->next;
		free(q);
	}
	cpsim_session_free(cp);
	cpsim_model_free(&cp->model);
	for (int i = 0; i < cp->nerrlog; i++)
		free(cp->errlog[i]);
	free(cp->callbuf);
	free(cp->rx);
	free(cp->auth);
	free(cp->source);
	free(cp->path);
	free(cp);
}

void cpsim_ctx_destroy(struct cpsim_ctx *ctx)
{
	if (!ctx)
		return;
	ctx->stop = 1;
	/* lws calls CLIENT_CLOSED for live connections while destroying:
	 * no hooks may run on chargers being freed */
	memset(&ctx->o.hooks, 0, sizeof(ctx->o.hooks));
	for (int i = 0; i < ctx->ncps; i++)
		ctx->cps[i]->reconnect = 0;
	if (ctx->lws)
		lws_context_destroy(ctx->lws);
	for (int i = 0; i < ctx->ncps; i++)
		cp_free(ctx->cps[i]);
	free(ctx->cps);
	free(ctx->tick_sul);
	free(ctx);
}
