/* cpsim_main.c: the `cpsim` command. `cpsim raw` bridges stdin/stdout lines
 * to websocket text frames for test scripts; `cpsim session` runs scripted
 * OCPP 1.6J sessions of one or many chargers and prints a JSON summary.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cliopt.h"
#include "cpsim.h"

#define EXIT_USAGE 2
#define EXIT_REFUSED 3
#define EXIT_CLOSED 4

static void usage(FILE *f);

/* ================================================================ raw mode */

/* A line read from stdin. Lifetime: malloc'd by the reader thread, freed by
 * the loop once handled. */
struct line {
	struct line *next;
	size_t len;
	char text[];
};

/* Shared between the stdin thread and the loop; lock guards head/tail/eof. */
static struct {
	pthread_mutex_t lock;
	struct line *head, *tail;
	int eof;
	struct cpsim_ctx *ctx;
	struct cpsim_cp *cp;
	int connected, closing, exit_code, drain_ms;
	int64_t eof_at_us, pause_until_us;
	size_t max_big;
} raw = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void *stdin_reader(void *arg)
{
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;

	(void)arg;
	while ((n = getline(&buf, &cap, stdin)) >= 0) {
		struct line *l;

		if (n && buf[n - 1] == '\n')
			n--;
		if (n && buf[n - 1] == '\r')
			n--;
		l = malloc(sizeof(*l) + (size_t)n + 1);
		if (!l)
			break;
		l->next = NULL;
		l->len = (size_t)n;
		memcpy(l->text, buf, (size_t)n);
		l->text[n] = '\0';
		pthread_mutex_lock(&raw.lock);
		if (raw.tail)
			raw.tail->next = l;
		else
			raw.head = l;
		raw.tail = l;
		pthread_mutex_unlock(&raw.lock);
		cpsim_ctx_wake(raw.ctx);
	}
	free(buf);
	pthread_mutex_lock(&raw.lock);
	raw.eof = 1;
	pthread_mutex_unlock(&raw.lock);
	cpsim_ctx_wake(raw.ctx);
	return NULL;
}

static void out_line(const char *fmt, const char *s, size_t len)
{
	fputs(fmt, stdout);
	fwrite(s, 1, len, stdout);
	fputc('\n', stdout);
	fflush(stdout);
}

/* "#big N": a valid OCPP CALL of exactly N bytes when N allows, so a server
 * sees a well-formed but huge frame; below 64 bytes plain filler. */
