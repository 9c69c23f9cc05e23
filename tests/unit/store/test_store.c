/* test_store.c: the SQLite store: migrations, idempotent StartTransaction
 * retries, every StopTransaction outcome, idTags with bindings, durability
 * across a reopen, and nothing visible after a rollback. */
#include "store.h"
#include "check.h"
#include "test_db.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
	char path[] = "/tmp/csms-test-store-XXXXXX";
	char err[256];
	struct store *st = test_db_open(path);
	CHECK(st != NULL);
	int ver = store_schema_version(st);
	CHECK(ver >= 1);

	/* chargers */
	cJSON *boot = cJSON_Parse("{\"chargePointVendor\":\"V\",\"chargePointModel\":\"M\",\"firmwareVersion\":\"1.2\"}");
	enum store_registration reg;
	CHECK(store_charger_boot(st, "CP1", boot, 1000, REG_PENDING, &reg) == 0);
	CHECK(reg == REG_PENDING);
	CHECK(store_charger_set_registration(st, "CP1", REG_ACCEPTED) == 0);
	CHECK(store_charger_boot(st, "CP1", boot, 2000, REG_PENDING, &reg) == 0);
	CHECK(reg == REG_ACCEPTED);   /* a known charger keeps its registration */
	CHECK(store_charger_set_registration(st, "NOPE", REG_ACCEPTED) == 1);
	cJSON_Delete(boot);

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
	CHECK(store_meter_value(st, "CP1", 1, id1, "2026-01-01T00:30:00Z", 0,
				"[{\"value\":\"600\"}]", "MeterValues") == 0);
	CHECK(store_commit(st) == 0);

	cJSON *tx = store_tx_json(st, id1);
	CHECK(tx != NULL);
	CHECK(cJSON_GetObjectItem(tx, "energyWh")->valuedouble == 1000);
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(tx, "meterValues")) == 1);
	cJSON_Delete(tx);
	struct store_tx_filter f = { "CP1", NULL, 1, 0, 0, 0 };
	cJSON *list = store_tx_list(st, &f);
	CHECK(cJSON_GetArraySize(list) == 1);
	cJSON_Delete(list);

	/* id tags and bindings */
	struct store_idtag t = { "CARD", "Accepted", 0, "", 0, 0 };
	cJSON *ch = cJSON_Parse("[\"CP1\",\"CP2\"]");
	CHECK(store_idtag_put(st, &t, ch) == 0);
	cJSON_Delete(ch);
	struct store_idtag got;
	CHECK(store_idtag_get(st, "CARD", &got) == 0 && got.nchargers == 2);
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
	store_close(st);

	/* reopen: committed data is there, migrations do not run again */
	CHECK(store_open(path, &st, err, sizeof err) == 0);
	CHECK(store_schema_version(st) == ver);
	char buf[32];
	CHECK(store_meta_get(st, "k", buf, sizeof buf) == 0);
	CHECK_STR(buf, "v1");
	CHECK(store_tx_find(st, &s, &id2, status) == 0 && id2 == id1);
	store_close(st);

	/* a database from a newer csmsd is refused, and an unwritable path too */
	sqlite3 *db;
	sqlite3_open(path, &db);
	sqlite3_exec(db, "PRAGMA user_version=999", NULL, NULL, NULL);
	sqlite3_close(db);
	CHECK(store_open(path, &st, err, sizeof err) != 0);
	CHECK_CONTAINS(err, "newer");
	CHECK(store_open("/nonexistent-dir/x.db", &st, err, sizeof err) != 0);

	unlink(path);
	char wal[300];
	snprintf(wal, sizeof wal, "%s-wal", path);
	unlink(wal);
	snprintf(wal, sizeof wal, "%s-shm", path);
	unlink(wal);
	return CHECK_DONE();
}
