/* cpsim_answers.c: how a simulated charger answers every Central-System-
 * initiated CALL of OCPP 1.6 (all feature profiles) and of the security
 * extension, and what it sends afterwards (triggered messages, firmware and
 * diagnostics notifications). One table row per action; an unknown action
 * gets NotImplemented. Transactions started or stopped on request are left
 * to the application (hooks.server_call), which owns the transaction logic.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpsim_int.h"

#define E_OCC "OccurenceConstraintViolation"
#define E_TYPE "TypeConstraintViolation"
#define E_PROP "PropertyConstraintViolation"

/* ---------------------------------------------------------------- request fields */

static const char *get_int(const cJSON *req, const char *name, int required, int *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, name);

	if (!v)
		return required ? E_OCC : NULL;
	if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int)v->valuedouble)
		return E_TYPE;
	*out = (int)v->valuedouble;
	return NULL;
}

static const char *get_str(const cJSON *req, const char *name, int required, size_t maxlen, const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, name);

	if (!v)
		return required ? E_OCC : NULL;
	if (!cJSON_IsString(v))
		return E_TYPE;
	if (maxlen && strlen(v->valuestring) > maxlen)
		return E_PROP;
	*out = v->valuestring;
	return NULL;
}

static const char *get_enum(const cJSON *req, const char *name, int required, const char *const *values,
			    int *idx)
{
	const char *s = NULL, *e = get_str(req, name, required, 0, &s);

	if (e || !s)
		return e;
	for (int i = 0; values[i]; i++)
		if (!strcmp(values[i], s)) {
			*idx = i;
			return NULL;
		}
	return E_PROP;
}

static const char *get_obj(const cJSON *req, const char *name, int required, const cJSON **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, name);

	if (!v)
		return required ? E_OCC : NULL;
	if (!cJSON_IsObject(v))
		return E_TYPE;
	*out = v;
	return NULL;
}

#define TRY(x)                        \
	do {                          \
		const char *e_ = (x); \
		if (e_)               \
			return e_;    \
	} while (0)

static void set_status(cJSON *resp, const char *status)
{
	cJSON_AddStringToObject(resp, "status", status);
}

static int conn_free(const struct cpsim_connector *c)
{
	return !c->has_tx && !c->busy && !c->unavailable;
}

/* ---------------------------------------------------------------- configuration */

struct cfgkey {
	const char *name;
	int readonly;
	int integer; /* value must be a non-negative integer */
	const char *def;
};

static const struct cfgkey cfgkeys[] = {
	{ "AuthorizeRemoteTxRequests", 0, 0, "false" },
	{ "ClockAlignedDataInterval", 0, 1, "0" },
	{ "ConnectionTimeOut", 0, 1, "60" },
	{ "GetConfigurationMaxKeys", 1, 1, "50" },
	{ "HeartbeatInterval", 0, 1, NULL }, /* from the model */
	{ "LocalAuthorizeOffline", 0, 0, "true" },
	{ "LocalPreAuthorize", 0, 0, "false" },
	{ "MeterValuesAlignedData", 0, 0, "Energy.Active.Import.Register" },
	{ "MeterValuesSampledData", 0, 0,
	  "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC,Temperature" },
	{ "MeterValueSampleInterval", 0, 1, "60" },
	{ "NumberOfConnectors", 1, 1, NULL }, /* from the model */
	{ "ResetRetries", 0, 1, "3" },
	{ "StopTransactionOnEVSideDisconnect", 0, 0, "true" },
	{ "StopTransactionOnInvalidId", 0, 0, "true" },
	{ "StopTxnAlignedData", 0, 0, "" },
	{ "StopTxnSampledData", 0, 0, "Energy.Active.Import.Register" },
	{ "SupportedFeatureProfiles", 1, 0,
	  "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger" },
	{ "TransactionMessageAttempts", 0, 1, "3" },
	{ "TransactionMessageRetryInterval", 0, 1, "60" },
	{ "UnlockConnectorOnEVSideDisconnect", 0, 0, "true" },
	{ "LocalAuthListEnabled", 0, 0, "true" },
	{ "LocalAuthListMaxLength", 1, 1, "100" },
	{ "SendLocalListMaxLength", 1, 1, "100" },
	{ "ReserveConnectorZeroSupported", 1, 0, "true" },
	{ "ChargeProfileMaxStackLevel", 1, 1, "10" },
	{ "ChargingScheduleAllowedChargingRateUnit", 1, 0, "Current,Power" },
	{ "ChargingScheduleMaxPeriods", 1, 1, "24" },
	{ "MaxChargingProfilesInstalled", 1, 1, "10" },
	{ "SecurityProfile", 0, 1, "0" },
	/* a wallbox's (cpsim_wallbox.c): NULL, from struct cpsim_wallbox */
	{ "ConnectorPhaseRotation", 0, 0, NULL },
	{ "ConnectorSwitch3to1PhaseSupported", 1, 0, NULL },
};
#define WALLBOX_KEYS 2 /* the last rows: only a wallbox has them */
#define NCFG (sizeof(cfgkeys) / sizeof(cfgkeys[0]))

