/* fnv.h: FNV-1a, 32 bits, of a NUL-terminated string: the hash of the
 * registry's and the MQTT cache's buckets, the site locks' keys, the
 * slugs' suffixes. Not for anything an attacker must not steer. */
#ifndef CSMS_FNV_H
#define CSMS_FNV_H

#include <stdint.h>

static inline uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

#endif
