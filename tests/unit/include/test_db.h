/* test_db.h: a fresh store in a temporary file, for the csms unit tests
 * that need one. The caller owns the store (store_close) and the file.
 *
 * With CSMS_TEST_PG set to a PostgreSQL URL (the store tests' _pg runs,
 * tests/tools/pg_server.sh), the store is a fresh database on that server
 * instead, named after the file: test_db_name(path) is what store_open
 * takes to open it again. */
#ifndef TEST_DB_H
#define TEST_DB_H
#include "store.h"
#include <ctype.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char test_db_url[512]; /* the database test_db_open made, on PostgreSQL */

/* The server's URL when the tests run on PostgreSQL, else NULL. */
static inline const char *test_db_pg(void)
{
	const char *url = getenv("CSMS_TEST_PG");
	return url && *url ? url : NULL;
}

/* What store_open takes to open the test's store again. */
static inline const char *test_db_name(const char *path)
{
	return test_db_pg() && test_db_url[0] ? test_db_url : path;
}

/* Runs sql on the test's PostgreSQL database (url: test_db_name's, or the
 * server's); 0 or -1. */
static inline void test_db_pg_quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static inline int test_db_pg_exec(const char *url, const char *sql)
{
	PGconn *c = PQconnectdb(url);
	int ok = 0;
	if (PQstatus(c) == CONNECTION_OK) {
		PQsetNoticeProcessor(c, test_db_pg_quiet, NULL);
		PGresult *r = PQexec(c, sql);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
		PQclear(r);
	}
	if (!ok)
		fprintf(stderr, "%s: %s\n", sql, PQerrorMessage(c));
	PQfinish(c);
	return ok ? 0 : -1;
}

/* A database named after the file (lower case, letters, digits and _),
 * created empty on the server; its URL in test_db_url. */
static inline int test_db_pg_create(const char *path)
{
	const char *server = test_db_pg(), *base = strrchr(path, '/');
	char name[64], sql[160];
	size_t n = 0;
	for (const char *c = base ? base + 1 : path; *c && n < sizeof name - 1; c++)
		name[n++] = isalnum((unsigned char)*c) ? (char)tolower((unsigned char)*c) : '_';
	name[n] = '\0';
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", name);
	if (test_db_pg_exec(server, sql))
		return -1;
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
	if (test_db_pg_exec(server, sql))
		return -1;
	/* the server's URL ends in its database: replace that */
	const char *slash = strrchr(server, '/');
	int keep = slash && slash > strstr(server, "://") + 2 ? (int)(slash - server) : (int)strlen(server);
	snprintf(test_db_url, sizeof test_db_url, "%.*s/%s", keep, server, name);
	return 0;
}

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
	if (test_db_pg() && test_db_pg_create(path))
		return NULL;
	if (store_open(test_db_name(path), &st, err, sizeof err)) {
		fprintf(stderr, "store_open %s: %s\n", test_db_name(path), err);
		return NULL;
	}
	return st;
}

#endif
