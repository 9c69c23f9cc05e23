/*
 * dlm settings: one table row per setting gives its name, unit, default and
 * bounds; defaults, parsing and validation are driven by it. The daemon's
 * config rows name the field they set (csms/config.c).
 */
#include "dlm.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define F(name, json, unit, type, def, min, max, help)                                   \
	{                                                                                \
#name, json, unit, type, offsetof(dlm_config, name), def, min, max, help \
	}

const dlm_config_field dlm_config_fields[] = {
	F(enabled, "enabled", "", DLM_F_BOOL, 1, 0, 1, "dynamic load management on"),
	F(breaker_a, "breakerA", "A", DLM_F_AMPS, 25, 1, 1000,
	  "rated current of the household main breaker, per phase"),
	F(margin_a, "marginA", "A", DLM_F_AMPS, 1, 0, 100, "current kept free below the breaker rating"),
	F(fallback_a, "fallbackA", "A", DLM_F_AMPS, 6, 0, 1000,
	  "per-charger limit while the sensor reading is stale (0 = stop)"),
	F(stale_ms, "staleMs", "ms", DLM_F_MS, 10000, 100, 86400000,
	  "age after which a sensor reading is stale"),
	F(settle_ms, "settleMs", "ms", DLM_F_MS, 5000, 0, 3600000,
	  "an increase waits this long after it became possible and after any reduction"),
	F(ramp_a_per_s, "rampAPerS", "A/s", DLM_F_RATE, 2, 0.01, 1000, "maximum rate of an increase"),
	F(min_pause_ms, "minPauseMs", "ms", DLM_F_MS, 60000, 0, 86400000,
	  "a charger cut to 0 stays at 0 at least this long"),
	F(unused_slack_a, "unusedSlackA", "A", DLM_F_AMPS, 2, 0.1, 100,
	  "a car drawing less than limit - slack is held at draw + slack"),
	F(unused_ms, "unusedMs", "ms", DLM_F_MS, 60000, 0, 86400000,
	  "how long a car must draw less before its unused current is shared out"),
	F(resolution_a, "resolutionA", "A", DLM_F_AMPS, 0.1, 0.001, 1,
	  "limits are rounded down to this step"),
	F(disagree_a, "disagreeA", "A", DLM_F_AMPS, 2, 0.1, 1000,
	  "house current below what local generation explains by more than this: meter and chargers "
	  "disagree"),
	F(disagree_ms, "disagreeMs", "ms", DLM_F_MS, 60000, 0, 86400000,
	  "how long a disagreement (or its end) must last before it is reported"),
};
#undef F

const size_t dlm_config_nfields = sizeof dlm_config_fields / sizeof dlm_config_fields[0];

static void fmt(char *err, size_t errlen, const char *f, const char *a, const char *b)
{
	if (err && errlen)
		snprintf(err, errlen, f, a, b);
}

static const dlm_config_field *find(const char *name)
{
	for (size_t i = 0; name && i < dlm_config_nfields; i++)
		if (!strcmp(dlm_config_fields[i].name, name) || !strcmp(dlm_config_fields[i].json, name))
			return &dlm_config_fields[i];
	return NULL;
}

static void store(dlm_config *cfg, const dlm_config_field *f, double v)
{
	char *p = (char *)cfg + f->offset;
	switch (f->type) {
	case DLM_F_BOOL: *(bool *)p = v != 0; break;
	case DLM_F_MS: *(int64_t *)p = (int64_t)llround(v); break;
	case DLM_F_AMPS:
	case DLM_F_RATE: *(double *)p = v; break;
	}
}

static double load(const dlm_config *cfg, const dlm_config_field *f)
{
	const char *p = (const char *)cfg + f->offset;
	switch (f->type) {
	case DLM_F_BOOL: return *(const bool *)p ? 1 : 0;
	case DLM_F_MS: return (double)*(const int64_t *)p;
	case DLM_F_AMPS:
	case DLM_F_RATE: return *(const double *)p;
	}
	return NAN;
}

void dlm_config_defaults(dlm_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	for (size_t i = 0; i < dlm_config_nfields; i++)
		store(cfg, &dlm_config_fields[i], dlm_config_fields[i].def);
}

int dlm_config_get(const dlm_config *cfg, const char *name, double *value)
{
	const dlm_config_field *f = find(name);
	if (!f || !cfg || !value)
		return -ENOENT;
	*value = load(cfg, f);
	return 0;
}

int dlm_config_set(dlm_config *cfg, const char *name, const char *value, char *err, size_t errlen)
{
	const dlm_config_field *f = find(name);
	if (!f) {
		fmt(err, errlen, "%s: unknown DLM setting%s", name ? name : "(null)", "");
		return -EINVAL;
	}
	if (!value || !*value) {
		fmt(err, errlen, "%s: empty value%s", f->name, "");
		return -EINVAL;
	}
	double v;
	if (f->type == DLM_F_BOOL) {
		if (!strcasecmp(value, "true") || !strcmp(value, "1"))
			v = 1;
		else if (!strcasecmp(value, "false") || !strcmp(value, "0"))
			v = 0;
		else {
			fmt(err, errlen, "%s: '%s' is not true or false", f->name, value);
			return -EINVAL;
		}
	} else {
		char *end;
		errno = 0;
		v = strtod(value, &end);
		if (errno || end == value || *end || !isfinite(v)) {
			fmt(err, errlen, "%s: '%s' is not a number", f->name, value);
			return -EINVAL;
		}
	}
	return dlm_config_set_num(cfg, f->name, v, err, errlen);
}

int dlm_config_set_num(dlm_config *cfg, const char *name, double value, char *err, size_t errlen)
{
	const dlm_config_field *f = find(name);
	if (!f || !cfg) {
		fmt(err, errlen, "%s: unknown DLM setting%s", name ? name : "(null)", "");
		return -EINVAL;
	}
	if (f->type == DLM_F_BOOL)
		value = value != 0;
	if (!isfinite(value) || value < f->min || value > f->max) {
		char range[64];
		snprintf(range, sizeof range, "%g..%g %s", f->min, f->max, f->unit);
		fmt(err, errlen, "%s: out of range %s", f->name, range);
		return -EINVAL;
	}
	store(cfg, f, value);
	return 0;
}

int dlm_config_validate(const dlm_config *cfg, char *err, size_t errlen)
{
	if (!cfg) {
		fmt(err, errlen, "no DLM configuration%s%s", "", "");
		return -EINVAL;
	}
	for (size_t i = 0; i < dlm_config_nfields; i++) {
		const dlm_config_field *f = &dlm_config_fields[i];
		double v = load(cfg, f);
		if (!isfinite(v) || v < f->min || v > f->max) {
			char range[64];
			snprintf(range, sizeof range, "%g..%g %s", f->min, f->max, f->unit);
			fmt(err, errlen, "%s: out of range %s", f->name, range);
			return -EINVAL;
		}
	}
	if (cfg->margin_a >= cfg->breaker_a) {
		fmt(err, errlen, "margin_a: must be below breaker_a%s%s", "", "");
		return -EINVAL;
	}
	if (cfg->fallback_a > cfg->breaker_a - cfg->margin_a) {
		fmt(err, errlen, "fallback_a: must be at most breaker_a - margin_a%s%s", "", "");
		return -EINVAL;
	}
	return 0;
}
