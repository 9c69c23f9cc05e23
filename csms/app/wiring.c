/* wiring.c: who reacts to what, in one place. The RPC layer's hooks (a
 * charger's CALL goes to its handler, our CALLs are tracked, replies wake
 * the writer) and the server's events (a handshake is checked against the
 * charger's key and the pending bound; a connection becomes a session of
 * its charger and is announced to DLM; frames go to the RPC layer; admin
 * requests to the routes, committed before they are answered; sensor
 * wake-ups to the glue; the tick and the end of each loop turn). */
#include "admin.h"
#include "authkey.h"
#include "charger.h"
#include "commands.h"
#include "control.h"
#include "app.h"
#include "csms.h"
#include "energy.h"
#include "fleet.h"
#include "api_events.h"
#include "handlers.h"
#include "history.h"
#include "http.h"
#include "log.h"
#include "mqtt_link.h"
#include "ocppj.h"
#include "server.h"
#include "session.h"
#include "store.h"
#include "timeutil.h"

#include <stdlib.h>
#include <time.h>
#include <string.h>

/* ---- the RPC layer's hooks and the chargers' events ---- */

static int session_accepted(const struct session *s)
{
	return s->ch && s->ch->reg == REG_ACCEPTED;
}

static const struct rpc_hooks rpc_hooks = {
	.handle = handlers_dispatch,
	.accepted = session_accepted,
	.track = commands_track,
	.want_write = server_want_write,
	.flush = server_flush,
	.deadline = server_call_deadline,
};

static void ev_booted(void *ctx, struct charger *ch)
{
	control_charger_online(ctx, ch);
}

static void ev_changed(void *ctx, struct charger *ch)
{
	control_charger_changed(ctx, ch);
}

static void ev_metered(void *ctx, struct charger *ch, int connector, int64_t tx_id, double wh, int64_t ts_ms)
{
	history_tx_meter(ctx, ch, connector, tx_id, wh, ts_ms);
}

/* The key derivations' share of the loop (authkey_pace): one per process,
 * as the loop is. */
static struct authkey_pace kdf_pace;

void csms_wire(struct csms *app)
{
	struct charger_events cev = { app, ev_booted, ev_changed, ev_metered };
	if (app->chargers)
		charger_registry_set_events(app->chargers, &cev);
	app->rpc.hooks = &rpc_hooks;
	app->rpc.now_ms = &app->now_ms;
	app->rpc.max_frame = app->cfg.max_frame;
	app->rpc.call_timeout_s = app->cfg.call_timeout;
	app->rpc.validate_outgoing = app->cfg.validate_outgoing;
	kdf_pace.share = app->cfg.auth_kdf_share;
}

