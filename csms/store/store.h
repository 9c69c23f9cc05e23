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
int64_t store_charger_count(struct store *st, enum store_registration reg); /* <0 error */
/* Forgets a charger: its row, connectors, charging profiles, configuration
 * keys, availability and local list go; its reservations still Reserved
 * are Cancelled and its active alarms cleared; transactions, meter values,
 * events, audit rows and id-tag bindings stay. 0, 1 unknown, <0 error. */
int store_charger_delete(struct store *st, const char *id, int64_t now_ms);
int store_charger_seen(struct store *st, const char *id, int64_t now_ms);
int store_charger_set_settings(struct store *st, const char *id, const char *settings_json,
			       const char *auth_key_hash); /* hash NULL = keep */
/* Replaces the stored AuthorizationKey hash (a re-hash after a login). 0, 1 unknown. */
int store_charger_set_auth_key(struct store *st, const char *id, const char *auth_key_hash);
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
/* An admin closes an active transaction (stoppedBy "admin"). 0, 1 not
 * active (unknown or stopped), <0 error. */
int store_tx_admin_stop(struct store *st, int64_t tx_id, int64_t meter_stop, int64_t stop_ms,
			const char *timestamp, const char *reason);
/* id_tag of an active transaction, for the StopTransaction answer. 0, 1 unknown. */
int store_tx_get_tag(struct store *st, int64_t tx_id, char tag[STORE_TAG_MAX], int *active);
/* The connector a charger's transaction runs or ran on: 0, 1 unknown (or
 * another charger's), <0 error. */
int store_tx_connector(struct store *st, const char *charger, int64_t tx_id, int *connector);
/* What a restart must not forget (charger_restore): the charger's open
 * transactions, oldest first, and each connector's last status. fn gets a
 * row it may copy, must not call the store, and stops the walk by returning
 * non-zero (which is returned); 0 when all were seen, <0 error. */
struct store_tx_open {
	int64_t tx_id;
	int connector;
	char id_tag[STORE_TAG_MAX];
	int64_t start_ms;
};
int store_tx_each_open(struct store *st, const char *charger,
		       int (*fn)(void *arg, const struct store_tx_open *t), void *arg);
struct store_conn_state {
	int connector;
	char status[24];          /* ChargePointStatus, "" none */
	char error_code[32];
};
int store_connector_each(struct store *st, const char *charger,
			 int (*fn)(void *arg, const struct store_conn_state *c), void *arg);
/* One meterValue element kept as sent (its sampledValue array as JSON;
 * ts_ms: timestamp parsed, 0 when it does not parse). The same element sent
 * again (charger, connector, transaction, timestamp, source and sampled
 * values) is kept once: 0 stored, 1 already there, <0 error. */
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

/* Firmware, diagnostics and log upload notifications of a charger, newest first. */
cJSON *store_firmware_history_json(struct store *st, const char *charger, int limit);
/* Calls fn for every accepted charger's id (stops at a non-zero return, which it returns). */
int store_charger_each_accepted(struct store *st, int (*fn)(void *arg, const char *id), void *arg);

/* Figures for /metrics. */
struct store_counts {
	int64_t chargers, tx_active, alarms_active;
	double energy_wh;          /* delivered by stopped transactions */
};
int store_counts(struct store *st, struct store_counts *out);

/* ---- audit: every CALL the central system sent and its answer ---- */
struct store_audit {
	const char *charger, *action, *message_id;
	const char *source;        /* "admin", "dlm", "csms" */
	int64_t queued_ms, sent_ms, done_ms;   /* sent_ms 0: never sent */
	int64_t latency_ms;        /* < 0: none */
	const char *request;       /* JSON text */
	const char *outcome;       /* "result", "error", "timeout", "closed" */
	const char *response;      /* JSON text of the CALLRESULT or CALLERROR details; may be NULL */
	const char *error_code, *error_description;   /* NULL for a result */
};
int store_audit_add(struct store *st, const struct store_audit *a);
/* Newest first; NULL filters match all; limit <= 0 means 100. */
cJSON *store_audit_json(struct store *st, const char *charger, const char *action, int limit);
int store_audit_prune(struct store *st, int keep);   /* rows removed, or <0 */

/* ---- what chargers answered: configuration keys, availability ---- */
/* Upserts one key. value is written when set_value; readonly < 0 keeps it;
 * status / requested NULL keep theirs. */
int store_config_key_set(struct store *st, const char *charger, const char *key, const char *value,
			 int set_value, int readonly, const char *status, const char *requested, int64_t now_ms);
