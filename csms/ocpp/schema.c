/* schema.c: compiles the embedded OCPP 1.6 JSON schemas into node trees once,
 * then validates payloads against them without allocating. The keyword set is
 * closed: a keyword this file does not know fails schema_init() loudly, so no
 * schema is ever silently half-enforced. See schema.h for the error rules. */
#include "schema.h"

#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* JSON value kinds, as a bit mask so "type": [..] is one AND. */
enum {
	T_NULL = 1u << 0,
	T_BOOL = 1u << 1,
	T_OBJECT = 1u << 2,
	T_ARRAY = 1u << 3,
	T_NUMBER = 1u << 4,
	T_INTEGER = 1u << 5, /* set on numbers with no fractional part */
	T_STRING = 1u << 6,
};

enum {
	F_MINLEN = 1u << 0,
	F_MAXLEN = 1u << 1,
	F_MIN = 1u << 2,
	F_MAX = 1u << 3,
	F_XMIN = 1u << 4,
	F_XMAX = 1u << 5,
	F_MULT = 1u << 6,
	F_MINITEMS = 1u << 7,
	F_MAXITEMS = 1u << 8,
	F_DATETIME = 1u << 9,
	F_NOADD = 1u << 10,  /* additionalProperties: false */
	F_OBJECT = 1u << 11, /* has any object keyword: walk the members */
	F_URI = 1u << 12,
};

#define MAX_PROPS 64 /* required/seen are tracked in one uint64_t */
#define MAX_DEPTH 32 /* schema nesting (and $ref chains) */

struct node;

/* One member of an object schema; declared 0 for a name that is only in
 * "required" (it still counts as additional for additionalProperties). */
struct prop {
	const char *name;
	const struct node *node;
	int declared;
};

/* Length and FNV-1a hash of a string enum value, so a lookup costs one
 * pass over the input and integer compares, plus one strcmp to confirm. */
struct enum_key {
	uint32_t len, hash;
};

