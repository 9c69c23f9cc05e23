/* jarena.c: one incoming frame's cJSON tree in a bump arena (see jarena.h
 * for why no tree outlives its frame). Used by the loop thread only; the
 * hooks are process-wide, so "inside a parse" is per thread: another
 * thread's cJSON allocations (the Modbus poller has none today) always go
 * to malloc, never into the arena. */
#include "jarena.h"

#include <stdint.h>
#include <stdlib.h>

static _Alignas(16) unsigned char arena[JARENA_CAP];

static struct {
	size_t used;       /* bytes handed out from arena[] */
	const cJSON *root; /* the tree arena[] holds, or NULL */
	int hooked;        /* cJSON_InitHooks done */
	unsigned long spills;
} A;

/* inside jarena_parse on this thread: cJSON allocations come from arena[] */
static _Thread_local int filling;

int jarena_owns(const void *p)
{
	uintptr_t a = (uintptr_t)p, b = (uintptr_t)arena;
	return a >= b && a < b + JARENA_CAP;
}

static void *j_alloc(size_t n)
{
	if (filling) {
		size_t need = (n + 15u) & ~(size_t)15u;
		if (need >= n && need <= JARENA_CAP - A.used) {
			void *p = arena + A.used;
			A.used += need;
			return p;
		}
		A.spills++;
	}
	return malloc(n);
}

static void j_free(void *p)
{
	if (!jarena_owns(p))
		free(p);
}

cJSON *jarena_parse(const char *buf, size_t len, enum jtext_err *err)
{
	if (!A.hooked) {
		cJSON_Hooks h = { j_alloc, j_free };
		cJSON_InitHooks(&h);
		A.hooked = 1;
	}
	if (A.root)
		return jtext_parse(buf, len, err); /* the arena is taken: the heap */
	A.used = 0;
	filling = 1;
	cJSON *j = jtext_parse(buf, len, err);
	filling = 0;
	if (j)
		A.root = j;
	else
		A.used = 0;
	return j;
}

void jarena_delete(cJSON *root)
{
	cJSON_Delete(root);
	if (root && root == A.root) {
		A.root = NULL;
		A.used = 0;
	}
}

size_t jarena_used(void)
{
	return A.used;
}

unsigned long jarena_spills(void)
{
	return A.spills;
}
