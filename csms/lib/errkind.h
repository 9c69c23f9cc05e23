/* errkind.h: why a request was refused, as one of a few kinds plus a
 * message, so that domain code (glue/, central/) can refuse without
 * knowing HTTP. api/admin.c alone turns a kind into a status and an error
 * code (admin_fail), from one table. */
#ifndef CSMS_ERRKIND_H
#define CSMS_ERRKIND_H

enum err_kind {
	ERR_BAD_REQUEST, /* the input is wrong; the message names the field */
	ERR_NOT_FOUND,   /* what the input names does not exist */
	ERR_CONFLICT,    /* the input is valid but the current state refuses it */
	ERR_UNAVAILABLE, /* the module that would answer is not running */
	ERR_INTERNAL,    /* our side failed: the store, memory */
	ERR_KINDS        /* the number of kinds, not a kind */
};

/* As large as the description http_verror formats, so a message is cut
 * where it was cut when the route formatted it itself. */
#define ERR_MSG_MAX 512

/* One refusal; filled by the callee, read by its caller after a -1. */
struct err_info {
	enum err_kind kind;
	char msg[ERR_MSG_MAX];
};

/* Sets e (may be NULL: the caller does not want to know) and returns -1,
 * so a refusal is one line: return err_set(e, ERR_BAD_REQUEST, ...). */
int err_set(struct err_info *e, enum err_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
