/*
 * cli_test.c - the ork command line, run as a user runs it: the built
 * binary as a child process against real daemons (PostgreSQL, ork-api,
 * ork-orchestrator, ork-worker), its exit codes checked, its --json
 * output parsed and its tables compared with snapshots in
 * tests/integration/cli/ (ids and relative times normalised; set
 * ORK_UPDATE_SNAPSHOTS=1 to write them anew).  Also: usage errors, the
 * config file, an unreachable server, a server answering nonsense, and
 * the bash completion script.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <pthread.h>
#include <regex.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "api_util.h"

/* How long one ork command may take. */
#define ORK_TIMEOUT_MS	60000
/* Output kept of one command. */
#define ORK_OUT_MAX	(4 * 1024 * 1024)

/* What one ork command did. */
struct ork_out {
	int	 rc;		/* exit code; -1 when killed */
	char	*out;		/* standard output */
	char	*err;		/* standard error */
};

/* The environment every command of a test gets. */
static char	ork_url[128];
static char	ork_home[512];	/* short: paths are made under it */

static void
ork_out_free(struct ork_out *o)
{
	free(o->out);
	free(o->err);
	memset(o, 0, sizeof(*o));
}

static void
append(char **buf, size_t *len, const char *p, size_t n)
{
	char *nb;

	if (*len + n > ORK_OUT_MAX)
		n = ORK_OUT_MAX - *len;
	nb = realloc(*buf, *len + n + 1);
	assert_non_null(nb);
	memcpy(nb + *len, p, n);
	*len += n;
	nb[*len] = '\0';
	*buf = nb;
}

/*
 * ork runs the built ork with args (NULL-ended), stdin_text on its
 * standard input (NULL: /dev/null) and env entries "K=V" or "K" (unset)
 * over ORK_URL and XDG_CONFIG_HOME of the test.  Returns the exit code.
 */
