/* st: the front end: `st NAME ARGS` runs st-NAME ARGS; `st help` lists
 * the commands with the first line of their usage. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "st.h"

/* commands are looked up beside st itself first, then in PATH */
static char selfdir[PATH_MAX];

static const struct { const char *name, *what; } cmds[] = {
	{ "attr", "set, remove or read attributes of objects" },
	{ "create", "record new instances (state requested)" },
	{ "doctor", "check the state file and the hosts, read-only" },
	{ "events", "print or follow the event log" },
	{ "exec", "run a command inside a running instance" },
	{ "host-add", "register hosts (probing their docker endpoint)" },
	{ "host-drain", "stop placing new instances on hosts" },
	{ "host-ls", "list hosts, their capacity and use" },
	{ "host-probe", "refresh hosts' capacity and reachability" },
	{ "host-rm", "forget hosts that hold no instances" },
	{ "host-undrain", "take drained hosts back into service" },
	{ "image-import", "import a root filesystem tarball as an image" },
	{ "image-pull", "pull an image from a registry onto hosts" },
	{ "init", "create or migrate the state file" },
	{ "inspect", "print objects as JSON" },
	{ "label", "set, remove or read labels of objects" },
	{ "logs", "print what an instance wrote" },
	{ "ps", "list instances" },
	{ "reconcile", "make the state and what the hosts run agree" },
	{ "restart", "restart instances" },
	{ "rm", "remove instances and release their reservation" },
	{ "schedule", "place instances on hosts" },
	{ "start", "start instances on their hosts" },
	{ "state-backup", "copy the live state file consistently" },
	{ "stop", "stop instances" },
};

static void
help(void)
{
	DIR *d;
	struct dirent *e;
	size_t i;

	printf("usage: st COMMAND [ARG...]\n\ncommands:\n");
	for (i = 0; i < ST_NELEM(cmds); i++)
		printf("  %-14s %s\n", cmds[i].name, cmds[i].what);
	/* commands installed beside st that this list does not know yet */
	if (*selfdir && (d = opendir(selfdir)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strncmp(e->d_name, "st-", 3) != 0 || strchr(e->d_name, '.'))
				continue;
			for (i = 0; i < ST_NELEM(cmds) && strcmp(cmds[i].name, e->d_name + 3) != 0; i++)
				;
			if (i == ST_NELEM(cmds))
				printf("  %s\n", e->d_name + 3);
		}
		closedir(d);
	}
	printf("\nst COMMAND -h shows a command's usage; man st-COMMAND, man stampede\n");
	exit(st_flush());
}

int
main(int argc, char **argv)
{
	char path[PATH_MAX + 64], *slash;
	ssize_t n;
	const char *c;

	st_init(argc, argv);
	n = readlink("/proc/self/exe", selfdir, sizeof selfdir - 1);
	if (n > 0) {
		selfdir[n] = '\0';
		if ((slash = strrchr(selfdir, '/')) != NULL)
			*slash = '\0';
	} else {
		selfdir[0] = '\0';
	}
	if (argc < 2)
		st_die(ST_USAGE, "no command given (st help lists them)");
	c = argv[1];
	if (strcmp(c, "help") == 0 || strcmp(c, "-h") == 0 || strcmp(c, "--help") == 0)
		help();
	if (strcmp(c, "--version") == 0)
		st_version();
	/* a command name reaches a path: the same strict alphabet as names */
	for (const char *p = c; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			st_die(ST_USAGE, "unknown command '%s'", st_q(c));
	if (*c == '\0' || *c == '-' || strlen(c) > 64)
		st_die(ST_USAGE, "unknown command '%s'", st_q(c));
	if (*selfdir) {
		snprintf(path, sizeof path, "%s/st-%s", selfdir, c);
		if (access(path, X_OK) == 0) {
			argv[1] = path;
			execv(path, argv + 1);
			st_die(ST_TEMP, "unable to run '%s': %s", path, strerror(errno));
		}
	}
	snprintf(path, sizeof path, "st-%s", c);
	argv[1] = path;
	execvp(path, argv + 1);
	st_die(errno == ENOENT ? ST_USAGE : ST_TEMP, "unable to run 'st-%s': %s", c, errno == ENOENT ? "no such command" : strerror(errno));
}
