/* mqtt_ha.c: the topics, the entity table and Home Assistant's MQTT
 * discovery payloads (https://www.home-assistant.io/integrations/mqtt/,
 * per component sensor.mqtt, binary_sensor.mqtt, select.mqtt, number.mqtt,
 * switch.mqtt), and command parsing. Pure: the link (mqtt_link.c) gives it
 * the API's JSON and publishes what it returns. */
#include "mqtt_ha.h"
#include "charger.h"
#include "fnv.h"
#include "jsontext.h"
#include "station.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S MQTT_HA_STATION
#define C MQTT_HA_CHARGER
#define N MQTT_HA_CONNECTOR

/* Every entity, one row each. Device classes, units and state classes as
 * Home Assistant's sensor documentation pairs them (power: W, energy: Wh
 * with total_increasing, current: A, battery: %). */
const struct mqtt_ha_entity mqtt_ha_entities[] = {
	{ S, "pv_power", "sensor", "PV power", "power", "W", "measurement", "pvW", -1, 0, 0, 0, 0, 0, 0 },
	{ S, "load_power", "sensor", "House load", "power", "W", "measurement", "loadW", -1, 0, 0, 0, 0, 0,
	  0 },
	{ S, "grid_power", "sensor", "Grid power (import positive)", "power", "W", "measurement", "gridW", -1,
	  0, 0, 0, 0, 0, 0 },
	{ S, "battery_power", "sensor", "Battery power (charging positive)", "power", "W", "measurement",
	  "batteryW", -1, 0, 0, 0, 0, 0, 0 },
	{ S, "battery_soc", "sensor", "Battery SOC", "battery", "%", "measurement", "socPct", -1, 1, 0, 0, 0,
	  0, 0 },
	{ S, "ev_power", "sensor", "EV charging power", "power", "W", "measurement", "evW", -1, 0, 0, 0, 0, 0,
	  0 },
	{ S, "grid_current_l1", "sensor", "Grid current L1", "current", "A", "measurement", "gridA", 0, 2, 0,
	  0, 0, 0, 0 },
	{ S, "grid_current_l2", "sensor", "Grid current L2", "current", "A", "measurement", "gridA", 1, 2, 0,
	  0, 0, 0, 0 },
	{ S, "grid_current_l3", "sensor", "Grid current L3", "current", "A", "measurement", "gridA", 2, 2, 0,
	  0, 0, 0, 0 },
	{ S, "breaker", "sensor", "Breaker rating", "current", "A", NULL, "breakerA", -1, 1, 0, 0, 0, 0, 0 },
	{ S, "available_current_l1", "sensor", "Available current L1", "current", "A", "measurement",
	  "headroomA", 0, 2, 0, 0, 0, 0, 0 },
	{ S, "available_current_l2", "sensor", "Available current L2", "current", "A", "measurement",
	  "headroomA", 1, 2, 0, 0, 0, 0, 0 },
	{ S, "available_current_l3", "sensor", "Available current L3", "current", "A", "measurement",
	  "headroomA", 2, 2, 0, 0, 0, 0, 0 },
	{ S, "on_grid", "binary_sensor", "On grid", "power", NULL, NULL, "onGrid", -1, 0, 0, 0, 0, 0, 0 },
	{ S, "mode", "select", "Working mode", NULL, NULL, NULL, "mode", -1, 0, MQTT_HA_CMD_STATION_MODE,
	  MQTT_HA_OPT_STATION_MODES, 0, 0, 0 },
	{ C, "connected", "binary_sensor", "Connected", "connectivity", NULL, NULL, "connected", -1, 0, 0, 0,
	  0, 0, 0 },
	{ C, "power", "sensor", "Power", "power", "W", "measurement", "powerW", -1, 0, 0, 0, 0, 0, 0 },
	{ C, "current", "sensor", "Current", "current", "A", "measurement", "currentA", -1, 1, 0, 0, 0, 0,
	  0 },
	{ C, "energy", "sensor", "Energy", "energy", "Wh", "total_increasing", "energyWh", -1, 0, 0, 0, 0, 0,
	  0 },
	{ C, "limit", "sensor", "Current limit sent", "current", "A", "measurement", "limitA", -1, 1, 0, 0, 0,
	  0, 0 },
	{ C, "transaction_id", "sensor", "Transaction", NULL, NULL, NULL, "transactionId", -1, 0, 0, 0, 0, 0,
	  0 },
	{ C, "transaction_energy", "sensor", "Session energy", "energy", "Wh", "total_increasing",
	  "transactionWh", -1, 0, 0, 0, 0, 0, 0 },
	{ C, "charging_mode", "select", "Charging mode", NULL, NULL, NULL, "chargingMode", -1, 0,
	  MQTT_HA_CMD_CHARGER_MODE, MQTT_HA_OPT_EV_MODES, 0, 0, 0 },
	/* the API's range: 0 = no cap of its own (the default maximum applies),
	 * else CHARGER_MAX_CURRENT_MIN_A up (a value below it the API refuses,
	 * answered on <prefix>/error: Home Assistant's number has one range) */
	{ C, "max_current", "number", "Maximum current", "current", "A", NULL, "maxCurrentA", -1, 1,
	  MQTT_HA_CMD_MAX_CURRENT, 0, 0, CHARGER_MAX_CURRENT_MAX_A, 1 },
	{ C, "charging", "switch", "Charging", NULL, NULL, NULL, "charging", -1, 0, MQTT_HA_CMD_CHARGING, 0,
	  0, 0, 0 },
	{ N, "status", "sensor", "Status", "enum", NULL, NULL, "status", -1, 0, 0, MQTT_HA_OPT_STATUS, 0, 0,
	  0 },
};
const size_t mqtt_ha_entity_count = sizeof mqtt_ha_entities / sizeof mqtt_ha_entities[0];
#undef S
#undef C
#undef N

