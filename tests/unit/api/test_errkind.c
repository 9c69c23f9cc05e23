/* test_errkind.c: refusals without HTTP (issue 10). The one table in
 * api/admin.c from an err_kind to a status and an error code, and the glue's
 * domain functions (control.c, energy.c) called directly: each refusal has
 * its kind and names the field, and a refused change changes nothing. */
#include "admin.h"
#include "charger.h"
#include "config.h"
#include "control.h"
#include "csms.h"
#include "energy.h"
#include "errkind.h"
#include "store.h"
#include "test_db.h"
#include "timeutil.h"
#include "check.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Every kind has a row; statuses and codes are distinct; the codes are
 * those the API has always answered with. */
static void test_table(void)
{
	static const struct {
		enum err_kind kind;
		int status;
		const char *code;
	} want[] = {
		{ ERR_BAD_REQUEST, 400, "BadRequest" }, { ERR_NOT_FOUND, 404, "NotFound" },
		{ ERR_CONFLICT, 409, "Conflict" },      { ERR_UNAVAILABLE, 503, "Unavailable" },
		{ ERR_INTERNAL, 500, "InternalError" },
	};
	CHECK(sizeof want / sizeof want[0] == ERR_KINDS);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const char *code = NULL;
		CHECK(admin_err_answer(want[i].kind, &code) == want[i].status);
		CHECK_STR(code, want[i].code);
	}
	for (int a = 0; a < ERR_KINDS; a++)
		for (int b = 0; b < a; b++) {
			const char *ca = NULL, *cb = NULL;
			int sa = admin_err_answer((enum err_kind)a, &ca),
			    sb = admin_err_answer((enum err_kind)b, &cb);
			CHECK(sa != sb);
			CHECK(ca && cb && strcmp(ca, cb) != 0);
			CHECK(sa >= 400 && sa <= 599);
		}
	/* a kind from nowhere is our fault, not the client's */
	const char *code = NULL;
	CHECK(admin_err_answer((enum err_kind)ERR_KINDS, &code) == 500);
	CHECK_STR(code, "InternalError");
	CHECK(admin_err_answer((enum err_kind) - 1, &code) == 500);
}

/* err_set: -1, the kind, the message cut where http_verror cuts it. */
static void test_set(void)
{
	struct err_info e;
	char big[1000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	CHECK(err_set(&e, ERR_CONFLICT, "%s: %d", "a", 7) == -1);
	CHECK(e.kind == ERR_CONFLICT);
	CHECK_STR(e.msg, "a: 7");
	CHECK(err_set(&e, ERR_BAD_REQUEST, "%s", big) == -1);
	CHECK(strlen(e.msg) == ERR_MSG_MAX - 1 && ERR_MSG_MAX == 512);
	CHECK(err_set(NULL, ERR_INTERNAL, "nobody asks") == -1);
}

static struct csms app;

static int put_dlm(const char *json, struct err_info *e)
{
	cJSON *b = cJSON_Parse(json);
	CHECK(b != NULL);
	int rc = control_apply_settings(&app, b, e);
	cJSON_Delete(b);
	return rc;
}

static double dlm_number(const char *field)
{
	cJSON *s = control_status_json(&app);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, field);
	double d = cJSON_IsNumber(v) ? v->valuedouble : NAN;
	cJSON_Delete(s);
	return d;
}

static int meta_absent(const char *key)
{
	char buf[4096];
	return store_meta_get(app.store, key, buf, sizeof buf) == 1;
}

