/* test_store_records.c: records that stay exact over retries and restarts:
 * a meterValue element sent again is stored once (and migration 3 removes
 * copies an older csmsd stored), and what a restart must rebuild (open
 * transactions, connector status, a transaction's connector) reads back. */
#include "store.h"
#include "check.h"
#include "test_db.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

/* On PostgreSQL (CSMS_TEST_PG) the same SQL runs on the test's database. */
/* store_meter_value's answer for an element already there: PostgreSQL
 * pipelines the insert and answers 0 (the row counts below show it is
 * kept once all the same). */
#define DUP (test_db_pg() ? 0 : 1)

static int count(const char *path, const char *sql)
{
	if (test_db_pg()) {
		PGconn *c = PQconnectdb(test_db_name(path));
		PGresult *r = PQexec(c, sql);
		int n = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) ? atoi(PQgetvalue(r, 0, 0)) : -1;
		PQclear(r);
		PQfinish(c);
		return n;
	}
	sqlite3 *db;
	sqlite3_stmt *q;
	int n = -1;
	sqlite3_open(path, &db);
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

static int exec(const char *path, const char *sql)
{
	if (test_db_pg())
		return test_db_pg_exec(test_db_name(path), sql);
	sqlite3 *db;
	sqlite3_open(path, &db);
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
	return rc;
}

struct seen {
	int n;
	int64_t tx[8];
	int conn[8];
	char tag[8][STORE_TAG_MAX];
	int64_t start[8];
	char status[8][24];
};

static int on_tx(void *arg, const struct store_tx_open *t)
{
	struct seen *s = arg;
	if (s->n < 8) {
		s->tx[s->n] = t->tx_id;
		s->conn[s->n] = t->connector;
		snprintf(s->tag[s->n], sizeof s->tag[0], "%s", t->id_tag);
		s->start[s->n] = t->start_ms;
	}
	s->n++;
	return 0;
}

static int on_conn(void *arg, const struct store_conn_state *c)
{
	struct seen *s = arg;
	if (s->n < 8) {
		s->conn[s->n] = c->connector;
		snprintf(s->status[s->n], sizeof s->status[0], "%s", c->status);
	}
	s->n++;
	return 0;
}

static int stop_at_first(void *arg, const struct store_tx_open *t)
{
	(void)t;
	++*(int *)arg;
	return 7;
}

