/* store.h: everything csmsd keeps, behind one interface. store_sqlite.c is
 * the embedded default, store_pg.c PostgreSQL (store_open picks by the
 * path: a postgresql:// URL); no SQL text lives outside them.
 *
 * The store returns rows, never the admin API's JSON (api/ builds that):
 * single rows fill a struct, lists go to a callback per row (the *_each
 * functions). A walk calls fn(arg, row) for each row in order; the row and
 * the strings it points to live until fn returns (copy what you keep; a
 * NULL string is an empty column); fn must not call the store; a non-zero
 * return stops the walk and is returned; 0 when every row was seen, <0 on
 * error. What the store keeps as JSON text (a charger's settings, a
 * profile, an audit row's request and answer, sampled values, an event's
 * payload) comes back as that text. cJSON arguments are borrowed.
 *
 * Writes open a transaction lazily; store_commit() ends it. The daemon calls
 * store_commit() once per loop turn and only then sends the answers that
 * depend on those rows (group commit: one fsync per turn). */
#ifndef CSMS_STORE_H
#define CSMS_STORE_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

struct store;

#define STORE_ID_MAX 49  /* chargePointId: 1..48 chars */
#define STORE_TAG_MAX 21 /* idTag: CiString20 */

int store_open(const char *path, struct store **out, char *err, size_t errlen);
void store_close(struct store *st); /* commits what is open */
int store_commit(struct store *st); /* 0, or -1 (the turn's writes are lost) */
int store_rollback(struct store *st);
int store_schema_version(struct store *st);
int store_pending(const struct store *st); /* a write transaction is open */

/* Key/value settings kept over a restart (DLM, station, local list version). */
int store_meta_get(struct store *st, const char *key, char *buf, size_t len); /* 0, 1 absent, <0 */
int store_meta_set(struct store *st, const char *key, const char *value);
int store_meta_delete(struct store *st, const char *key); /* 0 (also when absent), or -1 */

/* ---- chargers ---- */
enum store_registration { REG_ACCEPTED = 0, REG_PENDING, REG_REJECTED, REG_UNKNOWN };
extern const char *const store_registration_names[]; /* "accepted", "pending", "rejected" */

struct store_charger {
	char id[STORE_ID_MAX];
	enum store_registration registration;
	char auth_key_hash[128]; /* "" when none */
	int64_t last_seen_ms;
	char *settings_json;     /* owned by caller after a get; free() it; may be NULL */
	char site[STORE_ID_MAX]; /* the site it belongs to (STORE_SITE_DEFAULT when never set) */
};
/* 0 found, 1 unknown, <0 error. */
int store_charger_get(struct store *st, const char *id, struct store_charger *out);
/* Records a BootNotification; an unknown charger is created with reg_new.
 * *reg gets the charger's registration after the call. */
int store_charger_boot(struct store *st, const char *id, const cJSON *boot, int64_t now_ms,
		       enum store_registration reg_new, enum store_registration *reg);
/* Creates a charger an admin provisions before it connects. 0, 1 exists. */
int store_charger_create(struct store *st, const char *id, enum store_registration reg, int64_t now_ms);
int store_charger_set_registration(struct store *st, const char *id,
				   enum store_registration reg);            /* 1 unknown */
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
/* A charger as the admin reads it. Strings NULL: never sent or set. */
struct store_charger_row {
	const char *id;
	enum store_registration registration;           /* REG_UNKNOWN: a value out of range */
	const char *vendor, *model, *firmware, *serial; /* of the last BootNotification */
	int64_t last_seen_ms;                           /* 0: never seen */
	const char *settings_json;
	const char *firmware_status, *diagnostics_status;
	const char *meter_type, *meter_serial;
};
/* id NULL: every charger, by id; else that one (no row when unknown). */
int store_charger_each(struct store *st, const char *id,
		       int (*fn)(void *arg, const struct store_charger_row *c), void *arg);
int store_connector_status(struct store *st, const char *charger, int connector, const cJSON *status_req,
			   int64_t now_ms);

