/* test_store_commands.c: the store's tables for what CS-initiated calls
 * mean (migration 2): alarms raised once and cleared per connector,
 * reservations used by id or by tag on connector 0 and expired, charging
 * profiles replaced / cleared by the spec's rules, local lists applied Full
 * and Differential and the wanted list from the id-tag table, configuration
 * keys, the audit table and its pruning. */
#include "store.h"
#include "check.h"
#include "test_db.h"

#include <stdlib.h>
#include <unistd.h>

static int count(cJSON *arr)
{
	int n = cJSON_GetArraySize(arr);
	cJSON_Delete(arr);
	return n;
}

static const char *field(cJSON *arr, int i, const char *k)
{
	cJSON *v = cJSON_GetObjectItem(cJSON_GetArrayItem(arr, i), k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int main(void)
{
	char path[] = "/tmp/csms-test-cmds-XXXXXX";
	struct store *st = test_db_open(path);
	CHECK(st != NULL);
	CHECK(store_schema_version(st) >= 2);

	/* alarms */
	struct store_alarm a = { "statusNotification", "CP1", 1, "GroundFailure", "leak", "acme", "E1" };
	CHECK(store_alarm_raise(st, &a, 1000) == 0);
	CHECK(store_alarm_raise(st, &a, 2000) == 1);          /* already active */
	struct store_alarm b = { "statusNotification", "CP1", 2, "GroundFailure", NULL, NULL, NULL };
	CHECK(store_alarm_raise(st, &b, 2000) == 0);          /* another connector */
	struct store_alarm off = { "offline", "CP1", STORE_NO_CONNECTOR, "Offline", NULL, NULL, NULL };
	CHECK(store_alarm_raise(st, &off, 2000) == 0);
	CHECK(count(store_alarms_json(st, 1, NULL, 0)) == 3);
	CHECK(store_alarm_clear(st, "statusNotification", "CP1", 1, "GroundFailure", 3000) == 0); /* excepted */
	CHECK(store_alarm_clear(st, "statusNotification", "CP1", 1, NULL, 3000) == 1);
	CHECK(store_alarm_clear(st, "offline", "CP1", STORE_NO_CONNECTOR, NULL, 3000) == 1);
	CHECK(store_alarm_raise(st, &a, 4000) == 0);          /* raised again after clearing */
	CHECK(store_alarm_clear(st, "statusNotification", "CP1", STORE_ANY_CONNECTOR, NULL, 5000) == 2);
	cJSON *al = store_alarms_json(st, 0, "CP1", 0);
	CHECK(cJSON_GetArraySize(al) == 4);
	CHECK_STR(field(al, 3, "info"), "leak");              /* oldest last */
	CHECK(cJSON_IsString(cJSON_GetObjectItem(cJSON_GetArrayItem(al, 3), "cleared")));
	cJSON_Delete(al);
	CHECK(count(store_alarms_json(st, 1, NULL, 0)) == 0);

	/* reservations */
	struct store_reservation r1 = { "CP1", 11, 1, "T1", NULL, 100000 };
	struct store_reservation r2 = { "CP1", 12, 0, "T2", "P", 100000 };
	struct store_reservation r3 = { "CP1", 13, 2, "T3", NULL, 50000 };
	CHECK(store_reservation_add(st, &r1, 1000) == 0);
	CHECK(store_reservation_add(st, &r2, 1000) == 0);
	CHECK(store_reservation_add(st, &r3, 1000) == 0);
	CHECK(store_reservation_use(st, "CP1", 1, 11, "T1", 7, 2000) == 0);
	CHECK(store_reservation_use(st, "CP1", 1, 11, "T1", 7, 2000) == 1);   /* used already */
	CHECK(store_reservation_use(st, "CP1", 2, -1, "T2", 8, 2000) == 0);   /* connector 0, by tag */
	CHECK(store_reservation_use(st, "CP1", 2, -1, "NOPE", 9, 2000) == 1);
	CHECK(store_reservation_expire(st, 49999) == 0);
	CHECK(store_reservation_expire(st, 50000) == 1);
	CHECK(count(store_reservations_json(st, "CP1", 1, 0)) == 0);
	cJSON *res = store_reservations_json(st, NULL, 0, 0);
	CHECK(cJSON_GetArraySize(res) == 3);
	cJSON_Delete(res);
	CHECK(store_reservation_end(st, "CP1", 13, "Cancelled", 0, 60000) == 1);   /* not Reserved any more */

	/* charging profiles */
	cJSON *p5 = cJSON_Parse("{\"chargingProfileId\":5,\"stackLevel\":1,\"chargingProfilePurpose\":\"TxDefaultProfile\"}");
	cJSON *p6 = cJSON_Parse("{\"chargingProfileId\":6,\"stackLevel\":1,\"chargingProfilePurpose\":\"TxDefaultProfile\"}");
	cJSON *p7 = cJSON_Parse("{\"chargingProfileId\":7,\"stackLevel\":2,\"chargingProfilePurpose\":\"TxProfile\",\"transactionId\":3}");
	cJSON *bad = cJSON_Parse("{\"stackLevel\":2}");
	CHECK(store_profile_put(st, "CP1", 1, p5, 1000) == 0);
	CHECK(store_profile_put(st, "CP1", 2, p6, 1000) == 0);   /* other connector: both kept */
	CHECK(count(store_profiles_json(st, "CP1")) == 2);
	CHECK(store_profile_put(st, "CP1", 1, p6, 2000) == 0);   /* same id: moved; same level on 1: replaces 5 */
	CHECK(count(store_profiles_json(st, "CP1")) == 1);
	CHECK(store_profile_put(st, "CP1", 1, p7, 2000) == 0);
	CHECK(store_profile_put(st, "CP1", 1, bad, 2000) == -1);
	cJSON *crit = cJSON_Parse("{\"id\":99,\"connectorId\":1}");      /* an id decides alone */
	CHECK(store_profile_clear(st, "CP1", crit) == 0);
	cJSON_Delete(crit);
	CHECK(store_profile_clear_tx(st, "CP1", 2) == 0);
	CHECK(store_profile_clear_tx(st, "CP1", 1) == 1);
	crit = cJSON_Parse("{\"chargingProfilePurpose\":\"TxDefaultProfile\"}");
	CHECK(store_profile_clear(st, "CP1", crit) == 1);
	cJSON_Delete(crit);
	CHECK(count(store_profiles_json(st, "CP1")) == 0);
	cJSON_Delete(p5);
	cJSON_Delete(p6);
	cJSON_Delete(p7);
	cJSON_Delete(bad);

	/* local lists */
	struct store_idtag t = { "A", "Accepted", 0, "", 0, 0 };
	CHECK(store_idtag_put(st, &t, NULL) == 0);
	struct store_idtag par = { "PB", "Blocked", 0, "", 0, 0 };
	CHECK(store_idtag_put(st, &par, NULL) == 0);
	struct store_idtag child = { "C", "Accepted", 0, "PB", 0, 0 };
	CHECK(store_idtag_put(st, &child, NULL) == 0);
	struct store_idtag old = { "E", "Accepted", 500, "", 0, 0 };
	CHECK(store_idtag_put(st, &old, NULL) == 0);
	cJSON *elsewhere = cJSON_Parse("[\"CP2\"]");
	struct store_idtag bound = { "B", "Accepted", 0, "", 0, 0 };
	CHECK(store_idtag_put(st, &bound, elsewhere) == 0);
	cJSON_Delete(elsewhere);
	cJSON *w = store_locallist_wanted(st, "CP1", 1000);
	CHECK(cJSON_GetArraySize(w) == 4);                    /* A, C, E, PB; not B */
	char *txt = cJSON_PrintUnformatted(w);
	CHECK_CONTAINS(txt, "{\"idTag\":\"C\",\"idTagInfo\":{\"status\":\"Blocked\",\"parentIdTag\":\"PB\"}}");
	CHECK_CONTAINS(txt, "{\"idTag\":\"E\",\"idTagInfo\":{\"status\":\"Expired\"");
	free(txt);
	CHECK(count(store_locallist_wanted(st, "CP2", 1000)) == 5);
	int v;
	CHECK(store_locallist_get(st, "CP1", &v) == 1 && v == -1);
	CHECK(store_locallist_apply(st, "CP1", 3, 1, w, 1000) == 0);
	cJSON_Delete(w);
	CHECK(store_locallist_get(st, "CP1", &v) == 0 && v == 3);
	cJSON *d = cJSON_Parse("[{\"idTag\":\"A\"},{\"idTag\":\"N\",\"idTagInfo\":{\"status\":\"Accepted\"}}]");
	CHECK(store_locallist_apply(st, "CP1", 4, 0, d, 2000) == 0);
	cJSON_Delete(d);
	cJSON *e = store_locallist_entries(st, "CP1");
	CHECK(cJSON_GetArraySize(e) == 4);                    /* C, E, N, PB */
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(e, 2), "idTag")->valuestring, "N");
	cJSON_Delete(e);
	CHECK(store_locallist_reported(st, "CP1", 4, 3000) == 0);
	CHECK(store_locallist_reported(st, "CP9", 2, 3000) == 0);
	CHECK(store_locallist_get(st, "CP9", &v) == 0 && v == -1);   /* reported only: nothing sent by us */

	/* configuration keys */
	CHECK(store_config_key_set(st, "CP1", "HeartbeatInterval", "300", 1, 0, NULL, NULL, 1000) == 0);
	CHECK(store_config_key_set(st, "CP1", "HeartbeatInterval", "60", 0, -1, "RebootRequired", "60", 2000) == 0);
	cJSON *cfg = store_config_json(st, "CP1");
	CHECK_STR(field(cfg, 0, "value"), "300");             /* not in force before the reboot */
	CHECK_STR(field(cfg, 0, "status"), "RebootRequired");
	CHECK_STR(field(cfg, 0, "requestedValue"), "60");
	CHECK(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetArrayItem(cfg, 0), "readonly")));
	cJSON_Delete(cfg);
	CHECK(store_config_key_set(st, "CP1", "Other", NULL, 0, -1, "Rejected", "x", 2000) == 0);
	CHECK(store_config_rebooted(st, "CP1", 3000) == 1);   /* only the RebootRequired one */
	cfg = store_config_json(st, "CP1");
	CHECK_STR(field(cfg, 0, "value"), "60");
	CHECK_STR(field(cfg, 0, "status"), "Accepted");
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(cfg, 1), "value")));
	cJSON_Delete(cfg);

	/* audit and pruning */
	for (int i = 0; i < 10; i++) {
		struct store_audit au = { "CP1", i % 2 ? "Reset" : "ClearCache", "cs-1", "admin", 1000, 1000, 1010, 10,
					  "{}", "result", "{\"status\":\"Accepted\"}", NULL, NULL };
		CHECK(store_audit_add(st, &au) == 0);
	}
	struct store_audit te = { "CP1", "Reset", "cs-2", "dlm", 1000, 1000, 31000, -1, "{\"type\":\"Soft\"}",
				  "timeout", NULL, "Timeout", "no answer" };
	CHECK(store_audit_add(st, &te) == 0);
	cJSON *au = store_audit_json(st, "CP1", "Reset", 2);
	CHECK(cJSON_GetArraySize(au) == 2);
	CHECK_STR(field(au, 0, "outcome"), "timeout");
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(au, 0), "latencyMs")));
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(au, 0), "error"), "code")->valuestring,
		  "Timeout");
	cJSON_Delete(au);
	CHECK(store_audit_prune(st, 4) == 7);
	CHECK(count(store_audit_json(st, NULL, NULL, 100)) == 4);

	struct store_counts sc;
	CHECK(store_counts(st, &sc) == 0 && sc.alarms_active == 0);
	CHECK(store_commit(st) == 0);
	store_close(st);
	unlink(path);
	return CHECK_DONE();
}
