/*
 * config.c - daemon configuration from the environment and flags.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpq-fe.h>

#include "config.h"
#include "err.h"

void
config_flag_name(const char *env, char *buf, size_t len)
{
	size_t i = 0;

	if (strncmp(env, "ORK_", 4) == 0)
		env += 4;
	for (; *env != '\0' && i + 1 < len; env++, i++)
		buf[i] = *env == '_' ? '-' : (char)tolower((unsigned char)*env);
	if (len > 0)
		buf[i] = '\0';
}

static int
parse_bool(const char *v, int *out)
{
	static const char *const yes[] = { "1", "true", "on", "yes" };
	static const char *const no[] = { "0", "false", "off", "no" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return ORK_EINVAL;
}

/* set_value validates one option's text and stores it. */
static int
set_value(const struct config_opt *o, const char *flag, const char *v,
    void *out, char *err, size_t errlen)
{
	char		*field = (char *)out + o->offset;
	char		*end;
	long		 n;
	int		 b;

	if (strlen(v) > CONFIG_VALUE_MAX) {
		snprintf(err, errlen, "%s: value longer than %d bytes", flag,
		    CONFIG_VALUE_MAX);
		return ORK_EINVAL;
	}
	if (o->check != NULL) {
		char why[256];

		if (o->check(v, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "%s: %s", flag, why);
			return ORK_EINVAL;
		}
	}
	switch (o->type) {
	case CONFIG_STR: {
		char **dst = (char **)(void *)field;
		char *copy = strdup(v);

		if (copy == NULL) {
			snprintf(err, errlen, "%s: out of memory", flag);
			return ORK_ENOMEM;
		}
		free(*dst);
		*dst = copy;
		return 0;
	}
	case CONFIG_INT:
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0') {
			snprintf(err, errlen, "%s: \"%s\" is not a whole number",
			    flag, v);
			return ORK_EINVAL;
		}
		if (n < o->min || n > o->max) {
			snprintf(err, errlen, "%s: %ld is out of range %ld-%ld",
			    flag, n, o->min, o->max);
			return ORK_EINVAL;
		}
		memcpy(field, &n, sizeof(n));
		return 0;
	case CONFIG_BOOL:
		if (parse_bool(v, &b) != 0) {
			snprintf(err, errlen, "%s: \"%s\" is not true or false",
			    flag, v);
			return ORK_EINVAL;
		}
		memcpy(field, &b, sizeof(b));
		return 0;
	case CONFIG_ENUM:
		for (b = 0; o->choices[b] != NULL; b++) {
			if (strcmp(v, o->choices[b]) == 0) {
				memcpy(field, &b, sizeof(b));
				return 0;
			}
		}
		{
			char	list[256] = "";
			size_t	used = 0;

			for (b = 0; o->choices[b] != NULL; b++) {
				int w = snprintf(list + used,
				    sizeof(list) - used, "%s%s",
				    b > 0 ? ", " : "", o->choices[b]);
				if (w < 0 || (size_t)w >= sizeof(list) - used)
					break;
				used += (size_t)w;
			}
			snprintf(err, errlen, "%s: \"%s\" is not one of %s",
			    flag, v, list);
		}
		return ORK_EINVAL;
	}
	return ORK_EINVAL;
}

static const struct config_opt *
find_flag(const struct config_opt *opts, size_t nopts, const char *name,
    size_t namelen)
{
	char flag[128];

	for (size_t i = 0; i < nopts; i++) {
		config_flag_name(opts[i].env, flag, sizeof(flag));
		if (strlen(flag) == namelen && memcmp(flag, name, namelen) == 0)
			return &opts[i];
	}
	return NULL;
}

