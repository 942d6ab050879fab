/*
 * names.c - job names by job id, remembered for run lists.
 *
 * Each run of a list carries its job's name.  Looking the names up in
 * PostgreSQL costs an index lookup per run, as much again as the page
 * itself; so run lists take them from here and ask the database only for
 * those not known.  A name is kept NAMES_TTL_MS: a job renamed or
 * deleted through this process is forgotten at once, through another
 * ork-api replica its old name may show in run lists that long.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "err.h"
#include "taskcfg.h"

#define NAMES_SLOTS	(1 << 16)	/* a power of two */
#define NAMES_PROBE	8
#define NAMES_TTL_MS	10000

struct name {
	unsigned char	 id[16];
	int64_t		 until_ms;
	char		*text;		/* NULL: free slot */
};

struct names {
	pthread_mutex_t	 lock;
	struct name	*slots;
};

/* slot_of hashes the last 8 bytes of an id (random in v4 and v7 ids). */
static unsigned
slot_of(const unsigned char id[16])
{
	uint64_t x;

	memcpy(&x, id + 8, 8);
	return (unsigned)((x * UINT64_C(0x9E3779B97F4A7C15)) >> 48) &
	    (NAMES_SLOTS - 1);
}

/* names_new makes an empty table.  Returns 0 or ORK_ENOMEM. */
int
names_new(struct names **out)
{
	struct names *n = calloc(1, sizeof(*n));

	*out = NULL;
	if (n == NULL || (n->slots = calloc(NAMES_SLOTS,
	    sizeof(*n->slots))) == NULL) {
		free(n);
		return ORK_ENOMEM;
	}
	pthread_mutex_init(&n->lock, NULL);
	*out = n;
	return 0;
}

/* names_free releases the table; NULL accepted. */
void
names_free(struct names *n)
{
	if (n == NULL)
		return;
	for (int i = 0; i < NAMES_SLOTS; i++)
		free(n->slots[i].text);
	pthread_mutex_destroy(&n->lock);
	free(n->slots);
	free(n);
}

/* names_lock and names_unlock bracket names_get_locked calls. */
void
names_lock(struct names *n)
{
	pthread_mutex_lock(&n->lock);
}

void
names_unlock(struct names *n)
{
	pthread_mutex_unlock(&n->lock);
}

/*
 * names_get_locked copies the name of job id (16 bytes) into out (at
 * least TASKCFG_NAME_MAX * 4 + 1 bytes) when it is known and fresh at
 * now_ms (util_mono_ms); names_lock must be held.  Returns 1 when it
 * did, else 0.
 */
int
names_get_locked(struct names *n, const unsigned char id[16], int64_t now,
    char *out, size_t outlen)
{
	unsigned s = slot_of(id);

	for (int i = 0; i < NAMES_PROBE; i++) {
		const struct name *e = &n->slots[(s + (unsigned)i) &
		    (NAMES_SLOTS - 1)];

		if (e->text != NULL && memcmp(e->id, id, 16) == 0) {
			size_t len = strlen(e->text);

			if (e->until_ms <= now || len >= outlen)
				return 0;
			memcpy(out, e->text, len + 1);
			return 1;
		}
	}
	return 0;
}

/* names_put remembers a job's name (len bytes, not NUL-terminated). */
void
names_put(struct names *n, const unsigned char id[16], const char *name,
    size_t len)
{
	unsigned	 s = slot_of(id);
	int64_t		 now = util_mono_ms();
	struct name	*use = NULL;
	char		*text = malloc(len + 1);

	if (text == NULL)
		return;
	memcpy(text, name, len);
	text[len] = '\0';
	pthread_mutex_lock(&n->lock);
	for (int i = 0; i < NAMES_PROBE; i++) {
		struct name *e = &n->slots[(s + (unsigned)i) &
		    (NAMES_SLOTS - 1)];

		if (e->text != NULL && memcmp(e->id, id, 16) == 0) {
			use = e;
			break;
		}
		if (use == NULL && (e->text == NULL || e->until_ms <= now))
			use = e;
	}
	if (use == NULL)
		use = &n->slots[s];	/* all taken and fresh: replace one */
	free(use->text);
	memcpy(use->id, id, 16);
	use->text = text;
	use->until_ms = now + NAMES_TTL_MS;
	pthread_mutex_unlock(&n->lock);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* names_forget drops what is known of a job (its id as text). */
void
names_forget(struct names *n, const char *job_id)
{
	unsigned char	id[16];
	unsigned	s;
	size_t		k = 0;

	for (const char *p = job_id; *p != '\0' && k < 16; p++) {
		int hi, lo;

		if (*p == '-')
			continue;
		hi = hexval(p[0]);
		lo = p[1] != '\0' ? hexval(p[1]) : -1;
		if (hi < 0 || lo < 0)
			return;
		id[k++] = (unsigned char)(hi << 4 | lo);
		p++;
	}
	if (k != 16)
		return;
	s = slot_of(id);
	pthread_mutex_lock(&n->lock);
	for (int i = 0; i < NAMES_PROBE; i++) {
		struct name *e = &n->slots[(s + (unsigned)i) &
		    (NAMES_SLOTS - 1)];

		if (e->text != NULL && memcmp(e->id, id, 16) == 0) {
			free(e->text);
			e->text = NULL;
			break;
		}
	}
	pthread_mutex_unlock(&n->lock);
}
