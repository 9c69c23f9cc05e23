/* cpsim_int.h: structures private to the cpsim_core library (core, answers,
 * messages, session engine). Nothing outside tests/tools/ includes it.
 */
#ifndef CPSIM_INT_H
#define CPSIM_INT_H

#include "cpsim.h"

#define CPSIM_PRE 16 /* >= LWS_PRE; checked in cpsim_core.c */

#define FREE(p)             \
	do {                \
		free(p);    \
		(p) = NULL; \
	} while (0)

/* One frame waiting to be written (answers, raw frames, pings).
 * Lifetime: malloc'd when queued, freed once written or on close. */
struct cpsim_frame {
	struct cpsim_frame *next;
	int kind; /* 0 text, 1 ping, 2 close */
	size_t len;
	unsigned char buf[]; /* CPSIM_PRE headroom, then len bytes */
};

/* A CALL waiting behind the one in flight. Lifetime: as struct cpsim_frame. */
struct cpsim_qcall {
	struct cpsim_qcall *next;
	cpsim_reply_fn cb;
	void *arg;
	char action[40];
	size_t len;
	char payload[];
};

enum cpsim_conn_state { CPSIM_IDLE, CPSIM_CONNECTING, CPSIM_OPEN, CPSIM_CLOSING };

/* One simulated charger. Lifetime: created by cpsim_cp_new, freed with its ctx. */
struct cpsim_cp {
	struct cpsim_ctx *ctx;
	struct lws *wsi;
	int index;
	enum cpsim_conn_state state;
	char id[CPSIM_ID_MAX + 1];
	char *path;
	char *auth;   /* "Basic xxx" or NULL */
	char *source; /* local address to bind or NULL */
	const struct cpsim_url *url;

	uint32_t next_msgid;
	/* the CALL in flight (written or waiting for the writable callback) */
	int call_active, call_unsent;
	char call_id[16];
	char call_action[40];
	cpsim_reply_fn call_cb;
	void *call_arg;
	int64_t call_sent_us;
	unsigned char *callbuf; /* CPSIM_PRE + frame */
	size_t callbuf_cap, call_len;
	struct cpsim_qcall *cq_head, *cq_tail;

	struct cpsim_frame *fq_head, *fq_tail;
	int want_close, close_code_req;

	char *rx; /* reassembly of fragmented frames */
	size_t rx_len, rx_cap;
	int rx_overflow;

	int64_t wake_us;
	int reconnect, rc_max_backoff_ms, rc_max_tries, rc_tries;
	int64_t rc_at_us;
	int ever_open;

	struct cpsim_stats stats;
	char *errlog[CPSIM_ERRLOG_MAX + 1];
	int nerrlog;

	struct cpsim_model model;
	struct cpsim_session *session;
	void *user;
};

/* Lifetime: cpsim_ctx_create .. cpsim_ctx_destroy. */
struct cpsim_ctx {
	struct lws_context *lws;
	struct cpsim_ctx_opts o;
	struct cpsim_cp **cps;
	int ncps, cap;
	int stop;
	struct lws_sorted_usec_list *tick_sul;
};

/* Count a server-call answer consequence failure etc. */
void cpsim_answers_after(struct cpsim_cp *cp, const char *action, const cJSON *req, const cJSON *resp);

#endif
