/* ctl_cmds.c: csmsctl's commands: one table row and one handler each.
 * Handlers build the API request, let api() deal with transport and HTTP
 * errors (exit 1) and render the answer: a table, or with --json the API's
 * text unchanged. */
#include "ctl.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PATH_MAX_LEN 2048

/* ---- talking to the API ---- */

/* Does the request; 0 when an answer came, else prints why and returns 1. */
static int call(struct ctl *c, const char *method, const char *path, const char *body,
		struct ctl_http_resp *r)
{
	char err[512];
	int rc = ctl_http_request(&c->url, c->token, c->timeout_s, method, path, body, r, err, sizeof err);
	if (!rc)
		return 0;
	if (rc == -1)
		fprintf(stderr, "%s: cannot connect to %s: %s\n", c->prog, c->url.text, err);
	else
		fprintf(stderr, "%s: %s %s%s: %s\n", c->prog, method, c->url.text, path, err);
	return CTL_EXIT_ERROR;
}

/* Prints the server's error answer: code and description, and for a
 * CALLERROR its details. */
static void print_error(struct ctl *c, const struct ctl_http_resp *r)
{
	cJSON *j = r->body ? cJSON_Parse(r->body) : NULL;
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
	const cJSON *desc = cJSON_GetObjectItemCaseSensitive(e, "description");
	const cJSON *det = cJSON_GetObjectItemCaseSensitive(e, "details");
	if (cJSON_IsString(code)) {
		fprintf(stderr, "%s: error %d %s", c->prog, r->status, code->valuestring);
		if (cJSON_IsString(desc) && *desc->valuestring)
			fprintf(stderr, ": %s", desc->valuestring);
		if (det && (cJSON_IsObject(det) || cJSON_IsArray(det)) && det->child) {
			char *d = cJSON_PrintUnformatted(det);
			fprintf(stderr, " (details: %s)", d ? d : "?");
			free(d);
		}
		fputc('\n', stderr);
	} else {
		/* Not our JSON (a proxy, an old daemon): the first line of it. */
		const char *b = r->body ? r->body : "";
		int n = (int)strcspn(b, "\r\n");
		fprintf(stderr, "%s: error %d%s%.*s\n", c->prog, r->status, n ? ": " : "", n > 200 ? 200 : n,
			b);
	}
	if (r->status == 401)
		fprintf(stderr, "%s: give the admin token with --token or CSMS_TOKEN\n", c->prog);
	cJSON_Delete(j);
}

/* One API request. 4xx/5xx: prints the error (with --json the error JSON
 * on stdout too) and returns 1. Success with --json: prints the answer and
 * leaves *out NULL. Success otherwise: *out = the parsed answer (NULL if
 * empty), owned by the caller. */
static int api(struct ctl *c, const char *method, const char *path, const char *body, cJSON **out)
{
	struct ctl_http_resp r;
	*out = NULL;
	int rc = call(c, method, path, body, &r);
	if (rc)
		return rc;
	if (r.status >= 400 || r.status < 200) {
		if (c->json && r.len)
			printf("%s%s", r.body, r.body[r.len - 1] == '\n' ? "" : "\n");
		print_error(c, &r);
		rc = CTL_EXIT_ERROR;
	} else if (c->json) {
		if (r.len)
			printf("%s%s", r.body, r.body[r.len - 1] == '\n' ? "" : "\n");
	} else if (r.len) {
		*out = cJSON_ParseWithLength(r.body, r.len);
		if (!*out) {
			fprintf(stderr, "%s: the server's answer is not JSON\n", c->prog);
			rc = CTL_EXIT_ERROR;
		}
	}
	ctl_http_resp_free(&r);
	return rc;
}

/* A request whose answer is text (CSV, Prometheus), printed unchanged. */
static int api_text(struct ctl *c, const char *path)
{
	struct ctl_http_resp r;
	int rc = call(c, "GET", path, NULL, &r);
	if (rc)
		return rc;
	if (r.status >= 400 || r.status < 200) {
		print_error(c, &r);
		rc = CTL_EXIT_ERROR;
	} else if (r.len)
		fwrite(r.body, 1, r.len, stdout);
	ctl_http_resp_free(&r);
	return rc;
}

/* The id mkpath refused as a path segment (NULL: it was too long). */
static const char *bad_segment;

/* A segment that cannot name one thing in a path: the server's HTTP library
 * decodes %2F to '/' and resolves '.' and '..' before routing, so
 * "x/../VICTIM" would reach VICTIM however it is encoded. */
static int segment_ok(const char *seg)
{
	return *seg && !strchr(seg, '/') && strcmp(seg, ".") && strcmp(seg, "..");
}

/* "/api/v1/<a>/<seg>/<b>...": fmt holds %s for segments, which are
 * percent-encoded. */
static int mkpath(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t n = 0;
	buf[0] = 0;
	for (const char *p = fmt; *p; p++) {
		if (p[0] == '%' && p[1] == 's') {
			const char *seg = va_arg(ap, const char *);
			if (!segment_ok(seg)) {
				bad_segment = seg;
				va_end(ap);
				return -1;
			}
			if (ctl_urlenc(buf, cap, seg)) {
				va_end(ap);
				return -1;
			}
			n = strlen(buf);
			p++;
		} else {
			if (n + 1 >= cap) {
				va_end(ap);
				return -1;
			}
			buf[n++] = *p;
			buf[n] = 0;
		}
	}
	va_end(ap);
	return 0;
}

/* Appends "&key=value" (or "?key=value" first) to a path. */
static int addq(char *buf, size_t cap, const char *key, const char *val)
{
	size_t n = strlen(buf);
	if (!val)
		return 0;
	if ((size_t)snprintf(buf + n, cap - n, "%c%s=", strchr(buf, '?') ? '&' : '?', key) >= cap - n)
		return -1;
	return ctl_urlenc(buf, cap, val);
}

static int too_long(struct ctl *c)
{
	if (bad_segment)
		fprintf(stderr,
			"%s: '%s' cannot be named in an API path (empty, '.', '..' or containing '/')\n",
			c->prog, bad_segment);
	else
		fprintf(stderr, "%s: argument too long\n", c->prog);
	return CTL_EXIT_USAGE;
}

/* Option values by the option's name (NULL when not given). */
static int opt_index(const struct ctl_cmd *cmd, const char *name)
{
	for (int i = 0; i < CTL_MAX_OPTS && cmd->opts[i].name; i++)
		if (!strcmp(cmd->opts[i].name, name))
			return i;
	return -1;
}

