/*
 * daemon.h - what every ork daemon's main does the same way: options,
 * signals, the version line.
 */
#ifndef ORK_DAEMON_H
#define ORK_DAEMON_H

#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>

#include "config.h"

/* Exit codes shared by the daemons. */
#define DAEMON_EXIT_OK 0
#define DAEMON_EXIT_FAIL 1
#define DAEMON_EXIT_USAGE 2

/*
 * Set by SIGTERM/SIGINT; loops poll it.  An atomic (lock-free, so safe in
 * a signal handler) because other threads read it.
 */
extern atomic_int daemon_stop;

/*
 * daemon_signals installs handlers that only set daemon_stop, and
 * ignores SIGPIPE.  Call before any thread starts.
 */
void daemon_signals(void);

/*
 * daemon_options runs config_load for a daemon.  On --help it prints
 * usage (summary first) and exits 0; on --version it prints the version
 * and exits 0; on bad input it prints one line "NAME: reason" to stderr
 * and exits DAEMON_EXIT_USAGE.  Returns only when the daemon should run.
 */
void daemon_options(const char *name, const char *summary,
    const struct config_opt *opts, size_t nopts, void *out, int argc,
    char **argv, struct config_args *args);

/* daemon_version_string returns "0.1.0 (rev abc1234, protocol 1, schema 1)". */
const char *daemon_version_string(void);

/* Option tables every daemon shares. */
extern const char *const daemon_log_levels[];
extern const char *const daemon_log_formats[];

#endif /* ORK_DAEMON_H */
