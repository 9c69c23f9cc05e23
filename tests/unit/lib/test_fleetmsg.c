/* test_fleetmsg.c: the fleet's bus messages: each type survives encoding
 * and decoding; hostile or garbled text is refused whole, with nothing
 * half-filled; the two lease decisions. */
#include "fleetmsg.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>

static int decodes(const char *text)
{
	struct fleetmsg m;
	const char *why;
	int rc = fleetmsg_decode(text, strlen(text), &m, &why);
	if (rc)
		CHECK(why && !m.payload);
	fleetmsg_free(&m);
	return rc == 0;
}

static void round_trips(void)
{
	struct fleetmsg m = { .type = FLEETMSG_CALL, .req = 42 }, back;
	const char *why;
	snprintf(m.from, sizeof m.from, "node-1.example:8181");
	snprintf(m.charger, sizeof m.charger, "CP é/1");
	snprintf(m.action, sizeof m.action, "Reset");
	m.payload = cJSON_Parse("{\"type\":\"Soft\"}");
	char *text = fleetmsg_encode(&m);
	CHECK(text && fleetmsg_decode(text, strlen(text), &back, &why) == 0);
	CHECK(back.type == FLEETMSG_CALL && back.req == 42);
	CHECK_STR(back.from, "node-1.example:8181");
	CHECK_STR(back.charger, "CP é/1");
	CHECK_STR(back.action, "Reset");
	CHECK(cJSON_Compare(back.payload, m.payload, 1));
	free(text);
	fleetmsg_free(&back);
	fleetmsg_free(&m);

	struct fleetmsg r = { .type = FLEETMSG_REPLY, .req = 999999999999999ull, .status = 504 };
	snprintf(r.from, sizeof r.from, "b");
	r.payload = cJSON_Parse("{\"error\":{\"code\":\"Timeout\"}}");
	text = fleetmsg_encode(&r);
	CHECK(text && fleetmsg_decode(text, strlen(text), &back, &why) == 0);
	CHECK(back.type == FLEETMSG_REPLY && back.status == 504 && back.req == 999999999999999ull);
	CHECK(cJSON_Compare(back.payload, r.payload, 1));
	free(text);
	fleetmsg_free(&back);
	fleetmsg_free(&r);

	/* an API operation for the node that runs the station: no charger */
	struct fleetmsg a = { .type = FLEETMSG_API, .req = 7, .from = "n2", .action = "stationPut" };
	a.payload = cJSON_Parse("{\"mode\":\"tou\"}");
	text = fleetmsg_encode(&a);
	CHECK(text && fleetmsg_decode(text, strlen(text), &back, &why) == 0);
	CHECK(back.type == FLEETMSG_API && back.req == 7 && !back.charger[0]);
	CHECK_STR(back.action, "stationPut");
	CHECK(cJSON_Compare(back.payload, a.payload, 1));
	free(text);
	fleetmsg_free(&back);
	fleetmsg_free(&a);
	CHECK(!decodes("{\"t\":\"api\",\"n\":\"a\",\"id\":3,\"p\":{}}"));             /* no operation */
	CHECK(!decodes("{\"t\":\"api\",\"n\":\"a\",\"a\":\"stationGet\",\"p\":{}}")); /* no request id */
	CHECK(!decodes(
		"{\"t\":\"api\",\"n\":\"a\",\"a\":\"station/get\",\"id\":3,\"p\":{}}")); /* not a name */
	CHECK(!decodes("{\"t\":\"api\",\"n\":\"a\",\"a\":\"stationGet\",\"id\":3,\"p\":[]}")); /* no object */
	CHECK(decodes("{\"t\":\"api\",\"n\":\"a\",\"a\":\"stationGet\",\"id\":3,\"p\":{}}"));

	/* an answer without a body (a 204): encoded as null, read back as none */
	struct fleetmsg nb = { .type = FLEETMSG_REPLY, .from = "n1", .req = 4, .status = 204 };
	text = fleetmsg_encode(&nb);
	CHECK(text && fleetmsg_decode(text, strlen(text), &back, &why) == 0);
	CHECK(back.status == 204 && back.payload == NULL && back.req == 4);
	free(text);
	fleetmsg_free(&back);

	CHECK(decodes("{\"t\":\"drop\",\"n\":\"a\",\"c\":\"CP1\"}"));
	CHECK(decodes("{\"t\":\"reload\",\"n\":\"a\",\"c\":\"CP1\"}"));
	CHECK(!decodes("{\"t\":\"reload\",\"n\":\"a\"}")); /* whose settings? */
	CHECK(decodes("{\"t\":\"ref\",\"n\":\"a\",\"r\":7}"));

	/* the control loop's messages: a charger and an object of values */
	static const enum fleetmsg_type dlm[] = { FLEETMSG_DLMIN, FLEETMSG_DLMOUT };
	for (size_t i = 0; i < 2; i++) {
		struct fleetmsg d = { .type = dlm[i],
				      .from = "n1",
				      .charger = "CP9",
				      .payload = cJSON_Parse("{\"l\":9.5,\"d\":[1,2,3]}") };
		text = fleetmsg_encode(&d);
		CHECK(text && fleetmsg_decode(text, strlen(text), &back, &why) == 0);
		CHECK(back.type == dlm[i]);
		CHECK_STR(back.charger, "CP9");
		CHECK(cJSON_Compare(back.payload, d.payload, 1));
		free(text);
		fleetmsg_free(&back);
		fleetmsg_free(&d);
	}
}

