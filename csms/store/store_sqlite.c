/* store_sqlite.c: the embedded SQLite store. WAL with synchronous=FULL,
 * numbered migrations, every statement prepared once at open, writes
 * grouped into one transaction per loop turn (store_commit). */
#include "store_backend.h"
#include "log.h"
#include "timeutil.h"

#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	/* 1 -> 2: what CS-initiated calls did (audit) and what their answers
	 * mean (configuration, availability, reservations, local lists,
	 * charging profiles), and alarms. */
	"CREATE TABLE audit ("
	" id INTEGER PRIMARY KEY, charger TEXT NOT NULL, action TEXT NOT NULL, message_id TEXT,"
	" source TEXT NOT NULL, queued_ms INTEGER NOT NULL, sent_ms INTEGER, done_ms INTEGER NOT NULL,"
	" latency_ms INTEGER, request TEXT NOT NULL, outcome TEXT NOT NULL, response TEXT,"
	" error_code TEXT, error_description TEXT);"
	"CREATE INDEX audit_charger ON audit(charger, id);"
	"CREATE INDEX audit_action ON audit(action, id);"
	"CREATE TABLE charger_config ("
	" charger TEXT NOT NULL, key TEXT NOT NULL, value TEXT, readonly INTEGER, status TEXT,"
	" requested TEXT, updated_ms INTEGER NOT NULL, PRIMARY KEY (charger, key));"
	"CREATE TABLE availability ("
	" charger TEXT NOT NULL, connector_id INTEGER NOT NULL, type TEXT NOT NULL, status TEXT NOT NULL,"
	" changed_ms INTEGER NOT NULL, PRIMARY KEY (charger, connector_id));"
	"CREATE TABLE reservations ("
	" charger TEXT NOT NULL, reservation_id INTEGER NOT NULL, connector_id INTEGER NOT NULL,"
	" id_tag TEXT NOT NULL, parent_id_tag TEXT, expiry_ms INTEGER NOT NULL, status TEXT NOT NULL,"
	" created_ms INTEGER NOT NULL, ended_ms INTEGER, transaction_id INTEGER,"
	" PRIMARY KEY (charger, reservation_id));"
	"CREATE INDEX reservations_open ON reservations(expiry_ms) WHERE status='Reserved';"
	"CREATE TABLE local_lists ("
	" charger TEXT PRIMARY KEY, version INTEGER NOT NULL, update_type TEXT, updated_ms INTEGER,"
	" reported_version INTEGER, reported_ms INTEGER);"
	"CREATE TABLE local_list_entries ("
	" charger TEXT NOT NULL, id_tag TEXT NOT NULL, status TEXT NOT NULL, expiry_ms INTEGER NOT NULL "
	"DEFAULT 0,"
	" parent TEXT NOT NULL DEFAULT '', PRIMARY KEY (charger, id_tag));"
	"CREATE TABLE charging_profiles ("
	" charger TEXT NOT NULL, profile_id INTEGER NOT NULL, connector_id INTEGER NOT NULL,"
	" purpose TEXT NOT NULL, stack_level INTEGER NOT NULL, transaction_id INTEGER,"
	" profile TEXT NOT NULL, installed_ms INTEGER NOT NULL, PRIMARY KEY (charger, profile_id));"
	"CREATE TABLE alarms ("
	" id INTEGER PRIMARY KEY, source TEXT NOT NULL, charger TEXT NOT NULL, connector_id INTEGER,"
	" code TEXT NOT NULL, info TEXT, vendor_id TEXT, vendor_error_code TEXT,"
	" raised_ms INTEGER NOT NULL, cleared_ms INTEGER);"
	"CREATE INDEX alarms_active ON alarms(charger, source) WHERE cleared_ms IS NULL;",
	/* 2 -> 3: a meterValue element sent again (a charger that lost our
	 * answer) is stored once: one row per time and digest of charger,
	 * connector, transaction, timestamp, source and sampled values
	 * (mv_digest). The key is short whatever a charger sends, and led by
	 * the time it grows at its end, where every charger's new rows share
	 * the few pages a turn's commit writes. Copies already stored go.
	 * Open transactions are found per charger at start. */
	"ALTER TABLE meter_values ADD COLUMN digest BLOB;"
	"UPDATE meter_values SET digest = csms_mv_digest(charger, connector_id, transaction_id, timestamp,"
	" source, sampled);"
	"DELETE FROM meter_values WHERE id NOT IN (SELECT min(id) FROM meter_values"
	" GROUP BY charger, connector_id, transaction_id, timestamp, source, sampled);"
	"CREATE UNIQUE INDEX meter_values_once ON meter_values(ts_ms, digest);"
	"CREATE INDEX transactions_open ON transactions(charger, connector_id) WHERE stop_ms IS NULL;",
	/* 3 -> 4: counting pending chargers at each unknown handshake
	 * (max_pending_chargers) reads an index, not the table; who closed a
	 * transaction (NULL: the charger's StopTransaction, 'admin'). */
	"CREATE INDEX chargers_registration ON chargers(registration);"
	"ALTER TABLE transactions ADD COLUMN stop_source TEXT;",
	/* 4 -> 5: the station's measured history, one row per bucket of res
	 * seconds starting at t (unix s, the station's clock): integrals
	 * (W.s as integers, SOC %.s, phase A.s) and the seconds covered, so
	 * that merging is adding (csms/glue/history.c); the key is the bucket,
	 * so a bucket written again replaces its row. A transaction's running
	 * figures: its latest energy register, cost, and the energy of known
	 * origin with the part from PV or the battery. */
	"CREATE TABLE history ("
	" res INTEGER NOT NULL, t INTEGER NOT NULL, cover REAL NOT NULL,"
	" pv INTEGER, load INTEGER, bat_in INTEGER, bat_out INTEGER, imp INTEGER, exp INTEGER,"
	" ev INTEGER, soc REAL, ia1 REAL, ia2 REAL, ia3 REAL, icover REAL, peak INTEGER, cost REAL,"
	" chargers TEXT, PRIMARY KEY (res, t)) WITHOUT ROWID;"
	"ALTER TABLE transactions ADD COLUMN meter_last REAL;"
	"ALTER TABLE transactions ADD COLUMN meter_last_ms INTEGER;"
	"ALTER TABLE transactions ADD COLUMN cost REAL;"
	"ALTER TABLE transactions ADD COLUMN pv_wh REAL;"
	"ALTER TABLE transactions ADD COLUMN shared_wh REAL;",
	/* 5 -> 6: a fleet of nodes on one database (PostgreSQL): the nodes'
	 * heartbeats, which node holds which charger (a lease), and bus
	 * messages too big for a notification. One SQLite node never uses
	 * them; they exist so that both stores have the same schema. */
	"CREATE TABLE node (id TEXT PRIMARY KEY, started_ms INTEGER NOT NULL, beat_ms INTEGER NOT NULL);"
	"CREATE TABLE charger_node (charger TEXT PRIMARY KEY, node TEXT NOT NULL,"
	" lease_until_ms INTEGER NOT NULL);"
	"CREATE INDEX charger_node_node ON charger_node(node);"
	"CREATE TABLE bus_message (id INTEGER PRIMARY KEY, created_ms INTEGER NOT NULL, payload TEXT NOT "
	"NULL);",
	/* 6 -> 7: a fleet's sites (issue 15): each with a name and its DLM
	 * settings (JSON text: config key -> value text); the default site,
	 * whose settings stay in meta "dlm". A charger belongs to the site of
	 * its charger_site row, to the default one without a row: every
	 * charger stored before lands there. IF NOT EXISTS: a database set
	 * back to an older version (tests) runs it again. */
	"CREATE TABLE IF NOT EXISTS sites (id TEXT PRIMARY KEY, name TEXT NOT NULL, settings TEXT NOT NULL,"
	" created_ms INTEGER NOT NULL);"
	"INSERT OR IGNORE INTO sites(id, name, settings, created_ms) VALUES('default', 'Default', '{}', 0);"
	"CREATE TABLE IF NOT EXISTS charger_site (charger TEXT PRIMARY KEY, site TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS charger_site_site ON charger_site(site);",
};
#define NMIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