/* Values changed by ChangeConfiguration. Lifetime: with the model. */
struct cpsim_cfg {
	char *val[NCFG];
};

void cpsim_model_free(struct cpsim_model *m)
{
	if (!m->cfg)
		return;
	for (size_t i = 0; i < NCFG; i++)
		free(m->cfg->val[i]);
	FREE(m->cfg);
}

/* The rows this charger has: a plain one lacks the wallbox's keys. */
static size_t cfg_count(const struct cpsim_cp *cp)
{
	return cp->model.wb.on ? NCFG : NCFG - WALLBOX_KEYS;
}

static int cfg_find(const struct cpsim_cp *cp, const char *key)
{
	for (size_t i = 0; i < cfg_count(cp); i++)
		if (!strcmp(cfgkeys[i].name, key))
			return (int)i;
	return -1;
}

/* What a wallbox says about itself, as real chargers say it (OCPP 1.6
 * 9.1 and 9.4): the units its schedules take, its feature profiles (no
 * SmartCharging when it has none), its phase rotation (NotApplicable for a
 * single-phase or DC connector) and whether it switches 3 to 1 phase. */
static const char *wallbox_value(const struct cpsim_cp *cp, const char *name, char *tmp, size_t len)
{
	const struct cpsim_wallbox *wb = &cp->model.wb;
	static const char *const units[4] = { "", "Current", "Power", "Current,Power" };
	size_t n = 0;

	if (!wb->on)
		return NULL;
	if (!strcmp(name, "ChargingScheduleAllowedChargingRateUnit"))
		return units[wb->units & 3u];
	if (!strcmp(name, "SupportedFeatureProfiles"))
		return wb->no_smart
			? "Core,FirmwareManagement,LocalAuthListManagement,Reservation,RemoteTrigger"
			: NULL;
	if (!strcmp(name, "ConnectorSwitch3to1PhaseSupported"))
		return wb->phases == 3 && !wb->dc && !wb->ignore_phases ? "true" : "false";
	if (!strcmp(name, "ConnectorPhaseRotation")) {
		tmp[0] = 0;
		for (int c = 1; c <= cp->model.connectors && n + 20 < len; c++)
			n += (size_t)snprintf(tmp + n, len - n, "%s%d.%s", c > 1 ? "," : "", c,
					      wb->phases == 3 && !wb->dc ? "RST" : "NotApplicable");
		return tmp;
	}
	return NULL;
}

static const char *cfg_value(struct cpsim_cp *cp, int i, char *tmp, size_t len)
{
	const char *w;

	if (cp->model.cfg && cp->model.cfg->val[i])
		return cp->model.cfg->val[i];
	if ((w = wallbox_value(cp, cfgkeys[i].name, tmp, len)))
		return w;
	if (!strcmp(cfgkeys[i].name, "HeartbeatInterval")) {
		snprintf(tmp, len, "%d", cp->model.heartbeat_interval);
		return tmp;
	}
	if (!strcmp(cfgkeys[i].name, "NumberOfConnectors")) {
		snprintf(tmp, len, "%d", cp->model.connectors);
		return tmp;
	}
	return cfgkeys[i].def;
}

static void cfg_add(struct cpsim_cp *cp, cJSON *arr, int i)
{
	cJSON *o = cJSON_CreateObject();
	char tmp[160];

	if (!o)
		return;
	cJSON_AddStringToObject(o, "key", cfgkeys[i].name);
	cJSON_AddBoolToObject(o, "readonly", cfgkeys[i].readonly);
	cJSON_AddStringToObject(o, "value", cfg_value(cp, i, tmp, sizeof(tmp)));
	cJSON_AddItemToArray(arr, o);
}

static const char *h_get_configuration(struct cpsim_cp *cp, const cJSON *req, cJSON *resp)
{
	const cJSON *keys = cJSON_GetObjectItemCaseSensitive(req, "key"), *k;
	cJSON *known = cJSON_CreateArray(), *unknown = cJSON_CreateArray();

	if (!known || !unknown)
		goto oom;
	if (keys && !cJSON_IsArray(keys)) {
		cJSON_Delete(known);
		cJSON_Delete(unknown);
		return E_TYPE;
	}
	if (!keys || !cJSON_GetArraySize(keys)) {
		for (size_t i = 0; i < cfg_count(cp); i++)
			cfg_add(cp, known, (int)i);
	} else {
		cJSON_ArrayForEach(k, keys)
		{
			int i;

			if (!cJSON_IsString(k) || strlen(k->valuestring) > 50) {
				cJSON_Delete(known);
				cJSON_Delete(unknown);
				return cJSON_IsString(k) ? E_PROP : E_TYPE;
			}
			i = cfg_find(cp, k->valuestring);
			if (i >= 0)
				cfg_add(cp, known, i);
			else
				cJSON_AddItemToArray(unknown, cJSON_CreateString(k->valuestring));
		}
	}
	if (cJSON_GetArraySize(known))
		cJSON_AddItemToObject(resp, "configurationKey", known);
	else
		cJSON_Delete(known);
	if (cJSON_GetArraySize(unknown))
		cJSON_AddItemToObject(resp, "unknownKey", unknown);
	else
		cJSON_Delete(unknown);
	return NULL;
oom:
	cJSON_Delete(known);
	cJSON_Delete(unknown);
	return "InternalError";
}

