/*
 * perfconf.c - the configuration files of ork-perf: one table of keys,
 * a line parser that names the line of every refusal.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "perfconf.h"

enum key_type {
	KEY_INT,	/* long within [min, max] */
	KEY_STR,	/* char[PERFCONF_STR_MAX + 1] */
	KEY_ENUM,	/* int: index into choices */
	KEY_BOOL	/* int: true/false/yes/no/on/off/1/0 */
};

struct key {
	const char		*name;
	enum key_type		 type;
	size_t			 offset;
	const char		*def;		/* NULL: none */
	long			 min, max;
	const char *const	*choices;
};

static const char *const modes[] = { "burst", "paced", "jobs", "load", NULL };
static const char *const kinds[] = { "noop", "command", NULL };

#define OFF(f) offsetof(struct perfconf, f)

static const struct key keys[] = {
	{ "mode", KEY_ENUM, OFF(mode), NULL, 0, 0, modes },
	{ "name", KEY_STR, OFF(name), "", 0, 0, NULL },
	{ "url", KEY_STR, OFF(url), "http://127.0.0.1:8080", 0, 0, NULL },
	{ "token", KEY_STR, OFF(token), "", 0, 0, NULL },
	{ "events", KEY_STR, OFF(events), "", 0, 0, NULL },
	{ "runs", KEY_INT, OFF(runs), "1000", 1, 10000000, NULL },
	{ "rate", KEY_INT, OFF(rate), "100", 1, 100000, NULL },
	{ "seconds", KEY_INT, OFF(seconds), "10", 1, 86400, NULL },
	{ "jobs", KEY_INT, OFF(jobs), "100", 1, 1000000, NULL },
	{ "lead_seconds", KEY_INT, OFF(lead_seconds), "10", 1, 3600, NULL },
	{ "tasks_per_run", KEY_INT, OFF(tasks_per_run), "1", 1, 100, NULL },
	{ "task_kind", KEY_ENUM, OFF(task_kind), "noop", 0, 0, kinds },
	{ "clients", KEY_INT, OFF(clients), "16", 1, 256, NULL },
	{ "rows", KEY_INT, OFF(rows), "1000000", 1, 1000000000, NULL },
	{ "csv_path", KEY_STR, OFF(csv_path), "", 0, 0, NULL },
	{ "work_dir", KEY_STR, OFF(work_dir), ".", 0, 0, NULL },
	{ "load_connection_env", KEY_STR, OFF(load_connection_env),
	    "ORK_PERF_DW_URL", 0, 0, NULL },
	{ "load_table", KEY_STR, OFF(load_table), "perf_load", 0, 0, NULL },
	{ "timeout", KEY_INT, OFF(timeout), "600", 1, 86400, NULL },
	{ "poll_ms", KEY_INT, OFF(poll_ms), "500", 10, 60000, NULL },
	{ "cleanup", KEY_BOOL, OFF(cleanup), "true", 0, 0, NULL },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

_Static_assert(NKEYS <= 64, "perfconf.given has 64 bits");

static const struct key *
find_key(const char *name, size_t len, size_t *index)
{
	for (size_t i = 0; i < NKEYS; i++) {
		if (strlen(keys[i].name) == len &&
		    memcmp(keys[i].name, name, len) == 0) {
			*index = i;
			return &keys[i];
		}
	}
	return NULL;
}

/* set_value stores value into c as k says; reason in err on failure. */
static int
set_value(struct perfconf *c, const struct key *k, const char *value,
    char *err, size_t errlen)
{
	char	*field = (char *)c + k->offset;
	char	*end;
	long	 n;

	switch (k->type) {
	case KEY_INT:
		errno = 0;
		n = strtol(value, &end, 10);
		if (value[0] == '\0' || *end != '\0' || errno == ERANGE) {
			snprintf(err, errlen, "%s must be a whole number, not "
			    "'%s'", k->name, value);
			return ORK_EINVAL;
		}
		if (n < k->min || n > k->max) {
			snprintf(err, errlen, "%s must be between %ld and %ld, "
			    "not %ld", k->name, k->min, k->max, n);
			return ORK_EINVAL;
		}
		*(long *)(void *)field = n;
		return 0;
	case KEY_STR:
		if (strlen(value) > PERFCONF_STR_MAX) {
			snprintf(err, errlen, "%s is longer than %d characters",
			    k->name, PERFCONF_STR_MAX);
			return ORK_EINVAL;
		}
		snprintf(field, PERFCONF_STR_MAX + 1, "%s", value);
		return 0;
	case KEY_ENUM:
		for (int i = 0; k->choices[i] != NULL; i++) {
			if (strcmp(k->choices[i], value) == 0) {
				*(int *)(void *)field = i;
				return 0;
			}
		}
		snprintf(err, errlen, "%s must be one of", k->name);
		for (int i = 0; k->choices[i] != NULL; i++) {
			size_t used = strlen(err);

			snprintf(err + used, errlen - used, "%s %s",
			    i > 0 ? "," : "", k->choices[i]);
		}
		{
			size_t used = strlen(err);

			snprintf(err + used, errlen - used, ", not '%s'",
			    value);
		}
		return ORK_EINVAL;
	case KEY_BOOL:
		if (strcmp(value, "true") == 0 || strcmp(value, "yes") == 0 ||
		    strcmp(value, "on") == 0 || strcmp(value, "1") == 0) {
			*(int *)(void *)field = 1;
			return 0;
		}
		if (strcmp(value, "false") == 0 || strcmp(value, "no") == 0 ||
		    strcmp(value, "off") == 0 || strcmp(value, "0") == 0) {
			*(int *)(void *)field = 0;
			return 0;
		}
		snprintf(err, errlen, "%s must be true or false, not '%s'",
		    k->name, value);
		return ORK_EINVAL;
	}
	snprintf(err, errlen, "%s has an unknown type", k->name);
	return ORK_EINTERNAL;
}

void
perfconf_init(struct perfconf *c)
{
	char err[256];

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].def != NULL)
			(void)set_value(c, &keys[i], keys[i].def, err,
			    sizeof(err));
	c->mode = -1;
	c->given = 0;
}

