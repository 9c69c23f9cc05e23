/* fleet.c: this node's part in a fleet (fleet.h): its leases and
 * heartbeat, the takeover of a charger another node holds, the messages
 * from the bus (one handler per type), and the table of forwarded calls
 * waiting for their answer. */
#include "fleet.h"
#include "fnv.h"
#include "bus.h"
#include "charger.h"
#include "csms.h"
#include "jget.h"
#include "log.h"
#include "server.h"
#include "session.h"
#include "store.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUS_KEEP_MS 60000          /* a message row nobody took is removed after this */
#define FLEET_SITES 64             /* sites whose control loop a node may run (bus.h's BUS_SITES) */
#define CONTROL_KEY "control_node" /* meta: the node that last took the default site's loop */

/* A forwarded call waiting for its answer; freed when taken or expired. */
struct fleet_pending {
	uint64_t req;
	void *arg;
	int64_t deadline_ms;
	struct fleet_pending *next;
};

/* One per node, from fleet_open to fleet_close. */
struct fleet {
	struct bus *bus;
	const struct fleet_hooks *hooks;
	char node[FLEETMSG_NODE_MAX];
	int64_t lease_ms, started_ms, renew_ms, prune_ms;
	uint64_t next_req;
	struct fleet_pending *pending;
	int db_down;        /* the last renewal failed */
	unsigned bus_epoch; /* bus_fd's epoch the loop watches */
	struct fleet_site {
		char site[STORE_ID_MAX];
		int control;  /* we run its control loop (fleet_control_site) */
	} sites[FLEET_SITES]; /* the sites asked about, the default first */
	size_t nsites;
};

const char *fleet_node(const struct csms *app)
{
	return app->fleet ? app->fleet->node : NULL;
}

int fleet_open(struct csms *app, const struct fleet_hooks *h, char *err, size_t errlen)
{
	char node[FLEETMSG_NODE_MAX] = "";
	app->fleet = NULL;
	if (strncmp(app->cfg.db, "postgresql://", 13) && strncmp(app->cfg.db, "postgres://", 11))
		return 0;
	if (app->cfg.node_id && app->cfg.node_id[0])
		snprintf(node, sizeof node, "%s", app->cfg.node_id);
	else if (gethostname(node, sizeof node - 1))
		node[0] = '\0';
	if (!fleetmsg_node_ok(node)) {
		snprintf(err, errlen, "node_id: '%s' is not a node id (1 to %d of A-Z a-z 0-9 _ . : -)", node,
			 FLEETMSG_NODE_MAX - 1);
		return -1;
	}
	struct fleet *f = calloc(1, sizeof *f);
	if (!f) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(f->node, sizeof f->node, "%s", node);
	f->hooks = h;
	f->lease_ms = (int64_t)app->cfg.node_lease_s * 1000;
	f->started_ms = app->now_ms;
	f->next_req = 1;
	if (bus_open(app->cfg.db, node, &f->bus, err, errlen)) {
		free(f);
		return -1;
	}
	app->fleet = f;
	if (store_node_beat(app->store, node, f->started_ms, app->now_ms) || csms_commit(app)) {
		snprintf(err, errlen, "node %s: cannot write its heartbeat", node);
		fleet_close(app);
		return -1;
	}
	LOGI("fleet", "node %s: leases of %d s, listening on the bus", node, app->cfg.node_lease_s);
	return 0;
}

void fleet_close(struct csms *app)
{
	struct fleet *f = app->fleet;
	if (!f)
		return;
	while (f->pending) {
		struct fleet_pending *p = f->pending;
		f->pending = p->next;
		if (f->hooks && f->hooks->expired)
			f->hooks->expired(app, p->arg);
		free(p);
	}
	if (store_node_gone(app->store, f->node) || csms_commit(app))
		LOGW("fleet", "node %s: its leases stay until they run out", f->node);
	bus_close(f->bus);
	free(f);
	app->fleet = NULL;
}

/* ---- leases ---- */

