/* test_jsontext.c: the strict JSON text check (csms/jsontext.c): UTF-8 by
 * RFC 3629's table, NUL and control bytes that cJSON lets through, data
 * after the value, and the text check for names from a request target. */
#include "check.h"
#include "jsontext.h"

static enum jtext_err parse(const char *s, size_t n)
{
	enum jtext_err e = JTEXT_OK;
	cJSON *j = jtext_parse(s, n, &e);
	CHECK((j != NULL) == (e == JTEXT_OK));
	cJSON_Delete(j);
	return e;
}
#define P(lit) parse(lit, sizeof lit - 1)

int main(void)
{
	/* UTF-8 */
	CHECK(utf8_valid("", 0));
	CHECK(utf8_valid("abc", 3));
	CHECK(utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x94\x8c", 9)); /* é € 🔌 */
	CHECK(utf8_valid("\xf4\x8f\xbf\xbf", 4));                     /* U+10FFFF */
	CHECK(!utf8_valid("\xff", 1));
	CHECK(!utf8_valid("\x80", 1));     /* lone continuation */
	CHECK(!utf8_valid("\xc0\x80", 2)); /* overlong NUL */
	CHECK(!utf8_valid("\xc1\xbf", 2));
	CHECK(!utf8_valid("\xe0\x80\xaf", 3));     /* overlong '/' */
	CHECK(!utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
	CHECK(!utf8_valid("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
	CHECK(!utf8_valid("\xf0\x8f\xbf\xbf", 4)); /* overlong */
	CHECK(!utf8_valid("\xe2\x82", 2));         /* cut short */
	CHECK(!utf8_valid("\xc3\x28", 2));

	/* names from a request target */
	CHECK(jtext_text_ok("CP 1", 4));
	CHECK(jtext_text_ok("A%2FB", 5));
	CHECK(jtext_text_ok("K\xc3\xb6ln", 5));
	CHECK(!jtext_text_ok("a\x01", 2));
	CHECK(!jtext_text_ok("a\x7f", 2));
	CHECK(!jtext_text_ok("a\0b", 3));
	CHECK(!jtext_text_ok("a\xff", 2));

	/* JSON text */
	CHECK(P("{}") == JTEXT_OK);
	CHECK(P(" [2,\"a\",\"Heartbeat\",{}] \r\n\t") == JTEXT_OK);
	CHECK(P("{\"s\":\"caf\xc3\xa9 \\\" \\\\ \\n \\u00e9 \\ud83d\\udd0c\"}") == JTEXT_OK);
	CHECK(P("{\"s\":\"a\\\\u0000\"}") == JTEXT_OK); /* a backslash, then "u0000" */
	CHECK(P("{\"s\":\"a\\u0000b\"}") == JTEXT_NUL);
	CHECK(P("{\"s\\u0000\":1}") == JTEXT_NUL); /* in a key too */
	CHECK(P("{\"s\":\"a\0b\"}") == JTEXT_NUL); /* a raw NUL byte */
	CHECK(P("{\"s\":\"a\x01\"}") == JTEXT_CONTROL);
	CHECK(P("{\"s\":\"a\tb\"}") == JTEXT_CONTROL); /* JSON wants \t escaped */
	CHECK(P("[1,\x01 2]") == JTEXT_CONTROL);       /* cJSON skips it as space */
	CHECK(P("[1]\0") == JTEXT_CONTROL);
	CHECK(P("{\"s\":\"\xff\"}") == JTEXT_UTF8);
	CHECK(P("{\"s\":\"\xc0\xaf\"}") == JTEXT_UTF8);
	CHECK(P("{\"s\":\"\xed\xa0\x80\"}") == JTEXT_UTF8);
	CHECK(P("{}garbage") == JTEXT_TRAILING);
	CHECK(P("[2,\"a\",\"Heartbeat\",{}]garbage") == JTEXT_TRAILING);
	CHECK(P("[2,\"a\",\"Heartbeat\",{}][2,\"b\",\"Heartbeat\",{}]") == JTEXT_TRAILING);
	CHECK(P("{} {}") == JTEXT_TRAILING);
	CHECK(P("{\"a\":1") == JTEXT_SYNTAX);
	CHECK(P("") == JTEXT_SYNTAX);
	CHECK(P("\"\\") == JTEXT_SYNTAX); /* a trailing backslash */
	CHECK(P("{\"s\":\"\\u12\"}") == JTEXT_SYNTAX);
	/* only the given length counts: what follows in memory is not read */
	CHECK(parse("{}xyz", 2) == JTEXT_OK);
	CHECK(strstr(jtext_strerror(JTEXT_UTF8), "UTF-8") != NULL);
	return CHECK_DONE();
}
