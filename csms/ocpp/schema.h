/* schema.h: the OCPP 1.6 JSON schemas (every schemas/NAME.json, embedded at build time)
 * compiled once into node trees, and one generic validator driven by them.
 *
 * Ownership: schema_init() parses every embedded file and owns the result;
 * every `const schema *` and every string returned here stays valid until
 * schema_free(). schema_validate() borrows the caller's cJSON payload, never
 * allocates (except inside glibc's regexec for a "pattern", which none of
 * the OCPP 1.6 files uses) and never modifies it; it is safe to call from
 * several threads at once after schema_init() has returned.
 *
 * Which violation is reported: a payload is checked completely (it stops
 * only at a FORMATION violation, which nothing outranks) and the reported
 * violation is the most severe category found, in this order
 *     SCHEMA_FORMATION > SCHEMA_OCCURRENCE > SCHEMA_TYPE > SCHEMA_PROPERTY
 * and, within that category, the first one met in document order: members of
 * an object in the order they appear in the payload (each checked depth-first
 * before the next member), array elements by index, then that object's
 * missing required properties in the schema's order, then minItems/maxItems
 * of an array after its elements.
 *
 * Category of each keyword:
 *   FORMATION   the payload itself is not of the root schema's type (not a
 *               JSON object); a member not allowed by additionalProperties
 *   OCCURRENCE  a required member missing; minItems / maxItems
 *   TYPE        "type" (incl. arrays of types); "integer" is a JSON number
 *               with no fractional part (1 and 1.0 pass, 1.5 does not)
 *   PROPERTY    enum, minLength/maxLength (in Unicode code points), minimum,
 *               maximum, exclusiveMinimum/exclusiveMaximum (draft-06 number
 *               form), multipleOf, pattern (POSIX ERE), format "date-time"
 *               (RFC 3339: "T", seconds, "Z" or +hh:mm required, optional
 *               fraction, each field range-checked incl. days per month),
 *               format "uri" (RFC 3986 absolute URI, lexical check)
 * Understood structure keywords: properties, required, additionalProperties
 * (bool or schema), items (one schema for every element), $ref to
 * "#/definitions/..." (any local JSON pointer). Annotations ignored: $schema,
 * $id, id, title, description, $comment, comment, default, examples.
 * Any other keyword makes schema_init() fail with a message naming the file
 * and the keyword: a schema is never half-understood.
 */
#ifndef CSMS_SCHEMA_H
#define CSMS_SCHEMA_H

#include <stddef.h>
#include <cJSON.h>

typedef enum {
	SCHEMA_OK = 0,
	SCHEMA_FORMATION, /* payload not a JSON object; a property the schema does not allow (additionalProperties false) */
	SCHEMA_TYPE,     /* a value of the wrong JSON type ("connectorId": "1") */
	SCHEMA_PROPERTY, /* a value breaking a constraint: enum, maxLength/minLength, minimum/maximum, multipleOf, pattern, format date-time */
	SCHEMA_OCCURRENCE, /* a required property missing; minItems/maxItems */
} schema_result;

/* Who sends the request of an action. DataTransfer goes both ways. */
typedef enum {
	SCHEMA_DIR_UNKNOWN = 0,
	SCHEMA_DIR_CP_TO_CS, /* charge point initiated: we receive the CALL */
	SCHEMA_DIR_CS_TO_CP, /* central system initiated: we send the CALL */
	SCHEMA_DIR_BOTH,
} schema_dir;

typedef struct schema schema; /* compiled, owned by the module, lives until schema_free() */

/* Parse + compile every embedded schema once; 0, or -1 after one line on
 * stderr saying which file and which keyword/path failed. Calling it again
 * while initialised is a no-op returning 0. */
int schema_init(void);
void schema_free(void);

/* The schema of an action's request (is_response 0) or response (1);
 * NULL when there is none (unknown action, or not initialised). */
const schema *schema_get(const char *action, int is_response);

/* Validate payload against s. On a violation, writes to why (if whylen > 0,
 * always NUL-terminated, truncated to whylen) "<path>: <reason>", the path
 * being e.g. "meterValue[0].sampledValue[2].measurand", "(root)" for the
 * payload itself. On SCHEMA_OK why is set to "". s == NULL or payload == NULL
 * is SCHEMA_FORMATION. Never allocates. */
schema_result schema_validate(const schema *s, const cJSON *payload, char *why, size_t whylen);

/* Compile one schema document outside the embedded set (tests, tools): the
 * same keyword rules as schema_init(). name is used in messages and must
 * outlive the result. NULL after one line on stderr. Free with
 * schema_destroy(); works without schema_init(). */
schema *schema_compile(const char *name, const char *json_text);
void schema_destroy(schema *s);

size_t schema_count(void);           /* number of distinct actions (0 before init) */
const char *schema_action(size_t i); /* the i-th action name, sorted (strcmp); NULL if i >= count */

/* Direction of an action's request, from a table in schema.c; every action
 * with an embedded schema has one (checked by schema_init). */
schema_dir schema_action_dir(const char *action);

/* Feature profile of an action: "Core", "FirmwareManagement",
 * "LocalAuthListManagement", "Reservation", "SmartCharging", "RemoteTrigger",
 * or "Security" (the 1.6 security extension); NULL if unknown. Static text. */
const char *schema_action_profile(const char *action);

/* "SCHEMA_OK", "SCHEMA_FORMATION", ... for logs and tests (not wire codes:
 * the RPC layer maps schema_result to CALLERROR codes). */
const char *schema_result_name(schema_result r);

/* The embedded files, as generated by schemas/embed.cmake (one entry per
 * .json file, sorted by file name). Text is NUL-terminated. */
struct schema_source {
	const char *file;   /* "BootNotificationResponse.json" */
	const char *action; /* "BootNotification" */
	int is_response;
	const char *text;
	size_t len;
};
extern const struct schema_source schema_sources[];
extern const size_t schema_sources_count;

#endif