static void view_of(const struct store_lease *l, int found, struct fleet_lease_view *v)
{
	v->found = found;
	v->node = l->node;
	v->until_ms = l->until_ms;
	v->node_alive = l->node_alive;
}

void fleet_connected(struct csms *app, struct charger *ch)
{
	struct fleet *f = app->fleet;
	if (!f)
		return;
	struct store_lease l = { 0 };
	struct fleet_lease_view v;
	int rc = store_lease_get(app->store, ch->id, &l);
	if (rc < 0)
		return;
	view_of(&l, rc == 0, &v);
	enum fleet_take t = fleet_take_decide(f->node, &v, app->now_ms);
	if (store_lease_take(app->store, ch->id, f->node, app->now_ms + f->lease_ms))
		return;
	if (t == FLEET_TAKE_FROM_LIVE) {
		LOGI("fleet", "%s: taken from node %s", ch->id, l.node);
		fleet_drop(app, l.node, ch->id);
	}
}

void fleet_closed(struct csms *app, struct charger *ch)
{
	if (app->fleet)
		store_lease_drop(app->store, ch->id, app->fleet->node);
}

int fleet_holder(struct csms *app, const char *charger, char node[FLEETMSG_NODE_MAX])
{
	struct fleet *f = app->fleet;
	if (!f)
		return 0;
	struct store_lease l = { 0 };
	struct fleet_lease_view v;
	int rc = store_lease_get(app->store, charger, &l);
	if (rc < 0)
		return -1;
	view_of(&l, rc == 0, &v);
	if (fleet_route_decide(f->node, &v, app->now_ms) != FLEET_ROUTE_FORWARD)
		return 0;
	snprintf(node, FLEETMSG_NODE_MAX, "%s", l.node);
	return 1;
}

static int renewed(void *arg, const char *charger)
{
	cJSON_AddTrueToObject(arg, charger);
	return 0;
}

/* A session here whose lease was not renewed: another node took it (it
 * connected there later: that one wins), or the row went (take it again). */
static void reconcile(struct csms *app, struct charger *ch)
{
	struct fleet *f = app->fleet;
	struct store_lease l = { 0 };
	struct fleet_lease_view v;
	int rc = store_lease_get(app->store, ch->id, &l);
	if (rc < 0)
		return;
	view_of(&l, rc == 0, &v);
	if (fleet_take_decide(f->node, &v, app->now_ms) == FLEET_TAKE_FROM_LIVE) {
		LOGI("fleet", "%s: held by node %s now: its session here ends", ch->id, l.node);
		server_close_session(ch->session);
	} else
		store_lease_take(app->store, ch->id, f->node, app->now_ms + f->lease_ms);
}

static void renew(struct csms *app)
{
	struct fleet *f = app->fleet;
	cJSON *held = cJSON_CreateObject();
	if (!held)
		return;
	int rc = store_node_beat(app->store, f->node, f->started_ms, app->now_ms);
	if (!rc)
		rc = store_lease_renew(app->store, f->node, app->now_ms + f->lease_ms, renewed, held);
	if (!rc)
		for (struct charger *ch = charger_first(app->chargers); ch; ch = ch->next)
			if (ch->session && !cJSON_GetObjectItemCaseSensitive(held, ch->id))
				reconcile(app, ch);
	cJSON_Delete(held);
	if (!rc)
		rc = csms_commit(app);
	if (!!rc != f->db_down)
		LOGW("fleet", "node %s: %s", f->node,
		     rc ? "cannot renew its leases (database away)" : "leases renewed again");
	f->db_down = !!rc;
}

/* ---- messages ---- */

