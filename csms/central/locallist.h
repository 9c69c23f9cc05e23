/* locallist.h: local authorisation lists built from the id-tag table. The
 * table has one version (meta "localListVersion"), raised by every change
 * of a tag; each charger holds the version and entries it last accepted
 * (kept by commands.c from the SendLocalList answer). A Full update sends
 * the list this charger should hold (unbound tags and tags bound to it); a
 * Differential one only what differs from what it holds. */
#ifndef CSMS_LOCALLIST_H
#define CSMS_LOCALLIST_H

#include <cjson/cJSON.h>
#include <stdint.h>

struct csms;
struct store;

/* An id tag was added, changed or removed: the table's version goes up. */
int locallist_tags_changed(struct csms *app);

/* The table's version (0 before the first change of a tag). */
int locallist_version(struct store *st);

/* The listVersion of a SendLocalList to a charger that holds held_version:
 * the table's version, or held_version + 1 when that is not higher (a
 * Differential must raise the version), at least 1; the table's version
 * follows when it had to go up. 0 with *version set, or -1 (store). */
int locallist_send_version(struct store *st, int held_version, int *version);

/* The Differential list from held to wanted (localAuthorizationList arrays
 * of {idTag, idTagInfo}): every wanted entry that held lacks or holds with
 * another idTagInfo, then {idTag} alone for every held entry not wanted.
 * *changed and *removed count the two kinds. Both lists are borrowed; the
 * result is new (the caller frees it). */
cJSON *locallist_diff(const cJSON *held, const cJSON *wanted, int *changed, int *removed);

/* The lists in that form, new (the caller frees them), by idTag: what the
 * charger holds (as it accepted it), and what the id-tag table wants it to
 * hold (unbound tags and tags bound to it) with the status the central
 * system would answer at now_ms, as far as it does not depend on the
 * moment: Expired past its expiry, Blocked under a blocked or expired
 * parent. A store error leaves out the entries after it. */
cJSON *locallist_held(struct store *st, const char *charger);
cJSON *locallist_wanted(struct store *st, const char *charger, int64_t now_ms);

#endif
