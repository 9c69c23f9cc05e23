/* evhook.c: the listeners of what happens (evhook.h) and the table that
 * names an alarm's kind. An event waits for its turn's commit (turn_done,
 * called by core/turn.c): a webhook or MQTT message never tells of a
 * record that a failed commit or a rollback took back. */
#include "evhook.h"
#include "alarms.h"
#include "csms.h"
#include "log.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

const char *const evhook_kind_names[EVHOOK_KIND_COUNT] = {
	[EVHOOK_ALARM_RAISED] = "alarmRaised",         [EVHOOK_ALARM_CLEARED] = "alarmCleared",
	[EVHOOK_SESSION_FINISHED] = "sessionFinished", [EVHOOK_CHARGER_OFFLINE] = "chargerOffline",
	[EVHOOK_CHARGER_ONLINE] = "chargerOnline",     [EVHOOK_SENSOR_STALE] = "gridSensorStale",
	[EVHOOK_SENSOR_OK] = "gridSensorOk",
};

/* An event waiting for its turn's commit, with copies of its strings. */
struct pending_ev {
	struct evhook_event ev;
	char *s[6]; /* charger, source, code, info, id_tag, stop_reason */
	struct pending_ev *next;
};

struct evhooks {
	int n;
	struct {
		evhook_fn fn;
		void *arg;
	} l[EVHOOK_MAX];
	struct pending_ev *head, **tail; /* this turn's events, in order */
	size_t npending;
};

#define PENDING_MAX 4096 /* events of one turn at most (more are dropped, logged) */

int evhook_kind_of(const char *name)
{
	for (int i = 0; i < EVHOOK_KIND_COUNT; i++)
		if (!strcmp(evhook_kind_names[i], name))
			return i;
	return -1;
}

int evhook_parse_kinds(const char *key, const char *list, unsigned *bits, char *err, size_t errlen)
{
	*bits = 0;
	const char *p = list;
	while (*p) {
		size_t len = strcspn(p, " ,\t");
		char word[40];
		if (len) {
			snprintf(word, sizeof word, "%.*s", (int)(len < sizeof word ? len : sizeof word - 1),
				 p);
			int k = evhook_kind_of(word);
			if (!strcmp(word, "all"))
				*bits |= (1u << EVHOOK_KIND_COUNT) - 1;
			else if (k < 0 || len >= sizeof word) {
				snprintf(err, errlen, "%s: '%.*s' is no event kind (all, %s, ...)", key,
					 (int)(len > 40 ? 40 : len), p, evhook_kind_names[0]);
				return -1;
			} else
				*bits |= 1u << k;
		}
		p += len;
		p += strspn(p, " ,\t");
	}
	return 0;
}

/* Alarms with a kind of their own; the rest are alarmRaised/alarmCleared. */
static const struct {
	const char *source, *code;
	enum evhook_kind raised, cleared;
} alarm_kinds[] = {
	{ ALARM_SRC_OFFLINE, NULL, EVHOOK_CHARGER_OFFLINE, EVHOOK_CHARGER_ONLINE },
	{ ALARM_SRC_SENSOR, ALARM_CODE_SENSOR_STALE, EVHOOK_SENSOR_STALE, EVHOOK_SENSOR_OK },
};

enum evhook_kind evhook_alarm_kind(const char *source, const char *code, int raised)
{
	for (size_t i = 0; i < sizeof alarm_kinds / sizeof alarm_kinds[0]; i++)
		if (source && !strcmp(alarm_kinds[i].source, source) &&
		    (!alarm_kinds[i].code || (code && !strcmp(alarm_kinds[i].code, code))))
			return raised ? alarm_kinds[i].raised : alarm_kinds[i].cleared;
	return raised ? EVHOOK_ALARM_RAISED : EVHOOK_ALARM_CLEARED;
}

static void turn_done(struct csms *app, int committed);

int evhook_listen(struct csms *app, evhook_fn fn, void *arg)
{
	if (!app->evhooks) {
		if (!(app->evhooks = calloc(1, sizeof *app->evhooks)))
			return -1;
		app->evhooks->tail = &app->evhooks->head;
		app->turn_done = turn_done;
	}
	struct evhooks *h = app->evhooks;
	if (h->n >= EVHOOK_MAX)
		return -1;
	h->l[h->n].fn = fn;
	h->l[h->n].arg = arg;
	h->n++;
	return 0;
}

void evhook_unlisten(struct csms *app, evhook_fn fn, void *arg)
{
	struct evhooks *h = app->evhooks;
	for (int i = 0; h && i < h->n; i++)
		if (h->l[i].fn == fn && h->l[i].arg == arg) {
			memmove(&h->l[i], &h->l[i + 1], (size_t)(h->n - i - 1) * sizeof h->l[0]);
			h->n--;
			return;
		}
}

int evhook_wanted(const struct csms *app)
{
	return app->evhooks && app->evhooks->n > 0;
}

static void pending_free(struct pending_ev *p)
{
	for (int i = 0; i < 6; i++)
		free(p->s[i]);
	free(p);
}

/* The turn's events: told to every listener in order (committed), or dropped. */
static void turn_done(struct csms *app, int committed)
{
	struct evhooks *h = app->evhooks;
	if (!h)
		return;
	struct pending_ev *p = h->head, *next;
	h->head = NULL;
	h->tail = &h->head;
	h->npending = 0;
	for (; p; p = next) {
		next = p->next;
		for (int i = 0; committed && i < h->n; i++)
			h->l[i].fn(h->l[i].arg, &p->ev);
		pending_free(p);
	}
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

void evhook_emit(struct csms *app, const struct evhook_event *ev)
{
	struct evhooks *h = app->evhooks;
	if (!h || !h->n)
		return;
	if (h->npending >= PENDING_MAX) {
		LOGW("events", "%s not told: more than %d events in one turn", evhook_kind_names[ev->kind],
		     PENDING_MAX);
		return;
	}
	struct pending_ev *p = calloc(1, sizeof *p);
	if (!p)
		return;
	p->ev = *ev;
	const char *src[6] = { ev->charger, ev->source, ev->code, ev->info, ev->id_tag, ev->stop_reason };
	for (int i = 0; i < 6; i++)
		if (src[i] && !(p->s[i] = dup_or_null(src[i]))) {
			pending_free(p);
			return;
		}
	p->ev.charger = p->s[0];
	p->ev.source = p->s[1];
	p->ev.code = p->s[2];
	p->ev.info = p->s[3];
	p->ev.id_tag = p->s[4];
	p->ev.stop_reason = p->s[5];
	*h->tail = p;
	h->tail = &p->next;
	h->npending++;
}

void evhook_free(struct csms *app)
{
	if (app->evhooks)
		turn_done(app, 0);
	free(app->evhooks);
	app->evhooks = NULL;
	app->turn_done = NULL;
}