/* ---- id tags ---- */
struct store_idtag {
	char id_tag[STORE_TAG_MAX];
	char status[16];            /* Accepted, Blocked, Expired, Invalid */
	int64_t expiry_ms;          /* 0 = none */
	char parent[STORE_TAG_MAX]; /* "" = none */
	int max_active;             /* 0 = the default */
	int nchargers;              /* chargers it is bound to; 0 = all */
};
int store_idtag_get(struct store *st, const char *tag, struct store_idtag *out); /* 0, 1 unknown */
/* Replaces the tag and its charger binding (chargers: array of strings or NULL). */
int store_idtag_put(struct store *st, const struct store_idtag *t, const cJSON *chargers);
int store_idtag_delete(struct store *st, const char *tag);                        /* 1 unknown */
int store_idtag_bound_to(struct store *st, const char *tag, const char *charger); /* 1 yes */
/* tag NULL: every tag, by idTag; else that one (no row when unknown). */
int store_idtag_each(struct store *st, const char *tag, int (*fn)(void *arg, const struct store_idtag *t),
		     void *arg);
/* The chargers a tag is bound to, by id. */
int store_idtag_each_charger(struct store *st, const char *tag, int (*fn)(void *arg, const char *charger),
			     void *arg);
int store_active_tx_count(struct store *st, const char *tag);

/* ---- transactions ---- */
struct store_tx_start {
	const char *charger;
	int connector;
	const char *id_tag;
	int64_t meter_start;
	const char *timestamp; /* as sent */
	int64_t start_ms;
	int reservation_id;      /* -1 none */
	const char *auth_status; /* the idTagInfo.status we answered */
};
/* The same start sent again (charger, connector, idTag, meterStart,
 * timestamp): 0 with its id and the status answered then; 1 none. */
int store_tx_find(struct store *st, const struct store_tx_start *s, int64_t *tx_id, char auth_status[16]);
/* Inserts, or finds the same start sent again: *retry = 1 then. */
int store_tx_start(struct store *st, const struct store_tx_start *s, int64_t *tx_id, int *retry);

enum store_stop_outcome { STOP_OK = 0, STOP_RETRY, STOP_UNKNOWN, STOP_ALREADY };
struct store_tx_stop {
	const char *charger;
	int64_t tx_id;
	const char *id_tag; /* may be NULL */
	int64_t meter_stop;
	const char *timestamp;
	int64_t stop_ms;
	const char *reason; /* NULL = Local (the spec's default) */
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
 * transactions, oldest first, and each connector's last status (walks, as
 * above). */
struct store_tx_open {
	int64_t tx_id;
	int connector;
	char id_tag[STORE_TAG_MAX];
	int64_t start_ms;
};
int store_tx_each_open(struct store *st, const char *charger,
		       int (*fn)(void *arg, const struct store_tx_open *t), void *arg);
/* A connector's last StatusNotification, fields as sent (NULL: absent). */
struct store_conn_state {
	int connector;
	const char *status, *error_code, *info, *vendor_id, *vendor_error_code, *timestamp;
};
int store_connector_each(struct store *st, const char *charger,
			 int (*fn)(void *arg, const struct store_conn_state *c), void *arg);
/* One meterValue element kept as sent (its sampledValue array as JSON;
 * ts_ms: timestamp parsed, 0 when it does not parse). The same element sent
 * again (charger, connector, transaction, timestamp, source and sampled
 * values) is kept once: 0 stored, 1 already there, <0 error. PostgreSQL
 * pipelines the insert: 0 there whether or not the element was there, and
 * an insert that fails fails the turn's commit. */
int store_meter_value(struct store *st, const char *charger, int connector, int64_t tx_id,
		      const char *timestamp, int64_t ts_ms, const char *sampled_json, const char *source);

