/* locallist.c: what a SendLocalList computed from the id-tag table carries:
 * the table's version and the difference from what a charger holds
 * (Differential: changed entries with their idTagInfo, removed ones
 * without). What the charger accepted is recorded by commands.c from the
 * answer, so a raw SendLocalList through the generic route counts too; the
 * routes are api/api_locallist.c. */
#include "locallist.h"
#include "csms.h"
#include "store.h"
#include "timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define META_KEY "localListVersion"

int locallist_version(struct store *st)
{
	char buf[32];
	return store_meta_get(st, META_KEY, buf, sizeof buf) == 0 ? atoi(buf) : 0;
}

static int set_table_version(struct store *st, int v)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%d", v);
	return store_meta_set(st, META_KEY, buf);
}

int locallist_tags_changed(struct csms *app)
{
	return set_table_version(app->store, locallist_version(app->store) + 1);
}

int locallist_send_version(struct store *st, int held_version, int *version)
{
	/* The table's version, unless the charger already holds that one: a
	 * Differential must carry a higher version than the one held. */
	int table = locallist_version(st), v = table;
	if (v <= held_version)
		v = held_version + 1;
	if (v < 1)
		v = 1;
	if (v != table && set_table_version(st, v))
		return -1;
	*version = v;
	return 0;
}

static const cJSON *find_entry(const cJSON *list, const char *tag)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, list)
	{
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "idTag");
		if (cJSON_IsString(t) && !strcmp(t->valuestring, tag))
			return e;
	}
	return NULL;
}

/* One entry in SendLocalList form. */
static cJSON *list_entry(const char *tag, const char *status, int64_t expiry_ms, const char *parent)
{
	char buf[40];
	cJSON *o = cJSON_CreateObject(), *info;
	cJSON_AddStringToObject(o, "idTag", tag);
	info = cJSON_AddObjectToObject(o, "idTagInfo");
	cJSON_AddStringToObject(info, "status", status);
	if (expiry_ms > 0)
		cJSON_AddStringToObject(info, "expiryDate", time_format_iso(expiry_ms, buf, sizeof buf));
	if (parent && *parent)
		cJSON_AddStringToObject(info, "parentIdTag", parent);
	return o;
}

static int held_entry(void *arg, const struct store_locallist_entry *e)
{
	cJSON_AddItemToArray(arg, list_entry(e->id_tag, e->status, e->expiry_ms, e->parent));
	return 0;
}

cJSON *locallist_held(struct store *st, const char *charger)
{
	cJSON *arr = cJSON_CreateArray();
	store_locallist_each(st, charger, held_entry, arr);
	return arr;
}

/* What locallist_wanted's walk needs. */
struct wanted_walk {
	cJSON *arr;
	int64_t now_ms;
};

static int wanted_entry(void *arg, const struct store_locallist_wanted *w)
{
	struct wanted_walk *ww = arg;
	const char *status = w->e.status;
	int64_t exp = w->e.expiry_ms, now = ww->now_ms;
	if (!strcmp(status, "Accepted") && exp && exp <= now)
		status = "Expired";
	else if (!strcmp(status, "Accepted") && w->parent_status &&
		 (!strcmp(w->parent_status, "Blocked") || !strcmp(w->parent_status, "Expired") ||
		  (w->parent_expiry_ms && w->parent_expiry_ms <= now)))
		status = "Blocked";
	cJSON_AddItemToArray(ww->arr, list_entry(w->e.id_tag, status, exp, w->e.parent));
	return 0;
}

cJSON *locallist_wanted(struct store *st, const char *charger, int64_t now_ms)
{
	struct wanted_walk ww = { cJSON_CreateArray(), now_ms };
	store_locallist_each_wanted(st, charger, wanted_entry, &ww);
	return ww.arr;
}

/* Both lists are small (a home or small site): a quadratic scan is fine up
 * to a few thousand entries. */
cJSON *locallist_diff(const cJSON *held, const cJSON *wanted, int *changed, int *removed)
{
	cJSON *out = cJSON_CreateArray();
	const cJSON *e;
	*changed = *removed = 0;
	cJSON_ArrayForEach(e, wanted)
	{
		const cJSON *tag = cJSON_GetObjectItemCaseSensitive(e, "idTag");
		const cJSON *h = find_entry(held, tag->valuestring);
		if (!h ||
		    !cJSON_Compare(cJSON_GetObjectItemCaseSensitive(h, "idTagInfo"),
				   cJSON_GetObjectItemCaseSensitive(e, "idTagInfo"), 1)) {
			cJSON_AddItemToArray(out, cJSON_Duplicate(e, 1));
			(*changed)++;
		}
	}
	cJSON_ArrayForEach(e, held)
	{
		const cJSON *tag = cJSON_GetObjectItemCaseSensitive(e, "idTag");
		if (!find_entry(wanted, tag->valuestring)) {
			cJSON *r = cJSON_CreateObject();
			cJSON_AddStringToObject(r, "idTag", tag->valuestring);
			cJSON_AddItemToArray(out, r);
			(*removed)++;
		}
	}
	return out;
}
