/* config.c: ONE table of every csmsd setting (name, type, default, bounds,
 * help; for DLM settings also the API field and the dlm_config field) and
 * the single loader behind --help, files, environment and argv. */
#include "config.h"
#include "csms_version.h"
#include "log.h"

#include "dlm_sensor.h"
#include "station_source.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

enum ctype { C_STR, C_INT, C_BOOL, C_ENUM, C_DBL };

/* The names of an enumerated key: a table owned by the module whose
 * vocabulary it is (a driver's kinds), read through its row size and the
 * offset of the name in a row, so that it keeps its own row type. The key
 * holds the row. */
struct names {
	const void *rows;
	size_t n, size, name_off;
};
#define NAMES(tab, type, field)                                                       \
	{                                                                             \
		tab, sizeof tab / sizeof tab[0], sizeof tab[0], offsetof(type, field) \
	}
#define WORDS(tab)                                                \
	{                                                         \
		tab, sizeof tab / sizeof tab[0], sizeof tab[0], 0 \
	}

struct config_key {
	const char *name;
	enum ctype type;
	size_t off;
	const char *def;
	double min, max;             /* C_INT, C_DBL */
	const struct names *choices; /* C_ENUM; --help lists them after the help */
	const char *help;
	const char *api;  /* its field in GET/PUT /api/v1/dlm ("sensor.host"); NULL: none */
	const char *lib;  /* the dlm_config field it sets; NULL: none. The bounds
				    here lie inside the library's (tests/unit/csms/test_settings.c) */
	double lib_scale; /* dlm_config units per unit here (s -> ms: 1000) */
};

static const char *const unknown_words[] = { "accept", "pending", "reject" };
static const char *const idtag_words[] = { "invalid", "accept" };
static const char *const level_words[] = { "error", "warn", "info", "debug" };
static const char *const format_words[] = { "text", "json" }; /* enum log_format */
static const struct names unknown_choices = WORDS(unknown_words);
static const struct names idtag_choices = WORDS(idtag_words);
static const struct names level_choices = WORDS(level_words);
static const struct names format_choices = WORDS(format_words);
static const char *const price_words[] = { "none", "awattar", "entsoe", "tibber",
					   "generic" };                              /* PRICE_SRC_ */
static const char *const forecast_words[] = { "none", "forecast_solar", "solcast" }; /* FORECAST_SRC_ */
static const struct names price_choices = WORDS(price_words);
static const struct names forecast_choices = WORDS(forecast_words);
static const struct names sensor_choices = NAMES(dlm_sensor_kinds, dlm_sensor_kind_name, name);
static const struct names meter_choices = NAMES(dlm_meters, dlm_meter_def, name);
static const struct names station_src_choices = NAMES(station_src_kinds, station_src_kind_name, name);

static const char *choice(const struct names *c, size_t i)
{
	return *(const char *const *)(const void *)((const char *)c->rows + i * c->size + c->name_off);
}

