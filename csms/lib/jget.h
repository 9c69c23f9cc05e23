/* jget.h: the few getters of an object's members that the handlers and
 * the meanings of answers use, once (cJSON's own return NULL or need two
 * steps; the payloads they read have passed their schema), and the one
 * putter of a time. */
#ifndef CSMS_JGET_H
#define CSMS_JGET_H

#include <cjson/cJSON.h>
#include <stdint.h>
#include "timeutil.h"

/* A string member, or NULL. */
static inline const char *jget_str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* An integer member, or dflt (cJSON's valueint: saturated, never UB). */
static inline int jget_int(const cJSON *o, const char *k, int dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valueint : dflt;
}

/* A number member into *out: 0, or -1 when absent or not a number. */
static inline int jget_num(const cJSON *o, const char *k, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!cJSON_IsNumber(v))
		return -1;
	*out = v->valuedouble;
	return 0;
}

/* A time as ISO 8601 UTC, or null when ms <= 0 (never). */
static inline void jput_time(cJSON *o, const char *k, int64_t ms)
{
	char buf[40];
	if (ms > 0)
		cJSON_AddStringToObject(o, k, time_format_iso(ms, buf, sizeof buf));
	else
		cJSON_AddNullToObject(o, k);
}

#endif