static int
is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

/* printable copies at most 40 bytes of s for a message, '?' for others. */
static void
printable(const char *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0;

	if (n > 40)
		n = 40;
	for (size_t i = 0; i < n && o + 1 < outlen; i++) {
		unsigned char ch = (unsigned char)s[i];

		out[o++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	out[o] = '\0';
}

/*
 * assign parses one "key = value" (line, len bytes, no newline) into c.
 * where is the message prefix; in_file refuses a key given twice.
 */
static int
assign(struct perfconf *c, const char *line, size_t len, const char *where,
    int in_file, char *err, size_t errlen)
{
	const char	*eq, *k0, *k1, *v0, *v1;
	const struct key *k;
	char		 value[PERFCONF_STR_MAX + 2], shown[64], why[PERFCONF_STR_MAX + 128];
	size_t		 index, vlen;
	int		 rc;

	eq = memchr(line, '=', len);
	if (eq == NULL) {
		printable(line, len, shown, sizeof(shown));
		snprintf(err, errlen, "%s: expected 'key = value', got '%s'",
		    where, shown);
		return ORK_EINVAL;
	}
	k0 = line;
	k1 = eq;
	while (k0 < k1 && is_blank(*k0))
		k0++;
	while (k1 > k0 && is_blank(k1[-1]))
		k1--;
	if (k0 == k1) {
		snprintf(err, errlen, "%s: no key before '='", where);
		return ORK_EINVAL;
	}
	if ((k = find_key(k0, (size_t)(k1 - k0), &index)) == NULL) {
		printable(k0, (size_t)(k1 - k0), shown, sizeof(shown));
		snprintf(err, errlen, "%s: unknown key '%s'", where, shown);
		return ORK_EINVAL;
	}
	v0 = eq + 1;
	v1 = line + len;
	while (v0 < v1 && is_blank(*v0))
		v0++;
	if (v0 < v1 && *v0 == '"') {
		const char *q = memchr(v0 + 1, '"', (size_t)(v1 - v0 - 1));
		const char *rest;

		if (q == NULL) {
			snprintf(err, errlen, "%s: %s: no closing quote",
			    where, k->name);
			return ORK_EINVAL;
		}
		for (rest = q + 1; rest < v1 && is_blank(*rest); rest++)
			;
		if (rest < v1 && *rest != '#') {
			snprintf(err, errlen, "%s: %s: text after the closing "
			    "quote", where, k->name);
			return ORK_EINVAL;
		}
		v0++;
		v1 = q;
	} else {
		/* an unquoted value ends at a blank followed by '#' */
		for (const char *p = v0; p < v1; p++) {
			if (*p == '#' && (p == v0 || is_blank(p[-1]))) {
				v1 = p;
				break;
			}
		}
		while (v1 > v0 && is_blank(v1[-1]))
			v1--;
	}
	vlen = (size_t)(v1 - v0);
	if (vlen > PERFCONF_STR_MAX) {
		snprintf(err, errlen, "%s: %s is longer than %d characters",
		    where, k->name, PERFCONF_STR_MAX);
		return ORK_EINVAL;
	}
	if (memchr(v0, '\0', vlen) != NULL) {
		snprintf(err, errlen, "%s: %s holds a NUL byte", where,
		    k->name);
		return ORK_EINVAL;
	}
	memcpy(value, v0, vlen);
	value[vlen] = '\0';
	if (in_file && (c->given & (1ULL << index))) {
		snprintf(err, errlen, "%s: key '%s' given twice", where,
		    k->name);
		return ORK_EINVAL;
	}
	if ((rc = set_value(c, k, value, why, sizeof(why))) != 0) {
		snprintf(err, errlen, "%s: %s", where, why);
		return rc;
	}
	if (in_file)
		c->given |= 1ULL << index;
	return 0;
}

int
perfconf_parse(struct perfconf *c, const char *text, size_t len,
    const char *source, char *err, size_t errlen)
{
	char	where[PERFCONF_STR_MAX + 32];
	size_t	pos = 0;
	long	lineno = 0;
	int	rc;

	if (len > PERFCONF_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", source,
		    PERFCONF_FILE_MAX);
		return ORK_ETOOBIG;
	}
	while (pos < len) {
		const char	*line = text + pos;
		const char	*nl = memchr(line, '\n', len - pos);
		size_t		 n = nl != NULL ? (size_t)(nl - line) : len - pos;
		size_t		 i = 0;

		lineno++;
		pos += n + (nl != NULL);
		snprintf(where, sizeof(where), "%s:%ld", source, lineno);
		if (n > PERFCONF_LINE_MAX) {
			snprintf(err, errlen, "%s: line longer than %d "
			    "characters", where, PERFCONF_LINE_MAX);
			return ORK_EINVAL;
		}
		while (i < n && is_blank(line[i]))
			i++;
		if (i == n || line[i] == '#')
			continue;
		if ((rc = assign(c, line, n, where, 1, err, errlen)) != 0)
			return rc;
	}
	return 0;
}

int
perfconf_load(struct perfconf *c, const char *path, char *err,
    size_t errlen)
{
	FILE	*f;
	char	*buf;
	size_t	 n;
	int	 rc;

	if ((f = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "could not open %s: %s", path,
		    strerror(errno));
		return errno == ENOENT ? ORK_ENOTFOUND : ORK_EIO;
	}
	/* one byte more than allowed tells a file over the limit */
	if ((buf = malloc(PERFCONF_FILE_MAX + 1)) == NULL) {
		fclose(f);
		snprintf(err, errlen, "could not read %s: out of memory", path);
		return ORK_ENOMEM;
	}
	n = fread(buf, 1, PERFCONF_FILE_MAX + 1, f);
	if (ferror(f)) {
		snprintf(err, errlen, "could not read %s: %s", path,
		    strerror(errno));
		rc = ORK_EIO;
		goto out;
	}
	rc = perfconf_parse(c, buf, n, path, err, errlen);
out:
	free(buf);
	fclose(f);
	return rc;
}

int
perfconf_set(struct perfconf *c, const char *assignment, const char *source,
    char *err, size_t errlen)
{
	size_t len = strlen(assignment);

	if (len > PERFCONF_LINE_MAX) {
		snprintf(err, errlen, "%s: longer than %d characters", source,
		    PERFCONF_LINE_MAX);
		return ORK_EINVAL;
	}
	return assign(c, assignment, len, source, 0, err, errlen);
}

int
perfconf_check(const struct perfconf *c, char *err, size_t errlen)
{
	if (c->mode < 0) {
		snprintf(err, errlen, "no mode given (mode = burst, paced, "
		    "jobs or load)");
		return ORK_EINVAL;
	}
	if (c->url[0] == '\0') {
		snprintf(err, errlen, "url must not be empty");
		return ORK_EINVAL;
	}
	if (strncmp(c->url, "http://", 7) != 0 &&
	    strncmp(c->url, "https://", 8) != 0) {
		snprintf(err, errlen, "url must start with http:// or "
		    "https://, not '%s'", c->url);
		return ORK_EINVAL;
	}
	if (c->mode == PERFCONF_PACED && c->rate * c->seconds > 10000000) {
		snprintf(err, errlen, "rate * seconds must be at most "
		    "10000000 runs, not %ld", c->rate * c->seconds);
		return ORK_EINVAL;
	}
	if (c->mode == PERFCONF_LOAD && c->load_table[0] == '\0') {
		snprintf(err, errlen, "load_table must not be empty");
		return ORK_EINVAL;
	}
	if (c->mode == PERFCONF_LOAD && c->load_connection_env[0] == '\0') {
		snprintf(err, errlen, "load_connection_env must not be empty");
		return ORK_EINVAL;
	}
	return 0;
}

const char *
perfconf_mode_name(int mode)
{
	return mode >= 0 && mode < (int)(sizeof(modes) / sizeof(modes[0])) - 1 ?
	    modes[mode] : "none";
}

const char *
perfconf_kind_name(int kind)
{
	return kind >= 0 && kind < (int)(sizeof(kinds) / sizeof(kinds[0])) - 1 ?
	    kinds[kind] : "none";
}

int
perfconf_key(const struct perfconf *c, size_t i, const char **name,
    char *buf, size_t len, int *type)
{
	const struct key	*k;
	const char		*field;

	if (i >= NKEYS)
		return 0;
	k = &keys[i];
	field = (const char *)c + k->offset;
	*name = k->name;
	*type = PERFCONF_TEXT;
	switch (k->type) {
	case KEY_INT:
		*type = PERFCONF_NUMBER;
		snprintf(buf, len, "%ld", *(const long *)(const void *)field);
		break;
	case KEY_STR:
		if (strcmp(k->name, "token") == 0)
			snprintf(buf, len, "%s", field[0] != '\0' ? "(set)" :
			    "");
		else
			snprintf(buf, len, "%s", field);
		break;
	case KEY_ENUM: {
		int v = *(const int *)(const void *)field;

		snprintf(buf, len, "%s", k->choices == modes ?
		    perfconf_mode_name(v) : perfconf_kind_name(v));
		break;
	}
	case KEY_BOOL:
		*type = PERFCONF_BOOLEAN;
		snprintf(buf, len, "%s", *(const int *)(const void *)field ?
		    "true" : "false");
		break;
	}
	return 1;
}
