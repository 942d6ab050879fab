/*
 * csv_test.c - the CSV reader: RFC 4180 quoting, line endings, BOM, NULL
 * against empty, ragged rows, limits, recovery after a bad record, and
 * input fed in one-byte reads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "csv.h"
#include "err.h"

struct mem {
	const char	*p;
	size_t		 len, pos, step;	/* step: most bytes per read */
};

static int
mem_read(void *arg, char *buf, size_t len, size_t *got)
{
	struct mem	*m = arg;
	size_t		 n = m->len - m->pos;

	if (n > len)
		n = len;
	if (m->step != 0 && n > m->step)
		n = m->step;
	memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	*got = n;
	return 0;
}

/*
 * render reads all of text and writes records as "a|b|<null>;" with
 * errors as "!line;", so one string states the whole outcome.
 */
static void
render(const char *text, size_t len, const struct csv_options *o,
    size_t step, char *out, size_t outlen)
{
	struct mem		 m = { text, len, 0, step };
	struct csv		*c;
	struct csv_record	 r;
	size_t			 n = 0;
	int			 rc;

	c = csv_new(o, mem_read, &m);
	assert_non_null(c);
	out[0] = '\0';
	while ((rc = csv_next(c, &r)) != 0) {
		if (rc < 0) {
			n += (size_t)snprintf(out + n, outlen - n, "!%s;",
			    csv_error(c));
			assert_true(n < outlen);
			continue;
		}
		n += (size_t)snprintf(out + n, outlen - n, "%llu:",
		    (unsigned long long)r.line);
		for (size_t i = 0; i < r.nfields; i++) {
			if (r.null[i])
				n += (size_t)snprintf(out + n, outlen - n,
				    "<null>");
			else
				n += (size_t)snprintf(out + n, outlen - n,
				    "%.*s", (int)r.len[i], r.data + r.off[i]);
			if (i + 1 < r.nfields)
				n += (size_t)snprintf(out + n, outlen - n, "|");
		}
		n += (size_t)snprintf(out + n, outlen - n, ";");
		assert_true(n < outlen);
	}
	csv_free(c);
}

static void
check(const char *text, const char *want)
{
	struct csv_options	o = { 0 };
	char			got[4096];

	render(text, strlen(text), &o, 0, got, sizeof(got));
	assert_string_equal(got, want);
	/* the same in one-byte reads */
	render(text, strlen(text), &o, 1, got, sizeof(got));
	assert_string_equal(got, want);
}

static void
test_plain(void **state)
{
	(void)state;
	check("a,b,c\n1,2,3\n", "1:a|b|c;2:1|2|3;");
	check("a,b\n1,2", "1:a|b;2:1|2;");		/* no final newline */
	check("a,b,", "1:a|b|<null>;");			/* empty last field */
	check("a,\"b\",", "1:a|b|<null>;");
	check("a,b\r\n1,2\r\n", "1:a|b;2:1|2;");	/* CRLF */
	check("", "");
	check("\n\n", "");				/* blank lines */
	check("x\n\ny\n", "1:x;3:y;");
	check("a\rb,c\n", "1:a\rb|c;");			/* a lone CR is data */
}

static void
test_quoting(void **state)
{
	(void)state;
	check("\"a,b\",c\n", "1:a,b|c;");
	check("\"say \"\"hi\"\"\",x\n", "1:say \"hi\"|x;");
	check("\"two\nlines\",x\ny,z\n", "1:two\nlines|x;3:y|z;");
	check("\"crlf\r\ninside\"\r\nq,r\r\n", "1:crlf\r\ninside;3:q|r;");
	check("\"a\"", "1:a;");
	check("\"\",,x\n", "1:|<null>|x;");		/* empty vs NULL */
	check(",\n", "1:<null>|<null>;");
	check("a\"b,c\n", "1:a\"b|c;");			/* stray quote: data */
}

static void
test_bom_and_ragged(void **state)
{
	(void)state;
	check("\xef\xbb\xbf" "id,name\n1,x\n", "1:id|name;2:1|x;");
	check("a,b,c\n1\n1,2,3,4\n", "1:a|b|c;2:1;3:1|2|3|4;");
	/* a BOM only at the very start */
	check("a\n\xef\xbb\xbf" "b\n", "1:a;2:\xef\xbb\xbf" "b;");
}

static void
test_errors_and_recovery(void **state)
{
	(void)state;
	check("a,b\n\"x\"y,z\nc,d\n",
	    "1:a|b;!line 2: a character follows the closing quote of field 1;"
	    "3:c|d;");
	check("a\n\"open\nmore\n",
	    "1:a;!line 2: quoted field 1 is not closed before the end of the "
	    "input;");
}

static void
test_options(void **state)
{
	struct csv_options	o = { 0 };
	char			got[512];
	const char		*t1 = "a;'b;c';'it\\'s'\n";

	(void)state;
	o.delimiter = ';';
	o.quote = '\'';
	o.escape = '\\';
	render(t1, strlen(t1), &o, 0, got, sizeof(got));
	assert_string_equal(got, "1:a|b;c|it's;");
	o.delimiter = '\t';
	o.quote = 0;
	o.escape = 0;
	render("x\ty\n", 4, &o, 0, got, sizeof(got));
	assert_string_equal(got, "1:x|y;");
	/* invalid combinations are refused */
	o.delimiter = '"';
	assert_null(csv_new(&o, mem_read, NULL));
	o.delimiter = '\n';
	assert_null(csv_new(&o, mem_read, NULL));
}

static void
test_limits(void **state)
{
	struct csv_options	o = { 0 };
	char			got[512];
	const char		*t = "1,2,3,4\nabcdefghijklmnop\nok\n";

	(void)state;
	o.fields_max = 3;
	o.record_max = 10;
	render(t, strlen(t), &o, 0, got, sizeof(got));
	assert_string_equal(got, "!line 1: more than 3 fields;"
	    "!line 2: record longer than 10 bytes;3:ok;");
}

/* A big input streams through a small reader: memory does not grow. */
static void
test_many_records(void **state)
{
	struct csv_options	 o = { 0 };
	struct csv_record	 r;
	struct mem		 m;
	struct csv		*c;
	size_t			 len = 0, n = 0;
	char			*text;

	(void)state;
	text = malloc(200000 * 24);
	assert_non_null(text);
	for (int i = 0; i < 200000; i++)
		len += (size_t)snprintf(text + len, 24, "%d,\"%d\"\n", i, i);
	m = (struct mem){ text, len, 0, 0 };
	c = csv_new(&o, mem_read, &m);
	while (csv_next(c, &r) == 1) {
		assert_int_equal(r.nfields, 2);
		assert_int_equal(r.line, n + 1);
		n++;
	}
	assert_int_equal(n, 200000);
	assert_int_equal(csv_line(c), 200001);
	csv_free(c);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_bom_and_ragged),
		cmocka_unit_test(test_errors_and_recovery),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_many_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
