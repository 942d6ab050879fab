/*
 * main.c - ork: the command line of ork, a client of the REST API.
 *
 * Takes the global flags out of the arguments wherever they are, works
 * out the server and the token (flags, then environment, then the
 * config file of ork login), and runs the command.  Commands and their
 * help are in the table below; docs/cli.md says the same for people.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cli.h"
#include "daemon.h"

static int cmd_health(struct cli *cli, int argc, char **argv);
static int cmd_version(struct cli *cli, int argc, char **argv);
static int cmd_help(struct cli *cli, int argc, char **argv);

/* What a command needs before it runs. */
#define NEEDS_NOTHING	0
#define NEEDS_SERVER	1

struct command {
	const char	*name;
	cmd_fn		*fn;
	int		 needs;
	const char	*summary;
	const char	*help;
};

static const struct command commands[] = {
	{ "login", cmd_login, NEEDS_SERVER, "log in and keep the token in the "
	    "config file",
	    "usage: ork login [--username NAME] [--password-stdin]\n\n"
	    "Asks for a username (unless --username; default: the last one\n"
	    "at this URL) and a password (on the terminal, without echo; or\n"
	    "one line of standard input with --password-stdin), logs in\n"
	    "with POST /auth/login and writes the server's URL and the\n"
	    "session token (valid 12 hours) into the config file,\n"
	    "$XDG_CONFIG_HOME/ork/config or ~/.config/ork/config, mode 0600.\n\n"
	    "Examples:\n"
	    "  ork --url https://ork.example.com login --username admin\n"
	    "  echo \"$PW\" | ork login --username ci --password-stdin\n" },
	{ "logout", cmd_logout, NEEDS_SERVER, "revoke the token and forget it",
	    "usage: ork logout\n\n"
	    "Revokes the session token (POST /auth/logout) and removes it from\n"
	    "the config file (the URL stays).\n\n"
	    "Example:\n"
	    "  ork logout\n" },
	{ "jobs", cmd_jobs, NEEDS_SERVER, "list, show, create, change, delete "
	    "jobs",
	    "usage: ork jobs list [--active|--paused]\n"
	    "       ork jobs get JOB\n"
	    "       ork jobs create -f FILE\n"
	    "       ork jobs apply -f FILE\n"
	    "       ork jobs update JOB -f FILE\n"
	    "       ork jobs delete JOB\n"
	    "       ork jobs pause JOB\n"
	    "       ork jobs resume JOB\n\n"
	    "JOB is a job's name or id.  FILE holds the JSON of a job as POST\n"
	    "/jobs takes it (docs/api.md), \"-\" for standard input.  apply\n"
	    "creates the job, or replaces the job of the same job_name: running\n"
	    "it twice leaves one job.  pause and resume set is_active (a paused\n"
	    "job is not fired by its schedule but can still be run by hand).\n\n"
	    "Examples:\n"
	    "  ork jobs list\n"
	    "  ork jobs apply -f daily_sales.json\n"
	    "  ork jobs get \"Daily sales\" --json\n"
	    "  ork jobs pause \"Daily sales\"\n" },
	{ "run", cmd_run, NEEDS_SERVER, "run a job now",
	    "usage: ork run JOB [--wait] [--param KEY=VALUE ...]\n\n"
	    "Starts a run of JOB (name or id) with POST /jobs/{id}/run and\n"
	    "prints its id.  --param (repeatable, at most 64) passes run\n"
	    "parameters.  --wait follows the run until it ends, printing its\n"
	    "tasks' changes; the exit code is then 1 when the run failed or\n"
	    "was cancelled.\n\n"
	    "Examples:\n"
	    "  ork run \"Daily sales\" --wait\n"
	    "  ork run nightly --param day=2024-05-01 --quiet\n" },
	{ "runs", cmd_runs, NEEDS_SERVER, "list, show, cancel, retry runs",
	    "usage: ork runs list [--job JOB] [--status STATUS] [--limit N]\n"
	    "       ork runs get RUN\n"
	    "       ork runs tasks RUN\n"
	    "       ork runs cancel RUN [--reason TEXT]\n"
	    "       ork runs retry RUN\n\n"
	    "STATUS is queued, running, success, failed or cancelled; N is 1 to\n"
	    "500 (default 20).  RUN is a run id.  tasks lists the task runs\n"
	    "with their ids, which ork logs takes.\n\n"
	    "Examples:\n"
	    "  ork runs list --job \"Daily sales\" --status failed\n"
	    "  ork runs tasks 01a208db-022f-7608-abc6-d37dc0c5113c\n"
	    "  ork runs retry 01a208db-022f-7608-abc6-d37dc0c5113c\n" },
	{ "logs", cmd_logs, NEEDS_SERVER, "print the output of a task run",
	    "usage: ork logs TASK [--attempt N] [--follow]\n\n"
	    "Prints the captured output of the task run TASK (an id from ork\n"
	    "runs tasks), oldest first.  --follow keeps printing new lines\n"
	    "until the task run ends.\n\n"
	    "Example:\n"
	    "  ork logs 01a208db-0230-7d1c-aec0-f1d9adef8dda --follow\n" },
	{ "watch", cmd_watch, NEEDS_SERVER, "print run and task changes as they "
	    "happen",
	    "usage: ork watch [RUN] [--job JOB]\n\n"
	    "Follows the server's event stream (GET /events) and prints a line\n"
	    "per change.  With RUN it starts with the run's past changes and\n"
	    "ends when the run ends (exit 1 when it failed or was cancelled);\n"
	    "otherwise it runs until interrupted, reconnecting where it left\n"
	    "off when the connection drops.\n\n"
	    "Examples:\n"
	    "  ork watch\n"
	    "  ork watch --job \"Daily sales\"\n" },
	{ "status", cmd_status, NEEDS_SERVER, "health of the api, orchestrator "
	    "and workers",
	    "usage: ork status\n\n"
	    "Asks GET /health, /ready and /workers.  Exit 0 when the api, its\n"
	    "database and the orchestrator answer, 1 when one does not.\n\n"
	    "Example:\n"
	    "  ork status\n" },
	{ "users", cmd_users, NEEDS_SERVER, "manage users (admin)",
	    "usage: ork users list\n"
	    "       ork users create NAME [--role viewer|operator|admin] "
	    "[--password-stdin]\n"
	    "       ork users delete USER\n\n"
	    "USER is a username or id.  create asks for the new user's\n"
	    "password on the terminal (twice), or reads one line from standard\n"
	    "input with --password-stdin; the role defaults to viewer.\n\n"
	    "Examples:\n"
	    "  ork users create alice --role operator\n"
	    "  ork users delete alice\n" },
	{ "tokens", cmd_tokens, NEEDS_SERVER, "manage API tokens (admin)",
	    "usage: ork tokens list\n"
	    "       ork tokens create NAME [--user USERNAME] "
	    "[--expires-in-days N]\n"
	    "       ork tokens revoke TOKEN_ID\n\n"
	    "create prints the token once: keep it (with --quiet only the\n"
	    "token is printed).  The token acts as USERNAME (default: you).\n\n"
	    "Examples:\n"
	    "  ork tokens create ci-deploy --user ci --expires-in-days 90\n"
	    "  ork tokens revoke 4f1c2d7e-8a9b-4c3d-9e8f-7a6b5c4d3e2f\n" },
	{ "health", cmd_health, NEEDS_SERVER, "check that the API server "
	    "answers",
	    "usage: ork health\n\n"
	    "Exit 0 when the server answers GET /health with 200.\n\n"
	    "Example:\n"
	    "  ork --url http://127.0.0.1:8080 health\n" },
	{ "version", cmd_version, NEEDS_NOTHING, "print the version",
	    "usage: ork version\n" },
	{ "help", cmd_help, NEEDS_NOTHING, "show help of ork or of a command",
	    "usage: ork help [COMMAND]\n" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char usage_tail[] =
    "\nGlobal flags (anywhere on the line):\n"
    "  --url URL      API address (env ORK_URL, then the config file,\n"
    "                 default " CLI_DEFAULT_URL ")\n"
    "  --token TOKEN  bearer token (env ORK_TOKEN, then the config file)\n"
    "  --json         print the server's JSON (for scripts)\n"
    "  -q, --quiet    print only ids\n"
    "  --no-color     no colours (also: NO_COLOR set, or not a terminal)\n"
    "  -h, --help     help (ork COMMAND --help: help of a command)\n"
    "  --version      print the version\n\n"
    "Exit codes: 0 ok, 1 failed (a run with --wait, a refused request),\n"
    "2 usage, 3 not found, 4 authentication or permission, 5 server\n"
    "unreachable.\n\n"
    "Examples:\n"
    "  ork login --username admin\n"
    "  ork jobs apply -f job.json\n"
    "  ork run \"Daily sales\" --wait\n"
    "  ork runs list --status failed\n\n"
    "More: ork help COMMAND, and docs/cli.md.\n";

static void
usage(FILE *f)
{
	fputs("usage: ork [GLOBAL FLAGS] COMMAND [ARGS]\n\nCommands:\n", f);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fputs(usage_tail, f);
}

int
cli_dispatch(struct cli *cli, const char *cmd, const struct cli_sub *subs,
    int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : NULL;

	if (sub == NULL) {
		main_help(cmd, 1);
		return CLI_EXIT_USAGE;
	}
	for (; subs->name != NULL; subs++)
		if (strcmp(sub, subs->name) == 0 ||
		    (subs->alias != NULL && strcmp(sub, subs->alias) == 0))
			return subs->run(cli, sub, argc - 1, argv + 1);
	fprintf(stderr, "ork %s: unknown subcommand \"%s\" (see ork help "
	    "%s)\n", cmd, sub, cmd);
	return CLI_EXIT_USAGE;
}

int
main_help(const char *cmd, int to_stderr)
{
	FILE *f = to_stderr ? stderr : stdout;

	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, cmd) == 0) {
			fputs(commands[i].help, f);
			return 0;
		}
	return -1;
}

