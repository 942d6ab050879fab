/*
 * config.c - the config file of ork, written by "ork login":
 *
 *   # written by ork login
 *   url = http://localhost:8080
 *   token = ork_...
 *   user = admin
 *
 * It is outside input (a user may edit it), so it is read within limits
 * (CLI_CONF_MAX bytes, CLI_CONF_LINE_MAX a line) and every refusal names
 * its line.  It holds a token, so it is written with mode 0600 by
 * renaming a finished temporary file over it: a reader never sees half
 * a file, and the token is never readable by others, not even briefly.
 *
 * Self-contained (libc only): tests/fuzz/cliconfig_fuzz.c builds it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int
conf_valid_url(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CLI_URL_MAX)
		return 0;
	if (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0)
		return 0;
	if (s[s[4] == 's' ? 8 : 7] == '\0')
		return 0;	/* no host */
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p >= 0x7f)
			return 0;
	return 1;
}

int
conf_valid_token(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CLI_TOKEN_MAX)
		return 0;
	/* base64url and the "ork_" prefix; nothing that could end a header */
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p >= 0x7f)
			return 0;
	return 1;
}

static int
valid_user(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CLI_USERNAME_MAX)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < ' ' || *p == 0x7f)
			return 0;
	return 1;
}

/* trim returns s without blanks at either end (s is changed). */
static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int
parse_line(char *line, int lineno, struct conf *c, char *err, size_t errlen)
{
	char	*eq, *key, *value;

	line = trim(line);
	if (*line == '\0' || *line == '#')
		return 0;
	eq = strchr(line, '=');
	if (eq == NULL) {
		seterr(err, errlen, "line %d: expected \"key = value\"", lineno);
		return -1;
	}
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	if (strcmp(key, "url") == 0) {
		if (!conf_valid_url(value)) {
			seterr(err, errlen, "line %d: url is not an http(s) URL "
			    "of at most %d characters", lineno, CLI_URL_MAX);
			return -1;
		}
		snprintf(c->url, sizeof(c->url), "%s", value);
	} else if (strcmp(key, "token") == 0) {
		if (!conf_valid_token(value)) {
			seterr(err, errlen, "line %d: token must be 1 to %d "
			    "printable characters without spaces", lineno,
			    CLI_TOKEN_MAX);
			return -1;
		}
		snprintf(c->token, sizeof(c->token), "%s", value);
	} else if (strcmp(key, "user") == 0) {
		if (!valid_user(value)) {
			seterr(err, errlen, "line %d: user must be 1 to %d "
			    "characters", lineno, CLI_USERNAME_MAX);
			return -1;
		}
		snprintf(c->user, sizeof(c->user), "%s", value);
	} else {
		seterr(err, errlen, "line %d: unknown key \"%.64s\" (known: url, "
		    "token, user)", lineno, key);
		return -1;
	}
	return 0;
}

int
conf_parse(const char *text, size_t len, struct conf *c, char *err,
    size_t errlen)
{
	char	 line[CLI_CONF_LINE_MAX + 1];
	size_t	 i = 0;
	int	 lineno = 0;

	memset(c, 0, sizeof(*c));
	if (len > CLI_CONF_MAX) {
		seterr(err, errlen, "larger than %d bytes", CLI_CONF_MAX);
		return -1;
	}
	while (i < len) {
		size_t	n = 0;

		lineno++;
		while (i < len && text[i] != '\n') {
			if (text[i] == '\0') {
				seterr(err, errlen, "line %d: a NUL character",
				    lineno);
				return -1;
			}
			if (n == CLI_CONF_LINE_MAX) {
				seterr(err, errlen, "line %d: longer than %d "
				    "characters", lineno, CLI_CONF_LINE_MAX);
				return -1;
			}
			line[n++] = text[i++];
		}
		line[n] = '\0';
		i++;	/* the line break */
		if (parse_line(line, lineno, c, err, errlen) != 0)
			return -1;
	}
	return 0;
}

