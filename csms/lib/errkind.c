/* errkind.c: filling in a refusal (errkind.h). */
#include "errkind.h"

#include <stdarg.h>
#include <stdio.h>

int err_set(struct err_info *e, enum err_kind kind, const char *fmt, ...)
{
	if (!e)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	e->kind = kind;
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return -1;
}