int fleet_send(struct csms *app, const char *node, struct fleetmsg *m)
{
	struct fleet *f = app->fleet;
	char channel[BUS_CHANNEL_MAX];
	if (!f)
		return -1;
	snprintf(m->from, sizeof m->from, "%s", f->node);
	char *text = fleetmsg_encode(m);
	if (!text)
		return -1;
	int rc = 0;
	if (strlen(text) > FLEETMSG_NOTIFY_MAX) {
		struct fleetmsg ref = { .type = FLEETMSG_REF };
		snprintf(ref.from, sizeof ref.from, "%s", f->node);
		rc = store_bus_put(app->store, text, app->now_ms, &ref.ref);
		free(text);
		text = rc ? NULL : fleetmsg_encode(&ref);
		if (!text)
			return -1;
	}
	bus_channel(node, channel, sizeof channel);
	rc = store_notify(app->store, channel, text);
	free(text);
	return rc ? -1 : 0;
}

void fleet_drop(struct csms *app, const char *node, const char *charger)
{
	struct fleetmsg m = { .type = FLEETMSG_DROP };
	snprintf(m.charger, sizeof m.charger, "%s", charger);
	if (fleet_send(app, node, &m))
		LOGW("fleet", "%s: cannot tell node %s to drop it", charger, node);
}

/* Another node took the charger: our session of it ends (its lease row is
 * that node's now, so closing it drops nothing). Or an admin deleted it
 * through another node: its session ends and it is forgotten here. */
static void on_drop(struct csms *app, struct fleetmsg *m)
{
	struct charger *ch = charger_find(app->chargers, app->store, m->charger);
	struct store_charger sc;
	int rc = ch ? store_charger_get(app->store, ch->id, &sc) : -1;
	if (!rc)
		free(sc.settings_json);
	if (ch && ch->session) {
		LOGI("fleet", "%s: node %s %s: its session here ends", ch->id, m->from,
		     rc == 1 ? "deleted it" : "took it");
		server_close_session(ch->session);
	}
	if (ch && rc == 1)
		charger_remove(app->chargers, ch);
}

static void on_call(struct csms *app, struct fleetmsg *m)
{
	if (app->fleet->hooks && app->fleet->hooks->call)
		app->fleet->hooks->call(app, m);
}

static void on_reply(struct csms *app, struct fleetmsg *m)
{
	if (app->fleet->hooks && app->fleet->hooks->reply)
		app->fleet->hooks->reply(app, m);
}

static void dispatch(struct csms *app, const char *text, int by_ref);

/* A message too big for a notification: its row, taken once. */
static void on_ref(struct csms *app, struct fleetmsg *m)
{
	char *text = NULL;
	if (store_bus_take(app->store, m->ref, &text)) {
		LOGW("fleet", "bus message %lld from %s: not found", (long long)m->ref, m->from);
		return;
	}
	dispatch(app, text, 1);
	free(text);
}

static void on_dlm(struct csms *app, struct fleetmsg *m)
{
	if (app->fleet->hooks && app->fleet->hooks->dlm)
		app->fleet->hooks->dlm(app, m);
}

static void on_api(struct csms *app, struct fleetmsg *m)
{
	if (app->fleet->hooks && app->fleet->hooks->api)
		app->fleet->hooks->api(app, m);
}

static void on_reload(struct csms *app, struct fleetmsg *m)
{
	if (app->fleet->hooks && app->fleet->hooks->reload)
		app->fleet->hooks->reload(app, m);
}

static void (*const handlers[FLEETMSG_TYPES])(struct csms *app, struct fleetmsg *m) = {
	[FLEETMSG_DLMIN] = on_dlm, [FLEETMSG_DLMOUT] = on_dlm,    [FLEETMSG_DROP] = on_drop,
	[FLEETMSG_CALL] = on_call, [FLEETMSG_REPLY] = on_reply,   [FLEETMSG_REF] = on_ref,
	[FLEETMSG_API] = on_api,   [FLEETMSG_RELOAD] = on_reload,
};

static void dispatch(struct csms *app, const char *text, int by_ref)
{
	struct fleetmsg m;
	const char *why;
	if (fleetmsg_decode(text, strlen(text), &m, &why)) {
		LOGW("fleet", "a bus message refused: %s", why);
		return;
	}
	if (by_ref && m.type == FLEETMSG_REF)
		LOGW("fleet", "a bus message refused: a reference to a reference");
	else
		handlers[m.type](app, &m);
	fleetmsg_free(&m);
}

