/*
 * web_test.c - the web page ork-api serves, from outside: its files and
 * headers with curl, then the page itself in headless Chromium
 * (tests/browser/web.mjs, driven by playwright-core) against the real
 * daemons: sign in, a job made through the API, run from the page, the
 * run followed live to success, its tasks, timeline and logs, a run
 * missed while ork-api restarted, a failed run's error, a cancel, what a
 * viewer may do, a narrow screen, no request anywhere but ork-api.
 *
 * web.mjs reports each of its steps on one line ("ok - NAME" or "not
 * ok - NAME - WHY"); each browser test here reads the next line and
 * checks it is its own step and that it passed.  Node, Chromium and
 * playwright-core are required: without them these tests fail (make
 * deps installs them), they never skip.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api_util.h"

#define WEB_STEP_TIMEOUT_MS	120000

static struct api_stack	stack;
static int		stack_up;

/* The browser script running as a child, its stdout on a pipe. */
static struct {
	pid_t	pid;
	int	fd;
	int	spawned;
	int	exited;
	int	status;
	char	buf[8192];
	size_t	len;
	char	log[H_PATH_MAX];
} node = { -1, -1, 0, 0, 0, "", 0, "" };

/* node_path finds node on PATH; 0 when there is none. */
static int
node_path(char *buf, size_t len)
{
	const char	*path = getenv("PATH");
	const char	*p = path != NULL ? path : "/usr/local/bin:/usr/bin:/bin";

	while (*p != '\0') {
		size_t n = strcspn(p, ":");

		snprintf(buf, len, "%.*s/node", (int)n, p);
		if (n > 0 && access(buf, X_OK) == 0)
			return 1;
		p += n;
		if (*p == ':')
			p++;
	}
	return 0;
}

static const char *
chromium_path(void)
{
	const char *p = getenv("ORK_CHROMIUM");

	return p != NULL && p[0] != '\0' ? p : "/usr/bin/chromium";
}

static void
playwright_dir(char *buf, size_t len)
{
	const char *deps = getenv("ORK_DEPS_DIR");

	if (deps != NULL && deps[0] != '\0')
		snprintf(buf, len, "%s/playwright-core", deps);
	else
		snprintf(buf, len, "%s/.deps/playwright-core",
		    h_env("ORK_TEST_ROOT"));
}

/* Node, Chromium and playwright-core are there and run. */
static void
test_tools_present(void **state)
{
	const char	*args[] = { "--version", NULL };
	char		 pw[H_PATH_MAX], index[H_PATH_MAX + 16];
	char		 nodebin[H_PATH_MAX];

	(void)state;
	if (!node_path(nodebin, sizeof(nodebin)))
		fail_msg("node is not on PATH: install Node.js (make deps)");
	if (h_run("web-node-version", nodebin, args, NULL, 20000) != 0)
		fail_msg("%s --version failed", nodebin);
	if (access(chromium_path(), X_OK) != 0)
		fail_msg("%s is missing: install Debian's chromium (make deps)",
		    chromium_path());
	if (h_run("web-chromium-version", chromium_path(), args, NULL,
	    30000) != 0)
		fail_msg("%s --version failed", chromium_path());
	playwright_dir(pw, sizeof(pw));
	snprintf(index, sizeof(index), "%s/index.mjs", pw);
	if (access(index, R_OK) != 0)
		fail_msg("%s is missing: run deploy/fetch-deps.sh playwright "
		    "(make deps)", index);
}

/* need_stack starts the daemons once (a failed start is not retried). */
static void
need_stack(void)
{
	if (!stack_up) {
		stack_up = 1;
		api_stack_start(&stack, "web", API_WITH_ORCH | API_WITH_WORKER,
		    NULL, NULL);
	}
}

