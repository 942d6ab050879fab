/*
 * jobjson_fuzz.c - every job body POST /jobs and PUT /jobs/{id} receive
 * goes through taskcfg_parse_job: arbitrary bytes must be refused with a
 * code, a message and a path, never crash; what is accepted must hold
 * the invariants the api and the worker rely on (tasks 1..100, configs
 * that are valid JSON and check again with the worker's entry point).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "taskcfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct taskcfg_job	*job = NULL;
	struct json_err		 e;
	int			 rc;

	/* the same bytes as one task's configs, as a worker gets them */
	if (size < 4096) {
		char *text = malloc(size + 1);
		char  kind[TASKCFG_KIND_MAX];

		if (text == NULL)
			return 0;
		memcpy(text, data, size);
		text[size] = '\0';
		memset(&e, 0, sizeof(e));
		if (taskcfg_check_config_text(text, NULL, kind, &e) != 0 &&
		    e.code == NULL)
			abort();
		free(text);
	}
	memset(&e, 0, sizeof(e));
	rc = taskcfg_parse_job((const char *)data, size, NULL, 0, &job, &e);
	if (rc != 0) {
		if (job != NULL || e.code == NULL || e.message[0] == '\0')
			abort();	/* every refusal says what and why */
		if (rc != ORK_EINVAL && rc != ORK_ETOOBIG && rc != ORK_ENOMEM)
			abort();
		return 0;
	}
	if (job == NULL || job->ntasks < 1 || job->ntasks > TASKCFG_TASKS_MAX ||
	    job->job_name == NULL || job->max_active_runs < 1 ||
	    job->max_active_runs > TASKCFG_ACTIVE_RUNS_MAX)
		abort();
	for (size_t i = 0; i < job->ntasks; i++) {
		const struct taskcfg_task	*t = &job->tasks[i];
		char				 kind[TASKCFG_KIND_MAX];
		struct json_err			 e2;

		if (t->extractor_json == NULL || t->loader_json == NULL ||
		    t->max_attempts < TASKCFG_ATTEMPTS_MIN ||
		    t->max_attempts > TASKCFG_ATTEMPTS_MAX ||
		    t->retry_cap_ms < t->retry_base_ms)
			abort();
		/* what the api stores, the worker accepts */
		if (taskcfg_check_config_text(t->extractor_json, t->loader_json,
		    kind, &e2) != 0 || strcmp(kind, t->kind) != 0)
			abort();
	}
	taskcfg_job_free(job);
	return 0;
}
