/*
 * migrate.c - apply the embedded schema migrations.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "err.h"
#include "log.h"
#include "migrate.h"

int
migrate_known_version(void)
{
	if (migrate_embedded_count == 0)
		return 0;
	return migrate_embedded[migrate_embedded_count - 1].version;
}

unsigned long long
migrate_checksum(const char *sql, size_t len)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)sql[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static const char create_table_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY,"
    " name text NOT NULL,"
    " checksum text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

/* check_recorded verifies that the applied migrations are ours, unchanged. */
static int
check_recorded(PGconn *conn, int *have, char *err, size_t errlen)
{
	PGresult	*res;
	int		 rc = 0;

	*have = 0;
	res = PQexec(conn, "SELECT version, checksum FROM schema_migrations "
	    "ORDER BY version");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = db_result_error(conn, res, err, errlen);
		goto out;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		int		 v = (int)strtol(PQgetvalue(res, i, 0), NULL, 10);
		const char	*sum = PQgetvalue(res, i, 1);
		char		 want[32];
		const struct migration *m;

		*have = v;
		if (v < 1 || (size_t)v > migrate_embedded_count) {
			snprintf(err, errlen, "database schema version %d is "
			    "newer than this build knows (%d): upgrade ork",
			    v, migrate_known_version());
			rc = ORK_ESCHEMA;
			goto out;
		}
		m = &migrate_embedded[v - 1];
		snprintf(want, sizeof(want), "%016llx",
		    migrate_checksum(m->sql, m->len));
		if (strcmp(sum, want) != 0) {
			snprintf(err, errlen, "migration %s was changed after "
			    "it was applied (checksum %s, database has %s)",
			    m->name, want, sum);
			rc = ORK_ESCHEMA;
			goto out;
		}
	}
out:
	PQclear(res);
	return rc;
}

static int
apply_one(PGconn *conn, const struct migration *m, char *err, size_t errlen)
{
	char		 sum[32], ver[16];
	const char	*params[3];
	PGresult	*res;
	int		 rc;

	rc = db_exec(conn, "BEGIN", err, errlen);
	if (rc != 0)
		return rc;
	/* The generated table ends each text with a NUL; PQexec runs it all. */
	rc = db_exec(conn, m->sql, err, errlen);
	if (rc != 0) {
		char why[512];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "migration %s failed: %s", m->name, why);
		goto rollback;
	}
	snprintf(ver, sizeof(ver), "%d", m->version);
	snprintf(sum, sizeof(sum), "%016llx", migrate_checksum(m->sql, m->len));
	params[0] = ver;
	params[1] = m->name;
	params[2] = sum;
	res = PQexecParams(conn, "INSERT INTO schema_migrations "
	    "(version, name, checksum) VALUES ($1::int, $2, $3)", 3, NULL,
	    params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = db_result_error(conn, res, err, errlen);
		PQclear(res);
		goto rollback;
	}
	PQclear(res);
	return db_exec(conn, "COMMIT", err, errlen);
rollback:
	(void)db_exec(conn, "ROLLBACK", NULL, 0);
	return rc;
}

int
migrate_apply(PGconn *conn, int *applied, char *err, size_t errlen)
{
	char	lock[128];
	int	have, rc;

	*applied = 0;
	snprintf(lock, sizeof(lock), "SELECT pg_advisory_lock(%lld)",
	    MIGRATE_LOCK_KEY);
	rc = db_exec(conn, lock, err, errlen);
	if (rc != 0)
		return rc;
	rc = db_exec(conn, "SET client_min_messages = warning", err, errlen);
	if (rc != 0)
		goto unlock;
	rc = db_exec(conn, create_table_sql, err, errlen);
	if (rc != 0)
		goto unlock;
	rc = check_recorded(conn, &have, err, errlen);
	if (rc != 0)
		goto unlock;
	for (size_t i = (size_t)have; i < migrate_embedded_count; i++) {
		const struct migration *m = &migrate_embedded[i];

		rc = apply_one(conn, m, err, errlen);
		if (rc != 0)
			goto unlock;
		log_info("applied migration %s", m->name);
		(*applied)++;
	}
unlock:
	snprintf(lock, sizeof(lock), "SELECT pg_advisory_unlock(%lld)",
	    MIGRATE_LOCK_KEY);
	(void)db_exec(conn, lock, NULL, 0);
	return rc;
}
