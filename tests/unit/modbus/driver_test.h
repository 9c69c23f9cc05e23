/*
 * driver_test.h: the check macro and clock helpers the Modbus driver tests
 * (dlm_sensor, station_source, modbus) share. Header only: each test keeps
 * its own failure count (one translation unit per test program).
 */
#ifndef DRIVER_TEST_H
#define DRIVER_TEST_H

#include <stdio.h>
#include <time.h>

static int failures;

#define CHECK(cond, ...)                                                           \
	do {                                                                       \
		if (!(cond)) {                                                     \
			failures++;                                                \
			fprintf(stderr, "%s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                              \
			fputc('\n', stderr);                                       \
		}                                                                  \
	} while (0)

static inline double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

#endif
