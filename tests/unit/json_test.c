/*
 * json_test.c - the bounded JSON scanner (syntax, limits, UTF-8,
 * escapes, duplicate keys, where an error is) and the output buffer
 * (escaping, hard limit).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "json.h"

static const struct json_limits lim = { 4096, 4, 16 };

struct jcase {
	const char	*text;
	int		 rc;
	const char	*code;
	const char	*field;
};

static const struct jcase cases[] = {
	{ "{}", 0, NULL, NULL },
	{ " [1, -2.5e+3, true, false, null, \"x\", {\"a\": []}] ", 0, NULL,
	    NULL },
	{ "\"\\u00e9\\ud83d\\ude00\\n\\/\"", 0, NULL, NULL },
	{ "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"", 0, NULL, NULL },
	{ "0", 0, NULL, NULL },
	{ "", ORK_EINVAL, "malformed_json", "" },
	{ "   ", ORK_EINVAL, "malformed_json", "" },
	{ "{", ORK_EINVAL, "malformed_json", "" },
	{ "{\"a\" 1}", ORK_EINVAL, "malformed_json", "a" },
	{ "{\"a\":1,}", ORK_EINVAL, "malformed_json", "a" },
	{ "{a:1}", ORK_EINVAL, "malformed_json", "" },
	{ "[1 2]", ORK_EINVAL, "malformed_json", "[0]" },
	{ "[01]", ORK_EINVAL, "malformed_json", "[0]" },
	{ "[1.]", ORK_EINVAL, "malformed_json", "[0]" },
	{ "[-]", ORK_EINVAL, "malformed_json", "[0]" },
	{ "[1e]", ORK_EINVAL, "malformed_json", "[0]" },
	{ "[tru]", ORK_EINVAL, "malformed_json", "[0]" },
	{ "[NaN]", ORK_EINVAL, "malformed_json", "[0]" },
	{ "{} {}", ORK_EINVAL, "malformed_json", "" },
	{ "\xef\xbb\xbf{}", ORK_EINVAL, "malformed_json", "" },
	{ "{\"a\":\"x\ty\"}", ORK_EINVAL, "malformed_json", "a" },
	{ "{\"a\":\"\\x\"}", ORK_EINVAL, "malformed_json", "a" },
	{ "{\"a\":\"\\u12\"}", ORK_EINVAL, "malformed_json", "a" },
	{ "{\"a\":\"\\ud800\"}", ORK_EINVAL, "malformed_json", "a" },
	{ "{\"a\":\"\\ud800\\u0041\"}", ORK_EINVAL, "malformed_json", "a" },
	{ "{\"a\":\"\\udc00\"}", ORK_EINVAL, "malformed_json", "a" },
	{ "{\"a\":[\"\\u0000\"]}", ORK_EINVAL, "invalid_value", "a[0]" },
	{ "{\"a\":\"\xc0\xaf\"}", ORK_EINVAL, "invalid_value", "a" },
	{ "{\"a\":\"\xed\xa0\x80\"}", ORK_EINVAL, "invalid_value", "a" },
	{ "{\"a\":\"\xf4\x90\x80\x80\"}", ORK_EINVAL, "invalid_value", "a" },
	{ "{\"a\":\"\xe2\x82\"}", ORK_EINVAL, "invalid_value", "a" },
	{ "{\"a\":{\"b\":[0,{\"c\":\"12345678901234567\"}]}}", ORK_EINVAL,
	    "invalid_value", "a.b[1].c" },
	{ "{\"a\":{\"b\":[0,{\"c\":\"1234567890123456\"}]}}", 0, NULL, NULL },
	{ "[[[[1]]]]", 0, NULL, NULL },
	{ "[[[[[1]]]]]", ORK_EINVAL, "too_deep", "[0][0][0][0]" },
	{ "[1234567890123456789012345678901234567890123456789012345678901234]",
	    ORK_EINVAL, "invalid_value", "[0]" },
	{ "{\"a\":1,\"b\":{\"c\":1,\"c\":2}}", ORK_EINVAL, "invalid_value",
	    "b.c" },
	{ "{\"k\":1,\"a\":1,\"b\":1,\"c\":1,\"d\":1,\"e\":1,\"f\":1,\"g\":1,"
	    "\"h\":1,\"i\":1,\"j\":1,\"l\":1,\"m\":1,\"n\":1,\"o\":1,\"p\":1,"
	    "\"q\":1,\"k\":2}", ORK_EINVAL, "invalid_value", "k" },
};

static void
test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct jcase	*c = &cases[i];
		struct json_err		 e;
		cJSON			*root = NULL;
		int			 rc;

		memset(&e, 0, sizeof(e));
		rc = json_parse(c->text, strlen(c->text), &lim, &root, &e);
		if (rc != c->rc || (c->code != NULL &&
		    (strcmp(e.code, c->code) != 0 ||
		    strcmp(e.field, c->field) != 0)))
			fail_msg("case %zu %s: want %d %s \"%s\", got %d %s "
			    "\"%s\" (%s)", i, c->text, c->rc, c->code != NULL ?
			    c->code : "-", c->field != NULL ? c->field : "", rc,
			    e.code != NULL ? e.code : "-", e.field, e.message);
		if (rc == 0)
			assert_non_null(root);
		else
			assert_null(root);
		cJSON_Delete(root);
	}
}

static void
test_size_and_position(void **state)
{
	struct json_limits	 small = { 8, 4, 16 };
	struct json_err		 e;
	cJSON			*root;

	(void)state;
	assert_int_equal(json_parse("[1,2,3,4,5]", 11, &small, &root, &e),
	    ORK_ETOOBIG);
	assert_string_equal(e.code, "too_large");
	assert_int_equal(json_parse("{\n \"a\": @}", 10, &lim, &root, &e),
	    ORK_EINVAL);
	assert_non_null(strstr(e.message, "line 2, column 7"));
	/* not NUL-terminated: only len bytes are read */
	assert_int_equal(json_parse("[1]xyz", 3, &lim, &root, &e), 0);
	cJSON_Delete(root);
	/* a NUL byte is not whitespace */
	assert_int_equal(json_parse("[1]\0", 4, &lim, &root, &e), ORK_EINVAL);
}

