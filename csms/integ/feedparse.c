/* feedparse.c: price and PV forecast answers to slots (feedparse.h). Each
 * provider's reader collects intervals (start, end, value); one checker
 * turns them into slots or refuses them.
 *
 * Shapes used, from the providers' documentation and the clients that
 * read them: aWATTar https://www.awattar.de/services/api (v1/marketdata);
 * ENTSO-E Transparency Platform RESTful API guide, documentType A44 (and
 * its XML examples of Publication_MarketDocument, Energy Prices 12.1.D);
 * Tibber https://developer.tibber.com/docs/reference (priceInfo today /
 * tomorrow: total, startsAt); forecast.solar https://doc.forecast.solar
 * (estimate: result.watts); Solcast rooftop_sites/{id}/forecasts
 * (forecasts[]: pv_estimate kW, period_end, period); evcc's tariff
 * providers read the same fields. */
#include "feedparse.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* The intervals a reader found; lives on the heap for one parse. */
struct items {
	int n;
	int64_t start[FEED_MAX_ITEMS], end[FEED_MAX_ITEMS];
	double v[FEED_MAX_ITEMS];
};

#define FAIL(...) (snprintf(err, errlen, __VA_ARGS__), -1)

static int add(struct items *it, int64_t s, int64_t e, double v, char *err, size_t errlen)
{
	if (it->n >= FEED_MAX_ITEMS)
		return FAIL("more than %d entries: refused", FEED_MAX_ITEMS);
	it->start[it->n] = s;
	it->end[it->n] = e;
	it->v[it->n] = v;
	it->n++;
	return 0;
}

/* ---- time ---- */

static int digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
	}
	*out = v;
	return 0;
}

int feed_time(const char *s, int64_t *ms)
{
	int y, mo, d, h, mi, sec = 0, frac_ms = 0;
	const char *p = s;
	if (!s || digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d) || (*p != 'T' && *p != ' ') || !*p++ || digits(&p, 2, &h) || *p++ != ':' ||
	    digits(&p, 2, &mi))
		return -1;
	if (*p == ':') {
		p++;
		if (digits(&p, 2, &sec))
			return -1;
		if (*p == '.') {
			p++;
			int scale = 100;
			if (!isdigit((unsigned char)*p))
				return -1;
			while (isdigit((unsigned char)*p)) {
				frac_ms += (*p - '0') * scale;
				scale /= 10;
				p++;
			}
		}
	}
	int off_min = 0;
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
		if (digits(&p, 2, &oh))
			return -1;
		if (*p == ':')
			p++;
		if (*p && digits(&p, 2, &om))
			return -1;
		if (oh > 14 || om > 59)
			return -1;
		off_min = sign * (oh * 60 + om);
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 24 || mi > 59 || sec > 60)
		return -1;
	struct tm tm = {
		.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = sec
	};
	time_t t = timegm(&tm);
	*ms = ((int64_t)t - (int64_t)off_min * 60) * 1000 + frac_ms;
	return 0;
}

/* ---- the one checker: intervals -> slots ---- */

enum kind { PRICES, PV };