int
config_load(const struct config_opt *opts, size_t nopts, void *out, int argc,
    char **argv, struct config_args *args, char *err, size_t errlen)
{
	char		 flag[128];
	const char	*v;
	int		 rc, i;

	if (args != NULL)
		args->argc = 0;
	for (size_t k = 0; k < nopts; k++) {
		config_flag_name(opts[k].env, flag, sizeof(flag));
		if (opts[k].def != NULL) {
			rc = set_value(&opts[k], opts[k].env, opts[k].def, out,
			    err, errlen);
			if (rc != 0)
				goto fail;
		}
		v = getenv(opts[k].env);
		if (v != NULL && *v != '\0') {
			rc = set_value(&opts[k], opts[k].env, v, out, err,
			    errlen);
			if (rc != 0)
				goto fail;
		}
	}
	for (i = 1; i < argc; i++) {
		const char		*a = argv[i];
		const char		*eq;
		const struct config_opt	*o;
		size_t			 namelen;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			return CONFIG_HELP;
		if (strcmp(a, "--version") == 0)
			return CONFIG_VERSION;
		if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
			if (a[0] == '-' && a[1] != '\0') {
				snprintf(err, errlen, "unknown flag \"%s\"", a);
				rc = ORK_EINVAL;
				goto fail;
			}
			if (args == NULL || args->argc >= CONFIG_ARGS_MAX) {
				snprintf(err, errlen,
				    "unexpected argument \"%s\"", a);
				rc = ORK_EINVAL;
				goto fail;
			}
			args->argv[args->argc++] = argv[i];
			continue;
		}
		a += 2;
		eq = strchr(a, '=');
		namelen = eq != NULL ? (size_t)(eq - a) : strlen(a);
		o = find_flag(opts, nopts, a, namelen);
		if (o == NULL) {
			snprintf(err, errlen, "unknown flag \"--%.*s\"",
			    (int)(namelen > 64 ? 64 : namelen), a);
			rc = ORK_EINVAL;
			goto fail;
		}
		config_flag_name(o->env, flag, sizeof(flag));
		if (eq != NULL) {
			v = eq + 1;
		} else if (o->type == CONFIG_BOOL && (i + 1 >= argc ||
		    strncmp(argv[i + 1], "-", 1) == 0)) {
			v = "true";
		} else if (i + 1 < argc) {
			v = argv[++i];
		} else {
			snprintf(err, errlen, "--%s: missing value", flag);
			rc = ORK_EINVAL;
			goto fail;
		}
		{
			char label[140];

			snprintf(label, sizeof(label), "--%s", flag);
			rc = set_value(o, label, v, out, err, errlen);
		}
		if (rc != 0)
			goto fail;
	}
	return CONFIG_RUN;
fail:
	config_free(opts, nopts, out);
	return rc == ORK_ENOMEM ? ORK_ENOMEM : ORK_EINVAL;
}

void
config_free(const struct config_opt *opts, size_t nopts, void *out)
{
	for (size_t k = 0; k < nopts; k++) {
		if (opts[k].type == CONFIG_STR) {
			char **p = (char **)(void *)((char *)out +
			    opts[k].offset);

			free(*p);
			*p = NULL;
		}
	}
}

void
config_usage(const struct config_opt *opts, size_t nopts)
{
	char flag[128];

	printf("Options (environment variable, or the flag of the same name):"
	    "\n");
	for (size_t k = 0; k < nopts; k++) {
		config_flag_name(opts[k].env, flag, sizeof(flag));
		printf("  --%-26s %s\n", flag, opts[k].help);
		printf("    %-26s ", opts[k].env);
		if (opts[k].type == CONFIG_INT)
			printf("[%ld-%ld] ", opts[k].min, opts[k].max);
		if (opts[k].type == CONFIG_ENUM) {
			printf("[");
			for (int c = 0; opts[k].choices[c] != NULL; c++)
				printf("%s%s", c > 0 ? "|" : "",
				    opts[k].choices[c]);
			printf("] ");
		}
		if (opts[k].def != NULL)
			printf("default: %s", opts[k].def);
		printf("\n");
	}
	printf("  --%-26s %s\n  --%-26s %s\n", "help", "show this help",
	    "version", "show the version");
}

