/* test_charger.c: the charger registry's lifetimes: an entry that is not
 * accepted goes with its last connection, a removed one lives until then,
 * the sweep frees what lookups loaded, and charger_admit's bound on
 * pending plus unknown chargers. Run under ASan, a wrong free shows.
 * Also what a charger says of itself (GetConfiguration keys -> caps),
 * kept over a restart, and the settings phaseSwitching and kind; the live
 * values and the energy register read from sampled values. */
#include "charger.h"
#include "store.h"
#include "check.h"
#include "test_db.h"

#include <math.h>
#include <stdlib.h>
#include <unistd.h>

static int in_registry(struct charger_registry *r, const char *id)
{
	for (struct charger *c = charger_first(r); c; c = c->next)
		if (!strcmp(c->id, id))
			return 1;
	return 0;
}

static cJSON *keys(const char *json)
{
	cJSON *j = cJSON_Parse(json);
	CHECK(j != NULL);
	return j;
}

static void test_caps(struct store *st)
{
	struct charger_caps c;
	charger_caps_default(&c);
	CHECK(c.units == 0 && c.smart == -1 && c.switch3to1 == -1 && c.wired_phases == 0);
	cJSON *k = keys("[{\"key\":\"ChargingScheduleAllowedChargingRateUnit\",\"value\":\"Power\"},"
			"{\"key\":\"SupportedFeatureProfiles\",\"value\":\"Core, RemoteTrigger\"},"
			"{\"key\":\"ConnectorPhaseRotation\",\"value\":\"0.RST,1.NotApplicable\"},"
			"{\"key\":\"ConnectorSwitch3to1PhaseSupported\",\"value\":\"TRUE\"}]");
	CHECK(charger_caps_from_config(&c, k) == 1);
	CHECK(c.units == CHARGER_UNIT_W && c.smart == 0 && c.wired_phases == 1 && c.switch3to1 == 1);
	CHECK(charger_caps_from_config(&c, k) == 0); /* the same again: nothing changed */
	cJSON_Delete(k);
	k = keys("[{\"key\":\"ChargingScheduleAllowedChargingRateUnit\",\"value\":\"Current,Power\"},"
		 "{\"key\":\"SupportedFeatureProfiles\",\"value\":\"Core,SmartChargingX\"},"
		 "{\"key\":\"ConnectorPhaseRotation\",\"value\":\"1.RST,2.TSR\"}]");
	charger_caps_from_config(&c, k);
	CHECK(c.units == (CHARGER_UNIT_A | CHARGER_UNIT_W) && c.smart == 0 && c.wired_phases == 3);
	cJSON_Delete(k);
	k = keys("[{\"key\":\"SupportedFeatureProfiles\",\"value\":\"Core,SmartCharging\"},"
		 "{\"key\":\"ConnectorPhaseRotation\",\"value\":\"1.RST,2.NotApplicable\"}]");
	charger_caps_from_config(&c, k);
	CHECK(c.smart == 1 && c.wired_phases == 0); /* mixed connectors: not known */
	cJSON_Delete(k);

	/* kept in the store: a restart knows it */
	struct charger_registry *r = charger_registry_new();
	CHECK(store_charger_create(st, "CAPS", REG_ACCEPTED, 1) >= 0);
	struct charger *ch = charger_get(r, st, "CAPS");
	CHECK(ch != NULL);
	ch->caps = c;
	ch->caps.units = CHARGER_UNIT_W;
	ch->caps.wired_phases = 1;
	ch->caps.phase_fault = 1;
	CHECK(charger_caps_save(st, ch) == 0);
	charger_registry_free(r);
	r = charger_registry_new();
	ch = charger_get(r, st, "CAPS");
	CHECK(ch && ch->caps.units == CHARGER_UNIT_W && ch->caps.smart == 1 && ch->caps.wired_phases == 1 &&
	      ch->caps.phase_fault == 1);
	/* what it may do: one phase wired, no switching; DC from the setting */
	CHECK(charger_phases(ch) == 1 && !charger_can_switch_phases(ch));
	ch->caps.wired_phases = 3;
	CHECK(charger_phases(ch) == 3 && !charger_can_switch_phases(ch)); /* none, and a fault */
	snprintf(ch->settings.phase_switching, sizeof ch->settings.phase_switching, "profile");
	CHECK(!charger_can_switch_phases(ch));
	ch->caps.phase_fault = 0;
	CHECK(charger_can_switch_phases(ch));
	CHECK(!charger_is_dc(ch));
	ch->caps.dc_seen = 1;
	CHECK(charger_is_dc(ch) && !charger_can_switch_phases(ch));
	snprintf(ch->settings.kind, sizeof ch->settings.kind, "ac");
	CHECK(!charger_is_dc(ch));
	charger_registry_free(r);

	/* the settings: the words they take, 400-style errors naming them */
	struct charger_settings s;
	char err[160];
	charger_settings_default(&s);
	CHECK_STR(s.phase_switching, "none");
	CHECK_STR(s.kind, "auto");
	k = keys("{\"phaseSwitching\":\"profile\",\"kind\":\"dc\"}");
	CHECK(charger_settings_parse(&s, k, err, sizeof err) == 0);
	CHECK_STR(s.phase_switching, "profile");
	CHECK_STR(s.kind, "dc");
	cJSON_Delete(k);
	k = keys("{\"phaseSwitching\":\"relay\"}");
	CHECK(charger_settings_parse(&s, k, err, sizeof err) == -1);
	CHECK_STR(err, "phaseSwitching: invalid value; one of none, profile");
	CHECK_STR(s.phase_switching, "profile");
	cJSON_Delete(k);
	k = keys("{\"kind\":3}");
	CHECK(charger_settings_parse(&s, k, err, sizeof err) == -1);
	CHECK_STR(err, "kind: invalid value; one of auto, ac, dc");
	cJSON_Delete(k);
	cJSON *j = charger_settings_json(&s);
	CHECK_STR(cJSON_GetObjectItem(j, "phaseSwitching")->valuestring, "profile");
	CHECK_STR(cJSON_GetObjectItem(j, "kind")->valuestring, "dc");
	cJSON_Delete(j);
}