static int
cmd_help(struct cli *cli, int argc, char **argv)
{
	(void)cli;
	if (argc == 0) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (argc > 1) {
		fprintf(stderr, "ork help: unexpected argument \"%s\"\n",
		    argv[1]);
		return CLI_EXIT_USAGE;
	}
	if (main_help(argv[0], 0) != 0) {
		fprintf(stderr, "ork help: unknown command \"%s\" (see ork "
		    "--help)\n", argv[0]);
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

static int
cmd_version(struct cli *cli, int argc, char **argv)
{
	(void)cli;
	if (argc > 0) {
		fprintf(stderr, "ork version: unexpected argument \"%s\"\n",
		    argv[0]);
		return CLI_EXIT_USAGE;
	}
	printf("ork %s\n", daemon_version_string());
	return CLI_EXIT_OK;
}

static int
cmd_health(struct cli *cli, int argc, char **argv)
{
	struct client_resp	r;
	int			rc;

	if ((rc = args_parse("health", NULL, argc, argv, 0, 0,
	    &(struct args){ 0 })) != 0)
		return rc;
	if ((rc = client_call(cli->client, "GET", "/health", NULL, 0, &r)) ==
	    0) {
		if (cli->json)
			printf("%s\n", r.body != NULL ? r.body : "");
		else if (!cli->quiet)
			printf("%s: %s\n", cli->url, out_str(r.json, "status") !=
			    NULL ? out_str(r.json, "status") : "ok");
	}
	client_resp_free(&r);
	return rc;
}

/* Global flags, taken out of argv; the rest is left in order. */
struct globals {
	const char	*url, *token;
	int		 json, quiet, nocolor, help, version;
};

static int
take_globals(int argc, char **argv, struct globals *g, char **rest,
    int *nrest)
{
	int dashdash = 0;

	*nrest = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (dashdash || a[0] != '-') {
			rest[(*nrest)++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			dashdash = 1;
			rest[(*nrest)++] = argv[i];
		} else if (strcmp(a, "--url") == 0 || strcmp(a, "--token") ==
		    0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "ork: flag %s needs a value\n",
				    a);
				return CLI_EXIT_USAGE;
			}
			*(a[2] == 'u' ? &g->url : &g->token) = argv[++i];
		} else if (strncmp(a, "--url=", 6) == 0)
			g->url = a + 6;
		else if (strncmp(a, "--token=", 8) == 0)
			g->token = a + 8;
		else if (strcmp(a, "--json") == 0)
			g->json = 1;
		else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0)
			g->quiet = 1;
		else if (strcmp(a, "--no-color") == 0)
			g->nocolor = 1;
		else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			g->help = 1;
		else if (strcmp(a, "--version") == 0)
			g->version = 1;
		else
			rest[(*nrest)++] = argv[i];
	}
	rest[*nrest] = NULL;
	return 0;
}

