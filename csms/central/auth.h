/* auth.h: idTag decisions (Accepted / Blocked / Expired / Invalid /
 * ConcurrentTx). auth_decide is pure; auth_check gathers its inputs from
 * the store and writes an OCPP idTagInfo object. */
#ifndef CSMS_AUTH_H
#define CSMS_AUTH_H

#include <stdint.h>
#include <cjson/cJSON.h>
#include "store.h"

struct auth_input {
	const struct store_idtag *tag;    /* NULL: not in the table */
	const struct store_idtag *parent; /* NULL: none, or not in the table */
	int active_tx;                    /* other active transactions of this tag */
	int max_active_default;
	int unknown_accept;
	int bound_here; /* 1 when the tag may be used on this charger */
	int64_t now_ms;
};

struct auth_result {
	const char *status; /* a static IdTagInfo status string */
	int64_t expiry_ms;  /* 0: none to send */
	const char *parent; /* NULL: none to send */
};

void auth_decide(const struct auth_input *in, struct auth_result *out);

struct csms;
struct charger;
/* The decision for tag at charger ch; fills idTagInfo (status, expiryDate,
 * parentIdTag). exclude_tx: a transaction not to count as "other active"
 * (the one being started). Returns the status string. */
const char *auth_check(struct csms *app, const struct charger *ch, const char *tag, cJSON *id_tag_info);

#endif
