/* fuzz_admin.c: one admin API request through admin_handle(), as server.c
 * builds it: byte 0 = method (% 5) | 8 send no body | 16 the deferred OCPP
 * call times out instead of being answered | 32 the client goes away before
 * a deferred answer | 64 the answer is a CALLERROR; then "path\nquery\nbody"
 * (path and query truncated to the txn's buffers as server.c does). The
 * connected charger is "CP1" (fuzz_common). Every request must get exactly
 * one answer, at once or after its OCPP call ends. */
#include "fuzz_common.h"
#include "admin.h"
#include "http.h"
#include "ocppj.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char client[64]; /* the dummy wsi of the HTTP client */

static void copy_part(char *dst, size_t cap, const uint8_t *p, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, p, n);
	dst[n] = 0;
}

/* Ends the session's CALL in flight (the admin's) the way flags say. */
static void finish_call(struct csms *app, struct session *s, unsigned flags)
{
	while (s->inflight) {
		if (flags & 16) {
			app->now_ms += (int64_t)app->cfg.call_timeout * 1000 + 1;
			ocppj_check_timeouts(s, app->now_ms);
		} else {
			char frame[256], id[OCPP_MSGID_MAX];
			snprintf(id, sizeof id, "%s", s->inflight->id);
			if (flags & 64)
				snprintf(frame, sizeof frame, "[4,\"%s\",\"InternalError\",\"x\",{}]",
					 s->inflight->id);
			else
				snprintf(frame, sizeof frame, "[3,\"%s\",{\"status\":\"Accepted\"}]",
					 s->inflight->id);
			ocppj_receive(s, frame, strlen(frame));
			if (s->inflight && !strcmp(id, s->inflight->id))
				abort(); /* the answer to the call in flight was not taken */
		}
		fuzz_end_turn();
	}
	fuzz_end_turn();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csms *app = fuzz_app();
	struct session *s = fuzz_session();
	if (size < 1)
		return 0;
	unsigned flags = data[0];
	data++;
	size--;
	struct http_txn *t = calloc(1, sizeof *t);
	if (!t)
		return 0;
	t->wsi = client;
	t->method = (enum http_method)(flags % 5);
	const uint8_t *nl = memchr(data, '\n', size);
	size_t n = nl ? (size_t)(nl - data) : size;
	copy_part(t->path, sizeof t->path, data, n);
	if (!t->path[0])
		snprintf(t->path, sizeof t->path, "/");
	if (nl) {
		size -= n + 1;
		data = nl + 1;
		nl = memchr(data, '\n', size);
		n = nl ? (size_t)(nl - data) : size;
		copy_part(t->query, sizeof t->query, data, n);
		if (nl) {
			size -= n + 1;
			data = nl + 1;
			if (!(flags & 8) && (t->method == HTTP_POST || t->method == HTTP_PUT)) {
				t->body = fuzz_strndup(data, size);
				t->body_len = size;
				t->body_cap = size + 1;
			}
		}
	}
	admin_handle(app, t);
	store_commit(app->store);
	fuzz_end_turn();
	if (!t->answered && !t->deferred)
		abort(); /* a request left without an answer */
	int gone = 0;
	if (!t->answered) {
		if (flags & 32) {
			t->wsi = NULL; /* the client went away: the answer frees t */
			gone = 1;
		}
		finish_call(app, s, flags);
		if (!gone && !t->answered)
			abort(); /* the deferred answer never came */
	}
	if (!gone) {
		if (t->status < 100 || t->status > 599)
			abort();
		free(t->body);
		free(t->resp);
		free(t);
	}
	/* calls queued by the request for later (none expected) end here */
	while (s->inflight || s->queue_head) {
		app->now_ms += (int64_t)app->cfg.call_timeout * 1000 + 1;
		ocppj_check_timeouts(s, app->now_ms);
		fuzz_end_turn();
	}
	return 0;
}