/* Every statement, prepared once at open. */
#define STMTS(X)                                                                                             \
	X(BEGIN, "BEGIN IMMEDIATE")                                                                          \
	X(COMMIT, "COMMIT")                                                                                  \
	X(ROLLBACK, "ROLLBACK")                                                                              \
	X(META_GET, "SELECT value FROM meta WHERE key=?1")                                                   \
	X(META_SET,                                                                                          \
	  "INSERT INTO meta(key,value) VALUES(?1,?2) ON CONFLICT(key) DO UPDATE SET value=excluded.value")   \
	X(META_DELETE, "DELETE FROM meta WHERE key=?1")                                                      \
	X(CH_GET,                                                                                            \
	  "SELECT c.registration, c.auth_key_hash, c.last_seen_ms, c.settings, coalesce(s.site, 'default')"  \
	  " FROM chargers c LEFT JOIN charger_site s ON s.charger=c.id WHERE c.id=?1")                       \
	X(SITE_LIST,                                                                                         \
	  "SELECT s.id, s.name, s.settings, s.created_ms, (SELECT count(*) FROM chargers c"                  \
	  " LEFT JOIN charger_site cs ON cs.charger=c.id WHERE coalesce(cs.site, 'default')=s.id)"           \
	  " FROM sites s WHERE (?1 IS NULL OR s.id=?1) ORDER BY s.id")                                       \
	X(SITE_PUT,                                                                                          \
	  "INSERT INTO sites(id, name, settings, created_ms) VALUES(?1,?2,?3,?4)"                            \
	  " ON CONFLICT(id) DO UPDATE SET name=excluded.name, settings=excluded.settings")                   \
	X(SITE_HAS, "SELECT count(*) FROM sites WHERE id=?1")                                                \
	X(SITE_USED,                                                                                         \
	  "SELECT count(*) FROM charger_site cs JOIN chargers c ON c.id=cs.charger WHERE cs.site=?1")        \
	X(SITE_DEL, "DELETE FROM sites WHERE id=?1")                                                         \
	X(CH_SET_SITE,                                                                                       \
	  "INSERT INTO charger_site(charger, site) VALUES(?1,?2)"                                            \
	  " ON CONFLICT(charger) DO UPDATE SET site=excluded.site")                                          \
	X(CH_DEL_SITE, "DELETE FROM charger_site WHERE charger=?1")                                          \
	X(CH_INSERT, "INSERT OR IGNORE INTO chargers(id, registration, first_seen_ms) VALUES(?1,?2,?3)")     \
	X(CH_BOOT,                                                                                           \
	  "UPDATE chargers SET vendor=?2, model=?3, serial=?4, cb_serial=?5, firmware=?6,"                   \
	  " iccid=?7, imsi=?8, meter_type=?9, meter_serial=?10, last_seen_ms=?11, last_boot_ms=?11 WHERE "   \
	  "id=?1")                                                                                           \
	X(CH_SET_REG, "UPDATE chargers SET registration=?2 WHERE id=?1")                                     \
	X(CH_SEEN, "UPDATE chargers SET last_seen_ms=?2 WHERE id=?1")                                        \
	X(CH_SET_SETTINGS,                                                                                   \
	  "UPDATE chargers SET settings=?2, auth_key_hash=coalesce(?3, auth_key_hash) WHERE id=?1")          \
	X(CH_SET_KEY, "UPDATE chargers SET auth_key_hash=?2 WHERE id=?1")                                    \
	X(CH_SET_FW, "UPDATE chargers SET firmware_status=?2 WHERE id=?1")                                   \
	X(CH_SET_DIAG, "UPDATE chargers SET diagnostics_status=?2 WHERE id=?1")                              \
	X(CH_LIST,                                                                                           \
	  "SELECT id, registration, vendor, model, firmware, serial, last_seen_ms, settings,"                \
	  " firmware_status, diagnostics_status, meter_type, meter_serial FROM chargers WHERE (?1 IS NULL "  \
	  "OR id=?1) ORDER BY id")                                                                           \
	X(CONN_LIST,                                                                                         \
	  "SELECT connector_id, status, error_code, info, vendor_id, vendor_error_code, timestamp"           \
	  " FROM connectors WHERE charger=?1 ORDER BY connector_id")                                         \
	X(CONN_SET,                                                                                          \
	  "INSERT INTO connectors(charger, connector_id, status, error_code, info, vendor_id,"               \
	  " vendor_error_code, timestamp, updated_ms) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)"                    \
	  " ON CONFLICT(charger, connector_id) DO UPDATE SET status=excluded.status, "                       \
	  "error_code=excluded.error_code,"                                                                  \
	  " info=excluded.info, vendor_id=excluded.vendor_id, vendor_error_code=excluded.vendor_error_code," \
	  " timestamp=excluded.timestamp, updated_ms=excluded.updated_ms")                                   \
	X(TAG_GET,                                                                                           \
	  "SELECT status, expiry_ms, parent, max_active,"                                                    \
	  " (SELECT count(*) FROM id_tag_chargers c WHERE c.id_tag=t.id_tag) FROM id_tags t WHERE "          \
	  "id_tag=?1")                                                                                       \
	X(TAG_PUT,                                                                                           \
	  "INSERT INTO id_tags(id_tag, status, expiry_ms, parent, max_active) VALUES(?1,?2,?3,?4,?5)"        \
	  " ON CONFLICT(id_tag) DO UPDATE SET status=excluded.status, expiry_ms=excluded.expiry_ms,"         \
	  " parent=excluded.parent, max_active=excluded.max_active")                                         \
	X(TAG_DEL, "DELETE FROM id_tags WHERE id_tag=?1")                                                    \
	X(TAG_UNBIND, "DELETE FROM id_tag_chargers WHERE id_tag=?1")                                         \
	X(TAG_BIND, "INSERT OR IGNORE INTO id_tag_chargers(id_tag, charger) VALUES(?1,?2)")                  \
	X(TAG_BOUND, "SELECT 1 FROM id_tag_chargers WHERE id_tag=?1 AND charger=?2")                         \
	X(TAG_LIST,                                                                                          \
	  "SELECT id_tag, status, expiry_ms, parent, max_active,"                                            \
	  " (SELECT count(*) FROM id_tag_chargers c WHERE c.id_tag=t.id_tag) FROM id_tags t"                 \
	  " WHERE (?1 IS NULL OR id_tag=?1) ORDER BY id_tag")                                                \
	X(TAG_CHARGERS, "SELECT charger FROM id_tag_chargers WHERE id_tag=?1 ORDER BY charger")              \
	X(TX_ACTIVE_COUNT, "SELECT count(*) FROM transactions WHERE id_tag=?1 AND stop_ms IS NULL")          \
	X(TX_FIND,                                                                                           \
	  "SELECT id, auth_status FROM transactions WHERE charger=?1 AND connector_id=?2 AND id_tag=?3 AND " \
	  "meter_start=?4 AND start_ts=?5")                                                                  \
	X(TX_INSERT,                                                                                         \
	  "INSERT INTO transactions(charger, connector_id, id_tag, auth_status, reservation_id, start_ts,"   \
	  " start_ms, meter_start) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)")                                         \
	X(TX_STOP,                                                                                           \
	  "UPDATE transactions SET stop_ts=?2, stop_ms=?3, meter_stop=?4, stop_reason=?5, stop_id_tag=?6"    \
	  " WHERE id=?1 AND charger=?7 AND stop_ms IS NULL")                                                 \
	X(TX_STOPPED, "SELECT meter_stop, stop_ts FROM transactions WHERE id=?1 AND charger=?2")             \
	X(TX_TAG, "SELECT id_tag, stop_ms IS NULL FROM transactions WHERE id=?1")                            \
	X(TX_CONN, "SELECT connector_id FROM transactions WHERE id=?1 AND charger=?2")                       \
	X(TX_OPEN,                                                                                           \
	  "SELECT id, connector_id, id_tag, start_ms FROM transactions WHERE charger=?1 AND stop_ms IS NULL" \
	  " ORDER BY id")                                                                                    \
	X(TX_ADMIN_STOP,                                                                                     \
	  "UPDATE transactions SET stop_ts=?2, stop_ms=?3, meter_stop=?4, stop_reason=?5,"                   \
	  " stop_source='admin' WHERE id=?1 AND stop_ms IS NULL")                                            \
	X(ORPHAN_STOP,                                                                                       \
	  "INSERT INTO orphan_stops(charger, transaction_id, id_tag, stop_ts, meter_stop, reason, outcome,"  \
	  " received_ms) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)")                                                   \
	X(MV_INSERT,                                                                                         \
	  "INSERT INTO meter_values(charger, connector_id, transaction_id, timestamp, ts_ms, source, "       \
	  "sampled,"                                                                                         \
	  " digest) VALUES(?1,?2,?3,?4,?5,?6,?7,?8) ON CONFLICT DO NOTHING")                                 \
	X(TX_LIST,                                                                                           \
	  "SELECT id, charger, connector_id, id_tag, start_ts, stop_ts, meter_start, meter_stop, "           \
	  "stop_reason,"                                                                                     \
	  " auth_status, reservation_id, stop_source, meter_last, cost, pv_wh, shared_wh FROM transactions"  \
	  " WHERE (?1 IS NULL OR charger=?1) AND (?2 IS NULL OR id_tag=?2)"                                  \
	  " AND (?3 IS NULL OR (stop_ms IS NULL) = ?3) AND (?4 IS NULL OR start_ms >= ?4)"                   \
	  " AND (?5 IS NULL OR start_ms < ?5) AND (?6 IS NULL OR id = ?6) ORDER BY id LIMIT ?7")             \
	X(TX_METER_GET,                                                                                      \
	  "SELECT charger, connector_id, stop_ms IS NULL, meter_start, start_ms, meter_last, meter_last_ms," \
	  " cost, pv_wh, shared_wh FROM transactions WHERE id=?1")                                           \
	X(TX_METER_SET,                                                                                      \
	  "UPDATE transactions SET meter_last=?2, meter_last_ms=?3, cost=?4, pv_wh=?5, shared_wh=?6 WHERE "  \
	  "id=?1")                                                                                           \
	X(HIST_PUT,                                                                                          \
	  "INSERT OR REPLACE INTO history(res, t, cover, pv, load, bat_in, bat_out, imp, exp, ev, soc, ia1," \
	  " ia2, ia3, icover, peak, cost, chargers) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,"  \
	  "?15,?16,?17,?18)")                                                                                \
	X(HIST_LIST,                                                                                         \
	  "SELECT res, t, cover, pv, load, bat_in, bat_out, imp, exp, ev, soc, ia1, ia2, ia3, icover, peak," \
	  " cost, chargers FROM history WHERE res=?1 AND t >= ?2 AND t < ?3 ORDER BY t")                     \
	X(HIST_PRUNE, "DELETE FROM history WHERE res=?1 AND t < ?2")                                         \
	X(TX_MV,                                                                                             \
	  "SELECT timestamp, source, sampled, connector_id FROM meter_values WHERE transaction_id=?1 ORDER " \
	  "BY id")                                                                                           \
	X(EV_INSERT, "INSERT INTO events(charger, action, received_ms, payload) VALUES(?1,?2,?3,?4)")        \
	X(EV_FIRMWARE,                                                                                       \
	  "SELECT action, received_ms, payload FROM events WHERE charger=?1 AND action IN"                   \
	  " ('FirmwareStatusNotification','DiagnosticsStatusNotification','"                                 \
	  "SignedFirmwareStatusNotification',"                                                               \
	  " 'LogStatusNotification') ORDER BY id DESC LIMIT ?2")                                             \
	X(CH_IDS, "SELECT id FROM chargers WHERE registration=0 ORDER BY id")                                \
	X(CH_COUNT_REG, "SELECT count(*) FROM chargers WHERE registration=?1")                               \
	X(CH_DEL, "DELETE FROM chargers WHERE id=?1")                                                        \
	X(CH_DEL_CONN, "DELETE FROM connectors WHERE charger=?1")                                            \
	X(CH_DEL_PROF, "DELETE FROM charging_profiles WHERE charger=?1")                                     \
	X(CH_DEL_CFG, "DELETE FROM charger_config WHERE charger=?1")                                         \
	X(CH_DEL_AV, "DELETE FROM availability WHERE charger=?1")                                            \
	X(CH_DEL_LL, "DELETE FROM local_lists WHERE charger=?1")                                             \
	X(CH_DEL_LLE, "DELETE FROM local_list_entries WHERE charger=?1")                                     \
	X(CH_DEL_RES,                                                                                        \
	  "UPDATE reservations SET status='Cancelled', ended_ms=?2 WHERE charger=?1 AND status='Reserved'")  \
	X(CH_DEL_ALARMS, "UPDATE alarms SET cleared_ms=?2 WHERE charger=?1 AND cleared_ms IS NULL")          \
	X(COUNTS,                                                                                            \
	  "SELECT (SELECT count(*) FROM chargers), (SELECT count(*) FROM transactions WHERE stop_ms IS "     \
	  "NULL),"                                                                                           \
	  " (SELECT total(meter_stop - meter_start) FROM transactions WHERE stop_ms IS NOT NULL AND "        \
	  "meter_stop >= meter_start),"                                                                      \
	  " (SELECT count(*) FROM alarms WHERE cleared_ms IS NULL)")                                         \
	X(AUDIT_ADD,                                                                                         \
	  "INSERT INTO audit(charger, action, message_id, source, queued_ms, sent_ms, done_ms, latency_ms,"  \
	  " request, outcome, response, error_code, error_description) "                                     \
	  "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)")                                              \
	X(AUDIT_LIST,                                                                                        \
	  "SELECT id, charger, action, message_id, source, queued_ms, sent_ms, done_ms, latency_ms, "        \
	  "request,"                                                                                         \
	  " outcome, response, error_code, error_description FROM audit"                                     \
	  " WHERE (?1 IS NULL OR charger=?1) AND (?2 IS NULL OR action=?2) ORDER BY id DESC LIMIT ?3")       \
	X(AUDIT_COUNT,                                                                                       \
	  "SELECT count(*) FROM audit WHERE (?1 IS NULL OR charger=?1) AND (?2 IS NULL OR action=?2)")       \
	X(AUDIT_PRUNE, "DELETE FROM audit WHERE id <= (SELECT max(id) FROM audit) - ?1")                     \
	X(CFG_SET,                                                                                           \
	  "INSERT INTO charger_config(charger, key, value, readonly, status, requested, updated_ms)"         \
	  " VALUES(?1,?2,CASE WHEN ?8 THEN ?3 END,?4,?5,?6,?7) ON CONFLICT(charger, key) DO UPDATE SET"      \
	  " value=CASE WHEN ?8 THEN excluded.value ELSE value END,"                                          \
	  " readonly=coalesce(excluded.readonly, readonly), status=coalesce(excluded.status, status),"       \
	  " requested=CASE WHEN ?9 THEN excluded.requested ELSE requested END, "                             \
	  "updated_ms=excluded.updated_ms")                                                                  \
	X(CFG_REBOOTED,                                                                                      \
	  "UPDATE charger_config SET value=requested, status='Accepted', updated_ms=?2"                      \
	  " WHERE charger=?1 AND status='RebootRequired'")                                                   \
	X(CFG_LIST,                                                                                          \
	  "SELECT key, value, readonly, status, requested, updated_ms FROM charger_config WHERE charger=?1 " \
	  "ORDER BY key")                                                                                    \
	X(AV_SET,                                                                                            \
	  "INSERT INTO availability(charger, connector_id, type, status, changed_ms) VALUES(?1,?2,?3,?4,?5)" \
	  " ON CONFLICT(charger, connector_id) DO UPDATE SET type=excluded.type, status=excluded.status,"    \
	  " changed_ms=excluded.changed_ms")                                                                 \
	X(AV_ALL, "UPDATE availability SET type=?2, status=?3, changed_ms=?4 WHERE charger=?1")              \
	X(AV_LIST,                                                                                           \
	  "SELECT connector_id, type, status, changed_ms FROM availability WHERE charger=?1 ORDER BY "       \
	  "connector_id")                                                                                    \
	X(RES_ADD,                                                                                           \
	  "INSERT INTO reservations(charger, reservation_id, connector_id, id_tag, parent_id_tag, "          \
	  "expiry_ms, status,"                                                                               \
	  " created_ms) VALUES(?1,?2,?3,?4,?5,?6,'Reserved',?7) ON CONFLICT(charger, reservation_id) DO "    \
	  "UPDATE SET"                                                                                       \
	  " connector_id=excluded.connector_id, id_tag=excluded.id_tag, "                                    \
	  "parent_id_tag=excluded.parent_id_tag,"                                                            \
	  " expiry_ms=excluded.expiry_ms, status='Reserved', created_ms=excluded.created_ms, ended_ms=NULL," \
	  " transaction_id=NULL")                                                                            \
	X(RES_END,                                                                                           \
	  "UPDATE reservations SET status=?3, ended_ms=?4, transaction_id=?5"                                \
	  " WHERE charger=?1 AND reservation_id=?2 AND status='Reserved'")                                   \
	X(RES_USE_TAG,                                                                                       \
	  "UPDATE reservations SET status='Used', ended_ms=?4, transaction_id=?5 WHERE rowid=(SELECT rowid"  \
	  " FROM reservations WHERE charger=?1 AND status='Reserved' AND (connector_id=?2 OR "               \
	  "connector_id=0)"                                                                                  \
	  " AND id_tag=?3 ORDER BY connector_id DESC, created_ms LIMIT 1)")                                  \
	X(RES_DUE, "SELECT 1 FROM reservations WHERE status='Reserved' AND expiry_ms <= ?1 LIMIT 1")         \
	X(RES_EXPIRE,                                                                                        \
	  "UPDATE reservations SET status='Expired', ended_ms=?1 WHERE status='Reserved' AND expiry_ms <= "  \
	  "?1")                                                                                              \
	X(RES_LIST,                                                                                          \
	  "SELECT charger, reservation_id, connector_id, id_tag, parent_id_tag, expiry_ms, status, "         \
	  "created_ms,"                                                                                      \
	  " ended_ms, transaction_id FROM reservations WHERE (?1 IS NULL OR charger=?1)"                     \
	  " AND (?2 IS NULL OR (status='Reserved') = ?2) ORDER BY created_ms DESC, charger, reservation_id " \
	  "LIMIT ?3")                                                                                        \
	X(LL_GET,                                                                                            \
	  "SELECT version, update_type, updated_ms, reported_version, reported_ms FROM local_lists WHERE "   \
	  "charger=?1")                                                                                      \
	X(LL_SET,                                                                                            \
	  "INSERT INTO local_lists(charger, version, update_type, updated_ms) VALUES(?1,?2,?3,?4)"           \
	  " ON CONFLICT(charger) DO UPDATE SET version=excluded.version, update_type=excluded.update_type,"  \
	  " updated_ms=excluded.updated_ms")                                                                 \
	X(LL_REPORTED,                                                                                       \
	  "INSERT INTO local_lists(charger, version, reported_version, reported_ms) VALUES(?1,-1,?2,?3)"     \
	  " ON CONFLICT(charger) DO UPDATE SET reported_version=excluded.reported_version, "                 \
	  "reported_ms=excluded.reported_ms")                                                                \
	X(LL_CLEAR, "DELETE FROM local_list_entries WHERE charger=?1")                                       \
	X(LL_PUT,                                                                                            \
	  "INSERT INTO local_list_entries(charger, id_tag, status, expiry_ms, parent) "                      \
	  "VALUES(?1,?2,?3,?4,?5)"                                                                           \
	  " ON CONFLICT(charger, id_tag) DO UPDATE SET status=excluded.status, "                             \
	  "expiry_ms=excluded.expiry_ms,"                                                                    \
	  " parent=excluded.parent")                                                                         \
	X(LL_DEL, "DELETE FROM local_list_entries WHERE charger=?1 AND id_tag=?2")                           \
	X(LL_ENTRIES,                                                                                        \
	  "SELECT id_tag, status, expiry_ms, parent FROM local_list_entries WHERE charger=?1 ORDER BY "      \
	  "id_tag")                                                                                          \
	X(LL_WANTED,                                                                                         \
	  "SELECT t.id_tag, t.status, t.expiry_ms, t.parent, p.status, p.expiry_ms FROM id_tags t"           \
	  " LEFT JOIN id_tags p ON p.id_tag=t.parent"                                                        \
	  " WHERE NOT EXISTS (SELECT 1 FROM id_tag_chargers c WHERE c.id_tag=t.id_tag)"                      \
	  " OR EXISTS (SELECT 1 FROM id_tag_chargers c WHERE c.id_tag=t.id_tag AND c.charger=?1) ORDER BY "  \
	  "t.id_tag")                                                                                        \
	X(PROF_DEL_SAME,                                                                                     \
	  "DELETE FROM charging_profiles WHERE charger=?1 AND (profile_id=?2 OR"                             \
	  " (connector_id=?3 AND purpose=?4 AND stack_level=?5))")                                           \
	X(PROF_ADD,                                                                                          \
	  "INSERT INTO charging_profiles(charger, profile_id, connector_id, purpose, stack_level, "          \
	  "transaction_id,"                                                                                  \
	  " profile, installed_ms) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)")                                         \
	X(PROF_CLEAR,                                                                                        \
	  "DELETE FROM charging_profiles WHERE charger=?1 AND (CASE WHEN ?2 IS NOT NULL THEN profile_id=?2"  \
	  " ELSE (?3 IS NULL OR connector_id=?3) AND (?4 IS NULL OR purpose=?4) AND (?5 IS NULL OR "         \
	  "stack_level=?5) END)")                                                                            \
	X(PROF_CLEAR_TX,                                                                                     \
	  "DELETE FROM charging_profiles WHERE charger=?1 AND purpose='TxProfile'"                           \
	  " AND (?2 IS NULL OR connector_id=?2)")                                                            \
	X(PROF_LIST,                                                                                         \
	  "SELECT connector_id, profile_id, purpose, stack_level, transaction_id, profile, installed_ms"     \
	  " FROM charging_profiles WHERE charger=?1 ORDER BY connector_id, purpose, stack_level, "           \
	  "profile_id")                                                                                      \
	X(AL_RAISE,                                                                                          \
	  "INSERT INTO alarms(source, charger, connector_id, code, info, vendor_id, vendor_error_code, "     \
	  "raised_ms)"                                                                                       \
	  " SELECT ?1,?2,?3,?4,?5,?6,?7,?8 WHERE NOT EXISTS (SELECT 1 FROM alarms WHERE cleared_ms IS NULL"  \
	  " AND charger=?2 AND source=?1 AND connector_id IS ?3 AND code=?4)")                               \
	X(AL_CLEAR,                                                                                          \
	  "UPDATE alarms SET cleared_ms=?6 WHERE cleared_ms IS NULL AND charger=?2 AND source=?1"            \
	  " AND (?4 OR connector_id IS ?3) AND (?5 IS NULL OR code<>?5)")                                    \
	X(AL_LIST,                                                                                           \
	  "SELECT id, source, charger, connector_id, code, info, vendor_id, vendor_error_code, raised_ms, "  \
	  "cleared_ms"                                                                                       \
	  " FROM alarms WHERE (?1 = 0 OR cleared_ms IS NULL) AND (?2 IS NULL OR charger=?2) ORDER BY id "    \
	  "DESC LIMIT ?3")                                                                                   \
	X(LEASE_GET, "SELECT node, lease_until_ms FROM charger_node WHERE charger=?1")                       \
	X(LEASE_TAKE,                                                                                        \
	  "INSERT INTO charger_node(charger, node, lease_until_ms) VALUES(?1,?2,?3) ON CONFLICT(charger)"    \
	  " DO UPDATE SET node=excluded.node, lease_until_ms=excluded.lease_until_ms")                       \
	X(LEASE_DROP, "DELETE FROM charger_node WHERE charger=?1 AND node=?2")                               \
	X(LEASE_RENEW, "UPDATE charger_node SET lease_until_ms=?2 WHERE node=?1 RETURNING charger")          \
	X(LEASE_DROP_NODE, "DELETE FROM charger_node WHERE node=?1")                                         \
	X(NODE_GONE, "DELETE FROM node WHERE id=?1")                                                         \
	X(NODE_BEAT,                                                                                         \
	  "INSERT INTO node(id, started_ms, beat_ms) VALUES(?1,?2,?3) ON CONFLICT(id)"                       \
	  " DO UPDATE SET started_ms=excluded.started_ms, beat_ms=excluded.beat_ms")                         \
	X(NODE_LIST,                                                                                         \
	  "SELECT id, started_ms, beat_ms, (SELECT count(*) FROM charger_node c WHERE c.node=n.id"           \
	  " AND c.lease_until_ms > ?1) FROM node n ORDER BY id")                                             \
	X(BUS_PUT, "INSERT INTO bus_message(created_ms, payload) VALUES(?1,?2) RETURNING id")                \
	X(BUS_TAKE, "DELETE FROM bus_message WHERE id=?1 RETURNING payload")                                 \
	X(BUS_PRUNE, "DELETE FROM bus_message WHERE created_ms < ?1")

