/*
 * err.c - descriptions of project error codes.
 */
#include "err.h"

const char *
err_str(int err)
{
	switch (err) {
	case ORK_OK:		return "success";
	case ORK_ENOMEM:	return "out of memory";
	case ORK_EINVAL:	return "invalid argument";
	case ORK_ERANGE:	return "value out of range";
	case ORK_ETOOBIG:	return "input too large";
	case ORK_ENOTFOUND:	return "not found";
	case ORK_EEXIST:	return "already exists";
	case ORK_EDB:		return "database error";
	case ORK_ECONN:		return "connection failed";
	case ORK_ETIMEDOUT:	return "timed out";
	case ORK_EPROTO:	return "protocol error";
	case ORK_EVERSION:	return "unsupported version";
	case ORK_ESTATE:	return "invalid state transition";
	case ORK_EIO:		return "input/output error";
	case ORK_ECANCELED:	return "cancelled";
	case ORK_ECLOSED:	return "closed";
	case ORK_EAUTH:		return "not authenticated";
	case ORK_EPERM:		return "permission denied";
	case ORK_ESCHEMA:	return "schema version mismatch";
	case ORK_EINTERNAL:	return "internal error";
	}
	return "unknown error";
}
