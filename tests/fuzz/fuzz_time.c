/* fuzz_time.c: byte 0 even: the rest is text for time_parse_iso (a parsed
 * time must format and parse back to the same instant). Byte 0 odd: byte 1
 * picks a config key (the keys are read from config_help, so every key of
 * config.c's table is covered), the rest is its value for config_set; a
 * value set is read back with config_get. */
#include "config.h"
#include "timeutil.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *names[128];
static size_t nnames;
static struct csms_config cfg;

static void setup(void)
{
	char *buf = NULL, line[512];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		abort();
	config_help(f);
	fclose(f);
	FILE *r = fmemopen(buf, len, "r");
	while (r && fgets(line, sizeof line, r) && nnames < 128) {
		char key[64];
		if (sscanf(line, " --%63s", key) == 1)
			names[nnames++] = strdup(key);
	}
	if (r)
		fclose(r);
	free(buf);
	if (nnames < 10 || config_load(&cfg, 1, (char *[]){ "csmsd", NULL }))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!nnames)
		setup();
	if (size < 1)
		return 0;
	int mode = data[0] & 1;
	size_t skip = mode ? 2 : 1;
	if (size < skip)
		return 0;
	char *text = malloc(size - skip + 1);
	if (!text)
		return 0;
	memcpy(text, data + skip, size - skip);
	text[size - skip] = 0;
	if (!mode) {
		int64_t ms, back;
		if (time_parse_iso(text, &ms) == 0) {
			char buf[40];
			time_format_iso(ms, buf, sizeof buf);
			/* fractions below 1 ms are dropped: compare at ms */
			if (time_parse_iso(buf, &back) != 0 || back != ms)
				fprintf(stderr, "round trip: '%s' -> %lld -> '%s'\n", text, (long long)ms,
					buf);
		}
	} else {
		char err[256], out[512];
		const char *key = names[data[1] % nnames];
		if (config_set(&cfg, key, text, err, sizeof err) == 0) {
			if (!config_get(&cfg, key, out, sizeof out))
				abort();
		} else if (!memchr(err, 0, sizeof err)) {
			abort();
		}
		config_set(&cfg, text, "1", err, sizeof err); /* the value as a key name */
	}
	free(text);
	return 0;
}