#define X_ENUM(name, sql) S_##name,
enum stmt_id { STMTS(X_ENUM) S_COUNT };
#define X_SQL(name, sql) sql,
static const char *const stmt_sql[] = { STMTS(X_SQL) };

/* One per open database; lives from store_open to store_close. */
struct sqlite_store {
	struct store base; /* first: store.c dispatches through base.ops */
	sqlite3 *db;
	sqlite3_stmt *s[S_COUNT];
	int in_tx;
	EVP_MD *sha256; /* fetched once: MeterValues is the hot path */
	EVP_MD_CTX *mdctx;
};

static void sqlite_close(struct sqlite_store *st);
static int sqlite_commit(struct sqlite_store *st);
static const struct store_ops sqlite_ops;

static void log_err(struct sqlite_store *st, const char *what)
{
	LOGE("store", "%s: %s", what, sqlite3_errmsg(st->db));
}

static sqlite3_stmt *stmt(struct sqlite_store *st, enum stmt_id id)
{
	sqlite3_stmt *s = st->s[id];
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

static int begin(struct sqlite_store *st)
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
static int exec_write(struct sqlite_store *st, sqlite3_stmt *s, const char *what)
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

/* An integer column; none when it is NULL. */
static int64_t col_int64_or(sqlite3_stmt *s, int i, int64_t none)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? none : sqlite3_column_int64(s, i);
}

/* The end of a row walk (store.h): the statement reset; fn's non-zero
 * return, 0 after the last row, or -1. */
static int walk_end(struct sqlite_store *st, sqlite3_stmt *s, int rc, int stop, const char *what)
{
	if (!stop && rc != SQLITE_DONE)
		log_err(st, what);
	sqlite3_reset(s);
	return stop ? stop : rc == SQLITE_DONE ? 0 : -1;
}

/* A meter value's key: store_mv_digest (store.c), shared with store_pg.c. */
#define DIGEST_LEN STORE_DIGEST_LEN