static void str_key(const char *s, struct enum_key *k)
{
	uint32_t h = 2166136261u, n = 0;
	for (; *s; s++, n++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	k->len = n;
	k->hash = h;
}

/* One compiled (sub)schema; lives in its schema's node list until that
 * schema is freed. */
struct node {
	struct node *next_alloc;
	unsigned types; /* 0: any type */
	unsigned flags;
	size_t min_len, max_len, min_items, max_items;
	double minimum, maximum, xmin, xmax, multiple;
	struct prop *props;
	size_t nprops;
	uint64_t required;
	const struct node *addl;  /* schema for additional members, or NULL */
	const struct node *items; /* schema for every array element, or NULL */
	const cJSON **enums;      /* borrowed from the parsed schema documents */
	struct enum_key *ekeys;   /* per enum value: cheap pre-filter for strings */
	size_t nenum;
	regex_t *re;
};

/* One compiled schema document: owns its parsed text (nodes borrow member
 * names and enum values from it) and every node compiled from it. */
struct schema {
	const char *file;
	const char *action;
	int is_response;
	const struct node *root;
	struct node *nodes;
	cJSON *doc;
};

/* One action: both directions of its message pair. */
struct entry {
	const char *action;
	schema_dir dir;
	const char *profile;
	struct schema *req, *resp;
};

/* Who sends the request, and the feature profile, of every OCPP 1.6 action
 * (security extension included); sorted by name. */
static const struct action_info {
	const char *action;
	schema_dir dir;
	const char *profile;
} action_table[] = {
	{ "Authorize", SCHEMA_DIR_CP_TO_CS, "Core" },
	{ "BootNotification", SCHEMA_DIR_CP_TO_CS, "Core" },
	{ "CancelReservation", SCHEMA_DIR_CS_TO_CP, "Reservation" },
	{ "CertificateSigned", SCHEMA_DIR_CS_TO_CP, "Security" },
	{ "ChangeAvailability", SCHEMA_DIR_CS_TO_CP, "Core" },
	{ "ChangeConfiguration", SCHEMA_DIR_CS_TO_CP, "Core" },
	{ "ClearCache", SCHEMA_DIR_CS_TO_CP, "Core" },
	{ "ClearChargingProfile", SCHEMA_DIR_CS_TO_CP, "SmartCharging" },
	{ "DataTransfer", SCHEMA_DIR_BOTH, "Core" },
	{ "DeleteCertificate", SCHEMA_DIR_CS_TO_CP, "Security" },
	{ "DiagnosticsStatusNotification", SCHEMA_DIR_CP_TO_CS, "FirmwareManagement" },
	{ "ExtendedTriggerMessage", SCHEMA_DIR_CS_TO_CP, "Security" },
	{ "FirmwareStatusNotification", SCHEMA_DIR_CP_TO_CS, "FirmwareManagement" },
	{ "GetCompositeSchedule", SCHEMA_DIR_CS_TO_CP, "SmartCharging" },
	{ "GetConfiguration", SCHEMA_DIR_CS_TO_CP, "Core" },
	{ "GetDiagnostics", SCHEMA_DIR_CS_TO_CP, "FirmwareManagement" },
	{ "GetInstalledCertificateIds", SCHEMA_DIR_CS_TO_CP, "Security" },
	{ "GetLocalListVersion", SCHEMA_DIR_CS_TO_CP, "LocalAuthListManagement" },
	{ "GetLog", SCHEMA_DIR_CS_TO_CP, "Security" },
	{ "Heartbeat", SCHEMA_DIR_CP_TO_CS, "Core" },
	{ "InstallCertificate", SCHEMA_DIR_CS_TO_CP, "Security" },
	{ "LogStatusNotification", SCHEMA_DIR_CP_TO_CS, "Security" },
	{ "MeterValues", SCHEMA_DIR_CP_TO_CS, "Core" },
	{ "RemoteStartTransaction", SCHEMA_DIR_CS_TO_CP, "Core" },
	{ "RemoteStopTransaction", SCHEMA_DIR_CS_TO_CP, "Core" },
	{ "ReserveNow", SCHEMA_DIR_CS_TO_CP, "Reservation" },
	{ "Reset", SCHEMA_DIR_CS_TO_CP, "Core" },
	{ "SecurityEventNotification", SCHEMA_DIR_CP_TO_CS, "Security" },
	{ "SendLocalList", SCHEMA_DIR_CS_TO_CP, "LocalAuthListManagement" },
	{ "SetChargingProfile", SCHEMA_DIR_CS_TO_CP, "SmartCharging" },
	{ "SignCertificate", SCHEMA_DIR_CP_TO_CS, "Security" },
	{ "SignedFirmwareStatusNotification", SCHEMA_DIR_CP_TO_CS, "Security" },
	{ "SignedUpdateFirmware", SCHEMA_DIR_CS_TO_CP, "Security" },
	{ "StartTransaction", SCHEMA_DIR_CP_TO_CS, "Core" },
	{ "StatusNotification", SCHEMA_DIR_CP_TO_CS, "Core" },
	{ "StopTransaction", SCHEMA_DIR_CP_TO_CS, "Core" },
	{ "TriggerMessage", SCHEMA_DIR_CS_TO_CP, "RemoteTrigger" },
	{ "UnlockConnector", SCHEMA_DIR_CS_TO_CP, "Core" },
	{ "UpdateFirmware", SCHEMA_DIR_CS_TO_CP, "FirmwareManagement" },
};
#define N_ACTION_INFO (sizeof action_table / sizeof action_table[0])

/* Module state, built by schema_init(), torn down by schema_free(). */
static struct {
	int ready;
	struct schema *schemas; /* one per embedded file */
	size_t nschemas;
	struct entry *entries; /* one per action, sorted */
	size_t nentries;
} g;

/* ---------------------------------------------------------------- compile */

/* Where compilation is, for the error message. */
struct cctx {
	const char *file;
	const cJSON *doc;
	struct node **nodes; /* the schema's node list */
	char path[256];
};

static void cfail(const struct cctx *c, const char *what, const char *detail)
{
	fprintf(stderr, "schema: %s: at %s: %s%s%s\n", c->file, c->path[0] ? c->path : "(root)", what,
		detail ? ": " : "", detail ? detail : "");
}

static size_t path_push(struct cctx *c, const char *seg)
{
	size_t old = strlen(c->path);
	snprintf(c->path + old, sizeof c->path - old, "/%s", seg);
	return old;
}

static struct node *node_new(struct cctx *c)
{
	struct node *n = calloc(1, sizeof *n);
	if (!n)
		return NULL;
	n->next_alloc = *c->nodes;
	*c->nodes = n;
	return n;
}

static int compile(struct cctx *c, const cJSON *sch, const struct node **out, int depth);

static int get_count(const struct cctx *c, const cJSON *v, size_t *out)
{
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble != floor(v->valuedouble) ||
	    v->valuedouble > 1e9) {
		cfail(c, v->string, "must be a non-negative integer");
		return -1;
	}
	*out = (size_t)v->valuedouble;
	return 0;
}

static int get_num(const struct cctx *c, const cJSON *v, double *out)
{
	if (!cJSON_IsNumber(v)) {
		cfail(c, v->string, "must be a number");
		return -1;
	}
	*out = v->valuedouble;
	return 0;
}

static const struct {
	const char *name;
	unsigned mask;
} type_names[] = {
	{ "null", T_NULL },     { "boolean", T_BOOL },    { "object", T_OBJECT }, { "array", T_ARRAY },
	{ "number", T_NUMBER }, { "integer", T_INTEGER }, { "string", T_STRING },
};

static int type_mask(const struct cctx *c, const cJSON *v, unsigned *mask)
{
	for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
		if (cJSON_IsString(v) && strcmp(v->valuestring, type_names[i].name) == 0) {
			*mask |= type_names[i].mask;
			return 0;
		}
	cfail(c, "unknown type", cJSON_IsString(v) ? v->valuestring : "(not a string)");
	return -1;
}

/* One handler per keyword; the table below is the whole vocabulary. */
typedef int (*kw_fn)(struct cctx *c, const cJSON *v, struct node *n, int depth);

static int kw_ignore(struct cctx *c, const cJSON *v, struct node *n, int depth)
{
	(void)c, (void)v, (void)n, (void)depth;
	return 0;
}

