/* test_settings.c: every setting checked before anything is opened (issue
 * 10): the DLM rows of config.c's table against the dlm/ library's table,
 * control_check_config and energy_check_config naming config keys, and the
 * vocabularies (sensor kinds, meters, station sources, charging modes) read
 * from their owners' tables. */
#include "charger.h"
#include "config.h"
#include "control.h"
#include "energy.h"
#include "check.h"

#include "dlm.h"
#include "dlm_sensor.h"
#include "station.h"
#include "station_source.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static struct csms_config cfg;

static void fresh(void)
{
	config_free(&cfg);
	CHECK(config_load(&cfg, 1, (char *[]){ "csmsd", NULL }) == 0);
}

static void set(const char *key, const char *value)
{
	char err[256];
	int rc = config_set(&cfg, key, value, err, sizeof err);
	if (rc)
		fprintf(stderr, "set %s: %s\n", key, err);
	CHECK(rc == 0);
}

static const dlm_config_field *lib_field(const char *name)
{
	for (size_t i = 0; i < dlm_config_nfields; i++)
		if (!strcmp(dlm_config_fields[i].name, name))
			return &dlm_config_fields[i];
	return NULL;
}

/* Each DLM row that sets a dlm_config field: the field exists, the row's
 * bounds (scaled) lie inside the library's, so a value the command line or
 * the API takes is never refused later by range, and the defaults agree. */
static void test_table(void)
{
	struct config_info k;
	int linked = 0, api = 0;
	for (size_t i = 0; config_info_at(i, &k) == 0; i++) {
		if (k.api) {
			api++;
			CHECK(!strncmp(k.name, "dlm_", 4));
			struct config_info o;
			for (size_t j = 0; j < i; j++)
				if (config_info_at(j, &o) == 0 && o.api)
					CHECK(strcmp(o.api, k.api) != 0);
		}
		if (!k.lib)
			continue;
		linked++;
		const dlm_config_field *f = lib_field(k.lib);
		CHECK(f != NULL && k.api != NULL && k.lib_scale > 0);
		if (!f)
			continue;
		if (k.kind == CONFIG_NUMBER) {
			if (!(k.min * k.lib_scale >= f->min && k.max * k.lib_scale <= f->max))
				fprintf(stderr, "%s: %g..%g is not inside %s's %g..%g %s\n", k.name, k.min,
					k.max, f->name, f->min, f->max, f->unit);
			CHECK(k.min * k.lib_scale >= f->min && k.max * k.lib_scale <= f->max);
		}
		double v;
		CHECK(config_number(&cfg, k.name, &v) == 0);
		CHECK(fabs(v * k.lib_scale - f->def) < 1e-9);
	}
	CHECK(linked >= 8); /* enabled, breaker, margin, fallback, stale, settle, ramp, min pause */
	CHECK(api >= 21 && api <= 32); /* control.c has room for 32 (MAX_FIELDS) */
	CHECK(config_info_at(1000, &k) == -1);
}

/* dlm_config_set_num, which build_dlm_config uses: the library's bounds,
 * ms rounded, bools from numbers. */
static void test_set_num(void)
{
	dlm_config d;
	char err[128];
	dlm_config_defaults(&d);
	CHECK(dlm_config_set_num(&d, "stale_ms", 0.1 * 1000, err, sizeof err) == 0 && d.stale_ms == 100);
	CHECK(dlm_config_set_num(&d, "enabled", 0, err, sizeof err) == 0 && !d.enabled);
	CHECK(dlm_config_set_num(&d, "breaker_a", 1500, err, sizeof err) < 0 && d.breaker_a == 25);
	CHECK_CONTAINS(err, "breaker_a: out of range 1..1000");
	CHECK(dlm_config_set_num(&d, "margin_a", NAN, err, sizeof err) < 0);
	CHECK(dlm_config_set_num(&d, "nope", 1, err, sizeof err) < 0);
	CHECK_CONTAINS(err, "nope");
}

/* The bound of dlm_breaker_a is the library's (1000 A; the table said 2000). */
static void test_bounds(void)
{
	char err[256];
	CHECK(config_set(&cfg, "dlm_breaker_a", "1500", err, sizeof err) == -1);
	CHECK_CONTAINS(err, "dlm_breaker_a");
	CHECK_CONTAINS(err, "1 to 1000");
	CHECK(config_set(&cfg, "dlm_breaker_a", "1000", err, sizeof err) == 0);
	fresh();
}

