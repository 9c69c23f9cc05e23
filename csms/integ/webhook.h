/* webhook.h: what happens (central/evhook.h) POSTed as JSON to one or more
 * URLs (webhook_url), the kinds webhook_events names, signed with
 * webhook_secret (HMAC-SHA256 of the body). Each URL has its own queue,
 * delivered in order, one request at a time, retried with backoff (1 s
 * doubling to 5 min) while it fails; a full queue drops its oldest event
 * and counts it. A failing URL is logged once when it starts failing and
 * once when it works again.
 *
 * Threading: the lws service thread. Ownership: webhook_new's result is
 * the caller's (webhook_free); the httpc is borrowed and outlives it. */
#ifndef CSMS_WEBHOOK_H
#define CSMS_WEBHOOK_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

struct csms;
struct csms_config;
struct httpc;
struct evhook_event;
struct webhook;

#define WEBHOOK_MAX_URLS 4
#define WEBHOOK_BACKOFF_MAX_MS 300000

/* The settings as webhook_new takes them: 0, or -1 with err naming the key
 * (a URL that is not http(s)://, too many URLs, an unknown event kind). */
int webhook_check_config(const struct csms_config *cfg, char *err, size_t errlen);

/* NULL when webhook_url is empty (nothing to do) or on failure (err set). */
struct webhook *webhook_new(struct csms *app, struct httpc *http, char *err, size_t errlen);
void webhook_free(struct webhook *w);
/* Listener of central/evhook.h: queues ev for every URL when its kind is wanted. */
void webhook_on_event(void *w, const struct evhook_event *ev);
/* From the loop's tick, after httpc_poll: starts what is due. */
void webhook_tick(struct webhook *w, int64_t now_ms);

/* The JSON every notification carries (also for MQTT): {"id", "kind",
 * "time", "site", "charger", "connectorId", and "alarm": {"source",
 * "code", "info"} or "session": {"transactionId", "idTag", "start",
 * "stop", "energyWh", "cost", "pvShare", "stopReason"}}. id: unique
 * (site, process start, sequence). New tree. */
cJSON *webhook_event_json(const struct evhook_event *ev, const char *site, const char *id);

/* The signature header value of body with secret: "sha256=" and 64 hex
 * digits, into out (at least 72 bytes). 0 or -1. */
int webhook_sign(const char *secret, const char *body, size_t len, char *out, size_t outlen);

#endif
