/*
 * Benchmark (not a test): median time of one dlm_compute() call for 1, 10
 * and 100 chargers in a realistic mix (a third single-phase, some capped by
 * the breaker, cars following their limits), after a warm-up.
 */
#include "dlm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RUNS 2001

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static dlm_state st;
static dlm_output out;
static dlm_charger_in ch[DLM_MAX_CHARGERS];
static double samples[RUNS];

static void bench(size_t n)
{
	dlm_config cfg;
	dlm_config_defaults(&cfg);
	cfg.breaker_a = 16.0 * (double)n / 2 + 10; /* about half the demand fits */
	if (cfg.breaker_a > 1000)
		cfg.breaker_a = 1000;
	cfg.settle_ms = 2000;
	dlm_state_init(&st);
	for (size_t i = 0; i < n; i++) {
		memset(&ch[i], 0, sizeof ch[i]);
		ch[i].id = (uint32_t)(i + 1);
		ch[i].phases = i % 3 == 2 ? 1 : 3;
		ch[i].grid_phase = (uint8_t)(i % 3);
		ch[i].state = DLM_EV_CHARGING;
		ch[i].priority = (int32_t)(i % 4 == 0);
		ch[i].min_a = 6;
		ch[i].max_a = i % 5 == 0 ? 32 : 16;
		ch[i].target_a = DLM_TARGET_MAX;
	}
	int64_t t = 1700000000000LL;
	for (int r = 0; r < RUNS; r++) {
		dlm_input in = { .n = n, .chargers = ch, .grid_ts_ms = t };
		for (int p = 0; p < 3; p++)
			in.grid_a[p] = 5 + (r % 7);
		for (size_t i = 0; i < n; i++) {
			double l = out.chargers[i].limit_a;
			for (int p = 0; p < 3; p++) {
				ch[i].draw_a[p] = (ch[i].phases == 3 || ch[i].grid_phase == p) ? l * 0.97 : 0;
				in.grid_a[p] += ch[i].draw_a[p];
			}
		}
		double t0 = now_us();
		if (dlm_compute(&cfg, &in, &st, t, &out) != 0) {
			fprintf(stderr, "dlm_compute failed: %s\n", out.error);
			exit(1);
		}
		samples[r] = now_us() - t0;
		t += 1000;
	}
	qsort(samples, RUNS, sizeof samples[0], cmp_double);
	double alloc = 0;
	for (size_t i = 0; i < n; i++)
		alloc += out.chargers[i].limit_a;
	printf("dlm_compute %3zu chargers: median %.2f us, p99 %.2f us (%d calls, %.0f A given)\n", n,
	       samples[RUNS / 2], samples[RUNS * 99 / 100], RUNS, alloc);
}

int main(void)
{
	bench(1);
	bench(10);
	bench(100);
	bench(DLM_MAX_CHARGERS);
	return 0;
}
