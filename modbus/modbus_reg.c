/*
 * Register value codec and map-string parsing shared by the Modbus
 * drivers. Type and word-order names are tables; the drivers keep their
 * own key tables and the messages about their keys.
 */
#include "modbus_reg.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct type_def {
	const char *name;
	modbus_reg_type t;
	int words;
} type_def;

static const type_def types[] = {
	{ "int16", MODBUS_REG_INT16, 1 },     { "uint16", MODBUS_REG_UINT16, 1 },
	{ "int32", MODBUS_REG_INT32, 2 },     { "uint32", MODBUS_REG_UINT32, 2 },
	{ "float32", MODBUS_REG_FLOAT32, 2 },
};
#define NTYPES (sizeof types / sizeof types[0])

typedef struct order_def {
	const char *name;
	modbus_word_order o;
} order_def;

static const order_def orders[] = {
	{ "abcd", MODBUS_WORD_BIG },
	{ "big", MODBUS_WORD_BIG },
	{ "cdab", MODBUS_WORD_LITTLE },
	{ "little", MODBUS_WORD_LITTLE },
};
#define NORDERS (sizeof orders / sizeof orders[0])

int modbus_reg_words(modbus_reg_type t)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (types[i].t == t)
			return types[i].words;
	return 0;
}

/* ------------------------------------------------------- decode/encode */

int modbus_reg_decode(modbus_reg_type t, modbus_word_order o, double scale, const uint16_t *w, double *value)
{
	/* a one-register value may sit at the end of a block: never read w[1] */
	uint32_t u = modbus_reg_words(t) < 2 ? w[0]
		: o == MODBUS_WORD_BIG       ? ((uint32_t)w[0] << 16) | w[1]
					     : ((uint32_t)w[1] << 16) | w[0];
	double v;
	switch (t) {
	case MODBUS_REG_INT16: v = (int16_t)w[0]; break;
	case MODBUS_REG_UINT16: v = w[0]; break;
	case MODBUS_REG_INT32: v = (int32_t)u; break;
	case MODBUS_REG_UINT32: v = u; break;
	case MODBUS_REG_FLOAT32: {
		float f;
		memcpy(&f, &u, sizeof f);
		v = f;
		break;
	}
	default: return -ERANGE;
	}
	v *= scale;
	if (!isfinite(v))
		return -ERANGE;
	*value = v;
	return 0;
}

/* Whether raw fits t under the fit rule (see modbus_reg_fit). */
static bool fits(modbus_reg_type t, double raw, modbus_reg_fit fit)
{
	bool r = fit == MODBUS_FIT_ROUNDED;
	switch (t) {
	case MODBUS_REG_INT16: return r ? raw > -32768.5 && raw < 32767.5 : raw >= -32768 && raw <= 32767;
	case MODBUS_REG_UINT16: return r ? raw > -0.5 && raw < 65535.5 : raw >= 0 && raw <= 65535;
	case MODBUS_REG_INT32: return raw >= -2147483648.0 && raw <= 2147483647.0;
	case MODBUS_REG_UINT32: return (r ? raw > -0.5 : raw >= 0) && raw <= 4294967295.0;
	default: return true;
	}
}

int modbus_reg_encode(modbus_reg_type t, modbus_word_order o, double scale, double value, uint16_t *w,
		      modbus_reg_fit fit)
{
	double raw = value / scale;
	uint32_t u;
	if (!isfinite(raw) || !fits(t, raw, fit))
		return -ERANGE;
	switch (t) {
	case MODBUS_REG_INT16: w[0] = (uint16_t)(int16_t)lround(raw); return 0;
	case MODBUS_REG_UINT16: w[0] = (uint16_t)lround(raw); return 0;
	case MODBUS_REG_INT32: u = (uint32_t)(int32_t)llround(raw); break;
	case MODBUS_REG_UINT32: u = (uint32_t)llround(raw); break;
	case MODBUS_REG_FLOAT32: {
		float f = (float)raw;
		memcpy(&u, &f, sizeof u);
		break;
	}
	default: return -ERANGE;
	}
	if (o == MODBUS_WORD_BIG) {
		w[0] = (uint16_t)(u >> 16);
		w[1] = (uint16_t)u;
	} else {
		w[0] = (uint16_t)u;
		w[1] = (uint16_t)(u >> 16);
	}
	return 0;
}