int
config_check_db_url(const char *value, char *err, size_t errlen)
{
	PQconninfoOption	*info;
	char			*why = NULL;

	if (*value == '\0') {
		snprintf(err, errlen, "is empty");
		return ORK_EINVAL;
	}
	if (strncmp(value, "postgres://", 11) != 0 &&
	    strncmp(value, "postgresql://", 13) != 0 &&
	    strchr(value, '=') == NULL) {
		snprintf(err, errlen, "\"%.64s\" is not a PostgreSQL URL "
		    "(postgresql://user@host:port/db) or key=value string",
		    value);
		return ORK_EINVAL;
	}
	info = PQconninfoParse(value, &why);
	if (info == NULL) {
		size_t n;

		snprintf(err, errlen, "malformed database URL: %s",
		    why != NULL ? why : "out of memory");
		/* libpq's messages end with a newline. */
		n = strlen(err);
		while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == '.'))
			err[--n] = '\0';
		PQfreemem(why);
		return ORK_EINVAL;
	}
	PQconninfoFree(info);
	return 0;
}

static int
parse_port(const char *s, int *port)
{
	char	*end;
	long	 n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || n < 0 || n > 65535)
		return ORK_EINVAL;
	*port = (int)n;
	return 0;
}

int
config_split_listen(const char *value, char *host, size_t hostlen, int *port)
{
	const char	*colon;
	size_t		 n;

	if (value[0] == '[') {
		const char *close = strchr(value, ']');

		if (close == NULL || close[1] != ':')
			return ORK_EINVAL;
		n = (size_t)(close - value - 1);
		colon = close + 1;
		value++;
	} else {
		colon = strrchr(value, ':');
		if (colon == NULL)
			return ORK_EINVAL;
		n = (size_t)(colon - value);
		if (memchr(value, ':', n) != NULL)
			return ORK_EINVAL;
	}
	if (n >= hostlen)
		return ORK_EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)value[i];

		if (!isalnum(c) && c != '.' && c != '-' && c != ':' &&
		    c != '_')
			return ORK_EINVAL;
	}
	memcpy(host, value, n);
	host[n] = '\0';
	return parse_port(colon + 1, port);
}

int
config_check_listen(const char *value, char *err, size_t errlen)
{
	char	host[256];
	int	port;

	if (config_split_listen(value, host, sizeof(host), &port) != 0) {
		snprintf(err, errlen, "\"%.64s\" is not a listen address "
		    "(host:port with port 0-65535)", value);
		return ORK_EINVAL;
	}
	return 0;
}

int
config_check_nng_url(const char *value, char *err, size_t errlen)
{
	const char *rest;

	if (strncmp(value, "tcp://", 6) == 0) {
		rest = value + 6;
		if (config_check_listen(rest, err, errlen) == 0)
			return 0;
	} else if (strncmp(value, "ipc://", 6) == 0 ||
	    strncmp(value, "inproc://", 9) == 0) {
		rest = strstr(value, "://") + 3;
		if (*rest != '\0' && strlen(rest) < 100)
			return 0;
	}
	snprintf(err, errlen, "\"%.64s\" is not a socket address "
	    "(tcp://host:port, ipc://path or inproc://name)", value);
	return ORK_EINVAL;
}

int
config_check_nng_urls(const char *value, char *err, size_t errlen)
{
	char		 one[512];
	const char	*p = value, *comma;
	size_t		 n;

	do {
		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (n == 0 || n >= sizeof(one)) {
			snprintf(err, errlen, "\"%.64s\" is not a list of "
			    "socket addresses", value);
			return ORK_EINVAL;
		}
		memcpy(one, p, n);
		one[n] = '\0';
		if (config_check_nng_url(one, err, errlen) != 0)
			return ORK_EINVAL;
		p = comma != NULL ? comma + 1 : NULL;
	} while (p != NULL);
	return 0;
}
