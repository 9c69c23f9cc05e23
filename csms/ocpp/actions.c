/* actions.c: the rows of actions.def. */
#include "actions.h"
#include <string.h>

static const struct action_row rows[] = {
#define OCPP_ACTION(name, dir, profile, before_accept, handler) { #name, dir, profile, before_accept },
#include "actions.def"
#undef OCPP_ACTION
};
#define NROWS ((int)(sizeof rows / sizeof rows[0]))
_Static_assert(NROWS == OCPP_ACT_COUNT, "one row per action");

const struct action_row *actions_find(const char *name)
{
	for (int i = 0; i < NROWS; i++)
		if (!strcmp(rows[i].name, name))
			return &rows[i];
	return NULL;
}

const struct action_row *actions_table(int *n)
{
	*n = NROWS;
	return rows;
}

int actions_index(const struct action_row *row)
{
	return (int)(row - rows);
}