static const char *h_change_configuration(struct cpsim_cp *cp, const cJSON *req, cJSON *resp)
{
	const char *key = NULL, *value = NULL;
	char *end;
	long n;
	int i;

	TRY(get_str(req, "key", 1, 50, &key));
	TRY(get_str(req, "value", 1, 500, &value));
	i = cfg_find(cp, key);
	if (i < 0) {
		set_status(resp, "NotSupported");
		return NULL;
	}
	if (cfgkeys[i].readonly) {
		set_status(resp, "Rejected");
		return NULL;
	}
	if (cfgkeys[i].integer) {
		n = strtol(value, &end, 10);
		if (!*value || *end || n < 0 || n > 86400 * 7) {
			set_status(resp, "Rejected");
			return NULL;
		}
		if (!strcmp(key, "HeartbeatInterval"))
			cp->model.heartbeat_interval = (int)n;
	}
	if (!cp->model.cfg && !(cp->model.cfg = calloc(1, sizeof(*cp->model.cfg))))
		return "InternalError";
	free(cp->model.cfg->val[i]);
	cp->model.cfg->val[i] = strdup(value);
	set_status(resp, "Accepted");
	return NULL;
}

/* ---------------------------------------------------------------- Core */

static const char *h_change_availability(struct cpsim_cp *cp, const cJSON *req, cJSON *resp)
{
	static const char *const types[] = { "Inoperative", "Operative", NULL };
	int id = 0, type = 0, lo, hi, scheduled = 0;

	TRY(get_int(req, "connectorId", 1, &id));
	TRY(get_enum(req, "type", 1, types, &type));
	if (id < 0 || id > cp->model.connectors) {
		set_status(resp, "Rejected");
		return NULL;
	}
	lo = id ? id : 1;
	hi = id ? id : cp->model.connectors;
	for (int c = lo; c <= hi; c++) {
		scheduled |= cp->model.conn[c].has_tx;
		cp->model.conn[c].unavailable = type == 0;
	}
	set_status(resp, scheduled ? "Scheduled" : "Accepted");
	return NULL;
}

static const char *h_clear_cache(struct cpsim_cp *cp, const cJSON *req, cJSON *resp)
{
	(void)cp;
	(void)req;
	set_status(resp, "Accepted");
	return NULL;
}

static const char *h_data_transfer(struct cpsim_cp *cp, const cJSON *req, cJSON *resp)
{
	const char *vendor = NULL, *msg = NULL, *data = NULL;

	(void)cp;
	TRY(get_str(req, "vendorId", 1, 255, &vendor));
	TRY(get_str(req, "messageId", 0, 50, &msg));
	TRY(get_str(req, "data", 0, 0, &data));
	set_status(resp, "Accepted");
	if (data)
		cJSON_AddStringToObject(resp, "data", data);
	return NULL;
}

static const char *h_remote_start(struct cpsim_cp *cp, const cJSON *req, cJSON *resp)
{
	const char *tag = NULL;
	const cJSON *prof = NULL;
	int id = 0, chosen = 0;

	TRY(get_str(req, "idTag", 1, 20, &tag));
	TRY(get_int(req, "connectorId", 0, &id));
	TRY(get_obj(req, "chargingProfile", 0, &prof));
	if (id) {
		if (id > 0 && id <= cp->model.connectors && conn_free(&cp->model.conn[id]))
			chosen = id;
	} else {
		for (int c = 1; c <= cp->model.connectors && !chosen; c++)
			if (conn_free(&cp->model.conn[c]))
				chosen = c;
	}
	/* where the application is to start: it reads this in its hook */
	cp->model.remote_start_connector = chosen;
	set_status(resp, cp->model.remote_tx && chosen ? "Accepted" : "Rejected");
	return NULL;
}

static const char *h_remote_stop(struct cpsim_cp *cp, const cJSON *req, cJSON *resp)
{
	int tx = 0, found = 0;

	TRY(get_int(req, "transactionId", 1, &tx));
	for (int c = 1; c <= cp->model.connectors; c++)
		found |= cp->model.conn[c].has_tx && cp->model.conn[c].tx_id == tx;
	set_status(resp, found && cp->model.remote_tx ? "Accepted" : "Rejected");
	return NULL;
}

