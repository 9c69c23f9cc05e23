/* http.h: one admin HTTP request and its answer, independent of lws.
 * server.c creates it when the request headers arrive and frees it after
 * the answer is written, or when the client went away and the (deferred)
 * answer finally comes. */
#ifndef CSMS_HTTP_H
#define CSMS_HTTP_H

#include <stdarg.h>
#include <stddef.h>

enum http_method { HTTP_GET, HTTP_POST, HTTP_PUT, HTTP_DELETE, HTTP_OTHER };

struct http_txn {
	void *wsi; /* NULL once the client has gone */
	enum http_method method;
	char path[512];
	char query[1024];           /* "a=1&b=2", already url-decoded by lws */
	int bad_target;             /* lws cut the target short or decoded a NUL into the query: a 400 */
	const char *bad_target_why; /* static; what reqline_check found, or NULL */
	char auth[256];             /* Authorization header */
	int accept_gzip;            /* Accept-Encoding names gzip */
	char if_none_match[96];     /* If-None-Match, or "" */
	char *body;                 /* request body, NUL-terminated */
	size_t body_len, body_cap;
	int body_too_big;
	/* answer */
	int status;
	const char *ctype;
	const char *disposition; /* static; Content-Disposition, or NULL */
	struct http_header {
		const char *name;  /* static, with its colon ("Allow:"); NULL: unused */
		char value[320];   /* a Location: /api/v1/id-tags/ + 3 x 48 */
	} extra[5];                /* further answer headers (http_add_header) */
	const char *cache_control; /* static; NULL: no-store */
	char *resp;                /* owned */
	size_t resp_len, resp_off;
	int answered;
	int deferred;   /* the answer comes later (an OCPP call) */
	int dispatched; /* admin_handle ran: once per request */
	int head_sent;
	int close_after; /* close the connection once answered */
	/* A stream (http_stream_begin): the head goes out with no length, then
	 * what http_stream_send queues, until the client goes or is dropped. */
	int streaming;
	int stream_drop;                             /* over its bound: closed at the next write */
	size_t stream_max;                           /* bytes queued at most */
	void (*gone)(struct http_txn *t, void *arg); /* before a stream is freed */
	void *gone_arg;
};

/* Sets the answer (takes ownership of body) and has it written. */
void http_respond(struct http_txn *t, int status, const char *ctype, char *body, size_t len);
/* Answers {"error":{"code":code,"description":...}} with status. */
void http_error(struct http_txn *t, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void http_verror(struct http_txn *t, int status, const char *code, const char *fmt, va_list ap);
/* Adds the answer header name (static, "Name:") with value, written with
 * the head. 0, or -1 when the slots are full or value does not fit. */
int http_add_header(struct http_txn *t, const char *name, const char *value);
/* Answers 200 with ctype and no length, and keeps the connection open for
 * http_stream_send; at most max bytes wait unsent (and the socket's kernel
 * send buffer is set to max too). gone(t, arg) is called
 * when the connection ends (the client left, or was dropped), just before
 * t is freed. 0 or -1. */
int http_stream_begin(struct http_txn *t, const char *ctype, size_t max,
		      void (*gone)(struct http_txn *t, void *arg), void *arg);
/* Queues len bytes on a stream. -1 when they do not fit in its bound: the
 * client is too slow and is dropped (gone() follows from the loop). */
int http_stream_send(struct http_txn *t, const char *data, size_t len);
/* Value of a query parameter into buf; NULL when absent. */
const char *http_query(const struct http_txn *t, const char *name, char *buf, size_t len);

#endif
