/* test_core.c: csms/core/ alone (linking csms_core_ctx and what is below):
 * the settings table (every key's default within its own bounds, the
 * bounds applied and named, values read back) and the turn (a commit
 * releases the held replies and counts; an aborted turn answers nothing:
 * its sessions are closed, the writes rolled back). */
#include "check.h"
#include "config.h"
#include "csms.h"
#include "session.h"
#include "test_db.h"

#include <math.h>

static void check_settings(void)
{
	struct csms_config cfg;
	memset(&cfg, 0, sizeof cfg);
	CHECK(config_load(&cfg, 1, (char *[]){ "csmsd", NULL }) == 0);
	struct config_info k;
	char err[256], buf[256], val[64];
	size_t n = 0;
	for (size_t i = 0; config_info_at(i, &k) == 0; i++, n++) {
		CHECK(config_get(&cfg, k.name, buf, sizeof buf) != NULL);
		if (k.kind != CONFIG_NUMBER)
			continue;
		double v;
		CHECK(config_number(&cfg, k.name, &v) == 0);
		if (v < k.min || v > k.max)
			fprintf(stderr, "%s: default %g outside [%g, %g]\n", k.name, v, k.min, k.max);
		CHECK(v >= k.min && v <= k.max);
		/* the bounds themselves are accepted, just beyond them is refused, naming the key */
		snprintf(val, sizeof val, "%.17g", k.max);
		CHECK(config_set(&cfg, k.name, val, err, sizeof err) == 0);
		CHECK(config_number(&cfg, k.name, &v) == 0 && fabs(v - k.max) < 1e-9 * (1 + fabs(k.max)));
		snprintf(val, sizeof val, "%.17g", k.max + 1);
		err[0] = 0;
		CHECK(config_set(&cfg, k.name, val, err, sizeof err) == -1);
		CHECK_CONTAINS(err, k.name);
		CHECK(config_number(&cfg, k.name, &v) == 0 && fabs(v - k.max) < 1e-9 * (1 + fabs(k.max)));
		snprintf(val, sizeof val, "%.17g", k.min - 1);
		CHECK(config_set(&cfg, k.name, val, err, sizeof err) == -1);
		snprintf(val, sizeof val, "%.17g", k.min);
		CHECK(config_set(&cfg, k.name, val, err, sizeof err) == 0);
	}
	CHECK(n > 40);
	CHECK(config_set(&cfg, "no_such_key", "1", err, sizeof err) == -1);
	CHECK(config_get(&cfg, "no_such_key", buf, sizeof buf) == NULL);
	CHECK(config_set(&cfg, "ws_port", "80x", err, sizeof err) == -1);
	CHECK_CONTAINS(err, "ws_port");
	CHECK(config_set(&cfg, "dlm_sensor", "modbus-tcp", err, sizeof err) == 0);
	CHECK_STR(config_get(&cfg, "dlm_sensor", buf, sizeof buf), "modbus-tcp");
	CHECK(config_set(&cfg, "dlm_sensor", "carrier-pigeon", err, sizeof err) == -1);
	CHECK_STR(config_get(&cfg, "dlm_sensor", buf, sizeof buf), "modbus-tcp");
	config_free(&cfg);
}

static void want_write(void *wsi)
{
	(void)wsi;
}
static const struct rpc_hooks hooks = { .want_write = want_write };

/* A session holding one reply, as ocppj leaves it before the commit. */
static void hold_reply(struct csms *app, struct session *s, const char *text)
{
	struct outmsg *m = outmsg_new(strlen(text));
	memcpy(m->data + SESSION_PRE, text, strlen(text));
	session_reply(s, m);
	CHECK(app->rpc.dirty == s && s->held_head && s->held_head == s->held_tail);
}

static void check_turn(void)
{
	char path[] = "/tmp/csms-test-core-XXXXXX", buf[16];
	struct csms app;
	memset(&app, 0, sizeof app);
	app.store = test_db_open(path);
	CHECK(app.store != NULL);
	if (!app.store)
		return;
	app.rpc.hooks = &hooks;
	app.rpc.now_ms = &app.now_ms;
	struct session s;
	memset(&s, 0, sizeof s);
	s.rpc = &app.rpc;

	/* a turn with a write and a held reply: committed, then released */
	CHECK(store_meta_set(app.store, "k", "1") == 0 && store_pending(app.store));
	hold_reply(&app, &s, "[3,\"a\",{}]");
	csms_end_of_turn(&app);
	CHECK(!store_pending(app.store) && app.stats.commits == 1);
	CHECK(!app.rpc.dirty && !s.held_head && s.out_head && !s.dirty);
	CHECK(s.out_head && s.out_head->len == 10);

	/* nothing written: no commit, the reply still goes */
	hold_reply(&app, &s, "[3,\"b\",{}]");
	csms_end_of_turn(&app);
	CHECK(app.stats.commits == 1 && s.out_head && s.out_head->next && !app.rpc.dirty);

	/* an aborted turn: the write is gone, the holder is closed, nothing released */
	CHECK(store_meta_set(app.store, "k", "2") == 0);
	hold_reply(&app, &s, "[3,\"c\",{}]");
	csms_abort_turn(&app);
	CHECK(!store_pending(app.store) && !app.rpc.dirty && s.replaced);
	CHECK(store_meta_get(app.store, "k", buf, sizeof buf) == 0 && !strcmp(buf, "1"));
	CHECK(s.out_head && s.out_head->next && !s.out_head->next->next); /* "c" never queued */

	session_destroy(&s);
	store_close(app.store);
	unlink(path);
}

int main(void)
{
	check_settings();
	check_turn();
	return CHECK_DONE();
}