static int mv_digest(struct sqlite_store *st, const char *charger, int connector, int64_t tx_id,
		     const char *timestamp, const char *source, const char *sampled,
		     unsigned char out[DIGEST_LEN])
{
	return store_mv_digest(st->mdctx, st->sha256, charger, connector, tx_id, timestamp, source, sampled,
			       out);
}

/* The same digest in SQL, for migration 3 (rows stored before it). */
static void sql_mv_digest(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	unsigned char d[DIGEST_LEN];
	(void)argc;
	if (mv_digest(sqlite3_user_data(ctx), (const char *)sqlite3_value_text(argv[0]),
		      sqlite3_value_int(argv[1]), sqlite3_value_int64(argv[2]),
		      (const char *)sqlite3_value_text(argv[3]), (const char *)sqlite3_value_text(argv[4]),
		      (const char *)sqlite3_value_text(argv[5]), d))
		sqlite3_result_error(ctx, "no digest", -1);
	else
		sqlite3_result_blob(ctx, d, DIGEST_LEN, SQLITE_TRANSIENT);
}

static int migrate(struct sqlite_store *st, char *err, size_t errlen)
{
	int ver = 0;
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &q, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_step(q) == SQLITE_ROW)
		ver = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	if (ver > NMIGRATIONS) {
		snprintf(err, errlen, "database schema version %d is newer than this csmsd (%d)", ver,
			 NMIGRATIONS);
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

/* wal_autocheckpoint is in pages: about 4 MiB of WAL whatever the page size
 * (SQLite's default, 1,000 pages, was meant for 4 KiB ones). */
static int set_checkpoint(struct sqlite_store *st)
{
	char sql[64];
	int ps = 0;
	sqlite3_stmt *q;

	if (sqlite3_prepare_v2(st->db, "PRAGMA page_size", -1, &q, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(q) == SQLITE_ROW)
		ps = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	if (ps < 512)
		return -1;
	snprintf(sql, sizeof sql, "PRAGMA wal_autocheckpoint=%d", (4 << 20) / ps);
	return sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

int store_sqlite_open(const char *path, struct store **out, char *err, size_t errlen)
{
	struct sqlite_store *st = calloc(1, sizeof *st);
	if (!st) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	st->base.ops = &sqlite_ops;
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", st->db ? sqlite3_errmsg(st->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 5000);
	/* page_size: for a new database only (an existing one keeps its own).
	 * A group commit of ~60 MeterValues writes ~120 KiB; SQLite writes
	 * the WAL, and copies it back at a checkpoint, one page per system
	 * call: 16 KiB pages make that a quarter of the calls of 4 KiB (about
	 * 10 % of csmsd's CPU per message at 200 busy chargers; 64 KiB gained
	 * nothing more). The checkpoint stays at about 4 MiB of WAL. */
	if (sqlite3_exec(st->db,
			 "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			 " PRAGMA foreign_keys=ON;",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    set_checkpoint(st)) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(st->db));
		goto fail;
	}
	st->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	st->mdctx = EVP_MD_CTX_new();
	if (!st->sha256 || !st->mdctx) {
		snprintf(err, errlen, "no SHA-256 in OpenSSL");
		goto fail;
	}
	if (sqlite3_create_function(st->db, "csms_mv_digest", 6, SQLITE_UTF8 | SQLITE_DETERMINISTIC, st,
				    sql_mv_digest, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(st->db));
		goto fail;
	}
	if (migrate(st, err, errlen))
		goto fail;
	for (int i = 0; i < S_COUNT; i++)
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->s[i], NULL) !=
		    SQLITE_OK) {
			snprintf(err, errlen, "prepare %d: %s", i, sqlite3_errmsg(st->db));
			goto fail;
		}
	*out = &st->base;
	return 0;
fail:
	sqlite_close(st);
	return -1;
}

static void sqlite_close(struct sqlite_store *st)
{
	if (!st)
		return;
	if (st->in_tx)
		sqlite_commit(st);
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st->s[i]);
	sqlite3_close(st->db);
	EVP_MD_CTX_free(st->mdctx);
	EVP_MD_free(st->sha256);
	free(st);
}

static int sqlite_commit(struct sqlite_store *st)
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

static int sqlite_rollback(struct sqlite_store *st)
{
	if (!st->in_tx)
		return 0;
	st->in_tx = 0;
	return sqlite3_step(stmt(st, S_ROLLBACK)) == SQLITE_DONE ? 0 : -1;
}

static int sqlite_pending(const struct sqlite_store *st)
{
	return st->in_tx;
}

static int sqlite_schema_version(struct sqlite_store *st)
{
	sqlite3_stmt *q;
	int v = -1;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	return v;
}

static int sqlite_meta_get(struct sqlite_store *st, const char *key, char *buf, size_t len)
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

static int sqlite_meta_set(struct sqlite_store *st, const char *key, const char *value)
{
	sqlite3_stmt *s = stmt(st, S_META_SET);
	bind_text(s, 1, key);
	bind_text(s, 2, value);
	return exec_write(st, s, "meta set");
}

static int sqlite_meta_delete(struct sqlite_store *st, const char *key)
{
	sqlite3_stmt *s = stmt(st, S_META_DELETE);
	bind_text(s, 1, key);
	return exec_write(st, s, "meta delete");
}

/* ---- chargers ---- */

static int sqlite_charger_get(struct sqlite_store *st, const char *id, struct store_charger *out)
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
	copy_col(out->site, sizeof out->site, s, 4);
	sqlite3_reset(s);
	return 0;
}

static int sqlite_charger_boot(struct sqlite_store *st, const char *id, const cJSON *boot, int64_t now_ms,
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
	static const char *const fields[] = { "chargePointVendor",
					      "chargePointModel",
					      "chargePointSerialNumber",
					      "chargeBoxSerialNumber",
					      "firmwareVersion",
					      "iccid",
					      "imsi",
					      "meterType",
					      "meterSerialNumber" };
	for (int i = 0; i < 9; i++)
		bind_json_str(s, i + 2, boot, fields[i]);
	sqlite3_bind_int64(s, 11, now_ms);
	if (exec_write(st, s, "charger boot"))
		return -1;
	struct store_charger c;
	if (sqlite_charger_get(st, id, &c))
		return -1;
	free(c.settings_json);
	*reg = c.registration;
	return 0;
}

static int sqlite_charger_create(struct sqlite_store *st, const char *id, enum store_registration reg,
				 int64_t now_ms)
{
	sqlite3_stmt *s = stmt(st, S_CH_INSERT);
	bind_text(s, 1, id);
	sqlite3_bind_int(s, 2, reg);
	sqlite3_bind_int64(s, 3, now_ms);
	if (exec_write(st, s, "charger create"))
		return -1;
	return sqlite3_changes(st->db) ? 0 : 1;
}

static int64_t sqlite_charger_count(struct sqlite_store *st, enum store_registration reg)
{
	sqlite3_stmt *s = stmt(st, S_CH_COUNT_REG);
	sqlite3_bind_int(s, 1, reg);
	int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
	sqlite3_reset(s);
	return n;
}

static int sqlite_charger_delete(struct sqlite_store *st, const char *id, int64_t now_ms)
{
	/* The charger row last: its changes() tells whether it existed. */
	static const struct {
		enum stmt_id stmt;
		int stamped;
	} gone[] = { { S_CH_DEL_CONN, 0 }, { S_CH_DEL_PROF, 0 }, { S_CH_DEL_CFG, 0 }, { S_CH_DEL_AV, 0 },
		     { S_CH_DEL_LL, 0 },   { S_CH_DEL_LLE, 0 },  { S_CH_DEL_RES, 1 }, { S_CH_DEL_ALARMS, 1 },
		     { S_CH_DEL_SITE, 0 }, { S_CH_DEL, 0 } };
	for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++) {
		sqlite3_stmt *s = stmt(st, gone[i].stmt);
		bind_text(s, 1, id);
		if (gone[i].stamped)
			sqlite3_bind_int64(s, 2, now_ms);
		if (exec_write(st, s, "charger delete"))
			return -1;
	}
	return sqlite3_changes(st->db) ? 0 : 1;
}

static int sqlite_charger_set_registration(struct sqlite_store *st, const char *id,
					   enum store_registration reg)
{
	sqlite3_stmt *s = stmt(st, S_CH_SET_REG);
	bind_text(s, 1, id);
	sqlite3_bind_int(s, 2, reg);
	if (exec_write(st, s, "charger registration"))
		return -1;
	return sqlite3_changes(st->db) ? 0 : 1;
}

static int sqlite_charger_seen(struct sqlite_store *st, const char *id, int64_t now_ms)
{
	sqlite3_stmt *s = stmt(st, S_CH_SEEN);
	bind_text(s, 1, id);
	sqlite3_bind_int64(s, 2, now_ms);
	return exec_write(st, s, "charger seen");
}

static int sqlite_charger_set_settings(struct sqlite_store *st, const char *id, const char *settings_json,
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

static int sqlite_charger_set_auth_key(struct sqlite_store *st, const char *id, const char *auth_key_hash)
{
	sqlite3_stmt *s = stmt(st, S_CH_SET_KEY);
	bind_text(s, 1, id);
	bind_text(s, 2, auth_key_hash);
	if (exec_write(st, s, "charger key"))
		return -1;
	return sqlite3_changes(st->db) ? 0 : 1;
}

static int sqlite_charger_set_field(struct sqlite_store *st, const char *id, const char *field,
				    const char *value)
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

static int sqlite_charger_each(struct sqlite_store *st, const char *id,
			       int (*fn)(void *arg, const struct store_charger_row *c), void *arg)
{
	sqlite3_stmt *s = stmt(st, S_CH_LIST);
	bind_text(s, 1, id);
	int rc = SQLITE_DONE, stop = 0;
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		int reg = sqlite3_column_int(s, 1);
		struct store_charger_row c = {
			.id = col_text(s, 0),
			.registration = reg >= REG_ACCEPTED && reg <= REG_REJECTED
				? (enum store_registration)reg
				: REG_UNKNOWN,
			.vendor = col_text(s, 2),
			.model = col_text(s, 3),
			.firmware = col_text(s, 4),
			.serial = col_text(s, 5),
			.last_seen_ms = col_int64_or(s, 6, 0),
			.settings_json = col_text(s, 7),
			.firmware_status = col_text(s, 8),
			.diagnostics_status = col_text(s, 9),
			.meter_type = col_text(s, 10),
			.meter_serial = col_text(s, 11),
		};
		stop = fn(arg, &c);
	}
	return walk_end(st, s, rc, stop, "chargers");
}

static int sqlite_connector_status(struct sqlite_store *st, const char *charger, int connector,
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

static int sqlite_idtag_get(struct sqlite_store *st, const char *tag, struct store_idtag *out)
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

static int sqlite_idtag_put(struct sqlite_store *st, const struct store_idtag *t, const cJSON *chargers)
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
	cJSON_ArrayForEach(c, chargers)
	{
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

static int sqlite_idtag_delete(struct sqlite_store *st, const char *tag)
{
	sqlite3_stmt *s = stmt(st, S_TAG_DEL);
	bind_text(s, 1, tag);
	if (exec_write(st, s, "tag delete"))
		return -1;
	return sqlite3_changes(st->db) ? 0 : 1;
}

static int sqlite_idtag_bound_to(struct sqlite_store *st, const char *tag, const char *charger)
{
	sqlite3_stmt *s = stmt(st, S_TAG_BOUND);
	bind_text(s, 1, tag);
	bind_text(s, 2, charger);
	int found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_reset(s);
	return found;
}

static int sqlite_idtag_each(struct sqlite_store *st, const char *tag,
			     int (*fn)(void *arg, const struct store_idtag *t), void *arg)
{
	sqlite3_stmt *s = stmt(st, S_TAG_LIST);
	bind_text(s, 1, tag);
	int rc = SQLITE_DONE, stop = 0;
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_idtag t = {
			.expiry_ms = sqlite3_column_int64(s, 2),
			.max_active = sqlite3_column_int(s, 4),
			.nchargers = sqlite3_column_int(s, 5),
		};
		copy_col(t.id_tag, sizeof t.id_tag, s, 0);
		copy_col(t.status, sizeof t.status, s, 1);
		copy_col(t.parent, sizeof t.parent, s, 3);
		stop = fn(arg, &t);
	}
	return walk_end(st, s, rc, stop, "tags");
}

static int sqlite_idtag_each_charger(struct sqlite_store *st, const char *tag,
				     int (*fn)(void *arg, const char *charger), void *arg)
{
	sqlite3_stmt *s = stmt(st, S_TAG_CHARGERS);
	bind_text(s, 1, tag);
	int rc = SQLITE_DONE, stop = 0;
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW)
		stop = fn(arg, col_text(s, 0));
	return walk_end(st, s, rc, stop, "tag chargers");
}