static void refuses(void)
{
	static const char *const bad[] = {
		"",
		"[]",
		"null",
		"{\"t\":\"drop\"}",
		"{\"t\":\"nope\",\"n\":\"a\"}",
		"{\"t\":\"drop\",\"n\":\"a b\",\"c\":\"CP1\"}",      /* node charset */
		"{\"t\":\"drop\",\"n\":\"\",\"c\":\"CP1\"}",         /* empty node */
		"{\"t\":\"drop\",\"n\":\"a\",\"c\":\"\"}",           /* empty charger */
		"{\"t\":\"drop\",\"n\":\"a\",\"c\":\"CP\\u0001\"}",  /* control character */
		"{\"t\":\"drop\",\"n\":\"a\",\"c\":\"CP\\u0000x\"}", /* NUL */
		"{\"t\":\"drop\",\"n\":\"a\",\"c\":\"0123456789012345678901234567890123456789012345678\"}", /* 49 */
		"{\"t\":\"call\",\"n\":\"a\",\"c\":\"C\",\"a\":\"Reset\",\"id\":1,\"p\":[]}",  /* payload */
		"{\"t\":\"call\",\"n\":\"a\",\"c\":\"C\",\"a\":\"Re set\",\"id\":1,\"p\":{}}", /* action */
		"{\"t\":\"call\",\"n\":\"a\",\"c\":\"C\",\"a\":\"Reset\",\"id\":0,\"p\":{}}",  /* id 0 */
		"{\"t\":\"call\",\"n\":\"a\",\"c\":\"C\",\"a\":\"Reset\",\"id\":1.5,\"p\":{}}", /* id not whole */
		"{\"t\":\"call\",\"n\":\"a\",\"c\":\"C\",\"a\":\"Reset\",\"id\":1e300,\"p\":{}}",
		"{\"t\":\"reply\",\"n\":\"a\",\"id\":1,\"s\":99,\"b\":{}}",     /* status */
		"{\"t\":\"reply\",\"n\":\"a\",\"id\":1,\"s\":200,\"b\":\"x\"}", /* body */
		"{\"t\":\"reply\",\"n\":\"a\",\"id\":1,\"s\":200}",
		"{\"t\":\"ref\",\"n\":\"a\",\"r\":-1}",
		"{\"t\":\"ref\",\"n\":\"a\",\"r\":1000000000000000}", /* past what prints exactly */
		"{\"t\":\"drop\",\"n\":\"a\",\"c\":\"CP1\"} trailing",
		"{\"t\":\"drop\",\"n\":\"a\",\"c\":\"\xc3\"}",         /* not UTF-8 */
		"{\"t\":\"dlmin\",\"n\":\"a\",\"c\":\"C\"}",           /* no values */
		"{\"t\":\"dlmout\",\"n\":\"a\",\"c\":\"C\",\"p\":[]}", /* values not an object */
		"{\"t\":\"dlmin\",\"n\":\"a\",\"p\":{}}",              /* no charger */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (decodes(bad[i])) {
			CHECK(!"a bad message was taken");
			fprintf(stderr, "  %s\n", bad[i]);
		}
	CHECK(!fleetmsg_node_ok("") && !fleetmsg_node_ok("x y") && fleetmsg_node_ok("host-1.lan:8181"));
}

static void decisions(void)
{
	struct fleet_lease_view none = { 0 }, mine = { 1, "a", 5000, 1 }, live = { 1, "b", 5000, 1 },
				out = { 1, "b", 999, 1 }, dead = { 1, "b", 5000, 0 };
	CHECK(fleet_take_decide("a", &none, 1000) == FLEET_TAKE_FREE);
	CHECK(fleet_take_decide("a", &mine, 1000) == FLEET_TAKE_OURS);
	CHECK(fleet_take_decide("a", &live, 1000) == FLEET_TAKE_FROM_LIVE);
	CHECK(fleet_take_decide("a", &out, 1000) == FLEET_TAKE_FREE);  /* ran out */
	CHECK(fleet_take_decide("a", &dead, 1000) == FLEET_TAKE_FREE); /* its node is gone */
	CHECK(fleet_route_decide("a", &none, 1000) == FLEET_ROUTE_NOBODY);
	CHECK(fleet_route_decide("a", &mine, 1000) == FLEET_ROUTE_NOBODY);
	CHECK(fleet_route_decide("a", &live, 1000) == FLEET_ROUTE_FORWARD);
	CHECK(fleet_route_decide("a", &out, 1000) == FLEET_ROUTE_NOBODY);
	CHECK(fleet_route_decide("a", &dead, 1000) == FLEET_ROUTE_NOBODY);
}

int main(void)
{
	round_trips();
	refuses();
	decisions();
	return CHECK_DONE();
}