/* env returns a variable of the environment, NULL when unset or empty. */
static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

/*
 * settings works out the server and the token: flags, then the
 * environment, then the config file.  The file's token is only sent to
 * the URL it was made for.
 */
static int
settings(struct cli *cli, const struct globals *g, const char *cmd)
{
	const char	*url = g->url, *token = g->token, *src_url = "--url";
	const char	*src_tok = "--token";
	struct conf	 conf;
	char		 err[512], cu[CLI_URL_MAX + 1];
	size_t		 n, cn;
	int		 same;

	memset(&conf, 0, sizeof(conf));
	if (conf_path(cli->conf_path, sizeof(cli->conf_path)) != 0)
		cli->conf_path[0] = '\0';
	if (cli->conf_path[0] != '\0' &&
	    conf_load(cli->conf_path, &conf, err, sizeof(err)) < 0) {
		if (strcmp(cmd, "login") != 0) {
			fprintf(stderr, "ork: config file %s\n", err);
			return CLI_EXIT_USAGE;
		}
		memset(&conf, 0, sizeof(conf));	/* login writes it anew */
	}
	if (conf.loose && conf.token[0] != '\0')
		fprintf(stderr, "ork: warning: others may read the token in %s "
		    "(chmod 600 it)\n", cli->conf_path);
	if (url == NULL && (url = env("ORK_URL")) != NULL)
		src_url = "ORK_URL";
	else if (url == NULL && conf.url[0] != '\0') {
		url = conf.url;
		src_url = "the config file";
	} else if (url == NULL) {
		url = CLI_DEFAULT_URL;
		src_url = "the default";
	}
	if (!conf_valid_url(url)) {
		fprintf(stderr, "ork: %s: \"%.100s\" is not an http(s) URL of at "
		    "most %d characters\n", src_url, url, CLI_URL_MAX);
		return CLI_EXIT_USAGE;
	}
	snprintf(cli->url, sizeof(cli->url), "%s", url);
	n = strlen(cli->url);
	while (n > 0 && cli->url[n - 1] == '/')
		cli->url[--n] = '\0';
	/* What the file says of a server is only used for that server. */
	snprintf(cu, sizeof(cu), "%s", conf.url);
	cn = strlen(cu);
	while (cn > 0 && cu[cn - 1] == '/')
		cu[--cn] = '\0';
	same = strcmp(cu, cli->url) == 0;
	if (same)
		snprintf(cli->user, sizeof(cli->user), "%s", conf.user);
	if (token == NULL && (token = env("ORK_TOKEN")) != NULL)
		src_tok = "ORK_TOKEN";
	else if (token == NULL && conf.token[0] != '\0') {
		token = same ? conf.token : NULL;
		src_tok = "the config file";
	}
	if (token != NULL) {
		if (!conf_valid_token(token)) {
			fprintf(stderr, "ork: %s: a token is 1 to %d printable "
			    "characters without spaces\n", src_tok,
			    CLI_TOKEN_MAX);
			return CLI_EXIT_USAGE;
		}
		snprintf(cli->token, sizeof(cli->token), "%s", token);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct globals		 g;
	struct cli		 cli;
	const struct command	*cmd = NULL;
	char			**rest;
	const char		*nc;
	int			 nrest, rc;

	memset(&g, 0, sizeof(g));
	memset(&cli, 0, sizeof(cli));
	rest = calloc((size_t)argc + 1, sizeof(*rest));
	if (rest == NULL) {
		fprintf(stderr, "ork: out of memory\n");
		return CLI_EXIT_FAILED;
	}
	if ((rc = take_globals(argc, argv, &g, rest, &nrest)) != 0)
		goto out;
	if (g.version) {
		printf("ork %s\n", daemon_version_string());
		goto out;
	}
	if (nrest == 0) {
		usage(g.help ? stdout : stderr);
		rc = g.help ? CLI_EXIT_OK : CLI_EXIT_USAGE;
		goto out;
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, rest[0]) == 0)
			cmd = &commands[i];
	if (cmd == NULL) {
		fprintf(stderr, "ork: unknown command \"%s\" (see ork --help)\n",
		    rest[0]);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (g.help) {
		if (cmd->fn == cmd_help)
			usage(stdout);
		else
			fputs(cmd->help, stdout);
		rc = CLI_EXIT_OK;
		goto out;
	}
	if (g.json && g.quiet) {
		fprintf(stderr, "ork: --json and --quiet exclude each other\n");
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	cli.json = g.json;
	cli.quiet = g.quiet;
	nc = getenv("NO_COLOR");
	cli.color = !g.nocolor && (nc == NULL || nc[0] == '\0') &&
	    isatty(STDOUT_FILENO);
	if (cmd->needs == NEEDS_SERVER) {
		if ((rc = settings(&cli, &g, cmd->name)) != 0)
			goto out;
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
		    (cli.client = client_new(cli.url, cli.token)) == NULL) {
			fprintf(stderr, "ork: could not initialise libcurl\n");
			rc = CLI_EXIT_FAILED;
			goto out;
		}
	}
	rc = cmd->fn(&cli, nrest - 1, rest + 1);
	if (fflush(stdout) != 0 && rc == CLI_EXIT_OK) {
		perror("ork: could not write the output");
		rc = CLI_EXIT_FAILED;
	}
	if (cli.client != NULL) {
		client_free(cli.client);
		curl_global_cleanup();
	}
out:
	free(rest);
	return rc;
}