static void
test_paths(void **state)
{
	char p[JSON_PATH_MAX];

	(void)state;
	json_path_key(p, sizeof(p), "", "a");
	assert_string_equal(p, "a");
	json_path_key(p, sizeof(p), "a", "b");
	assert_string_equal(p, "a.b");
	json_path_index(p, sizeof(p), "a.b", 3);
	assert_string_equal(p, "a.b[3]");
	json_path_index(p, sizeof(p), "", 0);
	assert_string_equal(p, "[0]");
}

static void
test_buf(void **state)
{
	struct json_buf	 b;
	char		*s;

	(void)state;
	json_buf_init(&b, 1024);
	json_buf_puts(&b, "{\"s\":");
	json_buf_str(&b, "a\"b\\c\n\t\x01/\xc3\xa9");
	json_buf_puts(&b, ",\"n\":");
	json_buf_str(&b, NULL);
	json_buf_printf(&b, ",\"i\":%d}", 42);
	assert_int_equal(json_buf_ok(&b), 0);
	s = json_buf_take(&b);
	assert_string_equal(s, "{\"s\":\"a\\\"b\\\\c\\n\\t\\u0001/\xc3\xa9\","
	    "\"n\":null,\"i\":42}");
	/* what it wrote parses back */
	{
		struct json_err	 e;
		cJSON		*root;

		assert_int_equal(json_parse(s, strlen(s), &lim, &root, &e), 0);
		assert_string_equal(cJSON_GetObjectItem(root, "s")->valuestring,
		    "a\"b\\c\n\t\x01/\xc3\xa9");
		cJSON_Delete(root);
	}
	free(s);

	/* the hard limit: the failing append and all later ones drop */
	json_buf_init(&b, 10);
	json_buf_puts(&b, "12345");
	json_buf_puts(&b, "678901");
	json_buf_puts(&b, "x");
	assert_int_equal(json_buf_ok(&b), ORK_ETOOBIG);
	assert_null(json_buf_take(&b));
	json_buf_free(&b);

	/* a long formatted append */
	json_buf_init(&b, 100000);
	json_buf_printf(&b, "%0*d", 5000, 7);
	assert_int_equal(b.len, 5000);
	assert_int_equal(b.data[4999], '7');
	json_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_size_and_position),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_buf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
