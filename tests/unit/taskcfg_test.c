/*
 * taskcfg_test.c - every rule of job bodies and task configurations:
 * a table of bodies, each with the result, code and field path it must
 * give; then the parts the worker uses (configs as text, secrets).
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
#include "taskcfg.h"

/* A job with one task, or two. */
#define JOB1(task) "{\"job_name\":\"j\",\"tasks\":[" task "]}"
#define JOB2(t1, t2) "{\"job_name\":\"j\",\"tasks\":[" t1 "," t2 "]}"
#define NOOP "{\"extractor_config\":{\"type\":\"noop\"}}"
#define N10 NOOP "," NOOP "," NOOP "," NOOP "," NOOP "," NOOP "," NOOP "," \
	NOOP "," NOOP "," NOOP
#define N100 N10 "," N10 "," N10 "," N10 "," N10 "," N10 "," N10 "," N10 \
	"," N10 "," N10
#define DUCK "\"loader_config\":{\"type\":\"duckdb\",\"db_path\":\"w.db\"," \
	"\"table_name\":\"t\"}"
#define HTTP_X(x) "{\"extractor_config\":{\"type\":\"http\",\"url\":" \
	"\"https://h/x\"" x "}," DUCK "}"
#define DUCK_L(l) "{\"extractor_config\":{\"type\":\"http\",\"url\":" \
	"\"https://h/x\"},\"loader_config\":{\"type\":\"duckdb\",\"db_path\":" \
	"\"w.db\",\"table_name\":\"t\"" l "}}"
#define PG_L(l) "{\"extractor_config\":{\"type\":\"csv\",\"path\":" \
	"\"/d/x.csv\"},\"loader_config\":{\"type\":\"postgres\"," \
	"\"connection\":{\"env\":\"PG_URL\"},\"table_name\":\"t\"" l "}}"
#define HTTP_URL(u) "{\"extractor_config\":{\"type\":\"http\",\"url\":" \
	"\"" u "\"}," DUCK "}"
#define DUCK_T(t) "{\"extractor_config\":{\"type\":\"http\",\"url\":" \
	"\"https://h/x\"},\"loader_config\":{\"type\":\"duckdb\",\"db_path\":" \
	"\"w.db\",\"table_name\":\"" t "\"}}"
#define CMD_X(x) "{\"extractor_config\":{\"type\":\"command\"" x "}}"
#define CSV_X(x) "{\"extractor_config\":{\"type\":\"csv\",\"path\":" \
	"\"/d/x.csv\"" x "}," DUCK "}"
#define TASK_X(x) "{\"extractor_config\":{\"type\":\"noop\"}" x "}"
/* csv with extractor members x into duckdb with loader members l */
#define INC(x, l) "{\"extractor_config\":{\"type\":\"csv\",\"path\":" \
	"\"/d/x.csv\"" x "},\"loader_config\":{\"type\":\"duckdb\"," \
	"\"db_path\":\"w.db\",\"table_name\":\"t\"" l "}}"
#define MERGE ",\"mode\":\"merge\",\"primary_key\":[\"id\"]"

/* The create-job body of the issue, byte for byte. */
static const char issue_example[] =
    "{\"job_name\": \"My Daily Report\", \"description\": \"\xe2\x80\xa6\", "
    "\"schedule\": \"0 0 9 * * *\", \"is_active\": true,\n"
    " \"tasks\": [{\"extractor_config\": {\"type\": \"api\", \"url\": "
    "\"https://\xe2\x80\xa6\"},\n"
    "            \"loader_config\": {\"type\": \"duckdb\", \"db_path\": "
    "\"data_warehouse.db\", \"table_name\": \"daily_sales\"}}]}";

struct tcase {
	const char	*name;
	const char	*body;
	int		 rc;
	const char	*code;	/* NULL when rc is 0 */
	const char	*field;
};

#define OK(n, b) { n, b, 0, NULL, NULL }
#define BAD(n, b, c, f) { n, b, ORK_EINVAL, c, f }