static int kw_type(struct cctx *c, const cJSON *v, struct node *n, int depth)
{
	(void)depth;
	if (cJSON_IsArray(v)) {
		const cJSON *t;
		if (cJSON_GetArraySize(v) == 0) {
			cfail(c, "type", "empty array");
			return -1;
		}
		cJSON_ArrayForEach(t, v)
		{
			if (type_mask(c, t, &n->types) < 0)
				return -1;
		}
		return 0;
	}
	return type_mask(c, v, &n->types);
}

static int kw_min_length(struct cctx *c, const cJSON *v, struct node *n, int depth)
{
	(void)depth;
	n->flags |= F_MINLEN;
	return get_count(c, v, &n->min_len);
}

static int kw_max_length(struct cctx *c, const cJSON *v, struct node *n, int depth)
{
	(void)depth;
	n->flags |= F_MAXLEN;
	return get_count(c, v, &n->max_len);
}

static int kw_min_items(struct cctx *c, const cJSON *v, struct node *n, int depth)
{
	(void)depth;
	n->flags |= F_MINITEMS;
	return get_count(c, v, &n->min_items);
}

static int kw_max_items(struct cctx *c, const cJSON *v, struct node *n, int depth)
{
	(void)depth;
	n->flags |= F_MAXITEMS;
	return get_count(c, v, &n->max_items);
}

static int kw_minimum(struct cctx *c, const cJSON *v, struct node *n, int depth)
{
	(void)depth;
	n->flags |= F_MIN;
	return get_num(c, v, &n->minimum);
}

static int kw_maximum(struct cctx *c, const cJSON *v, struct node *n, int depth)
{
	(void)depth;
	n->flags |= F_MAX;
	return get_num(c, v, &n->maximum);
}

/* Only the draft-06+ number form; the draft-04 boolean form is refused. */
static int kw_xmin(struct cctx *c, const cJSON *v, struct node *n, int depth)
{
	(void)depth;
	n->flags |= F_XMIN;
	return get_num(c, v, &n->xmin);
}

static int kw_xmax(struct cctx *c, const cJSON *v, struct node *n, int depth)
{
	(void)depth;
	n->flags |= F_XMAX;
	return get_num(c, v, &n->xmax);
}

static int kw_multiple_of(struct cctx *c, const cJSON *v, struct node *n, int depth)
{
	(void)depth;
	n->flags |= F_MULT;
	if (get_num(c, v, &n->multiple) < 0)
		return -1;
	if (!(n->multiple > 0)) {
		cfail(c, "multipleOf", "must be > 0");
		return -1;
	}
	return 0;
}

static int kw_format(struct cctx *c, const cJSON *v, struct node *n, int depth)
{
	(void)depth;
	if (cJSON_IsString(v) && strcmp(v->valuestring, "date-time") == 0) {
		n->flags |= F_DATETIME;
		return 0;
	}
	if (cJSON_IsString(v) && strcmp(v->valuestring, "uri") == 0) {
		n->flags |= F_URI;
		return 0;
	}
	cfail(c, "unsupported format", cJSON_IsString(v) ? v->valuestring : "(not a string)");
	return -1;
}

static int kw_pattern(struct cctx *c, const cJSON *v, struct node *n, int depth)
{
	(void)depth;
	if (!cJSON_IsString(v)) {
		cfail(c, "pattern", "must be a string");
		return -1;
	}
	n->re = malloc(sizeof *n->re);
	if (!n->re) {
		cfail(c, "pattern", "out of memory");
		return -1;
	}
	if (regcomp(n->re, v->valuestring, REG_EXTENDED | REG_NOSUB) != 0) {
		free(n->re);
		n->re = NULL;
		cfail(c, "pattern not a POSIX extended regex", v->valuestring);
		return -1;
	}
	return 0;
}

static int kw_enum(struct cctx *c, const cJSON *v, struct node *n, int depth)
{
	(void)depth;
	int cnt = cJSON_GetArraySize(v);
	if (!cJSON_IsArray(v) || cnt == 0) {
		cfail(c, "enum", "must be a non-empty array");
		return -1;
	}
	n->enums = calloc((size_t)cnt, sizeof *n->enums);
	n->ekeys = calloc((size_t)cnt, sizeof *n->ekeys);
	if (!n->enums || !n->ekeys) {
		cfail(c, "enum", "out of memory");
		return -1;
	}
	const cJSON *e;
	cJSON_ArrayForEach(e, v)
	{
		if (cJSON_IsString(e))
			str_key(e->valuestring, &n->ekeys[n->nenum]);
		else
			n->ekeys[n->nenum].len = UINT32_MAX; /* no string has this length */
		n->enums[n->nenum++] = e;
	}
	return 0;
}

static int kw_items(struct cctx *c, const cJSON *v, struct node *n, int depth)
{
	if (!cJSON_IsObject(v)) {
		cfail(c, "items", "only one schema for every element is supported (not a tuple)");
		return -1;
	}
	size_t old = path_push(c, "items");
	int rc = compile(c, v, &n->items, depth + 1);
	c->path[old] = '\0';
	return rc;
}

