/* server.c: everything that touches libwebsockets. The OCPP listeners
 * (ws:// and wss://, subprotocol ocpp1.6, charger id from the last path
 * segment, Basic auth for security profiles 1 and 2), the admin HTTP
 * listener (one request per connection), the 250 ms tick and the loop that
 * commits once per turn. Every path is checked as sent (reqline.h) before
 * lws's decoded one is routed on. The loop is libev's epoll backend
 * through lws's event-library plugin (lws's own loop polls every socket
 * each turn); lws's poll loop only when the plugin cannot be loaded. */
#include "server.h"
#include "http.h"
#include "jsontext.h"
#include "log.h"
#include "ocppj.h"
#include "lws_compat.h"
#include "reqline.h"
#include "session.h"

#include <ev.h>
#include <limits.h>
#include <malloc.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

_Static_assert(LWS_PRE <= SESSION_PRE, "SESSION_PRE must cover LWS_PRE");

#define TICK_US (250 * LWS_US_PER_MS)
#define HTTP_BODY_MAX (1024 * 1024)
#define OCPP_RX_BUFFER 1024
#define OCPP_TX_PACKET 65536
/* Frames queued for one charger (answers and our CALLs) at which its
 * connection is closed: it sends without reading. A charger that waits for
 * each answer, as OCPP-J asks, has one or two. */
#define OUT_MAX 256
#define FD_SPARE 128 /* open files beside the connections: store, logs, listeners, lws's own */

/* One per daemon; lives from server_start to server_destroy. */
struct server {
	struct lws_context *ctx;
	struct server_opts o;
	struct server_events ev;
	struct ev_loop *loop; /* ours, lent to lws as its foreign loop; NULL: lws's poll loop */
	ev_io watch_io;       /* server_watch_fd's fd (active when watch_fd >= 0) */
	int watch_fd;
	lws_sorted_usec_list_t tick;
	lws_retry_bo_t retry;
	rlim_t nofile_was, nofile, nofile_hard; /* the open files limit before and after set_fd_limit */
	int n_ocpp;                 /* OCPP connections with a session (ESTABLISHED, not yet CLOSED) */
	unsigned long busy_refused; /* handshakes answered 503: key checks over the loop's share */
	unsigned churn;             /* connections opened or closed since the last heap trim */
	unsigned ticks;
	int going_away; /* shutting down: each OCPP connection closes with 1001 */
};

/* Per OCPP connection, owned by lws: points to our session. */
struct ws_pss {
	struct session *s;
	struct server *srv;
	lws_sorted_usec_list_t deadline; /* of the CALL in flight (server_call_deadline) */
	char id[SESSION_ID_MAX];
	int closing; /* our close frame is on its way (server_close_all) */
};

/* Per admin HTTP connection, owned by lws. */
struct http_pss {
	struct http_txn *txn;
};

void server_want_write(void *wsi)
{
	if (wsi)
		lws_callback_on_writable((struct lws *)wsi);
}

void server_wake(struct server *srv)
{
	if (srv && srv->ctx)
		lws_cancel_service(srv->ctx);
}

static void deadline_cb(lws_sorted_usec_list_t *sul)
{
	struct ws_pss *p = lws_container_of(sul, struct ws_pss, deadline);
	if (p->s && p->srv)
		p->srv->ev.deadline(p->srv->ev.ctx, p->s);
}

void server_call_deadline(void *wsi, int64_t delay_ms)
{
	if (!wsi)
		return;
	struct lws *w = wsi;
	struct ws_pss *p = lws_wsi_user(w);
	if (!p)
		return;
	if (delay_ms < 0) {
		lws_sul_cancel(&p->deadline);
		return;
	}
	p->srv = lws_context_user(lws_get_context(w));
	lws_sul_schedule(p->srv->ctx, 0, &p->deadline, deadline_cb, delay_ms * LWS_US_PER_MS);
}

void server_close_session(struct session *s)
{
	s->replaced = 1;
	server_want_write(s->wsi);
}

/* ---- OCPP websocket ---- */

/* The chargePointId: the last path segment. lws has already percent-decoded
 * the path once and split off the query, so it is taken as it is (a second
 * decoding would turn "%252F" into "/"): 1..48 bytes of UTF-8 text with no
 * control character. 0 or -1. */
static int id_from_path(const char *path, char id[SESSION_ID_MAX])
{
	const char *seg = strrchr(path, '/');
	seg = seg ? seg + 1 : path;
	size_t n = strlen(seg);
	if (!n || n >= SESSION_ID_MAX || !jtext_text_ok(seg, n))
		return -1;
	memcpy(id, seg, n + 1);
	return 0;
}

/* The request as sent must route where lws's decoded path says (reqline.h).
 * NULL when it does, else why not. */
static const char *raw_target_problem(struct lws *wsi, const char *lws_path)
{
	char line[REQLINE_MAX + 1];
	int n = reqline_take(lws_get_socket_fd(wsi), line, sizeof line);
	if (n < 0)
		return "the request line is too long";
	return reqline_check(line, (size_t)n, lws_path);
}

static int has_ocpp16(const char *list)
{
	const char *p = list;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t n = strcspn(p, ", ");
		if (n == 7 && !strncmp(p, "ocpp1.6", 7))
			return 1;
		p += n;
	}
	return 0;
}

/* Security profiles 1 and 2: Basic auth, user = id, password = the
 * charger's AuthorizationKey (any bytes, ':' included), checked by the
 * owner (check_password). 0 accepted, -1 refused, 1 busy (not checked now). */
static int check_basic_auth(struct server *srv, struct lws *wsi, const char *id)
{
	char hdr[256], dec[200];
	size_t idlen = strlen(id);
	if (lws_hdr_copy(wsi, hdr, sizeof hdr, WSI_TOKEN_HTTP_AUTHORIZATION) <= 0 ||
	    strncmp(hdr, "Basic ", 6))
		return -1;
	int n = lws_b64_decode_string(hdr + 6, dec, sizeof dec - 1);
	if (n <= 0 || (size_t)n <= idlen || memcmp(dec, id, idlen) || dec[idlen] != ':')
		return -1;
	int rc = srv->ev.check_password(srv->ev.ctx, id, dec + idlen + 1, (size_t)n - idlen - 1);
	return rc < 0 ? -1 : rc > 0 ? 1 : 0;
}