static void on_bus(void *arg, const char *payload)
{
	dispatch(arg, payload, 0);
}

/* ---- forwarded calls ---- */

uint64_t fleet_pending_add(struct csms *app, void *arg, int64_t deadline_ms)
{
	struct fleet *f = app->fleet;
	struct fleet_pending *p = f ? calloc(1, sizeof *p) : NULL;
	if (!p)
		return 0;
	p->req = f->next_req++;
	p->arg = arg;
	p->deadline_ms = deadline_ms;
	p->next = f->pending;
	f->pending = p;
	return p->req;
}

void *fleet_pending_take(struct csms *app, uint64_t req)
{
	struct fleet *f = app->fleet;
	for (struct fleet_pending **pp = f ? &f->pending : NULL; pp && *pp; pp = &(*pp)->next)
		if ((*pp)->req == req) {
			struct fleet_pending *p = *pp;
			void *arg = p->arg;
			*pp = p->next;
			free(p);
			return arg;
		}
	return NULL;
}

static void expire(struct csms *app)
{
	struct fleet *f = app->fleet;
	struct fleet_pending **pp = &f->pending;
	while (*pp) {
		struct fleet_pending *p = *pp;
		if (p->deadline_ms > app->now_ms) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		if (f->hooks && f->hooks->expired)
			f->hooks->expired(app, p->arg);
		free(p);
	}
}

void fleet_poll(struct csms *app)
{
	struct fleet *f = app->fleet;
	if (!f)
		return;
	bus_poll(f->bus, on_bus, app);
	/* a notification ends the loop's turn at once (this runs at each
	 * turn's end), not at the next tick: a forwarded call's two hops */
	unsigned epoch;
	int fd = bus_fd(f->bus, &epoch);
	if (epoch != f->bus_epoch) { /* a new socket: watch it afresh */
		server_watch_fd(app->server, -1);
		f->bus_epoch = epoch;
	}
	server_watch_fd(app->server, fd);
	if (app->now_ms >= f->renew_ms) {
		f->renew_ms = app->now_ms + f->lease_ms / 3;
		renew(app);
	}
	if (app->now_ms >= f->prune_ms) {
		f->prune_ms = app->now_ms + BUS_KEEP_MS;
		store_bus_prune(app->store, app->now_ms - BUS_KEEP_MS);
	}
	expire(app);
}

/* ---- the site's control loop ---- */

/* A site's advisory lock key: 0 for the default site (the key of the one
 * site before there were sites, so a node of that version and a newer one
 * never both run it), else FNV-1a of its id in 1..2^31-1. Two sites whose
 * keys meet share one lock: the node that holds it runs both. */
static int32_t site_key(const char *site)
{
	if (!strcmp(site, STORE_SITE_DEFAULT))
		return 0;
	uint32_t h = fnv1a(site) & 0x7fffffffu;
	return (int32_t)(h ? h : 1);
}

/* meta: the node that last took a site's loop. */
static void control_key(const char *site, char *buf, size_t len)
{
	if (!strcmp(site, STORE_SITE_DEFAULT))
		snprintf(buf, len, "%s", CONTROL_KEY);
	else
		snprintf(buf, len, "%s.%s", CONTROL_KEY, site);
}

/* The site's entry (made at the first call), or NULL when the table is full. */
static struct fleet_site *site_entry(struct fleet *f, const char *site)
{
	for (size_t i = 0; i < f->nsites; i++)
		if (!strcmp(f->sites[i].site, site))
			return &f->sites[i];
	if (f->nsites == FLEET_SITES)
		return NULL;
	struct fleet_site *e = &f->sites[f->nsites++];
	snprintf(e->site, sizeof e->site, "%s", site);
	e->control = 0;
	return e;
}

int fleet_control(struct csms *app)
{
	return fleet_control_site(app, STORE_SITE_DEFAULT);
}

