/*
 * migrate.h - the schema migrations compiled into every daemon.
 *
 * migrations/NNNN_name.sql are embedded at build time (see
 * deploy/embed-migrations.sh).  migrate_apply applies the pending ones in
 * order, each in its own transaction, under a session advisory lock, and
 * records them in schema_migrations with a checksum of their text.
 */
#ifndef ORK_MIGRATE_H
#define ORK_MIGRATE_H

#include <stddef.h>

#include <libpq-fe.h>

struct migration {
	int		 version;
	const char	*name;
	const char	*sql;
	size_t		 len;
};

/* Generated: NULL-terminated table and its length. */
extern const struct migration migrate_embedded[];
extern const size_t migrate_embedded_count;

/* The advisory lock key migrations hold ("ork-migr" in ASCII). */
#define MIGRATE_LOCK_KEY 0x6f726b2d6d696772LL

/* migrate_known_version returns the newest version this build carries. */
int migrate_known_version(void);

/*
 * migrate_apply brings the database to migrate_known_version().  Sets
 * *applied to the number of migrations it applied (0: already current).
 * Fails with ORK_ESCHEMA when the database is newer than this build or a
 * recorded migration's checksum differs from the embedded text, and with
 * ORK_EDB (message in err) when a migration fails; that migration's
 * transaction is rolled back and the ones before it stay applied.
 */
int migrate_apply(PGconn *conn, int *applied, char *err, size_t errlen);

/* migrate_checksum returns the FNV-1a 64 hash of a migration's text. */
unsigned long long migrate_checksum(const char *sql, size_t len);

#endif /* ORK_MIGRATE_H */
