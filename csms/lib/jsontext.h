/* jsontext.h: JSON text and names from outside (chargers, admins), held to
 * what cJSON does not check by itself: well-formed UTF-8, no NUL (a
 * "\u0000" would cut a C string short), no raw control bytes, and nothing
 * after the value. One pass over the bytes, no copy. */
#ifndef CSMS_JSONTEXT_H
#define CSMS_JSONTEXT_H

#include <stddef.h>
#include <cjson/cJSON.h>

enum jtext_err {
	JTEXT_OK,
	JTEXT_SYNTAX,   /* not JSON (cJSON refused it) */
	JTEXT_UTF8,     /* bytes that are not well-formed UTF-8 */
	JTEXT_NUL,      /* "\u0000" or a NUL byte inside a string */
	JTEXT_CONTROL,  /* a raw control byte (JSON allows none in strings,
			     and only tab, CR, LF between tokens) */
	JTEXT_TRAILING, /* something after the JSON value */
};

/* 1 when s[0..n) is well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing past U+10FFFF), else 0. */
int utf8_valid(const char *s, size_t n);

/* 1 when s[0..n) is text we may route on, store and show: well-formed
 * UTF-8 with no control character (C0, DEL). */
int jtext_text_ok(const char *s, size_t n);

/* Checks buf[0..len) and parses it. Returns the tree (the caller frees it)
 * or NULL with *err saying why. buf need not be NUL-terminated. */
cJSON *jtext_parse(const char *buf, size_t len, enum jtext_err *err);

/* A short reason that follows a noun ("frame ", "request body "); never
 * contains the offending bytes. */
const char *jtext_strerror(enum jtext_err e);

#endif