/* ChargePointStatus (OCPP 1.6 section 7.7), the enum sensor's options. */
static const char *const cp_statuses[] = { "Available",     "Preparing",   "Charging",
					   "SuspendedEVSE", "SuspendedEV", "Finishing",
					   "Reserved",      "Unavailable", "Faulted" };

/* ---- topics ---- */

int mqtt_ha_check_prefix(const char *p, int allow_empty, char *err, size_t errlen)
{
	size_t n = strlen(p);
	const char *why = NULL;
	if (!n && allow_empty)
		return 0;
	if (!n)
		why = "must not be empty";
	else if (n > MQTT_HA_PREFIX_MAX)
		why = "longer than 64 bytes";
	else if (!jtext_text_ok(p, n))
		why = "not UTF-8 text (a control character?)";
	else if (strpbrk(p, "+#"))
		why = "holds a wildcard ('+' or '#')";
	else if (p[0] == '$')
		why = "starts with '$' (topics of the broker itself)";
	else if (p[0] == '/' || p[n - 1] == '/' || strstr(p, "//"))
		why = "has an empty level (a leading, trailing or double '/')";
	if (!why)
		return 0;
	snprintf(err, errlen, "'%.64s' %s", p, why);
	return -1;
}

static int unreserved(unsigned char c)
{
	return isalnum(c) || c == '.' || c == '_' || c == '~' || c == '-';
}

int mqtt_ha_id_encode(const char *id, char *out, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
		if (n + 4 > len)
			return -1;
		if (unreserved(*p)) {
			out[n++] = (char)*p;
		} else {
			out[n++] = '%';
			out[n++] = hex[*p >> 4];
			out[n++] = hex[*p & 15];
		}
	}
	if (n >= len)
		return -1;
	out[n] = 0;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1; /* encode writes upper case only: one spelling per id */
}

int mqtt_ha_id_decode(const char *level, char *out, size_t len)
{
	size_t n = 0;
	for (const char *p = level; *p; p++) {
		int c = (unsigned char)*p;
		if (*p == '%') {
			int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
			if (lo < 0)
				return -1;
			c = hi * 16 + lo;
			if (unreserved((unsigned char)c))
				return -1; /* encode never escapes these */
			p += 2;
		} else if (!unreserved((unsigned char)c)) {
			return -1;
		}
		if (n + 1 >= len || n >= 48)
			return -1;
		out[n++] = (char)c;
	}
	out[n] = 0;
	return n && jtext_text_ok(out, n) ? 0 : -1;
}

