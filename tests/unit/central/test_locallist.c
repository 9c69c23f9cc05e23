/* test_locallist.c: what a SendLocalList computed from the id-tag table
 * carries. The Differential list: changed and new entries with their
 * idTagInfo, removed ones as a bare idTag, unchanged ones left out. The
 * listVersion: above what the charger holds, at least 1, and the table's
 * version follows only when it had to go up. */
#include "locallist.h"
#include "store.h"
#include "check.h"
#include "test_db.h"

#include <stdlib.h>
#include <unistd.h>

static cJSON *parse(const char *text)
{
	cJSON *j = cJSON_Parse(text);
	CHECK(j != NULL);
	return j;
}

/* The diff of held to wanted, printed, with its counts. */
static void check_diff(const char *held, const char *wanted, const char *want_out, int want_changed,
		       int want_removed)
{
	cJSON *h = held ? parse(held) : NULL, *w = parse(wanted);
	int changed = -1, removed = -1;
	cJSON *out = locallist_diff(h, w, &changed, &removed);
	char *text = cJSON_PrintUnformatted(out);
	CHECK_STR(text, want_out);
	CHECK(changed == want_changed);
	CHECK(removed == want_removed);
	free(text);
	cJSON_Delete(out);
	cJSON_Delete(h);
	cJSON_Delete(w);
}

static void test_diff(void)
{
	/* A unchanged, B changed status, C removed, D new, E changed expiry. */
	check_diff("[{\"idTag\":\"A\",\"idTagInfo\":{\"status\":\"Accepted\"}},"
		   "{\"idTag\":\"B\",\"idTagInfo\":{\"status\":\"Accepted\"}},"
		   "{\"idTag\":\"C\",\"idTagInfo\":{\"status\":\"Blocked\"}},"
		   "{\"idTag\":\"E\",\"idTagInfo\":{\"status\":\"Accepted\"}}]",
		   "[{\"idTag\":\"A\",\"idTagInfo\":{\"status\":\"Accepted\"}},"
		   "{\"idTag\":\"B\",\"idTagInfo\":{\"status\":\"Blocked\"}},"
		   "{\"idTag\":\"D\",\"idTagInfo\":{\"status\":\"Accepted\"}},"
		   "{\"idTag\":\"E\",\"idTagInfo\":{\"status\":\"Accepted\",\"expiryDate\":\"2030-01-01T00:00:00.000Z\"}}]",
		   "[{\"idTag\":\"B\",\"idTagInfo\":{\"status\":\"Blocked\"}},"
		   "{\"idTag\":\"D\",\"idTagInfo\":{\"status\":\"Accepted\"}},"
		   "{\"idTag\":\"E\",\"idTagInfo\":{\"status\":\"Accepted\",\"expiryDate\":\"2030-01-01T00:00:00.000Z\"}},"
		   "{\"idTag\":\"C\"}]",
		   3, 1);
	/* The same list: nothing to send. */
	check_diff("[{\"idTag\":\"A\",\"idTagInfo\":{\"status\":\"Accepted\",\"parentIdTag\":\"P\"}}]",
		   "[{\"idTag\":\"A\",\"idTagInfo\":{\"status\":\"Accepted\",\"parentIdTag\":\"P\"}}]", "[]", 0, 0);
	/* A parent added is a change (idTagInfo compared whole). */
	check_diff("[{\"idTag\":\"A\",\"idTagInfo\":{\"status\":\"Accepted\"}}]",
		   "[{\"idTag\":\"A\",\"idTagInfo\":{\"status\":\"Accepted\",\"parentIdTag\":\"P\"}}]",
		   "[{\"idTag\":\"A\",\"idTagInfo\":{\"status\":\"Accepted\",\"parentIdTag\":\"P\"}}]", 1, 0);
	/* Nothing wanted: every held entry goes, in the held order. */
	check_diff("[{\"idTag\":\"Z\",\"idTagInfo\":{\"status\":\"Accepted\"}},"
		   "{\"idTag\":\"Y\",\"idTagInfo\":{\"status\":\"Accepted\"}}]",
		   "[]", "[{\"idTag\":\"Z\"},{\"idTag\":\"Y\"}]", 0, 2);
	/* Nothing held (no list yet): everything wanted is sent. */
	check_diff(NULL, "[{\"idTag\":\"A\",\"idTagInfo\":{\"status\":\"Expired\"}}]",
		   "[{\"idTag\":\"A\",\"idTagInfo\":{\"status\":\"Expired\"}}]", 1, 0);
	/* Tags are compared exactly: "a" is not "A". */
	check_diff("[{\"idTag\":\"a\",\"idTagInfo\":{\"status\":\"Accepted\"}}]",
		   "[{\"idTag\":\"A\",\"idTagInfo\":{\"status\":\"Accepted\"}}]",
		   "[{\"idTag\":\"A\",\"idTagInfo\":{\"status\":\"Accepted\"}},{\"idTag\":\"a\"}]", 1, 1);
}

/* locallist_send_version for a charger holding held: the version it returns
 * and the table's version afterwards. */
static void check_version(struct store *st, int held, int want, int want_table)
{
	int v = -100;
	CHECK(locallist_send_version(st, held, &v) == 0);
	CHECK(v == want);
	CHECK(locallist_version(st) == want_table);
	if (v != want || locallist_version(st) != want_table)
		fprintf(stderr, "  held %d: version %d (want %d), table %d (want %d)\n", held, v, want,
			locallist_version(st), want_table);
}

static void test_version(void)
{
	char path[] = "/tmp/csms-test-locallist-XXXXXX";
	struct store *st = test_db_open(path);
	CHECK(st != NULL);
	if (!st)
		return;
	CHECK(locallist_version(st) == 0);   /* no tag ever changed */
	check_version(st, -1, 1, 1);          /* no list held, table 0: at least 1, stored */
	check_version(st, -1, 1, 1);          /* the table's version is enough */
	check_version(st, 0, 1, 1);
	check_version(st, 1, 2, 2);           /* the charger holds it: one more */
	check_version(st, 7, 8, 8);           /* a raw SendLocalList left it ahead */
	check_version(st, 3, 8, 8);           /* behind: the table's version, unchanged */
	CHECK(store_meta_set(st, "localListVersion", "20") == 0);
	CHECK(locallist_version(st) == 20);   /* the version lives in the store's meta */
	check_version(st, 19, 20, 20);
	store_close(st);
	unlink(path);
}

int main(void)
{
	test_diff();
	test_version();
	return CHECK_DONE();
}
