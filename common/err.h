/*
 * err.h - project error codes.
 *
 * Every function that can fail returns int: 0 on success, one of the
 * negative ORK_E* codes below on failure.  Library errors (libpq, nng,
 * protobuf-c, curl) are mapped to these in one place per module; only the
 * api maps them to HTTP status codes.
 */
#ifndef ORK_ERR_H
#define ORK_ERR_H

enum {
	ORK_OK = 0,
	ORK_ENOMEM = -1,	/* allocation failed */
	ORK_EINVAL = -2,	/* bad input: config, flag, message, body */
	ORK_ERANGE = -3,	/* value outside its limits */
	ORK_ETOOBIG = -4,	/* input over its size limit */
	ORK_ENOTFOUND = -5,	/* no such row, file, route */
	ORK_EEXIST = -6,	/* already exists (unique violation) */
	ORK_EDB = -7,		/* database error */
	ORK_ECONN = -8,		/* could not connect / connection lost */
	ORK_ETIMEDOUT = -9,	/* deadline passed */
	ORK_EPROTO = -10,	/* malformed or undecodable frame */
	ORK_EVERSION = -11,	/* unsupported protocol or schema version */
	ORK_ESTATE = -12,	/* transition not allowed from current state */
	ORK_EIO = -13,		/* read/write/system call failed */
	ORK_ECANCELED = -14,	/* operation was cancelled */
	ORK_ECLOSED = -15,	/* socket or server closed */
	ORK_EAUTH = -16,	/* not authenticated */
	ORK_EPERM = -17,	/* not allowed */
	ORK_ESCHEMA = -18,	/* database schema missing or of another version */
	ORK_EINTERNAL = -19	/* programmer error surfaced at run time */
};

/* err_str returns a static, lower-case description of an ORK_E* code. */
const char *err_str(int err);

#endif /* ORK_ERR_H */