/* GET / and its files: types, ETag, Cache-Control, CSP, no token. */
static void
test_page_served(void **state)
{
	static const struct {
		const char *path, *type;
	} files[] = {
		{ "/", "text/html; charset=utf-8" },
		{ "/ui/app.js", "text/javascript; charset=utf-8" },
		{ "/ui/api.js", "text/javascript; charset=utf-8" },
		{ "/ui/events.js", "text/javascript; charset=utf-8" },
		{ "/ui/chart.js", "text/javascript; charset=utf-8" },
		{ "/ui/style.css", "text/css; charset=utf-8" },
		{ "/ui/icon.svg", "image/svg+xml" },
	};
	struct api_resp	r;
	char		v[512];

	(void)state;
	need_stack();
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (api_call(&stack, "GET", files[i].path, NULL, NULL,
		    &r) != 200)
			fail_msg("GET %s: %ld", files[i].path, r.status);
		api_header(&r, "Content-Type", v, sizeof(v));
		if (strcmp(v, files[i].type) != 0)
			fail_msg("GET %s: Content-Type %s, want %s",
			    files[i].path, v, files[i].type);
		api_header(&r, "ETag", v, sizeof(v));
		if (strlen(v) != 34 || v[0] != '"' || v[33] != '"')
			fail_msg("GET %s: ETag %s is not a strong tag",
			    files[i].path, v);
		api_header(&r, "Cache-Control", v, sizeof(v));
		assert_string_equal(v, "no-cache");
		api_header(&r, "Content-Security-Policy", v, sizeof(v));
		if (strstr(v, "default-src 'self'") == NULL ||
		    strstr(v, "unsafe") != NULL || strstr(v, "http") != NULL)
			fail_msg("GET %s: Content-Security-Policy %s",
			    files[i].path, v);
		api_header(&r, "X-Content-Type-Options", v, sizeof(v));
		assert_string_equal(v, "nosniff");
		assert_non_null(r.body);
		assert_true(strlen(r.body) > 100);
		api_resp_free(&r);
	}
	/* the page loads its script as a module from ork-api itself */
	assert_int_equal(api_call(&stack, "GET", "/", NULL, NULL, &r), 200);
	assert_non_null(strstr(r.body, "<script type=\"module\" "
	    "src=\"/ui/app.js\">"));
	assert_null(strstr(r.body, "http://"));
	assert_null(strstr(r.body, "https://"));
	api_resp_free(&r);
}

/* If-None-Match answers 304 without a body; HEAD has no body. */
static void
test_page_revalidated(void **state)
{
	struct api_resp	 r;
	char		 etag[128], inm[192], v[128];
	const char	*extra[] = { inm, NULL };

	(void)state;
	need_stack();
	assert_int_equal(api_call(&stack, "GET", "/ui/app.js", NULL, NULL,
	    &r), 200);
	api_header(&r, "ETag", etag, sizeof(etag));
	api_resp_free(&r);
	snprintf(inm, sizeof(inm), "If-None-Match: \"nope\", %s", etag);
	assert_int_equal(api_call_ct(&stack, "GET", "/ui/app.js", NULL, "",
	    NULL, 0, extra, &r), 304);
	assert_true(r.body == NULL || r.body[0] == '\0');
	api_header(&r, "ETag", v, sizeof(v));
	assert_string_equal(v, etag);
	api_resp_free(&r);
	/* another file's tag does not match */
	assert_int_equal(api_call_ct(&stack, "GET", "/ui/style.css", NULL,
	    "", NULL, 0, extra, &r), 200);
	api_resp_free(&r);
	/* a weak comparison and "*" match; malformed lists do not */
	{
		static char	 longv[4096];
		char		 weak[192];
		const char	*cases[][2] = {
			{ weak, "304" }, { "If-None-Match: *", "304" },
			{ "If-None-Match: ,, ,", "200" },
			{ "If-None-Match: W/", "200" },
			{ "If-None-Match: \"", "200" },
			{ longv, "200" },
		};

		snprintf(weak, sizeof(weak), "If-None-Match: W/%s", etag);
		memset(longv, 'x', sizeof(longv) - 1);
		memcpy(longv, "If-None-Match: \"", 16);
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			const char *one[] = { cases[i][0], NULL };
			long	    want = strtol(cases[i][1], NULL, 10);

			if (api_call_ct(&stack, "GET", "/ui/app.js", NULL, "",
			    NULL, 0, one, &r) != want)
				fail_msg("%.40s: %ld, want %ld", cases[i][0],
				    r.status, want);
			api_resp_free(&r);
		}
	}
	assert_int_equal(api_call(&stack, "HEAD", "/", NULL, NULL, &r), 200);
	assert_true(r.body == NULL || r.body[0] == '\0');
	api_header(&r, "Content-Length", v, sizeof(v));
	assert_true(strtol(v, NULL, 10) > 100);
	api_resp_free(&r);
}

/* Unknown files, other methods; the API itself still needs a token. */
static void
test_page_boundaries(void **state)
{
	struct api_resp	r;
	char		v[128];

	(void)state;
	need_stack();
	assert_int_equal(api_call(&stack, "GET", "/ui/nope.js", NULL, NULL,
	    &r), 404);
	api_expect_error(&r, 404, "not_found", NULL);
	api_resp_free(&r);
	assert_int_equal(api_call(&stack, "POST", "/", NULL, "{}", &r), 405);
	api_header(&r, "Allow", v, sizeof(v));
	assert_string_equal(v, "GET, HEAD");
	api_resp_free(&r);
	assert_int_equal(api_call(&stack, "GET", "/jobs", NULL, NULL, &r),
	    401);
	api_resp_free(&r);
	/* the page is not an API route: the OpenAPI document lacks it */
	assert_int_equal(api_call(&stack, "GET", "/openapi.json", NULL, NULL,
	    &r), 200);
	assert_null(strstr(r.body, "\"/ui/"));
	assert_null(strstr(r.body, "\"/\":"));
	api_resp_free(&r);
}

