/*
 * Meter register maps as data: the SDM630 and DTSU666 presets and the
 * parser for generic maps from a config string (its item syntax, codec and
 * type names come from modbus/modbus_reg). No I/O here; the polling thread
 * lives in dlm_sensor.c.
 */
#include "dlm_sensor.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define R(q, ph, fc, addr, type, scale)                    \
	{                                                  \
		q, ph, fc, addr, type, DLM_WORD_BIG, scale \
	}

/* Eastron SDM630 (v2): input registers (function 4), IEEE 754 float32, high
 * word first, plain units. 30001.. L-N volts, 30007.. phase currents (always
 * positive), 30013.. phase active power (signed, import positive), 30053
 * total system power. */
static const dlm_meter_map sdm630 = { "sdm630",
				      true,
				      10,
				      {
					      R(DLM_Q_VOLTAGE, 0, 4, 0x0000, DLM_REG_FLOAT32, 1),
					      R(DLM_Q_VOLTAGE, 1, 4, 0x0002, DLM_REG_FLOAT32, 1),
					      R(DLM_Q_VOLTAGE, 2, 4, 0x0004, DLM_REG_FLOAT32, 1),
					      R(DLM_Q_CURRENT, 0, 4, 0x0006, DLM_REG_FLOAT32, 1),
					      R(DLM_Q_CURRENT, 1, 4, 0x0008, DLM_REG_FLOAT32, 1),
					      R(DLM_Q_CURRENT, 2, 4, 0x000A, DLM_REG_FLOAT32, 1),
					      R(DLM_Q_POWER, 0, 4, 0x000C, DLM_REG_FLOAT32, 1),
					      R(DLM_Q_POWER, 1, 4, 0x000E, DLM_REG_FLOAT32, 1),
					      R(DLM_Q_POWER, 2, 4, 0x0010, DLM_REG_FLOAT32, 1),
					      R(DLM_Q_POWER_TOTAL, 0, 4, 0x0034, DLM_REG_FLOAT32, 1),
				      } };

/* Chint DTSU666: holding registers (function 3), float32 high word first,
 * in scaled units: voltage 0.1 V (0x2006 Ua, 0x2008 Ub, 0x200A Uc), current
 * 0.001 A (0x200C Ia, 0x200E Ib, 0x2010 Ic), active power 0.1 W (0x2012
 * Pt, 0x2014 Pa, 0x2016 Pb, 0x2018 Pc; forward/import positive). */
static const dlm_meter_map dtsu666 = { "dtsu666",
				       true,
				       10,
				       {
					       R(DLM_Q_VOLTAGE, 0, 3, 0x2006, DLM_REG_FLOAT32, 0.1),
					       R(DLM_Q_VOLTAGE, 1, 3, 0x2008, DLM_REG_FLOAT32, 0.1),
					       R(DLM_Q_VOLTAGE, 2, 3, 0x200A, DLM_REG_FLOAT32, 0.1),
					       R(DLM_Q_CURRENT, 0, 3, 0x200C, DLM_REG_FLOAT32, 0.001),
					       R(DLM_Q_CURRENT, 1, 3, 0x200E, DLM_REG_FLOAT32, 0.001),
					       R(DLM_Q_CURRENT, 2, 3, 0x2010, DLM_REG_FLOAT32, 0.001),
					       R(DLM_Q_POWER_TOTAL, 0, 3, 0x2012, DLM_REG_FLOAT32, 0.1),
					       R(DLM_Q_POWER, 0, 3, 0x2014, DLM_REG_FLOAT32, 0.1),
					       R(DLM_Q_POWER, 1, 3, 0x2016, DLM_REG_FLOAT32, 0.1),
					       R(DLM_Q_POWER, 2, 3, 0x2018, DLM_REG_FLOAT32, 0.1),
				       } };
#undef R

static const char generic_name[] = "generic";

/* The names are the maps' own. */
const dlm_meter_def dlm_meters[DLM_METER_NKINDS] = {
	{ DLM_METER_SDM630, sdm630.name, &sdm630 },
	{ DLM_METER_DTSU666, dtsu666.name, &dtsu666 },
	{ DLM_METER_GENERIC, generic_name, NULL },
};

const dlm_meter_map *dlm_meter_preset(const char *name)
{
	for (size_t i = 0; name && i < DLM_METER_NKINDS; i++)
		if (dlm_meters[i].preset && !strcasecmp(dlm_meters[i].name, name))
			return dlm_meters[i].preset;
	return NULL;
}

