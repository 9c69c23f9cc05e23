/* webhook.c: notifications POSTed to the webhook URLs (webhook.h): one
 * queue per URL, delivered in order with one request in flight, backoff
 * while it fails, the oldest dropped when the queue is full. */
#include "webhook.h"
#include "config.h"
#include "csms.h"
#include "csms_version.h"
#include "evhook.h"
#include "httpc.h"
#include "jget.h"
#include "log.h"
#include "timeutil.h"

#include <math.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ANSWER_MAX 16384 /* a receiver's answer is read and ignored */

/* One queued notification; lives until delivered, refused or dropped. */
struct wh_item {
	char *body;
	enum evhook_kind kind;
	char id[48];
	struct wh_item *next;
};

/* One URL and its queue; lives with the webhook. */
struct wh_target {
	struct webhook *w;
	char url[512];
	char shown[600]; /* the URL without user info, query or fragment, for logs and the API */
	struct wh_item *head, *tail;
	int queued, in_flight, failing;
	int64_t next_try_ms, backoff_ms;
	uint64_t dropped;
};

struct webhook {
	struct csms *app;
	struct httpc *http;
	struct wh_target t[WEBHOOK_MAX_URLS];
	int n;
	unsigned wanted;  /* bit per enum evhook_kind */
	char secret[256]; /* "" none */
	long timeout_ms;
	int queue_max;
	char site[128];
	int64_t started_ms;
	uint64_t seq;
};

/* Splits webhook_url into its URLs (spaces or commas); n or -1 with err. */
static int split_urls(const char *list, char out[][512], int max, char *err, size_t errlen)
{
	int n = 0;
	const char *p = list;
	while (*p) {
		size_t len = strcspn(p, " ,\t");
		if (len) {
			if (n == max) {
				snprintf(err, errlen, "webhook_url: at most %d URLs", max);
				return -1;
			}
			if (len >= 512 || (strncmp(p, "http://", 7) && strncmp(p, "https://", 8))) {
				snprintf(err, errlen, "webhook_url: '%.*s' is not an http:// or https:// URL",
					 (int)(len > 100 ? 100 : len), p);
				return -1;
			}
			memcpy(out[n], p, len);
			out[n][len] = 0;
			n++;
		}
		p += len;
		p += strspn(p, " ,\t");
	}
	return n;
}

int webhook_check_config(const struct csms_config *cfg, char *err, size_t errlen)
{
	char urls[WEBHOOK_MAX_URLS][512];
	unsigned bits;
	if (split_urls(cfg->webhook_url, urls, WEBHOOK_MAX_URLS, err, errlen) < 0 ||
	    evhook_parse_kinds("webhook_events", cfg->webhook_events, &bits, err, errlen))
		return -1;
	if (strlen(cfg->webhook_secret) >= sizeof(((struct webhook *)0)->secret)) {
		snprintf(err, errlen, "webhook_secret: at most 255 characters");
		return -1;
	}
	return 0;
}

static void shown_url(const char *url, char *out, size_t len)
{
	const char *host = strstr(url, "://");
	host = host ? host + 3 : url;
	const char *at = strchr(host, '@'), *slash = strchr(host, '/');
	if (at && (!slash || at < slash))
		host = at + 1; /* no user:password in logs */
	size_t scheme = (size_t)(strstr(url, "://") ? strstr(url, "://") + 3 - url : 0);
	size_t rest = strcspn(host, "?#");
	snprintf(out, len, "%.*s%.*s", (int)scheme, url, (int)rest, host);
}

struct webhook *webhook_new(struct csms *app, struct httpc *http, char *err, size_t errlen)
{
	char urls[WEBHOOK_MAX_URLS][512];
	const struct csms_config *cfg = &app->cfg;
	int n = split_urls(cfg->webhook_url, urls, WEBHOOK_MAX_URLS, err, errlen);
	if (n <= 0)
		return NULL;
	struct webhook *w = calloc(1, sizeof *w);
	if (!w) {
		snprintf(err, errlen, "webhook: out of memory");
		return NULL;
	}
	if (evhook_parse_kinds("webhook_events", cfg->webhook_events, &w->wanted, err, errlen)) {
		free(w);
		return NULL;
	}
	w->app = app;
	w->http = http;
	w->n = n;
	w->timeout_ms = cfg->webhook_timeout_s * 1000L;
	w->queue_max = cfg->webhook_queue;
	w->started_ms = time_now_ms();
	snprintf(w->secret, sizeof w->secret, "%s", cfg->webhook_secret);
	if (cfg->node_id && cfg->node_id[0]) /* a fleet's node, else the host */
		snprintf(w->site, sizeof w->site, "%s", cfg->node_id);
	else if (gethostname(w->site, sizeof w->site))
		snprintf(w->site, sizeof w->site, "csmsd");
	w->site[sizeof w->site - 1] = 0;
	for (int i = 0; i < n; i++) {
		w->t[i].w = w;
		memcpy(w->t[i].url, urls[i], sizeof w->t[i].url);
		shown_url(urls[i], w->t[i].shown, sizeof w->t[i].shown);
	}
	return w;
}

