/* fleetmsg.c: the fleet's messages as JSON text and back, checked field by
 * field (a hostile or garbled notification is refused whole), and the
 * lease decisions (fleetmsg.h). */
#include "fleetmsg.h"
#include "jsontext.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The wire names, indexed by type. */
static const char *const type_names[FLEETMSG_TYPES] = {
	[FLEETMSG_DROP] = "drop", [FLEETMSG_CALL] = "call",     [FLEETMSG_REPLY] = "reply",
	[FLEETMSG_REF] = "ref",   [FLEETMSG_DLMIN] = "dlmin",   [FLEETMSG_DLMOUT] = "dlmout",
	[FLEETMSG_API] = "api",   [FLEETMSG_RELOAD] = "reload",
};

int fleetmsg_node_ok(const char *s)
{
	size_t n = strlen(s);
	if (!n || n >= FLEETMSG_NODE_MAX)
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-") == n;
}

static int charger_ok(const char *s)
{
	size_t n = strlen(s);
	return n && n < FLEETMSG_ID_MAX && jtext_text_ok(s, n);
}

static int action_ok(const char *s)
{
	size_t n = strlen(s);
	return n && n < FLEETMSG_ACTION_MAX &&
		strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") == n;
}

char *fleetmsg_encode(const struct fleetmsg *m)
{
	if ((unsigned)m->type >= FLEETMSG_TYPES)
		return NULL;
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "t", type_names[m->type]);
	cJSON_AddStringToObject(o, "n", m->from);
	switch (m->type) {
	case FLEETMSG_DROP:
	case FLEETMSG_RELOAD: cJSON_AddStringToObject(o, "c", m->charger); break;
	case FLEETMSG_CALL:
	case FLEETMSG_API:
		if (m->type == FLEETMSG_CALL)
			cJSON_AddStringToObject(o, "c", m->charger);
		cJSON_AddStringToObject(o, "a", m->action);
		cJSON_AddNumberToObject(o, "id", (double)m->req);
		cJSON_AddItemToObject(o, "p",
				      m->payload ? cJSON_Duplicate(m->payload, 1) : cJSON_CreateObject());
		break;
	case FLEETMSG_REPLY:
		cJSON_AddNumberToObject(o, "id", (double)m->req);
		cJSON_AddNumberToObject(o, "s", m->status);
		cJSON_AddItemToObject(o, "b",
				      m->payload ? cJSON_Duplicate(m->payload, 1) : cJSON_CreateNull());
		break;
	case FLEETMSG_REF: cJSON_AddNumberToObject(o, "r", (double)m->ref); break;
	case FLEETMSG_DLMIN:
	case FLEETMSG_DLMOUT:
		cJSON_AddStringToObject(o, "c", m->charger);
		cJSON_AddItemToObject(o, "p",
				      m->payload ? cJSON_Duplicate(m->payload, 1) : cJSON_CreateObject());
		break;
	case FLEETMSG_TYPES: break;
	}
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* A whole number member in [lo, hi]: 0 with *out, or -1. */
static int whole(const cJSON *o, const char *k, double lo, double hi, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < lo || v->valuedouble > hi ||
	    floor(v->valuedouble) != v->valuedouble)
		return -1;
	*out = v->valuedouble;
	return 0;
}

/* A string member that fits len and passes ok: 0 copied, or -1. */
static int text(const cJSON *o, const char *k, char *dst, size_t len, int (*ok)(const char *))
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!cJSON_IsString(v) || strlen(v->valuestring) >= len || !ok(v->valuestring))
		return -1;
	snprintf(dst, len, "%s", v->valuestring);
	return 0;
}

#define REQ_MAX 999999999999999.0 /* 15 digits: cJSON prints numbers with %.15g */

int fleetmsg_decode(const char *buf, size_t len, struct fleetmsg *m, const char **why)
{
	enum jtext_err err;
	double num;
	memset(m, 0, sizeof *m);
	cJSON *o = jtext_parse(buf, len, &err);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "t");
	*why = "not a JSON object";
	if (!cJSON_IsObject(o))
		goto bad;
	*why = "unknown type";
	m->type = FLEETMSG_TYPES;
	for (int i = 0; i < FLEETMSG_TYPES && cJSON_IsString(t); i++)
		if (!strcmp(t->valuestring, type_names[i]))
			m->type = (enum fleetmsg_type)i;
	if (m->type == FLEETMSG_TYPES)
		goto bad;
	*why = "bad sender node";
	if (text(o, "n", m->from, sizeof m->from, fleetmsg_node_ok))
		goto bad;
	*why = "bad charger id";
	int dlm = m->type == FLEETMSG_DLMIN || m->type == FLEETMSG_DLMOUT;
	if ((m->type == FLEETMSG_DROP || m->type == FLEETMSG_RELOAD || m->type == FLEETMSG_CALL || dlm) &&
	    text(o, "c", m->charger, sizeof m->charger, charger_ok))
		goto bad;
	*why = "bad request id";
	int asks = m->type == FLEETMSG_CALL || m->type == FLEETMSG_API;
	if (asks || m->type == FLEETMSG_REPLY) {
		if (whole(o, "id", 1, REQ_MAX, &num))
			goto bad;
		m->req = (uint64_t)num;
	}
	if (asks || dlm) {
		*why = "bad action";
		if (!dlm && text(o, "a", m->action, sizeof m->action, action_ok))
			goto bad;
		*why = "the payload is not an object";
		cJSON *p = cJSON_DetachItemFromObjectCaseSensitive(o, "p");
		if (!cJSON_IsObject(p)) {
			cJSON_Delete(p);
			goto bad;
		}
		m->payload = p;
	}
	if (m->type == FLEETMSG_REPLY) {
		*why = "bad status";
		if (whole(o, "s", 100, 599, &num))
			goto bad;
		m->status = (int)num;
		*why = "the body is not an object or null";
		cJSON *b = cJSON_DetachItemFromObjectCaseSensitive(o, "b");
		if (!cJSON_IsObject(b) && !cJSON_IsNull(b)) {
			cJSON_Delete(b);
			goto bad;
		}
		if (cJSON_IsNull(b)) { /* an answer without a body (204), as encoded */
			cJSON_Delete(b);
			b = NULL;
		}
		m->payload = b;
	}
	*why = "bad reference";
	if (m->type == FLEETMSG_REF) {
		if (whole(o, "r", 1, REQ_MAX, &num))
			goto bad;
		m->ref = (int64_t)num;
	}
	cJSON_Delete(o);
	*why = NULL;
	return 0;
bad:
	cJSON_Delete(o);
	fleetmsg_free(m);
	return -1;
}

void fleetmsg_free(struct fleetmsg *m)
{
	cJSON_Delete(m->payload);
	m->payload = NULL;
}

/* A lease another node may still act on: it has not run out and its node runs. */
static int live_elsewhere(const char *me, const struct fleet_lease_view *l, int64_t now_ms)
{
	return l->found && strcmp(l->node, me) && l->until_ms > now_ms && l->node_alive;
}

enum fleet_take fleet_take_decide(const char *me, const struct fleet_lease_view *l, int64_t now_ms)
{
	if (l->found && !strcmp(l->node, me))
		return FLEET_TAKE_OURS;
	return live_elsewhere(me, l, now_ms) ? FLEET_TAKE_FROM_LIVE : FLEET_TAKE_FREE;
}

enum fleet_route fleet_route_decide(const char *me, const struct fleet_lease_view *l, int64_t now_ms)
{
	return live_elsewhere(me, l, now_ms) ? FLEET_ROUTE_FORWARD : FLEET_ROUTE_NOBODY;
}
