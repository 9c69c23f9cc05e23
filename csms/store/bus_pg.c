/* bus_pg.c: the fleet's bus on PostgreSQL (bus.h): one libpq connection of
 * its own, so that a notification is read as soon as the loop asks
 * (PQconsumeInput, PQnotifies: no blocking read) whatever the store's
 * connection is doing. It holds the node lock that tells the other nodes
 * this node runs (store_pg.c's NODE_ALIVE) and the sites' control locks;
 * PostgreSQL releases them when the connection dies. */
#include "bus.h"
#include "log.h"
#include "store_backend.h"
#include "timeutil.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUS_STR_(x) #x
#define BUS_STR(x) BUS_STR_(x)
#define STR_LOCK_CLASS BUS_STR(STORE_PG_NODE_LOCK_CLASS)
#define STR_SITE_CLASS BUS_STR(STORE_PG_SITE_LOCK_CLASS)
#define BUS_RECONNECT_MS 1000
#define BUS_SITES 64 /* site locks a node may hold */

/* One per node, from bus_open to bus_close. */
struct bus {
	PGconn *conn;
	char node[STORE_NODE_MAX];
	char channel[BUS_CHANNEL_MAX];
	int down;                /* lost (logged once) */
	unsigned epoch;          /* connections made again (bus_fd's socket is new) */
	int64_t retry_ms;        /* no reconnect before this */
	int32_t held[BUS_SITES]; /* the keys of the site locks held */
	size_t sites;            /* how many */
};

void bus_channel(const char *node, char *buf, size_t len)
{
	snprintf(buf, len, "csms_node_%s", node);
}

static void bus_quiet(void *arg, const char *message)
{
	(void)arg;
	LOGD("bus", "postgresql: %s", message);
}

