/* store_backend.h: what a store backend provides (private to csms/store/).
 * store.c picks the backend from the database path at store_open and then
 * dispatches every store.h function through the backend's table; each
 * backend's handle begins with struct store. A function added to store.h
 * gets one row here and one function in each backend. */
#ifndef CSMS_STORE_BACKEND_H
#define CSMS_STORE_BACKEND_H

#include "store.h"
#include <openssl/evp.h>

#define STORE_DIGEST_LEN 16
/* A meter value's key (store.c says what goes in). */
int store_mv_digest(EVP_MD_CTX *ctx, const EVP_MD *md, const char *charger, int connector, int64_t tx_id,
		    const char *timestamp, const char *source, const char *sampled,
		    unsigned char out[STORE_DIGEST_LEN]);

/* Every store.h function but store_open, store_close and store_pending:
 * X(return type, name without store_, parameters, arguments). SELF(st) is
 * the handle as the backend's own type (store.c: the handle itself). */
#define STORE_OPS(X)                                                                                         \
	X(int, commit, (struct store * st), (SELF(st)))                                                      \
	X(int, rollback, (struct store * st), (SELF(st)))                                                    \
	X(int, schema_version, (struct store * st), (SELF(st)))                                              \
	X(int, meta_get, (struct store * st, const char *key, char *buf, size_t len),                        \
	  (SELF(st), key, buf, len))                                                                         \
	X(int, meta_set, (struct store * st, const char *key, const char *value), (SELF(st), key, value))    \
	X(int, meta_delete, (struct store * st, const char *key), (SELF(st), key))                           \
	X(int, charger_get, (struct store * st, const char *id, struct store_charger *out),                  \
	  (SELF(st), id, out))                                                                               \
	X(int, charger_boot,                                                                                 \
	  (struct store * st, const char *id, const cJSON *boot, int64_t now_ms,                             \
	   enum store_registration reg_new, enum store_registration *reg),                                   \
	  (SELF(st), id, boot, now_ms, reg_new, reg))                                                        \
	X(int, charger_create,                                                                               \
	  (struct store * st, const char *id, enum store_registration reg, int64_t now_ms),                  \
	  (SELF(st), id, reg, now_ms))                                                                       \
	X(int, charger_set_registration, (struct store * st, const char *id, enum store_registration reg),   \
	  (SELF(st), id, reg))                                                                               \
	X(int64_t, charger_count, (struct store * st, enum store_registration reg), (SELF(st), reg))         \
	X(int, charger_delete, (struct store * st, const char *id, int64_t now_ms), (SELF(st), id, now_ms))  \
	X(int, charger_seen, (struct store * st, const char *id, int64_t now_ms), (SELF(st), id, now_ms))    \
	X(int, charger_set_settings,                                                                         \
	  (struct store * st, const char *id, const char *settings_json, const char *auth_key_hash),         \
	  (SELF(st), id, settings_json, auth_key_hash))                                                      \
	X(int, charger_set_auth_key, (struct store * st, const char *id, const char *auth_key_hash),         \
	  (SELF(st), id, auth_key_hash))                                                                     \
	X(int, charger_set_field, (struct store * st, const char *id, const char *field, const char *value), \
	  (SELF(st), id, field, value))                                                                      \
	X(int, charger_each,                                                                                 \
	  (struct store * st, const char *id, int (*fn)(void *arg, const struct store_charger_row *c),       \
	   void *arg),                                                                                       \
	  (SELF(st), id, fn, arg))                                                                           \
	X(int, connector_status,                                                                             \
	  (struct store * st, const char *charger, int connector, const cJSON *status_req, int64_t now_ms),  \
	  (SELF(st), charger, connector, status_req, now_ms))                                                \
	X(int, idtag_get, (struct store * st, const char *tag, struct store_idtag *out),                     \
	  (SELF(st), tag, out))                                                                              \
	X(int, idtag_put, (struct store * st, const struct store_idtag *t, const cJSON *chargers),           \
	  (SELF(st), t, chargers))                                                                           \
	X(int, idtag_delete, (struct store * st, const char *tag), (SELF(st), tag))                          \
	X(int, idtag_bound_to, (struct store * st, const char *tag, const char *charger),                    \
	  (SELF(st), tag, charger))                                                                          \
	X(int, idtag_each,                                                                                   \
	  (struct store * st, const char *tag, int (*fn)(void *arg, const struct store_idtag *t),            \
	   void *arg),                                                                                       \
	  (SELF(st), tag, fn, arg))                                                                          \
	X(int, idtag_each_charger,                                                                           \
	  (struct store * st, const char *tag, int (*fn)(void *arg, const char *charger), void *arg),        \
	  (SELF(st), tag, fn, arg))                                                                          \
	X(int, active_tx_count, (struct store * st, const char *tag), (SELF(st), tag))                       \
	X(int, tx_find,                                                                                      \
	  (struct store * st, const struct store_tx_start *s, int64_t *tx_id, char auth_status[16]),         \
	  (SELF(st), s, tx_id, auth_status))                                                                 \
	X(int, tx_start, (struct store * st, const struct store_tx_start *s, int64_t *tx_id, int *retry),    \
	  (SELF(st), s, tx_id, retry))                                                                       \
	X(int, tx_stop,                                                                                      \
	  (struct store * st, const struct store_tx_stop *s, enum store_stop_outcome *outcome),              \
	  (SELF(st), s, outcome))                                                                            \
	X(int, tx_admin_stop,                                                                                \
	  (struct store * st, int64_t tx_id, int64_t meter_stop, int64_t stop_ms, const char *timestamp,     \
	   const char *reason),                                                                              \
	  (SELF(st), tx_id, meter_stop, stop_ms, timestamp, reason))                                         \
	X(int, tx_get_tag, (struct store * st, int64_t tx_id, char tag[STORE_TAG_MAX], int *active),         \
	  (SELF(st), tx_id, tag, active))                                                                    \
	X(int, tx_connector, (struct store * st, const char *charger, int64_t tx_id, int *connector),        \
	  (SELF(st), charger, tx_id, connector))                                                             \
	X(int, tx_each_open,                                                                                 \
	  (struct store * st, const char *charger, int (*fn)(void *arg, const struct store_tx_open *t),      \
	   void *arg),                                                                                       \
	  (SELF(st), charger, fn, arg))                                                                      \
	X(int, connector_each,                                                                               \
	  (struct store * st, const char *charger, int (*fn)(void *arg, const struct store_conn_state *c),   \
	   void *arg),                                                                                       \
	  (SELF(st), charger, fn, arg))                                                                      \
	X(int, meter_value,                                                                                  \
	  (struct store * st, const char *charger, int connector, int64_t tx_id, const char *timestamp,      \
	   int64_t ts_ms, const char *sampled_json, const char *source),                                     \
	  (SELF(st), charger, connector, tx_id, timestamp, ts_ms, sampled_json, source))                     \
	X(int, tx_each,                                                                                      \
	  (struct store * st, const struct store_tx_filter *f,                                               \
	   int (*fn)(void *arg, const struct store_tx_row *t), void *arg),                                   \
	  (SELF(st), f, fn, arg))                                                                            \
	X(int, tx_meter_get, (struct store * st, int64_t tx_id, struct store_tx_meter * out),                \
	  (SELF(st), tx_id, out))                                                                            \
	X(int, tx_meter_set, (struct store * st, const struct store_tx_meter *m), (SELF(st), m))             \
	X(int, meter_value_each,                                                                             \
	  (struct store * st, int64_t tx_id, int (*fn)(void *arg, const struct store_mv_row *m), void *arg), \
	  (SELF(st), tx_id, fn, arg))                                                                        \
	X(int, history_put, (struct store * st, const struct store_history_row *r), (SELF(st), r))           \
	X(int, history_each,                                                                                 \
	  (struct store * st, int res, int64_t from_s, int64_t to_s,                                         \
	   int (*fn)(void *arg, const struct store_history_row *r), void *arg),                              \
	  (SELF(st), res, from_s, to_s, fn, arg))                                                            \
	X(int, history_prune, (struct store * st, int res, int64_t before_s), (SELF(st), res, before_s))     \
	X(int, event,                                                                                        \
	  (struct store * st, const char *charger, const char *action, const char *payload_json,             \
	   int64_t now_ms),                                                                                  \
	  (SELF(st), charger, action, payload_json, now_ms))                                                 \
	X(int, firmware_history_each,                                                                        \
	  (struct store * st, const char *charger, int limit,                                                \
	   int (*fn)(void *arg, const struct store_event_row *e), void *arg),                                \
	  (SELF(st), charger, limit, fn, arg))                                                               \
	X(int, charger_each_accepted, (struct store * st, int (*fn)(void *arg, const char *id), void *arg),  \
	  (SELF(st), fn, arg))                                                                               \
	X(int, counts, (struct store * st, struct store_counts * out), (SELF(st), out))                      \
	X(int, audit_add, (struct store * st, const struct store_audit *a), (SELF(st), a))                   \
	X(int, audit_each,                                                                                   \
	  (struct store * st, const char *charger, const char *action, int limit,                            \
	   int (*fn)(void *arg, const struct store_audit_row *r), void *arg),                                \
	  (SELF(st), charger, action, limit, fn, arg))                                                       \
	X(int64_t, audit_count, (struct store * st, const char *charger, const char *action),                \
	  (SELF(st), charger, action))                                                                       \
	X(int, audit_prune, (struct store * st, int keep), (SELF(st), keep))                                 \
	X(int, config_key_set,                                                                               \
	  (struct store * st, const char *charger, const char *key, const char *value, int set_value,        \
	   int readonly, const char *status, const char *requested, int64_t now_ms),                         \
	  (SELF(st), charger, key, value, set_value, readonly, status, requested, now_ms))                   \
	X(int, config_rebooted, (struct store * st, const char *charger, int64_t now_ms),                    \
	  (SELF(st), charger, now_ms))                                                                       \
	X(int, config_each,                                                                                  \
	  (struct store * st, const char *charger, int (*fn)(void *arg, const struct store_config_row *k),   \
	   void *arg),                                                                                       \
	  (SELF(st), charger, fn, arg))                                                                      \
	X(int, availability_set,                                                                             \
	  (struct store * st, const char *charger, int connector, const char *type, const char *status,      \
	   int64_t now_ms),                                                                                  \
	  (SELF(st), charger, connector, type, status, now_ms))                                              \
	X(int, availability_each,                                                                            \
	  (struct store * st, const char *charger,                                                           \
	   int (*fn)(void *arg, const struct store_availability_row *a), void *arg),                         \
	  (SELF(st), charger, fn, arg))                                                                      \
	X(int, reservation_add, (struct store * st, const struct store_reservation *r, int64_t now_ms),      \
	  (SELF(st), r, now_ms))                                                                             \
	X(int, reservation_end,                                                                              \
	  (struct store * st, const char *charger, int reservation_id, const char *status, int64_t tx_id,    \
	   int64_t now_ms),                                                                                  \
	  (SELF(st), charger, reservation_id, status, tx_id, now_ms))                                        \
	X(int, reservation_use,                                                                              \
	  (struct store * st, const char *charger, int connector, int reservation_id, const char *id_tag,    \
	   int64_t tx_id, int64_t now_ms),                                                                   \
	  (SELF(st), charger, connector, reservation_id, id_tag, tx_id, now_ms))                             \
	X(int, reservation_expire, (struct store * st, int64_t now_ms), (SELF(st), now_ms))                  \
	X(int, reservation_each,                                                                             \
	  (struct store * st, const char *charger, int active, int limit,                                    \
	   int (*fn)(void *arg, const struct store_reservation_row *r), void *arg),                          \
	  (SELF(st), charger, active, limit, fn, arg))                                                       \
	X(int, locallist_get, (struct store * st, const char *charger, int *version),                        \
	  (SELF(st), charger, version))                                                                      \
	X(int, locallist_read, (struct store * st, const char *charger, struct store_locallist *out),        \
	  (SELF(st), charger, out))                                                                          \
	X(int, locallist_each,                                                                               \
	  (struct store * st, const char *charger,                                                           \
	   int (*fn)(void *arg, const struct store_locallist_entry *e), void *arg),                          \
	  (SELF(st), charger, fn, arg))                                                                      \
	X(int, locallist_each_wanted,                                                                        \
	  (struct store * st, const char *charger,                                                           \
	   int (*fn)(void *arg, const struct store_locallist_wanted *w), void *arg),                         \
	  (SELF(st), charger, fn, arg))                                                                      \
	X(int, locallist_apply,                                                                              \
	  (struct store * st, const char *charger, int version, int full, const cJSON *list,                 \
	   int64_t now_ms),                                                                                  \
	  (SELF(st), charger, version, full, list, now_ms))                                                  \
	X(int, locallist_reported, (struct store * st, const char *charger, int version, int64_t now_ms),    \
	  (SELF(st), charger, version, now_ms))                                                              \
	X(int, profile_put,                                                                                  \
	  (struct store * st, const char *charger, int connector, const cJSON *profile, int64_t now_ms),     \
	  (SELF(st), charger, connector, profile, now_ms))                                                   \
	X(int, profile_clear, (struct store * st, const char *charger, const cJSON *criteria),               \
	  (SELF(st), charger, criteria))                                                                     \
	X(int, profile_clear_tx, (struct store * st, const char *charger, int connector),                    \
	  (SELF(st), charger, connector))                                                                    \
	X(int, profile_each,                                                                                 \
	  (struct store * st, const char *charger, int (*fn)(void *arg, const struct store_profile_row *p),  \
	   void *arg),                                                                                       \
	  (SELF(st), charger, fn, arg))                                                                      \
	X(int, alarm_raise, (struct store * st, const struct store_alarm *a, int64_t now_ms),                \
	  (SELF(st), a, now_ms))                                                                             \
	X(int, alarm_clear,                                                                                  \
	  (struct store * st, const char *source, const char *charger, int connector,                        \
	   const char *except_code, int64_t now_ms),                                                         \
	  (SELF(st), source, charger, connector, except_code, now_ms))                                       \
	X(int, alarm_each,                                                                                   \
	  (struct store * st, int active_only, const char *charger, int limit,                               \
	   int (*fn)(void *arg, const struct store_alarm_row *r), void *arg),                                \
	  (SELF(st), active_only, charger, limit, fn, arg))                                                  \
	X(int, lease_get, (struct store * st, const char *charger, struct store_lease *out),                 \
	  (SELF(st), charger, out))                                                                          \
	X(int, lease_take, (struct store * st, const char *charger, const char *node, int64_t until_ms),     \
	  (SELF(st), charger, node, until_ms))                                                               \
	X(int, lease_drop, (struct store * st, const char *charger, const char *node),                       \
	  (SELF(st), charger, node))                                                                         \
	X(int, lease_renew,                                                                                  \
	  (struct store * st, const char *node, int64_t until_ms, int (*fn)(void *arg, const char *charger), \
	   void *arg),                                                                                       \
	  (SELF(st), node, until_ms, fn, arg))                                                               \
	X(int, node_gone, (struct store * st, const char *node), (SELF(st), node))                           \
	X(int, node_beat, (struct store * st, const char *node, int64_t started_ms, int64_t now_ms),         \
	  (SELF(st), node, started_ms, now_ms))                                                              \
	X(int, node_each,                                                                                    \
	  (struct store * st, int64_t now_ms, int (*fn)(void *arg, const struct store_node_row *n),          \
	   void *arg),                                                                                       \
	  (SELF(st), now_ms, fn, arg))                                                                       \
	X(int, notify, (struct store * st, const char *channel, const char *payload),                        \
	  (SELF(st), channel, payload))                                                                      \
	X(int, bus_put, (struct store * st, const char *payload, int64_t now_ms, int64_t *id),               \
	  (SELF(st), payload, now_ms, id))                                                                   \
	X(int, bus_take, (struct store * st, int64_t id, char **payload), (SELF(st), id, payload))           \
	X(int, bus_prune, (struct store * st, int64_t before_ms), (SELF(st), before_ms))                     \
	X(int, site_each,                                                                                    \
	  (struct store * st, const char *id, int (*fn)(void *arg, const struct store_site_row *s),          \
	   void *arg),                                                                                       \
	  (SELF(st), id, fn, arg))                                                                           \
	X(int, site_put,                                                                                     \
	  (struct store * st, const char *id, const char *name, const char *settings_json, int64_t now_ms),  \
	  (SELF(st), id, name, settings_json, now_ms))                                                       \
	X(int, site_delete, (struct store * st, const char *id), (SELF(st), id))                             \
	X(int, charger_set_site, (struct store * st, const char *charger, const char *site),                 \
	  (SELF(st), charger, site))

#define STORE_OPS_MEMBER(ret, name, params, args) ret(*name) params;
/* One per backend, static; the backend fills every member. */
struct store_ops {
	void (*close)(struct store *st);
	int (*pending)(const struct store *st);
	STORE_OPS(STORE_OPS_MEMBER)
};

/* The first member of each backend's handle; lives as long as it. */
struct store {
	const struct store_ops *ops;
};

/* A backend's handle as its own type: the handle begins with struct store. */
#define STORE_BACKEND_OF(type, st) ((type *)(void *)(st))

/* The advisory lock a node holds on its bus connection while it runs
 * (bus_pg.c takes it; store_pg.c reads pg_locks for it): class and
 * hashtext(node id). A site's control loop lock: SITE class and the
 * site's key (0 the default site, else a hash of its id: fleet.c). */
#define STORE_PG_NODE_LOCK_CLASS 771501
#define STORE_PG_SITE_LOCK_CLASS 771502

/* The backends' store_open. */
int store_sqlite_open(const char *path, struct store **out, char *err, size_t errlen);
int store_pg_open(const char *url, struct store **out, char *err, size_t errlen);

#endif
