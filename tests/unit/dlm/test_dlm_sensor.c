/*
 * Sensor driver tests against a real Modbus TCP server: a libmodbus server
 * thread in this process serves SDM630, DTSU666 and generic register images
 * on a free loopback port. Checks values, signs, scaling and word order,
 * the generic map parser, timeouts, outage detection and reconnection, and
 * the api and sim kinds.
 */
#include "dlm_sensor.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <modbus/modbus.h>

#include "../modbus/modbus_test_server.h"

#include "../modbus/driver_test.h"

/* ------------------------------------------------------ test server */

#define NREGS 0x2200

static void put(mbtest_server *sv, const dlm_meter_reg *r, double value)
{
	uint16_t w[2];
	if (dlm_meter_encode(r, value, w) < 0) {
		failures++;
		fprintf(stderr, "cannot encode %g at %u\n", value, r->addr);
		return;
	}
	pthread_mutex_lock(&sv->mu);
	uint16_t *tab = r->fc == 3 ? sv->map->tab_registers : sv->map->tab_input_registers;
	for (int k = 0; k < dlm_reg_words(r->type); k++)
		tab[r->addr + k] = w[k];
	pthread_mutex_unlock(&sv->mu);
}

/* Writes a whole meter image: the value of each map register given by q. */
typedef struct image {
	double current[3], voltage[3], power[3], total;
} image;

static void put_image(mbtest_server *sv, const dlm_meter_map *m, const image *im)
{
	for (size_t i = 0; i < m->n; i++) {
		const dlm_meter_reg *r = &m->regs[i];
		double v = r->q == DLM_Q_CURRENT ? im->current[r->phase]
			: r->q == DLM_Q_VOLTAGE  ? im->voltage[r->phase]
			: r->q == DLM_Q_POWER    ? im->power[r->phase]
						 : im->total;
		put(sv, r, v);
	}
}

/* ------------------------------------------------------ owner side */

static atomic_int wakes;
static atomic_llong fake_clock;

static void on_wake(void *ctx)
{
	(void)ctx;
	atomic_fetch_add(&wakes, 1);
}

static int64_t test_clock(void *ctx)
{
	(void)ctx;
	return atomic_fetch_add(&fake_clock, 1);
}

static dlm_sensor *start_tcp(int port, const dlm_meter_map *map)
{
	dlm_sensor_opts o;
	dlm_sensor_opts_defaults(&o);
	o.kind = DLM_SENSOR_MODBUS_TCP;
	o.map = *map;
	o.port = port;
	o.poll_ms = 100;
	o.timeout_ms = 500;
	o.backoff_min_ms = 100;
	o.backoff_max_ms = 400;
	o.clock_ms = test_clock;
	o.wake = on_wake;
	dlm_sensor *s = NULL;
	char err[128];
	int rc = dlm_sensor_start(&s, &o, err, sizeof err);
	CHECK(rc == 0 && s, "start: %d %s", rc, err);
	return s;
}

/* Waits up to timeout_s for a reading newer than *seq; true if one came. */
static bool wait_reading(dlm_sensor *s, uint64_t *seq, dlm_reading *r, double timeout_s)
{
	double end = mono_s() + timeout_s;
	while (mono_s() < end) {
		uint64_t n;
		if (dlm_sensor_latest(s, r, NULL, &n) == 0 && n > *seq) {
			*seq = n;
			return true;
		}
		sleep_ms(10);
	}
	return false;
}

/* Waits until health.ok == want; returns seconds taken, or -1. */
static double wait_health(dlm_sensor *s, bool want, double timeout_s, dlm_sensor_health *h)
{
	double t0 = mono_s();
	while (mono_s() < t0 + timeout_s) {
		dlm_sensor_latest(s, NULL, h, NULL);
		if (h->ok == want && (want || h->failures > 0))
			return mono_s() - t0;
		sleep_ms(10);
	}
	return -1;
}