static int
ork_env(struct ork_out *o, const char *stdin_text, const char *const *env,
    const char *const *args)
{
	int		 in[2], out[2], err[2], status;
	char		 bin[H_PATH_MAX];
	const char	*argv[48];
	size_t		 olen = 0, elen = 0, ilen, ioff = 0;
	pid_t		 pid;
	int		 n = 0;
	long		 waited = 0;

	memset(o, 0, sizeof(*o));
	h_bin("ork", bin, sizeof(bin));
	argv[n++] = bin;
	for (; args != NULL && *args != NULL && n < 47; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	assert_int_equal(pipe2(err, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char xdg[H_PATH_MAX + 32];

		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		setsid();	/* no terminal: nothing may wait for one */
		unsetenv("ORK_TOKEN");
		unsetenv("NO_COLOR");
		setenv("ORK_URL", ork_url, 1);
		snprintf(xdg, sizeof(xdg), "%s/xdg", ork_home);
		setenv("XDG_CONFIG_HOME", xdg, 1);
		setenv("HOME", ork_home, 1);
		for (; env != NULL && *env != NULL; env++) {
			char kv[4096], *eq;

			snprintf(kv, sizeof(kv), "%s", *env);
			if ((eq = strchr(kv, '=')) == NULL)
				unsetenv(kv);
			else {
				*eq = '\0';
				setenv(kv, eq + 1, 1);
			}
		}
		execv(bin, (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	ilen = stdin_text != NULL ? strlen(stdin_text) : 0;
	if (ilen == 0) {
		close(in[1]);
		in[1] = -1;
	}
	o->out = strdup("");
	o->err = strdup("");
	while (out[0] >= 0 || err[0] >= 0) {
		struct pollfd	pf[3];
		int		np = 0, r;

		pf[np++] = (struct pollfd){ out[0], POLLIN, 0 };
		pf[np++] = (struct pollfd){ err[0], POLLIN, 0 };
		pf[np++] = (struct pollfd){ in[1], POLLOUT, 0 };
		r = poll(pf, (nfds_t)np, 100);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0 && (waited += 100) > ORK_TIMEOUT_MS) {
			kill(pid, SIGKILL);
			break;
		}
		for (int i = 0; i < 2; i++) {
			char	buf[65536];
			ssize_t	got;

			if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN |
			    POLLHUP)))
				continue;
			got = read(pf[i].fd, buf, sizeof(buf));
			if (got <= 0) {
				close(pf[i].fd);
				*(i == 0 ? &out[0] : &err[0]) = -1;
			} else if (i == 0)
				append(&o->out, &olen, buf, (size_t)got);
			else
				append(&o->err, &elen, buf, (size_t)got);
		}
		if (in[1] >= 0 && (pf[2].revents & (POLLOUT | POLLERR))) {
			ssize_t w = write(in[1], stdin_text + ioff, ilen - ioff);

			if (w > 0)
				ioff += (size_t)w;
			if (w <= 0 || ioff == ilen) {
				close(in[1]);
				in[1] = -1;
			}
		}
	}
	if (in[1] >= 0)
		close(in[1]);
	if (out[0] >= 0)
		close(out[0]);
	if (err[0] >= 0)
		close(err[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	o->rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	if (WIFSIGNALED(status))
		print_error("ork killed by signal %d: %s\n", WTERMSIG(status),
		    o->err);
	return o->rc;
}

/*
 * ork_tty runs ork on a terminal (a pty: its stdout, stderr and
 * /dev/tty), answering each prompt of talk ({"Prompt: ", "reply\n",
 * ..., NULL}) when it appears; o->out gets all the terminal showed
 * (what was typed with echo on, too).
 */
static int
ork_tty(struct ork_out *o, const char *const *env, const char *const *args,
    const char *const *talk)
{
	char		 bin[H_PATH_MAX], buf[4096];
	const char	*argv[48];
	size_t		 olen = 0, from = 0;
	int		 fd, n = 0, status;
	long		 waited = 0;
	pid_t		 pid;

	memset(o, 0, sizeof(*o));
	o->out = strdup("");
	o->err = strdup("");
	h_bin("ork", bin, sizeof(bin));
	argv[n++] = bin;
	for (; args != NULL && *args != NULL && n < 47; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	pid = forkpty(&fd, NULL, NULL, NULL);
	assert_true(pid >= 0);
	if (pid == 0) {
		char xdg[H_PATH_MAX + 32];

		unsetenv("ORK_TOKEN");
		unsetenv("NO_COLOR");
		setenv("ORK_URL", ork_url, 1);
		snprintf(xdg, sizeof(xdg), "%s/xdg", ork_home);
		setenv("XDG_CONFIG_HOME", xdg, 1);
		for (; env != NULL && *env != NULL; env++)
			putenv((char *)(uintptr_t)*env);
		execv(bin, (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	for (;;) {
		struct pollfd	 pf = { fd, POLLIN, 0 };
		ssize_t		 got;
		int		 r = poll(&pf, 1, 100);
		const char	*p;

		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0 && (waited += 100) > ORK_TIMEOUT_MS) {
			kill(pid, SIGKILL);
			break;
		}
		if (r == 0)
			continue;
		got = read(fd, buf, sizeof(buf));
		if (got <= 0)
			break;		/* EIO: the child closed the terminal */
		append(&o->out, &olen, buf, (size_t)got);
		if (talk != NULL && *talk != NULL &&
		    (p = strstr(o->out + from, talk[0])) != NULL) {
			(void)!write(fd, talk[1], strlen(talk[1]));
			from = (size_t)(p - o->out) + strlen(talk[0]);
			talk += 2;
		}
	}
	close(fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	o->rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	return o->rc;
}

/* expect runs ork and checks its exit code, saying what it printed. */
static void
expect_rc(struct ork_out *o, int want, const char *stdin_text,
    const char *const *env, const char *const *args)
{
	int got = ork_env(o, stdin_text, env, args);

	if (got != want)
		fail_msg("ork %s %s ...: want exit %d, got %d\nstdout: %s\n"
		    "stderr: %s", args[0] != NULL ? args[0] : "",
		    args[0] != NULL && args[1] != NULL ? args[1] : "", want,
		    got, o->out, o->err);
}

#define EXPECT(o, want, ...) expect_rc((o), (want), NULL, NULL, \
	(const char *const []){ __VA_ARGS__, NULL })

/* json_of parses a command's standard output or fails the test. */
static cJSON *
json_of(const struct ork_out *o)
{
	cJSON *j = cJSON_Parse(o->out);

	if (j == NULL)
		fail_msg("not JSON: %s", o->out);
	return j;
}

/*
 * next_line returns the next non-empty line of *p (cut at its '\n') and
 * moves *p past it; NULL at the end.
 */
static char *
next_line(char **p)
{
	char *line, *nl;

	while (**p == '\n')
		(*p)++;
	if (**p == '\0')
		return NULL;
	line = *p;
	nl = strchr(line, '\n');
	if (nl != NULL) {
		*nl = '\0';
		*p = nl + 1;
	} else
		*p = line + strlen(line);
	return line;
}

/* line_is fails the test unless out is exactly one line, want. */
static void
line_is(const char *out, const char *want)
{
	size_t n = strlen(want);

	if (strncmp(out, want, n) != 0 || strcmp(out + n, "\n") != 0)
		fail_msg("want the line \"%s\", got \"%s\"", want, out);
}

/* contains fails the test unless hay contains needle. */
static void
contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("want \"%s\" in:\n%s", needle, hay);
}

static void
set_home(const char *name)
{
	char cmd[H_PATH_MAX + 64];

	snprintf(ork_home, sizeof(ork_home), "%s/cli-%s",
	    h_env("ORK_TEST_OUT"), name);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s'", ork_home,
	    ork_home);
	assert_int_equal(system(cmd), 0);
}

static void
conf_file(char *path, size_t len)
{
	snprintf(path, len, "%s/xdg/ork/config", ork_home);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* ---- snapshots ---------------------------------------------------- */

/* sub replaces every match of re in s by with. */
static void
sub(char *s, size_t cap, const char *re, const char *with)
{
	regex_t		 rx;
	regmatch_t	 m;
	char		*out = malloc(cap), *p = s;
	size_t		 o = 0;

	assert_non_null(out);
	assert_int_equal(regcomp(&rx, re, REG_EXTENDED), 0);
	while (regexec(&rx, p, 1, &m, p == s ? 0 : REG_NOTBOL) == 0 &&
	    m.rm_eo > 0) {
		o += (size_t)snprintf(out + o, cap - o, "%.*s%s",
		    (int)m.rm_so, p, with);
		p += m.rm_eo;
		assert_true(o < cap);
	}
	snprintf(out + o, cap - o, "%s", p);
	snprintf(s, cap, "%s", out);
	regfree(&rx);
	free(out);
}

/*
 * check_aligned checks a table: every column of the header starts at
 * the same place in every row, after a blank.
 */
static void
check_aligned(const char *table)
{
	char	*copy = strdup(table), *rest = copy, *line, *header = NULL;
	int	 starts[16], n = 0;

	assert_non_null(copy);
	while ((line = next_line(&rest)) != NULL) {
		if (header == NULL) {
			header = line;
			starts[n++] = 0;
			for (int i = 2; line[i] != '\0' && n < 16; i++)
				if (line[i] != ' ' && line[i - 1] == ' ' &&
				    line[i - 2] == ' ')
					starts[n++] = i;
			continue;
		}
		for (int c = 1; c < n; c++)
			if ((int)strlen(line) <= starts[c] ||
			    line[starts[c] - 1] != ' ' ||
			    line[starts[c]] == ' ')
				fail_msg("column %d not aligned:\n%s\n%s", c,
				    header, line);
	}
	free(copy);
}

/*
 * realign pads the cells of a table whose columns are separated by two
 * blanks (placeholders change widths), so a snapshot reads as a table.
 */
static void
realign(char *t, size_t cap)
{
	char	*copy = strdup(t), *line;
	size_t	 w[16] = { 0 }, o = 0;

	assert_non_null(copy);
	for (int pass = 0; pass < 2; pass++) {
		char *text = strdup(copy), *rest = text;

		assert_non_null(text);
		while ((line = next_line(&rest)) != NULL) {
			int c = 0;

			for (char *cell = line; cell != NULL && c < 16; c++) {
				char	*sep = strstr(cell, "  ");
				size_t	 n = sep != NULL ? (size_t)(sep - cell) :
				    strlen(cell);

				if (pass == 0 && n > w[c])
					w[c] = n;
				if (pass == 1 && sep != NULL)
					o += (size_t)snprintf(t + o, cap - o,
					    "%-*.*s  ", (int)w[c], (int)n, cell);
				else if (pass == 1)
					o += (size_t)snprintf(t + o, cap - o,
					    "%.*s", (int)n, cell);
				cell = sep != NULL ? sep + 2 : NULL;
			}
			if (pass == 1)
				o += (size_t)snprintf(t + o, cap - o, "\n");
			assert_true(o < cap);
		}
		free(text);
	}
	free(copy);
}

/*
 * snapshot compares a table with tests/integration/cli/NAME.txt after
 * ids and times became placeholders (and the columns were aligned
 * again).
 */
static void
snapshot(const char *name, const char *table)
{
	size_t	 cap = strlen(table) * 2 + 1024;
	char	*norm = malloc(cap), path[H_PATH_MAX], *want;

	assert_non_null(norm);
	check_aligned(table);
	snprintf(norm, cap, "%s", table);
	sub(norm, cap, "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
	    "[0-9a-f]{12}", "<id>");
	sub(norm, cap, "(in )?[0-9]+[smhd]( [0-9]+[sm])?( ago)?", "<t>");
	sub(norm, cap, "   +", "  ");
	sub(norm, cap, " +\n", "\n");
	realign(norm, cap);
	snprintf(path, sizeof(path), "%s/tests/integration/cli/%s.txt",
	    h_env("ORK_TEST_ROOT"), name);
	if (getenv("ORK_UPDATE_SNAPSHOTS") != NULL) {
		write_file(path, norm);
		free(norm);
		return;
	}
	want = h_read_file(path);
	if (want == NULL)
		fail_msg("no snapshot %s (ORK_UPDATE_SNAPSHOTS=1 writes it)",
		    path);
	if (strcmp(want, norm) != 0)
		fail_msg("table %s differs from %s:\n%s\nwant:\n%s", name, path,
		    norm, want);
	free(want);
	free(norm);
}

/* ---- without a server ----------------------------------------------- */

static void
test_usage(void **state)
{
	struct ork_out	 o;
	char		 path[H_PATH_MAX], big[8192];

	(void)state;
	set_home("usage");
	snprintf(ork_url, sizeof(ork_url), "http://127.0.0.1:%d",
	    h_free_port());

	EXPECT(&o, 0, "--help");
	contains(o.out, "Commands:");
	contains(o.out, "Exit codes:");
	ork_out_free(&o);
	EXPECT(&o, 0, "help", "jobs");
	contains(o.out, "Examples:");
	contains(o.out, "ork jobs apply -f");
	ork_out_free(&o);
	EXPECT(&o, 0, "runs", "list", "--help");
	contains(o.out, "usage: ork runs list");
	ork_out_free(&o);
	EXPECT(&o, 0, "version");
	contains(o.out, "ork ");
	ork_out_free(&o);

	/* usage errors name what is wrong, exit 2, and ask no server */
	expect_rc(&o, 2, NULL, NULL, (const char *const []){ NULL });
	ork_out_free(&o);
	EXPECT(&o, 2, "frobnicate");
	contains(o.err, "unknown command \"frobnicate\"");
	ork_out_free(&o);
	EXPECT(&o, 2, "help", "frobnicate");
	ork_out_free(&o);
	EXPECT(&o, 2, "jobs", "list", "--bogus");
	contains(o.err, "unknown flag \"--bogus\"");
	ork_out_free(&o);
	EXPECT(&o, 2, "jobs", "list", "--bogus=1");
	contains(o.err, "unknown flag \"--bogus\"");
	ork_out_free(&o);
	EXPECT(&o, 2, "jobs", "frob");
	contains(o.err, "unknown subcommand \"frob\"");
	ork_out_free(&o);
	EXPECT(&o, 2, "jobs", "get");
	contains(o.err, "missing argument");
	ork_out_free(&o);
	EXPECT(&o, 2, "jobs", "get", "a", "b");
	contains(o.err, "unexpected argument \"b\"");
	ork_out_free(&o);
	EXPECT(&o, 2, "jobs", "create");
	contains(o.err, "-f FILE");
	ork_out_free(&o);
	EXPECT(&o, 2, "jobs", "create", "-f");
	contains(o.err, "needs a value");
	ork_out_free(&o);
	EXPECT(&o, 2, "run", "job", "--wait=yes");
	contains(o.err, "takes no value");
	ork_out_free(&o);
	EXPECT(&o, 2, "run", "job", "--param", "novalue");
	contains(o.err, "KEY=VALUE");
	ork_out_free(&o);
	EXPECT(&o, 2, "run", "job", "--param", "a=1", "--param", "a=2");
	contains(o.err, "given twice");
	ork_out_free(&o);
	EXPECT(&o, 2, "runs", "list", "--limit", "0");
	contains(o.err, "--limit");
	ork_out_free(&o);
	EXPECT(&o, 2, "runs", "list", "--limit", "12x");
	ork_out_free(&o);
	EXPECT(&o, 2, "runs", "list", "--limit", "501");
	ork_out_free(&o);
	EXPECT(&o, 2, "runs", "list", "--status", "exploded");
	contains(o.err, "--status");
	ork_out_free(&o);
	EXPECT(&o, 2, "runs", "get", "not-an-id");
	contains(o.err, "is not an id");
	ork_out_free(&o);
	EXPECT(&o, 2, "logs", "not-an-id");
	ork_out_free(&o);
	EXPECT(&o, 2, "users", "create", "x", "--role", "god");
	contains(o.err, "--role");
	ork_out_free(&o);
	EXPECT(&o, 2, "jobs", "list", "--json", "--quiet");
	ork_out_free(&o);
	EXPECT(&o, 2, "--url", "ftp://example.com", "jobs", "list");
	contains(o.err, "--url");
	ork_out_free(&o);
	EXPECT(&o, 2, "--token", "has space", "jobs", "list");
	contains(o.err, "--token");
	ork_out_free(&o);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	expect_rc(&o, 2, NULL, (const char *const []){ "ORK_TOKEN=", NULL },
	    (const char *const []){ "--token", big, "jobs", "list", NULL });
	ork_out_free(&o);
	/* no terminal to ask on: login says how to give the password */
	EXPECT(&o, 2, "login", "--username", "admin");
	contains(o.err, "--password-stdin");
	ork_out_free(&o);

	/* a bad job file is refused before any request */
	snprintf(path, sizeof(path), "%s/bad.json", ork_home);
	write_file(path, "{\"job_name\": \"x\", \"tasks\": [}");
	EXPECT(&o, 2, "jobs", "create", "-f", path);
	contains(o.err, "not valid JSON");
	ork_out_free(&o);
	write_file(path, "[1, 2]");
	EXPECT(&o, 2, "jobs", "apply", "-f", path);
	contains(o.err, "JSON object");
	ork_out_free(&o);
	write_file(path, "{\"tasks\": []}");
	EXPECT(&o, 2, "jobs", "apply", "-f", path);
	contains(o.err, "job_name");
	ork_out_free(&o);
	EXPECT(&o, 2, "jobs", "create", "-f", "/nonexistent/job.json");
	contains(o.err, "/nonexistent/job.json");
	ork_out_free(&o);

	/* nobody listens there: exit 5 and one line naming the URL */
	EXPECT(&o, 5, "jobs", "list");
	contains(o.err, ork_url);
	assert_int_equal(strchr(o.err, '\n') - o.err + 1, (long)strlen(o.err));
	ork_out_free(&o);
	EXPECT(&o, 5, "status");
	contains(o.err, ork_url);
	ork_out_free(&o);

	/* the config file: a bad line is named with its number */
	conf_file(path, sizeof(path));
	mkdir(ork_home, 0700);
	{
		char dir[H_PATH_MAX];

		snprintf(dir, sizeof(dir), "%s/xdg", ork_home);
		mkdir(dir, 0700);
		snprintf(dir, sizeof(dir), "%s/xdg/ork", ork_home);
		mkdir(dir, 0700);
	}
	write_file(path, "# comment\nurl = http://127.0.0.1:1\n\ncolour = "
	    "blue\n");
	EXPECT(&o, 2, "jobs", "list");
	contains(o.err, "line 4");
	contains(o.err, "colour");
	ork_out_free(&o);
	write_file(path, "url http://x\n");
	EXPECT(&o, 2, "jobs", "list");
	contains(o.err, "line 1");
	ork_out_free(&o);
	write_file(path, "url = gopher://x\n");
	EXPECT(&o, 2, "jobs", "list");
	contains(o.err, "line 1: url");
	ork_out_free(&o);
	{
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		for (int i = 0; i < 70 * 1024; i++)
			fputc(i % 64 == 63 ? '\n' : '#', f);
		assert_int_equal(fclose(f), 0);
	}
	EXPECT(&o, 2, "jobs", "list");
	contains(o.err, "larger than");
	ork_out_free(&o);
	/* the config file's URL is used when nothing else names one */
	write_file(path, "url = http://127.0.0.1:1/\n");
	expect_rc(&o, 5, NULL, (const char *const []){ "ORK_URL", NULL },
	    (const char *const []){ "jobs", "list", NULL });
	contains(o.err, "http://127.0.0.1:1 ");
	ork_out_free(&o);
	expect_rc(&o, 5, NULL, (const char *const []){ "ORK_URL=", NULL },
	    (const char *const []){ "jobs", "list", NULL });
	contains(o.err, "http://127.0.0.1:1 ");	/* empty is unset */
	ork_out_free(&o);
	unlink(path);
}

/* ---- a server answering nonsense ------------------------------------ */

/*
 * The answer is changed by the test between runs of ork and read by the
 * server thread: atomics, as nothing else orders the two.
 */
struct fake {
	int			 fd;
	const char *_Atomic	 head;	/* status line and headers */
	_Atomic size_t		 body_len; /* body: body_len bytes of fill */
	const char *_Atomic	 body;	/* or this */
	pthread_t		 thread;
};

static void *
fake_serve(void *arg)
{
	struct fake	*f = arg;
	char		 buf[8192];
	int		 c;

	while ((c = accept(f->fd, NULL, NULL)) >= 0) {
		char		 hdr[512];
		const char	*body = f->body, *head = f->head;
		size_t		 len = body != NULL ? strlen(body) : f->body_len;

		(void)!read(c, buf, sizeof(buf));
		snprintf(hdr, sizeof(hdr), "%sContent-Length: %zu\r\n"
		    "Connection: close\r\n\r\n", head, len);
		(void)!write(c, hdr, strlen(hdr));
		if (body != NULL)
			(void)!write(c, body, len);
		else {
			memset(buf, ' ', sizeof(buf));
			for (size_t sent = 0; sent < len; ) {
				size_t	n = len - sent < sizeof(buf) ?
				    len - sent : sizeof(buf);
				ssize_t	w = write(c, buf, n);

				if (w <= 0)
					break;
				sent += (size_t)w;
			}
		}
		close(c);
	}
	return NULL;
}

static void
fake_start(struct fake *f)
{
	struct sockaddr_in	a;
	socklen_t		len = sizeof(a);
	int			one = 1;

	f->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(f->fd >= 0);
	setsockopt(f->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(f->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(f->fd, 8), 0);
	assert_int_equal(getsockname(f->fd, (struct sockaddr *)&a, &len), 0);
	snprintf(ork_url, sizeof(ork_url), "http://127.0.0.1:%d",
	    ntohs(a.sin_port));
	assert_int_equal(pthread_create(&f->thread, NULL, fake_serve, f), 0);
}

static void
fake_stop(struct fake *f)
{
	shutdown(f->fd, SHUT_RDWR);
	close(f->fd);
	pthread_join(f->thread, NULL);
}

static void
test_bad_answers(void **state)
{
	struct fake	f;
	struct ork_out	o;

	(void)state;
	set_home("bad");
	memset(&f, 0, sizeof(f));
	f.head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n";
	f.body = "{\"items\": [{\"job_id\": 1,";
	fake_start(&f);
	EXPECT(&o, 1, "--token", "t", "jobs", "list");
	contains(o.err, "not valid JSON");
	ork_out_free(&o);
	/* valid JSON of the wrong shape: said, not a crash */
	f.body = "{\"items\": 7}";
	EXPECT(&o, 1, "--token", "t", "jobs", "list");
	contains(o.err, "without \"items\"");
	ork_out_free(&o);
	f.body = "[\"not\", \"a\", \"run\"]";
	EXPECT(&o, 1, "--token", "t", "runs", "get", "01a208db-022f-7608-abc6-"
	    "d37dc0c5113c");
	contains(o.err, "not a JSON object");
	ork_out_free(&o);
	/* an error without the error shape still says the status */
	f.head = "HTTP/1.1 500 Internal Server Error\r\n";
	f.body = "<html>oops</html>";
	EXPECT(&o, 1, "--token", "t", "runs", "list");
	contains(o.err, "answered 500");
	ork_out_free(&o);
	f.head = "HTTP/1.1 404 Not Found\r\n";
	EXPECT(&o, 3, "--token", "t", "runs", "get", "01a208db-022f-7608-abc6-"
	    "d37dc0c5113c");
	contains(o.err, "answered 404");
	ork_out_free(&o);
	f.head = "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\n";
	f.body = "{\"error\": {\"code\": \"forbidden\", \"message\": \"needs "
	    "admin\"}}";
	EXPECT(&o, 4, "--token", "t", "users", "list");
	contains(o.err, "needs admin");
	ork_out_free(&o);
	/* an event stream: an event or a line over 64 KiB ends ork watch */
	size_t	 n = 70 * 1030 + 64, len = 0;
	char	*big = malloc(n), *line = malloc(n);

	assert_non_null(big);
	assert_non_null(line);
	{
		len += (size_t)snprintf(big, n, "retry: 2000\n: connected\n\n");
		for (int i = 0; i < 70; i++) {
			len += (size_t)snprintf(big + len, n - len, "data: ");
			memset(big + len, 'x', 1000);
			len += 1000;
			big[len++] = '\n';
		}
		big[len] = '\0';
		f.head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n";
		f.body = big;
		EXPECT(&o, 1, "--token", "t", "watch");
		contains(o.err, "an event larger than");
		ork_out_free(&o);
		memcpy(line, big, len + 1);
		for (size_t i = 30; i < len; i++)	/* one long line */
			if (line[i] == '\n')
				line[i] = 'x';
		f.body = line;
		EXPECT(&o, 1, "--token", "t", "watch");
		contains(o.err, "a line longer than");
		ork_out_free(&o);
	}
	/* a body over the limit (16 MiB) is refused */
	f.head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n";
	f.body = NULL;
	f.body_len = 17 * 1024 * 1024;
	EXPECT(&o, 1, "--token", "t", "jobs", "list");
	contains(o.err, "larger than");
	ork_out_free(&o);
	fake_stop(&f);		/* joins the server: then the buffers go */
	free(line);
	free(big);
}

/* ---- the bash completion script ------------------------------------- */

static void
complete(const char *words, int cword, const char *want)
{
	char		script[2048], bash_path[] = "/bin/bash";
	const char	*root = h_env("ORK_TEST_ROOT");
	int		out[2], status;
	pid_t		pid;
	ssize_t		n;
	char		buf[4096];

	snprintf(script, sizeof(script), "source '%s/deploy/completion/"
	    "ork.bash' && COMP_WORDS=(%s) && COMP_CWORD=%d && "
	    "COMP_LINE=\"${COMP_WORDS[*]}\" && _ork && "
	    "printf '%%s\\n' \"${COMPREPLY[@]}\"", root, words, cword);
	assert_int_equal(pipe(out), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char env[H_PATH_MAX * 2];

		dup2(out[1], 1);
		close(out[0]);
		setenv("ORK_URL", ork_url, 1);
		snprintf(env, sizeof(env), "%s/xdg", ork_home);
		setenv("XDG_CONFIG_HOME", env, 1);
		/* the script asks "ork jobs list -q" for job ids */
		snprintf(env, sizeof(env), "%s:%s", h_env("ORK_TEST_BIN"),
		    getenv("PATH") != NULL ? getenv("PATH") : "/usr/bin:/bin");
		setenv("PATH", env, 1);
		execl(bash_path, "bash", "-c", script, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	n = read(out[0], buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(out[0]);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("completion of \"%s\" failed: %s", words, buf);
	contains(buf, want);
}

static void
test_completion(void **state)
{
	(void)state;
	set_home("completion");
	snprintf(ork_url, sizeof(ork_url), "http://127.0.0.1:%d",
	    h_free_port());
	complete("ork jo", 1, "jobs\n");
	complete("ork jobs ap", 2, "apply\n");
	complete("ork runs l", 2, "list\n");
	complete("ork run x --w", 3, "--wait\n");
	complete("ork --js", 1, "--json\n");
	complete("ork help wa", 2, "watch\n");
	complete("ork runs list --status f", 4, "failed\n");
}

/* ---- against the real daemons --------------------------------------- */

static struct api_stack	st;

/* A job whose command succeeds, one that fails, one that takes long. */
static const char job_ok[] =
    "{\"job_name\": \"greet\", \"description\": \"says hello\", "
    "\"tasks\": [{\"task_name\": \"hello\", \"extractor_config\": "
    "{\"type\": \"command\", \"argv\": [\"/bin/echo\", \"hello from "
    "ork\"]}}]}";
static const char job_ok2[] =
    "{\"job_name\": \"greet\", \"description\": \"says hello twice\", "
    "\"tasks\": [{\"task_name\": \"hello\", \"extractor_config\": "
    "{\"type\": \"command\", \"argv\": [\"/bin/echo\", \"hello from "
    "ork\"]}}, {\"task_name\": \"again\", \"extractor_config\": "
    "{\"type\": \"command\", \"argv\": [\"/bin/echo\", \"hello "
    "again\"]}}]}";
static const char job_fail[] =
    "{\"job_name\": \"breaks\", \"tasks\": [{\"task_name\": \"boom\", "
    "\"max_attempts\": 1, \"extractor_config\": {\"type\": \"command\", "
    "\"argv\": [\"/bin/sh\", \"-c\", \"echo about to fail; exit 3\"]}}]}";
static const char job_nightly[] =
    "{\"job_name\": \"nightly\", \"schedule\": \"0 0 3 * * *\", "
    "\"is_active\": false, \"tasks\": [{\"extractor_config\": "
    "{\"type\": \"noop\"}}]}";
static const char job_talk[] =
    "{\"job_name\": \"talk\", \"tasks\": [{\"extractor_config\": "
    "{\"type\": \"command\", \"argv\": [\"/bin/sh\", \"-c\", "
    "\"echo first; sleep 2; echo second\"]}}]}";
static const char job_slow[] =
    "{\"job_name\": \"slow\", \"tasks\": "
    "[{\"task_name\": \"nap\", \"max_attempts\": 1, \"extractor_config\": "
    "{\"type\": \"command\", \"argv\": [\"/bin/sleep\", \"60\"]}}]}";

static void
start_stack(const char *name)
{
	set_home(name);
	api_stack_start(&st, name, API_WITH_ORCH | API_WITH_WORKER, NULL,
	    NULL);
	snprintf(ork_url, sizeof(ork_url), "%s", st.base);
}

static void
login(void)
{
	struct ork_out	o;
	struct stat	sb;
	char		path[H_PATH_MAX], *text;

	/* a wrong password is an authentication failure */
	expect_rc(&o, 4, "not-the-password\n", NULL, (const char *const []){
	    "login", "--username", "admin", "--password-stdin", NULL });
	ork_out_free(&o);
	conf_file(path, sizeof(path));
	assert_int_not_equal(access(path, F_OK), 0);

	expect_rc(&o, 0, API_ADMIN_PASSWORD "\n", NULL,
	    (const char *const []){ "login", "--username", "admin",
	    "--password-stdin", NULL });
	contains(o.out, "logged in");
	ork_out_free(&o);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	text = h_read_file(path);
	assert_non_null(text);
	contains(text, "token = ork_");
	contains(text, st.base);
	free(text);
	/* the folder is private too, and no temporary file is left */
	snprintf(path, sizeof(path), "%s/xdg/ork", ork_home);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	{
		DIR		*d = opendir(path);
		struct dirent	*e;
		int		 files = 0;

		assert_non_null(d);
		while ((e = readdir(d)) != NULL)
			files += e->d_name[0] != '.';
		closedir(d);
		assert_int_equal(files, 1);
	}
}

static int
count_items(const struct ork_out *o)
{
	cJSON	*j = json_of(o);
	int	 n = cJSON_GetArraySize(cJSON_GetObjectItem(j, "items"));

	cJSON_Delete(j);
	return n;
}

static void
test_jobs(void **state)
{
	struct ork_out	 o;
	cJSON		*j;
	char		 f_ok[H_PATH_MAX], f_ok2[H_PATH_MAX], id[64];
	char		 path[H_PATH_MAX];
	char		*admin_tok;

	(void)state;
	start_stack("cli_jobs");
	login();
	snprintf(f_ok, sizeof(f_ok), "%s/greet.json", ork_home);
	snprintf(f_ok2, sizeof(f_ok2), "%s/greet2.json", ork_home);
	write_file(f_ok, job_ok);
	write_file(f_ok2, job_ok2);

	/* apply twice: one job, changed the second time */
	EXPECT(&o, 0, "jobs", "apply", "-f", f_ok);
	contains(o.out, "created job \"greet\"");
	ork_out_free(&o);
	EXPECT(&o, 0, "jobs", "apply", "-f", f_ok2, "--json");
	j = json_of(&o);
	assert_string_equal(api_str(j, "description"), "says hello twice");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "tasks")),
	    2);
	snprintf(id, sizeof(id), "%s", api_str(j, "job_id"));
	cJSON_Delete(j);
	ork_out_free(&o);
	EXPECT(&o, 0, "jobs", "list", "--json");
	assert_int_equal(count_items(&o), 1);
	ork_out_free(&o);
	/* the same through stdin, and --quiet prints only the id */
	expect_rc(&o, 0, job_ok2, NULL, (const char *const []){ "jobs",
	    "apply", "-f", "-", "-q", NULL });
	line_is(o.out, id);
	ork_out_free(&o);
	EXPECT(&o, 0, "jobs", "list", "-q");
	assert_int_equal(strlen(o.out), 37);
	ork_out_free(&o);

	/* create: a second job of the same name is refused by the API */
	EXPECT(&o, 1, "jobs", "create", "-f", f_ok);
	contains(o.err, "greet");
	ork_out_free(&o);
	snprintf(path, sizeof(path), "%s/breaks.json", ork_home);
	write_file(path, job_fail);
	EXPECT(&o, 0, "jobs", "create", "-f", path, "--json");
	j = json_of(&o);
	assert_string_equal(api_str(j, "job_name"), "breaks");
	cJSON_Delete(j);
	ork_out_free(&o);
	/* the API's own refusal names the field */
	write_file(path, "{\"job_name\": \"x\", \"tasks\": [{"
	    "\"extractor_config\": {\"type\": \"teleport\"}}]}");
	EXPECT(&o, 1, "jobs", "create", "-f", path);
	contains(o.err, "tasks[0].extractor_config");
	ork_out_free(&o);

	/* get by name and by id */
	EXPECT(&o, 0, "jobs", "get", "greet", "--json");
	j = json_of(&o);
	assert_string_equal(api_str(j, "job_id"), id);
	cJSON_Delete(j);
	ork_out_free(&o);
	EXPECT(&o, 0, "jobs", "get", id, "--json");
	j = json_of(&o);
	assert_string_equal(api_str(j, "job_name"), "greet");
	cJSON_Delete(j);
	ork_out_free(&o);
	EXPECT(&o, 0, "jobs", "get", "greet");
	contains(o.out, "says hello twice");
	contains(o.out, "again");
	ork_out_free(&o);

	/* what get --json prints can be applied again as it is */
	EXPECT(&o, 0, "jobs", "get", "greet", "--json");
	write_file(path, o.out);
	ork_out_free(&o);
	EXPECT(&o, 0, "jobs", "apply", "-f", path);
	contains(o.out, "updated job \"greet\"");
	ork_out_free(&o);
	EXPECT(&o, 0, "jobs", "list", "--json");
	assert_int_equal(count_items(&o), 2);
	ork_out_free(&o);

	/* the API refuses a secret given in clear, naming it */
	EXPECT(&o, 1, "run", "greet", "--param", "api_token=hunter2");
	contains(o.err, "params.api_token");
	ork_out_free(&o);

	/* update, pause, resume */
	EXPECT(&o, 0, "jobs", "update", "greet", "-f", f_ok);
	contains(o.out, "updated job \"greet\"");
	ork_out_free(&o);
	EXPECT(&o, 0, "jobs", "pause", "greet");
	ork_out_free(&o);
	EXPECT(&o, 0, "jobs", "get", "greet", "--json");
	j = json_of(&o);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(j, "is_active")));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "tasks")),
	    1);
	cJSON_Delete(j);
	ork_out_free(&o);
	EXPECT(&o, 0, "jobs", "list", "--paused", "-q");
	line_is(o.out, id);
	ork_out_free(&o);
	EXPECT(&o, 0, "jobs", "resume", id);
	ork_out_free(&o);
	EXPECT(&o, 0, "jobs", "list", "--active", "--json");
	assert_int_equal(count_items(&o), 2);
	ork_out_free(&o);

	/* a table, aligned, as the snapshot has it */
	snprintf(path, sizeof(path), "%s/nightly.json", ork_home);
	write_file(path, job_nightly);
	EXPECT(&o, 0, "jobs", "create", "-f", path);
	ork_out_free(&o);
	EXPECT(&o, 0, "jobs", "list");
	snapshot("jobs_list", o.out);
	assert_null(strchr(o.out, '\033'));	/* not a terminal: no colour */
	ork_out_free(&o);
	/* on a terminal: statuses in colour, unless NO_COLOR or --no-color */
	assert_int_equal(ork_tty(&o, NULL, (const char *const []){ "jobs",
	    "list", NULL }, NULL), 0);
	contains(o.out, "\033[35mpaused\033[0m");
	contains(o.out, "\033[32mactive\033[0m");
	ork_out_free(&o);
	assert_int_equal(ork_tty(&o, (const char *const []){ "NO_COLOR=1",
	    NULL }, (const char *const []){ "jobs", "list", NULL }, NULL), 0);
	contains(o.out, "paused");
	assert_null(strchr(o.out, '\033'));
	ork_out_free(&o);
	assert_int_equal(ork_tty(&o, NULL, (const char *const []){ "jobs",
	    "list", "--no-color", NULL }, NULL), 0);
	contains(o.out, "paused");
	assert_null(strchr(o.out, '\033'));
	ork_out_free(&o);

	/* completion offers the jobs' ids where a JOB goes */
	complete("ork jobs get ''", 3, id);
	complete("ork run ''", 2, id);

	/* unknown jobs: 3 */
	EXPECT(&o, 3, "jobs", "get", "no such job");
	contains(o.err, "no such job");
	ork_out_free(&o);
	EXPECT(&o, 3, "jobs", "get", "01a208db-022f-7608-abc6-d37dc0c5113c");
	ork_out_free(&o);
	EXPECT(&o, 3, "run", "no such job");
	ork_out_free(&o);
	EXPECT(&o, 3, "jobs", "delete", "no such job");
	ork_out_free(&o);
	EXPECT(&o, 3, "runs", "get", "01a208db-022f-7608-abc6-d37dc0c5113c");
	ork_out_free(&o);

	/* bad tokens: 4; a flag wins over the environment and the file */
	EXPECT(&o, 4, "--token", "ork_not_a_real_token", "jobs", "list");
	contains(o.err, "ork login");
	ork_out_free(&o);
	expect_rc(&o, 4, NULL, (const char *const []){ "ORK_TOKEN=ork_bad",
	    NULL }, (const char *const []){ "jobs", "list", NULL });
	ork_out_free(&o);
	admin_tok = api_login(&st, "admin", API_ADMIN_PASSWORD);
	{
		char env[600];

		snprintf(env, sizeof(env), "ORK_TOKEN=%s", admin_tok);
		expect_rc(&o, 0, NULL, (const char *const []){ env, NULL },
		    (const char *const []){ "jobs", "list", "-q", NULL });
		ork_out_free(&o);
	}
	/* the file's token goes only to the URL it was made for */
	{
		char env[256];

		snprintf(env, sizeof(env), "ORK_URL=http://localhost:%d/",
		    st.port);
		expect_rc(&o, 4, NULL, (const char *const []){ env, NULL },
		    (const char *const []){ "jobs", "list", NULL });
		ork_out_free(&o);
	}
	free(admin_tok);

	/* delete */
	EXPECT(&o, 0, "jobs", "delete", "breaks", "-q");
	ork_out_free(&o);
	EXPECT(&o, 3, "jobs", "get", "breaks");
	ork_out_free(&o);
	api_teardown(NULL);
}

/* run_id_of runs a job with --quiet and returns its run id. */
static void
run_quiet(const char *job, char *run, size_t len)
{
	struct ork_out o;

	EXPECT(&o, 0, "run", job, "-q");
	assert_int_equal(strlen(o.out), 37);
	snprintf(run, len, "%.36s", o.out);
	ork_out_free(&o);
}

static void
test_runs(void **state)
{
	struct ork_out	 o;
	cJSON		*j, *items;
	char		 path[H_PATH_MAX], run[64], task[64], run2[64];

	(void)state;
	start_stack("cli_runs");
	login();
	snprintf(path, sizeof(path), "%s/job.json", ork_home);
	write_file(path, job_ok);
	EXPECT(&o, 0, "jobs", "apply", "-f", path);
	ork_out_free(&o);
	write_file(path, job_fail);
	EXPECT(&o, 0, "jobs", "apply", "-f", path);
	ork_out_free(&o);
	write_file(path, job_slow);
	EXPECT(&o, 0, "jobs", "apply", "-f", path);
	ork_out_free(&o);

	/* --wait: 0 when it succeeds, with the tasks' changes */
	EXPECT(&o, 0, "run", "greet", "--wait", "--param", "day=2024-05-01");
	contains(o.out, "started run ");
	contains(o.out, "task 0 (hello): success");
	contains(o.out, " success in ");
	ork_out_free(&o);
	/* ... 1 when its command fails */
	EXPECT(&o, 1, "run", "breaks", "--wait");
	contains(o.out, "task 0 (boom): failed");
	contains(o.out, "exited with status 3");
	contains(o.err, "failed");
	ork_out_free(&o);
	EXPECT(&o, 1, "run", "breaks", "--wait", "--json");
	j = json_of(&o);
	assert_string_equal(api_str(j, "status"), "failed");
	cJSON_Delete(j);
	ork_out_free(&o);

	/* runs list and its filters */
	EXPECT(&o, 0, "runs", "list", "--json");
	assert_int_equal(count_items(&o), 3);
	ork_out_free(&o);
	EXPECT(&o, 0, "runs", "list", "--job", "breaks", "--json");
	j = json_of(&o);
	items = cJSON_GetObjectItem(j, "items");
	assert_int_equal(cJSON_GetArraySize(items), 2);
	assert_string_equal(api_str(cJSON_GetArrayItem(items, 0), "job_name"),
	    "breaks");
	cJSON_Delete(j);
	ork_out_free(&o);
	EXPECT(&o, 0, "runs", "list", "--status", "success", "--json");
	j = json_of(&o);
	items = cJSON_GetObjectItem(j, "items");
	assert_int_equal(cJSON_GetArraySize(items), 1);
	snprintf(run, sizeof(run), "%s", api_str(cJSON_GetArrayItem(items, 0),
	    "run_id"));
	assert_string_equal(api_str(cJSON_GetObjectItem(cJSON_GetArrayItem(
	    items, 0), "params"), "day"), "2024-05-01");
	cJSON_Delete(j);
	ork_out_free(&o);
	EXPECT(&o, 0, "runs", "list", "--limit", "1", "-q");
	assert_int_equal(strlen(o.out), 37);
	ork_out_free(&o);
	EXPECT(&o, 0, "runs", "list");
	snapshot("runs_list", o.out);
	ork_out_free(&o);

	/* one run, its tasks and their logs */
	EXPECT(&o, 0, "runs", "get", run, "--json");
	j = json_of(&o);
	assert_string_equal(api_str(j, "status"), "success");
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j,
	    "task_counts"), "success")->valueint, 1);
	cJSON_Delete(j);
	ork_out_free(&o);
	EXPECT(&o, 0, "runs", "get", run);
	contains(o.out, "status         success");
	contains(o.out, "day");
	ork_out_free(&o);
	EXPECT(&o, 0, "runs", "tasks", run, "--json");
	j = json_of(&o);
	items = cJSON_GetObjectItem(j, "items");
	assert_int_equal(cJSON_GetArraySize(items), 1);
	snprintf(task, sizeof(task), "%s", api_str(cJSON_GetArrayItem(items,
	    0), "task_run_id"));
	cJSON_Delete(j);
	ork_out_free(&o);
	EXPECT(&o, 0, "runs", "tasks", run);
	snapshot("runs_tasks", o.out);
	ork_out_free(&o);
	EXPECT(&o, 0, "logs", task);
	contains(o.out, "stdout hello from ork");
	ork_out_free(&o);
	EXPECT(&o, 0, "logs", task, "-q");
	contains(o.out, "hello from ork\n");
	ork_out_free(&o);
	EXPECT(&o, 0, "logs", task, "--follow", "--attempt", "1");
	contains(o.out, "hello from ork");
	ork_out_free(&o);
	EXPECT(&o, 0, "logs", task, "--json");
	j = json_of(&o);
	assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(j, "items")) >= 1);
	cJSON_Delete(j);
	ork_out_free(&o);
	EXPECT(&o, 3, "logs", "01a208db-022f-7608-abc6-d37dc0c5113c");
	ork_out_free(&o);

	/* --follow from the start of a task to its end */
	write_file(path, job_talk);
	EXPECT(&o, 0, "jobs", "apply", "-f", path);
	ork_out_free(&o);
	run_quiet("talk", run2, sizeof(run2));
	EXPECT(&o, 0, "runs", "tasks", run2, "-q");
	snprintf(task, sizeof(task), "%.36s", o.out);
	ork_out_free(&o);
	EXPECT(&o, 0, "logs", task, "--follow");
	contains(o.out, "stdout first");
	contains(o.out, "stdout second");
	assert_true(strstr(o.out, "first") < strstr(o.out, "second"));
	ork_out_free(&o);
	EXPECT(&o, 0, "runs", "get", run2, "--json");
	j = json_of(&o);
	assert_string_equal(api_str(j, "status"), "success");
	cJSON_Delete(j);
	ork_out_free(&o);

	/* watch a run from its start to its end */
	EXPECT(&o, 0, "watch", run);
	contains(o.out, " run  ");
	contains(o.out, "greet  success");
	contains(o.out, " task ");
	ork_out_free(&o);
	EXPECT(&o, 0, "watch", run, "--json");
	{
		int	 lines = 0;
		char	*copy = strdup(o.out), *rest = copy, *l;

		assert_non_null(copy);
		while ((l = next_line(&rest)) != NULL) {
			j = cJSON_Parse(l);
			assert_non_null(j);
			assert_string_equal(api_str(j, "run_id"), run);
			cJSON_Delete(j);
			lines++;
		}
		free(copy);
		assert_true(lines >= 4);	/* queued, running x2, success */
	}
	ork_out_free(&o);

	/* cancel a long run, watch it end cancelled (1), retry it */
	run_quiet("slow", run2, sizeof(run2));
	assert_true(api_wait_run(&st, run2, "running", 20000));
	EXPECT(&o, 0, "runs", "cancel", run2, "--reason", "test");
	contains(o.out, "cancel");
	ork_out_free(&o);
	EXPECT(&o, 1, "watch", run2);
	contains(o.out, "cancelled");
	ork_out_free(&o);
	EXPECT(&o, 1, "runs", "cancel", run2);
	contains(o.err, "cancelled");
	ork_out_free(&o);
	EXPECT(&o, 0, "runs", "retry", run2);
	contains(o.out, "retrying run");
	ork_out_free(&o);
	assert_true(api_wait_run(&st, run2, "running", 20000));
	EXPECT(&o, 0, "runs", "cancel", run2, "-q");
	line_is(o.out, run2);
	ork_out_free(&o);
	EXPECT(&o, 1, "runs", "retry", run);
	contains(o.err, "failed or");
	ork_out_free(&o);

	/* live: ork watch prints a run started after it */
	{
		struct h_proc	 p;
		char		*log = NULL, url_env[200];
		char		 xdg_env[H_PATH_MAX + 32];
		const char	*env[] = { url_env, xdg_env, NULL };

		snprintf(url_env, sizeof(url_env), "ORK_URL=%s", st.base);
		snprintf(xdg_env, sizeof(xdg_env), "XDG_CONFIG_HOME=%s/xdg",
		    ork_home);
		h_spawn(&p, "cli_runs-watch", "ork", (const char *const []){
		    "watch", "--job", "greet", NULL }, env);
		if (!h_wait_log(&p, "ork: watching the events of", 20000))
			fail_msg("ork watch did not connect (see %s)", p.log);
		run_quiet("greet", run2, sizeof(run2));
		assert_true(api_wait_run(&st, run2, "success", 20000));
		if (!h_wait_log(&p, "greet  success", 10000)) {
			log = h_read_file(p.log);
			fail_msg("ork watch printed: %s", log ? log : "");
		}
		/* ork-api restarts: the stream comes back where it was */
		h_kill(&st.api);
		h_sleep_ms(500);
		api_start_api(&st, "cli_runs-api2", NULL, NULL);
		run_quiet("greet", run2, sizeof(run2));
		assert_true(api_wait_run(&st, run2, "success", 20000));
		/* a run and its task each print "greet  success" */
		for (int waited = 0; h_log_count(&p, "greet  success") < 4 &&
		    waited < 10000; waited += 100)
			h_sleep_ms(100);
		log = h_read_file(p.log);
		assert_non_null(log);
		if (h_log_count(&p, "greet  success") != 4 ||
		    strstr(log, "reconnecting") == NULL ||
		    strstr(log, "reconnected") == NULL)
			fail_msg("ork watch printed: %s", log);
		/* each event once: the reconnection asked from the last id */
		assert_int_equal(h_log_count(&p, "greet  queued"), 2);
		h_kill(&p);
		free(log);
	}
	api_teardown(NULL);
}

