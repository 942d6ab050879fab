/*
 * daemon.c - options, signals and the version line of every daemon.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "err.h"
#include "migrate.h"
#include "msg.h"

atomic_int daemon_stop;

const char *const daemon_log_levels[] = { "debug", "info", "warn", "error",
    NULL };
const char *const daemon_log_formats[] = { "text", "json", "auto", NULL };

static void
on_stop(int sig)
{
	(void)sig;
	daemon_stop = 1;
}

void
daemon_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

const char *
daemon_version_string(void)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "%s (rev %s, protocol %d, schema %d)",
	    ORK_VERSION, ORK_GIT_REV, MSG_PROTOCOL_VERSION,
	    migrate_known_version());
	return buf;
}

void
daemon_options(const char *name, const char *summary,
    const struct config_opt *opts, size_t nopts, void *out, int argc,
    char **argv, struct config_args *args)
{
	char	err[512];
	int	rc;

	rc = config_load(opts, nopts, out, argc, argv, args, err, sizeof(err));
	switch (rc) {
	case CONFIG_RUN:
		return;
	case CONFIG_HELP:
		printf("%s\n\n", summary);
		config_usage(opts, nopts);
		config_free(opts, nopts, out);
		exit(DAEMON_EXIT_OK);
	case CONFIG_VERSION:
		printf("%s %s\n", name, daemon_version_string());
		config_free(opts, nopts, out);
		exit(DAEMON_EXIT_OK);
	default:
		fprintf(stderr, "%s: %s (see %s --help)\n", name, err, name);
		exit(DAEMON_EXIT_USAGE);
	}
}
