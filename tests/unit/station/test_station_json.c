/* test_station_json.c: the settings JSON codec: the reference file parses,
 * print -> parse is the identity, partial updates, unknown keys and bad
 * values are named, remote EMS confirmation, live output shape. */
#include "station_json.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = calloc(1, 1 << 16);
	if (buf && fread(buf, 1, (1 << 16) - 1, f) == 0) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void expect_error(const char *json, const char *needle)
{
	station_config c;
	station_config_defaults(&c);
	station_config before = c;
	char err[256] = "";
	int rc = station_json_parse(json, &c, NULL, err, sizeof(err));
	CHECK(rc == STATION_EINVAL && strstr(err, needle), "%s -> '%s' (want '%s')", json, err, needle);
	CHECK(memcmp(&before, &c, sizeof(c)) == 0, "%s: config untouched on error", json);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	char path[1024], err[256] = "";
	snprintf(path, sizeof(path), "%s/settings.json", dir);
	char *text = slurp(path);
	CHECK(text != NULL, "read %s", path);
	station_config *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	if (!text || !a || !b)
		return 1;
	station_config_defaults(a);
	CHECK(station_json_parse(text, a, NULL, err, sizeof(err)) == 0, "reference settings: %s", err);
	CHECK(a->mode == STATION_MODE_SELF_CONSUMPTION && a->battery.capacity_wh == 10000 && a->n_tou == 2 &&
		      a->tou[0].charge && a->tou[0].w.start_min == 22 * 60 &&
		      a->tou[0].max_grid_charge_w == 3000 && a->tou[1].max_discharge_w == 5000 &&
		      a->n_chargers == 1 && a->chargers[0].mode == STATION_EV_PV100 &&
		      strcmp(a->chargers[0].id, "CP1") == 0 && a->n_smart_loads == 1 &&
		      a->smart_loads[0].mode == STATION_LOAD_AUTO_SOC && a->weather_factor < 0 &&
		      a->n_shed == 1,
	      "fields read");

	/* print -> parse -> print is the identity */
	char *p1 = station_json_print(a);
	station_config_defaults(b);
	CHECK(p1 && station_json_parse(p1, b, NULL, err, sizeof(err)) == 0, "printed settings parse: %s",
	      err);
	char *p2 = station_json_print(b);
	CHECK(p1 && p2 && strcmp(p1, p2) == 0, "round trip");
	CHECK(p1 && strstr(p1, "\"maxPeakPowerW\"") && strstr(p1, "\"gridChargeCutoffSocPct\""),
	      "names as documented");
	free(p1);
	free(p2);

	/* partial update: only the keys given change; arrays replace */
	*b = *a;
	CHECK(station_json_parse("{\"battery\":{\"backupReservePct\":25},\"chargers\":[]}", b, NULL, err,
				 sizeof(err)) == 0,
	      "partial: %s", err);
	CHECK(b->battery.backup_reserve_pct == 25 && b->battery.capacity_wh == 10000 && b->n_chargers == 0 &&
		      b->n_tou == 2,
	      "partial update");
	CHECK(station_json_parse("{\"tou\":{\"periods\":[{\"start\":\"01:00\",\"end\":\"05:30\",\"weekdays\":"
				 "\"mon-fri\","
				 "\"type\":\"charge\",\"maxImportW\":null}]}}",
				 b, NULL, err, sizeof(err)) == 0,
	      "tou: %s", err);
	CHECK(b->n_tou == 1 && b->tou[0].w.end_min == 330 && b->tou[0].w.weekdays == 0x1f &&
		      b->tou[0].max_import_w == STATION_UNLIMITED &&
		      b->tou[0].grid_charge_cutoff_soc_pct == 100,
	      "tou period with defaults");
	CHECK(station_json_parse("{\"tou\":{\"periods\":[{\"weekdays\":[\"sat\",\"sun\"]}]}}", b, NULL, err,
				 sizeof(err)) == 0 &&
		      b->tou[0].w.weekdays == 0x60,
	      "weekday array");

	/* errors name the key */
	expect_error("{\"batery\":{}}", "unknown key 'batery'");
	expect_error("{\"battery\":{\"capacity\":1}}", "unknown key 'battery.capacity'");
	expect_error("{\"battery\":{\"capacityWh\":\"big\"}}", "'battery.capacityWh'");
	expect_error("{\"battery\":{\"roundTripEfficiency\":1.5}}", "'battery.roundTripEfficiency'");
	expect_error("{\"mode\":\"turbo\"}", "'mode'");
	expect_error("{\"chargers\":[{\"phases\":2}]}", "chargers.phases");
	expect_error("{\"chargers\":[{\"maxCurrentA\":5}]}", "chargers.maxCurrentA");
	expect_error("{\"chargers\":[{\"id\":\"x\",\"colour\":1}]}", "unknown key 'chargers[0].colour'");
	expect_error("{\"tou\":{\"periods\":[{\"start\":\"25:00\"}]}}", "tou.periods[0].start");
	expect_error("{\"offPeakPeriods\":[{\"weekdays\":\"mon-xyz\"}]}", "offPeakPeriods[0].weekdays");
	expect_error("{\"optimise\":{\"horizonH\":72}}", "optimise.horizonH");
	expect_error("{\"confirm\":1}", "'confirm'");
	expect_error("[1,2]", "object");
	expect_error("{\"mode\":", "JSON");

	/* dated outages: ISO 8601 with an offset in, UTC out; bad dates and
	 * an end before its start refused */
	*b = *a;
	CHECK(station_json_parse("{\"loadShedding\":{\"outages\":[{\"start\":\"2026-12-05T16:00:00+02:00\","
				 "\"end\":\"2026-12-05T18:30:00+02:00\"}]}}",
				 b, NULL, err, sizeof(err)) == 0 &&
		      b->n_outages == 1 && b->outages[0].start_ms == 1796479200000LL &&
		      b->outages[0].end_ms == 1796479200000LL + 9000000LL,
	      "an outage read: %s", err);
	{
		cJSON *o = station_json_from_config(b);
		char *t = o ? cJSON_PrintUnformatted(o) : NULL;
		CHECK(t &&
			      strstr(t,
				     "\"outages\":[{\"start\":\"2026-12-05T14:00:00.000Z\",\"end\":"
				     "\"2026-12-05T16:30:00.000Z\"}]"),
		      "an outage printed in UTC: %s", t ? strstr(t, "outages") : "(null)");
		free(t);
		cJSON_Delete(o);
	}
	expect_error("{\"loadShedding\":{\"outages\":[{\"start\":\"tomorrow\",\"end\":\"2026-12-05T18:00:"
		     "00Z\"}]}}",
		     "loadShedding.outages[0].start': an ISO 8601 date-time");
	expect_error("{\"loadShedding\":{\"outages\":[{\"start\":\"2026-12-05T18:00:00Z\",\"end\":\"2026-12-"
		     "05T17:00:00Z\"}]}}",
		     "each end after its start");
	expect_error("{\"loadShedding\":{\"outages\":[{\"start\":\"2026-12-05T18:00:00Z\"}]}}",
		     "each end after its start");
	expect_error("{\"loadShedding\":{\"outages\":[{\"start\":\"2026-12-05T18:00:00Z\",\"end\":\"2026-12-"
		     "07T18:00:00Z\"}]}}",
		     "at most 24 h");

	/* remote EMS: the confirmation flag is reported, not stored */
	bool confirm = false;
	*b = *a;
	CHECK(station_json_parse("{\"mode\":\"remoteEms\",\"confirm\":true}", b, &confirm, err,
				 sizeof(err)) == 0 &&
		      confirm && b->mode == STATION_MODE_REMOTE_EMS,
	      "confirm read");
	CHECK(station_config_check_change(a, b, confirm) == 0, "confirmed change accepted");
	CHECK(station_config_check_change(a, b, false) == STATION_ECONFIRM, "unconfirmed change refused");

	/* live output */
	station_state *st = calloc(1, sizeof(*st));
	station_input in;
	station_output out;
	memset(&in, 0, sizeof(in));
	in.pv_w = 3000;
	in.load_w = 500;
	in.soc_pct = 50;
	in.on_grid = true;
	station_state_init(st, a);
	station_step(a, st, &in, 1718625600000LL, &out);
	cJSON *live = station_json_from_output(a, &in, &out);
	CHECK(live && cJSON_GetObjectItem(live, "batW") && cJSON_GetObjectItem(live, "gridW") &&
		      cJSON_GetArraySize(cJSON_GetObjectItem(live, "chargers")) == 1,
	      "live flows");
	cJSON_Delete(live);
	free(st);
	free(text);
	free(a);
	free(b);
	T_DONE();
}
