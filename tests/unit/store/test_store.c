/* test_store.c: the SQLite store: migrations, idempotent StartTransaction
 * retries, every StopTransaction outcome, idTags with bindings, durability
 * across a reopen, and nothing visible after a rollback. */
#include "store.h"
#include "check.h"
#include "test_db.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a walk saw: how many rows, and the first ones as a line of text. */
struct seen {
	int n;
	char row[4][160];
};

static const char *nz(const char *s)
{
	return s ? s : "-";
}

static int on_charger(void *arg, const struct store_charger_row *c)
{
	struct seen *s = arg;
	if (s->n < 4)
		snprintf(s->row[s->n], sizeof s->row[0], "%s %s %s %s %s %s %lld %s", c->id,
			 store_registration_names[c->registration], nz(c->vendor), nz(c->model),
			 nz(c->firmware), nz(c->serial), (long long)c->last_seen_ms, nz(c->settings_json));
	s->n++;
	return 0;
}

static int on_tx(void *arg, const struct store_tx_row *t)
{
	struct seen *s = arg;
	if (s->n < 4)
		snprintf(s->row[s->n], sizeof s->row[0], "%s %d %s %s %s %lld %d %lld %s %s %d %s",
			 t->charger, t->connector, t->id_tag, nz(t->start_ts), nz(t->stop_ts),
			 (long long)t->meter_start, t->stopped, (long long)t->meter_stop, nz(t->stop_reason),
			 nz(t->auth_status), t->reservation_id, nz(t->stop_source));
	s->n++;
	return 0;
}

static int on_mv(void *arg, const struct store_mv_row *m)
{
	struct seen *s = arg;
	if (s->n < 4)
		snprintf(s->row[s->n], sizeof s->row[0], "%s %s %s %d", m->timestamp, m->source,
			 m->sampled_json, m->connector);
	s->n++;
	return 0;
}

static int on_tag(void *arg, const struct store_idtag *t)
{
	struct seen *s = arg;
	if (s->n < 4)
		snprintf(s->row[s->n], sizeof s->row[0], "%s %s %d", t->id_tag, t->status, t->nchargers);
	s->n++;
	return 0;
}

static int on_tag_charger(void *arg, const char *charger)
{
	struct seen *s = arg;
	if (s->n < 4)
		snprintf(s->row[s->n], sizeof s->row[0], "%s", charger);
	s->n++;
	return 0;
}

