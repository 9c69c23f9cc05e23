/* mqtt_ha.h: what csmsd says on MQTT, as data and pure functions: the
 * topics (prefix, a charger id as one topic level), the table of entities
 * (each a state topic, a Home Assistant component and, for some, a command),
 * the views a snapshot of the API's own JSON is reduced to, the values
 * published, the Home Assistant discovery payloads, and the parsing of a
 * command topic and payload into the body of the API request it stands
 * for. No I/O, no clock: mqtt_link.c feeds it and publishes what it makes. */
#ifndef CSMS_MQTT_HA_H
#define CSMS_MQTT_HA_H

#include <cjson/cJSON.h>
#include <stddef.h>

#define MQTT_HA_TOPIC_MAX 512    /* a topic we build or accept */
#define MQTT_HA_PAYLOAD_MAX 4096 /* a command payload accepted */
#define MQTT_HA_PREFIX_MAX 64

/* Who an entity belongs to: the station device, a charger device, or one
 * connector of a charger (one entity per connector the charger reports). */
enum mqtt_ha_scope { MQTT_HA_STATION, MQTT_HA_CHARGER, MQTT_HA_CONNECTOR };

/* What a command on an entity's <state topic>/set does. */
enum mqtt_ha_cmd {
	MQTT_HA_CMD_NONE = 0,
	MQTT_HA_CMD_STATION_MODE, /* PUT /api/v1/station {"mode"} */
	MQTT_HA_CMD_CHARGER_MODE, /* PUT /api/v1/chargers/{id} {"chargingMode"} */
	MQTT_HA_CMD_MAX_CURRENT,  /* PUT /api/v1/chargers/{id} {"maxCurrentA"} */
	MQTT_HA_CMD_CHARGING,     /* ON: RemoteStartTransaction, OFF: RemoteStopTransaction */
	MQTT_HA_CMD_STATION_JSON, /* <prefix>/station/set: a PUT /api/v1/station body */
	MQTT_HA_CMD_CHARGER_JSON, /* <prefix>/charger/<id>/set: a PUT /api/v1/chargers/{id} body */
};

/* The word lists a select or an enum sensor offers. */
enum mqtt_ha_options {
	MQTT_HA_OPT_NONE = 0,
	MQTT_HA_OPT_STATION_MODES,
	MQTT_HA_OPT_EV_MODES,
	MQTT_HA_OPT_STATUS
};

/* One entity: static, a row of mqtt_ha_entities[]. */
struct mqtt_ha_entity {
	enum mqtt_ha_scope scope;
	const char *key;       /* topic level(s) under the scope and the object id: "pv_power" */
	const char *component; /* "sensor", "binary_sensor", "select", "number", "switch" */
	const char *name;      /* shown in Home Assistant, after the device's name */
	const char *device_class, *unit, *state_class; /* NULL: none */
	const char *field;                             /* the view's member it shows */
	int index;                                     /* >= 0: element of that array member */
	int decimals;                                  /* numbers: digits after the point */
	enum mqtt_ha_cmd cmd;
	enum mqtt_ha_options options;
	double min, max, step; /* number */
};
extern const struct mqtt_ha_entity mqtt_ha_entities[];
extern const size_t mqtt_ha_entity_count;

/* A prefix as mqtt_prefix / mqtt_discovery_prefix take it: 1 to
 * MQTT_HA_PREFIX_MAX bytes of UTF-8, levels separated by single '/', no
 * wildcard ('+', '#'), no control character, not starting with '$' (empty
 * allowed with allow_empty). 0, or -1 with err saying why. */
int mqtt_ha_check_prefix(const char *p, int allow_empty, char *err, size_t errlen);

/* A charger id as one topic level: bytes outside [A-Za-z0-9._~-]
 * percent-encoded (%2F), so '/', '+', '#' and '%' never reach a topic.
 * 0, or -1 when it does not fit in len. */
int mqtt_ha_id_encode(const char *id, char *out, size_t len);
/* Back: 0, or -1 when the level is not one mqtt_ha_id_encode makes of an
 * id of 1 to 48 bytes of text (UTF-8, no control character). */