static void item_free(struct wh_item *it)
{
	free(it->body);
	free(it);
}

void webhook_free(struct webhook *w)
{
	if (!w)
		return;
	for (int i = 0; i < w->n; i++)
		while (w->t[i].head) {
			struct wh_item *it = w->t[i].head;
			w->t[i].head = it->next;
			item_free(it);
		}
	free(w);
}

static void put_num(cJSON *o, const char *k, double v)
{
	if (isfinite(v))
		cJSON_AddNumberToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

static void put_str(cJSON *o, const char *k, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

cJSON *webhook_event_json(const struct evhook_event *ev, const char *site, const char *id)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "kind", evhook_kind_names[ev->kind]);
	jput_time(o, "time", ev->time_ms);
	cJSON_AddStringToObject(o, "site", site);
	put_str(o, "charger", ev->charger);
	if (ev->connector >= 0)
		cJSON_AddNumberToObject(o, "connectorId", ev->connector);
	else
		cJSON_AddNullToObject(o, "connectorId");
	if (ev->kind == EVHOOK_SESSION_FINISHED) {
		cJSON *s = cJSON_AddObjectToObject(o, "session");
		cJSON_AddNumberToObject(s, "transactionId", (double)ev->tx_id);
		put_str(s, "idTag", ev->id_tag);
		jput_time(s, "start", ev->start_ms);
		jput_time(s, "stop", ev->stop_ms);
		cJSON_AddNumberToObject(s, "energyWh", ev->energy_wh);
		put_num(s, "cost", isfinite(ev->cost) ? round(ev->cost * 10000) / 10000 : NAN);
		put_num(s, "pvShare", isfinite(ev->pv_share) ? round(ev->pv_share * 10000) / 10000 : NAN);
		put_str(s, "stopReason", ev->stop_reason);
	} else {
		cJSON *a = cJSON_AddObjectToObject(o, "alarm");
		put_str(a, "source", ev->source);
		put_str(a, "code", ev->code);
		put_str(a, "info", ev->info);
		cJSON_AddBoolToObject(a, "active",
				      ev->kind == EVHOOK_ALARM_RAISED || ev->kind == EVHOOK_CHARGER_OFFLINE ||
					      ev->kind == EVHOOK_SENSOR_STALE);
	}
	return o;
}

int webhook_sign(const char *secret, const char *body, size_t len, char *out, size_t outlen)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	if (outlen < 8 + 64 ||
	    !HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, len, mac, &maclen))
		return -1;
	memcpy(out, "sha256=", 7);
	for (unsigned i = 0; i < maclen; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", mac[i]);
	return 0;
}

static void enqueue(struct wh_target *t, struct wh_item *it)
{
	struct webhook *w = t->w;
	if (t->queued >= w->queue_max) {
		/* the oldest goes, unless it is on its way: then the next oldest */
		struct wh_item **pp = t->in_flight ? &t->head->next : &t->head;
		struct wh_item *old = *pp;
		if (old) {
			*pp = old->next;
			if (t->tail == old)
				t->tail = t->in_flight ? t->head : NULL;
			item_free(old);
			t->queued--;
			if (!t->dropped++)
				LOGW("webhook", "%s: queue full (%d): dropping the oldest notifications",
				     t->shown, w->queue_max);
		}
	}
	if (t->tail)
		t->tail->next = it;
	else
		t->head = it;
	t->tail = it;
	t->queued++;
}

