/* fuzz_common.c: one csmsd context for the fuzz targets (see fuzz_common.h)
 * and the stubs of the lws calls that need a live lws context
 * (linked with -Wl,--wrap so server.c itself is the real one). */
#include "fuzz_common.h"

#include "charger.h"
#include "config.h"
#include "control.h"
#include "energy.h"
#include "log.h"
#include "ocppj.h"
#include "schema.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lws;
struct lws_context;
int __wrap_lws_callback_on_writable(struct lws *wsi);
void __wrap_lws_cancel_service(struct lws_context *ctx);
void __wrap_server_call_deadline(void *wsi, int64_t delay_ms);
void __wrap_server_flush(void *wsi);

/* No lws context here: the replays call ocppj_check_timeouts themselves. */
void __wrap_server_call_deadline(void *wsi, int64_t delay_ms)
{
	(void)wsi;
	(void)delay_ms;
}

/* The answers stay queued; the replays drop them with the session. */
void __wrap_server_flush(void *wsi)
{
	(void)wsi;
}

int __wrap_lws_callback_on_writable(struct lws *wsi)
{
	(void)wsi;
	return 0;
}

void __wrap_lws_cancel_service(struct lws_context *ctx)
{
	(void)ctx;
}

static struct csms app;
static struct session sess;
static int ready;
static char dummy_wsi[64];

#define DIE(...)                                              \
	do {                                                  \
		fprintf(stderr, "fuzz_common: " __VA_ARGS__); \
		abort();                                      \
	} while (0)

static void setup(void)
{
	char err[256];
	ready = 1;
	log_set_level(getenv("FUZZ_LOG") ? LOG_DEBUG : LOG_ERROR);
	if (schema_init())
		DIE("schema_init\n");
	if (config_load(&app.cfg, 1, (char *[]){ "csmsd", NULL }))
		DIE("config_load\n");
	app.cfg.unknown_chargers = UNKNOWN_ACCEPT;
	app.cfg.validate_outgoing = 1; /* our own answers are checked too */
	app.cfg.dlm_enabled = 1;
	if (config_set(&app.cfg, "dlm_sensor", "api", err, sizeof err) ||
	    config_set(&app.cfg, "station_source", "api", err, sizeof err))
		DIE("config_set: %s\n", err);
	if (store_open(":memory:", &app.store, err, sizeof err))
		DIE("store_open: %s\n", err);
	app.chargers = charger_registry_new();
	app.now_ms = 1700000000000;
	if (control_init(&app, err, sizeof err))
		DIE("control_init: %s\n", err);
	if (energy_init(&app, err, sizeof err))
		DIE("energy_init: %s\n", err);
	csms_wire(&app);
	sess.app = &app;
	sess.rpc = &app.rpc;
	sess.wsi = dummy_wsi;
	snprintf(sess.id, sizeof sess.id, "CP1");
	sess.connected_ms = app.now_ms;
	sess.ch = charger_get(app.chargers, app.store, "CP1");
	if (!sess.ch)
		DIE("charger_get\n");
	sess.ch->session = &sess;
	control_charger_online(&app, sess.ch);
	static const char boot[] =
		"[2,\"boot\",\"BootNotification\",{\"chargePointVendor\":\"V\",\"chargePointModel\":\"M\"}]";
	ocppj_receive(&sess, boot, sizeof boot - 1);
	fuzz_end_turn();
	if (!sess.booted)
		DIE("CP1 not accepted\n");
}

struct csms *fuzz_app(void)
{
	if (!ready)
		setup();
	return &app;
}

struct session *fuzz_session(void)
{
	if (!ready)
		setup();
	return &sess;
}

int fuzz_drain(struct session *s)
{
	int n = 0;
	while (s->out_head) {
		struct outmsg *m = s->out_head;
		s->out_head = m->next;
		free(m);
		n++;
	}
	s->out_tail = NULL;
	return n;
}

void fuzz_end_turn(void)
{
	csms_end_of_turn(&app);
	fuzz_drain(&sess);
}

char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return NULL;
	memcpy(s, data, size);
	s[size] = 0;
	return s;
}
