/*
 * modbus_poller: the skeleton the Modbus drivers (dlm/sensor,
 * station/source) share. One thread connects (TCP or RTU, libmodbus),
 * calls the driver's poll at a fixed rate, reconnects with exponential
 * backoff, and posts each reading into a mutex-protected mailbox ("latest
 * reading" + health) before calling the owner's wake callback. Also the
 * read plan: a map's registers grouped into as few block reads as
 * possible.
 *
 * The link's socket or device always sits on a descriptor below
 * FD_SETSIZE (modbus_fd.h): libmodbus waits with select(). TCP connects
 * here (any host name or address, IPv4 or IPv6), not in libmodbus.
 *
 * Lifetime: a modbus_poller is embedded in the driver's handle, between
 * modbus_poller_init() and modbus_poller_fini(). The driver owns the
 * reading buffers the config points to; the poller copies readings into
 * them under its mutex. Callbacks run in the poller thread.
 */
#ifndef MODBUS_POLLER_H
#define MODBUS_POLLER_H

#include "modbus_reg.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <modbus/modbus.h>

/* ---------------------------------------------------------- read plan */

#define MODBUS_MAX_BLOCKS 24   /* registers per map, hence blocks */
#define MODBUS_BLOCK_WORDS 125 /* Modbus limit for one read */

/* One register of a map, as the plan sees it. */
typedef struct modbus_span {
	uint8_t fc; /* 3 holding, 4 input */
	uint16_t addr;
	modbus_reg_type type;
	bool bad; /* the driver found it malformed otherwise */
} modbus_span;

/* One read request covering one or more map registers. */
typedef struct modbus_block {
	uint8_t fc;
	uint16_t addr, count;
} modbus_block;

/* Block reads for a map and the words they last returned. Plain data in
 * the driver's handle; written by the poller thread only. */
typedef struct modbus_blocks {
	size_t n;
	modbus_block b[MODBUS_MAX_BLOCKS];
	int reg_block[MODBUS_MAX_BLOCKS]; /* map register -> block */
	uint16_t words[MODBUS_MAX_BLOCKS][MODBUS_BLOCK_WORDS];
} modbus_blocks;

/* Groups n (<= MODBUS_MAX_BLOCKS) registers into block reads; only
 * adjacent or overlapping registers of one function code are merged, since
 * some devices refuse reads that touch unmapped addresses. -EINVAL when a
 * register is bad, has an unknown type or a function code other than 3 or
 * 4; *bad_pos is then its position in (fc, addr) order. */
int modbus_blocks_plan(modbus_blocks *bl, const modbus_span *regs, size_t n, size_t *bad_pos);

/* Reads every block. 0, or -1 with "read fcF at A: reason" in why. */
int modbus_blocks_read(modbus_blocks *bl, modbus_t *mb, char *why, size_t len);

/* The words of map register reg (at addr) from the last read. */
static inline const uint16_t *modbus_blocks_at(const modbus_blocks *bl, size_t reg, uint16_t addr)
{
	int b = bl->reg_block[reg];
	return &bl->words[b][addr - bl->b[b].addr];
}

/* ------------------------------------------------------------- poller */

/* The health both drivers report; the driver's public health struct has
 * the same field names (MODBUS_HEALTH_COPY). */
typedef struct modbus_health {
	bool ok;              /* the last poll succeeded */
	char last_error[128]; /* "" when none yet */
	uint32_t consecutive_failures;
	int64_t last_success_ms; /* as the driver initialised it before the first */
	uint64_t readings, failures, connects;
	uint64_t writes, write_failures; /* kept by drivers that write */
} modbus_health;

/* Copies the common health fields into a driver's health struct. */
#define MODBUS_HEALTH_COPY(dst, src)                                                    \
	do {                                                                            \
		_Static_assert(sizeof(dst)->last_error == sizeof(src)->last_error, ""); \
		(dst)->ok = (src)->ok;                                                  \
		memcpy((dst)->last_error, (src)->last_error, sizeof(dst)->last_error);  \
		(dst)->consecutive_failures = (src)->consecutive_failures;              \
		(dst)->last_success_ms = (src)->last_success_ms;                        \
		(dst)->readings = (src)->readings;                                      \
		(dst)->failures = (src)->failures;                                      \
		(dst)->connects = (src)->connects;                                      \
	} while (0)

