/* feedparse.h: the answers of price and PV forecast providers turned into
 * slots the station takes (pure: text in, slots out; no I/O, no clock:
 * now comes in). Each parser checks the shape it reads and refuses, with
 * one line saying why, a wrong shape, wrong types, NaN, absurd values,
 * wrong units, slots of the wrong or of mixed sizes, gaps, and data that
 * ends before now (stale). A refusal leaves out untouched.
 *
 * Shapes (as the providers document them; see each parser in feedparse.c):
 *   aWATTar  {"data": [{"start_timestamp": ms, "end_timestamp": ms,
 *            "marketprice": EUR/MWh, "unit": "Eur/MWh"}]}
 *   ENTSO-E  XML Publication_MarketDocument (A44): TimeSeries / Period
 *            {timeInterval start end, resolution PT15M|PT60M, Point
 *            {position, price.amount EUR/MWh}}
 *   Tibber   {"data": {"viewer": {"homes": [{"currentSubscription":
 *            {"priceInfo": {"today": [{"total", "startsAt"}], "tomorrow": [..]}}}]}}}
 *   generic  an array at a dotted path, each {start field, price field}
 *   forecast.solar {"result": {"watts": {"YYYY-MM-DD HH:MM:SS": W}}}
 *   Solcast  {"forecasts": [{"pv_estimate": kW, "period_end", "period": "PT30M"}]} */
#ifndef CSMS_FEEDPARSE_H
#define CSMS_FEEDPARSE_H

#include <stddef.h>
#include <stdint.h>

#define FEED_MAX_SLOTS 384  /* 4 days of 15 minutes: the station's list (STATION_PRICE_MAX_SLOTS) */
#define FEED_MAX_ITEMS 4000 /* a provider's answer with more entries is refused */
#define FEED_PRICE_MAX 10.0 /* per kWh: beyond +-10 a price is taken for a wrong unit */
#define FEED_PV_MAX_W 1e6   /* a forecast beyond 1 MW is taken for a wrong unit */

/* Slots from start_ms, each slot_s long (prices: 900 or 3600 as the
 * provider has them; PV: 900), the first one the slot in progress at now
 * (past ones dropped), at most FEED_MAX_SLOTS of 15 minutes. Prices per
 * kWh as the provider's market price (no fee, no VAT); PV in W. */
struct feed_slots {
	int64_t start_ms;
	int slot_s, n;
	double v[FEED_MAX_SLOTS];
};

/* Each: 0, or -1 with err (one line). text: the answer, len bytes. */
int feed_parse_awattar(const char *text, size_t len, int64_t now_ms, struct feed_slots *out, char *err,
		       size_t errlen);
int feed_parse_entsoe(const char *text, size_t len, int64_t now_ms, struct feed_slots *out, char *err,
		      size_t errlen);
int feed_parse_tibber(const char *text, size_t len, int64_t now_ms, struct feed_slots *out, char *err,
		      size_t errlen);
/* path: dotted, numbers index arrays ("data.prices", "" the answer itself);
 * start: ISO 8601 text or unix seconds / milliseconds; price times factor
 * is per kWh. Slots from the distance between starts (900 or 3600 s). */
struct feed_generic {
	const char *path, *start_field, *price_field;
	double factor;
};
int feed_parse_generic(const char *text, size_t len, const struct feed_generic *g, int64_t now_ms,
		       struct feed_slots *out, char *err, size_t errlen);
int feed_parse_forecast_solar(const char *text, size_t len, int64_t now_ms, struct feed_slots *out, char *err,
			      size_t errlen);
int feed_parse_solcast(const char *text, size_t len, int64_t now_ms, struct feed_slots *out, char *err,
		       size_t errlen);

/* ISO 8601 date and time, 'T' or ' ' between, optional seconds and
 * fraction, 'Z', an offset (+02:00, +0200) or none (UTC). 0 or -1. */
int feed_time(const char *s, int64_t *ms);

#endif
