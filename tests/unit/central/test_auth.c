/* test_auth.c: idTag decisions, every status and rule of auth_decide. */
#include "auth.h"
#include "check.h"

static const char *decide(struct store_idtag *tag, struct store_idtag *parent, int active, int bound,
			  int unknown_accept, int64_t now)
{
	struct auth_input in = { tag, parent, active, 1, unknown_accept, bound, now };
	static struct auth_result r;
	auth_decide(&in, &r);
	return r.status;
}

static struct store_idtag mk(const char *status, int64_t expiry, const char *parent, int max)
{
	struct store_idtag t = { 0 };
	snprintf(t.id_tag, sizeof t.id_tag, "T");
	snprintf(t.status, sizeof t.status, "%s", status);
	t.expiry_ms = expiry;
	snprintf(t.parent, sizeof t.parent, "%s", parent);
	t.max_active = max;
	return t;
}

int main(void)
{
	int64_t now = 1000000;
	struct store_idtag ok = mk("Accepted", 0, "", 0);
	CHECK_STR(decide(&ok, NULL, 0, 1, 0, now), "Accepted");
	/* unknown tags follow the setting */
	CHECK_STR(decide(NULL, NULL, 0, 1, 0, now), "Invalid");
	CHECK_STR(decide(NULL, NULL, 0, 1, 1, now), "Accepted");
	/* the tag's own status */
	struct store_idtag blocked = mk("Blocked", 0, "", 0), expired = mk("Expired", 0, "", 0),
			   invalid = mk("Invalid", 0, "", 0);
	CHECK_STR(decide(&blocked, NULL, 0, 1, 1, now), "Blocked");
	CHECK_STR(decide(&expired, NULL, 0, 1, 1, now), "Expired");
	CHECK_STR(decide(&invalid, NULL, 0, 1, 1, now), "Invalid");
	/* expiry date: before, at, after */
	struct store_idtag soon = mk("Accepted", now + 1, "", 0), past = mk("Accepted", now, "", 0);
	CHECK_STR(decide(&soon, NULL, 0, 1, 0, now), "Accepted");
	CHECK_STR(decide(&past, NULL, 0, 1, 0, now), "Expired");
	struct auth_input in = { &soon, NULL, 0, 1, 0, 1, now };
	struct auth_result r;
	auth_decide(&in, &r);
	CHECK(r.expiry_ms == now + 1);
	/* binding to chargers */
	CHECK_STR(decide(&ok, NULL, 0, 0, 0, now), "Invalid");
	/* parent groups */
	struct store_idtag child = mk("Accepted", 0, "P", 0);
	struct store_idtag pok = mk("Accepted", 0, "", 0), pblocked = mk("Blocked", 0, "", 0),
			   pexpired = mk("Accepted", now - 1, "", 0);
	CHECK_STR(decide(&child, &pok, 0, 1, 0, now), "Accepted");
	CHECK_STR(decide(&child, &pblocked, 0, 1, 0, now), "Blocked");
	CHECK_STR(decide(&child, &pexpired, 0, 1, 0, now), "Blocked");
	in = (struct auth_input){ &child, &pok, 0, 1, 0, 1, now };
	auth_decide(&in, &r);
	CHECK_STR(r.parent, "P");
	/* concurrency: default 1, per-tag maximum */
	CHECK_STR(decide(&ok, NULL, 1, 1, 0, now), "ConcurrentTx");
	struct store_idtag two = mk("Accepted", 0, "", 2);
	CHECK_STR(decide(&two, NULL, 1, 1, 0, now), "Accepted");
	CHECK_STR(decide(&two, NULL, 2, 1, 0, now), "ConcurrentTx");
	/* a blocked tag stays blocked whatever else holds */
	CHECK_STR(decide(&blocked, &pok, 5, 0, 1, now), "Blocked");
	return CHECK_DONE();
}
