/* test_evhook.c: events wait for their turn's commit. An emitted event
 * reaches no listener before the end of its turn; a turn that commits (or
 * has nothing to commit) tells its events in order, with the strings as
 * they were when emitted; a rolled-back turn tells none of them; the
 * events still waiting when the hooks are freed are dropped. */
#include "csms.h"
#include "evhook.h"
#include "store.h"
#include "check.h"
#include "test_db.h"

#include <stdlib.h>
#include <unistd.h>

struct seen {
	int n;
	char chargers[8][32];
	enum evhook_kind kinds[8];
};

static void listener(void *arg, const struct evhook_event *ev)
{
	struct seen *s = arg;
	if (s->n < 8) {
		snprintf(s->chargers[s->n], sizeof s->chargers[0], "%s", ev->charger ? ev->charger : "-");
		s->kinds[s->n] = ev->kind;
	}
	s->n++;
}

static void emit(struct csms *app, enum evhook_kind kind, const char *charger)
{
	struct evhook_event ev = { .kind = kind, .charger = charger, .connector = -1, .source = "test" };
	evhook_emit(app, &ev);
}

int main(void)
{
	char path[] = "/tmp/csms-test-evhook-XXXXXX";
	static struct csms app;
	app.store = test_db_open(path);
	CHECK(app.store != NULL);
	struct seen s = { 0 };
	CHECK(evhook_listen(&app, listener, &s) == 0);

	/* nothing to commit: told at the end of the turn, not before */
	char name[32] = "CP-1";
	emit(&app, EVHOOK_CHARGER_OFFLINE, name);
	snprintf(name, sizeof name, "changed");
	CHECK(s.n == 0);
	csms_end_of_turn(&app);
	CHECK(s.n == 1);
	CHECK_STR(s.chargers[0], "CP-1");

	/* a committed turn: its events in order */
	CHECK(store_charger_create(app.store, "CP-2", REG_ACCEPTED, 1000) == 0);
	emit(&app, EVHOOK_CHARGER_ONLINE, "CP-2");
	emit(&app, EVHOOK_ALARM_RAISED, "CP-3");
	CHECK(s.n == 1);
	csms_end_of_turn(&app);
	CHECK(s.n == 3);
	CHECK(s.kinds[1] == EVHOOK_CHARGER_ONLINE && s.kinds[2] == EVHOOK_ALARM_RAISED);
	CHECK_STR(s.chargers[2], "CP-3");

	/* a rolled-back turn: none of its events */
	CHECK(store_charger_create(app.store, "CP-4", REG_ACCEPTED, 2000) == 0);
	emit(&app, EVHOOK_SESSION_FINISHED, "CP-4");
	csms_abort_turn(&app);
	csms_end_of_turn(&app);
	CHECK(s.n == 3);

	/* no listener left: nothing queued, nothing told */
	evhook_unlisten(&app, listener, &s);
	emit(&app, EVHOOK_ALARM_CLEARED, "CP-5");
	CHECK(evhook_listen(&app, listener, &s) == 0);
	csms_end_of_turn(&app);
	CHECK(s.n == 3);

	/* freed with events waiting: dropped (the sanitizers see no leak) */
	emit(&app, EVHOOK_ALARM_CLEARED, "CP-6");
	evhook_free(&app);
	CHECK(s.n == 3 && app.turn_done == NULL);
	store_close(app.store);
	unlink(path);
	return CHECK_DONE();
}
