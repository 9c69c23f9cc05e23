/* ctl_http.c: csmsctl's HTTP client: one request, one short-lived lws
 * context, built on libwebsockets' HTTP client so no HTTP is written by
 * hand. The only csmsctl file that includes <libwebsockets.h>. */
#include "ctl.h"
#include "lws_compat.h"

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define RESP_MAX (64u << 20) /* larger answers are refused, not truncated */
#define BODY_CHUNK 16384

/* The state of the one request; lives on ctl_http_request's stack and is
 * reached from the callback through the context user pointer. */
struct req {
	const char *method, *token, *body;
	size_t body_len, body_off;
	struct ctl_http_resp *out;
	size_t cap;
	int done;        /* 0 running, 1 answered, -1 failed */
	int conn_failed; /* lws said CLIENT_CONNECTION_ERROR */
	int connected;   /* the failure came after connecting */
	char lws_err[128];
	char err[400];
};

static void fail(struct req *r, const char *why)
{
	if (r->done == 1 || r->err[0])
		return; /* the first reason is the one to tell */
	r->done = -1;
	snprintf(r->err, sizeof r->err, "%s", why);
}

static int append(struct req *r, const void *in, size_t len)
{
	struct ctl_http_resp *o = r->out;
	if (o->len + len + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		while (cap < o->len + len + 1)
			cap *= 2;
		if (cap > RESP_MAX) {
			fail(r, "answer larger than 64 MiB");
			return -1;
		}
		char *b = realloc(o->body, cap);
		if (!b) {
			fail(r, "out of memory");
			return -1;
		}
		o->body = b;
		r->cap = cap;
	}
	memcpy(o->body + o->len, in, len);
	o->len += len;
	o->body[o->len] = 0;
	return 0;
}

/* lws 4.1 reports every failed connect as "Unable to connect" and errno
 * is gone by then. To say why (refused, unknown host, unreachable), the
 * same address is tried once more with a plain blocking connect; this is
 * diagnosis only, no HTTP goes over it. */
static void connect_error(struct req *r, const struct ctl_url *u)
{
	char port[16], why[400];
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res = NULL, *ai;
	snprintf(port, sizeof port, "%d", u->port);
	int g = getaddrinfo(u->host, port, &hints, &res);
	if (g) {
		snprintf(why, sizeof why, "unknown host '%s' (%s)", u->host, gai_strerror(g));
		fail(r, why);
		return;
	}
	int err_no = 0;
	for (ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		struct timeval tv = { .tv_sec = 3 };
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		int ok = connect(fd, ai->ai_addr, ai->ai_addrlen) == 0;
		err_no = ok ? 0 : errno;
		close(fd);
		if (ok)
			break;
	}
	freeaddrinfo(res);
	if (err_no == ECONNREFUSED)
		snprintf(why, sizeof why, "connection refused");
	else if (err_no == EINPROGRESS || err_no == ETIMEDOUT || err_no == EAGAIN)
		snprintf(why, sizeof why, "connection timed out");
	else if (err_no)
		snprintf(why, sizeof why, "%s", strerror(err_no));
	else {
		r->connected = 1; /* it listens: the failure came after connecting */
		snprintf(why, sizeof why, "the server closed the connection without answering");
	}
	why[0] = (char)tolower((unsigned char)why[0]); /* strerror's capital */
	fail(r, why);
}

static int add_header(struct lws *wsi, enum lws_token_indexes tok, const char *v, unsigned char **p,
		      unsigned char *end)
{
	return lws_add_http_header_by_token(wsi, tok, (const unsigned char *)v, (int)strlen(v), p, end);
}

