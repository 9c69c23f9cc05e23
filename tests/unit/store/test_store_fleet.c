/* test_store_fleet.c: the fleet's tables on both stores: a lease taken,
 * taken over, renewed (only the holder's), dropped (only by its holder);
 * the heartbeat and the node list; a node that goes takes its leases; big
 * bus messages taken once and pruned; store_notify only where there is a
 * bus. */
#include "store.h"
#include "check.h"
#include "test_db.h"

#include <stdlib.h>
#include <unistd.h>

struct names {
	int n;
	char id[8][STORE_ID_MAX];
};

static int collect(void *arg, const char *charger)
{
	struct names *s = arg;
	if (s->n < 8)
		snprintf(s->id[s->n++], STORE_ID_MAX, "%s", charger);
	return 0;
}

static int node_rows(void *arg, const struct store_node_row *n)
{
	struct names *s = arg;
	if (s->n < 8)
		snprintf(s->id[s->n++], STORE_ID_MAX, "%s:%lld", n->id, (long long)n->chargers);
	return 0;
}

int main(void)
{
	char path[] = "/tmp/csms-test-fleet-XXXXXX";
	struct store *st = test_db_open(path);
	if (!st)
		return 1;
	struct store_lease l;
	CHECK(store_lease_get(st, "CP1", &l) == 1);
	CHECK(store_lease_take(st, "CP1", "a", 10000) == 0);
	CHECK(store_lease_take(st, "CP2", "a", 10000) == 0);
	CHECK(store_lease_take(st, "CP3", "b", 10000) == 0);
	CHECK(store_commit(st) == 0);
	CHECK(store_lease_get(st, "CP1", &l) == 0);
	CHECK_STR(l.node, "a");
	CHECK(l.until_ms == 10000);
	/* a takeover: b holds CP2 now; a's renewal no longer names it */
	CHECK(store_lease_take(st, "CP2", "b", 12000) == 0);
	struct names got = { 0 };
	CHECK(store_lease_renew(st, "a", 20000, collect, &got) == 0);
	CHECK(got.n == 1 && !strcmp(got.id[0], "CP1"));
	CHECK(store_lease_get(st, "CP1", &l) == 0 && l.until_ms == 20000);
	CHECK(store_lease_get(st, "CP2", &l) == 0 && l.until_ms == 12000 && !strcmp(l.node, "b"));
	/* a's close of CP2 drops nothing: b holds it */
	CHECK(store_lease_drop(st, "CP2", "a") == 0);
	CHECK(store_lease_get(st, "CP2", &l) == 0);
	CHECK(store_lease_drop(st, "CP1", "a") == 0);
	CHECK(store_lease_get(st, "CP1", &l) == 1);
	/* heartbeats, the list, a node gone */
	CHECK(store_node_beat(st, "a", 100, 15000) == 0);
	CHECK(store_node_beat(st, "b", 100, 15000) == 0);
	CHECK(store_commit(st) == 0);
	got.n = 0;
	CHECK(store_node_each(st, 9000, node_rows, &got) == 0); /* CP2 and CP3 live then */
	CHECK(got.n == 2);
	CHECK_STR(got.id[0], "a:0");
	CHECK_STR(got.id[1], "b:2");
	CHECK(store_node_gone(st, "b") == 0);
	CHECK(store_commit(st) == 0);
	CHECK(store_lease_get(st, "CP3", &l) == 1);
	got.n = 0;
	CHECK(store_node_each(st, 11000, node_rows, &got) == 0);
	CHECK(got.n == 1);
	/* bus messages */
	int64_t id1 = 0, id2 = 0;
	char *text = NULL;
	CHECK(store_bus_put(st, "{\"big\":1}", 1000, &id1) == 0);
	CHECK(store_bus_put(st, "{\"big\":2}", 5000, &id2) == 0);
	CHECK(id1 > 0 && id2 > id1);
	CHECK(store_commit(st) == 0);
	CHECK(store_bus_take(st, id1, &text) == 0);
	CHECK_STR(text, "{\"big\":1}");
	free(text);
	text = NULL;
	CHECK(store_bus_take(st, id1, &text) == 1); /* once */
	CHECK(store_bus_prune(st, 6000) == 1);
	CHECK(store_bus_take(st, id2, &text) == 1);
	CHECK(store_commit(st) == 0);
	CHECK(store_notify(st, "csms_node_a", "{}") == (test_db_pg() ? 0 : 1));
	CHECK(store_commit(st) == 0);
	store_close(st);
	if (!test_db_pg())
		unlink(path);
	return CHECK_DONE();
}
