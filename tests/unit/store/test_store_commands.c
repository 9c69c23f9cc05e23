/* test_store_commands.c: the store's tables for what CS-initiated calls
 * mean (migration 2): alarms raised once and cleared per connector,
 * reservations used by id or by tag on connector 0 and expired, charging
 * profiles replaced / cleared by the spec's rules, local lists applied Full
 * and Differential and the wanted list from the id-tag table, configuration
 * keys, the audit table and its pruning. */
#include "store.h"
#include "check.h"
#include "test_db.h"

#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

/* What a walk saw: how many rows, and the first ones as a line of text. */
struct seen {
	int n;
	char row[8][128];
};

static const char *nz(const char *s)
{
	return s ? s : "-";
}

static int saw(struct seen *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int saw(struct seen *s, const char *fmt, ...)
{
	if (s->n < 8) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(s->row[s->n], sizeof s->row[0], fmt, ap);
		va_end(ap);
	}
	s->n++;
	return 0;
}

static int on_alarm(void *arg, const struct store_alarm_row *r)
{
	return saw(arg, "%s %d %s %s %lld %lld", r->a.code, r->a.connector, nz(r->a.info), nz(r->a.vendor_id),
		   (long long)r->raised_ms, (long long)r->cleared_ms);
}

static int stop_at_first(void *arg, const struct store_alarm_row *r)
{
	on_alarm(arg, r);
	return 5;
}

static int on_reservation(void *arg, const struct store_reservation_row *r)
{
	return saw(arg, "%d %s %s %lld %lld", r->r.reservation_id, r->status, nz(r->r.parent),
		   (long long)r->ended_ms, (long long)r->tx_id);
}

static int on_profile(void *arg, const struct store_profile_row *p)
{
	return saw(arg, "%d %d %s %d %d", p->profile_id, p->connector, p->purpose, p->stack_level,
		   p->has_tx_id);
}

static int on_wanted(void *arg, const struct store_locallist_wanted *w)
{
	return saw(arg, "%s %s %lld '%s' %s", w->e.id_tag, w->e.status, (long long)w->e.expiry_ms,
		   w->e.parent, nz(w->parent_status));
}

static int on_entry(void *arg, const struct store_locallist_entry *e)
{
	return saw(arg, "%s %s %lld '%s'", e->id_tag, e->status, (long long)e->expiry_ms, e->parent);
}

static int on_config(void *arg, const struct store_config_row *k)
{
	return saw(arg, "%s %s %d %s %s %lld", k->key, nz(k->value), k->readonly, nz(k->status),
		   nz(k->requested), (long long)k->updated_ms);
}

