/*
 * Station register maps as data: the presets and the parser for generic
 * maps given in the config (item syntax, codec and type names from
 * modbus/modbus_reg). No I/O here; the polling thread lives in
 * station_source.c.
 */
#include "station_source.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RD(q, fc, addr, type, scale)                          \
	{                                                     \
		q, 0, fc, addr, type, SSRC_WORD_BIG, scale, 0 \
	}
#define WR(o, idx, fc, addr, type, scale)                       \
	{                                                       \
		o, idx, fc, addr, type, SSRC_WORD_BIG, scale, 0 \
	}

/* Victron Venus OS / GX device, "com.victronenergy.system" on Modbus TCP
 * unit 100 (registers of Victron's CCGX Modbus-TCP register list), ESS
 * "external control" through the grid setpoint:
 *   808-810 PV AC-coupled on output L1-L3, 811-813 on input L1-L3, 850 PV
 *   DC-coupled (uint16, W); 817-819 AC consumption L1-L3 (uint16, W: the
 *   whole consumption, EV chargers on the AC output included); 820-822 grid
 *   L1-L3 (int16, W, import positive); 842 battery power (int16, W,
 *   charging positive); 843 SOC (uint16, %); 2700 ESS control loop setpoint
 *   (/Settings/CGwacs/AcPowerSetPoint, int16, W, import positive); 826
 *   active input source (/Ac/ActiveIn/Source, int16: 0 unknown, 1 grid,
 *   2 generator, 3 shore, 240 not connected = off grid). */
static const station_src_map victron_gx = {
	"victron-gx",
	true,
	240,
	false,
	16,
	1,
	{
		RD(SSRC_Q_PV, 3, 808, SSRC_UINT16, 1),
		RD(SSRC_Q_PV, 3, 809, SSRC_UINT16, 1),
		RD(SSRC_Q_PV, 3, 810, SSRC_UINT16, 1),
		RD(SSRC_Q_PV, 3, 811, SSRC_UINT16, 1),
		RD(SSRC_Q_PV, 3, 812, SSRC_UINT16, 1),
		RD(SSRC_Q_PV, 3, 813, SSRC_UINT16, 1),
		RD(SSRC_Q_PV, 3, 850, SSRC_UINT16, 1),
		RD(SSRC_Q_LOAD, 3, 817, SSRC_UINT16, 1),
		RD(SSRC_Q_LOAD, 3, 818, SSRC_UINT16, 1),
		RD(SSRC_Q_LOAD, 3, 819, SSRC_UINT16, 1),
		RD(SSRC_Q_GRID, 3, 820, SSRC_INT16, 1),
		RD(SSRC_Q_GRID, 3, 821, SSRC_INT16, 1),
		RD(SSRC_Q_GRID, 3, 822, SSRC_INT16, 1),
		RD(SSRC_Q_BAT_POWER, 3, 842, SSRC_INT16, 1),
		RD(SSRC_Q_BAT_SOC, 3, 843, SSRC_UINT16, 1),
		RD(SSRC_Q_GRID_STATE, 3, 826, SSRC_INT16, 1),
	},
	{ WR(SSRC_O_GRID_SETPOINT, 0, 6, 2700, SSRC_INT16, 1) },
};
#undef RD
#undef WR

static const station_src_map *const presets[] = { &victron_gx };
const char *const station_source_preset_names[] = { "victron-gx", NULL };

const station_src_map *station_source_preset(const char *name)
{
	for (size_t i = 0; name && i < sizeof presets / sizeof presets[0]; i++)
		if (!strcasecmp(presets[i]->name, name))
			return presets[i];
	return NULL;
}

/* ------------------------------------------------------------ parser */

enum key_kind { K_READ, K_SETPOINT, K_SWITCH, K_ENABLE };

typedef struct key_def {
	const char *name;
	enum key_kind kind;
	uint8_t what, index;
} key_def;

static const key_def keys[] = {
	{ "pv_power", K_READ, SSRC_Q_PV, 0 },
	{ "pv3_power", K_READ, SSRC_Q_PV3, 0 },
	{ "bat_soc", K_READ, SSRC_Q_BAT_SOC, 0 },
	{ "bat_power", K_READ, SSRC_Q_BAT_POWER, 0 },
	{ "grid_power", K_READ, SSRC_Q_GRID, 0 },
	{ "load_power", K_READ, SSRC_Q_LOAD, 0 },
	{ "grid_state", K_READ, SSRC_Q_GRID_STATE, 0 },
	{ "bat_setpoint", K_SETPOINT, SSRC_O_BAT_SETPOINT, 0 },
	{ "grid_setpoint", K_SETPOINT, SSRC_O_GRID_SETPOINT, 0 },
	{ "pv_limit", K_SETPOINT, SSRC_O_PV_LIMIT, 0 },
	{ "load1", K_SWITCH, SSRC_O_LOAD, 0 },
	{ "load2", K_SWITCH, SSRC_O_LOAD, 1 },
	{ "load3", K_SWITCH, SSRC_O_LOAD, 2 },
	{ "load4", K_SWITCH, SSRC_O_LOAD, 3 },
	{ "load5", K_SWITCH, SSRC_O_LOAD, 4 },
	{ "load6", K_SWITCH, SSRC_O_LOAD, 5 },
	{ "load7", K_SWITCH, SSRC_O_LOAD, 6 },
	{ "load8", K_SWITCH, SSRC_O_LOAD, 7 },
	{ "heat_pump", K_SWITCH, SSRC_O_HEAT_PUMP, 0 },
	{ "generator", K_SWITCH, SSRC_O_GENERATOR, 0 },
	{ "enable", K_ENABLE, SSRC_O_ENABLE, 0 },
};
#define NKEYS (sizeof keys / sizeof keys[0])

