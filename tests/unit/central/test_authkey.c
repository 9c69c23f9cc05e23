/* test_authkey.c: stored AuthorizationKeys: the PBKDF2 form (against
 * vectors from another implementation), the old SHA-256 form and its
 * upgrade, both forms of a hex key, malformed stored strings, the cache. */
#include "authkey.h"
#include "check.h"

#define SALT "00112233445566778899aabbccddeeff"
/* Python hashlib.pbkdf2_hmac("sha256", key, bytes.fromhex(SALT), 1000) */
#define V_TEXT "pbkdf2-sha256$1000$" SALT "$000f7dffb534e398c85e6425027531dbcfd6ee4029f8134865b3eb3732776d4e"
#define V_HEX "pbkdf2-sha256$1000$" SALT "$01c22244b4ae7558d5390a2eba9a0e9d676e64e95764eb349289af4d4d07a135"
/* the old form: sha256(SALT + key text) */
#define O_TEXT "sha256$" SALT "$1a1d15b1917d409ff48ac18fab6d70fc1c504a4183d40093c4aaf723778feab2"
#define O_HEX "sha256$" SALT "$8b01e27a96ec49e5c5ba18002c91ab9724db6dbde611a798ebdf37dba3a8cf3b"

#define TEXT_KEY "secret-key-000016"
#define HEX_KEY "3a00ff10c0ffee7f80aa55e1d2c3b4a5"
static const char hex_bytes[16] = "\x3a\x00\xff\x10\xc0\xff\xee\x7f\x80\xaa\x55\xe1\xd2\xc3\xb4\xa5";

static int ok(const char *pw, const char *stored)
{
	return authkey_verify(pw, strlen(pw), stored, 1000, NULL);
}

static int ok_bytes(const char *pw, size_t len, const char *stored)
{
	return authkey_verify(pw, len, stored, 1000, NULL);
}

static void test_new_form(void)
{
	char h[AUTHKEY_HASH_MAX], h2[AUTHKEY_HASH_MAX];
	int rehash = -1;
	CHECK(ok(TEXT_KEY, V_TEXT));
	CHECK(ok_bytes(hex_bytes, sizeof hex_bytes, V_HEX));
	CHECK(!ok("secret-key-000017", V_TEXT));
	CHECK(!ok("secret-key-00001", V_TEXT));
	CHECK(!ok("", V_TEXT));

	CHECK(authkey_hash(TEXT_KEY, strlen(TEXT_KEY), 1234, h, sizeof h) == 0);
	CHECK(!strncmp(h, "pbkdf2-sha256$1234$", 19));
	CHECK(strlen(h) == 19 + 32 + 1 + 64);
	CHECK(authkey_verify(TEXT_KEY, strlen(TEXT_KEY), h, 1234, &rehash) == 1 && rehash == 0);
	CHECK(authkey_verify(TEXT_KEY, strlen(TEXT_KEY), h, 1000, &rehash) == 1 && rehash == 0);
	/* more iterations wanted: match, and ask for a new hash */
	CHECK(authkey_verify(TEXT_KEY, strlen(TEXT_KEY), h, 2000, &rehash) == 1 && rehash == 1);
	CHECK(authkey_verify("secret-key-000017", 17, h, 2000, &rehash) == 0 && rehash == 0);
	/* a random salt per hash */
	CHECK(authkey_hash(TEXT_KEY, strlen(TEXT_KEY), 1234, h2, sizeof h2) == 0);
	CHECK(strcmp(h, h2) != 0 && ok(TEXT_KEY, h2));
	/* iteration counts outside the bounds, a buffer too small */
	CHECK(authkey_hash(TEXT_KEY, strlen(TEXT_KEY), AUTHKEY_ITER_MIN - 1, h, sizeof h) == -1);
	CHECK(authkey_hash(TEXT_KEY, strlen(TEXT_KEY), AUTHKEY_ITER_MAX + 1, h, sizeof h) == -1);
	CHECK(authkey_hash(TEXT_KEY, strlen(TEXT_KEY), 1000, h, 50) == -1);
}

