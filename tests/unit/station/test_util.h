/* test_util.h: a tiny check harness for the station tests (plain asserts
 * that report every failure with its line and keep going). */
#ifndef STATION_TEST_UTIL_H
#define STATION_TEST_UTIL_H

#include <math.h>
#include <stdio.h>

static int t_fail, t_checks;

#define CHECK(cond, ...)                                                                \
	do {                                                                            \
		t_checks++;                                                             \
		if (!(cond)) {                                                          \
			t_fail++;                                                       \
			fprintf(stderr, "%s:%d: FAIL %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                   \
			fputc('\n', stderr);                                            \
		}                                                                       \
	} while (0)

#define NEAR(a, b, tol) (fabs((double)(a) - (double)(b)) <= (tol))

#define T_DONE()                                                             \
	do {                                                                 \
		fprintf(stderr, "%d checks, %d failed\n", t_checks, t_fail); \
		return t_fail ? 1 : 0;                                       \
	} while (0)

#endif