static const char *h_reset(struct cpsim_cp *cp, const cJSON *req, cJSON *resp)
{
	static const char *const types[] = { "Hard", "Soft", NULL };
	int type = 0;

	(void)cp;
	TRY(get_enum(req, "type", 1, types, &type));
	set_status(resp, "Accepted");
	return NULL;
}

static const char *h_unlock(struct cpsim_cp *cp, const cJSON *req, cJSON *resp)
{
	int id = 0;

	TRY(get_int(req, "connectorId", 1, &id));
	set_status(resp, id >= 1 && id <= cp->model.connectors ? "Unlocked" : "NotSupported");
	return NULL;
}

/* ---------------------------------------------------------------- Smart charging */

static const char *h_set_charging_profile(struct cpsim_cp *cp, const cJSON *req, cJSON *resp)
{
	static const char *const purposes[] = { "ChargePointMaxProfile", "TxDefaultProfile", "TxProfile",
						NULL };
	static const char *const kinds[] = { "Absolute", "Recurring", "Relative", NULL };
	static const char *const units[] = { "A", "W", NULL };
	const cJSON *prof = NULL, *sched = NULL, *periods, *p, *first = NULL;
	int id = 0, pid = 0, stack = 0, purpose = 0, kind = 0, unit = 0, start, phases = 0;
	double limit;
	struct cpsim_connector *c;

	if (cp->model.wb.on && cp->model.wb.no_smart) {
		cp->model.wb.not_supported++;
		return "NotSupported"; /* no SmartCharging profile at all */
	}
	cp->model.wb.profiles++;
	TRY(get_int(req, "connectorId", 1, &id));
	TRY(get_obj(req, "csChargingProfiles", 1, &prof));
	TRY(get_int(prof, "chargingProfileId", 1, &pid));
	TRY(get_int(prof, "stackLevel", 1, &stack));
	TRY(get_enum(prof, "chargingProfilePurpose", 1, purposes, &purpose));
	TRY(get_enum(prof, "chargingProfileKind", 1, kinds, &kind));
	TRY(get_obj(prof, "chargingSchedule", 1, &sched));
	TRY(get_enum(sched, "chargingRateUnit", 1, units, &unit));
	periods = cJSON_GetObjectItemCaseSensitive(sched, "chargingSchedulePeriod");
	if (!periods)
		return E_OCC;
	if (!cJSON_IsArray(periods))
		return E_TYPE;
	if (!cJSON_GetArraySize(periods))
		return E_OCC;
	cJSON_ArrayForEach(p, periods)
	{
		const cJSON *l = cJSON_GetObjectItemCaseSensitive(p, "limit");

		start = -1;
		phases = 0;
		TRY(get_int(p, "startPeriod", 1, &start));
		TRY(get_int(p, "numberPhases", 0, &phases));
		if (!l)
			return E_OCC;
		if (!cJSON_IsNumber(l))
			return E_TYPE;
		if (!first || start == 0)
			first = p;
	}
	if (id < 0 || id > cp->model.connectors || (purpose == 0 && id != 0) ||
	    (purpose == 2 && (id == 0 || !cp->model.conn[id].has_tx))) {
		/* OCPP 1.6 3.13.x: ChargePointMaxProfile only on 0, TxProfile
		 * only with a transaction running on that connector */
		set_status(resp, "Rejected");
		return NULL;
	}
	if (cp->model.wb.on && !(cp->model.wb.units & (unit ? CPSIM_UNIT_W : CPSIM_UNIT_A))) {
		/* a unit its ChargingScheduleAllowedChargingRateUnit does not list */
		cp->model.wb.rejected++;
		set_status(resp, "Rejected");
		return NULL;
	}
	limit = cJSON_GetObjectItemCaseSensitive(first, "limit")->valuedouble;
	phases = 0;
	get_int(first, "numberPhases", 0, &phases);
	c = &cp->model.conn[id];
	c->has_limit = 1;
	c->limit = limit;
	c->limit_unit = unit ? 'W' : 'A';
	c->limit_phases = phases;
	cp->model.wb.phases_seen |= 1u << (phases >= 0 && phases <= 3 ? phases : 0);
	cp->model.wb.units_seen |= unit ? CPSIM_UNIT_W : CPSIM_UNIT_A;
	c->limit_stack = stack;
	c->limit_profile_id = pid;
	set_status(resp, "Accepted");
	return NULL;
}