/* Security profile 3, during the TLS handshake, once per certificate of
 * the client's chain: OpenSSL has checked it against tls_ca (signature,
 * validity dates, CA flags) and says so in preverify_ok. lws would let a
 * certificate through whatever OpenSSL found unless we refuse it here.
 * 0 accepted, 1 refused. */
static int verify_client_cert(struct lws *wsi, X509_STORE_CTX *x, int preverify_ok)
{
	if (preverify_ok)
		return 0;
	char subject[256] = "", addr[64] = "?";
	lws_get_peer_simple(wsi, addr, sizeof addr);
	X509 *cert = X509_STORE_CTX_get_current_cert(x);
	if (cert)
		X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof subject);
	LOGW("server", "TLS handshake refused from %s: client certificate '%s' (depth %d): %s", addr, subject,
	     X509_STORE_CTX_get_error_depth(x), X509_verify_cert_error_string(X509_STORE_CTX_get_error(x)));
	return 1;
}

/* The wss:// listener's SSL_CTX, once lws has made it (before its
 * certificate is loaded):
 * - SSL_MODE_RELEASE_BUFFERS: an idle connection gives its 16 KiB read
 *   and write buffers back (about 35 KiB per idle TLS charger otherwise);
 * - session tickets (stateless: nothing kept per session on our side, no
 *   server cache) so that a charger that reconnects resumes with a
 *   ticket instead of a full handshake; one ticket per handshake is
 *   enough for a charger's one connection. The session id context lets
 *   a session whose client certificate was verified (profile 3) resume
 *   (OpenSSL refuses that without one); the verification result is kept
 *   in the ticket, and the common name is checked on each connection. */
void server_tls_tune(void *ssl_ctx)
{
	SSL_CTX *ctx = ssl_ctx;
	static const unsigned char sid_ctx[] = "csmsd-ocpp";
	if (!ctx)
		return;
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(ctx, 1);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof sid_ctx - 1);
}

/* Security profile 3: the chain verified (verify_client_cert); its common
 * name must be the chargePointId (OCPP 1.6 security whitepaper). */
static int check_client_cert(struct lws *wsi, const char *id)
{
	union lws_tls_cert_info_results *r;
	char buf[sizeof(*r) + 128];
	r = (union lws_tls_cert_info_results *)buf;
	if (!lws_is_ssl(wsi) || lws_tls_peer_cert_info(wsi, LWS_TLS_CERT_INFO_VERIFIED, r, 0) ||
	    !r->verified || lws_tls_peer_cert_info(wsi, LWS_TLS_CERT_INFO_COMMON_NAME, r, 128))
		return -1;
	return strcmp(r->ns.name, id) ? -1 : 0;
}

/* Reassembles a frame from its fragments (or takes it in place, the
 * common case) and hands it on; past max_frame only its first 256 bytes
 * are kept, for the answer's message id. */
/* A whole frame (or an oversized one's prefix) goes to the owner; at
 * debug level it is traced first, with the size it had on the wire. */
static void frame_in(const struct server_events *ev, struct session *s, const char *buf, size_t len,
		     int oversized)
{
	if (log_enabled(LOG_DEBUG))
		ocppj_trace(s->id, 0, buf, len);
	ev->frame(ev->ctx, s, buf, len, oversized);
}

static void on_receive(struct server *srv, struct session *s, struct lws *wsi, const char *in, size_t len)
{
	const struct server_events *ev = &srv->ev;
	int final = lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi);
	size_t max = srv->o.max_frame;
	if (lws_frame_is_binary(wsi) && lws_is_first_fragment(wsi) && !s->rx_len)
		LOGW("ocppj", "%s: binary frame (OCPP-J is text)", s->id);
	if (!s->rx_len && !s->rx_overflow && final) {
		if (len > max)
			frame_in(ev, s, in, len < 256 ? len : 256, 1);
		else
			frame_in(ev, s, in, len, 0);
		return;
	}
	if (!s->rx_overflow && s->rx_len + len > max) {
		s->rx_overflow = 1; /* keep what we have as the prefix, drop the rest */
		if (!s->rx_len) {
			size_t keep = len < 256 ? len : 256;
			char *p = realloc(s->rx, keep);
			if (p) {
				s->rx = p;
				s->rx_cap = keep; /* the buffer is now this small */
				memcpy(p, in, keep);
				s->rx_len = keep;
			}
		}
	}
	if (!s->rx_overflow) {
		if (s->rx_len + len > s->rx_cap) {
			size_t cap = s->rx_cap ? s->rx_cap : 4096;
			while (cap < s->rx_len + len)
				cap *= 2;
			char *p = realloc(s->rx, cap);
			if (!p) {
				s->rx_overflow = 1;
				goto check_final;
			}
			s->rx = p;
			s->rx_cap = cap;
		}
		memcpy(s->rx + s->rx_len, in, len);
		s->rx_len += len;
	}
check_final:
	if (!final)
		return;
	if (s->rx_overflow)
		frame_in(ev, s, s->rx ? s->rx : "", s->rx_len < 256 ? s->rx_len : 256, 1);
	else
		frame_in(ev, s, s->rx, s->rx_len, 0);
	s->rx_len = 0;
	s->rx_overflow = 0;
	if (s->rx_cap > 65536) { /* do not keep a huge buffer per idle charger */
		free(s->rx);
		s->rx = NULL;
		s->rx_cap = 0;
	}
}

/* "from ADDR path PATH" for a refused handshake: who knocked, and where.
 * The path as lws decoded it, with anything unprintable shown as '?'. */
