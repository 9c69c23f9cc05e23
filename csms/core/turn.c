/* turn.c: the end of a loop turn: the group commit, which releases the
 * replies it made durable; when it fails, nothing of the turn is answered
 * and the chargers holding replies are disconnected (they retry, and the
 * same messages are idempotent). turn_done tells what waits for the
 * commit (the turn's events) whether it went out. */
#include "csms.h"
#include "server.h"
#include "session.h"
#include "store.h"

/* Nothing of this turn is durable: answer nothing; the chargers holding
 * replies are disconnected and will retry (the same messages are idempotent). */
static void drop_turn(struct csms *app)
{
	if (app->turn_done)
		app->turn_done(app, 0);
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
	if (!app->rpc.dirty && !store_pending(app->store)) {
		if (app->turn_done)
			app->turn_done(app, 1);
		return;
	}
	if (csms_commit(app))
		return;
	if (app->turn_done)
		app->turn_done(app, 1);
	struct session *s = app->rpc.dirty, *n;
	app->rpc.dirty = NULL;
	for (; s; s = n) {
		n = s->dirty_next;
		s->dirty = 0;
		s->dirty_next = NULL;
		session_release_held(s);
	}
}
