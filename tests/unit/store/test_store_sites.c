/* test_store_sites.c: a fleet's sites on both stores: the default site is
 * there from the start and cannot go; a site is created, renamed and its
 * settings replaced; a charger is put on a site (and only on one that
 * exists); a site with chargers is not deleted, an empty one is; a
 * deleted charger no longer counts; and a database from before the sites
 * (schema 6) migrates with every charger on the default site. */
#include "store.h"
#include "check.h"
#include "test_db.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

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

struct sites {
	int n;
	char id[8][STORE_ID_MAX];
	char name[8][64];
	char settings[8][128];
	int64_t chargers[8];
};

static int on_site(void *arg, const struct store_site_row *r)
{
	struct sites *s = arg;
	if (s->n < 8) {
		snprintf(s->id[s->n], sizeof s->id[0], "%s", r->id);
		snprintf(s->name[s->n], sizeof s->name[0], "%s", r->name);
		snprintf(s->settings[s->n], sizeof s->settings[0], "%s", r->settings_json);
		s->chargers[s->n++] = r->chargers;
	}
	return 0;
}

/* The site a charger belongs to, as store_charger_get says ("" unknown). */
static const char *site_of(struct store *st, const char *id, char buf[STORE_ID_MAX])
{
	struct store_charger c;
	buf[0] = 0;
	if (store_charger_get(st, id, &c) == 0) {
		snprintf(buf, STORE_ID_MAX, "%s", c.site);
		free(c.settings_json);
	}
	return buf;
}

int main(void)
{
	char path[] = "/tmp/csms-test-sites-XXXXXX", site[STORE_ID_MAX], err[256];
	struct store *st = test_db_open(path);
	if (!st)
		return 1;
	struct sites s = { 0 };
	/* a fresh database: the default site, nothing else */
	CHECK(store_schema_version(st) >= 7);
	CHECK(store_site_each(st, NULL, on_site, &s) == 0);
	CHECK(s.n == 1);
	CHECK_STR(s.id[0], STORE_SITE_DEFAULT);
	CHECK(s.chargers[0] == 0);
	CHECK(store_site_delete(st, STORE_SITE_DEFAULT) == 3);
	/* chargers start on the default site */
	CHECK(store_charger_create(st, "CP1", REG_ACCEPTED, 1000) == 0);
	CHECK(store_charger_create(st, "CP2", REG_ACCEPTED, 1000) == 0);
	CHECK_STR(site_of(st, "CP1", site), STORE_SITE_DEFAULT);
	/* a site is created (1), then replaced (0) */
	CHECK(store_site_put(st, "garage", "Garage", "{\"dlm_breaker_a\":\"16\"}", 2000) == 1);
	CHECK(store_site_put(st, "garage", "Garage B", "{\"dlm_breaker_a\":\"20\"}", 3000) == 0);
	CHECK(store_commit(st) == 0);
	memset(&s, 0, sizeof s);
	CHECK(store_site_each(st, "garage", on_site, &s) == 0);
	CHECK(s.n == 1);
	CHECK_STR(s.name[0], "Garage B");
	CHECK_STR(s.settings[0], "{\"dlm_breaker_a\":\"20\"}");
	CHECK(s.chargers[0] == 0);
	memset(&s, 0, sizeof s);
	CHECK(store_site_each(st, "nope", on_site, &s) == 0 && s.n == 0);
	/* a charger goes only to a site that exists */
	CHECK(store_charger_set_site(st, "CP1", "nope") == 1);
	CHECK_STR(site_of(st, "CP1", site), STORE_SITE_DEFAULT);
	CHECK(store_charger_set_site(st, "CP1", "garage") == 0);
	CHECK(store_commit(st) == 0);
	CHECK_STR(site_of(st, "CP1", site), "garage");
	CHECK_STR(site_of(st, "CP2", site), STORE_SITE_DEFAULT);
	memset(&s, 0, sizeof s);
	CHECK(store_site_each(st, NULL, on_site, &s) == 0 && s.n == 2);
	CHECK_STR(s.id[0], STORE_SITE_DEFAULT);
	CHECK(s.chargers[0] == 1); /* CP2 */
	CHECK_STR(s.id[1], "garage");
	CHECK(s.chargers[1] == 1); /* CP1 */
	/* in use: not deleted, nothing changed */
	CHECK(store_site_delete(st, "garage") == 2);
	CHECK(store_commit(st) == 0);
	memset(&s, 0, sizeof s);
	CHECK(store_site_each(st, NULL, on_site, &s) == 0 && s.n == 2);
	CHECK(store_site_delete(st, "nope") == 1);
	/* back to the default site: the site is empty and may go */
	CHECK(store_charger_set_site(st, "CP1", STORE_SITE_DEFAULT) == 0);
	CHECK(store_site_delete(st, "garage") == 0);
	CHECK(store_commit(st) == 0);
	memset(&s, 0, sizeof s);
	CHECK(store_site_each(st, NULL, on_site, &s) == 0 && s.n == 1);
	CHECK(s.chargers[0] == 2);
	/* a deleted charger no longer holds its site */
	CHECK(store_site_put(st, "b", "B", "{}", 4000) == 1);
	CHECK(store_charger_set_site(st, "CP2", "b") == 0);
	CHECK(store_site_delete(st, "b") == 2);
	CHECK(store_charger_delete(st, "CP2", 5000) == 0);
	CHECK(store_site_delete(st, "b") == 0);
	CHECK(store_commit(st) == 0);
	/* a charger recreated with the same id starts on the default site */
	CHECK(store_charger_create(st, "CP2", REG_ACCEPTED, 6000) == 0);
	CHECK_STR(site_of(st, "CP2", site), STORE_SITE_DEFAULT);
	CHECK(store_site_put(st, "c", "C", "{}", 7000) == 1);
	CHECK(store_charger_set_site(st, "CP2", "c") == 0);
	CHECK(store_commit(st) == 0);
	store_close(st);

	/* A database from before the sites (schema 6): its chargers land on
	 * the default site, which migration 7 makes. */
	CHECK(exec(path, "DROP TABLE charger_site; DROP TABLE sites;") == 0);
	CHECK(exec(path,
		   test_db_pg() ? "DELETE FROM schema_version WHERE version > 6" : "PRAGMA user_version=6") ==
	      0);
	if (store_open(test_db_name(path), &st, err, sizeof err)) {
		CHECK(!"a schema-6 database opens and migrates");
		return 1;
	}
	CHECK(store_schema_version(st) >= 7);
	CHECK_STR(site_of(st, "CP1", site), STORE_SITE_DEFAULT);
	CHECK_STR(site_of(st, "CP2", site), STORE_SITE_DEFAULT);
	memset(&s, 0, sizeof s);
	CHECK(store_site_each(st, NULL, on_site, &s) == 0 && s.n == 1);
	CHECK_STR(s.id[0], STORE_SITE_DEFAULT);
	CHECK(s.chargers[0] == 2);
	store_close(st);
	/* and it opens again without migrating twice */
	CHECK(store_open(test_db_name(path), &st, err, sizeof err) == 0);
	memset(&s, 0, sizeof s);
	CHECK(store_site_each(st, NULL, on_site, &s) == 0 && s.n == 1);
	store_close(st);
	if (!test_db_pg())
		unlink(path);
	return CHECK_DONE();
}