static void test_old_form(void)
{
	int rehash = 0;
	CHECK(authkey_verify(TEXT_KEY, strlen(TEXT_KEY), O_TEXT, 1000, &rehash) == 1 && rehash == 1);
	CHECK(authkey_verify("secret-key-000017", 17, O_TEXT, 1000, &rehash) == 0 && rehash == 0);
	/* a hex key in the old form: its text, or the bytes it encodes */
	CHECK(ok(HEX_KEY, O_HEX));
	CHECK(ok_bytes(hex_bytes, sizeof hex_bytes, O_HEX));
	CHECK(!ok_bytes(hex_bytes, sizeof hex_bytes - 1, O_HEX));
}

static void test_hex_keys(void)
{
	char h[AUTHKEY_HASH_MAX];
	/* the vector was made from the bytes: the text verifies too, in either case */
	CHECK(ok(HEX_KEY, V_HEX));
	CHECK(ok("3A00FF10C0FFEE7F80AA55E1D2C3B4A5", V_HEX));
	CHECK(!ok_bytes(hex_bytes, sizeof hex_bytes - 1, V_HEX));
	CHECK(!ok_bytes("\x3a\x00\xff\x10\xc0\xff\xee\x7f\x80\xaa\x55\xe1\xd2\xc3\xb4\xa6", 16, V_HEX));
	/* a 40-digit key set as text */
	const char *k40 = "00112233445566778899AABBCCDDEEFF01234567";
	CHECK(authkey_hash(k40, strlen(k40), 1000, h, sizeof h) == 0);
	CHECK(ok_bytes("\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff\x01\x23\x45\x67", 20,
		       h));
	CHECK(ok("00112233445566778899aabbccddeeff01234567", h));
	/* 34 digits: 17 bytes */
	const char *k34 = "0102030405060708090a0b0c0d0e0f1011";
	CHECK(authkey_hash(k34, strlen(k34), 1000, h, sizeof h) == 0);
	CHECK(ok_bytes("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11", 17, h));
	/* an odd count, 42 digits, or a non-hex character: the text only */
	const char *odd = "0102030405060708090a0b0c0d0e0f10111";
	CHECK(authkey_hash(odd, strlen(odd), 1000, h, sizeof h) == 0);
	CHECK(ok(odd, h));
	CHECK(!ok_bytes("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11", 17, h));
	const char *k42 = "00112233445566778899aabbccddeeff0123456789";
	CHECK(authkey_hash(k42, strlen(k42), 1000, h, sizeof h) == 0);
	CHECK(ok(k42, h));
	CHECK(!ok_bytes(
		"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff\x01\x23\x45\x67\x89", 21,
		h));
	const char *nothex = "3a00ff10c0ffee7f80aa55e1d2c3b4ag";
	CHECK(authkey_hash(nothex, strlen(nothex), 1000, h, sizeof h) == 0);
	CHECK(ok(nothex, h) && !ok("3A00FF10C0FFEE7F80AA55E1D2C3B4AG", h));
}