/* control.c without HTTP: PUT /api/v1/dlm's and /readings' work. */
static void test_control(void)
{
	struct err_info e;
	char meta[4096] = "";
	/* out of range: the field by its API name, nothing set, nothing kept */
	CHECK(put_dlm("{\"breakerA\":5000}", &e) == -1);
	CHECK(e.kind == ERR_BAD_REQUEST);
	CHECK_CONTAINS(e.msg, "breakerA: ");
	CHECK_CONTAINS(e.msg, "1 to 1000");
	CHECK(app.cfg.dlm_breaker_a == 25 && dlm_number("breakerA") == 25);
	CHECK(meta_absent("dlm"));
	/* each field fine, the whole not (margin over the breaker): the first
	 * field set is undone too */
	CHECK(put_dlm("{\"breakerA\":20,\"marginA\":30}", &e) == -1);
	CHECK(e.kind == ERR_BAD_REQUEST);
	CHECK_CONTAINS(e.msg, "marginA");
	CHECK(app.cfg.dlm_breaker_a == 25 && app.cfg.dlm_margin_a == 1);
	CHECK(meta_absent("dlm"));
	CHECK(put_dlm("{\"nope\":1}", &e) == -1 && e.kind == ERR_BAD_REQUEST);
	CHECK_STR(e.msg, "nope: unknown field");
	CHECK(put_dlm("{\"sensor\":{\"colour\":1}}", &e) == -1 && e.kind == ERR_BAD_REQUEST);
	CHECK_STR(e.msg, "sensor.colour: unknown field");
	CHECK(put_dlm("{\"breakerA\":\"32\"}", &e) == -1);
	CHECK_STR(e.msg, "breakerA: wrong type");
	CHECK(put_dlm("[]", &e) == -1);
	CHECK_STR(e.msg, "body: a JSON object");
	/* accepted: in force, in GET, kept for the next start */
	CHECK(put_dlm("{\"breakerA\":32}", &e) == 0);
	CHECK(app.cfg.dlm_breaker_a == 32 && dlm_number("breakerA") == 32);
	CHECK(store_meta_get(app.store, "dlm", meta, sizeof meta) == 0);
	CHECK_CONTAINS(meta, "\"dlm_breaker_a\":\"32\"");

	/* readings: refused by shape, then one taken at once */
	cJSON *b = cJSON_Parse("{\"current\":[1,2]}");
	CHECK(control_push_readings(&app, b, &e) == -1 && e.kind == ERR_BAD_REQUEST);
	CHECK_STR(e.msg, "current: three numbers in A within +-1000");
	cJSON_Delete(b);
	b = cJSON_Parse("{\"current\":[4,5,6.5],\"power\":1200}");
	CHECK(control_accepts_readings(&app, &e) == 0);
	CHECK(control_push_readings(&app, b, &e) == 0);
	cJSON *s = control_status_json(&app);
	char *text = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(s, "grid"));
	CHECK_CONTAINS(text, "\"current\":[4,5,6.5]");
	CHECK_CONTAINS(text, "\"power\":1200");
	free(text);
	cJSON_Delete(s);
	/* a sensor that is not the API's: a conflict, whatever the body */
	char err[256];
	CHECK(config_set(&app.cfg, "dlm_sensor", "sim", err, sizeof err) == 0);
	CHECK(control_accepts_readings(&app, &e) == -1 && e.kind == ERR_CONFLICT);
	CHECK_STR(e.msg, "dlm_sensor is sim, not api");
	CHECK(control_push_readings(&app, b, &e) == -1 && e.kind == ERR_CONFLICT);
	CHECK(config_set(&app.cfg, "dlm_sensor", "api", err, sizeof err) == 0);
	cJSON_Delete(b);
}

static cJSON *parse(const char *json)
{
	cJSON *j = cJSON_Parse(json);
	CHECK(j != NULL);
	return j;
}

/* The kept text of a meta key is "" (a removed station's) or absent. */
static int meta_empty(const char *key)
{
	char buf[64];
	int rc = store_meta_get(app.store, key, buf, sizeof buf);
	return rc == 1 || (rc == 0 && !buf[0]);
}

static int count_active(void *arg, const struct store_alarm_row *r)
{
	if (!strcmp(r->a.source, "stationSource@garage"))
		(*(int *)arg)++;
	return 0;
}

/* Active "stationSource@garage" alarms in the store. */
static int garage_source_alarms(void)
{
	int n = 0;
	store_alarm_each(app.store, 1, NULL, 100, count_active, &n);
	return n;
}

static const char *str_at(const cJSON *o, const char *a, const char *b)
{
	return cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, a), b));
}

/* What the review of the station per site found: a site's GET shows its
 * own prices (they were the default site's), a refused PUT of a new source
 * leaves a raised alarm raised (it cleared it), and a source change keeps
 * each setting's origin (it said "default" for one set through the API). */