static int kw_additional(struct cctx *c, const cJSON *v, struct node *n, int depth)
{
	n->flags |= F_OBJECT;
	if (cJSON_IsBool(v)) {
		if (cJSON_IsFalse(v))
			n->flags |= F_NOADD;
		return 0;
	}
	if (!cJSON_IsObject(v)) {
		cfail(c, "additionalProperties", "must be a boolean or a schema");
		return -1;
	}
	size_t old = path_push(c, "additionalProperties");
	int rc = compile(c, v, &n->addl, depth + 1);
	c->path[old] = '\0';
	return rc;
}

/* properties and required are built together after the keyword pass. */
static int kw_properties(struct cctx *c, const cJSON *v, struct node *n, int depth)
{
	(void)depth;
	n->flags |= F_OBJECT;
	if (!cJSON_IsObject(v)) {
		cfail(c, "properties", "must be an object");
		return -1;
	}
	return 0;
}

static int kw_required(struct cctx *c, const cJSON *v, struct node *n, int depth)
{
	(void)depth;
	const cJSON *e;
	n->flags |= F_OBJECT;
	if (!cJSON_IsArray(v)) {
		cfail(c, "required", "must be an array");
		return -1;
	}
	cJSON_ArrayForEach(e, v)
	{
		if (!cJSON_IsString(e)) {
			cfail(c, "required", "entries must be strings");
			return -1;
		}
	}
	return 0;
}

static const struct {
	const char *name;
	kw_fn fn;
} keywords[] = {
	/* annotations: no effect on validation */
	{ "$schema", kw_ignore },
	{ "$id", kw_ignore },
	{ "id", kw_ignore },
	{ "title", kw_ignore },
	{ "description", kw_ignore },
	{ "$comment", kw_ignore },
	{ "comment", kw_ignore },
	{ "default", kw_ignore },
	{ "examples", kw_ignore },
	/* compiled where a $ref points into them */
	{ "definitions", kw_ignore },
	{ "type", kw_type },
	{ "properties", kw_properties },
	{ "required", kw_required },
	{ "additionalProperties", kw_additional },
	{ "items", kw_items },
	{ "minItems", kw_min_items },
	{ "maxItems", kw_max_items },
	{ "enum", kw_enum },
	{ "minLength", kw_min_length },
	{ "maxLength", kw_max_length },
	{ "minimum", kw_minimum },
	{ "maximum", kw_maximum },
	{ "exclusiveMinimum", kw_xmin },
	{ "exclusiveMaximum", kw_xmax },
	{ "multipleOf", kw_multiple_of },
	{ "format", kw_format },
	{ "pattern", kw_pattern },
};

static kw_fn keyword_fn(const char *name)
{
	for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
		if (strcmp(keywords[i].name, name) == 0)
			return keywords[i].fn;
	return NULL;
}

/* Resolves a local JSON pointer ("#/definitions/X", with ~0 ~1 escapes). */
static const cJSON *resolve_ref(const cJSON *doc, const char *ref)
{
	char seg[128];
	const cJSON *cur = doc;
	if (ref[0] != '#')
		return NULL;
	ref++;
	while (*ref == '/') {
		size_t k = 0;
		ref++;
		while (*ref && *ref != '/') {
			char ch = *ref++;
			if (ch == '~') {
				if (*ref == '0')
					ch = '~';
				else if (*ref == '1')
					ch = '/';
				else
					return NULL;
				ref++;
			}
			if (k + 1 >= sizeof seg)
				return NULL;
			seg[k++] = ch;
		}
		seg[k] = '\0';
		cur = cJSON_GetObjectItemCaseSensitive(cur, seg);
		if (!cur)
			return NULL;
	}
	return *ref == '\0' ? cur : NULL;
}

static int compile_ref(struct cctx *c, const cJSON *sch, const cJSON *ref, const struct node **out, int depth)
{
	const cJSON *k;
	cJSON_ArrayForEach(k, sch)
	{
		if (k == ref || keyword_fn(k->string) == kw_ignore)
			continue;
		cfail(c, "keyword beside $ref is not supported", k->string);
		return -1;
	}
	const cJSON *target = cJSON_IsString(ref) ? resolve_ref(c->doc, ref->valuestring) : NULL;
	if (!target) {
		cfail(c, "$ref does not resolve to a local definition",
		      cJSON_IsString(ref) ? ref->valuestring : "(not a string)");
		return -1;
	}
	size_t old = path_push(c, ref->valuestring);
	int rc = compile(c, target, out, depth + 1);
	c->path[old] = '\0';
	return rc;
}

static int add_prop(struct cctx *c, struct node *n, const char *name, const struct node *sub, int declared)
{
	if (n->nprops >= MAX_PROPS) {
		cfail(c, "too many properties in one object", name);
		return -1;
	}
	n->props[n->nprops].name = name;
	n->props[n->nprops].node = sub;
	n->props[n->nprops].declared = declared;
	n->nprops++;
	return 0;
}

