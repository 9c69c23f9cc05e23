/* replay.c: runs one fuzz target's LLVMFuzzerTestOneInput over files and
 * directories (not recursive) without libFuzzer, so the committed corpus is
 * a deterministic regression test under any compiler with ASan/UBSan
 * (build.sh with REPLAY=1). Exits non-zero when a path cannot be read or no
 * input was run; a crash shows as the sanitizer's report and exit code.
 *   replay_<target> tests/fuzz/corpus/<target> [more files or dirs] */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;
	do {
		if (len == cap) {
			uint8_t *nb = realloc(buf, cap = cap ? cap * 2 : 4096);
			if (!nb) {
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files of a directory in name order (the same order on every run). */
static int run_dir(const char *dir, int *count)
{
	DIR *d = opendir(dir);
	if (!d) {
		perror(dir);
		return -1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof *names);
			if (!nn) {
				rc = -1;
				goto out;
			}
			names = nn;
		}
		if (!(names[n] = strdup(e->d_name))) {
			rc = -1;
			goto out;
		}
		n++;
	}
	qsort(names, n, sizeof *names, cmp);
	for (size_t i = 0; i < n && !rc; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		rc = run_file(path);
		(*count)++;
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}

int main(int argc, char **argv)
{
	int count = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st)) {
			perror(argv[i]);
			return 1;
		}
		if (S_ISDIR(st.st_mode) ? run_dir(argv[i], &count) : (count++, run_file(argv[i])))
			return 1;
	}
	printf("%s: %d inputs run\n", argc > 0 ? argv[0] : "replay", count);
	return count ? 0 : 1;
}
