/*
 * config_test.c - options from defaults, environment and flags; every
 * kind of bad value is refused with a message naming the option.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "err.h"

struct t_config {
	char	*url;
	char	*listen;
	char	*control;
	long	 threads;
	int	 verbose;
	int	 level;
};

static const char *const levels[] = { "debug", "info", "warn", NULL };

static const struct config_opt opts[] = {
	{ "ORK_DATABASE_URL", CONFIG_STR, offsetof(struct t_config, url), NULL,
	    0, 0, NULL, config_check_db_url, "database" },
	{ "ORK_API_LISTEN", CONFIG_STR, offsetof(struct t_config, listen),
	    "127.0.0.1:8080", 0, 0, NULL, config_check_listen, "listen" },
	{ "ORK_ORCHESTRATOR_CONTROL", CONFIG_STR,
	    offsetof(struct t_config, control), "tcp://127.0.0.1:7400", 0, 0,
	    NULL, config_check_nng_urls, "control" },
	{ "ORK_THREADS", CONFIG_INT, offsetof(struct t_config, threads), "4",
	    1, 64, NULL, NULL, "threads" },
	{ "ORK_VERBOSE", CONFIG_BOOL, offsetof(struct t_config, verbose),
	    "false", 0, 0, NULL, NULL, "verbose" },
	{ "ORK_LOG_LEVEL", CONFIG_ENUM, offsetof(struct t_config, level),
	    "info", 0, 0, levels, NULL, "level" },
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static int
load(struct t_config *c, int argc, const char **argv, char *err,
    size_t errlen, struct config_args *args)
{
	memset(c, 0, sizeof(*c));
	return config_load(opts, NOPTS, c, argc, (char **)(uintptr_t)argv,
	    args, err, errlen);
}

static int
setup(void **state)
{
	(void)state;
	unsetenv("ORK_DATABASE_URL");
	unsetenv("ORK_THREADS");
	unsetenv("ORK_API_LISTEN");
	return 0;
}

static void
test_defaults(void **state)
{
	struct t_config	 c;
	const char	*argv[] = { "x", NULL };
	char		 err[256];

	(void)state;
	assert_int_equal(load(&c, 1, argv, err, sizeof(err), NULL), CONFIG_RUN);
	assert_null(c.url);
	assert_string_equal(c.listen, "127.0.0.1:8080");
	assert_int_equal(c.threads, 4);
	assert_int_equal(c.verbose, 0);
	assert_int_equal(c.level, 1);
	config_free(opts, NOPTS, &c);
	assert_null(c.listen);
}

static void
test_env_then_flags(void **state)
{
	struct t_config	 c;
	const char	*argv[] = { "x", "--threads=9", "--log-level", "warn",
	    "--verbose", NULL };
	char		 err[256];

	(void)state;
	setenv("ORK_THREADS", "3", 1);
	setenv("ORK_DATABASE_URL", "postgresql://ork@db:5432/ork", 1);
	assert_int_equal(load(&c, 5, argv, err, sizeof(err), NULL), CONFIG_RUN);
	assert_int_equal(c.threads, 9);		/* flag beats env */
	assert_string_equal(c.url, "postgresql://ork@db:5432/ork");
	assert_int_equal(c.level, 2);
	assert_int_equal(c.verbose, 1);
	config_free(opts, NOPTS, &c);
}

static void
test_help_version_args(void **state)
{
	struct t_config		 c;
	struct config_args	 args;
	const char		*h[] = { "x", "--help", NULL };
	const char		*v[] = { "x", "--version", NULL };
	const char		*a[] = { "x", "migrate", "--threads=2", NULL };
	char			 err[256];

	(void)state;
	assert_int_equal(load(&c, 2, h, err, sizeof(err), NULL), CONFIG_HELP);
	config_free(opts, NOPTS, &c);
	assert_int_equal(load(&c, 2, v, err, sizeof(err), NULL),
	    CONFIG_VERSION);
	config_free(opts, NOPTS, &c);
	assert_int_equal(load(&c, 3, a, err, sizeof(err), &args), CONFIG_RUN);
	assert_int_equal(args.argc, 1);
	assert_string_equal(args.argv[0], "migrate");
	config_free(opts, NOPTS, &c);
	/* a daemon that takes no arguments refuses one */
	assert_int_equal(load(&c, 3, a, err, sizeof(err), NULL), ORK_EINVAL);
	assert_non_null(strstr(err, "unexpected argument \"migrate\""));
}

