/*
 * Station Modbus driver thread: polls an inverter / battery / meter over
 * Modbus TCP at a fixed interval, writes the setpoints and switch outputs
 * the owner commanded, reconnects with exponential backoff, and posts each
 * reading into a mutex-protected mailbox before waking the owner.
 */
#include "station_source.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <modbus/modbus.h>

#define MAX_BLOCK_WORDS 125 /* Modbus limit for one read */

typedef struct block {
	uint8_t fc;
	uint16_t addr, count;
} block;

struct station_source {
	station_src_opts o;
	pthread_t thread;
	bool has_thread;

	/* guarded by mu: stop request, mailbox, pending command */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	station_src_reading latest;
	bool has_reading;
	uint64_t seq;
	station_src_health health;
	station_src_command cmd;
	bool has_cmd;

	/* driver thread only */
	modbus_t *mb;
	bool connected;
	block blocks[STATION_SRC_MAX_READS];
	int reg_block[STATION_SRC_MAX_READS];
	size_t nblocks;
	uint16_t words[STATION_SRC_MAX_READS][MAX_BLOCK_WORDS];
	/* what each switch output holds: -1 unknown (after a connect) */
	int written[STATION_SRC_MAX_WRITES];
	int64_t last_refresh_ms;
};

void station_source_opts_defaults(station_src_opts *o)
{
	memset(o, 0, sizeof *o);
	o->map = *station_source_preset("victron-gx");
	snprintf(o->host, sizeof o->host, "127.0.0.1");
	o->port = 502;
	o->unit = 1;
	o->poll_ms = 1000;
	o->timeout_ms = 1000;
	o->backoff_min_ms = 500;
	o->backoff_max_ms = 30000;
	o->refresh_ms = 60000;
}

static int64_t realtime_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_ms(const station_source *s)
{
	return s->o.clock_ms ? s->o.clock_ms(s->o.ctx) : realtime_ms();
}

static void wake(const station_source *s)
{
	if (s->o.wake)
		s->o.wake(s->o.ctx);
}

/* ------------------------------------------------------------- mailbox */

static void post_reading(station_source *s, const station_src_reading *r)
{
	pthread_mutex_lock(&s->mu);
	s->latest = *r;
	s->has_reading = true;
	s->seq++;
	s->health.ok = true;
	s->health.consecutive_failures = 0;
	s->health.last_success_ms = r->ts_ms;
	s->health.readings++;
	pthread_mutex_unlock(&s->mu);
}

/* Returns true when the health turned bad with this failure. */
static bool post_failure(station_source *s, const char *what, const char *why)
{
	pthread_mutex_lock(&s->mu);
	bool was_ok = s->health.ok || s->health.failures == 0;
	s->health.ok = false;
	s->health.consecutive_failures++;
	s->health.failures++;
	snprintf(s->health.last_error, sizeof s->health.last_error, "%s: %s", what, why);
	pthread_mutex_unlock(&s->mu);
	return was_ok;
}

int station_source_latest(station_source *s, station_src_reading *r, station_src_health *h, uint64_t *seq)
{
	if (!s)
		return -EINVAL;
	pthread_mutex_lock(&s->mu);
	bool has = s->has_reading;
	if (r) {
		if (has)
			*r = s->latest;
		else
			station_source_reading_clear(r);
	}
	if (h)
		*h = s->health;
	if (seq)
		*seq = s->seq;
	pthread_mutex_unlock(&s->mu);
	return has ? 0 : -EAGAIN;
}

void station_source_command(station_source *s, const station_src_command *cmd)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	if (cmd)
		s->cmd = *cmd;
	s->has_cmd = cmd != NULL;
	pthread_mutex_unlock(&s->mu);
}

/* -------------------------------------------------------------- modbus */

/* Groups the map's read registers into as few requests as possible; only
 * adjacent or overlapping registers are merged, since some devices refuse
 * reads that touch unmapped addresses. */
