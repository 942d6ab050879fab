/*
 * executor.c - the registry of task kinds and what executors share.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "executor.h"

/* The registry: one line per kind. */
static const struct executor *const registry[] = {
	&executor_noop,
	&executor_command,
	&executor_csv,
	&executor_parquet,
	&executor_http,
};

const struct executor *
executor_find(const char *kind)
{
	for (size_t i = 0; i < sizeof(registry) / sizeof(registry[0]); i++)
		if (strcmp(registry[i]->kind, kind) == 0)
			return registry[i];
	return NULL;
}

size_t
executor_kinds(const char **kinds, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(registry) / sizeof(registry[0]) &&
	    n < max; i++)
		kinds[n++] = registry[i]->kind;
	return n;
}

const char *
executor_secret(struct task_ctx *ctx, const cJSON *value, const char *field)
{
	const cJSON	*ref;
	const char	*v;

	if (cJSON_IsString(value))
		return value->valuestring;
	ref = cJSON_GetObjectItemCaseSensitive(value, "env");
	if (!cJSON_IsObject(value) || !cJSON_IsString(ref)) {
		snprintf(ctx->error, sizeof(ctx->error), "%s: expected a "
		    "string or {\"env\": \"NAME\"}", field);
		return NULL;
	}
	v = getenv(ref->valuestring);
	if (v == NULL) {
		snprintf(ctx->error, sizeof(ctx->error), "%s: environment "
		    "variable %s is not set on worker", field,
		    ref->valuestring);
		return NULL;
	}
	if (*v != '\0' && ctx->nsecrets < TASK_SECRETS_MAX) {
		char *copy = strdup(v);

		if (copy != NULL)
			ctx->secrets[ctx->nsecrets++] = copy;
	}
	return v;
}

void
executor_logf(struct task_ctx *ctx, const char *fmt, ...)
{
	char	line[1024];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	ctx->log(ctx, "system", line, (size_t)n);
}
