/*
 * modbus_common tests: codec round trips and edges, the item parser and its
 * messages, the block read plan, and the poller thread against a libmodbus
 * server (readings posted at a fixed rate, outage, backoff, reconnect), and
 * a reconnect while the process holds more than FD_SETSIZE descriptors
 * (libmodbus selects: the link must stay on a low one).
 */
#include "modbus_poller.h"
#include "modbus_reg.h"

#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "modbus_fd.h"

#include "modbus_test_server.h"

#include "driver_test.h"

/* ------------------------------------------------------------- codec */

static void test_codec(void)
{
	static const modbus_reg_type types[] = { MODBUS_REG_INT16, MODBUS_REG_UINT16, MODBUS_REG_INT32,
						 MODBUS_REG_UINT32, MODBUS_REG_FLOAT32 };
	static const double values[] = { 0, 1, 123.4, -123.4, 3000, -3000 };
	for (size_t t = 0; t < 5; t++)
		for (int o = 0; o < 2; o++)
			for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
				uint16_t w[2] = { 0, 0 };
				double back = NAN, in = values[v];
				bool sign_ok = in >= 0 ||
					(types[t] != MODBUS_REG_UINT16 && types[t] != MODBUS_REG_UINT32);
				int rc = modbus_reg_encode(types[t], (modbus_word_order)o, 0.1, in, w,
							   MODBUS_FIT_EXACT);
				CHECK((rc == 0) == sign_ok, "type %zu value %g: rc %d", t, in, rc);
				if (rc == 0)
					CHECK(modbus_reg_decode(types[t], (modbus_word_order)o, 0.1, w,
								&back) == 0 &&
						      fabs(back - in) < 1e-3,
					      "type %zu order %d: %g -> %g", t, o, in, back);
			}
	CHECK(modbus_reg_words(MODBUS_REG_INT16) == 1 && modbus_reg_words(MODBUS_REG_FLOAT32) == 2 &&
		      modbus_reg_words((modbus_reg_type)42) == 0,
	      "word counts");

	/* word order: 0x12345678 */
	uint16_t w[2];
	modbus_reg_encode(MODBUS_REG_UINT32, MODBUS_WORD_BIG, 1, 0x12345678, w, MODBUS_FIT_EXACT);
	CHECK(w[0] == 0x1234 && w[1] == 0x5678, "abcd %04x %04x", w[0], w[1]);
	modbus_reg_encode(MODBUS_REG_UINT32, MODBUS_WORD_LITTLE, 1, 0x12345678, w, MODBUS_FIT_EXACT);
	CHECK(w[0] == 0x5678 && w[1] == 0x1234, "cdab %04x %04x", w[0], w[1]);
	/* a 16-bit value never looks at the second word */
	uint16_t one[1] = { 0xFFFE };
	double v;
	CHECK(modbus_reg_decode(MODBUS_REG_INT16, MODBUS_WORD_LITTLE, 1, one, &v) == 0 && v == -2, "int16 %g",
	      v);
	uint16_t nanw[2] = { 0x7FC0, 0 };
	CHECK(modbus_reg_decode(MODBUS_REG_FLOAT32, MODBUS_WORD_BIG, 1, nanw, &v) == -ERANGE, "NaN rejected");
	CHECK(modbus_reg_encode(MODBUS_REG_FLOAT32, MODBUS_WORD_BIG, 1, INFINITY, w, MODBUS_FIT_EXACT) ==
		      -ERANGE,
	      "inf rejected");

	/* the two fit rules differ only within half a unit of the 16-bit and
     * unsigned bounds */
	static const struct {
		modbus_reg_type t;
		double raw;
		int exact, rounded;
	} edges[] = {
		{ MODBUS_REG_INT16, 32767, 0, 0 },
		{ MODBUS_REG_INT16, 32767.3, -ERANGE, 0 },
		{ MODBUS_REG_INT16, 32767.5, -ERANGE, -ERANGE },
		{ MODBUS_REG_INT16, -32768.3, -ERANGE, 0 },
		{ MODBUS_REG_INT16, -32769, -ERANGE, -ERANGE },
		{ MODBUS_REG_UINT16, -0.3, -ERANGE, 0 },
		{ MODBUS_REG_UINT16, -0.5, -ERANGE, -ERANGE },
		{ MODBUS_REG_UINT16, 65535.4, -ERANGE, 0 },
		{ MODBUS_REG_UINT32, -0.2, -ERANGE, 0 },
		{ MODBUS_REG_UINT32, 4294967295.2, -ERANGE, -ERANGE },
		{ MODBUS_REG_INT32, 2147483647.2, -ERANGE, -ERANGE },
		{ MODBUS_REG_INT32, -2147483648.0, 0, 0 },
		{ MODBUS_REG_INT16, -32768.5, -ERANGE, -ERANGE }, /* lround gives -32769: would wrap */
	};
	for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
		int e = modbus_reg_encode(edges[i].t, MODBUS_WORD_BIG, 1, edges[i].raw, w, MODBUS_FIT_EXACT);
		int r = modbus_reg_encode(edges[i].t, MODBUS_WORD_BIG, 1, edges[i].raw, w,
					  MODBUS_FIT_ROUNDED);
		CHECK(e == edges[i].exact && r == edges[i].rounded, "edge %zu (%.1f): exact %d rounded %d", i,
		      edges[i].raw, e, r);
	}
	CHECK(modbus_reg_encode(MODBUS_REG_UINT16, MODBUS_WORD_BIG, 1, -0.3, w, MODBUS_FIT_ROUNDED) == 0 &&
		      w[0] == 0,
	      "rounded in: %u", w[0]);
}