static int to_slots(const struct items *it, enum kind kind, int64_t now_ms, struct feed_slots *out, char *err,
		    size_t errlen)
{
	char ts[40];
	if (it->n == 0)
		return FAIL("no entries");
	int64_t len = it->end[0] - it->start[0];
	for (int i = 0; i < it->n; i++) {
		double v = it->v[i];
		int64_t l = it->end[i] - it->start[i];
		if (!isfinite(v))
			return FAIL("entry %d: not a number", i);
		if (kind == PRICES && fabs(v) > FEED_PRICE_MAX)
			return FAIL("entry %d: %g per kWh is absurd (a wrong unit?)", i, v);
		if (kind == PV && (v < 0 || v > FEED_PV_MAX_W))
			return FAIL("entry %d: %g W is not a PV power (a wrong unit?)", i, v);
		if (l <= 0 || l % 900000)
			return FAIL("entry %d: a slot of %lld s (whole quarter hours only)", i,
				    (long long)(l / 1000));
		if (kind == PRICES && l != len)
			return FAIL("entry %d: slots of %lld s and %lld s mixed", i, (long long)(l / 1000),
				    (long long)(len / 1000));
		if (it->start[i] % 900000)
			return FAIL("entry %d: does not start on a quarter hour", i);
		if (i && it->start[i] != it->end[i - 1])
			return FAIL("entry %d: %s", i,
				    it->start[i] < it->end[i - 1] ? "out of time order or overlapping"
								  : "a gap before it");
	}
	if (kind == PRICES && len != 900000 && len != 3600000)
		return FAIL("slots of %lld s (900 or 3600 only)", (long long)(len / 1000));
	if (it->end[it->n - 1] <= now_ms) {
		time_t t = (time_t)(it->end[it->n - 1] / 1000);
		strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
		return FAIL("stale: the data ends at %s, before now", ts);
	}
	/* prices keep their slot; PV goes to quarter hours */
	int64_t slot = kind == PRICES ? len : 900000;
	int first = 0;
	while (it->end[first] <= now_ms)
		first++;
	int64_t start = it->start[first];
	if (kind == PV && start < now_ms)
		start += (now_ms - start) / slot * slot; /* the quarter in progress */
	int max = (int)(FEED_MAX_SLOTS / (slot / 900000));
	int n = 0;
	double v[FEED_MAX_SLOTS];
	for (int i = first; i < it->n && n < max; i++)
		for (int64_t t = it->start[i]; t < it->end[i] && n < max; t += slot)
			if (t >= start)
				v[n++] = it->v[i];
	out->start_ms = start;
	out->slot_s = (int)(slot / 1000);
	out->n = n;
	memcpy(out->v, v, (size_t)n * sizeof v[0]);
	return 0;
}

static struct items *items_new(char *err, size_t errlen)
{
	struct items *it = calloc(1, sizeof *it);
	if (!it)
		snprintf(err, errlen, "out of memory");
	return it;
}

static cJSON *parse_json(const char *text, size_t len, char *err, size_t errlen)
{
	cJSON *j = cJSON_ParseWithLength(text, len);
	if (!j)
		snprintf(err, errlen, "not JSON (truncated?)");
	return j;
}

/* the number at o.k, as a double; 0 or -1 */
static int num(const cJSON *o, const char *k, double *v)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!cJSON_IsNumber(x))
		return -1;
	*v = x->valuedouble;
	return 0;
}

/* ---- aWATTar ---- */

int feed_parse_awattar(const char *text, size_t len, int64_t now_ms, struct feed_slots *out, char *err,
		       size_t errlen)
{
	cJSON *j = parse_json(text, len, err, errlen);
	struct items *it = j ? items_new(err, errlen) : NULL;
	int rc = -1, i = 0;
	if (!it)
		goto out;
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(j, "data"), *e;
	if (!cJSON_IsArray(data)) {
		snprintf(err, errlen, "aWATTar: no \"data\" array");
		goto out;
	}
	cJSON_ArrayForEach(e, data)
	{
		double s, en, p;
		const cJSON *unit = cJSON_GetObjectItemCaseSensitive(e, "unit");
		if (num(e, "start_timestamp", &s) || num(e, "end_timestamp", &en) ||
		    num(e, "marketprice", &p)) {
			snprintf(err, errlen,
				 "aWATTar: data[%d]: start_timestamp, end_timestamp and marketprice must be "
				 "numbers",
				 i);
			goto out;
		}
		if (unit && (!cJSON_IsString(unit) || strcasecmp(unit->valuestring, "Eur/MWh"))) {
			snprintf(err, errlen, "aWATTar: data[%d]: unit %s, not Eur/MWh", i,
				 cJSON_IsString(unit) ? unit->valuestring : "(not text)");
			goto out;
		}
		if (add(it, (int64_t)s, (int64_t)en, p / 1000, err, errlen))
			goto out;
		i++;
	}
	rc = to_slots(it, PRICES, now_ms, out, err, errlen);
out:
	free(it);
	cJSON_Delete(j);
	return rc;
}