static int plan_blocks(station_source *s, char *err, size_t errlen)
{
	const station_src_map *m = &s->o.map;
	int order[STATION_SRC_MAX_READS];
	for (size_t i = 0; i < m->n_reads; i++)
		order[i] = (int)i;
	for (size_t i = 1; i < m->n_reads; i++) { /* insertion sort by (fc, addr) */
		int v = order[i];
		size_t j = i;
		while (j > 0 && (m->reads[order[j - 1]].fc > m->reads[v].fc ||
				 (m->reads[order[j - 1]].fc == m->reads[v].fc &&
				  m->reads[order[j - 1]].addr > m->reads[v].addr))) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = v;
	}
	s->nblocks = 0;
	for (size_t i = 0; i < m->n_reads; i++) {
		const station_src_reg *r = &m->reads[order[i]];
		int words = station_source_words(r->type);
		if (!words || (r->fc != 3 && r->fc != 4) || r->what >= SSRC_Q_COUNT || r->scale == 0) {
			snprintf(err, errlen, "station map %s: read register %zu is malformed", m->name, i);
			return -EINVAL;
		}
		uint32_t end = (uint32_t)r->addr + (uint32_t)words;
		block *b = s->nblocks ? &s->blocks[s->nblocks - 1] : NULL;
		if (b && b->fc == r->fc && r->addr <= (uint32_t)b->addr + b->count && end - b->addr <= MAX_BLOCK_WORDS) {
			if (end > (uint32_t)b->addr + b->count)
				b->count = (uint16_t)(end - b->addr);
		} else {
			b = &s->blocks[s->nblocks++];
			*b = (block){ r->fc, r->addr, (uint16_t)words };
		}
		s->reg_block[order[i]] = (int)s->nblocks - 1;
	}
	for (size_t i = 0; i < m->n_writes; i++) {
		const station_src_reg *w = &m->writes[i];
		if (w->what >= SSRC_O_COUNT || (w->fc != 5 && w->fc != 6 && w->fc != 16) ||
		    !station_source_words(w->type) || w->scale == 0 ||
		    (w->fc == 6 && station_source_words(w->type) != 1) ||
		    (w->what == SSRC_O_LOAD && w->index >= STATION_MAX_SMART_LOADS)) {
			snprintf(err, errlen, "station map %s: output %zu is malformed", m->name, i);
			return -EINVAL;
		}
	}
	return 0;
}

static void mb_close(station_source *s)
{
	if (s->mb) {
		modbus_close(s->mb);
		modbus_free(s->mb);
		s->mb = NULL;
	}
	s->connected = false;
}

static int mb_connect(station_source *s, char *why, size_t len)
{
	const station_src_opts *o = &s->o;
	mb_close(s);
	s->mb = modbus_new_tcp(o->host, o->port);
	if (!s->mb) {
		snprintf(why, len, "%s", modbus_strerror(errno));
		return -1;
	}
	uint32_t sec = (uint32_t)(o->timeout_ms / 1000), usec = (uint32_t)(o->timeout_ms % 1000) * 1000;
	modbus_set_response_timeout(s->mb, sec, usec);
	modbus_set_slave(s->mb, o->unit);
	if (modbus_connect(s->mb) < 0) {
		snprintf(why, len, "%s", modbus_strerror(errno));
		mb_close(s);
		return -1;
	}
	s->connected = true;
	for (size_t i = 0; i < STATION_SRC_MAX_WRITES; i++)
		s->written[i] = -1;
	pthread_mutex_lock(&s->mu);
	s->health.connects++;
	pthread_mutex_unlock(&s->mu);
	return 0;
}

/* Reads every block and sums the map's registers per quantity into r. */
static int mb_poll(station_source *s, station_src_reading *r, char *why, size_t len)
{
	const station_src_map *m = &s->o.map;
	for (size_t b = 0; b < s->nblocks; b++) {
		const block *bl = &s->blocks[b];
		int rc = bl->fc == 3 ? modbus_read_registers(s->mb, bl->addr, bl->count, s->words[b])
				     : modbus_read_input_registers(s->mb, bl->addr, bl->count, s->words[b]);
		if (rc != bl->count) {
			snprintf(why, len, "read fc%d at %u: %s", bl->fc, bl->addr,
				 rc < 0 ? modbus_strerror(errno) : "short reply");
			return -1;
		}
	}
	double sum[SSRC_Q_COUNT];
	bool have[SSRC_Q_COUNT] = { false };
	for (size_t i = 0; i < m->n_reads; i++) {
		const station_src_reg *g = &m->reads[i];
		const block *bl = &s->blocks[s->reg_block[i]];
		double v;
		if (station_source_decode(g, &s->words[s->reg_block[i]][g->addr - bl->addr], &v) < 0) {
			snprintf(why, len, "register %u: not a number", g->addr);
			return -1;
		}
		sum[g->what] = have[g->what] ? sum[g->what] + v : v;
		have[g->what] = true;
	}
	station_source_reading_clear(r);
	double *dst[SSRC_Q_COUNT] = { &r->pv_w, &r->pv3_w, &r->soc_pct, &r->bat_w, &r->grid_w, &r->load_w };
	for (int q = 0; q < SSRC_Q_COUNT; q++)
		if (have[q])
			*dst[q] = sum[q];
	return 0;
}