#define NEARF(a, b) (fabs((double)(a) - (double)(b)) <= 1e-3 * fmax(1, fabs((double)(b))))

static void check_image(const dlm_reading *r, const image *im, bool signed_from_power, bool volt,
			const char *what)
{
	for (int p = 0; p < 3; p++) {
		double want =
			signed_from_power ? copysign(fabs(im->current[p]), im->power[p]) : im->current[p];
		CHECK(NEARF(r->current_a[p], want), "%s L%d current %g, want %g", what, p + 1,
		      r->current_a[p], want);
		if (volt)
			CHECK(NEARF(r->voltage_v[p], im->voltage[p]), "%s L%d voltage %g, want %g", what,
			      p + 1, r->voltage_v[p], im->voltage[p]);
		CHECK(NEARF(r->power_w[p], im->power[p]), "%s L%d power %g", what, p + 1, r->power_w[p]);
	}
}

/* ------------------------------------------------------------ tests */

static void test_parser(void)
{
	dlm_meter_map m;
	char err[256];
	int rc = dlm_meter_parse("l1_current=4:0x0006:float32:abcd:1.0,l2_current=4:8:float32,"
				 "l3_current=4:0x000A:float32:big,l1_power=4:12:float32,"
				 "total_power=3:100:int32:cdab:0.1 sign=power",
				 &m, err, sizeof err);
	CHECK(rc == 0, "good spec: %s", err);
	CHECK(m.n == 5 && m.sign_from_power, "n %zu", m.n);
	CHECK(m.regs[0].q == DLM_Q_CURRENT && m.regs[0].phase == 0 && m.regs[0].fc == 4 &&
		      m.regs[0].addr == 6 && m.regs[0].type == DLM_REG_FLOAT32 &&
		      m.regs[0].order == DLM_WORD_BIG && m.regs[0].scale == 1.0,
	      "l1_current parsed");
	CHECK(m.regs[1].addr == 8 && m.regs[2].addr == 10, "addresses");
	CHECK(m.regs[4].q == DLM_Q_POWER_TOTAL && m.regs[4].fc == 3 && m.regs[4].type == DLM_REG_INT32 &&
		      m.regs[4].order == DLM_WORD_LITTLE && fabs(m.regs[4].scale - 0.1) < 1e-12,
	      "total_power parsed");
	rc = dlm_meter_parse("l1_current=3:0:int16:abcd:0.01;l2_current=3:1:uint16\n"
			     "l3_current=3:2:uint32:little:1e-3",
			     &m, err, sizeof err);
	CHECK(rc == 0 && !m.sign_from_power && m.regs[2].order == DLM_WORD_LITTLE, "separators: %s", err);

	static const struct {
		const char *spec;
		const char *msg;
	} bad[] = {
		{ "", "missing l1_current" },
		{ "l1_current=4:6:float32,l2_current=4:8:float32", "missing l3_current" },
		{ "l1_current=5:6:float32,l2_current=4:8:float32,l3_current=4:10:float32",
		  "l1_current: function code '5'" },
		{ "l1_current=4:70000:float32,l2_current=4:8:float32,l3_current=4:10:float32",
		  "l1_current: address '70000'" },
		{ "l1_current=4:65535:float32,l2_current=4:8:float32,l3_current=4:10:float32", "runs past" },
		{ "l1_current=4:6:float64,l2_current=4:8:float32,l3_current=4:10:float32",
		  "type 'float64' unknown" },
		{ "l1_current=4:6:float32:xyzw,l2_current=4:8:float32,l3_current=4:10:float32",
		  "word order 'xyzw'" },
		{ "l1_current=4:6:float32:abcd:0,l2_current=4:8:float32,l3_current=4:10:float32",
		  "scale '0'" },
		{ "l1_current=4:6:float32:abcd:x,l2_current=4:8:float32,l3_current=4:10:float32",
		  "scale 'x'" },
		{ "l1_current=4:6,l2_current=4:8:float32,l3_current=4:10:float32", "expected FC:ADDR:TYPE" },
		{ "l1_current=4:6:float32:abcd:1:9,l2_current=4:8:float32,l3_current=4:10:float32",
		  "expected FC:ADDR:TYPE" },
		{ "l1_current=4:6:float32,l1_current=4:8:float32", "l1_current: given twice" },
		{ "l4_current=4:6:float32", "'l4_current': unknown key" },
		{ "l1_current", "'l1_current': expected key=value" },
		{ "sign=maybe", "sign: 'maybe' must be power or meter" },
		{ "l1_current=4:abc:float32", "address 'abc'" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = 0;
		rc = dlm_meter_parse(bad[i].spec, &m, err, sizeof err);
		CHECK(rc == -EINVAL && strstr(err, bad[i].msg), "spec '%s': rc %d err '%s', want '%s'",
		      bad[i].spec, rc, err, bad[i].msg);
	}
	CHECK(dlm_meter_parse(NULL, &m, err, sizeof err) == -EINVAL, "NULL spec");
	char longspec[2000];
	memset(longspec, 'a', sizeof longspec - 1);
	longspec[sizeof longspec - 1] = 0;
	CHECK(dlm_meter_parse(longspec, &m, err, sizeof err) == -EINVAL && strstr(err, "longer"),
	      "long spec: %s", err);
}

static void test_codec(void)
{
	static const dlm_reg_type types[] = { DLM_REG_INT16, DLM_REG_UINT16, DLM_REG_INT32, DLM_REG_UINT32,
					      DLM_REG_FLOAT32 };
	for (size_t t = 0; t < 5; t++)
		for (int o = 0; o < 2; o++) {
			dlm_meter_reg r = { DLM_Q_CURRENT, 0, 3, 0, types[t], (dlm_word_order)o, 0.01 };
			double in =
				types[t] == DLM_REG_UINT16 || types[t] == DLM_REG_UINT32 ? 123.45 : -123.45;
			uint16_t w[2] = { 0, 0 };
			double out = 0;
			CHECK(dlm_meter_encode(&r, in, w) == 0, "encode type %zu", t);
			CHECK(dlm_meter_decode(&r, w, &out) == 0 && fabs(out - in) < 1e-4,
			      "type %zu order %d: %g", t, o, out);
		}
	/* word order: 0x3F800000 is 1.0f; cdab has the low word first */
	dlm_meter_reg f = { DLM_Q_CURRENT, 0, 4, 0, DLM_REG_FLOAT32, DLM_WORD_BIG, 1 };
	uint16_t big[2] = { 0x3F80, 0x0000 }, little[2] = { 0x0000, 0x3F80 };
	double v;
	CHECK(dlm_meter_decode(&f, big, &v) == 0 && v == 1.0, "abcd %g", v);
	f.order = DLM_WORD_LITTLE;
	CHECK(dlm_meter_decode(&f, little, &v) == 0 && v == 1.0, "cdab %g", v);
	dlm_meter_reg i32 = { DLM_Q_CURRENT, 0, 4, 0, DLM_REG_INT32, DLM_WORD_BIG, 1 };
	uint16_t m1[2] = { 0xFFFF, 0xFFFE };
	CHECK(dlm_meter_decode(&i32, m1, &v) == 0 && v == -2, "int32 %g", v);
	uint16_t nanw[2] = { 0x7FC0, 0 };
	f.order = DLM_WORD_BIG;
	CHECK(dlm_meter_decode(&f, nanw, &v) == -ERANGE, "NaN rejected");
	dlm_meter_reg i16 = { DLM_Q_CURRENT, 0, 4, 0, DLM_REG_INT16, DLM_WORD_BIG, 1 };
	CHECK(dlm_meter_encode(&i16, 40000, m1) == -ERANGE, "int16 range");
}

static void test_presets(void)
{
	const dlm_meter_map *s = dlm_meter_preset("SDM630"), *d = dlm_meter_preset("dtsu666");
	CHECK(s && d && !dlm_meter_preset("abb") && !dlm_meter_preset(NULL), "presets");
	if (!s || !d)
		return;
	/* the datasheets' addresses: SDM630 30007 = phase 1 current, 30013 =
     * phase 1 power, 30053 = total power; DTSU666 0x200C Ia in 0.001 A */
	bool ok_s = false, ok_d = false, ok_p = false;
	for (size_t i = 0; i < s->n; i++) {
		ok_s |= s->regs[i].q == DLM_Q_CURRENT && s->regs[i].phase == 0 && s->regs[i].addr == 6 &&
			s->regs[i].fc == 4;
		ok_p |= s->regs[i].q == DLM_Q_POWER_TOTAL && s->regs[i].addr == 52;
	}
	for (size_t i = 0; i < d->n; i++)
		ok_d |= d->regs[i].q == DLM_Q_CURRENT && d->regs[i].phase == 0 && d->regs[i].addr == 0x200C &&
			d->regs[i].fc == 3 && fabs(d->regs[i].scale - 0.001) < 1e-12;
	CHECK(ok_s && ok_p && ok_d, "preset addresses");
	CHECK(s->sign_from_power && d->sign_from_power, "sign from power");
}

static const image sdm_img = { { 10.5, 3.25, 7.75 }, { 230.1, 231.2, 229.3 }, { 2416, -736, 1765 }, 3445 };
static const image dtsu_img = {
	{ 12.345, 0.5, 20.125 }, { 228.7, 232.4, 230.0 }, { -2800, 110, 4620 }, 1930
};

static void test_live(mbtest_server *sv)
{
	uint64_t seq = 0;
	dlm_reading r;
	dlm_sensor_health h;

	/* SDM630: input registers, unsigned currents, sign from power */
	const dlm_meter_map *sdm = dlm_meter_preset("sdm630");
	put_image(sv, sdm, &sdm_img);
	atomic_store(&fake_clock, 5000000);
	atomic_store(&wakes, 0);
	dlm_sensor *s = start_tcp(sv->port, sdm);
	CHECK(wait_reading(s, &seq, &r, 5), "sdm630 reading");
	check_image(&r, &sdm_img, true, true, "sdm630");
	CHECK(r.current_a[1] < 0, "export on L2 is negative: %g", r.current_a[1]);
	CHECK(NEARF(r.power_total_w, 3445), "total %g", r.power_total_w);
	CHECK(r.ts_ms >= 5000000 && r.ts_ms < 5001000, "timestamp from the owner's clock: %lld",
	      (long long)r.ts_ms);
	dlm_sensor_latest(s, NULL, &h, NULL);
	CHECK(h.ok && h.last_success_ms == r.ts_ms && h.consecutive_failures == 0 && h.connects == 1,
	      "health ok %d connects %llu", h.ok, (unsigned long long)h.connects);
	CHECK(atomic_load(&wakes) >= 1, "wake called");
	/* a change shows up within a poll or two */
	image im = sdm_img;
	im.current[0] = 20;
	im.power[0] = 4600;
	put_image(sv, sdm, &im);
	double t0 = mono_s();
	bool seen = false;
	while (!seen && mono_s() < t0 + 3) {
		wait_reading(s, &seq, &r, 1);
		seen = NEARF(r.current_a[0], 20);
	}
	CHECK(seen, "update seen: %g", r.current_a[0]);
	CHECK(mono_s() - t0 < 0.5, "update took %.3f s at 100 ms polling", mono_s() - t0);
	int req0 = atomic_load(&sv->requests);
	sleep_ms(1000);
	int polls = atomic_load(&sv->requests) - req0;
	/* two reads per poll (0x0000-0x0011 and 0x0034), ten polls a second */
	CHECK(polls >= 14 && polls <= 24, "requests in 1 s at 100 ms: %d", polls);
	dlm_sensor_stop(s);

	/* DTSU666: holding registers, scaled floats */
	const dlm_meter_map *dt = dlm_meter_preset("dtsu666");
	put_image(sv, dt, &dtsu_img);
	seq = 0;
	s = start_tcp(sv->port, dt);
	CHECK(wait_reading(s, &seq, &r, 5), "dtsu666 reading");
	check_image(&r, &dtsu_img, true, true, "dtsu666");
	CHECK(r.current_a[0] < 0 && NEARF(r.current_a[0], -12.345), "L1 export %g", r.current_a[0]);
	CHECK(NEARF(r.power_total_w, 1930), "total %g", r.power_total_w);
	/* raw register check: 12.345 A is stored as 12345.0 (0.001 A units) */
	pthread_mutex_lock(&sv->mu);
	uint16_t *w = &sv->map->tab_registers[0x200C];
	uint32_t u = ((uint32_t)w[0] << 16) | w[1];
	pthread_mutex_unlock(&sv->mu);
	float raw;
	memcpy(&raw, &u, sizeof raw);
	CHECK(fabsf(raw - 12345.0f) < 0.01f, "raw %g", (double)raw);
	dlm_sensor_stop(s);

	/* generic: int32 little word order currents (0.01 A), int16 power x10,
     * uint16 voltage 0.1 V, sign from power */
	dlm_meter_map g;
	char err[256];
	int rc = dlm_meter_parse("l1_current=3:100:int32:cdab:0.01, l2_current=3:102:int32:cdab:0.01,"
				 " l3_current=3:104:int32:cdab:0.01, l1_power=4:200:int16::10,"
				 " l2_power=4:201:int16::10, l3_power=4:202:int16::10,"
				 " l1_voltage=4:300:uint16:abcd:0.1, l2_voltage=4:301:uint16:abcd:0.1,"
				 " l3_voltage=4:302:uint16:abcd:0.1, sign=power",
				 &g, err, sizeof err);
	CHECK(rc == 0, "generic: %s", err);
	image gi = { { 12.34, 0.07, 31.5 }, { 231.5, 229.9, 230.4 }, { 2850, -10, 7250 }, 0 };
	put_image(sv, &g, &gi);
	pthread_mutex_lock(&sv->mu);
	CHECK(sv->map->tab_registers[100] == 1234 && sv->map->tab_registers[101] == 0, "cdab layout %u %u",
	      sv->map->tab_registers[100], sv->map->tab_registers[101]);
	pthread_mutex_unlock(&sv->mu);
	seq = 0;
	s = start_tcp(sv->port, &g);
	CHECK(wait_reading(s, &seq, &r, 5), "generic reading");
	check_image(&r, &gi, true, true, "generic");
	CHECK(isnan(r.power_total_w), "no total power in this map");
	dlm_sensor_stop(s);

	/* generic with signed currents as the meter gives them */
	rc = dlm_meter_parse("l1_current=3:400:int16::0.1,l2_current=3:401:int16::0.1,"
			     "l3_current=3:402:int16::0.1",
			     &g, err, sizeof err);
	CHECK(rc == 0, "signed generic: %s", err);
	image si = { { -5.5, 6.1, 0 }, { 0 }, { 0 }, 0 };
	put_image(sv, &g, &si);
	seq = 0;
	s = start_tcp(sv->port, &g);
	CHECK(wait_reading(s, &seq, &r, 5), "signed reading");
	CHECK(NEARF(r.current_a[0], -5.5) && NEARF(r.current_a[1], 6.1) && r.current_a[2] == 0,
	      "signed %g %g %g", r.current_a[0], r.current_a[1], r.current_a[2]);
	CHECK(isnan(r.voltage_v[0]) && isnan(r.power_w[0]), "absent values are NAN");
	dlm_sensor_stop(s);
}

static void test_outage(mbtest_server *sv)
{
	const dlm_meter_map *sdm = dlm_meter_preset("sdm630");
	put_image(sv, sdm, &sdm_img);
	uint64_t seq = 0;
	dlm_reading r;
	dlm_sensor_health h;
	dlm_sensor *s = start_tcp(sv->port, sdm);
	CHECK(wait_reading(s, &seq, &r, 5), "reading before outage");

	int port = sv->port;
	mbtest_server_halt(sv);
	double took = wait_health(s, false, 3, &h);
	CHECK(took >= 0 && took < 1.0, "unhealthy after %.3f s (poll 100 ms, timeout 500 ms)", took);
	CHECK(h.last_error[0] && h.consecutive_failures >= 1, "error '%s'", h.last_error);
	sleep_ms(600);
	dlm_sensor_latest(s, NULL, &h, NULL);
	CHECK(!h.ok && h.consecutive_failures >= 2 && strstr(h.last_error, "connect"),
	      "reconnects keep failing: %u '%s'", h.consecutive_failures, h.last_error);
	uint64_t seq_down;
	dlm_sensor_latest(s, NULL, NULL, &seq_down);

	/* back on the same port: reconnect within the maximum backoff */
	CHECK(mbtest_server_start(sv, port) == 0 && sv->port == port, "restart on %d", port);
	image im = sdm_img;
	im.current[2] = 1.5;
	put_image(sv, sdm, &im);
	took = wait_health(s, true, 3, &h);
	CHECK(took >= 0 && took < 1.0, "recovered after %.3f s (backoff max 400 ms)", took);
	CHECK(h.connects >= 2, "connects %llu", (unsigned long long)h.connects);
	CHECK(wait_reading(s, &seq_down, &r, 2) && NEARF(r.current_a[2], 1.5), "fresh value %g",
	      r.current_a[2]);

	/* a server that accepts but never answers: response timeout */
	atomic_store(&sv->mute, true);
	took = wait_health(s, false, 3, &h);
	CHECK(took >= 0 && took < 1.5, "unhealthy on timeout after %.3f s", took);
	CHECK(strstr(h.last_error, "poll") != NULL, "error '%s'", h.last_error);
	atomic_store(&sv->mute, false);
	took = wait_health(s, true, 3, &h);
	CHECK(took >= 0, "recovered after mute");

	/* stop is prompt even while a request is pending */
	atomic_store(&sv->mute, true);
	sleep_ms(150);
	double t0 = mono_s();
	dlm_sensor_stop(s);
	CHECK(mono_s() - t0 < 1.0, "stop took %.3f s", mono_s() - t0);
	atomic_store(&sv->mute, false);
}

static void test_api_and_sim(void)
{
	dlm_sensor_opts o;
	dlm_sensor_opts_defaults(&o);
	o.kind = DLM_SENSOR_API;
	dlm_sensor *s;
	char err[128];
	CHECK(dlm_sensor_start(&s, &o, err, sizeof err) == 0, "api start: %s", err);
	dlm_reading r, got;
	dlm_sensor_health h;
	uint64_t seq;
	CHECK(dlm_sensor_latest(s, &got, &h, &seq) == -EAGAIN && seq == 0 && !h.ok, "no reading yet");
	dlm_reading_clear(&r);
	r.current_a[0] = 10;
	r.current_a[1] = -4;
	r.current_a[2] = 0;
	r.ts_ms = 123456;
	CHECK(dlm_sensor_push(s, &r, err, sizeof err) == 0, "push: %s", err);
	CHECK(dlm_sensor_latest(s, &got, &h, &seq) == 0 && seq == 1 && got.current_a[1] == -4 &&
		      got.ts_ms == 123456 && h.ok && h.last_success_ms == 123456,
	      "pushed reading");
	r.current_a[2] = NAN;
	CHECK(dlm_sensor_push(s, &r, err, sizeof err) == -EINVAL && strstr(err, "L3"), "NaN: %s", err);
	r.current_a[2] = 1000.5;
	CHECK(dlm_sensor_push(s, &r, err, sizeof err) == -EINVAL && strstr(err, "1000"), "range: %s", err);
	r.current_a[2] = 0;
	r.ts_ms = DLM_NO_TIME;
	CHECK(dlm_sensor_push(s, &r, err, sizeof err) == -EINVAL && strstr(err, "timestamp"), "ts");
	dlm_sensor_stop(s);

	/* sim: no thread either; the owner pushes its simulated house's
	 * readings, checked the same way */
	o.kind = DLM_SENSOR_SIM;
	o.poll_ms = 50;
	CHECK(dlm_sensor_start(&s, &o, err, sizeof err) == 0, "sim start: %s", err);
	sleep_ms(150);
	CHECK(dlm_sensor_latest(s, &got, &h, &seq) == -EAGAIN && seq == 0, "sim: nothing until pushed");
	r.current_a[2] = -7.5;
	r.ts_ms = 1700000000000LL;
	CHECK(dlm_sensor_push(s, &r, err, sizeof err) == 0, "push to sim: %s", err);
	CHECK(dlm_sensor_latest(s, &got, &h, &seq) == 0 && seq == 1 && got.current_a[2] == -7.5,
	      "sim reading");
	r.current_a[2] = INFINITY;
	CHECK(dlm_sensor_push(s, &r, err, sizeof err) == -EINVAL, "sim: checked as api");
	dlm_sensor_stop(s);

	/* bad options are refused with a message */
	o.kind = DLM_SENSOR_MODBUS_TCP;
	o.port = 0;
	CHECK(dlm_sensor_start(&s, &o, err, sizeof err) == -EINVAL && strstr(err, "modbus_port"),
	      "port 0: %s", err);
	o.kind = DLM_SENSOR_MODBUS_RTU;
	o.parity = 'X';
	CHECK(dlm_sensor_start(&s, &o, err, sizeof err) == -EINVAL && strstr(err, "parity"), "parity: %s",
	      err);
	o.parity = 'N';
	o.poll_ms = 1;
	CHECK(dlm_sensor_start(&s, &o, err, sizeof err) == -EINVAL && strstr(err, "poll_ms"), "poll: %s",
	      err);
	dlm_sensor_kind k;
	CHECK(dlm_sensor_kind_parse("modbus-rtu", &k) == 0 && k == DLM_SENSOR_MODBUS_RTU &&
		      dlm_sensor_kind_parse("serial", &k) == -EINVAL &&
		      !strcmp(dlm_sensor_kind_str(DLM_SENSOR_API), "api"),
	      "kind names");
}

/* Modbus RTU over a pseudo-terminal: a libmodbus RTU server thread on the
 * master side, the driver opens the slave side as its serial device. */
typedef struct rtu_server {
	int fd;
	modbus_t *ctx;
	modbus_mapping_t *map;
	atomic_int unit; /* the unit id the server answers to */
	atomic_bool stop;
	pthread_t th;
} rtu_server;

static void *rtu_run(void *arg)
{
	rtu_server *rs = arg;
	uint8_t q[MODBUS_RTU_MAX_ADU_LENGTH];
	while (!atomic_load(&rs->stop)) {
		modbus_set_slave(rs->ctx, atomic_load(&rs->unit));
		fd_set rd;
		FD_ZERO(&rd);
		FD_SET(rs->fd, &rd);
		struct timeval tv = { 0, 20000 };
		if (select(rs->fd + 1, &rd, NULL, NULL, &tv) <= 0)
			continue;
		int rc = modbus_receive(rs->ctx, q);
		if (rc > 0)
			modbus_reply(rs->ctx, q, rc, rs->map);
		else if (rc < 0)
			modbus_flush(rs->ctx);
	}
	return NULL;
}

static void test_rtu_pty(void)
{
	rtu_server rs = { .fd = posix_openpt(O_RDWR | O_NOCTTY) };
	if (rs.fd < 0 || grantpt(rs.fd) < 0 || unlockpt(rs.fd) < 0) {
		fprintf(stderr, "no pseudo-terminal, RTU test skipped\n");
		return;
	}
	struct termios t;
	tcgetattr(rs.fd, &t);
	cfmakeraw(&t);
	tcsetattr(rs.fd, TCSANOW, &t);
	const char *slave = ptsname(rs.fd);
	rs.ctx = modbus_new_rtu(slave, 9600, 'N', 8, 1);
	rs.map = modbus_mapping_new(0, 0, NREGS, NREGS);
	CHECK(rs.ctx && rs.map, "rtu server");
	if (!rs.ctx || !rs.map)
		return;
	atomic_store(&rs.unit, 7);
	modbus_set_socket(rs.ctx, rs.fd);
	const dlm_meter_map *dt = dlm_meter_preset("dtsu666");
	mbtest_server tmp = { .map = rs.map };
	pthread_mutex_init(&tmp.mu, NULL);
	put_image(&tmp, dt, &dtsu_img);
	pthread_mutex_destroy(&tmp.mu);
	pthread_create(&rs.th, NULL, rtu_run, &rs);

	dlm_sensor_opts o;
	dlm_sensor_opts_defaults(&o);
	o.kind = DLM_SENSOR_MODBUS_RTU;
	snprintf(o.device, sizeof o.device, "%s", slave);
	o.unit = 7;
	o.map = *dt;
	o.poll_ms = 100;
	o.timeout_ms = 500;
	dlm_sensor *s;
	char err[128];
	CHECK(dlm_sensor_start(&s, &o, err, sizeof err) == 0, "rtu start: %s", err);
	uint64_t seq = 0;
	dlm_reading r;
	CHECK(wait_reading(s, &seq, &r, 5), "rtu reading");
	check_image(&r, &dtsu_img, true, true, "dtsu666 over rtu");
	/* a meter with another unit id does not answer: timeout, unhealthy */
	atomic_store(&rs.unit, 9);
	dlm_sensor_health h;
	double took = wait_health(s, false, 3, &h);
	CHECK(took >= 0, "rtu wrong unit: unhealthy ('%s')", h.last_error);
	dlm_sensor_stop(s);
	atomic_store(&rs.stop, true);
	pthread_join(rs.th, NULL);
	modbus_mapping_free(rs.map);
	modbus_free(rs.ctx);
	close(rs.fd);
}

/* A serial device that does not exist: unhealthy with the OS's reason. */
static void test_rtu_missing_device(void)
{
	dlm_sensor_opts o;
	dlm_sensor_opts_defaults(&o);
	o.kind = DLM_SENSOR_MODBUS_RTU;
	snprintf(o.device, sizeof o.device, "/nonexistent/ttyUSB9");
	o.poll_ms = 100;
	o.backoff_min_ms = 50;
	o.backoff_max_ms = 100;
	dlm_sensor *s;
	char err[128];
	CHECK(dlm_sensor_start(&s, &o, err, sizeof err) == 0, "rtu start: %s", err);
	dlm_sensor_health h;
	CHECK(wait_health(s, false, 2, &h) >= 0 && strstr(h.last_error, "connect"), "rtu error '%s'",
	      h.last_error);
	dlm_reading r;
	dlm_reading_clear(&r);
	r.current_a[0] = r.current_a[1] = r.current_a[2] = 1;
	r.ts_ms = 1;
	CHECK(dlm_sensor_push(s, &r, err, sizeof err) == -EPERM, "push to a polled meter refused");
	dlm_sensor_stop(s);
}

int main(void)
{
	mbtest_server sv;
	if (mbtest_server_open(&sv, 0, NREGS) < 0) {
		fprintf(stderr, "cannot start the test Modbus server: %s\n", strerror(errno));
		return 1;
	}
	double t0 = mono_s();
	test_parser();
	test_codec();
	test_presets();
	test_live(&sv);
	test_outage(&sv);
	test_api_and_sim();
	test_rtu_pty();
	test_rtu_missing_device();
	mbtest_server_close(&sv, 1);
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("dlm sensor: all checks passed in %.1f s\n", mono_s() - t0);
	return 0;
}