struct check_case {
	const char *keys[6]; /* key, value, ... */
	const char *want;    /* in the message; NULL: accepted */
};

static void run_cases(const struct check_case *cs, size_t n,
		      int (*check)(const struct csms_config *, char *, size_t))
{
	for (size_t i = 0; i < n; i++) {
		char err[512] = "";
		fresh();
		for (int j = 0; cs[i].keys[j]; j += 2)
			set(cs[i].keys[j], cs[i].keys[j + 1]);
		int rc = check(&cfg, err, sizeof err);
		if (cs[i].want) {
			CHECK(rc == -1);
			CHECK_CONTAINS(err, cs[i].want);
		} else {
			if (rc)
				fprintf(stderr, "case %zu: %s\n", i, err);
			CHECK(rc == 0);
		}
	}
	fresh();
}

static void test_control_check(void)
{
	static const struct check_case cs[] = {
		{ { NULL }, NULL },
		{ { "dlm_margin_a", "30", NULL }, "dlm_margin_a: must be below dlm_breaker_a" },
		{ { "dlm_breaker_a", "10", "dlm_fallback_a", "12", NULL },
		  "dlm_fallback_a: must be at most dlm_breaker_a - dlm_margin_a" },
		{ { "dlm_breaker_a", "10", "dlm_fallback_a", "9", NULL }, NULL },
		{ { "dlm_meter", "generic", NULL }, "dlm_meter_map: " },
		{ { "dlm_meter", "generic", "dlm_meter_map",
		    "l1_current=4:6:float32,l2_current=4:8:float32,l3_current=4:10:float32", NULL },
		  NULL },
		{ { "dlm_sensor", "modbus-rtu", "dlm_modbus_parity", "X", NULL }, "dlm_modbus_parity" },
		{ { "dlm_sensor", "modbus-rtu", "dlm_modbus_parity", "E", NULL }, NULL },
		{ { "dlm_sensor", "sim", "dlm_modbus_parity", "X", NULL }, NULL }, /* not used: as before */
		{ { "dlm_sensor", "modbus-rtu", "dlm_modbus_device", "", NULL }, "dlm_modbus_device" },
		{ { "dlm_sensor", "modbus-tcp", "dlm_modbus_host", "", NULL }, "dlm_modbus_host" },
		{ { "dlm_sensor", "modbus-tcp", "dlm_meter", "dtsu666", NULL }, NULL },
	};
	run_cases(cs, sizeof cs / sizeof cs[0], control_check_config);
}

static void test_energy_check(void)
{
	char bad[] = "/tmp/csms-test-settings-XXXXXX", good[] = "/tmp/csms-test-settings-XXXXXX";
	int fb = mkstemp(bad), fg = mkstemp(good);
	CHECK(fb >= 0 && fg >= 0);
	static const char bad_text[] = "{\"battery\":{\"capacityWh\":-5}}";
	static const char good_text[] =
		"{\"battery\":{\"capacityWh\":5000},\"chargers\":[{\"id\":\"A\",\"mode\":\"pv\"}]}";
	CHECK(write(fb, bad_text, strlen(bad_text)) == (ssize_t)strlen(bad_text));
	CHECK(write(fg, good_text, strlen(good_text)) == (ssize_t)strlen(good_text));
	close(fb);
	close(fg);
	const struct check_case cs[] = {
		{ { NULL }, NULL },
		{ { "station_sim_start", "yesterday", NULL }, "station_sim_start" },
		{ { "station_sim_start", "2026-06-21T04:00:00Z", NULL }, NULL },
		{ { "station_sim_outages", "2026-06-21T18:00:00Z/PT2H, 2026-06-22T07:30:00Z/P1DT45M", NULL },
		  NULL },
		{ { "station_sim_outages", "yesterday/PT1H", NULL }, "station_sim_outages" },
		{ { "station_sim_outages", "2026-06-21T18:00:00Z", NULL }, "station_sim_outages" },
		{ { "station_sim_outages", "2026-06-21T18:00:00Z/PT", NULL }, "station_sim_outages" },
		{ { "station_sim_outages", "2026-06-21T18:00:00Z/PT1M2H", NULL }, "station_sim_outages" },
		{ { "station_source", "modbus", "station_map", "sma", NULL }, "station_map" },
		{ { "station_source", "modbus", "station_modbus_host", "", NULL }, "station_modbus_host" },
		{ { "station_source", "modbus", NULL }, NULL },
		{ { "station_source", "api", "station_map", "sma", NULL }, NULL }, /* not used: as before */
		{ { "station_settings", bad, NULL }, "battery.capacityWh" },
		{ { "station_settings", good, NULL }, NULL },
		{ { "station_settings", "/nonexistent/station.json", NULL }, "station_settings" },
	};
	run_cases(cs, sizeof cs / sizeof cs[0], energy_check_config);
	unlink(bad);
	unlink(good);
}

