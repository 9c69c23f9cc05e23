/* fuzz_common.h: the daemon context the fuzz targets share, built once per
 * process without a network: an in-memory SQLite store, the charger
 * registry, DLM control (api sensor: no thread) and the station (api
 * source), plus one accepted charger "CP1" connected through a session
 * whose wsi is a dummy pointer (lws calls on it are stubbed, see build.sh). */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include "app.h"
#include "csms.h"
#include "session.h"

#include <stddef.h>
#include <stdint.h>

/* Set up once (aborts on failure: a harness bug, not a finding). */
struct csms *fuzz_app(void);
struct session *fuzz_session(void); /* "CP1", accepted and booted */

/* Frees every frame queued for writing on s; returns how many there were. */
int fuzz_drain(struct session *s);
/* End of a loop turn (commit, release held replies), then drain. */
void fuzz_end_turn(void);
/* A NUL-terminated copy of data (caller frees); NULL when out of memory. */
char *fuzz_strndup(const uint8_t *data, size_t size);

#endif