static int sqlite_active_tx_count(struct sqlite_store *st, const char *tag)
{
	sqlite3_stmt *s = stmt(st, S_TX_ACTIVE_COUNT);
	bind_text(s, 1, tag);
	int n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
	sqlite3_reset(s);
	return n;
}

/* ---- transactions ---- */

static int sqlite_tx_find(struct sqlite_store *st, const struct store_tx_start *t, int64_t *tx_id,
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

static int sqlite_tx_start(struct sqlite_store *st, const struct store_tx_start *t, int64_t *tx_id,
			   int *retry)
{
	char status[16];
	int rc = sqlite_tx_find(st, t, tx_id, status);
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

static int orphan_stop(struct sqlite_store *st, const struct store_tx_stop *t, const char *outcome,
		       int64_t now)
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

static int sqlite_tx_stop(struct sqlite_store *st, const struct store_tx_stop *t,
			  enum store_stop_outcome *outcome)
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
		int same = sqlite3_column_int64(s, 0) == t->meter_stop && col_text(s, 1) && t->timestamp &&
			!strcmp(col_text(s, 1), t->timestamp);
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

static int sqlite_tx_admin_stop(struct sqlite_store *st, int64_t tx_id, int64_t meter_stop, int64_t stop_ms,
				const char *timestamp, const char *reason)
{
	sqlite3_stmt *s = stmt(st, S_TX_ADMIN_STOP);
	sqlite3_bind_int64(s, 1, tx_id);
	bind_text(s, 2, timestamp);
	sqlite3_bind_int64(s, 3, stop_ms);
	sqlite3_bind_int64(s, 4, meter_stop);
	bind_text(s, 5, reason);
	if (exec_write(st, s, "transaction admin stop"))
		return -1;
	return sqlite3_changes(st->db) ? 0 : 1;
}

static int sqlite_tx_get_tag(struct sqlite_store *st, int64_t tx_id, char tag[STORE_TAG_MAX], int *active)
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

static int sqlite_tx_connector(struct sqlite_store *st, const char *charger, int64_t tx_id, int *connector)
{
	sqlite3_stmt *s = stmt(st, S_TX_CONN);
	sqlite3_bind_int64(s, 1, tx_id);
	bind_text(s, 2, charger);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*connector = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

static int sqlite_tx_each_open(struct sqlite_store *st, const char *charger,
			       int (*fn)(void *arg, const struct store_tx_open *t), void *arg)
{
	sqlite3_stmt *s = stmt(st, S_TX_OPEN);
	bind_text(s, 1, charger);
	int rc = SQLITE_DONE, stop = 0;
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_tx_open t = {
			.tx_id = sqlite3_column_int64(s, 0),
			.connector = sqlite3_column_int(s, 1),
			.start_ms = sqlite3_column_int64(s, 3),
		};
		copy_col(t.id_tag, sizeof t.id_tag, s, 2);
		stop = fn(arg, &t);
	}
	sqlite3_reset(s);
	return stop ? stop : rc == SQLITE_DONE ? 0 : -1;
}

static int sqlite_connector_each(struct sqlite_store *st, const char *charger,
				 int (*fn)(void *arg, const struct store_conn_state *c), void *arg)
{
	sqlite3_stmt *s = stmt(st, S_CONN_LIST);
	bind_text(s, 1, charger);
	int rc = SQLITE_DONE, stop = 0;
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_conn_state c = {
			.connector = sqlite3_column_int(s, 0),
			.status = col_text(s, 1),
			.error_code = col_text(s, 2),
			.info = col_text(s, 3),
			.vendor_id = col_text(s, 4),
			.vendor_error_code = col_text(s, 5),
			.timestamp = col_text(s, 6),
		};
		stop = fn(arg, &c);
	}
	return walk_end(st, s, rc, stop, "connectors");
}

static int sqlite_meter_value(struct sqlite_store *st, const char *charger, int connector, int64_t tx_id,
			      const char *timestamp, int64_t ts_ms, const char *sampled_json,
			      const char *source)
{
	unsigned char digest[DIGEST_LEN];
	if (!sampled_json ||
	    mv_digest(st, charger, connector, tx_id, timestamp, source, sampled_json, digest)) {
		LOGE("store", "meter value: no digest");
		return -1;
	}
	sqlite3_stmt *s = stmt(st, S_MV_INSERT);
	bind_text(s, 1, charger);
	sqlite3_bind_int(s, 2, connector);
	if (tx_id > 0)
		sqlite3_bind_int64(s, 3, tx_id);
	bind_text(s, 4, timestamp);
	sqlite3_bind_int64(s, 5, ts_ms);
	bind_text(s, 6, source);
	bind_text(s, 7, sampled_json);
	sqlite3_bind_blob(s, 8, digest, DIGEST_LEN, SQLITE_STATIC);
	if (exec_write(st, s, "meter value"))
		return -1;
	return sqlite3_changes(st->db) ? 0 : 1;
}

static int sqlite_tx_each(struct sqlite_store *st, const struct store_tx_filter *f,
			  int (*fn)(void *arg, const struct store_tx_row *t), void *arg)
{
	sqlite3_stmt *s = stmt(st, S_TX_LIST);
	bind_text(s, 1, f ? f->charger : NULL);
	bind_text(s, 2, f ? f->id_tag : NULL);
	if (f && f->active >= 0)
		sqlite3_bind_int(s, 3, f->active);
	if (f && f->from_ms)
		sqlite3_bind_int64(s, 4, f->from_ms);
	if (f && f->to_ms)
		sqlite3_bind_int64(s, 5, f->to_ms);
	if (f && f->tx_id)
		sqlite3_bind_int64(s, 6, f->tx_id);
	sqlite3_bind_int(s, 7, f && f->limit > 0 ? f->limit : -1);
	int rc = SQLITE_DONE, stop = 0;
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		/* Before any value is read: a read may convert it. */
		int stopped = sqlite3_column_type(s, 7) != SQLITE_NULL;
		struct store_tx_row t = {
			.id = sqlite3_column_int64(s, 0),
			.charger = col_text(s, 1),
			.connector = sqlite3_column_int(s, 2),
			.id_tag = col_text(s, 3),
			.start_ts = col_text(s, 4),
			.stop_ts = col_text(s, 5),
			.meter_start = sqlite3_column_int64(s, 6),
			.stopped = stopped,
			.meter_stop = sqlite3_column_int64(s, 7),
			.stop_reason = col_text(s, 8),
			.auth_status = col_text(s, 9),
			.reservation_id = (int)col_int64_or(s, 10, -1),
			.stop_source = col_text(s, 11),
			.has_last = sqlite3_column_type(s, 12) != SQLITE_NULL,
			.meter_last_wh = sqlite3_column_double(s, 12),
			.has_cost = sqlite3_column_type(s, 13) != SQLITE_NULL,
			.cost = sqlite3_column_double(s, 13),
			.pv_wh = sqlite3_column_double(s, 14),
			.shared_wh = sqlite3_column_double(s, 15),
		};
		stop = fn(arg, &t);
	}
	return walk_end(st, s, rc, stop, "transactions");
}

static int sqlite_tx_meter_get(struct sqlite_store *st, int64_t tx_id, struct store_tx_meter *out)
{
	sqlite3_stmt *s = stmt(st, S_TX_METER_GET);
	sqlite3_bind_int64(s, 1, tx_id);
	int rc = sqlite3_step(s);
	memset(out, 0, sizeof *out);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return rc == SQLITE_DONE ? 1 : -1;
	}
	out->tx_id = tx_id;
	copy_col(out->charger, sizeof out->charger, s, 0);
	out->connector = sqlite3_column_int(s, 1);
	out->active = sqlite3_column_int(s, 2);
	out->meter_start = sqlite3_column_int64(s, 3);
	out->start_ms = sqlite3_column_int64(s, 4);
	out->has_last = sqlite3_column_type(s, 5) != SQLITE_NULL;
	out->meter_last_wh = sqlite3_column_double(s, 5);
	out->last_ms = sqlite3_column_int64(s, 6);
	out->cost = sqlite3_column_double(s, 7);
	out->pv_wh = sqlite3_column_double(s, 8);
	out->shared_wh = sqlite3_column_double(s, 9);
	sqlite3_reset(s);
	return 0;
}

static int sqlite_tx_meter_set(struct sqlite_store *st, const struct store_tx_meter *m)
{
	sqlite3_stmt *s = stmt(st, S_TX_METER_SET);
	sqlite3_bind_int64(s, 1, m->tx_id);
	sqlite3_bind_double(s, 2, m->meter_last_wh);
	sqlite3_bind_int64(s, 3, m->last_ms);
	sqlite3_bind_double(s, 4, m->cost);
	sqlite3_bind_double(s, 5, m->pv_wh);
	sqlite3_bind_double(s, 6, m->shared_wh);
	if (exec_write(st, s, "transaction meter"))
		return -1;
	return sqlite3_changes(st->db) ? 0 : 1;
}

/* ---- the station's history ---- */

static int64_t whole(double v)
{
	return (int64_t)(v < 0 ? v - 0.5 : v + 0.5);
}

static int sqlite_history_put(struct sqlite_store *st, const struct store_history_row *r)
{
	sqlite3_stmt *s = stmt(st, S_HIST_PUT);
	const double ws[] = { r->pv_ws,     r->load_ws,   r->bat_in_ws, r->bat_out_ws,
			      r->import_ws, r->export_ws, r->ev_ws };
	sqlite3_bind_int(s, 1, r->res);
	sqlite3_bind_int64(s, 2, r->t_s);
	sqlite3_bind_double(s, 3, r->cover_s);
	/* whole W.s: a varint of a few bytes where a REAL takes eight */
	for (int i = 0; i < 7; i++)
		sqlite3_bind_int64(s, 4 + i, whole(ws[i]));
	sqlite3_bind_double(s, 11, r->soc_s);
	if (r->grid_cover_s > 0) {
		for (int p = 0; p < 3; p++)
			sqlite3_bind_double(s, 12 + p, r->grid_as[p]);
		sqlite3_bind_double(s, 15, r->grid_cover_s);
	}
	sqlite3_bind_int64(s, 16, whole(r->peak_import_w));
	sqlite3_bind_double(s, 17, r->cost);
	bind_text(s, 18, r->chargers_json);
	return exec_write(st, s, "history");
}