static const char *who(struct lws *wsi, char *out, size_t cap)
{
	char addr[64] = "?", path[256] = "";
	lws_get_peer_simple(wsi, addr, sizeof addr);
	if (lws_hdr_copy(wsi, path, sizeof path, WSI_TOKEN_GET_URI) < 0)
		path[0] = 0;
	for (char *q = path; *q; q++)
		if ((unsigned char)*q < 0x20 || (unsigned char)*q > 0x7e)
			*q = '?';
	const char *a = strncmp(addr, "::ffff:", 7) || !strchr(addr + 7, '.') ? addr : addr + 7; /* IPv4 */
	snprintf(out, cap, "from %s path %s", a, path[0] ? path : "(none)");
	return out;
}

/* Before any protocol is chosen: a path that is not one clean /.../<id>
 * is a 400 (the connection's user space is not ours yet). 0 lets the
 * upgrade go on. */
static int handshake_path(struct lws *wsi)
{
	char buf[512], w[384];
	const char *why = NULL;
	char id[SESSION_ID_MAX];
	if (lws_hdr_copy(wsi, buf, sizeof buf, WSI_TOKEN_GET_URI) <= 0)
		why = "no request path";
	else if ((why = raw_target_problem(wsi, buf)) == NULL && id_from_path(buf, id))
		why = "no valid chargePointId in the path";
	if (!why)
		return 0;
	LOGW("server", "handshake refused (400) %s: %s", who(wsi, w, sizeof w), why);
	lws_return_http_status(wsi, HTTP_STATUS_BAD_REQUEST, why);
	return 1;
}

/* The websocket handshake: the subprotocol, the id, the credentials of
 * the security profile, then the owner's admission. 0 accepts. */
static int handshake_filter(struct server *srv, struct ws_pss *p, struct lws *wsi)
{
	char buf[512], w[384];
	if (srv->going_away) /* shutting down: server_close_all waits for no newcomer */
		return 1;
	if (lws_hdr_copy(wsi, buf, sizeof buf, WSI_TOKEN_PROTOCOL) <= 0 || !has_ocpp16(buf)) {
		LOGW("server", "handshake refused %s: subprotocol ocpp1.6 not offered",
		     who(wsi, w, sizeof w));
		return 1;
	}
	/* no HTTP version: lws cut the path at a decoded CR or LF */
	if (!lws_hdr_total_length(wsi, WSI_TOKEN_HTTP) ||
	    lws_hdr_copy(wsi, buf, sizeof buf, WSI_TOKEN_GET_URI) <= 0 || id_from_path(buf, p->id)) {
		LOGW("server", "handshake refused %s: no valid chargePointId in the path",
		     who(wsi, w, sizeof w));
		return 1;
	}
	int profile = srv->o.security_profile;
	int auth = profile == 1 || profile == 2 ? check_basic_auth(srv, wsi, p->id) : 0;
	if (auth > 0) {
		/* a storm of key checks: this one later (the charger retries) */
		srv->busy_refused++;
		LOGD("server", "%s: handshake answered 503 %s: key checks use the loop's share", p->id,
		     who(wsi, w, sizeof w));
		lws_return_http_status(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE,
				       "busy checking keys: connect again in a few seconds");
		return 1;
	}
	if (auth) {
		LOGW("server", "%s: handshake refused %s: bad or missing Basic credentials", p->id,
		     who(wsi, w, sizeof w));
		return 1;
	}
	if (profile == 3 && check_client_cert(wsi, p->id)) {
		LOGW("server", "%s: handshake refused %s: client certificate is not for this charger", p->id,
		     who(wsi, w, sizeof w));
		return 1;
	}
	/* Refused before anything is allocated for it: an unknown id
	 * beyond the bound costs neither memory nor a database row. */
	int admit = srv->ev.admit(srv->ev.ctx, p->id);
	if (admit) {
		LOGW("server", "%s: handshake refused %s: %s", p->id, who(wsi, w, sizeof w),
		     admit > 0 ? "unknown charger, max_pending_chargers pending chargers already"
			       : "store error");
		return 1;
	}
	return 0;
}

/* One frame of the write queue out; 0, or -1 when the socket failed.
 * Only when lws holds nothing of an earlier frame (lws_partial_buffered):
 * then lws_write takes the frame whole, keeps what the socket does not
 * take now and asks for WRITEABLE itself. With something held, lws would
 * queue the frame behind it but return only what it sent of the old part,
 * which reads as a failed write. */
static int write_one(struct session *s, struct lws *wsi, struct outmsg *m)
{
	int n = lws_write(wsi, m->data + SESSION_PRE, m->len, LWS_WRITE_TEXT);
	if (n < (int)m->len)
		return -1;
	if (log_enabled(LOG_DEBUG))
		ocppj_trace(s->id, 1, (const char *)m->data + SESSION_PRE, m->len);
	s->out_head = m->next;
	if (!s->out_head)
		s->out_tail = NULL;
	free(m);
	s->queued--;
	return 0;
}

/* The queued frames out while the socket takes them whole; the rest waits
 * for WRITEABLE. 0, or -1 when the socket failed. */
static int write_queue(struct session *s, struct lws *wsi)
{
	while (s->out_head) {
		/* the socket took only part of the last frame: the rest waits */
		if (lws_partial_buffered(wsi)) {
			lws_callback_on_writable(wsi);
			return 0;
		}
		if (write_one(s, wsi, s->out_head))
			return -1;
	}
	return 0;
}

/* The queued frames go out; a replaced session closes instead. */
static int ocpp_write(struct ws_pss *p, struct lws *wsi)
{
	struct session *s = p->s;
	if (!s)
		return 0;
	if (s->replaced) {
		lws_close_reason(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION, (unsigned char *)"replaced", 8);
		return -1;
	}
	if (p->srv && p->srv->going_away) {
		/* Returning -1 here would send the close frame and drop the
		 * socket at once, and so would a timeout. Closing from the timer
		 * callback (LWS_CALLBACK_TIMER) takes lws's polite way: it sends
		 * the close frame and waits for the charger's. */
		if (!p->closing) {
			p->closing = 1;
			lws_close_reason(wsi, LWS_CLOSE_STATUS_GOINGAWAY, (unsigned char *)"going away", 10);
			lws_set_timer_usecs(wsi, 1);
		}
		return 0;
	}
	return write_queue(s, wsi);
}

