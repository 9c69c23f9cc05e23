/* test_station_forecast_io.c: the learned forecast kept over a restart
 * (issue 11, item 8). A forecast learned over simulated days survives the
 * blob and its text unchanged (every field, every slot's forecast); a blob
 * with a flipped byte, cut short, of another version, or text that is not
 * base64 is refused with *f untouched; the encoder refuses a short buffer.
 * Before the first slot is complete the load forecast is what has been
 * measured so far, not 0.
 */
#include "station.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(cond, ...)                                                \
	do {                                                            \
		if (!(cond)) {                                          \
			failures++;                                     \
			fprintf(stderr, "%s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                   \
			fputc('\n', stderr);                            \
		}                                                       \
	} while (0)

#define T0 1750032000000LL /* 2025-06-16T00:00:00Z, a Monday */

/* A house with a daily shape and midday PV, stepped every minute. */
static void run_days(const station_config *c, station_state *st, int64_t from, int64_t minutes)
{
	for (int64_t m = 0; m < minutes; m++) {
		int64_t t = from + m * 60000;
		double h = (double)((t / 1000) % 86400) / 3600.0;
		station_input in;
		memset(&in, 0, sizeof in);
		in.load_w = 300 + 700 * exp(-(h - 19) * (h - 19) / 4) + 10 * (double)(m % 7);
		in.pv_w = h > 6 && h < 20 ? 5000 * sin((h - 6) / 14 * M_PI) : 0;
		in.soc_pct = 50;
		in.on_grid = true;
		station_output o;
		station_step(c, st, &in, t, &o);
	}
}

static int same_learned(const station_forecast *a, const station_forecast *b)
{
	return !memcmp(a->load, b->load, sizeof a->load) && !memcmp(a->load_n, b->load_n, sizeof a->load_n) &&
		!memcmp(a->pv_num, b->pv_num, sizeof a->pv_num) &&
		!memcmp(a->pv_den, b->pv_den, sizeof a->pv_den) &&
		!memcmp(a->pv_n, b->pv_n, sizeof a->pv_n) && a->pv_peak_ratio == b->pv_peak_ratio &&
		a->load_mean == b->load_mean && a->load_mean_n == b->load_mean_n &&
		!memcmp(a->err_w, b->err_w, sizeof a->err_w) && !memcmp(a->err_n, b->err_n, sizeof a->err_n);
}

int main(void)
{
	station_config c;
	station_config_defaults(&c);
	station_state *st = malloc(sizeof *st), *st2 = malloc(sizeof *st2);
	if (!st || !st2)
		return 2;

	/* the prior: a few minutes into the first slot the load forecast is the mean so far */
	station_state_init(st, &c);
	run_days(&c, st, T0, 5);
	double lw, pw;
	station_forecast_slot(&c, st, T0 / 1000 / STATION_SLOT_S + 8, &lw, &pw);
	CHECK(st->fc.load_mean_n == 0 && lw > 250 && lw < 400, "prior before a slot: %g W (want ~300)", lw);

	/* three days learned */
	station_state_init(st, &c);
	run_days(&c, st, T0, 3 * 1440);
	int nl, np;
	station_forecast_counts(&st->fc, &nl, &np);
	CHECK(nl == 96 && np > 40 && st->fc.load_mean_n > 280, "learned: %d load, %d PV slots, %u seen", nl,
	      np, st->fc.load_mean_n);

	unsigned char blob[STATION_FORECAST_BLOB_SIZE + 16];
	size_t n = station_forecast_encode(&st->fc, blob, sizeof blob);
	CHECK(n == STATION_FORECAST_BLOB_SIZE, "blob size %zu", n);
	CHECK(station_forecast_encode(&st->fc, blob, n - 1) == 0, "a short buffer is refused");
	n = station_forecast_encode(&st->fc, blob, sizeof blob);

	station_state_init(st2, &c);
	CHECK(station_forecast_decode(&st2->fc, blob, n) == STATION_OK, "decode");
	CHECK(same_learned(&st->fc, &st2->fc), "round trip: every learned field");
	CHECK(st2->fc.acc_slot == -1, "the slot in progress starts anew");
	int64_t s0 = (T0 + 3 * 86400000LL) / 1000 / STATION_SLOT_S;
	int differ = 0;
	for (int64_t s = s0; s < s0 + 2 * STATION_SLOTS_PER_DAY; s++) {
		double l1, p1, l2, p2;
		station_forecast_slot(&c, st, s, &l1, &p1);
		station_forecast_slot(&c, st2, s, &l2, &p2);
		differ += l1 != l2 || p1 != p2;
	}
	CHECK(differ == 0, "the restored forecast gives the same numbers (%d slots differ)", differ);

	/* text */
	char text[STATION_FORECAST_TEXT_MAX];
	CHECK(station_forecast_to_text(&st->fc, text, sizeof text) == STATION_OK, "to text");
	CHECK(station_forecast_to_text(&st->fc, text, 100) == STATION_EINVAL, "short text buffer refused");
	station_forecast_to_text(&st->fc, text, sizeof text);
	station_state_init(st2, &c);
	CHECK(station_forecast_from_text(&st2->fc, text) == STATION_OK && same_learned(&st->fc, &st2->fc),
	      "text round trip");

	/* corrupt or foreign blobs: refused, *f untouched */
	station_forecast keep = st2->fc;
	for (size_t i = 0; i < n; i += 97) {
		unsigned char bad[sizeof blob];
		memcpy(bad, blob, n);
		bad[i] ^= 0x10;
		int rc = station_forecast_decode(&st2->fc, bad, n);
		CHECK(rc == (i == 3 ? STATION_EVERSION : STATION_EINVAL), "byte %zu flipped: %d", i, rc);
	}
	CHECK(station_forecast_decode(&st2->fc, blob, n - 1) == STATION_EINVAL, "cut short");
	CHECK(station_forecast_decode(&st2->fc, blob, 3) == STATION_EINVAL, "a stub");
	unsigned char old[sizeof blob];
	memcpy(old, blob, n);
	old[3] = 0; /* a version-0 blob */
	CHECK(station_forecast_decode(&st2->fc, old, n) == STATION_EVERSION, "another version");
	CHECK(station_forecast_from_text(&st2->fc, "not base64!") == STATION_EINVAL, "not base64");
	CHECK(station_forecast_from_text(&st2->fc, "") == STATION_EINVAL, "empty text");
	text[10] = text[10] == 'A' ? 'B' : 'A';
	CHECK(station_forecast_from_text(&st2->fc, text) == STATION_EINVAL, "a changed character");
	CHECK(!memcmp(&keep, &st2->fc, sizeof keep), "refused blobs leave the forecast as it was");

	free(st);
	free(st2);
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
