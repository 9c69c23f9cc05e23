/* store.c: store_open picks the backend from the database path (a
 * postgresql:// or postgres:// URL: PostgreSQL; anything else: an SQLite
 * file), and every other store.h function goes to the backend's table. */
#include "store_backend.h"

#include <stdio.h>
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

/* What makes a meter value row the same as another of its transaction:
 * SHA-256 (first STORE_DIGEST_LEN bytes) of charger, connector,
 * transaction, timestamp, source and sampled values, NUL-separated. Short
 * whatever a charger sends; no two different rows meet, not even ones a
 * charger crafts. Both backends key on it (and compute it in SQL in their
 * migration 3 for rows stored before). ctx and md: the backend's, fetched
 * once (MeterValues is the hot path). 0, or -1. */
int store_mv_digest(EVP_MD_CTX *ctx, const EVP_MD *md, const char *charger, int connector, int64_t tx_id,
		    const char *timestamp, const char *source, const char *sampled,
		    unsigned char out[STORE_DIGEST_LEN])
{
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	char conn[16], tx[24];
	const char *parts[] = { charger, conn, tx, timestamp, source, sampled };
	snprintf(conn, sizeof conn, "%d", connector);
	snprintf(tx, sizeof tx, "%lld", (long long)(tx_id > 0 ? tx_id : 0));
	if (!EVP_DigestInit_ex(ctx, md, NULL))
		return -1;
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		if (!EVP_DigestUpdate(ctx, parts[i] ? parts[i] : "", (parts[i] ? strlen(parts[i]) : 0) + 1))
			return -1;
	if (!EVP_DigestFinal_ex(ctx, h, &len) || len < STORE_DIGEST_LEN)
		return -1;
	memcpy(out, h, STORE_DIGEST_LEN);
	return 0;
}

#define SELF(st) (st)
#define STORE_DISPATCH(ret, name, params, args) \
	ret store_##name params                 \
	{                                       \
		return st->ops->name args;      \
	}
STORE_OPS(STORE_DISPATCH)