void mqtt_ha_slug(const char *text, char *out, size_t len)
{
	size_t n = 0;
	int changed = 0;
	if (!len)
		return;
	for (const unsigned char *p = (const unsigned char *)text; *p && n + 10 < len; p++) {
		int ok = isalnum(*p) || *p == '_' || *p == '-';
		out[n++] = ok ? (char)*p : '_';
		changed |= !ok;
	}
	if (changed || !n)
		n += (size_t)snprintf(out + n, len - n, "_%08x", (unsigned)fnv1a(text));
	out[n < len ? n : len - 1] = 0;
}

int mqtt_ha_state_topic(const char *prefix, const struct mqtt_ha_entity *e, const char *charger,
			int connector, char *out, size_t len)
{
	char id[3 * 48 + 1];
	int n;
	if (e->scope == MQTT_HA_STATION)
		n = snprintf(out, len, "%s/station/%s", prefix, e->key);
	else if (!charger || mqtt_ha_id_encode(charger, id, sizeof id))
		return -1;
	else if (e->scope == MQTT_HA_CHARGER)
		n = snprintf(out, len, "%s/charger/%s/%s", prefix, id, e->key);
	else
		n = snprintf(out, len, "%s/charger/%s/connector/%d/%s", prefix, id, connector, e->key);
	return n > 0 && (size_t)n < len ? 0 : -1;
}

/* ---- views ---- */