static const char *opt(const struct ctl_cmd *cmd, const struct ctl_args *a, const char *name)
{
	int i = opt_index(cmd, name);
	return i >= 0 && a->nopt[i] ? a->opt[i][a->nopt[i] - 1] : NULL;
}

/* Parses a whole number in [lo, hi]; -1 when it is not one. */
static int parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	if (!s || !*s)
		return -1;
	long v = strtol(s, &end, 10);
	if (*end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* ---- chargers ---- */

static void connectors_text(const cJSON *ch, char *buf, size_t len)
{
	const cJSON *con;
	size_t n = 0;
	buf[0] = 0;
	cJSON_ArrayForEach(con, cJSON_GetObjectItemCaseSensitive(ch, "connectors"))
	{
		char id[32], st[64], ec[64];
		ctl_field(con, "connectorId", id, sizeof id);
		ctl_field(con, "status", st, sizeof st);
		ctl_field(con, "errorCode", ec, sizeof ec);
		int bad = strcmp(ec, "NoError") && strcmp(ec, "-");
		int w = snprintf(buf + n, len - n, "%s%s:%s%s%s%s", n ? " " : "", id, st, bad ? "(" : "",
				 bad ? ec : "", bad ? ")" : "");
		if (w < 0 || (size_t)w >= len - n)
			break;
		n += (size_t)w;
	}
	if (!n)
		snprintf(buf, len, "-");
}

/* ---- one resource by id: GET, PUT of KEY=VALUE pairs, DELETE ---- */

static int set_kv(cJSON *root, const char *arg, char *why, size_t whylen);

/* GET fmt % id, printed. */
static int get_one(struct ctl *c, const char *fmt, const char *id)
{
	char path[PATH_MAX_LEN];
	cJSON *j;
	if (mkpath(path, sizeof path, fmt, id))
		return too_long(c);
	int rc = api(c, "GET", path, NULL, &j);
	if (rc || c->json)
		return rc;
	ctl_print_any(j, stdout);
	cJSON_Delete(j);
	return 0;
}

/* The JSON text of the KEY=VALUE arguments from position first on (the
 * caller frees it), or NULL after a usage error into *rc. */
static char *kv_body(struct ctl *c, const struct ctl_cmd *cmd, struct ctl_args *a, int first, int *rc)
{
	char why[300];
	cJSON *b = cJSON_CreateObject();
	*rc = CTL_EXIT_ERROR;
	if (!b)
		return NULL;
	for (int i = first; i < a->npos; i++)
		if (set_kv(b, a->pos[i], why, sizeof why)) {
			cJSON_Delete(b);
			*rc = ctl_usage_error(c, cmd, "%s", why);
			return NULL;
		}
	char *body = cJSON_PrintUnformatted(b);
	cJSON_Delete(b);
	return body;
}

/* PUT fmt % id with the KEY=VALUE arguments after the id: the answer in *j. */
static int put_kv(struct ctl *c, const struct ctl_cmd *cmd, struct ctl_args *a, const char *fmt, cJSON **j)
{
	char path[PATH_MAX_LEN];
	int rc;
	char *body = kv_body(c, cmd, a, 1, &rc);
	if (!body)
		return rc;
	rc = mkpath(path, sizeof path, fmt, a->pos[0]) ? too_long(c) : api(c, "PUT", path, body, j);
	free(body);
	return rc;
}

/* DELETE fmt % id: "ID: deleted". */
static int rm_one(struct ctl *c, const char *fmt, const char *id)
{
	char path[PATH_MAX_LEN];
	cJSON *j;
	if (mkpath(path, sizeof path, fmt, id))
		return too_long(c);
	int rc = api(c, "DELETE", path, NULL, &j);
	cJSON_Delete(j);
	if (rc || c->json)
		return rc;
	printf("%s: deleted\n", id);
	return 0;
}

/* A list: GET path, then one table row per element of the array it
 * answers, made by row() (with --json: the answer as it is). */
static int list_table(struct ctl *c, const char *path, const char *const *heads, size_t ncols,
		      void (*row)(struct ctl_table *t, const cJSON *item))
{
	cJSON *j, *e;
	int rc = api(c, "GET", path, NULL, &j);
	if (rc || c->json)
		return rc;
	struct ctl_table t;
	ctl_table_init(&t, heads, ncols);
	cJSON_ArrayForEach(e, j)
	{
		row(&t, e);
	}
	ctl_table_print(&t, stdout);
	cJSON_Delete(j);
	return 0;
}

static void charger_row(struct ctl_table *t, const cJSON *ch)
{
	char id[64], reg[32], vendor[128], model[128], vm[260], seen[64], cons[1024];
	const cJSON *conn = cJSON_GetObjectItemCaseSensitive(ch, "connected");
	ctl_field(ch, "vendor", vendor, sizeof vendor);
	ctl_field(ch, "model", model, sizeof model);
	snprintf(vm, sizeof vm, "%s/%s", vendor, model);
	connectors_text(ch, cons, sizeof cons);
	const char *row[] = { ctl_field(ch, "id", id, sizeof id),
			      ctl_field(ch, "registration", reg, sizeof reg),
			      cJSON_IsTrue(conn) ? "yes" : "no",
			      strcmp(vm, "-/-") ? vm : "-",
			      ctl_field(ch, "lastSeen", seen, sizeof seen),
			      cons };
	ctl_table_row(t, row);
}

static int cmd_chargers(struct ctl *c, const struct ctl_cmd *cmd, struct ctl_args *a)
{
	static const char *const heads[] = { "ID",           "REGISTRATION", "CONNECTED",
					     "VENDOR/MODEL", "LAST SEEN",    "CONNECTORS" };
	(void)cmd;
	(void)a;
	return list_table(c, "/api/v1/chargers", heads, 6, charger_row);
}

static int cmd_charger(struct ctl *c, const struct ctl_cmd *cmd, struct ctl_args *a)
{
	(void)cmd;
	return get_one(c, "/api/v1/chargers/%s", a->pos[0]);
}

static int registration(struct ctl *c, const char *id, const char *what)
{
	char path[PATH_MAX_LEN], reg[32];
	cJSON *j;
	if (mkpath(path, sizeof path, "/api/v1/chargers/%s/", id) ||
	    (size_t)snprintf(path + strlen(path), sizeof path - strlen(path), "%s", what) >=
		    sizeof path - strlen(path))
		return too_long(c);
	int rc = api(c, "POST", path, NULL, &j);
	if (rc || c->json)
		return rc;
	printf("%s: registration %s\n", id, ctl_field(j, "registration", reg, sizeof reg));
	cJSON_Delete(j);
	return 0;
}

static int cmd_accept(struct ctl *c, const struct ctl_cmd *cmd, struct ctl_args *a)
{
	(void)cmd;
	return registration(c, a->pos[0], "accept");
}

static int cmd_reject(struct ctl *c, const struct ctl_cmd *cmd, struct ctl_args *a)
{
	(void)cmd;
	return registration(c, a->pos[0], "reject");
}

/* Forgets a charger (DELETE); --force also closes its transactions and
 * drops its connection. */
static int cmd_charger_rm(struct ctl *c, const struct ctl_cmd *cmd, struct ctl_args *a)
{
	char path[PATH_MAX_LEN];
	cJSON *j, *e;
	if (mkpath(path, sizeof path, "/api/v1/chargers/%s", a->pos[0]) ||
	    addq(path, sizeof path, "force", opt(cmd, a, "force") ? "true" : NULL))
		return too_long(c);
	int rc = api(c, "DELETE", path, NULL, &j);
	if (rc || c->json)
		return rc;
	printf("%s: deleted", a->pos[0]);
	const cJSON *closed = cJSON_GetObjectItemCaseSensitive(j, "closedTransactions");
	int n = 0;
	cJSON_ArrayForEach(e, closed)
	{
		char id[32];
		printf("%s%s", n++ ? "," : "; transactions closed: ", ctl_str(e, id, sizeof id));
	}
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "disconnected")))
		printf("; disconnected");
	putchar('\n');
	cJSON_Delete(j);
	return 0;
}

