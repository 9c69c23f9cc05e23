/* station_forecast_io.c: what the optimiser has learned (station_forecast:
 * load per slot and day kind, PV ratios, peak ratio, forecast error) as a
 * compact versioned blob, so that the owner can keep it over a restart
 * (issue 11, item 8). Pure: bytes and text in caller buffers.
 *
 * Blob v1, little-endian: "SFC" 0x01, u16 slots per day, f64 pv_peak_ratio,
 * f64 load_mean, u32 load_mean_n, f32 load[2][96], u16 load_n[2][96],
 * f32 pv_num[96], f32 pv_den[96], u16 pv_n[96], f32 err_w[96],
 * u16 err_n[96], u32 FNV-1a of everything before it. The slot in progress
 * (acc_*) is not kept: a restart starts a new one. Text form: base64.
 */
#include "station.h"

#include <math.h>
#include <string.h>

#define SLOTS STATION_SLOTS_PER_DAY
#define MAGIC "SFC"

typedef struct wbuf {
	unsigned char *p;
	size_t n, cap;
} wbuf;

static void put_bytes(wbuf *w, const void *src, size_t n)
{
	if (w->n + n <= w->cap)
		memcpy(w->p + w->n, src, n);
	w->n += n;
}

static void put_u(wbuf *w, uint64_t v, int bytes)
{
	unsigned char b[8];
	for (int i = 0; i < bytes; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	put_bytes(w, b, (size_t)bytes);
}

static void put_f32(wbuf *w, float f)
{
	uint32_t u;
	memcpy(&u, &f, sizeof u);
	put_u(w, u, 4);
}

static void put_f64(wbuf *w, double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof u);
	put_u(w, u, 8);
}

typedef struct rbuf {
	const unsigned char *p;
	size_t n, at;
	bool bad;
} rbuf;

static uint64_t get_u(rbuf *r, int bytes)
{
	uint64_t v = 0;
	if (r->at + (size_t)bytes > r->n) {
		r->bad = true;
		return 0;
	}
	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)r->p[r->at + (size_t)i] << (8 * i);
	r->at += (size_t)bytes;
	return v;
}

static float get_f32(rbuf *r)
{
	uint32_t u = (uint32_t)get_u(r, 4);
	float f;
	memcpy(&f, &u, sizeof f);
	if (!isfinite(f))
		r->bad = true;
	return f;
}

static double get_f64(rbuf *r)
{
	uint64_t u = get_u(r, 8);
	double d;
	memcpy(&d, &u, sizeof d);
	if (!isfinite(d))
		r->bad = true;
	return d;
}

