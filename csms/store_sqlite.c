/* store_sqlite.c: the embedded SQLite store. WAL with synchronous=FULL,
 * numbered migrations, every statement prepared once at open, writes
 * grouped into one transaction per loop turn (store_commit). */
#include "store.h"
#include "log.h"
#include "timeutil.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const store_registration_names[] = { "accepted", "pending", "rejected", "unknown" };

/* Migration N brings the schema from version N to N+1. Never edit a
 * released one: add a new one. */
static const char *const migrations[] = {
	/* 0 -> 1: the core */
	"CREATE TABLE chargers ("
	" id TEXT PRIMARY KEY, registration INTEGER NOT NULL,"
	" vendor TEXT, model TEXT, serial TEXT, cb_serial TEXT, firmware TEXT,"
	" iccid TEXT, imsi TEXT, meter_type TEXT, meter_serial TEXT,"
	" first_seen_ms INTEGER, last_seen_ms INTEGER, last_boot_ms INTEGER,"
	" auth_key_hash TEXT NOT NULL DEFAULT '', settings TEXT,"
	" firmware_status TEXT, diagnostics_status TEXT);"
	"CREATE TABLE connectors ("
	" charger TEXT NOT NULL, connector_id INTEGER NOT NULL, status TEXT, error_code TEXT,"
	" info TEXT, vendor_id TEXT, vendor_error_code TEXT, timestamp TEXT, updated_ms INTEGER,"
	" PRIMARY KEY (charger, connector_id));"
	"CREATE TABLE id_tags ("
	" id_tag TEXT PRIMARY KEY, status TEXT NOT NULL, expiry_ms INTEGER NOT NULL DEFAULT 0,"
	" parent TEXT NOT NULL DEFAULT '', max_active INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE id_tag_chargers ("
	" id_tag TEXT NOT NULL REFERENCES id_tags(id_tag) ON DELETE CASCADE,"
	" charger TEXT NOT NULL, PRIMARY KEY (id_tag, charger));"
	"CREATE TABLE transactions ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT, charger TEXT NOT NULL, connector_id INTEGER NOT NULL,"
	" id_tag TEXT NOT NULL, auth_status TEXT, reservation_id INTEGER,"
	" start_ts TEXT NOT NULL, start_ms INTEGER NOT NULL, meter_start INTEGER NOT NULL,"
	" stop_ts TEXT, stop_ms INTEGER, meter_stop INTEGER, stop_reason TEXT, stop_id_tag TEXT,"
	" UNIQUE (charger, connector_id, id_tag, meter_start, start_ts));"
	"CREATE INDEX transactions_active ON transactions(id_tag) WHERE stop_ms IS NULL;"
	"CREATE INDEX transactions_charger ON transactions(charger, id);"
	"CREATE TABLE meter_values ("
	" id INTEGER PRIMARY KEY, charger TEXT NOT NULL, connector_id INTEGER NOT NULL,"
	" transaction_id INTEGER, timestamp TEXT NOT NULL, ts_ms INTEGER, source TEXT NOT NULL,"
	" sampled TEXT NOT NULL);"
	"CREATE INDEX meter_values_tx ON meter_values(transaction_id) WHERE transaction_id IS NOT NULL;"
	"CREATE TABLE orphan_stops ("
	" id INTEGER PRIMARY KEY, charger TEXT NOT NULL, transaction_id INTEGER, id_tag TEXT,"
	" stop_ts TEXT, meter_stop INTEGER, reason TEXT, outcome TEXT, received_ms INTEGER);"
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY, charger TEXT NOT NULL, action TEXT NOT NULL,"
	" received_ms INTEGER NOT NULL, payload TEXT NOT NULL);"
	"CREATE INDEX events_charger ON events(charger, action, id);"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
};
#define NMIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

