/*
 * Property test of dlm_compute() over random situations: random settings,
 * grid currents, chargers (phases, grid phase, min/max, draws, states,
 * priorities, targets), random previous state and random time steps. After
 * every call: no phase above its headroom, no limit strictly between 0 and
 * the minimum or above the maximum, single-phase chargers only on their
 * phase, reductions at once; an idle charger gets 0 or its minimum (a
 * standing limit, within the same phase budget); a fixed charger (DLM
 * cannot limit it) its maximum, and the others share what it leaves.
 * Usage: test_dlm_property [situations] [seed]
 */
#include "prop_rng.h"
#include "dlm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOL 1e-6

static long failures;

#define FAIL(...)                                                           \
	do {                                                                \
		if (failures++ < 20) {                                      \
			fprintf(stderr, "situation %ld tick %d: ", sit, t); \
			fprintf(stderr, __VA_ARGS__);                       \
			fputc('\n', stderr);                                \
		}                                                           \
	} while (0)

static dlm_charger_in ch[DLM_MAX_CHARGERS];
static bool valid[DLM_MAX_CHARGERS];
static dlm_state st;
static dlm_output out;

static void random_config(dlm_config *c)
{
	dlm_config_defaults(c);
	c->breaker_a = chance(50) ? (double)(10 + pick(71)) : uni(6, 100);
	c->margin_a = chance(20) ? 0 : uni(0, fmin(5, c->breaker_a - 0.5));
	c->fallback_a = chance(20) ? 0 : uni(0, c->breaker_a - c->margin_a);
	c->stale_ms = 1000 + pick(20000);
	c->settle_ms = chance(30) ? 0 : pick(20000);
	c->ramp_a_per_s = uni(0.1, 50);
	c->min_pause_ms = chance(30) ? 0 : pick(120000);
	c->unused_slack_a = uni(0.5, 5);
	c->unused_ms = chance(30) ? 0 : pick(60000);
	c->resolution_a = chance(50) ? 0.1 : uni(0.001, 1);
}

static void random_charger(dlm_charger_in *c, uint32_t id, bool *ok)
{
	memset(c, 0, sizeof *c);
	c->id = id;
	c->phases = chance(40) ? 1 : 3;
	c->grid_phase = (uint8_t)pick(3);
	c->state = (dlm_ev_state)pick(3);
	c->priority = chance(60) ? 0 : pick(4) - 1;
	c->min_a = chance(80) ? 6 : uni(1, 16);
	c->max_a = c->min_a + (chance(20) ? 0 : uni(0, 40));
	c->target_a = chance(50) ? DLM_TARGET_MAX : uni(0, 40);
	for (int p = 0; p < 3; p++)
		c->draw_a[p] = chance(20) ? 0 : uni(0, c->max_a + 2);
	c->fixed = chance(3);
	*ok = true;
	if (chance(2)) { /* a few invalid inputs: they must get 0 */
		switch (pick(4)) {
		case 0: c->phases = 2; break;
		case 1:
			c->phases = 1;
			c->grid_phase = 3 + (uint8_t)pick(5);
			break;
		case 2: c->max_a = c->min_a - 1; break;
		default: c->draw_a[pick(3)] = NAN; break;
		}
		*ok = false;
	}
}

/* Random previous state for the chargers about to be computed. */
static void random_state(size_t n, int64_t now)
{
	dlm_state_init(&st);
	st.last_now_ms = chance(20) ? DLM_NO_TIME : now - pick(30000);
	st.last_reduce_ms = chance(30) ? DLM_NO_TIME : now - pick(60000);
	for (size_t i = 0; i < n; i++) {
		if (chance(20))
			continue;
		dlm_charger_state *s = &st.ch[chance(80) ? i : (size_t)pick(DLM_MAX_CHARGERS)];
		if (s->id)
			continue;
		s->id = ch[i].id;
		switch (pick(5)) {
		case 0: s->limit_a = 0; break;
		case 1: s->limit_a = uni(0, 6); break; /* illegal leftovers */
		case 2: s->limit_a = chance(5) ? NAN : uni(0, 60); break;
		default: s->limit_a = uni(ch[i].min_a, ch[i].max_a); break;
		}
		s->want_up_since = chance(50) ? DLM_NO_TIME : now - pick(40000) + 1000;
		s->paused_since = chance(50) ? DLM_NO_TIME : now - pick(200000) + 1000;
		s->under_since = chance(50) ? DLM_NO_TIME : now - pick(100000);
		s->capped = chance(20);
	}
}