static const struct tcase cases[] = {
	/* accepted */
	OK("noop", JOB1(NOOP)),
	OK("noop loader null", JOB1("{\"extractor_config\":{\"type\":\"noop\"},"
	    "\"loader_config\":null}")),
	OK("noop loader {}", JOB1("{\"extractor_config\":{\"type\":\"noop\"},"
	    "\"loader_config\":{}}")),
	OK("command argv", JOB1(CMD_X(",\"argv\":[\"/bin/echo\",\"\",\"x\"],"
	    "\"env\":{\"A\":\"1\",\"DB_PASSWORD\":{\"env\":\"DB_PW\"}},"
	    "\"cwd\":\"/tmp\""))),
	OK("command shell", JOB1(CMD_X(",\"shell\":\"echo hi | wc -c\""))),
	OK("http full", JOB1("{\"extractor_config\":{\"type\":\"http\","
	    "\"url\":\"https://api.example.com/v1/sales?page=1\","
	    "\"method\":\"POST\",\"headers\":{\"Accept\":\"application/json\","
	    "\"X-Api-Key\":{\"env\":\"SALES_KEY\"}},\"params\":{\"q\":\"x\"},"
	    "\"body\":{\"filter\":[1,2]},\"auth\":{\"type\":\"bearer\","
	    "\"token\":{\"env\":\"SALES_API_TOKEN\"}},\"records_path\":"
	    "\"data.items\",\"pagination\":{\"type\":\"cursor\",\"param\":"
	    "\"after\",\"cursor_path\":\"meta.next\",\"max_pages\":10},"
	    "\"timeout_seconds\":30,\"verify_tls\":true,"
	    "\"max_requests_per_second\":2.5}," DUCK "}")),
	OK("http basic auth", JOB1(HTTP_X(",\"auth\":{\"type\":\"basic\","
	    "\"username\":\"u\",\"password\":{\"env\":\"PW\"}}"))),
	OK("http header auth", JOB1(HTTP_X(",\"auth\":{\"type\":\"header\","
	    "\"name\":\"X-Key\",\"value\":{\"env\":\"K\"}}"))),
	OK("http username in url", JOB1(HTTP_URL("https://u@h/x"))),
	OK("csv postgres merge", JOB1(PG_L(",\"schema\":\"raw\",\"mode\":"
	    "\"merge\",\"primary_key\":[\"id\",\"day\"]"))),
	OK("csv options", JOB1(CSV_X(",\"delimiter\":\";\",\"quote\":\"'\","
	    "\"escape\":\"\\\\\",\"header\":false,\"columns\":[\"a\",\"b\"],"
	    "\"on_error\":\"skip\",\"gzip\":true"))),
	OK("csv tab delimiter", JOB1(CSV_X(",\"delimiter\":\"\\t\""))),
	OK("csv from url", JOB1("{\"extractor_config\":{\"type\":\"csv\","
	    "\"path\":\"https://h/x.csv\"}," DUCK "}")),
	OK("parquet glob replace", JOB1("{\"extractor_config\":{\"type\":"
	    "\"parquet\",\"path\":\"/data/*.parquet\"},\"loader_config\":"
	    "{\"type\":\"duckdb\",\"db_path\":\"w.db\",\"table_name\":"
	    "\"main.t\",\"mode\":\"replace\"}}")),
	OK("schema.table", JOB1(DUCK_T("s.t"))),
	OK("5-field cron", "{\"job_name\":\"j\",\"schedule\":\"*/5 * * * *\","
	    "\"tasks\":[" NOOP "]}"),
	OK("null schedule", "{\"job_name\":\"j\",\"schedule\":null,"
	    "\"tasks\":[" NOOP "]}"),
	OK("timezone", "{\"job_name\":\"j\",\"schedule\":\"0 9 * * 1-5\","
	    "\"timezone\":\"Europe/Berlin\",\"tasks\":[" NOOP "]}"),
	OK("job options", "{\"job_name\":\"j\",\"catchup\":true,"
	    "\"max_active_runs\":1000,\"overlap\":\"skip\",\"is_active\":false,"
	    "\"description\":null,\"tasks\":[" NOOP "]}"),
	OK("read-only fields ignored", "{\"job_id\":\"x\",\"created_at\":1,"
	    "\"updated_at\":1,\"next_fire_at\":null,\"last_run\":null,"
	    "\"task_count\":1,\"job_name\":\"j\",\"tasks\":[{\"task_id\":\"x\","
	    "\"task_order\":0,\"kind\":\"noop\",\"created_at\":1,"
	    "\"updated_at\":1,\"extractor_config\":{\"type\":\"noop\"}}]}"),
	OK("task settings", JOB1(TASK_X(",\"task_name\":\"first\","
	    "\"max_attempts\":100,\"timeout_seconds\":604800,\"retry\":"
	    "{\"base_ms\":0,\"cap_ms\":0}"))),
	OK("100 tasks", "{\"job_name\":\"j\",\"tasks\":[" N100 "]}"),

	/* the document */
	BAD("malformed", "{\"job_name\":", "malformed_json", "job_name"),
	BAD("trailing text", JOB1(NOOP) "x", "malformed_json", ""),
	BAD("empty", "", "malformed_json", ""),
	BAD("not an object", "[1]", "invalid_type", ""),
	BAD("duplicate key", JOB1("{\"extractor_config\":{\"type\":\"noop\","
	    "\"type\":\"command\"}}"), "invalid_value",
	    "tasks[0].extractor_config.type"),
	BAD("NUL escape", "{\"job_name\":\"a\\u0000b\",\"tasks\":[]}",
	    "invalid_value", "job_name"),
	BAD("bad UTF-8", "{\"job_name\":\"a\xff\",\"tasks\":[]}",
	    "invalid_value", "job_name"),
	BAD("lone surrogate", "{\"job_name\":\"\\udc00\"}", "malformed_json",
	    "job_name"),

	/* job fields */
	BAD("unknown field", "{\"job_name\":\"j\",\"shedule\":\"* * * * *\","
	    "\"tasks\":[" NOOP "]}", "unknown_field", "shedule"),
	BAD("no job_name", "{\"tasks\":[" NOOP "]}", "missing_field",
	    "job_name"),
	BAD("null job_name", "{\"job_name\":null,\"tasks\":[" NOOP "]}",
	    "missing_field", "job_name"),
	BAD("job_name number", "{\"job_name\":1,\"tasks\":[" NOOP "]}",
	    "invalid_type", "job_name"),
	BAD("job_name empty", "{\"job_name\":\"\",\"tasks\":[" NOOP "]}",
	    "invalid_value", "job_name"),
	BAD("job_name spaces", "{\"job_name\":\" j\",\"tasks\":[" NOOP "]}",
	    "invalid_value", "job_name"),
	BAD("job_name control", "{\"job_name\":\"a\\nb\",\"tasks\":[" NOOP
	    "]}", "invalid_value", "job_name"),
	BAD("description number", "{\"job_name\":\"j\",\"description\":1,"
	    "\"tasks\":[" NOOP "]}", "invalid_type", "description"),
	BAD("bad cron", "{\"job_name\":\"j\",\"schedule\":\"61 * * * *\","
	    "\"tasks\":[" NOOP "]}", "invalid_value", "schedule"),
	BAD("cron 7 fields", "{\"job_name\":\"j\",\"schedule\":"
	    "\"0 0 0 * * * *\",\"tasks\":[" NOOP "]}", "invalid_value",
	    "schedule"),
	BAD("cron empty", "{\"job_name\":\"j\",\"schedule\":\"\",\"tasks\":["
	    NOOP "]}", "invalid_value", "schedule"),
	BAD("cron not string", "{\"job_name\":\"j\",\"schedule\":5,\"tasks\":["
	    NOOP "]}", "invalid_type", "schedule"),
	BAD("unknown zone", "{\"job_name\":\"j\",\"timezone\":\"Mars/Olympus\","
	    "\"tasks\":[" NOOP "]}", "invalid_value", "timezone"),
	BAD("zone path", "{\"job_name\":\"j\",\"timezone\":\"../../etc/passwd\","
	    "\"tasks\":[" NOOP "]}", "invalid_value", "timezone"),
	BAD("zone type", "{\"job_name\":\"j\",\"timezone\":true,\"tasks\":["
	    NOOP "]}", "invalid_type", "timezone"),
	BAD("is_active string", "{\"job_name\":\"j\",\"is_active\":\"yes\","
	    "\"tasks\":[" NOOP "]}", "invalid_type", "is_active"),
	BAD("catchup number", "{\"job_name\":\"j\",\"catchup\":1,\"tasks\":["
	    NOOP "]}", "invalid_type", "catchup"),
	BAD("max_active_runs 0", "{\"job_name\":\"j\",\"max_active_runs\":0,"
	    "\"tasks\":[" NOOP "]}", "invalid_value", "max_active_runs"),
	BAD("max_active_runs 1001", "{\"job_name\":\"j\",\"max_active_runs\":"
	    "1001,\"tasks\":[" NOOP "]}", "invalid_value", "max_active_runs"),
	BAD("max_active_runs text", "{\"job_name\":\"j\",\"max_active_runs\":"
	    "\"1\",\"tasks\":[" NOOP "]}", "invalid_type", "max_active_runs"),
	BAD("overlap", "{\"job_name\":\"j\",\"overlap\":\"wait\",\"tasks\":["
	    NOOP "]}", "invalid_value", "overlap"),
	BAD("no tasks", "{\"job_name\":\"j\"}", "missing_field", "tasks"),
	BAD("empty tasks", "{\"job_name\":\"j\",\"tasks\":[]}",
	    "invalid_value", "tasks"),
	BAD("tasks object", "{\"job_name\":\"j\",\"tasks\":{}}",
	    "invalid_type", "tasks"),
	BAD("101 tasks", "{\"job_name\":\"j\",\"tasks\":[" N100 "," NOOP
	    "]}", "invalid_value", "tasks"),

	/* tasks */
	BAD("task not object", JOB1("1"), "invalid_type", "tasks[0]"),
	BAD("task unknown field", JOB1(TASK_X(",\"foo\":1")), "unknown_field",
	    "tasks[0].foo"),
	BAD("task_name empty", JOB1(TASK_X(",\"task_name\":\"\"")),
	    "invalid_value", "tasks[0].task_name"),
	BAD("no extractor", JOB1("{\"loader_config\":{}}"), "missing_field",
	    "tasks[0].extractor_config"),
	BAD("extractor not object", JOB1("{\"extractor_config\":\"noop\"}"),
	    "invalid_type", "tasks[0].extractor_config"),
	BAD("no type", JOB1("{\"extractor_config\":{\"url\":\"https://h\"}}"),
	    "missing_field", "tasks[0].extractor_config.type"),
	BAD("type number", JOB1("{\"extractor_config\":{\"type\":1}}"),
	    "invalid_type", "tasks[0].extractor_config.type"),
	BAD("unknown extractor", JOB1("{\"extractor_config\":{\"type\":"
	    "\"ftp\"}}"), "unknown_type", "tasks[0].extractor_config.type"),
	BAD("unknown loader", JOB1("{\"extractor_config\":{\"type\":\"csv\","
	    "\"path\":\"x.csv\"},\"loader_config\":{\"type\":\"mysql\"}}"),
	    "unknown_type", "tasks[0].loader_config.type"),
	BAD("loader without type", JOB1("{\"extractor_config\":{\"type\":"
	    "\"csv\",\"path\":\"x.csv\"},\"loader_config\":{\"table_name\":"
	    "\"t\"}}"), "missing_field", "tasks[0].loader_config.type"),
	BAD("http needs loader", JOB1("{\"extractor_config\":{\"type\":\"api\","
	    "\"url\":\"https://h\"}}"), "missing_field",
	    "tasks[0].loader_config"),
	BAD("noop takes no loader", JOB1("{\"extractor_config\":{\"type\":"
	    "\"noop\"}," DUCK "}"), "invalid_value", "tasks[0].loader_config"),
	BAD("command takes no loader", JOB1("{\"extractor_config\":{\"type\":"
	    "\"command\",\"argv\":[\"x\"]},\"loader_config\":[]}"),
	    "invalid_value", "tasks[0].loader_config"),
	BAD("unknown extractor field", JOB1(HTTP_X(",\"tabel\":1")),
	    "unknown_field", "tasks[0].extractor_config.tabel"),
	BAD("second task", JOB2(NOOP, DUCK_T("1t")),
	    "invalid_value", "tasks[1].loader_config.table_name"),
	BAD("max_attempts 0", JOB1(TASK_X(",\"max_attempts\":0")),
	    "invalid_value", "tasks[0].max_attempts"),
	BAD("max_attempts 101", JOB1(TASK_X(",\"max_attempts\":101")),
	    "invalid_value", "tasks[0].max_attempts"),
	BAD("max_attempts 1.5", JOB1(TASK_X(",\"max_attempts\":1.5")),
	    "invalid_value", "tasks[0].max_attempts"),
	BAD("max_attempts text", JOB1(TASK_X(",\"max_attempts\":\"3\"")),
	    "invalid_type", "tasks[0].max_attempts"),
	BAD("timeout 0", JOB1(TASK_X(",\"timeout_seconds\":0")),
	    "invalid_value", "tasks[0].timeout_seconds"),
	BAD("timeout too long", JOB1(TASK_X(",\"timeout_seconds\":604801")),
	    "invalid_value", "tasks[0].timeout_seconds"),
	BAD("retry not object", JOB1(TASK_X(",\"retry\":5")), "invalid_type",
	    "tasks[0].retry"),
	BAD("retry base", JOB1(TASK_X(",\"retry\":{\"base_ms\":3600001}")),
	    "invalid_value", "tasks[0].retry.base_ms"),
	BAD("retry cap below base", JOB1(TASK_X(",\"retry\":{\"base_ms\":10,"
	    "\"cap_ms\":9}")), "invalid_value", "tasks[0].retry.cap_ms"),
	BAD("retry cap too big", JOB1(TASK_X(",\"retry\":{\"cap_ms\":"
	    "86400001}")), "invalid_value", "tasks[0].retry.cap_ms"),
	BAD("retry unknown", JOB1(TASK_X(",\"retry\":{\"jitter\":1}")),
	    "unknown_field", "tasks[0].retry.jitter"),
	BAD("noop takes nothing", JOB1("{\"extractor_config\":{\"type\":"
	    "\"noop\",\"sleep_ms\":1}}"), "unknown_field",
	    "tasks[0].extractor_config.sleep_ms"),

	/* command */
	BAD("argv and shell", JOB1(CMD_X(",\"argv\":[\"x\"],\"shell\":\"x\"")),
	    "invalid_value", "tasks[0].extractor_config"),
	BAD("neither argv nor shell", JOB1(CMD_X("")), "missing_field",
	    "tasks[0].extractor_config.argv"),
	BAD("argv empty", JOB1(CMD_X(",\"argv\":[]")), "invalid_value",
	    "tasks[0].extractor_config.argv"),
	BAD("argv number", JOB1(CMD_X(",\"argv\":[1]")), "invalid_type",
	    "tasks[0].extractor_config.argv[0]"),
	BAD("argv program empty", JOB1(CMD_X(",\"argv\":[\"\"]")),
	    "invalid_value", "tasks[0].extractor_config.argv[0]"),
	BAD("argv string", JOB1(CMD_X(",\"argv\":\"ls -l\"")), "invalid_type",
	    "tasks[0].extractor_config.argv"),
	BAD("shell empty", JOB1(CMD_X(",\"shell\":\"\"")), "invalid_value",
	    "tasks[0].extractor_config.shell"),
	BAD("env name", JOB1(CMD_X(",\"argv\":[\"x\"],\"env\":{\"1X\":\"a\"}")),
	    "invalid_value", "tasks[0].extractor_config.env.1X"),
	BAD("env value number", JOB1(CMD_X(",\"argv\":[\"x\"],\"env\":"
	    "{\"X\":1}")), "invalid_type", "tasks[0].extractor_config.env.X"),
	BAD("env password in clear", JOB1(CMD_X(",\"argv\":[\"x\"],\"env\":"
	    "{\"DB_PASSWORD\":\"hunter2\"}")), "secret_in_clear",
	    "tasks[0].extractor_config.env.DB_PASSWORD"),

	/* http */
	BAD("no url", JOB1("{\"extractor_config\":{\"type\":\"http\"}," DUCK
	    "}"), "missing_field", "tasks[0].extractor_config.url"),
	BAD("url ftp", JOB1(HTTP_URL("ftp://h/x")), "invalid_value",
	    "tasks[0].extractor_config.url"),
	BAD("url no host", JOB1(HTTP_URL("https:///x")),
	    "invalid_value", "tasks[0].extractor_config.url"),
	BAD("url blank", JOB1(HTTP_URL("https://h/a b")),
	    "invalid_value", "tasks[0].extractor_config.url"),
	BAD("url password", JOB1(HTTP_URL("https://u:p@h/x")),
	    "secret_in_clear", "tasks[0].extractor_config.url"),
	BAD("url api_key", JOB1(HTTP_URL("https://h/x?a=1&api_key=s3cr3t")), "secret_in_clear", "tasks[0].extractor_config.url"),
	BAD("method", JOB1(HTTP_X(",\"method\":\"DELETE\"")), "invalid_value",
	    "tasks[0].extractor_config.method"),
	BAD("bearer in clear", JOB1(HTTP_X(",\"auth\":{\"type\":\"bearer\","
	    "\"token\":\"abc\"}")), "secret_in_clear",
	    "tasks[0].extractor_config.auth.token"),
	BAD("header value in clear", JOB1(HTTP_X(",\"auth\":{\"type\":"
	    "\"header\",\"name\":\"X-Key\",\"value\":\"abc\"}")),
	    "secret_in_clear", "tasks[0].extractor_config.auth.value"),
	BAD("basic without password", JOB1(HTTP_X(",\"auth\":{\"type\":"
	    "\"basic\",\"username\":\"u\"}")), "missing_field",
	    "tasks[0].extractor_config.auth.password"),
	BAD("bearer with username", JOB1(HTTP_X(",\"auth\":{\"type\":"
	    "\"bearer\",\"token\":{\"env\":\"T\"},\"username\":\"u\"}")),
	    "invalid_value", "tasks[0].extractor_config.auth.username"),
	BAD("auth type", JOB1(HTTP_X(",\"auth\":{\"type\":\"oauth\"}")),
	    "invalid_value", "tasks[0].extractor_config.auth.type"),
	BAD("authorization header", JOB1(HTTP_X(",\"headers\":"
	    "{\"Authorization\":\"Bearer abc\"}")), "secret_in_clear",
	    "tasks[0].extractor_config.headers.Authorization"),
	BAD("x-api-key header", JOB1(HTTP_X(",\"headers\":{\"X-Api-Key\":"
	    "\"abc\"}")), "secret_in_clear",
	    "tasks[0].extractor_config.headers.X-Api-Key"),
	BAD("header name", JOB1(HTTP_X(",\"headers\":{\"A B\":\"x\"}")),
	    "invalid_value", "tasks[0].extractor_config.headers.A B"),
	BAD("secret deep in body", JOB1(HTTP_X(",\"body\":{\"a\":[{\"b\":"
	    "{\"client_secret\":\"x\"}}]}")), "secret_in_clear",
	    "tasks[0].extractor_config.body.a[0].b.client_secret"),
	BAD("bad reference", JOB1(HTTP_X(",\"auth\":{\"type\":\"bearer\","
	    "\"token\":{\"env\":\"lower\"}}")), "invalid_value",
	    "tasks[0].extractor_config.auth.token"),
	BAD("reference with extra key", JOB1(HTTP_X(",\"auth\":{\"type\":"
	    "\"bearer\",\"token\":{\"env\":\"T\",\"default\":\"x\"}}")),
	    "invalid_value", "tasks[0].extractor_config.auth.token"),
	BAD("cursor pagination", JOB1(HTTP_X(",\"pagination\":{\"type\":"
	    "\"cursor\",\"param\":\"after\"}")), "missing_field",
	    "tasks[0].extractor_config.pagination.cursor_path"),
	BAD("pagination type", JOB1(HTTP_X(",\"pagination\":{\"type\":"
	    "\"scroll\"}")), "invalid_value",
	    "tasks[0].extractor_config.pagination.type"),
	BAD("rate zero", JOB1(HTTP_X(",\"max_requests_per_second\":0")),
	    "invalid_value", "tasks[0].extractor_config.max_requests_per_second"),
	BAD("verify_tls text", JOB1(HTTP_X(",\"verify_tls\":\"no\"")),
	    "invalid_type", "tasks[0].extractor_config.verify_tls"),

	/* csv and parquet */
	BAD("csv no path", JOB1("{\"extractor_config\":{\"type\":\"csv\"},"
	    DUCK "}"), "missing_field", "tasks[0].extractor_config.path"),
	BAD("csv s3 path", JOB1(CSV_X(",\"path\":\"s3://b/x.csv\"")),
	    "invalid_value", "tasks[0].extractor_config.path"),
	BAD("csv delimiter", JOB1(CSV_X(",\"delimiter\":\",,\"")),
	    "invalid_value", "tasks[0].extractor_config.delimiter"),
	BAD("csv newline quote", JOB1(CSV_X(",\"quote\":\"\\n\"")),
	    "invalid_value", "tasks[0].extractor_config.quote"),
	BAD("csv on_error", JOB1(CSV_X(",\"on_error\":\"ignore\"")),
	    "invalid_value", "tasks[0].extractor_config.on_error"),
	BAD("csv columns empty", JOB1(CSV_X(",\"columns\":[]")),
	    "invalid_value", "tasks[0].extractor_config.columns"),
	BAD("csv column empty", JOB1(CSV_X(",\"columns\":[\"a\",\"\"]")),
	    "invalid_value", "tasks[0].extractor_config.columns[1]"),
	BAD("parquet path", JOB1("{\"extractor_config\":{\"type\":\"parquet\","
	    "\"path\":\"\"}," DUCK "}"), "invalid_value",
	    "tasks[0].extractor_config.path"),

	/* loaders */
	BAD("sql in table name", JOB1(DUCK_T("x; DROP TABLE y")), "invalid_value", "tasks[0].loader_config.table_name"),
	BAD("three-part table", JOB1(DUCK_T("a.b.c")),
	    "invalid_value", "tasks[0].loader_config.table_name"),
	BAD("long identifier", JOB1(DUCK_T("t123456789"
	    "0123456789012345678901234567890123456789012345678901234")),
	    "invalid_value", "tasks[0].loader_config.table_name"),
	BAD("no table", JOB1("{\"extractor_config\":{\"type\":\"csv\","
	    "\"path\":\"x\"},\"loader_config\":{\"type\":\"duckdb\","
	    "\"db_path\":\"w.db\"}}"), "missing_field",
	    "tasks[0].loader_config.table_name"),
	BAD("mode", JOB1(DUCK_L(",\"mode\":\"upsert\"")), "invalid_value",
	    "tasks[0].loader_config.mode"),
	BAD("merge without key", JOB1(DUCK_L(",\"mode\":\"merge\"")),
	    "missing_field", "tasks[0].loader_config.primary_key"),
	BAD("key twice", JOB1(DUCK_L(",\"mode\":\"merge\",\"primary_key\":"
	    "[\"id\",\"ID\"]")), "invalid_value",
	    "tasks[0].loader_config.primary_key[1]"),
	BAD("key not identifier", JOB1(DUCK_L(",\"primary_key\":[\"a-b\"]")),
	    "invalid_value", "tasks[0].loader_config.primary_key[0]"),
	BAD("pg connection in clear", JOB1("{\"extractor_config\":{\"type\":"
	    "\"csv\",\"path\":\"x\"},\"loader_config\":{\"type\":\"postgres\","
	    "\"connection\":\"postgresql://u:p@h/d\",\"table_name\":\"t\"}}"),
	    "secret_in_clear", "tasks[0].loader_config.connection"),
	BAD("pg no connection", JOB1("{\"extractor_config\":{\"type\":\"csv\","
	    "\"path\":\"x\"},\"loader_config\":{\"type\":\"postgres\","
	    "\"table_name\":\"t\"}}"), "missing_field",
	    "tasks[0].loader_config.connection"),
	BAD("pg schema twice", JOB1("{\"extractor_config\":{\"type\":"
	    "\"csv\",\"path\":\"x\"},\"loader_config\":{\"type\":\"postgres\","
	    "\"connection\":{\"env\":\"PG_URL\"},\"table_name\":\"a.t\","
	    "\"schema\":\"b\"}}"), "invalid_value", "tasks[0].loader_config.schema"),
	BAD("pg schema name", JOB1(PG_L(",\"schema\":\"a.b\"")),
	    "invalid_value", "tasks[0].loader_config.schema"),

	/* column types */
	OK("columns", JOB1(PG_L(",\"columns\":[{\"name\":\"id\",\"type\":"
	    "\"integer\"},{\"name\":\"a b\",\"type\":\"timestamp\"},"
	    "{\"name\":\"x\",\"type\":\"double\"},{\"name\":\"y\",\"type\":"
	    "\"boolean\"},{\"name\":\"z\",\"type\":\"text\"}],"
	    "\"on_type_mismatch\":\"fail\""))),
	BAD("column type", JOB1(DUCK_L(",\"columns\":[{\"name\":\"a\","
	    "\"type\":\"text\"},{\"name\":\"b\",\"type\":\"int\"}]")),
	    "invalid_value", "tasks[0].loader_config.columns[1].type"),
	BAD("column twice", JOB1(DUCK_L(",\"columns\":[{\"name\":\"a\","
	    "\"type\":\"text\"},{\"name\":\"a\",\"type\":\"text\"}]")),
	    "invalid_value", "tasks[0].loader_config.columns[1].name"),
	BAD("column name", JOB1(DUCK_L(",\"columns\":[{\"name\":\"\","
	    "\"type\":\"text\"}]")), "invalid_value",
	    "tasks[0].loader_config.columns[0].name"),
	BAD("column long name", JOB1(DUCK_L(",\"columns\":[{\"name\":"
	    "\"c123456789012345678901234567890123456789012345678901234567890"
	    "123\",\"type\":\"text\"}]")), "invalid_value",
	    "tasks[0].loader_config.columns[0].name"),
	BAD("column control", JOB1(DUCK_L(",\"columns\":[{\"name\":"
	    "\"a\\tb\",\"type\":\"text\"}]")), "invalid_value",
	    "tasks[0].loader_config.columns[0].name"),
	BAD("column no type", JOB1(DUCK_L(",\"columns\":[{\"name\":\"a\"}]")),
	    "missing_field", "tasks[0].loader_config.columns[0].type"),
	BAD("column member", JOB1(DUCK_L(",\"columns\":[{\"name\":\"a\","
	    "\"type\":\"text\",\"null\":true}]")), "unknown_field",
	    "tasks[0].loader_config.columns[0].null"),
	BAD("column not object", JOB1(DUCK_L(",\"columns\":[\"a\"]")),
	    "invalid_type", "tasks[0].loader_config.columns[0]"),
	BAD("columns empty", JOB1(DUCK_L(",\"columns\":[]")),
	    "invalid_value", "tasks[0].loader_config.columns"),
	BAD("on_type_mismatch", JOB1(PG_L(",\"on_type_mismatch\":\"cast\"")),
	    "invalid_value", "tasks[0].loader_config.on_type_mismatch"),

	/* incremental loads */
	OK("cursor", JOB1(INC(",\"cursor_field\":\"updated_at\","
	    "\"initial_value\":\"2026-01-01T00:00:00Z\"", MERGE))),
	OK("cursor number", JOB1(INC(",\"cursor_field\":\"id\","
	    "\"initial_value\":0", MERGE))),
	OK("http cursor_param", JOB1("{\"extractor_config\":{\"type\":"
	    "\"http\",\"url\":\"https://h/x\",\"cursor_field\":\"u\","
	    "\"cursor_param\":\"since\"},\"loader_config\":{\"type\":"
	    "\"duckdb\",\"db_path\":\"w.db\",\"table_name\":\"t\"" MERGE
	    "}}")),
	BAD("cursor append", JOB1(INC(",\"cursor_field\":\"id\"", "")),
	    "invalid_value", "tasks[0].loader_config.mode"),
	BAD("cursor replace", JOB1(INC(",\"cursor_field\":\"id\"",
	    ",\"mode\":\"replace\"")), "invalid_value",
	    "tasks[0].loader_config.mode"),
	BAD("initial without cursor", JOB1(INC(",\"initial_value\":1", MERGE)),
	    "invalid_value", "tasks[0].extractor_config.initial_value"),
	BAD("param without cursor", JOB1(HTTP_X(",\"cursor_param\":\"s\"")),
	    "invalid_value", "tasks[0].extractor_config.cursor_param"),
	BAD("initial object", JOB1(INC(",\"cursor_field\":\"id\","
	    "\"initial_value\":{}", MERGE)), "invalid_type",
	    "tasks[0].extractor_config.initial_value"),
	BAD("csv cursor_param", JOB1(INC(",\"cursor_field\":\"id\","
	    "\"cursor_param\":\"s\"", MERGE)), "unknown_field",
	    "tasks[0].extractor_config.cursor_param"),
	BAD("cursor_field empty", JOB1(INC(",\"cursor_field\":\"\"", MERGE)),
	    "invalid_value", "tasks[0].extractor_config.cursor_field"),
};

