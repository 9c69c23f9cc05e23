/* store.h: everything csmsd keeps, behind one interface. store_sqlite.c is
 * the embedded default; no SQL text lives outside it.
 *
 * Writes open a transaction lazily; store_commit() ends it. The daemon calls
 * store_commit() once per loop turn and only then sends the answers that
 * depend on those rows (group commit: one fsync per turn).
 * cJSON results are new trees owned by the caller (cJSON_Delete). */
#ifndef CSMS_STORE_H
#define CSMS_STORE_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

struct store;

#define STORE_ID_MAX 49      /* chargePointId: 1..48 chars */
#define STORE_TAG_MAX 21     /* idTag: CiString20 */

int store_open(const char *path, struct store **out, char *err, size_t errlen);
void store_close(struct store *st);   /* commits what is open */
int store_commit(struct store *st);   /* 0, or -1 (the turn's writes are lost) */
int store_rollback(struct store *st);
int store_schema_version(struct store *st);
int store_pending(const struct store *st); /* a write transaction is open */

/* Key/value settings kept over a restart (DLM, station, local list version). */
int store_meta_get(struct store *st, const char *key, char *buf, size_t len); /* 0, 1 absent, <0 */
int store_meta_set(struct store *st, const char *key, const char *value);

/* ---- chargers ---- */
enum store_registration { REG_ACCEPTED = 0, REG_PENDING, REG_REJECTED, REG_UNKNOWN };
extern const char *const store_registration_names[]; /* "accepted", "pending", "rejected" */

struct store_charger {
	char id[STORE_ID_MAX];
	enum store_registration registration;
	char auth_key_hash[128];  /* "" when none */
	int64_t last_seen_ms;
	char *settings_json;      /* owned by caller after a get; free() it; may be NULL */
};
/* 0 found, 1 unknown, <0 error. */
int store_charger_get(struct store *st, const char *id, struct store_charger *out);
/* Records a BootNotification; an unknown charger is created with reg_new.
 * *reg gets the charger's registration after the call. */
int store_charger_boot(struct store *st, const char *id, const cJSON *boot, int64_t now_ms,
		       enum store_registration reg_new, enum store_registration *reg);
/* Creates a charger an admin provisions before it connects. 0, 1 exists. */
int store_charger_create(struct store *st, const char *id, enum store_registration reg, int64_t now_ms);
int store_charger_set_registration(struct store *st, const char *id, enum store_registration reg); /* 1 unknown */
int store_charger_seen(struct store *st, const char *id, int64_t now_ms);
int store_charger_set_settings(struct store *st, const char *id, const char *settings_json,
			       const char *auth_key_hash); /* hash NULL = keep */
int store_charger_set_field(struct store *st, const char *id, const char *field, const char *value);
/* [{"id","registration","vendor","model","firmware","serial","lastSeen","connectors":[...]}] ;
 * id NULL = all (array), else the one object or NULL when unknown. */
cJSON *store_charger_json(struct store *st, const char *id);
int store_connector_status(struct store *st, const char *charger, int connector,
			   const cJSON *status_req, int64_t now_ms);

/* ---- id tags ---- */
struct store_idtag {
	char id_tag[STORE_TAG_MAX];
	char status[16];              /* Accepted, Blocked, Expired, Invalid */
	int64_t expiry_ms;            /* 0 = none */
	char parent[STORE_TAG_MAX];   /* "" = none */
	int max_active;               /* 0 = the default */
	int nchargers;                /* chargers it is bound to; 0 = all */
};
int store_idtag_get(struct store *st, const char *tag, struct store_idtag *out); /* 0, 1 unknown */
/* Replaces the tag and its charger binding (chargers: array of strings or NULL). */
int store_idtag_put(struct store *st, const struct store_idtag *t, const cJSON *chargers);
int store_idtag_delete(struct store *st, const char *tag);  /* 1 unknown */
int store_idtag_bound_to(struct store *st, const char *tag, const char *charger); /* 1 yes */
cJSON *store_idtag_json(struct store *st, const char *tag); /* tag NULL = list */
int store_active_tx_count(struct store *st, const char *tag);

/* ---- transactions ---- */
struct store_tx_start {
	const char *charger;
	int connector;
	const char *id_tag;
	int64_t meter_start;
	const char *timestamp;    /* as sent */
	int64_t start_ms;
	int reservation_id;       /* -1 none */
	const char *auth_status;  /* the idTagInfo.status we answered */
};
/* The same start sent again (charger, connector, idTag, meterStart,
 * timestamp): 0 with its id and the status answered then; 1 none. */
int store_tx_find(struct store *st, const struct store_tx_start *s, int64_t *tx_id,
		  char auth_status[16]);
/* Inserts, or finds the same start sent again: *retry = 1 then. */
int store_tx_start(struct store *st, const struct store_tx_start *s, int64_t *tx_id, int *retry);

enum store_stop_outcome { STOP_OK = 0, STOP_RETRY, STOP_UNKNOWN, STOP_ALREADY };
struct store_tx_stop {
	const char *charger;
	int64_t tx_id;
	const char *id_tag;       /* may be NULL */
	int64_t meter_stop;
	const char *timestamp;
	int64_t stop_ms;
	const char *reason;       /* NULL = Local (the spec's default) */
};
int store_tx_stop(struct store *st, const struct store_tx_stop *s, enum store_stop_outcome *outcome);
/* id_tag of an active transaction, for the StopTransaction answer. 0, 1 unknown. */
int store_tx_get_tag(struct store *st, int64_t tx_id, char tag[STORE_TAG_MAX], int *active);
/* One meterValue element kept as sent (its sampledValue array as JSON). */
int store_meter_value(struct store *st, const char *charger, int connector, int64_t tx_id,
		      const char *timestamp, int64_t ts_ms, const char *sampled_json, const char *source);

struct store_tx_filter {
	const char *charger, *id_tag;
	int active;               /* -1 any, 0 stopped, 1 active */
	int64_t from_ms, to_ms;   /* 0 = open */
	int limit;                /* 0 = no limit */
};
cJSON *store_tx_list(struct store *st, const struct store_tx_filter *f);
cJSON *store_tx_json(struct store *st, int64_t tx_id); /* with meterValues; NULL unknown */

/* ---- other messages from chargers, kept as sent ---- */
int store_event(struct store *st, const char *charger, const char *action,
		const char *payload_json, int64_t now_ms);
cJSON *store_events_json(struct store *st, const char *charger, const char *action, int limit);

#endif