static uint32_t fnv1a(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

size_t station_forecast_encode(const station_forecast *f, unsigned char *buf, size_t len)
{
	wbuf w = { buf, 0, len };
	put_bytes(&w, MAGIC, 3);
	put_u(&w, STATION_FORECAST_VERSION, 1);
	put_u(&w, SLOTS, 2);
	put_f64(&w, f->pv_peak_ratio);
	put_f64(&w, f->load_mean);
	put_u(&w, f->load_mean_n, 4);
	for (int k = 0; k < 2; k++)
		for (int s = 0; s < SLOTS; s++)
			put_f32(&w, f->load[k][s]);
	for (int k = 0; k < 2; k++)
		for (int s = 0; s < SLOTS; s++)
			put_u(&w, f->load_n[k][s], 2);
	for (int s = 0; s < SLOTS; s++)
		put_f32(&w, f->pv_num[s]);
	for (int s = 0; s < SLOTS; s++)
		put_f32(&w, f->pv_den[s]);
	for (int s = 0; s < SLOTS; s++)
		put_u(&w, f->pv_n[s], 2);
	for (int s = 0; s < SLOTS; s++)
		put_f32(&w, f->err_w[s]);
	for (int s = 0; s < SLOTS; s++)
		put_u(&w, f->err_n[s], 2);
	if (w.n + 4 > len)
		return 0;
	put_u(&w, fnv1a(buf, w.n), 4);
	return w.n;
}

int station_forecast_decode(station_forecast *f, const unsigned char *buf, size_t n)
{
	if (!f || !buf || n < 6 || memcmp(buf, MAGIC, 3))
		return STATION_EINVAL;
	if (buf[3] != STATION_FORECAST_VERSION)
		return STATION_EVERSION;
	if (n != STATION_FORECAST_BLOB_SIZE ||
	    fnv1a(buf, n - 4) !=
		    ((uint32_t)buf[n - 4] | (uint32_t)buf[n - 3] << 8 | (uint32_t)buf[n - 2] << 16 |
		     (uint32_t)buf[n - 1] << 24))
		return STATION_EINVAL;
	rbuf r = { buf, n - 4, 4, false };
	station_forecast t;
	memset(&t, 0, sizeof t);
	if (get_u(&r, 2) != SLOTS)
		return STATION_EINVAL;
	t.pv_peak_ratio = get_f64(&r);
	t.load_mean = get_f64(&r);
	t.load_mean_n = (uint32_t)get_u(&r, 4);
	for (int k = 0; k < 2; k++)
		for (int s = 0; s < SLOTS; s++)
			t.load[k][s] = get_f32(&r);
	for (int k = 0; k < 2; k++)
		for (int s = 0; s < SLOTS; s++)
			t.load_n[k][s] = (uint16_t)get_u(&r, 2);
	for (int s = 0; s < SLOTS; s++)
		t.pv_num[s] = get_f32(&r);
	for (int s = 0; s < SLOTS; s++)
		t.pv_den[s] = get_f32(&r);
	for (int s = 0; s < SLOTS; s++)
		t.pv_n[s] = (uint16_t)get_u(&r, 2);
	for (int s = 0; s < SLOTS; s++)
		t.err_w[s] = get_f32(&r);
	for (int s = 0; s < SLOTS; s++)
		t.err_n[s] = (uint16_t)get_u(&r, 2);
	if (r.bad || r.at != r.n || t.pv_peak_ratio < 0 || t.load_mean < 0)
		return STATION_EINVAL;
	for (int s = 0; s < SLOTS; s++)
		if (t.load[0][s] < 0 || t.load[1][s] < 0 || t.err_w[s] < 0)
			return STATION_EINVAL;
	t.acc_slot = -1; /* the slot in progress starts anew */
	*f = t;
	return STATION_OK;
}

/* ---- text (base64, RFC 4648, with padding) ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int station_forecast_to_text(const station_forecast *f, char *out, size_t len)
{
	unsigned char blob[STATION_FORECAST_BLOB_SIZE];
	size_t n = station_forecast_encode(f, blob, sizeof blob);
	if (n == 0 || len < (n + 2) / 3 * 4 + 1)
		return STATION_EINVAL;
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)blob[i] << 16 | (i + 1 < n ? (uint32_t)blob[i + 1] << 8 : 0) |
			(i + 2 < n ? blob[i + 2] : 0);
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[o] = 0;
	return STATION_OK;
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;
	return p ? (int)(p - b64) : -1;
}

int station_forecast_from_text(station_forecast *f, const char *text)
{
	unsigned char blob[STATION_FORECAST_BLOB_SIZE + 3];
	size_t n = 0, len = text ? strlen(text) : 0;
	if (len == 0 || len % 4)
		return STATION_EINVAL;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		for (int k = 0; k < 4; k++)
			v[k] = text[i + (size_t)k] == '=' && i + 4 == len && k >= 2
				? 0
				: b64_value(text[i + (size_t)k]);
		if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0 || n + 3 > sizeof blob)
			return STATION_EINVAL;
		uint32_t w =
			(uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
		blob[n++] = (unsigned char)(w >> 16);
		blob[n++] = (unsigned char)(w >> 8);
		blob[n++] = (unsigned char)w;
	}
	n -= (size_t)(text[len - 1] == '=') + (size_t)(text[len - 2] == '=');
	return station_forecast_decode(f, blob, n);
}

/* ---- what has been learned ---- */

void station_forecast_counts(const station_forecast *f, int *load_slots, int *pv_slots)
{
	int l = 0, p = 0;
	for (int s = 0; s < SLOTS; s++) {
		l += (f->load_n[0][s] > 0) + (f->load_n[1][s] > 0);
		p += f->pv_n[s] > 0;
	}
	*load_slots = l;
	*pv_slots = p;
}