typedef enum modbus_link_kind { MODBUS_LINK_NONE, MODBUS_LINK_TCP, MODBUS_LINK_RTU } modbus_link_kind;

/* Lifetime: copied by modbus_poller_init(); the pointers must outlive the
 * poller (they point into the driver's handle). */
typedef struct modbus_poller_cfg {
	modbus_link_kind link; /* NONE: no connection (simulated device) */
	const char *host;      /* TCP */
	int port;
	const char *device; /* RTU */
	int baud;
	char parity;
	int data_bits, stop_bits;
	int unit;       /* Modbus unit (slave) id */
	int timeout_ms; /* response (and TCP connect) timeout */
	int poll_ms, backoff_min_ms, backoff_max_ms;

	/* Poller thread: produces one reading into scratch and sets *ts_ms.
     * 0, or -1 with why: the link is dropped and the failure posted as
     * "poll: why". mb is NULL for link NONE. NULL poll = no thread. */
	int (*poll)(void *drv, modbus_t *mb, char *why, size_t len, int64_t *ts_ms);
	/* Poller thread, after a reading was posted and the owner woken (e.g.
     * writes); < 0 drops the link. NULL = none. */
	int (*after_post)(void *drv, modbus_t *mb);
	/* Poller thread, after each successful connect. NULL = none. */
	void (*on_connect)(void *drv);
	void *drv;

	void *latest;        /* mailbox reading, guarded by the mutex */
	const void *scratch; /* what poll fills */
	size_t size;         /* of each */

	int64_t (*clock_ms)(void *ctx); /* NULL = CLOCK_REALTIME in ms */
	void (*wake)(void *ctx);        /* NULL = none */
	void *ctx;
} modbus_poller_cfg;

/* Lifetime: embedded in the driver's handle. Fields marked (mu) are
 * guarded by mu (modbus_poller_lock); drivers may keep more state under it. */
typedef struct modbus_poller {
	modbus_poller_cfg cfg;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	bool has_thread;
	bool stop;            /* (mu) */
	bool has_reading;     /* (mu) */
	uint64_t seq;         /* (mu) readings posted */
	modbus_health health; /* (mu) */
	modbus_t *mb;         /* poller thread only */
	int slot;             /* the link's descriptor below FD_SETSIZE (modbus_fd.h), -1 before one */
} modbus_poller;

/* Copies cfg and creates the mutex and condition variable; no thread yet.
 * health.last_success_ms starts at -1 (the driver may change it before
 * modbus_poller_start). 0 or -errno. */
int modbus_poller_init(modbus_poller *p, const modbus_poller_cfg *cfg);
/* Starts the thread when cfg.poll is set. 0 or -errno (then call fini). */
int modbus_poller_start(modbus_poller *p);
/* Stops and joins the thread (at most about one response timeout), closes
 * the link, destroys the mutex and condition variable. */
void modbus_poller_fini(modbus_poller *p);

void modbus_poller_lock(modbus_poller *p);
void modbus_poller_unlock(modbus_poller *p);

/* Any thread: copies r (cfg.size bytes) into the mailbox and marks the
 * health good, with ts_ms as the last success. Does not wake. */
void modbus_poller_post(modbus_poller *p, const void *r, int64_t ts_ms);
/* Copies the mailbox reading into r (when there is one; r may be NULL),
 * the health and the count of readings (either may be NULL). True when
 * there has been a reading. */
bool modbus_poller_latest(modbus_poller *p, void *r, modbus_health *h, uint64_t *seq);

/* The owner's clock (cfg.clock_ms) or CLOCK_REALTIME in ms. */
int64_t modbus_poller_now(const modbus_poller *p);

#endif
