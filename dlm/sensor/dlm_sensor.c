/*
 * Sensor driver: polls a Modbus meter (TCP or RTU, libmodbus) through the
 * shared poller thread (modbus/modbus_poller: fixed rate, backoff, mailbox,
 * wake) and turns the meter's registers into a dlm_reading. The api and
 * sim kinds have no thread; the owner pushes into the mailbox.
 */
#include "dlm_sensor.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modbus_poller.h"

_Static_assert(DLM_METER_MAX_REGS <= MODBUS_MAX_BLOCKS, "a meter map fits the read plan");

struct dlm_sensor {
	dlm_sensor_opts o;
	modbus_poller poll;   /* thread, mailbox (latest) and health */
	dlm_reading latest;   /* the mailbox copy: guarded by the poller's mutex */
	dlm_reading scratch;  /* driver thread only */
	modbus_blocks blocks; /* driver thread only (planned before it starts) */
};

const dlm_sensor_kind_name dlm_sensor_kinds[DLM_SENSOR_NKINDS] = {
	{ DLM_SENSOR_SIM, "sim" },
	{ DLM_SENSOR_API, "api" },
	{ DLM_SENSOR_MODBUS_TCP, "modbus-tcp" },
	{ DLM_SENSOR_MODBUS_RTU, "modbus-rtu" },
};

const char *dlm_sensor_kind_str(dlm_sensor_kind k)
{
	for (size_t i = 0; i < DLM_SENSOR_NKINDS; i++)
		if (dlm_sensor_kinds[i].kind == k)
			return dlm_sensor_kinds[i].name;
	return "?";
}

int dlm_sensor_kind_parse(const char *s, dlm_sensor_kind *k)
{
	for (size_t i = 0; s && i < DLM_SENSOR_NKINDS; i++)
		if (!strcmp(dlm_sensor_kinds[i].name, s)) {
			*k = dlm_sensor_kinds[i].kind;
			return 0;
		}
	return -EINVAL;
}

dlm_sensor_kind dlm_sensor_kind_of(const dlm_sensor *s)
{
	return s->o.kind;
}

void dlm_sensor_opts_defaults(dlm_sensor_opts *o)
{
	memset(o, 0, sizeof *o);
	o->kind = DLM_SENSOR_SIM;
	o->map = *dlm_meter_preset("sdm630");
	snprintf(o->host, sizeof o->host, "127.0.0.1");
	o->port = 502;
	snprintf(o->device, sizeof o->device, "/dev/ttyUSB0");
	o->baud = 9600;
	o->parity = 'N';
	o->data_bits = 8;
	o->stop_bits = 1;
	o->unit = 1;
	o->poll_ms = 1000;
	o->timeout_ms = 1000;
	o->backoff_min_ms = 500;
	o->backoff_max_ms = 30000;
}

/* ------------------------------------------------------------- mailbox */

int dlm_sensor_latest(dlm_sensor *s, dlm_reading *r, dlm_sensor_health *h, uint64_t *seq)
{
	if (!s)
		return -EINVAL;
	modbus_health mh;
	bool has = modbus_poller_latest(&s->poll, r, &mh, seq);
	if (r && !has)
		dlm_reading_clear(r);
	if (h)
		MODBUS_HEALTH_COPY(h, &mh);
	return has ? 0 : -EAGAIN;
}

static bool nan_or_finite(double v)
{
	return isnan(v) || isfinite(v);
}

