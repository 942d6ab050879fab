/*
 * args.c - the flags and positional arguments of one command, checked
 * against the command's table: an unknown flag, a missing value or one
 * argument too many is a usage error naming it.
 *
 * Flags are "--name value", "--name=value" or "-f value"; "--" ends the
 * flags.  Global flags (--url, --json, ...) were taken out by main.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int
find(const struct args_flag *flags, const char *arg, size_t n)
{
	for (int i = 0; flags != NULL && flags[i].name != NULL; i++) {
		if (arg[1] != '-') {
			if (n == 2 && flags[i].shortname == arg[1])
				return i;
		} else if (strlen(flags[i].name) == n &&
		    strncmp(flags[i].name, arg, n) == 0)
			return i;
	}
	return -1;
}

int
args_parse(const char *cmd, const struct args_flag *flags, int argc,
    char **argv, int minpos, int maxpos, struct args *a)
{
	int	nflags = 0, dashdash = 0;
	int	top = (int)strcspn(cmd, " ");	/* what ork help takes */

	memset(a, 0, sizeof(*a));
	while (flags != NULL && flags[nflags].name != NULL)
		nflags++;
	if (nflags > 16 || maxpos > ARGS_POS_MAX) {
		fprintf(stderr, "ork %s: too many flags in its table\n", cmd);
		return CLI_EXIT_USAGE;
	}
	for (int i = 0; i < argc; i++) {
		const char	*arg = argv[i], *eq, *value = NULL;
		size_t		 n;
		int		 f;

		if (dashdash || arg[0] != '-' || arg[1] == '\0') {
			if (a->npos == maxpos) {
				fprintf(stderr, "ork %s: unexpected argument "
				    "\"%s\" (see ork help %.*s)\n", cmd, arg, top,
				    cmd);
				return CLI_EXIT_USAGE;
			}
			a->pos[a->npos++] = arg;
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			dashdash = 1;
			continue;
		}
		eq = arg[1] == '-' ? strchr(arg, '=') : NULL;
		n = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
		f = find(flags, arg, n);
		if (f < 0) {
			fprintf(stderr, "ork %s: unknown flag \"%.*s\" (see ork "
			    "help %.*s)\n", cmd, (int)n, arg, top, cmd);
			return CLI_EXIT_USAGE;
		}
		if (flags[f].has_value) {
			if (eq != NULL)
				value = eq + 1;
			else if (i + 1 < argc)
				value = argv[++i];
			else {
				fprintf(stderr, "ork %s: flag %s needs a value\n",
				    cmd, flags[f].name);
				return CLI_EXIT_USAGE;
			}
		} else if (eq != NULL) {
			fprintf(stderr, "ork %s: flag %s takes no value\n", cmd,
			    flags[f].name);
			return CLI_EXIT_USAGE;
		}
		if (a->seen[f] && !flags[f].repeat) {
			fprintf(stderr, "ork %s: flag %s given twice\n", cmd,
			    flags[f].name);
			return CLI_EXIT_USAGE;
		}
		if (flags[f].repeat) {
			if (a->nmulti == ARGS_MULTI_MAX) {
				fprintf(stderr, "ork %s: flag %s given more than "
				    "%d times\n", cmd, flags[f].name,
				    ARGS_MULTI_MAX);
				return CLI_EXIT_USAGE;
			}
			a->multi[a->nmulti++] = value;
		}
		a->seen[f] = 1;
		a->value[f] = value;
	}
	if (a->npos < minpos) {
		fprintf(stderr, "ork %s: missing argument (see ork help %.*s)\n",
		    cmd, top, cmd);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

static int
index_of(const struct args_flag *flags, const char *name)
{
	for (int i = 0; flags[i].name != NULL; i++)
		if (strcmp(flags[i].name, name) == 0)
			return i;
	return -1;
}

const char *
args_get(const struct args_flag *flags, const struct args *a,
    const char *name)
{
	int i = index_of(flags, name);

	return i < 0 ? NULL : a->value[i];
}

int
args_has(const struct args_flag *flags, const struct args *a,
    const char *name)
{
	int i = index_of(flags, name);

	return i >= 0 && a->seen[i];
}

int
args_long(const char *flag, const char *s, long min, long max, long *out)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0 || v < min || v > max) {
		fprintf(stderr, "ork: %s: \"%s\" is not a whole number from %ld "
		    "to %ld\n", flag, s, min, max);
		return CLI_EXIT_USAGE;
	}
	*out = v;
	return 0;
}
