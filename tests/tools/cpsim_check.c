/* cpsim_check.c: the shape a central system's CALLRESULT must have, per
 * Charge-Point-initiated action (OCPP 1.6 and its security extension). One
 * table row per action; a simulator that accepts any answer tests nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cpsim.h"

enum ftype { F_STR, F_INT, F_TIME, F_ENUM, F_IDTAGINFO };

struct field {
	const char *name;
	enum ftype type;
	int required;
	const char *const *values; /* F_ENUM: NULL-terminated */
	int maxlen;                /* F_STR: 0 = any */
};

#define MAXF 4
struct shape {
	const char *action;
	struct field f[MAXF]; /* unused rows have name NULL */
	int closed;           /* no other properties allowed */
};

static const char *const auth_st[] = { "Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx", NULL };
static const char *const boot_st[] = { "Accepted", "Pending", "Rejected", NULL };
static const char *const dt_st[] = { "Accepted", "Rejected", "UnknownMessageId", "UnknownVendorId", NULL };
static const char *const acc_rej[] = { "Accepted", "Rejected", NULL };

static const struct shape shapes[] = {
	{ "Authorize", { { "idTagInfo", F_IDTAGINFO, 1, NULL, 0 } }, 1 },
	{ "BootNotification",
	  { { "status", F_ENUM, 1, boot_st, 0 },
	    { "currentTime", F_TIME, 1, NULL, 0 },
	    { "interval", F_INT, 1, NULL, 0 } },
	  1 },
	{ "DataTransfer", { { "status", F_ENUM, 1, dt_st, 0 }, { "data", F_STR, 0, NULL, 0 } }, 1 },
	{ "DiagnosticsStatusNotification", { { NULL, 0, 0, NULL, 0 } }, 1 },
	{ "FirmwareStatusNotification", { { NULL, 0, 0, NULL, 0 } }, 1 },
	{ "Heartbeat", { { "currentTime", F_TIME, 1, NULL, 0 } }, 1 },
	{ "MeterValues", { { NULL, 0, 0, NULL, 0 } }, 1 },
	{ "StartTransaction",
	  { { "idTagInfo", F_IDTAGINFO, 1, NULL, 0 }, { "transactionId", F_INT, 1, NULL, 0 } },
	  1 },
	{ "StatusNotification", { { NULL, 0, 0, NULL, 0 } }, 1 },
	{ "StopTransaction", { { "idTagInfo", F_IDTAGINFO, 0, NULL, 0 } }, 1 },
	/* security extension */
	{ "SecurityEventNotification", { { NULL, 0, 0, NULL, 0 } }, 1 },
	{ "SignCertificate", { { "status", F_ENUM, 1, acc_rej, 0 } }, 1 },
	{ "SignedFirmwareStatusNotification", { { NULL, 0, 0, NULL, 0 } }, 1 },
	{ "LogStatusNotification", { { NULL, 0, 0, NULL, 0 } }, 1 },
};

/* Loose ISO 8601 check: YYYY-MM-DDTHH:MM:SS, then anything (fraction, zone). */
static int is_time(const char *s)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:dd";

	if (strlen(s) < sizeof(pat) - 1)
		return 0;
	for (size_t i = 0; i < sizeof(pat) - 1; i++)
		if (pat[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pat[i])
			return 0;
	return 1;
}

static int in_enum(const char *s, const char *const *v)
{
	for (; *v; v++)
		if (!strcmp(s, *v))
			return 1;
	return 0;
}

static int check_idtaginfo(const cJSON *o, char *err, size_t errlen)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "status");
	const cJSON *ex = cJSON_GetObjectItemCaseSensitive(o, "expiryDate");
	const cJSON *pa = cJSON_GetObjectItemCaseSensitive(o, "parentIdTag");
	const cJSON *it;

	if (!cJSON_IsObject(o)) {
		snprintf(err, errlen, "idTagInfo is not an object");
		return -EINVAL;
	}
	if (!cJSON_IsString(st) || !in_enum(st->valuestring, auth_st)) {
		snprintf(err, errlen, "idTagInfo.status missing or not an AuthorizationStatus");
		return -EINVAL;
	}
	if (ex && (!cJSON_IsString(ex) || !is_time(ex->valuestring))) {
		snprintf(err, errlen, "idTagInfo.expiryDate is not a date-time");
		return -EINVAL;
	}
	if (pa && (!cJSON_IsString(pa) || strlen(pa->valuestring) > 20)) {
		snprintf(err, errlen, "idTagInfo.parentIdTag is not a string of <= 20");
		return -EINVAL;
	}
	cJSON_ArrayForEach(it, o) if (strcmp(it->string, "status") && strcmp(it->string, "expiryDate") &&
				      strcmp(it->string, "parentIdTag"))
	{
		snprintf(err, errlen, "idTagInfo has unknown property \"%.40s\"", it->string);
		return -EINVAL;
	}
	return 0;
}

static int check_field(const struct field *f, const cJSON *v, char *err, size_t errlen)
{
	switch (f->type) {
	case F_STR:
		if (cJSON_IsString(v) && (!f->maxlen || (int)strlen(v->valuestring) <= f->maxlen))
			return 0;
		snprintf(err, errlen, "%s is not a string", f->name);
		return -EINVAL;
	case F_INT:
		if (cJSON_IsNumber(v) && v->valuedouble == (double)(long long)v->valuedouble)
			return 0;
		snprintf(err, errlen, "%s is not an integer", f->name);
		return -EINVAL;
	case F_TIME:
		if (cJSON_IsString(v) && is_time(v->valuestring))
			return 0;
		snprintf(err, errlen, "%s is not a date-time", f->name);
		return -EINVAL;
	case F_ENUM:
		if (cJSON_IsString(v) && in_enum(v->valuestring, f->values))
			return 0;
		snprintf(err, errlen, "%s is not one of its allowed values", f->name);
		return -EINVAL;
	case F_IDTAGINFO: return check_idtaginfo(v, err, errlen);
	}
	return -EINVAL;
}

int cpsim_check_result(const char *action, const cJSON *payload, char *err, size_t errlen)
{
	const struct shape *s = NULL;
	const cJSON *it;

	if (!cJSON_IsObject(payload)) {
		snprintf(err, errlen, "payload is not an object");
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		if (!strcmp(shapes[i].action, action))
			s = &shapes[i];
	if (!s)
		return 0;
	for (int i = 0; i < MAXF && s->f[i].name; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(payload, s->f[i].name);

		if (!v) {
			if (s->f[i].required) {
				snprintf(err, errlen, "%s missing", s->f[i].name);
				return -EINVAL;
			}
			continue;
		}
		if (check_field(&s->f[i], v, err, errlen))
			return -EINVAL;
	}
	if (s->closed)
		cJSON_ArrayForEach(it, payload)
		{
			int known = 0;

			for (int i = 0; i < MAXF && s->f[i].name; i++)
				known |= !strcmp(it->string, s->f[i].name);
			if (!known) {
				snprintf(err, errlen, "unknown property \"%.40s\"", it->string);
				return -EINVAL;
			}
		}
	return 0;
}