/* ---- OCPP calls ---- */

/* Says, if the charger is slow to answer, what csmsctl is waiting for. */
static void wait_for(const char *id, const char *action)
{
	static char note[400];
	snprintf(note, sizeof note,
		 "waiting for charger %.100s to answer %.60s (a charger takes one call at a time: "
		 "this one may be queued behind others)",
		 id, action);
	ctl_http_wait_note(note);
}

/* POSTs payload (consumed) as ACTION to the charger. full: print the whole
 * result as indented JSON; else one line with its status. */
static int ocpp(struct ctl *c, const char *id, const char *action, cJSON *payload, int full)
{
	char path[PATH_MAX_LEN];
	char *body = cJSON_PrintUnformatted(payload);
	cJSON_Delete(payload);
	cJSON *j = NULL;
	if (!body) {
		fprintf(stderr, "%s: out of memory\n", c->prog);
		return CTL_EXIT_ERROR;
	}
	int rc = mkpath(path, sizeof path, "/api/v1/chargers/%s/ocpp/%s", id, action) ? too_long(c) : 0;
	if (!rc) {
		wait_for(id, action);
		rc = api(c, "POST", path, body, &j);
	}
	free(body);
	if (rc || c->json)
		return rc;
	const cJSON *res = cJSON_GetObjectItemCaseSensitive(j, "result");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(res, "status");
	if (full || !cJSON_IsString(st))
		ctl_print_json(res, stdout);
	else
		printf("%s %s: %s\n", action, id, st->valuestring);
	cJSON_Delete(j);
	return 0;
}

static int cmd_send(struct ctl *c, const struct ctl_cmd *cmd, struct ctl_args *a)
{
	const char *text = a->npos > 2 ? a->pos[2] : "{}";
	char *stdin_text = NULL;
	if (!strcmp(text, "-")) {
		size_t cap = 0;
		FILE *m = open_memstream(&stdin_text, &cap);
		char buf[4096];
		size_t n;
		if (!m)
			return CTL_EXIT_ERROR;
		while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
			fwrite(buf, 1, n, m);
		fclose(m);
		text = stdin_text;
	}
	const char *where = NULL;
	cJSON *payload = cJSON_ParseWithOpts(text, &where, 1);
	if (!payload || !cJSON_IsObject(payload)) {
		int off = payload ? 0 : (int)(where ? where - text : 0);
		cJSON_Delete(payload);
		free(stdin_text);
		return payload ? ctl_usage_error(c, cmd, "the payload must be a JSON object")
			       : ctl_usage_error(c, cmd, "invalid JSON payload (at character %d)", off + 1);
	}
	free(stdin_text);
	return ocpp(c, a->pos[0], a->pos[1], payload, 1);
}

static int cmd_remote_start(struct ctl *c, const struct ctl_cmd *cmd, struct ctl_args *a)
{
	const char *conn = opt(cmd, a, "connector"), *tag = opt(cmd, a, "id-tag");
	long n = 0;
	if (!tag)
		return ctl_usage_error(c, cmd, "--id-tag is required");
	if (conn && parse_int(conn, 1, 1000000, &n))
		return ctl_usage_error(c, cmd, "--connector: a connector number from 1");
	cJSON *p = cJSON_CreateObject();
	if (conn)
		cJSON_AddNumberToObject(p, "connectorId", (double)n);
	cJSON_AddStringToObject(p, "idTag", tag);
	return ocpp(c, a->pos[0], "RemoteStartTransaction", p, 0);
}

static int cmd_remote_stop(struct ctl *c, const struct ctl_cmd *cmd, struct ctl_args *a)
{
	long tx;
	if (parse_int(a->pos[1], -2147483647L - 1, 2147483647L, &tx))
		return ctl_usage_error(c, cmd, "TXID: a transaction id (a whole number)");
	cJSON *p = cJSON_CreateObject();
	cJSON_AddNumberToObject(p, "transactionId", (double)tx);
	return ocpp(c, a->pos[0], "RemoteStopTransaction", p, 0);
}

static int cmd_reset(struct ctl *c, const struct ctl_cmd *cmd, struct ctl_args *a)
{
	const char *type = !strcasecmp(a->pos[1], "soft") ? "Soft"
		: !strcasecmp(a->pos[1], "hard")          ? "Hard"
							  : NULL;
	if (!type)
		return ctl_usage_error(c, cmd, "reset type: soft or hard");
	cJSON *p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "type", type);
	return ocpp(c, a->pos[0], "Reset", p, 0);
}

/* ---- id tags ---- */

