/* csmsctl.c: csmsctl's entry point: global options (anywhere on the line),
 * finding the command in the table (two-word names first), checking its
 * arguments against the row, and the help printed from the table. */
#include "ctl.h"
#include "csms_version.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_URL "http://127.0.0.1:8181"
#define DEFAULT_TIMEOUT_S 60

/* Options valid with every command. */
enum { G_URL, G_TOKEN, G_JSON, G_TIMEOUT, G_HELP, G_VERSION, G_N };
static const struct {
	const char *name, *meta, *help;
} gopts[G_N] = {
	[G_URL] = { "url", "URL",
		    "admin API address (env CSMS_URL, else the file named by CSMS_URL_FILE; "
		    "default " DEFAULT_URL ")" },
	[G_TOKEN] = { "token", "T",
		      "admin token, sent as 'Authorization: Bearer T' (env CSMS_TOKEN, else the "
		      "file named by CSMS_ADMIN_TOKEN_FILE)" },
	[G_JSON] = { "json", NULL, "print the API's JSON answer unchanged (for scripts)" },
	[G_TIMEOUT] = { "timeout", "S", "seconds to wait for an answer (default 60)" },
	[G_HELP] = { "help", NULL, "this help (also -h and 'csmsctl help')" },
	[G_VERSION] = { "version", NULL, "print csmsctl's version (the csmsd it was built with)" },
};

static const char *gval[G_N];

/* The first line of the file named by the environment variable env, into
 * buf (the Docker image names the files its entrypoint writes: the URL and
 * the admin token in effect). NULL when env is unset or the file is
 * missing; a file there but unreadable is reported. */
static const char *from_file_env(const char *env, char *buf, size_t len)
{
	const char *path = getenv(env);
	if (!path || !*path)
		return NULL;
	FILE *f = fopen(path, "r");
	if (!f) {
		if (errno != ENOENT)
			fprintf(stderr, "csmsctl: %s %s: %s\n", env, path, strerror(errno));
		return NULL;
	}
	const char *line = fgets(buf, (int)len, f);
	fclose(f);
	if (!line)
		return NULL;
	buf[strcspn(buf, "\r\n")] = 0;
	return *buf ? buf : NULL;
}

int ctl_usage_error(const struct ctl *c, const struct ctl_cmd *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", c->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (cmd)
		fprintf(stderr, "usage: %s [--url URL] [--token T] [--json] %s%s%s\n", c->prog, cmd->name,
			*cmd->usage ? " " : "", cmd->usage);
	else
		fprintf(stderr,
			"usage: %s [--url URL] [--token T] [--json] COMMAND [ARGS] ('%s help' lists them)\n",
			c->prog, c->prog);
	return CTL_EXIT_USAGE;
}

int ctl_print_help(FILE *f, const char *prog, const char *only)
{
	int n = 0;
	size_t w = 0;
	char line[256];
	for (size_t i = 0; i < ctl_ncmds; i++) {
		size_t l = strlen(ctl_cmds[i].name) + 1 + strlen(ctl_cmds[i].usage);
		if (l > w && l <= 40)
			w = l;
	}
	if (!only) {
		fprintf(f, "usage: %s [--url URL] [--token T] [--json] [--timeout S] COMMAND [ARGS]\n", prog);
		fprintf(f,
			"The admin client of csmsd's HTTP API.\n\nglobal options (anywhere on the line):\n");
		for (int i = 0; i < G_N; i++) {
			snprintf(line, sizeof line, "--%s%s%s", gopts[i].name, gopts[i].meta ? " " : "",
				 gopts[i].meta ? gopts[i].meta : "");
			fprintf(f, "  %-14s  %s\n", line, gopts[i].help);
		}
		fprintf(f, "\ncommands:\n");
	}
	for (size_t i = 0; i < ctl_ncmds; i++) {
		const struct ctl_cmd *c = &ctl_cmds[i];
		size_t ol = only ? strlen(only) : 0;
		if (only && (strncmp(c->name, only, ol) || (c->name[ol] && c->name[ol] != ' ')))
			continue;
		snprintf(line, sizeof line, "%s%s%s", c->name, *c->usage ? " " : "", c->usage);
		if (strlen(line) > w)
			fprintf(f, "  %s\n  %-*s  ", line, (int)w, "");
		else
			fprintf(f, "  %-*s  ", (int)w, line);
		/* Continuation lines of the help text line up under its start. */
		for (const char *h = c->help; *h; h++) {
			fputc(*h, f);
			if (*h == '\n')
				fprintf(f, "  %-*s  ", (int)w, "");
		}
		fputc('\n', f);
		n++;
	}
	if (!only)
		fprintf(f,
			"\nexit status: 0 success; 1 the server or the charger answered an error, or the\n"
			"server could not be reached; 2 bad usage.\n");
	return n;
}

