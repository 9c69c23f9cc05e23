/* config.h: every csmsd setting, from ONE table (config.c).
 * A value comes from, in falling order: command line (--key value),
 * environment (CSMS_KEY), a value stored through the API (the modules that
 * keep one apply it with config_set_stored), config file (key = value),
 * default. Each key remembers where its value came from (its origin). */
#ifndef CSMS_CONFIG_H
#define CSMS_CONFIG_H

#include <stddef.h>
#include <stdio.h>

/* Where a key's value came from, in rising precedence: a value of a higher
 * origin beats one of a lower. A value stored through the API beats the
 * file and the default, and yields to what an installer gives explicitly
 * at start (environment, command line). */
enum config_origin {
	CONFIG_ORIGIN_DEFAULT = 0,
	CONFIG_ORIGIN_FILE,
	CONFIG_ORIGIN_API,
	CONFIG_ORIGIN_ENV,
	CONFIG_ORIGIN_CMDLINE,
	CONFIG_ORIGIN_COUNT
};
#define CONFIG_MAX_KEYS 128 /* rows of config.c's table fit (checked there) */

/* Lives for the whole process; strings are owned by the struct (config_free). */
struct csms_config {
	char *ws_bind;
	int ws_port;
	int tls_port;
	char *tls_cert, *tls_key, *tls_ca;
	int security_profile;
	int auth_key_iterations; /* PBKDF2 rounds of a newly stored AuthorizationKey */
	double auth_kdf_share;   /* the loop's share for key checks (authkey_pace) */
	char *admin_bind;
	int admin_port;
	char *admin_token;
	int metrics_public; /* GET /metrics needs no token */
	char *db;
	char *node_id;            /* "" until main.c names it (the host name) */
	int node_lease_s;         /* a fleet's charger leases */
	int unknown_chargers;     /* enum unknown_chargers_policy */
	int max_pending_chargers; /* pending + unknown connected chargers let in */
	int heartbeat_interval;
	int call_timeout;
	int max_frame;
	int ping_interval;
	int unknown_id_tags; /* 0 invalid, 1 accept */
	int max_active_tx;
	int log_level;
	int log_format; /* enum log_format */
	int max_connections;
	int validate_outgoing; /* test builds: check our own answers */
	int audit_keep;        /* audit rows kept (newest) */
	/* DLM */
	int dlm_enabled;
	double dlm_breaker_a, dlm_margin_a, dlm_fallback_a;
	double dlm_stale_s;
	int dlm_sensor; /* row of dlm_sensor_kinds[] (dlm_sensor.h) */
	int dlm_meter;  /* row of dlm_meters[] (dlm_sensor.h) */
	char *dlm_meter_map;
	int dlm_poll_ms;
	char *dlm_modbus_host;
	int dlm_modbus_port, dlm_modbus_unit;
	char *dlm_modbus_device;
	int dlm_modbus_baud;
	char *dlm_modbus_parity;
	int dlm_tick_ms;
	double dlm_ramp_a_per_s;
	double dlm_settle_s, dlm_min_pause_s, dlm_react_s;
	double dlm_default_max_a;
	double dlm_disagree_a, dlm_disagree_s;
	/* station */
	int station_source; /* row of station_src_kinds[] (station_source.h) */
	double station_speed;
	char *station_settings;
	char *station_outages_file;
	int station_tick_ms;
	double station_stale_s;
	char *station_map;
	char *station_modbus_host;
	int station_modbus_port, station_modbus_unit, station_poll_ms;
	double station_sim_pv_w;
	int station_sim_seed;
	char *station_sim_start;
	char *station_sim_outages; /* "START/DURATION, ..." (energy.c parses it) */
	/* Per row of the table (config.c), filled by config_load: */
	unsigned char origin[CONFIG_MAX_KEYS];       /* enum config_origin of the value in force */
	unsigned char start_origin[CONFIG_MAX_KEYS]; /* ... as config_load left it (never API) */
	unsigned char given[CONFIG_MAX_KEYS];        /* bit (1 << origin) per source that gave one */
	char *overridden[CONFIG_MAX_KEYS]; /* text of the value the winner beat at start; NULL none */
	/* MQTT and Home Assistant discovery (integ/mqtt_link.c) */
	char *mqtt_url, *mqtt_user, *mqtt_password, *mqtt_ca, *mqtt_client_id;
	char *mqtt_prefix, *mqtt_discovery_prefix;
	int mqtt_period_s;
	char *mqtt_events;
	/* history (glue/history.c) */
	int history_step_s;
	int history_fine_days, history_15min_days, history_hourly_days;
	/* integrations (integ/): webhooks, price and PV forecast feeds */
	char *webhook_url, *webhook_events, *webhook_secret;
	int webhook_timeout_s, webhook_queue;
	int price_source; /* row of config.c's price words: none, awattar, entsoe, tibber, generic */
	char *price_url, *price_token, *price_area;
	char *price_path, *price_start_field, *price_field;
	double price_factor, price_fee, price_vat;
	int price_refresh_s;
	int forecast_source; /* none, forecast_solar, solcast */
	char *forecast_url, *forecast_token;
	int forecast_refresh_s;
};
/* The rows of price_source and forecast_source. */
enum { PRICE_SRC_NONE = 0, PRICE_SRC_AWATTAR, PRICE_SRC_ENTSOE, PRICE_SRC_TIBBER, PRICE_SRC_GENERIC };
enum { FORECAST_SRC_NONE = 0, FORECAST_SRC_FORECAST_SOLAR, FORECAST_SRC_SOLCAST };