/* Each bad input and a fragment its message must contain. */
static const struct {
	const char *arg;
	const char *says;
} bad[] = {
	{ "--bogus=1", "unknown flag \"--bogus\"" },
	{ "-x", "unknown flag \"-x\"" },
	{ "--threads=0", "--threads: 0 is out of range 1-64" },
	{ "--threads=12abc", "--threads: \"12abc\" is not a whole number" },
	{ "--threads=99999999999999999999", "is not a whole number" },
	{ "--verbose=maybe", "--verbose: \"maybe\" is not true or false" },
	{ "--log-level=trace", "--log-level: \"trace\" is not one of debug, info, warn" },
	{ "--database-url=mysql://x", "--database-url: \"mysql://x\" is not a PostgreSQL URL" },
	{ "--database-url=postgresql://[::1", "--database-url: malformed database URL" },
	{ "--database-url=host=x bogus=1", "--database-url: malformed database URL" },
	{ "--api-listen=8080", "--api-listen: \"8080\" is not a listen address" },
	{ "--api-listen=localhost:70000", "is not a listen address" },
	{ "--api-listen=a b:80", "is not a listen address" },
	{ "--orchestrator-control=http://x:1", "--orchestrator-control: \"http://x:1\" is not a socket address" },
	{ "--orchestrator-control=tcp://a:1,,tcp://b:2", "is not a list of socket addresses" },
	{ "--threads", "--threads: missing value" },
};

static void
test_bad_values(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct t_config	 c;
		const char	*argv[] = { "x", bad[i].arg, NULL };
		char		 err[256] = "";

		assert_int_equal(load(&c, 2, argv, err, sizeof(err), NULL),
		    ORK_EINVAL);
		if (strstr(err, bad[i].says) == NULL)
			fail_msg("%s: got \"%s\", want \"%s\"", bad[i].arg,
			    err, bad[i].says);
		/* everything was released on failure */
		assert_null(c.listen);
		assert_null(c.control);
	}
}

static void
test_bad_env_names_variable(void **state)
{
	struct t_config	 c;
	const char	*argv[] = { "x", NULL };
	char		 err[256];

	(void)state;
	setenv("ORK_API_LISTEN", "nonsense", 1);
	assert_int_equal(load(&c, 1, argv, err, sizeof(err), NULL), ORK_EINVAL);
	assert_non_null(strstr(err, "ORK_API_LISTEN: \"nonsense\""));
	unsetenv("ORK_API_LISTEN");
}

static void
test_oversized_value(void **state)
{
	struct t_config	 c;
	char		*big = malloc(CONFIG_VALUE_MAX + 32);
	const char	*argv[] = { "x", big, NULL };
	char		 err[256];

	(void)state;
	memcpy(big, "--api-listen=", 13);
	memset(big + 13, 'a', CONFIG_VALUE_MAX + 5);
	big[CONFIG_VALUE_MAX + 18] = '\0';
	assert_int_equal(load(&c, 2, argv, err, sizeof(err), NULL), ORK_EINVAL);
	assert_non_null(strstr(err, "longer than"));
	free(big);
}

static void
test_split_listen(void **state)
{
	char	host[64];
	int	port;

	(void)state;
	assert_int_equal(config_split_listen("0.0.0.0:80", host, sizeof(host),
	    &port), 0);
	assert_string_equal(host, "0.0.0.0");
	assert_int_equal(port, 80);
	assert_int_equal(config_split_listen("[::1]:8080", host, sizeof(host),
	    &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(config_split_listen(":9", host, sizeof(host), &port),
	    0);
	assert_string_equal(host, "");
	assert_int_equal(config_split_listen("::1:80", host, sizeof(host),
	    &port), ORK_EINVAL);
	assert_int_equal(config_split_listen("h:-1", host, sizeof(host), &port),
	    ORK_EINVAL);
}

static void
test_flag_names(void **state)
{
	char buf[64];

	(void)state;
	config_flag_name("ORK_DATABASE_URL", buf, sizeof(buf));
	assert_string_equal(buf, "database-url");
	config_flag_name("ORK_WORKER_GRACE_SECONDS", buf, sizeof(buf));
	assert_string_equal(buf, "worker-grace-seconds");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_defaults, setup),
		cmocka_unit_test_setup(test_env_then_flags, setup),
		cmocka_unit_test_setup(test_help_version_args, setup),
		cmocka_unit_test_setup(test_bad_values, setup),
		cmocka_unit_test_setup(test_bad_env_names_variable, setup),
		cmocka_unit_test_setup(test_oversized_value, setup),
		cmocka_unit_test(test_split_listen),
		cmocka_unit_test(test_flag_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