/* ------------------------------------------------------------ parsing */

int modbus_reg_fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

bool modbus_reg_parse_long(const char *s, long lo, long hi, long *v)
{
	char *end;
	errno = 0;
	long x = strtol(s, &end, 0);
	if (errno || end == s || *end || x < lo || x > hi)
		return false;
	*v = x;
	return true;
}

int modbus_reg_split(char *val, char **f)
{
	int nf = 0;
	for (char *p = val; nf < MODBUS_REG_MAX_FIELDS;) {
		f[nf++] = p;
		char *c = strchr(p, ':');
		if (!c)
			break;
		*c = 0;
		p = c + 1;
	}
	return nf;
}

int modbus_reg_next_item(char *buf, char **save, char **key, char **val, char *err, size_t errlen)
{
	char *item = strtok_r(buf, ", \t\n;", save);
	if (!item)
		return 0;
	char *eq = strchr(item, '=');
	if (!eq)
		return modbus_reg_fail(err, errlen, "'%s': expected key=value", item);
	*eq = 0;
	*key = item;
	*val = eq + 1;
	return 1;
}

int modbus_reg_parse_item(const char *key, char *val, const modbus_reg_rules *rules, modbus_reg_item *out,
			  char *err, size_t errlen)
{
	char orig[256], *f[MODBUS_REG_MAX_FIELDS], fcs[8];
	size_t echo = rules->echo_max < sizeof orig ? rules->echo_max + 1 : sizeof orig;
	snprintf(orig, echo, "%s", val);
	int nf = modbus_reg_split(val, f);
	if (nf < 3 || nf > 5)
		return modbus_reg_fail(err, errlen, "%s: expected FC:ADDR:TYPE[:ORDER[:SCALE]], got '%s'",
				       key, orig);
	long fc, addr;
	if (!modbus_reg_parse_long(f[0], 1, 16, &fc) ||
	    !strstr(rules->fcs, (snprintf(fcs, sizeof fcs, ",%ld,", fc), fcs)))
		return modbus_reg_fail(err, errlen, rules->fc_error, key, f[0]);
	if (!modbus_reg_parse_long(f[1], 0, 65535, &addr))
		return modbus_reg_fail(err, errlen, "%s: address '%s' must be 0..65535 (decimal or 0x hex)",
				       key, f[1]);
	size_t t;
	for (t = 0; t < NTYPES; t++)
		if (!strcasecmp(types[t].name, f[2]))
			break;
	if (t == NTYPES)
		return modbus_reg_fail(err, errlen,
				       "%s: type '%s' unknown (int16, uint16, int32, uint32, float32)", key,
				       f[2]);
	if (addr + types[t].words > 65536)
		return modbus_reg_fail(err, errlen, "%s: value at '%s' runs past register 65535", key, f[1]);
	if (fc == 6 && types[t].words != 1)
		return modbus_reg_fail(err, errlen,
				       "%s: function code 6 writes one register; use 16 for '%s'", key, f[2]);
	modbus_reg_item it = { (uint8_t)fc, (uint16_t)addr, types[t].t, MODBUS_WORD_BIG, 1 };
	if (nf > 3 && *f[3]) {
		size_t o;
		for (o = 0; o < NORDERS; o++)
			if (!strcasecmp(orders[o].name, f[3]))
				break;
		if (o == NORDERS)
			return modbus_reg_fail(err, errlen,
					       "%s: word order '%s' unknown (abcd/big or cdab/little)", key,
					       f[3]);
		it.order = orders[o].o;
	}
	if (nf > 4) {
		char *end;
		errno = 0;
		double s = strtod(f[4], &end);
		if (errno || end == f[4] || *end || !isfinite(s) || s == 0)
			return modbus_reg_fail(err, errlen, "%s: scale '%s' must be a nonzero number", key,
					       f[4]);
		it.scale = s;
	}
	*out = it;
	return 0;
}