static void test_malformed(void)
{
	static const char *const bad[] = {
		"",
		"$",
		"pbkdf2-sha256",
		"pbkdf2-sha256$",
		"pbkdf2-sha256$1000",
		"pbkdf2-sha256$1000$",
		"pbkdf2-sha256$1000$" SALT,
		"pbkdf2-sha256$1000$" SALT "$",
		"pbkdf2-sha256$0$" SALT "$000f7dffb534e398c85e6425027531dbcfd6ee4029f8134865b3eb3732776d4e",
		"pbkdf2-sha256$-1000$" SALT
		"$000f7dffb534e398c85e6425027531dbcfd6ee4029f8134865b3eb3732776d4e",
		"pbkdf2-sha256$99999999$" SALT
		"$000f7dffb534e398c85e6425027531dbcfd6ee4029f8134865b3eb3732776d4e",
		"pbkdf2-sha256$999999999999$" SALT
		"$000f7dffb534e398c85e6425027531dbcfd6ee4029f8134865b3eb3732776d4e",
		"pbkdf2-sha256$1000x$" SALT
		"$000f7dffb534e398c85e6425027531dbcfd6ee4029f8134865b3eb3732776d4e",
		"pbkdf2-sha256$1000$0011223344556677$"
		"000f7dffb534e398c85e6425027531dbcfd6ee4029f8134865b3eb3732776d4e",
		"pbkdf2-sha256$1000$" SALT "$000f7dffb534e398c85e6425027531dbcfd6ee4029f8134865b3eb3732776d4",
		"pbkdf2-sha256$1000$" SALT
		"$000f7dffb534e398c85e6425027531dbcfd6ee4029f8134865b3eb3732776d4e0",
		"pbkdf2-sha256$1000$" SALT
		"$000f7dffb534e398c85e6425027531dbcfd6ee4029f8134865b3eb3732776d4g",
		"pbkdf2-sha256$1000$0011223344556677889zaabbccddeeff$"
		"000f7dffb534e398c85e6425027531dbcfd6ee4029f8134865b3eb3732776d4e",
		"pbkdf2-sha256$1000$" SALT
		"x000f7dffb534e398c85e6425027531dbcfd6ee4029f8134865b3eb3732776d4e",
		"pbkdf2-sha512$1000$" SALT
		"$000f7dffb534e398c85e6425027531dbcfd6ee4029f8134865b3eb3732776d4e",
		"sha256$",
		"sha256$" SALT,
		"sha256$" SALT "$",
		"sha256$" SALT "$1a1d15b1917d409ff48ac18fab6d70fc1c504a4183d40093c4aaf723778feab",
		"sha256$" SALT "$1a1d15b1917d409ff48ac18fab6d70fc1c504a4183d40093c4aaf723778feab2 ",
		"sha256$" SALT "x1a1d15b1917d409ff48ac18fab6d70fc1c504a4183d40093c4aaf723778feab2",
		"sha256$0011223344556677889zaabbccddeeff$"
		"1a1d15b1917d409ff48ac18fab6d70fc1c504a4183d40093c4aaf723778feab2",
		"md5$" SALT "$1a1d15b1917d409ff48ac18fab6d70fc",
		"secret-key-000016",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rehash = -1;
		CHECK(authkey_verify(TEXT_KEY, strlen(TEXT_KEY), bad[i], 1000, &rehash) == 0 && rehash == 0);
		if (authkey_verify(TEXT_KEY, strlen(TEXT_KEY), bad[i], 1000, NULL))
			fprintf(stderr, "accepted: %s\n", bad[i]);
	}
	CHECK(authkey_verify(NULL, 0, V_TEXT, 1000, NULL) == 0);
	CHECK(authkey_verify(TEXT_KEY, strlen(TEXT_KEY), NULL, 1000, NULL) == 0);
}