static const cJSON *member(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

/* A copy of o[k] when it is of a kind a value may be, else null. */
static cJSON *copy_or_null(const cJSON *o, const char *k)
{
	const cJSON *v = member(o, k);
	if (cJSON_IsNumber(v) || cJSON_IsString(v) || cJSON_IsBool(v) || cJSON_IsArray(v))
		return cJSON_Duplicate(v, 1);
	return cJSON_CreateNull();
}

cJSON *mqtt_ha_station_view(const cJSON *station, const cJSON *dlm)
{
	static const struct {
		const char *view, *live;
	} flows[] = { { "pvW", "pvW" },       { "loadW", "loadW" },   { "gridW", "gridW" },
		      { "batteryW", "batW" }, { "socPct", "socPct" }, { "evW", "evW" },
		      { "onGrid", "onGrid" } };
	cJSON *v = cJSON_CreateObject();
	if (!v)
		return NULL;
	const cJSON *live = member(station, "live");
	cJSON_AddItemToObject(v, "mode", copy_or_null(station, "mode"));
	for (size_t i = 0; i < sizeof flows / sizeof flows[0]; i++)
		cJSON_AddItemToObject(v, flows[i].view, copy_or_null(live, flows[i].live));
	cJSON_AddItemToObject(v, "gridA", copy_or_null(member(dlm, "grid"), "current"));
	cJSON_AddItemToObject(v, "breakerA", copy_or_null(dlm, "breakerA"));
	cJSON_AddItemToObject(v, "headroomA", copy_or_null(dlm, "headroomA"));
	return v;
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = member(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* Adds k = x, or null when x is NAN. */
static void add_num(cJSON *o, const char *k, double x)
{
	if (isnan(x))
		cJSON_AddNullToObject(o, k);
	else
		cJSON_AddNumberToObject(o, k, x);
}

cJSON *mqtt_ha_charger_view(const cJSON *charger, const cJSON *dlm, const cJSON *active)
{
	const char *id = cJSON_GetStringValue(member(charger, "id"));
	cJSON *v = cJSON_CreateObject();
	const cJSON *x;
	if (!v || !id)
		return v;
	x = member(charger, "connected");
	cJSON_AddBoolToObject(v, "connected", cJSON_IsTrue(x));
	/* the connectors' measurements: power and energy add up, the current
	 * is the largest phase of any connector */
	double power = NAN, energy = NAN, current = NAN;
	cJSON_ArrayForEach(x, member(charger, "live"))
	{
		double p = num(x, "powerW"), e = num(x, "energyWh");
		if (!isnan(p))
			power = isnan(power) ? p : power + p;
		if (!isnan(e))
			energy = isnan(energy) ? e : energy + e;
		const cJSON *a;
		cJSON_ArrayForEach(a, member(x, "currentA")) if (cJSON_IsNumber(a) &&
								 (isnan(current) || a->valuedouble > current))
			current = a->valuedouble;
	}
	add_num(v, "powerW", power);
	add_num(v, "currentA", current);
	add_num(v, "energyWh", energy);
	double limit = NAN;
	cJSON_ArrayForEach(x, member(dlm, "chargers"))
	{
		const char *cid = cJSON_GetStringValue(member(x, "id"));
		double l = num(x, "limitA");
		if (cid && !strcmp(cid, id) && !isnan(l))
			limit = isnan(limit) ? l : limit + l;
	}
	add_num(v, "limitA", limit);
	const cJSON *settings = member(charger, "settings");
	cJSON_AddItemToObject(v, "chargingMode", copy_or_null(settings, "chargingMode"));
	/* null (no cap of its own) is 0 on the number entity */
	double max = num(settings, "maxCurrentA");
	cJSON_AddNumberToObject(v, "maxCurrentA", isnan(max) ? 0 : max);
	const cJSON *tx = NULL;
	cJSON_ArrayForEach(x, active)
	{
		const char *cid = cJSON_GetStringValue(member(x, "charger"));
		if (cid && !strcmp(cid, id) && (!tx || num(x, "id") > num(tx, "id")))
			tx = x; /* the newest, when it runs on several connectors */
	}
	cJSON_AddBoolToObject(v, "charging", tx != NULL);
	add_num(v, "transactionId", tx ? num(tx, "id") : NAN);
	add_num(v, "transactionWh", tx ? num(tx, "energyWh") : NAN);
	cJSON *st = cJSON_AddObjectToObject(v, "status");
	cJSON_ArrayForEach(x, member(charger, "connectors"))
	{
		char n[16];
		double c = num(x, "connectorId");
		const char *s = cJSON_GetStringValue(member(x, "status"));
		if (isnan(c) || c < 1 || c > 1000 || !s)
			continue;
		snprintf(n, sizeof n, "%d", (int)c);
		cJSON_AddStringToObject(st, n, s);
	}
	return v;
}

int mqtt_ha_value(const struct mqtt_ha_entity *e, const cJSON *view, int connector, char *out, size_t len)
{
	const cJSON *v = member(view, e->field);
	if (e->scope == MQTT_HA_CONNECTOR) {
		char n[16];
		snprintf(n, sizeof n, "%d", connector);
		v = member(v, n);
	} else if (e->index >= 0) {
		v = cJSON_IsArray(v) ? cJSON_GetArrayItem(v, e->index) : NULL;
	}
	int n;
	if (!v)
		return -1;
	if (cJSON_IsNull(v))
		n = snprintf(out, len, "None");
	else if (cJSON_IsBool(v))
		n = snprintf(out, len, "%s", cJSON_IsTrue(v) ? "ON" : "OFF");
	else if (cJSON_IsString(v))
		n = snprintf(out, len, "%s", v->valuestring);
	else if (cJSON_IsNumber(v) && isfinite(v->valuedouble)) {
		double x = v->valuedouble;
		if (fabs(x) < 0.5 * pow(10, -e->decimals))
			x = 0; /* no "-0" */
		n = snprintf(out, len, "%.*f", e->decimals, x);
	} else
		return -1;
	return n >= 0 && (size_t)n < len ? 0 : -1;
}

/* ---- discovery ---- */

static void add_options(cJSON *o, enum mqtt_ha_options which)
{
	cJSON *a = cJSON_AddArrayToObject(o, "options");
	switch (which) {
	case MQTT_HA_OPT_STATION_MODES:
		for (int i = 0; i < STATION_MODE_COUNT; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(station_mode_name((station_mode)i)));
		break;
	case MQTT_HA_OPT_EV_MODES:
		for (int i = 0; i < STATION_EV_MODE_COUNT; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(station_ev_modes[i].charger));
		break;
	case MQTT_HA_OPT_STATUS:
		for (size_t i = 0; i < sizeof cp_statuses / sizeof cp_statuses[0]; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(cp_statuses[i]));
		break;
	case MQTT_HA_OPT_NONE: break;
	}
}

static void add_opt_str(cJSON *o, const char *k, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, k, v);
}

cJSON *mqtt_ha_discovery(const struct mqtt_ha_device *d, const struct mqtt_ha_entity *e, int connector,
			 char *topic, size_t topiclen)
{
	char node[160], object[96], uid[300], state[MQTT_HA_TOPIC_MAX], buf[MQTT_HA_TOPIC_MAX + 8], name[96];
	int n;
	/* node id: the prefix (two csmsd on one broker) and the device */
	snprintf(buf, sizeof buf, "%s_%s", d->prefix, d->charger ? d->charger : "station");
	mqtt_ha_slug(buf, node, sizeof node);
	if (e->scope == MQTT_HA_CONNECTOR) {
		snprintf(object, sizeof object, "connector_%d_%s", connector, e->key);
		snprintf(name, sizeof name, "Connector %d %s", connector, e->name);
	} else {
		snprintf(object, sizeof object, "%s", e->key);
		snprintf(name, sizeof name, "%s", e->name);
	}
	n = snprintf(topic, topiclen, "%s/%s/%s/%s/config", d->discovery_prefix, e->component, node, object);
	if (n < 0 || (size_t)n >= topiclen ||
	    mqtt_ha_state_topic(d->prefix, e, d->charger, connector, state, sizeof state))
		return NULL;
	snprintf(uid, sizeof uid, "%s_%s", node, object);
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddStringToObject(o, "unique_id", uid);
	/* the entity id Home Assistant gives it: object_id up to 2026.3,
	 * default_entity_id ("<component>.<object id>") from 2025.10 on, which
	 * deprecated object_id; each version drops the key it does not know */
	cJSON_AddStringToObject(o, "object_id", uid);
	snprintf(buf, sizeof buf, "%s.%s", e->component, uid);
	cJSON_AddStringToObject(o, "default_entity_id", buf);
	cJSON_AddStringToObject(o, "state_topic", state);
	snprintf(buf, sizeof buf, "%s/status", d->prefix);
	cJSON_AddStringToObject(o, "availability_topic", buf);
	cJSON_AddStringToObject(o, "payload_available", "online");
	cJSON_AddStringToObject(o, "payload_not_available", "offline");
	add_opt_str(o, "device_class", e->device_class);
	add_opt_str(o, "unit_of_measurement", e->unit);
	add_opt_str(o, "state_class", e->state_class);
	if (e->options)
		add_options(o, e->options);
	if (e->cmd) {
		snprintf(buf, sizeof buf, "%s/set", state);
		cJSON_AddStringToObject(o, "command_topic", buf);
	}
	if (!strcmp(e->component, "number")) {
		cJSON_AddNumberToObject(o, "min", e->min);
		cJSON_AddNumberToObject(o, "max", e->max);
		cJSON_AddNumberToObject(o, "step", e->step);
		cJSON_AddStringToObject(o, "mode", "box");
	}
	if (!strcmp(e->component, "switch") || !strcmp(e->component, "binary_sensor")) {
		cJSON_AddStringToObject(o, "payload_on", "ON");
		cJSON_AddStringToObject(o, "payload_off", "OFF");
	}
	cJSON *dev = cJSON_AddObjectToObject(o, "device");
	cJSON_AddItemToArray(cJSON_AddArrayToObject(dev, "identifiers"), cJSON_CreateString(node));
	cJSON_AddStringToObject(dev, "name", d->name);
	add_opt_str(dev, "manufacturer", d->manufacturer);
	add_opt_str(dev, "model", d->model);
	add_opt_str(dev, "sw_version", d->sw_version);
	if (d->charger) {
		snprintf(buf, sizeof buf, "%s_station", d->prefix);
		mqtt_ha_slug(buf, node, sizeof node);
		cJSON_AddStringToObject(dev, "via_device", node);
	}
	return o;
}

/* ---- commands ---- */

/* The entity whose state topic, relative to the scope, is rel. */
static const struct mqtt_ha_entity *entity_by_key(enum mqtt_ha_scope scope, const char *rel)
{
	for (size_t i = 0; i < mqtt_ha_entity_count; i++)
		if (mqtt_ha_entities[i].scope == scope && mqtt_ha_entities[i].cmd &&
		    !strcmp(mqtt_ha_entities[i].key, rel))
			return &mqtt_ha_entities[i];
	return NULL;
}

/* A number as a command payload: what strtod reads of all of it, finite. */
static int parse_number(const char *s, double *out)
{
	char *end;
	errno = 0;
	while (*s == ' ')
		s++;
	double x = strtod(s, &end);
	while (*end == ' ')
		end++;
	if (end == s || *end || errno || !isfinite(x))
		return -1;
	*out = x;
	return 0;
}

int mqtt_ha_parse_command(const char *prefix, const char *topic, const void *payload, size_t len,
			  struct mqtt_ha_command *c, char *err, size_t errlen)
{
	char rest[MQTT_HA_TOPIC_MAX], text[MQTT_HA_PAYLOAD_MAX + 1];
	size_t pl = strlen(prefix), tl = strlen(topic);
	memset(c, 0, sizeof *c);
	if (tl >= sizeof rest || strncmp(topic, prefix, pl) || topic[pl] != '/' || tl < pl + 5 ||
	    strcmp(topic + tl - 4, "/set")) {
		snprintf(err, errlen, "not a command topic");
		return -1;
	}
	/* rest: what lies between "<prefix>/" and "/set" */
	snprintf(rest, sizeof rest, "%.*s", (int)(tl - pl - 5), topic + pl + 1);
	if (len > MQTT_HA_PAYLOAD_MAX) {
		snprintf(err, errlen, "payload longer than %d bytes", MQTT_HA_PAYLOAD_MAX);
		return -1;
	}
	memcpy(text, payload, len);
	text[len] = 0;
	if (!jtext_text_ok(text, len)) {
		snprintf(err, errlen, "payload is not UTF-8 text (or holds a control character)");
		return -1;
	}
	const struct mqtt_ha_entity *e = NULL;
	if (!strcmp(rest, "station")) {
		c->cmd = MQTT_HA_CMD_STATION_JSON;
	} else if (!strncmp(rest, "station/", 8)) {
		e = entity_by_key(MQTT_HA_STATION, rest + 8);
	} else if (!strncmp(rest, "charger/", 8)) {
		char *id = rest + 8, *slash = strchr(id, '/');
		if (slash)
			*slash = 0;
		if (mqtt_ha_id_decode(id, c->charger, sizeof c->charger)) {
			snprintf(err, errlen, "the topic's charger id is not one csmsd publishes");
			return -1;
		}
		if (!slash)
			c->cmd = MQTT_HA_CMD_CHARGER_JSON;
		else
			e = entity_by_key(MQTT_HA_CHARGER, slash + 1);
	}
	if (e)
		c->cmd = e->cmd;
	if (!c->cmd) {
		snprintf(err, errlen, "no command on this topic");
		return -1;
	}
	double x;
	enum jtext_err je;
	switch (c->cmd) {
	case MQTT_HA_CMD_STATION_MODE:
	case MQTT_HA_CMD_CHARGER_MODE:
		c->body = cJSON_CreateObject();
		cJSON_AddStringToObject(c->body, c->cmd == MQTT_HA_CMD_STATION_MODE ? "mode" : "chargingMode",
					text);
		break;
	case MQTT_HA_CMD_MAX_CURRENT:
		if (parse_number(text, &x)) {
			snprintf(err, errlen, "payload is not a number");
			return -1;
		}
		c->body = cJSON_CreateObject();
		cJSON_AddNumberToObject(c->body, "maxCurrentA", x);
		break;
	case MQTT_HA_CMD_CHARGING:
		if (strcmp(text, "ON") && strcmp(text, "OFF")) {
			snprintf(err, errlen, "payload is not ON or OFF");
			return -1;
		}
		c->on = !strcmp(text, "ON");
		return 0;
	case MQTT_HA_CMD_STATION_JSON:
	case MQTT_HA_CMD_CHARGER_JSON:
		c->body = jtext_parse(text, len, &je);
		if (!c->body) {
			snprintf(err, errlen, "payload %s", jtext_strerror(je));
			return -1;
		}
		if (!cJSON_IsObject(c->body)) {
			cJSON_Delete(c->body);
			c->body = NULL;
			snprintf(err, errlen, "payload must be a JSON object");
			return -1;
		}
		break;
	case MQTT_HA_CMD_NONE: break;
	}
	if (!c->body) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}