/* Every statement, prepared once at open. */
#define STMTS(X) \
	X(BEGIN, "BEGIN IMMEDIATE") \
	X(COMMIT, "COMMIT") \
	X(ROLLBACK, "ROLLBACK") \
	X(META_GET, "SELECT value FROM meta WHERE key=?1") \
	X(META_SET, "INSERT INTO meta(key,value) VALUES(?1,?2) ON CONFLICT(key) DO UPDATE SET value=excluded.value") \
	X(CH_GET, "SELECT registration, auth_key_hash, last_seen_ms, settings FROM chargers WHERE id=?1") \
	X(CH_INSERT, "INSERT OR IGNORE INTO chargers(id, registration, first_seen_ms) VALUES(?1,?2,?3)") \
	X(CH_BOOT, "UPDATE chargers SET vendor=?2, model=?3, serial=?4, cb_serial=?5, firmware=?6," \
		" iccid=?7, imsi=?8, meter_type=?9, meter_serial=?10, last_seen_ms=?11, last_boot_ms=?11 WHERE id=?1") \
	X(CH_SET_REG, "UPDATE chargers SET registration=?2 WHERE id=?1") \
	X(CH_SEEN, "UPDATE chargers SET last_seen_ms=?2 WHERE id=?1") \
	X(CH_SET_SETTINGS, "UPDATE chargers SET settings=?2, auth_key_hash=coalesce(?3, auth_key_hash) WHERE id=?1") \
	X(CH_SET_FW, "UPDATE chargers SET firmware_status=?2 WHERE id=?1") \
	X(CH_SET_DIAG, "UPDATE chargers SET diagnostics_status=?2 WHERE id=?1") \
	X(CH_LIST, "SELECT id, registration, vendor, model, firmware, serial, last_seen_ms, settings," \
		" firmware_status, diagnostics_status, meter_type, meter_serial FROM chargers WHERE (?1 IS NULL OR id=?1) ORDER BY id") \
	X(CONN_LIST, "SELECT connector_id, status, error_code, info, vendor_id, vendor_error_code, timestamp" \
		" FROM connectors WHERE charger=?1 ORDER BY connector_id") \
	X(CONN_SET, "INSERT INTO connectors(charger, connector_id, status, error_code, info, vendor_id," \
		" vendor_error_code, timestamp, updated_ms) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)" \
		" ON CONFLICT(charger, connector_id) DO UPDATE SET status=excluded.status, error_code=excluded.error_code," \
		" info=excluded.info, vendor_id=excluded.vendor_id, vendor_error_code=excluded.vendor_error_code," \
		" timestamp=excluded.timestamp, updated_ms=excluded.updated_ms") \
	X(TAG_GET, "SELECT status, expiry_ms, parent, max_active," \
		" (SELECT count(*) FROM id_tag_chargers c WHERE c.id_tag=t.id_tag) FROM id_tags t WHERE id_tag=?1") \
	X(TAG_PUT, "INSERT INTO id_tags(id_tag, status, expiry_ms, parent, max_active) VALUES(?1,?2,?3,?4,?5)" \
		" ON CONFLICT(id_tag) DO UPDATE SET status=excluded.status, expiry_ms=excluded.expiry_ms," \
		" parent=excluded.parent, max_active=excluded.max_active") \
	X(TAG_DEL, "DELETE FROM id_tags WHERE id_tag=?1") \
	X(TAG_UNBIND, "DELETE FROM id_tag_chargers WHERE id_tag=?1") \
	X(TAG_BIND, "INSERT OR IGNORE INTO id_tag_chargers(id_tag, charger) VALUES(?1,?2)") \
	X(TAG_BOUND, "SELECT 1 FROM id_tag_chargers WHERE id_tag=?1 AND charger=?2") \
	X(TAG_LIST, "SELECT id_tag, status, expiry_ms, parent, max_active FROM id_tags WHERE (?1 IS NULL OR id_tag=?1) ORDER BY id_tag") \
	X(TAG_CHARGERS, "SELECT charger FROM id_tag_chargers WHERE id_tag=?1 ORDER BY charger") \
	X(TX_ACTIVE_COUNT, "SELECT count(*) FROM transactions WHERE id_tag=?1 AND stop_ms IS NULL") \
	X(TX_FIND, "SELECT id, auth_status FROM transactions WHERE charger=?1 AND connector_id=?2 AND id_tag=?3 AND meter_start=?4 AND start_ts=?5") \
	X(TX_INSERT, "INSERT INTO transactions(charger, connector_id, id_tag, auth_status, reservation_id, start_ts," \
		" start_ms, meter_start) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)") \
	X(TX_STOP, "UPDATE transactions SET stop_ts=?2, stop_ms=?3, meter_stop=?4, stop_reason=?5, stop_id_tag=?6" \
		" WHERE id=?1 AND charger=?7 AND stop_ms IS NULL") \
	X(TX_STOPPED, "SELECT meter_stop, stop_ts FROM transactions WHERE id=?1 AND charger=?2") \
	X(TX_TAG, "SELECT id_tag, stop_ms IS NULL FROM transactions WHERE id=?1") \
	X(ORPHAN_STOP, "INSERT INTO orphan_stops(charger, transaction_id, id_tag, stop_ts, meter_stop, reason, outcome," \
		" received_ms) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)") \
	X(MV_INSERT, "INSERT INTO meter_values(charger, connector_id, transaction_id, timestamp, ts_ms, source, sampled)" \
		" VALUES(?1,?2,?3,?4,?5,?6,?7)") \
	X(TX_LIST, "SELECT id, charger, connector_id, id_tag, start_ts, stop_ts, meter_start, meter_stop, stop_reason," \
		" auth_status, reservation_id FROM transactions" \
		" WHERE (?1 IS NULL OR charger=?1) AND (?2 IS NULL OR id_tag=?2)" \
		" AND (?3 IS NULL OR (stop_ms IS NULL) = ?3) AND (?4 IS NULL OR start_ms >= ?4)" \
		" AND (?5 IS NULL OR start_ms < ?5) AND (?6 IS NULL OR id = ?6) ORDER BY id LIMIT ?7") \
	X(TX_MV, "SELECT timestamp, source, sampled FROM meter_values WHERE transaction_id=?1 ORDER BY id") \
	X(EV_INSERT, "INSERT INTO events(charger, action, received_ms, payload) VALUES(?1,?2,?3,?4)") \
	X(EV_LIST, "SELECT charger, action, received_ms, payload FROM events" \
		" WHERE (?1 IS NULL OR charger=?1) AND (?2 IS NULL OR action=?2) ORDER BY id DESC LIMIT ?3")

