/* test_locallist.c: what a SendLocalList computed from the id-tag table
 * carries. The wanted list: unbound tags and tags bound to the charger,
 * with the status the central system would answer (expired, or Blocked
 * under a blocked or expired parent); the held list as accepted. The
 * Differential list: changed and new entries with their idTagInfo, removed
 * ones as a bare idTag, unchanged ones left out. The listVersion: above
 * what the charger holds, at least 1, and the table's version follows only
 * when it had to go up. */
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
		   "{\"idTag\":\"E\",\"idTagInfo\":{\"status\":\"Accepted\",\"expiryDate\":\"2030-01-01T00:"
		   "00:00.000Z\"}}]",
		   "[{\"idTag\":\"B\",\"idTagInfo\":{\"status\":\"Blocked\"}},"
		   "{\"idTag\":\"D\",\"idTagInfo\":{\"status\":\"Accepted\"}},"
		   "{\"idTag\":\"E\",\"idTagInfo\":{\"status\":\"Accepted\",\"expiryDate\":\"2030-01-01T00:"
		   "00:00.000Z\"}},"
		   "{\"idTag\":\"C\"}]",
		   3, 1);
	/* The same list: nothing to send. */
	check_diff("[{\"idTag\":\"A\",\"idTagInfo\":{\"status\":\"Accepted\",\"parentIdTag\":\"P\"}}]",
		   "[{\"idTag\":\"A\",\"idTagInfo\":{\"status\":\"Accepted\",\"parentIdTag\":\"P\"}}]", "[]",
		   0, 0);
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
	CHECK(locallist_version(st) == 0); /* no tag ever changed */
	check_version(st, -1, 1, 1);       /* no list held, table 0: at least 1, stored */
	check_version(st, -1, 1, 1);       /* the table's version is enough */
	check_version(st, 0, 1, 1);
	check_version(st, 1, 2, 2); /* the charger holds it: one more */
	check_version(st, 7, 8, 8); /* a raw SendLocalList left it ahead */
	check_version(st, 3, 8, 8); /* behind: the table's version, unchanged */
	CHECK(store_meta_set(st, "localListVersion", "20") == 0);
	CHECK(locallist_version(st) == 20); /* the version lives in the store's meta */
	check_version(st, 19, 20, 20);
	store_close(st);
	unlink(path);
}

static void check_list(cJSON *list, const char *want)
{
	char *text = cJSON_PrintUnformatted(list);
	CHECK_STR(text, want);
	free(text);
	cJSON_Delete(list);
}

static void test_lists(void)
{
	char path[] = "/tmp/csms-test-locallist-XXXXXX";
	struct store *st = test_db_open(path);
	CHECK(st != NULL);
	if (!st)
		return;
	static const struct store_idtag tags[] = {
		{ "A", "Accepted", 0, "", 0, 0 },     { "B", "Accepted", 0, "", 0, 0 }, /* bound to CP2 */
		{ "C", "Accepted", 0, "PB", 0, 0 },   /* under a blocked parent */
		{ "D", "Accepted", 0, "PE", 0, 0 },   /* under an expired parent */
		{ "E", "Accepted", 500, "", 0, 0 },   /* expired */
		{ "F", "Invalid", 0, "PB", 0, 0 },    /* not Accepted: kept */
		{ "G", "Accepted", 0, "GONE", 0, 0 }, /* a parent that is no tag */
		{ "PB", "Blocked", 0, "", 0, 0 },     { "PE", "Accepted", 900, "", 0, 0 },
	};
	cJSON *cp2 = cJSON_Parse("[\"CP2\"]");
	for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
		CHECK(store_idtag_put(st, &tags[i], i == 1 ? cp2 : NULL) == 0);
	cJSON_Delete(cp2);
	check_list(locallist_wanted(st, "CP1", 1000),
		   "[{\"idTag\":\"A\",\"idTagInfo\":{\"status\":\"Accepted\"}},"
		   "{\"idTag\":\"C\",\"idTagInfo\":{\"status\":\"Blocked\",\"parentIdTag\":\"PB\"}},"
		   "{\"idTag\":\"D\",\"idTagInfo\":{\"status\":\"Blocked\",\"parentIdTag\":\"PE\"}},"
		   "{\"idTag\":\"E\",\"idTagInfo\":{\"status\":\"Expired\",\"expiryDate\":\"1970-01-01T00:00:"
		   "00.500Z\"}},"
		   "{\"idTag\":\"F\",\"idTagInfo\":{\"status\":\"Invalid\",\"parentIdTag\":\"PB\"}},"
		   "{\"idTag\":\"G\",\"idTagInfo\":{\"status\":\"Accepted\",\"parentIdTag\":\"GONE\"}},"
		   "{\"idTag\":\"PB\",\"idTagInfo\":{\"status\":\"Blocked\"}},"
		   "{\"idTag\":\"PE\",\"idTagInfo\":{\"status\":\"Expired\",\"expiryDate\":\"1970-01-01T00:"
		   "00:00.900Z\"}}]");
	/* Before the parent's expiry, and on the other charger: B is there. */
	cJSON *w = locallist_wanted(st, "CP2", 800);
	char *text = cJSON_PrintUnformatted(w);
	CHECK_CONTAINS(text, "{\"idTag\":\"B\",\"idTagInfo\":{\"status\":\"Accepted\"}}");
	CHECK_CONTAINS(text,
		       "{\"idTag\":\"D\",\"idTagInfo\":{\"status\":\"Accepted\",\"parentIdTag\":\"PE\"}}");
	CHECK(cJSON_GetArraySize(w) == 9);
	free(text);
	check_list(locallist_held(st, "CP2"), "[]");
	CHECK(store_locallist_apply(st, "CP2", 1, 1, w, 800) == 0);
	cJSON_Delete(w);
	w = locallist_held(st, "CP2");
	CHECK(cJSON_GetArraySize(w) == 9);
	check_list(cJSON_DetachItemFromArray(w, 4),
		   "{\"idTag\":\"E\",\"idTagInfo\":{\"status\":\"Expired\",\"expiryDate\":\"1970-01-01T00:00:"
		   "00.500Z\"}}");
	cJSON_Delete(w);
	store_close(st);
	unlink(path);
}

int main(void)
{
	test_lists();
	test_diff();
	test_version();
	return CHECK_DONE();
}
