/* server.h: the libwebsockets wall: the OCPP ws:// and wss:// listeners, the
 * admin HTTP listener, the periodic tick and the event loop. The only module
 * besides lws_compat.h that includes <libwebsockets.h>. It knows sessions
 * (ocpp/) and HTTP transactions (http.h), and reaches its owner only
 * through the events it was given. */
#ifndef CSMS_SERVER_H
#define CSMS_SERVER_H

#include <stddef.h>
#include <stdint.h>

struct server;
struct session;
struct http_txn;

/* What to listen on. The strings are borrowed: they outlive the server. */
struct server_opts {
	const char *ws_bind;
	int ws_port;  /* plain ws://, 0 = off */
	int tls_port; /* wss://, 0 = off */
	const char *tls_cert, *tls_key, *tls_ca;
	int security_profile; /* 1, 2: Basic auth; 3: a client certificate whose CN is the id */
	const char *admin_bind;
	int admin_port;
	int ping_interval_s; /* 0: no pings */
	int max_connections;
	size_t max_frame; /* larger frames reach frame() cut, as oversized */
};

/* The owner's side; every call is on the loop thread, ctx is its own. */
struct server_events {
	void *ctx;
	/* Profiles 1 and 2: the password a charger sent; 0 when it is right,
	 * < 0 wrong, > 0 not checked now (busy: the charger gets a 503 and
	 * comes back). */
	int (*check_password)(void *ctx, const char *id, const char *pw, size_t len);
	/* The handshake is otherwise fine: 0 let it in, > 0 refused (too many
	 * unknown chargers), < 0 refused (error). Nothing allocated yet. */
	int (*admit)(void *ctx, const char *id);
	/* The connection is open: the session for it (rpc, wsi and id set), or
	 * NULL to hang up. */
	struct session *(*connected)(void *ctx, const char *id, void *wsi);
	/* One whole text frame; oversized: longer than max_frame, only its
	 * first bytes are given. */
	void (*frame)(void *ctx, struct session *s, const char *buf, size_t len, int oversized);
	/* The connection is gone; the session is the owner's to free. */
	void (*closed)(void *ctx, struct session *s);
	/* The deadline set with server_call_deadline has come. */
	void (*deadline)(void *ctx, struct session *s);
	/* An admin request with its body: answered with http_respond, now or later. */
	void (*http)(void *ctx, struct http_txn *t);
	void (*wake)(void *ctx);        /* after server_wake */
	void (*tick)(void *ctx);        /* every 250 ms */
	void (*end_of_turn)(void *ctx); /* after every loop turn */
};

/* Creates the context and listeners; NULL with err naming the setting. */
struct server *server_start(const struct server_opts *o, const struct server_events *ev, char *err,
			    size_t errlen);
/* Runs the loop until *stopping. */
void server_run(struct server *srv, volatile int *stopping);
/* Shutting down: sends each OCPP connection a close frame (1001, going
 * away) and runs the loop until every charger has answered it or wait_ms
 * have passed; frames received meanwhile are dropped. */
void server_close_all(struct server *srv, int wait_ms);
/* Closes every connection (closed() for each session) and frees. */
void server_destroy(struct server *srv);
/* Handshakes answered 503 because the key checks had used the loop's
 * share (check_password > 0), since start. */
unsigned long server_busy_refused(const struct server *srv);
/* Safe from any thread: wakes the loop (sensor mailboxes); srv may be NULL. */
void server_wake(struct server *srv);
/* Ends the loop's turn (and so runs end_of_turn) as soon as fd is readable:
 * a socket read at the end of each turn, such as the fleet's bus. One fd;
 * another replaces it, -1 stops watching. On lws's poll loop (no libev
 * plugin) it is not watched: the end of the next turn reads it. 0, or -1. */
int server_watch_fd(struct server *srv, int fd);
/* Asks for a WRITEABLE callback on a connection (the rpc want_write hook). */
void server_want_write(void *wsi);
/* Writes an OCPP connection's queued frames now (the rpc flush hook): for
 * the end of a loop turn, outside lws's callbacks. */
void server_flush(void *wsi);
/* Calls deadline() for the session of this OCPP connection in delay_ms,
 * replacing the one set before; < 0 cancels (the rpc deadline hook). */
void server_call_deadline(void *wsi, int64_t delay_ms);
/* The wss:// listener's SSL_CTX (an SSL_CTX *): buffers released when a
 * connection is idle, stateless session tickets (one per handshake), no
 * server session cache, a session id context (server.c says why). */
void server_tls_tune(void *ssl_ctx);
/* Closes a charger connection (after its queued frames). */
void server_close_session(struct session *s);

#endif