static const char *h_clear_charging_profile(struct cpsim_cp *cp, const cJSON *req, cJSON *resp)
{
	int id = -1, pid = -1, stack = -1, cleared = 0;

	if (cp->model.wb.on && cp->model.wb.no_smart)
		return "NotSupported";
	TRY(get_int(req, "id", 0, &pid));
	TRY(get_int(req, "connectorId", 0, &id));
	TRY(get_int(req, "stackLevel", 0, &stack));
	for (int c = 0; c <= cp->model.connectors; c++) {
		struct cpsim_connector *k = &cp->model.conn[c];

		if (!k->has_limit || (id >= 0 && id != c) || (pid >= 0 && pid != k->limit_profile_id) ||
		    (stack >= 0 && stack != k->limit_stack))
			continue;
		k->has_limit = 0;
		cleared = 1;
	}
	set_status(resp, cleared ? "Accepted" : "Unknown");
	return NULL;
}

static const char *h_get_composite_schedule(struct cpsim_cp *cp, const cJSON *req, cJSON *resp)
{
	static const char *const units[] = { "A", "W", NULL };
	int id = 0, duration = 0, unit = 0, phases;
	const struct cpsim_connector *c;
	double limit;
	cJSON *sched, *periods, *p;
	char ts[32];

	if (cp->model.wb.on && cp->model.wb.no_smart)
		return "NotSupported";
	TRY(get_int(req, "connectorId", 1, &id));
	TRY(get_int(req, "duration", 1, &duration));
	TRY(get_enum(req, "chargingRateUnit", 0, units, &unit));
	if (id < 0 || id > cp->model.connectors) {
		set_status(resp, "Rejected");
		return NULL;
	}
	c = cp->model.conn[id].has_limit ? &cp->model.conn[id] : &cp->model.conn[0];
	limit = c->has_limit ? c->limit : 32.0;
	phases = c->has_limit && c->limit_phases ? c->limit_phases : 3;
	if (c->has_limit && c->limit_unit == 'W' && unit == 0)
		limit = limit / (230.0 * phases);
	else if ((!c->has_limit || c->limit_unit == 'A') && unit == 1)
		limit = limit * 230.0 * phases;
	set_status(resp, "Accepted");
	cJSON_AddNumberToObject(resp, "connectorId", id);
	cpsim_iso_time(cpsim_wall_us(), ts, sizeof(ts));
	cJSON_AddStringToObject(resp, "scheduleStart", ts);
	sched = cJSON_AddObjectToObject(resp, "chargingSchedule");
	if (!sched)
		return "InternalError";
	cJSON_AddNumberToObject(sched, "duration", duration);
	cJSON_AddStringToObject(sched, "startSchedule", ts);
	cJSON_AddStringToObject(sched, "chargingRateUnit", units[unit]);
	periods = cJSON_AddArrayToObject(sched, "chargingSchedulePeriod");
	p = cJSON_CreateObject();
	if (!periods || !p) {
		cJSON_Delete(p);
		return "InternalError";
	}
	cJSON_AddNumberToObject(p, "startPeriod", 0);
	cJSON_AddNumberToObject(p, "limit", (double)(long)(limit * 10) / 10.0);
	cJSON_AddNumberToObject(p, "numberPhases", phases);
	cJSON_AddItemToArray(periods, p);
	return NULL;
}

/* ---------------------------------------------------------------- Reservation */

static const char *h_reserve_now(struct cpsim_cp *cp, const cJSON *req, cJSON *resp)
{
	const char *tag = NULL, *exp = NULL, *parent = NULL;
	int id = 0, rid = 0;
	struct cpsim_connector *c;

	TRY(get_int(req, "connectorId", 1, &id));
	TRY(get_str(req, "expiryDate", 1, 0, &exp));
	TRY(get_str(req, "idTag", 1, 20, &tag));
	TRY(get_str(req, "parentIdTag", 0, 20, &parent));
	TRY(get_int(req, "reservationId", 1, &rid));
	if (id < 0 || id > cp->model.connectors) {
		set_status(resp, "Rejected");
		return NULL;
	}
	c = &cp->model.conn[id];
	if (c->unavailable)
		set_status(resp, "Unavailable");
	else if (c->has_tx || c->busy || (c->has_reservation && c->reservation_id != rid))
		set_status(resp, "Occupied");
	else {
		c->has_reservation = 1;
		c->reservation_id = rid;
		set_status(resp, "Accepted");
	}
	return NULL;
}

static const char *h_cancel_reservation(struct cpsim_cp *cp, const cJSON *req, cJSON *resp)
{
	int rid = 0, found = 0;

	TRY(get_int(req, "reservationId", 1, &rid));
	for (int c = 0; c <= cp->model.connectors; c++)
		if (cp->model.conn[c].has_reservation && cp->model.conn[c].reservation_id == rid) {
			cp->model.conn[c].has_reservation = 0;
			found = 1;
		}
	set_status(resp, found ? "Accepted" : "Rejected");
	return NULL;
}

/* ---------------------------------------------------------------- Local list */

