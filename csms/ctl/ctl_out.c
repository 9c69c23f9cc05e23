/* ctl_out.c: how csmsctl shows answers to people: aligned tables, JSON
 * scalars as plain text, and a generic layout for any JSON (used for the
 * shapes that have no dedicated table: dlm, station, OCPP results). */
#include "ctl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

void ctl_table_init(struct ctl_table *t, const char *const *heads, size_t ncols)
{
	memset(t, 0, sizeof *t);
	t->heads = heads;
	t->ncols = ncols;
}

void ctl_table_row(struct ctl_table *t, const char *const *row)
{
	if (t->oom)
		return;
	if ((t->nrows + 1) * t->ncols > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : t->ncols * 16;
		char **c = realloc(t->cells, cap * sizeof *c);
		if (!c) {
			t->oom = 1;
			return;
		}
		t->cells = c;
		t->cap = cap;
	}
	char **dst = t->cells + t->nrows * t->ncols;
	for (size_t i = 0; i < t->ncols; i++) {
		dst[i] = strdup(row[i] ? row[i] : "-");
		if (!dst[i]) {
			while (i--)
				free(dst[i]);
			t->oom = 1;
			return;
		}
	}
	t->nrows++;
}

/* Display width: UTF-8 continuation bytes take no column. */
static size_t width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		w += ((unsigned char)*s & 0xC0) != 0x80;
	return w;
}

size_t ctl_term_width(FILE *f)
{
	struct winsize ws;
	const char *cols = getenv("COLUMNS");
	char *end;
	if (!f || !isatty(fileno(f)))
		return 0;
	long n = cols ? strtol(cols, &end, 10) : 0;
	if (cols && *cols && !*end && n >= 10 && n <= 10000)
		return (size_t)n;
	if (!ioctl(fileno(f), TIOCGWINSZ, &ws) && ws.ws_col >= 10)
		return ws.ws_col;
	return 80;
}

/* s in w columns: as is, or cut with an ellipsis (UTF-8: a character is
 * one column, as width() counts). */
static void cell(FILE *f, const char *s, size_t w, int last)
{
	size_t n = width(s);
	if (n > w) {
		size_t keep = w ? w - 1 : 0, cols = 0;
		const char *p = s;
		for (; *p; p++) {
			if (((unsigned char)*p & 0xC0) != 0x80 && cols++ == keep)
				break;
		}
		fwrite(s, 1, (size_t)(p - s), f);
		if (w)
			fputs("\xe2\x80\xa6", f); /* ... */
		n = w;
	} else
		fputs(s, f);
	if (!last)
		for (; n < w + 2; n++)
			fputc(' ', f);
}

/* Narrows the widest columns, one column at a time, until the row fits in
 * max columns (0: no limit) or every column is down to a few characters. */
static void fit(size_t *w, size_t nc, size_t max)
{
	enum { MIN_COL = 3 }; /* two characters and the ellipsis */
	size_t total = nc ? 2 * (nc - 1) : 0;
	for (size_t c = 0; c < nc; c++)
		total += w[c];
	while (max && total > max) {
		size_t widest = 0;
		for (size_t c = 1; c < nc; c++)
			if (w[c] > w[widest])
				widest = c;
		if (w[widest] <= MIN_COL)
			break;
		w[widest]--;
		total--;
	}
}

void ctl_table_print(struct ctl_table *t, FILE *f)
{
	ctl_table_print_width(t, f, ctl_term_width(f));
}

/* Too narrow for columns (some column would be cut below READABLE
 * characters, or below its own width when that is less): one record per
 * row, a "HEAD  value" line per column, values cut to the width, as psql's
 * expanded mode. */
static int too_narrow(const size_t *natural, size_t nc, size_t max)
{
	enum { READABLE = 8 };
	size_t need = nc ? 2 * (nc - 1) : 0;
	for (size_t c = 0; c < nc; c++)
		need += natural[c] < READABLE ? natural[c] : READABLE;
	return max && need > max;
}

static void print_records(const struct ctl_table *t, FILE *f, size_t nc, size_t max)
{
	size_t kw = 0;
	for (size_t c = 0; c < nc; c++)
		if (width(t->heads[c]) > kw)
			kw = width(t->heads[c]);
	size_t vw = max > kw + 2 + 3 ? max - kw - 2 : 3;
	for (size_t r = 0; r < t->nrows; r++) {
		if (r)
			fputc('\n', f);
		for (size_t c = 0; c < nc; c++) {
			cell(f, t->heads[c], kw, 0);
			cell(f, t->cells[r * t->ncols + c], vw, 1);
			fputc('\n', f);
		}
	}
}

void ctl_table_print_width(struct ctl_table *t, FILE *f, size_t max)
{
	size_t w[32] = { 0 }, nc = t->ncols < 32 ? t->ncols : 32;
	if (t->oom)
		fputs("csmsctl: out of memory\n", stderr);
	for (size_t c = 0; c < nc; c++) {
		w[c] = width(t->heads[c]);
		for (size_t r = 0; r < t->nrows; r++) {
			size_t n = width(t->cells[r * t->ncols + c]);
			if (n > w[c])
				w[c] = n;
		}
	}
	if (t->nrows && too_narrow(w, nc, max)) {
		print_records(t, f, nc, max);
	} else {
		fit(w, nc, max);
		for (size_t c = 0; c < nc; c++)
			cell(f, t->heads[c], w[c], c + 1 == nc);
		fputc('\n', f);
		for (size_t r = 0; r < t->nrows; r++) {
			for (size_t c = 0; c < nc; c++)
				cell(f, t->cells[r * t->ncols + c], w[c], c + 1 == nc);
			fputc('\n', f);
		}
	}
	if (!t->nrows)
		fputs("(none)\n", f);
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = t->cap = 0;
}

