/* check.h: the few assertion macros the csms unit tests share. A failed
 * check prints where and why and makes the test exit non-zero. */
#ifndef CHECK_H
#define CHECK_H
#include <stdio.h>
#include <string.h>

static int check_failures, check_count;

#define CHECK(cond)                                                                              \
	do {                                                                                     \
		check_count++;                                                                   \
		if (!(cond)) {                                                                   \
			check_failures++;                                                        \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                                \
	} while (0)
#define CHECK_STR(a, b)                                                                             \
	do {                                                                                        \
		const char *_a = (a), *_b = (b);                                                    \
		check_count++;                                                                      \
		if (!_a || !_b || strcmp(_a, _b)) {                                                 \
			check_failures++;                                                           \
			fprintf(stderr, "%s:%d: expected \"%s\", got \"%s\"\n", __FILE__, __LINE__, \
				_b ? _b : "(null)", _a ? _a : "(null)");                            \
		}                                                                                   \
	} while (0)
#define CHECK_CONTAINS(hay, needle)                                                                    \
	do {                                                                                           \
		const char *_h = (hay);                                                                \
		check_count++;                                                                         \
		if (!_h || !strstr(_h, needle)) {                                                      \
			check_failures++;                                                              \
			fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__, \
				_h ? _h : "(null)", needle);                                           \
		}                                                                                      \
	} while (0)
#define CHECK_DONE() (printf("%d checks, %d failed\n", check_count, check_failures), check_failures ? 1 : 0)

#endif
