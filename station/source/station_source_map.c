/*
 * Station register maps as data: the presets, the parser for generic maps
 * given in the config, and decoding/encoding of register words. No I/O
 * here; the polling thread lives in station_source.c.
 */
#include "station_source.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RD(q, fc, addr, type, scale) { q, 0, fc, addr, type, SSRC_WORD_BIG, scale, 0 }
#define WR(o, idx, fc, addr, type, scale) { o, idx, fc, addr, type, SSRC_WORD_BIG, scale, 0 }

/* Victron Venus OS / GX device, "com.victronenergy.system" on Modbus TCP
 * unit 100 (registers of Victron's CCGX Modbus-TCP register list), ESS
 * "external control" through the grid setpoint:
 *   808-810 PV AC-coupled on output L1-L3, 811-813 on input L1-L3, 850 PV
 *   DC-coupled (uint16, W); 817-819 AC consumption L1-L3 (uint16, W: the
 *   whole consumption, EV chargers on the AC output included); 820-822 grid
 *   L1-L3 (int16, W, import positive); 842 battery power (int16, W,
 *   charging positive); 843 SOC (uint16, %); 2700 ESS control loop setpoint
 *   (/Settings/CGwacs/AcPowerSetPoint, int16, W, import positive). */
static const station_src_map victron_gx = {
	"victron-gx", true, 15, 1,
	{
		RD(SSRC_Q_PV, 3, 808, SSRC_UINT16, 1), RD(SSRC_Q_PV, 3, 809, SSRC_UINT16, 1),
		RD(SSRC_Q_PV, 3, 810, SSRC_UINT16, 1), RD(SSRC_Q_PV, 3, 811, SSRC_UINT16, 1),
		RD(SSRC_Q_PV, 3, 812, SSRC_UINT16, 1), RD(SSRC_Q_PV, 3, 813, SSRC_UINT16, 1),
		RD(SSRC_Q_PV, 3, 850, SSRC_UINT16, 1),
		RD(SSRC_Q_LOAD, 3, 817, SSRC_UINT16, 1), RD(SSRC_Q_LOAD, 3, 818, SSRC_UINT16, 1),
		RD(SSRC_Q_LOAD, 3, 819, SSRC_UINT16, 1),
		RD(SSRC_Q_GRID, 3, 820, SSRC_INT16, 1), RD(SSRC_Q_GRID, 3, 821, SSRC_INT16, 1),
		RD(SSRC_Q_GRID, 3, 822, SSRC_INT16, 1),
		RD(SSRC_Q_BAT_POWER, 3, 842, SSRC_INT16, 1),
		RD(SSRC_Q_BAT_SOC, 3, 843, SSRC_UINT16, 1),
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

typedef struct type_def {
	const char *name;
	station_src_type t;
	int words;
} type_def;

static const type_def types[] = {
	{ "int16", SSRC_INT16, 1 },   { "uint16", SSRC_UINT16, 1 }, { "int32", SSRC_INT32, 2 },
	{ "uint32", SSRC_UINT32, 2 }, { "float32", SSRC_FLOAT32, 2 },
};

typedef struct order_def {
	const char *name;
	station_src_order o;
} order_def;

static const order_def orders[] = {
	{ "abcd", SSRC_WORD_BIG },
	{ "big", SSRC_WORD_BIG },
	{ "cdab", SSRC_WORD_LITTLE },
	{ "little", SSRC_WORD_LITTLE },
};

int station_source_words(station_src_type t)
{
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (types[i].t == t)
			return types[i].words;
	return 0;
}

static int fail(char *err, size_t errlen, const char *fmt, const char *a, const char *b)
{
	if (err && errlen)
		snprintf(err, errlen, fmt, a, b);
	return -EINVAL;
}

static bool parse_long(const char *s, long lo, long hi, long *v)
{
	char *end;
	errno = 0;
	long x = strtol(s, &end, 0);
	if (errno || end == s || *end || x < lo || x > hi)
		return false;
	*v = x;
	return true;
}

/* Splits val at ':' into at most 6 fields (in place); returns the count. */
static int split(char *val, char **f)
{
	int nf = 0;
	for (char *p = val; nf < 6;) {
		f[nf++] = p;
		char *c = strchr(p, ':');
		if (!c)
			break;
		*c = 0;
		p = c + 1;
	}
	return nf;
}

/* "FC:ADDR:TYPE[:ORDER[:SCALE]]"; fc_ok lists the function codes allowed. */
static int parse_value_reg(const key_def *k, char *val, station_src_reg *r, const char *fc_ok, char *err,
			   size_t errlen)
{
	char orig[128], *f[6];
	snprintf(orig, sizeof orig, "%s", val);
	int nf = split(val, f);
	if (nf < 3 || nf > 5)
		return fail(err, errlen, "%s: expected FC:ADDR:TYPE[:ORDER[:SCALE]], got '%s'", k->name, orig);
	long fc, addr;
	char fcs[8];
	if (!parse_long(f[0], 1, 16, &fc) || !strstr(fc_ok, (snprintf(fcs, sizeof fcs, ",%ld,", fc), fcs))) {
		if (k->kind == K_READ)
			return fail(err, errlen, "%s: function code '%s' must be 3 (holding) or 4 (input)", k->name, f[0]);
		return fail(err, errlen, "%s: function code '%s' must be 6 (one register) or 16 (several)", k->name,
			    f[0]);
	}
	if (!parse_long(f[1], 0, 65535, &addr))
		return fail(err, errlen, "%s: address '%s' must be 0..65535 (decimal or 0x hex)", k->name, f[1]);
	size_t t;
	for (t = 0; t < sizeof types / sizeof types[0]; t++)
		if (!strcasecmp(types[t].name, f[2]))
			break;
	if (t == sizeof types / sizeof types[0])
		return fail(err, errlen, "%s: type '%s' unknown (int16, uint16, int32, uint32, float32)", k->name, f[2]);
	if (addr + types[t].words > 65536)
		return fail(err, errlen, "%s: value at '%s' runs past register 65535", k->name, f[1]);
	if (fc == 6 && types[t].words != 1)
		return fail(err, errlen, "%s: function code 6 writes one register; use 16 for '%s'", k->name, f[2]);
	r->fc = (uint8_t)fc;
	r->addr = (uint16_t)addr;
	r->type = types[t].t;
	r->order = SSRC_WORD_BIG;
	r->scale = 1;
	if (nf > 3 && *f[3]) {
		size_t o;
		for (o = 0; o < sizeof orders / sizeof orders[0]; o++)
			if (!strcasecmp(orders[o].name, f[3]))
				break;
		if (o == sizeof orders / sizeof orders[0])
			return fail(err, errlen, "%s: word order '%s' unknown (abcd/big or cdab/little)", k->name, f[3]);
		r->order = orders[o].o;
	}
	if (nf > 4) {
		char *end;
		errno = 0;
		double s = strtod(f[4], &end);
		if (errno || end == f[4] || *end || !isfinite(s) || s == 0)
			return fail(err, errlen, "%s: scale '%s' must be a nonzero number", k->name, f[4]);
		r->scale = s;
	}
	return 0;
}

/* Switches: "FC:ADDR" with FC 5 (coil) or 6 (register written 1/0).
 * enable: "6:ADDR:VALUE". */
static int parse_switch(const key_def *k, char *val, station_src_reg *r, char *err, size_t errlen)
{
	char orig[128], *f[6];
	snprintf(orig, sizeof orig, "%s", val);
	int nf = split(val, f);
	long fc, addr, v = 0;
	if (k->kind == K_SWITCH && nf != 2)
		return fail(err, errlen, "%s: expected FC:ADDR (5 coil, 6 register), got '%s'", k->name, orig);
	if (k->kind == K_ENABLE && nf != 3)
		return fail(err, errlen, "%s: expected 6:ADDR:VALUE, got '%s'", k->name, orig);
	if (!parse_long(f[0], 1, 16, &fc) || (k->kind == K_SWITCH ? fc != 5 && fc != 6 : fc != 6))
		return fail(err, errlen,
			    k->kind == K_SWITCH ? "%s: function code '%s' must be 5 (coil) or 6 (register)"
						: "%s: function code '%s' must be 6",
			    k->name, f[0]);
	if (!parse_long(f[1], 0, 65535, &addr))
		return fail(err, errlen, "%s: address '%s' must be 0..65535 (decimal or 0x hex)", k->name, f[1]);
	if (k->kind == K_ENABLE && !parse_long(f[2], 0, 65535, &v))
		return fail(err, errlen, "%s: value '%s' must be 0..65535", k->name, f[2]);
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
	bool seen[NKEYS] = { false }, load_seen = false;
	if (!spec || !map)
		return fail(err, errlen, "station map: missing%s%s", "", "");
	if (strlen(spec) >= sizeof buf)
		return fail(err, errlen, "station map: longer than 2047 characters%s%s", "", "");
	memset(map, 0, sizeof *map);
	snprintf(map->name, sizeof map->name, "generic");
	strcpy(buf, spec);

	char *save = NULL;
	for (char *item = strtok_r(buf, ", \t\n;", &save); item; item = strtok_r(NULL, ", \t\n;", &save)) {
		char *eq = strchr(item, '=');
		if (!eq)
			return fail(err, errlen, "'%s': expected key=value%s", item, "");
		*eq = 0;
		char *val = eq + 1;
		if (!strcmp(item, "load")) {
			if (load_seen)
				return fail(err, errlen, "load: given twice%s%s", "", "");
			load_seen = true;
			if (!strcmp(val, "gross"))
				map->load_gross = true;
			else if (strcmp(val, "net"))
				return fail(err, errlen, "load: '%s' must be net or gross%s", val, "");
			continue;
		}
		size_t k;
		for (k = 0; k < NKEYS; k++)
			if (!strcmp(keys[k].name, item))
				break;
		if (k == NKEYS)
			return fail(err, errlen,
				    "'%s': unknown key (pv_power, pv3_power, bat_soc, bat_power, grid_power, "
				    "load_power, bat_setpoint, grid_setpoint, pv_limit, load1..load8, heat_pump, "
				    "generator, enable, load)%s",
				    item, "");
		const key_def *kd = &keys[k];
		station_src_reg *r;
		int rc;
		if (kd->kind == K_READ) {
			if (map->n_reads == STATION_SRC_MAX_READS)
				return fail(err, errlen, "%s: more than 24 registers to read%s", item, "");
			r = &map->reads[map->n_reads];
			rc = parse_value_reg(kd, val, r, ",3,4,", err, errlen);
		} else {
			if (seen[k] && kd->kind != K_ENABLE)
				return fail(err, errlen, "%s: given twice%s", item, "");
			if (map->n_writes == STATION_SRC_MAX_WRITES)
				return fail(err, errlen, "%s: more than 16 outputs%s", item, "");
			r = &map->writes[map->n_writes];
			rc = kd->kind == K_SETPOINT ? parse_value_reg(kd, val, r, ",6,16,", err, errlen)
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
	bool have[SSRC_Q_COUNT] = { false }, bat_sp = false, grid_sp = false;
	for (size_t i = 0; i < map->n_reads; i++)
		have[map->reads[i].what] = true;
	for (size_t i = 0; i < map->n_writes; i++) {
		bat_sp |= map->writes[i].what == SSRC_O_BAT_SETPOINT;
		grid_sp |= map->writes[i].what == SSRC_O_GRID_SETPOINT;
	}
	if (!have[SSRC_Q_PV])
		return fail(err, errlen, "missing pv_power%s%s", "", "");
	if (!have[SSRC_Q_BAT_SOC])
		return fail(err, errlen, "missing bat_soc%s%s", "", "");
	if (!have[SSRC_Q_GRID] && !have[SSRC_Q_LOAD])
		return fail(err, errlen, "missing grid_power or load_power (one is needed for the house load)%s%s", "",
			    "");
	if (!have[SSRC_Q_LOAD] && !have[SSRC_Q_BAT_POWER])
		return fail(err, errlen, "missing bat_power (needed to derive the load from grid_power)%s%s", "", "");
	if (bat_sp && grid_sp)
		return fail(err, errlen, "bat_setpoint and grid_setpoint: give one, not both%s%s", "", "");
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
	int words = station_source_words(reg->type);
	uint32_t u = words < 2 ? w[0]
		   : reg->order == SSRC_WORD_BIG ? ((uint32_t)w[0] << 16) | w[1]
						 : ((uint32_t)w[1] << 16) | w[0];
	double v;
	switch (reg->type) {
	case SSRC_INT16: v = (int16_t)w[0]; break;
	case SSRC_UINT16: v = w[0]; break;
	case SSRC_INT32: v = (int32_t)u; break;
	case SSRC_UINT32: v = u; break;
	case SSRC_FLOAT32: {
		float f;
		memcpy(&f, &u, sizeof f);
		v = f;
		break;
	}
	default: return -ERANGE;
	}
	v *= reg->scale;
	if (!isfinite(v))
		return -ERANGE;
	*value = v;
	return 0;
}

int station_source_encode(const station_src_reg *reg, double value, uint16_t *w)
{
	double raw = value / reg->scale;
	uint32_t u;
	if (!isfinite(raw))
		return -ERANGE;
	switch (reg->type) {
	case SSRC_INT16:
		if (raw < -32768.5 || raw >= 32767.5)
			return -ERANGE;
		w[0] = (uint16_t)(int16_t)lround(raw);
		return 0;
	case SSRC_UINT16:
		if (raw <= -0.5 || raw >= 65535.5)
			return -ERANGE;
		w[0] = (uint16_t)lround(raw);
		return 0;
	case SSRC_INT32:
		if (raw < -2147483648.0 || raw > 2147483647.0)
			return -ERANGE;
		u = (uint32_t)(int32_t)llround(raw);
		break;
	case SSRC_UINT32:
		if (raw <= -0.5 || raw > 4294967295.0)
			return -ERANGE;
		u = (uint32_t)llround(raw);
		break;
	case SSRC_FLOAT32: {
		float f = (float)raw;
		memcpy(&u, &f, sizeof u);
		break;
	}
	default: return -ERANGE;
	}
	if (reg->order == SSRC_WORD_BIG) {
		w[0] = (uint16_t)(u >> 16);
		w[1] = (uint16_t)u;
	} else {
		w[0] = (uint16_t)u;
		w[1] = (uint16_t)(u >> 16);
	}
	return 0;
}

void station_source_reading_clear(station_src_reading *r)
{
	r->pv_w = r->pv3_w = r->soc_pct = r->bat_w = r->grid_w = r->load_w = NAN;
	r->ts_ms = -1;
}
