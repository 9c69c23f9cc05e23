/* fuzz_schema.c: any text parsed with cJSON and, when it parses, validated
 * against every embedded schema (request and response of every action).
 * schema_validate must never crash and always NUL-terminate its reason. */
#include "schema.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		if (schema_init())
			abort();
		ready = 1;
	}
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	cJSON *j = cJSON_ParseWithLength(text, size);
	free(text);
	if (!j)
		return 0;
	for (size_t i = 0; i < schema_count(); i++) {
		const char *action = schema_action(i);
		for (int resp = 0; resp < 2; resp++) {
			const schema *s = schema_get(action, resp);
			if (!s)
				continue;
			char why[128];
			memset(why, 'x', sizeof why);
			schema_result r = schema_validate(s, j, why, sizeof why);
			if (strnlen(why, sizeof why) == sizeof why || (r == SCHEMA_OK) != (why[0] == 0))
				abort(); /* the contract of schema.h */
			/* a short buffer must truncate, not overflow */
			char tiny[3];
			schema_validate(s, j, tiny, sizeof tiny);
			if (strnlen(tiny, sizeof tiny) == sizeof tiny)
				abort();
			/* members are validated on their own too (nested objects) */
			const cJSON *m;
			cJSON_ArrayForEach(m, j) if (cJSON_IsObject(m))
				schema_validate(s, m, why, sizeof why);
		}
	}
	cJSON_Delete(j);
	return 0;
}
