/* api_fleet.c: admin calls through the node that holds the charger (see
 * api_fleet.h): the asking side (forward, answer, deadline) and the
 * holding side (send the CALL, send the answer back). */
#include "api_fleet.h"
#include "admin.h"
#include "charger.h"
#include "control.h"
#include "csms.h"
#include "fleet.h"
#include "http.h"
#include "log.h"
#include "rpc.h"

#include <stdlib.h>
#include <string.h>

/* The holder's answer may wait behind a CALL in flight, with its own
 * timeout: the asker waits for both, and a little for the bus. */
static int64_t forward_wait_ms(const struct csms *app)
{
	return (2 * (int64_t)app->cfg.call_timeout + 2) * 1000;
}

int api_fleet_forward(struct route_ctx *c, const char *charger, const char *action, const cJSON *body)
{
	struct csms *app = c->app;
	char node[FLEETMSG_NODE_MAX];
	int rc = fleet_holder(app, charger, node);
	if (rc <= 0)
		return 1; /* a store error reads as nobody: 409 as for an offline charger */
	struct fleetmsg m = { .type = FLEETMSG_CALL, .payload = (cJSON *)(uintptr_t)body };
	snprintf(m.charger, sizeof m.charger, "%s", charger);
	snprintf(m.action, sizeof m.action, "%s", action);
	if (strlen(action) >= sizeof m.action) {
		admin_error(c->t, 400, "BadRequest", "%s is not an action the central system sends", action);
		return 0;
	}
	m.req = fleet_pending_add(app, c->t, app->now_ms + forward_wait_ms(app));
	if (!m.req || fleet_send(app, node, &m)) {
		if (m.req)
			fleet_pending_take(app, m.req);
		admin_error(c->t, 500, "InternalError", "cannot reach node %s", node);
		return 0;
	}
	c->t->deferred = 1;
	LOGD("fleet", "%s %s: forwarded to node %s (request %llu)", charger, action, node,
	     (unsigned long long)m.req);
	return 0;
}

/* ---- the holding node ---- */

/* A forwarded call being sent here: whom to answer. */
struct held_call {
	char node[FLEETMSG_NODE_MAX];
	uint64_t req;
	struct csms *app;
};

static void answer_back(void *arg, int status, cJSON *body)
{
	struct held_call *h = arg;
	struct fleetmsg m = { .type = FLEETMSG_REPLY, .req = h->req, .status = status, .payload = body };
	if (fleet_send(h->app, h->node, &m))
		LOGW("fleet", "cannot answer request %llu of node %s", (unsigned long long)h->req, h->node);
	cJSON_Delete(body);
	free(h);
}

static void on_call(struct csms *app, struct fleetmsg *m)
{
	struct held_call *h = calloc(1, sizeof *h);
	if (!h)
		return;
	snprintf(h->node, sizeof h->node, "%s", m->from);
	h->req = m->req;
	h->app = app;
	struct charger *ch = charger_find(app->chargers, app->store, m->charger);
	if (!ch) {
		answer_back(h, 404, admin_error_json("NotFound", "no charger '%s'", m->charger));
		return;
	}
	admin_ocpp_send(app, ch, m->action, m->payload, answer_back, h);
}

/* ---- the asking node ---- */

static void on_reply(struct csms *app, struct fleetmsg *m)
{
	struct http_txn *t = fleet_pending_take(app, m->req);
	if (!t) {
		LOGD("fleet", "an answer from node %s to request %llu, which waits no more", m->from,
		     (unsigned long long)m->req);
		return;
	}
	admin_reply_json(t, m->status, m->payload);
	m->payload = NULL;
}

/* The same answer as a CALL that timed out on this node. */
static void on_expired(struct csms *app, void *arg)
{
	(void)app;
	struct call_result r = { .outcome = CALL_TIMEOUT,
				 .status = OCPP_EINTERNAL,
				 .code = "Timeout",
				 .description = "no answer from the charge point" };
	admin_call_reply(arg, &r, NULL);
}

const struct fleet_hooks api_fleet_hooks = {
	.call = on_call,
	.reply = on_reply,
	.expired = on_expired,
	.dlm = control_fleet_msg,
};
