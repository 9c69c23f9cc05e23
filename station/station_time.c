/* station_time.c: date-time text parsed by hand (strptime is locale- and
 * zone-dependent), formatted with gmtime_r; durations and intervals. */
#include "station_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int64_t station_days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int station_time_parse(const char *s, int64_t *ms)
{
	int Y, M, D, h, m, sec, frac = 0;
	if (!s || strlen(s) < 19)
		return -1;
	if (digits(s, 4, &Y) || s[4] != '-' || digits(s + 5, 2, &M) || s[7] != '-' || digits(s + 8, 2, &D) ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || digits(s + 11, 2, &h) || s[13] != ':' ||
	    digits(s + 14, 2, &m) || s[16] != ':' || digits(s + 17, 2, &sec))
		return -1;
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
		return -1;
	const char *p = s + 19;
	if (*p == '.') {
		int n = 0, scale = 100;
		p++;
		while (*p >= '0' && *p <= '9') {
			if (n < 3)
				frac += (*p - '0') * scale;
			scale /= 10;
			n++;
			p++;
		}
		if (!n)
			return -1;
	}
	int64_t off = 0;
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		int oh, om;
		if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
			return -1;
		off = (oh * 60 + om) * 60 * (*p == '+' ? 1 : -1);
		p += 6;
	}
	if (*p)
		return -1;
	int64_t t = station_days_from_civil(Y, M, D) * 86400 + h * 3600 + m * 60 + sec - off;
	*ms = t * 1000 + frac;
	return 0;
}

char *station_time_format(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms - (int64_t)t * 1000));
	return buf;
}

int64_t station_duration_ms(const char *s)
{
	static const struct {
		char unit;
		int64_t ms;
		int in_time; /* after 'T' */
	} units[] = { { 'D', 86400000, 0 }, { 'H', 3600000, 1 }, { 'M', 60000, 1 }, { 'S', 1000, 1 } };
	if (!s || *s++ != 'P' || !*s)
		return -1;
	int64_t total = 0;
	int in_time = 0;
	size_t next = 0; /* units in order, each once */
	while (*s) {
		if (*s == 'T' && !in_time) {
			in_time = 1;
			s++;
			continue;
		}
		if (*s < '0' || *s > '9')
			return -1;
		char *end;
		long v = strtol(s, &end, 10);
		if (v > 100000)
			return -1;
		size_t u;
		for (u = next; u < sizeof units / sizeof units[0]; u++)
			if (units[u].unit == *end && units[u].in_time == in_time)
				break;
		if (u == sizeof units / sizeof units[0])
			return -1;
		total += v * units[u].ms;
		next = u + 1;
		s = end + 1;
	}
	return total > 0 ? total : -1;
}

int station_interval_parse(const char *s, int64_t *start_ms, int64_t *end_ms)
{
	char buf[96];
	if (!s || strlen(s) >= sizeof buf)
		return -1;
	strcpy(buf, s);
	char *slash = strchr(buf, '/');
	if (!slash)
		return -1;
	*slash = 0;
	int64_t a, b;
	if (station_time_parse(buf, &a))
		return -1;
	if (slash[1] == 'P') {
		int64_t d = station_duration_ms(slash + 1);
		if (d < 0)
			return -1;
		b = a + d;
	} else if (station_time_parse(slash + 1, &b) || b <= a) {
		return -1;
	}
	*start_ms = a;
	*end_ms = b;
	return 0;
}
