/* feeds.c: the price and PV forecast feeds (feeds.h): when to fetch, the
 * request each provider wants, and what a good answer changes. */
#include "feeds.h"
#include "alarms.h"
#include "config.h"
#include "csms.h"
#include "energy.h"
#include "errkind.h"
#include "feedparse.h"
#include "httpc.h"
#include "jget.h"
#include "log.h"
#include "timeutil.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ANSWER_MAX (4 << 20) /* a provider's answer beyond 4 MB is refused */
#define FETCH_TIMEOUT_MS 30000
#define RETRY_FIRST_MS 10000

enum feed_id { FEED_PRICES, FEED_PV, FEED_COUNT };

/* One feed and what it did last; lives with the feeds. */
struct feed {
	struct feeds *fs;
	enum feed_id id;
	const char *name;   /* "prices", "pvForecast" */
	const char *source; /* price_source / forecast_source's word */
	int src;
	char url[1024], shown[256];
	int64_t refresh_ms, next_ms, retry_ms;
	int in_flight;
	int64_t last_fetch_ms, last_ok_ms;
	char error[256];
	int64_t start_ms;
	int slot_s, n;
	struct alarms_watch alarm;
};

struct feeds {
	struct csms *app;
	struct httpc *http;
	struct feed f[FEED_COUNT];
};

/* Each price source: its name, default URL, whether it needs a token. */
static const struct {
	const char *name, *default_url;
	int needs_token;
} price_srcs[] = {
	[PRICE_SRC_NONE] = { "none", "", 0 },
	[PRICE_SRC_AWATTAR] = { "awattar", "https://api.awattar.de/v1/marketdata", 0 },
	[PRICE_SRC_ENTSOE] = { "entsoe", "https://web-api.tp.entsoe.eu/api", 1 },
	[PRICE_SRC_TIBBER] = { "tibber", "https://api.tibber.com/v1-beta/gql", 1 },
	[PRICE_SRC_GENERIC] = { "generic", "", 0 },
};
static const struct {
	const char *name;
	int needs_token;
} pv_srcs[] = {
	[FORECAST_SRC_NONE] = { "none", 0 },
	[FORECAST_SRC_FORECAST_SOLAR] = { "forecast_solar", 0 },
	[FORECAST_SRC_SOLCAST] = { "solcast", 1 },
};

int feeds_wanted(const struct csms_config *cfg)
{
	return cfg->price_source != PRICE_SRC_NONE || cfg->forecast_source != FORECAST_SRC_NONE;
}

int feeds_check_config(const struct csms_config *cfg, char *err, size_t errlen)
{
	int ps = cfg->price_source, fs = cfg->forecast_source;
	if (ps != PRICE_SRC_NONE && !cfg->price_url[0] && !price_srcs[ps].default_url[0])
		snprintf(err, errlen, "price_url: needed with price_source %s", price_srcs[ps].name);
	else if (price_srcs[ps].needs_token && !cfg->price_token[0])
		snprintf(err, errlen, "price_token: needed with price_source %s", price_srcs[ps].name);
	else if (cfg->price_url[0] && strncmp(cfg->price_url, "http://", 7) &&
		 strncmp(cfg->price_url, "https://", 8))
		snprintf(err, errlen, "price_url: an http:// or https:// URL");
	else if (fs != FORECAST_SRC_NONE && !cfg->forecast_url[0])
		snprintf(err, errlen, "forecast_url: needed with forecast_source %s", pv_srcs[fs].name);
	else if (cfg->forecast_url[0] && strncmp(cfg->forecast_url, "http://", 7) &&
		 strncmp(cfg->forecast_url, "https://", 8))
		snprintf(err, errlen, "forecast_url: an http:// or https:// URL");
	else if (pv_srcs[fs].needs_token && !cfg->forecast_token[0])
		snprintf(err, errlen, "forecast_token: needed with forecast_source %s", pv_srcs[fs].name);
	else if (strlen(cfg->price_url) > 900 || strlen(cfg->forecast_url) > 1000)
		snprintf(err, errlen, "%s: too long",
			 strlen(cfg->price_url) > 900 ? "price_url" : "forecast_url");
	else
		return 0;
	return -1;
}

/* The URL as logs and the API show it: no query (tokens travel there). */
static void shown_url(const char *url, char *out, size_t len)
{
	snprintf(out, len, "%.*s", (int)strcspn(url, "?#"), url);
}

void feeds_report(struct csms *app, const char *name, const struct feed_status *st)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "source", st->source);
	cJSON_AddStringToObject(o, "url", st->url);
	jput_time(o, "lastFetch", st->last_fetch_ms);
	jput_time(o, "lastSuccess", st->last_ok_ms);
	if (st->error && st->error[0])
		cJSON_AddStringToObject(o, "error", st->error);
	else
		cJSON_AddNullToObject(o, "error");
	jput_time(o, "nextFetch", st->next_ms);
	jput_time(o, "start", st->start_ms);
	cJSON_AddNumberToObject(o, "slotS", st->slot_s);
	cJSON_AddNumberToObject(o, "count", st->count);
	energy_set_feed(app, name, o);
}

