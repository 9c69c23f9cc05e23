/*
 * modbus_test_server: a libmodbus TCP server thread for the driver tests
 * (dlm_sensor, station_source, modbus). Serves one register image on a
 * loopback port to up to MBTEST_MAX_CLIENTS clients at once, with a mute
 * switch to simulate a device that stops answering. Header only (static
 * inline), so a test includes it by relative path and links nothing more.
 *
 * Lifetime: the test owns the mbtest_server (usually on its stack);
 * mbtest_server_open() creates the context, image and mutex and starts
 * the thread, mbtest_server_close() stops it and frees them. halt/start
 * stop and restart only the thread (a simulated outage).
 */
#ifndef MODBUS_TEST_SERVER_H
#define MODBUS_TEST_SERVER_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <modbus/modbus.h>

#define MBTEST_MAX_CLIENTS 8

typedef struct mbtest_server {
	int port; /* the port listened on */
	int lfd;
	int clients[MBTEST_MAX_CLIENTS];
	pthread_t th;
	atomic_bool stop;
	atomic_bool mute;    /* read requests but never answer */
	atomic_int requests; /* requests answered */
	modbus_t *ctx;
	modbus_mapping_t *map; /* the image; guarded by mu */
	pthread_mutex_t mu;
} mbtest_server;

/* Zeroes sv, makes an image of nbits coils and nregs holding and input
 * registers, and starts serving on a free port. 0, or -1 (errno set). */
static inline int mbtest_server_open(mbtest_server *sv, int nbits, int nregs);
/* Starts listening on port (0 = any free port) and serving sv->map. */
static inline int mbtest_server_start(mbtest_server *sv, int port);
/* Stops the thread and closes every connection and the listener. */
static inline void mbtest_server_halt(mbtest_server *sv);
/* Halts (if running = was started) and frees what open made. */
static inline void mbtest_server_close(mbtest_server *sv, int running);

static inline void *mbtest_server_run(void *arg)
{
	mbtest_server *sv = arg;
	uint8_t q[MODBUS_TCP_MAX_ADU_LENGTH];
	while (!atomic_load(&sv->stop)) {
		fd_set rd;
		FD_ZERO(&rd);
		FD_SET(sv->lfd, &rd);
		int maxfd = sv->lfd;
		for (int i = 0; i < MBTEST_MAX_CLIENTS; i++)
			if (sv->clients[i] >= 0) {
				FD_SET(sv->clients[i], &rd);
				if (sv->clients[i] > maxfd)
					maxfd = sv->clients[i];
			}
		struct timeval tv = { 0, 20000 };
		if (select(maxfd + 1, &rd, NULL, NULL, &tv) <= 0)
			continue;
		if (FD_ISSET(sv->lfd, &rd)) {
			int fd = accept(sv->lfd, NULL, NULL);
			for (int i = 0; fd >= 0 && i < MBTEST_MAX_CLIENTS; i++)
				if (sv->clients[i] < 0) {
					sv->clients[i] = fd;
					fd = -1;
				}
			if (fd >= 0)
				close(fd);
		}
		for (int i = 0; i < MBTEST_MAX_CLIENTS; i++) {
			int fd = sv->clients[i];
			if (fd < 0 || !FD_ISSET(fd, &rd))
				continue;
			modbus_set_socket(sv->ctx, fd);
			int rc = modbus_receive(sv->ctx, q);
			if (rc < 0) {
				close(fd);
				sv->clients[i] = -1;
				continue;
			}
			if (rc == 0 || atomic_load(&sv->mute))
				continue;
			atomic_fetch_add(&sv->requests, 1);
			pthread_mutex_lock(&sv->mu);
			modbus_reply(sv->ctx, q, rc, sv->map);
			pthread_mutex_unlock(&sv->mu);
		}
	}
	for (int i = 0; i < MBTEST_MAX_CLIENTS; i++)
		if (sv->clients[i] >= 0) {
			close(sv->clients[i]);
			sv->clients[i] = -1;
		}
	close(sv->lfd);
	sv->lfd = -1;
	return NULL;
}

static inline int mbtest_server_start(mbtest_server *sv, int port)
{
	sv->lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (sv->lfd < 0)
		return -1;
	int one = 1;
	setsockopt(sv->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof a;
	if (bind(sv->lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(sv->lfd, 8) < 0 ||
	    getsockname(sv->lfd, (struct sockaddr *)&a, &len) < 0) {
		close(sv->lfd);
		return -1;
	}
	sv->port = ntohs(a.sin_port);
	for (int i = 0; i < MBTEST_MAX_CLIENTS; i++)
		sv->clients[i] = -1;
	atomic_store(&sv->stop, false);
	return pthread_create(&sv->th, NULL, mbtest_server_run, sv) ? -1 : 0;
}

static inline void mbtest_server_halt(mbtest_server *sv)
{
	atomic_store(&sv->stop, true);
	pthread_join(sv->th, NULL);
}

static inline int mbtest_server_open(mbtest_server *sv, int nbits, int nregs)
{
	memset(sv, 0, sizeof *sv);
	pthread_mutex_init(&sv->mu, NULL);
	sv->ctx = modbus_new_tcp("127.0.0.1", 0);
	sv->map = modbus_mapping_new(nbits, 0, nregs, nregs);
	if (!sv->ctx || !sv->map || mbtest_server_start(sv, 0) < 0) {
		mbtest_server_close(sv, 0);
		return -1;
	}
	return 0;
}

static inline void mbtest_server_close(mbtest_server *sv, int running)
{
	if (running)
		mbtest_server_halt(sv);
	if (sv->map)
		modbus_mapping_free(sv->map);
	if (sv->ctx)
		modbus_free(sv->ctx);
	sv->map = NULL;
	sv->ctx = NULL;
	pthread_mutex_destroy(&sv->mu);
}

#endif
