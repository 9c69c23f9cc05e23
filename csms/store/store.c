/* store.c: store_open picks the backend from the database path (a
 * postgresql:// or postgres:// URL: PostgreSQL; anything else: an SQLite
 * file), and every other store.h function goes to the backend's table. */
#include "store_backend.h"

#include <string.h>

const char *const store_registration_names[] = { "accepted", "pending", "rejected", "unknown" };

static int is_pg_url(const char *path)
{
	static const char *const schemes[] = { "postgresql://", "postgres://" };
	for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
		if (!strncmp(path, schemes[i], strlen(schemes[i])))
			return 1;
	return 0;
}

int store_open(const char *path, struct store **out, char *err, size_t errlen)
{
	return is_pg_url(path) ? store_pg_open(path, out, err, errlen)
			       : store_sqlite_open(path, out, err, errlen);
}

void store_close(struct store *st)
{
	if (st)
		st->ops->close(st);
}

int store_pending(const struct store *st)
{
	return st->ops->pending(st);
}

#define SELF(st) (st)
#define STORE_DISPATCH(ret, name, params, args) \
	ret store_##name params                 \
	{                                       \
		return st->ops->name args;      \
	}
STORE_OPS(STORE_DISPATCH)