/* Prints id tags (an array, or one tag object) as a table. */
static void tags_table(const cJSON *j)
{
	static const char *const heads[] = {
		"IDTAG", "STATUS", "EXPIRY", "PARENT", "MAX ACTIVE", "CHARGERS"
	};
	const cJSON *t;
	struct ctl_table tab;
	ctl_table_init(&tab, heads, 6);
	for (t = cJSON_IsArray(j) ? j->child : j; t; t = cJSON_IsArray(j) ? t->next : NULL) {
		char id[64], st[32], exp[64], par[64], max[32], chs[1024] = "";
		const cJSON *e, *list = cJSON_GetObjectItemCaseSensitive(t, "chargers");
		size_t n = 0;
		cJSON_ArrayForEach(e,
				   list) if (cJSON_IsString(e) && n + strlen(e->valuestring) + 2 < sizeof chs)
			n += (size_t)snprintf(chs + n, sizeof chs - n, "%s%s", n ? "," : "", e->valuestring);
		const char *row[] = { ctl_field(t, "idTag", id, sizeof id),
				      ctl_field(t, "status", st, sizeof st),
				      ctl_field(t, "expiryDate", exp, sizeof exp),
				      ctl_field(t, "parentIdTag", par, sizeof par),
				      ctl_field(t, "maxActiveTransactions", max, sizeof max),
				      n ? chs : "(all)" };
		ctl_table_row(&tab, row);
	}
	ctl_table_print(&tab, stdout);
}

static int cmd_tags(struct ctl *c, const struct ctl_cmd *cmd, struct ctl_args *a)
{
	cJSON *j;
	(void)cmd;
	(void)a;
	int rc = api(c, "GET", "/api/v1/id-tags", NULL, &j);
	if (rc || c->json)
		return rc;
	tags_table(j);
	cJSON_Delete(j);
	return 0;
}

static int clears(const char *v)
{
	return !*v || !strcmp(v, "none");
}

/* tag set changes only the fields given: it reads the tag first (the API's
 * PUT replaces the whole record) and keeps the fields the PUT knows. */
static int cmd_tag_set(struct ctl *c, const struct ctl_cmd *cmd, struct ctl_args *a)
{
	static const char *const fields[] = { "status", "expiryDate", "parentIdTag", "maxActiveTransactions",
					      "chargers" };
	static const char *const statuses[] = { "Accepted", "Blocked", "Expired", "Invalid" };
	const char *tag = a->pos[0], *status = opt(cmd, a, "status"), *expiry = opt(cmd, a, "expiry");
	const char *parent = opt(cmd, a, "parent"), *max = opt(cmd, a, "max-active");
	int ci = opt_index(cmd, "charger");
	char path[PATH_MAX_LEN];
	long maxv = 0;
	if (max && !clears(max) && parse_int(max, 1, 1000, &maxv))
		return ctl_usage_error(c, cmd, "--max-active: a whole number from 1 to 1000, or none");
	if (mkpath(path, sizeof path, "/api/v1/id-tags/%s", tag))
		return too_long(c);

	struct ctl_http_resp r;
	int rc = call(c, "GET", path, NULL, &r);
	if (rc)
		return rc;
	if (r.status != 200 && r.status != 404) {
		print_error(c, &r);
		ctl_http_resp_free(&r);
		return CTL_EXIT_ERROR;
	}
	cJSON *old = r.status == 200 && r.body ? cJSON_Parse(r.body) : NULL;
	ctl_http_resp_free(&r);
	cJSON *b = cJSON_CreateObject();
	if (!b) {
		cJSON_Delete(old);
		return CTL_EXIT_ERROR;
	}
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(old, fields[i]);
		if (v && !cJSON_IsNull(v))
			cJSON_AddItemToObject(b, fields[i], cJSON_Duplicate(v, 1));
	}
	cJSON_Delete(old);
	if (status) {
		for (size_t i = 0; i < 4; i++)
			if (!strcasecmp(status, statuses[i]))
				status = statuses[i]; /* "blocked" means Blocked */
		cJSON_DeleteItemFromObject(b, "status");
		cJSON_AddStringToObject(b, "status", status);
	}
	if (expiry) {
		cJSON_DeleteItemFromObject(b, "expiryDate");
		cJSON_AddItemToObject(b, "expiryDate",
				      clears(expiry) ? cJSON_CreateNull() : cJSON_CreateString(expiry));
	}
	if (parent) {
		cJSON_DeleteItemFromObject(b, "parentIdTag");
		cJSON_AddItemToObject(b, "parentIdTag",
				      clears(parent) ? cJSON_CreateNull() : cJSON_CreateString(parent));
	}
	if (max) {
		cJSON_DeleteItemFromObject(b, "maxActiveTransactions");
		cJSON_AddItemToObject(b, "maxActiveTransactions",
				      clears(max) ? cJSON_CreateNull() : cJSON_CreateNumber((double)maxv));
	}
	if (a->nopt[ci]) {
		/* --charger "" (or "*") alone: bound to none, valid everywhere. */
		cJSON *list = cJSON_CreateArray();
		for (int i = 0; i < a->nopt[ci]; i++)
			if (*a->opt[ci][i] && strcmp(a->opt[ci][i], "*"))
				cJSON_AddItemToArray(list, cJSON_CreateString(a->opt[ci][i]));
		cJSON_DeleteItemFromObject(b, "chargers");
		cJSON_AddItemToObject(b, "chargers", list);
	}
	char *body = cJSON_PrintUnformatted(b);
	cJSON_Delete(b);
	cJSON *j = NULL;
	rc = body ? api(c, "PUT", path, body, &j) : CTL_EXIT_ERROR;
	free(body);
	if (rc || c->json)
		return rc;
	tags_table(j);
	cJSON_Delete(j);
	return 0;
}

static int cmd_tag_rm(struct ctl *c, const struct ctl_cmd *cmd, struct ctl_args *a)
{
	(void)cmd;
	return rm_one(c, "/api/v1/id-tags/%s", a->pos[0]);
}

/* ---- transactions ---- */

