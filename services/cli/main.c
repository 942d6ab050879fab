/*
 * main.c - ork: the command line of ork, a client of the REST API.
 *
 *   ork health [--url URL]   exit 0 when the server answers /health with 200
 *   ork version              print the version
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "daemon.h"
#include "err.h"

/* Exit codes of the command line. */
#define EXIT_OK 0
#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define EXIT_NOT_FOUND 3
#define EXIT_AUTH 4
#define EXIT_UNREACHABLE 5

/* Bound on a response body kept in memory. */
#define BODY_MAX (1024 * 1024)
#define DEFAULT_URL "http://127.0.0.1:8080"

static const char usage[] =
    "usage: ork [--url URL] COMMAND\n\n"
    "Commands:\n"
    "  health    check that the API server answers (exit 0 when healthy)\n"
    "  version   print the version\n"
    "  help      show this help\n\n"
    "Options:\n"
    "  --url URL   API address (env ORK_URL, default " DEFAULT_URL ")\n\n"
    "Exit codes: 0 ok, 1 failed, 2 usage, 3 not found, 4 auth,\n"
    "5 server unreachable.\n\n"
    "Example:\n"
    "  ork --url http://127.0.0.1:8080 health\n";

struct body {
	char	*buf;
	size_t	 len;
};

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	struct body	*b = arg;
	size_t		 len = size * n;
	char		*nb;

	if (b->len + len > BODY_MAX)
		return 0;	/* curl reports a write error */
	nb = realloc(b->buf, b->len + len + 1);
	if (nb == NULL)
		return 0;
	memcpy(nb + b->len, p, len);
	b->buf = nb;
	b->len += len;
	b->buf[b->len] = '\0';
	return len;
}

static int
cmd_health(const char *base)
{
	CURL		*c;
	CURLcode	 cc;
	struct body	 b = { NULL, 0 };
	char		 url[2048];
	long		 status = 0;
	int		 rc;

	snprintf(url, sizeof(url), "%s/health", base);
	c = curl_easy_init();
	if (c == NULL) {
		fprintf(stderr, "ork: could not initialise libcurl\n");
		return EXIT_FAILED;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		fprintf(stderr, "ork: could not reach %s: %s\n", url,
		    curl_easy_strerror(cc));
		rc = EXIT_UNREACHABLE;
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status == 200) {
		printf("%s\n", b.buf != NULL ? b.buf : "");
		rc = EXIT_OK;
	} else {
		fprintf(stderr, "ork: %s answered %ld\n", url, status);
		rc = EXIT_FAILED;
	}
out:
	free(b.buf);
	curl_easy_cleanup(c);
	return rc;
}

int
main(int argc, char **argv)
{
	const char	*base = getenv("ORK_URL");
	const char	*cmd = NULL;
	int		 i, rc;

	if (base == NULL || *base == '\0')
		base = DEFAULT_URL;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return EXIT_OK;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("ork %s\n", daemon_version_string());
			return EXIT_OK;
		} else if (strcmp(argv[i], "--url") == 0 && i + 1 < argc) {
			base = argv[++i];
		} else if (strncmp(argv[i], "--url=", 6) == 0) {
			base = argv[i] + 6;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "ork: unknown flag \"%s\" (see ork "
			    "--help)\n", argv[i]);
			return EXIT_USAGE;
		} else if (cmd == NULL) {
			cmd = argv[i];
		} else {
			fprintf(stderr, "ork: unexpected argument \"%s\"\n",
			    argv[i]);
			return EXIT_USAGE;
		}
	}
	if (strncmp(base, "http://", 7) != 0 &&
	    strncmp(base, "https://", 8) != 0) {
		fprintf(stderr, "ork: --url: \"%s\" is not an http(s) URL\n",
		    base);
		return EXIT_USAGE;
	}
	if (cmd == NULL || strcmp(cmd, "help") == 0) {
		fputs(usage, cmd == NULL ? stderr : stdout);
		return cmd == NULL ? EXIT_USAGE : EXIT_OK;
	}
	if (strcmp(cmd, "version") == 0) {
		printf("ork %s\n", daemon_version_string());
		return EXIT_OK;
	}
	if (strcmp(cmd, "health") == 0) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		rc = cmd_health(base);
		curl_global_cleanup();
		return rc;
	}
	fprintf(stderr, "ork: unknown command \"%s\" (see ork --help)\n", cmd);
	return EXIT_USAGE;
}