struct store_tx_filter {
	const char *charger, *id_tag;
	int active;             /* -1 any, 0 stopped, 1 active */
	int64_t from_ms, to_ms; /* 0 = open */
	int limit;              /* 0 = no limit */
	int64_t tx_id;          /* 0 = any */
};
struct store_tx_row {
	int64_t id;
	const char *charger;
	int connector;
	const char *id_tag;
	const char *start_ts, *stop_ts; /* as sent; stop_ts NULL while active */
	int64_t meter_start;
	int stopped; /* meter_stop is set */
	int64_t meter_stop;
	const char *stop_reason, *auth_status;
	int reservation_id;      /* -1: none */
	const char *stop_source; /* NULL: the charger's StopTransaction; "admin" */
	/* the running figures (store_tx_meter): has_last 0, no energy register
	 * yet; has_cost 0, cost, pv_wh and shared_wh never computed */
	int has_last;
	double meter_last_wh;
	int has_cost;
	double cost, pv_wh, shared_wh;
};
/* By id; f NULL matches all. */
int store_tx_each(struct store *st, const struct store_tx_filter *f,
		  int (*fn)(void *arg, const struct store_tx_row *t), void *arg);
/* A transaction's running figures (csms/glue/history.c keeps them at each
 * meter value): its latest energy register and when, its cost so far, the
 * energy whose origin was known (shared_wh) and of that the part from PV
 * or the battery (pv_wh). has_last 0: no register yet (meter_start and
 * start_ms are the baseline). */
struct store_tx_meter {
	int64_t tx_id;
	char charger[STORE_ID_MAX];
	int connector, active;
	int64_t meter_start, start_ms;
	int has_last;
	double meter_last_wh;
	int64_t last_ms;
	double cost, pv_wh, shared_wh;
};
int store_tx_meter_get(struct store *st, int64_t tx_id, struct store_tx_meter *out); /* 0, 1 unknown */
/* Writes meter_last_wh, last_ms, cost, pv_wh, shared_wh. 0, 1 unknown
 * (PostgreSQL pipelines the write: 0, and a failure fails the commit). */
int store_tx_meter_set(struct store *st, const struct store_tx_meter *m);
/* A transaction's meter values, in the order stored. */
struct store_mv_row {
	const char *timestamp, *source;
	const char *sampled_json; /* the sampledValue array as sent */
	int connector;
};
int store_meter_value_each(struct store *st, int64_t tx_id,
			   int (*fn)(void *arg, const struct store_mv_row *m), void *arg);

/* ---- the station's measured history ---- */
/* One bucket of res seconds from t_s (unix s): integrals over the seconds
 * it covers (cover_s), W.s kept whole. chargers_json: {"id": W.s, ...} or
 * NULL. */
struct store_history_row {
	int res;
	int64_t t_s;
	double cover_s;
	double pv_ws, load_ws, bat_in_ws, bat_out_ws, import_ws, export_ws, ev_ws, soc_s;
	double grid_as[3], grid_cover_s; /* phase currents, A.s over grid_cover_s (0: none) */
	double peak_import_w, cost;
	const char *chargers_json;
};
/* Writes the bucket, replacing a row of the same res and t_s. */
int store_history_put(struct store *st, const struct store_history_row *r);
/* The buckets of res with from_s <= t_s < to_s, by time. */
int store_history_each(struct store *st, int res, int64_t from_s, int64_t to_s,
		       int (*fn)(void *arg, const struct store_history_row *r), void *arg);
/* Removes the buckets of res before before_s: the number removed, or <0. */
int store_history_prune(struct store *st, int res, int64_t before_s);

/* ---- other messages from chargers, kept as sent ---- */
int store_event(struct store *st, const char *charger, const char *action, const char *payload_json,
		int64_t now_ms);
struct store_event_row {
	const char *charger, *action;
	int64_t received_ms;
	const char *payload_json;
};
/* Firmware, diagnostics and log upload notifications of a charger, newest
 * first; limit <= 0 means 100. */
int store_firmware_history_each(struct store *st, const char *charger, int limit,
				int (*fn)(void *arg, const struct store_event_row *e), void *arg);
