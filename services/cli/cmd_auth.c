/*
 * cmd_auth.c - ork login and ork logout, and reading a password: from
 * the terminal without echo (restored also when interrupted), or one
 * line of standard input with --password-stdin.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

/* The terminal whose echo is off, so a signal can turn it on again. */
static volatile sig_atomic_t	tty_fd = -1;
static struct termios		tty_saved;

static void
restore_echo(int sig)
{
	if (tty_fd >= 0)
		(void)tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* read_line reads one line from fd into buf; 0, or -1 when too long/EOF. */
static int
read_line(int fd, char *buf, size_t len)
{
	size_t	n = 0;
	char	ch;

	for (;;) {
		ssize_t r = read(fd, &ch, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return n > 0 ? (buf[n] = '\0', 0) : -1;
		if (ch == '\n')
			break;
		if (n + 1 >= len)
			return -1;
		buf[n++] = ch;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return 0;
}

/*
 * ask asks a question on the terminal and reads the answer into buf;
 * echo off for passwords.  Returns 0, or CLI_EXIT_USAGE after saying why.
 */
static int
ask(const char *prompt, int echo, char *buf, size_t len)
{
	struct termios	t;
	int		fd, rc;

	fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		fprintf(stderr, "ork: no terminal to ask on (%s): use "
		    "--username and --password-stdin\n", strerror(errno));
		return CLI_EXIT_USAGE;
	}
	/* Echo goes off before the prompt shows: nothing typed is seen. */
	if (!echo && tcgetattr(fd, &tty_saved) == 0) {
		t = tty_saved;
		t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		tty_fd = fd;
		signal(SIGINT, restore_echo);
		signal(SIGTERM, restore_echo);
		signal(SIGHUP, restore_echo);
		(void)tcsetattr(fd, TCSANOW, &t);
	}
	if (write(fd, prompt, strlen(prompt)) < 0)
		rc = -1;
	else
		rc = read_line(fd, buf, len);
	if (tty_fd >= 0) {
		(void)tcsetattr(fd, TCSANOW, &tty_saved);
		tty_fd = -1;
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		(void)!write(fd, "\n", 1);
	}
	close(fd);
	if (rc != 0) {
		fprintf(stderr, "ork: no answer, or one longer than %zu "
		    "characters\n", len - 1);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

/*
 * cmd_password reads a password (1 to CLI_PASSWORD_MAX characters) from
 * standard input or the terminal (asked twice when twice is set).
 */
int
cmd_password(int from_stdin, int twice, char *pw, size_t len)
{
	char	again[CLI_PASSWORD_MAX + 2];
	int	rc;

	if (from_stdin) {
		if (read_line(STDIN_FILENO, pw, len) != 0) {
			fprintf(stderr, "ork: --password-stdin: no line, or one "
			    "longer than %d characters, on standard input\n",
			    CLI_PASSWORD_MAX);
			return CLI_EXIT_USAGE;
		}
	} else if ((rc = ask("Password: ", 0, pw, len)) != 0)
		return rc;
	if (pw[0] == '\0') {
		fprintf(stderr, "ork: the password is empty\n");
		return CLI_EXIT_USAGE;
	}
	if (twice && !from_stdin) {
		if ((rc = ask("Again: ", 0, again, sizeof(again))) != 0)
			return rc;
		rc = strcmp(pw, again) != 0;
		memset(again, 0, sizeof(again));
		if (rc) {
			fprintf(stderr, "ork: the passwords differ\n");
			return CLI_EXIT_USAGE;
		}
	}
	return 0;
}

static const struct args_flag login_flags[] = {
	{ "--username", 'u', 1, 0 },
	{ "--password-stdin", 0, 0, 0 },
	{ NULL, 0, 0, 0 }
};

int
cmd_login(struct cli *cli, int argc, char **argv)
{
	struct args		 a;
	struct client		*anon;
	struct client_resp	 r;
	struct conf		 conf;
	const cJSON		*user;
	cJSON			*body;
	char			 name[CLI_USERNAME_MAX + 2];
	char			 pw[CLI_PASSWORD_MAX + 2], err[512];
	char			*text;
	const char		*u, *token;
	int			 rc;

	if ((rc = args_parse("login", login_flags, argc, argv, 0, 0, &a)) != 0)
		return rc;
	if (cli->conf_path[0] == '\0') {
		fprintf(stderr, "ork: neither XDG_CONFIG_HOME nor HOME is set: "
		    "nowhere to keep the token\n");
		return CLI_EXIT_USAGE;
	}
	/* the user of the last login at this URL is the default */
	if ((u = args_get(login_flags, &a, "--username")) != NULL)
		snprintf(name, sizeof(name), "%s", u);
	else if (cli->user[0] != '\0' && args_has(login_flags, &a,
	    "--password-stdin"))
		snprintf(name, sizeof(name), "%s", cli->user);
	else {
		char prompt[CLI_USERNAME_MAX + 32];

		snprintf(prompt, sizeof(prompt), cli->user[0] ? "Username [%s]: "
		    : "Username: ", cli->user);
		if ((rc = ask(prompt, 1, name, sizeof(name))) != 0)
			return rc;
		if (name[0] == '\0')
			snprintf(name, sizeof(name), "%s", cli->user);
	}
	if (name[0] == '\0' || strlen(name) > CLI_USERNAME_MAX) {
		fprintf(stderr, "ork: a username has 1 to %d characters\n",
		    CLI_USERNAME_MAX);
		return CLI_EXIT_USAGE;
	}
	if ((rc = cmd_password(args_has(login_flags, &a, "--password-stdin"),
	    0, pw, sizeof(pw))) != 0)
		return rc;
	body = cJSON_CreateObject();
	if (body == NULL || cJSON_AddStringToObject(body, "username", name) ==
	    NULL || cJSON_AddStringToObject(body, "password", pw) == NULL ||
	    (text = cJSON_PrintUnformatted(body)) == NULL) {
		cJSON_Delete(body);
		memset(pw, 0, sizeof(pw));
		fprintf(stderr, "ork: out of memory\n");
		return CLI_EXIT_FAILED;
	}
	cJSON_Delete(body);
	memset(pw, 0, sizeof(pw));
	/* No token of an earlier login goes with a login. */
	if ((anon = client_new(cli->url, "")) == NULL) {
		free(text);
		fprintf(stderr, "ork: out of memory\n");
		return CLI_EXIT_FAILED;
	}
	rc = client_call(anon, "POST", "/auth/login", text, 0, &r);
	memset(text, 0, strlen(text));
	free(text);
	client_free(anon);
	if (rc != 0)
		goto out;
	token = out_str(r.json, "token");
	if (token == NULL || !conf_valid_token(token)) {
		fprintf(stderr, "ork: %s answered the login without a usable "
		    "token\n", cli->url);
		rc = CLI_EXIT_FAILED;
		goto out;
	}
	memset(&conf, 0, sizeof(conf));
	snprintf(conf.url, sizeof(conf.url), "%s", cli->url);
	snprintf(conf.token, sizeof(conf.token), "%s", token);
	snprintf(conf.user, sizeof(conf.user), "%.*s", CLI_USERNAME_MAX, name);
	if (conf_save(cli->conf_path, &conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "ork: %s\n", err);
		rc = CLI_EXIT_FAILED;
		goto out;
	}
	user = cJSON_GetObjectItemCaseSensitive(r.json, "user");
	if (cli->json)
		printf("%s\n", r.body);
	else if (!cli->quiet)
		printf("logged in to %s as %s (%s) until %s; token kept in %s\n",
		    cli->url, name, out_str(user, "role") != NULL ?
		    out_str(user, "role") : "?", out_str(r.json, "expires_at") !=
		    NULL ? out_str(r.json, "expires_at") : "?", cli->conf_path);
out:
	client_resp_free(&r);
	return rc;
}

int
cmd_logout(struct cli *cli, int argc, char **argv)
{
	struct args		a;
	struct client_resp	r;
	struct conf		conf;
	char			err[512];
	int			rc, loaded;

	if ((rc = args_parse("logout", NULL, argc, argv, 0, 0, &a)) != 0)
		return rc;
	if (cli->token[0] == '\0') {
		fprintf(stderr, "ork: not logged in at %s\n", cli->url);
		return CLI_EXIT_AUTH;
	}
	rc = client_call(cli->client, "POST", "/auth/logout", NULL, 401, &r);
	if (rc == 0 && r.status == 401)
		fprintf(stderr, "ork: the token had already expired or been "
		    "revoked\n");
	client_resp_free(&r);
	if (rc != 0)
		return rc;
	/* Forget the token if it is the config file's. */
	loaded = cli->conf_path[0] != '\0' ?
	    conf_load(cli->conf_path, &conf, err, sizeof(err)) : 1;
	if (loaded == 0 && strcmp(conf.token, cli->token) == 0) {
		conf.token[0] = '\0';
		if (conf_save(cli->conf_path, &conf, err, sizeof(err)) != 0) {
			fprintf(stderr, "ork: %s\n", err);
			return CLI_EXIT_FAILED;
		}
	}
	if (!cli->quiet && !cli->json)
		printf("logged out of %s\n", cli->url);
	return CLI_EXIT_OK;
}