void webhook_on_event(void *arg, const struct evhook_event *ev)
{
	struct webhook *w = arg;
	if (!(w->wanted & (1u << ev->kind)))
		return;
	char id[48];
	snprintf(id, sizeof id, "%lld-%llu", (long long)w->started_ms, (unsigned long long)++w->seq);
	cJSON *j = webhook_event_json(ev, w->site, id);
	char *body = j ? cJSON_PrintUnformatted(j) : NULL;
	cJSON_Delete(j);
	if (!body) {
		LOGW("webhook", "%s: out of memory: notification lost", evhook_kind_names[ev->kind]);
		return;
	}
	for (int i = 0; i < w->n; i++) {
		struct wh_item *it = calloc(1, sizeof *it);
		char *copy = it ? strdup(body) : NULL;
		if (!copy) {
			free(it);
			w->t[i].dropped++;
			continue;
		}
		it->body = copy;
		it->kind = ev->kind;
		snprintf(it->id, sizeof it->id, "%s", id);
		enqueue(&w->t[i], it);
	}
	cJSON_free(body);
}

static void pop(struct wh_target *t)
{
	struct wh_item *it = t->head;
	t->head = it->next;
	if (!t->head)
		t->tail = NULL;
	t->queued--;
	item_free(it);
}

static void failed(struct wh_target *t, const char *why, int64_t now_ms)
{
	t->backoff_ms = t->backoff_ms ? t->backoff_ms * 2 : 1000;
	if (t->backoff_ms > WEBHOOK_BACKOFF_MAX_MS)
		t->backoff_ms = WEBHOOK_BACKOFF_MAX_MS;
	t->next_try_ms = now_ms + t->backoff_ms;
	if (!t->failing) /* once per outage: the retries say nothing new */
		LOGW("webhook", "%s: %s; retrying with backoff up to %d s (%d queued)", t->shown, why,
		     WEBHOOK_BACKOFF_MAX_MS / 1000, t->queued);
	t->failing = 1;
}

static void on_done(void *arg, const struct httpc_result *r)
{
	struct wh_target *t = arg;
	int64_t now = t->w->app->now_ms;
	char why[160];
	t->in_flight = 0;
	if (!t->head)
		return;
	if (r->ok && r->status >= 200 && r->status < 300) {
		pop(t);
		t->backoff_ms = 0;
		t->next_try_ms = 0;
		if (t->failing)
			LOGI("webhook", "%s: delivering again (%d queued, %llu dropped so far)", t->shown,
			     t->queued, (unsigned long long)t->dropped);
		t->failing = 0;
	} else if (r->ok && r->status >= 400 && r->status < 500 && r->status != 408 && r->status != 429) {
		/* the receiver refuses this notification: sending it again changes nothing */
		LOGW("webhook", "%s: %s refused with HTTP %ld: not sent again", t->shown, t->head->id,
		     r->status);
		pop(t);
	} else {
		if (r->ok)
			snprintf(why, sizeof why, "HTTP %ld", r->status);
		else
			snprintf(why, sizeof why, "%s", r->error ? r->error : "failed");
		failed(t, why, now);
	}
}

static void send_head(struct webhook *w, struct wh_target *t, int64_t now_ms)
{
	struct wh_item *it = t->head;
	char sig[96] = "", h_sig[128], h_kind[80], h_id[80];
	const char *headers[8];
	int nh = 0;
	headers[nh++] = "Content-Type: application/json";
	headers[nh++] = "User-Agent: csmsd/" CSMS_VERSION;
	snprintf(h_kind, sizeof h_kind, "X-Csms-Event: %s", evhook_kind_names[it->kind]);
	headers[nh++] = h_kind;
	snprintf(h_id, sizeof h_id, "X-Csms-Delivery: %s", it->id);
	headers[nh++] = h_id;
	if (w->secret[0] && !webhook_sign(w->secret, it->body, strlen(it->body), sig, sizeof sig)) {
		snprintf(h_sig, sizeof h_sig, "X-Csms-Signature: %s", sig);
		headers[nh++] = h_sig;
	}
	headers[nh++] = "Expect:"; /* no 100-continue round trip */
	headers[nh] = NULL;
	struct httpc_req rq = { "POST",           t->url,        headers,    it->body,
				strlen(it->body), w->timeout_ms, ANSWER_MAX, 0 };
	if (httpc_start(w->http, &rq, on_done, t)) {
		failed(t, "request not started", now_ms);
		return;
	}
	t->in_flight = 1;
}

void webhook_tick(struct webhook *w, int64_t now_ms)
{
	for (int i = 0; i < w->n; i++) {
		struct wh_target *t = &w->t[i];
		if (t->head && !t->in_flight && now_ms >= t->next_try_ms)
			send_head(w, t, now_ms);
	}
}