/* The end of a turn writes the answers its commit released at once: one
 * send per frame. Asking for WRITEABLE instead cost two epoll_ctl calls
 * (POLLOUT on, then off) and a loop turn per answer, about an eighth of
 * csmsd's CPU per MeterValues. Anything but plain frames (a replaced
 * session, shutdown, our close frame on its way) takes the callback. */
void server_flush(void *wsi)
{
	struct lws *w = wsi;
	struct ws_pss *p = w ? lws_wsi_user(w) : NULL;
	struct server *srv = w ? lws_context_user(lws_get_context(w)) : NULL;
	struct session *s = p ? p->s : NULL;

	if (!s || s->replaced || p->closing || !srv || srv->going_away) {
		server_want_write(wsi);
		return;
	}
	/* the socket failed: lws closes it on its next service */
	if (write_queue(s, w))
		lws_set_timeout(w, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
}

static int cb_ocpp(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct server *srv = wsi ? lws_context_user(lws_get_context(wsi)) : NULL;
	struct ws_pss *p = user;

	switch (reason) {
	case LWS_CALLBACK_FILTER_NETWORK_CONNECTION: reqline_expect((int)(intptr_t)in); break;
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: return handshake_path(wsi);
	case LWS_CALLBACK_OPENSSL_PERFORM_CLIENT_CERT_VERIFICATION:
		/* user is the X509_STORE_CTX, len OpenSSL's preverify_ok */
		return verify_client_cert(wsi, user, (int)len);
	case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
		server_tls_tune(user); /* user is the vhost's SSL_CTX */
		break;
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: return handshake_filter(srv, p, wsi);
	case LWS_CALLBACK_ESTABLISHED:
		p->srv = srv;
		p->s = srv->ev.connected(srv->ev.ctx, p->id, wsi);
		if (!p->s)
			return -1;
		srv->n_ocpp++;
		srv->churn++;
		break;
	case LWS_CALLBACK_RECEIVE:
		/* shutting down: no new work, the charger sends it again elsewhere */
		if (p->s && !p->s->replaced && !srv->going_away) {
			on_receive(srv, p->s, wsi, in, len);
			/* A charger that sends without reading our answers: they
			 * would pile up without end (the socket's buffer, then
			 * lws's and ours). Closed. (Not read meanwhile, with
			 * lws_rx_flow_control, was tried: lws 4.1 then spins for
			 * ever on a TLS connection with decrypted data pending.) */
			if (p->s && p->s->queued >= OUT_MAX) {
				LOGW("server", "%s: %u frames wait for it and it does not read them: closed",
				     p->s->id, p->s->queued);
				lws_close_reason(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION,
						 (unsigned char *)"not reading", 11);
				return -1;
			}
		}
		break;
	case LWS_CALLBACK_SERVER_WRITEABLE: return ocpp_write(p, wsi);
	case LWS_CALLBACK_TIMER: return p && p->closing ? -1 : 0; /* see ocpp_write */
	case LWS_CALLBACK_CLOSED: {
		struct session *sess = p->s;
		lws_sul_cancel(&p->deadline);
		p->s = NULL;
		if (sess) {
			srv->n_ocpp--;
			srv->churn++;
			srv->ev.closed(srv->ev.ctx, sess);
		}
		break;
	}
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		if (srv)
			srv->ev.wake(srv->ev.ctx);
		break;
	case LWS_CALLBACK_HTTP:
		/* A plain HTTP request on the OCPP port: one answer, then close. */
		reqline_forget(lws_get_socket_fd(wsi));
		lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, "OCPP endpoint: ws://HOST:PORT/ocpp/<id>");
		return -1;
	default: break;
	}
	return 0;
}

/* ---- admin HTTP ---- */

static void txn_free(struct http_txn *t)
{
	if (!t)
		return;
	free(t->body);
	free(t->resp);
	free(t);
}

void http_respond(struct http_txn *t, int status, const char *ctype, char *body, size_t len)
{
	if (!t->wsi) { /* the client went away while we waited */
		free(body);
		txn_free(t);
		return;
	}
	free(t->resp);
	t->status = status;
	t->ctype = ctype ? ctype : "application/json";
	t->resp = body;
	t->resp_len = body ? len : 0;
	t->resp_off = 0;
	t->answered = 1;
	lws_callback_on_writable((struct lws *)t->wsi);
}

void http_verror(struct http_txn *t, int status, const char *code, const char *fmt, va_list ap)
{
	char desc[512];
	vsnprintf(desc, sizeof desc, fmt, ap);
	cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o, "error");
	cJSON_AddStringToObject(e, "code", code);
	cJSON_AddStringToObject(e, "description", desc);
	char *body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	http_respond(t, body ? status : 500, "application/json", body, body ? strlen(body) : 0);
}

void http_error(struct http_txn *t, int status, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	http_verror(t, status, code, fmt, ap);
	va_end(ap);
}

int http_add_header(struct http_txn *t, const char *name, const char *value)
{
	for (size_t i = 0; i < sizeof t->extra / sizeof t->extra[0]; i++)
		if (!t->extra[i].name) {
			if (strlen(value) >= sizeof t->extra[i].value)
				return -1;
			t->extra[i].name = name;
			strcpy(t->extra[i].value, value);
			return 0;
		}
	return -1;
}

const char *http_query(const struct http_txn *t, const char *name, char *buf, size_t len)
{
	size_t nl = strlen(name);
	const char *p = t->query;
	while (*p) {
		const char *amp = strchr(p, '&');
		size_t seg = amp ? (size_t)(amp - p) : strlen(p);
		if (seg > nl && !strncmp(p, name, nl) && p[nl] == '=') {
			size_t vl = seg - nl - 1;
			if (vl >= len)
				vl = len - 1;
			memcpy(buf, p + nl + 1, vl);
			buf[vl] = 0;
			return buf;
		}
		p += seg;
		if (*p == '&')
			p++;
	}
	return NULL;
}