/* ---- starts only (Tibber, generic): each slot ends where the next starts ---- */

static int from_starts(struct items *it, char *err, size_t errlen)
{
	if (it->n == 0)
		return FAIL("no entries");
	int64_t slot = it->n > 1 ? it->start[1] - it->start[0] : 3600000;
	for (int i = 0; i < it->n; i++)
		it->end[i] = it->start[i] + slot;
	return 0;
}

/* ---- Tibber ---- */

int feed_parse_tibber(const char *text, size_t len, int64_t now_ms, struct feed_slots *out, char *err,
		      size_t errlen)
{
	cJSON *j = parse_json(text, len, err, errlen);
	struct items *it = j ? items_new(err, errlen) : NULL;
	int rc = -1;
	if (!it)
		goto out;
	const cJSON *errs = cJSON_GetObjectItemCaseSensitive(j, "errors");
	if (cJSON_IsArray(errs) && cJSON_GetArraySize(errs) > 0) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(errs, 0), "message");
		snprintf(err, errlen, "Tibber: %s", cJSON_IsString(m) ? m->valuestring : "an error");
		goto out;
	}
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, "data");
	x = cJSON_GetObjectItemCaseSensitive(x, "viewer");
	x = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(x, "homes"), 0);
	x = cJSON_GetObjectItemCaseSensitive(x, "currentSubscription");
	x = cJSON_GetObjectItemCaseSensitive(x, "priceInfo");
	if (!cJSON_IsObject(x)) {
		snprintf(err, errlen, "Tibber: no data.viewer.homes[0].currentSubscription.priceInfo");
		goto out;
	}
	static const char *const days[] = { "today", "tomorrow" };
	for (int d = 0; d < 2; d++) {
		const cJSON *arr = cJSON_GetObjectItemCaseSensitive(x, days[d]), *e;
		if (!arr || cJSON_IsNull(arr))
			continue; /* tomorrow comes in the afternoon */
		if (!cJSON_IsArray(arr)) {
			snprintf(err, errlen, "Tibber: priceInfo.%s is not an array", days[d]);
			goto out;
		}
		int i = 0;
		cJSON_ArrayForEach(e, arr)
		{
			double p;
			int64_t s;
			const cJSON *st = cJSON_GetObjectItemCaseSensitive(e, "startsAt");
			if (num(e, "total", &p) || !cJSON_IsString(st) || feed_time(st->valuestring, &s)) {
				snprintf(err, errlen,
					 "Tibber: %s[%d]: total (number) and startsAt (ISO 8601) needed",
					 days[d], i);
				goto out;
			}
			if (add(it, s, 0, p, err, errlen))
				goto out;
			i++;
		}
	}
	if (from_starts(it, err, errlen))
		goto out;
	rc = to_slots(it, PRICES, now_ms, out, err, errlen);
out:
	free(it);
	cJSON_Delete(j);
	return rc;
}

/* ---- generic ---- */

static const cJSON *at_path(const cJSON *j, const char *path)
{
	char part[128];
	const char *p = path;
	while (j && *p) {
		size_t l = strcspn(p, ".");
		if (l >= sizeof part)
			return NULL;
		memcpy(part, p, l);
		part[l] = 0;
		char *end;
		long k = strtol(part, &end, 10);
		if (l && !*end && cJSON_IsArray(j))
			j = cJSON_GetArrayItem(j, (int)k);
		else
			j = cJSON_GetObjectItemCaseSensitive(j, part);
		p += l;
		if (*p == '.')
			p++;
	}
	return j;
}