static void
test_admin(void **state)
{
	struct ork_out	 o;
	cJSON		*j;
	char		 tok_id[64], token[256], env[400], path[H_PATH_MAX];
	char		*text;

	(void)state;
	start_stack("cli_admin");
	/* status works without a token, but cannot show workers */
	EXPECT(&o, 0, "status");
	contains(o.out, "database      ready");
	contains(o.out, "orchestrator  ready");
	contains(o.out, "log in");
	ork_out_free(&o);
	login();
	/*
	 * on a terminal: the username is echoed (the last one is the
	 * default), the password never
	 */
	assert_int_equal(ork_tty(&o, NULL, (const char *const []){ "login",
	    NULL }, (const char *const []){ "Username [admin]: ", "\n",
	    "Password: ", API_ADMIN_PASSWORD "\n", NULL }), 0);
	contains(o.out, "as admin (admin)");
	contains(o.out, "logged in to ");
	assert_null(strstr(o.out, API_ADMIN_PASSWORD));
	ork_out_free(&o);
	/* a new user's password is asked twice, and must match */
	assert_int_equal(ork_tty(&o, NULL, (const char *const []){ "users",
	    "create", "tess", NULL }, (const char *const []){ "Password: ",
	    "tess-password-1\n", "Again: ", "tess-password-2\n", NULL }), 2);
	contains(o.out, "differ");
	assert_null(strstr(o.out, "tess-password"));
	ork_out_free(&o);
	assert_int_equal(ork_tty(&o, NULL, (const char *const []){ "users",
	    "create", "tess", NULL }, (const char *const []){ "Password: ",
	    "tess-password-1\n", "Again: ", "tess-password-1\n", NULL }), 0);
	contains(o.out, "created user \"tess\" (viewer)");
	ork_out_free(&o);
	EXPECT(&o, 0, "users", "delete", "tess");
	ork_out_free(&o);
	EXPECT(&o, 0, "status");
	contains(o.out, "workers       active  (1 of 1)");
	contains(o.out, "w1");
	ork_out_free(&o);
	EXPECT(&o, 0, "status", "--json");
	j = json_of(&o);
	assert_string_equal(api_str(cJSON_GetObjectItem(j, "ready"), "status"),
	    "ready");
	assert_string_equal(api_str(cJSON_GetArrayItem(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(j, "workers"), "items"), 0), "worker_id"), "w1");
	cJSON_Delete(j);
	ork_out_free(&o);
	EXPECT(&o, 0, "health");
	ork_out_free(&o);

	/* users */
	expect_rc(&o, 0, "viewer-password-1\n", NULL, (const char *const []){
	    "users", "create", "vera", "--role", "viewer", "--password-stdin",
	    NULL });
	contains(o.out, "created user \"vera\" (viewer)");
	ork_out_free(&o);
	expect_rc(&o, 1, "viewer-password-1\n", NULL, (const char *const []){
	    "users", "create", "vera", "--password-stdin", NULL });
	ork_out_free(&o);
	EXPECT(&o, 0, "users", "list", "--json");
	assert_int_equal(count_items(&o), 2);
	ork_out_free(&o);
	EXPECT(&o, 0, "users", "list");
	snapshot("users_list", o.out);
	ork_out_free(&o);

	/* tokens: created for vera, listed, refused where she may not */
	EXPECT(&o, 0, "tokens", "create", "ci", "--user", "vera",
	    "--expires-in-days", "2", "--json");
	j = json_of(&o);
	snprintf(tok_id, sizeof(tok_id), "%s", api_str(j, "token_id"));
	snprintf(token, sizeof(token), "%s", api_str(j, "token"));
	assert_string_equal(api_str(j, "username"), "vera");
	cJSON_Delete(j);
	ork_out_free(&o);
	EXPECT(&o, 0, "tokens", "list", "--json");
	assert_int_equal(count_items(&o), 1);
	ork_out_free(&o);
	EXPECT(&o, 0, "tokens", "list", "-q");
	line_is(o.out, tok_id);
	ork_out_free(&o);
	snprintf(env, sizeof(env), "ORK_TOKEN=%s", token);
	expect_rc(&o, 0, NULL, (const char *const []){ env, NULL },
	    (const char *const []){ "jobs", "list", NULL });
	ork_out_free(&o);
	snprintf(path, sizeof(path), "%s/job.json", ork_home);
	write_file(path, job_ok);
	expect_rc(&o, 4, NULL, (const char *const []){ env, NULL },
	    (const char *const []){ "jobs", "apply", "-f", path, NULL });
	contains(o.err, "not allowed");
	ork_out_free(&o);
	expect_rc(&o, 4, NULL, (const char *const []){ env, NULL },
	    (const char *const []){ "users", "list", NULL });
	ork_out_free(&o);
	EXPECT(&o, 0, "tokens", "revoke", tok_id);
	ork_out_free(&o);
	expect_rc(&o, 4, NULL, (const char *const []){ env, NULL },
	    (const char *const []){ "jobs", "list", NULL });
	ork_out_free(&o);
	EXPECT(&o, 2, "tokens", "revoke", "nope");
	ork_out_free(&o);
	EXPECT(&o, 0, "users", "delete", "vera");
	ork_out_free(&o);
	EXPECT(&o, 3, "users", "delete", "vera");
	ork_out_free(&o);

	/* a token others may read is pointed out */
	conf_file(path, sizeof(path));
	assert_int_equal(chmod(path, 0644), 0);
	EXPECT(&o, 0, "jobs", "list", "-q");
	contains(o.err, "chmod 600");
	ork_out_free(&o);
	assert_int_equal(chmod(path, 0600), 0);
	EXPECT(&o, 0, "jobs", "list", "-q");
	assert_string_equal(o.err, "");
	ork_out_free(&o);

	/* the orchestrator away: not ready, exit 1 */
	h_kill(&st.orch);
	EXPECT(&o, 1, "status");
	contains(o.out, "orchestrator  not ready");
	contains(o.out, "database      ready");
	contains(o.err, "not ready");
	ork_out_free(&o);

	/* logout revokes the token and forgets it, keeping the URL */
	EXPECT(&o, 0, "logout");
	ork_out_free(&o);
	conf_file(path, sizeof(path));
	text = h_read_file(path);
	assert_non_null(text);
	assert_null(strstr(text, "token ="));
	contains(text, st.base);
	free(text);
	EXPECT(&o, 4, "jobs", "list");
	ork_out_free(&o);
	EXPECT(&o, 4, "logout");
	ork_out_free(&o);
	/* the file's user is the one logging in when none is given */
	expect_rc(&o, 0, API_ADMIN_PASSWORD "\n", NULL, (const char *const []){
	    "login", "--password-stdin", NULL });
	contains(o.out, "as admin (admin)");
	ork_out_free(&o);
	EXPECT(&o, 0, "jobs", "list", "-q");
	ork_out_free(&o);
	api_teardown(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_bad_answers),
		cmocka_unit_test(test_completion),
		cmocka_unit_test_teardown(test_jobs, api_teardown),
		cmocka_unit_test_teardown(test_runs, api_teardown),
		cmocka_unit_test_teardown(test_admin, api_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