/* A query whose single value is a boolean: 1 true, 0 false, -1 error. */
static int ask_bool(PGconn *c, const char *sql, int n, const char *const *params)
{
	PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
	int v = -1;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		v = !strcmp(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	return v;
}

/* LISTEN on our channel and take the node lock (again, after a reconnect).
 * 0; -1 error; -2 another connection holds the node lock. */
static int bus_setup(struct bus *b, char *err, size_t errlen)
{
	const char *node[] = { b->node };
	int locked =
		ask_bool(b->conn, "SELECT pg_try_advisory_lock(" STR_LOCK_CLASS ", hashtext($1))", 1, node);
	if (locked < 0) {
		snprintf(err, errlen, "node lock: %s", PQerrorMessage(b->conn));
		return -1;
	}
	if (!locked) {
		snprintf(err, errlen, "node_id '%s' is in use by another running node", b->node);
		return -2;
	}
	char *ident = PQescapeIdentifier(b->conn, b->channel, strlen(b->channel));
	if (!ident) {
		snprintf(err, errlen, "listen: %s", PQerrorMessage(b->conn));
		return -1;
	}
	char sql[BUS_CHANNEL_MAX * 2 + 16];
	snprintf(sql, sizeof sql, "LISTEN %s", ident);
	PQfreemem(ident);
	PGresult *r = PQexec(b->conn, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	if (!ok) {
		snprintf(err, errlen, "listen: %s", PQerrorMessage(b->conn));
		return -1;
	}
	return 0;
}

int bus_open(const char *db, const char *node, struct bus **out, char *err, size_t errlen)
{
	static const char *const keys[] = { "connect_timeout",
					    "keepalives_idle",
					    "keepalives_interval",
					    "keepalives_count",
					    "application_name",
					    "dbname",
					    NULL };
	*out = NULL;
	if (strncmp(db, "postgresql://", 13) && strncmp(db, "postgres://", 11))
		return 0;
	const char *values[] = { "5", "10", "5", "3", "csmsd-bus", db, NULL };
	struct bus *b = calloc(1, sizeof *b);
	if (!b) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(b->node, sizeof b->node, "%s", node);
	bus_channel(node, b->channel, sizeof b->channel);
	b->conn = PQconnectdbParams(keys, values, 1);
	if (!b->conn || PQstatus(b->conn) != CONNECTION_OK) {
		snprintf(err, errlen, "bus: %s", b->conn ? PQerrorMessage(b->conn) : "out of memory");
		goto fail;
	}
	PQsetNoticeProcessor(b->conn, bus_quiet, NULL);
	if (bus_setup(b, err, errlen))
		goto fail;
	if (PQsetnonblocking(b->conn, 1)) {
		snprintf(err, errlen, "bus: %s", PQerrorMessage(b->conn));
		goto fail;
	}
	*out = b;
	return 0;
fail:
	bus_close(b);
	return -1;
}

void bus_close(struct bus *b)
{
	if (!b)
		return;
	PQfinish(b->conn); /* the locks go with the connection */
	free(b);
}

/* The connection is gone: make it again (at most once a second). 0 or -1. */
static int bus_reconnect(struct bus *b)
{
	int64_t now = time_now_ms();
	if (now < b->retry_ms)
		return -1;
	b->retry_ms = now + BUS_RECONNECT_MS;
	b->sites = 0; /* the locks went with the old connection */
	PQsetnonblocking(b->conn, 0);
	PQreset(b->conn);
	char err[256];
	if (PQstatus(b->conn) != CONNECTION_OK || bus_setup(b, err, sizeof err)) {
		if (!b->down)
			LOGE("bus", "postgresql: no connection: %s", PQerrorMessage(b->conn));
		b->down = 1;
		return -1;
	}
	PQsetnonblocking(b->conn, 1);
	b->epoch++;
	LOGI("bus", "postgresql: listening again on %s", b->channel);
	b->down = 0;
	return 0;
}

int bus_poll(struct bus *b, void (*fn)(void *arg, const char *payload), void *arg)
{
	if (!b)
		return 0;
	if ((PQstatus(b->conn) != CONNECTION_OK || !PQconsumeInput(b->conn)) && !b->down) {
		LOGE("bus", "postgresql: connection lost: %s", PQerrorMessage(b->conn));
		b->down = 1;
		b->sites = 0;
	}
	if (b->down && bus_reconnect(b))
		return -1;
	int n = 0;
	PGnotify *m;
	while ((m = PQnotifies(b->conn))) {
		if (!strcmp(m->relname, b->channel)) {
			fn(arg, m->extra);
			n++;
		}
		PQfreemem(m);
	}
	return n;
}

int bus_fd(const struct bus *b, unsigned *epoch)
{
	if (epoch)
		*epoch = b ? b->epoch : 0;
	return b && !b->down && b->conn ? PQsocket(b->conn) : -1;
}

int bus_up(const struct bus *b)
{
	return !b || !b->down;
}

/* The slot of a held key, or b->sites. */
static size_t held_at(const struct bus *b, int32_t site)
{
	size_t i = 0;
	while (i < b->sites && b->held[i] != site)
		i++;
	return i;
}

int bus_site_lock(struct bus *b, int32_t site)
{
	if (!b)
		return 1;
	if (held_at(b, site) < b->sites)
		return 1;
	if (b->down || b->sites == BUS_SITES)
		return -1;
	char key[16];
	snprintf(key, sizeof key, "%d", (int)site);
	const char *params[] = { key };
	/* A synchronous query on a non-blocking connection: libpq flushes it. */
	int got = ask_bool(b->conn, "SELECT pg_try_advisory_lock(" STR_SITE_CLASS ", $1::int)", 1, params);
	if (got < 0)
		return -1;
	if (got)
		b->held[b->sites++] = site;
	return got;
}

void bus_site_unlock(struct bus *b, int32_t site)
{
	size_t i;
	if (!b || (i = held_at(b, site)) == b->sites)
		return;
	b->held[i] = b->held[--b->sites];
	if (b->down)
		return; /* it went with the connection */
	char key[16];
	snprintf(key, sizeof key, "%d", (int)site);
	const char *params[] = { key };
	if (ask_bool(b->conn, "SELECT pg_advisory_unlock(" STR_SITE_CLASS ", $1::int)", 1, params) < 0)
		LOGW("bus", "site %d: unlock failed: %s", (int)site, PQerrorMessage(b->conn));
}

int bus_site_held(const struct bus *b, int32_t site)
{
	return !b || (!b->down && held_at(b, site) < b->sites);
}
