/*
 * config.h - daemon configuration from the environment and flags.
 *
 * A daemon describes its options in a table (name, type, bounds, default,
 * check, help), as Redis's config.c does.  Each option is read from the
 * environment variable of its name (ORK_DATABASE_URL) and may be
 * overridden by the flag of the same name in lower case with dashes
 * (--database-url=VALUE or --database-url VALUE).  The result lands in
 * the caller's struct through the offsets in the table.
 */
#ifndef ORK_CONFIG_H
#define ORK_CONFIG_H

#include <stddef.h>

/* CONFIG_VALUE_MAX bounds any single option value. */
#define CONFIG_VALUE_MAX 4096
/* CONFIG_ARGS_MAX bounds the positional arguments (subcommands). */
#define CONFIG_ARGS_MAX 16

enum config_type {
	CONFIG_STR,	/* char * (owned by the config; config_free frees) */
	CONFIG_INT,	/* long, within [min, max] */
	CONFIG_BOOL,	/* int: true/false/1/0/on/off/yes/no */
	CONFIG_ENUM	/* int: index into choices */
};

/* A check returns 0 or fills err (lower case, no period) and fails. */
typedef int (*config_check_fn)(const char *value, char *err, size_t errlen);

struct config_opt {
	const char		*env;		/* ORK_DATABASE_URL */
	enum config_type	 type;
	size_t			 offset;	/* offsetof(struct x, field) */
	const char		*def;		/* default as text; NULL: none */
	long			 min, max;	/* CONFIG_INT bounds */
	const char *const	*choices;	/* CONFIG_ENUM, NULL-terminated */
	config_check_fn		 check;		/* extra validation or NULL */
	const char		*help;
};

/* What config_load found besides options. */
enum {
	CONFIG_RUN = 0,		/* go on */
	CONFIG_HELP = 1,	/* --help given */
	CONFIG_VERSION = 2	/* --version given */
};

struct config_args {
	int	 argc;
	char	*argv[CONFIG_ARGS_MAX];	/* point into the caller's argv */
};

/*
 * config_load fills out (a struct laid out as the table says) from
 * defaults, then the environment, then argv.  Returns CONFIG_RUN,
 * CONFIG_HELP or CONFIG_VERSION, or ORK_EINVAL with a one-line reason in
 * err naming the option.  Positional arguments go into args (may be NULL
 * when the daemon takes none; then any is an error).  out must start
 * zeroed.  Unless it fails (then what was allocated is freed), out holds
 * strings the caller releases with config_free.
 */
int config_load(const struct config_opt *opts, size_t nopts, void *out,
    int argc, char **argv, struct config_args *args, char *err,
    size_t errlen);

/* config_free releases the strings config_load stored in out. */
void config_free(const struct config_opt *opts, size_t nopts, void *out);

/* config_usage prints the option table as help text to stdout. */
void config_usage(const struct config_opt *opts, size_t nopts);

/* config_flag_name writes the flag form of an env name: ORK_A_B -> a-b. */
void config_flag_name(const char *env, char *buf, size_t len);

/* Checks shared by the daemons. */
int config_check_db_url(const char *value, char *err, size_t errlen);
int config_check_listen(const char *value, char *err, size_t errlen);
int config_check_nng_url(const char *value, char *err, size_t errlen);
int config_check_nng_urls(const char *value, char *err, size_t errlen);

/*
 * config_split_listen splits "host:port" (or "[v6]:port", or ":port")
 * into host and port.  Returns ORK_EINVAL when malformed.
 */
int config_split_listen(const char *value, char *host, size_t hostlen,
    int *port);

#endif /* ORK_CONFIG_H */
