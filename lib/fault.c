/* fault.c: named fault points for crash tests: ST_FAULT=NAME makes the
 * command kill itself with SIGKILL where st_fault("NAME") is reached. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "st.h"

void
st_fault(const char *name)
{
	static const char *want;
	static int done;

	/* the environment is read once: unset, a point costs one test */
	if (!done) {
		want = getenv("ST_FAULT");
		if (want && *want == '\0')
			want = NULL;
		done = 1;
	}
	if (want == NULL || name == NULL || strcmp(want, name) != 0)
		return;
	/* as a real crash: nothing buffered is flushed */
	kill(getpid(), SIGKILL);
	_exit(137);
}