static int on_audit(void *arg, const struct store_audit_row *r)
{
	return saw(arg, "%s %s %lld %lld %s %s %s", r->a.action, r->a.outcome, (long long)r->a.latency_ms,
		   (long long)r->a.sent_ms, nz(r->a.response), nz(r->a.error_code),
		   nz(r->a.error_description));
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
	CHECK(store_alarm_raise(st, &a, 2000) == 1); /* already active */
	struct store_alarm b = { "statusNotification", "CP1", 2, "GroundFailure", NULL, NULL, NULL };
	CHECK(store_alarm_raise(st, &b, 2000) == 0); /* another connector */
	struct store_alarm off = { "offline", "CP1", STORE_NO_CONNECTOR, "Offline", NULL, NULL, NULL };
	CHECK(store_alarm_raise(st, &off, 2000) == 0);
	struct seen s = { 0 };
	CHECK(store_alarm_each(st, 1, NULL, 0, on_alarm, &s) == 0 && s.n == 3);
	CHECK(store_alarm_clear(st, "statusNotification", "CP1", 1, "GroundFailure", 3000) ==
	      0); /* excepted */
	CHECK(store_alarm_clear(st, "statusNotification", "CP1", 1, NULL, 3000) == 1);
	CHECK(store_alarm_clear(st, "offline", "CP1", STORE_NO_CONNECTOR, NULL, 3000) == 1);
	CHECK(store_alarm_raise(st, &a, 4000) == 0); /* raised again after clearing */
	CHECK(store_alarm_clear(st, "statusNotification", "CP1", STORE_ANY_CONNECTOR, NULL, 5000) == 2);
	memset(&s, 0, sizeof s);
	CHECK(store_alarm_each(st, 0, "CP1", 0, on_alarm, &s) == 0 && s.n == 4);
	CHECK_STR(s.row[3], "GroundFailure 1 leak acme 1000 3000"); /* oldest last */
	CHECK_STR(s.row[2], "GroundFailure 2 - - 2000 5000");       /* "" or NULL: none */
	CHECK_STR(s.row[1], "Offline -1 - - 2000 3000");            /* the whole charger */
	memset(&s, 0, sizeof s);
	CHECK(store_alarm_each(st, 0, "CP1", 2, on_alarm, &s) == 0 && s.n == 2); /* limit */
	memset(&s, 0, sizeof s);
	CHECK(store_alarm_each(st, 0, "CP2", 0, on_alarm, &s) == 0 && s.n == 0);
	memset(&s, 0, sizeof s);
	CHECK(store_alarm_each(st, 0, NULL, 0, stop_at_first, &s) == 5 && s.n == 1); /* fn ends the walk */
	memset(&s, 0, sizeof s);
	CHECK(store_alarm_each(st, 1, NULL, 0, on_alarm, &s) == 0 && s.n == 0);

	/* reservations */
	struct store_reservation r1 = { "CP1", 11, 1, "T1", NULL, 100000 };
	struct store_reservation r2 = { "CP1", 12, 0, "T2", "P", 100000 };
	struct store_reservation r3 = { "CP1", 13, 2, "T3", NULL, 50000 };
	CHECK(store_reservation_add(st, &r1, 1000) == 0);
	CHECK(store_reservation_add(st, &r2, 1000) == 0);
	CHECK(store_reservation_add(st, &r3, 1000) == 0);
	CHECK(store_reservation_use(st, "CP1", 1, 11, "T1", 7, 2000) == 0);
	CHECK(store_reservation_use(st, "CP1", 1, 11, "T1", 7, 2000) == 1); /* used already */
	CHECK(store_reservation_use(st, "CP1", 2, -1, "T2", 8, 2000) == 0); /* connector 0, by tag */
	CHECK(store_reservation_use(st, "CP1", 2, -1, "NOPE", 9, 2000) == 1);
	CHECK(store_reservation_expire(st, 49999) == 0);
	CHECK(store_reservation_expire(st, 50000) == 1);
	memset(&s, 0, sizeof s);
	CHECK(store_reservation_each(st, "CP1", 1, 0, on_reservation, &s) == 0 && s.n == 0);
	memset(&s, 0, sizeof s);
	CHECK(store_reservation_each(st, NULL, 0, 0, on_reservation, &s) == 0 && s.n == 3);
	CHECK_STR(s.row[0], "11 Used - 2000 7"); /* same creation time: by id */
	CHECK_STR(s.row[1], "12 Used P 2000 8");
	CHECK_STR(s.row[2], "13 Expired - 50000 0");
	memset(&s, 0, sizeof s);
	CHECK(store_reservation_each(st, "CP1", -1, 1, on_reservation, &s) == 0 && s.n == 1);
	CHECK(store_reservation_end(st, "CP1", 13, "Cancelled", 0, 60000) == 1); /* not Reserved any more */

	/* charging profiles */
	cJSON *p5 = cJSON_Parse(
		"{\"chargingProfileId\":5,\"stackLevel\":1,\"chargingProfilePurpose\":\"TxDefaultProfile\"}");
	cJSON *p6 = cJSON_Parse(
		"{\"chargingProfileId\":6,\"stackLevel\":1,\"chargingProfilePurpose\":\"TxDefaultProfile\"}");
	cJSON *p7 = cJSON_Parse("{\"chargingProfileId\":7,\"stackLevel\":2,\"chargingProfilePurpose\":"
				"\"TxProfile\",\"transactionId\":3}");
	cJSON *bad = cJSON_Parse("{\"stackLevel\":2}");
	CHECK(store_profile_put(st, "CP1", 1, p5, 1000) == 0);
	CHECK(store_profile_put(st, "CP1", 2, p6, 1000) == 0); /* other connector: both kept */
	memset(&s, 0, sizeof s);
	CHECK(store_profile_each(st, "CP1", on_profile, &s) == 0 && s.n == 2);
	CHECK_STR(s.row[0], "5 1 TxDefaultProfile 1 0");
	CHECK_STR(s.row[1], "6 2 TxDefaultProfile 1 0");
	CHECK(store_profile_put(st, "CP1", 1, p6, 2000) ==
	      0); /* same id: moved; same level on 1: replaces 5 */
	memset(&s, 0, sizeof s);
	CHECK(store_profile_each(st, "CP1", on_profile, &s) == 0 && s.n == 1);
	CHECK(store_profile_put(st, "CP1", 1, p7, 2000) == 0);
	memset(&s, 0, sizeof s);
	CHECK(store_profile_each(st, "CP1", on_profile, &s) == 0 && s.n == 2);
	CHECK_STR(s.row[1], "7 1 TxProfile 2 1");
	CHECK(store_profile_put(st, "CP1", 1, bad, 2000) == -1);
	cJSON *crit = cJSON_Parse("{\"id\":99,\"connectorId\":1}"); /* an id decides alone */
	CHECK(store_profile_clear(st, "CP1", crit) == 0);
	cJSON_Delete(crit);
	CHECK(store_profile_clear_tx(st, "CP1", 2) == 0);
	CHECK(store_profile_clear_tx(st, "CP1", 1) == 1);
	crit = cJSON_Parse("{\"chargingProfilePurpose\":\"TxDefaultProfile\"}");
	CHECK(store_profile_clear(st, "CP1", crit) == 1);
	cJSON_Delete(crit);
	memset(&s, 0, sizeof s);
	CHECK(store_profile_each(st, "CP1", on_profile, &s) == 0 && s.n == 0);
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
	/* the tags with their parents' rows; the status a charger gets is
	 * central/locallist.c's (tests/unit/central/test_locallist.c) */
	memset(&s, 0, sizeof s);
	CHECK(store_locallist_each_wanted(st, "CP1", on_wanted, &s) == 0 &&
	      s.n == 4); /* A, C, E, PB; not B */
	CHECK_STR(s.row[0], "A Accepted 0 '' -");
	CHECK_STR(s.row[1], "C Accepted 0 'PB' Blocked");
	CHECK_STR(s.row[2], "E Accepted 500 '' -");
	CHECK_STR(s.row[3], "PB Blocked 0 '' -");
	memset(&s, 0, sizeof s);
	CHECK(store_locallist_each_wanted(st, "CP2", on_wanted, &s) == 0 && s.n == 5);
	int v;
	struct store_locallist ll;
	CHECK(store_locallist_get(st, "CP1", &v) == 1 && v == -1);
	CHECK(store_locallist_read(st, "CP1", &ll) == 1 && ll.version == -1 && !ll.has_reported);
	cJSON *w =
		cJSON_Parse("[{\"idTag\":\"A\",\"idTagInfo\":{\"status\":\"Accepted\"}},"
			    "{\"idTag\":\"C\",\"idTagInfo\":{\"status\":\"Blocked\",\"parentIdTag\":\"PB\"}},"
			    "{\"idTag\":\"E\",\"idTagInfo\":{\"status\":\"Expired\","
			    "\"expiryDate\":\"1970-01-01T00:00:00.500Z\"}},"
			    "{\"idTag\":\"PB\",\"idTagInfo\":{\"status\":\"Blocked\"}}]");
	CHECK(store_locallist_apply(st, "CP1", 3, 1, w, 1000) == 0);
	cJSON_Delete(w);
	CHECK(store_locallist_get(st, "CP1", &v) == 0 && v == 3);
	cJSON *d =
		cJSON_Parse("[{\"idTag\":\"A\"},{\"idTag\":\"N\",\"idTagInfo\":{\"status\":\"Accepted\"}}]");
	CHECK(store_locallist_apply(st, "CP1", 4, 0, d, 2000) == 0);
	cJSON_Delete(d);
	memset(&s, 0, sizeof s);
	CHECK(store_locallist_each(st, "CP1", on_entry, &s) == 0 && s.n == 4); /* C, E, N, PB */
	CHECK_STR(s.row[0], "C Blocked 0 'PB'");
	CHECK_STR(s.row[1], "E Expired 500 ''");
	CHECK_STR(s.row[2], "N Accepted 0 ''");
	CHECK(store_locallist_read(st, "CP1", &ll) == 0 && ll.version == 4 && ll.updated_ms == 2000 &&
	      !ll.has_reported && ll.reported_ms == 0);
	CHECK_STR(ll.update_type, "Differential");
	CHECK(store_locallist_reported(st, "CP1", 4, 3000) == 0);
	CHECK(store_locallist_read(st, "CP1", &ll) == 0 && ll.version == 4 && ll.has_reported &&
	      ll.reported_version == 4 && ll.reported_ms == 3000);
	CHECK(store_locallist_reported(st, "CP9", 2, 3000) == 0);
	CHECK(store_locallist_get(st, "CP9", &v) == 0 && v == -1); /* reported only: nothing sent by us */
	CHECK(store_locallist_read(st, "CP9", &ll) == 0 && ll.version == -1 && !ll.update_type[0] &&
	      ll.updated_ms == 0 && ll.has_reported && ll.reported_version == 2);

	/* configuration keys */
	CHECK(store_config_key_set(st, "CP1", "HeartbeatInterval", "300", 1, 0, NULL, NULL, 1000) == 0);
	CHECK(store_config_key_set(st, "CP1", "HeartbeatInterval", "60", 0, -1, "RebootRequired", "60",
				   2000) == 0);
	memset(&s, 0, sizeof s);
	CHECK(store_config_each(st, "CP1", on_config, &s) == 0 && s.n == 1);
	CHECK_STR(s.row[0],
		  "HeartbeatInterval 300 0 RebootRequired 60 2000"); /* not in force before the reboot */
	CHECK(store_config_key_set(st, "CP1", "Other", NULL, 0, -1, "Rejected", "x", 2000) == 0);
	CHECK(store_config_rebooted(st, "CP1", 3000) == 1); /* only the RebootRequired one */
	memset(&s, 0, sizeof s);
	CHECK(store_config_each(st, "CP1", on_config, &s) == 0 && s.n == 2);
	CHECK_STR(s.row[0], "HeartbeatInterval 60 0 Accepted 60 3000");
	CHECK_STR(s.row[1], "Other - -1 Rejected x 2000");

	/* audit and pruning */
	for (int i = 0; i < 10; i++) {
		struct store_audit au = {
			"CP1",    i % 2 ? "Reset" : "ClearCache", "cs-1", "admin", 1000, 1000, 1010, 10, "{}",
			"result", "{\"status\":\"Accepted\"}",    NULL,   NULL
		};
		CHECK(store_audit_add(st, &au) == 0);
	}
	struct store_audit te = {
		"CP1",     "Reset", "cs-2",    "dlm",      1000, 1000, 31000, -1, "{\"type\":\"Soft\"}",
		"timeout", NULL,    "Timeout", "no answer"
	};
	CHECK(store_audit_add(st, &te) == 0);
	memset(&s, 0, sizeof s);
	CHECK(store_audit_each(st, "CP1", "Reset", 2, on_audit, &s) == 0 && s.n == 2);
	CHECK_STR(s.row[0], "Reset timeout -1 1000 - Timeout no answer");
	CHECK_STR(s.row[1], "Reset result 10 1000 {\"status\":\"Accepted\"} - -");
	CHECK(store_audit_prune(st, 4) == 7);
	memset(&s, 0, sizeof s);
	CHECK(store_audit_each(st, NULL, NULL, 100, on_audit, &s) == 0 && s.n == 4);

	struct store_counts sc;
	CHECK(store_counts(st, &sc) == 0 && sc.alarms_active == 0);
	CHECK(store_commit(st) == 0);
	store_close(st);
	unlink(path);
	return CHECK_DONE();
}