/* Runs one request, once (lws 4.1 may report a body's completion again). */
static void dispatch(struct server *srv, struct http_txn *t)
{
	if (t->dispatched)
		return;
	t->dispatched = 1;
	srv->ev.http(srv->ev.ctx, t);
}

static enum http_method method_of(struct lws *wsi)
{
	static const struct {
		enum lws_token_indexes tok;
		enum http_method m;
	} methods[] = {
		{ WSI_TOKEN_GET_URI, HTTP_GET },
		{ WSI_TOKEN_POST_URI, HTTP_POST },
		{ WSI_TOKEN_PUT_URI, HTTP_PUT },
		{ WSI_TOKEN_DELETE_URI, HTTP_DELETE },
	};
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (lws_hdr_total_length(wsi, methods[i].tok))
			return methods[i].m;
	return HTTP_OTHER;
}

/* lws_hdr_copy would join the arguments with ','; keep them '&'-separated.
 * An argument lws decoded to a NUL, or one that does not fit, makes the
 * request bad rather than shorter. */
static void read_query(struct lws *wsi, struct http_txn *t)
{
	t->query[0] = 0;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS) >= (int)sizeof t->query - 1)
		t->bad_target = 1;
	for (int i = 0, n = 0; !t->bad_target; i++) {
		int got = lws_hdr_copy_fragment(wsi, t->query + n, (int)sizeof t->query - n,
						WSI_TOKEN_HTTP_URI_ARGS, i);
		if (got < 0)
			break;
		if (strlen(t->query + n) != (size_t)got || n + got + 1 >= (int)sizeof t->query) {
			t->bad_target = 1;
			t->query[0] = 0;
			break;
		}
		n += got;
		t->query[n++] = '&';
		t->query[n] = 0;
	}
}

/* The request's headers are in: a transaction for it, run at once when it
 * has no body. One request per connection, closed once answered: only the
 * first request line is known as sent (reqline.h), so a request pipelined
 * behind it is not read. */
static int http_begin(struct server *srv, struct http_pss *p, struct lws *wsi, const char *path)
{
	if (p->txn)
		return 0;
	struct http_txn *t = calloc(1, sizeof *t);
	if (!t)
		return -1;
	p->txn = t;
	t->wsi = wsi;
	t->close_after = 1;
	if (snprintf(t->path, sizeof t->path, "%s", path ? path : "/") >= (int)sizeof t->path)
		t->bad_target = 1;
	if ((t->bad_target_why = raw_target_problem(wsi, t->path)) != NULL)
		t->bad_target = 1;
	/* lws ends the request line at a CR or LF it decoded from %0D or %0A
	 * and drops the rest: the path looks clean but the HTTP version was
	 * never read. That is the one trace it leaves. */
	if (!lws_hdr_total_length(wsi, WSI_TOKEN_HTTP))
		t->bad_target = 1;
	t->method = method_of(wsi);
	read_query(wsi, t);
	if (lws_hdr_copy(wsi, t->auth, sizeof t->auth, WSI_TOKEN_HTTP_AUTHORIZATION) < 0)
		t->auth[0] = 0;
	char enc[256];
	t->accept_gzip = lws_hdr_copy(wsi, enc, sizeof enc, WSI_TOKEN_HTTP_ACCEPT_ENCODING) > 0 &&
		strstr(enc, "gzip") != NULL;
	if (lws_hdr_copy(wsi, t->if_none_match, sizeof t->if_none_match, WSI_TOKEN_HTTP_IF_NONE_MATCH) < 0)
		t->if_none_match[0] = 0;
	/* lws 4.1 hands a chunked request body over still framed and never
	 * reports its end: refuse it (411) and close, since the unread chunks
	 * would be taken for the next request. A body with a Content-Length
	 * runs at BODY_COMPLETION, once read. */
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING)) {
		t->dispatched = 1;
		http_error(t, 411, "LengthRequired",
			   "Transfer-Encoding is not supported: send the body with a Content-Length");
		return 0;
	}
	char cl[32];
	int has_body = (t->method == HTTP_POST || t->method == HTTP_PUT) &&
		lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 && atol(cl) > 0;
	if (!has_body)
		dispatch(srv, t);
	return 0;
}

/* A piece of the request body: kept up to HTTP_BODY_MAX (past it the
 * route answers 413). */
static int http_body(struct http_pss *p, const void *in, size_t len)
{
	struct http_txn *t = p->txn;
	if (!t)
		return -1;
	if (!len || !in || t->dispatched)
		return 0;
	if (t->body_len + len > HTTP_BODY_MAX) {
		t->body_too_big = 1;
		return 0;
	}
	if (t->body_len + len + 1 > t->body_cap) {
		size_t cap = t->body_cap ? t->body_cap * 2 : 4096;
		while (cap < t->body_len + len + 1)
			cap *= 2;
		char *b = realloc(t->body, cap);
		if (!b)
			return -1;
		t->body = b;
		t->body_cap = cap;
	}
	memcpy(t->body + t->body_len, in, len);
	t->body_len += len;
	t->body[t->body_len] = 0;
	return 0;
}

/* On every admin answer: the dashboard's page may load only its own files
 * (no inline script, no other host) and may not be framed; the JSON
 * answers are never sniffed as something else. */
static const struct {
	const char *name, *value;
} security_headers[] = {
	{ "Content-Security-Policy:",
	  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
	  "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
	  "frame-ancestors 'none'" },
	{ "X-Content-Type-Options:", "nosniff" },
	{ "Referrer-Policy:", "no-referrer" },
	{ "X-Frame-Options:", "DENY" },
};