/* Each config name is a row of the driver's table, and back. */
static void test_vocabularies(void)
{
	char buf[64];
	for (size_t i = 0; i < DLM_SENSOR_NKINDS; i++) {
		set("dlm_sensor", dlm_sensor_kinds[i].name);
		CHECK_STR(config_get(&cfg, "dlm_sensor", buf, sizeof buf), dlm_sensor_kinds[i].name);
		CHECK(&dlm_sensor_kinds[cfg.dlm_sensor] == &dlm_sensor_kinds[i]);
		dlm_sensor_kind k;
		CHECK(dlm_sensor_kind_parse(dlm_sensor_kinds[i].name, &k) == 0 &&
		      k == dlm_sensor_kinds[i].kind);
		CHECK_STR(dlm_sensor_kind_str(k), dlm_sensor_kinds[i].name);
	}
	int generic = 0;
	for (size_t i = 0; i < DLM_METER_NKINDS; i++) {
		set("dlm_meter", dlm_meters[i].name);
		CHECK(cfg.dlm_meter == (int)i);
		CHECK(dlm_meter_preset(dlm_meters[i].name) == dlm_meters[i].preset);
		if (dlm_meters[i].preset)
			CHECK_STR(dlm_meters[i].preset->name, dlm_meters[i].name);
		generic += !dlm_meters[i].preset && dlm_meters[i].kind == DLM_METER_GENERIC;
	}
	CHECK(generic == 1);
	for (size_t i = 0; i < STATION_SRC_NKINDS; i++) {
		set("station_source", station_src_kinds[i].name);
		CHECK_STR(config_get(&cfg, "station_source", buf, sizeof buf), station_src_kinds[i].name);
		CHECK_STR(station_src_kind_str(station_src_kinds[cfg.station_source].kind),
			  station_src_kinds[i].name);
	}
	char err[256];
	CHECK(config_set(&cfg, "dlm_sensor", "zigbee", err, sizeof err) == -1);
	CHECK_CONTAINS(err, "sim api modbus-tcp modbus-rtu");
	fresh();
}

/* Charging modes: either spelling in; the station answers its name, a
 * charger's setting its own. */
static void test_charging_modes(void)
{
	static const struct {
		const char *in, *station, *charger;
	} cs[] = {
		{ "fast", "fast", "fast" },
		{ "solarBoost", "solarBoost", "solarBoost" },
		{ "pv100", "pv100", "pv" },
		{ "pv", "pv100", "pv" },
	};
	char err[128];
	for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
		station_ev_mode m;
		CHECK(station_ev_mode_parse(cs[i].in, &m) == 0);
		CHECK_STR(station_ev_mode_name(m), cs[i].station);
		CHECK_STR(station_ev_mode_charger(m), cs[i].charger);
		struct charger_settings s;
		charger_settings_default(&s);
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "chargingMode", cs[i].in);
		CHECK(charger_settings_parse(&s, j, err, sizeof err) == 0);
		CHECK_STR(s.charging_mode, cs[i].charger);
		cJSON_Delete(j);
	}
	station_ev_mode m;
	CHECK(station_ev_mode_parse("solar", &m) != 0 && station_ev_mode_parse(NULL, &m) != 0);
	struct charger_settings s;
	charger_settings_default(&s);
	CHECK_STR(s.charging_mode, "fast");
	cJSON *j = cJSON_Parse("{\"chargingMode\":\"solar\"}");
	CHECK(charger_settings_parse(&s, j, err, sizeof err) == -1);
	CHECK_CONTAINS(err, "chargingMode");
	cJSON_Delete(j);
}

int main(void)
{
	fresh();
	test_table();
	test_set_num();
	test_bounds();
	test_control_check();
	test_energy_check();
	test_vocabularies();
	test_charging_modes();
	config_free(&cfg);
	return CHECK_DONE();
}