static void transaction_row(struct ctl_table *tab, const cJSON *t)
{
	char id[32], ch[64], con[16], tag[64], start[64], stop[64], kwh[32], why[64], cost[32], pv[16];
	const cJSON *co = cJSON_GetObjectItemCaseSensitive(t, "cost");
	const cJSON *sh = cJSON_GetObjectItemCaseSensitive(t, "pvShare");
	snprintf(cost, sizeof cost, cJSON_IsNumber(co) ? "%.2f" : "-",
		 cJSON_IsNumber(co) ? co->valuedouble : 0);
	snprintf(pv, sizeof pv, cJSON_IsNumber(sh) ? "%.0f" : "-",
		 cJSON_IsNumber(sh) ? sh->valuedouble * 100 : 0);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(t, "energyWh");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(t, "stop");
	if (cJSON_IsNumber(e))
		snprintf(kwh, sizeof kwh, "%.3f", e->valuedouble / 1000.0);
	else
		snprintf(kwh, sizeof kwh, "-");
	const char *row[] = { ctl_field(t, "id", id, sizeof id),
			      ctl_field(t, "charger", ch, sizeof ch),
			      ctl_field(t, "connectorId", con, sizeof con),
			      ctl_field(t, "idTag", tag, sizeof tag),
			      ctl_field(t, "start", start, sizeof start),
			      cJSON_IsString(st) ? ctl_str(st, stop, sizeof stop) : "(active)",
			      cost,
			      pv,
			      kwh,
			      ctl_field(t, "stopReason", why, sizeof why) };
	ctl_table_row(tab, row);
}

static int cmd_transactions(struct ctl *c, const struct ctl_cmd *cmd, struct ctl_args *a)
{
	static const char *const heads[] = { "ID",   "CHARGER", "CONN", "IDTAG",      "START",
					     "STOP", "COST",    "PV %", "ENERGY kWh", "STOP REASON" };
	char path[PATH_MAX_LEN];
	int csv = opt(cmd, a, "csv") != NULL;
	const char *limit = opt(cmd, a, "limit");
	long lim;
	if (limit && parse_int(limit, 1, 1000000, &lim))
		return ctl_usage_error(c, cmd, "--limit: a whole number from 1");
	snprintf(path, sizeof path, "/api/v1/transactions%s", csv ? ".csv" : "");
	if (addq(path, sizeof path, "charger", opt(cmd, a, "charger")) ||
	    addq(path, sizeof path, "idTag", opt(cmd, a, "id-tag")) ||
	    addq(path, sizeof path, "active", opt(cmd, a, "active") ? "true" : NULL) ||
	    addq(path, sizeof path, "from", opt(cmd, a, "from")) ||
	    addq(path, sizeof path, "to", opt(cmd, a, "to")) || addq(path, sizeof path, "limit", limit))
		return too_long(c);
	if (csv)
		return api_text(c, path);
	return list_table(c, path, heads, 10, transaction_row);
}

static int cmd_transaction(struct ctl *c, const struct ctl_cmd *cmd, struct ctl_args *a)
{
	char path[PATH_MAX_LEN];
	cJSON *j;
	long id;
	if (parse_int(a->pos[0], 1, 0x7fffffffL, &id))
		return ctl_usage_error(c, cmd, "TXID: a transaction id (a whole number)");
	snprintf(path, sizeof path, "/api/v1/transactions/%ld", id);
	int rc = api(c, "GET", path, NULL, &j);
	if (rc || c->json)
		return rc;
	ctl_print_any(j, stdout);
	cJSON_Delete(j);
	return 0;
}

/* An admin closes a transaction that will never stop by itself. */
static int cmd_tx_stop(struct ctl *c, const struct ctl_cmd *cmd, struct ctl_args *a)
{
	char path[PATH_MAX_LEN], ms[32], kwh[32], why[64];
	const char *meter = opt(cmd, a, "meter-stop"), *reason = opt(cmd, a, "reason");
	long id, m = 0;
	if (parse_int(a->pos[0], 1, 0x7fffffffL, &id))
		return ctl_usage_error(c, cmd, "TXID: a transaction id (a whole number)");
	if (meter && parse_int(meter, 0, 9007199254740992L, &m))
		return ctl_usage_error(c, cmd, "--meter-stop: a meter reading in Wh (a whole number)");
	snprintf(path, sizeof path, "/api/v1/transactions/%ld/stop", id);
	cJSON *b = cJSON_CreateObject(), *j = NULL;
	if (meter)
		cJSON_AddNumberToObject(b, "meterStop", (double)m);
	if (reason)
		cJSON_AddStringToObject(b, "reason", reason);
	char *body = cJSON_PrintUnformatted(b);
	cJSON_Delete(b);
	int rc = body ? api(c, "POST", path, body, &j) : CTL_EXIT_ERROR;
	free(body);
	if (rc || c->json)
		return rc;
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "energyWh");
	snprintf(kwh, sizeof kwh, "%.3f", cJSON_IsNumber(e) ? e->valuedouble / 1000.0 : 0.0);
	printf("transaction %ld closed by an admin: meterStop %s Wh, %s kWh, %s\n", id,
	       ctl_field(j, "meterStop", ms, sizeof ms), kwh, ctl_field(j, "stopReason", why, sizeof why));
	cJSON_Delete(j);
	return 0;
}

/* ---- charger settings, configuration keys, the audit ---- */

static int set_kv(cJSON *root, const char *arg, char *why, size_t whylen);

/* PUT /api/v1/chargers/{id} with the KEY=VALUE settings; prints the
 * settings the charger has then. */
static int cmd_charger_set(struct ctl *c, const struct ctl_cmd *cmd, struct ctl_args *a)
{
	cJSON *j = NULL;
	int rc = put_kv(c, cmd, a, "/api/v1/chargers/%s", &j);
	if (rc || c->json)
		return rc;
	printf("%s: settings\n", a->pos[0]);
	ctl_print_any(cJSON_GetObjectItemCaseSensitive(j, "settings"), stdout);
	cJSON_Delete(j);
	return 0;
}

/* GetConfiguration through the API, the keys as a table; keys the charger
 * does not know are named on stderr and make the exit status 1. */
