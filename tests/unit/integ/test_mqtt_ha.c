/* test_mqtt_ha.c: the pure parts of MQTT (csms/integ/mqtt_ha.c, mqtt.c's
 * URL parser): a charger id survives the topic level both ways and never
 * puts a wildcard or '/' in a topic; slugs are Home Assistant ids and
 * distinct for distinct ids; the prefixes refused; the entity table is
 * consistent (unique keys, a command only where the component takes one,
 * units that fit the class); discovery payloads carry each component's
 * required keys and name the entity for old and new Home Assistant alike
 * (object_id, default_entity_id); the views and values; command parsing refuses what is not
 * a command and builds the body the API's PUT would get. */
#include "charger.h"
#include "check.h"
#include "mqtt.h"
#include "mqtt_ha.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static void test_ids(void)
{
	static const char *const ids[] = { "CP-1",     "a/b",     "x+y#z", "50%",
					   "wall box", "Ünïcode", "$SYS",  "a.b_c~d" };
	char enc[200], dec[64];
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		CHECK(mqtt_ha_id_encode(ids[i], enc, sizeof enc) == 0);
		CHECK(!strpbrk(enc, "/+# $"));
		CHECK(mqtt_ha_id_decode(enc, dec, sizeof dec) == 0);
		CHECK_STR(dec, ids[i]);
	}
	CHECK(mqtt_ha_id_encode("a/b", enc, sizeof enc) == 0);
	CHECK_STR(enc, "a%2Fb");
	/* one spelling per id: lower-case hex, escaped unreserved, raw specials refused */
	CHECK(mqtt_ha_id_decode("a%2fb", dec, sizeof dec) == -1);
	CHECK(mqtt_ha_id_decode("%41", dec, sizeof dec) == -1);
	CHECK(mqtt_ha_id_decode("a+b", dec, sizeof dec) == -1);
	CHECK(mqtt_ha_id_decode("", dec, sizeof dec) == -1);
	CHECK(mqtt_ha_id_decode("%0A", dec, sizeof dec) == -1); /* a control character */
	CHECK(mqtt_ha_id_decode("%FF", dec, sizeof dec) == -1); /* not UTF-8 */
	CHECK(mqtt_ha_id_decode("%2", dec, sizeof dec) == -1);
	char longid[60];
	memset(longid, 'a', 49);
	longid[49] = 0;
	CHECK(mqtt_ha_id_decode(longid, dec, sizeof dec) == -1); /* 49 > 48 */
	CHECK(mqtt_ha_id_encode("abcdef", enc, 4) == -1);

	char s1[80], s2[80];
	mqtt_ha_slug("csms_CP-1", s1, sizeof s1);
	CHECK_STR(s1, "csms_CP-1");
	mqtt_ha_slug("csms_a/b", s1, sizeof s1);
	mqtt_ha_slug("csms_a+b", s2, sizeof s2);
	CHECK(strncmp(s1, "csms_a_b_", 9) == 0 && strcmp(s1, s2) != 0);
	for (const char *p = s1; *p; p++)
		CHECK(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", *p) != NULL);
}