/* The charger booted: values that needed a reboot are now in force. Rows changed, or <0. */
int store_config_rebooted(struct store *st, const char *charger, int64_t now_ms);
/* [{"key","value","readonly","status","requestedValue","updated"}] by key. */
cJSON *store_config_json(struct store *st, const char *charger);
/* Connector 0 is the whole charger: every connector row follows it. */
int store_availability_set(struct store *st, const char *charger, int connector, const char *type,
			   const char *status, int64_t now_ms);
cJSON *store_availability_json(struct store *st, const char *charger);

/* ---- reservations (status Reserved, Used, Expired, Cancelled) ---- */
struct store_reservation {
	const char *charger;
	int reservation_id, connector;
	const char *id_tag, *parent;
	int64_t expiry_ms;
};
int store_reservation_add(struct store *st, const struct store_reservation *r, int64_t now_ms);
/* Ends a Reserved one: 0, 1 none such. */
int store_reservation_end(struct store *st, const char *charger, int reservation_id, const char *status,
			  int64_t tx_id, int64_t now_ms);
/* A transaction started: the reservation it names (reservation_id >= 0), or
 * else the charger's oldest one for id_tag on that connector or connector 0,
 * becomes Used. 0, 1 none. */
int store_reservation_use(struct store *st, const char *charger, int connector, int reservation_id,
			  const char *id_tag, int64_t tx_id, int64_t now_ms);
int store_reservation_expire(struct store *st, int64_t now_ms);   /* number expired, or <0 */
/* charger NULL = all; active 1 Reserved only, 0 ended only, -1 all; limit <= 0 none. */
cJSON *store_reservations_json(struct store *st, const char *charger, int active, int limit);

/* ---- local authorisation lists: what each charger holds ---- */
int store_locallist_get(struct store *st, const char *charger, int *version);  /* 0, 1 none (version -1) */
/* Entries in SendLocalList form ({"idTag","idTagInfo":{...}}), by idTag. */
cJSON *store_locallist_entries(struct store *st, const char *charger);
/* The list the id-tag table asks for this charger (unbound tags and tags
 * bound to it), same form. */
cJSON *store_locallist_wanted(struct store *st, const char *charger, int64_t now_ms);
/* Records an accepted SendLocalList (list in its request form). */
int store_locallist_apply(struct store *st, const char *charger, int version, int full,
			  const cJSON *list, int64_t now_ms);
int store_locallist_reported(struct store *st, const char *charger, int version, int64_t now_ms);
/* {"version","updateType","updated","reportedVersion","reported","entries"} */
cJSON *store_locallist_json(struct store *st, const char *charger);

/* ---- charging profiles installed on chargers ---- */
/* profile: the csChargingProfiles object of an accepted SetChargingProfile. */
int store_profile_put(struct store *st, const char *charger, int connector, const cJSON *profile, int64_t now_ms);
/* criteria: a ClearChargingProfile request. Rows removed, or <0. */
int store_profile_clear(struct store *st, const char *charger, const cJSON *criteria);
/* TxProfiles of a connector (-1: every connector) end with their transaction. */
int store_profile_clear_tx(struct store *st, const char *charger, int connector);
/* [{"connectorId","chargingProfileId","chargingProfilePurpose","stackLevel","transactionId",
 *   "csChargingProfiles","installed"}] */
cJSON *store_profiles_json(struct store *st, const char *charger);

/* ---- alarms ---- */
#define STORE_NO_CONNECTOR (-1)     /* an alarm of the whole charger */
#define STORE_ANY_CONNECTOR (-2)    /* store_alarm_clear: every connector */
struct store_alarm {
	const char *source, *charger;
	int connector;              /* STORE_NO_CONNECTOR or >= 0 */
	const char *code, *info, *vendor_id, *vendor_error_code;   /* may be NULL */
};
/* 0 raised, 1 the same alarm (source, charger, connector, code) is already active. */
int store_alarm_raise(struct store *st, const struct store_alarm *a, int64_t now_ms);
/* Clears active alarms of source at charger/connector except those with
 * except_code (NULL: all). Number cleared, or <0. */
int store_alarm_clear(struct store *st, const char *source, const char *charger, int connector,
		      const char *except_code, int64_t now_ms);
/* Newest first: [{"id","source","charger","connectorId","code","info","vendorId",
 * "vendorErrorCode","raised","cleared"}]; limit <= 0 none. */
cJSON *store_alarms_json(struct store *st, int active_only, const char *charger, int limit);

#endif