static int build_props(struct cctx *c, const cJSON *sch, struct node *n, int depth)
{
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(sch, "properties");
	const cJSON *req = cJSON_GetObjectItemCaseSensitive(sch, "required");
	const cJSON *p;
	size_t cap = (size_t)cJSON_GetArraySize(props) + (size_t)cJSON_GetArraySize(req);
	if (cap == 0)
		return 0;
	n->props = calloc(cap, sizeof *n->props);
	if (!n->props) {
		cfail(c, "properties", "out of memory");
		return -1;
	}
	cJSON_ArrayForEach(p, props)
	{
		const struct node *sub;
		size_t old = path_push(c, "properties");
		path_push(c, p->string);
		int rc = compile(c, p, &sub, depth + 1);
		c->path[old] = '\0';
		if (rc < 0 || add_prop(c, n, p->string, sub, 1) < 0)
			return -1;
	}
	cJSON_ArrayForEach(p, req)
	{
		size_t i;
		for (i = 0; i < n->nprops; i++)
			if (strcmp(n->props[i].name, p->valuestring) == 0)
				break;
		if (i == n->nprops && add_prop(c, n, p->valuestring, NULL, 0) < 0)
			return -1;
		n->required |= UINT64_C(1) << i;
	}
	return 0;
}

static int compile(struct cctx *c, const cJSON *sch, const struct node **out, int depth)
{
	const cJSON *k;
	struct node *n;

	if (depth > MAX_DEPTH) {
		cfail(c, "schema nested too deep (or a $ref cycle)", NULL);
		return -1;
	}
	if (!cJSON_IsObject(sch)) {
		cfail(c, "a schema must be a JSON object", NULL);
		return -1;
	}
	const cJSON *ref = cJSON_GetObjectItemCaseSensitive(sch, "$ref");
	if (ref)
		return compile_ref(c, sch, ref, out, depth);

	n = node_new(c);
	if (!n) {
		cfail(c, "out of memory", NULL);
		return -1;
	}
	cJSON_ArrayForEach(k, sch)
	{
		kw_fn fn = keyword_fn(k->string);
		if (!fn) {
			cfail(c, "unknown keyword", k->string);
			return -1;
		}
		if (fn(c, k, n, depth) < 0)
			return -1;
	}
	if (build_props(c, sch, n, depth) < 0)
		return -1;
	*out = n;
	return 0;
}

/* --------------------------------------------------------------- validate */

/* Severity rank of each category: a higher rank replaces a recorded lower one. */
static int rank(schema_result r)
{
	switch (r) {
	case SCHEMA_FORMATION: return 4;
	case SCHEMA_OCCURRENCE: return 3;
	case SCHEMA_TYPE: return 2;
	case SCHEMA_PROPERTY: return 1;
	default: return 0;
	}
}

/* One step of the JSON path: a member name or an array index. */
struct seg {
	const char *key;
	int idx;
};

/* Per-call validation state, on the caller's stack. */
struct vstate {
	schema_result best;
	char *why;
	size_t whylen;
	int depth;
	struct seg path[MAX_DEPTH + 2];
};

static void report(struct vstate *v, schema_result r, const char *leaf, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Records a violation if it outranks the one recorded so far; the text is
 * only formatted then, so a valid payload never touches why. */
static void report(struct vstate *v, schema_result r, const char *leaf, const char *fmt, ...)
{
	size_t off = 0;
	int w;
	va_list ap;
	if (rank(r) <= rank(v->best))
		return;
	v->best = r;
	if (v->whylen == 0)
		return;
	for (int i = 0; i <= v->depth && off < v->whylen; i++) {
		const char *key = i < v->depth ? v->path[i].key : leaf;
		if (i < v->depth && !key)
			w = snprintf(v->why + off, v->whylen - off, "[%d]", v->path[i].idx);
		else if (key)
			w = snprintf(v->why + off, v->whylen - off, "%s%s", off ? "." : "", key);
		else
			w = 0;
		off += w > 0 ? (size_t)w : 0;
	}
	if (off < v->whylen) {
		w = snprintf(v->why + off, v->whylen - off, "%s: ", off ? "" : "(root)");
		off += w > 0 ? (size_t)w : 0;
	}
	if (off < v->whylen) {
		va_start(ap, fmt);
		vsnprintf(v->why + off, v->whylen - off, fmt, ap);
		va_end(ap);
	}
}

/* Reads cJSON's public type byte directly: the cJSON_Is* helpers are out of
 * line calls into the shared library, a measurable share of a validation. */
static unsigned kind_of(const cJSON *x)
{
	switch (x->type & 0xFF) {
	case cJSON_String: return T_STRING;
	case cJSON_Number: {
		double d = x->valuedouble;
		return T_NUMBER | (isfinite(d) && d == floor(d) ? T_INTEGER : 0u);
	}
	case cJSON_Object: return T_OBJECT;
	case cJSON_Array: return T_ARRAY;
	case cJSON_True:
	case cJSON_False: return T_BOOL;
	case cJSON_NULL: return T_NULL;
	default: return 0; /* cJSON_Raw, cJSON_Invalid: match no type */
	}
}

static const char *kind_name(unsigned k)
{
	if (k & T_INTEGER)
		return "integer";
	for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
		if (k & type_names[i].mask)
			return type_names[i].name;
	return "invalid";
}

static size_t utf8_len(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static int digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm). */
static int is_datetime(const char *s)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y = digits(s, 4), mo, d, h, mi, se;
	if (y < 0 || s[4] != '-' || (mo = digits(s + 5, 2)) < 1 || mo > 12 || s[7] != '-')
		return 0;
	if ((d = digits(s + 8, 2)) < 1 || d > mdays[mo - 1])
		return 0;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return 0;
	if (s[10] != 'T' && s[10] != 't')
		return 0;
	if ((h = digits(s + 11, 2)) < 0 || h > 23 || s[13] != ':' || (mi = digits(s + 14, 2)) < 0 ||
	    mi > 59 || s[16] != ':' || (se = digits(s + 17, 2)) < 0 || se > 60)
		return 0;
	s += 19;
	if (*s == '.') {
		const char *f = ++s;
		while (*s >= '0' && *s <= '9')
			s++;
		if (s == f)
			return 0;
	}
	if ((*s == 'Z' || *s == 'z') && s[1] == '\0')
		return 1;
	if (*s != '+' && *s != '-')
		return 0;
	if ((h = digits(s + 1, 2)) < 0 || h > 23 || s[3] != ':' || (mi = digits(s + 4, 2)) < 0 || mi > 59)
		return 0;
	return s[6] == '\0';
}

