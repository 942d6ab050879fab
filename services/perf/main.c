/*
 * main.c - ork-perf: drive a running ork from a configuration file and
 * print one JSON document of throughput, latencies, errors and the
 * daemons' memory and CPU.
 *
 *   ork-perf [--set KEY=VALUE]... [--pid NAME=PID]... [--output FILE]
 *            CONFIG
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "daemon.h"
#include "err.h"
#include "log.h"
#include "perf.h"
#include "util.h"

/* Most --set flags. */
#define SETS_MAX 64

static const char usage[] =
    "usage: ork-perf [options] CONFIG\n\n"
    "Drives a running ork through its REST API as the configuration file\n"
    "CONFIG says (perf-configs/*.conf; keys in docs/perf.md) and prints one\n"
    "JSON document: throughput, latency percentiles of trigger -> start and\n"
    "trigger -> finished, error counts, each daemon's peak RSS and CPU.\n\n"
    "Options:\n"
    "  --set KEY=VALUE   override a key of the file (repeatable)\n"
    "  --pid NAME=PID    report the memory and CPU of a daemon (repeatable)\n"
    "  --output FILE     write the JSON to FILE instead of stdout\n"
    "  --log-level L     debug, info, warn, error (default info; stderr)\n"
    "  --help, --version\n\n"
    "Environment: ORK_TOKEN, the bearer token when the file has none.\n"
    "Exit codes: 0 measured without errors, 1 measured with errors (see\n"
    "\"errors\") or could not measure, 2 bad flag or configuration.\n";

static int
die_usage(const char *msg)
{
	fprintf(stderr, "ork-perf: %s\n", msg);
	return PERF_EXIT_USAGE;
}

/* flag_value returns the value of --name=V or --name V, else NULL. */
static const char *
flag_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] == '\0' && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static int
write_report(struct perf *p, const char *output)
{
	cJSON	*doc = perf_report(p);
	char	*text;
	FILE	*f = stdout;
	int	 rc = 0;

	if (doc == NULL || (text = cJSON_Print(doc)) == NULL) {
		cJSON_Delete(doc);
		log_error("could not build the report: out of memory");
		return ORK_ENOMEM;
	}
	if (output != NULL && (f = fopen(output, "w")) == NULL) {
		log_error("could not create %s: %s", output, strerror(errno));
		rc = ORK_EIO;
		goto out;
	}
	if (fputs(text, f) == EOF || fputc('\n', f) == EOF || fflush(f) != 0) {
		log_error("could not write the report: %s", strerror(errno));
		rc = ORK_EIO;
	}
	if (f != stdout && fclose(f) != 0 && rc == 0) {
		log_error("could not write %s: %s", output, strerror(errno));
		rc = ORK_EIO;
	}
out:
	free(text);
	cJSON_Delete(doc);
	return rc;
}

static void
make_tag(struct perf *p)
{
	unsigned char	r[4];
	char		name[40];
	size_t		o = 0;

	if (util_rand_bytes(r, sizeof(r)) != 0)
		memset(r, 0, sizeof(r));
	/* job names: the config's name kept to safe characters */
	for (const char *c = p->cfg.name; *c != '\0' && o + 1 < sizeof(name);
	    c++)
		name[o++] = ((*c >= 'a' && *c <= 'z') || (*c >= '0' &&
		    *c <= '9') || *c == '-') ? *c : '_';
	name[o] = '\0';
	snprintf(p->tag, sizeof(p->tag), "perf-%s-%02x%02x%02x%02x", name,
	    r[0], r[1], r[2], r[3]);
}

