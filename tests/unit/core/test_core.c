/* test_core.c: csms/core/ alone (linking csms_core_ctx and what is below):
 * the settings table (every key's default within its own bounds, the
 * bounds applied and named, values read back) and the turn (a commit
 * releases the held replies and counts; an aborted turn answers nothing:
 * its sessions are closed, the writes rolled back), and where each value
 * comes from (command line > environment > stored through the API > file >
 * default; issue 11). */
#include "check.h"
#include "config.h"
#include "csms.h"
#include "session.h"
#include "test_db.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

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

/* Origins: each source recorded per key; a value stored through the API
 * beats the file and the default, yields to the environment and the
 * command line; the value a winner beat at start is kept for the log. */
static void check_origins(void)
{
	struct csms_config cfg;
	char path[] = "/tmp/csms-core-origin-XXXXXX", err[256], other[64], buf[64];
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	FILE *f = fdopen(fd, "w");
	CHECK(f != NULL);
	fprintf(f, "dlm_breaker_a = 20\ndlm_margin_a = 3\nheartbeat_interval = 111\n");
	fclose(f);
	setenv("CSMS_DLM_MARGIN_A", "2", 1);
	setenv("CSMS_DLM_FALLBACK_A", "7", 1);
	char *argv[] = { "csmsd", "-c", path, "--dlm_fallback_a", "5", "--heartbeat_interval", "333", NULL };
	memset(&cfg, 0, sizeof cfg);
	CHECK(config_load(&cfg, 7, argv) == 0);
	unsetenv("CSMS_DLM_MARGIN_A");
	unsetenv("CSMS_DLM_FALLBACK_A");
	unlink(path);
	CHECK(config_origin_of(&cfg, "dlm_breaker_a", 0) == CONFIG_ORIGIN_FILE);
	CHECK(config_origin_of(&cfg, "dlm_margin_a", 0) == CONFIG_ORIGIN_ENV);
	CHECK(config_origin_of(&cfg, "dlm_fallback_a", 0) == CONFIG_ORIGIN_CMDLINE);
	CHECK(config_origin_of(&cfg, "heartbeat_interval", 0) == CONFIG_ORIGIN_CMDLINE);
	CHECK(config_origin_of(&cfg, "dlm_stale_s", 0) == CONFIG_ORIGIN_DEFAULT);
	CHECK(config_origin_of(&cfg, "no_such_key", 0) == -1);
	CHECK_STR(config_origin_name(CONFIG_ORIGIN_CMDLINE), "commandLine");
	CHECK_STR(config_origin_name(CONFIG_ORIGIN_ENV), "environment");
	CHECK_STR(config_origin_name(CONFIG_ORIGIN_API), "api");
	CHECK_STR(config_origin_name(CONFIG_ORIGIN_FILE), "file");
	CHECK_STR(config_origin_name(CONFIG_ORIGIN_DEFAULT), "default");
	CHECK_STR(config_origin_name(99), "?");
	/* the value each winner beat at start */
	CHECK(cfg.overridden[0] == NULL);
	int beaten = 0;
	for (size_t i = 0; i < CONFIG_MAX_KEYS; i++)
		if (cfg.overridden[i])
			beaten += !strcmp(cfg.overridden[i], "3") || !strcmp(cfg.overridden[i], "7") ||
				!strcmp(cfg.overridden[i], "111");
	CHECK(beaten == 3);

	/* stored through the API: wins over file and default, yields to env and argv */
	CHECK(config_set_stored(&cfg, "dlm_breaker_a", "32", other, sizeof other, err, sizeof err) == 0);
	CHECK_STR(other, "20");
	CHECK_STR(config_get(&cfg, "dlm_breaker_a", buf, sizeof buf), "32");
	CHECK(config_origin_of(&cfg, "dlm_breaker_a", 0) == CONFIG_ORIGIN_API);
	CHECK(config_origin_of(&cfg, "dlm_breaker_a", 1) == CONFIG_ORIGIN_FILE);
	CHECK(config_set_stored(&cfg, "dlm_stale_s", "20", other, sizeof other, err, sizeof err) == 0);
	CHECK(config_origin_of(&cfg, "dlm_stale_s", 0) == CONFIG_ORIGIN_API);
	CHECK(config_set_stored(&cfg, "dlm_margin_a", "4", other, sizeof other, err, sizeof err) == 1);
	CHECK_STR(other, "2");
	CHECK_STR(config_get(&cfg, "dlm_margin_a", buf, sizeof buf), "2");
	CHECK(config_origin_of(&cfg, "dlm_margin_a", 0) == CONFIG_ORIGIN_ENV);
	CHECK(config_set_stored(&cfg, "dlm_fallback_a", "6", other, sizeof other, err, sizeof err) == 1);
	CHECK_STR(config_get(&cfg, "dlm_fallback_a", buf, sizeof buf), "5");
	CHECK(config_set_stored(&cfg, "dlm_breaker_a", "x", other, sizeof other, err, sizeof err) == -1);
	CHECK(config_set_stored(&cfg, "nope", "1", other, sizeof other, err, sizeof err) == -1);
	/* a run-time change from the API: origin api now, the start origin kept */
	CHECK(config_set_from(&cfg, "dlm_fallback_a", "6", CONFIG_ORIGIN_API, err, sizeof err) == 0);
	CHECK(config_origin_of(&cfg, "dlm_fallback_a", 0) == CONFIG_ORIGIN_API);
	CHECK(config_origin_of(&cfg, "dlm_fallback_a", 1) == CONFIG_ORIGIN_CMDLINE);
	config_free(&cfg);
}

int main(void)
{
	check_settings();
	check_origins();
	check_turn();
	return CHECK_DONE();
}