#define O(f) offsetof(struct csms_config, f)
static const struct config_key keys[] = {
	{ "ws_bind", C_STR, O(ws_bind), "0.0.0.0", 0, 0, NULL, "address of the OCPP listener", NULL, NULL,
	  0 },
	{ "ws_port", C_INT, O(ws_port), "8180", 0, 65535, NULL, "plain ws:// OCPP listener; 0 turns it off",
	  NULL, NULL, 0 },
	{ "tls_port", C_INT, O(tls_port), "0", 0, 65535, NULL, "wss:// OCPP listener; 0 = off", NULL, NULL,
	  0 },
	{ "tls_cert", C_STR, O(tls_cert), "", 0, 0, NULL, "server certificate (PEM)", NULL, NULL, 0 },
	{ "tls_key", C_STR, O(tls_key), "", 0, 0, NULL, "server private key (PEM)", NULL, NULL, 0 },
	{ "tls_ca", C_STR, O(tls_ca), "", 0, 0, NULL, "CA for client certificates (security profile 3)", NULL,
	  NULL, 0 },
	{ "security_profile", C_INT, O(security_profile), "0", 0, 3, NULL,
	  "0 none, 1 basic auth, 2 TLS + basic auth, 3 TLS + client certificate", NULL, NULL, 0 },
	{ "auth_kdf_share", C_DBL, O(auth_kdf_share), "0.8", 0.05, 1, NULL,
	  "the event loop's share of time for AuthorizationKey checks (PBKDF2) in a reconnect storm "
	  "(profiles 1, 2); a check beyond it is answered 503 and the charger comes back",
	  NULL, NULL, 0 },
	{ "auth_key_iterations", C_INT, O(auth_key_iterations), "10000", 1000, 10000000, NULL,
	  "PBKDF2-HMAC-SHA256 rounds for stored AuthorizationKeys (older or weaker hashes are upgraded at "
	  "the next login)",
	  NULL, NULL, 0 },
	{ "admin_bind", C_STR, O(admin_bind), "127.0.0.1", 0, 0, NULL, "address of the admin HTTP API", NULL,
	  NULL, 0 },
	{ "admin_port", C_INT, O(admin_port), "8181", 1, 65535, NULL, "admin HTTP API port", NULL, NULL, 0 },
	{ "admin_token", C_STR, O(admin_token), "", 0, 0, NULL,
	  "when set, API requests need 'Authorization: Bearer <token>'", NULL, NULL, 0 },
	{ "metrics_public", C_BOOL, O(metrics_public), "false", 0, 0, NULL,
	  "GET /metrics answers without the admin token (a Prometheus scraper needs no secret)", NULL, NULL,
	  0 },
	{ "db", C_STR, O(db), "csms.db", 0, 0, NULL, "SQLite file or postgresql:// URL", NULL, NULL, 0 },
	{ "node_id", C_STR, O(node_id), "", 0, 0, NULL,
	  "this node's name in a fleet (a postgresql:// db shared by nodes); empty: the host name", NULL,
	  NULL, 0 },
	{ "node_lease_s", C_INT, O(node_lease_s), "10", 3, 3600, NULL,
	  "seconds a node's hold on a charger lasts unless renewed (renewed every third of it)", NULL, NULL,
	  0 },
	{ "unknown_chargers", C_ENUM, O(unknown_chargers), "pending", 0, 0, &unknown_choices,
	  "BootNotification of an unknown charger (pending: until an admin accepts)", NULL, NULL, 0 },
	{ "max_pending_chargers", C_INT, O(max_pending_chargers), "1000", 0, 1000000, NULL,
	  "unknown chargers let in at once (pending ones plus unknown ones connected); beyond it a new "
	  "unknown id is refused at the handshake; 0 = only known chargers",
	  NULL, NULL, 0 },
	{ "heartbeat_interval", C_INT, O(heartbeat_interval), "300", 1, 86400, NULL,
	  "seconds, sent in BootNotification.conf", NULL, NULL, 0 },
	{ "call_timeout", C_INT, O(call_timeout), "30", 1, 3600, NULL,
	  "seconds to wait for a charger's answer to our CALL", NULL, NULL, 0 },
	{ "max_frame", C_INT, O(max_frame), "65536", 1024, 16777216, NULL,
	  "largest OCPP frame accepted, bytes; larger ones get a CALLERROR", NULL, NULL, 0 },
	{ "ping_interval", C_INT, O(ping_interval), "60", 0, 3600, NULL,
	  "seconds between websocket pings to find dead peers; 0 = off", NULL, NULL, 0 },
	{ "unknown_id_tags", C_ENUM, O(unknown_id_tags), "invalid", 0, 0, &idtag_choices,
	  "idTags not in the table", NULL, NULL, 0 },
	{ "max_active_tx", C_INT, O(max_active_tx), "1", 1, 1000, NULL,
	  "default maximum of active transactions per idTag", NULL, NULL, 0 },
	{ "log_level", C_ENUM, O(log_level), "info", 0, 0, &level_choices, "least severe level logged", NULL,
	  NULL, 0 },
	{ "log_format", C_ENUM, O(log_format), "text", 0, 0, &format_choices,
	  "text: one readable line per event; json: one JSON object per line (log collectors)", NULL, NULL,
	  0 },
	{ "max_connections", C_INT, O(max_connections), "20000", 16, 1000000, NULL,
	  "connections (chargers + API clients); open files limit = this + 128", NULL, NULL, 0 },
	{ "validate_outgoing", C_BOOL, O(validate_outgoing), "false", 0, 0, NULL,
	  "validate our own OCPP answers against the schemas (tests)", NULL, NULL, 0 },
	{ "audit_keep", C_INT, O(audit_keep), "100000", 100, 100000000, NULL,
	  "audit rows of CS-initiated calls kept (the newest)", NULL, NULL, 0 },
	/* DLM: one row per setting, in the order GET /api/v1/dlm answers them */
	{ "dlm_enabled", C_BOOL, O(dlm_enabled), "true", 0, 0, NULL, "dynamic load management on/off",
	  "enabled", "enabled", 1 },
	{ "dlm_breaker_a", C_DBL, O(dlm_breaker_a), "25", 1, 1000, NULL,
	  "rated household circuit breaker current per phase, A", "breakerA", "breaker_a", 1 },
	{ "dlm_margin_a", C_DBL, O(dlm_margin_a), "1", 0, 100, NULL,
	  "safety margin below the breaker rating, A", "marginA", "margin_a", 1 },
	{ "dlm_fallback_a", C_DBL, O(dlm_fallback_a), "6", 0, 80, NULL,
	  "current per charger while the sensor is stale (0 stops charging; the sum per phase stays under "
	  "the breaker), A",
	  "fallbackA", "fallback_a", 1 },
	{ "dlm_stale_s", C_DBL, O(dlm_stale_s), "10", 0.1, 3600, NULL,
	  "age after which a sensor reading is stale and the fallback applies, s", "staleS", "stale_ms",
	  1000 },
	{ "dlm_settle_s", C_DBL, O(dlm_settle_s), "5", 0, 600, NULL,
	  "wait after a change before a limit may rise again, s", "settleS", "settle_ms", 1000 },
	{ "dlm_ramp_a_per_s", C_DBL, O(dlm_ramp_a_per_s), "2", 0.1, 100, NULL,
	  "largest increase of a charger limit per second, A/s", "rampAPerS", "ramp_a_per_s", 1 },
	{ "dlm_min_pause_s", C_DBL, O(dlm_min_pause_s), "60", 0, 3600, NULL,
	  "a charger paused at 0 A stays paused at least this long, s", "minPauseS", "min_pause_ms", 1000 },
	{ "dlm_react_s", C_DBL, O(dlm_react_s), "5", 0, 120, NULL,
	  "time a car takes to follow a new limit (IEC 61851: 5 s); until then it is assumed to draw the "
	  "larger of old and new limit, s",
	  "reactS", NULL, 0 },
	{ "dlm_tick_ms", C_INT, O(dlm_tick_ms), "1000", 50, 60000, NULL, "DLM control period, ms", "tickMs",
	  NULL, 0 },
	{ "dlm_poll_ms", C_INT, O(dlm_poll_ms), "1000", 50, 60000, NULL, "sensor polling interval, ms",
	  "pollMs", NULL, 0 },
	{ "dlm_default_max_a", C_DBL, O(dlm_default_max_a), "32", 6, 500, NULL,
	  "maximum current of a charger without its own maxCurrentA, A", "defaultMaxA", NULL, 0 },
	{ "dlm_disagree_a", C_DBL, O(dlm_disagree_a), "2", 0.1, 1000, NULL,
	  "a house current (grid - EV) more than this below what local generation explains means the grid "
	  "meter and the chargers disagree (alarm MeterChargersDisagree), A",
	  "disagreeA", "disagree_a", 1 },
	{ "dlm_disagree_s", C_DBL, O(dlm_disagree_s), "60", 0, 86400, NULL,
	  "how long a disagreement, and its end, must last before the alarm is raised or cleared, s",
	  "disagreeS", "disagree_ms", 1000 },
	{ "dlm_sensor", C_ENUM, O(dlm_sensor), "sim", 0, 0, &sensor_choices, "grid sensor", "sensor.type",
	  NULL, 0 },
	{ "dlm_meter", C_ENUM, O(dlm_meter), "sdm630", 0, 0, &meter_choices, "meter register map",
	  "sensor.meter", NULL, 0 },
	{ "dlm_meter_map", C_STR, O(dlm_meter_map), "", 0, 0, NULL,
	  "register map when dlm_meter = generic (see README)", "sensor.map", NULL, 0 },
	{ "dlm_modbus_host", C_STR, O(dlm_modbus_host), "127.0.0.1", 0, 0, NULL, "Modbus TCP meter address",
	  "sensor.host", NULL, 0 },
	{ "dlm_modbus_port", C_INT, O(dlm_modbus_port), "502", 1, 65535, NULL, "Modbus TCP port",
	  "sensor.port", NULL, 0 },
	{ "dlm_modbus_unit", C_INT, O(dlm_modbus_unit), "1", 0, 247, NULL, "Modbus unit (slave) id",
	  "sensor.unit", NULL, 0 },
	{ "dlm_modbus_device", C_STR, O(dlm_modbus_device), "/dev/ttyUSB0", 0, 0, NULL,
	  "serial device for Modbus RTU", "sensor.device", NULL, 0 },
	{ "dlm_modbus_baud", C_INT, O(dlm_modbus_baud), "9600", 1200, 921600, NULL, "Modbus RTU baud rate",
	  "sensor.baud", NULL, 0 },
	{ "dlm_modbus_parity", C_STR, O(dlm_modbus_parity), "N", 0, 0, NULL, "Modbus RTU parity: N, E or O",
	  "sensor.parity", NULL, 0 },
	{ "station_source", C_ENUM, O(station_source), "sim", 0, 0, &station_src_choices,
	  "station data source", NULL, NULL, 0 },
	{ "station_speed", C_DBL, O(station_speed), "1", 0.01, 10000, NULL,
	  "simulated house: time acceleration factor", NULL, NULL, 0 },
	{ "station_settings", C_STR, O(station_settings), "", 0, 0, NULL,
	  "station settings JSON file loaded at first start (later kept in the database)", NULL, NULL, 0 },
	{ "station_outages_file", C_STR, O(station_outages_file), "", 0, 0, NULL,
	  "a load-shedding schedule: a text file of dated outages, one START/END or START/DURATION "
	  "(ISO 8601) per line, '#' comments; re-read when it changes; its outages are "
	  "loadShedding.outages (the API then refuses to set them)",
	  NULL, NULL, 0 },
	{ "station_tick_ms", C_INT, O(station_tick_ms), "1000", 100, 60000, NULL,
	  "station control period (real time), ms", NULL, NULL, 0 },
	{ "station_stale_s", C_DBL, O(station_stale_s), "30", 1, 3600, NULL,
	  "station measurements (api, modbus) older than this are stale: battery idle, PV-mode chargers "
	  "paused, s",
	  NULL, NULL, 0 },
	{ "station_map", C_STR, O(station_map), "victron-gx", 0, 0, NULL,
	  "station_source modbus: register map, a preset (victron-gx) or a generic "
	  "key=FC:ADDR:TYPE[:ORDER[:SCALE]] map (see station/source/README.md)",
	  NULL, NULL, 0 },
	{ "station_modbus_host", C_STR, O(station_modbus_host), "127.0.0.1", 0, 0, NULL,
	  "station_source modbus: Modbus TCP address of the inverter / GX device", NULL, NULL, 0 },
	{ "station_modbus_port", C_INT, O(station_modbus_port), "502", 1, 65535, NULL,
	  "station_source modbus: Modbus TCP port", NULL, NULL, 0 },
	{ "station_modbus_unit", C_INT, O(station_modbus_unit), "100", 0, 247, NULL,
	  "station_source modbus: Modbus unit id (Victron GX system: 100)", NULL, NULL, 0 },
	{ "station_poll_ms", C_INT, O(station_poll_ms), "1000", 50, 60000, NULL,
	  "station_source modbus: polling interval, ms", NULL, NULL, 0 },
	{ "station_sim_pv_w", C_DBL, O(station_sim_pv_w), "8000", 0, 1000000, NULL,
	  "station_source sim: PV array peak power, W", NULL, NULL, 0 },
	{ "station_sim_seed", C_INT, O(station_sim_seed), "1", 0, 2147483647, NULL,
	  "station_source sim: seed of the simulated weather and load", NULL, NULL, 0 },
	{ "station_sim_start", C_STR, O(station_sim_start), "", 0, 0, NULL,
	  "station_source sim: ISO 8601 UTC time the simulated clock starts at (empty: now)", NULL, NULL, 0 },
	{ "station_sim_outages", C_STR, O(station_sim_outages), "", 0, 0, NULL,
	  "station_source sim: grid outages, ISO 8601 START/DURATION list in simulated time (e.g. "
	  "2026-06-21T18:00:00Z/PT2H)",
	  NULL, NULL, 0 },
	{ "history_step_s", C_INT, O(history_step_s), "60", 1, 900, NULL,
	  "step of the station's measured history (averages over each step), s; must divide 900", NULL, NULL,
	  0 },
	{ "history_fine_days", C_INT, O(history_fine_days), "30", 1, 36500, NULL,
	  "days the history keeps its rows of history_step_s", NULL, NULL, 0 },
	{ "history_15min_days", C_INT, O(history_15min_days), "400", 1, 36500, NULL,
	  "days the history keeps its 15-minute rows", NULL, NULL, 0 },
	{ "history_hourly_days", C_INT, O(history_hourly_days), "0", 0, 36500, NULL,
	  "days the history keeps its hourly rows; 0 = for ever", NULL, NULL, 0 },
	{ "mqtt_url", C_STR, O(mqtt_url), "", 0, 0, NULL,
	  "MQTT broker to publish to and take commands from: mqtt://HOST[:PORT] (1883) or "
	  "mqtts://HOST[:PORT] "
	  "(TLS, 8883); empty turns MQTT off",
	  NULL, NULL, 0 },
	{ "mqtt_user", C_STR, O(mqtt_user), "", 0, 0, NULL, "MQTT user name (empty: none)", NULL, NULL, 0 },
	{ "mqtt_password", C_STR, O(mqtt_password), "", 0, 0, NULL, "MQTT password of mqtt_user", NULL, NULL,
	  0 },
	{ "mqtt_ca", C_STR, O(mqtt_ca), "", 0, 0, NULL,
	  "mqtts: CA file (PEM) the broker's certificate is checked against (empty: the system's CAs)", NULL,
	  NULL, 0 },
	{ "mqtt_client_id", C_STR, O(mqtt_client_id), "", 0, 0, NULL,
	  "MQTT client id (empty: csmsd-<host name>-<mqtt_prefix>)", NULL, NULL, 0 },
	{ "mqtt_prefix", C_STR, O(mqtt_prefix), "csms", 0, 0, NULL,
	  "topic prefix of everything csmsd publishes; commands on <prefix>/.../set", NULL, NULL, 0 },
	{ "mqtt_discovery_prefix", C_STR, O(mqtt_discovery_prefix), "homeassistant", 0, 0, NULL,
	  "Home Assistant MQTT discovery prefix; empty turns discovery off", NULL, NULL, 0 },
	{ "mqtt_period_s", C_INT, O(mqtt_period_s), "5", 1, 3600, NULL,
	  "measurements (power, current, energy) are published when they changed, at most once per this many "
	  "seconds; states at once",
	  NULL, NULL, 0 },
	{ "mqtt_events", C_STR, O(mqtt_events), "all", 0, 0, NULL,
	  "notifications published on <prefix>/event/<kind> (not retained), comma list as webhook_events; "
	  "all = every kind, empty = none",
	  NULL, NULL, 0 },
	/* integrations (integ/, README "Notifications" and "Price and forecast providers") */
	{ "webhook_url", C_STR, O(webhook_url), "", 0, 0, NULL,
	  "alarms and chosen events POSTed as JSON to this http(s) URL; several: separated by spaces or "
	  "commas (at most 4); empty = off",
	  NULL, NULL, 0 },
	{ "webhook_events", C_STR, O(webhook_events), "all", 0, 0, NULL,
	  "kinds sent, comma list: alarmRaised, alarmCleared, sessionFinished, chargerOffline, "
	  "chargerOnline, gridSensorStale, gridSensorOk; all = every kind",
	  NULL, NULL, 0 },
	{ "webhook_secret", C_STR, O(webhook_secret), "", 0, 0, NULL,
	  "when set, each POST carries X-Csms-Signature: sha256=<HMAC-SHA256 of the body, hex>", NULL, NULL,
	  0 },
	{ "webhook_timeout_s", C_INT, O(webhook_timeout_s), "10", 1, 300, NULL,
	  "a webhook POST that takes longer failed (retried), s", NULL, NULL, 0 },
	{ "webhook_queue", C_INT, O(webhook_queue), "1000", 1, 100000, NULL,
	  "events kept per webhook URL while it fails; beyond it the oldest is dropped (counted)", NULL, NULL,
	  0 },
	{ "price_source", C_ENUM, O(price_source), "none", 0, 0, &price_choices,
	  "dynamic price list pulled from a provider (replaces the one PUT /api/v1/station/prices set)", NULL,
	  NULL, 0 },
	{ "price_url", C_STR, O(price_url), "", 0, 0, NULL,
	  "the provider's URL; empty: its public default (awattar: api.awattar.de, entsoe: "
	  "web-api.tp.entsoe.eu, tibber: api.tibber.com); generic: required",
	  NULL, NULL, 0 },
	{ "price_token", C_STR, O(price_token), "", 0, 0, NULL,
	  "the provider's token (entsoe: securityToken, tibber: bearer token, generic: bearer token if set)",
	  NULL, NULL, 0 },
	{ "price_area", C_STR, O(price_area), "10Y1001A1001A82H", 0, 0, NULL,
	  "entsoe: the bidding zone's EIC code (in_Domain and out_Domain; default DE-LU)", NULL, NULL, 0 },
	{ "price_path", C_STR, O(price_path), "data", 0, 0, NULL,
	  "generic: dotted path to the array of slots in the answer (empty: the answer is the array)", NULL,
	  NULL, 0 },
	{ "price_start_field", C_STR, O(price_start_field), "start", 0, 0, NULL,
	  "generic: a slot's start, ISO 8601 text or unix seconds / milliseconds", NULL, NULL, 0 },
	{ "price_field", C_STR, O(price_field), "price", 0, 0, NULL, "generic: a slot's price", NULL, NULL,
	  0 },
	{ "price_factor", C_DBL, O(price_factor), "1", 1e-9, 1e9, NULL,
	  "generic: the provider's price times this is the price per kWh (per MWh: 0.001)", NULL, NULL, 0 },
	{ "price_fee", C_DBL, O(price_fee), "0", -100, 100, NULL,
	  "added to the market price per kWh before VAT (grid fee, levies): import = (market + fee) * (1 + "
	  "vat); not applied to tibber, whose total includes them",
	  NULL, NULL, 0 },
	{ "price_vat", C_DBL, O(price_vat), "0", 0, 1, NULL, "VAT as a fraction (0.19 = 19%)", NULL, NULL,
	  0 },
	{ "price_refresh_s", C_INT, O(price_refresh_s), "3600", 10, 86400, NULL,
	  "the price list is fetched at start and then this often (a failed fetch is retried sooner), s",
	  NULL, NULL, 0 },
	{ "forecast_source", C_ENUM, O(forecast_source), "none", 0, 0, &forecast_choices,
	  "PV forecast pulled from a service for the optimiser (instead of its clear-sky model)", NULL, NULL,
	  0 },
	{ "forecast_url", C_STR, O(forecast_url), "", 0, 0, NULL,
	  "the forecast's URL (forecast_solar: https://api.forecast.solar/estimate/LAT/LON/DEC/AZ/KWP; "
	  "solcast: https://api.solcast.com.au/rooftop_sites/ID/forecasts?format=json)",
	  NULL, NULL, 0 },
	{ "forecast_token", C_STR, O(forecast_token), "", 0, 0, NULL,
	  "the forecast service's token (solcast: API key, sent as bearer token)", NULL, NULL, 0 },
	{ "forecast_refresh_s", C_INT, O(forecast_refresh_s), "3600", 10, 86400, NULL,
	  "the PV forecast is fetched at start and then this often, s", NULL, NULL, 0 },
};
#undef O
#define NKEYS (sizeof keys / sizeof keys[0])
_Static_assert(NKEYS <= CONFIG_MAX_KEYS, "raise CONFIG_MAX_KEYS (config.h)");

