/* authkey.c: PBKDF2-HMAC-SHA256 of charger passwords with a random salt per
 * key and the iteration count in the stored string (OpenSSL), compared in
 * constant time; the old one-round salted SHA-256 form still verifies. */
#include "authkey.h"
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#define SALT_LEN 16
#define DK_LEN 32
#define PBKDF2_TAG "pbkdf2-sha256$"
#define SHA256_TAG "sha256$"

static void hex(const unsigned char *in, size_t n, char *out, int upper)
{
	static const char lo[] = "0123456789abcdef", up[] = "0123456789ABCDEF";
	const char *d = upper ? up : lo;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[in[i] >> 4];
		out[2 * i + 1] = d[in[i] & 15];
	}
	out[2 * n] = 0;
}

/* n hex digits into n / 2 bytes; -1 when one is not a hex digit. */
static int unhex(const char *in, size_t n, unsigned char *out)
{
	if (n & 1)
		return -1;
	for (size_t i = 0; i < n; i += 2) {
		int h = OPENSSL_hexchar2int((unsigned char)in[i]),
		    l = OPENSSL_hexchar2int((unsigned char)in[i + 1]);
		if (h < 0 || l < 0)
			return -1;
		out[i / 2] = (unsigned char)(h * 16 + l);
	}
	return 0;
}

/* The secret a key stands for: 32..40 hex digits (even) are the 16..20
 * bytes they encode, anything else is itself. *sec points into pw or buf. */
static size_t secret(const char *pw, size_t len, unsigned char buf[20], const unsigned char **sec)
{
	if (len >= 32 && len <= 40 && !(len & 1) && !unhex(pw, len, buf)) {
		*sec = buf;
		return len / 2;
	}
	*sec = (const unsigned char *)pw;
	return len;
}

static int pbkdf2(const char *pw, size_t len, const unsigned char *salt, int iter, unsigned char dk[DK_LEN])
{
	unsigned char buf[20];
	const unsigned char *sec;
	size_t n = secret(pw, len, buf, &sec);
	int ok = PKCS5_PBKDF2_HMAC((const char *)sec, (int)n, salt, SALT_LEN, iter, EVP_sha256(), DK_LEN,
				   dk) == 1;
	OPENSSL_cleanse(buf, sizeof buf);
	return ok ? 0 : -1;
}

int authkey_hash(const char *key, size_t len, int iterations, char *out, size_t outlen)
{
	unsigned char salt[SALT_LEN], dk[DK_LEN];
	char salt_hex[2 * SALT_LEN + 1], dk_hex[2 * DK_LEN + 1];
	if (iterations < AUTHKEY_ITER_MIN || iterations > AUTHKEY_ITER_MAX || len > 1024 ||
	    RAND_bytes(salt, sizeof salt) != 1 || pbkdf2(key, len, salt, iterations, dk))
		return -1;
	hex(salt, sizeof salt, salt_hex, 0);
	hex(dk, sizeof dk, dk_hex, 0);
	OPENSSL_cleanse(dk, sizeof dk);
	int n = snprintf(out, outlen, PBKDF2_TAG "%d$%s$%s", iterations, salt_hex, dk_hex);
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

/* "pbkdf2-sha256$ITER$SALT$HASH": 1 match, 0 not (or malformed). */
static int verify_pbkdf2(const char *pw, size_t len, const char *p, int *iter_out)
{
	unsigned char salt[SALT_LEN], want[DK_LEN], dk[DK_LEN];
	long iter = 0;
	size_t nd = 0;
	for (; p[nd] >= '0' && p[nd] <= '9'; nd++) {
		if (nd >= 8)
			return 0;
		iter = iter * 10 + (p[nd] - '0');
	}
	if (!nd || iter < 1 || iter > AUTHKEY_ITER_MAX || p[nd] != '$')
		return 0;
	p += nd + 1;
	if (strlen(p) != 2 * SALT_LEN + 1 + 2 * DK_LEN || p[2 * SALT_LEN] != '$' ||
	    unhex(p, 2 * SALT_LEN, salt) || unhex(p + 2 * SALT_LEN + 1, 2 * DK_LEN, want))
		return 0;
	if (pbkdf2(pw, len, salt, (int)iter, dk))
		return 0;
	int ok = CRYPTO_memcmp(dk, want, DK_LEN) == 0;
	OPENSSL_cleanse(dk, sizeof dk);
	*iter_out = (int)iter;
	return ok;
}

/* The old form: one SHA-256 over the salt's hex text and the password. */
static int sha256_matches(const char *salt_hex, const char *pw, size_t len, const unsigned char want[32])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) &&
		EVP_DigestUpdate(c, salt_hex, 2 * SALT_LEN) && EVP_DigestUpdate(c, pw, len) &&
		EVP_DigestFinal_ex(c, md, &mdlen);
	EVP_MD_CTX_free(c);
	return ok && mdlen == 32 && CRYPTO_memcmp(md, want, 32) == 0;
}

