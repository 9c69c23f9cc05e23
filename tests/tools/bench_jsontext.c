/* bench_jsontext.c: what the strict parse of a charger's frame costs. Times
 * cJSON_ParseWithLength (the parse before jsontext) against jtext_parse
 * (scan + parse + trailing check) on a typical MeterValues frame; prints
 * ns per frame. A program, not a test: it prints figures. */
#include "jsontext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char frame[] =
	"[2,\"mv-123456\",\"MeterValues\",{\"connectorId\":1,\"transactionId\":4711,\"meterValue\":"
	"[{\"timestamp\":\"2026-05-01T10:00:00.000Z\",\"sampledValue\":["
	"{\"value\":\"12345.6\",\"context\":\"Sample.Periodic\",\"measurand\":\"Energy.Active.Import."
	"Register\",\"unit\":\"Wh\"},"
	"{\"value\":\"7360\",\"context\":\"Sample.Periodic\",\"measurand\":\"Power.Active.Import\",\"unit\":"
	"\"W\"},"
	"{\"value\":\"16.0\",\"measurand\":\"Current.Import\",\"phase\":\"L1\",\"unit\":\"A\"},"
	"{\"value\":\"16.0\",\"measurand\":\"Current.Import\",\"phase\":\"L2\",\"unit\":\"A\"},"
	"{\"value\":\"16.0\",\"measurand\":\"Current.Import\",\"phase\":\"L3\",\"unit\":\"A\"},"
	"{\"value\":\"230.1\",\"measurand\":\"Voltage\",\"phase\":\"L1-N\",\"unit\":\"V\"},"
	"{\"value\":\"55\",\"measurand\":\"SoC\",\"location\":\"EV\",\"unit\":\"Percent\"}]}]}]";

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200000;
	size_t len = strlen(frame);
	enum jtext_err e;
	for (int round = 0; round < 3; round++) {
		double t0 = now_ns();
		for (long i = 0; i < n; i++)
			cJSON_Delete(cJSON_ParseWithLength(frame, len));
		double t1 = now_ns();
		for (long i = 0; i < n; i++)
			cJSON_Delete(jtext_parse(frame, len, &e));
		double t2 = now_ns();
		printf("MeterValues frame, %zu bytes: cJSON_ParseWithLength %.0f ns, jtext_parse %.0f ns "
		       "(+%.1f%%)\n",
		       len, (t1 - t0) / (double)n, (t2 - t1) / (double)n,
		       100.0 * ((t2 - t1) - (t1 - t0)) / (t1 - t0));
	}
	return e != JTEXT_OK;
}
