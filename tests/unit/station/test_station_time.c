/* test_station_time.c: date-times, durations and intervals as text
 * (station_time), the forms a user writes in a schedule file. */
#include "station_time.h"
#include "test_util.h"

#include <string.h>

#define T0 1796479200000LL /* 2026-12-05T14:00:00Z */

int main(void)
{
	int64_t a, b;
	char buf[40];
	/* date-times */
	CHECK(station_time_parse("2026-12-05T14:00:00Z", &a) == 0 && a == T0, "UTC");
	CHECK(station_time_parse("2026-12-05T16:00:00+02:00", &a) == 0 && a == T0, "an offset");
	CHECK(station_time_parse("2026-12-05 14:00:00.250", &a) == 0 && a == T0 + 250, "no zone, fraction");
	CHECK(station_time_parse("2026-12-05T14:00:00-00:30", &a) == 0 && a == T0 + 1800000, "minus offset");
	static const char *const bad[] = { "2026-12-05",
					   "2026-13-05T14:00:00Z",
					   "2026-12-05T24:00:00Z",
					   "2026-12-05T14:00:00+2",
					   "2026-12-05T14:00:00Zx",
					   "2026-12-05T14:00:00.Z",
					   "",
					   "x026-12-05T14:00:00Z" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(station_time_parse(bad[i], &a) == -1, "refused: '%s'", bad[i]);
	CHECK(station_time_parse(NULL, &a) == -1, "NULL refused");
	CHECK(!strcmp(station_time_format(T0 + 5, buf, sizeof buf), "2026-12-05T14:00:00.005Z"), "format %s",
	      buf);
	CHECK(!strcmp(station_time_format(-1, buf, sizeof buf), "1969-12-31T23:59:59.999Z"), "before 1970 %s",
	      buf);
	/* durations */
	CHECK(station_duration_ms("PT2H30M") == 9000000, "PT2H30M");
	CHECK(station_duration_ms("P1DT1S") == 86401000, "P1DT1S");
	CHECK(station_duration_ms("PT90M") == 5400000, "PT90M");
	static const char *const badd[] = { "P",   "PT",  "PT0S",   "PT-1H", "PT 1H",    "PT1M2H",
					    "P1H", "T1H", "PT1H1H", "PT1X",  "PT999999H" };
	for (size_t i = 0; i < sizeof badd / sizeof badd[0]; i++)
		CHECK(station_duration_ms(badd[i]) == -1, "refused duration '%s'", badd[i]);
	/* intervals */
	CHECK(station_interval_parse("2026-12-05T16:00:00+02:00/2026-12-05T18:30:00+02:00", &a, &b) == 0 &&
		      a == T0 && b == T0 + 9000000,
	      "START/END");
	CHECK(station_interval_parse("2026-12-05T14:00:00Z/PT2H30M", &a, &b) == 0 && a == T0 &&
		      b == T0 + 9000000,
	      "START/DURATION");
	static const char *const badi[] = { "2026-12-05T14:00:00Z",
					    "2026-12-05T14:00:00Z/",
					    "2026-12-05T14:00:00Z/2026-12-05T14:00:00Z",
					    "2026-12-05T14:00:00Z/2026-12-05T13:00:00Z",
					    "/PT1H",
					    "2026-12-05T14:00:00Z/PT1H/PT1H" };
	for (size_t i = 0; i < sizeof badi / sizeof badi[0]; i++)
		CHECK(station_interval_parse(badi[i], &a, &b) == -1, "refused interval '%s'", badi[i]);
	T_DONE();
}
