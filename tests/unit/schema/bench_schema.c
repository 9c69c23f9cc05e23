/* bench_schema.c: how long schema_validate() takes on the hot message, a
 * MeterValues request with 3 phases x 6 measurands (18 sampledValues with
 * every field). Prints the median ns per validation over several runs, and
 * cJSON_Parse of the same text for scale. Not a test: run it by hand.
 * Usage: bench_schema [iterations per run, default 1000000] [runs, default 5] */
#include "schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static const struct {
	const char *measurand, *unit, *value;
} measurands[6] = {
	{ "Voltage", "V", "230.4" },
	{ "Current.Import", "A", "15.9" },
	{ "Current.Offered", "A", "16" },
	{ "Power.Active.Import", "W", "3661" },
	{ "Power.Reactive.Import", "var", "120" },
	{ "Energy.Active.Import.Register", "Wh", "1234567" },
};

static int build_payload(char *buf, size_t len)
{
	static const char *const phases[3] = { "L1-N", "L2-N", "L3-N" };
	size_t off = 0;
	int w = snprintf(buf, len,
			 "{\"connectorId\":1,\"transactionId\":4711,\"meterValue\":[{\"timestamp\":"
			 "\"2024-05-01T10:15:00.000Z\",\"sampledValue\":[");
	if (w < 0 || (size_t)w >= len)
		return -1;
	off = (size_t)w;
	for (int p = 0; p < 3; p++)
		for (int m = 0; m < 6; m++) {
			w = snprintf(buf + off, len - off,
				     "%s{\"value\":\"%s\",\"context\":\"Sample.Periodic\",\"format\":\"Raw\","
				     "\"measurand\":\"%s\","
				     "\"phase\":\"%s\",\"location\":\"Outlet\",\"unit\":\"%s\"}",
				     (p || m) ? "," : "", measurands[m].value, measurands[m].measurand,
				     phases[p], measurands[m].unit);
			if (w < 0 || (size_t)w >= len - off)
				return -1;
			off += (size_t)w;
		}
	w = snprintf(buf + off, len - off, "]}]}");
	return (w < 0 || (size_t)w >= len - off) ? -1 : 0;
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 1000000;
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	char text[8192], why[256];
	double val[64], parse[64];
	int rc = 1;

	if (iters <= 0 || runs <= 0 || runs > 64) {
		fprintf(stderr, "usage: bench_schema [iterations>0] [runs 1..64]\n");
		return 2;
	}
	if (schema_init() != 0 || build_payload(text, sizeof text) != 0)
		return 1;
	const schema *s = schema_get("MeterValues", 0);
	cJSON *j = cJSON_Parse(text);
	if (!s || !j || schema_validate(s, j, why, sizeof why) != SCHEMA_OK) {
		fprintf(stderr, "bench payload does not validate: %s\n", why);
		goto out;
	}
	for (int r = 0; r < runs; r++) {
		volatile int sink = 0;
		double t0 = now_ns();
		for (long i = 0; i < iters; i++)
			sink += (int)schema_validate(s, j, why, sizeof why);
		val[r] = (now_ns() - t0) / (double)iters;
		if (sink != 0) {
			fprintf(stderr, "a validation failed\n");
			goto out;
		}
		long piters = iters / 10 > 0 ? iters / 10 : 1;
		t0 = now_ns();
		for (long i = 0; i < piters; i++) {
			cJSON *p = cJSON_Parse(text);
			sink += p != NULL;
			cJSON_Delete(p);
		}
		parse[r] = (now_ns() - t0) / (double)piters;
	}
	qsort(val, (size_t)runs, sizeof val[0], cmp_double);
	qsort(parse, (size_t)runs, sizeof parse[0], cmp_double);
	printf("MeterValues 3 phases x 6 measurands (%zu bytes), %ld validations x %d runs\n", strlen(text),
	       iters, runs);
	printf("schema_validate: median %.0f ns per validation (min %.0f, max %.0f)\n", val[runs / 2], val[0],
	       val[runs - 1]);
	printf("cJSON_Parse+Delete of the same frame, for scale: median %.0f ns\n", parse[runs / 2]);
	rc = 0;
out:
	cJSON_Delete(j);
	schema_free();
	return rc;
}