/* RFC 3986 absolute URI, checked lexically: a scheme, ':', then only URI
 * characters, every '%' followed by two hex digits. */
static int is_uri(const char *s)
{
	static const char extra[] = "-._~:/?#[]@!$&'()*+,;=";
	const char *p = s;
	if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
		return 0;
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
	       *p == '+' || *p == '-' || *p == '.')
		p++;
	if (*p++ != ':')
		return 0;
	for (; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
			continue;
		if (ch == '%') {
			for (int i = 1; i <= 2; i++) {
				unsigned char h = (unsigned char)p[i];
				if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') ||
				      (h >= 'A' && h <= 'F')))
					return 0;
			}
			p += 2;
			continue;
		}
		if (!ch || !strchr(extra, ch))
			return 0;
	}
	return 1;
}

static int in_enum(const struct node *n, const cJSON *x)
{
	if ((x->type & 0xFF) == cJSON_String) {
		struct enum_key k;
		str_key(x->valuestring, &k);
		for (size_t i = 0; i < n->nenum; i++)
			if (n->ekeys[i].hash == k.hash && n->ekeys[i].len == k.len &&
			    strcmp(n->enums[i]->valuestring, x->valuestring) == 0)
				return 1;
		return 0;
	}
	for (size_t i = 0; i < n->nenum; i++)
		if (cJSON_Compare(n->enums[i], x, 1))
			return 1;
	return 0;
}

static void check(struct vstate *v, const struct node *n, const cJSON *x, int root);

static void check_string(struct vstate *v, const struct node *n, const cJSON *x)
{
	const char *s = x->valuestring;
	if (n->flags & (F_MINLEN | F_MAXLEN)) {
		size_t len = utf8_len(s);
		if ((n->flags & F_MAXLEN) && len > n->max_len)
			report(v, SCHEMA_PROPERTY, NULL, "string longer than %zu characters", n->max_len);
		if ((n->flags & F_MINLEN) && len < n->min_len)
			report(v, SCHEMA_PROPERTY, NULL, "string shorter than %zu characters", n->min_len);
	}
	if ((n->flags & F_DATETIME) && !is_datetime(s))
		report(v, SCHEMA_PROPERTY, NULL, "not an RFC 3339 date-time");
	if ((n->flags & F_URI) && !is_uri(s))
		report(v, SCHEMA_PROPERTY, NULL, "not a URI");
	if (n->re && regexec(n->re, s, 0, NULL, 0) != 0)
		report(v, SCHEMA_PROPERTY, NULL, "does not match pattern");
}

static void check_number(struct vstate *v, const struct node *n, double d)
{
	if ((n->flags & F_MIN) && d < n->minimum)
		report(v, SCHEMA_PROPERTY, NULL, "value below minimum %g", n->minimum);
	if ((n->flags & F_MAX) && d > n->maximum)
		report(v, SCHEMA_PROPERTY, NULL, "value above maximum %g", n->maximum);
	if ((n->flags & F_XMIN) && d <= n->xmin)
		report(v, SCHEMA_PROPERTY, NULL, "value not above exclusiveMinimum %g", n->xmin);
	if ((n->flags & F_XMAX) && d >= n->xmax)
		report(v, SCHEMA_PROPERTY, NULL, "value not below exclusiveMaximum %g", n->xmax);
	if (n->flags & F_MULT) {
		/* relative tolerance: 16.1 / 0.1 is 161.00000000000003 in binary */
		double q = d / n->multiple;
		if (!isfinite(q) || fabs(q - nearbyint(q)) > 1e-9 * fmax(1.0, fabs(q)))
			report(v, SCHEMA_PROPERTY, NULL, "value not a multiple of %g", n->multiple);
	}
}