/* If argv[*i] is "--name" or "--name=value", returns the name's length
 * and sets *val to the inline value (or NULL). */
static size_t opt_name(const char *arg, const char **val)
{
	const char *eq = strchr(arg + 2, '=');
	*val = eq ? eq + 1 : NULL;
	return eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
}

/* Tries argv[*i] as a global option. 1 consumed, 0 not global, -1 usage
 * error (printed). */
static int global_opt(struct ctl *c, int argc, char **argv, int *i)
{
	const char *a = argv[*i], *val;
	if (!strcmp(a, "-h")) {
		gval[G_HELP] = "";
		return 1;
	}
	if (strncmp(a, "--", 2) || !a[2])
		return 0;
	size_t n = opt_name(a, &val);
	for (int g = 0; g < G_N; g++) {
		if (strlen(gopts[g].name) != n || strncmp(gopts[g].name, a + 2, n))
			continue;
		if (!gopts[g].meta) {
			if (val) {
				ctl_usage_error(c, NULL, "--%s takes no value", gopts[g].name);
				return -1;
			}
			val = "";
		} else if (!val) {
			if (*i + 1 >= argc) {
				ctl_usage_error(c, NULL, "--%s needs a value", gopts[g].name);
				return -1;
			}
			val = argv[++*i];
		}
		gval[g] = val;
		return 1;
	}
	return 0;
}

static const struct ctl_cmd *find_cmd(int argc, char **argv, int i, int *words)
{
	char two[256];
	if (i + 1 < argc) {
		snprintf(two, sizeof two, "%s %s", argv[i], argv[i + 1]);
		for (size_t k = 0; k < ctl_ncmds; k++)
			if (!strcmp(ctl_cmds[k].name, two)) {
				*words = 2;
				return &ctl_cmds[k];
			}
	}
	for (size_t k = 0; k < ctl_ncmds; k++)
		if (!strcmp(ctl_cmds[k].name, argv[i])) {
			*words = 1;
			return &ctl_cmds[k];
		}
	return NULL;
}

/* The command's own arguments: options of its row, global options, and
 * positionals ("--" ends options). */
static int parse_args(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv, int i,
		      struct ctl_args *a)
{
	int dashdash = 0;
	for (; i < argc; i++) {
		const char *arg = argv[i], *val;
		if (!dashdash && !strcmp(arg, "--")) {
			dashdash = 1;
			continue;
		}
		if (!dashdash && arg[0] == '-' && arg[1]) {
			int g = global_opt(c, argc, argv, &i);
			if (g < 0)
				return CTL_EXIT_USAGE;
			if (g)
				continue;
			size_t n = strncmp(arg, "--", 2) ? 0 : opt_name(arg, &val);
			int k;
			for (k = 0; n && k < CTL_MAX_OPTS && cmd->opts[k].name; k++)
				if (strlen(cmd->opts[k].name) == n && !strncmp(cmd->opts[k].name, arg + 2, n))
					break;
			if (!n || k == CTL_MAX_OPTS || !cmd->opts[k].name)
				return ctl_usage_error(c, cmd, "unknown option '%s'", arg);
			const struct ctl_opt *o = &cmd->opts[k];
			if (!o->has_arg) {
				if (val)
					return ctl_usage_error(c, cmd, "--%s takes no value", o->name);
				val = "";
			} else if (!val) {
				if (i + 1 >= argc)
					return ctl_usage_error(c, cmd, "--%s needs a value", o->name);
				val = argv[++i];
			}
			if (a->nopt[k] && !o->multi)
				return ctl_usage_error(c, cmd, "--%s given twice", o->name);
			if (a->nopt[k] >= CTL_MAX_MULTI)
				return ctl_usage_error(c, cmd, "--%s given too often", o->name);
			a->opt[k][a->nopt[k]++] = val;
			continue;
		}
		if (a->npos >= cmd->max_pos)
			return ctl_usage_error(c, cmd, "unexpected argument '%s'", arg);
		a->pos[a->npos++] = arg;
	}
	if (a->npos < cmd->min_pos)
		return ctl_usage_error(c, cmd, "missing arguments");
	for (int k = 0; k < a->npos; k++)
		if (!*a->pos[k])
			return ctl_usage_error(c, cmd, "empty argument");
	return 0;
}

