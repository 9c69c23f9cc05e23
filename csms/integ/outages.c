/* outages.c: the load-shedding schedule file (outages.h): when to read it,
 * its lines, and what a good read changes. */
#include "outages.h"
#include "alarms.h"
#include "config.h"
#include "csms.h"
#include "energy.h"
#include "errkind.h"
#include "feeds.h"
#include "log.h"
#include "station.h"
#include "station_time.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHECK_MS 5000

struct outages {
	struct csms *app;
	const char *path;
	struct stat seen; /* of the last read, good or not */
	int have_seen, failed;
	int64_t next_ms, last_read_ms, last_ok_ms;
	char error[256];
	int n;
	int64_t first_ms; /* the first outage's start, 0 none */
	struct alarms_watch alarm;
};

static int by_start(const void *a, const void *b)
{
	const station_outage *x = a, *y = b;
	return x->start_ms < y->start_ms ? -1 : x->start_ms > y->start_ms;
}

int outages_parse(const char *text, size_t len, int64_t now_ms, station_outage *o, int max, int *n, char *err,
		  size_t errlen)
{
	*n = 0;
	int line = 0;
	for (size_t i = 0; i < len;) {
		size_t e = i;
		while (e < len && text[e] != '\n')
			e++;
		line++;
		char buf[128];
		size_t a = i, b = e;
		i = e + 1;
		const char *hash = memchr(text + a, '#', b - a);
		if (hash)
			b = (size_t)(hash - text);
		while (a < b && (text[a] == ' ' || text[a] == '\t' || text[a] == '\r'))
			a++;
		while (b > a && (text[b - 1] == ' ' || text[b - 1] == '\t' || text[b - 1] == '\r'))
			b--;
		if (a == b)
			continue;
		if (memchr(text + a, 0, b - a)) {
			snprintf(err, errlen, "line %d: a NUL byte (not a text file?)", line);
			return -1;
		}
		int64_t s, t;
		if (b - a >= sizeof buf ||
		    (memcpy(buf, text + a, b - a), buf[b - a] = 0, station_interval_parse(buf, &s, &t))) {
			snprintf(err, errlen,
				 "line %d: '%.60s' is not START/END or START/DURATION (e.g. "
				 "2026-12-05T16:00:00+02:00/PT2H30M)",
				 line, b - a < sizeof buf ? buf : "(too long)");
			return -1;
		}
		if (t - s > STATION_OUTAGE_MAX_MS) {
			snprintf(err, errlen, "line %d: an outage of more than 24 h", line);
			return -1;
		}
		if (t <= now_ms)
			continue; /* over */
		if (*n == max) {
			snprintf(err, errlen, "line %d: more than %d outages to come", line, max);
			return -1;
		}
		o[*n].start_ms = s;
		o[*n].end_ms = t;
		(*n)++;
	}
	qsort(o, (size_t)*n, sizeof *o, by_start);
	return 0;
}

static void report(struct outages *s)
{
	struct feed_status st = { .source = "file",
				  .url = s->path,
				  .error = s->error,
				  .last_fetch_ms = s->last_read_ms,
				  .last_ok_ms = s->last_ok_ms,
				  .next_ms = s->next_ms,
				  .start_ms = s->first_ms,
				  .count = s->n };
	feeds_report(s->app, "outages", &st);
}

struct outages *outages_new(struct csms *app)
{
	struct outages *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->app = app;
	s->path = app->cfg.station_outages_file;
	s->alarm = (struct alarms_watch){ ALARM_SRC_OUTAGES, -1, "" };
	return s;
}

void outages_free(struct outages *s)
{
	free(s);
}

static int same_file(const struct stat *a, const struct stat *b)
{
	/* ctime too: a chmod that lets a refused read through changes only it */
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
		a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
		a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static void failed(struct outages *s, const char *why)
{
	char info[400];
	s->failed = 1;
	if (strcmp(s->error, why))
		LOGW("station", "outage schedule %s: %s; the outages in force stay", s->path, why);
	snprintf(s->error, sizeof s->error, "%s", why);
	snprintf(info, sizeof info, "outage schedule %s: %s; nothing changed", s->path, why);
	alarms_site_watch(s->app, &s->alarm, "station", ALARM_CODE_SCHEDULE_ERROR, info);
	report(s);
}

/* Reads and applies the file; st is what stat said of it (what is read
 * is checked again on the open descriptor: a FIFO or a device swapped in
 * meanwhile is refused, never waited on). */
static void read_file(struct outages *s, const struct stat *st)
{
	char why[256];
	struct station_outage *o = NULL;
	char *text = NULL;
	struct stat fst;
	s->last_read_ms = s->app->now_ms;
	s->seen = *st;
	s->have_seen = 1;
	int fd = open(s->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, sizeof why, "cannot open: %s", strerror(errno));
		failed(s, why);
		return;
	}
	if (fstat(fd, &fst) || !S_ISREG(fst.st_mode)) {
		failed(s, "not a regular file");
		goto out;
	}
	if (fst.st_size > OUTAGES_FILE_MAX) {
		snprintf(why, sizeof why, "larger than %d KiB", OUTAGES_FILE_MAX / 1024);
		failed(s, why);
		goto out;
	}
	text = malloc(OUTAGES_FILE_MAX + 1);
	o = malloc(STATION_MAX_OUTAGES * sizeof *o);
	if (!text || !o) {
		failed(s, "out of memory");
		goto out;
	}
	size_t len = 0;
	for (;;) {
		ssize_t r = read(fd, text + len, OUTAGES_FILE_MAX + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(why, sizeof why, "cannot read: %s", strerror(errno));
			failed(s, why);
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > OUTAGES_FILE_MAX) {
			failed(s, "grew past 64 KiB while read");
			goto out;
		}
	}
	int n;
	struct err_info er;
	if (outages_parse(text, len, energy_clock_ms(s->app), o, STATION_MAX_OUTAGES, &n, why, sizeof why)) {
		failed(s, why);
		goto out;
	}
	if (energy_set_outages(s->app, o, n, &er)) {
		snprintf(why, sizeof why, "the station refused it: %.200s", er.msg);
		failed(s, why);
		goto out;
	}
	if (s->failed || !s->last_ok_ms || s->n != n)
		LOGI("station", "outage schedule %s: %d outage%s to come", s->path, n, n == 1 ? "" : "s");
	s->failed = 0;
	s->error[0] = 0;
	s->n = n;
	s->first_ms = n ? o[0].start_ms : 0;
	s->last_ok_ms = s->app->now_ms;
	alarms_site_watch(s->app, &s->alarm, "station", NULL, NULL);
	report(s);
out:
	close(fd);
	free(text);
	free(o);
}

void outages_tick(struct outages *s, int64_t now_ms)
{
	if (now_ms < s->next_ms || !s->app->energy)
		return; /* the node that runs the station reads it */
	s->next_ms = now_ms + CHECK_MS;
	struct stat st;
	if (stat(s->path, &st)) {
		char why[256];
		snprintf(why, sizeof why, "cannot open: %s", strerror(errno));
		s->last_read_ms = now_ms;
		s->have_seen = 0;
		failed(s, why);
		return;
	}
	if (!s->have_seen || !same_file(&st, &s->seen))
		read_file(s, &st);
}