static int cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct req *r = lws_context_user(lws_get_context(wsi));
	(void)user;

	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		snprintf(r->lws_err, sizeof r->lws_err, "%s", in ? (const char *)in : "");
		r->conn_failed = 1;
		if (!r->done)
			r->done = -1;
		lws_cancel_service(lws_get_context(wsi));
		return 0;

	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
		unsigned char **p = in, *end = *p + len;
		char buf[300], cl[24];
		if (r->token && *r->token) {
			if (strlen(r->token) > 256) {
				fail(r, "token too long");
				return -1;
			}
			snprintf(buf, sizeof buf, "Bearer %s", r->token);
			if (add_header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, buf, p, end))
				return -1;
		}
		if (r->body || !strcmp(r->method, "POST") || !strcmp(r->method, "PUT")) {
			snprintf(cl, sizeof cl, "%zu", r->body_len);
			if ((r->body &&
			     add_header(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, "application/json", p, end)) ||
			    add_header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, cl, p, end))
				return -1;
		}
		if (r->body_len) {
			lws_client_http_body_pending(wsi, 1);
			lws_callback_on_writable(wsi);
		}
		return 0;
	}

	case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE: {
		if (r->body_off >= r->body_len)
			return 0;
		unsigned char buf[LWS_PRE + BODY_CHUNK];
		size_t n = r->body_len - r->body_off;
		if (n > BODY_CHUNK)
			n = BODY_CHUNK;
		int last = r->body_off + n == r->body_len;
		memcpy(buf + LWS_PRE, r->body + r->body_off, n);
		if (lws_write(wsi, buf + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) !=
		    (int)n) {
			fail(r, "cannot send the request body");
			return -1;
		}
		r->body_off += n;
		if (last)
			lws_client_http_body_pending(wsi, 0);
		else
			lws_callback_on_writable(wsi);
		return 0;
	}

	case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
		r->out->status = (int)lws_http_client_http_response(wsi);
		return 0;

	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
		char buf[LWS_PRE + 16384], *px = buf + LWS_PRE;
		int n = (int)sizeof buf - LWS_PRE;
		return lws_http_client_read(wsi, &px, &n) < 0 ? -1 : 0;
	}

	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ: return append(r, in, len) ? -1 : 0;

	case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
		if (!r->done)
			r->done = 1;
		lws_cancel_service(lws_get_context(wsi));
		return 0;

	case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
		/* An answer without a length ends when the server closes. */
		if (!r->done && r->out->status > 0)
			r->done = 1;
		else if (!r->done)
			fail(r, "connection closed before an answer came");
		lws_cancel_service(lws_get_context(wsi));
		return 0;

	default: break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = { { "http", cb, 0, 0, 0, NULL, 0 },
						  { NULL, NULL, 0, 0, 0, NULL, 0 } };

static void lws_log_stderr(int level, const char *line)
{
	(void)level;
	fprintf(stderr, "lws: %s", line);
}

/* What the next request waits for, said once it has taken a while. */
static const char *wait_note;

void ctl_http_wait_note(const char *note)
{
	wait_note = note;
}

int ctl_http_request(const struct ctl_url *u, const char *token, int timeout_s, const char *method,
		     const char *path, const char *body, struct ctl_http_resp *out, char *err, size_t errlen)
{
	struct req r = { .method = method,
			 .token = token,
			 .body = body,
			 .body_len = body ? strlen(body) : 0,
			 .out = out };
	char fullpath[4096];
	int rc = -2;
	memset(out, 0, sizeof *out);

	if ((size_t)snprintf(fullpath, sizeof fullpath, "%s%s", u->prefix, path) >= sizeof fullpath) {
		snprintf(err, errlen, "request path too long");
		return -1;
	}
	if (getenv("CSMSCTL_DEBUG"))
		lws_set_log_level(LLL_ERR | LLL_WARN | LLL_NOTICE | LLL_INFO, lws_log_stderr);
	else
		lws_set_log_level(0, NULL);

	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.user = &r;
	info.fd_limit_per_thread = 4;
	info.timeout_secs = (unsigned int)timeout_s;
	info.connect_timeout_secs = (unsigned int)(timeout_s < 10 ? timeout_s : 10);
	if (u->tls)
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	struct lws_context *ctx = lws_create_context(&info);
	if (!ctx) {
		snprintf(err, errlen, "cannot start the HTTP client");
		return -1;
	}

	struct lws_client_connect_info ci;
	memset(&ci, 0, sizeof ci);
	ci.context = ctx;
	ci.address = u->host;
	ci.port = u->port;
	ci.path = fullpath;
	ci.host = u->host;
	ci.origin = u->host;
	ci.method = method;
	ci.protocol = protocols[0].name;
	ci.alpn = "http/1.1";
	if (u->tls)
		ci.ssl_connection = LCCSCF_USE_SSL;
	if (!lws_client_connect_via_info(&ci) && !r.done) {
		r.done = -1;
		r.conn_failed = 1;
	}

	/* lws enforces timeout_secs per phase; this bounds the whole request
	 * too (lws_service wakes at least once a second for its timers). */
	time_t start = time(NULL), deadline = start + timeout_s + 1;
	int noted = !wait_note;
	while (!r.done) {
		if (lws_service(ctx, 0) < 0) {
			fail(&r, "HTTP client failed");
			break;
		}
		if (!noted && time(NULL) - start >= CTL_WAIT_NOTE_S) {
			fprintf(stderr, "csmsctl: %s (at most %d s)...\n", wait_note, timeout_s);
			noted = 1;
		}
		if (time(NULL) > deadline)
			fail(&r, "no answer in time");
	}
	wait_note = NULL;
	lws_context_destroy(ctx);

	if (r.done == 1)
		return 0;
	if (!r.out->status && (time(NULL) - start >= timeout_s || strstr(r.lws_err, "imeout"))) {
		/* lws ends a request that timed out by closing it, without saying so. */
		snprintf(r.err, sizeof r.err, "no answer in time");
	} else if (r.conn_failed && !r.out->status && !r.err[0]) {
		connect_error(&r, u);
		rc = r.connected ? -2 : -1;
	} else if (!r.err[0])
		fail(&r, r.lws_err[0] ? r.lws_err : "connection failed");
	if (!strcmp(r.err, "no answer in time"))
		snprintf(err, errlen, "no answer within %d s", timeout_s);
	else
		snprintf(err, errlen, "%s", r.err);
	ctl_http_resp_free(out);
	return rc;
}