/* charger_registry_signature: changes with what a state feed shows (status,
 * transaction, mode, maximum, connected), not with a measurement. */
static void test_signature(struct store *st)
{
	struct charger_registry *r = charger_registry_new();
	CHECK(store_charger_create(st, "SIG", REG_ACCEPTED, 1) >= 0);
	struct charger *ch = charger_get(r, st, "SIG");
	CHECK(ch != NULL);
	uint64_t h0 = charger_registry_signature(r);
	CHECK(charger_registry_signature(r) == h0); /* the same state, the same hash */
	struct charger_conn *k = charger_conn_at(ch, 1);
	CHECK(k != NULL);
	uint64_t h1 = charger_registry_signature(r);
	snprintf(k->status, sizeof k->status, "Charging");
	uint64_t h2 = charger_registry_signature(r);
	CHECK(h2 != h1);
	k->tx_id = 7;
	uint64_t h3 = charger_registry_signature(r);
	CHECK(h3 != h2);
	k->live.power_w = 7200; /* a measurement: not a state change */
	CHECK(charger_registry_signature(r) == h3);
	snprintf(ch->settings.charging_mode, sizeof ch->settings.charging_mode, "pv");
	CHECK(charger_registry_signature(r) != h3);
	charger_registry_free(r);
}

/* charger_live_update and charger_energy_register: what a MeterValues'
 * sampled values set, by measurand, phase and unit; SignedData, bad
 * numbers and members that are not strings are passed over; of members
 * with the same name the first counts. */