static const char *const origin_names[CONFIG_ORIGIN_COUNT] = {
	[CONFIG_ORIGIN_DEFAULT] = "default",
	[CONFIG_ORIGIN_FILE] = "file",
	[CONFIG_ORIGIN_API] = "api",
	[CONFIG_ORIGIN_ENV] = "environment",
	[CONFIG_ORIGIN_CMDLINE] = "commandLine",
};
/* The same, as a log line says where a value came from. */
static const char *const origin_words[CONFIG_ORIGIN_COUNT] = {
	[CONFIG_ORIGIN_DEFAULT] = "the default",      [CONFIG_ORIGIN_FILE] = "the config file",
	[CONFIG_ORIGIN_API] = "the API (stored)",     [CONFIG_ORIGIN_ENV] = "the environment",
	[CONFIG_ORIGIN_CMDLINE] = "the command line",
};

static const struct config_key *find_key(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

static int set_value(struct csms_config *cfg, const struct config_key *k, const char *v, char *err,
		     size_t errlen)
{
	void *field = (char *)cfg + k->off;
	char *end;
	switch (k->type) {
	case C_STR: {
		char *s = strdup(v);
		if (!s) {
			snprintf(err, errlen, "%s: out of memory", k->name);
			return -1;
		}
		free(*(char **)field);
		*(char **)field = s;
		return 0;
	}
	case C_INT: {
		errno = 0;
		long n = strtol(v, &end, 10);
		if (errno || end == v || *end || n < k->min || n > k->max) {
			snprintf(err, errlen, "%s: '%s' is not a whole number from %.0f to %.0f", k->name, v,
				 k->min, k->max);
			return -1;
		}
		*(int *)field = (int)n;
		return 0;
	}
	case C_DBL: {
		errno = 0;
		double d = strtod(v, &end);
		if (errno || end == v || *end || !isfinite(d) || d < k->min || d > k->max) {
			snprintf(err, errlen, "%s: '%s' is not a number from %g to %g", k->name, v, k->min,
				 k->max);
			return -1;
		}
		*(double *)field = d;
		return 0;
	}
	case C_BOOL:
		if (!strcmp(v, "true"))
			*(int *)field = 1;
		else if (!strcmp(v, "false"))
			*(int *)field = 0;
		else {
			snprintf(err, errlen, "%s: '%s' is not true or false", k->name, v);
			return -1;
		}
		return 0;
	case C_ENUM:
		for (size_t i = 0; i < k->choices->n; i++)
			if (!strcmp(choice(k->choices, i), v)) {
				*(int *)field = (int)i;
				return 0;
			}
		{
			size_t n = (size_t)snprintf(err, errlen, "%s: '%s' is not one of", k->name, v);
			for (size_t i = 0; i < k->choices->n && n < errlen; i++)
				n += (size_t)snprintf(err + n, errlen - n, " %s", choice(k->choices, i));
		}
		return -1;
	}
	return -1;
}

int config_set(struct csms_config *cfg, const char *key, const char *value, char *err, size_t errlen)
{
	const struct config_key *k = find_key(key);
	if (!k) {
		snprintf(err, errlen, "unknown setting '%s'", key);
		return -1;
	}
	return set_value(cfg, k, value, err, errlen);
}

static const char *value_text(const struct csms_config *cfg, const struct config_key *k, char *buf,
			      size_t len)
{
	const void *field = (const char *)cfg + k->off;
	switch (k->type) {
	case C_STR: snprintf(buf, len, "%s", *(char *const *)field ? *(char *const *)field : ""); break;
	case C_INT: snprintf(buf, len, "%d", *(const int *)field); break;
	case C_DBL: snprintf(buf, len, "%g", *(const double *)field); break;
	case C_BOOL: snprintf(buf, len, "%s", *(const int *)field ? "true" : "false"); break;
	case C_ENUM: snprintf(buf, len, "%s", choice(k->choices, (size_t) * (const int *)field)); break;
	}
	return buf;
}

const char *config_get(const struct csms_config *cfg, const char *key, char *buf, size_t len)
{
	const struct config_key *k = find_key(key);
	return k ? value_text(cfg, k, buf, len) : NULL;
}

/* Sets k from source o: the value, its origin and the sources that gave
 * one; at start (not from the API) also the text of the value it beat. */
static int set_from(struct csms_config *cfg, const struct config_key *k, const char *v, enum config_origin o,
		    char *err, size_t errlen)
{
	size_t i = (size_t)(k - keys);
	char old[256];
	int beat = o != CONFIG_ORIGIN_API && cfg->given[i];
	if (beat)
		value_text(cfg, k, old, sizeof old);
	if (set_value(cfg, k, v, err, errlen))
		return -1;
	if (beat) {
		free(cfg->overridden[i]);
		cfg->overridden[i] = strdup(old);
	}
	cfg->given[i] = (unsigned char)(cfg->given[i] | 1u << o);
	cfg->origin[i] = (unsigned char)o;
	return 0;
}

int config_set_from(struct csms_config *cfg, const char *key, const char *value, enum config_origin origin,
		    char *err, size_t errlen)
{
	const struct config_key *k = find_key(key);
	if (!k || origin >= CONFIG_ORIGIN_COUNT) {
		snprintf(err, errlen, "unknown setting '%s'", key);
		return -1;
	}
	return set_from(cfg, k, value, origin, err, errlen);
}

int config_set_stored(struct csms_config *cfg, const char *key, const char *value, char *other,
		      size_t otherlen, char *err, size_t errlen)
{
	const struct config_key *k = find_key(key);
	if (!k) {
		snprintf(err, errlen, "unknown setting '%s'", key);
		return -1;
	}
	value_text(cfg, k, other, otherlen);
	if (cfg->origin[k - keys] > CONFIG_ORIGIN_API)
		return 1;
	return set_from(cfg, k, value, CONFIG_ORIGIN_API, err, errlen);
}

int config_origin_of(const struct csms_config *cfg, const char *key, int at_start)
{
	const struct config_key *k = find_key(key);
	if (!k)
		return -1;
	return at_start ? cfg->start_origin[k - keys] : cfg->origin[k - keys];
}

const char *config_origin_name(int origin)
{
	return origin >= 0 && origin < CONFIG_ORIGIN_COUNT ? origin_names[origin] : "?";
}

void config_log_origins(const struct csms_config *cfg)
{
	char now[256];
	for (size_t i = 0; i < NKEYS; i++) {
		unsigned given = cfg->given[i] & ~(1u << CONFIG_ORIGIN_DEFAULT), o = cfg->origin[i],
			 lower = 0;
		if (!(given & (given - 1)) || !cfg->overridden[i])
			continue; /* one source or none: nothing to choose */
		for (unsigned b = 0; b < o; b++)
			if (given & 1u << b)
				lower = b;
		LOGI("config", "%s = %s from %s wins over %s from %s", keys[i].name,
		     value_text(cfg, &keys[i], now, sizeof now), origin_words[o], cfg->overridden[i],
		     origin_words[lower]);
	}
}

int config_info_at(size_t i, struct config_info *out)
{
	static const enum config_kind kinds[] = {
		[C_STR] = CONFIG_TEXT,  [C_INT] = CONFIG_NUMBER, [C_BOOL] = CONFIG_BOOL,
		[C_ENUM] = CONFIG_TEXT, [C_DBL] = CONFIG_NUMBER,
	};
	if (i >= NKEYS)
		return -1;
	const struct config_key *k = &keys[i];
	*out = (struct config_info){ k->name, kinds[k->type], k->min,       k->max,
				     k->api,  k->lib,         k->lib_scale, k->def };
	return 0;
}

int config_number(const struct csms_config *cfg, const char *key, double *v)
{
	const struct config_key *k = find_key(key);
	if (!k)
		return -1;
	const void *field = (const char *)cfg + k->off;
	switch (k->type) {
	case C_INT:
	case C_BOOL: *v = *(const int *)field; return 0;
	case C_DBL: *v = *(const double *)field; return 0;
	case C_STR:
	case C_ENUM: break;
	}
	return -1;
}

void config_help(FILE *out)
{
	fprintf(out,
		"usage: csmsd [-c FILE] [--KEY VALUE]... | --version\n"
		"Each KEY may also come from the environment (CSMS_KEY) or the file (KEY = VALUE).\n\n");
	for (size_t i = 0; i < NKEYS; i++) {
		const struct config_key *k = &keys[i];
		fprintf(out, "  --%-20s %s", k->name, k->help);
		for (size_t c = 0; k->type == C_ENUM && c < k->choices->n; c++)
			fprintf(out, "%s%s", c ? ", " : ": ", choice(k->choices, c));
		fprintf(out, " (default: %s)\n", *k->def ? k->def : "empty");
	}
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

static int load_file(struct csms_config *cfg, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096], err[256];
	int lineno = 0, rc = 0;
	if (!f) {
		fprintf(stderr, "csmsd: config file %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = 0;
		char *s = trim(line);
		if (!*s)
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			fprintf(stderr, "csmsd: %s:%d: expected 'key = value'\n", path, lineno);
			rc = -1;
			break;
		}
		*eq = 0;
		char *key = trim(s), *val = trim(eq + 1);
		size_t vl = strlen(val);
		if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
			val[vl - 1] = 0;
			val++;
		}
		if (config_set_from(cfg, key, val, CONFIG_ORIGIN_FILE, err, sizeof err)) {
			fprintf(stderr, "csmsd: %s:%d: %s\n", path, lineno, err);
			rc = -1;
			break;
		}
	}
	fclose(f);
	return rc;
}