void ctl_http_resp_free(struct ctl_http_resp *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

int ctl_url_parse(const char *url, struct ctl_url *u, char *err, size_t errlen)
{
	memset(u, 0, sizeof *u);
	const char *p;
	if (!strncmp(url, "http://", 7)) {
		p = url + 7;
		u->port = 80;
	} else if (!strncmp(url, "https://", 8)) {
		p = url + 8;
		u->tls = 1;
		u->port = 443;
	} else {
		snprintf(err, errlen, "bad --url '%s': must start with http:// or https://", url);
		return -1;
	}
	const char *hs = p, *he;
	if (*p == '[') {
		hs = ++p;
		he = strchr(p, ']');
		if (!he) {
			snprintf(err, errlen, "bad --url '%s': unclosed [", url);
			return -1;
		}
		p = he + 1;
	} else {
		he = p + strcspn(p, ":/?#");
		p = he;
	}
	size_t hl = (size_t)(he - hs);
	if (!hl || hl >= sizeof u->host) {
		snprintf(err, errlen, "bad --url '%s': no host", url);
		return -1;
	}
	memcpy(u->host, hs, hl);
	for (size_t i = 0; i < hl; i++)
		if (isspace((unsigned char)u->host[i]) || u->host[i] == '@') {
			snprintf(err, errlen, "bad --url '%s': bad host", url);
			return -1;
		}
	if (*p == ':') {
		char *end;
		long port = strtol(p + 1, &end, 10);
		if (end == p + 1 || port < 1 || port > 65535 || (*end && *end != '/')) {
			snprintf(err, errlen, "bad --url '%s': port must be 1 to 65535", url);
			return -1;
		}
		u->port = (int)port;
		p = end;
	}
	if (*p && *p != '/') {
		snprintf(err, errlen, "bad --url '%s': unexpected '%c'", url, *p);
		return -1;
	}
	size_t pl = strlen(p);
	while (pl && p[pl - 1] == '/')
		pl--;
	if (pl >= sizeof u->prefix || strpbrk(p, "?# \t")) {
		snprintf(err, errlen, "bad --url '%s': bad path", url);
		return -1;
	}
	memcpy(u->prefix, p, pl);
	snprintf(u->text, sizeof u->text, "%s://%s%s%s:%d%s", u->tls ? "https" : "http",
		 strchr(u->host, ':') ? "[" : "", u->host, strchr(u->host, ':') ? "]" : "", u->port,
		 u->prefix);
	return 0;
}

int ctl_urlenc(char *buf, size_t cap, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(buf);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		int plain = isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
		if (n + (plain ? 1 : 3) >= cap)
			return -1;
		if (plain)
			buf[n++] = (char)c;
		else {
			buf[n++] = '%';
			buf[n++] = hex[c >> 4];
			buf[n++] = hex[c & 15];
		}
	}
	buf[n] = 0;
	return 0;
}
