/* jsontext.c: strict JSON text from outside. One scan checks UTF-8, NUL
 * and control bytes (cJSON accepts all three and truncates strings at a
 * NUL); cJSON then parses in place and the bytes after its value must be
 * whitespace. */
#include "jsontext.h"

#include <stdint.h>

/* Length of the UTF-8 sequence starting at s[i] (i < n), 0 when it is not
 * well-formed. The ranges are RFC 3629's table. */
static size_t utf8_seq(const unsigned char *s, size_t i, size_t n)
{
	unsigned char c = s[i];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* past U+10FFFF */
	} else
		return 0;
	if (n - i < len || s[i + 1] < lo || s[i + 1] > hi)
		return 0;
	for (size_t k = 2; k < len; k++)
		if ((s[i + k] & 0xc0) != 0x80)
			return 0;
	return len;
}

int utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	for (size_t i = 0, l; i < n; i += l)
		if (!(l = utf8_seq(s, i, n)))
			return 0;
	return 1;
}

int jtext_text_ok(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return utf8_valid(str, n);
}

/* Bytes the scan must look at: in a string, '"', '\\', control bytes and
 * non-ASCII; between tokens, '"', control bytes and non-ASCII. Every
 * other byte is skipped by a table lookup (GNU range initialisers). */
static const unsigned char special[2][256] = {
	{ [0x00 ... 0x08] = 1, [0x0b ... 0x0c] = 1, [0x0e ... 0x1f] = 1, ['"'] = 1, [0x80 ... 0xff] = 1 },
	{ [0x00 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x80 ... 0xff] = 1 },
};

/* The scan. Inside a string: a backslash escape is skipped as a unit
 * ("\u0000" is a NUL; other escapes are cJSON's to judge); bytes below
 * 0x20 are refused. Outside: only JSON's whitespace may be below 0x20.
 * Everywhere: UTF-8. */
static enum jtext_err scan(const unsigned char *s, size_t n)
{
	int in_str = 0;
	for (size_t i = 0; i < n;) {
		const unsigned char *tab = special[in_str];
		while (i < n && !tab[s[i]])
			i++;
		if (i >= n)
			break;
		unsigned char c = s[i];
		if (c >= 0x80) {
			size_t l = utf8_seq(s, i, n);
			if (!l)
				return JTEXT_UTF8;
			i += l;
		} else if (c == '"') {
			in_str = !in_str;
			i++;
		} else if (c == '\\') {
			if (i + 5 < n && s[i + 1] == 'u' && s[i + 2] == '0' && s[i + 3] == '0' &&
			    s[i + 4] == '0' && s[i + 5] == '0')
				return JTEXT_NUL;
			i += 2; /* the escaped byte is never a quote or a start byte */
		} else
			return c || !in_str ? JTEXT_CONTROL : JTEXT_NUL;
	}
	return JTEXT_OK;
}

cJSON *jtext_parse(const char *buf, size_t len, enum jtext_err *err)
{
	const char *end = NULL;
	*err = scan((const unsigned char *)buf, len);
	if (*err)
		return NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
	if (!j) {
		*err = JTEXT_SYNTAX;
		return NULL;
	}
	for (const char *e = buf + len; end < e; end++)
		if (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\r') {
			cJSON_Delete(j);
			*err = JTEXT_TRAILING;
			return NULL;
		}
	return j;
}

const char *jtext_strerror(enum jtext_err e)
{
	static const char *const why[] = {
		[JTEXT_OK] = "is fine",
		[JTEXT_SYNTAX] = "is not valid JSON",
		[JTEXT_UTF8] = "is not valid UTF-8",
		[JTEXT_NUL] = "has a NUL (\\u0000) in a string",
		[JTEXT_CONTROL] = "has a raw control character",
		[JTEXT_TRAILING] = "has data after the JSON value",
	};
	return (unsigned)e < sizeof why / sizeof why[0] ? why[e] : "is not valid JSON";
}