int dlm_sensor_push(dlm_sensor *s, const dlm_reading *r, char *err, size_t errlen)
{
	static const char *const ph[DLM_PHASES] = { "L1", "L2", "L3" };
	const char *bad = NULL, *which = "";
	if (!s || !r)
		bad = "missing reading";
	else if (s->o.kind != DLM_SENSOR_API && s->o.kind != DLM_SENSOR_SIM) {
		if (err && errlen)
			snprintf(err, errlen, "sensor is %s, not api or sim", dlm_sensor_kind_str(s->o.kind));
		return -EPERM;
	} else if (r->ts_ms == DLM_NO_TIME)
		bad = "timestamp missing";
	for (int p = 0; !bad && p < DLM_PHASES; p++) {
		which = ph[p];
		if (!isfinite(r->current_a[p]) || fabs(r->current_a[p]) > 1000)
			bad = "current must be a number within +-1000 A";
		else if (!nan_or_finite(r->voltage_v[p]) || r->voltage_v[p] < 0)
			bad = "voltage must be a positive number";
		else if (!nan_or_finite(r->power_w[p]))
			bad = "power must be a number";
	}
	if (!bad && !nan_or_finite(r->power_total_w)) {
		which = "total";
		bad = "power must be a number";
	}
	if (bad) {
		if (err && errlen)
			snprintf(err, errlen, "%s%s%s", which, *which ? ": " : "", bad);
		return -EINVAL;
	}
	modbus_poller_post(&s->poll, r, r->ts_ms);
	return 0;
}

/* -------------------------------------------------------------- modbus */

/* Plans the block reads; a register with a bad type or function code is
 * named by its position in (fc, addr) order. */
static int plan_blocks(const dlm_meter_map *m, modbus_blocks *blocks, char *err, size_t errlen)
{
	modbus_span spans[DLM_METER_MAX_REGS];
	for (size_t i = 0; i < m->n; i++)
		spans[i] = (modbus_span){ m->regs[i].fc, m->regs[i].addr, m->regs[i].type, false };
	size_t bad = 0;
	if (modbus_blocks_plan(blocks, spans, m->n, &bad) < 0) {
		snprintf(err, errlen, "meter map %s: register %zu has a bad type or function code", m->name,
			 bad);
		return -EINVAL;
	}
	return 0;
}

/* Poller thread: reads every block and decodes the map into the scratch
 * reading. */
static int poll_meter(void *arg, modbus_t *mb, char *why, size_t len, int64_t *ts)
{
	dlm_sensor *s = arg;
	dlm_reading *r = &s->scratch;
	const dlm_meter_map *m = &s->o.map;
	if (modbus_blocks_read(&s->blocks, mb, why, len) < 0)
		return -1;
	dlm_reading_clear(r);
	for (size_t i = 0; i < m->n; i++) {
		const dlm_meter_reg *g = &m->regs[i];
		double v;
		if (dlm_meter_decode(g, modbus_blocks_at(&s->blocks, i, g->addr), &v) < 0) {
			snprintf(why, len, "register %u: not a number", g->addr);
			return -1;
		}
		switch (g->q) {
		case DLM_Q_CURRENT: r->current_a[g->phase] = v; break;
		case DLM_Q_VOLTAGE: r->voltage_v[g->phase] = v; break;
		case DLM_Q_POWER: r->power_w[g->phase] = v; break;
		case DLM_Q_POWER_TOTAL: r->power_total_w = v; break;
		}
	}
	for (int p = 0; p < DLM_PHASES; p++) {
		if (!isfinite(r->current_a[p])) {
			snprintf(why, len, "meter map has no L%d current", p + 1);
			return -1;
		}
		/* import positive: an unsigned meter's direction is its power's */
		if (m->sign_from_power && isfinite(r->power_w[p]) && r->power_w[p] != 0)
			r->current_a[p] = copysign(fabs(r->current_a[p]), r->power_w[p]);
	}
	r->ts_ms = *ts = modbus_poller_now(&s->poll);
	return 0;
}

/* ---------------------------------------------------------- lifecycle */