static int write_value(station_source *s, const station_src_reg *w, double value, char *why, size_t len)
{
	uint16_t words[2];
	int rc;
	if (w->fc == 5)
		rc = modbus_write_bit(s->mb, w->addr, value != 0);
	else {
		if (station_source_encode(w, value, words) < 0) {
			snprintf(why, len, "write %u: %g does not fit the register", w->addr, value);
			errno = MODBUS_ENOBASE + 3; /* like an illegal-value reply: keep the link */
			return -1;
		}
		int n = station_source_words(w->type);
		rc = w->fc == 6 ? modbus_write_register(s->mb, w->addr, words[0])
				: modbus_write_registers(s->mb, w->addr, n, words);
	}
	if (rc < 0) {
		int e = errno;
		snprintf(why, len, "write fc%d at %u: %s", w->fc, w->addr, modbus_strerror(e));
		errno = e;
		return -1;
	}
	return 0;
}

/* Writes what the owner commanded: constants and setpoints on every poll,
 * switches on change, after a connect and every refresh_ms. Returns -1
 * when the link must be dropped (a transport error, not a device refusal). */
static int mb_write(station_source *s)
{
	const station_src_map *m = &s->o.map;
	station_src_command c;
	pthread_mutex_lock(&s->mu);
	bool has = s->has_cmd;
	c = s->cmd;
	pthread_mutex_unlock(&s->mu);
	if (!has || !m->n_writes)
		return 0;
	int64_t now = now_ms(s);
	bool refresh = now - s->last_refresh_ms >= s->o.refresh_ms || now < s->last_refresh_ms;
	if (refresh)
		s->last_refresh_ms = now;
	uint64_t ok = 0, bad = 0;
	char why[100] = "";
	int drop = 0;
	/* constants first: "remote control enable" must precede the setpoint */
	for (int pass = 0; pass < 2 && !drop; pass++)
		for (size_t i = 0; i < m->n_writes && !drop; i++) {
			const station_src_reg *w = &m->writes[i];
			if ((w->what == SSRC_O_ENABLE) != (pass == 0))
				continue;
			double v;
			bool sw = false;
			switch ((station_src_output)w->what) {
			case SSRC_O_ENABLE: v = w->value; break;
			case SSRC_O_BAT_SETPOINT: v = c.bat_w; break;
			case SSRC_O_GRID_SETPOINT:
				if (!c.grid_valid)
					continue;
				v = c.grid_w;
				break;
			case SSRC_O_PV_LIMIT: v = c.pv_limit_w; break;
			case SSRC_O_LOAD: v = c.load_on[w->index]; sw = true; break;
			case SSRC_O_HEAT_PUMP: v = c.heat_pump_on; sw = true; break;
			case SSRC_O_GENERATOR: v = c.generator_on; sw = true; break;
			default: continue;
			}
			if (sw && !refresh && s->written[i] == (int)v)
				continue;
			if (write_value(s, w, v, why, sizeof why) < 0) {
				bad++;
				drop = errno < MODBUS_ENOBASE; /* transport trouble, not a refusal */
				s->written[i] = -1;
			} else {
				ok++;
				s->written[i] = sw ? (int)v : -1;
			}
		}
	pthread_mutex_lock(&s->mu);
	s->health.writes += ok;
	s->health.write_failures += bad;
	if (bad)
		snprintf(s->health.last_error, sizeof s->health.last_error, "%s", why);
	pthread_mutex_unlock(&s->mu);
	return drop ? -1 : 0;
}

/* ------------------------------------------------------------- thread */

