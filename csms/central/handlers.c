/* handlers.c: the dispatch table, made from the handler column of
 * ocpp/actions.def, and the rpc handle hook that runs it. */
#include "handlers.h"
#include "session.h"

#include <stddef.h>

static const ocpp_handler table[OCPP_ACT_COUNT] = {
#define OCPP_ACTION(name, dir, profile, before_accept, handler) handler,
#include "actions.def"
#undef OCPP_ACTION
};

enum ocpp_status h_none(const struct ocpp_req *r, cJSON *resp, const char **why)
{
	(void)r;
	(void)resp;
	*why = "not an action a charge point sends";
	return OCPP_ENOTSUPP;
}

enum ocpp_status handlers_dispatch(struct session *s, enum ocpp_action act, const cJSON *payload, cJSON *resp,
				   const char **why)
{
	const struct action_row *rows;
	int n;
	rows = actions_table(&n);
	if ((int)act < 0 || (int)act >= n) {
		*why = "not an action a charge point sends";
		return OCPP_ENOTSUPP;
	}
	struct ocpp_req req = { s->app, s, s->ch, rows[act].name, payload };
	return table[act](&req, resp, why);
}
