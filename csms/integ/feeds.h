/* feeds.h: the price list and the PV forecast pulled from providers
 * (price_source, forecast_source): fetched at start and every
 * price_refresh_s / forecast_refresh_s (a failed fetch again after 10 s,
 * doubling up to the refresh period), parsed by feedparse.h and handed to
 * the station: prices through energy_set_prices (as PUT
 * /api/v1/station/prices; import = (market + price_fee) * (1 +
 * price_vat)), the PV forecast through energy_set_pv_forecast. A fetch or
 * an answer that fails changes nothing, raises the site alarm priceFeed /
 * pvForecastFeed (FeedError, with why) until a fetch works, and is
 * reported under "feeds" in GET /api/v1/station.
 *
 * Threading: the lws service thread. Ownership: the caller owns the
 * feeds (feeds_free); the httpc is borrowed and outlives them. */
#ifndef CSMS_FEEDS_H
#define CSMS_FEEDS_H

#include <stddef.h>
#include <stdint.h>

struct csms;
struct csms_config;
struct httpc;
struct feeds;

#define ALARM_SRC_PRICE_FEED "priceFeed"
#define ALARM_SRC_PV_FEED "pvForecastFeed"
#define ALARM_CODE_FEED_ERROR "FeedError"

/* 1 when a price or forecast source is set. */
int feeds_wanted(const struct csms_config *cfg);
/* The rules across keys (a generic source needs price_url, a forecast
 * source forecast_url, tibber a token); 0 or -1 with err naming the key. */
int feeds_check_config(const struct csms_config *cfg, char *err, size_t errlen);
struct feeds *feeds_new(struct csms *app, struct httpc *http, char *err, size_t errlen);
void feeds_free(struct feeds *f);
/* From the loop's tick: starts the fetches that are due. */
void feeds_tick(struct feeds *f, int64_t now_ms);

/* What a feed (or the outage schedule file, outages.h) reports of itself
 * under "feeds" in GET /api/v1/station (energy_set_feed): one shape for
 * all. Times 0: null; error NULL or "": null. */
struct feed_status {
	const char *source, *url, *error;
	int64_t last_fetch_ms, last_ok_ms, next_ms, start_ms;
	int slot_s, count;
};
void feeds_report(struct csms *app, const char *name, const struct feed_status *st);

#endif