static void test_live(struct store *st)
{
	struct charger_registry *r = charger_registry_new();
	CHECK(store_charger_create(st, "LIVE", REG_ACCEPTED, 1) >= 0);
	struct charger *ch = charger_get(r, st, "LIVE");
	CHECK(ch != NULL);
	cJSON *sv = keys("["
			 "{\"value\":\"12.5\",\"unit\":\"kWh\"},"
			 "{\"value\":\"7.2\",\"measurand\":\"Power.Active.Import\",\"unit\":\"kW\"},"
			 "{\"value\":\"2300\",\"measurand\":\"Power.Active.Import\",\"phase\":\"L2\"},"
			 "{\"value\":\"16.1\",\"measurand\":\"Current.Import\",\"phase\":\"L1\"},"
			 "{\"value\":\"15.9\",\"measurand\":\"Current.Import\",\"phase\":\"L3-N\"},"
			 "{\"value\":\"231\",\"measurand\":\"Voltage\",\"phase\":\"L2-N\"},"
			 "{\"value\":\"230\",\"measurand\":\"Voltage\"},"
			 "{\"value\":\"55\",\"measurand\":\"SoC\",\"measurand\":\"Frequency\"},"
			 "{\"value\":\"99\",\"measurand\":\"Temperature\",\"format\":\"SignedData\"},"
			 "{\"value\":\"31.5C\",\"measurand\":\"Temperature\"},"
			 "{\"value\":\"x\",\"measurand\":\"Frequency\"},"
			 "{\"value\":50,\"measurand\":\"Frequency\"},"
			 "{\"value\":\"16\",\"measurand\":\"Current.Offered\",\"unit\":7}"
			 "]");
	charger_live_update(ch, 1, sv, 5000);
	const struct charger_live *l = &charger_conn_at(ch, 1)->live;
	CHECK(l->ts_ms == 5000);
	CHECK(l->energy_wh == 12500);
	CHECK(l->power_w == 7200);
	CHECK(l->power_phase_w[1] == 2300);
	CHECK(l->current_a[0] == 16.1 && l->current_a[2] == 15.9);
	CHECK(l->voltage_v[1] == 231 && l->voltage_any_v == 230);
	CHECK(l->soc_pct == 55);           /* the first measurand member */
	CHECK(l->temperature_c == 31.5);   /* trailing text: the number before it */
	CHECK(isnan(l->frequency_hz));     /* "x" and a number member: passed over */
	CHECK(l->current_offered_a == 16); /* a unit that is not a string: none */
	double wh = 0;
	CHECK(charger_energy_register(sv, &wh) == 0 && wh == 12500);
	cJSON_Delete(sv);

	/* the register: no phase, a plain number, measurand absent or the register */
	static const char *const not_register[] = {
		"[{\"value\":\"5\",\"phase\":\"L1\"}]",
		"[{\"value\":\"5\",\"phase\":3}]",
		"[{\"value\":\"5\",\"measurand\":7}]",
		"[{\"value\":\"5\",\"measurand\":\"Power.Active.Import\"}]",
		"[{\"value\":\"5Wh\"}]",
		"[{\"value\":\"5\",\"format\":\"SignedData\"}]",
		"[{\"value\":5}]",
		"[]",
	};
	for (size_t i = 0; i < sizeof not_register / sizeof not_register[0]; i++) {
		sv = keys(not_register[i]);
		CHECK(charger_energy_register(sv, &wh) == -1);
		cJSON_Delete(sv);
	}
	sv = keys("[{\"value\":\"5\",\"measurand\":\"Voltage\"},"
		  "{\"value\":\"7.5\",\"measurand\":\"Energy.Active.Import.Register\",\"unit\":\"kWh\","
		  "\"format\":\"Raw\",\"value\":\"1\"}]");
	CHECK(charger_energy_register(sv, &wh) == 0 && wh == 7500);
	cJSON_Delete(sv);
	charger_registry_free(r);
}

/* charger_tx_meter: a transaction's running figures kept for the connection
 * that wrote them; a new connection reads them from the store again (the
 * charger may have been held by another node meanwhile). */
static void test_tx_meter(struct store *st)
{
	struct charger_registry *r = charger_registry_new();
	CHECK(store_charger_create(st, "TXM", REG_ACCEPTED, 1) >= 0);
	struct charger *ch = charger_get(r, st, "TXM");
	CHECK(ch != NULL);
	ch->links = 1;
	CHECK(charger_tx_meter(ch, 5) == NULL);
	struct store_tx_meter m = { .tx_id = 5, .connector = 2, .has_last = 1, .meter_last_wh = 1200 };
	snprintf(m.charger, sizeof m.charger, "TXM");
	charger_tx_meter_keep(ch, &m);
	struct store_tx_meter *k = charger_tx_meter(ch, 5);
	CHECK(k != NULL && k->meter_last_wh == 1200 && k->connector == 2);
	CHECK(charger_tx_meter(ch, 6) == NULL);
	m.meter_last_wh = 1300;
	charger_tx_meter_keep(ch, &m); /* the same slot, updated */
	CHECK(charger_tx_meter(ch, 5) == k && k->meter_last_wh == 1300);
	ch->links++; /* the charger connected again */
	CHECK(charger_tx_meter(ch, 5) == NULL);
	m.tx_id = 6;
	m.connector = 99; /* no such connector: nothing kept */
	charger_tx_meter_keep(ch, &m);
	CHECK(charger_tx_meter(ch, 6) == NULL);
	charger_registry_free(r); /* frees what was kept (ASan) */
}