int feed_parse_generic(const char *text, size_t len, const struct feed_generic *g, int64_t now_ms,
		       struct feed_slots *out, char *err, size_t errlen)
{
	cJSON *j = parse_json(text, len, err, errlen);
	struct items *it = j ? items_new(err, errlen) : NULL;
	int rc = -1, i = 0;
	if (!it)
		goto out;
	const cJSON *arr = at_path(j, g->path), *e;
	if (!cJSON_IsArray(arr)) {
		snprintf(err, errlen, "no array at \"%s\"", g->path);
		goto out;
	}
	cJSON_ArrayForEach(e, arr)
	{
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(e, g->start_field);
		double p;
		int64_t t;
		if (cJSON_IsString(s)) {
			if (feed_time(s->valuestring, &t)) {
				snprintf(err, errlen, "[%d].%s: not an ISO 8601 time", i, g->start_field);
				goto out;
			}
		} else if (cJSON_IsNumber(s) && isfinite(s->valuedouble) && s->valuedouble > 0) {
			/* unix seconds until 2286, else milliseconds */
			t = s->valuedouble < 1e10 ? (int64_t)s->valuedouble * 1000 : (int64_t)s->valuedouble;
		} else {
			snprintf(err, errlen, "[%d].%s: no time", i, g->start_field);
			goto out;
		}
		if (num(e, g->price_field, &p)) {
			snprintf(err, errlen, "[%d].%s: not a number", i, g->price_field);
			goto out;
		}
		if (add(it, t, 0, p * g->factor, err, errlen))
			goto out;
		i++;
	}
	if (from_starts(it, err, errlen))
		goto out;
	rc = to_slots(it, PRICES, now_ms, out, err, errlen);
out:
	free(it);
	cJSON_Delete(j);
	return rc;
}

/* ---- ENTSO-E (XML) ---- */

/* The text of the first <tag>...</tag> in [p, end), into out; the element's
 * end in *next. 0 or -1. Tags carry no prefix in these documents (a
 * default namespace). */
static int xml_elem(const char *p, const char *end, const char *tag, const char **body, const char **body_end,
		    const char **next)
{
	char open[64], close[64];
	snprintf(open, sizeof open, "<%s>", tag);
	snprintf(close, sizeof close, "</%s>", tag);
	size_t lo = strlen(open), lc = strlen(close);
	for (const char *q = p; q + lo <= end; q++)
		if (!memcmp(q, open, lo)) {
			for (const char *r = q + lo; r + lc <= end; r++)
				if (!memcmp(r, close, lc)) {
					*body = q + lo;
					*body_end = r;
					if (next)
						*next = r + lc;
					return 0;
				}
			return -1;
		}
	return -1;
}

static int xml_text(const char *p, const char *end, const char *tag, char *out, size_t len)
{
	const char *b, *e;
	if (xml_elem(p, end, tag, &b, &e, NULL))
		return -1;
	while (b < e && isspace((unsigned char)*b))
		b++;
	while (e > b && isspace((unsigned char)e[-1]))
		e--;
	if ((size_t)(e - b) >= len)
		return -1;
	memcpy(out, b, (size_t)(e - b));
	out[e - b] = 0;
	return 0;
}

static int xml_num(const char *p, const char *end, const char *tag, double *v)
{
	char buf[64], *e;
	if (xml_text(p, end, tag, buf, sizeof buf))
		return -1;
	*v = strtod(buf, &e);
	return e == buf || *e ? -1 : 0;
}

/* ENTSO-E times: "2024-10-11T22:00Z" (no seconds) */
static int entsoe_time(const char *p, const char *end, const char *tag, int64_t *ms)
{
	char buf[40];
	return xml_text(p, end, tag, buf, sizeof buf) || feed_time(buf, ms) ? -1 : 0;
}

