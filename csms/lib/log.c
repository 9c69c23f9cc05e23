/* log.c: the daemon's logger. One fprintf per line so lines from the
 * sensor thread never interleave with the event loop's. */
#include "log.h"
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static enum log_level cur_level = LOG_INFO;
static enum log_format cur_format = LOG_TEXT;
static const char *const level_names[] = { "ERROR", "WARN", "INFO", "DEBUG" };

void log_set_level(enum log_level lvl)
{
	cur_level = lvl;
}
void log_set_format(enum log_format fmt)
{
	cur_format = fmt;
}

/* s as the inside of a JSON string, cut to fit (never inside an escape). */
static size_t json_escape(char *out, size_t cap, const char *s)
{
	size_t n = 0;
	for (; *s && n + 7 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			out[n++] = '\\';
			out[n++] = (char)c;
		} else if (c < 0x20) {
			n += (size_t)snprintf(out + n, cap - n, "\\u%04x", c);
		} else {
			out[n++] = (char)c;
		}
	}
	out[n] = 0;
	return n;
}

int log_enabled(enum log_level lvl)
{
	return lvl <= cur_level;
}

void log_msg(enum log_level lvl, const char *module, const char *fmt, ...)
{
	if (lvl > cur_level)
		return;
	char msg[1024], ts[32], line[sizeof msg + 128];
	struct timespec now;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (cur_format == LOG_JSON) {
		/* UTF-8 passes as it is: what reaches the log from the wire
		 * (ids, paths) has been checked as text or made printable. */
		char esc[2048];
		json_escape(esc, sizeof esc, msg);
		fprintf(stderr,
			"{\"time\":\"%s.%03ldZ\",\"level\":\"%s\",\"module\":\"%s\",\"msg\":\"%s\"}\n", ts,
			now.tv_nsec / 1000000, level_names[lvl], module, esc);
		return;
	}
	snprintf(line, sizeof line, "%s.%03ldZ %-5s %-8s %s", ts, now.tv_nsec / 1000000, level_names[lvl],
		 module, msg);
	fprintf(stderr, "%s\n", line);
}