static void test_prefix(void)
{
	char err[200];
	CHECK(mqtt_ha_check_prefix("csms", 0, err, sizeof err) == 0);
	CHECK(mqtt_ha_check_prefix("home/ev/csms", 0, err, sizeof err) == 0);
	CHECK(mqtt_ha_check_prefix("", 1, err, sizeof err) == 0);
	static const char *const bad[] = {
		"",     "a/#",  "a/+/b",
		"/a",   "a/",   "a//b",
		"$SYS", "a\tb", "0123456789012345678901234567890123456789012345678901234567890123456789"
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(mqtt_ha_check_prefix(bad[i], 0, err, sizeof err) == -1);
}

static void test_url(void)
{
	struct mqtt_url u;
	char err[200];
	CHECK(mqtt_url_parse("mqtt://broker.lan", &u, err, sizeof err) == 0 && u.port == 1883 && !u.tls);
	CHECK_STR(u.host, "broker.lan");
	CHECK(mqtt_url_parse("mqtts://10.0.0.2:8884/", &u, err, sizeof err) == 0 && u.port == 8884 && u.tls);
	CHECK(mqtt_url_parse("mqtts://[::1]", &u, err, sizeof err) == 0 && u.port == 8883);
	CHECK_STR(u.host, "::1");
	static const char *const bad[] = { "http://h",         "mqtt://",        "mqtt://:1883",
					   "mqtt://h:0",       "mqtt://h:65536", "mqtt://h:x",
					   "mqtt://user:pw@h", "mqtt://h/topic", "mqtt://[::1" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK(mqtt_url_parse(bad[i], &u, err, sizeof err) == -1);
		CHECK(!strstr(err, "pw")); /* a password in a URL is never echoed */
	}
}

static const char *const sensor_units[][3] = {
	{ "power", "W", "measurement" }, { "energy", "Wh", "total_increasing" },
	{ "current", "A", NULL },        { "battery", "%", "measurement" },
	{ "enum", NULL, NULL },
};

static void test_table(void)
{
	for (size_t i = 0; i < mqtt_ha_entity_count; i++) {
		const struct mqtt_ha_entity *e = &mqtt_ha_entities[i];
		for (size_t j = i + 1; j < mqtt_ha_entity_count; j++)
			CHECK(e->scope != mqtt_ha_entities[j].scope ||
			      strcmp(e->key, mqtt_ha_entities[j].key));
		int takes = !strcmp(e->component, "select") || !strcmp(e->component, "number") ||
			!strcmp(e->component, "switch");
		CHECK(takes == (e->cmd != MQTT_HA_CMD_NONE));
		CHECK(strcmp(e->component, "select") || e->options != MQTT_HA_OPT_NONE);
		if (!strcmp(e->component, "sensor") && e->device_class) {
			int ok = 0;
			for (size_t k = 0; k < sizeof sensor_units / sizeof sensor_units[0]; k++)
				if (!strcmp(sensor_units[k][0], e->device_class))
					ok = (!sensor_units[k][1] && !e->unit) ||
						(sensor_units[k][1] && e->unit &&
						 !strcmp(sensor_units[k][1], e->unit));
			CHECK(ok);
			if (!strcmp(e->device_class, "energy"))
				CHECK(e->state_class && strcmp(e->state_class, "measurement"));
		}
	}
}

static const struct mqtt_ha_entity *entity(enum mqtt_ha_scope scope, const char *key)
{
	for (size_t i = 0; i < mqtt_ha_entity_count; i++)
		if (mqtt_ha_entities[i].scope == scope && !strcmp(mqtt_ha_entities[i].key, key))
			return &mqtt_ha_entities[i];
	return NULL;
}

static void test_discovery(void)
{
	struct mqtt_ha_device d = { "csms", "homeassistant", "a/b", "Charger a/b", "ACME", NULL, "1.2" };
	char topic[600];
	const struct mqtt_ha_entity *e = entity(MQTT_HA_CHARGER, "max_current");
	CHECK(e != NULL);
	cJSON *o = mqtt_ha_discovery(&d, e, 0, topic, sizeof topic);
	CHECK(o != NULL);
	CHECK(!strncmp(topic, "homeassistant/number/csms_a_b_", 30));
	CHECK(strstr(topic, "/max_current/config") != NULL);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "state_topic")),
		  "csms/charger/a%2Fb/max_current");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "command_topic")),
		  "csms/charger/a%2Fb/max_current/set");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "availability_topic")), "csms/status");
	CHECK(cJSON_IsNumber(cJSON_GetObjectItem(o, "min")) && cJSON_IsNumber(cJSON_GetObjectItem(o, "max")));
	/* the number's range is the API's: its ends are taken, a step beyond them refused */
	double lo = cJSON_GetNumberValue(cJSON_GetObjectItem(o, "min"));
	double hi = cJSON_GetNumberValue(cJSON_GetObjectItem(o, "max"));
	double step = cJSON_GetNumberValue(cJSON_GetObjectItem(o, "step"));
	const double tries[][2] = { { lo, 1 }, { hi, 1 }, { lo - step, 0 }, { hi + step, 0 } };
	for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
		struct charger_settings s;
		char err[200];
		charger_settings_default(&s);
		cJSON *body = cJSON_CreateObject();
		cJSON_AddNumberToObject(body, "maxCurrentA", tries[i][0]);
		int ok = charger_settings_parse(&s, body, err, sizeof err) == 0;
		cJSON_Delete(body);
		if (ok != (int)tries[i][1])
			fprintf(stderr, "maxCurrentA %g: %s by the API\n", tries[i][0],
				ok ? "taken" : "refused");
		CHECK(ok == (int)tries[i][1]);
	}
	cJSON *dev = cJSON_GetObjectItem(o, "device");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(dev, "manufacturer")), "ACME");
	CHECK(!cJSON_GetObjectItem(dev, "model"));
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(dev, "via_device")), "csms_station");
	cJSON_Delete(o);

	e = entity(MQTT_HA_CONNECTOR, "status");
	o = mqtt_ha_discovery(&d, e, 2, topic, sizeof topic);
	CHECK(strstr(topic, "/connector_2_status/config") != NULL);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "state_topic")),
		  "csms/charger/a%2Fb/connector/2/status");
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(o, "options")) == 9);
	CHECK(!cJSON_GetObjectItem(o, "command_topic"));
	cJSON_Delete(o);

	/* every entity: default_entity_id (Home Assistant 2025.10 on) names the
	 * same entity as object_id (before), with its component's domain */
	for (size_t i = 0; i < mqtt_ha_entity_count; i++) {
		char want[700];
		e = &mqtt_ha_entities[i];
		d.charger = e->scope == MQTT_HA_STATION ? NULL : "a/b";
		o = mqtt_ha_discovery(&d, e, 1, topic, sizeof topic);
		const char *obj = cJSON_GetStringValue(cJSON_GetObjectItem(o, "object_id"));
		CHECK(obj != NULL && obj[0]);
		snprintf(want, sizeof want, "%s.%s", e->component, obj ? obj : "");
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "default_entity_id")), want);
		cJSON_Delete(o);
	}

	d.charger = NULL;
	d.name = "csmsd station";
	e = entity(MQTT_HA_STATION, "mode");
	o = mqtt_ha_discovery(&d, e, 0, topic, sizeof topic);
	CHECK_STR(topic, "homeassistant/select/csms_station/mode/config");
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(o, "options")) == 6);
	CHECK(!cJSON_GetObjectItem(cJSON_GetObjectItem(o, "device"), "via_device"));
	cJSON_Delete(o);
}