static int sqlite_history_each(struct sqlite_store *st, int res, int64_t from_s, int64_t to_s,
			       int (*fn)(void *arg, const struct store_history_row *r), void *arg)
{
	sqlite3_stmt *s = stmt(st, S_HIST_LIST);
	sqlite3_bind_int(s, 1, res);
	sqlite3_bind_int64(s, 2, from_s);
	sqlite3_bind_int64(s, 3, to_s);
	int rc = SQLITE_DONE, stop = 0;
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_history_row r = {
			.res = sqlite3_column_int(s, 0),
			.t_s = sqlite3_column_int64(s, 1),
			.cover_s = sqlite3_column_double(s, 2),
			.pv_ws = sqlite3_column_double(s, 3),
			.load_ws = sqlite3_column_double(s, 4),
			.bat_in_ws = sqlite3_column_double(s, 5),
			.bat_out_ws = sqlite3_column_double(s, 6),
			.import_ws = sqlite3_column_double(s, 7),
			.export_ws = sqlite3_column_double(s, 8),
			.ev_ws = sqlite3_column_double(s, 9),
			.soc_s = sqlite3_column_double(s, 10),
			.grid_as = { sqlite3_column_double(s, 11), sqlite3_column_double(s, 12),
				     sqlite3_column_double(s, 13) },
			.grid_cover_s = sqlite3_column_double(s, 14),
			.peak_import_w = sqlite3_column_double(s, 15),
			.cost = sqlite3_column_double(s, 16),
			.chargers_json = col_text(s, 17),
		};
		stop = fn(arg, &r);
	}
	return walk_end(st, s, rc, stop, "history");
}

static int sqlite_history_prune(struct sqlite_store *st, int res, int64_t before_s)
{
	sqlite3_stmt *s = stmt(st, S_HIST_PRUNE);
	sqlite3_bind_int(s, 1, res);
	sqlite3_bind_int64(s, 2, before_s);
	if (exec_write(st, s, "history prune"))
		return -1;
	return sqlite3_changes(st->db);
}

static int sqlite_meter_value_each(struct sqlite_store *st, int64_t tx_id,
				   int (*fn)(void *arg, const struct store_mv_row *m), void *arg)
{
	sqlite3_stmt *s = stmt(st, S_TX_MV);
	sqlite3_bind_int64(s, 1, tx_id);
	int rc = SQLITE_DONE, stop = 0;
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_mv_row m = {
			.timestamp = col_text(s, 0),
			.source = col_text(s, 1),
			.sampled_json = col_text(s, 2),
			.connector = sqlite3_column_int(s, 3),
		};
		stop = fn(arg, &m);
	}
	return walk_end(st, s, rc, stop, "meter values");
}

static int sqlite_event(struct sqlite_store *st, const char *charger, const char *action,
			const char *payload_json, int64_t now_ms)
{
	sqlite3_stmt *s = stmt(st, S_EV_INSERT);
	bind_text(s, 1, charger);
	bind_text(s, 2, action);
	sqlite3_bind_int64(s, 3, now_ms);
	bind_text(s, 4, payload_json);
	return exec_write(st, s, "event");
}

/* ---- firmware and diagnostics progress, charger ids, counts ---- */

static int sqlite_firmware_history_each(struct sqlite_store *st, const char *charger, int limit,
					int (*fn)(void *arg, const struct store_event_row *e), void *arg)
{
	sqlite3_stmt *s = stmt(st, S_EV_FIRMWARE);
	bind_text(s, 1, charger);
	sqlite3_bind_int(s, 2, limit > 0 ? limit : 100);
	int rc = SQLITE_DONE, stop = 0;
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_event_row e = {
			.charger = charger,
			.action = col_text(s, 0),
			.received_ms = sqlite3_column_int64(s, 1),
			.payload_json = col_text(s, 2),
		};
		stop = fn(arg, &e);
	}
	return walk_end(st, s, rc, stop, "firmware history");
}

static int sqlite_charger_each_accepted(struct sqlite_store *st, int (*fn)(void *arg, const char *id),
					void *arg)
{
	/* Ids are copied out first: fn may run other statements. */
	cJSON *ids = cJSON_CreateArray(), *e;
	if (!ids)
		return -1;
	sqlite3_stmt *s = stmt(st, S_CH_IDS);
	while (sqlite3_step(s) == SQLITE_ROW)
		cJSON_AddItemToArray(ids, cJSON_CreateString(col_text(s, 0)));
	sqlite3_reset(s);
	int rc = 0;
	cJSON_ArrayForEach(e, ids) if (cJSON_IsString(e) && (rc = fn(arg, e->valuestring))) break;
	cJSON_Delete(ids);
	return rc;
}

static int sqlite_counts(struct sqlite_store *st, struct store_counts *out)
{
	sqlite3_stmt *s = stmt(st, S_COUNTS);
	memset(out, 0, sizeof *out);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->chargers = sqlite3_column_int64(s, 0);
		out->tx_active = sqlite3_column_int64(s, 1);
		out->energy_wh = sqlite3_column_double(s, 2);
		out->alarms_active = sqlite3_column_int64(s, 3);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* ---- audit of CS-initiated calls ---- */

static void bind_ms(sqlite3_stmt *s, int i, int64_t v)
{
	if (v > 0)
		sqlite3_bind_int64(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

static int sqlite_audit_add(struct sqlite_store *st, const struct store_audit *a)
{
	sqlite3_stmt *s = stmt(st, S_AUDIT_ADD);
	bind_text(s, 1, a->charger);
	bind_text(s, 2, a->action);
	bind_text(s, 3, a->message_id);
	bind_text(s, 4, a->source);
	sqlite3_bind_int64(s, 5, a->queued_ms);
	bind_ms(s, 6, a->sent_ms);
	sqlite3_bind_int64(s, 7, a->done_ms);
	if (a->latency_ms >= 0)
		sqlite3_bind_int64(s, 8, a->latency_ms);
	bind_text(s, 9, a->request);
	bind_text(s, 10, a->outcome);
	bind_text(s, 11, a->response);
	bind_text(s, 12, a->error_code);
	bind_text(s, 13, a->error_description);
	return exec_write(st, s, "audit");
}

static int64_t sqlite_audit_count(struct sqlite_store *st, const char *charger, const char *action)
{
	sqlite3_stmt *s = stmt(st, S_AUDIT_COUNT);
	bind_text(s, 1, charger);
	bind_text(s, 2, action);
	int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
	sqlite3_reset(s);
	return n;
}

static int sqlite_audit_each(struct sqlite_store *st, const char *charger, const char *action, int limit,
			     int (*fn)(void *arg, const struct store_audit_row *r), void *arg)
{
	sqlite3_stmt *s = stmt(st, S_AUDIT_LIST);
	bind_text(s, 1, charger);
	bind_text(s, 2, action);
	sqlite3_bind_int(s, 3, limit > 0 ? limit : 100);
	int rc = SQLITE_DONE, stop = 0;
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_audit_row r = {
			.id = sqlite3_column_int64(s, 0),
			.a = {
				.charger = col_text(s, 1),
				.action = col_text(s, 2),
				.message_id = col_text(s, 3),
				.source = col_text(s, 4),
				.queued_ms = sqlite3_column_int64(s, 5),
				.sent_ms = col_int64_or(s, 6, 0),
				.done_ms = sqlite3_column_int64(s, 7),
				.latency_ms = col_int64_or(s, 8, -1),
				.request = col_text(s, 9),
				.outcome = col_text(s, 10),
				.response = col_text(s, 11),
				.error_code = col_text(s, 12),
				.error_description = col_text(s, 13),
			},
		};
		stop = fn(arg, &r);
	}
	return walk_end(st, s, rc, stop, "audit");
}

static int sqlite_audit_prune(struct sqlite_store *st, int keep)
{
	sqlite3_stmt *s = stmt(st, S_AUDIT_PRUNE);
	sqlite3_bind_int(s, 1, keep);
	if (exec_write(st, s, "audit prune"))
		return -1;
	return sqlite3_changes(st->db);
}

/* ---- configuration keys ---- */

static int sqlite_config_key_set(struct sqlite_store *st, const char *charger, const char *key,
				 const char *value, int set_value, int readonly, const char *status,
				 const char *requested, int64_t now_ms)
{
	sqlite3_stmt *s = stmt(st, S_CFG_SET);
	bind_text(s, 1, charger);
	bind_text(s, 2, key);
	bind_text(s, 3, value);
	if (readonly >= 0)
		sqlite3_bind_int(s, 4, readonly);
	bind_text(s, 5, status);
	bind_text(s, 6, requested);
	sqlite3_bind_int64(s, 7, now_ms);
	sqlite3_bind_int(s, 8, set_value);
	sqlite3_bind_int(s, 9, requested != NULL);
	return exec_write(st, s, "configuration key");
}

static int sqlite_config_rebooted(struct sqlite_store *st, const char *charger, int64_t now_ms)
{
	sqlite3_stmt *s = stmt(st, S_CFG_REBOOTED);
	bind_text(s, 1, charger);
	sqlite3_bind_int64(s, 2, now_ms);
	if (exec_write(st, s, "configuration after reboot"))
		return -1;
	return sqlite3_changes(st->db);
}

static int sqlite_config_each(struct sqlite_store *st, const char *charger,
			      int (*fn)(void *arg, const struct store_config_row *k), void *arg)
{
	sqlite3_stmt *s = stmt(st, S_CFG_LIST);
	bind_text(s, 1, charger);
	int rc = SQLITE_DONE, stop = 0;
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_config_row k = {
			.key = col_text(s, 0),
			.value = col_text(s, 1),
			.readonly = (int)col_int64_or(s, 2, -1),
			.status = col_text(s, 3),
			.requested = col_text(s, 4),
			.updated_ms = sqlite3_column_int64(s, 5),
		};
		stop = fn(arg, &k);
	}
	return walk_end(st, s, rc, stop, "configuration");
}

/* ---- availability ---- */

static int sqlite_availability_set(struct sqlite_store *st, const char *charger, int connector,
				   const char *type, const char *status, int64_t now_ms)
{
	sqlite3_stmt *s;
	if (connector == 0) {
		/* Connector 0 is the whole charger: every connector follows it. */
		s = stmt(st, S_AV_ALL);
		bind_text(s, 1, charger);
		bind_text(s, 2, type);
		bind_text(s, 3, status);
		sqlite3_bind_int64(s, 4, now_ms);
		if (exec_write(st, s, "availability"))
			return -1;
	}
	s = stmt(st, S_AV_SET);
	bind_text(s, 1, charger);
	sqlite3_bind_int(s, 2, connector);
	bind_text(s, 3, type);
	bind_text(s, 4, status);
	sqlite3_bind_int64(s, 5, now_ms);
	return exec_write(st, s, "availability");
}

static int sqlite_availability_each(struct sqlite_store *st, const char *charger,
				    int (*fn)(void *arg, const struct store_availability_row *a), void *arg)
{
	sqlite3_stmt *s = stmt(st, S_AV_LIST);
	bind_text(s, 1, charger);
	int rc = SQLITE_DONE, stop = 0;
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_availability_row a = {
			.connector = sqlite3_column_int(s, 0),
			.type = col_text(s, 1),
			.status = col_text(s, 2),
			.changed_ms = sqlite3_column_int64(s, 3),
		};
		stop = fn(arg, &a);
	}
	return walk_end(st, s, rc, stop, "availability");
}

/* ---- reservations ---- */

static int sqlite_reservation_add(struct sqlite_store *st, const struct store_reservation *r, int64_t now_ms)
{
	sqlite3_stmt *s = stmt(st, S_RES_ADD);
	bind_text(s, 1, r->charger);
	sqlite3_bind_int(s, 2, r->reservation_id);
	sqlite3_bind_int(s, 3, r->connector);
	bind_text(s, 4, r->id_tag);
	bind_text(s, 5, r->parent && *r->parent ? r->parent : NULL);
	sqlite3_bind_int64(s, 6, r->expiry_ms);
	sqlite3_bind_int64(s, 7, now_ms);
	return exec_write(st, s, "reservation");
}

