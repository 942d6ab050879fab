/*
 * exec_noop.c - the noop task: completes at once.  Used by health checks
 * and benchmarks to measure ork itself.
 */
#include "executor.h"

static int
noop_run(struct task_ctx *ctx)
{
	ctx->rows_moved = 0;
	return 0;
}

const struct executor executor_noop = {
	.kind = "noop",
	.run = noop_run,
	.run_inline = 1,
};
