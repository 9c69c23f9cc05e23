/*
 * station_source tests: the register map parser (every error names its
 * item), encode/decode of every type and word order, a Modbus TCP round
 * trip against a libmodbus server thread in this process (readings summed
 * and scaled, setpoints, coils and relay registers written, a refused
 * write keeps the link, outage and reconnection with switches rewritten),
 * and the simulated house (deterministic, PV by day only, battery limits,
 * energy balance).
 */
#include "station_source.h"

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
#include <time.h>
#include <unistd.h>

#include <modbus/modbus.h>

#include "../modbus/modbus_test_server.h"

#include "../modbus/driver_test.h"

#define NEAR(a, b, tol) (fabs((double)(a) - (double)(b)) <= (tol))

/* ---------------------------------------------------------------- parser */

static void test_parser(void)
{
	station_src_map m;
	char err[256];
	int rc = station_source_map_parse("pv_power=4:0x10:uint32:cdab:1, pv_power=4:0x12:uint16::10;"
					  "bat_soc=3:100:uint16::0.1 bat_power=3:101:int16::-1\n"
					  "grid_power=3:102:float32 load=gross load_power=3:104:int32:little "
					  "bat_setpoint=16:200:int32 load1=5:10 load2=6:300 heat_pump=5:11 "
					  "generator=5:12 pv_limit=6:202:uint16::10 enable=6:301:0xA5",
					  &m, err, sizeof err);
	CHECK(rc == 0, "good spec: %s", err);
	CHECK(m.n_reads == 6 && m.n_writes == 7 && m.load_gross, "counts %zu %zu", m.n_reads, m.n_writes);
	CHECK(m.reads[0].what == SSRC_Q_PV && m.reads[0].fc == 4 && m.reads[0].addr == 0x10 &&
		      m.reads[0].type == SSRC_UINT32 && m.reads[0].order == SSRC_WORD_LITTLE &&
		      m.reads[0].scale == 1,
	      "pv_power[0]");
	CHECK(m.reads[1].what == SSRC_Q_PV && m.reads[1].scale == 10 && m.reads[1].order == SSRC_WORD_BIG,
	      "pv_power[1]: empty order keeps the default");
	CHECK(m.reads[3].what == SSRC_Q_BAT_POWER && m.reads[3].scale == -1, "negative scale flips the sign");
	CHECK(m.reads[5].what == SSRC_Q_LOAD && m.reads[5].order == SSRC_WORD_LITTLE, "load_power");
	CHECK(m.writes[0].what == SSRC_O_BAT_SETPOINT && m.writes[0].fc == 16 &&
		      m.writes[0].type == SSRC_INT32,
	      "bat_setpoint");
	CHECK(m.writes[1].what == SSRC_O_LOAD && m.writes[1].index == 0 && m.writes[1].fc == 5 &&
		      m.writes[1].addr == 10,
	      "load1 coil");
	CHECK(m.writes[2].what == SSRC_O_LOAD && m.writes[2].index == 1 && m.writes[2].fc == 6,
	      "load2 register");
	CHECK(m.writes[6].what == SSRC_O_ENABLE && m.writes[6].value == 0xA5 && m.writes[6].addr == 301,
	      "enable");

	static const struct {
		const char *spec, *msg;
	} bad[] = {
		{ "", "missing pv_power" },
		{ "pv_power=4:0:uint16", "missing bat_soc" },
		{ "pv_power=4:0:uint16 bat_soc=4:1:uint16", "missing grid_power or load_power" },
		{ "pv_power=4:0:uint16 bat_soc=4:1:uint16 grid_power=4:2:int16", "missing bat_power" },
		{ "pv_power=5:0:uint16", "pv_power: function code '5' must be 3" },
		{ "pv_power=4:70000:uint16", "pv_power: address '70000'" },
		{ "pv_power=4:65535:int32", "runs past" },
		{ "pv_power=4:0:float64", "pv_power: type 'float64' unknown" },
		{ "pv_power=4:0:int32:xyzw", "word order 'xyzw'" },
		{ "pv_power=4:0:int32:abcd:0", "scale '0'" },
		{ "pv_power=4:0", "expected FC:ADDR:TYPE" },
		{ "bat_setpoint=3:0:int16", "bat_setpoint: function code '3' must be 6" },
		{ "bat_setpoint=6:0:int32", "function code 6 writes one register" },
		{ "load3=5:1 load3=5:2", "load3: given twice" },
		{ "load9=5:1", "'load9': unknown key" },
		{ "load1=4:1", "load1: function code '4' must be 5" },
		{ "load1=5:1:2", "load1: expected FC:ADDR" },
		{ "enable=6:1:70000", "enable: value '70000'" },
		{ "enable=5:1:1", "enable: function code '5' must be 6" },
		{ "load=both", "load: 'both' must be net or gross" },
		{ "pv_power", "'pv_power': expected key=value" },
		{ "pv_power=4:0:uint16 bat_soc=4:1:uint16 load_power=4:2:uint16 bat_setpoint=6:3:int16 "
		  "grid_setpoint=6:4:int16",
		  "give one, not both" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = 0;
		rc = station_source_map_parse(bad[i].spec, &m, err, sizeof err);
		CHECK(rc == -EINVAL && strstr(err, bad[i].msg), "spec '%s': rc %d err '%s', want '%s'",
		      bad[i].spec, rc, err, bad[i].msg);
	}
	CHECK(station_source_map_parse(NULL, &m, err, sizeof err) == -EINVAL, "NULL spec");

	/* more registers than a map holds: an error, never an overflow */
	char big[2048] = "bat_soc=3:1:uint16 load_power=3:2:uint16";
	for (int i = 0; i < 30; i++) {
		char item[40];
		snprintf(item, sizeof item, " pv_power=3:%d:uint16", 100 + i);
		strcat(big, item);
	}
	CHECK(station_source_map_parse(big, &m, err, sizeof err) == -EINVAL && strstr(err, "more than 24"),
	      "too many reads: %s", err);

	/* presets and resolve */
	const station_src_map *v = station_source_preset("VICTRON-GX");
	CHECK(v && v->n_reads == 16 && v->n_writes == 1 && v->load_gross, "victron-gx preset");
	/* 826 active input source, 240 "not connected": off grid (issue 11, item 7) */
	CHECK(v && v->reads[15].what == SSRC_Q_GRID_STATE && v->reads[15].addr == 826 &&
		      v->reads[15].type == SSRC_INT16 && v->grid_value == 240 && !v->grid_value_on,
	      "victron grid state");
	CHECK(v && v->writes[0].what == SSRC_O_GRID_SETPOINT && v->writes[0].addr == 2700,
	      "victron grid setpoint");
	CHECK(station_source_map_resolve("victron-gx", &m, err, sizeof err) == 0 && m.n_reads == 16,
	      "resolve preset");
	CHECK(station_source_map_resolve("sma", &m, err, sizeof err) == -EINVAL && strstr(err, "victron-gx"),
	      "unknown preset lists the presets: %s", err);
	CHECK(station_source_map_resolve("pv_power=4:0:uint16 bat_soc=4:1:uint16 load_power=4:2:uint16", &m,
					 err, sizeof err) == 0 &&
		      m.n_reads == 3,
	      "resolve generic: %s", err);
}

static void test_codec(void)
{
	static const station_src_type types[] = { SSRC_INT16, SSRC_UINT16, SSRC_INT32, SSRC_UINT32,
						  SSRC_FLOAT32 };
	static const double values[] = { 0, 1, 1234, 32000, 70000, -1, -5000 };
	for (size_t t = 0; t < 5; t++)
		for (int o = 0; o < 2; o++)
			for (size_t k = 0; k < sizeof values / sizeof values[0]; k++) {
				station_src_reg r = { 0, 0, 3, 0, types[t], (station_src_order)o, 0.1, 0 };
				uint16_t w[2];
				double v = values[k], back = NAN;
				int rc = station_source_encode(&r, v, w);
				bool fits = types[t] == SSRC_FLOAT32 ||
					(types[t] == SSRC_INT16 && fabs(v * 10) < 32767) ||
					(types[t] == SSRC_UINT16 && v >= 0 && v * 10 <= 65535) ||
					(types[t] == SSRC_INT32) || (types[t] == SSRC_UINT32 && v >= 0);
				CHECK((rc == 0) == fits, "type %zu order %d value %g: rc %d", t, o, v, rc);
				if (rc == 0) {
					CHECK(station_source_decode(&r, w, &back) == 0 &&
						      NEAR(back, v, 1e-3 * fmax(1, fabs(v))),
					      "type %zu order %d: %g -> %g", t, o, v, back);
				}
			}
	/* word order is visible on the wire */
	station_src_reg big = { 0, 0, 3, 0, SSRC_UINT32, SSRC_WORD_BIG, 1, 0 };
	station_src_reg little = big;
	little.order = SSRC_WORD_LITTLE;
	uint16_t w[2];
	station_source_encode(&big, 0x12345678, w);
	CHECK(w[0] == 0x1234 && w[1] == 0x5678, "abcd words %04x %04x", w[0], w[1]);
	station_source_encode(&little, 0x12345678, w);
	CHECK(w[0] == 0x5678 && w[1] == 0x1234, "cdab words %04x %04x", w[0], w[1]);
	/* a float NaN in a register is not a reading */
	station_src_reg f = { 0, 0, 3, 0, SSRC_FLOAT32, SSRC_WORD_BIG, 1, 0 };
	uint16_t nanw[2] = { 0x7fc0, 0 };
	double out;
	CHECK(station_source_decode(&f, nanw, &out) == -ERANGE, "NaN register");
}

/* ---------------------------------------------------------- test server */

#define NREGS 512

static void put(mbtest_server *sv, const station_src_reg *r, double value)
{
	uint16_t w[2];
	if (station_source_encode(r, value, w) < 0) {
		failures++;
		fprintf(stderr, "cannot encode %g at %u\n", value, r->addr);
		return;
	}
	pthread_mutex_lock(&sv->mu);
	uint16_t *tab = r->fc == 4 ? sv->map->tab_input_registers : sv->map->tab_registers;
	for (int k = 0; k < station_source_words(r->type); k++)
		tab[r->addr + k] = w[k];
	pthread_mutex_unlock(&sv->mu);
}

static double get_reg(mbtest_server *sv, const station_src_reg *r)
{
	double v = NAN;
	pthread_mutex_lock(&sv->mu);
	station_source_decode(r, &sv->map->tab_registers[r->addr], &v);
	pthread_mutex_unlock(&sv->mu);
	return v;
}

static int get_bit(mbtest_server *sv, int addr)
{
	pthread_mutex_lock(&sv->mu);
	int v = sv->map->tab_bits[addr];
	pthread_mutex_unlock(&sv->mu);
	return v;
}

static uint16_t get_word(mbtest_server *sv, int addr)
{
	pthread_mutex_lock(&sv->mu);
	uint16_t v = sv->map->tab_registers[addr];
	pthread_mutex_unlock(&sv->mu);
	return v;
}

/* ------------------------------------------------------------ round trip */

static atomic_int wakes;

static void on_wake(void *ctx)
{
	(void)ctx;
	atomic_fetch_add(&wakes, 1);
}

static bool wait_reading(station_source *s, uint64_t *seq, station_src_reading *r, double timeout_s)
{
	double end = mono_s() + timeout_s;
	while (mono_s() < end) {
		uint64_t n;
		if (station_source_latest(s, r, NULL, &n) == 0 && n > *seq) {
			*seq = n;
			return true;
		}
		sleep_ms(10);
	}
	return false;
}

/* Waits until cond holds, at most timeout_s; res tells whether it did. */
#define WAIT_FOR(res, cond, timeout_s)                       \
	do {                                                 \
		double end_ = mono_s() + (timeout_s);        \
		while (!((res) = (cond)) && mono_s() < end_) \
			sleep_ms(10);                        \
	} while (0)

static const char *spec = "pv_power=4:0x10:uint32:cdab:1, pv_power=4:0x12:uint16::10,"
			  "bat_soc=3:100:uint16::0.1, bat_power=3:101:int16::-1, grid_power=3:102:float32,"
			  "bat_setpoint=16:200:int32, pv_limit=6:202:uint16::10, load1=5:10, load2=6:300,"
			  "heat_pump=5:11, enable=6:301:0xA5";

static void test_roundtrip(mbtest_server *sv)
{
	station_src_map m;
	char err[256];
	int rc = station_source_map_parse(spec, &m, err, sizeof err);
	CHECK(rc == 0, "spec: %s", err);
	/* the device image: two PV strings, SOC in 0.1 %, battery discharge positive */
	put(sv, &m.reads[0], 5234);
	put(sv, &m.reads[1], 1000);
	put(sv, &m.reads[2], 65.5);
	put(sv, &m.reads[3], -1500); /* raw +1500 = discharging 1500 W on the device */
	put(sv, &m.reads[4], -2345.5);
	CHECK(get_word(sv, 101) == 1500, "device convention: raw %u", get_word(sv, 101));

	station_src_opts o;
	station_source_opts_defaults(&o);
	o.map = m;
	o.port = sv->port;
	o.poll_ms = 100;
	o.timeout_ms = 400;
	o.backoff_min_ms = 100;
	o.backoff_max_ms = 400;
	o.refresh_ms = 100000;
	o.wake = on_wake;
	station_source *s = NULL;
	bool ok;
	rc = station_source_start(&s, &o, err, sizeof err);
	CHECK(rc == 0 && s, "start: %s", err);
	if (!s)
		return;
	uint64_t seq = 0;
	station_src_reading r;
	CHECK(wait_reading(s, &seq, &r, 5), "first reading");
	CHECK(NEAR(r.pv_w, 6234, 1e-6), "pv summed: %g", r.pv_w);
	CHECK(NEAR(r.soc_pct, 65.5, 1e-9), "soc %g", r.soc_pct);
	CHECK(NEAR(r.bat_w, -1500, 1e-9), "bat %g", r.bat_w);
	CHECK(NEAR(r.grid_w, -2345.5, 1e-3), "grid %g", r.grid_w);
	CHECK(isnan(r.load_w) && isnan(r.pv3_w), "unmapped quantities are NAN");
	CHECK(atomic_load(&wakes) > 0, "wake called");

	/* no command yet: nothing written */
	sleep_ms(300);
	CHECK(get_word(sv, 301) == 0 && get_bit(sv, 10) == 0, "nothing written before a command");

	station_src_command cmd = {
		.bat_w = -2500, .pv_limit_w = 4000, .heat_pump_on = false, .grid_valid = true
	};
	cmd.load_on[0] = true;
	cmd.load_on[1] = true;
	station_source_command(s, &cmd);
	WAIT_FOR(ok, get_reg(sv, &m.writes[0]) == -2500, 3);
	CHECK(ok, "battery setpoint written: %g", get_reg(sv, &m.writes[0]));
	WAIT_FOR(ok, get_word(sv, 202) == 400, 3);
	CHECK(ok, "pv limit in 10 W steps: %u", get_word(sv, 202));
	WAIT_FOR(ok, get_bit(sv, 10) == 1, 3);
	CHECK(ok, "load1 coil on");
	WAIT_FOR(ok, get_word(sv, 300) == 1, 3);
	CHECK(ok, "load2 register on");
	CHECK(get_word(sv, 301) == 0xA5, "enable constant written: %x", get_word(sv, 301));
	CHECK(get_bit(sv, 11) == 0, "heat pump off");

	cmd.load_on[0] = false;
	cmd.bat_w = 3000;
	cmd.heat_pump_on = true;
	station_source_command(s, &cmd);
	WAIT_FOR(ok, get_bit(sv, 10) == 0, 3);
	CHECK(ok, "load1 coil off again");
	WAIT_FOR(ok, get_bit(sv, 11) == 1, 3);
	CHECK(ok, "heat pump coil on");
	WAIT_FOR(ok, get_reg(sv, &m.writes[0]) == 3000, 3);
	CHECK(ok, "new setpoint");

	/* a switch is only rewritten on change: an outside change stays ... */
	pthread_mutex_lock(&sv->mu);
	sv->map->tab_bits[11] = 0;
	pthread_mutex_unlock(&sv->mu);
	sleep_ms(400);
	CHECK(get_bit(sv, 11) == 0, "switch not rewritten without a change or refresh");

	/* ... a value that does not fit is refused, the link and readings stay */
	station_src_health h;
	station_source_latest(s, NULL, &h, NULL);
	uint64_t connects = h.connects;
	cmd.pv_limit_w = 1e7; /* 1e6 raw does not fit uint16 */
	station_source_command(s, &cmd);
	WAIT_FOR(ok, (station_source_latest(s, NULL, &h, NULL), h.write_failures > 0), 3);
	CHECK(ok, "write refused");
	CHECK(strstr(h.last_error, "does not fit") != NULL, "error says why: %s", h.last_error);
	CHECK(wait_reading(s, &seq, &r, 2), "readings go on");
	station_source_latest(s, NULL, &h, NULL);
	CHECK(h.connects == connects && h.ok, "link kept: connects %llu -> %llu",
	      (unsigned long long)connects, (unsigned long long)h.connects);
	cmd.pv_limit_w = 4000;
	station_source_command(s, &cmd);

	/* outage: health goes bad; the device comes back: readings resume and
	 * the switches are written again (the device may have lost them) */
	int port = sv->port;
	mbtest_server_halt(sv);
	WAIT_FOR(ok, (station_source_latest(s, NULL, &h, NULL), !h.ok && h.failures > 0), 5);
	CHECK(ok, "outage seen");
	CHECK(h.last_error[0], "error text");
	CHECK(mbtest_server_start(sv, port) == 0 && sv->port == port, "server back on %d", port);
	CHECK(wait_reading(s, &seq, &r, 5), "readings after reconnect");
	WAIT_FOR(ok, get_bit(sv, 11) == 1, 3);
	CHECK(ok, "switch rewritten after the reconnect");
	station_source_latest(s, NULL, &h, NULL);
	CHECK(h.ok && h.connects > connects, "reconnected (%llu connects)", (unsigned long long)h.connects);

	/* stop returns promptly even while the device does not answer */
	double t0 = mono_s();
	station_source_stop(s);
	CHECK(mono_s() - t0 < 2, "stop took %.2f s", mono_s() - t0);
}

static void test_start_errors(void)
{
	station_src_opts o;
	station_source *s = (station_source *)1;
	char err[128];
	station_source_opts_defaults(&o);
	o.port = 0;
	CHECK(station_source_start(&s, &o, err, sizeof err) == -EINVAL && !s && strstr(err, "port"),
	      "port 0: %s", err);
	station_source_opts_defaults(&o);
	o.poll_ms = 1;
	CHECK(station_source_start(&s, &o, err, sizeof err) == -EINVAL && strstr(err, "poll_ms"), "poll: %s",
	      err);
	station_source_opts_defaults(&o);
	o.map.n_reads = 0;
	CHECK(station_source_start(&s, &o, err, sizeof err) == -EINVAL, "empty map");
	station_source_stop(NULL);
}

/* ----------------------------------------------------------------- house */

static void test_house(void)
{
	station_config cfg;
	station_config_defaults(&cfg);
	cfg.latitude_deg = 48.14;
	cfg.longitude_deg = 11.58;
	cfg.utc_offset_min = 60;
	cfg.battery.capacity_wh = 10000;
	cfg.battery.max_charge_w = 5000;
	cfg.battery.max_discharge_w = 5000;
	cfg.battery.round_trip_eff = 0.81; /* 0.9 each way */
	cfg.battery.soc_min_pct = 5;
	cfg.battery.soc_max_pct = 100;
	cfg.battery.soc_start_pct = 50;
	const int64_t noon = 1718618400000LL;        /* 2024-06-17T10:00:00Z, 12:00 local */
	const int64_t night = noon - 12 * 3600000LL; /* midnight local */

	station_house a, b, c;
	station_house_init(&a, &cfg, 8000, 7, noon);
	station_house_init(&b, &cfg, 8000, 7, noon);
	station_house_init(&c, &cfg, 8000, 8, noon);
	double pa, la, pb, lb, pc, lc;
	int differ = 0;
	for (int i = 0; i < 96; i++) {
		int64_t t = night + i * 900000LL;
		station_house_sample(&a, t, &pa, &la);
		station_house_sample(&b, t, &pb, &lb);
		station_house_sample(&c, t, &pc, &lc);
		CHECK(pa == pb && la == lb, "same seed, same values at %d", i);
		differ += pa != pc || la != lc;
		CHECK(pa >= 0 && pa <= 8000 && la > 0 && la < 10000, "bounds at %d: pv %g load %g", i, pa,
		      la);
	}
	CHECK(differ > 10, "another seed gives another day (%d differ)", differ);
	station_house_sample(&a, night, &pa, &la);
	CHECK(pa == 0, "no PV at midnight: %g", pa);
	double day_pv = 0;
	for (int i = 0; i < 12; i++) {
		station_house_sample(&a, noon - 3 * 3600000LL + i * 1800000LL, &pa, &la);
		day_pv += pa;
	}
	CHECK(day_pv / 12 > 1000, "PV around noon in June: mean %g W", day_pv / 12);

	/* battery: 10 kW asked for 1 h charges at 5 kW x 0.9 */
	station_house_advance(&a, noon + 3600000LL, 10000);
	CHECK(NEAR(a.bat_w, 5000, 1e-6) && NEAR(a.soc_pct, 50 + 45, 1e-6), "charge: %g W, %g %%", a.bat_w,
	      a.soc_pct);
	/* another hour: only 5 % room left */
	station_house_advance(&a, noon + 7200000LL, 5000);
	CHECK(NEAR(a.soc_pct, 100, 1e-9) && NEAR(a.bat_w, 500 / 0.9, 1e-6), "full: %g %%, %g W", a.soc_pct,
	      a.bat_w);
	/* discharge to the floor: 95 % of 10 kWh x 0.9 delivered */
	station_house_advance(&a, noon + 5 * 3600000LL, -5000);
	CHECK(NEAR(a.soc_pct, 5, 1e-9), "floor: %g %%", a.soc_pct);
	station_house_advance(&a, noon + 6 * 3600000LL, -5000);
	CHECK(NEAR(a.bat_w, 0, 1e-9) && NEAR(a.soc_pct, 5, 1e-9), "empty: %g W", a.bat_w);
	/* time going backwards changes nothing */
	station_house_advance(&a, noon, 5000);
	CHECK(NEAR(a.soc_pct, 5, 1e-9), "no step back in time");

	/* measurements balance: grid = load + extra + bat - PV used */
	station_house_init(&b, &cfg, 8000, 7, noon);
	station_house_advance(&b, noon + 60000, 2000);
	station_src_reading r;
	station_house_measure(&b, 1500, 700, &r);
	CHECK(NEAR(r.grid_w, r.load_w + 700 + r.bat_w - fmin(r.pv_w, 1500), 1e-6), "balance with a PV limit");
	CHECK(NEAR(r.bat_w, 2000, 1e-6) && r.soc_pct > 50 && r.ts_ms == noon + 60000, "reading of the state");

	/* per phase (the DLM sensor's view of the same house): the load adds
	 * up to the total, appliances sit on their phases, the grid current
	 * balances the grid power, a charger counts where it draws and PV,
	 * battery and controlled loads in thirds */
	int one_phase = 0;
	for (int i = 0; i < 5 * 96; i++) {
		int64_t t = night + i * 900000LL + 450000;
		double lp[3];
		station_house_load_phases(&b, t, lp);
		station_house_sample(&b, t, &pb, &lb);
		CHECK(NEAR(lp[0] + lp[1] + lp[2], lb, 1e-6) && lp[0] > 0 && lp[1] > 0 && lp[2] > 0,
		      "phases add up at %d: %g %g %g vs %g", i, lp[0], lp[1], lp[2], lb);
		double share_max = fmax(lp[0] / lb - 0.37, fmax(lp[1] / lb - 0.30, lp[2] / lb - 0.33));
		one_phase += share_max > 0.15;
	}
	CHECK(one_phase > 5, "slots with an appliance on one phase: %d", one_phase);
	double g[3], lp[3], ev[3] = { 16, 0, 0 };
	station_house_measure_phases(&b, 1500, ev, 300, 230, &r, g);
	station_house_load_phases(&b, b.t_ms, lp);
	CHECK(NEAR((g[0] + g[1] + g[2]) * 230, r.grid_w, 1e-6), "phases balance the grid power: %g vs %g",
	      (g[0] + g[1] + g[2]) * 230, r.grid_w);
	CHECK(NEAR(r.grid_w, r.load_w + 16 * 230 + 300 + r.bat_w - fmin(r.pv_w, 1500), 1e-6),
	      "EV in the balance");
	CHECK(NEAR(g[0] - g[1], (lp[0] - lp[1]) / 230 + 16, 1e-9) &&
		      NEAR(g[2] - g[1], (lp[2] - lp[1]) / 230, 1e-9),
	      "the EV on L1, the rest in thirds: %g %g %g", g[0], g[1], g[2]);
	station_house_measure_phases(&b, -1, NULL, 0, 0, &r, g);
	CHECK(NEAR(g[0] * 230, lp[0] + (r.bat_w - r.pv_w) / 3, 1e-6), "no EV, nominal voltage: %g", g[0]);
}

/* The grid state item: parsed like the other reads, checked for its value,
 * and read over Modbus into on_grid (1 / 0; -1 when not mapped). */
static void test_grid_state(mbtest_server *sv)
{
	static const struct {
		const char *spec, *err; /* err NULL: accepted */
	} cases[] = {
		{ "pv_power=3:0:uint16 bat_soc=3:1:uint16 load_power=3:2:uint16 grid_state=3:3:uint16 "
		  "grid_off=240",
		  NULL },
		{ "pv_power=3:0:uint16 bat_soc=3:1:uint16 load_power=3:2:uint16 grid_state=4:3:int32:cdab "
		  "grid_on=1",
		  NULL },
		{ "pv_power=3:0:uint16 bat_soc=3:1:uint16 load_power=3:2:uint16 grid_state=3:3:uint16",
		  "grid_off=VALUE" },
		{ "pv_power=3:0:uint16 bat_soc=3:1:uint16 load_power=3:2:uint16 grid_off=240",
		  "needs grid_state" },
		{ "pv_power=3:0:uint16 bat_soc=3:1:uint16 load_power=3:2:uint16 grid_state=3:3:uint16 "
		  "grid_off=240 grid_on=1",
		  "once" },
		{ "pv_power=3:0:uint16 bat_soc=3:1:uint16 load_power=3:2:uint16 grid_state=3:3:uint16 "
		  "grid_off=x",
		  "not a number" },
		{ "pv_power=3:0:uint16 bat_soc=3:1:uint16 load_power=3:2:uint16 grid_state=3:3:uint16 "
		  "grid_state=3:4:uint16 grid_off=0",
		  "given twice" },
		{ "pv_power=3:0:uint16 bat_soc=3:1:uint16 load_power=3:2:uint16 grid_state=6:3:uint16 "
		  "grid_off=0",
		  "function code" },
	};
	station_src_map m;
	char err[256];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		err[0] = 0;
		int rc = station_source_map_parse(cases[i].spec, &m, err, sizeof err);
		if (!cases[i].err)
			CHECK(rc == 0, "grid state case %zu accepted: %s", i, err);
		else
			CHECK(rc == -EINVAL && strstr(err, cases[i].err), "grid state case %zu: '%s'", i,
			      err);
	}
	station_src_reading r;
	station_source_reading_clear(&r);
	CHECK(r.on_grid == -1, "not measured: on_grid -1");

	int rc =
		station_source_map_parse("pv_power=3:120:uint16 bat_soc=3:121:uint16 load_power=3:122:uint16 "
					 "grid_state=3:123:int16 grid_off=240",
					 &m, err, sizeof err);
	CHECK(rc == 0, "grid state map: %s", err);
	put(sv, &m.reads[3], 1); /* 1 = grid */
	station_src_opts o;
	station_source_opts_defaults(&o);
	o.map = m;
	o.port = sv->port;
	o.poll_ms = 50;
	o.timeout_ms = 400;
	station_source *s = NULL;
	rc = station_source_start(&s, &o, err, sizeof err);
	CHECK(rc == 0 && s, "start: %s", err);
	if (!s)
		return;
	uint64_t seq = 0;
	CHECK(wait_reading(s, &seq, &r, 5) && r.on_grid == 1, "grid present: on_grid %d", r.on_grid);
	put(sv, &m.reads[3], 240); /* 240 = not connected */
	bool ok;
	WAIT_FOR(ok, wait_reading(s, &seq, &r, 1) && r.on_grid == 0, 3);
	CHECK(ok, "outage: on_grid %d", r.on_grid);
	station_source_stop(s);

	/* the simulated house in an outage: no grid power, no grid current */
	station_config cfg;
	station_config_defaults(&cfg);
	station_house h;
	double g[3] = { 1, 1, 1 }, ev[3] = { 16, 16, 16 };
	station_house_init(&h, &cfg, 8000, 7, 1750000000000LL);
	station_house_measure_phases(&h, -1, ev, 500, 230, &r, g);
	CHECK(r.on_grid == 1 && r.grid_w > 0, "house on grid: %d %g", r.on_grid, r.grid_w);
	h.off_grid = true;
	station_house_measure_phases(&h, -1, ev, 500, 230, &r, g);
	CHECK(r.on_grid == 0 && r.grid_w == 0 && g[0] == 0 && g[1] == 0 && g[2] == 0, "house off grid: %d %g",
	      r.on_grid, r.grid_w);
}

int main(void)
{
	test_parser();
	test_codec();
	test_start_errors();
	test_house();

	mbtest_server sv;
	if (mbtest_server_open(&sv, NREGS, NREGS) < 0) {
		fprintf(stderr, "cannot start the test Modbus server\n");
		return 1;
	}
	test_roundtrip(&sv);
	test_grid_state(&sv);
	mbtest_server_close(&sv, 1);

	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("station_source: all checks passed\n");
	return 0;
}