static void
node_spawn(void)
{
	char	pw[H_PATH_MAX], script[H_PATH_MAX], nodebin[H_PATH_MAX];
	int	pfd[2], logfd;

	need_stack();
	if (!node_path(nodebin, sizeof(nodebin)))
		fail_msg("node is not on PATH: install Node.js (make deps)");
	playwright_dir(pw, sizeof(pw));
	snprintf(script, sizeof(script), "%s/tests/browser/web.mjs",
	    h_env("ORK_TEST_ROOT"));
	snprintf(node.log, sizeof(node.log), "%s/web-browser.log",
	    h_env("ORK_TEST_OUT"));
	logfd = open(node.log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (logfd < 0)
		fail_msg("could not create %s: %s", node.log, strerror(errno));
	if (pipe2(pfd, O_CLOEXEC) != 0)
		fail_msg("pipe: %s", strerror(errno));
	node.spawned = 1;
	node.pid = fork();
	if (node.pid < 0)
		fail_msg("fork: %s", strerror(errno));
	if (node.pid == 0) {
		/* its own process group, and it dies with the test */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(pfd[1], 1);
		dup2(logfd, 2);
		setenv("ORK_WEB_URL", stack.base, 1);
		setenv("ORK_WEB_USER", "admin", 1);
		setenv("ORK_WEB_PASSWORD", API_ADMIN_PASSWORD, 1);
		setenv("ORK_PLAYWRIGHT", pw, 1);
		setenv("ORK_CHROMIUM", chromium_path(), 1);
		execl(nodebin, "node", script, (char *)NULL);
		fprintf(stderr, "could not run node: %s\n", strerror(errno));
		_exit(127);
	}
	setpgid(node.pid, node.pid);
	close(pfd[1]);
	close(logfd);
	node.fd = pfd[0];
}

static void
node_reap(int timeout_ms)
{
	for (int waited = 0; !node.exited && waited <= timeout_ms;
	    waited += 50) {
		if (waitpid(node.pid, &node.status, WNOHANG) == node.pid) {
			node.exited = 1;
			break;
		}
		h_sleep_ms(50);
	}
}

/*
 * node_line reads the next line of the browser script into line;
 * returns 0 at its end (the script exited), 1 with a line.
 */
static int
node_line(char *line, size_t len, int timeout_ms)
{
	for (int waited = 0;;) {
		char	*nl = memchr(node.buf, '\n', node.len);
		struct pollfd pfd = { node.fd, POLLIN, 0 };
		ssize_t	 n;
		int	 rc;

		if (nl != NULL) {
			size_t l = (size_t)(nl - node.buf);

			snprintf(line, len, "%.*s", (int)l, node.buf);
			memmove(node.buf, nl + 1, node.len - l - 1);
			node.len -= l + 1;
			return 1;
		}
		if (node.fd < 0 || waited >= timeout_ms)
			return 0;
		rc = poll(&pfd, 1, 500);
		waited += 500;
		if (rc <= 0)
			continue;
		n = read(node.fd, node.buf + node.len,
		    sizeof(node.buf) - node.len - 1);
		if (n <= 0) {
			close(node.fd);
			node.fd = -1;
			continue;
		}
		node.len += (size_t)n;
	}
}

static void
node_exit_text(char *buf, size_t len)
{
	node_reap(5000);
	if (!node.exited)
		snprintf(buf, len, "the browser script stopped answering "
		    "(see %s)", node.log);
	else if (WIFEXITED(node.status) && WEXITSTATUS(node.status) == 127)
		snprintf(buf, len, "node could not be run: install Node.js "
		    "(make deps); see %s", node.log);
	else if (WIFEXITED(node.status))
		snprintf(buf, len, "the browser script exited with status %d "
		    "before this step (see %s)", WEXITSTATUS(node.status),
		    node.log);
	else
		snprintf(buf, len, "the browser script was killed by signal "
		    "%d (see %s)", WTERMSIG(node.status), node.log);
}

/* restart_api stops ork-api and starts it again on the same port. */
static void
restart_api(void)
{
	int rc = h_stop(&stack.api, SIGTERM, 10000);

	if (rc != 0)
		fail_msg("ork-api stopped with status %d (see %s)", rc,
		    stack.api.log);
	api_start_api(&stack, "web-api-restarted", NULL, NULL);
}

/*
 * step checks that the browser script's next step is name and passed.
 * Meanwhile the script may ask for ork-api to be restarted ("do -
 * restart ork-api").
 */
static void
step(const char *name)
{
	char	line[2048], why[H_PATH_MAX + 128];
	size_t	n = strlen(name);

	if (!node.spawned)
		node_spawn();
	for (;;) {
		if (!node_line(line, sizeof(line), WEB_STEP_TIMEOUT_MS)) {
			node_exit_text(why, sizeof(why));
			fail_msg("%s: no result: %s", name, why);
		}
		if (strcmp(line, "do - restart ork-api") != 0)
			break;
		restart_api();
	}
	if (strncmp(line, "ok - ", 5) == 0 && strcmp(line + 5, name) == 0)
		return;
	if (strncmp(line, "not ok - ", 9) == 0 &&
	    strncmp(line + 9, name, n) == 0 && strncmp(line + 9 + n, " - ",
	    3) == 0)
		fail_msg("%s: %s (log: %s)", name, line + 12 + n, node.log);
	fail_msg("%s: the browser script said \"%s\"", name, line);
}

#define STEP(fn, name) \
	static void fn(void **state) { (void)state; step(name); }

STEP(test_browser_starts, "the browser starts")
STEP(test_browser_signin_form, "the sign-in form comes first")
STEP(test_browser_wrong_password, "a wrong password is refused")
STEP(test_browser_signin, "sign in with the keyboard")
STEP(test_browser_job_appears, "a job created through the API appears")
STEP(test_browser_run_live,
    "run now from the jobs list; the run goes to success live")
STEP(test_browser_run_page,
    "the run page shows its tasks, attempts, rows and timeline")
STEP(test_browser_logs, "task logs open and show the output")
STEP(test_browser_job_page,
    "the job page charts runs and follows a new run live")
STEP(test_browser_reconnect, "the page catches up after ork-api restarts")
STEP(test_browser_failed_run, "a failed run shows its error")
STEP(test_browser_cancel, "cancel a running run from its page")
STEP(test_browser_viewer, "a viewer sees everything and cannot run jobs")
STEP(test_browser_narrow, "a narrow screen needs no horizontal scrolling")
STEP(test_browser_requests, "every request goes to ork-api")
STEP(test_browser_no_errors, "no script errors or policy violations")
STEP(test_browser_sign_out, "sign out ends the session")

/* The script said nothing more and exited 0. */
static void
test_browser_exits(void **state)
{
	char line[2048], why[H_PATH_MAX + 128];

	(void)state;
	if (!node.spawned)
		fail_msg("the browser script never ran");
	if (node_line(line, sizeof(line), 30000))
		fail_msg("the browser script has a step this program does "
		    "not know: \"%s\"", line);
	node_reap(30000);
	if (!node.exited || !WIFEXITED(node.status) ||
	    WEXITSTATUS(node.status) != 0) {
		node_exit_text(why, sizeof(why));
		fail_msg("%s", why);
	}
}

static int
teardown_all(void **state)
{
	(void)state;
	if (node.spawned && !node.exited && node.pid > 0) {
		kill(-node.pid, SIGTERM);
		node_reap(5000);
		if (!node.exited) {
			kill(-node.pid, SIGKILL);
			node_reap(5000);
		}
	}
	if (node.pid > 0)
		kill(-node.pid, SIGKILL);	/* whatever it left behind */
	if (node.fd >= 0)
		close(node.fd);
	if (stack_up) {
		api_cur = &stack;
		api_teardown(NULL);
	}
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tools_present),
		cmocka_unit_test(test_page_served),
		cmocka_unit_test(test_page_revalidated),
		cmocka_unit_test(test_page_boundaries),
		cmocka_unit_test(test_browser_starts),
		cmocka_unit_test(test_browser_signin_form),
		cmocka_unit_test(test_browser_wrong_password),
		cmocka_unit_test(test_browser_signin),
		cmocka_unit_test(test_browser_job_appears),
		cmocka_unit_test(test_browser_run_live),
		cmocka_unit_test(test_browser_run_page),
		cmocka_unit_test(test_browser_logs),
		cmocka_unit_test(test_browser_job_page),
		cmocka_unit_test(test_browser_reconnect),
		cmocka_unit_test(test_browser_failed_run),
		cmocka_unit_test(test_browser_cancel),
		cmocka_unit_test(test_browser_viewer),
		cmocka_unit_test(test_browser_narrow),
		cmocka_unit_test(test_browser_requests),
		cmocka_unit_test(test_browser_no_errors),
		cmocka_unit_test(test_browser_sign_out),
		cmocka_unit_test(test_browser_exits),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("web", tests, NULL, teardown_all);
}