/* CSMS_ variables that are not settings but belong to the project's other
 * pieces, which share csmsd's environment in the image: the entrypoint's
 * and csmsctl's. */
static const char *const env_not_settings[] = {
	"CSMS_DATA_DIR",         "CSMS_UID", "CSMS_GID", "CSMS_URL", "CSMS_URL_FILE", "CSMS_TOKEN",
	"CSMS_ADMIN_TOKEN_FILE",
};

/* Edit distance between a and the lower-cased b (both short). */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64];
	if (la >= 63 || lb >= 63)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = a[i - 1] == (char)tolower((unsigned char)b[j - 1]) ? 0 : 1;
			size_t best = diag + cost;
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* A CSMS_ variable that names no setting is most likely a misspelt one:
 * say so, with the closest key when it is close. */
void config_warn_unknown_env(void)
{
	for (char **e = environ; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		if (strncmp(*e, "CSMS_", 5) || !eq)
			continue;
		char name[64];
		snprintf(name, sizeof name, "%.*s", (int)(eq - *e), *e);
		int known = 0;
		for (size_t i = 0; i < sizeof env_not_settings / sizeof env_not_settings[0] && !known; i++)
			known = !strcmp(name, env_not_settings[i]);
		for (size_t i = 0; i < NKEYS && !known; i++)
			known = !distance(keys[i].name, name + 5);
		if (known)
			continue;
		size_t best = (size_t)-1, bi = 0;
		for (size_t i = 0; i < NKEYS; i++) {
			size_t d = distance(keys[i].name, name + 5);
			if (d < best) {
				best = d;
				bi = i;
			}
		}
		char upper[64];
		size_t n = 0;
		for (const char *p = keys[bi].name; *p && n + 1 < sizeof upper; p++)
			upper[n++] = (char)toupper((unsigned char)*p);
		upper[n] = 0;
		if (best <= 3 && best * 3 <= strlen(name + 5)) /* not every short name is a typo */
			LOGW("config", "%s is not a setting and is ignored (did you mean CSMS_%s?)", name,
			     upper);
		else
			LOGW("config", "%s is not a setting and is ignored (csmsd --help lists them)", name);
	}
}

