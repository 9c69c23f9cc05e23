/*
 * dlm_send: which of dlm_compute()'s limits go out to the chargers now, the
 * draw assumed while a car reacts to a new limit, and the bookkeeping of
 * each profile call's answer. Pure: no clock, no I/O, no heap.
 */
#include "dlm_send.h"

#include <errno.h>
#include <math.h>
#include <string.h>

static const struct {
	const char *name;
	bool sends;
} whys[DLM_SEND_WHY_COUNT] = {
	[DLM_SEND_NO_CHANGE] = { "no change", false },
	[DLM_SEND_HOLD] = { "raise held: a car is reacting", false },
	[DLM_SEND_FAST_OFF] = { "dlm off, fast mode", false },
	[DLM_SEND_IN_FLIGHT] = { "call in flight", false },
	[DLM_SEND_OFFLINE] = { "offline", false },
	[DLM_SEND_RETRY_WAIT] = { "refused, retry later", false },
	[DLM_SEND_UNSUPPORTED] = { "takes no charging profiles", false },
	[DLM_SEND_CUT] = { "urgent cut", true },
	[DLM_SEND_REINSTALL] = { "reinstall", true },
	[DLM_SEND_FIRST] = { "first limit", true },
	[DLM_SEND_RETRY] = { "retry after refusal", true },
	[DLM_SEND_ZERO] = { "to or from 0 A", true },
	[DLM_SEND_PHASES] = { "phases changed", true },
	[DLM_SEND_STEP] = { "changed by 1 A", true },
};

const char *dlm_send_why_str(dlm_send_why w)
{
	return (unsigned)w < DLM_SEND_WHY_COUNT ? whys[w].name : "?";
}

void dlm_send_init(dlm_send_state *s)
{
	memset(s, 0, sizeof *s);
	s->sent_limit_a = -1;
	s->changed_ms = DLM_NO_TIME;
	s->rejected_ms = DLM_NO_TIME;
}

bool dlm_send_in_window(const dlm_send_state *s, int64_t react_ms, int64_t now_ms)
{
	return s->changed_ms != DLM_NO_TIME && now_ms < s->changed_ms + react_ms;
}

static bool on_phase(const dlm_charger_in *in, int p)
{
	return in->phases == 3 || p == in->grid_phase;
}

int dlm_send_draw(const dlm_send_state *s, const dlm_charger_in *in, int64_t react_ms, int64_t now_ms,
		  const dlm_meter_sample *m, int64_t m_ts_ms, double draw_a[DLM_PHASES])
{
	if (!draw_a)
		return -EINVAL;
	if (!s || !in || (in->phases != 1 && in->phases != 3) || (in->phases == 1 && in->grid_phase > 2)) {
		for (int p = 0; p < DLM_PHASES; p++)
			draw_a[p] = 0;
		return -EINVAL;
	}
	/* The car may still follow the old limit or be ramping to the new one:
     * the larger, so the house load (grid - draws) is never under-estimated
     * into a raise. */
	if (dlm_send_in_window(s, react_ms, now_ms) && in->state != DLM_EV_IDLE) {
		double a = fmax(s->sent_limit_a, s->prev_limit_a);
		if (a > in->max_a)
			a = in->max_a;
		for (int p = 0; p < DLM_PHASES; p++)
			draw_a[p] = on_phase(in, p) ? a : 0;
		return 0;
	}
	/* A MeterValue from inside the window may show the old draw. */
	bool fresh = m && m_ts_ms != DLM_NO_TIME &&
		(s->changed_ms == DLM_NO_TIME || m_ts_ms >= s->changed_ms + react_ms);
	return dlm_draw_from_meter(fresh ? m : NULL, in->phases, in->grid_phase, in->state,
				   s->sent_limit_a > 0 ? s->sent_limit_a : 0, draw_a, NULL);
}

