/*
 * Low descriptors for libmodbus's select() (modbus_fd.h): the reserve of
 * slots, and moving a link's descriptor onto one.
 */
#include "modbus_fd.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/select.h>
#include <unistd.h>

static pthread_mutex_t reserve_mu = PTHREAD_MUTEX_INITIALIZER;
static int reserve[MODBUS_FD_SLOTS];
static int nreserve;

static int open_null(void)
{
	int fd;
	do
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	return fd < 0 ? -errno : fd;
}

/* A new slot below FD_SETSIZE, or -errno. */
static int new_slot(void)
{
	int fd = open_null();
	if (fd >= FD_SETSIZE) {
		close(fd);
		return -EMFILE;
	}
	return fd;
}

int modbus_fd_reserve(int n)
{
	pthread_mutex_lock(&reserve_mu);
	while (n-- > 0 && nreserve < MODBUS_FD_SLOTS) {
		int fd = new_slot();
		if (fd < 0)
			break;
		reserve[nreserve++] = fd;
	}
	int have = nreserve;
	pthread_mutex_unlock(&reserve_mu);
	return have;
}

int modbus_fd_take(void)
{
	pthread_mutex_lock(&reserve_mu);
	int fd = nreserve ? reserve[--nreserve] : -1;
	pthread_mutex_unlock(&reserve_mu);
	return fd >= 0 ? fd : new_slot();
}

int modbus_fd_place(int fd, int slot)
{
	if (fd == slot)
		return slot;
	int rc;
	do
		rc = dup3(fd, slot, O_CLOEXEC);
	while (rc < 0 && errno == EINTR);
	rc = rc < 0 ? -errno : slot;
	close(fd);
	return rc;
}

int modbus_fd_clear(int slot)
{
	int nul = open_null();
	if (nul < 0) { /* no descriptor even for a moment: the slot goes */
		close(slot);
		return nul;
	}
	int rc = modbus_fd_place(nul, slot);
	if (rc < 0)
		close(slot);
	return rc < 0 ? rc : 0;
}

void modbus_fd_give(int slot)
{
	if (slot < 0 || modbus_fd_clear(slot) < 0)
		return;
	pthread_mutex_lock(&reserve_mu);
	int kept = nreserve < MODBUS_FD_SLOTS;
	if (kept)
		reserve[nreserve++] = slot;
	pthread_mutex_unlock(&reserve_mu);
	if (!kept)
		close(slot);
}
