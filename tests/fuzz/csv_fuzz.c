/*
 * csv_fuzz.c - libFuzzer target for the CSV reader.
 *
 * The first byte picks the options (delimiter, quote, escape, small
 * limits); the rest is read in reads of a size the second byte picks.
 * Every record must stay inside the reader's buffer and limits, every
 * error must come with a message, and the reader must end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct feed {
	const uint8_t	*p;
	size_t		 len, pos, step;
};

static int
feed_read(void *arg, char *buf, size_t len, size_t *got)
{
	struct feed	*f = arg;
	size_t		 n = f->len - f->pos;

	if (n > len)
		n = len;
	if (n > f->step)
		n = f->step;
	memcpy(buf, f->p + f->pos, n);
	f->pos += n;
	*got = n;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char delims[] = { ',', ';', '\t', '|' };
	static const char quotes[] = { '"', '\'' };
	struct csv_options	 o = { 0 };
	struct csv_record	 r;
	struct feed		 f;
	struct csv		*c;
	size_t			 records = 0, total;
	int			 rc;

	if (size < 2)
		return 0;
	o.delimiter = delims[data[0] & 3];
	o.quote = quotes[(data[0] >> 2) & 1];
	o.escape = (data[0] & 8) ? '\\' : 0;
	if (data[0] & 16) {
		o.record_max = 64;
		o.fields_max = 8;
	}
	f.p = data + 2;
	f.len = size - 2;
	f.pos = 0;
	f.step = (size_t)(data[1] % 17) + 1;
	c = csv_new(&o, feed_read, &f);
	if (c == NULL)
		abort();
	total = o.record_max != 0 ? o.record_max : CSV_RECORD_MAX_DEFAULT;
	while ((rc = csv_next(c, &r)) != 0) {
		if (rc < 0) {
			if (csv_error(c)[0] == '\0' ||
			    (rc != ORK_EINVAL && rc != ORK_ETOOBIG))
				abort();
			continue;
		}
		if (r.nfields == 0 || (o.fields_max != 0 &&
		    r.nfields > o.fields_max))
			abort();
		for (size_t i = 0; i < r.nfields; i++) {
			if (r.off[i] + r.len[i] > total ||
			    (r.null[i] && r.len[i] != 0))
				abort();
			if (i > 0 && r.off[i] < r.off[i - 1] + r.len[i - 1])
				abort();
		}
		if (++records > size)	/* each record takes a byte at least */
			abort();
	}
	csv_free(c);
	return 0;
}