int
conf_path(char *buf, size_t len)
{
	const char	*xdg = getenv("XDG_CONFIG_HOME");
	const char	*home = getenv("HOME");
	int		 n;

	/* The XDG spec: a relative $XDG_CONFIG_HOME is to be ignored. */
	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(buf, len, "%s/ork/config", xdg);
	else if (home != NULL && home[0] != '\0')
		n = snprintf(buf, len, "%s/.config/ork/config", home);
	else
		return -1;
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
conf_load(const char *path, struct conf *c, char *err, size_t errlen)
{
	char		*text = NULL;
	struct stat	 st;
	ssize_t		 got;
	size_t		 len = 0;
	int		 fd, rc = -1;
	char		 perr[256];

	memset(c, 0, sizeof(*c));
	/* not blocking: a FIFO put there must not hang us (S_ISREG below) */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		seterr(err, errlen, "could not open %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		seterr(err, errlen, "%s is not a regular file", path);
		goto out;
	}
	if (st.st_size > CLI_CONF_MAX) {
		seterr(err, errlen, "%s: larger than %d bytes", path,
		    CLI_CONF_MAX);
		goto out;
	}
	text = malloc(CLI_CONF_MAX + 1);
	if (text == NULL) {
		seterr(err, errlen, "out of memory");
		goto out;
	}
	/* Read to the limit whatever fstat said (the file may grow). */
	while (len <= CLI_CONF_MAX) {
		got = read(fd, text + len, CLI_CONF_MAX + 1 - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			seterr(err, errlen, "could not read %s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	if (conf_parse(text, len, c, perr, sizeof(perr)) != 0) {
		seterr(err, errlen, "%s: %s", path, perr);
		goto out;
	}
	c->loose = (st.st_mode & 077) != 0;
	rc = 0;
out:
	free(text);
	close(fd);
	return rc;
}

/* mkdirs creates the folders above path (mode 0700) that are missing. */
static int
mkdirs(const char *path, char *err, size_t errlen)
{
	char	dir[1024];
	size_t	n = strlen(path);

	if (n >= sizeof(dir)) {
		seterr(err, errlen, "path too long: %s", path);
		return -1;
	}
	memcpy(dir, path, n + 1);
	for (char *p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			seterr(err, errlen, "could not create %s: %s", dir,
			    strerror(errno));
			return -1;
		}
		*p = '/';
	}
	return 0;
}

static int
write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int
conf_save(const char *path, const struct conf *c, char *err, size_t errlen)
{
	char	 tmp[1100], text[CLI_URL_MAX + CLI_TOKEN_MAX + 256];
	char	*slash;
	int	 fd, n, dfd;

	if (mkdirs(path, err, errlen) != 0)
		return -1;
	n = snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		seterr(err, errlen, "path too long: %s", path);
		return -1;
	}
	n = snprintf(text, sizeof(text), "# written by ork login; holds a "
	    "token: keep it private\n%s%s%s%s%s%s%s%s%s",
	    c->url[0] ? "url = " : "", c->url, c->url[0] ? "\n" : "",
	    c->token[0] ? "token = " : "", c->token, c->token[0] ? "\n" : "",
	    c->user[0] ? "user = " : "", c->user, c->user[0] ? "\n" : "");
	if (n < 0 || (size_t)n >= sizeof(text)) {
		seterr(err, errlen, "configuration too long");
		return -1;
	}
	/* mkstemp creates the file with mode 0600. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		seterr(err, errlen, "could not create %s: %s", tmp,
		    strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0600) != 0 || write_all(fd, text, (size_t)n) != 0 ||
	    fsync(fd) != 0) {
		seterr(err, errlen, "could not write %s: %s", tmp,
		    strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		seterr(err, errlen, "could not write %s: %s", path,
		    strerror(errno));
		unlink(tmp);
		return -1;
	}
	/* The rename is durable once the folder is synced. */
	slash = strrchr(tmp, '/');
	if (slash != NULL) {
		*slash = '\0';
		dfd = open(slash == tmp ? "/" : tmp, O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC);
		if (dfd >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
	}
	return 0;
}