/* Calls fn for every accepted charger's id (stops at a non-zero return, which it returns). */
int store_charger_each_accepted(struct store *st, int (*fn)(void *arg, const char *id), void *arg);

/* Figures for /metrics. */
struct store_counts {
	int64_t chargers, tx_active, alarms_active;
	double energy_wh; /* delivered by stopped transactions */
};
int store_counts(struct store *st, struct store_counts *out);

/* ---- sites: a fleet's sites, each with its own breaker and grid sensor ----
 * Every database has the default site (migration 7 makes it; it cannot be
 * deleted); a charger belongs to one site, the default one until it is
 * set. A site's DLM settings are kept as JSON text (config key -> value
 * text, as meta "dlm" holds the default site's, which keeps them there). */
#define STORE_SITE_DEFAULT "default"
struct store_site_row {
	const char *id, *name;
	const char *settings_json; /* "{}" for the default site (its settings are meta "dlm") */
	int64_t created_ms;
	int64_t chargers; /* chargers that belong to it */
};
/* id NULL: every site, by id; else that one (no row when unknown). */
int store_site_each(struct store *st, const char *id, int (*fn)(void *arg, const struct store_site_row *s),
		    void *arg);
/* Creates or replaces a site's name and settings: 0 replaced, 1 created, <0. */
int store_site_put(struct store *st, const char *id, const char *name, const char *settings_json,
		   int64_t now_ms);
/* 0 deleted, 1 unknown, 2 chargers still belong to it, 3 the default site; <0. */
int store_site_delete(struct store *st, const char *id);
/* Puts a charger on a site: 0, 1 no such site, <0. */
int store_charger_set_site(struct store *st, const char *charger, const char *site);

/* ---- audit: every CALL the central system sent and its answer ---- */
struct store_audit {
	const char *charger, *action, *message_id;
	const char *source;                  /* "admin", "dlm", "csms" */
	int64_t queued_ms, sent_ms, done_ms; /* sent_ms 0: never sent */
	int64_t latency_ms;                  /* < 0: none */
	const char *request;                 /* JSON text */
	const char *outcome;                 /* "result", "error", "timeout", "closed" */
	const char *response; /* JSON text of the CALLRESULT or CALLERROR details; may be NULL */
	const char *error_code, *error_description; /* NULL for a result */
};
int store_audit_add(struct store *st, const struct store_audit *a);
struct store_audit_row {
	int64_t id;
	struct store_audit a; /* response NULL: none; error_code NULL: not a CALLERROR */
};
/* Newest first; NULL filters match all; limit <= 0 means 100. */
int store_audit_each(struct store *st, const char *charger, const char *action, int limit,
		     int (*fn)(void *arg, const struct store_audit_row *r), void *arg);
/* How many rows store_audit_each would give without a limit, or -1. */
int64_t store_audit_count(struct store *st, const char *charger, const char *action);
int store_audit_prune(struct store *st, int keep); /* rows removed, or <0 */

/* ---- what chargers answered: configuration keys, availability ---- */
/* Upserts one key. value is written when set_value; readonly < 0 keeps it;
 * status / requested NULL keep theirs. */
int store_config_key_set(struct store *st, const char *charger, const char *key, const char *value,
			 int set_value, int readonly, const char *status, const char *requested,
			 int64_t now_ms);
/* The charger booted: values that needed a reboot are now in force. Rows changed, or <0. */
int store_config_rebooted(struct store *st, const char *charger, int64_t now_ms);
struct store_config_row {
	const char *key, *value; /* value NULL: not known */
	int readonly;            /* -1: not known */
	const char *status;      /* of the last ChangeConfiguration; NULL none */
	const char *requested;   /* the value asked for; NULL none */
	int64_t updated_ms;
};
/* By key. */
int store_config_each(struct store *st, const char *charger,
		      int (*fn)(void *arg, const struct store_config_row *k), void *arg);