/* One case of the table: cmocka runs each as its own test. */
static void
test_case(void **state)
{
	const struct tcase	*c = *state;
	struct taskcfg_job	*job = NULL;
	struct json_err		 e;
	int			 rc;

	memset(&e, 0, sizeof(e));
	rc = taskcfg_parse_job(c->body, strlen(c->body), NULL, 0, &job, &e);
	if (rc != c->rc || (c->code != NULL && (e.code == NULL ||
	    strcmp(e.code, c->code) != 0 || strcmp(e.field, c->field) != 0)))
		fail_msg("want %d %s \"%s\", got %d %s \"%s\": %s", c->rc,
		    c->code != NULL ? c->code : "-", c->field != NULL ?
		    c->field : "", rc, e.code != NULL ? e.code : "-", e.field,
		    e.message);
	if (rc == 0)
		assert_non_null(job);
	else {
		assert_null(job);
		assert_true(e.message[0] != '\0');
	}
	taskcfg_job_free(job);
}

static void
test_issue_example(void **state)
{
	struct taskcfg_job	*job;
	struct json_err		 e;

	(void)state;
	assert_int_equal(taskcfg_parse_job(issue_example, strlen(issue_example),
	    NULL, 0, &job, &e), 0);
	assert_string_equal(job->job_name, "My Daily Report");
	assert_string_equal(job->schedule, "0 0 9 * * *");
	assert_string_equal(job->timezone, "UTC");
	assert_true(job->is_active);
	assert_false(job->catchup);
	assert_int_equal(job->max_active_runs, 1);
	assert_string_equal(job->overlap, "queue");
	assert_int_equal(job->ntasks, 1);
	/* "api" is the http extractor; the config is stored as given */
	assert_string_equal(job->tasks[0].kind, "http");
	assert_non_null(strstr(job->tasks[0].extractor_json,
	    "\"type\":\"api\""));
	assert_non_null(strstr(job->tasks[0].loader_json,
	    "\"table_name\":\"daily_sales\""));
	assert_null(job->tasks[0].task_name);
	assert_int_equal(job->tasks[0].max_attempts, 3);
	assert_int_equal(job->tasks[0].timeout_seconds, 0);
	assert_int_equal(job->tasks[0].retry_base_ms, 1000);
	assert_int_equal(job->tasks[0].retry_cap_ms, 300000);
	taskcfg_job_free(job);
}