/* ------------------------------------------------------------ parser */

static const modbus_reg_rules reads = { ",3,4,", "%s: function code '%s' must be 3 or 4", 255 };
static const modbus_reg_rules writes = { ",6,16,", "%s: function code '%s' must be 6 or 16", 10 };

static int parse(const char *val, const modbus_reg_rules *r, modbus_reg_item *it, char *err, size_t errlen)
{
	char buf[512];
	snprintf(buf, sizeof buf, "%s", val);
	return modbus_reg_parse_item("k", buf, r, it, err, errlen);
}

static void test_parser(void)
{
	modbus_reg_item it;
	char err[256];
	CHECK(parse("4:0x10:float32", &reads, &it, err, sizeof err) == 0 && it.fc == 4 && it.addr == 16 &&
		      it.type == MODBUS_REG_FLOAT32 && it.order == MODBUS_WORD_BIG && it.scale == 1,
	      "defaults: %s", err);
	CHECK(parse("3:100:INT32:cdab:-0.1", &reads, &it, err, sizeof err) == 0 &&
		      it.order == MODBUS_WORD_LITTLE && it.scale == -0.1 && it.type == MODBUS_REG_INT32,
	      "order and scale: %s", err);
	CHECK(parse("3:100:uint16::10", &reads, &it, err, sizeof err) == 0 && it.order == MODBUS_WORD_BIG &&
		      it.scale == 10,
	      "empty order: %s", err);
	static const struct {
		const char *val;
		const modbus_reg_rules *r;
		const char *msg;
	} bad[] = {
		{ "3:100", &reads, "k: expected FC:ADDR:TYPE[:ORDER[:SCALE]], got '3:100'" },
		{ "3:1:int16:abcd:1:x", &reads,
		  "k: expected FC:ADDR:TYPE[:ORDER[:SCALE]], got '3:1:int16:abcd:1:x'" },
		{ "a:b:c:d:e:f:g:h:i", &writes,
		  "k: expected FC:ADDR:TYPE[:ORDER[:SCALE]], got 'a:b:c:d:e:'" },
		{ "6:1:int16", &reads, "k: function code '6' must be 3 or 4" },
		{ "3:1:int16", &writes, "k: function code '3' must be 6 or 16" },
		{ "3:70000:int16", &reads, "k: address '70000' must be 0..65535 (decimal or 0x hex)" },
		{ "3:1:int8", &reads, "k: type 'int8' unknown (int16, uint16, int32, uint32, float32)" },
		{ "3:65535:int32", &reads, "k: value at '65535' runs past register 65535" },
		{ "6:1:float32", &writes, "k: function code 6 writes one register; use 16 for 'float32'" },
		{ "3:1:int32:dcba", &reads, "k: word order 'dcba' unknown (abcd/big or cdab/little)" },
		{ "3:1:int32:abcd:0", &reads, "k: scale '0' must be a nonzero number" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = 0;
		int rc = parse(bad[i].val, bad[i].r, &it, err, sizeof err);
		CHECK(rc == -EINVAL && !strcmp(err, bad[i].msg), "'%s': %d '%s'", bad[i].val, rc, err);
	}
	CHECK(parse("3:1", &reads, &it, NULL, 0) == -EINVAL, "no error buffer");

	char buf[] = " a=1, b=2;c=3:4\tbad";
	char *save = NULL, *k, *v;
	int n = 0, rc;
	const char *want[][2] = { { "a", "1" }, { "b", "2" }, { "c", "3:4" } };
	for (char *b = buf; (rc = modbus_reg_next_item(b, &save, &k, &v, err, sizeof err)) > 0; b = NULL, n++)
		CHECK(n < 3 && !strcmp(k, want[n][0]) && !strcmp(v, want[n][1]), "item %d: %s=%s", n, k, v);
	CHECK(n == 3 && rc == -EINVAL && !strcmp(err, "'bad': expected key=value"), "items %d rc %d '%s'", n,
	      rc, err);

	long x;
	CHECK(modbus_reg_parse_long("0x1F", 0, 100, &x) && x == 31 &&
		      !modbus_reg_parse_long("12a", 0, 100, &x) && !modbus_reg_parse_long("", 0, 100, &x) &&
		      !modbus_reg_parse_long("101", 0, 100, &x),
	      "parse_long");
	CHECK(modbus_reg_fail(err, sizeof err, "x=%d", 5) == -EINVAL && !strcmp(err, "x=5"), "fail");
}

/* ---------------------------------------------------------- read plan */

static void test_plan(void)
{
	modbus_blocks bl;
	size_t bad = 99;
	/* unsorted; 4:10..13 merge (adjacent), 4:20 alone (gap), 3:10 another fc */
	const modbus_span s[] = {
		{ 4, 12, MODBUS_REG_FLOAT32, false }, { 3, 10, MODBUS_REG_UINT16, false },
		{ 4, 10, MODBUS_REG_FLOAT32, false }, { 4, 20, MODBUS_REG_INT16, false },
		{ 4, 11, MODBUS_REG_UINT16, false },
	};
	CHECK(modbus_blocks_plan(&bl, s, 5, &bad) == 0 && bl.n == 3, "blocks %zu", bl.n);
	CHECK(bl.b[0].fc == 3 && bl.b[0].addr == 10 && bl.b[0].count == 1, "block 0");
	CHECK(bl.b[1].fc == 4 && bl.b[1].addr == 10 && bl.b[1].count == 4, "block 1: %u+%u", bl.b[1].addr,
	      bl.b[1].count);
	CHECK(bl.b[2].fc == 4 && bl.b[2].addr == 20 && bl.b[2].count == 1, "block 2");
	CHECK(bl.reg_block[0] == 1 && bl.reg_block[1] == 0 && bl.reg_block[4] == 1 && bl.reg_block[3] == 2,
	      "register to block");
	bl.words[1][2] = 0xABCD;
	CHECK(*modbus_blocks_at(&bl, 0, 12) == 0xABCD, "words of a register");
	/* adjacent registers merge, gaps split */
	modbus_span wide[2] = { { 3, 0, MODBUS_REG_UINT16, false }, { 3, 1, MODBUS_REG_UINT16, false } };
	modbus_span far[MODBUS_MAX_BLOCKS];
	for (size_t i = 0; i < MODBUS_MAX_BLOCKS; i++)
		far[i] = (modbus_span){ 3, (uint16_t)(i * 10), MODBUS_REG_FLOAT32, false };
	CHECK(modbus_blocks_plan(&bl, wide, 2, NULL) == 0 && bl.n == 1 && bl.b[0].count == 2,
	      "adjacent merge");
	CHECK(modbus_blocks_plan(&bl, far, MODBUS_MAX_BLOCKS, NULL) == 0 && bl.n == MODBUS_MAX_BLOCKS,
	      "gaps split");
	modbus_span chain[MODBUS_MAX_BLOCKS];
	for (size_t i = 0; i < MODBUS_MAX_BLOCKS; i++)
		chain[i] = (modbus_span){ 3, (uint16_t)(i * 6), MODBUS_REG_FLOAT32, false };
	/* 0, 6, .. 138: gaps of 4 words, never merged */
	CHECK(modbus_blocks_plan(&bl, chain, MODBUS_MAX_BLOCKS, NULL) == 0 && bl.n == MODBUS_MAX_BLOCKS,
	      "chain");
	for (size_t i = 0; i < bl.n; i++)
		CHECK(bl.b[i].count <= MODBUS_BLOCK_WORDS, "block %zu: %u words", i, bl.b[i].count);
	/* the bad register is reported by its sorted position */
	modbus_span b2[] = { { 4, 5, MODBUS_REG_INT16, false }, { 3, 9, MODBUS_REG_INT16, true } };
	CHECK(modbus_blocks_plan(&bl, b2, 2, &bad) == -EINVAL && bad == 0, "bad flag at %zu", bad);
	modbus_span b3[] = { { 3, 5, MODBUS_REG_INT16, false }, { 6, 9, MODBUS_REG_INT16, false } };
	CHECK(modbus_blocks_plan(&bl, b3, 2, &bad) == -EINVAL && bad == 1, "bad fc at %zu", bad);
	modbus_span b4[] = { { 3, 5, (modbus_reg_type)9, false } };
	CHECK(modbus_blocks_plan(&bl, b4, 1, &bad) == -EINVAL && bad == 0, "bad type");
}

/* -------------------------------------------------------------- poller */

typedef struct drv {
	modbus_blocks bl;
	double latest, scratch;
	atomic_int connects_seen, after_calls;
	atomic_int wakes;
	atomic_int drop; /* after_post drops the link this many times */
	modbus_poller p;
} drv;

static int drv_poll(void *arg, modbus_t *mb, char *why, size_t len, int64_t *ts)
{
	drv *d = arg;
	if (modbus_blocks_read(&d->bl, mb, why, len) < 0)
		return -1;
	if (modbus_reg_decode(MODBUS_REG_INT16, MODBUS_WORD_BIG, 0.5, modbus_blocks_at(&d->bl, 0, 7),
			      &d->scratch) < 0)
		return -1;
	*ts = modbus_poller_now(&d->p);
	return 0;
}

static int drv_after(void *arg, modbus_t *mb)
{
	drv *d = arg;
	atomic_fetch_add(&d->after_calls, 1);
	if (atomic_load(&d->drop) > 0) {
		atomic_fetch_sub(&d->drop, 1);
		return -1;
	}
	return modbus_write_register(mb, 100, 0x55) < 0 ? -1 : 0;
}

static void drv_connect(void *arg)
{
	atomic_fetch_add(&((drv *)arg)->connects_seen, 1);
}

static void drv_wake(void *ctx)
{
	atomic_fetch_add(&((drv *)ctx)->wakes, 1);
}

static int64_t fixed_clock(void *ctx)
{
	(void)ctx;
	return 424242;
}

static bool wait_health(drv *d, bool ok, double timeout_s, modbus_health *h)
{
	double end = mono_s() + timeout_s;
	do {
		modbus_poller_latest(&d->p, NULL, h, NULL);
		if (h->ok == ok && (ok || h->failures > 0))
			return true;
		sleep_ms(10);
	} while (mono_s() < end);
	return false;
}

static void test_poller(mbtest_server *sv)
{
	static drv d;
	memset(&d, 0, sizeof d);
	modbus_span s = { 4, 7, MODBUS_REG_INT16, false };
	CHECK(modbus_blocks_plan(&d.bl, &s, 1, NULL) == 0, "plan");
	pthread_mutex_lock(&sv->mu);
	sv->map->tab_input_registers[7] = (uint16_t)-84; /* x 0.5 = -42 */
	pthread_mutex_unlock(&sv->mu);
	modbus_poller_cfg c = {
		.link = MODBUS_LINK_TCP,
		.host = "127.0.0.1",
		.port = sv->port,
		.unit = 1,
		.timeout_ms = 300,
		.poll_ms = 50,
		.backoff_min_ms = 50,
		.backoff_max_ms = 200,
		.poll = drv_poll,
		.after_post = drv_after,
		.on_connect = drv_connect,
		.drv = &d,
		.latest = &d.latest,
		.scratch = &d.scratch,
		.size = sizeof d.latest,
		.clock_ms = fixed_clock,
		.wake = drv_wake,
		.ctx = &d,
	};
	CHECK(modbus_poller_init(&d.p, &c) == 0, "init");
	double out = 0;
	modbus_health h;
	uint64_t seq = 7;
	CHECK(!modbus_poller_latest(&d.p, &out, &h, &seq) && seq == 0 && h.last_success_ms == -1 && out == 0,
	      "nothing before the start");
	CHECK(modbus_poller_start(&d.p) == 0, "start");
	int req0 = atomic_load(&sv->requests);
	double end = mono_s() + 3;
	while ((!modbus_poller_latest(&d.p, &out, &h, &seq) || seq < 5) && mono_s() < end)
		sleep_ms(10);
	CHECK(seq >= 5 && out == -42 && h.ok && h.last_success_ms == 424242 && h.connects == 1,
	      "readings: %llu, %g", (unsigned long long)seq, out);
	CHECK(atomic_load(&d.connects_seen) == 1 && atomic_load(&d.after_calls) >= 5 &&
		      atomic_load(&d.wakes) >= 5,
	      "callbacks");
	pthread_mutex_lock(&sv->mu);
	CHECK(sv->map->tab_registers[100] == 0x55, "after_post wrote");
	pthread_mutex_unlock(&sv->mu);
	/* fixed rate: about 1 read + 1 write per 50 ms */
	uint64_t s0 = seq;
	sleep_ms(500);
	modbus_poller_latest(&d.p, NULL, NULL, &seq);
	CHECK(seq - s0 >= 6 && seq - s0 <= 14, "%llu readings in 500 ms at 50 ms",
	      (unsigned long long)(seq - s0));
	CHECK(atomic_load(&sv->requests) > req0, "server answered");

	/* outage: the health turns bad once (one wake), connect errors follow */
	int port = sv->port;
	mbtest_server_halt(sv);
	CHECK(wait_health(&d, false, 3, &h), "unhealthy after the outage");
	sleep_ms(400);
	modbus_poller_latest(&d.p, NULL, &h, NULL);
	CHECK(!strncmp(h.last_error, "connect: ", 9) || !strncmp(h.last_error, "poll: ", 6), "error '%s'",
	      h.last_error);
	/* backoff 50, 100, 200, 200: a handful of failures in 400 ms, not one per poll */
	CHECK(h.failures >= 2 && h.failures <= 8 && h.consecutive_failures == h.failures, "failures %llu",
	      (unsigned long long)h.failures);
	CHECK(mbtest_server_start(sv, port) == 0 && sv->port == port, "restart on %d", port);
	CHECK(wait_health(&d, true, 3, &h), "recovered");
	CHECK(h.connects == 2 && h.consecutive_failures == 0 && atomic_load(&d.connects_seen) == 2,
	      "reconnected %llu", (unsigned long long)h.connects);

	double t0 = mono_s();
	modbus_poller_fini(&d.p);
	CHECK(mono_s() - t0 < 1, "stop is prompt");

	/* no poll callback: no thread; the owner posts */
	static drv e;
	memset(&e, 0, sizeof e);
	modbus_poller_cfg c2 = { .latest = &e.latest, .size = sizeof e.latest };
	CHECK(modbus_poller_init(&e.p, &c2) == 0 && modbus_poller_start(&e.p) == 0 && !e.p.has_thread,
	      "threadless");
	double val = 3.5;
	modbus_poller_post(&e.p, &val, 99);
	CHECK(modbus_poller_latest(&e.p, &out, &h, &seq) && out == 3.5 && seq == 1 &&
		      h.last_success_ms == 99 && h.readings == 1 && h.ok,
	      "posted");
	modbus_poller_fini(&e.p);
}

/* ------------------------------------------------- high descriptors */

static int wait_seq(drv *d, uint64_t beyond, double timeout_s)
{
	uint64_t seq = 0;
	double end = mono_s() + timeout_s;
	while (modbus_poller_latest(&d->p, NULL, NULL, &seq), seq <= beyond && mono_s() < end)
		sleep_ms(10);
	return seq > beyond;
}

static void poller_cfg(drv *d, modbus_poller_cfg *c, const char *host, int port)
{
	*c = (modbus_poller_cfg){
		.link = MODBUS_LINK_TCP,
		.host = host,
		.port = port,
		.unit = 1,
		.timeout_ms = 300,
		.poll_ms = 20,
		.backoff_min_ms = 20,
		.backoff_max_ms = 50,
		.poll = drv_poll,
		.after_post = drv_after,
		.on_connect = drv_connect,
		.drv = d,
		.latest = &d->latest,
		.scratch = &d->scratch,
		.size = sizeof d->latest,
		.wake = drv_wake,
		.ctx = d,
	};
}

/* The server runs in a child forked while few descriptors are open (its
 * own loop and libmodbus select too); this process then fills every
 * descriptor below FD_SETSIZE and the poller reconnects: before the links
 * lived on reserved slots, libmodbus's select() on socket 1024+ aborted. */
static void test_high_fds(void)
{
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < FD_SETSIZE + 64) {
		fprintf(stderr, "high descriptors: NOFILE hard limit %llu, skipped\n",
			(unsigned long long)rl.rlim_max);
		return;
	}
	rl.rlim_cur = FD_SETSIZE + 64;
	CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0, "NOFILE %d", FD_SETSIZE + 64);
	CHECK(modbus_fd_reserve(2) >= 2, "slots reserved");

	int pfd[2];
	CHECK(pipe(pfd) == 0, "pipe");
	pid_t pid = fork();
	if (pid == 0) {
		static mbtest_server sv;
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives a test that aborted */
		if (getppid() == 1)
			_exit(1);
		close(pfd[0]);
		int port = -1;
		if (mbtest_server_open(&sv, 0, 256) == 0) {
			sv.map->tab_input_registers[7] = 84; /* x 0.5 = 42 */
			port = sv.port;
		}
		if (write(pfd[1], &port, sizeof port) != sizeof port)
			_exit(1);
		for (;;)
			pause();
	}
	close(pfd[1]);
	int port = -1;
	CHECK(pid > 0 && read(pfd[0], &port, sizeof port) == sizeof port && port > 0, "server child");
	close(pfd[0]);
	if (port <= 0)
		return;

	static drv d;
	memset(&d, 0, sizeof d);
	modbus_span sp = { 4, 7, MODBUS_REG_INT16, false };
	modbus_blocks_plan(&d.bl, &sp, 1, NULL);
	modbus_poller_cfg c;
	poller_cfg(&d, &c, "127.0.0.1", port);
	CHECK(modbus_poller_init(&d.p, &c) == 0 && modbus_poller_start(&d.p) == 0, "start");
	CHECK(wait_seq(&d, 0, 3), "first reading");

	/* every descriptor below FD_SETSIZE taken, and a few above */
	static int held[FD_SETSIZE + 64];
	int nheld = 0, top = -1;
	while (nheld < (int)(sizeof held / sizeof held[0]) && top < FD_SETSIZE + 8) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			break;
		held[nheld++] = top = fd;
	}
	CHECK(top >= FD_SETSIZE + 8, "descriptors up to %d held", top);

	uint64_t seq;
	modbus_poller_latest(&d.p, NULL, NULL, &seq);
	atomic_store(&d.drop, 3); /* three reconnects, each socket numbered 1024+ by the kernel */
	double end = mono_s() + 5;
	modbus_health h;
	do {
		sleep_ms(10);
		modbus_poller_latest(&d.p, NULL, &h, NULL);
	} while (h.connects < 4 && mono_s() < end);
	CHECK(h.connects >= 4, "reconnected three times: %llu connects", (unsigned long long)h.connects);
	CHECK(wait_seq(&d, seq + 5, 3) && d.latest == 42 && h.ok, "readings go on: %g", d.latest);
	CHECK(d.p.slot >= 0 && d.p.slot < FD_SETSIZE, "the link on descriptor %d", d.p.slot);
	modbus_poller_fini(&d.p);

	/* a poller made now (an API swapping the sensor) takes a reserved slot */
	static drv e;
	memset(&e, 0, sizeof e);
	modbus_blocks_plan(&e.bl, &sp, 1, NULL);
	poller_cfg(&e, &c, "localhost", port); /* a host name: resolved, each address tried */
	CHECK(modbus_poller_init(&e.p, &c) == 0 && modbus_poller_start(&e.p) == 0, "second poller");
	CHECK(wait_seq(&e, 0, 3) && e.latest == 42, "second poller reads on a slot: %g", e.latest);
	/* with the reserve empty and nothing low free: a clear error, no crash */
	static drv f;
	memset(&f, 0, sizeof f);
	poller_cfg(&f, &c, "127.0.0.1", port);
	int spare[MODBUS_FD_SLOTS + 1], nspare = 0, fd;
	while (nspare < MODBUS_FD_SLOTS + 1 && (fd = modbus_fd_take()) >= 0) {
		CHECK(fd < FD_SETSIZE, "a slot at %d", fd);
		spare[nspare++] = fd;
	}
	CHECK(nspare <= MODBUS_FD_SLOTS && fd == -EMFILE, "no slot left after %d", nspare);
	CHECK(modbus_poller_init(&f.p, &c) == 0 && modbus_poller_start(&f.p) == 0, "third poller");
	CHECK(wait_health(&f, false, 3, &h) && strstr(h.last_error, "no file descriptor below"),
	      "without a slot: '%s'", h.last_error);
	modbus_poller_fini(&f.p);
	for (int i = 0; i < nspare; i++)
		modbus_fd_give(spare[i]);
	modbus_poller_fini(&e.p);

	for (int i = 0; i < nheld; i++)
		close(held[i]);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int main(void)
{
	test_codec();
	test_parser();
	test_plan();
	mbtest_server sv;
	if (mbtest_server_open(&sv, 0, 256) < 0) {
		fprintf(stderr, "cannot start the test Modbus server: %s\n", strerror(errno));
		return 1;
	}
	test_poller(&sv);
	mbtest_server_close(&sv, 1);
	test_high_fds();
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("modbus: all checks passed\n");
	return 0;
}
