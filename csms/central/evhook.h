/* evhook.h: what happened that someone outside may want to hear of (an
 * alarm raised or cleared, a charging session finished, a charger gone
 * offline or back, the grid sensor stale or back), told to listeners that
 * a higher layer registers (integ/: webhooks, MQTT), so that central/ and
 * glue/ never call up. Each occurrence is told once, under one kind.
 *
 * Threading: the lws service thread only. Ownership: the listener list
 * hangs off app->evhooks, made by the first evhook_listen and freed by
 * evhook_free; an event and its strings are borrowed for the call. */
#ifndef CSMS_EVHOOK_H
#define CSMS_EVHOOK_H

#include <stddef.h>
#include <stdint.h>

struct csms;

/* The kinds, one name each (evhook_kind_names): an alarm of the sources
 * below is told under its own kind, every other alarm as alarmRaised /
 * alarmCleared. */
enum evhook_kind {
	EVHOOK_ALARM_RAISED = 0,
	EVHOOK_ALARM_CLEARED,
	EVHOOK_SESSION_FINISHED,
	EVHOOK_CHARGER_OFFLINE, /* the offline alarm (3 heartbeat intervals of silence) */
	EVHOOK_CHARGER_ONLINE,  /* ... cleared */
	EVHOOK_SENSOR_STALE,    /* DLM's grid sensor: SensorStale raised */
	EVHOOK_SENSOR_OK,       /* ... cleared */
	EVHOOK_KIND_COUNT
};
extern const char *const evhook_kind_names[EVHOOK_KIND_COUNT];
/* The kind of a name; -1 for none. */
int evhook_kind_of(const char *name);
/* A setting's list of kind names (comma or space separated; "all": every
 * kind) as bits (1 << kind); -1 with err naming key and the unknown word. */
int evhook_parse_kinds(const char *key, const char *list, unsigned *bits, char *err, size_t errlen);

/* One occurrence. Fields that do not apply are NULL / 0 / NaN. */
struct evhook_event {
	enum evhook_kind kind;
	int64_t time_ms;
	const char *charger; /* NULL: the site */
	int connector;       /* -1: the whole charger or the site */
	/* alarms */
	const char *source, *code, *info;
	/* sessionFinished */
	int64_t tx_id;
	const char *id_tag, *stop_reason;
	int64_t start_ms, stop_ms;
	double energy_wh, cost, pv_share; /* cost, pv_share NaN: not known */
};

typedef void (*evhook_fn)(void *arg, const struct evhook_event *ev);

/* Adds a listener (at most EVHOOK_MAX). 0, or -1 (full, out of memory). */
#define EVHOOK_MAX 8
int evhook_listen(struct csms *app, evhook_fn fn, void *arg);
/* Removes a listener fn/arg (before arg is freed). */
void evhook_unlisten(struct csms *app, evhook_fn fn, void *arg);
/* 1 when someone listens (the emitters skip the work of an event otherwise). */
int evhook_wanted(const struct csms *app);
/* Tells every listener, in the order they registered, once the turn's
 * commit has made it durable (the event and its strings are copied); a
 * turn that is rolled back or whose commit fails tells none of its events. */
void evhook_emit(struct csms *app, const struct evhook_event *ev);
void evhook_free(struct csms *app);

/* The alarm kinds by source and code (code NULL: any), as data: the kind
 * an alarm is told under when raised (raised 1) or cleared. */
enum evhook_kind evhook_alarm_kind(const char *source, const char *code, int raised);

#endif
