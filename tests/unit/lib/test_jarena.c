/* test_jarena.c: the frame arena (csms/lib/jarena.c): a tree parsed into it
 * is the same tree jtext_parse gives, its nodes are in the arena, deleting
 * it empties the arena for the next frame; a second tree while the arena
 * holds one, and the part of a tree that does not fit, go to the heap and
 * are freed normally; refused text leaves the arena empty; cJSON elsewhere
 * (create, print, free) keeps working with the hooks installed. */
#include "check.h"
#include "jarena.h"

#include <stdlib.h>

#define FRAME                                                                          \
	"[2,\"m1\",\"MeterValues\",{\"connectorId\":1,\"meterValue\":[{\"timestamp\":" \
	"\"2026-01-01T00:00:00Z\",\"sampledValue\":[{\"value\":\"12.5\",\"unit\":\"Wh\"}]}]}]"

static int same_tree(const char *text)
{
	enum jtext_err e1, e2;
	cJSON *a = jarena_parse(text, strlen(text), &e1);
	cJSON *b = jtext_parse(text, strlen(text), &e2); /* arena taken: heap */
	int same = a && b && e1 == JTEXT_OK && e2 == JTEXT_OK && cJSON_Compare(a, b, 1);
	CHECK(!jarena_owns(b));
	jarena_delete(b);
	jarena_delete(a);
	return same;
}

int main(void)
{
	enum jtext_err e;

	/* the tree is in the arena; deleting it empties the arena */
	cJSON *t = jarena_parse(FRAME, sizeof FRAME - 1, &e);
	CHECK(t && e == JTEXT_OK);
	CHECK(jarena_owns(t) && jarena_owns(t->child) && jarena_owns(cJSON_GetArrayItem(t, 2)->valuestring));
	CHECK(jarena_used() > 0);
	CHECK_STR(cJSON_GetArrayItem(t, 2)->valuestring, "MeterValues");
	const cJSON *sv = cJSON_GetArrayItem(
		cJSON_GetObjectItemCaseSensitive(
			cJSON_GetArrayItem(
				cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(t, 3), "meterValue"), 0),
			"sampledValue"),
		0);
	CHECK_STR(cJSON_GetObjectItemCaseSensitive(sv, "value")->valuestring, "12.5");

	/* a second tree while the arena holds one: on the heap, freed normally */
	cJSON *h = jarena_parse("{\"a\":[1,2,3]}", 13, &e);
	CHECK(h && !jarena_owns(h) && !jarena_owns(h->child));
	size_t used = jarena_used();
	jarena_delete(h);
	CHECK(jarena_used() == used); /* the first tree is untouched */
	CHECK_STR(cJSON_GetArrayItem(t, 1)->valuestring, "m1");
	jarena_delete(t);
	CHECK(jarena_used() == 0);

	/* the next frame reuses the same memory */
	cJSON *t2 = jarena_parse(FRAME, sizeof FRAME - 1, &e);
	CHECK(t2 == t);
	jarena_delete(t2);

	/* the same trees as jtext_parse, escapes and numbers included */
	CHECK(same_tree(FRAME));
	CHECK(same_tree(
		"[3,\"x\",{\"s\":\"\\u00e9\\n\\\"q\\\"\",\"n\":-1.5e3,\"b\":true,\"z\":null,\"o\":{}}]"));

	/* refused text: the same errors, the arena left empty */
	CHECK(!jarena_parse("[1,", 3, &e) && e == JTEXT_SYNTAX && jarena_used() == 0);
	CHECK(!jarena_parse("[1] x", 5, &e) && e == JTEXT_TRAILING && jarena_used() == 0);
	CHECK(!jarena_parse("[\"\\u0000\"]", 10, &e) && e == JTEXT_NUL && jarena_used() == 0);

	/* a tree bigger than the arena: what does not fit is on the heap */
	size_t n = 40000, len = 0;
	char *big = malloc(n * 12 + 16);
	big[len++] = '[';
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(big + len, "%s\"v%06zu\"", i ? "," : "", i);
	big[len++] = ']';
	unsigned long spills = jarena_spills();
	cJSON *b = jarena_parse(big, len, &e);
	CHECK(b && cJSON_GetArraySize(b) == (int)n);
	CHECK(jarena_spills() > spills);
	CHECK(jarena_owns(b) && !jarena_owns(cJSON_GetArrayItem(b, (int)n - 1)));
	CHECK_STR(cJSON_GetArrayItem(b, (int)n - 1)->valuestring, "v039999");
	jarena_delete(b);
	CHECK(jarena_used() == 0);
	free(big);

	/* cJSON outside a parse: the heap, printed and freed as before */
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "k", "v");
	CHECK(!jarena_owns(o));
	char *p = cJSON_PrintUnformatted(o);
	CHECK_STR(p, "{\"k\":\"v\"}");
	cJSON_free(p);
	cJSON_Delete(o);
	return CHECK_DONE();
}