/* "sha256$SALT$DIGEST", made from the key's text as the admin typed it. A
 * charger that sends the decoded bytes of a hex key matches when the key
 * was typed in lower or upper case. 1 match, 0 not (or malformed). */
static int verify_sha256(const char *pw, size_t len, const char *p)
{
	unsigned char salt[SALT_LEN], want[32];
	char text[41];
	if (strlen(p) != 2 * SALT_LEN + 1 + 64 || p[2 * SALT_LEN] != '$' || unhex(p, 2 * SALT_LEN, salt) ||
	    unhex(p + 2 * SALT_LEN + 1, 64, want))
		return 0;
	if (sha256_matches(p, pw, len, want))
		return 1;
	if (len < 16 || len > 20)
		return 0;
	for (int upper = 0; upper < 2; upper++) {
		hex((const unsigned char *)pw, len, text, upper);
		if (sha256_matches(p, text, 2 * len, want))
			return 1;
	}
	return 0;
}

int authkey_verify(const char *pw, size_t len, const char *stored, int iterations, int *rehash)
{
	int iter = 0, ok = 0;
	if (rehash)
		*rehash = 0;
	if (!pw || !stored || len > 1024)
		return 0;
	if (!strncmp(stored, PBKDF2_TAG, strlen(PBKDF2_TAG))) {
		ok = verify_pbkdf2(pw, len, stored + strlen(PBKDF2_TAG), &iter);
		if (ok && rehash && iter < iterations)
			*rehash = 1;
	} else if (!strncmp(stored, SHA256_TAG, strlen(SHA256_TAG))) {
		ok = verify_sha256(pw, len, stored + strlen(SHA256_TAG));
		if (ok && rehash)
			*rehash = 1;
	}
	return ok;
}

static int mac_of(const char *stored, const char *pw, size_t len, unsigned char out[AUTHKEY_MAC_LEN])
{
	static unsigned char key[32];
	static int have_key;
	unsigned char msg[AUTHKEY_HASH_MAX + 1024];
	unsigned int n = 0;
	size_t sl = strlen(stored) + 1;
	if (sl > AUTHKEY_HASH_MAX || len > 1024)
		return -1;
	if (!have_key) {
		if (RAND_bytes(key, sizeof key) != 1)
			return -1;
		have_key = 1;
	}
	memcpy(msg, stored, sl); /* the NUL separates the two */
	memcpy(msg + sl, pw, len);
	int ok = HMAC(EVP_sha256(), key, sizeof key, msg, sl + len, out, &n) != NULL;
	OPENSSL_cleanse(msg, sizeof msg);
	return ok && n == AUTHKEY_MAC_LEN ? 0 : -1;
}

int authkey_cached(const struct authkey_cache *cache, const char *pw, size_t len, const char *stored)
{
	unsigned char mac[AUTHKEY_MAC_LEN];
	return cache->valid && !mac_of(stored, pw, len, mac) && !CRYPTO_memcmp(cache->mac, mac, sizeof mac);
}

int authkey_pace_allow(struct authkey_pace *p, int64_t now_us)
{
	int64_t cap = (int64_t)(p->share * AUTHKEY_PACE_WINDOW_US);
	if (!p->at_us) {
		p->tokens_us = cap;
	} else if (now_us > p->at_us) {
		p->tokens_us += (int64_t)((double)(now_us - p->at_us) * p->share);
		if (p->tokens_us > cap)
			p->tokens_us = cap;
	}
	p->at_us = now_us > 0 ? now_us : 1;
	return p->tokens_us > 0;
}

void authkey_pace_spent(struct authkey_pace *p, int64_t us)
{
	p->tokens_us -= us > 0 ? us : 0;
}

int authkey_check(struct authkey_cache *cache, const char *pw, size_t len, const char *stored, int iterations,
		  char *rehashed, size_t rlen)
{
	unsigned char mac[AUTHKEY_MAC_LEN];
	int rehash = 0;
	rehashed[0] = 0;
	if (mac_of(stored, pw, len, mac))
		return 0;
	if (cache->valid && !CRYPTO_memcmp(cache->mac, mac, sizeof mac))
		return 1;
	if (!authkey_verify(pw, len, stored, iterations, &rehash))
		return 0;
	if (rehash && (authkey_hash(pw, len, iterations, rehashed, rlen) || mac_of(rehashed, pw, len, mac))) {
		rehashed[0] = 0; /* keep the old form; the next login tries again */
		cache->valid = 0;
		return 1;
	}
	memcpy(cache->mac, mac, sizeof mac);
	cache->valid = 1;
	return 1;
}