static int sqlite_reservation_end(struct sqlite_store *st, const char *charger, int reservation_id,
				  const char *status, int64_t tx_id, int64_t now_ms)
{
	sqlite3_stmt *s = stmt(st, S_RES_END);
	bind_text(s, 1, charger);
	sqlite3_bind_int(s, 2, reservation_id);
	bind_text(s, 3, status);
	sqlite3_bind_int64(s, 4, now_ms);
	bind_ms(s, 5, tx_id);
	if (exec_write(st, s, "reservation end"))
		return -1;
	return sqlite3_changes(st->db) ? 0 : 1;
}

static int sqlite_reservation_use(struct sqlite_store *st, const char *charger, int connector,
				  int reservation_id, const char *id_tag, int64_t tx_id, int64_t now_ms)
{
	if (reservation_id >= 0) {
		int rc = sqlite_reservation_end(st, charger, reservation_id, "Used", tx_id, now_ms);
		if (rc <= 0)
			return rc;
	}
	sqlite3_stmt *s = stmt(st, S_RES_USE_TAG);
	bind_text(s, 1, charger);
	sqlite3_bind_int(s, 2, connector);
	bind_text(s, 3, id_tag);
	sqlite3_bind_int64(s, 4, now_ms);
	bind_ms(s, 5, tx_id);
	if (exec_write(st, s, "reservation use"))
		return -1;
	return sqlite3_changes(st->db) ? 0 : 1;
}

static int sqlite_reservation_expire(struct sqlite_store *st, int64_t now_ms)
{
	sqlite3_stmt *s;
	/* Most ticks expire nothing: do not open a write transaction for that. */
	if (!st->in_tx) {
		sqlite3_stmt *q = stmt(st, S_RES_DUE);
		sqlite3_bind_int64(q, 1, now_ms);
		int any = sqlite3_step(q) == SQLITE_ROW;
		sqlite3_reset(q);
		if (!any)
			return 0;
	}
	s = stmt(st, S_RES_EXPIRE);
	sqlite3_bind_int64(s, 1, now_ms);
	if (exec_write(st, s, "reservation expiry"))
		return -1;
	return sqlite3_changes(st->db);
}

static int sqlite_reservation_each(struct sqlite_store *st, const char *charger, int active, int limit,
				   int (*fn)(void *arg, const struct store_reservation_row *r), void *arg)
{
	sqlite3_stmt *s = stmt(st, S_RES_LIST);
	bind_text(s, 1, charger);
	if (active >= 0)
		sqlite3_bind_int(s, 2, active);
	sqlite3_bind_int(s, 3, limit > 0 ? limit : -1);
	int rc = SQLITE_DONE, stop = 0;
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_reservation_row r = {
			.r = {
				.charger = col_text(s, 0),
				.reservation_id = sqlite3_column_int(s, 1),
				.connector = sqlite3_column_int(s, 2),
				.id_tag = col_text(s, 3),
				.parent = col_text(s, 4),
				.expiry_ms = sqlite3_column_int64(s, 5),
			},
			.status = col_text(s, 6),
			.created_ms = sqlite3_column_int64(s, 7),
			.ended_ms = col_int64_or(s, 8, 0),
			.tx_id = col_int64_or(s, 9, 0),
		};
		stop = fn(arg, &r);
	}
	return walk_end(st, s, rc, stop, "reservations");
}

/* ---- local authorisation lists ---- */

static int sqlite_locallist_get(struct sqlite_store *st, const char *charger, int *version)
{
	sqlite3_stmt *s = stmt(st, S_LL_GET);
	bind_text(s, 1, charger);
	int rc = sqlite3_step(s);
	*version = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

static int sqlite_locallist_read(struct sqlite_store *st, const char *charger, struct store_locallist *out)
{
	sqlite3_stmt *s = stmt(st, S_LL_GET);
	bind_text(s, 1, charger);
	int rc = sqlite3_step(s);
	memset(out, 0, sizeof *out);
	out->version = -1;
	if (rc == SQLITE_ROW) {
		out->version = sqlite3_column_int(s, 0);
		copy_col(out->update_type, sizeof out->update_type, s, 1);
		out->updated_ms = col_int64_or(s, 2, 0);
		out->has_reported = sqlite3_column_type(s, 3) != SQLITE_NULL;
		out->reported_version = sqlite3_column_int(s, 3);
		out->reported_ms = col_int64_or(s, 4, 0);
	} else if (rc != SQLITE_DONE) {
		log_err(st, "local list");
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

static int sqlite_locallist_each(struct sqlite_store *st, const char *charger,
				 int (*fn)(void *arg, const struct store_locallist_entry *e), void *arg)
{
	sqlite3_stmt *s = stmt(st, S_LL_ENTRIES);
	bind_text(s, 1, charger);
	int rc = SQLITE_DONE, stop = 0;
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_locallist_entry e = {
			.id_tag = col_text(s, 0),
			.status = col_text(s, 1),
			.expiry_ms = sqlite3_column_int64(s, 2),
			.parent = col_text(s, 3),
		};
		stop = fn(arg, &e);
	}
	return walk_end(st, s, rc, stop, "local list entries");
}

static int sqlite_locallist_each_wanted(struct sqlite_store *st, const char *charger,
					int (*fn)(void *arg, const struct store_locallist_wanted *w),
					void *arg)
{
	sqlite3_stmt *s = stmt(st, S_LL_WANTED);
	bind_text(s, 1, charger);
	int rc = SQLITE_DONE, stop = 0;
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_locallist_wanted w = {
			.e = {
				.id_tag = col_text(s, 0),
				.status = col_text(s, 1),
				.expiry_ms = sqlite3_column_int64(s, 2),
				.parent = col_text(s, 3),
			},
			.parent_status = col_text(s, 4),
			.parent_expiry_ms = sqlite3_column_int64(s, 5),
		};
		stop = fn(arg, &w);
	}
	return walk_end(st, s, rc, stop, "wanted local list");
}

static int sqlite_locallist_apply(struct sqlite_store *st, const char *charger, int version, int full,
				  const cJSON *list, int64_t now_ms)
{
	sqlite3_stmt *s;
	if (full) {
		s = stmt(st, S_LL_CLEAR);
		bind_text(s, 1, charger);
		if (exec_write(st, s, "local list clear"))
			return -1;
	}
	const cJSON *e;
	cJSON_ArrayForEach(e, list)
	{
		const cJSON *tag = cJSON_GetObjectItemCaseSensitive(e, "idTag");
		const cJSON *info = cJSON_GetObjectItemCaseSensitive(e, "idTagInfo");
		if (!cJSON_IsString(tag))
			continue;
		if (!cJSON_IsObject(info)) {
			/* A differential entry without idTagInfo removes the tag. */
			s = stmt(st, S_LL_DEL);
			bind_text(s, 1, charger);
			bind_text(s, 2, tag->valuestring);
		} else {
			const cJSON *stv = cJSON_GetObjectItemCaseSensitive(info, "status");
			const cJSON *exp = cJSON_GetObjectItemCaseSensitive(info, "expiryDate");
			const cJSON *par = cJSON_GetObjectItemCaseSensitive(info, "parentIdTag");
			int64_t exp_ms = 0;
			if (cJSON_IsString(exp))
				time_parse_iso(exp->valuestring, &exp_ms);
			s = stmt(st, S_LL_PUT);
			bind_text(s, 1, charger);
			bind_text(s, 2, tag->valuestring);
			bind_text(s, 3, cJSON_IsString(stv) ? stv->valuestring : "Invalid");
			sqlite3_bind_int64(s, 4, exp_ms);
			bind_text(s, 5, cJSON_IsString(par) ? par->valuestring : "");
		}
		if (exec_write(st, s, "local list entry"))
			return -1;
	}
	s = stmt(st, S_LL_SET);
	bind_text(s, 1, charger);
	sqlite3_bind_int(s, 2, version);
	bind_text(s, 3, full ? "Full" : "Differential");
	sqlite3_bind_int64(s, 4, now_ms);
	return exec_write(st, s, "local list version");
}

static int sqlite_locallist_reported(struct sqlite_store *st, const char *charger, int version,
				     int64_t now_ms)
{
	sqlite3_stmt *s = stmt(st, S_LL_REPORTED);
	bind_text(s, 1, charger);
	sqlite3_bind_int(s, 2, version);
	sqlite3_bind_int64(s, 3, now_ms);
	return exec_write(st, s, "local list reported");
}

/* ---- charging profiles ---- */

static int sqlite_profile_put(struct sqlite_store *st, const char *charger, int connector,
			      const cJSON *profile, int64_t now_ms)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(profile, "chargingProfileId");
	const cJSON *purpose = cJSON_GetObjectItemCaseSensitive(profile, "chargingProfilePurpose");
	const cJSON *level = cJSON_GetObjectItemCaseSensitive(profile, "stackLevel");
	const cJSON *tx = cJSON_GetObjectItemCaseSensitive(profile, "transactionId");
	if (!cJSON_IsNumber(id) || !cJSON_IsString(purpose) || !cJSON_IsNumber(level))
		return -1;
	/* The same id, or the same purpose and stack level on the connector,
	 * replaces the profile held (OCPP 1.6 §5.16.3). */
	sqlite3_stmt *s = stmt(st, S_PROF_DEL_SAME);
	bind_text(s, 1, charger);
	sqlite3_bind_int(s, 2, id->valueint);
	sqlite3_bind_int(s, 3, connector);
	bind_text(s, 4, purpose->valuestring);
	sqlite3_bind_int(s, 5, level->valueint);
	if (exec_write(st, s, "profile replace"))
		return -1;
	char *json = cJSON_PrintUnformatted(profile);
	if (!json)
		return -1;
	s = stmt(st, S_PROF_ADD);
	bind_text(s, 1, charger);
	sqlite3_bind_int(s, 2, id->valueint);
	sqlite3_bind_int(s, 3, connector);
	bind_text(s, 4, purpose->valuestring);
	sqlite3_bind_int(s, 5, level->valueint);
	if (cJSON_IsNumber(tx))
		sqlite3_bind_int64(s, 6, (int64_t)tx->valuedouble);
	bind_text(s, 7, json);
	sqlite3_bind_int64(s, 8, now_ms);
	int rc = exec_write(st, s, "profile add");
	cJSON_free(json);
	return rc;
}

static int sqlite_profile_clear(struct sqlite_store *st, const char *charger, const cJSON *criteria)
{
	static const char *const keys[] = { "id", "connectorId", "chargingProfilePurpose", "stackLevel" };
	sqlite3_stmt *s = stmt(st, S_PROF_CLEAR);
	bind_text(s, 1, charger);
	for (int i = 0; i < 4; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(criteria, keys[i]);
		if (cJSON_IsNumber(v))
			sqlite3_bind_int(s, i + 2, v->valueint);
		else if (cJSON_IsString(v))
			bind_text(s, i + 2, v->valuestring);
	}
	if (exec_write(st, s, "profile clear"))
		return -1;
	return sqlite3_changes(st->db);
}

static int sqlite_profile_clear_tx(struct sqlite_store *st, const char *charger, int connector)
{
	sqlite3_stmt *s = stmt(st, S_PROF_CLEAR_TX);
	bind_text(s, 1, charger);
	if (connector >= 0)
		sqlite3_bind_int(s, 2, connector);
	if (exec_write(st, s, "profile clear tx"))
		return -1;
	return sqlite3_changes(st->db);
}

static int sqlite_profile_each(struct sqlite_store *st, const char *charger,
			       int (*fn)(void *arg, const struct store_profile_row *p), void *arg)
{
	sqlite3_stmt *s = stmt(st, S_PROF_LIST);
	bind_text(s, 1, charger);
	int rc = SQLITE_DONE, stop = 0;
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		int has_tx_id = sqlite3_column_type(s, 4) != SQLITE_NULL;
		struct store_profile_row p = {
			.connector = sqlite3_column_int(s, 0),
			.profile_id = sqlite3_column_int(s, 1),
			.purpose = col_text(s, 2),
			.stack_level = sqlite3_column_int(s, 3),
			.has_tx_id = has_tx_id,
			.tx_id = sqlite3_column_int64(s, 4),
			.profile_json = col_text(s, 5),
			.installed_ms = sqlite3_column_int64(s, 6),
		};
		stop = fn(arg, &p);
	}
	return walk_end(st, s, rc, stop, "profiles");
}

