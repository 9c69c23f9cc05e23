/* loadgen.c: load generator for csmsd. N simulated chargers (cpsim_core, one
 * thread, one lws context) connect at a bounded rate, boot, then each sends
 * MeterValues (3 phases, 6 measurands) in a closed loop: the next one as soon
 * as the previous is acknowledged. Prints connections held, acknowledged
 * messages per second, p50/p99/max ack latency, errors and csmsd's VmRSS.
 * A benchmark, not a test: it prints figures.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cliopt.h"
#include "cpsim.h"

/* Latency histogram: 10 us steps below 100 ms, 1 ms steps to 10 s, then one
 * overflow bucket. Fixed size, no allocation per sample. */
#define H_FINE 10000
#define H_COARSE 9900
#define H_N (H_FINE + H_COARSE + 1)

static uint32_t hist[H_N];

static void hist_add(int64_t us)
{
	size_t i;

	if (us < 0)
		us = 0;
	if (us < 100000)
		i = (size_t)(us / 10);
	else if (us < 10000000)
		i = H_FINE + (size_t)((us - 100000) / 1000);
	else
		i = H_N - 1;
	hist[i]++;
}

/* Upper edge of the bucket holding quantile q, in ms. */
static double hist_quantile(uint64_t total, double q)
{
	uint64_t want = (uint64_t)((double)total * q), seen = 0;

	if (!total)
		return 0;
	if (want >= total)
		want = total - 1;
	for (size_t i = 0; i < H_N; i++) {
		seen += hist[i];
		if (seen > want)
			return i < H_FINE     ? (double)(i + 1) * 0.01
				: i < H_N - 1 ? 100.0 + (double)(i - H_FINE + 1)
					      : 10000.0;
	}
	return 10000.0;
}

enum lg_phase { LG_IDLE, LG_CONNECTING, LG_BOOTING, LG_STARTING, LG_RUNNING, LG_FAILED };

/* Per simulated charger. Lifetime: the whole run (one array). */
struct lg_cp {
	enum lg_phase phase;
	int tx_id;
	double energy_wh;
	int64_t last_ack_us;
};

static struct {
	struct cpsim_ctx *ctx;
	struct lg_cp *cps;
	int n, started, booted, failed, open, ramp_per_s, duration_s, pid, with_tx, idle;
	int boot_wait_s;
	int64_t t0, meas_start, meas_end, next_report;
	uint64_t acked, acked_window, errors, conn_failures, closed;
	uint64_t acked_last_report;
	int64_t max_us;
	long rss_kib, rss_peak_kib;
	double cpu0_s, cpu1_s; /* csmsd's CPU time (user+sys) at the window's ends */
	int cpu0_taken, cpu1_taken;
	int stopping;
	char mvbuf[4096];
} lg;

static long read_rss_kib(int pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6)) {
			kib = strtol(line + 6, NULL, 10);
			break;
		}
	fclose(f);
	return kib;
}

/* utime + stime of PID in seconds, -1 if unreadable. */
static double read_cpu_s(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')'); /* the command name may hold spaces */
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void send_mv(struct cpsim_cp *cp);

static void mv_reply(struct cpsim_cp *cp, void *arg, const struct cpsim_reply *r)
{
	struct lg_cp *c = arg;
	int64_t now;

	if (r->kind != CPSIM_REPLY_RESULT) {
		/* ERROR, INVALID and TIMEOUT are counted by the core per charger;
		 * here the totals */
		lg.errors++;
		if (r->kind == CPSIM_REPLY_CLOSED)
			c->phase = LG_FAILED;
		else if (!lg.stopping)
			send_mv(cp);
		return;
	}
	now = cpsim_now_us();
	lg.acked++;
	if (lg.meas_start && now >= lg.meas_start && now < lg.meas_end) {
		lg.acked_window++;
		hist_add(r->rtt_us);
		if (r->rtt_us > lg.max_us)
			lg.max_us = r->rtt_us;
	}
	c->last_ack_us = now;
	if (!lg.stopping)
		send_mv(cp);
}

static void send_mv(struct cpsim_cp *cp)
{
	struct lg_cp *c = cpsim_cp_user(cp);
	int n;

	c->energy_wh += 3.0;
	n = cpsim_format_meter_values(lg.mvbuf, sizeof(lg.mvbuf), 1, lg.with_tx ? c->tx_id : -1,
				      cpsim_wall_us(), c->energy_wh, 16.0, CPSIM_MV_LOAD, "Sample.Periodic");
	if (n < 0 || cpsim_call(cp, "MeterValues", lg.mvbuf, (size_t)n, mv_reply, c)) {
		lg.errors++;
		c->phase = LG_FAILED;
	}
}