static void check_object(struct vstate *v, const struct node *n, const cJSON *x)
{
	uint64_t seen = 0;
	size_t next = 0;
	const cJSON *m;
	cJSON_ArrayForEach(m, x)
	{
		const struct prop *p = NULL;
		const char *key = m->string ? m->string : ""; /* hand-built trees may lack one */
		size_t i = 0;
		/* senders mostly keep the schema's member order: try from the member
     * after the last match, wrapping once */
		for (size_t t = 0; t < n->nprops; t++) {
			i = next + t < n->nprops ? next + t : next + t - n->nprops;
			if (strcmp(n->props[i].name, key) == 0) {
				p = &n->props[i];
				next = i + 1 < n->nprops ? i + 1 : 0;
				break;
			}
		}
		if (p)
			seen |= UINT64_C(1) << i;
		if (p && p->declared) {
			if (p->node && v->depth < MAX_DEPTH + 2) {
				v->path[v->depth++] = (struct seg){ key, 0 };
				check(v, p->node, m, 0);
				v->depth--;
			}
		} else if (n->flags & F_NOADD) {
			report(v, SCHEMA_FORMATION, key, "property not allowed");
			return;
		} else if (n->addl && v->depth < MAX_DEPTH + 2) {
			v->path[v->depth++] = (struct seg){ key, 0 };
			check(v, n->addl, m, 0);
			v->depth--;
		}
		if (v->best == SCHEMA_FORMATION)
			return;
	}
	uint64_t missing = n->required & ~seen;
	for (size_t i = 0; missing && i < n->nprops; i++)
		if (missing & (UINT64_C(1) << i)) {
			report(v, SCHEMA_OCCURRENCE, n->props[i].name, "required property missing");
			return;
		}
}

static void check_array(struct vstate *v, const struct node *n, const cJSON *x)
{
	size_t cnt = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, x)
	{
		if (n->items && v->depth < MAX_DEPTH + 2) {
			v->path[v->depth++] = (struct seg){ NULL, (int)cnt };
			check(v, n->items, e, 0);
			v->depth--;
			if (v->best == SCHEMA_FORMATION)
				return;
		}
		cnt++;
	}
	if ((n->flags & F_MINITEMS) && cnt < n->min_items)
		report(v, SCHEMA_OCCURRENCE, NULL, "fewer than %zu items", n->min_items);
	if ((n->flags & F_MAXITEMS) && cnt > n->max_items)
		report(v, SCHEMA_OCCURRENCE, NULL, "more than %zu items", n->max_items);
}

static void check(struct vstate *v, const struct node *n, const cJSON *x, int root)
{
	unsigned k = kind_of(x);
	if (n->types && !(k & n->types)) {
		if (rank(root ? SCHEMA_FORMATION : SCHEMA_TYPE) > rank(v->best)) {
			char want[64] = "";
			size_t off = 0;
			for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
				if (n->types & type_names[i].mask) {
					int w = snprintf(want + off, sizeof want - off, "%s%s",
							 off ? " or " : "", type_names[i].name);
					if (w > 0 && (size_t)w < sizeof want - off)
						off += (size_t)w;
				}
			report(v, root ? SCHEMA_FORMATION : SCHEMA_TYPE, NULL, "expected %s, got %s", want,
			       kind_name(k));
		}
		return;
	}
	/* OCPP 1.6 defines integer as 32 bits: a larger one is a bad value (and
   * handlers convert these to int). */
	if ((n->types & T_INTEGER) && !(n->types & T_NUMBER) && (k & T_NUMBER) &&
	    (x->valuedouble < -2147483648.0 || x->valuedouble > 2147483647.0))
		report(v, SCHEMA_PROPERTY, NULL, "integer out of the 32-bit range");
	if (k & T_STRING)
		check_string(v, n, x);
	else if (k & T_NUMBER)
		check_number(v, n, x->valuedouble);
	else if ((k & T_OBJECT) && (n->flags & F_OBJECT))
		check_object(v, n, x);
	else if (k & T_ARRAY)
		check_array(v, n, x);
	if (n->nenum && !in_enum(n, x))
		report(v, SCHEMA_PROPERTY, NULL, "value not in enum");
}

schema_result schema_validate(const schema *s, const cJSON *payload, char *why, size_t whylen)
{
	struct vstate v;
	v.best = SCHEMA_OK;
	v.why = why;
	v.whylen = whylen;
	v.depth = 0;
	if (whylen)
		why[0] = '\0';
	if (!s || !payload) {
		report(&v, SCHEMA_FORMATION, NULL, "no schema or no payload");
		return SCHEMA_FORMATION;
	}
	check(&v, s->root, payload, 1);
	return v.best;
}

/* ------------------------------------------------------------------ table */

static const struct action_info *action_info(const char *action)
{
	size_t lo = 0, hi = N_ACTION_INFO;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(action, action_table[mid].action);
		if (c == 0)
			return &action_table[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->action, ((const struct entry *)b)->action);
}

static struct entry *entry_find(const char *action)
{
	struct entry key = { .action = action };
	if (!g.entries || !action)
		return NULL;
	return bsearch(&key, g.entries, g.nentries, sizeof *g.entries, entry_cmp);
}

/* Frees what one schema owns, not the struct itself. */
static void schema_release(struct schema *s)
{
	while (s->nodes) {
		struct node *n = s->nodes;
		s->nodes = n->next_alloc;
		if (n->re) {
			regfree(n->re);
			free(n->re);
		}
		free(n->props);
		free(n->enums);
		free(n->ekeys);
		free(n);
	}
	cJSON_Delete(s->doc);
	s->doc = NULL;
	s->root = NULL;
}