static void test_site_station_review(void)
{
	struct err_info e;
	int created;
	cJSON *b = parse("{\"inverterMaxW\":7000}");
	CHECK(energy_site_put(&app, "garage", b, &created, &e) == 0);
	cJSON_Delete(b);
	struct energy *g = energy_of(&app, "garage");
	b = parse("{\"start\":\"2024-01-01T00:00:00Z\",\"slotS\":3600,\"importPrice\":[0.77,0.66]}");
	CHECK(energy_set_prices(g, b, &e) == 0);
	cJSON_Delete(b);
	cJSON *o = energy_status_json(g);
	const cJSON *ip = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "prices"),
							   "importPrice");
	CHECK(cJSON_GetArraySize(ip) == 2 && fabs(cJSON_GetArrayItem(ip, 0)->valuedouble - 0.77) < 1e-9 &&
	      fabs(cJSON_GetArrayItem(ip, 1)->valuedouble - 0.66) < 1e-9);
	CHECK_STR(str_at(o, "origin", "inverterMaxW"), "api");
	cJSON_Delete(o);
	/* a measurement older than station_stale_s: the step runs on safe
	 * outputs and the source's alarm is raised */
	char ts[40], body[200];
	int64_t t0 = app.now_ms;
	time_format_iso(app.now_ms - (int64_t)(app.cfg.station_stale_s * 1000) - 10000, ts, sizeof ts);
	snprintf(body, sizeof body, "{\"pv_w\":100,\"soc_pct\":50,\"load_w\":300,\"timestamp\":\"%s\"}", ts);
	b = parse(body);
	CHECK(energy_push_measurements(g, b, &e) == 0);
	cJSON_Delete(b);
	CHECK(garage_source_alarms() == 1);
	/* a refused PUT with a new source: the alarm stays */
	b = parse("{\"mode\":\"warp\",\"source\":{\"type\":\"modbus\",\"host\":\"127.0.0.1\",\"port\":1}}");
	CHECK(energy_site_put(&app, "garage", b, &created, &e) == -1 && e.kind == ERR_BAD_REQUEST);
	cJSON_Delete(b);
	CHECK(energy_of(&app, "garage") == g);
	CHECK(garage_source_alarms() == 1);
	app.now_ms += 2000;
	energy_tick(&app);
	CHECK(garage_source_alarms() == 1);
	/* a source change that is taken: the settings' origin stays "api" */
	b = parse("{\"source\":{\"type\":\"modbus\",\"host\":\"127.0.0.1\",\"port\":1,\"pollMs\":1000}}");
	CHECK(energy_site_put(&app, "garage", b, &created, &e) == 0 && created == 0);
	cJSON_Delete(b);
	g = energy_of(&app, "garage");
	o = energy_status_json(g);
	CHECK_STR(str_at(o, "origin", "inverterMaxW"), "api");
	CHECK_STR(str_at(o, "source", "type"), "modbus");
	CHECK(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
		      cJSON_GetObjectItemCaseSensitive(o, "settings"), "inverterMaxW")) == 7000);
	/* the prices went with it */
	ip = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "prices"), "importPrice");
	CHECK(cJSON_GetArraySize(ip) == 2 && fabs(cJSON_GetArrayItem(ip, 0)->valuedouble - 0.77) < 1e-9);
	cJSON_Delete(o);
	CHECK(energy_site_delete(&app, "garage", &e) == 0);
	CHECK(garage_source_alarms() == 0);
	app.now_ms = t0;
}

/* A site's own station (issue 15, item 4): made, refused, changed and
 * removed through energy.c; a refusal makes nothing and keeps nothing. */
