/* bus.h: the fleet's listening side: on PostgreSQL, a second connection
 * that LISTENs on this node's channel and holds the node's advisory locks
 * (its node lock while it runs; a site's control lock when taken). Sending
 * is store_notify (with the turn's commit). On SQLite there is no bus:
 * bus_open gives NULL, and every call on NULL does nothing. Everything runs
 * on the loop thread and never blocks on the network except to reconnect. */
#ifndef CSMS_BUS_H
#define CSMS_BUS_H

#include <stddef.h>
#include <stdint.h>

struct bus;

#define BUS_CHANNEL_MAX 64 /* "csms_node_" + a node id: a PostgreSQL identifier (63 bytes) */

/* This node's channel name. */
void bus_channel(const char *node, char *buf, size_t len);
/* Opens the bus for node on db (a postgresql:// URL; anything else: *out
 * NULL, 0). -1 with err: no connection, or node is the id of another
 * running node (its node lock is held). Lives until bus_close. */
int bus_open(const char *db, const char *node, struct bus **out, char *err, size_t errlen);
void bus_close(struct bus *b);
/* Reads what has arrived, without blocking: fn(arg, payload) for each
 * notification on our channel (payload borrowed for the call). A lost
 * connection is made again (at most once a second), with LISTEN and the
 * locks taken again. The number handed to fn, or -1 while the bus is down. */
int bus_poll(struct bus *b, void (*fn)(void *arg, const char *payload), void *arg);
/* The connection's socket, for the loop to wake on what arrives (the next
 * bus_poll reads it); -1 while down or with no bus. *epoch (may be NULL)
 * counts the connections made again: a new epoch is a new socket, even
 * when the kernel gave it the old number. */
int bus_fd(const struct bus *b, unsigned *epoch);
/* 1 while the connection is up (NULL: 1, one node is always up). */
int bus_up(const struct bus *b);
/* The control lock of a site (its key: fleet.c's site_key), held while
 * this connection lives: 1 held (now or already), 0 another node holds it,
 * -1 the bus is down (or 64 locks are held). NULL: 1. */
int bus_site_lock(struct bus *b, int32_t site);
/* Lets it go (another node may take it). */
void bus_site_unlock(struct bus *b, int32_t site);
/* Whether we hold it (the connection may have gone with it). */
int bus_site_held(const struct bus *b, int32_t site);

#endif
