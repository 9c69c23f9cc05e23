/* outages.h: the load-shedding schedule from a file (station_outages_file):
 * dated outages, one "START/END" or "START/DURATION" (ISO 8601) per line,
 * blank lines and '#' comments skipped, read at start and again whenever
 * the file changes (checked every 5 s; a file that did not change is not
 * read again, whatever the last read found). What it holds replaces the
 * station's loadShedding.outages (energy_set_outages); outages that have
 * ended are left out. A file that cannot be read or holds a bad line
 * changes nothing, raises the site alarm outageSchedule (ScheduleError,
 * naming the line) until a good read, and is reported as
 * feeds.outages in GET /api/v1/station.
 *
 * Threading: the lws service thread. Ownership: the caller owns it
 * (outages_free). */
#ifndef CSMS_OUTAGES_H
#define CSMS_OUTAGES_H

#include <stddef.h>
#include <stdint.h>

struct csms;
struct station_outage;
struct outages;

#define ALARM_SRC_OUTAGES "outageSchedule"
#define ALARM_CODE_SCHEDULE_ERROR "ScheduleError"
#define OUTAGES_FILE_MAX (64 * 1024) /* a schedule file beyond 64 KiB is refused */

/* Parses a schedule's text: its outages not ended at now_ms, by start,
 * into o[0..max) and *n. 0, or -1 with err naming the line. Pure. */
int outages_parse(const char *text, size_t len, int64_t now_ms, struct station_outage *o, int max, int *n,
		  char *err, size_t errlen);
struct outages *outages_new(struct csms *app);
void outages_free(struct outages *s);
/* From the loop's tick: re-reads the file when it changed (or the last
 * read failed), at most every 5 s. */
void outages_tick(struct outages *s, int64_t now_ms);

#endif