/* ---- alarms ---- */

static int sqlite_alarm_raise(struct sqlite_store *st, const struct store_alarm *a, int64_t now_ms)
{
	sqlite3_stmt *s = stmt(st, S_AL_RAISE);
	bind_text(s, 1, a->source);
	bind_text(s, 2, a->charger);
	if (a->connector >= 0)
		sqlite3_bind_int(s, 3, a->connector);
	bind_text(s, 4, a->code);
	bind_text(s, 5, a->info && *a->info ? a->info : NULL);
	bind_text(s, 6, a->vendor_id && *a->vendor_id ? a->vendor_id : NULL);
	bind_text(s, 7, a->vendor_error_code && *a->vendor_error_code ? a->vendor_error_code : NULL);
	sqlite3_bind_int64(s, 8, now_ms);
	if (exec_write(st, s, "alarm raise"))
		return -1;
	return sqlite3_changes(st->db) ? 0 : 1;
}

static int sqlite_alarm_clear(struct sqlite_store *st, const char *source, const char *charger, int connector,
			      const char *except_code, int64_t now_ms)
{
	sqlite3_stmt *s = stmt(st, S_AL_CLEAR);
	bind_text(s, 1, source);
	bind_text(s, 2, charger);
	if (connector >= 0)
		sqlite3_bind_int(s, 3, connector);
	sqlite3_bind_int(s, 4, connector == STORE_ANY_CONNECTOR);
	bind_text(s, 5, except_code);
	sqlite3_bind_int64(s, 6, now_ms);
	if (exec_write(st, s, "alarm clear"))
		return -1;
	return sqlite3_changes(st->db);
}

static int sqlite_alarm_each(struct sqlite_store *st, int active_only, const char *charger, int limit,
			     int (*fn)(void *arg, const struct store_alarm_row *r), void *arg)
{
	sqlite3_stmt *s = stmt(st, S_AL_LIST);
	sqlite3_bind_int(s, 1, active_only);
	bind_text(s, 2, charger);
	sqlite3_bind_int(s, 3, limit > 0 ? limit : -1);
	int rc = SQLITE_DONE, stop = 0;
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_alarm_row r = {
			.id = sqlite3_column_int64(s, 0),
			.a = {
				.source = col_text(s, 1),
				.charger = col_text(s, 2),
				.connector = (int)col_int64_or(s, 3, STORE_NO_CONNECTOR),
				.code = col_text(s, 4),
				.info = col_text(s, 5),
				.vendor_id = col_text(s, 6),
				.vendor_error_code = col_text(s, 7),
			},
			.raised_ms = sqlite3_column_int64(s, 8),
			.cleared_ms = col_int64_or(s, 9, 0),
		};
		stop = fn(arg, &r);
	}
	return walk_end(st, s, rc, stop, "alarms");
}

/* ---- a fleet of nodes (used on PostgreSQL; here for the same schema and tests) ---- */

static int sqlite_lease_get(struct sqlite_store *st, const char *charger, struct store_lease *out)
{
	sqlite3_stmt *s = stmt(st, S_LEASE_GET);
	bind_text(s, 1, charger);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		copy_col(out->node, sizeof out->node, s, 0);
		out->until_ms = sqlite3_column_int64(s, 1);
		out->node_alive = 1;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_err(st, "lease get");
		return -1;
	}
	return rc == SQLITE_ROW ? 0 : 1;
}

static int sqlite_lease_take(struct sqlite_store *st, const char *charger, const char *node, int64_t until_ms)
{
	sqlite3_stmt *s = stmt(st, S_LEASE_TAKE);
	bind_text(s, 1, charger);
	bind_text(s, 2, node);
	sqlite3_bind_int64(s, 3, until_ms);
	return exec_write(st, s, "lease take");
}

static int sqlite_lease_drop(struct sqlite_store *st, const char *charger, const char *node)
{
	sqlite3_stmt *s = stmt(st, S_LEASE_DROP);
	bind_text(s, 1, charger);
	bind_text(s, 2, node);
	return exec_write(st, s, "lease drop");
}

static int sqlite_lease_renew(struct sqlite_store *st, const char *node, int64_t until_ms,
			      int (*fn)(void *arg, const char *charger), void *arg)
{
	/* The ids are copied out first: fn may run other statements. */
	cJSON *ids = cJSON_CreateArray(), *e;
	if (!ids || begin(st)) {
		cJSON_Delete(ids);
		return -1;
	}
	sqlite3_stmt *s = stmt(st, S_LEASE_RENEW);
	bind_text(s, 1, node);
	sqlite3_bind_int64(s, 2, until_ms);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		cJSON_AddItemToArray(ids, cJSON_CreateString(col_text(s, 0)));
	rc = walk_end(st, s, rc, 0, "lease renew");
	cJSON_ArrayForEach(e, ids) if (!rc && cJSON_IsString(e) && (rc = fn(arg, e->valuestring))) break;
	cJSON_Delete(ids);
	return rc;
}

static int sqlite_node_gone(struct sqlite_store *st, const char *node)
{
	sqlite3_stmt *s = stmt(st, S_LEASE_DROP_NODE);
	bind_text(s, 1, node);
	if (exec_write(st, s, "lease drop node"))
		return -1;
	s = stmt(st, S_NODE_GONE);
	bind_text(s, 1, node);
	return exec_write(st, s, "node gone");
}

static int sqlite_node_beat(struct sqlite_store *st, const char *node, int64_t started_ms, int64_t now_ms)
{
	sqlite3_stmt *s = stmt(st, S_NODE_BEAT);
	bind_text(s, 1, node);
	sqlite3_bind_int64(s, 2, started_ms);
	sqlite3_bind_int64(s, 3, now_ms);
	return exec_write(st, s, "node beat");
}

static int sqlite_node_each(struct sqlite_store *st, int64_t now_ms,
			    int (*fn)(void *arg, const struct store_node_row *n), void *arg)
{
	sqlite3_stmt *s = stmt(st, S_NODE_LIST);
	sqlite3_bind_int64(s, 1, now_ms);
	int rc, stop = 0;
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_node_row n = { .id = col_text(s, 0),
					    .started_ms = sqlite3_column_int64(s, 1),
					    .beat_ms = sqlite3_column_int64(s, 2),
					    .chargers = sqlite3_column_int64(s, 3),
					    .alive = 1 };
		stop = fn(arg, &n);
	}
	return walk_end(st, s, rc, stop, "nodes");
}

/* One SQLite node has no one to notify. */
static int sqlite_notify(struct sqlite_store *st, const char *channel, const char *payload)
{
	(void)st;
	(void)channel;
	(void)payload;
	return 1;
}

static int sqlite_bus_put(struct sqlite_store *st, const char *payload, int64_t now_ms, int64_t *id)
{
	if (begin(st))
		return -1;
	sqlite3_stmt *s = stmt(st, S_BUS_PUT);
	sqlite3_bind_int64(s, 1, now_ms);
	bind_text(s, 2, payload);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	else
		log_err(st, "bus put");
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int sqlite_bus_take(struct sqlite_store *st, int64_t id, char **payload)
{
	if (begin(st))
		return -1;
	sqlite3_stmt *s = stmt(st, S_BUS_TAKE);
	sqlite3_bind_int64(s, 1, id);
	int rc = sqlite3_step(s), out = 1;
	if (rc == SQLITE_ROW) {
		const char *v = col_text(s, 0);
		*payload = strdup(v ? v : "");
		out = *payload ? 0 : -1;
	} else if (rc != SQLITE_DONE) {
		log_err(st, "bus take");
		out = -1;
	}
	sqlite3_reset(s);
	return out;
}

static int sqlite_bus_prune(struct sqlite_store *st, int64_t before_ms)
{
	sqlite3_stmt *s = stmt(st, S_BUS_PRUNE);
	sqlite3_bind_int64(s, 1, before_ms);
	if (exec_write(st, s, "bus prune"))
		return -1;
	return sqlite3_changes(st->db);
}

/* ---- sites ---- */

static int sqlite_site_each(struct sqlite_store *st, const char *id,
			    int (*fn)(void *arg, const struct store_site_row *r), void *arg)
{
	sqlite3_stmt *s = stmt(st, S_SITE_LIST);
	bind_text(s, 1, id);
	int rc = SQLITE_DONE, stop = 0;
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_site_row r = {
			.id = col_text(s, 0),
			.name = col_text(s, 1),
			.settings_json = col_text(s, 2),
			.created_ms = sqlite3_column_int64(s, 3),
			.chargers = sqlite3_column_int64(s, 4),
		};
		stop = fn(arg, &r);
	}
	return walk_end(st, s, rc, stop, "sites");
}

/* A count(*) of one text parameter: the count, or -1. */
static int64_t count_by(struct sqlite_store *st, enum stmt_id id, const char *v)
{
	sqlite3_stmt *s = stmt(st, id);
	bind_text(s, 1, v);
	int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
	if (n < 0)
		log_err(st, "site count");
	sqlite3_reset(s);
	return n;
}

static int sqlite_site_put(struct sqlite_store *st, const char *id, const char *name,
			   const char *settings_json, int64_t now_ms)
{
	int64_t had = count_by(st, S_SITE_HAS, id);
	if (had < 0)
		return -1;
	sqlite3_stmt *s = stmt(st, S_SITE_PUT);
	bind_text(s, 1, id);
	bind_text(s, 2, name);
	bind_text(s, 3, settings_json);
	sqlite3_bind_int64(s, 4, now_ms);
	if (exec_write(st, s, "site put"))
		return -1;
	return had ? 0 : 1;
}

static int sqlite_site_delete(struct sqlite_store *st, const char *id)
{
	if (!strcmp(id, STORE_SITE_DEFAULT))
		return 3;
	int64_t used = count_by(st, S_SITE_USED, id);
	if (used < 0)
		return -1;
	if (used)
		return 2;
	sqlite3_stmt *s = stmt(st, S_SITE_DEL);
	bind_text(s, 1, id);
	if (exec_write(st, s, "site delete"))
		return -1;
	return sqlite3_changes(st->db) ? 0 : 1;
}

static int sqlite_charger_set_site(struct sqlite_store *st, const char *charger, const char *site)
{
	int64_t has = count_by(st, S_SITE_HAS, site);
	if (has <= 0)
		return has < 0 ? -1 : 1;
	sqlite3_stmt *s = stmt(st, S_CH_SET_SITE);
	bind_text(s, 1, charger);
	bind_text(s, 2, site);
	return exec_write(st, s, "charger site");
}

/* ---- the table store.c dispatches through ---- */

#define SELF(st) STORE_BACKEND_OF(struct sqlite_store, st)
#define SQLITE_OP(ret, name, params, args) \
	static ret sqlite_op_##name params \
	{                                  \
		return sqlite_##name args; \
	}
STORE_OPS(SQLITE_OP)

static void sqlite_op_close(struct store *st)
{
	sqlite_close(SELF(st));
}

static int sqlite_op_pending(const struct store *st)
{
	return sqlite_pending(STORE_BACKEND_OF(const struct sqlite_store, st));
}

#define SQLITE_OP_ENTRY(ret, name, params, args) .name = sqlite_op_##name,
static const struct store_ops sqlite_ops = { .close = sqlite_op_close,
					     .pending = sqlite_op_pending,
					     STORE_OPS(SQLITE_OP_ENTRY) };