static const char *h_send_local_list(struct cpsim_cp *cp, const cJSON *req, cJSON *resp)
{
	static const char *const types[] = { "Differential", "Full", NULL };
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(req, "localAuthorizationList"), *e;
	int version = 0, type = 0;

	TRY(get_int(req, "listVersion", 1, &version));
	TRY(get_enum(req, "updateType", 1, types, &type));
	if (list && !cJSON_IsArray(list))
		return E_TYPE;
	cJSON_ArrayForEach(e, list)
	{
		const char *tag = NULL;

		TRY(get_str(e, "idTag", 1, 20, &tag));
	}
	cp->model.local_list_version = version;
	set_status(resp, "Accepted");
	return NULL;
}

static const char *h_get_local_list_version(struct cpsim_cp *cp, const cJSON *req, cJSON *resp)
{
	(void)req;
	cJSON_AddNumberToObject(resp, "listVersion", cp->model.local_list_version);
	return NULL;
}

/* ---------------------------------------------------------------- Firmware */

static const char *h_get_diagnostics(struct cpsim_cp *cp, const cJSON *req, cJSON *resp)
{
	const char *loc = NULL;
	char name[96];

	TRY(get_str(req, "location", 1, 0, &loc));
	snprintf(name, sizeof(name), "cpsim-%.48s.log", cp->id);
	cJSON_AddStringToObject(resp, "fileName", name);
	return NULL;
}

static const char *h_update_firmware(struct cpsim_cp *cp, const cJSON *req, cJSON *resp)
{
	const char *loc = NULL, *date = NULL;

	(void)cp;
	(void)resp;
	TRY(get_str(req, "location", 1, 0, &loc));
	TRY(get_str(req, "retrieveDate", 1, 0, &date));
	return NULL;
}

/* ---------------------------------------------------------------- Remote trigger */

static const char *const trigger_msgs[] = { "BootNotification",
					    "DiagnosticsStatusNotification",
					    "FirmwareStatusNotification",
					    "Heartbeat",
					    "MeterValues",
					    "StatusNotification",
					    NULL };
static const char *const ext_trigger_msgs[] = {
	"BootNotification", "LogStatusNotification",      "FirmwareStatusNotification", "Heartbeat",
	"MeterValues",      "SignChargePointCertificate", "StatusNotification",         NULL
};

static const char *h_trigger(struct cpsim_cp *cp, const cJSON *req, cJSON *resp, const char *const *msgs)
{
	int m = 0, id = -1;

	TRY(get_enum(req, "requestedMessage", 1, msgs, &m));
	TRY(get_int(req, "connectorId", 0, &id));
	/* id stays -1 when the request names no connector */
	set_status(resp, id > cp->model.connectors || id < -1 ? "Rejected" : "Accepted");
	return NULL;
}

static const char *h_trigger_message(struct cpsim_cp *cp, const cJSON *req, cJSON *resp)
{
	return h_trigger(cp, req, resp, trigger_msgs);
}

static const char *h_ext_trigger_message(struct cpsim_cp *cp, const cJSON *req, cJSON *resp)
{
	return h_trigger(cp, req, resp, ext_trigger_msgs);
}

/* ---------------------------------------------------------------- Security extension */

static const char *h_certificate_signed(struct cpsim_cp *cp, const cJSON *req, cJSON *resp)
{
	const char *chain = NULL;

	(void)cp;
	TRY(get_str(req, "certificateChain", 1, 10000, &chain));
	set_status(resp, "Accepted");
	return NULL;
}

static const char *h_delete_certificate(struct cpsim_cp *cp, const cJSON *req, cJSON *resp)
{
	const cJSON *hash = NULL;

	(void)cp;
	TRY(get_obj(req, "certificateHashData", 1, &hash));
	set_status(resp, "NotFound");
	return NULL;
}

static const char *const cert_types[] = { "CentralSystemRootCertificate", "ManufacturerRootCertificate",
					  NULL };

static const char *h_get_installed_certificate_ids(struct cpsim_cp *cp, const cJSON *req, cJSON *resp)
{
	int t = 0;

	(void)cp;
	TRY(get_enum(req, "certificateType", 1, cert_types, &t));
	set_status(resp, "NotFound");
	return NULL;
}

static const char *h_install_certificate(struct cpsim_cp *cp, const cJSON *req, cJSON *resp)
{
	const char *cert = NULL;
	int t = 0;

	(void)cp;
	TRY(get_enum(req, "certificateType", 1, cert_types, &t));
	TRY(get_str(req, "certificate", 1, 5500, &cert));
	set_status(resp, "Accepted");
	return NULL;
}