/* Reads take function codes 3 and 4, setpoints 6 and 16. */
static const modbus_reg_rules read_rules = { ",3,4,",
					     "%s: function code '%s' must be 3 (holding) or 4 (input)", 127 };
static const modbus_reg_rules setpoint_rules = {
	",6,16,", "%s: function code '%s' must be 6 (one register) or 16 (several)", 127
};

int station_source_words(station_src_type t)
{
	return modbus_reg_words(t);
}

/* "FC:ADDR:TYPE[:ORDER[:SCALE]]" for reads and setpoints. */
static int parse_value_reg(const key_def *k, char *val, station_src_reg *r, char *err, size_t errlen)
{
	modbus_reg_item it;
	int rc = modbus_reg_parse_item(k->name, val, k->kind == K_READ ? &read_rules : &setpoint_rules, &it,
				       err, errlen);
	if (rc < 0)
		return rc;
	r->fc = it.fc;
	r->addr = it.addr;
	r->type = it.type;
	r->order = it.order;
	r->scale = it.scale;
	return 0;
}

/* Switches: "FC:ADDR" with FC 5 (coil) or 6 (register written 1/0).
 * enable: "6:ADDR:VALUE". */
static int parse_switch(const key_def *k, char *val, station_src_reg *r, char *err, size_t errlen)
{
	char orig[128], *f[MODBUS_REG_MAX_FIELDS];
	snprintf(orig, sizeof orig, "%s", val);
	int nf = modbus_reg_split(val, f);
	long fc, addr, v = 0;
	if (k->kind == K_SWITCH && nf != 2)
		return modbus_reg_fail(err, errlen, "%s: expected FC:ADDR (5 coil, 6 register), got '%s'",
				       k->name, orig);
	if (k->kind == K_ENABLE && nf != 3)
		return modbus_reg_fail(err, errlen, "%s: expected 6:ADDR:VALUE, got '%s'", k->name, orig);
	if (!modbus_reg_parse_long(f[0], 1, 16, &fc) || (k->kind == K_SWITCH ? fc != 5 && fc != 6 : fc != 6))
		return modbus_reg_fail(err, errlen, "%s: function code '%s' must be %s", k->name, f[0],
				       k->kind == K_SWITCH ? "5 (coil) or 6 (register)" : "6");
	if (!modbus_reg_parse_long(f[1], 0, 65535, &addr))
		return modbus_reg_fail(err, errlen, "%s: address '%s' must be 0..65535 (decimal or 0x hex)",
				       k->name, f[1]);
	if (k->kind == K_ENABLE && !modbus_reg_parse_long(f[2], 0, 65535, &v))
		return modbus_reg_fail(err, errlen, "%s: value '%s' must be 0..65535", k->name, f[2]);
	r->fc = (uint8_t)fc;
	r->addr = (uint16_t)addr;
	r->type = SSRC_UINT16;
	r->order = SSRC_WORD_BIG;
	r->scale = 1;
	r->value = (uint16_t)v;
	return 0;
}