#define X_ENUM(name, sql) S_##name,
enum stmt_id { STMTS(X_ENUM) S_COUNT };
#define X_SQL(name, sql) sql,
static const char *const stmt_sql[] = { STMTS(X_SQL) };

/* One per open database; lives from store_open to store_close. */
struct store {
	sqlite3 *db;
	sqlite3_stmt *s[S_COUNT];
	int in_tx;
};

static void log_err(struct store *st, const char *what)
{
	LOGE("store", "%s: %s", what, sqlite3_errmsg(st->db));
}

static sqlite3_stmt *stmt(struct store *st, enum stmt_id id)
{
	sqlite3_stmt *s = st->s[id];
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

static int begin(struct store *st)
{
	if (st->in_tx)
		return 0;
	if (sqlite3_step(stmt(st, S_BEGIN)) != SQLITE_DONE) {
		log_err(st, "begin");
		return -1;
	}
	st->in_tx = 1;
	return 0;
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

static void bind_json_str(sqlite3_stmt *s, int i, const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	bind_text(s, i, cJSON_IsString(v) ? v->valuestring : NULL);
}

/* Runs a write statement already bound; 0 or -1. */
static int exec_write(struct store *st, sqlite3_stmt *s, const char *what)
{
	if (begin(st))
		return -1;
	if (sqlite3_step(s) != SQLITE_DONE) {
		log_err(st, what);
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	return 0;
}

static const char *col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

static void copy_col(char *dst, size_t len, sqlite3_stmt *s, int i)
{
	const char *v = col_text(s, i);
	snprintf(dst, len, "%s", v ? v : "");
}

static int migrate(struct store *st, char *err, size_t errlen)
{
	int ver = 0;
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &q, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_step(q) == SQLITE_ROW)
		ver = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	if (ver > NMIGRATIONS) {
		snprintf(err, errlen, "database schema version %d is newer than this csmsd (%d)", ver, NMIGRATIONS);
		return -1;
	}
	for (; ver < NMIGRATIONS; ver++) {
		char pragma[64];
		snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", ver + 1);
		if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(st->db, migrations[ver], NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(st->db, pragma, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			snprintf(err, errlen, "migration %d: %s", ver + 1, sqlite3_errmsg(st->db));
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		LOGI("store", "database schema migrated to version %d", ver + 1);
	}
	return 0;
fail:
	snprintf(err, errlen, "%s", sqlite3_errmsg(st->db));
	return -1;
}

int store_open(const char *path, struct store **out, char *err, size_t errlen)
{
	struct store *st = calloc(1, sizeof *st);
	if (!st) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", st->db ? sqlite3_errmsg(st->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 5000);
	if (sqlite3_exec(st->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			 " PRAGMA foreign_keys=ON;", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(st->db));
		goto fail;
	}
	if (migrate(st, err, errlen))
		goto fail;
	for (int i = 0; i < S_COUNT; i++)
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->s[i], NULL) != SQLITE_OK) {
			snprintf(err, errlen, "prepare %d: %s", i, sqlite3_errmsg(st->db));
			goto fail;
		}
	*out = st;
	return 0;
fail:
	store_close(st);
	return -1;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	if (st->in_tx)
		store_commit(st);
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st->s[i]);
	sqlite3_close(st->db);
	free(st);
}

int store_commit(struct store *st)
{
	if (!st->in_tx)
		return 0;
	st->in_tx = 0;
	if (sqlite3_step(stmt(st, S_COMMIT)) != SQLITE_DONE) {
		log_err(st, "commit");
		sqlite3_step(stmt(st, S_ROLLBACK));
		return -1;
	}
	return 0;
}

int store_rollback(struct store *st)
{
	if (!st->in_tx)
		return 0;
	st->in_tx = 0;
	return sqlite3_step(stmt(st, S_ROLLBACK)) == SQLITE_DONE ? 0 : -1;
}

int store_pending(const struct store *st) { return st->in_tx; }

int store_schema_version(struct store *st)
{
	sqlite3_stmt *q;
	int v = -1;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	return v;
}

int store_meta_get(struct store *st, const char *key, char *buf, size_t len)
{
	sqlite3_stmt *s = stmt(st, S_META_GET);
	bind_text(s, 1, key);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		copy_col(buf, len, s, 0);
		sqlite3_reset(s);
		return 0;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 1 : -1;
}

int store_meta_set(struct store *st, const char *key, const char *value)
{
	sqlite3_stmt *s = stmt(st, S_META_SET);
	bind_text(s, 1, key);
	bind_text(s, 2, value);
	return exec_write(st, s, "meta set");
}

/* ---- chargers ---- */

int store_charger_get(struct store *st, const char *id, struct store_charger *out)
{
	sqlite3_stmt *s = stmt(st, S_CH_GET);
	bind_text(s, 1, id);
	int rc = sqlite3_step(s);
	memset(out, 0, sizeof *out);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return rc == SQLITE_DONE ? 1 : -1;
	}
	snprintf(out->id, sizeof out->id, "%s", id);
	out->registration = (enum store_registration)sqlite3_column_int(s, 0);
	copy_col(out->auth_key_hash, sizeof out->auth_key_hash, s, 1);
	out->last_seen_ms = sqlite3_column_int64(s, 2);
	if (col_text(s, 3))
		out->settings_json = strdup(col_text(s, 3));
	sqlite3_reset(s);
	return 0;
}