static void start_reply(struct cpsim_cp *cp, void *arg, const struct cpsim_reply *r)
{
	struct lg_cp *c = arg;

	if (r->kind != CPSIM_REPLY_RESULT) {
		lg.errors++;
		c->phase = LG_FAILED;
		return;
	}
	c->tx_id = cJSON_GetObjectItemCaseSensitive(r->payload, "transactionId")->valueint;
	c->phase = LG_RUNNING;
	send_mv(cp);
}

static void boot_reply(struct cpsim_cp *cp, void *arg, const struct cpsim_reply *r)
{
	struct lg_cp *c = arg;
	const cJSON *st;
	char p[256], ts[32];
	int n;

	if (r->kind != CPSIM_REPLY_RESULT) {
		lg.errors++;
		lg.failed++;
		c->phase = LG_FAILED;
		return;
	}
	st = cJSON_GetObjectItemCaseSensitive(r->payload, "status");
	if (strcmp(st->valuestring, "Accepted")) {
		fprintf(stderr,
			"loadgen: %s: BootNotification %s (run csmsd with --unknown_chargers accept)\n",
			cpsim_cp_id(cp), st->valuestring);
		lg.failed++;
		c->phase = LG_FAILED;
		return;
	}
	lg.booted++;
	if (lg.idle) {
		/* --idle: booted and held, nothing sent (memory per idle charger) */
		c->phase = LG_RUNNING;
		return;
	}
	if (!lg.with_tx) {
		c->phase = LG_RUNNING;
		send_mv(cp);
		return;
	}
	c->phase = LG_STARTING;
	cpsim_iso_time(cpsim_wall_us(), ts, sizeof(ts));
	n = snprintf(p, sizeof(p),
		     "{\"connectorId\":1,\"idTag\":\"LOAD\",\"meterStart\":0,"
		     "\"timestamp\":\"%s\"}",
		     ts);
	if (cpsim_call(cp, "StartTransaction", p, (size_t)n, start_reply, c)) {
		lg.errors++;
		c->phase = LG_FAILED;
	}
}

static void on_conn(struct cpsim_cp *cp, enum cpsim_conn_event ev, int code, const char *reason)
{
	struct lg_cp *c = cpsim_cp_user(cp);

	(void)code;
	if (ev == CPSIM_EV_CONNECTED) {
		lg.open++;
		c->phase = LG_BOOTING;
		if (cpsim_send_boot(cp, boot_reply, c)) {
			lg.errors++;
			c->phase = LG_FAILED;
		}
		return;
	}
	if (ev == CPSIM_EV_REFUSED) {
		if (lg.conn_failures++ < 5)
			fprintf(stderr, "loadgen: %s: connect failed: %s\n", cpsim_cp_id(cp),
				reason ? reason : "?");
		lg.failed++;
	} else {
		lg.open--;
		if (!lg.stopping)
			lg.closed++;
		if (c->phase == LG_BOOTING)
			lg.failed++;
	}
	c->phase = LG_FAILED;
}

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void on_tick(struct cpsim_ctx *ctx, int64_t now)
{
	/* connect at most ramp_per_s chargers per second */
	int64_t due = (now - lg.t0) * lg.ramp_per_s / 1000000 + 1;

	if (interrupted) {
		/* report what was measured so far */
		if (lg.meas_start && now < lg.meas_end)
			lg.meas_end = now > lg.meas_start ? now : lg.meas_start;
		lg.stopping = 1;
		cpsim_ctx_stop(ctx);
		return;
	}

	while (lg.started < lg.n && lg.started < due) {
		struct cpsim_cp *cp = cpsim_ctx_cp(ctx, lg.started++);
		struct lg_cp *c = cpsim_cp_user(cp);

		c->phase = LG_CONNECTING;
		cpsim_connect(cp);
	}
	if (!lg.meas_start && lg.started == lg.n &&
	    (lg.booted + lg.failed >= lg.n ||
	     now - lg.t0 > (int64_t)(lg.n / lg.ramp_per_s + lg.boot_wait_s) * 1000000)) {
		/* measure once everyone is in (half a second to settle) */
		lg.meas_start = now + 500000;
		lg.meas_end = lg.meas_start + (int64_t)lg.duration_s * 1000000;
		fprintf(stderr, "loadgen: %d connected, %d booted, %d failed; measuring %d s\n", lg.open,
			lg.booted, lg.failed, lg.duration_s);
	}
	if (now >= lg.next_report) {
		lg.next_report = now + 1000000;
		if (lg.pid > 0) {
			lg.rss_kib = read_rss_kib(lg.pid);
			if (lg.rss_kib > lg.rss_peak_kib)
				lg.rss_peak_kib = lg.rss_kib;
		}
		fprintf(stderr, "loadgen: t=%.0fs open=%d booted=%d acks/s=%llu errors=%llu rss=%ldKiB\n",
			(double)(now - lg.t0) / 1e6, lg.open, lg.booted,
			(unsigned long long)(lg.acked - lg.acked_last_report), (unsigned long long)lg.errors,
			lg.rss_kib);
		lg.acked_last_report = lg.acked;
	}
	if (lg.pid > 0 && lg.meas_start && now >= lg.meas_start && !lg.cpu0_taken) {
		lg.cpu0_s = read_cpu_s(lg.pid);
		lg.cpu0_taken = 1;
	}
	if (lg.meas_start && now >= lg.meas_end) {
		if (lg.pid > 0 && !lg.cpu1_taken) {
			lg.cpu1_s = read_cpu_s(lg.pid);
			lg.cpu1_taken = 1;
		}
		lg.stopping = 1;
		cpsim_ctx_stop(ctx);
	}
}

