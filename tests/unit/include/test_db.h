/* test_db.h: a fresh store in a temporary file, for the csms unit tests
 * that need one. The caller owns the store (store_close) and the file. */
#ifndef TEST_DB_H
#define TEST_DB_H
#include "store.h"
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* path: a mkstemp template ("/tmp/csms-test-...-XXXXXX"), filled in with
 * the name of a file that does not exist yet. NULL when the store does not
 * open (the reason on stderr). */
static inline struct store *test_db_open(char *path)
{
	char err[256];
	struct store *st = NULL;
	int fd = mkstemp(path);
	if (fd >= 0)
		close(fd);
	unlink(path);
	if (store_open(path, &st, err, sizeof err)) {
		fprintf(stderr, "store_open %s: %s\n", path, err);
		return NULL;
	}
	return st;
}

#endif