static void test_views(void)
{
	cJSON *st = cJSON_Parse("{\"mode\":\"tou\",\"live\":{\"pvW\":1234.4,\"batW\":-500,\"socPct\":55.55,"
				"\"onGrid\":false,\"gridW\":-0.2}}");
	cJSON *dlm = cJSON_Parse("{\"breakerA\":25,\"grid\":{\"current\":[1.234,2,3]},\"headroomA\":[1,2,3],"
				 "\"chargers\":[{\"id\":\"CP\",\"connectorId\":1,\"limitA\":16}]}");
	cJSON *v = mqtt_ha_station_view(st, dlm);
	char out[64];
	CHECK(mqtt_ha_value(entity(MQTT_HA_STATION, "pv_power"), v, 0, out, sizeof out) == 0);
	CHECK_STR(out, "1234");
	CHECK(mqtt_ha_value(entity(MQTT_HA_STATION, "battery_power"), v, 0, out, sizeof out) == 0);
	CHECK_STR(out, "-500");
	CHECK(mqtt_ha_value(entity(MQTT_HA_STATION, "grid_power"), v, 0, out, sizeof out) == 0);
	CHECK_STR(out, "0"); /* not "-0" */
	CHECK(mqtt_ha_value(entity(MQTT_HA_STATION, "battery_soc"), v, 0, out, sizeof out) == 0);
	CHECK_STR(out, "55.5");
	CHECK(mqtt_ha_value(entity(MQTT_HA_STATION, "grid_current_l1"), v, 0, out, sizeof out) == 0);
	CHECK_STR(out, "1.23");
	CHECK(mqtt_ha_value(entity(MQTT_HA_STATION, "on_grid"), v, 0, out, sizeof out) == 0);
	CHECK_STR(out, "OFF");
	CHECK(mqtt_ha_value(entity(MQTT_HA_STATION, "load_power"), v, 0, out, sizeof out) == 0);
	CHECK_STR(out, "None"); /* not in live: unknown */
	CHECK(mqtt_ha_value(entity(MQTT_HA_STATION, "mode"), v, 0, out, sizeof out) == 0);
	CHECK_STR(out, "tou");
	cJSON_Delete(v);
	/* no station, no DLM: every value unknown, none invented */
	v = mqtt_ha_station_view(NULL, NULL);
	CHECK(mqtt_ha_value(entity(MQTT_HA_STATION, "pv_power"), v, 0, out, sizeof out) == 0);
	CHECK_STR(out, "None");
	CHECK(mqtt_ha_value(entity(MQTT_HA_STATION, "grid_current_l2"), v, 0, out, sizeof out) == -1);
	cJSON_Delete(v);

	cJSON *ch = cJSON_Parse(
		"{\"id\":\"CP\",\"connected\":true,\"settings\":{\"chargingMode\":\"pv\",\"maxCurrentA\":"
		"null},"
		"\"connectors\":[{\"connectorId\":0,\"status\":\"Available\"},{\"connectorId\":1,\"status\":"
		"\"Charging\"},"
		"{\"connectorId\":2,\"status\":\"Available\"}],"
		"\"live\":[{\"connectorId\":1,\"powerW\":7000,\"energyWh\":3000,\"currentA\":[10,11.5,null]},"
		"{\"connectorId\":2,\"powerW\":100,\"energyWh\":50}]}");
	cJSON *active =
		cJSON_Parse("[{\"id\":7,\"charger\":\"CP\",\"energyWh\":1500},{\"id\":8,\"charger\":\"X\"}]");
	v = mqtt_ha_charger_view(ch, dlm, active);
	CHECK(mqtt_ha_value(entity(MQTT_HA_CHARGER, "power"), v, 0, out, sizeof out) == 0);
	CHECK_STR(out, "7100");
	CHECK(mqtt_ha_value(entity(MQTT_HA_CHARGER, "energy"), v, 0, out, sizeof out) == 0);
	CHECK_STR(out, "3050");
	CHECK(mqtt_ha_value(entity(MQTT_HA_CHARGER, "current"), v, 0, out, sizeof out) == 0);
	CHECK_STR(out, "11.5");
	CHECK(mqtt_ha_value(entity(MQTT_HA_CHARGER, "limit"), v, 0, out, sizeof out) == 0);
	CHECK_STR(out, "16.0");
	CHECK(mqtt_ha_value(entity(MQTT_HA_CHARGER, "max_current"), v, 0, out, sizeof out) == 0);
	CHECK_STR(out, "0.0");
	CHECK(mqtt_ha_value(entity(MQTT_HA_CHARGER, "charging"), v, 0, out, sizeof out) == 0);
	CHECK_STR(out, "ON");
	CHECK(mqtt_ha_value(entity(MQTT_HA_CHARGER, "transaction_id"), v, 0, out, sizeof out) == 0);
	CHECK_STR(out, "7");
	CHECK(mqtt_ha_value(entity(MQTT_HA_CHARGER, "transaction_energy"), v, 0, out, sizeof out) == 0);
	CHECK_STR(out, "1500");
	CHECK(mqtt_ha_value(entity(MQTT_HA_CONNECTOR, "status"), v, 1, out, sizeof out) == 0);
	CHECK_STR(out, "Charging");
	CHECK(mqtt_ha_value(entity(MQTT_HA_CONNECTOR, "status"), v, 0, out, sizeof out) ==
	      -1); /* 0: the charger */
	CHECK(mqtt_ha_value(entity(MQTT_HA_CONNECTOR, "status"), v, 3, out, sizeof out) == -1);
	cJSON_Delete(v);
	v = mqtt_ha_charger_view(ch, NULL, NULL);
	CHECK(mqtt_ha_value(entity(MQTT_HA_CHARGER, "charging"), v, 0, out, sizeof out) == 0);
	CHECK_STR(out, "OFF");
	CHECK(mqtt_ha_value(entity(MQTT_HA_CHARGER, "limit"), v, 0, out, sizeof out) == 0);
	CHECK_STR(out, "None");
	cJSON_Delete(v);
	cJSON_Delete(active);
	cJSON_Delete(ch);
	cJSON_Delete(dlm);
	cJSON_Delete(st);
}