static void test_site_stations(void)
{
	struct err_info e;
	int created = -1;
	cJSON *b = parse("{\"mode\":\"selfConsumption\"}");
	CHECK(energy_site_put(&app, "garage", b, &created, &e) == -1 && e.kind == ERR_NOT_FOUND);
	CHECK_STR(e.msg, "no site garage (GET /api/v1/sites lists them)");
	CHECK(store_site_put(app.store, "garage", "Garage", "{}", app.now_ms) == 1);
	CHECK(energy_of(&app, "garage") == NULL);
	CHECK(energy_site_station(&app, "garage", &e) == -1 && e.kind == ERR_NOT_FOUND);
	cJSON_Delete(b);
	/* refused: nothing made, nothing kept */
	static const struct {
		const char *body, *msg;
	} bad[] = {
		{ "{\"source\":{\"type\":\"sim\"}}", "source.type: " },
		{ "{\"source\":{\"type\":\"api\",\"host\":\"x\"}}",
		  "source: an api source takes no other field" },
		{ "{\"source\":{\"type\":\"modbus\"}}", "source.host: " },
		{ "{\"source\":{\"type\":\"modbus\",\"host\":\"h\",\"port\":0}}", "source.port: " },
		{ "{\"source\":{\"type\":\"modbus\",\"host\":\"h\",\"map\":\"nope\"}}", "source.map: " },
		{ "{\"source\":{\"type\":\"api\",\"colour\":1}}", "source.colour: unknown field" },
		{ "{\"source\":\"api\"}", "source: an object" },
		{ "{\"mode\":\"warp\"}", "mode" },
		{ "{\"battery\":{\"capacityWh\":-1}}", "battery.capacityWh" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		b = parse(bad[i].body);
		CHECK(energy_site_put(&app, "garage", b, &created, &e) == -1 && e.kind == ERR_BAD_REQUEST);
		CHECK_CONTAINS(e.msg, bad[i].msg);
		CHECK(energy_of(&app, "garage") == NULL);
		CHECK(meta_empty("station_source@garage") && meta_empty("station@garage"));
		cJSON_Delete(b);
	}
	/* made: api source by default, settings kept */
	b = parse("{\"mode\":\"tou\"}");
	CHECK(energy_site_put(&app, "garage", b, &created, &e) == 0 && created == 1);
	cJSON_Delete(b);
	struct energy *g = energy_of(&app, "garage");
	CHECK(g != NULL && g != app.energy && energy_site_station(&app, "garage", &e) == 0);
	CHECK(!meta_empty("station_source@garage") && !meta_empty("station@garage"));
	cJSON *o = energy_status_json(g);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "site")), "garage");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "mode")), "tou");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
			  cJSON_GetObjectItemCaseSensitive(o, "source"), "type")),
		  "api");
	cJSON_Delete(o);
	/* the default station is another one: its mode did not move */
	o = energy_status_json(app.energy);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "mode")), "selfConsumption");
	cJSON_Delete(o);
	/* measurements go to the garage's station only */
	b = parse("{\"pv_w\":4321,\"soc_pct\":50,\"load_w\":300}");
	CHECK(energy_push_measurements(g, b, &e) == 0);
	cJSON_Delete(b);
	o = energy_source_json(app.energy);
	CHECK(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
		      cJSON_GetObjectItemCaseSensitive(o, "measurements"), "pvW")) != 4321);
	cJSON_Delete(o);
	/* changed: 200, the same station; a bad change changes nothing */
	b = parse("{\"mode\":\"selfConsumption\"}");
	CHECK(energy_site_put(&app, "garage", b, &created, &e) == 0 && created == 0);
	CHECK(energy_of(&app, "garage") == g);
	cJSON_Delete(b);
	b = parse("{\"mode\":\"tou\",\"source\":{\"type\":\"modbus\"}}");
	CHECK(energy_site_put(&app, "garage", b, &created, &e) == -1 && e.kind == ERR_BAD_REQUEST);
	CHECK(energy_of(&app, "garage") == g);
	cJSON_Delete(b);
	o = energy_status_json(g);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "mode")), "selfConsumption");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
			  cJSON_GetObjectItemCaseSensitive(o, "source"), "type")),
		  "api");
	cJSON_Delete(o);
	/* the default site: "source" refused; its station cannot be deleted */
	b = parse("{\"source\":{\"type\":\"api\"}}");
	CHECK(energy_site_put(&app, "default", b, &created, &e) == -1 && e.kind == ERR_BAD_REQUEST);
	CHECK_CONTAINS(e.msg, "source: the default site's source is the station_source setting");
	cJSON_Delete(b);
	CHECK(energy_site_delete(&app, "default", &e) == -1 && e.kind == ERR_CONFLICT);
	/* a restart of the stations (sync from the store) finds the kept one */
	energy_sync_sites(&app);
	CHECK(energy_of(&app, "garage") == g);
	/* removed: gone with what is kept */
	CHECK(energy_site_delete(&app, "garage", &e) == 0);
	CHECK(energy_of(&app, "garage") == NULL);
	CHECK(meta_empty("station_source@garage") && meta_empty("station@garage"));
	CHECK(energy_site_delete(&app, "garage", &e) == -1 && e.kind == ERR_NOT_FOUND);
	energy_sync_sites(&app);
	CHECK(energy_of(&app, "garage") == NULL);
	/* made again from the store: what another node (or a restart) sees */
	CHECK(store_meta_set(app.store, "station_source@garage", "{\"type\":\"api\"}") == 0);
	CHECK(store_meta_set(app.store, "station@garage", "{\"mode\":\"feedIn\"}") == 0);
	energy_sync_sites(&app);
	g = energy_of(&app, "garage");
	CHECK(g != NULL);
	o = energy_status_json(g);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "mode")), "feedIn");
	cJSON_Delete(o);
	/* changed by another node: read again */
	CHECK(store_meta_set(app.store, "station@garage", "{\"mode\":\"tou\"}") == 0);
	energy_sync_sites(&app);
	CHECK(energy_of(&app, "garage") == g);
	o = energy_status_json(g);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "mode")), "tou");
	cJSON_Delete(o);
	/* removed by another node */
	CHECK(store_meta_set(app.store, "station_source@garage", "") == 0);
	energy_sync_sites(&app);
	CHECK(energy_of(&app, "garage") == NULL);
	test_site_station_review();
}