/* Connector 0 is the whole charger: every connector row follows it. */
int store_availability_set(struct store *st, const char *charger, int connector, const char *type,
			   const char *status, int64_t now_ms);
struct store_availability_row {
	int connector;
	const char *type, *status;
	int64_t changed_ms;
};
/* By connector. */
int store_availability_each(struct store *st, const char *charger,
			    int (*fn)(void *arg, const struct store_availability_row *a), void *arg);

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
int store_reservation_expire(struct store *st, int64_t now_ms); /* number expired, or <0 */
struct store_reservation_row {
	struct store_reservation r; /* parent NULL: none */
	const char *status;
	int64_t created_ms, ended_ms; /* ended_ms 0: still Reserved */
	int64_t tx_id;                /* the transaction that used it; 0 none */
};
/* Newest first. charger NULL = all; active 1 Reserved only, 0 ended only,
 * -1 all; limit <= 0 none. */
int store_reservation_each(struct store *st, const char *charger, int active, int limit,
			   int (*fn)(void *arg, const struct store_reservation_row *r), void *arg);

/* ---- local authorisation lists: what each charger holds ---- */
int store_locallist_get(struct store *st, const char *charger, int *version); /* 0, 1 none (version -1) */
/* What is known of a charger's list: what we last sent and it accepted,
 * and what it last reported. */
struct store_locallist {
	int version;          /* -1: none sent */
	char update_type[16]; /* "Full", "Differential"; "" none */
	int64_t updated_ms;   /* 0: none sent */
	int has_reported;
	int reported_version; /* a GetLocalListVersion answer (-1: no list support) */
	int64_t reported_ms;  /* 0: none */
};
int store_locallist_read(struct store *st, const char *charger, struct store_locallist *out); /* 0, 1 none */
/* An entry of a local list. */
struct store_locallist_entry {
	const char *id_tag, *status;
	int64_t expiry_ms;  /* 0: none */
	const char *parent; /* "": none */
};
/* The entries the charger holds, by idTag. */
int store_locallist_each(struct store *st, const char *charger,
			 int (*fn)(void *arg, const struct store_locallist_entry *e), void *arg);
/* The id tags the table asks this charger to hold (unbound tags and tags
 * bound to it), by idTag, each with its parent's row: parent_status NULL
 * when the parent is no tag of the table. */
struct store_locallist_wanted {
	struct store_locallist_entry e; /* the tag's own status and expiry */
	const char *parent_status;
	int64_t parent_expiry_ms;
};
int store_locallist_each_wanted(struct store *st, const char *charger,
				int (*fn)(void *arg, const struct store_locallist_wanted *w), void *arg);
/* Records an accepted SendLocalList (list in its request form). */
int store_locallist_apply(struct store *st, const char *charger, int version, int full, const cJSON *list,
			  int64_t now_ms);
int store_locallist_reported(struct store *st, const char *charger, int version, int64_t now_ms);

/* ---- charging profiles installed on chargers ---- */
/* profile: the csChargingProfiles object of an accepted SetChargingProfile. */
int store_profile_put(struct store *st, const char *charger, int connector, const cJSON *profile,
		      int64_t now_ms);
/* criteria: a ClearChargingProfile request. Rows removed, or <0. */
int store_profile_clear(struct store *st, const char *charger, const cJSON *criteria);
/* TxProfiles of a connector (-1: every connector) end with their transaction. */
int store_profile_clear_tx(struct store *st, const char *charger, int connector);
struct store_profile_row {
	int connector, profile_id;
	const char *purpose;
	int stack_level;
	int has_tx_id; /* the profile names a transactionId */
	int64_t tx_id;
	const char *profile_json; /* the csChargingProfiles object as installed */
	int64_t installed_ms;
};
/* By connector, purpose, stack level and id. */
int store_profile_each(struct store *st, const char *charger,
		       int (*fn)(void *arg, const struct store_profile_row *p), void *arg);

