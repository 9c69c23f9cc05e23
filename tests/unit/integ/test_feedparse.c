/* test_feedparse.c: each provider's parser on an answer of the shape the
 * provider documents (feedparse.c names the sources), and on hostile ones:
 * truncated, wrong types, wrong units, absurd values, huge arrays, gaps,
 * mixed slot sizes, stale data. A refusal says why and leaves the slots
 * as they were. */
#include "feedparse.h"
#include "check.h"

#include <math.h>
#include <stdlib.h>

#define NOW 1782037200000LL /* 2026-06-21T10:20:00Z */
#define H10 1782036000000LL /* 2026-06-21T10:00:00Z */
#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

static struct feed_slots s;
static char err[256];

typedef int (*parse_fn)(const char *, size_t, int64_t, struct feed_slots *, char *, size_t);

/* A refusal: -1, the error names what (needle), s untouched. */
static void refused(parse_fn fn, const char *text, const char *needle)
{
	s.n = 77;
	err[0] = 0;
	int rc = fn(text, strlen(text), NOW, &s, err, sizeof err);
	CHECK(rc == -1);
	CHECK(s.n == 77);
	CHECK_CONTAINS(err, needle);
}

static void t_time(void)
{
	int64_t ms;
	CHECK(feed_time("2026-06-21T10:00:00Z", &ms) == 0 && ms == H10);
	CHECK(feed_time("2026-06-21T12:00:00.000+02:00", &ms) == 0 && ms == H10);
	CHECK(feed_time("2026-06-21T12:00+0200", &ms) == 0 && ms == H10);
	CHECK(feed_time("2026-06-21 10:00:00", &ms) == 0 && ms == H10);
	CHECK(feed_time("2026-06-21T10:00Z", &ms) == 0 && ms == H10);
	CHECK(feed_time("2026-06-21T10:00:00.5Z", &ms) == 0 && ms == H10 + 500);
	CHECK(feed_time("2026-13-21T10:00:00Z", &ms) == -1);
	CHECK(feed_time("2026-06-21T10:00:00Zjunk", &ms) == -1);
	CHECK(feed_time("2026-06-21", &ms) == -1);
	CHECK(feed_time("", &ms) == -1);
}

static void t_awattar(void)
{
	const char *ok =
		"{\"object\":\"list\",\"data\":["
		"{\"start_timestamp\":1782032400000,\"end_timestamp\":1782036000000,\"marketprice\":90,"
		"\"unit\":\"Eur/MWh\"},"
		"{\"start_timestamp\":1782036000000,\"end_timestamp\":1782039600000,\"marketprice\":100.5,"
		"\"unit\":\"Eur/MWh\"},"
		"{\"start_timestamp\":1782039600000,\"end_timestamp\":1782043200000,\"marketprice\":-20,"
		"\"unit\":\"Eur/MWh\"},"
		"{\"start_timestamp\":1782043200000,\"end_timestamp\":1782046800000,\"marketprice\":250,"
		"\"unit\":\"Eur/MWh\"}],\"url\":\"/at/v1/marketdata\"}";
	CHECK(feed_parse_awattar(ok, strlen(ok), NOW, &s, err, sizeof err) == 0);
	CHECK(s.start_ms == H10 && s.slot_s == 3600 && s.n == 3); /* the past hour dropped */
	CHECK(NEAR(s.v[0], 0.1005) && NEAR(s.v[1], -0.02) && NEAR(s.v[2], 0.25));
	refused(feed_parse_awattar, "{\"data\":[{\"start_timestamp\":1782036000000,\"end_timestamp\":17820",
		"not JSON");
	refused(feed_parse_awattar, "{\"data\":{}}", "no \"data\" array");
	refused(feed_parse_awattar,
		"{\"data\":[{\"start_timestamp\":1782036000000,\"end_timestamp\":1782039600000,"
		"\"marketprice\":\"100\",\"unit\":\"Eur/MWh\"}]}",
		"must be numbers");
	refused(feed_parse_awattar,
		"{\"data\":[{\"start_timestamp\":1782036000000,\"end_timestamp\":1782039600000,"
		"\"marketprice\":0.1,\"unit\":\"Eur/kWh\"}]}",
		"not Eur/MWh");
	refused(feed_parse_awattar,
		"{\"data\":[{\"start_timestamp\":1782036000000,\"end_timestamp\":1782039600000,"
		"\"marketprice\":50000}]}",
		"absurd");
	refused(feed_parse_awattar,
		"{\"data\":[{\"start_timestamp\":1782028800000,\"end_timestamp\":1782032400000,"
		"\"marketprice\":50}]}",
		"stale");
	refused(feed_parse_awattar,
		"{\"data\":[{\"start_timestamp\":1782036000000,\"end_timestamp\":1782039600000,"
		"\"marketprice\":5},"
		"{\"start_timestamp\":1782039600000,\"end_timestamp\":1782040500000,\"marketprice\":5}]}",
		"mixed");
	refused(feed_parse_awattar,
		"{\"data\":[{\"start_timestamp\":1782036000000,\"end_timestamp\":1782039600000,"
		"\"marketprice\":5},"
		"{\"start_timestamp\":1782043200000,\"end_timestamp\":1782046800000,\"marketprice\":5}]}",
		"gap");
	refused(feed_parse_awattar,
		"{\"data\":[{\"start_timestamp\":1782036060000,\"end_timestamp\":1782039660000,"
		"\"marketprice\":5}]}",
		"quarter hour");
	refused(feed_parse_awattar,
		"{\"data\":[{\"start_timestamp\":1782036000000,\"end_timestamp\":1782037800000,"
		"\"marketprice\":5}]}",
		"900 or 3600");
	/* a huge array: refused, not truncated */
	size_t cap = 5000 * 100 + 100, n = 0;
	char *big = malloc(cap);
	n += (size_t)snprintf(big + n, cap - n, "{\"data\":[");
	for (int i = 0; i < 5000; i++)
		n += (size_t)snprintf(big + n, cap - n,
				      "%s{\"start_timestamp\":%lld,\"end_timestamp\":%lld,\"marketprice\":1}",
				      i ? "," : "", H10 + i * 900000LL, H10 + (i + 1) * 900000LL);
	snprintf(big + n, cap - n, "]}");
	refused(feed_parse_awattar, big, "more than");
	free(big);
}

