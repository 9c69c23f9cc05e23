/* timeutil.h: UTC ISO 8601 text <-> milliseconds since the epoch. */
#ifndef CSMS_TIMEUTIL_H
#define CSMS_TIMEUTIL_H
#include <stddef.h>
#include <stdint.h>

/* Parses RFC 3339 / ISO 8601 ("2026-11-24T10:00:00Z", fractions, +hh:mm
 * offsets; a missing zone is taken as UTC). 0 or -1. */
int time_parse_iso(const char *s, int64_t *ms);
/* Writes "YYYY-MM-DDTHH:MM:SS.mmmZ" into buf (at least 25 bytes). */
char *time_format_iso(int64_t ms, char *buf, size_t len);
int64_t time_now_ms(void);

#endif
