/*
 * perfconfig_fuzz.c - ork-perf's configuration files are outside input:
 * parse the input as a file, then its first line again as a --set flag,
 * and check what a parse promises (every refusal says why and names the
 * source, every value kept is within its bounds).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "perfconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_bounds(const struct perfconf *c)
{
	if (c->runs < 1 || c->runs > 10000000 || c->rate < 1 ||
	    c->rate > 100000 || c->clients < 1 || c->clients > 256 ||
	    c->tasks_per_run < 1 || c->tasks_per_run > 100 ||
	    c->poll_ms < 10 || c->mode < -1 || c->mode > PERFCONF_LOAD ||
	    (c->cleanup != 0 && c->cleanup != 1) ||
	    memchr(c->url, '\0', sizeof(c->url)) == NULL ||
	    memchr(c->csv_path, '\0', sizeof(c->csv_path)) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct perfconf	 c;
	char		 err[1024], line[PERFCONF_LINE_MAX + 1];
	const char	*name;
	char		 value[PERFCONF_STR_MAX + 1];
	int		 rc, type;
	size_t		 n;

	perfconf_init(&c);
	rc = perfconf_parse(&c, (const char *)data, size, "fuzz.conf", err,
	    sizeof(err));
	if (rc != 0 && (err[0] == '\0' || strncmp(err, "fuzz.conf", 9) != 0))
		abort();	/* every refusal names the file */
	if (rc == 0 && size > PERFCONF_FILE_MAX)
		abort();
	check_bounds(&c);
	if (rc == 0)
		(void)perfconf_check(&c, err, sizeof(err));
	for (size_t i = 0; perfconf_key(&c, i, &name, value, sizeof(value),
	    &type); i++)
		if (name == NULL || strlen(value) > PERFCONF_STR_MAX)
			abort();

	/* the first line, as a flag */
	n = 0;
	while (n < size && n < PERFCONF_LINE_MAX && data[n] != '\n' &&
	    data[n] != '\0')
		n++;
	memcpy(line, data, n);
	line[n] = '\0';
	perfconf_init(&c);
	rc = perfconf_set(&c, line, "--set", err, sizeof(err));
	if (rc != 0 && strncmp(err, "--set", 5) != 0)
		abort();
	check_bounds(&c);
	return 0;
}