static int parse(const char *topic, const char *payload, struct mqtt_ha_command *c, char *err)
{
	return mqtt_ha_parse_command("home/csms", topic, payload, strlen(payload), c, err, 256);
}

static void test_commands(void)
{
	struct mqtt_ha_command c;
	char err[256];
	CHECK(parse("home/csms/charger/a%2Fb/max_current/set", " 16.5 ", &c, err) == 0);
	CHECK(c.cmd == MQTT_HA_CMD_MAX_CURRENT);
	CHECK_STR(c.charger, "a/b");
	CHECK(cJSON_GetObjectItem(c.body, "maxCurrentA")->valuedouble == 16.5);
	cJSON_Delete(c.body);
	CHECK(parse("home/csms/charger/CP/charging_mode/set", "solarBoost", &c, err) == 0);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(c.body, "chargingMode")), "solarBoost");
	cJSON_Delete(c.body);
	CHECK(parse("home/csms/station/mode/set", "anything", &c, err) == 0); /* the API judges the word */
	CHECK(c.cmd == MQTT_HA_CMD_STATION_MODE && !c.charger[0]);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(c.body, "mode")), "anything");
	cJSON_Delete(c.body);
	CHECK(parse("home/csms/charger/CP/charging/set", "ON", &c, err) == 0 && c.on == 1 && !c.body);
	CHECK(parse("home/csms/charger/CP/charging/set", "OFF", &c, err) == 0 && c.on == 0);
	CHECK(parse("home/csms/station/set", "{\"mode\":\"tou\"}", &c, err) == 0);
	CHECK(c.cmd == MQTT_HA_CMD_STATION_JSON);
	cJSON_Delete(c.body);
	CHECK(parse("home/csms/charger/CP/set", "{\"phases\":1}", &c, err) == 0 &&
	      c.cmd == MQTT_HA_CMD_CHARGER_JSON);
	cJSON_Delete(c.body);

	static const char *const bad[][2] = {
		{ "home/csms/charger/CP/max_current/set", "16A" },
		{ "home/csms/charger/CP/max_current/set", "" },
		{ "home/csms/charger/CP/max_current/set", "inf" },
		{ "home/csms/charger/CP/max_current/set", "1e400" },
		{ "home/csms/charger/CP/charging/set", "on" },
		{ "home/csms/charger/CP/power/set", "1" },             /* a sensor takes no command */
		{ "home/csms/charger/CP/set", "[1]" },                 /* not an object */
		{ "home/csms/charger/CP/set", "{\"a\":1} x" },         /* trailing */
		{ "home/csms/charger/CP/set", "{\"a\":\"\\u0000\"}" }, /* a NUL */
		{ "home/csms/charger/a+b/max_current/set", "16" },     /* not an encoded id */
		{ "home/csms/charger//max_current/set", "16" },
		{ "home/csms/station/pv_power/set", "1" },
		{ "home/csms/station/mode", "tou" },      /* no /set */
		{ "other/csms/station/mode/set", "tou" }, /* not our prefix */
		{ "home/csmsX/station/mode/set", "tou" },
		{ "home/csms/set", "{}" },
		{ "home/csms/charger/CP/charging_mode/set", "a\nb" }, /* a control character */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		c.body = NULL;
		int rc = parse(bad[i][0], bad[i][1], &c, err);
		CHECK(rc == -1 && !c.body && *err);
		if (rc == 0) {
			fprintf(stderr, "  accepted: %s %s\n", bad[i][0], bad[i][1]);
			cJSON_Delete(c.body);
		}
	}
	/* not UTF-8; over the size bound */
	CHECK(mqtt_ha_parse_command("home/csms", "home/csms/station/mode/set", "t\xffu", 3, &c, err,
				    sizeof err) == -1);
	char *big = malloc(MQTT_HA_PAYLOAD_MAX + 2);
	memset(big, 'a', MQTT_HA_PAYLOAD_MAX + 1);
	CHECK(mqtt_ha_parse_command("home/csms", "home/csms/station/mode/set", big, MQTT_HA_PAYLOAD_MAX + 1,
				    &c, err, sizeof err) == -1);
	CHECK(strstr(err, "longer") != NULL);
	free(big);
}

int main(void)
{
	test_ids();
	test_prefix();
	test_url();
	test_table();
	test_discovery();
	test_views();
	test_commands();
	return CHECK_DONE();
}
