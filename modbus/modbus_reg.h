/*
 * modbus_reg: what the Modbus drivers (dlm/sensor, station/source) share
 * about registers, with no I/O: value types and word order, decoding and
 * encoding of register words with a scale, and the pieces of the map
 * string parser ("key=FC:ADDR:TYPE[:ORDER[:SCALE]]" items).
 *
 * Pure functions on caller-owned buffers; nothing allocates, nothing keeps
 * a pointer. Parsers write error messages into the caller's err buffer.
 */
#ifndef MODBUS_REG_H
#define MODBUS_REG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum modbus_reg_type {
	MODBUS_REG_INT16,
	MODBUS_REG_UINT16,
	MODBUS_REG_INT32,
	MODBUS_REG_UINT32,
	MODBUS_REG_FLOAT32
} modbus_reg_type;

/* For 32-bit values: BIG = high word first ("abcd"), LITTLE = low word
 * first ("cdab"). Bytes within a register are always big-endian (Modbus). */
typedef enum modbus_word_order { MODBUS_WORD_BIG, MODBUS_WORD_LITTLE } modbus_word_order;

/* Number of 16-bit registers a type occupies (1 or 2; 0 if unknown). */
int modbus_reg_words(modbus_reg_type t);

/* Decodes one value from its registers (1 or 2 words, as the type says)
 * and multiplies by scale. -ERANGE when the result is not finite or the
 * type is unknown. */
int modbus_reg_decode(modbus_reg_type t, modbus_word_order o, double scale, const uint16_t *words,
		      double *value);

/* How encode decides that value / scale fits an integer type.
 * EXACT: the unrounded raw value must lie within the type's range.
 * ROUNDED: raw values up to half a unit outside the 16-bit ranges and
 * the unsigned lower bound are accepted (rounded in). The two drivers
 * grew different rules; each keeps its own. */
typedef enum modbus_reg_fit { MODBUS_FIT_EXACT, MODBUS_FIT_ROUNDED } modbus_reg_fit;

/* The inverse of decode: raw register words for value (rounded for integer
 * types). -ERANGE if it is not finite or does not fit. */
int modbus_reg_encode(modbus_reg_type t, modbus_word_order o, double scale, double value, uint16_t *words,
		      modbus_reg_fit fit);

/* ------------------------------------------------------------ parsing */

/* Formats an error into err (if err && errlen) and returns -EINVAL. */
int modbus_reg_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* strtol with base 0 (decimal, 0x hex, 0 octal), the whole string, lo..hi. */
bool modbus_reg_parse_long(const char *s, long lo, long hi, long *v);

#define MODBUS_REG_MAX_FIELDS 6

/* Splits val at ':' in place into at most MODBUS_REG_MAX_FIELDS fields;
 * returns the count (MODBUS_REG_MAX_FIELDS also when there are more). */
int modbus_reg_split(char *val, char **f);

/* Takes the next "key=value" item off a map string being tokenised in
 * place (buf on the first call, NULL afterwards, like strtok_r; items are
 * separated by commas, semicolons or white space). Returns 1 with key and
 * val pointing into buf, 0 at the end, or -EINVAL ("'item': expected
 * key=value" in err). */
int modbus_reg_next_item(char *buf, char **save, char **key, char **val, char *err, size_t errlen);

/* One register as an item's value gives it. */
typedef struct modbus_reg_item {
	uint8_t fc;
	uint16_t addr;
	modbus_reg_type type;
	modbus_word_order order; /* MODBUS_WORD_BIG unless given */
	double scale;            /* 1 unless given; never 0 */
} modbus_reg_item;

/* What an item may say; static tables in the drivers. */
typedef struct modbus_reg_rules {
	const char *fcs;      /* function codes allowed, as ",3,4," */
	const char *fc_error; /* message for another code: "%s: function code '%s' must be ..." */
	size_t echo_max;      /* errors quote at most this many characters (< 256) of the value */
} modbus_reg_rules;

/* Parses "FC:ADDR:TYPE[:ORDER[:SCALE]]" (val is modified) for the item
 * named key. Function code 6 takes one-register types only. Returns 0
 * with *out filled, or -EINVAL with a message naming key in err. */
int modbus_reg_parse_item(const char *key, char *val, const modbus_reg_rules *rules, modbus_reg_item *out,
			  char *err, size_t errlen);

#endif