static void report(struct feed *f)
{
	struct feed_status st = { .source = f->source,
				  .url = f->shown,
				  .error = f->error,
				  .last_fetch_ms = f->last_fetch_ms,
				  .last_ok_ms = f->last_ok_ms,
				  .next_ms = f->next_ms,
				  .start_ms = f->n ? f->start_ms : 0,
				  .slot_s = f->slot_s,
				  .count = f->n };
	feeds_report(f->fs->app, f->name, &st);
}

struct feeds *feeds_new(struct csms *app, struct httpc *http, char *err, size_t errlen)
{
	const struct csms_config *cfg = &app->cfg;
	struct feeds *fs = calloc(1, sizeof *fs);
	if (!fs) {
		snprintf(err, errlen, "feeds: out of memory");
		return NULL;
	}
	fs->app = app;
	fs->http = http;
	struct feed *p = &fs->f[FEED_PRICES], *v = &fs->f[FEED_PV];
	*p = (struct feed){ .fs = fs,
			    .id = FEED_PRICES,
			    .name = "prices",
			    .src = cfg->price_source,
			    .source = price_srcs[cfg->price_source].name,
			    .refresh_ms = cfg->price_refresh_s * 1000LL,
			    .alarm = { ALARM_SRC_PRICE_FEED, -1, "" } };
	snprintf(p->url, sizeof p->url, "%s",
		 cfg->price_url[0] ? cfg->price_url : price_srcs[cfg->price_source].default_url);
	*v = (struct feed){ .fs = fs,
			    .id = FEED_PV,
			    .name = "pvForecast",
			    .src = cfg->forecast_source,
			    .source = pv_srcs[cfg->forecast_source].name,
			    .refresh_ms = cfg->forecast_refresh_s * 1000LL,
			    .alarm = { ALARM_SRC_PV_FEED, -1, "" } };
	snprintf(v->url, sizeof v->url, "%s", cfg->forecast_url);
	for (int i = 0; i < FEED_COUNT; i++) {
		shown_url(fs->f[i].url, fs->f[i].shown, sizeof fs->f[i].shown);
		if (fs->f[i].src)
			report(&fs->f[i]);
	}
	return fs;
}

void feeds_free(struct feeds *fs)
{
	free(fs);
}

/* ---- a fetch's end ---- */

static void failed(struct feed *f, const char *why)
{
	struct csms *app = f->fs->app;
	snprintf(f->error, sizeof f->error, "%s", why);
	f->retry_ms = f->retry_ms ? f->retry_ms * 2 : RETRY_FIRST_MS;
	if (f->retry_ms > f->refresh_ms)
		f->retry_ms = f->refresh_ms;
	f->next_ms = app->now_ms + f->retry_ms;
	char info[320];
	snprintf(info, sizeof info, "%s feed %s (%s): %s; nothing changed", f->name, f->source, f->shown,
		 why);
	alarms_site_watch(app, &f->alarm, "feeds", ALARM_CODE_FEED_ERROR, info);
	report(f);
}

/* Prices: the market price with the fee and VAT (Tibber's total has them). */
static int apply_prices(struct feed *f, const struct feed_slots *s, char *err, size_t errlen)
{
	struct csms *app = f->fs->app;
	const struct csms_config *cfg = &app->cfg;
	char ts[40];
	int gross = f->src == PRICE_SRC_TIBBER;
	cJSON *b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "start", time_format_iso(s->start_ms, ts, sizeof ts));
	cJSON_AddNumberToObject(b, "slotS", s->slot_s);
	cJSON *ia = cJSON_AddArrayToObject(b, "importPrice");
	for (int i = 0; i < s->n; i++)
		cJSON_AddItemToArray(
			ia,
			cJSON_CreateNumber(gross ? s->v[i]
						 : (s->v[i] + cfg->price_fee) * (1 + cfg->price_vat)));
	struct err_info e;
	int rc = energy_set_prices(app->energy, b, &e);
	cJSON_Delete(b);
	if (rc)
		snprintf(err, errlen, "the station refused the list: %.200s", e.msg);
	return rc;
}