int main(void)
{
	char path[] = "/tmp/csms-test-records-XXXXXX";
	char err[256];
	struct store *st = test_db_open(path);
	CHECK(st != NULL);
	CHECK(store_schema_version(st) >= 3);

	/* a meterValue element sent again is stored once */
	const char *sv = "[{\"value\":\"600\",\"measurand\":\"Energy.Active.Import.Register\"}]";
	const char *ts = "2026-01-01T00:30:00Z";
	CHECK(store_meter_value(st, "CP1", 1, 7, ts, 1, sv, "MeterValues") == 0);
	CHECK(store_meter_value(st, "CP1", 1, 7, ts, 1, sv, "MeterValues") == DUP);
	/* anything else that differs is another element */
	CHECK(store_meter_value(st, "CP1", 1, 7, ts, 1, "[{\"value\":\"601\"}]", "MeterValues") == 0);
	CHECK(store_meter_value(st, "CP1", 1, 7, "2026-01-01T00:30:01Z", 1, sv, "MeterValues") == 0);
	CHECK(store_meter_value(st, "CP1", 2, 7, ts, 1, sv, "MeterValues") == 0);
	CHECK(store_meter_value(st, "CP1", 1, 8, ts, 1, sv, "MeterValues") == 0);
	CHECK(store_meter_value(st, "CP2", 1, 7, ts, 1, sv, "MeterValues") == 0);
	CHECK(store_meter_value(st, "CP1", 1, 7, ts, 1, sv, "StopTransaction") == 0);
	/* without a transaction too (NULL in the row) */
	CHECK(store_meter_value(st, "CP1", 0, 0, ts, 1, sv, "MeterValues") == 0);
	CHECK(store_meter_value(st, "CP1", 0, 0, ts, 1, sv, "MeterValues") == DUP);
	CHECK(store_meter_value(st, "CP1", 0, 0, ts, 1, NULL, "MeterValues") < 0);
	/* in one turn and across turns */
	CHECK(store_commit(st) == 0);
	CHECK(store_meter_value(st, "CP1", 1, 7, ts, 1, sv, "MeterValues") == DUP);
	CHECK(store_commit(st) == 0);

	/* what a restart rebuilds */
	struct store_tx_start a = { "CP1",         1,  "TAGA",    100, "2026-01-01T00:00:00Z",
				    1767225600000, -1, "Accepted" };
	struct store_tx_start b = { "CP1",         2,  "TAGB",    200, "2026-01-01T00:01:00Z",
				    1767225660000, -1, "Accepted" };
	struct store_tx_start o = { "CP9",         1,  "TAGO",    300, "2026-01-01T00:02:00Z",
				    1767225720000, -1, "Accepted" };
	int64_t ida, idb, ido;
	int retry;
	CHECK(store_tx_start(st, &a, &ida, &retry) == 0);
	CHECK(store_tx_start(st, &b, &idb, &retry) == 0);
	CHECK(store_tx_start(st, &o, &ido, &retry) == 0);
	int conn = -1;
	CHECK(store_tx_connector(st, "CP1", idb, &conn) == 0 && conn == 2);
	CHECK(store_tx_connector(st, "CP1", ido, &conn) == 1); /* another charger's */
	CHECK(store_tx_connector(st, "CP1", 99999, &conn) == 1);
	struct seen s = { 0 };
	CHECK(store_tx_each_open(st, "CP1", on_tx, &s) == 0);
	CHECK(s.n == 2);
	CHECK(s.tx[0] == ida && s.conn[0] == 1 && s.start[0] == a.start_ms);
	CHECK_STR(s.tag[0], "TAGA");
	CHECK(s.tx[1] == idb && s.conn[1] == 2);
	CHECK_STR(s.tag[1], "TAGB");
	struct store_tx_stop stop = { "CP1", ida, "TAGA", 150, "2026-01-01T01:00:00Z", 0, NULL };
	enum store_stop_outcome out;
	CHECK(store_tx_stop(st, &stop, &out) == 0 && out == STOP_OK);
	memset(&s, 0, sizeof s);
	CHECK(store_tx_each_open(st, "CP1", on_tx, &s) == 0);
	CHECK(s.n == 1 && s.tx[0] == idb);
	CHECK(store_tx_connector(st, "CP1", ida, &conn) == 0 && conn == 1); /* stopped: still known */
	int calls = 0;
	CHECK(store_tx_each_open(st, "CP9", stop_at_first, &calls) == 7 && calls == 1);

	cJSON *charging =
		cJSON_Parse("{\"connectorId\":2,\"errorCode\":\"NoError\",\"status\":\"Charging\"}");
	cJSON *avail = cJSON_Parse("{\"connectorId\":1,\"errorCode\":\"NoError\",\"status\":\"Available\"}");
	CHECK(store_connector_status(st, "CP1", 2, charging, 1000) == 0);
	CHECK(store_connector_status(st, "CP1", 1, avail, 1000) == 0);
	cJSON_Delete(charging);
	cJSON_Delete(avail);
	memset(&s, 0, sizeof s);
	CHECK(store_connector_each(st, "CP1", on_conn, &s) == 0);
	CHECK(s.n == 2 && s.conn[0] == 1 && s.conn[1] == 2);
	CHECK_STR(s.status[0], "Available");
	CHECK_STR(s.status[1], "Charging");
	memset(&s, 0, sizeof s);
	CHECK(store_connector_each(st, "NOPE", on_conn, &s) == 0 && s.n == 0);
	store_close(st);

	/* An older database (schema 2) holding copies: migration 3 keeps one
	 * of each and then refuses new ones. Schema 2 is this one without
	 * what migrations 3, 4, 5 and 6 added. */
	CHECK(exec(path,
		   "DROP TABLE node; DROP TABLE charger_node; DROP TABLE bus_message;"
		   " DROP TABLE history; ALTER TABLE transactions DROP COLUMN meter_last;"
		   " ALTER TABLE transactions DROP COLUMN meter_last_ms; ALTER TABLE transactions DROP "
		   "COLUMN cost;"
		   " ALTER TABLE transactions DROP COLUMN pv_wh; ALTER TABLE transactions DROP COLUMN "
		   "shared_wh;"
		   " DROP INDEX meter_values_once; DROP INDEX transactions_open;"
		   " DROP INDEX chargers_registration; ALTER TABLE transactions DROP COLUMN stop_source;"
		   " ALTER TABLE meter_values DROP COLUMN digest; DELETE FROM meter_values;") == SQLITE_OK);
	/* PostgreSQL: ids from 1 again, as in a fresh SQLite table */
	if (test_db_pg())
		CHECK(exec(path, "ALTER TABLE meter_values ALTER COLUMN id RESTART") == 0);
	CHECK(exec(path,
		   " INSERT INTO meter_values(charger, connector_id, transaction_id, timestamp, ts_ms, "
		   "source, sampled)"
		   " VALUES('CP1',1,7,'T1',0,'MeterValues','[1]'), ('CP1',1,7,'T1',0,'MeterValues','[1]'),"
		   " ('CP1',1,7,'T1',5,'MeterValues','[1]'), ('CP1',1,7,'T1',0,'MeterValues','[2]'),"
		   " ('CP1',1,NULL,'T1',0,'MeterValues','[1]'), ('CP1',1,NULL,'T1',0,'MeterValues','[1]'),"
		   " ('CP1',0,7,'T1',0,'StopTransaction','[1]'), "
		   "('CP1',0,7,'T1',0,'StopTransaction','[1]');") == SQLITE_OK);
	CHECK(exec(path,
		   test_db_pg() ? "DELETE FROM schema_version WHERE version > 2" : "PRAGMA user_version=2") ==
	      SQLITE_OK);
	CHECK(count(path, "SELECT count(*) FROM meter_values") == 8);
	if (store_open(test_db_name(path), &st, err, sizeof err)) {
		CHECK(!"a schema-2 database opens and migrates");
		return 1;
	}
	CHECK(store_schema_version(st) >= 3);
	store_close(st);
	CHECK(count(path, "SELECT count(*) FROM meter_values") == 4);
	/* the first copy of each stays */
	CHECK(count(path, "SELECT count(*) FROM meter_values WHERE id IN (1, 4, 5, 7)") == 4);
	CHECK(count(path, "SELECT count(*) FROM meter_values WHERE digest IS NULL") == 0);
	CHECK(store_open(test_db_name(path), &st, err, sizeof err) == 0);
	CHECK(store_meter_value(st, "CP1", 1, 7, "T1", 0, "[1]", "MeterValues") == DUP);
	CHECK(store_meter_value(st, "CP1", 1, 0, "T1", 0, "[1]", "MeterValues") == DUP);
	CHECK(store_meter_value(st, "CP1", 1, 7, "T1", 0, "[3]", "MeterValues") == 0);
	/* PostgreSQL: a pipelined insert that the server refuses (text that is
	 * not UTF-8) fails the turn's commit, and nothing of the turn stays;
	 * the next turn works */
	if (test_db_pg()) {
		CHECK(store_commit(st) == 0);
		CHECK(store_meter_value(st, "CP1", 5, 7, ts, 1, sv, "MeterValues") == 0);
		CHECK(store_meter_value(st, "CP1", 5, 7, "\xff\xfe", 1, sv, "MeterValues") == 0);
		CHECK(store_meter_value(st, "CP1", 6, 7, ts, 1, sv, "MeterValues") <= 0);
		CHECK(store_commit(st) < 0);
		CHECK(count(path, "SELECT count(*) FROM meter_values WHERE connector_id IN (5, 6)") == 0);
		/* the same with a read after it: the read waits for the pipeline,
		 * and fails with it; so does the commit */
		CHECK(store_meter_value(st, "CP1", 5, 7, "\xff", 1, sv, "MeterValues") == 0);
		CHECK(store_charger_count(st, REG_ACCEPTED) < 0);
		CHECK(store_commit(st) < 0);
		CHECK(store_meter_value(st, "CP1", 5, 7, ts, 1, sv, "MeterValues") == 0);
		CHECK(store_commit(st) == 0);
		CHECK(count(path, "SELECT count(*) FROM meter_values WHERE connector_id = 5") == 1);
	}
	store_close(st);
	/* a transaction's rows are still found through an index (SQLite's plan) */
	if (!test_db_pg()) {
		sqlite3 *db;
		sqlite3_stmt *q;
		char plan[256] = "";
		sqlite3_open(path, &db);
		if (sqlite3_prepare_v2(db,
				       "EXPLAIN QUERY PLAN SELECT timestamp FROM meter_values"
				       " WHERE transaction_id=?1 ORDER BY id",
				       -1, &q, NULL) == SQLITE_OK &&
		    sqlite3_step(q) == SQLITE_ROW)
			snprintf(plan, sizeof plan, "%s", (const char *)sqlite3_column_text(q, 3));
		sqlite3_finalize(q);
		sqlite3_close(db);
		CHECK_CONTAINS(plan, "INDEX meter_values_tx (transaction_id=?)");
	}
	/* the five elements above; on PostgreSQL also the one of the turn after the failed ones */
	CHECK(count(path, "SELECT count(*) FROM meter_values") == (test_db_pg() ? 6 : 5));

	unlink(path);
	char wal[300];
	snprintf(wal, sizeof wal, "%s-wal", path);
	unlink(wal);
	snprintf(wal, sizeof wal, "%s-shm", path);
	unlink(wal);
	return CHECK_DONE();
}