int fleet_control_site(struct csms *app, const char *site)
{
	struct fleet *f = app->fleet;
	char key[STORE_ID_MAX + 16];
	if (!f)
		return 1;
	struct fleet_site *e = site_entry(f, site);
	if (!e)
		return 0;
	const int32_t lock = site_key(site);
	control_key(site, key, sizeof key);
	/* A node that cannot store (its last renewal failed) lets another run it. */
	int got = !f->db_down && bus_site_lock(f->bus, lock) == 1;
	/* Said in the store for the other nodes' GET /api/v1/dlm; the lock,
	 * not this row, decides who runs it. */
	if (got && !e->control && store_meta_set(app->store, key, f->node))
		got = 0; /* the database is away: not ours until it says so */
	if (!got)
		bus_site_unlock(f->bus, lock); /* nothing when not held */
	if (got != e->control)
		LOGI("fleet", "node %s %s the site's control loop%s%s%s", f->node,
		     got ? "runs" : "no longer runs", strcmp(site, STORE_SITE_DEFAULT) ? " (site " : "",
		     strcmp(site, STORE_SITE_DEFAULT) ? site : "",
		     strcmp(site, STORE_SITE_DEFAULT) ? ")" : "");
	e->control = got;
	return got;
}

int fleet_runs_site(struct csms *app, const char *site)
{
	struct fleet *f = app->fleet;
	if (!f)
		return 1;
	struct fleet_site *e = site_entry(f, site);
	return e && e->control && bus_site_held(f->bus, site_key(site));
}

static int node_alive(void *arg, const struct store_node_row *n)
{
	struct {
		const char *id;
		int alive;
	} *q = arg;
	if (!strcmp(n->id, q->id))
		q->alive = n->alive;
	return 0;
}

int fleet_control_node(struct csms *app, char node[FLEETMSG_NODE_MAX])
{
	return fleet_control_node_site(app, STORE_SITE_DEFAULT, node);
}

int fleet_control_node_site(struct csms *app, const char *site, char node[FLEETMSG_NODE_MAX])
{
	struct fleet *f = app->fleet;
	char key[STORE_ID_MAX + 16];
	if (!f)
		return 0;
	if (fleet_runs_site(app, site)) {
		snprintf(node, FLEETMSG_NODE_MAX, "%s", f->node);
		return 1;
	}
	control_key(site, key, sizeof key);
	int rc = store_meta_get(app->store, key, node, FLEETMSG_NODE_MAX);
	if (rc)
		return rc < 0 ? rc : 0;
	struct {
		const char *id;
		int alive;
	} q = { node, 0 };
	if (!strcmp(node, f->node))
		return 0; /* the row names us, but we hold no lock: we let it go */
	if (store_node_each(app->store, app->now_ms, node_alive, &q) < 0)
		return -1;
	return q.alive ? 1 : 0;
}

/* ---- health ---- */

static int node_row(void *arg, const struct store_node_row *n)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", n->id);
	jput_time(o, "started", n->started_ms);
	jput_time(o, "heartbeat", n->beat_ms);
	cJSON_AddBoolToObject(o, "running", n->alive);
	cJSON_AddNumberToObject(o, "chargers", (double)n->chargers);
	cJSON_AddItemToArray(arg, o);
	return 0;
}

void fleet_health(struct csms *app, cJSON *o, int with_nodes)
{
	struct fleet *f = app->fleet;
	if (!f)
		return;
	cJSON_AddStringToObject(o, "node", f->node);
	cJSON_AddStringToObject(o, "database", f->db_down ? "unavailable" : "ok");
	cJSON_AddStringToObject(o, "bus", bus_up(f->bus) ? "ok" : "unavailable");
	if (with_nodes) {
		cJSON *arr = cJSON_AddArrayToObject(o, "nodes");
		if (store_node_each(app->store, app->now_ms, node_row, arr) < 0)
			cJSON_DeleteItemFromObjectCaseSensitive(o, "nodes");
	}
}
