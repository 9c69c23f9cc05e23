/* authkey.c: salted SHA-256 of charger passwords (OpenSSL), compared in
 * constant time. */
#include "authkey.h"
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

static void hex(const unsigned char *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", in[i]);
}

static int digest(const char *salt_hex, const char *password, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) &&
		 EVP_DigestUpdate(c, salt_hex, strlen(salt_hex)) &&
		 EVP_DigestUpdate(c, password, strlen(password)) &&
		 EVP_DigestFinal_ex(c, md, &mdlen);
	EVP_MD_CTX_free(c);
	if (!ok || mdlen != 32)
		return -1;
	hex(md, 32, out);
	return 0;
}

int authkey_hash(const char *password, char *out, size_t len)
{
	unsigned char salt[16];
	char salt_hex[33], d[65];
	if (RAND_bytes(salt, sizeof salt) != 1)
		return -1;
	hex(salt, sizeof salt, salt_hex);
	if (digest(salt_hex, password, d))
		return -1;
	return snprintf(out, len, "sha256$%s$%s", salt_hex, d) < (int)len ? 0 : -1;
}

int authkey_verify(const char *password, const char *stored)
{
	char salt_hex[33], d[65];
	if (strncmp(stored, "sha256$", 7) || strlen(stored) != 7 + 32 + 1 + 64 || stored[39] != '$')
		return 0;
	memcpy(salt_hex, stored + 7, 32);
	salt_hex[32] = 0;
	if (digest(salt_hex, password, d))
		return 0;
	return CRYPTO_memcmp(d, stored + 40, 64) == 0;
}