/* Parses and compiles text into s; 0 or -1 after one line on stderr. */
static int schema_build(struct schema *s, const char *file, const char *text, size_t len)
{
	struct cctx c = { .file = file, .nodes = &s->nodes };
	s->file = file;
	s->doc = cJSON_ParseWithLength(text, len);
	if (!s->doc) {
		fprintf(stderr, "schema: %s: not valid JSON\n", file);
		return -1;
	}
	c.doc = s->doc;
	if (compile(&c, s->doc, &s->root, 0) < 0) {
		schema_release(s);
		return -1;
	}
	return 0;
}

schema *schema_compile(const char *name, const char *text)
{
	struct schema *s;
	if (!name || !text)
		return NULL;
	s = calloc(1, sizeof *s);
	if (!s) {
		fprintf(stderr, "schema: %s: out of memory\n", name);
		return NULL;
	}
	if (schema_build(s, name, text, strlen(text)) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

void schema_destroy(schema *s)
{
	if (!s)
		return;
	schema_release(s);
	free(s);
}

void schema_free(void)
{
	for (size_t i = 0; i < g.nschemas; i++)
		schema_release(&g.schemas[i]);
	free(g.schemas);
	free(g.entries);
	memset(&g, 0, sizeof g);
}

int schema_init(void)
{
	size_t n = schema_sources_count;

	if (g.ready)
		return 0;
	for (size_t i = 1; i < N_ACTION_INFO; i++)
		if (strcmp(action_table[i - 1].action, action_table[i].action) >= 0) {
			fprintf(stderr, "schema: action table not sorted at %s\n", action_table[i].action);
			return -1;
		}
	g.schemas = calloc(n, sizeof *g.schemas);
	g.entries = calloc(n, sizeof *g.entries);
	if (!g.schemas || !g.entries) {
		fprintf(stderr, "schema: out of memory\n");
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		const struct schema_source *src = &schema_sources[i];
		struct schema *s = &g.schemas[i];
		struct entry *e;

		if (schema_build(s, src->file, src->text, src->len) < 0)
			goto fail;
		g.nschemas++;
		s->action = src->action;
		s->is_response = src->is_response;

		e = NULL;
		for (size_t j = 0; j < g.nentries; j++)
			if (strcmp(g.entries[j].action, src->action) == 0)
				e = &g.entries[j];
		if (!e) {
			const struct action_info *ai = action_info(src->action);
			if (!ai) {
				fprintf(stderr, "schema: %s: action %s is not in schema.c's action table\n",
					src->file, src->action);
				goto fail;
			}
			e = &g.entries[g.nentries++];
			e->action = ai->action;
			e->dir = ai->dir;
			e->profile = ai->profile;
		}
		if (src->is_response ? e->resp : e->req) {
			fprintf(stderr, "schema: %s: duplicate schema for %s\n", src->file, src->action);
			goto fail;
		}
		if (src->is_response)
			e->resp = s;
		else
			e->req = s;
	}
	for (size_t j = 0; j < g.nentries; j++)
		if (!g.entries[j].req || !g.entries[j].resp) {
			fprintf(stderr, "schema: %s: the %s schema is missing\n", g.entries[j].action,
				g.entries[j].req ? "response" : "request");
			goto fail;
		}
	if (g.nentries != N_ACTION_INFO) {
		for (size_t j = 0; j < N_ACTION_INFO; j++) {
			size_t k;
			for (k = 0; k < g.nentries; k++)
				if (strcmp(g.entries[k].action, action_table[j].action) == 0)
					break;
			if (k == g.nentries)
				fprintf(stderr, "schema: no schema embedded for action %s\n",
					action_table[j].action);
		}
		goto fail;
	}
	qsort(g.entries, g.nentries, sizeof *g.entries, entry_cmp);
	g.ready = 1;
	return 0;
fail:
	schema_free();
	return -1;
}

const schema *schema_get(const char *action, int is_response)
{
	struct entry *e = entry_find(action);
	if (!e || !g.ready)
		return NULL;
	return is_response ? e->resp : e->req;
}

size_t schema_count(void)
{
	return g.ready ? g.nentries : 0;
}

const char *schema_action(size_t i)
{
	return g.ready && i < g.nentries ? g.entries[i].action : NULL;
}

schema_dir schema_action_dir(const char *action)
{
	const struct action_info *ai = action ? action_info(action) : NULL;
	return ai ? ai->dir : SCHEMA_DIR_UNKNOWN;
}

const char *schema_action_profile(const char *action)
{
	const struct action_info *ai = action ? action_info(action) : NULL;
	return ai ? ai->profile : NULL;
}

const char *schema_result_name(schema_result r)
{
	static const char *const names[] = {
		[SCHEMA_OK] = "SCHEMA_OK",
		[SCHEMA_FORMATION] = "SCHEMA_FORMATION",
		[SCHEMA_TYPE] = "SCHEMA_TYPE",
		[SCHEMA_PROPERTY] = "SCHEMA_PROPERTY",
		[SCHEMA_OCCURRENCE] = "SCHEMA_OCCURRENCE",
	};
	return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "SCHEMA_?";
}