int feed_parse_entsoe(const char *text, size_t len, int64_t now_ms, struct feed_slots *out, char *err,
		      size_t errlen)
{
	const char *end = text + len, *b, *e, *p;
	struct items *it = NULL;
	int rc = -1;
	char res[16], want_res[16] = "";
	if (xml_elem(text, end, "Publication_MarketDocument", &b, &e, NULL) &&
	    !strstr(text, "<Publication_MarketDocument ")) {
		const char *r;
		char reason[160];
		if (!xml_elem(text, end, "Reason", &r, &e, NULL) &&
		    !xml_text(r, e, "text", reason, sizeof reason))
			return FAIL("ENTSO-E: %s", reason); /* Acknowledgement_MarketDocument */
		return FAIL("ENTSO-E: not a Publication_MarketDocument");
	}
	if (!(it = items_new(err, errlen)))
		return -1;
	p = text;
	int np = 0;
	while (!xml_elem(p, end, "Period", &b, &e, &p)) {
		int64_t s0, s1;
		if (entsoe_time(b, e, "start", &s0) || entsoe_time(b, e, "end", &s1) || s1 <= s0) {
			snprintf(err, errlen, "ENTSO-E: Period %d: no timeInterval start and end", np);
			goto out;
		}
		if (xml_text(b, e, "resolution", res, sizeof res) ||
		    (strcmp(res, "PT60M") && strcmp(res, "PT15M"))) {
			snprintf(err, errlen, "ENTSO-E: Period %d: resolution %s (PT60M or PT15M)", np,
				 xml_text(b, e, "resolution", res, sizeof res) ? "missing" : res);
			goto out;
		}
		/* a document may carry both resolutions: the first one's periods are read */
		if (!want_res[0])
			snprintf(want_res, sizeof want_res, "%s", res);
		np++;
		if (strcmp(res, want_res))
			continue;
		int64_t step = !strcmp(res, "PT60M") ? 3600000 : 900000;
		int64_t npos = (s1 - s0) / step;
		if ((s1 - s0) % step || npos > FEED_MAX_ITEMS) {
			snprintf(err, errlen, "ENTSO-E: Period %d: its interval is no whole number of %s",
				 np - 1, res);
			goto out;
		}
		double vals[FEED_MAX_ITEMS];
		int have[FEED_MAX_ITEMS] = { 0 };
		const char *q = b, *pb, *pe;
		while (!xml_elem(q, e, "Point", &pb, &pe, &q)) {
			double pos, price;
			if (xml_num(pb, pe, "position", &pos) || xml_num(pb, pe, "price.amount", &price) ||
			    pos != floor(pos) || pos < 1 || pos > (double)npos) {
				snprintf(err, errlen,
					 "ENTSO-E: Period %d: a Point without a position in 1..%lld or a "
					 "price.amount",
					 np - 1, (long long)npos);
				goto out;
			}
			vals[(int)pos - 1] = price;
			have[(int)pos - 1] = 1;
		}
		if (!have[0]) {
			snprintf(err, errlen, "ENTSO-E: Period %d: no Point at position 1", np - 1);
			goto out;
		}
		/* curve type A03: a position left out repeats the one before */
		for (int64_t k = 0; k < npos; k++) {
			if (!have[k])
				vals[k] = vals[k - 1];
			if (add(it, s0 + k * step, s0 + (k + 1) * step, vals[k] / 1000, err, errlen))
				goto out;
		}
	}
	if (!np) {
		snprintf(err, errlen, "ENTSO-E: no Period");
		goto out;
	}
	rc = to_slots(it, PRICES, now_ms, out, err, errlen);
out:
	free(it);
	return rc;
}

/* ---- PV forecasts ---- */

/* forecast.solar: power at instants (sunrise, the hours, sunset); the
 * quarter hours between the first and the last get the power at their
 * middle, linear between the instants. */