const char *ctl_str(const cJSON *v, char *buf, size_t len)
{
	if (!v || cJSON_IsNull(v))
		snprintf(buf, len, "-");
	else if (cJSON_IsString(v))
		snprintf(buf, len, "%s", v->valuestring);
	else if (cJSON_IsBool(v))
		snprintf(buf, len, "%s", cJSON_IsTrue(v) ? "true" : "false");
	else if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		if (d == floor(d) && fabs(d) < 1e15)
			snprintf(buf, len, "%.0f", d);
		else
			snprintf(buf, len, "%g", d);
	} else {
		char *s = cJSON_PrintUnformatted(v);
		snprintf(buf, len, "%s", s ? s : "?");
		free(s);
	}
	return buf;
}

const char *ctl_field(const cJSON *obj, const char *key, char *buf, size_t len)
{
	return ctl_str(cJSON_GetObjectItemCaseSensitive(obj, key), buf, len);
}

/* ---- generic layout ---- */

static int all_objects(const cJSON *arr)
{
	const cJSON *e;
	int n = 0;
	cJSON_ArrayForEach(e, arr)
	{
		if (!cJSON_IsObject(e))
			return 0;
		n++;
	}
	return n > 0;
}

/* An array of objects as a table whose columns are the union of their
 * scalar keys, in order of first appearance. */
static void print_object_array(const cJSON *arr, FILE *f, const char *indent)
{
	const char *heads[32];
	size_t nh = 0;
	const cJSON *e, *k;
	cJSON_ArrayForEach(e, arr)
	{
		cJSON_ArrayForEach(k, e)
		{
			size_t i;
			for (i = 0; i < nh && strcmp(heads[i], k->string); i++)
				;
			if (i == nh && nh < 32)
				heads[nh++] = k->string;
		}
	}
	struct ctl_table t;
	ctl_table_init(&t, heads, nh);
	cJSON_ArrayForEach(e, arr)
	{
		char cells[32][256];
		const char *row[32];
		for (size_t i = 0; i < nh; i++)
			row[i] = ctl_field(e, heads[i], cells[i], sizeof cells[i]);
		ctl_table_row(&t, row);
	}
	/* The indent goes before every line: print into memory first. */
	char *mem = NULL;
	size_t mlen = 0, max = ctl_term_width(f);
	FILE *m = open_memstream(&mem, &mlen);
	if (!m) {
		ctl_table_print(&t, f);
		return;
	}
	ctl_table_print_width(&t, m, max > strlen(indent) ? max - strlen(indent) : max);
	fclose(m);
	for (char *line = mem, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		fprintf(f, "%s%.*s\n", indent, nl ? (int)(nl - line) : (int)strlen(line), line);
	}
	free(mem);
}

static void kv_lines(const cJSON *obj, const char *prefix, FILE *f, size_t keyw)
{
	const cJSON *v;
	char key[256], buf[1024];
	cJSON_ArrayForEach(v, obj)
	{
		snprintf(key, sizeof key, "%s%s%s", prefix, *prefix ? "." : "", v->string ? v->string : "?");
		if (cJSON_IsObject(v) && v->child) {
			kv_lines(v, key, f, keyw);
		} else if (cJSON_IsArray(v) && all_objects(v)) {
			fprintf(f, "%s:\n", key);
			print_object_array(v, f, "  ");
		} else {
			fprintf(f, "%-*s  %s\n", (int)keyw, key, ctl_str(v, buf, sizeof buf));
		}
	}
}

static size_t key_width(const cJSON *obj, size_t prefix_len)
{
	const cJSON *v;
	size_t w = 0;
	cJSON_ArrayForEach(v, obj)
	{
		size_t n = prefix_len + (prefix_len ? 1 : 0) + (v->string ? strlen(v->string) : 1);
		if (cJSON_IsObject(v) && v->child)
			n = key_width(v, n);
		else if (cJSON_IsArray(v) && all_objects(v))
			n = 0;
		if (n > w)
			w = n;
	}
	return w > 40 ? 40 : w;
}

void ctl_print_any(const cJSON *v, FILE *f)
{
	char buf[1024];
	if (cJSON_IsObject(v)) {
		if (!v->child)
			fputs("(empty)\n", f);
		kv_lines(v, "", f, key_width(v, 0));
	} else if (cJSON_IsArray(v) && all_objects(v))
		print_object_array(v, f, "");
	else if (cJSON_IsArray(v) && !v->child)
		fputs("(none)\n", f);
	else
		fprintf(f, "%s\n", ctl_str(v, buf, sizeof buf));
}

/* ---- indented JSON ---- */

static void json_at(const cJSON *v, FILE *f, int depth)
{
	int obj = cJSON_IsObject(v);
	if (!obj && !cJSON_IsArray(v)) {
		char *t = cJSON_PrintUnformatted(v);
		fputs(t ? t : "null", f);
		free(t);
		return;
	}
	if (!v->child) {
		fputs(obj ? "{}" : "[]", f);
		return;
	}
	fputc(obj ? '{' : '[', f);
	for (const cJSON *e = v->child; e; e = e->next) {
		fprintf(f, "\n%*s", 2 * (depth + 1), "");
		if (obj) {
			cJSON key = { .type = cJSON_String, .valuestring = e->string };
			json_at(&key, f, depth + 1); /* escaped like any string */
			fputs(": ", f);
		}
		json_at(e, f, depth + 1);
		if (e->next)
			fputc(',', f);
	}
	fprintf(f, "\n%*s%c", 2 * depth, "", obj ? '}' : ']');
}

void ctl_print_json(const cJSON *v, FILE *f)
{
	if (!v)
		fputs("{}", f);
	else
		json_at(v, f, 0);
	fputc('\n', f);
}
