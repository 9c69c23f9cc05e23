/* prop_rng.h: the seeded random numbers of the property tests (xorshift64*:
 * fast, reproducible from the seed a failing run prints). Seed rng_state
 * with a nonzero value before the first draw. */
#ifndef PROP_RNG_H
#define PROP_RNG_H

#include <stdbool.h>
#include <stdint.h>

static uint64_t rng_state;

static inline uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* Uniform in [lo, hi). */
static inline double uni(double lo, double hi)
{
	return lo + (hi - lo) * ((double)(rnd() >> 11) / 9007199254740992.0);
}

/* 0 .. n-1. */
static inline int pick(int n)
{
	return (int)(rnd() % (uint64_t)n);
}

/* True in percent of the draws, in whole percent (one pick). */
static inline bool chance(int percent)
{
	return pick(100) < percent;
}

/* The same for a fractional percent (one uni). */
static inline bool chance_f(double percent)
{
	return uni(0, 100) < percent;
}

#endif
