/* log.c: the daemon's logger. One fprintf per line so lines from the
 * sensor thread never interleave with the event loop's. */
#include "log.h"
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static enum log_level cur_level = LOG_INFO;
static const char *const level_names[] = { "ERROR", "WARN", "INFO", "DEBUG" };

void log_set_level(enum log_level lvl)
{
	cur_level = lvl;
}
int log_enabled(enum log_level lvl)
{
	return lvl <= cur_level;
}

void log_msg(enum log_level lvl, const char *module, const char *fmt, ...)
{
	if (lvl > cur_level)
		return;
	char line[1024], ts[32];
	struct timespec now;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
	int n = snprintf(line, sizeof line, "%s.%03ldZ %-5s %-8s ", ts, now.tv_nsec / 1000000,
			 level_names[lvl], module);
	va_list ap;
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof line)
		vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", line);
}