int store_charger_boot(struct store *st, const char *id, const cJSON *boot, int64_t now_ms,
		       enum store_registration reg_new, enum store_registration *reg)
{
	sqlite3_stmt *s = stmt(st, S_CH_INSERT);
	bind_text(s, 1, id);
	sqlite3_bind_int(s, 2, reg_new);
	sqlite3_bind_int64(s, 3, now_ms);
	if (exec_write(st, s, "charger insert"))
		return -1;
	s = stmt(st, S_CH_BOOT);
	bind_text(s, 1, id);
	static const char *const fields[] = { "chargePointVendor", "chargePointModel",
		"chargePointSerialNumber", "chargeBoxSerialNumber", "firmwareVersion", "iccid",
		"imsi", "meterType", "meterSerialNumber" };
	for (int i = 0; i < 9; i++)
		bind_json_str(s, i + 2, boot, fields[i]);
	sqlite3_bind_int64(s, 11, now_ms);
	if (exec_write(st, s, "charger boot"))
		return -1;
	struct store_charger c;
	if (store_charger_get(st, id, &c))
		return -1;
	free(c.settings_json);
	*reg = c.registration;
	return 0;
}

int store_charger_create(struct store *st, const char *id, enum store_registration reg, int64_t now_ms)
{
	sqlite3_stmt *s = stmt(st, S_CH_INSERT);
	bind_text(s, 1, id);
	sqlite3_bind_int(s, 2, reg);
	sqlite3_bind_int64(s, 3, now_ms);
	if (exec_write(st, s, "charger create"))
		return -1;
	return sqlite3_changes(st->db) ? 0 : 1;
}

int store_charger_set_registration(struct store *st, const char *id, enum store_registration reg)
{
	sqlite3_stmt *s = stmt(st, S_CH_SET_REG);
	bind_text(s, 1, id);
	sqlite3_bind_int(s, 2, reg);
	if (exec_write(st, s, "charger registration"))
		return -1;
	return sqlite3_changes(st->db) ? 0 : 1;
}

int store_charger_seen(struct store *st, const char *id, int64_t now_ms)
{
	sqlite3_stmt *s = stmt(st, S_CH_SEEN);
	bind_text(s, 1, id);
	sqlite3_bind_int64(s, 2, now_ms);
	return exec_write(st, s, "charger seen");
}

int store_charger_set_settings(struct store *st, const char *id, const char *settings_json,
			       const char *auth_key_hash)
{
	sqlite3_stmt *s = stmt(st, S_CH_SET_SETTINGS);
	bind_text(s, 1, id);
	bind_text(s, 2, settings_json);
	bind_text(s, 3, auth_key_hash);
	if (exec_write(st, s, "charger settings"))
		return -1;
	return sqlite3_changes(st->db) ? 0 : 1;
}