static int write_head(struct lws *wsi, const struct http_txn *t)
{
	unsigned char hbuf[LWS_PRE + 2048];
	unsigned char *start = hbuf + LWS_PRE, *q = start, *end = hbuf + sizeof hbuf - 1;
	const char *cc = t->cache_control ? t->cache_control : "no-store";
	/* a stream has no length: lws says "connection: close" itself */
	if (lws_add_http_common_headers(wsi, (unsigned int)t->status, t->ctype,
					t->streaming ? LWS_ILLEGAL_HTTP_CONTENT_LEN : t->resp_len, &q, end) ||
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL, (const unsigned char *)cc,
					 (int)strlen(cc), &q, end) ||
	    (t->close_after && !t->streaming &&
	     lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION, (const unsigned char *)"close", 5, &q,
					  end)) ||
	    (t->disposition &&
	     lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_DISPOSITION,
					  (const unsigned char *)t->disposition, (int)strlen(t->disposition),
					  &q, end)))
		return -1;
	for (size_t i = 0; i < sizeof t->extra / sizeof t->extra[0] && t->extra[i].name; i++)
		if (lws_add_http_header_by_name(wsi, (const unsigned char *)t->extra[i].name,
						(const unsigned char *)t->extra[i].value,
						(int)strlen(t->extra[i].value), &q, end))
			return -1;
	for (size_t i = 0; i < sizeof security_headers / sizeof security_headers[0]; i++)
		if (lws_add_http_header_by_name(wsi, (const unsigned char *)security_headers[i].name,
						(const unsigned char *)security_headers[i].value,
						(int)strlen(security_headers[i].value), &q, end))
			return -1;
	return lws_finalize_write_http_header(wsi, start, &q, end) ? -1 : 0;
}

int http_stream_begin(struct http_txn *t, const char *ctype, size_t max,
		      void (*gone)(struct http_txn *t, void *arg), void *arg)
{
	if (!t->wsi || t->answered)
		return -1;
	t->streaming = 1;
	t->deferred = 1;
	t->stream_max = max;
	t->gone = gone;
	t->gone_arg = arg;
	t->status = 200;
	t->ctype = ctype;
	t->answered = 1;
	/* The kernel's buffer bounded too (a fixed SO_SNDBUF turns its
	 * autotuning off, which would let a client that stops reading hold
	 * megabytes there before the queue above fills): a slow client is
	 * found in seconds and costs at most about 3 x max. */
	int fd = lws_get_socket_fd((struct lws *)t->wsi);
	int sb = max > (size_t)INT_MAX ? INT_MAX : (int)max;
	if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sb, sizeof sb))
		LOGD("server", "stream: SO_SNDBUF not set");
	lws_callback_on_writable((struct lws *)t->wsi);
	return 0;
}

int http_stream_send(struct http_txn *t, const char *data, size_t len)
{
	if (!t->wsi || !t->streaming || t->stream_drop)
		return -1;
	if (t->resp_len + len > t->stream_max) {
		t->stream_drop = 1;
		lws_callback_on_writable((struct lws *)t->wsi);
		return -1;
	}
	char *b = realloc(t->resp, t->resp_len + len);
	if (!b)
		return -1;
	memcpy(b + t->resp_len, data, len);
	t->resp = b;
	t->resp_len += len;
	lws_callback_on_writable((struct lws *)t->wsi);
	return 0;
}

/* A stream's queued bytes, as far as the socket takes them; -1 closes
 * (a client over its bound). */
static int stream_write(struct http_txn *t, struct lws *wsi)
{
	if (t->stream_drop)
		return -1;
	size_t chunk = t->resp_len - t->resp_off;
	if (!chunk)
		return 0;
	if (chunk > 16384)
		chunk = 16384;
	unsigned char *b = malloc(LWS_PRE + chunk);
	if (!b)
		return -1;
	memcpy(b + LWS_PRE, t->resp + t->resp_off, chunk);
	int n = lws_write(wsi, b + LWS_PRE, chunk, LWS_WRITE_HTTP);
	free(b);
	if (n < (int)chunk)
		return -1;
	t->resp_off += chunk;
	memmove(t->resp, t->resp + t->resp_off, t->resp_len - t->resp_off);
	t->resp_len -= t->resp_off;
	t->resp_off = 0;
	if (t->resp_len)
		lws_callback_on_writable(wsi);
	return 0;
}

/* The answer goes out: the head, then the body in pieces of 64 KiB, each
 * when the socket can take it; then the connection closes. */