int feed_parse_forecast_solar(const char *text, size_t len, int64_t now_ms, struct feed_slots *out, char *err,
			      size_t errlen)
{
	cJSON *j = parse_json(text, len, err, errlen);
	struct items *it = j ? items_new(err, errlen) : NULL;
	int64_t *t = NULL;
	double *w = NULL;
	int rc = -1, n = 0;
	if (!it)
		goto out;
	const cJSON *watts =
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "result"), "watts");
	if (!cJSON_IsObject(watts)) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(j, "message"), "text");
		snprintf(err, errlen, "forecast.solar: no result.watts%s%s", cJSON_IsString(m) ? ": " : "",
			 cJSON_IsString(m) ? m->valuestring : "");
		goto out;
	}
	int cnt = cJSON_GetArraySize(watts);
	if (cnt > FEED_MAX_ITEMS) {
		snprintf(err, errlen, "forecast.solar: more than %d entries: refused", FEED_MAX_ITEMS);
		goto out;
	}
	t = calloc((size_t)cnt + 1, sizeof *t);
	w = calloc((size_t)cnt + 1, sizeof *w);
	if (!t || !w) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	const cJSON *e;
	cJSON_ArrayForEach(e, watts)
	{
		if (feed_time(e->string, &t[n]) || !cJSON_IsNumber(e) || !isfinite(e->valuedouble)) {
			snprintf(err, errlen, "forecast.solar: \"%.40s\": a time and a number of W needed",
				 e->string);
			goto out;
		}
		if (e->valuedouble < 0 || e->valuedouble > FEED_PV_MAX_W) {
			snprintf(err, errlen, "forecast.solar: \"%.40s\": %g W is not a PV power", e->string,
				 e->valuedouble);
			goto out;
		}
		if (n && t[n] <= t[n - 1]) {
			snprintf(err, errlen, "forecast.solar: \"%.40s\": out of time order", e->string);
			goto out;
		}
		w[n] = e->valuedouble;
		n++;
	}
	if (n < 2) {
		snprintf(err, errlen, "forecast.solar: fewer than two points");
		goto out;
	}
	int k = 0;
	for (int64_t q = t[0] / 900000 * 900000; q < t[n - 1]; q += 900000) {
		int64_t mid = q + 450000;
		while (k < n - 2 && t[k + 1] <= mid)
			k++;
		double v;
		if (mid <= t[0] || mid >= t[n - 1])
			v = 0;
		else
			v = w[k] + (w[k + 1] - w[k]) * (double)(mid - t[k]) / (double)(t[k + 1] - t[k]);
		if (add(it, q, q + 900000, v, err, errlen))
			goto out;
	}
	rc = to_slots(it, PV, now_ms, out, err, errlen);
out:
	free(t);
	free(w);
	free(it);
	cJSON_Delete(j);
	return rc;
}

/* "PT30M", "PT1H", "PT15M" -> ms; -1 otherwise */
static int64_t iso_duration(const char *s)
{
	int v;
	char u, extra;
	if (!s || sscanf(s, "PT%d%c%c", &v, &u, &extra) != 2 || v <= 0 || v > 1440)
		return -1;
	return u == 'M' ? v * 60000LL : u == 'H' ? v * 3600000LL : -1;
}

int feed_parse_solcast(const char *text, size_t len, int64_t now_ms, struct feed_slots *out, char *err,
		       size_t errlen)
{
	cJSON *j = parse_json(text, len, err, errlen);
	struct items *it = j ? items_new(err, errlen) : NULL;
	int rc = -1, i = 0;
	if (!it)
		goto out;
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "forecasts"), *e;
	if (!cJSON_IsArray(arr)) {
		snprintf(err, errlen, "Solcast: no \"forecasts\" array");
		goto out;
	}
	cJSON_ArrayForEach(e, arr)
	{
		double kw;
		int64_t pe;
		const cJSON *pend = cJSON_GetObjectItemCaseSensitive(e, "period_end");
		const cJSON *per = cJSON_GetObjectItemCaseSensitive(e, "period");
		int64_t d = cJSON_IsString(per) ? iso_duration(per->valuestring) : -1;
		if (num(e, "pv_estimate", &kw) || !cJSON_IsString(pend) ||
		    feed_time(pend->valuestring, &pe) || d <= 0) {
			snprintf(err, errlen,
				 "Solcast: forecasts[%d]: pv_estimate (kW), period_end and period needed", i);
			goto out;
		}
		if (add(it, pe - d, pe, kw * 1000, err, errlen))
			goto out;
		i++;
	}
	rc = to_slots(it, PV, now_ms, out, err, errlen);
out:
	free(it);
	cJSON_Delete(j);
	return rc;
}
