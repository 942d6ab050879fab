/*
 * procstat.c - memory and CPU of the daemons named with --pid, from
 * /proc: VmHWM (the kernel's peak resident set) and utime + stime at the
 * end, VmRSS sampled every PROCSTAT_EVERY_MS while the measure runs.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "perf.h"
#include "util.h"

#define PROCSTAT_EVERY_MS 100
/* /proc/PID/stat is one line well under this. */
#define PROCSTAT_LINE_MAX 4096

static pthread_t	sampler;
static atomic_int	sampler_stop;
static int		sampler_running;

/*
 * perf_daemon_add reads "NAME=PID" (a flag of ork-perf) and starts
 * watching that process.  Returns 0 or ORK_EINVAL with the reason in err.
 */
int
perf_daemon_add(struct perf *p, const char *spec, char *err, size_t errlen)
{
	const char		*eq = strchr(spec, '=');
	struct perf_daemon	*d;
	char			 path[64], *end;
	long			 pid;
	size_t			 n;

	if (p->ndaemons == PERF_DAEMONS_MAX) {
		snprintf(err, errlen, "--pid: at most %d daemons",
		    PERF_DAEMONS_MAX);
		return ORK_EINVAL;
	}
	n = eq != NULL ? (size_t)(eq - spec) : 0;
	if (eq == NULL || n == 0 || n >= sizeof(d->name)) {
		snprintf(err, errlen, "--pid: expected NAME=PID with a name of "
		    "1 to %zu characters, got '%.64s'", sizeof(d->name) - 1,
		    spec);
		return ORK_EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		char ch = spec[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_')) {
			snprintf(err, errlen, "--pid: name '%.*s' may hold "
			    "letters, digits, '-' and '_' only", (int)n, spec);
			return ORK_EINVAL;
		}
	}
	errno = 0;
	pid = strtol(eq + 1, &end, 10);
	if (eq[1] == '\0' || *end != '\0' || errno != 0 || pid <= 0 ||
	    pid > 4194304) {
		snprintf(err, errlen, "--pid: '%.64s' is not a process id",
		    eq + 1);
		return ORK_EINVAL;
	}
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (access(path, R_OK) != 0) {
		snprintf(err, errlen, "--pid: no process %ld: %s", pid,
		    strerror(errno));
		return ORK_EINVAL;
	}
	d = &p->daemons[p->ndaemons++];
	memset(d, 0, sizeof(*d));
	memcpy(d->name, spec, n);
	d->name[n] = '\0';
	d->pid = (pid_t)pid;
	return 0;
}

/* read_mem reads VmRSS and VmHWM in KiB. */
static int
read_mem(pid_t pid, long *rss, long *hwm)
{
	char	 path[64], line[256];
	FILE	*f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return ORK_ENOTFOUND;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "VmRSS:", 6) == 0)
			*rss = strtol(line + 6, NULL, 10);
		else if (strncmp(line, "VmHWM:", 6) == 0)
			*hwm = strtol(line + 6, NULL, 10);
	}
	fclose(f);
	return 0;
}

/* read_cpu reads utime + stime (fields 14 and 15) in seconds. */
static int
read_cpu(pid_t pid, double *secs)
{
	char		 path[64], line[PROCSTAT_LINE_MAX], *q;
	FILE		*f;
	unsigned long	 ut, st;
	long		 hz = sysconf(_SC_CLK_TCK);

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return ORK_ENOTFOUND;
	q = fgets(line, sizeof(line), f);
	fclose(f);
	/* the command name may hold blanks and parentheses: skip to the last */
	if (q == NULL || (q = strrchr(line, ')')) == NULL || hz <= 0)
		return ORK_EIO;
	q++;
	for (int field = 3; field < 14; field++) {
		q += strspn(q, " ");
		q += strcspn(q, " ");
	}
	if (sscanf(q, "%lu %lu", &ut, &st) != 2)
		return ORK_EIO;
	*secs = (double)(ut + st) / (double)hz;
	return 0;
}

static void *
sample(void *arg)
{
	struct perf *p = arg;

	while (!atomic_load(&sampler_stop)) {
		for (int i = 0; i < p->ndaemons; i++) {
			struct perf_daemon	*d = &p->daemons[i];
			long			 rss = 0, hwm = 0;

			if (read_mem(d->pid, &rss, &hwm) == 0 &&
			    rss > d->rss_max_sampled_kib)
				d->rss_max_sampled_kib = rss;
		}
		(void)util_sleep_ms_interruptible(PROCSTAT_EVERY_MS,
		    &sampler_stop);
	}
	return NULL;
}

/*
 * perf_daemons_begin notes each daemon's CPU time and starts sampling
 * their memory.  Returns 0 or ORK_EIO (the thread did not start).
 */
int
perf_daemons_begin(struct perf *p)
{
	for (int i = 0; i < p->ndaemons; i++) {
		struct perf_daemon *d = &p->daemons[i];

		if (read_cpu(d->pid, &d->cpu0_s) != 0) {
			log_warn("daemon %s (pid %ld) is gone", d->name,
			    (long)d->pid);
			d->gone = 1;
		}
	}
	if (p->ndaemons == 0)
		return 0;
	atomic_store(&sampler_stop, 0);
	if (pthread_create(&sampler, NULL, sample, p) != 0) {
		log_error("could not start the memory sampler");
		return ORK_EIO;
	}
	sampler_running = 1;
	return 0;
}

/* perf_daemons_end stops sampling and reads the daemons' final figures. */
void
perf_daemons_end(struct perf *p)
{
	if (sampler_running) {
		atomic_store(&sampler_stop, 1);
		pthread_join(sampler, NULL);
		sampler_running = 0;
	}
	for (int i = 0; i < p->ndaemons; i++) {
		struct perf_daemon	*d = &p->daemons[i];
		long			 rss = 0, hwm = 0;
		double			 cpu;

		if (d->gone || read_mem(d->pid, &rss, &hwm) != 0 ||
		    read_cpu(d->pid, &cpu) != 0) {
			d->gone = 1;
			continue;
		}
		if (rss > d->rss_max_sampled_kib)
			d->rss_max_sampled_kib = rss;
		/*
		 * The kernel's per-thread RSS counters reach VmHWM late, so
		 * a sample may have seen a little more: the peak is the
		 * larger of the two.
		 */
		d->rss_peak_kib = hwm > d->rss_max_sampled_kib ? hwm :
		    d->rss_max_sampled_kib;
		d->cpu_total_s = cpu;
		d->cpu_s = cpu - d->cpu0_s;
	}
}