static int cmd_configuration(struct ctl *c, const struct ctl_cmd *cmd, struct ctl_args *a)
{
	static const char *const heads[] = { "KEY", "VALUE", "READONLY" };
	char path[PATH_MAX_LEN];
	cJSON *p = cJSON_CreateObject(), *j = NULL, *k;
	(void)cmd;
	if (!p)
		return CTL_EXIT_ERROR;
	if (a->npos > 1) {
		cJSON *keys = cJSON_AddArrayToObject(p, "key");
		for (int i = 1; i < a->npos; i++)
			cJSON_AddItemToArray(keys, cJSON_CreateString(a->pos[i]));
	}
	char *body = cJSON_PrintUnformatted(p);
	cJSON_Delete(p);
	int rc = !body ? CTL_EXIT_ERROR
		: mkpath(path, sizeof path, "/api/v1/chargers/%s/ocpp/GetConfiguration", a->pos[0])
		? too_long(c)
		: 0;
	if (!rc) {
		wait_for(a->pos[0], "GetConfiguration");
		rc = api(c, "POST", path, body, &j);
	}
	free(body);
	if (rc || c->json)
		return rc;
	const cJSON *res = cJSON_GetObjectItemCaseSensitive(j, "result");
	struct ctl_table t;
	ctl_table_init(&t, heads, 3);
	cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(res, "configurationKey"))
	{
		char key[128], val[1024];
		const char *row[] = { ctl_field(k, "key", key, sizeof key),
				      ctl_field(k, "value", val, sizeof val),
				      cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(k, "readonly")) ? "yes"
												    : "no" };
		ctl_table_row(&t, row);
	}
	ctl_table_print(&t, stdout);
	int unknown = 0;
	cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(res, "unknownKey")) if (cJSON_IsString(k))
		fprintf(stderr, "%s%s",
			unknown++ ? ", " : "csmsctl: unknown to the charger: ", k->valuestring);
	if (unknown)
		fputc('\n', stderr);
	cJSON_Delete(j);
	return unknown ? CTL_EXIT_ERROR : 0;
}

static void audit_row(struct ctl_table *t, const cJSON *e)
{
	char id[32], q[64], ch[64], ac[64], src[32], out[32], ms[32], ans[512];
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(e, "error");
	const cJSON *res = cJSON_GetObjectItemCaseSensitive(e, "result");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(res, "status");
	if (cJSON_IsObject(err))
		ctl_field(err, "code", ans, sizeof ans);
	else if (cJSON_IsString(st))
		snprintf(ans, sizeof ans, "%s", st->valuestring);
	else
		ctl_str(res, ans, sizeof ans);
	const char *row[] = {
		ctl_field(e, "id", id, sizeof id),        ctl_field(e, "queued", q, sizeof q),
		ctl_field(e, "charger", ch, sizeof ch),   ctl_field(e, "action", ac, sizeof ac),
		ctl_field(e, "source", src, sizeof src),  ctl_field(e, "outcome", out, sizeof out),
		ctl_field(e, "latencyMs", ms, sizeof ms), ans
	};
	ctl_table_row(t, row);
}

/* The calls sent to chargers (and admins' closes), newest first. */
static int cmd_audit(struct ctl *c, const struct ctl_cmd *cmd, struct ctl_args *a)
{
	static const char *const heads[] = { "ID",     "QUEUED",  "CHARGER", "ACTION",
					     "SOURCE", "OUTCOME", "MS",      "ANSWER" };
	char path[PATH_MAX_LEN] = "/api/v1/audit";
	const char *limit = opt(cmd, a, "limit");
	long lim;
	if (limit && parse_int(limit, 1, 10000, &lim))
		return ctl_usage_error(c, cmd, "--limit: a whole number from 1 to 10000");
	if (addq(path, sizeof path, "charger", opt(cmd, a, "charger")) ||
	    addq(path, sizeof path, "action", opt(cmd, a, "action")) ||
	    addq(path, sizeof path, "limit", limit))
		return too_long(c);
	return list_table(c, path, heads, 8, audit_row);
}

/* ---- sites (a fleet's buildings: each its breaker, sensor and DLM) ---- */

static void site_row(struct ctl_table *t, const cJSON *s)
{
	char id[64], name[80], br[32], mg[32], sensor[32], n[16], node[64];
	const cJSON *sen = cJSON_GetObjectItemCaseSensitive(s, "sensor");
	const char *row[] = { ctl_field(s, "id", id, sizeof id),
			      ctl_field(s, "name", name, sizeof name),
			      ctl_field(s, "breakerA", br, sizeof br),
			      ctl_field(s, "marginA", mg, sizeof mg),
			      cJSON_IsObject(sen) ? ctl_field(sen, "type", sensor, sizeof sensor) : "-",
			      ctl_field(s, "chargerCount", n, sizeof n),
			      cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "station")) ? "yes" : "no",
			      ctl_field(s, "controlNode", node, sizeof node) };
	ctl_table_row(t, row);
}

static int cmd_sites(struct ctl *c, const struct ctl_cmd *cmd, struct ctl_args *a)
{
	static const char *const heads[] = { "ID",     "NAME",     "BREAKER A", "MARGIN A",
					     "SENSOR", "CHARGERS", "STATION",   "CONTROL NODE" };
	(void)cmd;
	(void)a;
	return list_table(c, "/api/v1/sites", heads, 8, site_row);
}

static int cmd_site(struct ctl *c, const struct ctl_cmd *cmd, struct ctl_args *a)
{
	(void)cmd;
	return get_one(c, "/api/v1/sites/%s", a->pos[0]);
}

static int cmd_site_set(struct ctl *c, const struct ctl_cmd *cmd, struct ctl_args *a)
{
	cJSON *j = NULL;
	int rc = put_kv(c, cmd, a, "/api/v1/sites/%s", &j);
	if (rc || c->json)
		return rc;
	ctl_print_any(j, stdout);
	cJSON_Delete(j);
	return 0;
}

static int cmd_site_rm(struct ctl *c, const struct ctl_cmd *cmd, struct ctl_args *a)
{
	(void)cmd;
	return rm_one(c, "/api/v1/sites/%s", a->pos[0]);
}

static int cmd_station_rm(struct ctl *c, const struct ctl_cmd *cmd, struct ctl_args *a)
{
	const char *site = opt(cmd, a, "site");
	if (!site)
		return ctl_usage_error(c, cmd,
				       "--site ID: whose station (the default site's cannot be removed)");
	return rm_one(c, "/api/v1/sites/%s/station", site);
}

/* ---- generic views: dlm, station, alarms, diagnosis, health ---- */

/* The API path of a command that just shows one resource. */
static const struct {
	const char *cmd, *path;
} views[] = {
	{ "dlm", "/api/v1/dlm" },
	{ "station", "/api/v1/station" },
	{ "diagnosis", "/api/v1/diagnosis" },
};

static const char *view_path(const char *name)
{
	for (size_t i = 0; i < sizeof views / sizeof views[0]; i++)
		if (!strncmp(name, views[i].cmd, strlen(views[i].cmd)) &&
		    (!name[strlen(views[i].cmd)] || name[strlen(views[i].cmd)] == ' '))
			return views[i].path;
	return NULL;
}

/* A view's path: a site's own station with --site ID (station, station
 * set), else the command's. 0, or a usage error's exit code. */