int main(int argc, char **argv)
{
	struct ctl c = { .prog = "csmsctl", .timeout_s = DEFAULT_TIMEOUT_S };
	static struct ctl_args a;
	char err[700];
	int i = 1, words = 0, g;

	for (; i < argc; i++) {
		if ((g = global_opt(&c, argc, argv, &i)) < 0)
			return CTL_EXIT_USAGE;
		if (g)
			continue;
		if (argv[i][0] == '-' && argv[i][1])
			return ctl_usage_error(&c, NULL, "unknown option '%s'", argv[i]);
		break;
	}
	if (gval[G_VERSION]) {
		printf("%s %s\n", c.prog, CSMS_VERSION);
		return CTL_EXIT_OK;
	}
	if (gval[G_HELP] && i >= argc) {
		ctl_print_help(stdout, c.prog, NULL);
		return CTL_EXIT_OK;
	}
	if (i >= argc)
		return ctl_usage_error(&c, NULL, "no command given");
	const struct ctl_cmd *cmd = find_cmd(argc, argv, i, &words);
	if (!cmd) {
		/* "tag" alone, or "tag frob": show what the word can start. */
		fprintf(stderr, "%s: unknown command '%s%s%s'\n", c.prog, argv[i],
			i + 1 < argc && argv[i + 1][0] != '-' ? " " : "",
			i + 1 < argc && argv[i + 1][0] != '-' ? argv[i + 1] : "");
		if (!ctl_print_help(stderr, c.prog, argv[i]))
			fprintf(stderr, "'%s help' lists the commands\n", c.prog);
		return CTL_EXIT_USAGE;
	}
	int rc = parse_args(&c, cmd, argc, argv, i + words, &a);
	if (rc)
		return rc;
	if (gval[G_HELP]) {
		ctl_print_help(stdout, c.prog, cmd->name);
		return CTL_EXIT_OK;
	}
	if (cmd->local)
		return cmd->fn(&c, cmd, &a);

	c.json = gval[G_JSON] != NULL;
	static char url_buf[512], token_buf[512];
	const char *url = gval[G_URL] ? gval[G_URL] : getenv("CSMS_URL");
	c.token = gval[G_TOKEN] ? gval[G_TOKEN] : getenv("CSMS_TOKEN");
	if (!c.token || !*c.token)
		c.token = from_file_env("CSMS_ADMIN_TOKEN_FILE", token_buf, sizeof token_buf);
	if (!url || !*url)
		url = from_file_env("CSMS_URL_FILE", url_buf, sizeof url_buf);
	if (!url)
		url = DEFAULT_URL;
	if (ctl_url_parse(url, &c.url, err, sizeof err))
		return ctl_usage_error(&c, NULL, "%s", err);
	if (gval[G_TIMEOUT]) {
		char *end;
		long t = strtol(gval[G_TIMEOUT], &end, 10);
		if (*end || end == gval[G_TIMEOUT] || t < 1 || t > 3600)
			return ctl_usage_error(&c, NULL, "--timeout: seconds from 1 to 3600");
		c.timeout_s = (int)t;
	}
	return cmd->fn(&c, cmd, &a);
}