int station_source_map_parse(const char *spec, station_src_map *map, char *err, size_t errlen)
{
	char buf[2048];
	bool seen[NKEYS] = { false }, load_seen = false, grid_value_seen = false;
	if (!spec || !map)
		return modbus_reg_fail(err, errlen, "station map: missing");
	if (strlen(spec) >= sizeof buf)
		return modbus_reg_fail(err, errlen, "station map: longer than 2047 characters");
	memset(map, 0, sizeof *map);
	snprintf(map->name, sizeof map->name, "generic");
	strcpy(buf, spec);

	char *save = NULL, *item, *val;
	int more;
	for (char *b = buf; (more = modbus_reg_next_item(b, &save, &item, &val, err, errlen)) > 0; b = NULL) {
		if (!strcmp(item, "load")) {
			if (load_seen)
				return modbus_reg_fail(err, errlen, "load: given twice");
			load_seen = true;
			if (!strcmp(val, "gross"))
				map->load_gross = true;
			else if (strcmp(val, "net"))
				return modbus_reg_fail(err, errlen, "load: '%s' must be net or gross", val);
			continue;
		}
		if (!strcmp(item, "grid_off") || !strcmp(item, "grid_on")) {
			if (grid_value_seen)
				return modbus_reg_fail(err, errlen, "%s: grid_off or grid_on, once", item);
			grid_value_seen = true;
			char *end;
			map->grid_value = strtod(val, &end);
			if (!*val || *end || !isfinite(map->grid_value))
				return modbus_reg_fail(err, errlen, "%s: '%s' is not a number", item, val);
			map->grid_value_on = !strcmp(item, "grid_on");
			continue;
		}
		size_t k;
		for (k = 0; k < NKEYS; k++)
			if (!strcmp(keys[k].name, item))
				break;
		if (k == NKEYS)
			return modbus_reg_fail(
				err, errlen,
				"'%s': unknown key (pv_power, pv3_power, bat_soc, bat_power, grid_power, "
				"load_power, grid_state, bat_setpoint, grid_setpoint, pv_limit, "
				"load1..load8, "
				"heat_pump, generator, enable, load, grid_off, grid_on)",
				item);
		const key_def *kd = &keys[k];
		station_src_reg *r;
		int rc;
		if (kd->kind == K_READ) {
			if (kd->what == SSRC_Q_GRID_STATE && seen[k])
				return modbus_reg_fail(err, errlen, "%s: given twice", item);
			if (map->n_reads == STATION_SRC_MAX_READS)
				return modbus_reg_fail(err, errlen, "%s: more than 24 registers to read",
						       item);
			r = &map->reads[map->n_reads];
			rc = parse_value_reg(kd, val, r, err, errlen);
		} else {
			if (seen[k] && kd->kind != K_ENABLE)
				return modbus_reg_fail(err, errlen, "%s: given twice", item);
			if (map->n_writes == STATION_SRC_MAX_WRITES)
				return modbus_reg_fail(err, errlen, "%s: more than 16 outputs", item);
			r = &map->writes[map->n_writes];
			rc = kd->kind == K_SETPOINT ? parse_value_reg(kd, val, r, err, errlen)
						    : parse_switch(kd, val, r, err, errlen);
		}
		if (rc < 0)
			return rc;
		r->what = kd->what;
		r->index = kd->index;
		if (kd->kind == K_READ)
			map->n_reads++;
		else
			map->n_writes++;
		seen[k] = true;
	}
	if (more < 0)
		return more;
	bool have[SSRC_Q_COUNT] = { false }, bat_sp = false, grid_sp = false;
	for (size_t i = 0; i < map->n_reads; i++)
		have[map->reads[i].what] = true;
	for (size_t i = 0; i < map->n_writes; i++) {
		bat_sp |= map->writes[i].what == SSRC_O_BAT_SETPOINT;
		grid_sp |= map->writes[i].what == SSRC_O_GRID_SETPOINT;
	}
	if (!have[SSRC_Q_PV])
		return modbus_reg_fail(err, errlen, "missing pv_power");
	if (!have[SSRC_Q_BAT_SOC])
		return modbus_reg_fail(err, errlen, "missing bat_soc");
	if (!have[SSRC_Q_GRID] && !have[SSRC_Q_LOAD])
		return modbus_reg_fail(err, errlen,
				       "missing grid_power or load_power (one is needed for the house load)");
	if (!have[SSRC_Q_LOAD] && !have[SSRC_Q_BAT_POWER])
		return modbus_reg_fail(err, errlen,
				       "missing bat_power (needed to derive the load from grid_power)");
	if (have[SSRC_Q_GRID_STATE] != grid_value_seen)
		return modbus_reg_fail(err, errlen,
				       have[SSRC_Q_GRID_STATE]
					       ? "grid_state: give grid_off=VALUE (or grid_on=VALUE) with it"
					       : "grid_off/grid_on: needs grid_state");
	if (bat_sp && grid_sp)
		return modbus_reg_fail(err, errlen, "bat_setpoint and grid_setpoint: give one, not both");
	return 0;
}

int station_source_map_resolve(const char *spec, station_src_map *map, char *err, size_t errlen)
{
	if (spec && !strchr(spec, '=')) {
		const station_src_map *p = station_source_preset(spec);
		if (!p) {
			if (err && errlen) {
				size_t n = (size_t)snprintf(err, errlen, "'%s' is neither a preset (", spec);
				for (int i = 0; station_source_preset_names[i] && n < errlen; i++)
					n += (size_t)snprintf(err + n, errlen - n, "%s%s", i ? ", " : "",
							      station_source_preset_names[i]);
				if (n < errlen)
					snprintf(err + n, errlen - n, ") nor a key=value map");
			}
			return -EINVAL;
		}
		*map = *p;
		return 0;
	}
	return station_source_map_parse(spec, map, err, errlen);
}

/* ------------------------------------------------------- decode/encode */

int station_source_decode(const station_src_reg *reg, const uint16_t *w, double *value)
{
	return modbus_reg_decode(reg->type, reg->order, reg->scale, w, value);
}

/* Rounded fit: raw values that round into the type are accepted. */
int station_source_encode(const station_src_reg *reg, double value, uint16_t *w)
{
	return modbus_reg_encode(reg->type, reg->order, reg->scale, value, w, MODBUS_FIT_ROUNDED);
}

void station_source_reading_clear(station_src_reading *r)
{
	r->pv_w = r->pv3_w = r->soc_pct = r->bat_w = r->grid_w = r->load_w = NAN;
	r->on_grid = -1;
	r->ts_ms = -1;
}
