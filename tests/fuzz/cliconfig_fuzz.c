/*
 * cliconfig_fuzz.c - the config file of the ork command line is outside
 * input (a user may edit it): parse any bytes with conf_parse, which
 * must either accept them with every value within its limits or refuse
 * them saying which line is wrong.
 *
 * services/cli/config.c is built into this target as it is (it needs
 * nothing but libc), so the fuzzed code is the code ork runs.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../services/cli/config.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf	c;
	char		err[512];

	err[0] = '\0';
	if (conf_parse((const char *)data, size, &c, err, sizeof(err)) != 0) {
		if (err[0] == '\0')
			abort();	/* every refusal says why */
		if (size <= CLI_CONF_MAX && strncmp(err, "line ", 5) != 0)
			abort();	/* and names its line */
		return 0;
	}
	/* what was accepted is what ork may use */
	if (size > CLI_CONF_MAX || strlen(c.url) > CLI_URL_MAX ||
	    strlen(c.token) > CLI_TOKEN_MAX ||
	    strlen(c.user) > CLI_USERNAME_MAX)
		abort();
	if (c.url[0] != '\0' && !conf_valid_url(c.url))
		abort();
	if (c.token[0] != '\0' && !conf_valid_token(c.token))
		abort();
	return 0;
}
