/* cliopt.h: table-driven command-line options for the tools (cpsim,
 * loadgen): one row per option, usage printed from the same table.
 * Header-only; every function is static.
 */
#ifndef CLIOPT_H
#define CLIOPT_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum cliopt_type { CLIOPT_INT, CLIOPT_STR, CLIOPT_FLAG };

/* One option. Lifetime: static tables; values written through ptr. */
struct cliopt {
	const char *name; /* without the leading "--" */
	enum cliopt_type type;
	void *ptr;     /* int * or const char ** */
	long min, max; /* CLIOPT_INT bounds */
	const char *help;
};

static inline void cliopt_usage(FILE *f, const struct cliopt *t)
{
	for (; t->name; t++)
		fprintf(f, "  --%-18s %s%s\n", t->name,
			t->type == CLIOPT_INT           ? "N  "
				: t->type == CLIOPT_STR ? "S  "
							: "   ",
			t->help);
}

/* Parses argv[from..argc); prints one clear line and returns -EINVAL on a
 * bad option; prints the table and returns 1 on --help. Values point into
 * argv. */
static inline int cliopt_parse(const struct cliopt *tab, int argc, char **argv, int from, const char *prog)
{
	for (int i = from; i < argc; i++) {
		const struct cliopt *t = tab;
		const char *a = argv[i];

		if (!strcmp(a, "--help")) {
			printf("%s options:\n", prog);
			cliopt_usage(stdout, tab);
			return 1;
		}
		if (strncmp(a, "--", 2)) {
			fprintf(stderr, "%s: unexpected argument \"%s\"\n", prog, a);
			return -EINVAL;
		}
		for (; t->name && strcmp(t->name, a + 2); t++)
			;
		if (!t->name) {
			fprintf(stderr, "%s: unknown option \"%s\"\n", prog, a);
			return -EINVAL;
		}
		if (t->type == CLIOPT_FLAG) {
			*(int *)t->ptr = 1;
			continue;
		}
		if (++i >= argc) {
			fprintf(stderr, "%s: option --%s needs a value\n", prog, t->name);
			return -EINVAL;
		}
		if (t->type == CLIOPT_STR) {
			*(const char **)t->ptr = argv[i];
		} else {
			char *end;
			long v;

			errno = 0;
			v = strtol(argv[i], &end, 10);
			if (errno || end == argv[i] || *end || v < t->min || v > t->max) {
				fprintf(stderr, "%s: --%s wants an integer from %ld to %ld, not \"%s\"\n",
					prog, t->name, t->min, t->max, argv[i]);
				return -EINVAL;
			}
			*(int *)t->ptr = (int)v;
		}
	}
	return 0;
}

#endif
