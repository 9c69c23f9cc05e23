/* api_history.c: GET /api/v1/history and GET /api/v1/energy. Only HTTP:
 * the query is read here (times ISO 8601, the step whole seconds, the
 * period day or month), glue/history.c chooses the rows, adds them up and
 * says why it refuses. */
#include "api_history.h"
#include "admin.h"
#include "errkind.h"
#include "history.h"
#include "http.h"
#include "timeutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* from and to into q. 0, or -1 after answering 400. */
static int range(struct route_ctx *c, struct history_query *q)
{
	static const char *const names[] = { "from", "to" };
	int *has[] = { &q->has_from, &q->has_to };
	int64_t *ms[] = { &q->from_ms, &q->to_ms };
	char buf[64];
	memset(q, 0, sizeof *q);
	for (int i = 0; i < 2; i++) {
		if (!http_query(c->t, names[i], buf, sizeof buf))
			continue;
		if (time_parse_iso(buf, ms[i])) {
			admin_error(c->t, 400, "BadRequest", "%s: an ISO 8601 time", names[i]);
			return -1;
		}
		*has[i] = 1;
	}
	return 0;
}

static void answer(struct route_ctx *c, cJSON *j, const struct err_info *e)
{
	if (j)
		admin_reply_json(c->t, 200, j);
	else
		admin_fail(c->t, e);
}

void api_history_series(struct route_ctx *c)
{
	struct history_query q;
	struct err_info e;
	char buf[32], *end;
	if (range(c, &q))
		return;
	if (http_query(c->t, "step", buf, sizeof buf)) {
		errno = 0;
		q.step_s = strtol(buf, &end, 10);
		if (errno || !*buf || *end || q.step_s < 1 || q.step_s > 366L * 86400) {
			admin_error(c->t, 400, "BadRequest", "step: a whole number of seconds from 1 to %ld",
				    366L * 86400);
			return;
		}
	}
	answer(c, history_series_json(c->app, &q, &e), &e);
}

void api_history_energy(struct route_ctx *c)
{
	struct history_query q;
	struct err_info e;
	char buf[16];
	int month = 0;
	if (range(c, &q))
		return;
	if (http_query(c->t, "period", buf, sizeof buf)) {
		month = !strcmp(buf, "month");
		if (!month && strcmp(buf, "day")) {
			admin_error(c->t, 400, "BadRequest", "period: day or month");
			return;
		}
	}
	answer(c, history_energy_json(c->app, &q, month, &e), &e);
}