static int site_view_path(struct ctl *c, const struct ctl_cmd *cmd, const struct ctl_args *a, char *path,
			  size_t cap, int *rc)
{
	const char *site = opt_index(cmd, "site") >= 0 ? opt(cmd, a, "site") : NULL;
	if (!site) {
		snprintf(path, cap, "%s", view_path(cmd->name));
		return 0;
	}
	if (mkpath(path, cap, "/api/v1/sites/%s/station", site)) {
		*rc = too_long(c);
		return -1;
	}
	return 0;
}

static int cmd_view(struct ctl *c, const struct ctl_cmd *cmd, struct ctl_args *a)
{
	cJSON *j;
	char path[PATH_MAX_LEN];
	int rc;
	if (site_view_path(c, cmd, a, path, sizeof path, &rc))
		return rc;
	rc = api(c, "GET", path, NULL, &j);
	if (rc || c->json)
		return rc;
	ctl_print_any(j, stdout);
	cJSON_Delete(j);
	return 0;
}

/* KEY=VALUE: VALUE as JSON when it parses ("16", "true", "[1,2]"), else a
 * string; a dotted KEY ("battery.capacityWh") makes nested objects. */
static int set_kv(cJSON *root, const char *arg, char *why, size_t whylen)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg) {
		snprintf(why, whylen, "'%s' is not KEY=VALUE", arg);
		return -1;
	}
	char key[256];
	size_t kl = (size_t)(eq - arg);
	if (kl >= sizeof key) {
		snprintf(why, whylen, "key too long");
		return -1;
	}
	memcpy(key, arg, kl);
	key[kl] = 0;
	cJSON *obj = root;
	char *seg = key, *dot;
	while ((dot = strchr(seg, '.'))) {
		*dot = 0;
		if (!*seg) {
			snprintf(why, whylen, "'%.*s': empty key part", (int)kl, arg);
			return -1;
		}
		cJSON *sub = cJSON_GetObjectItemCaseSensitive(obj, seg);
		if (!cJSON_IsObject(sub)) {
			cJSON_DeleteItemFromObjectCaseSensitive(obj, seg);
			sub = cJSON_AddObjectToObject(obj, seg);
			if (!sub)
				goto oom;
		}
		obj = sub;
		seg = dot + 1;
	}
	if (!*seg) {
		snprintf(why, whylen, "'%.*s': empty key part", (int)kl, arg);
		return -1;
	}
	cJSON *v = cJSON_ParseWithOpts(eq + 1, NULL, 1);
	if (!v)
		v = cJSON_CreateString(eq + 1);
	if (!v)
		goto oom;
	cJSON_DeleteItemFromObjectCaseSensitive(obj, seg);
	cJSON_AddItemToObject(obj, seg, v);
	return 0;
oom:
	snprintf(why, whylen, "out of memory");
	return -1;
}

static int cmd_set(struct ctl *c, const struct ctl_cmd *cmd, struct ctl_args *a)
{
	cJSON *j = NULL;
	int rc;
	char path[PATH_MAX_LEN];
	if (site_view_path(c, cmd, a, path, sizeof path, &rc))
		return rc;
	char *body = kv_body(c, cmd, a, 0, &rc);
	if (!body)
		return rc;
	rc = api(c, "PUT", path, body, &j);
	free(body);
	if (rc || c->json)
		return rc;
	if (j)
		ctl_print_any(j, stdout);
	else
		printf("ok\n");
	cJSON_Delete(j);
	return 0;
}

/* An alarm: its fields in the heads' order; an uncleared one "(active)". */
static void alarm_row(struct ctl_table *t, const cJSON *al)
{
	static const char *const keys[] = { "id",   "source", "charger", "connectorId",
					    "code", "info",   "raised",  "cleared" };
	char cells[8][256];
	const char *row[8];
	for (int i = 0; i < 8; i++)
		row[i] = ctl_field(al, keys[i], cells[i], sizeof cells[i]);
	if (!strcmp(row[7], "-"))
		row[7] = "(active)";
	ctl_table_row(t, row);
}

static int cmd_alarms(struct ctl *c, const struct ctl_cmd *cmd, struct ctl_args *a)
{
	static const char *const heads[] = { "ID",   "SOURCE", "CHARGER", "CONN",
					     "CODE", "INFO",   "RAISED",  "CLEARED" };
	char path[128] = "/api/v1/alarms";
	if (opt(cmd, a, "active"))
		addq(path, sizeof path, "active", "true");
	return list_table(c, path, heads, 8, alarm_row);
}

static int cmd_health(struct ctl *c, const struct ctl_cmd *cmd, struct ctl_args *a)
{
	char st[64];
	cJSON *j;
	(void)cmd;
	(void)a;
	int rc = api(c, "GET", "/api/v1/health", NULL, &j);
	if (rc || c->json)
		return rc;
	printf("%s %s\n", c->url.text, ctl_field(j, "status", st, sizeof st));
	cJSON_Delete(j);
	return 0;
}

static int cmd_metrics(struct ctl *c, const struct ctl_cmd *cmd, struct ctl_args *a)
{
	(void)cmd;
	(void)a;
	return api_text(c, "/metrics");
}

static int cmd_help(struct ctl *c, const struct ctl_cmd *cmd, struct ctl_args *a)
{
	if (!ctl_print_help(stdout, c->prog, a->npos ? a->pos[0] : NULL))
		return ctl_usage_error(c, cmd, "no command '%s'", a->pos[0]);
	return 0;
}

/* ---- the table ---- */

#define NOOPTS                     \
	{                          \
		{                  \
			NULL, 0, 0 \
		}                  \
	}