static const char entsoe_doc[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<Publication_MarketDocument xmlns=\"urn:iec62325.351:tc57wg16:451-3:publicationdocument:7:3\">\n"
	"  <mRID>abc</mRID><type>A44</type>\n"
	"  "
	"<period.timeInterval><start>2026-06-20T22:00Z</start><end>2026-06-21T22:00Z</end></"
	"period.timeInterval>\n"
	"  <TimeSeries><mRID>1</mRID><businessType>A62</businessType>\n"
	"    "
	"<currency_Unit.name>EUR</currency_Unit.name><price_Measure_Unit.name>MWH</price_Measure_Unit.name>\n"
	"    <curveType>A03</curveType>\n"
	"    "
	"<Period><timeInterval><start>2026-06-20T22:00Z</start><end>2026-06-21T22:00Z</end></timeInterval>\n"
	"      <resolution>PT60M</resolution>\n"
	"      <Point><position>1</position><price.amount>80.00</price.amount></Point>\n"
	"      <Point><position>13</position><price.amount>120.50</price.amount></Point>\n"
	"      <Point><position>15</position><price.amount>-5.25</price.amount></Point>\n"
	"      <Point><position>24</position><price.amount>99.9</price.amount></Point>\n"
	"    </Period>\n"
	"  </TimeSeries>\n"
	"</Publication_MarketDocument>\n";

static void t_entsoe(void)
{
	CHECK(feed_parse_entsoe(entsoe_doc, strlen(entsoe_doc), NOW, &s, err, sizeof err) == 0);
	/* 10:00Z is position 13; 11:00 (14) repeats it (curve A03); 12:00 is 15 */
	CHECK(s.start_ms == H10 && s.slot_s == 3600 && s.n == 12);
	CHECK(NEAR(s.v[0], 0.1205) && NEAR(s.v[1], 0.1205) && NEAR(s.v[2], -0.00525) &&
	      NEAR(s.v[11], 0.0999));
	CHECK(NEAR(s.v[10], -0.00525));
	refused(feed_parse_entsoe,
		"<Acknowledgement_MarketDocument><Reason><code>999</code><text>No matching data found</text>"
		"</Reason></Acknowledgement_MarketDocument>",
		"No matching data found");
	refused(feed_parse_entsoe, "{\"json\": true}", "not a Publication_MarketDocument");
	char trunc[sizeof entsoe_doc];
	memcpy(trunc, entsoe_doc, 600);
	trunc[600] = 0;
	refused(feed_parse_entsoe, trunc, "ENTSO-E");
	char bad[sizeof entsoe_doc + 16];
	snprintf(bad, sizeof bad, "%s", entsoe_doc);
	memcpy(strstr(bad, "PT60M"), "PT30M", 5);
	refused(feed_parse_entsoe, bad, "resolution PT30M");
	snprintf(bad, sizeof bad, "%s", entsoe_doc);
	memcpy(strstr(bad, "<position>24<"), "<position>99<", 13);
	refused(feed_parse_entsoe, bad, "position");
	snprintf(bad, sizeof bad, "%s", entsoe_doc);
	memcpy(strstr(bad, "120.50"), "12x.50", 6);
	refused(feed_parse_entsoe, bad, "price.amount");
}

static void t_tibber(void)
{
	char doc[8192];
	size_t n =
		(size_t)snprintf(doc, sizeof doc,
				 "{\"data\":{\"viewer\":{\"homes\":[{\"currentSubscription\":{\"priceInfo\":{"
				 "\"today\":[");
	for (int h = 0; h < 24; h++)
		n += (size_t)snprintf(doc + n, sizeof doc - n,
				      "%s{\"total\":%.4f,\"startsAt\":\"2026-06-21T%02d:00:00.000+02:00\"}",
				      h ? "," : "", 0.2 + h * 0.01, h);
	snprintf(doc + n, sizeof doc - n, "],\"tomorrow\":[]}}}]}}}");
	CHECK(feed_parse_tibber(doc, strlen(doc), NOW, &s, err, sizeof err) == 0);
	/* 10:20Z = 12:20+02: the slot of 12:00+02 first */
	CHECK(s.start_ms == H10 && s.slot_s == 3600 && s.n == 12);
	CHECK(NEAR(s.v[0], 0.32) && NEAR(s.v[11], 0.43));
	refused(feed_parse_tibber, "{\"errors\":[{\"message\":\"invalid token\"}]}", "invalid token");
	refused(feed_parse_tibber, "{\"data\":{\"viewer\":{\"homes\":[]}}}", "priceInfo");
	refused(feed_parse_tibber,
		"{\"data\":{\"viewer\":{\"homes\":[{\"currentSubscription\":{\"priceInfo\":{\"today\":"
		"[{\"total\":null,\"startsAt\":\"2026-06-21T12:00:00+02:00\"}]}}}]}}}",
		"total (number)");
	refused(feed_parse_tibber,
		"{\"data\":{\"viewer\":{\"homes\":[{\"currentSubscription\":{\"priceInfo\":{\"today\":"
		"[{\"total\":0.3,\"startsAt\":\"yesterday\"}]}}}]}}}",
		"startsAt");
}

static void t_generic(void)
{
	struct feed_generic g = { "result.prices", "t", "p", 0.001 };
	const char *ok = "{\"result\":{\"prices\":[{\"t\":1782036000,\"p\":110},{\"t\":1782036900,\"p\":111},"
			 "{\"t\":1782037800,\"p\":112},{\"t\":1782038700,\"p\":113}]}}";
	CHECK(feed_parse_generic(ok, strlen(ok), &g, NOW, &s, err, sizeof err) == 0);
	/* 15-minute slots; 10:15 is the one in progress at 10:20 */
	CHECK(s.start_ms == H10 + 900000 && s.slot_s == 900 && s.n == 3);
	CHECK(NEAR(s.v[0], 0.111) && NEAR(s.v[2], 0.113));
	struct feed_generic g2 = { "0.list", "start", "price", 1 };
	const char *iso = "[{\"list\":[{\"start\":\"2026-06-21T10:00:00Z\",\"price\":0.3},"
			  "{\"start\":\"2026-06-21T11:00:00Z\",\"price\":0.4}]}]";
	CHECK(feed_parse_generic(iso, strlen(iso), &g2, NOW, &s, err, sizeof err) == 0);
	CHECK(s.start_ms == H10 && s.slot_s == 3600 && s.n == 2 && NEAR(s.v[1], 0.4));
	s.n = 5;
	CHECK(feed_parse_generic("{\"result\":{}}", 13, &g, NOW, &s, err, sizeof err) == -1 && s.n == 5);
	CHECK_CONTAINS(err, "no array at \"result.prices\"");
	const char *nan_price = "{\"result\":{\"prices\":[{\"t\":1782036000,\"p\":\"NaN\"}]}}";
	CHECK(feed_parse_generic(nan_price, strlen(nan_price), &g, NOW, &s, err, sizeof err) == -1);
	CHECK_CONTAINS(err, "p: not a number");
	const char *order =
		"{\"result\":{\"prices\":[{\"t\":1782039600,\"p\":1},{\"t\":1782036000,\"p\":1}]}}";
	CHECK(feed_parse_generic(order, strlen(order), &g, NOW, &s, err, sizeof err) == -1);
}

static void t_forecast_solar(void)
{
	const char *ok = "{\"result\":{\"watts\":{\"2026-06-21 05:00:00\":0,\"2026-06-21 10:00:00\":1000,"
			 "\"2026-06-21 11:00:00\":2000,\"2026-06-21 20:00:00\":0},\"watt_hours\":{}},"
			 "\"message\":{\"code\":0,\"type\":\"success\"}}";
	CHECK(feed_parse_forecast_solar(ok, strlen(ok), NOW, &s, err, sizeof err) == 0);
	CHECK(s.start_ms == H10 + 900000 && s.slot_s == 900);
	CHECK(NEAR(s.v[0], 1375)); /* the middle of 10:15-10:30, between 1000 W and 2000 W */
	CHECK(NEAR(s.v[2], 1875));
	CHECK(s.n == 39 && s.v[38] > 0 && s.v[38] < 200); /* up to the last point, 20:00 */
	refused(feed_parse_forecast_solar,
		"{\"result\":null,\"message\":{\"code\":429,\"type\":\"error\",\"text\":\"Rate limit for API "
		"calls reached.\"}}",
		"Rate limit");
	refused(feed_parse_forecast_solar,
		"{\"result\":{\"watts\":{\"2026-06-21 10:00:00\":1000,\"2026-06-21 11:00:00\":\"x\"}}}",
		"a time and a number");
	refused(feed_parse_forecast_solar,
		"{\"result\":{\"watts\":{\"2026-06-21 10:00:00\":1000,\"2026-06-21 11:00:00\":-3}}}",
		"not a PV power");
	refused(feed_parse_forecast_solar,
		"{\"result\":{\"watts\":{\"2026-06-21 10:00:00\":1000,\"2026-06-21 11:00:00\":5e9}}}",
		"not a PV power");
	refused(feed_parse_forecast_solar,
		"{\"result\":{\"watts\":{\"2026-06-21 11:00:00\":1000,\"2026-06-21 10:00:00\":5}}}",
		"time order");
	refused(feed_parse_forecast_solar,
		"{\"result\":{\"watts\":{\"2026-06-20 10:00:00\":1000,\"2026-06-20 11:00:00\":5}}}", "stale");
}

static void t_solcast(void)
{
	const char *ok = "{\"forecasts\":[{\"pv_estimate\":1.5,\"pv_estimate10\":1.0,\"pv_estimate90\":2.0,"
			 "\"period_end\":\"2026-06-21T10:30:00.0000000Z\",\"period\":\"PT30M\"},"
			 "{\"pv_estimate\":2.0,\"period_end\":\"2026-06-21T11:00:00.0000000Z\",\"period\":"
			 "\"PT30M\"}]}";
	CHECK(feed_parse_solcast(ok, strlen(ok), NOW, &s, err, sizeof err) == 0);
	CHECK(s.start_ms == H10 + 900000 && s.slot_s == 900 && s.n == 3);
	CHECK(NEAR(s.v[0], 1500) && NEAR(s.v[1], 2000) && NEAR(s.v[2], 2000));
	refused(feed_parse_solcast,
		"{\"forecasts\":[{\"pv_estimate\":\"1\",\"period_end\":\"2026-06-21T10:30:00Z\","
		"\"period\":\"PT30M\"}]}",
		"pv_estimate (kW)");
	refused(feed_parse_solcast,
		"{\"forecasts\":[{\"pv_estimate\":1,\"period_end\":\"2026-06-21T10:30:00Z\",\"period\":"
		"\"P1D\"}]}",
		"period");
	refused(feed_parse_solcast,
		"{\"forecasts\":[{\"pv_estimate\":-1,\"period_end\":\"2026-06-21T10:30:00Z\",\"period\":"
		"\"PT30M\"}]}",
		"not a PV power");
	refused(feed_parse_solcast, "{\"response_status\":{\"message\":\"x\"}}", "no \"forecasts\"");
	refused(feed_parse_solcast, "{\"forecasts\":[", "not JSON");
}

int main(void)
{
	t_time();
	t_awattar();
	t_entsoe();
	t_tibber();
	t_generic();
	t_forecast_solar();
	t_solcast();
	return CHECK_DONE();
}