int main(void)
{
	char path[] = "/tmp/csms-test-store-XXXXXX";
	char err[256];
	struct store *st = test_db_open(path);
	CHECK(st != NULL);
	int ver = store_schema_version(st);
	CHECK(ver >= 1);

	/* chargers */
	cJSON *boot = cJSON_Parse(
		"{\"chargePointVendor\":\"V\",\"chargePointModel\":\"M\",\"firmwareVersion\":\"1.2\"}");
	enum store_registration reg;
	CHECK(store_charger_boot(st, "CP1", boot, 1000, REG_PENDING, &reg) == 0);
	CHECK(reg == REG_PENDING);
	CHECK(store_charger_set_registration(st, "CP1", REG_ACCEPTED) == 0);
	CHECK(store_charger_boot(st, "CP1", boot, 2000, REG_PENDING, &reg) == 0);
	CHECK(reg == REG_ACCEPTED); /* a known charger keeps its registration */
	CHECK(store_charger_set_registration(st, "NOPE", REG_ACCEPTED) == 1);
	cJSON_Delete(boot);
	struct seen seen = { 0 };
	CHECK(store_charger_each(st, "CP1", on_charger, &seen) == 0 && seen.n == 1);
	CHECK_STR(seen.row[0], "CP1 accepted V M 1.2 - 2000 -");
	CHECK(store_charger_create(st, "CP0", REG_PENDING, 3000) == 0);
	memset(&seen, 0, sizeof seen);
	CHECK(store_charger_each(st, NULL, on_charger, &seen) == 0 && seen.n == 2); /* by id */
	CHECK_STR(seen.row[0], "CP0 pending - - - - 0 -");
	memset(&seen, 0, sizeof seen);
	CHECK(store_charger_each(st, "NOPE", on_charger, &seen) == 0 && seen.n == 0);

	/* transactions: a retried start gets the same id and no second row */
	struct store_tx_start s = { "CP1", 1, "TAG", 100, "2026-01-01T00:00:00Z", 0, -1, "Accepted" };
	int64_t id1, id2, id3;
	int retry;
	CHECK(store_tx_start(st, &s, &id1, &retry) == 0 && !retry);
	CHECK(store_tx_start(st, &s, &id2, &retry) == 0 && retry);
	CHECK(id1 == id2);
	struct store_tx_start other = s;
	other.meter_start = 101;
	CHECK(store_tx_start(st, &other, &id3, &retry) == 0 && !retry && id3 != id1);
	CHECK(store_active_tx_count(st, "TAG") == 2);
	char status[16];
	CHECK(store_tx_find(st, &s, &id2, status) == 0);
	CHECK_STR(status, "Accepted");

	/* stops: first, the same again, a different second, unknown */
	struct store_tx_stop stop = { "CP1", id1, "TAG", 1100, "2026-01-01T01:00:00Z", 3600000, "Local" };
	enum store_stop_outcome out;
	CHECK(store_tx_stop(st, &stop, &out) == 0 && out == STOP_OK);
	CHECK(store_tx_stop(st, &stop, &out) == 0 && out == STOP_RETRY);
	stop.meter_stop = 1200;
	CHECK(store_tx_stop(st, &stop, &out) == 0 && out == STOP_ALREADY);
	stop.tx_id = 9999;
	CHECK(store_tx_stop(st, &stop, &out) == 0 && out == STOP_UNKNOWN);
	CHECK(store_active_tx_count(st, "TAG") == 1);
	CHECK(store_meter_value(st, "CP1", 1, id1, "2026-01-01T00:30:00Z", 0, "[{\"value\":\"600\"}]",
				"MeterValues") == 0);
	CHECK(store_commit(st) == 0);

	struct store_tx_filter one = { .active = -1, .tx_id = id1 };
	memset(&seen, 0, sizeof seen);
	CHECK(store_tx_each(st, &one, on_tx, &seen) == 0 && seen.n == 1);
	CHECK_STR(seen.row[0],
		  "CP1 1 TAG 2026-01-01T00:00:00Z 2026-01-01T01:00:00Z 100 1 1100 Local Accepted -1 -");
	memset(&seen, 0, sizeof seen);
	CHECK(store_meter_value_each(st, id1, on_mv, &seen) == 0 && seen.n == 1);
	CHECK_STR(seen.row[0], "2026-01-01T00:30:00Z MeterValues [{\"value\":\"600\"}] 1");
	struct store_tx_filter f = { "CP1", NULL, 1, 0, 0, 0, 0 };
	memset(&seen, 0, sizeof seen);
	CHECK(store_tx_each(st, &f, on_tx, &seen) == 0 && seen.n == 1);
	CHECK_STR(seen.row[0], "CP1 1 TAG 2026-01-01T00:00:00Z - 101 0 0 - Accepted -1 -");
	memset(&seen, 0, sizeof seen);
	CHECK(store_tx_each(st, NULL, on_tx, &seen) == 0 && seen.n == 2);
	CHECK(store_tx_admin_stop(st, id3, 150, 4000, "2026-01-01T02:00:00Z", "Other") == 0);
	memset(&seen, 0, sizeof seen);
	CHECK(store_tx_each(st, &f, on_tx, &seen) == 0 && seen.n == 0);
	f.active = 0;
	f.limit = 1;
	memset(&seen, 0, sizeof seen);
	CHECK(store_tx_each(st, &f, on_tx, &seen) == 0 && seen.n == 1);
	one.tx_id = id3;
	memset(&seen, 0, sizeof seen);
	CHECK(store_tx_each(st, &one, on_tx, &seen) == 0 && seen.n == 1);
	CHECK_STR(seen.row[0],
		  "CP1 1 TAG 2026-01-01T00:00:00Z 2026-01-01T02:00:00Z 101 1 150 Other Accepted -1 admin");
	CHECK(store_commit(st) == 0);

	/* id tags and bindings */
	struct store_idtag t = { "CARD", "Accepted", 0, "", 0, 0 };
	cJSON *ch = cJSON_Parse("[\"CP1\",\"CP2\"]");
	CHECK(store_idtag_put(st, &t, ch) == 0);
	cJSON_Delete(ch);
	struct store_idtag got;
	CHECK(store_idtag_get(st, "CARD", &got) == 0 && got.nchargers == 2);
	memset(&seen, 0, sizeof seen);
	CHECK(store_idtag_each(st, NULL, on_tag, &seen) == 0 && seen.n == 1);
	CHECK_STR(seen.row[0], "CARD Accepted 2");
	memset(&seen, 0, sizeof seen);
	CHECK(store_idtag_each_charger(st, "CARD", on_tag_charger, &seen) == 0 && seen.n == 2);
	CHECK_STR(seen.row[0], "CP1");
	CHECK_STR(seen.row[1], "CP2");
	memset(&seen, 0, sizeof seen);
	CHECK(store_idtag_each(st, "NOPE", on_tag, &seen) == 0 && seen.n == 0);
	CHECK(store_idtag_bound_to(st, "CARD", "CP2") == 1);
	CHECK(store_idtag_bound_to(st, "CARD", "CP3") == 0);
	CHECK(store_idtag_put(st, &t, NULL) == 0);
	CHECK(store_idtag_get(st, "CARD", &got) == 0 && got.nchargers == 0);
	CHECK(store_idtag_delete(st, "CARD") == 0);
	CHECK(store_idtag_delete(st, "CARD") == 1);
	CHECK(store_idtag_get(st, "CARD", &got) == 1);

	/* a rolled-back turn leaves nothing behind */
	struct store_tx_start lost = { "CP1", 2, "LOST", 5, "2026-01-02T00:00:00Z", 0, -1, "Accepted" };
	CHECK(store_tx_start(st, &lost, &id3, &retry) == 0);
	CHECK(store_rollback(st) == 0);
	CHECK(store_tx_find(st, &lost, &id3, status) == 1);

	CHECK(store_meta_set(st, "k", "v1") == 0);
	CHECK(store_meta_set(st, "gone", "x") == 0);
	CHECK(store_meta_delete(st, "gone") == 0);
	CHECK(store_meta_delete(st, "never") == 0); /* absent: nothing to do, no error */
	CHECK(store_meta_set(st, "gone2", "y") == 0 && store_commit(st) == 0);
	CHECK(store_meta_delete(st, "gone2") == 0);
	store_close(st);

	/* reopen: committed data is there, migrations do not run again */
	CHECK(store_open(test_db_name(path), &st, err, sizeof err) == 0);
	CHECK(store_schema_version(st) == ver);
	char buf[32];
	CHECK(store_meta_get(st, "k", buf, sizeof buf) == 0);
	CHECK_STR(buf, "v1");
	CHECK(store_meta_get(st, "gone", buf, sizeof buf) == 1);
	CHECK(store_meta_get(st, "gone2", buf, sizeof buf) == 1); /* the delete was committed at close */
	CHECK(store_tx_find(st, &s, &id2, status) == 0 && id2 == id1);
	store_close(st);

	/* a database from a newer csmsd is refused, and an unwritable path too */
	if (test_db_pg()) {
		CHECK(test_db_pg_exec(test_db_name(path),
				      "INSERT INTO schema_version(version) VALUES(999)") == 0);
	} else {
		sqlite3 *db;
		sqlite3_open(path, &db);
		sqlite3_exec(db, "PRAGMA user_version=999", NULL, NULL, NULL);
		sqlite3_close(db);
	}
	CHECK(store_open(test_db_name(path), &st, err, sizeof err) != 0);
	CHECK_CONTAINS(err, "newer");
	CHECK(store_open("/nonexistent-dir/x.db", &st, err, sizeof err) != 0);
	char wal[300];

	/* SQLite: a new database gets 16 KiB pages; one made with 4 KiB pages
	 * keeps them. Either checkpoints at about 4 MiB of WAL. */
	if (!test_db_pg()) {
		char p2[] = "/tmp/csms-test-store-page-XXXXXX";
		int fd = mkstemp(p2);
		CHECK(fd >= 0);
		close(fd);
		unlink(p2);
		for (int old = 0; old < 2; old++) {
			sqlite3 *db;
			if (old) {
				unlink(p2);
				sqlite3_open(p2, &db);
				CHECK(sqlite3_exec(db, "PRAGMA page_size=4096; CREATE TABLE x(a)", NULL, NULL,
						   NULL) == SQLITE_OK);
				sqlite3_close(db);
			}
			CHECK(store_open(p2, &st, err, sizeof err) == 0);
			CHECK(store_meta_set(st, "k", "v") == 0 && store_commit(st) == 0);
			store_close(st);
			CHECK(sqlite3_open(p2, &db) == SQLITE_OK);
			sqlite3_stmt *q;
			CHECK(sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &q, NULL) == SQLITE_OK);
			CHECK(sqlite3_step(q) == SQLITE_ROW &&
			      sqlite3_column_int(q, 0) == (old ? 4096 : 16384));
			sqlite3_finalize(q);
			sqlite3_close(db);
		}
		/* 12 MiB written in 48 KiB commits to a new database: the WAL
		 * stays near 4 MiB (SQLite's default of 1,000 pages would let it
		 * grow to 16 MiB with these pages) */
		unlink(p2);
		CHECK(store_open(p2, &st, err, sizeof err) == 0);
		static char big[48 * 1024 + 1];
		for (int i = 0; i < 256; i++) {
			char key[16];
			memset(big, 'a' + i % 26, sizeof big - 1);
			snprintf(key, sizeof key, "k%d", i);
			CHECK(store_meta_set(st, key, big) == 0 && store_commit(st) == 0);
		}
		struct stat sb;
		snprintf(wal, sizeof wal, "%s-wal", p2);
		CHECK(stat(wal, &sb) == 0);
		CHECK(sb.st_size > 1024 * 1024 && sb.st_size < 6 * 1024 * 1024);
		store_close(st);
		unlink(p2);
		unlink(wal);
		snprintf(wal, sizeof wal, "%s-shm", p2);
		unlink(wal);
	}

	unlink(path);
	snprintf(wal, sizeof wal, "%s-wal", path);
	unlink(wal);
	snprintf(wal, sizeof wal, "%s-shm", path);
	unlink(wal);
	return CHECK_DONE();
}