/* ---- the server's events ---- */

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Profiles 1 and 2: the password must verify against the charger's stored
 * AuthorizationKey hash. The password that verified last time costs one
 * HMAC (the charger's authkey_cache), any other the KDF, within the loop's
 * share for it (else 1: busy, come back); an old or weaker stored hash is
 * replaced after a match. 0 right, -1 wrong. */
static int ev_check_password(void *ctx, const char *id, const char *pw, size_t pwlen)
{
	struct csms *app = ctx;
	char rehashed[AUTHKEY_HASH_MAX];
	struct charger *ch = charger_find(app->chargers, app->store, id);
	struct store_charger c;
	if (!ch || store_charger_get(app->store, id, &c))
		return -1;
	free(c.settings_json);
	if (!c.auth_key_hash[0])
		return -1;
	if (authkey_cached(&ch->auth_cache, pw, pwlen, c.auth_key_hash))
		return 0; /* one HMAC: no KDF, no re-hash due */
	int64_t t0 = mono_us();
	if (!authkey_pace_allow(&kdf_pace, t0))
		return 1;
	int ok = authkey_check(&ch->auth_cache, pw, pwlen, c.auth_key_hash, app->cfg.auth_key_iterations,
			       rehashed, sizeof rehashed);
	authkey_pace_spent(&kdf_pace, mono_us() - t0);
	if (!ok)
		return -1;
	if (rehashed[0]) {
		if (store_charger_set_auth_key(app->store, id, rehashed))
			ch->auth_cache.valid = 0; /* verify (and re-hash) again next time */
		else
			LOGI("server", "%s: AuthorizationKey re-hashed (pbkdf2-sha256, %d iterations)", id,
			     app->cfg.auth_key_iterations);
	}
	return 0;
}

/* Refused before anything is allocated for it: an unknown id beyond the
 * bound costs neither memory nor a database row. */
static int ev_admit(void *ctx, const char *id)
{
	struct csms *app = ctx;
	return charger_admit(app->chargers, app->store, id, app->cfg.max_pending_chargers);
}

static struct session *ev_connected(void *ctx, const char *id, void *wsi)
{
	struct csms *app = ctx;
	struct session *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	app->now_ms = time_now_ms();
	s->rpc = &app->rpc;
	s->app = app;
	s->wsi = wsi;
	snprintf(s->id, sizeof s->id, "%s", id);
	s->connected_ms = app->now_ms;
	s->ch = charger_get(app->chargers, app->store, s->id);
	if (!s->ch) {
		free(s);
		return NULL;
	}
	charger_hold(s->ch);
	if (s->ch->session) {
		LOGI("server", "%s: new connection replaces the old one", s->id);
		s->ch->session->ch = s->ch;
		server_close_session(s->ch->session);
	}
	s->ch->session = s;
	s->ch->links++;
	s->ch->last_seen_ms = app->now_ms;
	fleet_connected(app, s->ch); /* in a fleet: held here now */
	LOGI("server", "%s connected", s->id);
	control_charger_online(app, s->ch);
	return s;
}

static void ev_frame(void *ctx, struct session *s, const char *buf, size_t len, int oversized)
{
	struct csms *app = ctx;
	app->now_ms = time_now_ms();
	s->ch->last_seen_ms = app->now_ms;
	if (oversized)
		ocppj_oversized(s, buf, len);
	else
		ocppj_receive(s, buf, len);
}

/* lastSeen follows every message in the registry (what the API shows);
 * the store gets it at most once a minute per charger, in a turn's commit,
 * and at the end of the connection: no row write per message. */
#define SEEN_STORE_MS 60000

static void store_seen(struct csms *app, struct charger *ch)
{
	if (ch->last_seen_ms > ch->seen_stored_ms &&
	    !store_charger_seen(app->store, ch->id, ch->last_seen_ms))
		ch->seen_stored_ms = ch->last_seen_ms;
}

static void store_seen_in_turn(struct csms *app)
{
	for (struct session *s = app->rpc.dirty; s; s = s->dirty_next)
		if (s->ch && app->now_ms - s->ch->seen_stored_ms >= SEEN_STORE_MS)
			store_seen(app, s->ch);
}

static void ev_closed(void *ctx, struct session *s)
{
	struct csms *app = ctx;
	LOGI("server", "%s disconnected", s->id);
	if (s->ch && app->store)
		store_seen(app, s->ch);
	if (s->ch && s->ch->session == s) {
		s->ch->session = NULL;
		if (app->store)
			fleet_closed(app, s->ch);
		control_charger_offline(app, s->ch);
	}
	session_destroy(s);
	if (s->ch)
		charger_release(app->chargers, s->ch);
	free(s);
}

/* The CALL in flight on s may be past its deadline. */
static void ev_deadline(void *ctx, struct session *s)
{
	struct csms *app = ctx;
	app->now_ms = time_now_ms();
	ocppj_check_timeouts(s, app->now_ms);
}

/* One admin request: the routes answer at once or defer (an OCPP call);
 * what they wrote is durable before the answer goes out. */
static void ev_http(void *ctx, struct http_txn *t)
{
	struct csms *app = ctx;
	app->now_ms = time_now_ms();
	admin_handle(app, t);
	if (app->store && csms_commit(app) && t->answered)
		http_error(t, 500, "InternalError", "could not store");
}

static void ev_wake(void *ctx)
{
	struct csms *app = ctx;
	energy_wake(app);
	control_wake(app);
	mqtt_link_wake(app);
}

static void ev_tick(void *ctx)
{
	struct csms *app = ctx;
	app->now_ms = time_now_ms();
	csms_tick(app);
	api_events_tick(app);
	mqtt_link_tick(app);
}

static void ev_end_of_turn(void *ctx)
{
	struct csms *app = ctx;
	app->now_ms = time_now_ms();
	if (app->store)
		store_seen_in_turn(app);
	fleet_poll(app); /* the bus, before the commit that sends what it answers */
	csms_end_of_turn(app);
}

int csms_server_start(struct csms *app, char *err, size_t errlen)
{
	const struct csms_config *c = &app->cfg;
	struct server_opts o = {
		.ws_bind = c->ws_bind,
		.ws_port = c->ws_port,
		.tls_port = c->tls_port,
		.tls_cert = c->tls_cert,
		.tls_key = c->tls_key,
		.tls_ca = c->tls_ca,
		.security_profile = c->security_profile,
		.admin_bind = c->admin_bind,
		.admin_port = c->admin_port,
		.ping_interval_s = c->ping_interval,
		.max_connections = c->max_connections,
		.max_frame = (size_t)c->max_frame,
	};
	struct server_events ev = {
		.ctx = app,
		.check_password = ev_check_password,
		.admit = ev_admit,
		.connected = ev_connected,
		.frame = ev_frame,
		.closed = ev_closed,
		.deadline = ev_deadline,
		.http = ev_http,
		.wake = ev_wake,
		.tick = ev_tick,
		.end_of_turn = ev_end_of_turn,
	};
	app->server = server_start(&o, &ev, err, errlen);
	return app->server ? 0 : -1;
}