int store_charger_set_field(struct store *st, const char *id, const char *field, const char *value)
{
	enum stmt_id which;
	if (!strcmp(field, "firmware_status"))
		which = S_CH_SET_FW;
	else if (!strcmp(field, "diagnostics_status"))
		which = S_CH_SET_DIAG;
	else
		return -1;
	sqlite3_stmt *s = stmt(st, which);
	bind_text(s, 1, id);
	bind_text(s, 2, value);
	return exec_write(st, s, "charger field");
}

static void add_str_or_null(cJSON *o, const char *key, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

static void add_time_or_null(cJSON *o, const char *key, sqlite3_stmt *s, int col)
{
	char buf[40];
	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddStringToObject(o, key, time_format_iso(sqlite3_column_int64(s, col), buf, sizeof buf));
}

static cJSON *connectors_json(struct store *st, const char *charger)
{
	cJSON *arr = cJSON_CreateArray();
	sqlite3_stmt *s = stmt(st, S_CONN_LIST);
	bind_text(s, 1, charger);
	while (sqlite3_step(s) == SQLITE_ROW) {
		cJSON *c = cJSON_CreateObject();
		cJSON_AddNumberToObject(c, "connectorId", sqlite3_column_int(s, 0));
		add_str_or_null(c, "status", col_text(s, 1));
		add_str_or_null(c, "errorCode", col_text(s, 2));
		add_str_or_null(c, "info", col_text(s, 3));
		add_str_or_null(c, "vendorId", col_text(s, 4));
		add_str_or_null(c, "vendorErrorCode", col_text(s, 5));
		add_str_or_null(c, "timestamp", col_text(s, 6));
		cJSON_AddItemToArray(arr, c);
	}
	sqlite3_reset(s);
	return arr;
}

cJSON *store_charger_json(struct store *st, const char *id)
{
	cJSON *arr = cJSON_CreateArray();
	sqlite3_stmt *s = stmt(st, S_CH_LIST);
	bind_text(s, 1, id);
	/* Collect rows first: connectors_json reuses another statement. */
	while (sqlite3_step(s) == SQLITE_ROW) {
		cJSON *c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "id", col_text(s, 0));
		int reg = sqlite3_column_int(s, 1);
		cJSON_AddStringToObject(c, "registration", store_registration_names[reg >= 0 && reg <= 2 ? reg : 3]);
		add_str_or_null(c, "vendor", col_text(s, 2));
		add_str_or_null(c, "model", col_text(s, 3));
		add_str_or_null(c, "firmware", col_text(s, 4));
		add_str_or_null(c, "serial", col_text(s, 5));
		add_time_or_null(c, "lastSeen", s, 6);
		cJSON *settings = col_text(s, 7) ? cJSON_Parse(col_text(s, 7)) : NULL;
		cJSON_AddItemToObject(c, "settings", settings ? settings : cJSON_CreateObject());
		add_str_or_null(c, "firmwareStatus", col_text(s, 8));
		add_str_or_null(c, "diagnosticsStatus", col_text(s, 9));
		add_str_or_null(c, "meterType", col_text(s, 10));
		add_str_or_null(c, "meterSerial", col_text(s, 11));
		cJSON_AddItemToArray(arr, c);
	}
	sqlite3_reset(s);
	cJSON *c;
	cJSON_ArrayForEach(c, arr)
		cJSON_AddItemToObject(c, "connectors",
				      connectors_json(st, cJSON_GetObjectItem(c, "id")->valuestring));
	if (!id)
		return arr;
	cJSON *one = cJSON_DetachItemFromArray(arr, 0);
	cJSON_Delete(arr);
	return one;
}

int store_connector_status(struct store *st, const char *charger, int connector,
			   const cJSON *req, int64_t now_ms)
{
	sqlite3_stmt *s = stmt(st, S_CONN_SET);
	bind_text(s, 1, charger);
	sqlite3_bind_int(s, 2, connector);
	bind_json_str(s, 3, req, "status");
	bind_json_str(s, 4, req, "errorCode");
	bind_json_str(s, 5, req, "info");
	bind_json_str(s, 6, req, "vendorId");
	bind_json_str(s, 7, req, "vendorErrorCode");
	bind_json_str(s, 8, req, "timestamp");
	sqlite3_bind_int64(s, 9, now_ms);
	return exec_write(st, s, "connector status");
}

/* ---- id tags ---- */

int store_idtag_get(struct store *st, const char *tag, struct store_idtag *out)
{
	sqlite3_stmt *s = stmt(st, S_TAG_GET);
	bind_text(s, 1, tag);
	int rc = sqlite3_step(s);
	memset(out, 0, sizeof *out);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return rc == SQLITE_DONE ? 1 : -1;
	}
	snprintf(out->id_tag, sizeof out->id_tag, "%s", tag);
	copy_col(out->status, sizeof out->status, s, 0);
	out->expiry_ms = sqlite3_column_int64(s, 1);
	copy_col(out->parent, sizeof out->parent, s, 2);
	out->max_active = sqlite3_column_int(s, 3);
	out->nchargers = sqlite3_column_int(s, 4);
	sqlite3_reset(s);
	return 0;
}