/* ---- alarms ---- */
#define STORE_NO_CONNECTOR (-1)  /* an alarm of the whole charger */
#define STORE_ANY_CONNECTOR (-2) /* store_alarm_clear: every connector */
struct store_alarm {
	const char *source, *charger;
	int connector;                                           /* STORE_NO_CONNECTOR or >= 0 */
	const char *code, *info, *vendor_id, *vendor_error_code; /* may be NULL */
};
/* 0 raised, 1 the same alarm (source, charger, connector, code) is already active. */
int store_alarm_raise(struct store *st, const struct store_alarm *a, int64_t now_ms);
/* Clears active alarms of source at charger/connector except those with
 * except_code (NULL: all). Number cleared, or <0. */
int store_alarm_clear(struct store *st, const char *source, const char *charger, int connector,
		      const char *except_code, int64_t now_ms);
struct store_alarm_row {
	int64_t id;
	struct store_alarm a;          /* connector STORE_NO_CONNECTOR: the whole charger; NULL: none */
	int64_t raised_ms, cleared_ms; /* cleared_ms 0: active */
};
/* Newest first; charger NULL = all; limit <= 0 none. */
int store_alarm_each(struct store *st, int active_only, const char *charger, int limit,
		     int (*fn)(void *arg, const struct store_alarm_row *r), void *arg);

/* ---- a fleet: several nodes on one PostgreSQL database (issue 15) ----
 * Which node holds which charger, with a lease the node renews, and the
 * nodes' heartbeats. On SQLite the tables exist and work, but one node
 * never needs them (csmsd uses them only on PostgreSQL). Times are the
 * nodes' clocks (ms since the epoch). */
#define STORE_NODE_MAX 48 /* a node id: 1..47 characters */
struct store_lease {
	char node[STORE_NODE_MAX];
	int64_t until_ms;
	int node_alive; /* the node's bus connection is up (PostgreSQL: it holds its node lock; SQLite: 1) */
};
/* Who holds charger: 0 with *out, 1 no row, <0 error. */
int store_lease_get(struct store *st, const char *charger, struct store_lease *out);
/* node holds charger until until_ms, whoever held it before. */
int store_lease_take(struct store *st, const char *charger, const char *node, int64_t until_ms);
/* node's lease of charger ends (nothing when another node holds it now). */
int store_lease_drop(struct store *st, const char *charger, const char *node);
/* Every lease node holds now ends at until_ms (one statement); fn(arg,
 * charger) for each (a walk, as above): a charger not named was taken by
 * another node. */
int store_lease_renew(struct store *st, const char *node, int64_t until_ms,
		      int (*fn)(void *arg, const char *charger), void *arg);
/* Every lease of node ends, and its node row goes (a clean shutdown). */
int store_node_gone(struct store *st, const char *node);
/* The node's heartbeat (its row made when missing). */
int store_node_beat(struct store *st, const char *node, int64_t started_ms, int64_t now_ms);
struct store_node_row {
	const char *id;
	int64_t started_ms, beat_ms;
	int64_t chargers; /* leases it holds that end after now_ms */
	int alive;        /* as store_lease.node_alive */
};
/* By id. */
int store_node_each(struct store *st, int64_t now_ms, int (*fn)(void *arg, const struct store_node_row *n),
		    void *arg);
/* Sends payload (at most 7999 bytes) to the listeners of channel when the
 * turn commits (PostgreSQL NOTIFY: none if the turn fails). 0; 1 when the
 * backend has no bus (SQLite); <0 error. */
int store_notify(struct store *st, const char *channel, const char *payload);
/* A bus message too big for a notification, kept as a row: *id. */
int store_bus_put(struct store *st, const char *payload, int64_t now_ms, int64_t *id);
/* Takes message id (its row goes with the turn): 0 with *payload
 * (malloc'd, the caller frees), 1 none, <0 error. */
int store_bus_take(struct store *st, int64_t id, char **payload);
/* Removes messages kept before before_ms (never taken): the number, or <0. */
int store_bus_prune(struct store *st, int64_t before_ms);

#endif