static const char *h_get_log(struct cpsim_cp *cp, const cJSON *req, cJSON *resp)
{
	static const char *const types[] = { "DiagnosticsLog", "SecurityLog", NULL };
	const cJSON *log = NULL;
	const char *loc = NULL;
	char name[96];
	int t = 0, rid = 0;

	TRY(get_enum(req, "logType", 1, types, &t));
	TRY(get_int(req, "requestId", 1, &rid));
	TRY(get_obj(req, "log", 1, &log));
	TRY(get_str(log, "remoteLocation", 1, 512, &loc));
	set_status(resp, "Accepted");
	snprintf(name, sizeof(name), "cpsim-%.48s-%d.log", cp->id, rid);
	cJSON_AddStringToObject(resp, "filename", name);
	return NULL;
}

static const char *h_signed_update_firmware(struct cpsim_cp *cp, const cJSON *req, cJSON *resp)
{
	const cJSON *fw = NULL;
	const char *s = NULL;
	int rid = 0;

	(void)cp;
	TRY(get_int(req, "requestId", 1, &rid));
	TRY(get_obj(req, "firmware", 1, &fw));
	TRY(get_str(fw, "location", 1, 512, &s));
	TRY(get_str(fw, "retrieveDateTime", 1, 0, &s));
	TRY(get_str(fw, "signingCertificate", 1, 5500, &s));
	TRY(get_str(fw, "signature", 1, 800, &s));
	set_status(resp, "Accepted");
	return NULL;
}

/* ---------------------------------------------------------------- consequences */

static void notify(struct cpsim_cp *cp, const char *action, const char *status, int request_id)
{
	char p[96];
	int n = request_id >= 0
		? snprintf(p, sizeof(p), "{\"status\":\"%s\",\"requestId\":%d}", status, request_id)
		: snprintf(p, sizeof(p), "{\"status\":\"%s\"}", status);

	cpsim_call(cp, action, p, (size_t)n, cpsim_reply_expect_ok, NULL);
}

static void notify_seq(struct cpsim_cp *cp, const char *action, const char *const *st, int request_id)
{
	for (; *st; st++)
		notify(cp, action, *st, request_id);
}

static void status_all(struct cpsim_cp *cp, int id)
{
	int lo = id >= 0 ? id : 0, hi = id >= 0 ? id : cp->model.connectors;

	for (int c = lo; c <= hi; c++)
		cpsim_send_status(cp, c, cp->model.conn[c].status, cpsim_reply_expect_ok, NULL);
}

static const char csr[] = "{\"csr\":\"-----BEGIN CERTIFICATE REQUEST-----\\n"
			  "Y3BzaW0=\\n-----END CERTIFICATE REQUEST-----\"}";

static void send_triggered(struct cpsim_cp *cp, const char *msg, int id)
{
	if (!strcmp(msg, "BootNotification"))
		cpsim_send_boot(cp, cpsim_reply_expect_ok, NULL);
	else if (!strcmp(msg, "Heartbeat"))
		cpsim_send_heartbeat(cp, cpsim_reply_expect_ok, NULL);
	else if (!strcmp(msg, "StatusNotification"))
		status_all(cp, id);
	else if (!strcmp(msg, "MeterValues"))
		for (int c = id >= 0 ? id : 1; c <= (id >= 0 ? id : cp->model.connectors); c++)
			cpsim_send_meter_values(cp, c, "Trigger", cpsim_reply_expect_ok, NULL);
	else if (!strcmp(msg, "DiagnosticsStatusNotification"))
		notify(cp, "DiagnosticsStatusNotification", "Idle", -1);
	else if (!strcmp(msg, "FirmwareStatusNotification"))
		notify(cp, "FirmwareStatusNotification", "Idle", -1);
	else if (!strcmp(msg, "LogStatusNotification"))
		notify(cp, "LogStatusNotification", "Idle", -1);
	else if (!strcmp(msg, "SignChargePointCertificate"))
		cpsim_call(cp, "SignCertificate", csr, strlen(csr), cpsim_reply_expect_ok, NULL);
}

static int int_field(const cJSON *o, const char *name, int def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(v) ? v->valueint : def;
}

static void after_trigger(struct cpsim_cp *cp, const cJSON *req)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(req, "requestedMessage");

	send_triggered(cp, m->valuestring, int_field(req, "connectorId", -1));
}

static void after_availability(struct cpsim_cp *cp, const cJSON *req)
{
	int id = int_field(req, "connectorId", 0);
	int lo = id ? id : 1, hi = id ? id : cp->model.connectors;

	for (int c = lo; c <= hi; c++)
		if (!cp->model.conn[c].has_tx && !cp->model.conn[c].busy)
			cpsim_send_status(cp, c,
					  cp->model.conn[c].unavailable ? CPSIM_ST_UNAVAILABLE
									: CPSIM_ST_AVAILABLE,
					  cpsim_reply_expect_ok, NULL);
}

static void after_reserve(struct cpsim_cp *cp, const cJSON *req)
{
	int id = int_field(req, "connectorId", 0);

	if (id > 0)
		cpsim_send_status(cp, id, CPSIM_ST_RESERVED, cpsim_reply_expect_ok, NULL);
}