int config_load(struct csms_config *cfg, int argc, char **argv)
{
	char err[256], env[128];
	const char *file = NULL;
	memset(cfg, 0, sizeof *cfg);
	for (size_t i = 0; i < NKEYS; i++)
		if (set_value(cfg, &keys[i], keys[i].def, err, sizeof err)) {
			fprintf(stderr, "csmsd: bad default: %s\n", err);
			return -1;
		}
	/* First pass over argv: --help and the config file. */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			config_help(stdout);
			return 1;
		}
		if (!strcmp(argv[i], "--version")) {
			printf("csmsd %s\n", CSMS_VERSION);
			return 1;
		}
		if (!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "csmsd: %s needs a file name\n", argv[i]);
				return -1;
			}
			file = argv[++i];
		}
	}
	if (file && load_file(cfg, file))
		return -1;
	for (size_t i = 0; i < NKEYS; i++) {
		size_t n = (size_t)snprintf(env, sizeof env, "CSMS_");
		for (const char *p = keys[i].name; *p && n + 1 < sizeof env; p++)
			env[n++] = (char)toupper((unsigned char)*p);
		env[n] = 0;
		const char *v = getenv(env);
		if (v && set_from(cfg, &keys[i], v, CONFIG_ORIGIN_ENV, err, sizeof err)) {
			fprintf(stderr, "csmsd: %s: %s\n", env, err);
			return -1;
		}
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) {
			i++;
			continue;
		}
		const char *a = argv[i];
		if (strncmp(a, "--", 2)) {
			fprintf(stderr, "csmsd: unexpected argument '%s' (settings are --key value)\n", a);
			return -1;
		}
		a += 2;
		const char *eq = strchr(a, '=');
		char key[64];
		const char *val;
		if (eq) {
			snprintf(key, sizeof key, "%.*s", (int)(eq - a), a);
			val = eq + 1;
		} else {
			snprintf(key, sizeof key, "%s", a);
			if (i + 1 >= argc) {
				fprintf(stderr, "csmsd: --%s needs a value\n", key);
				return -1;
			}
			val = argv[++i];
		}
		if (config_set_from(cfg, key, val, CONFIG_ORIGIN_CMDLINE, err, sizeof err)) {
			fprintf(stderr, "csmsd: %s\n", err);
			return -1;
		}
	}
	memcpy(cfg->start_origin, cfg->origin, sizeof cfg->start_origin);
	return 0;
}

void config_free(struct csms_config *cfg)
{
	for (size_t i = 0; i < NKEYS; i++) {
		free(cfg->overridden[i]);
		cfg->overridden[i] = NULL;
	}
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].type == C_STR) {
			char **p = (char **)((char *)cfg + keys[i].off);
			free(*p);
			*p = NULL;
		}
}
