/* locallist.h: local authorisation lists built from the id-tag table. The
 * table has one version (meta "localListVersion"), raised by every change
 * of a tag; each charger holds the version and entries it last accepted
 * (kept by commands.c from the SendLocalList answer). A Full update sends
 * the list this charger should hold (unbound tags and tags bound to it); a
 * Differential one only what differs from what it holds. */
#ifndef CSMS_LOCALLIST_H
#define CSMS_LOCALLIST_H

struct csms;
struct route_ctx;

/* An id tag was added, changed or removed: the table's version goes up. */
int locallist_tags_changed(struct csms *app);

void locallist_api_get(struct route_ctx *c);    /* GET /api/v1/chargers/{id}/local-list */
void locallist_api_send(struct route_ctx *c);   /* POST /api/v1/chargers/{id}/local-list {"updateType"} */

#endif