static void on_done(void *arg, const struct httpc_result *r)
{
	struct feed *f = arg;
	struct csms *app = f->fs->app;
	char err[256] = "";
	f->in_flight = 0;
	f->last_fetch_ms = app->now_ms;
	if (!r->ok) {
		failed(f, r->error ? r->error : "failed");
		return;
	}
	if (r->status != 200) {
		snprintf(err, sizeof err, "HTTP %ld", r->status);
		failed(f, err);
		return;
	}
	struct feed_slots *s = malloc(sizeof *s);
	int rc = -1;
	if (!s) {
		failed(f, "out of memory");
		return;
	}
	const struct csms_config *cfg = &app->cfg;
	struct feed_generic g = { cfg->price_path, cfg->price_start_field, cfg->price_field,
				  cfg->price_factor };
	int64_t now = energy_clock_ms(app); /* the slots are on the station's clock */
	if (f->id == FEED_PRICES) {
		switch (f->src) {
		case PRICE_SRC_AWATTAR:
			rc = feed_parse_awattar(r->body, r->len, now, s, err, sizeof err);
			break;
		case PRICE_SRC_ENTSOE:
			rc = feed_parse_entsoe(r->body, r->len, now, s, err, sizeof err);
			break;
		case PRICE_SRC_TIBBER:
			rc = feed_parse_tibber(r->body, r->len, now, s, err, sizeof err);
			break;
		case PRICE_SRC_GENERIC:
			rc = feed_parse_generic(r->body, r->len, &g, now, s, err, sizeof err);
			break;
		}
		if (!rc)
			rc = apply_prices(f, s, err, sizeof err);
	} else {
		if (f->src == FORECAST_SRC_FORECAST_SOLAR)
			rc = feed_parse_forecast_solar(r->body, r->len, now, s, err, sizeof err);
		else
			rc = feed_parse_solcast(r->body, r->len, now, s, err, sizeof err);
		if (!rc && energy_set_pv_forecast(app, s->start_ms, s->slot_s, s->n, s->v)) {
			snprintf(err, sizeof err, "the station refused the forecast");
			rc = -1;
		}
	}
	if (rc) {
		free(s);
		failed(f, err[0] ? err : "not understood");
		return;
	}
	if (f->error[0] || !f->last_ok_ms)
		LOGI("feeds", "%s from %s: %d slots of %d s", f->name, f->source, s->n, s->slot_s);
	f->start_ms = s->start_ms;
	f->slot_s = s->slot_s;
	f->n = s->n;
	free(s);
	f->last_ok_ms = app->now_ms;
	f->error[0] = 0;
	f->retry_ms = 0;
	f->next_ms = app->now_ms + f->refresh_ms;
	alarms_site_watch(app, &f->alarm, "feeds", NULL, NULL);
	report(f);
}

/* ---- a fetch's start ---- */

/* ENTSO-E: today 00:00 UTC to two days later, the zone both ways. */
static void entsoe_url(const struct feed *f, const struct csms_config *cfg, int64_t now_ms, char *out,
		       size_t len)
{
	char a[16], b[16];
	time_t t0 = (time_t)(now_ms / 86400000 * 86400), t1 = t0 + 2 * 86400;
	strftime(a, sizeof a, "%Y%m%d%H%M", gmtime(&t0));
	strftime(b, sizeof b, "%Y%m%d%H%M", gmtime(&t1));
	snprintf(out, len,
		 "%s%csecurityToken=%s&documentType=A44&in_Domain=%s&out_Domain=%s&periodStart=%s&periodEnd=%"
		 "s",
		 f->url, strchr(f->url, '?') ? '&' : '?', cfg->price_token, cfg->price_area, cfg->price_area,
		 a, b);
}

static void start_fetch(struct feed *f, int64_t now_ms)
{
	struct feeds *fs = f->fs;
	const struct csms_config *cfg = &fs->app->cfg;
	char url[2048], auth[600];
	const char *headers[4] = { NULL };
	int nh = 0;
	const char *token = f->id == FEED_PRICES ? cfg->price_token : cfg->forecast_token;
	struct httpc_req rq = { "GET", url, headers, NULL, 0, FETCH_TIMEOUT_MS, ANSWER_MAX, 1 };
	static const char tibber_query[] = "{\"query\":\"{viewer{homes{currentSubscription{priceInfo{today{"
					   "total startsAt} tomorrow{total "
					   "startsAt}}}}}}\"}";
	snprintf(url, sizeof url, "%s", f->url);
	if (f->id == FEED_PRICES && f->src == PRICE_SRC_ENTSOE)
		entsoe_url(f, cfg, energy_clock_ms(fs->app), url, sizeof url);
	if (token[0] && !(f->id == FEED_PRICES && f->src == PRICE_SRC_ENTSOE)) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
		headers[nh++] = auth;
	}
	headers[nh++] = "Accept: application/json, application/xml;q=0.9";
	if (f->id == FEED_PRICES && f->src == PRICE_SRC_TIBBER) {
		headers[nh++] = "Content-Type: application/json";
		rq.method = "POST";
		rq.body = tibber_query;
		rq.body_len = sizeof tibber_query - 1;
		rq.follow = 0;
	}
	headers[nh] = NULL;
	if (httpc_start(fs->http, &rq, on_done, f)) {
		f->last_fetch_ms = now_ms;
		failed(f, "request not started");
		return;
	}
	f->in_flight = 1;
}

void feeds_tick(struct feeds *fs, int64_t now_ms)
{
	for (int i = 0; i < FEED_COUNT; i++) {
		struct feed *f = &fs->f[i];
		if (f->src && !f->in_flight && now_ms >= f->next_ms)
			start_fetch(f, now_ms);
	}
}
