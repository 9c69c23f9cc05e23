/*
 * Station Modbus driver: polls an inverter / battery / meter over Modbus
 * TCP through the shared poller thread (modbus/modbus_poller: fixed rate,
 * backoff, mailbox, wake), sums its registers into a reading, and writes
 * the setpoints and switch outputs the owner commanded after each poll.
 */
#include "station_source.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modbus_poller.h"

_Static_assert(STATION_SRC_MAX_READS <= MODBUS_MAX_BLOCKS, "a station map fits the read plan");

struct station_source {
	station_src_opts o;
	modbus_poller poll; /* thread, mailbox (latest) and health */

	/* guarded by the poller's mutex: mailbox copy, pending command, write counters */
	station_src_reading latest;
	station_src_command cmd;
	bool has_cmd;

	/* driver thread only */
	station_src_reading scratch;
	modbus_blocks blocks;
	/* what each switch output holds: -1 unknown (after a connect) */
	int written[STATION_SRC_MAX_WRITES];
	int64_t last_refresh_ms;
};

const station_src_kind_name station_src_kinds[STATION_SRC_NKINDS] = {
	{ STATION_SRC_SIM, "sim" },
	{ STATION_SRC_MODBUS, "modbus" },
	{ STATION_SRC_API, "api" },
};

const char *station_src_kind_str(station_src_kind k)
{
	for (size_t i = 0; i < STATION_SRC_NKINDS; i++)
		if (station_src_kinds[i].kind == k)
			return station_src_kinds[i].name;
	return "?";
}

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

/* ------------------------------------------------------------- mailbox */

int station_source_latest(station_source *s, station_src_reading *r, station_src_health *h, uint64_t *seq)
{
	if (!s)
		return -EINVAL;
	modbus_health mh;
	bool has = modbus_poller_latest(&s->poll, r, &mh, seq);
	if (r && !has)
		station_source_reading_clear(r);
	if (h) {
		MODBUS_HEALTH_COPY(h, &mh);
		h->writes = mh.writes;
		h->write_failures = mh.write_failures;
	}
	return has ? 0 : -EAGAIN;
}

void station_source_command(station_source *s, const station_src_command *cmd)
{
	if (!s)
		return;
	modbus_poller_lock(&s->poll);
	if (cmd)
		s->cmd = *cmd;
	s->has_cmd = cmd != NULL;
	modbus_poller_unlock(&s->poll);
}

/* -------------------------------------------------------------- modbus */

/* Plans the block reads and checks the outputs; a malformed read register
 * is named by its position in (fc, addr) order. */