enum { UNKNOWN_ACCEPT = 0, UNKNOWN_PENDING, UNKNOWN_REJECT };

/* Fill cfg from defaults, file, environment and argv. Returns 0, 1 when
 * --help or --version was printed, or -1 after printing one line naming the bad key. */
int config_load(struct csms_config *cfg, int argc, char **argv);
/* Warns (log) about each CSMS_ environment variable that is no setting,
 * naming the closest key; called once the log format is set. */
void config_warn_unknown_env(void);
void config_free(struct csms_config *cfg);
void config_help(FILE *out);

/* Set one key from a string (used by the loader and by run-time changes
 * through the API). Returns 0 or -1 with a message in err. */
int config_set(struct csms_config *cfg, const char *key, const char *value, char *err, size_t errlen);
/* config_set that records the origin of the new value. */
int config_set_from(struct csms_config *cfg, const char *key, const char *value, enum config_origin origin,
		    char *err, size_t errlen);
/* A value stored through the API, applied at start by the module that kept
 * it: it wins (and becomes the value, origin API) over a value from the
 * file or the default; it yields to one from the environment or the
 * command line. 0 applied, 1 not applied (a higher origin holds the key; a
 * caller logs both), -1 bad key or value (err says which). other gets the
 * text of the value in force before the call (the one that lost, or won). */
int config_set_stored(struct csms_config *cfg, const char *key, const char *value, char *other,
		      size_t otherlen, char *err, size_t errlen);
/* The origin of a key's value in force; -1 for an unknown key. With
 * at_start, where the value config_load settled on came from. */
int config_origin_of(const struct csms_config *cfg, const char *key, int at_start);
/* "default", "file", "api", "environment", "commandLine" ("?" out of range). */
const char *config_origin_name(int origin);
/* Logs, once the log is set up, every key that more than one source gave
 * (file, environment, command line): which value won and over what. */
void config_log_origins(const struct csms_config *cfg);

/* The value of one key as text (into buf); NULL for an unknown key. */
const char *config_get(const struct csms_config *cfg, const char *key, char *buf, size_t len);

/* A key as seen by the module that serves it through its own API resource
 * or feeds it to its library (control.c: GET/PUT /api/v1/dlm, dlm_config).
 * Strings are static. */
enum config_kind { CONFIG_NUMBER, CONFIG_BOOL, CONFIG_TEXT };
struct config_info {
	const char *name;      /* "dlm_stale_s" */
	enum config_kind kind; /* numbers: int or double; text: strings and names */
	double min, max;       /* CONFIG_NUMBER: the bounds config_set applies */
	const char *api;       /* its field in its API resource ("staleS", "sensor.host"); NULL: none */
	const char *lib;       /* the library setting it sets (dlm_config's "stale_ms"); NULL: none */
	double lib_scale;      /* library units per unit of the key (s -> ms: 1000) */
	const char *def;       /* its default, as text */
};
/* The i-th key of the table (0, 1, ...): 0, or -1 past the last. */
int config_info_at(size_t i, struct config_info *out);
/* The value of a number or bool key (bools 0/1); -1 for an unknown or text key. */
int config_number(const struct csms_config *cfg, const char *key, double *v);

#endif
