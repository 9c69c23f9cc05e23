/* actions.h: the OCPP 1.6 actions of actions.def as an enum and a table of
 * rows (name, who may send it, profile, allowed before acceptance). What a
 * charger's CALL does is not here: the handlers are above (central/). */
#ifndef CSMS_ACTIONS_H
#define CSMS_ACTIONS_H

enum action_dir { CP_TO_CS = 1, CS_TO_CP = 2, BOTH_WAYS = 3 }; /* who may send it */

enum ocpp_action {
#define OCPP_ACTION(name, dir, profile, before_accept, handler) OCPP_ACT_##name,
#include "actions.def"
#undef OCPP_ACTION
	OCPP_ACT_COUNT
};

struct action_row {
	const char *name;
	enum action_dir dir;
	const char *profile;
	int before_accept; /* a charger may send it before it is accepted */
};

/* The row of an action name, or NULL. */
const struct action_row *actions_find(const char *name);
/* All rows, in the order of actions.def (the enum's order). */
const struct action_row *actions_table(int *n);
/* A row's enum value. */
int actions_index(const struct action_row *row);

#endif