int
main(int argc, char **argv)
{
	static struct perf	 perf;
	struct perf		*p = &perf;
	const char		*sets[SETS_MAX], *pids[PERF_DAEMONS_MAX];
	const char		*output = NULL, *file = NULL, *v;
	int			 nsets = 0, npids = 0, level = LOGL_INFO, rc;
	int			 status = PERF_EXIT_OK;
	char			 err[1024], base[PERFCONF_STR_MAX + 1];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return PERF_EXIT_OK;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("ork-perf %s\n", daemon_version_string());
			return PERF_EXIT_OK;
		}
		if ((v = flag_value(argc, argv, &i, "--set")) != NULL) {
			if (nsets == SETS_MAX)
				return die_usage("too many --set flags");
			sets[nsets++] = v;
		} else if ((v = flag_value(argc, argv, &i, "--pid")) != NULL) {
			if (npids == PERF_DAEMONS_MAX)
				return die_usage("too many --pid flags");
			pids[npids++] = v;
		} else if ((v = flag_value(argc, argv, &i, "--output")) !=
		    NULL)
			output = v;
		else if ((v = flag_value(argc, argv, &i, "--log-level")) !=
		    NULL) {
			if ((level = log_parse_level(v)) < 0) {
				snprintf(err, sizeof(err), "--log-level: "
				    "unknown level '%.64s'", v);
				return die_usage(err);
			}
		} else if (argv[i][0] == '-') {
			snprintf(err, sizeof(err), "unknown flag '%.64s' (try "
			    "--help)", argv[i]);
			return die_usage(err);
		} else if (file != NULL)
			return die_usage("one configuration file only");
		else
			file = argv[i];
	}
	if (file == NULL)
		return die_usage("no configuration file given (try --help)");
	log_init("ork-perf", (enum log_level)level, LOG_FORMAT_TEXT);

	perfconf_init(&p->cfg);
	if ((rc = perfconf_load(&p->cfg, file, err, sizeof(err))) != 0)
		return die_usage(err);
	for (int i = 0; i < nsets; i++)
		if (perfconf_set(&p->cfg, sets[i], "--set", err,
		    sizeof(err)) != 0)
			return die_usage(err);
	if (perfconf_check(&p->cfg, err, sizeof(err)) != 0) {
		char msg[1200];

		snprintf(msg, sizeof(msg), "%s: %s", file, err);
		return die_usage(msg);
	}
	for (int i = 0; i < npids; i++)
		if (perf_daemon_add(p, pids[i], err, sizeof(err)) != 0)
			return die_usage(err);
	if (p->cfg.name[0] == '\0') {
		char *dot;

		snprintf(base, sizeof(base), "%s", file);
		snprintf(p->cfg.name, sizeof(p->cfg.name), "%s", basename(base));
		if ((dot = strrchr(p->cfg.name, '.')) != NULL &&
		    dot != p->cfg.name)
			*dot = '\0';
	}
	v = p->cfg.token[0] != '\0' ? p->cfg.token : getenv("ORK_TOKEN");
	if (v != NULL) {
		size_t n = strlen(v);

		if (n >= sizeof(p->token))
			return die_usage("ORK_TOKEN is too long");
		memcpy(p->token, v, n + 1);
	}
	make_tag(p);
	daemon_signals();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("could not initialise libcurl");
		return PERF_EXIT_ERRORS;
	}

	log_info("%s: mode %s against %s, jobs named %s-*", p->cfg.name,
	    perfconf_mode_name(p->cfg.mode), p->cfg.url, p->tag);
	p->t0_us = util_now_us();
	if ((rc = perf_daemons_begin(p)) != 0)
		status = PERF_EXIT_ERRORS;
	if (rc == 0 && (rc = perf_setup(p)) != 0)
		log_error("could not set up the measure: %s", err_str(rc));
	if (rc == 0 && (rc = perf_events_open(p)) != 0)
		log_error("could not listen to events: %s", err_str(rc));
	if (rc == 0 && (rc = perf_drive(p)) != 0)
		log_error("could not trigger the runs: %s", err_str(rc));
	if (rc == 0 && (rc = perf_wait(p)) != 0)
		log_error("could not read the runs: %s", err_str(rc));
	if (p->end_us == 0)
		p->end_us = util_now_us();
	perf_events_close(p);
	perf_daemons_end(p);
	if (rc == 0 && (rc = perf_collect(p)) != 0)
		log_error("could not read the load's task: %s", err_str(rc));
	perf_cleanup(p);
	if (rc != 0)
		status = PERF_EXIT_ERRORS;
	if (write_report(p, output) != 0)
		status = PERF_EXIT_ERRORS;
	if (perf_error_total(p) > 0) {
		log_warn("%ld errors (see \"errors\" in the report)",
		    perf_error_total(p));
		status = PERF_EXIT_ERRORS;
	}
	curl_global_cleanup();
	free(p->job_ids);
	free(p->slot_us);
	free(p->trig_ids);
	free(p->ack_us);
	free(p->runs);
	return status;
}