int mqtt_ha_id_decode(const char *level, char *out, size_t len);
/* A name Home Assistant takes as node id or in a unique id
 * ([a-zA-Z0-9_-]): others become '_', and when any did, 8 hex digits of a
 * hash of the whole text follow, so two ids never share one. */
void mqtt_ha_slug(const char *text, char *out, size_t len);

/* The state topic of entity e (charger: its id; connector: 1..), into out.
 * 0, or -1 when it does not fit. */
int mqtt_ha_state_topic(const char *prefix, const struct mqtt_ha_entity *e, const char *charger,
			int connector, char *out, size_t len);

/* The views the entities read (new trees, the caller frees them):
 * station: GET /api/v1/station's mode and live (may be NULL) and GET
 *   /api/v1/dlm (may be NULL) ->
 *   {"mode","pvW","loadW","gridW","batteryW","socPct","evW","onGrid",
 *    "gridA":[3],"breakerA","headroomA":[3]}
 * charger: one GET /api/v1/chargers element (decorated: connected, settings,
 *   live), GET /api/v1/dlm's chargers (may be NULL) and the active
 *   transactions (may be NULL) ->
 *   {"connected","powerW","currentA","energyWh","limitA","chargingMode",
 *    "maxCurrentA","charging","transactionId","transactionWh",
 *    "status":{"<n>": ChargePointStatus}}
 * Members it does not know are null. */
cJSON *mqtt_ha_station_view(const cJSON *station, const cJSON *dlm);
cJSON *mqtt_ha_charger_view(const cJSON *charger, const cJSON *dlm, const cJSON *active);

/* The payload entity e publishes from view (connector: for MQTT_HA_CONNECTOR)
 * into out: a number with the entity's decimals, a boolean as ON/OFF, a
 * string as it is, "None" when the view holds null. 0, or -1 when the view
 * has no such member (nothing to publish). */
int mqtt_ha_value(const struct mqtt_ha_entity *e, const cJSON *view, int connector, char *out, size_t len);

/* Where the entities go: the prefixes and the device they belong to. */
struct mqtt_ha_device {
	const char *prefix;                            /* mqtt_prefix */
	const char *discovery_prefix;                  /* mqtt_discovery_prefix (not empty) */
	const char *charger;                           /* NULL: the station */
	const char *name;                              /* the device's name */
	const char *manufacturer, *model, *sw_version; /* NULL: left out */
};
/* The discovery topic of e (<discovery>/<component>/<node id>/<object id>/config)
 * into topic, and its payload (a new tree, the caller frees it; NULL out of
 * memory): name, unique_id, object_id and default_entity_id
 * ("<component>.<object_id>"), state_topic, availability_topic,
 * device, the class, unit and state class where the entity has them, and
 * command_topic with options / min, max, step / payload_on, payload_off
 * where it takes commands. */
cJSON *mqtt_ha_discovery(const struct mqtt_ha_device *d, const struct mqtt_ha_entity *e, int connector,
			 char *topic, size_t topiclen);

/* A command: what a topic under <prefix>/ that ends in /set asks. */
struct mqtt_ha_command {
	enum mqtt_ha_cmd cmd;
	char charger[49]; /* the decoded id, for a charger's command */
	cJSON *body;      /* the API request body it stands for (the caller frees it);
			     NULL for MQTT_HA_CMD_CHARGING (see on) */
	int on;           /* MQTT_HA_CMD_CHARGING: 1 start, 0 stop */
};
/* Parses topic and payload (len bytes, not NUL-terminated) into c. 0; -1
 * with err when the topic names no command or the payload is not what the
 * command takes (too long, not UTF-8, not a number, not JSON): nothing is
 * applied then. The values themselves are checked by the API's own code. */
int mqtt_ha_parse_command(const char *prefix, const char *topic, const void *payload, size_t len,
			  struct mqtt_ha_command *c, char *err, size_t errlen);

#endif
