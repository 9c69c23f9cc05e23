/* httpc.h: outgoing HTTP(S) requests that never block the loop: libcurl's
 * multi interface, driven by httpc_poll from the loop's tick. Every
 * request has a timeout and a limit on the size of its answer; TLS peers
 * are verified (the system's CA store); only http:// and https://.
 *
 * Threading: the lws service thread only (curl's resolver may use its own
 * thread; nothing of ours runs there). Ownership: the caller owns the
 * httpc (httpc_free); a request's texts are copied at httpc_start; a
 * result is borrowed for the callback. */
#ifndef CSMS_HTTPC_H
#define CSMS_HTTPC_H

#include <stddef.h>

struct httpc;

struct httpc_req {
	const char *method;         /* "GET", "POST" */
	const char *url;            /* http:// or https:// */
	const char *const *headers; /* "Name: value" lines, NULL-terminated; NULL none */
	const char *body;           /* POST body; NULL none */
	size_t body_len;
	long timeout_ms;  /* the whole request, connecting included; > 0 */
	size_t max_bytes; /* answer body limit; beyond it the request fails */
	int follow;       /* follow up to 3 redirects (GETs) */
};

struct httpc_result {
	int ok;            /* the exchange completed (whatever the status) */
	long status;       /* HTTP status; 0 when !ok */
	const char *error; /* !ok: why, one short line */
	const char *body;  /* the answer, NUL-terminated ("" none) */
	size_t len;
};

typedef void (*httpc_done_fn)(void *arg, const struct httpc_result *r);

/* NULL when libcurl cannot be set up. */
struct httpc *httpc_new(void);
/* Drops the requests in flight without calling their callbacks. */
void httpc_free(struct httpc *c);
/* Starts a request; done is called once from a later httpc_poll. 0, or -1
 * (bad request, out of memory: done is not called). */
int httpc_start(struct httpc *c, const struct httpc_req *r, httpc_done_fn done, void *arg);
/* Moves every request on as far as it can without waiting and calls back
 * those that ended. Returns how many are still running. */
int httpc_poll(struct httpc *c);

#endif