int store_idtag_put(struct store *st, const struct store_idtag *t, const cJSON *chargers)
{
	sqlite3_stmt *s = stmt(st, S_TAG_PUT);
	bind_text(s, 1, t->id_tag);
	bind_text(s, 2, t->status);
	sqlite3_bind_int64(s, 3, t->expiry_ms);
	bind_text(s, 4, t->parent);
	sqlite3_bind_int(s, 5, t->max_active);
	if (exec_write(st, s, "tag put"))
		return -1;
	s = stmt(st, S_TAG_UNBIND);
	bind_text(s, 1, t->id_tag);
	if (exec_write(st, s, "tag unbind"))
		return -1;
	const cJSON *c;
	cJSON_ArrayForEach(c, chargers) {
		if (!cJSON_IsString(c))
			continue;
		s = stmt(st, S_TAG_BIND);
		bind_text(s, 1, t->id_tag);
		bind_text(s, 2, c->valuestring);
		if (exec_write(st, s, "tag bind"))
			return -1;
	}
	return 0;
}

int store_idtag_delete(struct store *st, const char *tag)
{
	sqlite3_stmt *s = stmt(st, S_TAG_DEL);
	bind_text(s, 1, tag);
	if (exec_write(st, s, "tag delete"))
		return -1;
	return sqlite3_changes(st->db) ? 0 : 1;
}

int store_idtag_bound_to(struct store *st, const char *tag, const char *charger)
{
	sqlite3_stmt *s = stmt(st, S_TAG_BOUND);
	bind_text(s, 1, tag);
	bind_text(s, 2, charger);
	int found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_reset(s);
	return found;
}

cJSON *store_idtag_json(struct store *st, const char *tag)
{
	cJSON *arr = cJSON_CreateArray();
	char buf[40];
	sqlite3_stmt *s = stmt(st, S_TAG_LIST);
	bind_text(s, 1, tag);
	while (sqlite3_step(s) == SQLITE_ROW) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "idTag", col_text(s, 0));
		cJSON_AddStringToObject(o, "status", col_text(s, 1));
		int64_t exp = sqlite3_column_int64(s, 2);
		if (exp)
			cJSON_AddStringToObject(o, "expiryDate", time_format_iso(exp, buf, sizeof buf));
		else
			cJSON_AddNullToObject(o, "expiryDate");
		const char *parent = col_text(s, 3);
		add_str_or_null(o, "parentIdTag", parent && *parent ? parent : NULL);
		int max = sqlite3_column_int(s, 4);
		if (max)
			cJSON_AddNumberToObject(o, "maxActiveTransactions", max);
		else
			cJSON_AddNullToObject(o, "maxActiveTransactions");
		cJSON_AddItemToArray(arr, o);
	}
	sqlite3_reset(s);
	cJSON *o;
	cJSON_ArrayForEach(o, arr) {
		cJSON *ch = cJSON_CreateArray();
		s = stmt(st, S_TAG_CHARGERS);
		bind_text(s, 1, cJSON_GetObjectItem(o, "idTag")->valuestring);
		while (sqlite3_step(s) == SQLITE_ROW)
			cJSON_AddItemToArray(ch, cJSON_CreateString(col_text(s, 0)));
		sqlite3_reset(s);
		cJSON_AddItemToObject(o, "chargers", ch);
	}
	if (!tag)
		return arr;
	cJSON *one = cJSON_DetachItemFromArray(arr, 0);
	cJSON_Delete(arr);
	return one;
}

int store_active_tx_count(struct store *st, const char *tag)
{
	sqlite3_stmt *s = stmt(st, S_TX_ACTIVE_COUNT);
	bind_text(s, 1, tag);
	int n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
	sqlite3_reset(s);
	return n;
}

/* ---- transactions ---- */

