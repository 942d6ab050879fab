/*
 * db.c - PostgreSQL connections through libpq.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "err.h"
#include "log.h"
#include "migrate.h"
#include "util.h"

/* one_line copies msg into err without trailing newlines or periods. */
static void
one_line(char *err, size_t errlen, const char *msg)
{
	size_t n;

	if (err == NULL || errlen == 0)
		return;
	snprintf(err, errlen, "%s", msg != NULL ? msg : "unknown error");
	for (char *p = err; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	n = strlen(err);
	while (n > 0 && (err[n - 1] == ' ' || err[n - 1] == '.'))
		err[--n] = '\0';
}

int
db_connect(const char *url, const char *application, PGconn **out, char *err,
    size_t errlen)
{
	/* Ours come first so that settings in the URL win. */
	const char *keys[] = { "application_name", "connect_timeout",
	    "dbname", NULL };
	const char *vals[] = { application, DB_CONNECT_TIMEOUT_STR, url,
	    NULL };
	PGconn *conn;

	*out = NULL;
	conn = PQconnectdbParams(keys, vals, 1);
	if (conn == NULL) {
		one_line(err, errlen, "out of memory");
		return ORK_ENOMEM;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		one_line(err, errlen, PQerrorMessage(conn));
		PQfinish(conn);
		return ORK_ECONN;
	}
	*out = conn;
	return 0;
}

int
db_connect_retry(const char *url, const char *application,
    atomic_int *stop, PGconn **out)
{
	char		 why[512], where[512];
	unsigned	 wait_ms = DB_RETRY_MIN_MS;
	unsigned	 attempt = 0;

	db_redact_url(url, where, sizeof(where));
	for (;;) {
		if (db_connect(url, application, out, why, sizeof(why)) == 0) {
			if (attempt > 0)
				log_info("connected to database %s after %u "
				    "failed attempts", where, attempt);
			return 0;
		}
		attempt++;
		{
			/* full jitter on the upper half of the window */
			unsigned sleep_ms = wait_ms / 2 +
			    util_rand_below(wait_ms / 2 + 1);

			log_warn("could not connect to database %s: %s; "
			    "retrying in %u ms (attempt %u)", where, why,
			    sleep_ms, attempt);
			if (util_sleep_ms_interruptible(sleep_ms, stop) != 0)
				return ORK_ECANCELED;
		}
		wait_ms = wait_ms * 2 > DB_RETRY_MAX_MS ? DB_RETRY_MAX_MS :
		    wait_ms * 2;
	}
}

int
db_result_error(PGconn *conn, const PGresult *res, char *err, size_t errlen)
{
	const char *state = res != NULL ?
	    PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res != NULL ? PQresultErrorMessage(res) : NULL;

	if (msg == NULL || *msg == '\0')
		msg = PQerrorMessage(conn);
	one_line(err, errlen, msg);
	if (PQstatus(conn) != CONNECTION_OK)
		return ORK_ECONN;
	if (state == NULL)
		return ORK_EDB;
	if (strcmp(state, "23505") == 0)	/* unique_violation */
		return ORK_EEXIST;
	if (strcmp(state, "23503") == 0)	/* foreign_key_violation */
		return ORK_ENOTFOUND;
	if (strncmp(state, "22", 2) == 0 ||	/* data exception */
	    strcmp(state, "23514") == 0)	/* check_violation */
		return ORK_EINVAL;
	if (strncmp(state, "08", 2) == 0 ||	/* connection exception */
	    strncmp(state, "57P", 3) == 0)	/* admin/crash shutdown */
		return ORK_ECONN;
	if (strcmp(state, "57014") == 0)	/* query_canceled */
		return ORK_ETIMEDOUT;
	if (strcmp(state, "40001") == 0 ||	/* serialization_failure */
	    strcmp(state, "40P01") == 0)	/* deadlock_detected */
		return ORK_ESTATE;
	return ORK_EDB;
}

int
db_exec(PGconn *conn, const char *sql, char *err, size_t errlen)
{
	PGresult	*res = PQexec(conn, sql);
	int		 rc = 0;

	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = db_result_error(conn, res, err, errlen);
	PQclear(res);
	return rc;
}

int
db_schema_version(PGconn *conn, int *version, char *err, size_t errlen)
{
	PGresult	*res;
	int		 rc = 0;

	*version = 0;
	res = PQexec(conn, "SELECT to_regclass('schema_migrations') IS NOT NULL");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = db_result_error(conn, res, err, errlen);
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0)
		goto out;
	PQclear(res);
	res = PQexec(conn, "SELECT coalesce(max(version), 0) "
	    "FROM schema_migrations");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = db_result_error(conn, res, err, errlen);
		goto out;
	}
	*version = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
out:
	PQclear(res);
	return rc;
}

int
db_schema_check(PGconn *conn, char *err, size_t errlen)
{
	int have, want = migrate_known_version();
	int rc;

	rc = db_schema_version(conn, &have, err, errlen);
	if (rc != 0)
		return rc;
	if (have == want)
		return 0;
	if (have == 0)
		snprintf(err, errlen, "database has no ork schema: run "
		    "\"ork-orchestrator migrate\" first");
	else if (have > want)
		snprintf(err, errlen, "database schema version %d is newer "
		    "than this build knows (%d): upgrade ork", have, want);
	else
		snprintf(err, errlen, "database schema version %d is older "
		    "than this build needs (%d): run \"ork-orchestrator "
		    "migrate\"", have, want);
	return ORK_ESCHEMA;
}

void
db_redact_url(const char *url, char *buf, size_t len)
{
	PQconninfoOption	*info, *o;
	char			*why = NULL;
	const char		*host = NULL, *port = NULL, *dbname = NULL;
	const char		*user = NULL;

	info = PQconninfoParse(url, &why);
	PQfreemem(why);
	if (info == NULL) {
		snprintf(buf, len, "(unparsable URL)");
		return;
	}
	for (o = info; o->keyword != NULL; o++) {
		if (o->val == NULL)
			continue;
		if (strcmp(o->keyword, "host") == 0)
			host = o->val;
		else if (strcmp(o->keyword, "hostaddr") == 0 && host == NULL)
			host = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			port = o->val;
		else if (strcmp(o->keyword, "dbname") == 0)
			dbname = o->val;
		else if (strcmp(o->keyword, "user") == 0)
			user = o->val;
	}
	snprintf(buf, len, "\"%s\" on %s%s%s%s%s", dbname != NULL ? dbname :
	    "(default)", user != NULL ? user : "", user != NULL ? "@" : "",
	    host != NULL ? host : "(default host)", port != NULL ? ":" : "",
	    port != NULL ? port : "");
	PQconninfoFree(info);
}
