/*
 * Meter register maps as data: the SDM630 and DTSU666 presets, the parser
 * for generic maps from a config string, and decoding/encoding of register
 * words. No I/O here; the polling thread lives in dlm_sensor.c.
 */
#include "dlm_sensor.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define R(q, ph, fc, addr, type, scale) { q, ph, fc, addr, type, DLM_WORD_BIG, scale }

/* Eastron SDM630 (v2): input registers (function 4), IEEE 754 float32, high
 * word first, plain units. 30001.. L-N volts, 30007.. phase currents (always
 * positive), 30013.. phase active power (signed, import positive), 30053
 * total system power. */
static const dlm_meter_map sdm630 = {
    "sdm630", true, 10, {
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
static const dlm_meter_map dtsu666 = {
    "dtsu666", true, 10, {
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

static const dlm_meter_map *const presets[] = { &sdm630, &dtsu666 };

const dlm_meter_map *dlm_meter_preset(const char *name)
{
    for (size_t i = 0; name && i < sizeof presets / sizeof presets[0]; i++)
        if (!strcasecmp(presets[i]->name, name))
            return presets[i];
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

typedef struct type_def {
    const char *name;
    dlm_reg_type t;
    int words;
} type_def;

static const type_def types[] = {
    { "int16", DLM_REG_INT16, 1 },   { "uint16", DLM_REG_UINT16, 1 },
    { "int32", DLM_REG_INT32, 2 },   { "uint32", DLM_REG_UINT32, 2 },
    { "float32", DLM_REG_FLOAT32, 2 },
};

typedef struct order_def {
    const char *name;
    dlm_word_order o;
} order_def;

static const order_def orders[] = {
    { "abcd", DLM_WORD_BIG }, { "big", DLM_WORD_BIG },
    { "cdab", DLM_WORD_LITTLE }, { "little", DLM_WORD_LITTLE },
};

int dlm_reg_words(dlm_reg_type t)
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

/* "FC:ADDR:TYPE[:ORDER[:SCALE]]" for the item named key. */
static int parse_reg(const char *key, char *val, dlm_meter_reg *r, char *err, size_t errlen)
{
    char orig[256];
    char *f[6];
    int nf = 0;
    snprintf(orig, sizeof orig, "%s", val);
    for (char *p = val;;) {
        if (nf == 6)
            break;
        f[nf++] = p;
        char *c = strchr(p, ':');
        if (!c)
            break;
        *c = 0;
        p = c + 1;
    }
    if (nf < 3 || nf > 5)
        return fail(err, errlen, "%s: expected FC:ADDR:TYPE[:ORDER[:SCALE]], got '%s'", key, orig);
    long fc, addr;
    if (!parse_long(f[0], 3, 4, &fc))
        return fail(err, errlen, "%s: function code '%s' must be 3 (holding) or 4 (input)", key, f[0]);
    if (!parse_long(f[1], 0, 65535, &addr))
        return fail(err, errlen, "%s: address '%s' must be 0..65535 (decimal or 0x hex)", key, f[1]);
    size_t t;
    for (t = 0; t < sizeof types / sizeof types[0]; t++)
        if (!strcasecmp(types[t].name, f[2]))
            break;
    if (t == sizeof types / sizeof types[0])
        return fail(err, errlen, "%s: type '%s' unknown (int16, uint16, int32, uint32, float32)", key,
                    f[2]);
    if (addr + types[t].words > 65536)
        return fail(err, errlen, "%s: value at '%s' runs past register 65535", key, f[1]);
    r->fc = (uint8_t)fc;
    r->addr = (uint16_t)addr;
    r->type = types[t].t;
    r->order = DLM_WORD_BIG;
    r->scale = 1;
    if (nf > 3 && *f[3]) {
        size_t o;
        for (o = 0; o < sizeof orders / sizeof orders[0]; o++)
            if (!strcasecmp(orders[o].name, f[3]))
                break;
        if (o == sizeof orders / sizeof orders[0])
            return fail(err, errlen, "%s: word order '%s' unknown (abcd/big or cdab/little)", key,
                        f[3]);
        r->order = orders[o].o;
    }
    if (nf > 4) {
        char *end;
        errno = 0;
        double s = strtod(f[4], &end);
        if (errno || end == f[4] || *end || !isfinite(s) || s == 0)
            return fail(err, errlen, "%s: scale '%s' must be a nonzero number", key, f[4]);
        r->scale = s;
    }
    return 0;
}

int dlm_meter_parse(const char *spec, dlm_meter_map *map, char *err, size_t errlen)
{
    char buf[1024];
    bool seen[NKEYS] = { false };
    bool sign_seen = false;
    if (!spec || !map)
        return fail(err, errlen, "generic meter map: missing%s%s", "", "");
    if (strlen(spec) >= sizeof buf)
        return fail(err, errlen, "generic meter map: longer than 1023 characters%s%s", "", "");
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
        if (!strcmp(item, "sign")) {
            if (sign_seen)
                return fail(err, errlen, "sign: given twice%s%s", "", "");
            sign_seen = true;
            if (!strcmp(val, "power"))
                map->sign_from_power = true;
            else if (strcmp(val, "meter"))
                return fail(err, errlen, "sign: '%s' must be power or meter%s", val, "");
            continue;
        }
        size_t k;
        for (k = 0; k < NKEYS; k++)
            if (!strcmp(keys[k].name, item))
                break;
        if (k == NKEYS)
            return fail(err, errlen,
                        "'%s': unknown key (l1_current..l3_current, l1_voltage..l3_voltage, "
                        "l1_power..l3_power, total_power, sign)%s",
                        item, "");
        if (seen[k])
            return fail(err, errlen, "%s: given twice%s", item, "");
        seen[k] = true;
        dlm_meter_reg *r = &map->regs[map->n];
        r->q = keys[k].q;
        r->phase = keys[k].phase;
        int rc = parse_reg(keys[k].name, val, r, err, errlen);
        if (rc < 0)
            return rc;
        map->n++;
    }
    for (size_t k = 0; k < 3; k++)
        if (!seen[k])
            return fail(err, errlen, "missing %s (all three phase currents are required)%s",
                        keys[k].name, "");
    return 0;
}

/* ------------------------------------------------------- decode/encode */

int dlm_meter_decode(const dlm_meter_reg *reg, const uint16_t *w, double *value)
{
    uint32_t u = reg->order == DLM_WORD_BIG ? ((uint32_t)w[0] << 16) | w[1]
                                            : ((uint32_t)w[1] << 16) | w[0];
    double v;
    switch (reg->type) {
    case DLM_REG_INT16: v = (int16_t)w[0]; break;
    case DLM_REG_UINT16: v = w[0]; break;
    case DLM_REG_INT32: v = (int32_t)u; break;
    case DLM_REG_UINT32: v = u; break;
    case DLM_REG_FLOAT32: {
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

int dlm_meter_encode(const dlm_meter_reg *reg, double value, uint16_t *w)
{
    double raw = value / reg->scale;
    uint32_t u;
    if (!isfinite(raw))
        return -ERANGE;
    switch (reg->type) {
    case DLM_REG_INT16:
        if (raw < -32768 || raw > 32767)
            return -ERANGE;
        w[0] = (uint16_t)(int16_t)lround(raw);
        return 0;
    case DLM_REG_UINT16:
        if (raw < 0 || raw > 65535)
            return -ERANGE;
        w[0] = (uint16_t)lround(raw);
        return 0;
    case DLM_REG_INT32:
        if (raw < -2147483648.0 || raw > 2147483647.0)
            return -ERANGE;
        u = (uint32_t)(int32_t)llround(raw);
        break;
    case DLM_REG_UINT32:
        if (raw < 0 || raw > 4294967295.0)
            return -ERANGE;
        u = (uint32_t)llround(raw);
        break;
    case DLM_REG_FLOAT32: {
        float f = (float)raw;
        memcpy(&u, &f, sizeof u);
        break;
    }
    default: return -ERANGE;
    }
    if (reg->order == DLM_WORD_BIG) {
        w[0] = (uint16_t)(u >> 16);
        w[1] = (uint16_t)u;
    } else {
        w[0] = (uint16_t)u;
        w[1] = (uint16_t)(u >> 16);
    }
    return 0;
}

void dlm_reading_clear(dlm_reading *r)
{
    for (int p = 0; p < DLM_PHASES; p++)
        r->current_a[p] = r->voltage_v[p] = r->power_w[p] = NAN;
    r->power_total_w = NAN;
    r->ts_ms = DLM_NO_TIME;
}