/* energy.c without HTTP, before the station runs and with an api source. */
static void test_energy(void)
{
	struct err_info e;
	cJSON *b = parse("{\"mode\":\"selfConsumption\"}");
	CHECK(energy_running(app.energy, &e) == -1 && e.kind == ERR_UNAVAILABLE);
	CHECK_STR(e.msg, "the station is not running");
	CHECK(energy_status_json(app.energy) == NULL);
	CHECK(energy_apply_settings(app.energy, b, &e) == -1 && e.kind == ERR_UNAVAILABLE);
	CHECK(energy_set_prices(app.energy, b, &e) == -1 && e.kind == ERR_UNAVAILABLE);
	CHECK(energy_accepts_measurements(app.energy, &e) == -1 && e.kind == ERR_CONFLICT);
	CHECK_STR(e.msg, "station_source is off, not api");
	cJSON_Delete(b);

	char err[256];
	CHECK(config_set(&app.cfg, "station_source", "api", err, sizeof err) == 0);
	CHECK(energy_init(&app, err, sizeof err) == 0);
	CHECK(energy_running(app.energy, &e) == 0 && energy_accepts_measurements(app.energy, &e) == 0);
	/* a setpoint outside remoteEms: a conflict, and the mode stays */
	b = parse("{\"remoteEms\":{\"setpointW\":100}}");
	CHECK(energy_apply_settings(app.energy, b, &e) == -1 && e.kind == ERR_CONFLICT);
	CHECK_CONTAINS(e.msg, "remoteEms.setpointW: the mode is ");
	CHECK(meta_absent("station"));
	cJSON_Delete(b);
	b = parse("{\"pv_w\":100,\"soc_pct\":101,\"load_w\":300}");
	CHECK(energy_push_measurements(app.energy, b, &e) == -1 && e.kind == ERR_BAD_REQUEST);
	CHECK_STR(e.msg, "soc_pct: a number from 0 to 100");
	cJSON_Delete(b);
	b = parse("{\"pv_w\":100,\"soc_pct\":50,\"load_w\":300}");
	CHECK(energy_push_measurements(app.energy, b, &e) == 0);
	cJSON *o = energy_step_json(app.energy);
	CHECK(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(o, "outputs")));
	CHECK(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(o, "live")));
	cJSON_Delete(o);
	cJSON_Delete(b);
	/* prices: a refused list leaves none in force; an accepted one is summed up */
	b = parse("{\"start\":\"2024-01-01T00:10:00Z\",\"importPrice\":[0.1]}");
	CHECK(energy_set_prices(app.energy, b, &e) == -1 && e.kind == ERR_BAD_REQUEST);
	CHECK_STR(e.msg, "start: must be on a full hour boundary");
	CHECK(energy_prices_json(app.energy) == NULL && meta_absent("station_prices"));
	cJSON_Delete(b);
	b = parse("{\"start\":\"2024-01-01T00:00:00Z\",\"slotS\":900,\"importPrice\":[0.1,0.2,0.3]}");
	CHECK(energy_set_prices(app.energy, b, &e) == 0);
	cJSON_Delete(b);
	o = energy_prices_json(app.energy);
	char *text = cJSON_PrintUnformatted(o);
	CHECK_STR(text,
		  "{\"start\":\"2024-01-01T00:00:00.000Z\",\"slotS\":900,\"count\":3,"
		  "\"end\":\"2024-01-01T00:45:00.000Z\"}");
	free(text);
	cJSON_Delete(o);
	CHECK(!meta_absent("station_prices"));
	test_site_stations();
	energy_free(&app);
}

int main(void)
{
	char path[] = "/tmp/csms-test-errkind-XXXXXX", err[256];
	test_table();
	test_set();
	CHECK(config_load(&app.cfg, 1, (char *[]){ "csmsd", NULL }) == 0);
	CHECK(config_set(&app.cfg, "dlm_sensor", "api", err, sizeof err) == 0);
	app.store = test_db_open(path);
	app.chargers = charger_registry_new();
	app.now_ms = time_now_ms();
	CHECK(app.store != NULL && app.chargers != NULL);
	if (app.store && app.chargers) {
		CHECK(control_init(&app, err, sizeof err) == 0);
		test_control();
		control_free(&app);
		test_energy();
	}
	store_close(app.store);
	charger_registry_free(app.chargers);
	config_free(&app.cfg);
	unlink(path);
	return CHECK_DONE();
}
