/* test_outages.c: the outage schedule file's lines (outages_parse): both
 * interval forms, comments and blank lines, ended outages left out, the
 * rest by start; a bad line, an outage over 24 h or too many named by
 * line. */
#include "outages.h"
#include "station.h"
#include "check.h"

#include <string.h>

#define T0 1796479200000LL /* 2026-12-05T14:00:00Z */
#define H 3600000LL

static int parse(const char *text, int64_t now, station_outage *o, int *n, char *err)
{
	return outages_parse(text, strlen(text), now, o, STATION_MAX_OUTAGES, n, err, 256);
}

int main(void)
{
	static station_outage o[STATION_MAX_OUTAGES];
	char err[256] = "";
	int n = -1;
	const char *ok = "# stage 4, block 12\r\n"
			 "\n"
			 "2026-12-06T16:00:00+02:00/PT2H30M   # tomorrow evening\n"
			 "  2026-12-05T18:00:00Z/2026-12-05T20:00:00Z\t\n"
			 "2026-12-05T10:00:00Z/PT2H\n" /* over by T0 */
			 "2026-12-05T13:00:00Z/PT2H";  /* going on at T0, no final newline */
	CHECK(parse(ok, T0, o, &n, err) == 0);
	CHECK(n == 3);
	CHECK(o[0].start_ms == T0 - H && o[0].end_ms == T0 + H);
	CHECK(o[1].start_ms == T0 + 4 * H && o[1].end_ms == T0 + 6 * H);
	CHECK(o[2].start_ms == T0 + 24 * H && o[2].end_ms == T0 + 26 * H + H / 2);
	CHECK(parse("", T0, o, &n, err) == 0 && n == 0);
	CHECK(parse("# nothing yet\n\n", T0, o, &n, err) == 0 && n == 0);

	CHECK(parse("2026-12-06T16:00:00Z/PT2H\nstage 4 tonight\n", T0, o, &n, err) == -1);
	CHECK(strstr(err, "line 2") && strstr(err, "stage 4 tonight"));
	CHECK(parse("2026-12-06T16:00:00Z/2026-12-06T15:00:00Z\n", T0, o, &n, err) == -1);
	CHECK(strstr(err, "line 1"));
	CHECK(parse("2026-12-06T16:00:00Z/P2D\n", T0, o, &n, err) == -1);
	CHECK(strstr(err, "more than 24 h"));
	char big[200];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	CHECK(parse(big, T0, o, &n, err) == -1 && strstr(err, "too long"));
	CHECK(outages_parse("2026-12-06T16:00:00Z/PT1H\0x", 27, T0, o, STATION_MAX_OUTAGES, &n, err, 256) ==
	      -1);
	CHECK(strstr(err, "NUL"));
	/* too many to come; past ones do not count */
	char many[8192] = "";
	for (int i = 0; i < STATION_MAX_OUTAGES + 1; i++)
		snprintf(many + strlen(many), sizeof many - strlen(many), "2026-12-%02dT%02d:00:00Z/PT1H\n",
			 6 + i / 20, i % 20);
	CHECK(parse(many, T0, o, &n, err) == -1 && strstr(err, "more than 64"));
	CHECK(parse(many, T0 + 40 * 24 * H, o, &n, err) == 0 && n == 0);
	return CHECK_DONE();
}
