/* timeutil.c: UTC time text (the station library's station_time, which
 * the station's settings share) and the wall clock. */
#include "timeutil.h"
#include "station_time.h"
#include <time.h>

int time_parse_iso(const char *s, int64_t *ms)
{
	return station_time_parse(s, ms);
}

char *time_format_iso(int64_t ms, char *buf, size_t len)
{
	return station_time_format(ms, buf, len);
}

int64_t time_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
