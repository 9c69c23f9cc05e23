/* jarena.h: the cJSON tree of one incoming OCPP frame in a bump arena
 * instead of a few hundred malloc/free pairs (issue 14: malloc/free of
 * cJSON trees were the largest cost per frame after parsing itself).
 *
 * jarena_parse is jtext_parse (the same checks, the same tree) whose nodes
 * and strings come from one static arena; jarena_delete frees the tree and
 * empties the arena. cJSON's allocator hooks are global, so the first
 * jarena_parse installs hooks that send every cJSON allocation to malloc
 * except those made inside jarena_parse, and every cJSON free to free()
 * except for addresses inside the arena (a no-op there).
 *
 * Why no tree outlives its frame: only one tree at a time is in the arena
 * (a parse while it holds one, e.g. a nested receive, uses the heap), it is
 * emptied only by jarena_delete of that very root, and the one user
 * (ocppj_receive) deletes the root when it returns, as it always did; code
 * in between sees const views of it. The one thing the arena adds to the
 * rules: never DETACH a node from such a tree to keep it (cJSON_Duplicate
 * it). Nothing does (the detaches in csms/ are on API bodies and copies). A
 * frame whose tree does not fit continues on the heap (correct, slower). */
#ifndef CSMS_JARENA_H
#define CSMS_JARENA_H

#include "jsontext.h"

/* The arena's size: a 16 KiB MeterValues frame needs about 50 KiB. */
#define JARENA_CAP (256u * 1024u)

/* As jtext_parse; the tree is in the arena unless the arena already holds
 * one (then, and for what does not fit, the heap). */
cJSON *jarena_parse(const char *buf, size_t len, enum jtext_err *err);

/* cJSON_Delete(root); empties the arena when root is the tree it holds. */
void jarena_delete(cJSON *root);

/* Bytes of the arena in use (0 when it holds no tree), and how many
 * allocations did not fit since start; for tests and figures. */
size_t jarena_used(void);
unsigned long jarena_spills(void);

/* 1 when p points into the arena. */
int jarena_owns(const void *p);

#endif