/* The send rules of one charger once hold and Fast-off are ruled out. */
static dlm_send_why threshold(const dlm_send_charger *c, double limit, int phases, bool urgent,
			      int64_t now_ms)
{
	const dlm_send_state *s = &c->st;
	if (urgent && !s->in_flight && c->online &&
	    s->sent_limit_a - limit >= DLM_SEND_CUT_A - DLM_SEND_EPS_A)
		return DLM_SEND_CUT;
	if (s->in_flight)
		return DLM_SEND_IN_FLIGHT;
	if (!c->online)
		return DLM_SEND_OFFLINE;
	if (s->rejected && now_ms - s->rejected_ms < DLM_SEND_RETRY_MS)
		return DLM_SEND_RETRY_WAIT;
	if (s->need_send)
		return DLM_SEND_REINSTALL;
	if (s->sent_limit_a < 0)
		return DLM_SEND_FIRST;
	if (s->rejected)
		return DLM_SEND_RETRY;
	if ((limit == 0) != (s->sent_limit_a == 0))
		return DLM_SEND_ZERO;
	if (phases != s->sent_phases)
		return DLM_SEND_PHASES;
	return fabs(limit - s->sent_limit_a) >= DLM_SEND_STEP_A - DLM_SEND_EPS_A ? DLM_SEND_STEP
										 : DLM_SEND_NO_CHANGE;
}

void dlm_send_add_installed(double limit_a, const dlm_charger_in *in, double acc[DLM_PHASES])
{
	for (int p = 0; p < DLM_PHASES; p++)
		if (limit_a > 0 && on_phase(in, p))
			acc[p] += limit_a;
}

int dlm_send_plan(const dlm_output *out, const dlm_charger_in *in, const dlm_send_charger *ch, size_t n,
		  bool dlm_enabled, const dlm_send_elsewhere *elsewhere, int64_t react_ms, int64_t now_ms,
		  dlm_send_decision *dec)
{
	if (!out || !dec || n != out->n || n > DLM_MAX_CHARGERS || (n && (!in || !ch)))
		return -EINVAL;
	bool hold_raises = elsewhere && elsewhere->held;
	double installed[DLM_PHASES] = { 0, 0, 0 };
	for (int p = 0; elsewhere && p < DLM_PHASES; p++) {
		if (!isfinite(elsewhere->installed_a[p]))
			return -EINVAL;
		installed[p] = fmax(elsewhere->installed_a[p], 0);
	}
	for (size_t i = 0; i < n; i++) {
		hold_raises |= dlm_send_in_window(&ch[i].st, react_ms, now_ms);
		dlm_send_add_installed(ch[i].st.sent_limit_a, &in[i], installed);
	}
	for (size_t i = 0; i < n; i++) {
		const dlm_send_state *s = &ch[i].st;
		const dlm_charger_out *o = &out->chargers[i];
		bool urgent = out->stale;
		for (int p = 0; p < DLM_PHASES; p++)
			if (on_phase(&in[i], p) && installed[p] > out->budget_a[p] + DLM_SEND_OVER_A)
				urgent = true;
		dlm_send_why w;
		if (ch[i].no_profiles)
			w = DLM_SEND_UNSUPPORTED;
		else if (hold_raises && s->sent_limit_a >= 0 && o->limit_a > s->sent_limit_a && !s->need_send)
			w = DLM_SEND_HOLD;
		else if (!dlm_enabled && ch[i].fast && s->sent_limit_a < 0)
			w = DLM_SEND_FAST_OFF;
		else
			w = threshold(&ch[i], o->limit_a, o->phases, urgent, now_ms);
		dec[i].why = w;
		dec[i].send = whys[w].sends;
		dec[i].urgent = urgent;
	}
	return 0;
}

void dlm_send_started(dlm_send_state *s)
{
	s->in_flight = true;
	s->need_send = false;
}

void dlm_send_done(dlm_send_state *s, dlm_send_outcome o, double limit_a, int phases, int64_t now_ms)
{
	s->in_flight = false;
	switch (o) {
	case DLM_SEND_ACCEPTED:
		if (s->sent_limit_a != limit_a) {
			s->prev_limit_a = s->sent_limit_a > 0 ? s->sent_limit_a : 0;
			s->changed_ms = now_ms;
		}
		s->sent_limit_a = limit_a;
		s->sent_phases = phases;
		s->rejected = false;
		break;
	case DLM_SEND_REFUSED:
		s->rejected = true;
		s->rejected_ms = now_ms;
		break;
	case DLM_SEND_CLOSED: break;
	}
}

