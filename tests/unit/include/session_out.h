/* session_out.h: for the tests of the RPC layer and above, the next frame a
 * session has queued for writing, taken off its queue as the server would
 * write it. */
#ifndef SESSION_OUT_H
#define SESSION_OUT_H

#include "session.h"

#include <stdio.h>
#include <stdlib.h>

/* The frame's text into buf (cut to cap), or "" when nothing is queued. */
static inline const char *session_take(struct session *s, char *buf, size_t cap)
{
	buf[0] = 0;
	struct outmsg *m = s->out_head;
	if (m) {
		snprintf(buf, cap, "%.*s", (int)m->len, (char *)m->data + SESSION_PRE);
		s->out_head = m->next;
		if (!s->out_head)
			s->out_tail = NULL;
		free(m);
	}
	return buf;
}

#endif
