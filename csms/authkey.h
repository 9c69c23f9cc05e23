/* authkey.h: charger AuthorizationKeys (HTTP Basic passwords) are stored
 * salted and hashed, never in clear. */
#ifndef CSMS_AUTHKEY_H
#define CSMS_AUTHKEY_H
#include <stddef.h>

/* "sha256$<salt hex>$<digest hex>" into out (>= 105 bytes). 0 or -1. */
int authkey_hash(const char *password, char *out, size_t len);
/* 1 when password matches the stored hash. */
int authkey_verify(const char *password, const char *stored);

#endif