static int plan_blocks(const station_src_map *m, modbus_blocks *blocks, char *err, size_t errlen)
{
	modbus_span spans[STATION_SRC_MAX_READS];
	for (size_t i = 0; i < m->n_reads; i++) {
		const station_src_reg *r = &m->reads[i];
		spans[i] = (modbus_span){ r->fc, r->addr, r->type, r->what >= SSRC_Q_COUNT || r->scale == 0 };
	}
	size_t bad = 0;
	if (modbus_blocks_plan(blocks, spans, m->n_reads, &bad) < 0) {
		snprintf(err, errlen, "station map %s: read register %zu is malformed", m->name, bad);
		return -EINVAL;
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

/* Poller thread, after each connect: the device may have forgotten. */
static void on_connect(void *arg)
{
	station_source *s = arg;
	for (size_t i = 0; i < STATION_SRC_MAX_WRITES; i++)
		s->written[i] = -1;
}

/* Poller thread: reads every block and sums the map's registers per
 * quantity into the scratch reading. */
static int poll_device(void *arg, modbus_t *mb, char *why, size_t len, int64_t *ts)
{
	station_source *s = arg;
	station_src_reading *r = &s->scratch;
	const station_src_map *m = &s->o.map;
	if (modbus_blocks_read(&s->blocks, mb, why, len) < 0)
		return -1;
	double sum[SSRC_Q_COUNT];
	bool have[SSRC_Q_COUNT] = { false };
	for (size_t i = 0; i < m->n_reads; i++) {
		const station_src_reg *g = &m->reads[i];
		double v;
		if (station_source_decode(g, modbus_blocks_at(&s->blocks, i, g->addr), &v) < 0) {
			snprintf(why, len, "register %u: not a number", g->addr);
			return -1;
		}
		sum[g->what] = have[g->what] ? sum[g->what] + v : v;
		have[g->what] = true;
	}
	station_source_reading_clear(r);
	double *dst[SSRC_Q_GRID_STATE] = {
		&r->pv_w, &r->pv3_w, &r->soc_pct, &r->bat_w, &r->grid_w, &r->load_w
	};
	for (int q = 0; q < SSRC_Q_GRID_STATE; q++)
		if (have[q])
			*dst[q] = sum[q];
	if (have[SSRC_Q_GRID_STATE]) /* the state register against the map's value */
		r->on_grid = (fabs(sum[SSRC_Q_GRID_STATE] - m->grid_value) < 1e-6) == m->grid_value_on;
	r->ts_ms = *ts = modbus_poller_now(&s->poll);
	return 0;
}

static int write_value(modbus_t *mb, const station_src_reg *w, double value, char *why, size_t len)
{
	uint16_t words[2];
	int rc;
	if (w->fc == 5)
		rc = modbus_write_bit(mb, w->addr, value != 0);
	else {
		if (station_source_encode(w, value, words) < 0) {
			snprintf(why, len, "write %u: %g does not fit the register", w->addr, value);
			errno = MODBUS_ENOBASE + 3; /* like an illegal-value reply: keep the link */
			return -1;
		}
		int n = station_source_words(w->type);
		rc = w->fc == 6 ? modbus_write_register(mb, w->addr, words[0])
				: modbus_write_registers(mb, w->addr, n, words);
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
static int mb_write(void *arg, modbus_t *mb)
{
	station_source *s = arg;
	const station_src_map *m = &s->o.map;
	station_src_command c;
	modbus_poller_lock(&s->poll);
	bool has = s->has_cmd;
	c = s->cmd;
	modbus_poller_unlock(&s->poll);
	if (!has || !m->n_writes)
		return 0;
	int64_t now = modbus_poller_now(&s->poll);
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
			case SSRC_O_LOAD:
				v = c.load_on[w->index];
				sw = true;
				break;
			case SSRC_O_HEAT_PUMP:
				v = c.heat_pump_on;
				sw = true;
				break;
			case SSRC_O_GENERATOR:
				v = c.generator_on;
				sw = true;
				break;
			default: continue;
			}
			if (sw && !refresh && s->written[i] == (int)v)
				continue;
			if (write_value(mb, w, v, why, sizeof why) < 0) {
				bad++;
				drop = errno < MODBUS_ENOBASE; /* transport trouble, not a refusal */
				s->written[i] = -1;
			} else {
				ok++;
				s->written[i] = sw ? (int)v : -1;
			}
		}
	modbus_poller_lock(&s->poll);
	s->poll.health.writes += ok;
	s->poll.health.write_failures += bad;
	if (bad)
		snprintf(s->poll.health.last_error, sizeof s->poll.health.last_error, "%s", why);
	modbus_poller_unlock(&s->poll);
	return drop ? -1 : 0;
}

/* ---------------------------------------------------------- lifecycle */

static int check_opts(const station_src_opts *o, char *err, size_t errlen)
{
	const char *bad = NULL;
	if (o->poll_ms < 50 || o->poll_ms > 3600000)
		bad = "poll_ms must be 50..3600000";
	else if (o->timeout_ms < 10 || o->timeout_ms > 60000)
		bad = "timeout_ms must be 10..60000";
	else if (o->backoff_min_ms < 10 || o->backoff_max_ms < o->backoff_min_ms ||
		 o->backoff_max_ms > 3600000)
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

int station_source_check(const station_src_opts *o, char *err, size_t errlen)
{
	char dummy[8];
	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof dummy;
	}
	err[0] = 0;
	if (!o) {
		snprintf(err, errlen, "missing argument");
		return -EINVAL;
	}
	int rc = check_opts(o, err, errlen);
	if (rc < 0)
		return rc;
	modbus_blocks *blocks = malloc(sizeof *blocks); /* a few KB: not on a caller's stack */
	if (!blocks) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = plan_blocks(&o->map, blocks, err, errlen);
	free(blocks);
	return rc;
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
	s->last_refresh_ms = 0;
	station_source_reading_clear(&s->latest);
	if ((rc = plan_blocks(&s->o.map, &s->blocks, err, errlen)) < 0)
		goto out_free;
	const modbus_poller_cfg pc = {
		.link = MODBUS_LINK_TCP,
		.host = s->o.host,
		.port = o->port,
		.unit = o->unit,
		.timeout_ms = o->timeout_ms,
		.poll_ms = o->poll_ms,
		.backoff_min_ms = o->backoff_min_ms,
		.backoff_max_ms = o->backoff_max_ms,
		.poll = poll_device,
		.after_post = mb_write, /* < 0: the next poll reconnects */
		.on_connect = on_connect,
		.drv = s,
		.latest = &s->latest,
		.scratch = &s->scratch,
		.size = sizeof s->latest,
		.clock_ms = o->clock_ms,
		.wake = o->wake,
		.ctx = o->ctx,
	};
	if ((rc = modbus_poller_init(&s->poll, &pc)) < 0) /* last_success_ms starts at -1 */
		goto out_free;
	if ((rc = modbus_poller_start(&s->poll)) < 0) {
		snprintf(err, errlen, "cannot start the station source thread: %s", strerror(-rc));
		goto out_poller;
	}
	*out = s;
	return 0;

out_poller:
	modbus_poller_fini(&s->poll);
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
	modbus_poller_fini(&s->poll);
	free(s);
}
