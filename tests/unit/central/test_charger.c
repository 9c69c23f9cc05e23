/* test_charger.c: the charger registry's lifetimes: an entry that is not
 * accepted goes with its last connection, a removed one lives until then,
 * the sweep frees what lookups loaded, and charger_admit's bound on
 * pending plus unknown chargers. Run under ASan, a wrong free shows. */
#include "charger.h"
#include "store.h"
#include "check.h"
#include "test_db.h"

#include <stdlib.h>
#include <unistd.h>

static int in_registry(struct charger_registry *r, const char *id)
{
	for (struct charger *c = charger_first(r); c; c = c->next)
		if (!strcmp(c->id, id))
			return 1;
	return 0;
}

int main(void)
{
	char path[] = "/tmp/csms-test-charger-XXXXXX";
	struct store *st = test_db_open(path);
	CHECK(st != NULL);
	struct charger_registry *r = charger_registry_new();
	CHECK(r != NULL);

	/* An unknown id connects and leaves: nothing stays. */
	struct charger *c = charger_get(r, st, "U1");
	CHECK(c && c->reg == REG_UNKNOWN);
	charger_hold(c);
	CHECK(charger_count(r) == 1);
	charger_release(r, c);
	CHECK(charger_count(r) == 0 && !in_registry(r, "U1"));

	/* A replaced connection still closing keeps the entry. */
	c = charger_get(r, st, "U2");
	charger_hold(c);
	charger_hold(c);
	charger_release(r, c);
	CHECK(in_registry(r, "U2"));
	charger_release(r, c);
	CHECK(!in_registry(r, "U2"));

	/* An accepted charger stays after its connection. */
	CHECK(store_charger_create(st, "A1", REG_ACCEPTED, 1000) == 0);
	c = charger_get(r, st, "A1");
	CHECK(c && c->reg == REG_ACCEPTED);
	charger_hold(c);
	charger_release(r, c);
	CHECK(in_registry(r, "A1"));

	/* Removed while connected: out of the registry at once, freed at the release. */
	charger_hold(c);
	charger_remove(r, c);
	CHECK(!in_registry(r, "A1") && charger_count(r) == 0);
	CHECK(charger_find(r, st, "A1") != c); /* still in the store: loaded anew */
	c->conn[1].tx_id = 7;                  /* the session may still touch it */
	charger_release(r, c);
	CHECK(in_registry(r, "A1"));
	c = charger_find(r, st, "A1");
	charger_remove(r, c); /* not connected: freed now */
	CHECK(!in_registry(r, "A1"));

	/* Pending chargers loaded by lookups go at the sweep; connected ones stay. */
	CHECK(store_charger_create(st, "P1", REG_PENDING, 1000) == 0);
	CHECK(store_charger_create(st, "P2", REG_PENDING, 1000) == 0);
	CHECK(store_charger_create(st, "A2", REG_ACCEPTED, 1000) == 0);
	CHECK(charger_find(r, st, "P1") && charger_find(r, st, "A2"));
	struct charger *p2 = charger_get(r, st, "P2");
	charger_hold(p2);
	CHECK(charger_sweep(r) == 1);
	CHECK(!in_registry(r, "P1") && in_registry(r, "P2") && in_registry(r, "A2"));

	/* The bound: 2 pending in the store + unknown entries in memory. */
	CHECK(store_charger_count(st, REG_PENDING) == 2);
	CHECK(charger_admit(r, st, "NEW", 3) == 0);
	struct charger *u = charger_get(r, st, "U3");
	charger_hold(u);
	CHECK(charger_admit(r, st, "NEW", 3) == 1);
	CHECK(charger_admit(r, st, "P1", 3) == 0);  /* known in the store */
	CHECK(charger_admit(r, st, "U3", 3) == 0);  /* known in memory */
	CHECK(charger_admit(r, st, "NEW", 0) == 1); /* 0: only known ones */
	CHECK(charger_admit(r, st, "P1", 0) == 0);
	/* A boot makes it pending: counted in the store, no longer in memory. */
	charger_set_reg(r, u, REG_PENDING);
	CHECK(charger_admit(r, st, "NEW", 3) == 0);
	charger_set_reg(r, u, REG_UNKNOWN);
	charger_release(r, u); /* unknown leaves: room again */
	CHECK(charger_admit(r, st, "NEW", 3) == 0);
	CHECK(store_charger_set_registration(st, "P1", REG_ACCEPTED) == 0);
	CHECK(store_charger_count(st, REG_PENDING) == 1);

	charger_release(r, p2);
	CHECK(!in_registry(r, "P2"));
	charger_registry_free(r);
	store_close(st);
	unlink(path);
	return CHECK_DONE();
}