/* ------------------------------------------------------------ parser */

typedef struct key_def {
	const char *name;
	dlm_quantity q;
	uint8_t phase;
} key_def;

static const key_def keys[] = {
	{ "l1_current", DLM_Q_CURRENT, 0 }, { "l2_current", DLM_Q_CURRENT, 1 },
	{ "l3_current", DLM_Q_CURRENT, 2 }, { "l1_voltage", DLM_Q_VOLTAGE, 0 },
	{ "l2_voltage", DLM_Q_VOLTAGE, 1 }, { "l3_voltage", DLM_Q_VOLTAGE, 2 },
	{ "l1_power", DLM_Q_POWER, 0 },     { "l2_power", DLM_Q_POWER, 1 },
	{ "l3_power", DLM_Q_POWER, 2 },     { "total_power", DLM_Q_POWER_TOTAL, 0 },
};
#define NKEYS (sizeof keys / sizeof keys[0])

/* Meter items are reads: function codes 3 and 4 only. */
static const modbus_reg_rules meter_rules = { ",3,4,",
					      "%s: function code '%s' must be 3 (holding) or 4 (input)",
					      255 };

int dlm_reg_words(dlm_reg_type t)
{
	return modbus_reg_words(t);
}

int dlm_meter_parse(const char *spec, dlm_meter_map *map, char *err, size_t errlen)
{
	char buf[1024];
	bool seen[NKEYS] = { false };
	bool sign_seen = false;
	if (!spec || !map)
		return modbus_reg_fail(err, errlen, "generic meter map: missing");
	if (strlen(spec) >= sizeof buf)
		return modbus_reg_fail(err, errlen, "generic meter map: longer than 1023 characters");
	memset(map, 0, sizeof *map);
	snprintf(map->name, sizeof map->name, "%s", generic_name);
	strcpy(buf, spec);

	char *save = NULL, *item, *val;
	int more;
	for (char *b = buf; (more = modbus_reg_next_item(b, &save, &item, &val, err, errlen)) > 0; b = NULL) {
		if (!strcmp(item, "sign")) {
			if (sign_seen)
				return modbus_reg_fail(err, errlen, "sign: given twice");
			sign_seen = true;
			if (!strcmp(val, "power"))
				map->sign_from_power = true;
			else if (strcmp(val, "meter"))
				return modbus_reg_fail(err, errlen, "sign: '%s' must be power or meter", val);
			continue;
		}
		size_t k;
		for (k = 0; k < NKEYS; k++)
			if (!strcmp(keys[k].name, item))
				break;
		if (k == NKEYS)
			return modbus_reg_fail(
				err, errlen,
				"'%s': unknown key (l1_current..l3_current, l1_voltage..l3_voltage, "
				"l1_power..l3_power, total_power, sign)",
				item);
		if (seen[k])
			return modbus_reg_fail(err, errlen, "%s: given twice", item);
		seen[k] = true;
		modbus_reg_item it;
		int rc = modbus_reg_parse_item(keys[k].name, val, &meter_rules, &it, err, errlen);
		if (rc < 0)
			return rc;
		map->regs[map->n++] = (dlm_meter_reg){ keys[k].q, keys[k].phase, it.fc,   it.addr,
						       it.type,   it.order,      it.scale };
	}
	if (more < 0)
		return more;
	for (size_t k = 0; k < 3; k++)
		if (!seen[k])
			return modbus_reg_fail(err, errlen,
					       "missing %s (all three phase currents are required)",
					       keys[k].name);
	return 0;
}

/* ------------------------------------------------------- decode/encode */

int dlm_meter_decode(const dlm_meter_reg *reg, const uint16_t *w, double *value)
{
	return modbus_reg_decode(reg->type, reg->order, reg->scale, w, value);
}

/* Exact fit: the raw value must lie within the type before rounding. */
int dlm_meter_encode(const dlm_meter_reg *reg, double value, uint16_t *w)
{
	return modbus_reg_encode(reg->type, reg->order, reg->scale, value, w, MODBUS_FIT_EXACT);
}

void dlm_reading_clear(dlm_reading *r)
{
	for (int p = 0; p < DLM_PHASES; p++)
		r->current_a[p] = r->voltage_v[p] = r->power_w[p] = NAN;
	r->power_total_w = NAN;
	r->ts_ms = DLM_NO_TIME;
}