int main(int argc, char **argv)
{
	const char *url_s = NULL, *prefix = "LG";
	int source_addrs = 0, call_timeout_ms = 10000, verbose = 0;
	const struct cliopt opts[] = {
		{ "url", CLIOPT_STR, &url_s, 0, 0, "ws://HOST:PORT/PATH; ids are appended (required)" },
		{ "chargers", CLIOPT_INT, &lg.n, 1, 100000, "number of chargers (100)" },
		{ "duration", CLIOPT_INT, &lg.duration_s, 1, 86400,
		  "seconds measured after all booted (10)" },
		{ "pid", CLIOPT_INT, &lg.pid, 1, 1 << 30, "csmsd's pid, for its VmRSS" },
		{ "ramp-per-s", CLIOPT_INT, &lg.ramp_per_s, 1, 100000, "new connections per second (1000)" },
		{ "prefix", CLIOPT_STR, &prefix, 0, 0, "charger ids are PREFIX1..PREFIXN (LG)" },
		{ "transaction", CLIOPT_FLAG, &lg.with_tx, 0, 0,
		  "start a transaction, send MeterValues in it" },
		{ "idle", CLIOPT_FLAG, &lg.idle, 0, 0, "boot and hold the connections, send no MeterValues" },
		{ "source-addrs", CLIOPT_INT, &source_addrs, 0, 254,
		  "bind to 127.0.0.1..K in turn (0: any)" },
		{ "call-timeout-ms", CLIOPT_INT, &call_timeout_ms, 100, 600000, "per message (10000)" },
		{ "boot-wait", CLIOPT_INT, &lg.boot_wait_s, 1, 3600,
		  "seconds to wait for boots after the ramp (10)" },
		{ "verbose", CLIOPT_FLAG, &verbose, 0, 0, "lws warnings on stderr" },
		{ NULL, 0, NULL, 0, 0, NULL }
	};
	struct cpsim_ctx_opts co = { 0 };
	struct cpsim_url url;
	struct rlimit rl;
	double secs, rate, p50, p99, cpu_us = -1;
	int ret, held = 0;

	lg.n = 100;
	lg.duration_s = 10;
	lg.ramp_per_s = 1000;
	lg.boot_wait_s = 10;
	ret = cliopt_parse(opts, argc, argv, 1, "loadgen");
	if (ret)
		return ret > 0 ? 0 : 2;
	if (!url_s || cpsim_url_parse(url_s, &url)) {
		fprintf(stderr, "loadgen: --url ws://HOST:PORT/PATH is required\n");
		return 2;
	}
	if (strlen(prefix) + 6 > CPSIM_ID_MAX || !*prefix) {
		fprintf(stderr, "loadgen: --prefix must be 1 to 42 characters\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	lg.cps = calloc((size_t)lg.n, sizeof(*lg.cps));
	if (!lg.cps)
		return 1;
	co.max_chargers = lg.n;
	co.call_timeout_ms = call_timeout_ms;
	co.lws_log_level = verbose ? 3 : 0;
	co.tick_ms = 20;
	co.hooks.conn = on_conn;
	co.hooks.tick = on_tick;
	lg.ctx = cpsim_ctx_create(&co); /* raises RLIMIT_NOFILE as far as allowed */
	if (!lg.ctx) {
		fprintf(stderr, "loadgen: cannot create the lws context\n");
		return 1;
	}
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < (rlim_t)lg.n + 64)
		fprintf(stderr,
			"loadgen: RLIMIT_NOFILE is %llu (hard %llu): not enough for %d "
			"chargers; raise the hard limit (ulimit -Hn)\n",
			(unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max, lg.n);
	for (int i = 0; i < lg.n; i++) {
		char id[CPSIM_ID_MAX + 1], src[32];
		struct cpsim_cp *cp;

		snprintf(id, sizeof(id), "%s%d", prefix, i + 1);
		cp = cpsim_cp_new(lg.ctx, &url, id, NULL);
		if (!cp) {
			fprintf(stderr, "loadgen: out of memory at charger %d\n", i + 1);
			return 1;
		}
		cpsim_cp_set_user(cp, &lg.cps[i]);
		if (source_addrs) {
			snprintf(src, sizeof(src), "127.0.0.%d", 1 + i % source_addrs);
			cpsim_cp_set_source(cp, src);
		}
	}
	lg.t0 = cpsim_now_us();
	lg.next_report = lg.t0 + 1000000;
	if (cpsim_run(lg.ctx))
		fprintf(stderr, "loadgen: the event loop failed\n");
	for (int i = 0; i < lg.n; i++)
		held += cpsim_is_open(cpsim_ctx_cp(lg.ctx, i));
	if (lg.pid > 0) {
		lg.rss_kib = read_rss_kib(lg.pid);
		if (lg.rss_kib > lg.rss_peak_kib)
			lg.rss_peak_kib = lg.rss_kib;
	}
	secs = lg.meas_start && lg.meas_end > lg.meas_start ? (double)(lg.meas_end - lg.meas_start) / 1e6 : 0;
	rate = secs > 0 ? (double)lg.acked_window / secs : 0;
	p50 = hist_quantile(lg.acked_window, 0.50);
	p99 = hist_quantile(lg.acked_window, 0.99);
	printf("chargers        %d (booted %d, failed %d)\n", lg.n, lg.booted, lg.failed);
	printf("connections     %d held at the end\n", held);
	printf("acked messages  %llu in %.1f s = %.0f/s\n", (unsigned long long)lg.acked_window, secs, rate);
	printf("ack latency     p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", p50, p99,
	       (double)lg.max_us / 1000.0);
	printf("errors          %llu (connect failures %llu, closed %llu)\n", (unsigned long long)lg.errors,
	       (unsigned long long)lg.conn_failures, (unsigned long long)lg.closed);
	if (lg.cpu0_taken && lg.cpu1_taken && lg.cpu0_s >= 0 && lg.cpu1_s >= 0 && lg.acked_window)
		cpu_us = (lg.cpu1_s - lg.cpu0_s) * 1e6 / (double)lg.acked_window;
	if (lg.pid > 0)
		printf("csmsd VmRSS     %ld KiB (peak seen %ld KiB)\n", lg.rss_kib, lg.rss_peak_kib);
	if (cpu_us >= 0)
		printf("csmsd CPU       %.1f us per acked message in the window\n", cpu_us);
	printf("{\"chargers\":%d,\"booted\":%d,\"failed\":%d,\"connected\":%d,\"seconds\":%.2f,"
	       "\"acked\":%llu,\"ackPerS\":%.1f,\"p50Ms\":%.3f,\"p99Ms\":%.3f,\"maxMs\":%.3f,"
	       "\"errors\":%llu,\"connectFailures\":%llu,\"closed\":%llu,\"rssKiB\":%ld,"
	       "\"rssPeakKiB\":%ld,\"transaction\":%s,\"idle\":%s,\"pidCpuUsPerMsg\":%.2f}\n",
	       lg.n, lg.booted, lg.failed, held, secs, (unsigned long long)lg.acked_window, rate, p50, p99,
	       (double)lg.max_us / 1000.0, (unsigned long long)lg.errors,
	       (unsigned long long)lg.conn_failures, (unsigned long long)lg.closed,
	       lg.pid > 0 ? lg.rss_kib : -1L, lg.pid > 0 ? lg.rss_peak_kib : -1L,
	       lg.with_tx ? "true" : "false", lg.idle ? "true" : "false", cpu_us);
	fflush(stdout);
	cpsim_ctx_destroy(lg.ctx);
	free(lg.cps);
	return (lg.idle ? lg.booted : (int)!!lg.acked_window) ? 0 : 1;
}