int dlm_send_rate_for(double limit_a, int phases, double volts, unsigned units, bool dc, dlm_send_rate *out)
{
	if (!out || (phases != 1 && phases != 3) || !(limit_a >= 0))
		return -EINVAL;
	if (!isfinite(volts) || volts < 150 || volts > 300)
		volts = DLM_VOLTS_DEFAULT;
	bool watts = dc || (units && !(units & DLM_UNIT_A));
	out->unit = watts ? 'W' : 'A';
	out->limit = watts ? floor(limit_a * phases * volts + 1e-6) : limit_a;
	out->phases = dc ? 0 : phases;
	return 0;
}

dlm_phase_check dlm_send_phase_check(int cmd_phases, int64_t cmd_ms, int64_t react_ms,
				     const dlm_meter_sample *m, int64_t m_ts_ms)
{
	if (!m || cmd_phases < 1 || cmd_ms == DLM_NO_TIME || m_ts_ms == DLM_NO_TIME ||
	    m_ts_ms < cmd_ms + react_ms)
		return DLM_PHASES_UNKNOWN;
	int on = 0;
	for (int p = 0; p < DLM_PHASES; p++)
		on += isfinite(m->current_a[p]) && m->current_a[p] >= DLM_PHASE_ON_A;
	if (!on)
		return DLM_PHASES_UNKNOWN;
	return on > cmd_phases ? DLM_PHASES_IGNORED : DLM_PHASES_FOLLOWED;
}

dlm_follow_check dlm_send_follow_check(double limit_a, double prev_limit_a, int64_t changed_ms,
				       int64_t react_ms, const dlm_meter_sample *m, int64_t m_ts_ms,
				       int64_t now_ms, int64_t *over_since_ms)
{
	if (!over_since_ms)
		return DLM_FOLLOW_UNKNOWN;
	if (!m || limit_a < 0 || m_ts_ms == DLM_NO_TIME) {
		*over_since_ms = DLM_NO_TIME;
		return DLM_FOLLOW_UNKNOWN;
	}
	/* a raise excuses no draw over the old limit: the run goes on */
	bool raised = changed_ms != DLM_NO_TIME && limit_a >= prev_limit_a;
	/* a sample from before the limit says nothing of how it follows it */
	if (changed_ms != DLM_NO_TIME && m_ts_ms < changed_ms) {
		if (!raised)
			*over_since_ms = DLM_NO_TIME;
		return DLM_FOLLOW_UNKNOWN;
	}
	double most = -1;
	for (int p = 0; p < DLM_PHASES; p++)
		if (isfinite(m->current_a[p]) && m->current_a[p] > most)
			most = m->current_a[p];
	if (most < 0) {
		*over_since_ms = DLM_NO_TIME;
		return DLM_FOLLOW_UNKNOWN;
	}
	if (most <= limit_a + DLM_FOLLOW_TOL_A + DLM_SEND_EPS_A) {
		*over_since_ms = DLM_NO_TIME;
		return DLM_FOLLOW_OK;
	}
	/* a run that began under a higher limit starts again at this cut */
	if (*over_since_ms == DLM_NO_TIME ||
	    (!raised && changed_ms != DLM_NO_TIME && *over_since_ms < changed_ms))
		*over_since_ms = m_ts_ms;
	return now_ms - *over_since_ms >= react_ms + DLM_FOLLOW_MARGIN_MS ? DLM_FOLLOW_IGNORED
									  : DLM_FOLLOW_OVER;
}

void dlm_send_online(dlm_send_state *s)
{
	s->need_send = true;
	s->rejected = false;
	s->in_flight = false;
}

void dlm_send_offline(dlm_send_state *s)
{
	s->in_flight = false;
	s->sent_limit_a = -1;
}
