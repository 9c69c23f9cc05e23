/* session.h: one websocket connection of a charge point. Created when the
 * handshake is accepted, destroyed when the connection closes; lws owns the
 * wsi, server.c owns the session. Replies are held until the loop turn's
 * commit (acknowledge only what is committed), then queued for writing. */
#ifndef CSMS_SESSION_H
#define CSMS_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "ocpp.h"
#include "rpc.h"

#define SESSION_PRE 32 /* headroom before each frame, >= LWS_PRE */
#define OCPP_MSGID_MAX 37
#define SESSION_ID_MAX 49 /* a chargePointId: 1 to 48 bytes and its NUL */

struct csms;
struct charger;

/* One frame to write; lives from its creation to its write (or close). */
struct outmsg {
	struct outmsg *next;
	size_t len;
	unsigned char data[]; /* SESSION_PRE bytes of headroom, then len bytes */
};

/* A CALL to the charger, queued or in flight; freed after its callback. */
struct pending_call {
	struct pending_call *next;
	char id[OCPP_MSGID_MAX];
	char action[48];
	struct outmsg *frame; /* owned until sent */
	int64_t queued_ms, sent_ms, deadline_ms;
	call_cb cb;
	void *arg;
};

struct session {
	struct rpc *rpc;
	struct csms *app; /* the owner's: never used in ocpp/ */
	void *wsi;        /* struct lws *, opaque outside server.c */
	char id[SESSION_ID_MAX];
	struct charger *ch; /* the owner's: never used in ocpp/ */
	char *rx;           /* reassembly of fragmented frames */
	size_t rx_len, rx_cap;
	int rx_overflow;
	struct outmsg *out_head, *out_tail;   /* ready to write */
	struct outmsg *held_head, *held_tail; /* waiting for the commit: replies, CALLs behind them */
	unsigned queued; /* frames in both queues (server.c closes a connection past a bound) */
	struct session *dirty_next;
	int dirty;
	struct pending_call *inflight, *queue_head, *queue_tail;
	unsigned call_seq;
	int64_t connected_ms;
	int replaced; /* a newer connection took over */
	int booted;   /* BootNotification accepted on this connection */
};

struct outmsg *outmsg_new(size_t len);
/* Queue a reply: held until the next commit. Takes ownership. */
void session_reply(struct session *s, struct outmsg *m);
/* Queue a CS-initiated CALL to write now, or behind the held replies when
 * there are any (it never overtakes an answer). Takes ownership. */
void session_send(struct session *s, struct outmsg *m);
/* Move the held frames to the write queue (after the commit). */
void session_release_held(struct session *s);
/* Free everything the session owns; pending calls get "Closed". */
void session_destroy(struct session *s);

#endif