static int send_big(struct cpsim_cp *cp, size_t n)
{
	static const char head[] = "[2,\"big\",\"DataTransfer\",{\"vendorId\":\"cpsim\",\"data\":\"";
	static const char tail[] = "\"}]";
	char *b = malloc(n ? n : 1);
	int ret;

	if (!b)
		return -ENOMEM;
	memset(b, 'x', n);
	if (n >= sizeof(head) + sizeof(tail)) {
		memcpy(b, head, sizeof(head) - 1);
		memcpy(b + n - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
	}
	ret = cpsim_send_text(cp, b, n);
	free(b);
	return ret;
}

static void raw_directive(struct line *l)
{
	const char *t = l->text;
	char *end;

	if (!strncmp(t, "#big ", 5)) {
		unsigned long long n = strtoull(t + 5, &end, 10);

		if (*end || !n || n > raw.max_big)
			fprintf(stderr, "cpsim: #big wants 1..%zu bytes\n", raw.max_big);
		else if (send_big(raw.cp, (size_t)n))
			fprintf(stderr, "cpsim: #big: out of memory\n");
	} else if (!strcmp(t, "#ping")) {
		cpsim_send_ping(raw.cp);
	} else if (!strcmp(t, "#close")) {
		raw.closing = 1;
		cpsim_close(raw.cp, 1000);
	} else if (!strncmp(t, "#sleep ", 7)) {
		long ms = strtol(t + 7, &end, 10);

		if (*end || ms < 0 || ms > 600000)
			fprintf(stderr, "cpsim: #sleep wants 0..600000 ms\n");
		else
			raw.pause_until_us = cpsim_now_us() + ms * 1000;
	} else {
		fprintf(stderr, "cpsim: unknown directive \"%s\" (#big N, #ping, #close, #sleep MS)\n", t);
	}
}

static void raw_tick(struct cpsim_ctx *ctx, int64_t now)
{
	int eof;

	if (!raw.connected || raw.closing)
		return;
	for (;;) {
		struct line *l;

		if (raw.pause_until_us > now)
			return;
		pthread_mutex_lock(&raw.lock);
		l = raw.head;
		if (l) {
			raw.head = l->next;
			if (!raw.head)
				raw.tail = NULL;
		}
		eof = raw.eof;
		pthread_mutex_unlock(&raw.lock);
		if (!l)
			break;
		if (l->len && l->text[0] == '#')
			raw_directive(l);
		else if (cpsim_send_text(raw.cp, l->text, l->len))
			fprintf(stderr, "cpsim: could not queue a frame\n");
		free(l);
		if (raw.closing)
			return;
	}
	if (!eof)
		return;
	/* stdin closed: let the last frames go out and answers come in, then close */
	if (!raw.eof_at_us && cpsim_tx_idle(raw.cp))
		raw.eof_at_us = now;
	if (raw.eof_at_us && now - raw.eof_at_us >= (int64_t)raw.drain_ms * 1000) {
		raw.closing = 1;
		cpsim_close(raw.cp, 1000);
	}
	(void)ctx;
}

static void raw_text(struct cpsim_cp *cp, const char *buf, size_t len)
{
	(void)cp;
	out_line("", buf, len);
}

static void raw_conn(struct cpsim_cp *cp, enum cpsim_conn_event ev, int code, const char *reason)
{
	char b[32];

	(void)cp;
	if (ev == CPSIM_EV_CONNECTED) {
		raw.connected = 1;
		out_line("#connected", "", 0);
		return;
	}
	if (ev == CPSIM_EV_REFUSED) {
		out_line("#refused ", reason ? reason : "?", reason ? strlen(reason) : 1);
		raw.exit_code = EXIT_REFUSED;
	} else {
		snprintf(b, sizeof(b), "%d", code);
		out_line("#closed ", b, strlen(b));
		raw.exit_code = raw.closing ? 0 : EXIT_CLOSED;
	}
	cpsim_ctx_stop(raw.ctx);
}

static int run_raw(int argc, char **argv)
{
	const char *url_s = NULL, *basic = NULL;
	int no_sub = 0, drain_ms = 300, max_frame_kib = 16384, verbose = 0;
	const struct cliopt opts[] = {
		{ "url", CLIOPT_STR, &url_s, 0, 0, "ws://HOST:PORT/PATH/ID (required)" },
		{ "no-subprotocol", CLIOPT_FLAG, &no_sub, 0, 0, "do not offer ocpp1.6" },
		{ "basic", CLIOPT_STR, &basic, 0, 0, "USER:PASSWORD for HTTP Basic auth" },
		{ "drain-ms", CLIOPT_INT, &drain_ms, 0, 60000, "wait after stdin ends (300)" },
		{ "max-frame-kib", CLIOPT_INT, &max_frame_kib, 1, 1 << 20,
		  "largest frame received and #big (16384)" },
		{ "verbose", CLIOPT_FLAG, &verbose, 0, 0, "lws warnings and notices on stderr" },
		{ NULL, 0, NULL, 0, 0, NULL }
	};
	struct cpsim_ctx_opts co = { 0 };
	struct cpsim_url url;
	const char *id;
	pthread_t th;
	int ret;

	ret = cliopt_parse(opts, argc, argv, 2, "cpsim raw");
	if (ret)
		return ret > 0 ? 0 : EXIT_USAGE;
	if (!url_s || cpsim_url_parse(url_s, &url) || !url.path[0]) {
		fprintf(stderr, "cpsim raw: --url ws://HOST:PORT/PATH/ID is required\n");
		return EXIT_USAGE;
	}
	id = strrchr(url.path, '/') + 1;
	co.max_chargers = 1;
	co.omit_subprotocol = no_sub;
	co.max_frame = (size_t)max_frame_kib * 1024;
	co.lws_log_level = verbose ? 7 : 0;
	co.hooks.text = raw_text;
	co.hooks.conn = raw_conn;
	co.hooks.tick = raw_tick;
	raw.drain_ms = drain_ms;
	raw.max_big = co.max_frame;
	raw.ctx = cpsim_ctx_create(&co);
	if (!raw.ctx) {
		fprintf(stderr, "cpsim raw: cannot create the lws context\n");
		return 1;
	}
	raw.cp = cpsim_cp_new(raw.ctx, &url, *id ? id : "CP", url.path);
	if (!raw.cp || (basic && cpsim_cp_set_basic(raw.cp, basic))) {
		fprintf(stderr, "cpsim raw: bad charger id or out of memory\n");
		cpsim_ctx_destroy(raw.ctx);
		return EXIT_USAGE;
	}
	if (pthread_create(&th, NULL, stdin_reader, NULL)) {
		cpsim_ctx_destroy(raw.ctx);
		return 1;
	}
	pthread_detach(th);
	cpsim_connect(raw.cp);
	ret = cpsim_run(raw.ctx);
	fflush(stdout);
	/* the reader thread may sit in getline(): do not free what it uses */
	return ret ? 1 : raw.exit_code;
}

/* ================================================================ session mode */

static struct {
	struct cpsim_ctx *ctx;
	int64_t deadline_us;
	int timed_out;
} ses;

static void session_tick(struct cpsim_ctx *ctx, int64_t now)
{
	int n = cpsim_ctx_count(ctx), done = 1;

	for (int i = 0; i < n; i++) {
		struct cpsim_cp *cp = cpsim_ctx_cp(ctx, i);

		if (!cpsim_session_done(cp) || cpsim_is_open(cp))
			done = 0;
	}
	if (done) {
		cpsim_ctx_stop(ctx);
		return;
	}
	if (now >= ses.deadline_us) {
		ses.timed_out = 1;
		for (int i = 0; i < n; i++) {
			struct cpsim_cp *cp = cpsim_ctx_cp(ctx, i);

			if (!cpsim_session_done(cp))
				cpsim_cp_error(cp, "session not finished within --timeout");
		}
		cpsim_ctx_stop(ctx);
	}
}

static int run_session(int argc, char **argv)
{
	struct cpsim_session_opts so = { .connectors = 2,
					 .transactions = 1,
					 .meter_values = 3,
					 .interval_ms = 100,
					 .boot_retries = 5,
					 .heartbeat_max_s = 60 };
	const char *url_s = NULL, *id = "CP", *tag = "TAG1", *basic = NULL, *password = NULL;
	int nids = 1, timeout_s = 120, call_timeout_ms = 30000, no_sub = 0, verbose = 0;
	int pretty = 0, reconnect = 0;
	/* the wallbox with a car (cpsim_wallbox.c) */
	int wallbox = 0, wb_phases = 3, wb_ignore = 0, wb_dc = 0, wb_no_smart = 0, wb_car_max = 32,
	    wb_max = 0, wb_react = 1000;
	const char *wb_units = NULL;
	const struct cliopt opts[] = {
		{ "url", CLIOPT_STR, &url_s, 0, 0, "ws://HOST:PORT/PATH; the id is appended (required)" },
		{ "id", CLIOPT_STR, &id, 0, 0, "charger id, or prefix with --ids > 1 (CP)" },
		{ "ids", CLIOPT_INT, &nids, 1, 20000, "number of chargers ID1..IDN (1)" },
		{ "connectors", CLIOPT_INT, &so.connectors, 1, CPSIM_MAX_CONNECTORS,
		  "connectors per charger (2)" },
		{ "transactions", CLIOPT_INT, &so.transactions, 0, 100000, "transactions per connector (1)" },
		{ "id-tag", CLIOPT_STR, &tag, 0, 0, "idTag used (TAG1)" },
		{ "meter-values", CLIOPT_INT, &so.meter_values, 0, 100000,
		  "MeterValues per transaction (3)" },
		{ "interval-ms", CLIOPT_INT, &so.interval_ms, 0, 3600000, "between MeterValues (100)" },
		{ "boot-retries", CLIOPT_INT, &so.boot_retries, 0, 1000,
		  "Pending/Rejected boots tolerated (5)" },
		{ "boot-retry-ms", CLIOPT_INT, &so.boot_retry_ms, 1, 3600000,
		  "longest wait between boots (2000)" },
		{ "heartbeat-max-s", CLIOPT_INT, &so.heartbeat_max_s, 1, 86400,
		  "bound on the heartbeat interval (60)" },
		{ "stay", CLIOPT_INT, &so.stay_s, 0, 86400,
		  "seconds to stay connected after the script (0)" },
		{ "remote-mv-ms", CLIOPT_INT, &so.remote_mv_ms, 1, 3600000,
		  "MeterValues period of remote transactions (1000)" },
		{ "remote-max-s", CLIOPT_INT, &so.remote_max_s, 0, 86400,
		  "stop remote transactions after (0: on request)" },
		{ "allow-refused", CLIOPT_FLAG, &so.allow_refused, 0, 0, "a refused idTag is not a failure" },
		{ "reconnect", CLIOPT_FLAG, &reconnect, 0, 0, "reconnect with backoff, re-boot, resend" },
		{ "password", CLIOPT_STR, &password, 0, 0, "HTTP Basic auth as ID:PASSWORD" },
		{ "basic", CLIOPT_STR, &basic, 0, 0, "HTTP Basic auth USER:PASSWORD verbatim" },
		{ "no-subprotocol", CLIOPT_FLAG, &no_sub, 0, 0, "do not offer ocpp1.6" },
		{ "call-timeout-ms", CLIOPT_INT, &call_timeout_ms, 100, 600000,
		  "wait for an answer (30000)" },
		{ "timeout", CLIOPT_INT, &timeout_s, 1, 86400, "give up after this many seconds (120)" },
		{ "wallbox", CLIOPT_FLAG, &wallbox, 0, 0,
		  "a wallbox with a car: draws min(limit, car max) after --react-ms" },
		{ "phases", CLIOPT_INT, &wb_phases, 1, 3, "wallbox: wired phases, 1 or 3 (3)" },
		{ "ignore-phases", CLIOPT_FLAG, &wb_ignore, 0, 0,
		  "wallbox: ignores numberPhases, draws on its wired phases" },
		{ "units", CLIOPT_STR, &wb_units, 0, 0,
		  "wallbox: profile units it takes, A, W or AW (AW); others Rejected" },
		{ "dc", CLIOPT_FLAG, &wb_dc, 0, 0, "wallbox: DC, an A limit is DC current at 400 V" },
		{ "no-smart-charging", CLIOPT_FLAG, &wb_no_smart, 0, 0,
		  "wallbox: no SmartCharging profile (profile calls NotSupported)" },
		{ "car-max-a", CLIOPT_INT, &wb_car_max, 1, 1000,
		  "wallbox: the car's maximum, A per phase or DC A (32)" },
		{ "max-a", CLIOPT_INT, &wb_max, 0, 1000,
		  "wallbox: its rating without a profile (0: 32 AC, 125 DC)" },
		{ "react-ms", CLIOPT_INT, &wb_react, 0, 600000, "wallbox: the car's reaction time (1000)" },
		{ "pretty", CLIOPT_FLAG, &pretty, 0, 0, "indent the summary" },
		{ "verbose", CLIOPT_FLAG, &verbose, 0, 0, "lws warnings and notices on stderr" },
		{ NULL, 0, NULL, 0, 0, NULL }
	};
	struct cpsim_ctx_opts co = { 0 };
	struct cpsim_url url;
	cJSON *sum = NULL, *arr;
	char *txt;
	int ok = 1, ret = 1;
	int64_t t0;

	ret = cliopt_parse(opts, argc, argv, 2, "cpsim session");
	if (ret)
		return ret > 0 ? 0 : EXIT_USAGE;
	ret = 1;
	if (!url_s || cpsim_url_parse(url_s, &url)) {
		fprintf(stderr, "cpsim session: --url ws://HOST:PORT/PATH is required\n");
		return EXIT_USAGE;
	}
	if (strlen(tag) > 20 || !*tag) {
		fprintf(stderr, "cpsim session: --id-tag must be 1 to 20 characters\n");
		return EXIT_USAGE;
	}
	if (!*id || strlen(id) > CPSIM_ID_MAX - (nids > 1 ? 5 : 0)) {
		fprintf(stderr, "cpsim session: --id must be 1 to 48 characters with its number\n");
		return EXIT_USAGE;
	}
	wallbox |= wb_ignore || wb_dc || wb_no_smart || wb_units || wb_phases != 3;
	unsigned units = CPSIM_UNIT_A | CPSIM_UNIT_W;
	if (wb_units) {
		units = !strcmp(wb_units, "A")    ? CPSIM_UNIT_A
			: !strcmp(wb_units, "W")  ? CPSIM_UNIT_W
			: !strcmp(wb_units, "AW") ? CPSIM_UNIT_A | CPSIM_UNIT_W
						  : 0;
		if (!units) {
			fprintf(stderr, "cpsim session: --units must be A, W or AW\n");
			return EXIT_USAGE;
		}
	}
	if (wb_phases == 2) {
		fprintf(stderr, "cpsim session: --phases must be 1 or 3\n");
		return EXIT_USAGE;
	}
	so.id_tag = tag;
	so.reconnect = reconnect;
	co.max_chargers = nids;
	co.call_timeout_ms = call_timeout_ms;
	co.omit_subprotocol = no_sub;
	co.lws_log_level = verbose ? 7 : 0;
	co.hooks = cpsim_session_hooks;
	co.hooks.tick = session_tick;
	ses.ctx = cpsim_ctx_create(&co);
	if (!ses.ctx) {
		fprintf(stderr, "cpsim session: cannot create the lws context\n");
		return 1;
	}
	for (int i = 1; i <= nids; i++) {
		char name[CPSIM_ID_MAX + 1], up[CPSIM_ID_MAX + 130];
		struct cpsim_cp *cp;

		if (nids > 1)
			snprintf(name, sizeof(name), "%s%d", id, i);
		else
			snprintf(name, sizeof(name), "%s", id);
		cp = cpsim_cp_new(ses.ctx, &url, name, NULL);
		if (!cp || cpsim_session_attach(cp, &so)) {
			fprintf(stderr, "cpsim session: cannot create charger %s\n", name);
			goto out;
		}
		if (password) {
			snprintf(up, sizeof(up), "%s:%.127s", name, password);
			if (cpsim_cp_set_basic(cp, up))
				goto out;
		} else if (basic && cpsim_cp_set_basic(cp, basic)) {
			goto out;
		}
		if (reconnect)
			cpsim_cp_set_reconnect(cp, 5000, 0);
		if (wallbox) {
			struct cpsim_wallbox *wb = &cpsim_cp_model(cp)->wb;

			wb->on = 1;
			wb->phases = wb_dc ? 3 : wb_phases;
			wb->ignore_phases = wb_ignore;
			wb->units = units;
			wb->dc = wb_dc;
			wb->no_smart = wb_no_smart;
			wb->car_max_a = wb_car_max;
			wb->max_a = wb_max ? wb_max : wb_dc ? 125 : 32;
			wb->react_ms = wb_react;
		}
	}
	t0 = cpsim_now_us();
	ses.deadline_us = t0 + (int64_t)timeout_s * 1000000;
	for (int i = 0; i < nids; i++)
		cpsim_connect(cpsim_ctx_cp(ses.ctx, i));
	if (cpsim_run(ses.ctx))
		fprintf(stderr, "cpsim session: the event loop failed\n");

	sum = cJSON_CreateObject();
	arr = sum ? cJSON_AddArrayToObject(sum, "chargers") : NULL;
	if (!arr)
		goto out;
	for (int i = 0; i < nids; i++) {
		struct cpsim_cp *cp = cpsim_ctx_cp(ses.ctx, i);

		ok &= cpsim_session_ok(cp);
		cJSON_AddItemToArray(arr, cpsim_session_summary(cp));
	}
	cJSON_AddBoolToObject(sum, "ok", ok && !ses.timed_out);
	cJSON_AddBoolToObject(sum, "timedOut", ses.timed_out);
	cJSON_AddNumberToObject(sum, "elapsedMs", (double)((cpsim_now_us() - t0) / 1000));
	txt = pretty ? cJSON_Print(sum) : cJSON_PrintUnformatted(sum);
	if (txt) {
		puts(txt);
		cJSON_free(txt);
	}
	ret = ok && !ses.timed_out ? 0 : 1;
out:
	cJSON_Delete(sum);
	cpsim_ctx_destroy(ses.ctx);
	return ret;
}

/* ================================================================ main */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cpsim raw --url ws://HOST:PORT/ocpp/ID [--no-subprotocol] [--basic U:P]\n"
		"       cpsim session --url ws://HOST:PORT/ocpp [--id CP] [--ids N] [options]\n"
		"raw: prints #connected | #refused REASON | #closed CODE, then every received\n"
		"     frame as a line; sends every stdin line as one text frame; directives:\n"
		"     #big N (a CALL of exactly N bytes), #ping, #close, #sleep MS.\n"
		"     exit 0 after stdin ends, 3 refused, 4 closed by the peer, 2 usage.\n"
		"session: prints one JSON summary; exit 0 only if every session succeeded.\n"
		"Run `cpsim raw --help` or `cpsim session --help` for the options.\n");
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (!strcmp(argv[1], "raw"))
		return run_raw(argc, argv);
	if (!strcmp(argv[1], "session"))
		return run_session(argc, argv);
	fprintf(stderr, "cpsim: unknown mode \"%s\" (raw or session)\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