static int http_write(struct http_pss *p, struct lws *wsi)
{
	struct http_txn *t = p->txn;
	if (!t || !t->answered)
		return 0;
	if (t->streaming) {
		if (!t->head_sent) {
			if (write_head(wsi, t))
				return -1;
			t->head_sent = 1;
			if (t->resp_len)
				lws_callback_on_writable(wsi);
		} else if (stream_write(t, wsi))
			return -1;
		/* lws would end an HTTP answer that takes more than a few seconds */
		lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
		return 0;
	}
	if (!t->head_sent) {
		if (write_head(wsi, t))
			return -1;
		t->head_sent = 1;
		if (t->resp_len) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	} else {
		size_t chunk = t->resp_len - t->resp_off;
		if (chunk > 65536)
			chunk = 65536;
		unsigned char *b = malloc(LWS_PRE + chunk);
		if (!b)
			return -1;
		memcpy(b + LWS_PRE, t->resp + t->resp_off, chunk);
		int last = t->resp_off + chunk >= t->resp_len;
		int n = lws_write(wsi, b + LWS_PRE, chunk, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
		free(b);
		if (n < (int)chunk)
			return -1;
		t->resp_off += chunk;
		if (!last) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	}
	int close_after = t->close_after;
	txn_free(t);
	p->txn = NULL;
	return close_after || lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int cb_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct server *srv = lws_context_user(lws_get_context(wsi));
	struct http_pss *p = user;

	switch (reason) {
	case LWS_CALLBACK_FILTER_NETWORK_CONNECTION: reqline_expect((int)(intptr_t)in); break;
	case LWS_CALLBACK_HTTP: return http_begin(srv, p, wsi, in);
	case LWS_CALLBACK_HTTP_BODY: return http_body(p, in, len);
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (p->txn)
			dispatch(srv, p->txn);
		break;
	case LWS_CALLBACK_HTTP_WRITEABLE: return http_write(p, wsi);
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (p && p->txn) {
			struct http_txn *t = p->txn;
			p->txn = NULL;
			if (t->streaming && t->gone)
				t->gone(t, t->gone_arg);
			if (t->answered || !t->deferred)
				txn_free(t);
			else
				t->wsi = NULL; /* the deferred answer frees it */
		}
		break;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED: break;
	default: break;
	}
	return 0;
}

static const struct lws_protocols ocpp_protocols[] = {
	/* rx_buffer_size: lws keeps this buffer (+ LWS_PRE) for every
	 * connection's whole life; a frame longer than it arrives in pieces
	 * that on_receive joins. Most OCPP frames (boots, heartbeats, status)
	 * fit in 1 KiB; MeterValues often do not, and are joined.
	 * tx_packet_size: without it lws sends at most rx_buffer_size per
	 * write and keeps the rest for a WRITEABLE turn; it allocates nothing. */
	{ "ocpp1.6", cb_ocpp, sizeof(struct ws_pss), OCPP_RX_BUFFER, 0, NULL, OCPP_TX_PACKET },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static const struct lws_protocols http_protocols[] = {
	{ "http", cb_http, sizeof(struct http_pss), 4096, 0, NULL, 0 }, { NULL, NULL, 0, 0, 0, NULL, 0 }
};

/* After connections came or went (a reconnect storm: thousands of TLS
 * handshakes at once, each with tens of KiB of temporary buffers), the
 * freed memory between the connections that stay is given back to the
 * kernel, at most once a second: glibc's free returns only the top of
 * the heap, so without this the storm's peak stays resident for good
 * (about 60 KiB per TLS charger instead of 20). */
static void trim_heap(struct server *srv)
{
	if (++srv->ticks % 4 || !srv->churn)
		return;
	srv->churn = 0;
	malloc_trim(0);
}

static void tick_cb(lws_sorted_usec_list_t *sul)
{
	struct server *srv = lws_container_of(sul, struct server, tick);
	srv->ev.tick(srv->ev.ctx);
	trim_heap(srv);
	lws_sul_schedule(srv->ctx, 0, &srv->tick, tick_cb, TICK_US);
}

static struct lws_vhost *make_vhost(struct server *srv, const char *name, const char *bind, int port,
				    const struct lws_protocols *prot, int tls)
{
	const struct server_opts *o = &srv->o;
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.vhost_name = name;
	info.port = port;
	info.iface = bind;
	info.protocols = prot;
	info.options = LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
	if (tls) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = o->tls_cert;
		info.ssl_private_key_filepath = o->tls_key;
		if (o->tls_ca && o->tls_ca[0])
			info.ssl_ca_filepath = o->tls_ca;
		if (o->security_profile == 3)
			info.options |= LWS_SERVER_OPTION_REQUIRE_VALID_OPENSSL_CLIENT_CERT;
	}
	if (prot == ocpp_protocols && o->ping_interval_s > 0)
		info.retry_and_idle_policy = &srv->retry;
	return lws_create_vhost(srv->ctx, &info);
}

/* The soft limit on open files set to what max_connections needs (want:
 * raised up to the hard limit, or lowered to it), before lws sizes its
 * tables by it: lws 4.1 indexes its fd table directly only when that
 * table is as large as the limit; given a smaller fd_limit_per_thread it
 * finds each ready socket by a linear search (2 per event, over every
 * connection: 95,000 instructions a frame with 2,100 connections). Said
 * as the loop starts (a start that fails prints one line, its reason). */
static void set_fd_limit(struct server *srv, rlim_t want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	srv->nofile_was = srv->nofile = rl.rlim_cur;
	rlim_t to = want < rl.rlim_max ? want : rl.rlim_max;
	if (to != rl.rlim_cur) {
		rl.rlim_cur = to;
		if (!setrlimit(RLIMIT_NOFILE, &rl))
			srv->nofile = to;
	}
	srv->nofile_hard = rl.rlim_max;
}

/* The loop and the open files limit, in the log as the loop starts; a
 * hard limit below what max_connections needs is a warning (chargers
 * past it would be refused). */
static void log_started(const struct server *srv)
{
	unsigned long long want = (unsigned long long)srv->o.max_connections + FD_SPARE;
	if (srv->nofile != srv->nofile_was)
		LOGI("server",
		     "open files limit %s from %llu to %llu (max_connections + %d; hard limit %llu)",
		     srv->nofile > srv->nofile_was ? "raised" : "lowered",
		     (unsigned long long)srv->nofile_was, (unsigned long long)srv->nofile, FD_SPARE,
		     (unsigned long long)srv->nofile_hard);
	if (srv->nofile && srv->nofile < want)
		LOGW("server",
		     "open files limit %llu is below max_connections + %d = %llu: chargers past it are "
		     "refused (raise the hard limit: LimitNOFILE=, ulimit -Hn)",
		     (unsigned long long)srv->nofile, FD_SPARE, want);
	if (srv->loop)
		LOGI("server", "event loop: libev (epoll)");
	else
		LOGW("server", "event loop: libwebsockets' poll loop (every socket scanned each turn): %s",
		     "the libev plugin (package libwebsockets-evlib-ev) or epoll is not available");
}

/* The lws context on our libev loop (epoll: a turn costs what is ready,
 * not what is connected). Without the plugin (libwebsockets-evlib-ev) or
 * epoll, lws's own poll loop, said in the log. The loop is foreign to
 * lws so that it installs no signal watcher of its own (main.c owns
 * SIGINT and SIGTERM); we run it one turn at a time (run_turn). */
static int create_context(struct server *srv)
{
	const struct server_opts *o = &srv->o;
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	/* A text frame that is not UTF-8: close 1007. lws 4.1 reads this
	 * option from the context, not the vhost. */
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_VALIDATE_UTF8;
	if (o->tls_port)
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.user = srv;
	/* no fd_limit_per_thread: lws takes the open files limit (set_fd_limit) */
	info.count_threads = 1;
	void *loops[1] = { NULL };
	srv->loop = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOSIGMASK);
	if (srv->loop) {
		loops[0] = srv->loop;
		info.foreign_loops = loops;
		info.options |= LWS_SERVER_OPTION_LIBEV;
		srv->ctx = lws_create_context(&info);
		if (srv->ctx)
			return 0;
		ev_loop_destroy(srv->loop);
		srv->loop = NULL;
		info.foreign_loops = NULL;
		info.options &= ~(uint64_t)LWS_SERVER_OPTION_LIBEV;
	}
	srv->ctx = lws_create_context(&info);
	return srv->ctx ? 0 : -1;
}

