/*
 * config_fuzz.c - command-line flags and addresses are outside input:
 * split the input into arguments and load them against a table that has
 * every option type and check.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_config {
	char	*url;
	char	*listen;
	char	*control;
	char	*list;
	long	 n;
	int	 flag;
	int	 level;
};

static const char *const levels[] = { "debug", "info", NULL };

static const struct config_opt opts[] = {
	{ "ORK_FUZZ_URL", CONFIG_STR, offsetof(struct fuzz_config, url), NULL,
	    0, 0, NULL, config_check_db_url, "" },
	{ "ORK_FUZZ_LISTEN", CONFIG_STR, offsetof(struct fuzz_config, listen),
	    "127.0.0.1:1", 0, 0, NULL, config_check_listen, "" },
	{ "ORK_FUZZ_CONTROL", CONFIG_STR, offsetof(struct fuzz_config, control),
	    NULL, 0, 0, NULL, config_check_nng_url, "" },
	{ "ORK_FUZZ_LIST", CONFIG_STR, offsetof(struct fuzz_config, list),
	    NULL, 0, 0, NULL, config_check_nng_urls, "" },
	{ "ORK_FUZZ_N", CONFIG_INT, offsetof(struct fuzz_config, n), "1", -5,
	    5000, NULL, NULL, "" },
	{ "ORK_FUZZ_FLAG", CONFIG_BOOL, offsetof(struct fuzz_config, flag),
	    "false", 0, 0, NULL, NULL, "" },
	{ "ORK_FUZZ_LEVEL", CONFIG_ENUM, offsetof(struct fuzz_config, level),
	    "info", 0, 0, levels, NULL, "" },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_config	 cfg;
	struct config_args	 args;
	char			*text, *argv[64], err[512];
	int			 argc = 1, rc;

	if (size > 16384)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	argv[0] = (char *)(uintptr_t)"fuzz";
	/* Arguments are separated by newlines. */
	for (char *p = text; argc < 63 && p != NULL && *p != '\0';) {
		char *nl = strchr(p, '\n');

		argv[argc++] = p;
		if (nl != NULL)
			*nl++ = '\0';
		p = nl;
	}
	argv[argc] = NULL;
	memset(&cfg, 0, sizeof(cfg));
	rc = config_load(opts, sizeof(opts) / sizeof(opts[0]), &cfg, argc, argv,
	    &args, err, sizeof(err));
	if (rc == CONFIG_RUN && (cfg.listen == NULL || cfg.n < -5 ||
	    cfg.n > 5000))
		abort();
	if (rc < 0 && err[0] == '\0')
		abort();	/* every refusal says why */
	config_free(opts, sizeof(opts) / sizeof(opts[0]), &cfg);
	free(text);
	return 0;
}