int store_tx_find(struct store *st, const struct store_tx_start *t, int64_t *tx_id,
		  char auth_status[16])
{
	sqlite3_stmt *s = stmt(st, S_TX_FIND);
	bind_text(s, 1, t->charger);
	sqlite3_bind_int(s, 2, t->connector);
	bind_text(s, 3, t->id_tag);
	sqlite3_bind_int64(s, 4, t->meter_start);
	bind_text(s, 5, t->timestamp);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*tx_id = sqlite3_column_int64(s, 0);
		copy_col(auth_status, 16, s, 1);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int store_tx_start(struct store *st, const struct store_tx_start *t, int64_t *tx_id, int *retry)
{
	char status[16];
	int rc = store_tx_find(st, t, tx_id, status);
	if (rc <= 0) {
		*retry = rc == 0;
		return rc;
	}
	*retry = 0;
	sqlite3_stmt *s = stmt(st, S_TX_INSERT);
	bind_text(s, 1, t->charger);
	sqlite3_bind_int(s, 2, t->connector);
	bind_text(s, 3, t->id_tag);
	bind_text(s, 4, t->auth_status);
	if (t->reservation_id >= 0)
		sqlite3_bind_int(s, 5, t->reservation_id);
	bind_text(s, 6, t->timestamp);
	sqlite3_bind_int64(s, 7, t->start_ms);
	sqlite3_bind_int64(s, 8, t->meter_start);
	if (exec_write(st, s, "transaction start"))
		return -1;
	*tx_id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

static int orphan_stop(struct store *st, const struct store_tx_stop *t, const char *outcome, int64_t now)
{
	sqlite3_stmt *s = stmt(st, S_ORPHAN_STOP);
	bind_text(s, 1, t->charger);
	sqlite3_bind_int64(s, 2, t->tx_id);
	bind_text(s, 3, t->id_tag);
	bind_text(s, 4, t->timestamp);
	sqlite3_bind_int64(s, 5, t->meter_stop);
	bind_text(s, 6, t->reason);
	bind_text(s, 7, outcome);
	sqlite3_bind_int64(s, 8, now);
	return exec_write(st, s, "orphan stop");
}

int store_tx_stop(struct store *st, const struct store_tx_stop *t, enum store_stop_outcome *outcome)
{
	sqlite3_stmt *s = stmt(st, S_TX_STOP);
	sqlite3_bind_int64(s, 1, t->tx_id);
	bind_text(s, 2, t->timestamp);
	sqlite3_bind_int64(s, 3, t->stop_ms);
	sqlite3_bind_int64(s, 4, t->meter_stop);
	bind_text(s, 5, t->reason ? t->reason : "Local");
	bind_text(s, 6, t->id_tag);
	bind_text(s, 7, t->charger);
	if (exec_write(st, s, "transaction stop"))
		return -1;
	if (sqlite3_changes(st->db)) {
		*outcome = STOP_OK;
		return 0;
	}
	/* Not active: the same stop sent again, a second stop, or unknown. */
	s = stmt(st, S_TX_STOPPED);
	sqlite3_bind_int64(s, 1, t->tx_id);
	bind_text(s, 2, t->charger);
	if (sqlite3_step(s) == SQLITE_ROW) {
		int same = sqlite3_column_int64(s, 0) == t->meter_stop && col_text(s, 1) &&
			   t->timestamp && !strcmp(col_text(s, 1), t->timestamp);
		sqlite3_reset(s);
		*outcome = same ? STOP_RETRY : STOP_ALREADY;
	} else {
		sqlite3_reset(s);
		*outcome = STOP_UNKNOWN;
	}
	if (*outcome == STOP_RETRY)
		return 0;
	return orphan_stop(st, t, *outcome == STOP_ALREADY ? "already stopped" : "unknown transaction",
			   time_now_ms());
}

int store_tx_get_tag(struct store *st, int64_t tx_id, char tag[STORE_TAG_MAX], int *active)
{
	sqlite3_stmt *s = stmt(st, S_TX_TAG);
	sqlite3_bind_int64(s, 1, tx_id);
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return 1;
	}
	copy_col(tag, STORE_TAG_MAX, s, 0);
	*active = sqlite3_column_int(s, 1);
	sqlite3_reset(s);
	return 0;
}

int store_meter_value(struct store *st, const char *charger, int connector, int64_t tx_id,
		      const char *timestamp, int64_t ts_ms, const char *sampled_json, const char *source)
{
	sqlite3_stmt *s = stmt(st, S_MV_INSERT);
	bind_text(s, 1, charger);
	sqlite3_bind_int(s, 2, connector);
	if (tx_id > 0)
		sqlite3_bind_int64(s, 3, tx_id);
	bind_text(s, 4, timestamp);
	sqlite3_bind_int64(s, 5, ts_ms);
	bind_text(s, 6, source);
	bind_text(s, 7, sampled_json);
	return exec_write(st, s, "meter value");
}

static cJSON *tx_row(sqlite3_stmt *s)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)sqlite3_column_int64(s, 0));
	cJSON_AddStringToObject(o, "charger", col_text(s, 1));
	cJSON_AddNumberToObject(o, "connectorId", sqlite3_column_int(s, 2));
	cJSON_AddStringToObject(o, "idTag", col_text(s, 3));
	add_str_or_null(o, "start", col_text(s, 4));
	add_str_or_null(o, "stop", col_text(s, 5));
	cJSON_AddNumberToObject(o, "meterStart", (double)sqlite3_column_int64(s, 6));
	int stopped = sqlite3_column_type(s, 7) != SQLITE_NULL;
	if (stopped) {
		cJSON_AddNumberToObject(o, "meterStop", (double)sqlite3_column_int64(s, 7));
		cJSON_AddNumberToObject(o, "energyWh",
					(double)(sqlite3_column_int64(s, 7) - sqlite3_column_int64(s, 6)));
	} else {
		cJSON_AddNullToObject(o, "meterStop");
		cJSON_AddNullToObject(o, "energyWh");
	}
	add_str_or_null(o, "stopReason", col_text(s, 8));
	add_str_or_null(o, "authStatus", col_text(s, 9));
	if (sqlite3_column_type(s, 10) != SQLITE_NULL)
		cJSON_AddNumberToObject(o, "reservationId", sqlite3_column_int(s, 10));
	return o;
}