static void lws_log(int level, const char *line)
{
	size_t n = strlen(line);
	while (n && line[n - 1] == '\n')
		n--;
	log_msg(level == LLL_ERR ? LOG_ERROR : LOG_WARN, "lws", "%.*s", (int)n, line);
}

struct server *server_start(const struct server_opts *opts, const struct server_events *ev, char *err,
			    size_t errlen)
{
	const struct server_opts *o = opts;
	struct server *srv = calloc(1, sizeof *srv);
	if (!srv) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	srv->watch_fd = -1;
	srv->o = *opts;
	srv->ev = *ev;
	srv->retry.secs_since_valid_ping = (uint16_t)o->ping_interval_s;
	/* Ping after ping_interval s of silence; hang up when the pong has not
	 * come after as long again (plus up to 10 s of grace). */
	srv->retry.secs_since_valid_hangup =
		(uint16_t)(o->ping_interval_s * 2 + (o->ping_interval_s < 10 ? o->ping_interval_s : 10));

	set_fd_limit(srv, (rlim_t)o->max_connections + FD_SPARE);

	/* lws's own lines only when debugging: errors that matter are reported
	 * by us, as one line naming the setting. */
	lws_set_log_level(log_enabled(LOG_DEBUG) ? LLL_ERR | LLL_WARN : 0, lws_log);

	if (create_context(srv)) {
		snprintf(err, errlen, "cannot create the libwebsockets context");
		goto fail;
	}
	if (o->ws_port && !make_vhost(srv, "ocpp", o->ws_bind, o->ws_port, ocpp_protocols, 0)) {
		snprintf(err, errlen, "ws_port %d: cannot listen on %s (in use?)", o->ws_port, o->ws_bind);
		goto fail;
	}
	if (o->tls_port) {
		if (!o->tls_cert || !o->tls_cert[0] || !o->tls_key || !o->tls_key[0]) {
			snprintf(err, errlen, "tls_port %d: tls_cert and tls_key are needed", o->tls_port);
			goto fail;
		}
		if (!make_vhost(srv, "ocpp-tls", o->ws_bind, o->tls_port, ocpp_protocols, 1)) {
			snprintf(err, errlen, "tls_port %d: cannot listen (in use, or bad tls_cert/tls_key?)",
				 o->tls_port);
			goto fail;
		}
	}
	if (!make_vhost(srv, "admin", o->admin_bind, o->admin_port, http_protocols, 0)) {
		snprintf(err, errlen, "admin_port %d: cannot listen on %s (in use?)", o->admin_port,
			 o->admin_bind);
		goto fail;
	}
	lws_sul_schedule(srv->ctx, 0, &srv->tick, tick_cb, TICK_US);
	return srv;
fail:
	server_destroy(srv);
	return NULL;
}

/* Nothing to do here: its event ends the turn, and end_of_turn reads the fd. */
static void watch_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
}

int server_watch_fd(struct server *srv, int fd)
{
	if (!srv || !srv->loop)
		return fd < 0 ? 0 : -1;
	if (fd == srv->watch_fd)
		return 0;
	if (srv->watch_fd >= 0)
		ev_io_stop(srv->loop, &srv->watch_io);
	srv->watch_fd = fd;
	if (fd >= 0) {
		ev_io_init(&srv->watch_io, watch_cb, fd, EV_READ);
		ev_io_start(srv->loop, &srv->watch_io);
	}
	return 0;
}

/* One turn of the loop: wait for what is ready (or the next timer) and
 * serve it. lws_service() would not return on the libev loop (4.1 runs
 * it with ev_run(loop, 0), until it stops), and the end of turn (the
 * group commit) must come after each turn. 0, or -1 to stop. */
static int run_turn(struct server *srv)
{
	if (srv->loop) {
		ev_run(srv->loop, EVRUN_ONCE);
		return 0;
	}
	return lws_service(srv->ctx, 0) < 0 ? -1 : 0;
}

void server_run(struct server *srv, volatile int *stopping)
{
	log_started(srv);
	while (!*stopping) {
		if (run_turn(srv))
			break;
		srv->ev.end_of_turn(srv->ev.ctx);
	}
}

void server_close_all(struct server *srv, int wait_ms)
{
	if (!srv || !srv->ctx)
		return;
	srv->going_away = 1;
	if (!srv->n_ocpp)
		return;
	lws_callback_on_writable_all_protocol(srv->ctx, &ocpp_protocols[0]);
	lws_usec_t until = lws_now_usecs() + (lws_usec_t)wait_ms * LWS_US_PER_MS;
	while (srv->n_ocpp > 0 && lws_now_usecs() < until) {
		if (run_turn(srv))
			break;
		srv->ev.end_of_turn(srv->ev.ctx);
	}
	if (srv->n_ocpp)
		LOGI("server", "%d charger(s) did not answer the close within %d ms", srv->n_ocpp, wait_ms);
}

unsigned long server_busy_refused(const struct server *srv)
{
	return srv ? srv->busy_refused : 0;
}

void server_destroy(struct server *srv)
{
	if (!srv)
		return;
	if (srv->ctx) {
		lws_sul_cancel(&srv->tick);
		lws_context_destroy(srv->ctx);
	}
	if (srv->loop) {
		server_watch_fd(srv, -1);
		ev_loop_destroy(srv->loop); /* after lws has stopped its watchers */
	}
	free(srv);
}
