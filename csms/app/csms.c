/* csms.c: the loop's duties: the group commit at the end of each turn, which
 * releases the replies it made durable, and the periodic tick (call
 * timeouts, DLM, profile re-installs, reservations, alarms). */
#include "alarms.h"
#include "charger.h"
#include "commands.h"
#include "control.h"
#include "energy.h"
#include "csms.h"
#include "ocppj.h"
#include "server.h"
#include "session.h"
#include "store.h"

/* Nothing of this turn is durable: answer nothing; the chargers holding
 * replies are disconnected and will retry (the same messages are idempotent). */
static void drop_turn(struct csms *app)
{
	for (struct session *s = app->rpc.dirty; s; s = s->dirty_next) {
		s->dirty = 0;
		server_close_session(s);
	}
	app->rpc.dirty = NULL;
}

int csms_commit(struct csms *app)
{
	if (!store_pending(app->store))
		return 0;
	if (store_commit(app->store)) {
		app->stats.commit_failures++;
		drop_turn(app);
		return -1;
	}
	app->stats.commits++;
	return 0;
}

void csms_abort_turn(struct csms *app)
{
	store_rollback(app->store);
	drop_turn(app);
}

void csms_end_of_turn(struct csms *app)
{
	if (!app->rpc.dirty && !store_pending(app->store))
		return;
	if (csms_commit(app))
		return;
	struct session *s = app->rpc.dirty, *n;
	app->rpc.dirty = NULL;
	for (; s; s = n) {
		n = s->dirty_next;
		s->dirty = 0;
		s->dirty_next = NULL;
		session_release_held(s);
	}
}

void csms_tick(struct csms *app)
{
	if (!app->started_ms)
		app->started_ms = app->now_ms;
	for (struct charger *c = charger_first(app->chargers); c; c = c->next)
		if (c->session && c->session->inflight)
			ocppj_check_timeouts(c->session, app->now_ms);
	energy_tick(app);     /* before control: DLM reads fresh EV targets */
	control_tick(app);
	/* Both do their once-a-second part when next_housekeeping_ms is due. */
	commands_tick(app);
	alarms_tick(app);
	if (app->now_ms >= app->next_housekeeping_ms) {
		charger_sweep(app->chargers);   /* chargers that lookups loaded and no one needs */
		app->next_housekeeping_ms = app->now_ms + 1000;
	}
	csms_end_of_turn(app);
}