static int check_opts(const dlm_sensor_opts *o, char *err, size_t errlen)
{
	const char *bad = NULL;
	if (o->poll_ms < 50 || o->poll_ms > 3600000)
		bad = "poll_ms must be 50..3600000";
	else if (o->timeout_ms < 10 || o->timeout_ms > 60000)
		bad = "timeout_ms must be 10..60000";
	else if (o->backoff_min_ms < 10 || o->backoff_max_ms < o->backoff_min_ms ||
		 o->backoff_max_ms > 3600000)
		bad = "backoff must be 10 <= backoff_min_ms <= backoff_max_ms <= 3600000";
	else if (o->kind == DLM_SENSOR_MODBUS_TCP || o->kind == DLM_SENSOR_MODBUS_RTU) {
		if (o->unit < 0 || o->unit > 247)
			bad = "modbus_unit must be 0..247";
		else if (o->map.n == 0 || o->map.n > DLM_METER_MAX_REGS)
			bad = "meter map is empty";
		else if (o->kind == DLM_SENSOR_MODBUS_TCP && (!o->host[0] || o->port < 1 || o->port > 65535))
			bad = "modbus_host must be set and modbus_port 1..65535";
		else if (o->kind == DLM_SENSOR_MODBUS_RTU &&
			 (!o->device[0] || o->baud < 300 || o->baud > 4000000))
			bad = "modbus_device must be set and modbus_baud 300..4000000";
		else if (o->kind == DLM_SENSOR_MODBUS_RTU && o->parity != 'N' && o->parity != 'E' &&
			 o->parity != 'O')
			bad = "modbus_parity must be N, E or O";
		else if (o->kind == DLM_SENSOR_MODBUS_RTU &&
			 (o->data_bits < 5 || o->data_bits > 8 || o->stop_bits < 1 || o->stop_bits > 2))
			bad = "data bits must be 5..8 and stop bits 1..2";
	} else if (o->kind != DLM_SENSOR_SIM && o->kind != DLM_SENSOR_API)
		bad = "unknown sensor kind";
	if (bad) {
		if (err && errlen)
			snprintf(err, errlen, "%s", bad);
		return -EINVAL;
	}
	return 0;
}

static bool is_modbus(dlm_sensor_kind k)
{
	return k == DLM_SENSOR_MODBUS_TCP || k == DLM_SENSOR_MODBUS_RTU;
}

int dlm_sensor_check(const dlm_sensor_opts *o, char *err, size_t errlen)
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
	if (rc < 0 || !is_modbus(o->kind))
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

int dlm_sensor_start(dlm_sensor **out, const dlm_sensor_opts *o, char *err, size_t errlen)
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
	dlm_sensor *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->o = *o;
	dlm_reading_clear(&s->latest);
	if (is_modbus(o->kind)) {
		rc = plan_blocks(&s->o.map, &s->blocks, err, errlen);
		if (rc < 0)
			goto out_free;
	}
	const modbus_poller_cfg pc = {
		.link = o->kind == DLM_SENSOR_MODBUS_TCP   ? MODBUS_LINK_TCP
			: o->kind == DLM_SENSOR_MODBUS_RTU ? MODBUS_LINK_RTU
							   : MODBUS_LINK_NONE,
		.host = s->o.host,
		.port = o->port,
		.device = s->o.device,
		.baud = o->baud,
		.parity = o->parity,
		.data_bits = o->data_bits,
		.stop_bits = o->stop_bits,
		.unit = o->unit,
		.timeout_ms = o->timeout_ms,
		.poll_ms = o->poll_ms,
		.backoff_min_ms = o->backoff_min_ms,
		.backoff_max_ms = o->backoff_max_ms,
		.poll = is_modbus(o->kind) ? poll_meter : NULL, /* api, sim: the owner pushes */
		.drv = s,
		.latest = &s->latest,
		.scratch = &s->scratch,
		.size = sizeof s->latest,
		.clock_ms = o->clock_ms,
		.wake = o->wake,
		.ctx = o->ctx,
	};
	if ((rc = modbus_poller_init(&s->poll, &pc)) < 0)
		goto out_free;
	s->poll.health.last_success_ms = DLM_NO_TIME;
	if ((rc = modbus_poller_start(&s->poll)) < 0) {
		snprintf(err, errlen, "cannot start sensor thread: %s", strerror(-rc));
		goto out_poller;
	}
	*out = s;
	return 0;

out_poller:
	modbus_poller_fini(&s->poll);
out_free:
	if (!err[0])
		snprintf(err, errlen, "cannot start sensor: %s", strerror(-rc));
	free(s);
	return rc;
}

void dlm_sensor_stop(dlm_sensor *s)
{
	if (!s)
		return;
	modbus_poller_fini(&s->poll);
	free(s);
}
