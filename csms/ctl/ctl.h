/* ctl.h: the parts of csmsctl, the admin command-line client of csmsd's
 * HTTP JSON API. ctl_http.c talks HTTP (through libwebsockets), ctl_out.c
 * prints tables and JSON, ctl_cmds.c holds the command table and handlers,
 * csmsctl.c parses the command line and dispatches. */
#ifndef CSMS_CTL_H
#define CSMS_CTL_H

#include <cJSON.h>
#include <stddef.h>
#include <stdio.h>

/* Exit codes (CONTRACT): 0 success, 1 the server or charger answered an
 * error (or could not be reached), 2 bad usage. */
enum { CTL_EXIT_OK = 0, CTL_EXIT_ERROR = 1, CTL_EXIT_USAGE = 2 };

/* ---- HTTP (ctl_http.c) ---- */

/* A parsed --url; plain data, lives as long as the invocation. */
struct ctl_url {
	int tls;        /* https:// */
	char host[256]; /* without the [] of an IPv6 literal */
	int port;
	char prefix[256]; /* path before /api/..., without a trailing '/' */
	char text[600];   /* scheme://host:port/prefix, for messages */
};

/* Parses "http[s]://host[:port][/prefix]". 0, or -1 with a reason in err. */
int ctl_url_parse(const char *url, struct ctl_url *u, char *err, size_t errlen);

/* One answer; body is owned by the caller (ctl_http_resp_free), always
 * NUL-terminated when not NULL. */
struct ctl_http_resp {
	int status;
	char *body;
	size_t len;
};

/* Does one request: method "GET"/"PUT"/"POST"/"DELETE", path (already
 * percent-encoded, starting with '/', appended to the url's prefix), body
 * (may be NULL), bearer token (NULL or "" for none). Returns 0 when an
 * answer came (whatever its status); -1 when no connection could be made,
 * -2 when no (complete) answer came over it, with the reason in err
 * ("connection refused", "no answer within 60 s", ...). */
int ctl_http_request(const struct ctl_url *u, const char *token, int timeout_s, const char *method,
		     const char *path, const char *body, struct ctl_http_resp *out, char *err, size_t errlen);
void ctl_http_resp_free(struct ctl_http_resp *r);

/* A request still unanswered after CTL_WAIT_NOTE_S says on stderr what it
 * waits for: note ("waiting for CP1 to answer Reset"), for the next
 * ctl_http_request only (borrowed until then). */
#define CTL_WAIT_NOTE_S 2
void ctl_http_wait_note(const char *note);

/* Appends s to buf (of size cap, NUL-terminated) percent-encoded for a
 * path segment or query value. -1 when it does not fit. */
int ctl_urlenc(char *buf, size_t cap, const char *s);

/* ---- output (ctl_out.c) ---- */

/* A table printed with aligned columns; cells are copied. Lives on the
 * stack of one handler: ctl_table_init, add rows, ctl_table_print (which
 * also frees). */
struct ctl_table {
	size_t ncols, nrows, cap;
	const char *const *heads;
	char **cells; /* nrows * ncols, owned */
	int oom;
};

void ctl_table_init(struct ctl_table *t, const char *const *heads, size_t ncols);
/* Adds one row of ncols strings (NULL prints as "-"). */
void ctl_table_row(struct ctl_table *t, const char *const *row);
/* Prints to f ("(none)" when empty) and frees the cells. On a terminal
 * the table fits its width ($COLUMNS, else the terminal's): the widest
 * columns narrow and their long cells end in an ellipsis; where columns
 * would be cut below 8 characters, each row is printed as a record (a
 * "HEAD  value" line per column); elsewhere (a pipe, a file) cells are
 * printed whole. */
void ctl_table_print(struct ctl_table *t, FILE *f);
/* The same within max columns (0: no limit). */
void ctl_table_print_width(struct ctl_table *t, FILE *f, size_t max);
/* The width tables fit on f: $COLUMNS or the terminal's when f is a
 * terminal (80 when neither says), 0 (no limit) when it is not. */
size_t ctl_term_width(FILE *f);

/* Text of a scalar JSON value into buf: strings as is, numbers without
 * needless decimals, true/false, "-" for null or missing; objects and
 * arrays compact. Returns buf. */
const char *ctl_str(const cJSON *v, char *buf, size_t len);
/* Same for obj[key]. */
const char *ctl_field(const cJSON *obj, const char *key, char *buf, size_t len);
/* Prints any JSON readably: objects as "key  value" lines (nested objects
 * with dotted keys), arrays of objects as tables, other arrays inline. */
void ctl_print_any(const cJSON *v, FILE *f);
/* Prints JSON indented by two spaces per level ("{}" for NULL). */
void ctl_print_json(const cJSON *v, FILE *f);

/* ---- commands (ctl_cmds.c) ---- */

#define CTL_MAX_OPTS 8
#define CTL_MAX_POS 64
#define CTL_MAX_MULTI 64

/* One option a command accepts: "--name VALUE" when has_arg, else a flag;
 * multi: may repeat (values collected). */
struct ctl_opt {
	const char *name;
	int has_arg;
	int multi;
};

/* Global state of one invocation. */
struct ctl {
	struct ctl_url url;
	const char *token;
	int json; /* --json: print the API's answer unchanged */
	int timeout_s;
	const char *prog;
};

/* A command's parsed arguments; strings borrowed from argv. */
struct ctl_args {
	const char *pos[CTL_MAX_POS];
	int npos;
	const char *opt[CTL_MAX_OPTS][CTL_MAX_MULTI]; /* values (flags: "") */
	int nopt[CTL_MAX_OPTS];
};

/* A command: one row of the table. name may be two words ("tag set").
 * Handlers return an exit code. */
struct ctl_cmd {
	const char *name;
	const char *usage;    /* the arguments, for usage lines and help */
	int min_pos, max_pos; /* positional arguments after the name */
	struct ctl_opt opts[CTL_MAX_OPTS];
	int (*fn)(struct ctl *c, const struct ctl_cmd *cmd, struct ctl_args *a);
	const char *help;
	int local; /* needs no server (help): --url is not checked */
};

extern const struct ctl_cmd ctl_cmds[];
extern const size_t ctl_ncmds;

/* Prints "usage: csmsctl [global options] NAME USAGE" and returns 2. */
int ctl_usage_error(const struct ctl *c, const struct ctl_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prints the global usage and the command list from the table; with only,
 * just the commands whose name starts with that word. Returns how many
 * commands it listed. */
int ctl_print_help(FILE *f, const char *prog, const char *only);

#endif