static void test_cache(void)
{
	struct authkey_cache cache = { { 0 }, 0 };
	char re[AUTHKEY_HASH_MAX], h[AUTHKEY_HASH_MAX];
	/* a miss goes through the KDF and fills the cache */
	CHECK(authkey_check(&cache, TEXT_KEY, strlen(TEXT_KEY), V_TEXT, 1000, re, sizeof re) == 1);
	CHECK(cache.valid && re[0] == 0);
	CHECK(authkey_check(&cache, TEXT_KEY, strlen(TEXT_KEY), V_TEXT, 1000, re, sizeof re) == 1);
	/* a wrong password with a filled cache */
	CHECK(authkey_check(&cache, "secret-key-000017", 17, V_TEXT, 1000, re, sizeof re) == 0);
	CHECK(authkey_check(&cache, "", 0, V_TEXT, 1000, re, sizeof re) == 0);
	/* another stored string (a new key): the cached password is not enough */
	CHECK(authkey_hash("another-key-00016", 17, 1000, h, sizeof h) == 0);
	CHECK(authkey_check(&cache, TEXT_KEY, strlen(TEXT_KEY), h, 1000, re, sizeof re) == 0);
	CHECK(authkey_check(&cache, "another-key-00016", 17, h, 1000, re, sizeof re) == 1);
	/* a cache filled with the password of another key does not pass V_TEXT */
	CHECK(authkey_check(&cache, "another-key-00016", 17, V_TEXT, 1000, re, sizeof re) == 0);
	/* the old form: verified, re-hashed, and the cache refers to the new string */
	struct authkey_cache c2 = { { 0 }, 0 };
	CHECK(authkey_check(&c2, TEXT_KEY, strlen(TEXT_KEY), O_TEXT, 1500, re, sizeof re) == 1);
	CHECK(!strncmp(re, "pbkdf2-sha256$1500$", 19) && ok(TEXT_KEY, re));
	char stored[AUTHKEY_HASH_MAX];
	snprintf(stored, sizeof stored, "%s", re);
	CHECK(authkey_check(&c2, TEXT_KEY, strlen(TEXT_KEY), stored, 1500, re, sizeof re) == 1 && re[0] == 0);
	/* fewer iterations than wanted: re-hashed */
	struct authkey_cache c3 = { { 0 }, 0 };
	CHECK(authkey_check(&c3, hex_bytes, sizeof hex_bytes, V_HEX, 2000, re, sizeof re) == 1);
	CHECK(!strncmp(re, "pbkdf2-sha256$2000$", 19) && ok(HEX_KEY, re));
	/* a malformed stored string never verifies, cache or not */
	CHECK(authkey_check(&c3, TEXT_KEY, strlen(TEXT_KEY), "sha256$", 1000, re, sizeof re) == 0);
}

/* authkey_cached says what authkey_check would answer without the KDF */
static void test_cached(void)
{
	struct authkey_cache cache = { { 0 }, 0 };
	char re[AUTHKEY_HASH_MAX];
	CHECK(!authkey_cached(&cache, TEXT_KEY, strlen(TEXT_KEY), V_TEXT));
	CHECK(authkey_check(&cache, TEXT_KEY, strlen(TEXT_KEY), V_TEXT, 1000, re, sizeof re) == 1);
	CHECK(authkey_cached(&cache, TEXT_KEY, strlen(TEXT_KEY), V_TEXT));
	CHECK(!authkey_cached(&cache, "secret-key-000017", 17, V_TEXT));
	CHECK(!authkey_cached(&cache, TEXT_KEY, strlen(TEXT_KEY), O_TEXT));
}

/* the KDF bucket: full at first (share x 2 s), spent by what KDFs took,
 * filled at share of the time passing, never above its size */
static void test_pace(void)
{
	struct authkey_pace p = { 0.5, 0, 0 };
	int64_t t = 5000000;
	CHECK(authkey_pace_allow(&p, t) && p.tokens_us == 1000000);
	authkey_pace_spent(&p, 600000);
	t += 600000; /* the KDF's own time refills 300 ms */
	CHECK(authkey_pace_allow(&p, t) && p.tokens_us == 700000);
	authkey_pace_spent(&p, 700000);
	CHECK(!authkey_pace_allow(&p, t)); /* used up: busy */
	t += 100000;
	CHECK(authkey_pace_allow(&p, t) && p.tokens_us == 50000);
	authkey_pace_spent(&p, 2000000); /* one long KDF overdraws */
	t += 1000000;
	CHECK(!authkey_pace_allow(&p, t) && p.tokens_us == -1450000);
	t += 10000000; /* a quiet spell: full again, not more */
	CHECK(authkey_pace_allow(&p, t) && p.tokens_us == 1000000);
	CHECK(!authkey_pace_allow(&p, t - 1000) || p.tokens_us == 1000000); /* time going back adds nothing */
	authkey_pace_spent(&p, -5);                                         /* nor does a negative spend */
	CHECK(p.tokens_us == 1000000);
}

int main(void)
{
	test_cached();
	test_pace();
	test_new_form();
	test_old_form();
	test_hex_keys();
	test_malformed();
	test_cache();
	return CHECK_DONE();
}
