/* httpc.c: outgoing HTTP requests on libcurl's multi interface (httpc.h).
 * The loop calls httpc_poll every tick: curl_multi_perform does what is
 * possible without waiting, so a slow or dead server costs nothing but
 * the request's own timeout. */
#include "httpc.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

/* One request in flight; lives from httpc_start to its callback (or httpc_free). */
struct httpc_xfer {
	CURL *easy;
	struct curl_slist *headers;
	char *body_out; /* the POST body, copied */
	char *buf;      /* the answer */
	size_t len, cap, max;
	int too_big;
	char errbuf[CURL_ERROR_SIZE];
	httpc_done_fn done;
	void *arg;
	struct httpc_xfer *next;
};

struct httpc {
	CURLM *multi;
	struct httpc_xfer *xfers;
};

static int global_done;

struct httpc *httpc_new(void)
{
	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT))
			return NULL;
		global_done = 1;
	}
	struct httpc *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	if (!(c->multi = curl_multi_init())) {
		free(c);
		return NULL;
	}
	return c;
}

static void xfer_free(struct httpc *c, struct httpc_xfer *x)
{
	curl_multi_remove_handle(c->multi, x->easy);
	curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	free(x->body_out);
	free(x->buf);
	free(x);
}

void httpc_free(struct httpc *c)
{
	if (!c)
		return;
	while (c->xfers) {
		struct httpc_xfer *x = c->xfers;
		c->xfers = x->next;
		xfer_free(c, x);
	}
	curl_multi_cleanup(c->multi);
	free(c);
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct httpc_xfer *x = arg;
	size_t add = size * n;
	if (x->len + add > x->max) {
		x->too_big = 1;
		return 0; /* curl ends the transfer with a write error */
	}
	if (x->len + add + 1 > x->cap) {
		size_t cap = x->cap ? x->cap : 4096;
		while (cap < x->len + add + 1)
			cap *= 2;
		char *b = realloc(x->buf, cap);
		if (!b)
			return 0;
		x->buf = b;
		x->cap = cap;
	}
	memcpy(x->buf + x->len, p, add);
	x->len += add;
	x->buf[x->len] = 0;
	return add;
}

int httpc_start(struct httpc *c, const struct httpc_req *r, httpc_done_fn done, void *arg)
{
	if (!r->url || strncmp(r->url, "http", 4) || r->timeout_ms <= 0 || !r->max_bytes)
		return -1;
	struct httpc_xfer *x = calloc(1, sizeof *x);
	if (!x || !(x->easy = curl_easy_init())) {
		free(x);
		return -1;
	}
	x->max = r->max_bytes;
	x->done = done;
	x->arg = arg;
	CURL *e = x->easy;
	int bad = 0;
	for (const char *const *h = r->headers; h && *h; h++) {
		struct curl_slist *l = curl_slist_append(x->headers, *h);
		if (!l) {
			bad = 1;
			break;
		}
		x->headers = l;
	}
	bad |= curl_easy_setopt(e, CURLOPT_URL, r->url) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, r->timeout_ms) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, r->timeout_ms) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->max_bytes) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, x) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "") != CURLE_OK;
	if (r->follow) {
		bad |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L) != CURLE_OK;
		bad |= curl_easy_setopt(e, CURLOPT_MAXREDIRS, 3L) != CURLE_OK;
		bad |= curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK;
	}
	if (r->body) {
		if (!(x->body_out = malloc(r->body_len + 1))) {
			bad = 1;
		} else {
			memcpy(x->body_out, r->body, r->body_len);
			x->body_out[r->body_len] = 0;
			bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body_out) != CURLE_OK;
			bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len) !=
				CURLE_OK;
		}
	}
	if (r->method && strcmp(r->method, r->body ? "POST" : "GET"))
		bad |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method) != CURLE_OK;
	if (bad || curl_multi_add_handle(c->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		curl_slist_free_all(x->headers);
		free(x->body_out);
		free(x);
		return -1;
	}
	x->next = c->xfers;
	c->xfers = x;
	return 0;
}

static void finish(struct httpc *c, CURL *easy, CURLcode code)
{
	struct httpc_xfer **pp = &c->xfers, *x;
	while ((x = *pp) && x->easy != easy)
		pp = &x->next;
	if (!x)
		return;
	*pp = x->next;
	struct httpc_result res = { 0 };
	res.body = x->buf ? x->buf : "";
	res.len = x->len;
	if (code == CURLE_OK) {
		res.ok = 1;
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &res.status);
	} else if (x->too_big || code == CURLE_FILESIZE_EXCEEDED) {
		res.error = "answer too large";
	} else {
		res.error = x->errbuf[0] ? x->errbuf : curl_easy_strerror(code);
	}
	x->done(x->arg, &res);
	xfer_free(c, x);
}

int httpc_poll(struct httpc *c)
{
	int running = 0, left;
	curl_multi_perform(c->multi, &running);
	CURLMsg *m;
	while ((m = curl_multi_info_read(c->multi, &left)))
		if (m->msg == CURLMSG_DONE)
			finish(c, m->easy_handle, m->data.result);
	return running;
}