static void deadline_after(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Sleeps until the deadline or a stop request; true when asked to stop. */
static bool sleep_until(station_source *s, const struct timespec *deadline)
{
	pthread_mutex_lock(&s->mu);
	while (!s->stop && pthread_cond_timedwait(&s->cv, &s->mu, deadline) != ETIMEDOUT)
		;
	bool stop = s->stop;
	pthread_mutex_unlock(&s->mu);
	return stop;
}

static void *run(void *arg)
{
	station_source *s = arg;
	int backoff = s->o.backoff_min_ms;
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		char why[100];
		station_src_reading r;
		bool ok;
		if (!s->connected && mb_connect(s, why, sizeof why) < 0) {
			if (post_failure(s, "connect", why))
				wake(s);
			ok = false;
		} else if (mb_poll(s, &r, why, sizeof why) == 0) {
			r.ts_ms = now_ms(s);
			post_reading(s, &r);
			wake(s);
			if (mb_write(s) < 0)
				mb_close(s); /* the next poll reconnects */
			ok = true;
		} else {
			/* drop the link: a half-read reply would desynchronise it */
			mb_close(s);
			if (post_failure(s, "poll", why))
				wake(s);
			ok = false;
		}
		if (ok) {
			backoff = s->o.backoff_min_ms;
			/* fixed rate: the next poll is one interval after the last start */
			next.tv_nsec += (long)(s->o.poll_ms % 1000) * 1000000L;
			next.tv_sec += s->o.poll_ms / 1000;
			if (next.tv_nsec >= 1000000000L) {
				next.tv_sec++;
				next.tv_nsec -= 1000000000L;
			}
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec > next.tv_sec || (now.tv_sec == next.tv_sec && now.tv_nsec > next.tv_nsec))
				next = now; /* late: do not try to catch up */
			if (sleep_until(s, &next))
				break;
			continue;
		}
		deadline_after(&next, backoff);
		backoff = backoff * 2 > s->o.backoff_max_ms ? s->o.backoff_max_ms : backoff * 2;
		if (sleep_until(s, &next))
			break;
		clock_gettime(CLOCK_MONOTONIC, &next);
	}
	mb_close(s);
	return NULL;
}

/* ---------------------------------------------------------- lifecycle */

static int check_opts(const station_src_opts *o, char *err, size_t errlen)
{
	const char *bad = NULL;
	if (o->poll_ms < 50 || o->poll_ms > 3600000)
		bad = "poll_ms must be 50..3600000";
	else if (o->timeout_ms < 10 || o->timeout_ms > 60000)
		bad = "timeout_ms must be 10..60000";
	else if (o->backoff_min_ms < 10 || o->backoff_max_ms < o->backoff_min_ms || o->backoff_max_ms > 3600000)
		bad = "backoff must be 10 <= backoff_min_ms <= backoff_max_ms <= 3600000";
	else if (o->refresh_ms < 100)
		bad = "refresh_ms must be at least 100";
	else if (o->unit < 0 || o->unit > 247)
		bad = "modbus unit must be 0..247";
	else if (!o->host[0] || o->port < 1 || o->port > 65535)
		bad = "modbus host must be set and port 1..65535";
	else if (o->map.n_reads == 0 || o->map.n_reads > STATION_SRC_MAX_READS ||
		 o->map.n_writes > STATION_SRC_MAX_WRITES)
		bad = "register map is empty or too large";
	if (bad) {
		if (err && errlen)
			snprintf(err, errlen, "%s", bad);
		return -EINVAL;
	}
	return 0;
}

int station_source_start(station_source **out, const station_src_opts *o, char *err, size_t errlen)
{
	char dummy[8];
	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof dummy;
	}
	err[0] = 0;
	if (!out || !o) {
		snprintf(err, errlen, "missing argument");
		return -EINVAL;
	}
	*out = NULL;
	int rc = check_opts(o, err, errlen);
	if (rc < 0)
		return rc;
	station_source *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->o = *o;
	s->health.last_success_ms = -1;
	s->last_refresh_ms = 0;
	station_source_reading_clear(&s->latest);
	if ((rc = plan_blocks(s, err, errlen)) < 0)
		goto out_free;
	pthread_condattr_t ca;
	if ((rc = -pthread_condattr_init(&ca)) < 0)
		goto out_free;
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	rc = -pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (rc < 0)
		goto out_free;
	if ((rc = -pthread_mutex_init(&s->mu, NULL)) < 0)
		goto out_cond;
	if ((rc = -pthread_create(&s->thread, NULL, run, s)) < 0) {
		snprintf(err, errlen, "cannot start the station source thread: %s", strerror(-rc));
		goto out_mutex;
	}
	s->has_thread = true;
	*out = s;
	return 0;

out_mutex:
	pthread_mutex_destroy(&s->mu);
out_cond:
	pthread_cond_destroy(&s->cv);
out_free:
	if (!err[0])
		snprintf(err, errlen, "cannot start the station source: %s", strerror(-rc));
	free(s);
	return rc;
}

void station_source_stop(station_source *s)
{
	if (!s)
		return;
	if (s->has_thread) {
		pthread_mutex_lock(&s->mu);
		s->stop = true;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->thread, NULL);
	}
	mb_close(s);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}