const struct ctl_cmd ctl_cmds[] = {
	{ "chargers", "", 0, 0, NOOPTS, cmd_chargers,
	  "list chargers: registration, connected, vendor/model, last seen, connectors", 0 },
	{ "charger", "ID", 1, 1, NOOPTS, cmd_charger,
	  "one charger with its connectors, settings and latest measurements", 0 },
	{ "accept", "ID", 1, 1, NOOPTS, cmd_accept, "accept a (pending) charger", 0 },
	{ "reject", "ID", 1, 1, NOOPTS, cmd_reject, "reject a charger", 0 },
	{ "charger set", "ID KEY=VALUE...", 2, CTL_MAX_POS, NOOPTS, cmd_charger_set,
	  "change a charger's settings (phases, gridPhase, maxCurrentA, chargingMode,\n"
	  "authorizationRequired, freeIdTag, authorizationKey; values as JSON when they parse)",
	  0 },
	{ "charger rm",
	  "ID [--force]",
	  1,
	  1,
	  { { "force", 0, 0 } },
	  cmd_charger_rm,
	  "forget a charger: settings, connectors, profiles go, transactions stay; refused while\n"
	  "it is connected or has an active transaction unless --force (closes them, drops it)",
	  0 },
	{ "charger-rm",
	  "ID [--force]",
	  1,
	  1,
	  { { "force", 0, 0 } },
	  cmd_charger_rm,
	  "the same as charger rm",
	  0 },
	{ "configuration", "ID [KEY...]", 1, CTL_MAX_POS, NOOPTS, cmd_configuration,
	  "the charger's configuration keys (GetConfiguration; all, or the KEYs named)", 0 },
	{ "send", "ID ACTION [JSON|-]", 2, 3, NOOPTS, cmd_send,
	  "send any CS-initiated OCPP 1.6 action; JSON is the payload (default {},\n"
	  "'-' reads it from stdin); prints the charger's result",
	  0 },
	{ "remote-start",
	  "ID [--connector N] --id-tag TAG",
	  1,
	  1,
	  { { "connector", 1, 0 }, { "id-tag", 1, 0 } },
	  cmd_remote_start,
	  "RemoteStartTransaction (without --connector the charger picks one)",
	  0 },
	{ "remote-stop", "ID TXID", 2, 2, NOOPTS, cmd_remote_stop, "RemoteStopTransaction", 0 },
	{ "reset", "ID soft|hard", 2, 2, NOOPTS, cmd_reset, "Reset the charger", 0 },
	{ "tags", "", 0, 0, NOOPTS, cmd_tags, "list id tags (cards)", 0 },
	{ "tag set",
	  "TAG [--status S] [--expiry T] [--parent P] [--max-active N] [--charger ID]...",
	  1,
	  1,
	  { { "status", 1, 0 },
	    { "expiry", 1, 0 },
	    { "parent", 1, 0 },
	    { "max-active", 1, 0 },
	    { "charger", 1, 1 } },
	  cmd_tag_set,
	  "create or change an id tag; fields not given keep their value, 'none' clears one;\n"
	  "--charger (repeatable) binds the card to those chargers, --charger '' to all",
	  0 },
	{ "tag rm", "TAG", 1, 1, NOOPTS, cmd_tag_rm, "delete an id tag", 0 },
	{ "transactions",
	  "[--charger ID] [--id-tag TAG] [--active] [--from T] [--to T] [--limit N] [--csv]",
	  0,
	  0,
	  { { "charger", 1, 0 },
	    { "id-tag", 1, 0 },
	    { "active", 0, 0 },
	    { "from", 1, 0 },
	    { "to", 1, 0 },
	    { "limit", 1, 0 },
	    { "csv", 0, 0 } },
	  cmd_transactions,
	  "list transactions (cost, PV share in %, energy in kWh); --csv prints the API's CSV",
	  0 },
	{ "transaction", "TXID", 1, 1, NOOPTS, cmd_transaction, "one transaction with its meter values", 0 },
	{ "transaction stop",
	  "TXID [--meter-stop WH] [--reason R]",
	  1,
	  1,
	  { { "meter-stop", 1, 0 }, { "reason", 1, 0 } },
	  cmd_tx_stop,
	  "close a transaction that will never stop (charger gone, stop lost), as an\n"
	  "admin; meterStop defaults to its last meter value, reason to Other",
	  0 },
	{ "tx-stop",
	  "TXID [--meter-stop WH] [--reason R]",
	  1,
	  1,
	  { { "meter-stop", 1, 0 }, { "reason", 1, 0 } },
	  cmd_tx_stop,
	  "the same as transaction stop",
	  0 },
	{ "dlm", "", 0, 0, NOOPTS, cmd_view, "dynamic load management settings and live state", 0 },
	{ "dlm set", "KEY=VALUE...", 1, CTL_MAX_POS, NOOPTS, cmd_set,
	  "change DLM settings (values as JSON when they parse, else strings)", 0 },
	{ "sites", "", 0, 0, NOOPTS, cmd_sites,
	  "list the sites (breaker, sensor, chargers, which node runs each)", 0 },
	{ "site", "ID", 1, 1, NOOPTS, cmd_site, "one site: its DLM settings and live state", 0 },
	{ "site set", "ID KEY=VALUE...", 2, CTL_MAX_POS, NOOPTS, cmd_site_set,
	  "create or change a site (name=..., breakerA=..., sensor.type=api; as dlm set)", 0 },
	{ "site rm", "ID", 1, 1, NOOPTS, cmd_site_rm, "delete a site without chargers", 0 },
	{ "station",
	  "[--site ID]",
	  0,
	  0,
	  { { "site", 1, 0 } },
	  cmd_view,
	  "station mode, settings and live power flows; --site: that site's own station",
	  0 },
	{ "station set",
	  "[--site ID] KEY=VALUE...",
	  1,
	  CTL_MAX_POS,
	  { { "site", 1, 0 } },
	  cmd_set,
	  "change station settings in one PUT (values as JSON when they parse, else strings;\n"
	  "a.b=1 sets b inside object a); --site: make or change that site's own station\n"
	  "(source.type=api, or source.type=modbus source.host=H source.port=502 ...)",
	  0 },
	{ "station rm",
	  "--site ID",
	  0,
	  0,
	  { { "site", 1, 0 } },
	  cmd_station_rm,
	  "remove a site's own station",
	  0 },
	{ "alarms",
	  "[--active]",
	  0,
	  0,
	  { { "active", 0, 0 } },
	  cmd_alarms,
	  "alarms (charger faults, offline chargers, rejected profiles); --active: not cleared",
	  0 },
	{ "audit",
	  "[--charger ID] [--action A] [--limit N]",
	  0,
	  0,
	  { { "charger", 1, 0 }, { "action", 1, 0 }, { "limit", 1, 0 } },
	  cmd_audit,
	  "the calls sent to chargers and admins' closes, newest first (100 unless --limit)",
	  0 },
	{ "diagnosis", "", 0, 0, NOOPTS, cmd_view, "every charger and device with its health", 0 },
	{ "health", "", 0, 0, NOOPTS, cmd_health, "is the daemon up", 0 },
	{ "metrics", "", 0, 0, NOOPTS, cmd_metrics, "Prometheus metrics, as text", 0 },
	{ "help", "[COMMAND]", 0, 1, NOOPTS, cmd_help, "this list", 1 },
};
const size_t ctl_ncmds = sizeof ctl_cmds / sizeof ctl_cmds[0];