static cJSON *tx_query(struct store *st, const struct store_tx_filter *f, int64_t id)
{
	cJSON *arr = cJSON_CreateArray();
	sqlite3_stmt *s = stmt(st, S_TX_LIST);
	bind_text(s, 1, f ? f->charger : NULL);
	bind_text(s, 2, f ? f->id_tag : NULL);
	if (f && f->active >= 0)
		sqlite3_bind_int(s, 3, f->active);
	if (f && f->from_ms)
		sqlite3_bind_int64(s, 4, f->from_ms);
	if (f && f->to_ms)
		sqlite3_bind_int64(s, 5, f->to_ms);
	if (id)
		sqlite3_bind_int64(s, 6, id);
	sqlite3_bind_int(s, 7, f && f->limit > 0 ? f->limit : -1);
	while (sqlite3_step(s) == SQLITE_ROW)
		cJSON_AddItemToArray(arr, tx_row(s));
	sqlite3_reset(s);
	return arr;
}

cJSON *store_tx_list(struct store *st, const struct store_tx_filter *f)
{
	return tx_query(st, f, 0);
}

cJSON *store_tx_json(struct store *st, int64_t tx_id)
{
	cJSON *arr = tx_query(st, NULL, tx_id);
	cJSON *o = cJSON_DetachItemFromArray(arr, 0);
	cJSON_Delete(arr);
	if (!o)
		return NULL;
	cJSON *mvs = cJSON_AddArrayToObject(o, "meterValues");
	sqlite3_stmt *s = stmt(st, S_TX_MV);
	sqlite3_bind_int64(s, 1, tx_id);
	while (sqlite3_step(s) == SQLITE_ROW) {
		cJSON *mv = cJSON_CreateObject();
		cJSON_AddStringToObject(mv, "timestamp", col_text(s, 0));
		cJSON_AddStringToObject(mv, "source", col_text(s, 1));
		cJSON *sv = cJSON_Parse(col_text(s, 2));
		cJSON_AddItemToObject(mv, "sampledValue", sv ? sv : cJSON_CreateArray());
		cJSON_AddItemToArray(mvs, mv);
	}
	sqlite3_reset(s);
	return o;
}

int store_event(struct store *st, const char *charger, const char *action,
		const char *payload_json, int64_t now_ms)
{
	sqlite3_stmt *s = stmt(st, S_EV_INSERT);
	bind_text(s, 1, charger);
	bind_text(s, 2, action);
	sqlite3_bind_int64(s, 3, now_ms);
	bind_text(s, 4, payload_json);
	return exec_write(st, s, "event");
}

cJSON *store_events_json(struct store *st, const char *charger, const char *action, int limit)
{
	cJSON *arr = cJSON_CreateArray();
	char buf[40];
	sqlite3_stmt *s = stmt(st, S_EV_LIST);
	bind_text(s, 1, charger);
	bind_text(s, 2, action);
	sqlite3_bind_int(s, 3, limit > 0 ? limit : 100);
	while (sqlite3_step(s) == SQLITE_ROW) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "charger", col_text(s, 0));
		cJSON_AddStringToObject(o, "action", col_text(s, 1));
		cJSON_AddStringToObject(o, "received", time_format_iso(sqlite3_column_int64(s, 2), buf, sizeof buf));
		cJSON *p = cJSON_Parse(col_text(s, 3));
		cJSON_AddItemToObject(o, "payload", p ? p : cJSON_CreateNull());
		cJSON_AddItemToArray(arr, o);
	}
	sqlite3_reset(s);
	return arr;
}
