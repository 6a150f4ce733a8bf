/* follow.c: what follows an instance's transition once it is committed.
 * Security groups are applied again on its host and load balancers take
 * it in or out. A failure here is a warning: the transition stands, and
 * st-reconcile applies again. */
#include "st.h"

void
st_follow(struct st_db *db, const char *id, const char *host, const char *what)
{
	/* one line per subsystem that follows instances (keep this order:
	 * addresses and firewall first, then what routes traffic to them) */
	st_addr_follow(db, id, host, what);
	st_sg_follow(db, id, host, what);
	st_lb_follow(db, id, host, what);
}
