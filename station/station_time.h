/* station_time.h: dates as text, for the station's settings and the
 * daemon: RFC 3339 / ISO 8601 date-times, durations and intervals, in
 * milliseconds since the epoch (UTC). Pure: no clock, no locale. */
#ifndef STATION_TIME_H
#define STATION_TIME_H
#include <stddef.h>
#include <stdint.h>

/* Days from 1970-01-01 to the date y-m-d (proleptic Gregorian, after
 * H. Hinnant's algorithm; m 1..12). */
int64_t station_days_from_civil(int64_t y, int m, int d);
/* "2026-11-24T10:00:00Z", fractions, +hh:mm offsets (a missing zone is
 * read as UTC); 'T', 't' or ' ' between date and time. 0 or -1. */
int station_time_parse(const char *s, int64_t *ms);
/* "YYYY-MM-DDTHH:MM:SS.mmmZ" into buf (at least 25 bytes); buf. */
char *station_time_format(int64_t ms, char *buf, size_t len);
/* An ISO 8601 duration "P[nD][T[nH][nM][nS]]" in ms (> 0), or -1. */
int64_t station_duration_ms(const char *s);
/* An interval "START/END" or "START/DURATION" (ISO 8601) into
 * [*start, *end) ms; the end after the start. 0 or -1. */
int station_interval_parse(const char *s, int64_t *start_ms, int64_t *end_ms);

#endif