int main(void)
{
	char path[] = "/tmp/csms-test-charger-XXXXXX";
	struct store *st = test_db_open(path);
	CHECK(st != NULL);
	test_signature(st);
	test_live(st);
	test_tx_meter(st);
	struct charger_registry *r = charger_registry_new();
	CHECK(r != NULL);

	/* An unknown id connects and leaves: nothing stays. */
	struct charger *c = charger_get(r, st, "U1");
	CHECK(c && c->reg == REG_UNKNOWN);
	charger_hold(c);
	CHECK(charger_count(r) == 1);
	charger_release(r, c);
	CHECK(charger_count(r) == 0 && !in_registry(r, "U1"));

	/* A replaced connection still closing keeps the entry. */
	c = charger_get(r, st, "U2");
	charger_hold(c);
	charger_hold(c);
	charger_release(r, c);
	CHECK(in_registry(r, "U2"));
	charger_release(r, c);
	CHECK(!in_registry(r, "U2"));

	/* An accepted charger stays after its connection. */
	CHECK(store_charger_create(st, "A1", REG_ACCEPTED, 1000) == 0);
	c = charger_get(r, st, "A1");
	CHECK(c && c->reg == REG_ACCEPTED);
	charger_hold(c);
	charger_release(r, c);
	CHECK(in_registry(r, "A1"));

	/* Removed while connected: out of the registry at once, freed at the release. */
	charger_hold(c);
	charger_remove(r, c);
	CHECK(!in_registry(r, "A1") && charger_count(r) == 0);
	CHECK(charger_find(r, st, "A1") != c); /* still in the store: loaded anew */
	charger_conn_at(c, 1)->tx_id = 7;      /* the session may still touch it */
	charger_release(r, c);
	CHECK(in_registry(r, "A1"));
	c = charger_find(r, st, "A1");
	charger_remove(r, c); /* not connected: freed now */
	CHECK(!in_registry(r, "A1"));

	/* Pending chargers loaded by lookups go at the sweep; connected ones stay. */
	CHECK(store_charger_create(st, "P1", REG_PENDING, 1000) == 0);
	CHECK(store_charger_create(st, "P2", REG_PENDING, 1000) == 0);
	CHECK(store_charger_create(st, "A2", REG_ACCEPTED, 1000) == 0);
	CHECK(charger_find(r, st, "P1") && charger_find(r, st, "A2"));
	struct charger *p2 = charger_get(r, st, "P2");
	charger_hold(p2);
	CHECK(charger_sweep(r) == 1);
	CHECK(!in_registry(r, "P1") && in_registry(r, "P2") && in_registry(r, "A2"));

	/* The bound: 2 pending in the store + unknown entries in memory. */
	CHECK(store_charger_count(st, REG_PENDING) == 2);
	CHECK(charger_admit(r, st, "NEW", 3) == 0);
	struct charger *u = charger_get(r, st, "U3");
	charger_hold(u);
	CHECK(charger_admit(r, st, "NEW", 3) == 1);
	CHECK(charger_admit(r, st, "P1", 3) == 0);  /* known in the store */
	CHECK(charger_admit(r, st, "U3", 3) == 0);  /* known in memory */
	CHECK(charger_admit(r, st, "NEW", 0) == 1); /* 0: only known ones */
	CHECK(charger_admit(r, st, "P1", 0) == 0);
	/* A boot makes it pending: counted in the store, no longer in memory. */
	charger_set_reg(r, u, REG_PENDING);
	CHECK(charger_admit(r, st, "NEW", 3) == 0);
	charger_set_reg(r, u, REG_UNKNOWN);
	charger_release(r, u); /* unknown leaves: room again */
	CHECK(charger_admit(r, st, "NEW", 3) == 0);
	CHECK(store_charger_set_registration(st, "P1", REG_ACCEPTED) == 0);
	CHECK(store_charger_count(st, REG_PENDING) == 1);

	charger_release(r, p2);
	CHECK(!in_registry(r, "P2"));
	charger_registry_free(r);
	test_caps(st);
	store_close(st);
	unlink(path);
	return CHECK_DONE();
}
