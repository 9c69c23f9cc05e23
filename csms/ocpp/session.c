/* session.c: the write queues of a charger connection. Replies wait in the
 * held queue until the loop turn's commit, and CALLs sent meanwhile wait
 * behind them; the owner releases them (session_release_held on every
 * session of rpc->dirty). */
#include "session.h"
#include "ocppj.h"

#include <stdlib.h>

static void push(struct outmsg **head, struct outmsg **tail, struct outmsg *m)
{
	m->next = NULL;
	if (*tail)
		(*tail)->next = m;
	else
		*head = m;
	*tail = m;
}

void session_reply(struct session *s, struct outmsg *m)
{
	push(&s->held_head, &s->held_tail, m);
	s->queued++;
	if (!s->dirty) {
		s->dirty = 1;
		s->dirty_next = s->rpc->dirty;
		s->rpc->dirty = s;
	}
}

/* A CALL never overtakes a reply the charger is still waiting for: with
 * replies held, it waits behind them for the commit. Else a DLM tick in the
 * boot's turn would send a limit before the BootNotification's acceptance,
 * or a RemoteStop before the StartTransaction answer that names its id. */
void session_send(struct session *s, struct outmsg *m)
{
	s->queued++;
	s->rpc->stats.frames_out++;
	if (s->held_head) {
		push(&s->held_head, &s->held_tail, m);
		return;
	}
	push(&s->out_head, &s->out_tail, m);
	s->rpc->hooks->want_write(s->wsi);
}

void session_release_held(struct session *s)
{
	if (!s->held_head)
		return;
	if (s->out_tail)
		s->out_tail->next = s->held_head;
	else
		s->out_head = s->held_head;
	s->out_tail = s->held_tail;
	s->held_head = s->held_tail = NULL;
	if (s->rpc->hooks->flush)
		s->rpc->hooks->flush(s->wsi);
	else
		s->rpc->hooks->want_write(s->wsi);
}

static void free_list(struct outmsg *m)
{
	while (m) {
		struct outmsg *n = m->next;
		free(m);
		m = n;
	}
}

void session_destroy(struct session *s)
{
	ocppj_fail_all(s, "Closed");
	free_list(s->out_head);
	free_list(s->held_head);
	s->out_head = s->out_tail = s->held_head = s->held_tail = NULL;
	s->queued = 0;
	if (s->dirty) {
		struct session **pp = &s->rpc->dirty;
		while (*pp && *pp != s)
			pp = &(*pp)->dirty_next;
		if (*pp)
			*pp = s->dirty_next;
		s->dirty = 0;
	}
	free(s->rx);
	s->rx = NULL;
}