static void after_cancel_reservation(struct cpsim_cp *cp, const cJSON *req)
{
	(void)req;
	for (int c = 1; c <= cp->model.connectors; c++)
		if (cp->model.conn[c].status == CPSIM_ST_RESERVED && !cp->model.conn[c].has_reservation)
			cpsim_send_status(cp, c, CPSIM_ST_AVAILABLE, cpsim_reply_expect_ok, NULL);
}

static void after_diagnostics(struct cpsim_cp *cp, const cJSON *req)
{
	static const char *const st[] = { "Uploading", "Uploaded", NULL };

	(void)req;
	notify_seq(cp, "DiagnosticsStatusNotification", st, -1);
}

static void after_firmware(struct cpsim_cp *cp, const cJSON *req)
{
	static const char *const st[] = { "Downloading", "Downloaded", "Installing", "Installed", NULL };

	(void)req;
	notify_seq(cp, "FirmwareStatusNotification", st, -1);
}

static void after_get_log(struct cpsim_cp *cp, const cJSON *req)
{
	static const char *const st[] = { "Uploading", "Uploaded", NULL };

	notify_seq(cp, "LogStatusNotification", st, int_field(req, "requestId", 0));
}

static void after_signed_firmware(struct cpsim_cp *cp, const cJSON *req)
{
	static const char *const st[] = { "Downloading", "Downloaded", "SignatureVerified",
					  "Installing",  "Installed",  NULL };

	notify_seq(cp, "SignedFirmwareStatusNotification", st, int_field(req, "requestId", 0));
}

/* ---------------------------------------------------------------- the table */

struct answer {
	const char *action;
	const char *(*handle)(struct cpsim_cp *cp, const cJSON *req, cJSON *resp);
	/* sent after the answer; only when the answer's status is accepting */
	void (*after)(struct cpsim_cp *cp, const cJSON *req);
};

static const struct answer answers[] = {
	{ "CancelReservation", h_cancel_reservation, after_cancel_reservation },
	{ "CertificateSigned", h_certificate_signed, NULL },
	{ "ChangeAvailability", h_change_availability, after_availability },
	{ "ChangeConfiguration", h_change_configuration, NULL },
	{ "ClearCache", h_clear_cache, NULL },
	{ "ClearChargingProfile", h_clear_charging_profile, NULL },
	{ "DataTransfer", h_data_transfer, NULL },
	{ "DeleteCertificate", h_delete_certificate, NULL },
	{ "ExtendedTriggerMessage", h_ext_trigger_message, after_trigger },
	{ "GetCompositeSchedule", h_get_composite_schedule, NULL },
	{ "GetConfiguration", h_get_configuration, NULL },
	{ "GetDiagnostics", h_get_diagnostics, after_diagnostics },
	{ "GetInstalledCertificateIds", h_get_installed_certificate_ids, NULL },
	{ "GetLocalListVersion", h_get_local_list_version, NULL },
	{ "GetLog", h_get_log, after_get_log },
	{ "InstallCertificate", h_install_certificate, NULL },
	{ "RemoteStartTransaction", h_remote_start, NULL },
	{ "RemoteStopTransaction", h_remote_stop, NULL },
	{ "ReserveNow", h_reserve_now, after_reserve },
	{ "Reset", h_reset, NULL },
	{ "SendLocalList", h_send_local_list, NULL },
	{ "SetChargingProfile", h_set_charging_profile, NULL },
	{ "SignedUpdateFirmware", h_signed_update_firmware, after_signed_firmware },
	{ "TriggerMessage", h_trigger_message, after_trigger },
	{ "UnlockConnector", h_unlock, NULL },
	{ "UpdateFirmware", h_update_firmware, after_firmware },
};

static const struct answer *find_answer(const char *action)
{
	for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++)
		if (!strcmp(answers[i].action, action))
			return &answers[i];
	return NULL;
}

const char *cpsim_answer(struct cpsim_cp *cp, const char *action, const cJSON *req, cJSON **resp)
{
	const struct answer *a = find_answer(action);
	const char *code;

	*resp = NULL;
	if (!a)
		return "NotImplemented";
	*resp = cJSON_CreateObject();
	if (!*resp)
		return "InternalError";
	code = a->handle(cp, req, *resp);
	if (code) {
		cJSON_Delete(*resp);
		*resp = NULL;
	}
	return code;
}

void cpsim_answers_after(struct cpsim_cp *cp, const char *action, const cJSON *req, const cJSON *resp)
{
	const struct answer *a = find_answer(action);
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(resp, "status");

	if (!a || !a->after)
		return;
	if (cJSON_IsString(st) && strcmp(st->valuestring, "Accepted"))
		return;
	a->after(cp, req);
}