static void
test_defaults_and_kinds(void **state)
{
	static const char body[] = JOB2("{\"extractor_config\":{\"type\":"
	    "\"noop\"},\"task_name\":\"a\",\"retry\":{\"base_ms\":400000}}",
	    "{\"extractor_config\":{\"type\":\"command\",\"argv\":[\"x\"]},"
	    "\"loader_config\":null,\"timeout_seconds\":5}");
	struct taskcfg_job	*job;
	struct json_err		 e;

	(void)state;
	assert_int_equal(taskcfg_parse_job(body, strlen(body), NULL, 0, &job,
	    &e), 0);
	assert_string_equal(job->tasks[0].kind, "noop");
	assert_string_equal(job->tasks[0].task_name, "a");
	assert_string_equal(job->tasks[0].loader_json, "{}");
	/* the default cap never falls below the base */
	assert_int_equal(job->tasks[0].retry_base_ms, 400000);
	assert_int_equal(job->tasks[0].retry_cap_ms, 400000);
	assert_string_equal(job->tasks[1].kind, "command");
	assert_string_equal(job->tasks[1].loader_json, "{}");
	assert_int_equal(job->tasks[1].timeout_seconds, 5);
	taskcfg_job_free(job);
}

static void
test_limits(void **state)
{
	struct taskcfg_job	*job = NULL;
	struct json_err		 e;
	char			*big;
	size_t			 n;

	(void)state;
	/* over 1 MiB: ORK_ETOOBIG (413) */
	n = TASKCFG_BODY_MAX + 1;
	big = malloc(n + 1);
	assert_non_null(big);
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	big[n] = '\0';
	assert_int_equal(taskcfg_parse_job(big, n, NULL, 0, &job, &e),
	    ORK_ETOOBIG);
	assert_string_equal(e.code, "too_large");
	free(big);

	/* a string over 64 KiB */
	n = TASKCFG_STRING_MAX + 64;
	big = malloc(n + 64);
	assert_non_null(big);
	strcpy(big, "{\"job_name\":\"");
	memset(big + 13, 'a', TASKCFG_STRING_MAX + 1);
	strcpy(big + 13 + TASKCFG_STRING_MAX + 1, "\"}");
	assert_int_equal(taskcfg_parse_job(big, strlen(big), NULL, 0, &job,
	    &e), ORK_EINVAL);
	assert_string_equal(e.code, "invalid_value");
	assert_string_equal(e.field, "job_name");
	free(big);

	/* 33 levels deep, inside a task's http body */
	{
		char deep[1024];

		snprintf(deep, sizeof(deep), "%s", JOB1(HTTP_X(",\"body\":"
		    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]")));
		assert_int_equal(taskcfg_parse_job(deep, strlen(deep), NULL, 0,
		    &job, &e), ORK_EINVAL);
		assert_string_equal(e.code, "too_deep");
		assert_non_null(strstr(e.field,
		    "tasks[0].extractor_config.body[0]"));
		/* 32 levels are fine */
		snprintf(deep, sizeof(deep), "%s", JOB1(HTTP_X(",\"body\":"
		    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]")));
		assert_int_equal(taskcfg_parse_job(deep, strlen(deep), NULL, 0,
		    &job, &e), 0);
		taskcfg_job_free(job);
	}
}

static void
test_no_tasks_flag(void **state)
{
	static const char body[] = "{\"job_name\":\"j\",\"is_active\":false}";
	struct taskcfg_job	*job;
	struct json_err		 e;

	(void)state;
	assert_int_equal(taskcfg_parse_job(body, strlen(body), NULL,
	    TASKCFG_JOB_NO_TASKS, &job, &e), 0);
	assert_int_equal(job->ntasks, 0);
	assert_false(job->is_active);
	taskcfg_job_free(job);
	assert_int_equal(taskcfg_parse_job(body, strlen(body), NULL, 0, &job,
	    &e), ORK_EINVAL);
	assert_string_equal(e.field, "tasks");
}

/* What the worker calls with the configs of a lease. */
static void
test_config_text(void **state)
{
	char		kind[TASKCFG_KIND_MAX];
	struct json_err	e;

	(void)state;
	assert_int_equal(taskcfg_check_config_text("{\"type\":\"api\","
	    "\"url\":\"https://h\"}", "{\"type\":\"duckdb\",\"db_path\":"
	    "\"w\",\"table_name\":\"t\"}", kind, &e), 0);
	assert_string_equal(kind, "http");
	assert_int_equal(taskcfg_check_config_text("{\"type\":\"noop\"}", "{}",
	    kind, &e), 0);
	assert_string_equal(kind, "noop");
	assert_int_equal(taskcfg_check_config_text("{\"type\":\"noop\"}", NULL,
	    kind, &e), 0);
	assert_int_equal(taskcfg_check_config_text("{\"type\":\"csv\","
	    "\"path\":\"x\"}", "", kind, &e), ORK_EINVAL);
	assert_string_equal(e.code, "missing_field");
	assert_string_equal(e.field, "loader_config");
	assert_int_equal(taskcfg_check_config_text("{\"type\":", NULL, kind,
	    &e), ORK_EINVAL);
	assert_string_equal(e.code, "malformed_json");
	assert_string_equal(e.field, "extractor_config");
	for (const char *const *k = taskcfg_kinds; *k != NULL; k++)
		assert_true(strlen(*k) < TASKCFG_KIND_MAX);
}

static void
test_secrets(void **state)
{
	cJSON		*v;
	struct json_err	e;

	(void)state;
	assert_true(taskcfg_is_secret_name("password"));
	assert_true(taskcfg_is_secret_name("DB_PASSWD"));
	assert_true(taskcfg_is_secret_name("accessToken"));
	assert_true(taskcfg_is_secret_name("Client-Secret"));
	assert_true(taskcfg_is_secret_name("x-api-key"));
	assert_true(taskcfg_is_secret_name("APIKEY"));
	assert_true(taskcfg_is_secret_name("private_key_pem"));
	assert_true(taskcfg_is_secret_name("connection"));
	assert_true(taskcfg_is_secret_name("Authorization"));
	assert_false(taskcfg_is_secret_name("table_name"));
	assert_false(taskcfg_is_secret_name("username"));
	assert_false(taskcfg_is_secret_name("env"));

	v = cJSON_Parse("{\"env\":\"ORK_TEST_SECRET_X\"}");
	assert_true(taskcfg_is_secret_ref(v));
	unsetenv("ORK_TEST_SECRET_X");
	assert_null(taskcfg_resolve_secret(v));
	setenv("ORK_TEST_SECRET_X", "s3cr3t", 1);
	assert_string_equal(taskcfg_resolve_secret(v), "s3cr3t");
	unsetenv("ORK_TEST_SECRET_X");
	cJSON_Delete(v);
	v = cJSON_Parse("{\"env\":\"9X\"}");
	assert_false(taskcfg_is_secret_ref(v));
	assert_null(taskcfg_resolve_secret(v));
	cJSON_Delete(v);
	v = cJSON_Parse("\"X\"");
	assert_false(taskcfg_is_secret_ref(v));
	cJSON_Delete(v);

	/* run parameters follow the same rule */
	v = cJSON_Parse("{\"day\":\"2024-05-01\",\"nested\":[{\"token\":"
	    "\"t\"}]}");
	assert_int_equal(taskcfg_check_secrets(v, "params", &e), ORK_EINVAL);
	assert_string_equal(e.code, "secret_in_clear");
	assert_string_equal(e.field, "params.nested[0].token");
	assert_non_null(strstr(e.message, "{\"env\": \"NAME\"}"));
	cJSON_Delete(v);
	v = cJSON_Parse("{\"token\":{\"env\":\"T\"}}");
	assert_int_equal(taskcfg_check_secrets(v, "params", &e), 0);
	cJSON_Delete(v);
}

static void
test_identifiers(void **state)
{
	(void)state;
	assert_true(taskcfg_is_identifier("daily_sales"));
	assert_true(taskcfg_is_identifier("_x1"));
	assert_true(taskcfg_is_identifier("A"));
	assert_false(taskcfg_is_identifier(""));
	assert_false(taskcfg_is_identifier("1a"));
	assert_false(taskcfg_is_identifier("a b"));
	assert_false(taskcfg_is_identifier("a;b"));
	assert_false(taskcfg_is_identifier("\xc3\xa9t\xc3\xa9"));
	assert_true(taskcfg_is_identifier("a23456789012345678901234567890123456"
	    "789012345678901234567890123"));
	assert_false(taskcfg_is_identifier("a234567890123456789012345678901234"
	    "5678901234567890123456789012345"));
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_issue_example),
		cmocka_unit_test(test_defaults_and_kinds),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_no_tasks_flag),
		cmocka_unit_test(test_config_text),
		cmocka_unit_test(test_secrets),
		cmocka_unit_test(test_identifiers),
	};
	size_t			 ncases = sizeof(cases) / sizeof(cases[0]);
	size_t			 nfixed = sizeof(fixed) / sizeof(fixed[0]);
	struct CMUnitTest	*tests;
	int			 rc;

	tests = calloc(ncases + nfixed, sizeof(*tests));
	if (tests == NULL)
		return 1;
	for (size_t i = 0; i < ncases; i++) {
		tests[i].name = cases[i].name;
		tests[i].test_func = test_case;
		tests[i].initial_state = (void *)(uintptr_t)&cases[i];
	}
	memcpy(tests + ncases, fixed, sizeof(fixed));
	rc = _cmocka_run_group_tests("taskcfg", tests, ncases + nfixed, NULL,
	    NULL);
	free(tests);
	return rc;
}