static double prev_limit(uint32_t id)
{
	for (int k = 0; k < DLM_MAX_CHARGERS; k++)
		if (st.ch[k].id == id)
			return isfinite(st.ch[k].limit_a) ? st.ch[k].limit_a : 0;
	return 0;
}

int main(int argc, char **argv)
{
	long n_sit = argc > 1 ? atol(argv[1]) : 100000;
	rng_state = argc > 2 ? strtoull(argv[2], NULL, 0) : 0x9E3779B97F4A7C15ULL;
	if (!rng_state)
		rng_state = 1;
	long calls = 0, nonzero = 0, saturated = 0, stale_calls = 0;
	dlm_config cfg;
	double prev[DLM_MAX_CHARGERS];

	for (long sit = 0; sit < n_sit; sit++) {
		int t = 0;
		random_config(&cfg);
		size_t n = chance(2) ? (size_t)pick(DLM_MAX_CHARGERS + 1) : (size_t)pick(chance(70) ? 6 : 40);
		for (size_t i = 0; i < n; i++)
			random_charger(&ch[i], (uint32_t)(1 + i * 7 + (size_t)pick(3)), &valid[i]);
		/* ids must stay unique for the "valid" bookkeeping */
		for (size_t i = 0; i < n; i++)
			ch[i].id = (uint32_t)(i + 1);
		int64_t now = 1700000000000LL + (int64_t)pick(1000000000);
		random_state(n, now);

		int nticks = 1 + pick(6);
		for (t = 0; t < nticks; t++) {
			now += chance(10) ? 0 : pick(chance(20) ? 120000 : 3000);
			dlm_input in = { .n = n, .chargers = ch };
			for (int p = 0; p < 3; p++)
				in.grid_a[p] = uni(-40, 100);
			bool stale = chance(15);
			in.grid_ts_ms = stale
				? (chance(20) ? DLM_NO_TIME : now - cfg.stale_ms - 1 - pick(5000))
				: now - pick((int)cfg.stale_ms + 1);
			for (size_t i = 0; i < n; i++) {
				prev[i] = prev_limit(ch[i].id);
				if (valid[i] && chance(30)) /* things change between ticks */
					for (int p = 0; p < 3; p++)
						ch[i].draw_a[p] = uni(0, ch[i].max_a + 2);
				if (chance(5))
					ch[i].state = (dlm_ev_state)pick(3);
			}
			int64_t reduced_at = st.last_reduce_ms;
			int rc = dlm_compute(&cfg, &in, &st, now, &out);
			calls++;
			stale_calls += stale;
			if (rc != 0) {
				FAIL("rc %d: %s", rc, out.error);
				continue;
			}
			if (out.stale != stale)
				FAIL("stale %d expected %d", out.stale, stale);
			if (out.n != n)
				FAIL("n %zu", out.n);

			/* headroom per phase, computed here independently */
			double budget[3], sum[3] = { 0, 0, 0 }, fixed[3] = { 0, 0, 0 };
			for (int p = 0; p < 3; p++) {
				double ev = 0;
				for (size_t i = 0; i < n; i++)
					if (valid[i] && (ch[i].phases == 3 || ch[i].grid_phase == p))
						ev += fmax(0, ch[i].draw_a[p]);
				budget[p] = cfg.breaker_a - cfg.margin_a - (stale ? 0 : in.grid_a[p] - ev);
			}
			bool any_down = false, any_up = false;
			for (size_t i = 0; i < n; i++) {
				double l = out.chargers[i].limit_a,
				       pl = prev[i] < ch[i].min_a - TOL ? 0 : prev[i];
				/* standing limits of idle chargers draw nothing: they
				 * come and go with the room (dlm.h) */
				bool car = valid[i] && ch[i].state != DLM_EV_IDLE && !ch[i].fixed;
				any_down |= car && l < pl - TOL;
				any_up |= car && l > pl + TOL;
			}
			/* no increase in the tick of a reduction, nor within settle_ms of one */
			if (any_up && cfg.settle_ms > 0 &&
			    (any_down || (reduced_at != DLM_NO_TIME && now - reduced_at < cfg.settle_ms)))
				FAIL("increase %s",
				     any_down ? "together with a reduction" : "before settle_ms");
			for (size_t i = 0; i < n; i++) {
				const dlm_charger_out *o = &out.chargers[i];
				double l = o->limit_a;
				if (o->id != ch[i].id)
					FAIL("charger %zu id %u", i, o->id);
				if (!isfinite(l) || l < 0)
					FAIL("charger %zu limit %g", i, l);
				if (!valid[i]) {
					if (l != 0 || o->reason != DLM_R_INVALID)
						FAIL("invalid charger %zu got %g (%s)", i, l,
						     dlm_reason_str(o->reason));
					continue;
				}
				if (l > 0 && l < ch[i].min_a - TOL)
					FAIL("charger %zu limit %g below min %g", i, l, ch[i].min_a);
				if (l > ch[i].max_a + TOL)
					FAIL("charger %zu limit %g above max %g", i, l, ch[i].max_a);
				if (ch[i].fixed) {
					if (cfg.enabled &&
					    (fabs(l - ch[i].max_a) > TOL || o->reason != DLM_R_FIXED))
						FAIL("fixed charger %zu got %g (%s)", i, l,
						     dlm_reason_str(o->reason));
					for (int p = 0; p < 3; p++)
						if (ch[i].phases == 3 || ch[i].grid_phase == p)
							fixed[p] += l;
					continue;
				}
				if (ch[i].state == DLM_EV_IDLE && l != 0 &&
				    (stale || fabs(l - ch[i].min_a) > TOL ||
				     (ch[i].target_a >= 0 && ch[i].target_a < ch[i].min_a - TOL)))
					FAIL("idle charger %zu got %g", i, l);
				if (o->phases != ch[i].phases)
					FAIL("charger %zu phases %d", i, o->phases);
				if (l > o->target_a + TOL)
					FAIL("charger %zu limit %g above its allocation %g", i, l,
					     o->target_a);
				/* reductions at once, increases never beyond the allocation */
				if (o->target_a < prev[i] - TOL && fabs(l - o->target_a) > TOL)
					FAIL("charger %zu reduction %g -> %g not applied (got %g)", i,
					     prev[i], o->target_a, l);
				if (o->reason >= DLM_R_COUNT)
					FAIL("charger %zu reason %d", i, o->reason);
				nonzero += l > 0;
				for (int p = 0; p < 3; p++)
					if (ch[i].phases == 3 || ch[i].grid_phase == p)
						sum[p] += l;
			}
			for (int p = 0; p < 3; p++) {
				if (sum[p] > fmax(0, budget[p] - fixed[p]) + TOL)
					FAIL("phase L%d allocated %g over headroom %g (fixed %g)", p + 1,
					     sum[p], budget[p], fixed[p]);
				if (fabs(sum[p] + fixed[p] - out.allocated_a[p]) > TOL)
					FAIL("phase L%d reported %g, limits add up to %g", p + 1,
					     out.allocated_a[p], sum[p]);
				if (fabs(out.budget_a[p] - budget[p]) > TOL)
					FAIL("phase L%d budget %g expected %g", p + 1, out.budget_a[p],
					     budget[p]);
				saturated += budget[p] > 0 && sum[p] > budget[p] - 1;
			}
		}
	}
	printf("%ld situations, %ld calls (%ld stale), %ld nonzero limits, %ld phases within 1 A of "
	       "full\n",
	       n_sit, calls, stale_calls, nonzero, saturated);
	if (failures) {
		fprintf(stderr, "%ld violation(s)\n", failures);
		return 1;
	}
	/* the test must exercise the interesting cases, not only zeros */
	if (nonzero < n_sit || saturated < n_sit / 10) {
		fprintf(stderr, "too few interesting cases\n");
		return 1;
	}
	return 0;
}
