/*
 * modbus_fd: low file descriptors for libmodbus links.
 *
 * libmodbus waits for every reply (and its own TCP connect) with select(),
 * whose fd_set holds descriptors below FD_SETSIZE (1024) only: a link on
 * descriptor 1024 or above writes past the set (with _FORTIFY_SOURCE the
 * process aborts). A daemon that holds thousands of charger sockets opens
 * or reopens its Modbus links at any time, so each link lives in a slot:
 * a descriptor below FD_SETSIZE, reserved while few are open, that holds
 * /dev/null while the link is down. A connected socket or serial device is
 * moved onto its slot with dup3(), and a closed link puts /dev/null back,
 * so the low number is never given up.
 */
#ifndef MODBUS_FD_H
#define MODBUS_FD_H

#define MODBUS_FD_SLOTS 16 /* the reserve's size at most */

/* Reserves n slots (at most MODBUS_FD_SLOTS in the reserve) while the
 * process has few descriptors open (at start). Returns how many the
 * reserve holds now; slots at or above FD_SETSIZE are not kept. */
int modbus_fd_reserve(int n);

/* A slot: from the reserve, else a new one when it is below FD_SETSIZE.
 * The slot holds /dev/null. fd, or -EMFILE when none below FD_SETSIZE
 * is free. Thread-safe. */
int modbus_fd_take(void);

/* Moves fd onto slot (dup3, close-on-exec) and closes fd; slot, or
 * -errno (then fd is closed and the slot keeps what it held). */
int modbus_fd_place(int fd, int slot);

/* Puts /dev/null back into the slot, closing what it held (a link's
 * socket or device). 0 or -errno (the slot is then closed and lost). */
int modbus_fd_clear(int slot);

/* Clears the slot and returns it to the reserve (or closes it when the
 * reserve is full). Thread-safe; a negative slot is ignored. */
void modbus_fd_give(int slot);

#endif
