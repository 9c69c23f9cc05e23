/* authkey.h: charger AuthorizationKeys (HTTP Basic passwords) are stored
 * through a slow KDF, never in clear; a per-process keyed digest lets a
 * charger that reconnects with the password that last verified skip it.
 *
 * A key of 32 to 40 hex digits (an even count) stands for the 16 to 20
 * bytes it encodes (OCPP 1.6 security whitepaper: AuthorizationKey is set
 * hex-represented, the charger sends the decoded bytes); chargers that send
 * the hex text itself verify too. Any other key is its own bytes. */
#ifndef CSMS_AUTHKEY_H
#define CSMS_AUTHKEY_H
#include <stddef.h>
#include <stdint.h>

#define AUTHKEY_HASH_MAX 128 /* a stored hash string with its NUL fits */
#define AUTHKEY_MAC_LEN 32
#define AUTHKEY_ITER_MIN 1000
#define AUTHKEY_ITER_MAX 10000000

/* "pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>" of key (len bytes)
 * into out (>= AUTHKEY_HASH_MAX bytes). 0 or -1. */
int authkey_hash(const char *key, size_t len, int iterations, char *out, size_t outlen);

/* 1 when the presented password (len bytes, may hold any byte) matches the
 * stored string, in either of its forms; 0 otherwise, also for a malformed
 * stored string. Accepts the old "sha256$<salt hex>$<digest hex>" form too.
 * *rehash (may be NULL) is set to 1 after a match whose stored form is
 * older or weaker than pbkdf2 with `iterations`: store a new hash. */
int authkey_verify(const char *pw, size_t len, const char *stored, int iterations, int *rehash);

/* What a charger keeps in memory (never on disk) of the password that last
 * verified: its HMAC-SHA256, under a random key made once per process,
 * together with the stored string it verified against. */
struct authkey_cache {
	unsigned char mac[AUTHKEY_MAC_LEN];
	int valid;
};

/* authkey_verify with the cache in front: the password that verified last
 * time against the same stored string costs one HMAC; any other goes
 * through the KDF, and a match fills the cache. After a match that needs a
 * re-hash, rehashed (>= AUTHKEY_HASH_MAX bytes) holds the new stored
 * string (the cache already refers to it), else "". 1 match, 0 not. */
int authkey_check(struct authkey_cache *cache, const char *pw, size_t len, const char *stored, int iterations,
		  char *rehashed, size_t rlen);

/* 1 when authkey_check would answer from the cache (one HMAC, no KDF). */
int authkey_cached(const struct authkey_cache *cache, const char *pw, size_t len, const char *stored);

/* The event loop's share of time for key derivations: a bucket of KDF
 * time that fills at `share` of the time passing, up to share x
 * AUTHKEY_PACE_WINDOW_US. A reconnect storm of chargers whose keys are not
 * cached would otherwise keep the loop in PBKDF2 for as long as it takes
 * (10,000 x 2.5 ms = 25 s) while every other connection waits; with it, a
 * key check beyond the share is answered "busy" (503) at once and the
 * charger comes back, as chargers do. */
#define AUTHKEY_PACE_WINDOW_US 2000000
struct authkey_pace {
	double share;             /* 0 < share <= 1 */
	int64_t tokens_us, at_us; /* at_us 0: not started (full) */
};
/* 1 when a KDF may run at now_us (monotonic), after the refill. */
int authkey_pace_allow(struct authkey_pace *p, int64_t now_us);
/* A KDF took us. */
void authkey_pace_spent(struct authkey_pace *p, int64_t us);

#endif
