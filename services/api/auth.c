/*
 * auth.c - users, passwords, tokens and roles.
 *
 * Passwords are stored as Argon2id hashes (OWASP's parameters: 19 MiB,
 * two passes, one lane).  Tokens are 256 random bits shown once; only
 * their SHA-256 is stored and looked up.  A token that checked out is
 * remembered for AUTH_CACHE_MS, so a revocation made through another
 * ork-api process takes at most that long to bite (revocations made
 * through this one bite at once).  Logins are rate-limited per client
 * address with a token bucket, and at most AUTH_HASHING_MAX hashes are
 * computed at once (each takes 19 MiB).
 */
#include <argon2.h>
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "db.h"
#include "err.h"
#include "log.h"
#include "sha256.h"
#include "taskcfg.h"

/* Argon2id, as OWASP recommends (2023): m=19456 KiB, t=2, p=1. */
#define AUTH_ARGON2_T		2
#define AUTH_ARGON2_M_KIB	19456
#define AUTH_ARGON2_P		1
#define AUTH_SALT_LEN		16
#define AUTH_HASH_LEN		32
#define AUTH_ENCODED_MAX	256
#define AUTH_HASHING_MAX	4

#define AUTH_PASSWORD_MIN	8
#define AUTH_PASSWORD_MAX	1024

/* Tokens: "ork_" and 43 base64url characters of 32 random bytes. */
#define AUTH_TOKEN_PREFIX	"ork_"
#define AUTH_TOKEN_BYTES	32
#define AUTH_TOKEN_MAX		128
#define AUTH_SESSION_SECONDS	(12 * 3600)
#define AUTH_TOKEN_DAYS_MAX	3650

/* Remembered tokens. */
#define AUTH_CACHE_SLOTS	1024
#define AUTH_CACHE_MS		5000

/* Logins per client address: a burst, then so many per minute. */
#define AUTH_LOGIN_BURST	10
#define AUTH_LOGIN_PER_MINUTE	10
#define AUTH_LIMIT_SLOTS	4096
#define AUTH_LIMIT_PROBE	8

struct cached {
	unsigned char		hash[SHA256_LEN];
	struct principal	who;
	int64_t			until_ms;	/* monotonic */
	int			used;
};

struct bucket {
	char	addr[48];
	double	tokens;
	int64_t	last_ms;
};

struct auth {
	pthread_mutex_t	 cache_lock;
	struct cached	 cache[AUTH_CACHE_SLOTS];
	pthread_mutex_t	 limit_lock;
	struct bucket	 buckets[AUTH_LIMIT_SLOTS];
	sem_t		 hashing;
	char		 decoy[AUTH_ENCODED_MAX];	/* for unknown users */
};

static const char unauthorized_hdr[] = "WWW-Authenticate: Bearer "
    "realm=\"ork\"\r\n";

/* ---- passwords --------------------------------------------------- */

/* hash_password writes the Argon2id encoding of pw into out. */
static int
hash_password(sem_t *limit, const char *pw, char out[AUTH_ENCODED_MAX])
{
	unsigned char	salt[AUTH_SALT_LEN];
	int		rc;

	if (util_rand_bytes(salt, sizeof(salt)) != 0)
		return ORK_EIO;
	if (limit != NULL)
		sem_wait(limit);
	rc = argon2id_hash_encoded(AUTH_ARGON2_T, AUTH_ARGON2_M_KIB,
	    AUTH_ARGON2_P, pw, strlen(pw), salt, sizeof(salt), AUTH_HASH_LEN,
	    out, AUTH_ENCODED_MAX);
	if (limit != NULL)
		sem_post(limit);
	if (rc != ARGON2_OK) {
		log_error("could not hash a password: %s",
		    argon2_error_message(rc));
		return rc == ARGON2_MEMORY_ALLOCATION_ERROR ? ORK_ENOMEM :
		    ORK_EINTERNAL;
	}
	return 0;
}

/* verify_password: 1 when pw matches the encoding (constant time). */
static int
verify_password(sem_t *limit, const char *encoded, const char *pw)
{
	int rc;

	if (limit != NULL)
		sem_wait(limit);
	rc = argon2id_verify(encoded, pw, strlen(pw));
	if (limit != NULL)
		sem_post(limit);
	return rc == ARGON2_OK;
}

static int
valid_username(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > API_USERNAME_MAX || !isalnum((unsigned char)s[0]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80 ||
		    !(isalnum((unsigned char)s[i]) || strchr("_.@-", s[i])))
			return 0;
	return 1;
}

static const char username_rule[] = "a username has 1 to 64 letters, "
    "digits, '_', '.', '@' or '-', starting with a letter or digit";

/* ---- setup ------------------------------------------------------- */

/*
 * auth_new makes the token cache, the login limiter and a decoy hash.
 * Returns 0 with *out owned by the caller (auth_free), or an error.
 */
int
auth_new(struct api *a, struct auth **out)
{
	struct auth	*au;
	unsigned char	 pw[24];
	char		 pwtext[64];
	int		 rc;

	(void)a;
	*out = NULL;
	au = calloc(1, sizeof(*au));
	if (au == NULL)
		return ORK_ENOMEM;
	pthread_mutex_init(&au->cache_lock, NULL);
	pthread_mutex_init(&au->limit_lock, NULL);
	sem_init(&au->hashing, 0, AUTH_HASHING_MAX);
	/* A hash of a password nobody knows, verified for unknown users
	 * so that they take as long as known ones. */
	if ((rc = util_rand_bytes(pw, sizeof(pw))) != 0)
		goto fail;
	text_hex(pw, sizeof(pw), pwtext);
	if ((rc = hash_password(NULL, pwtext, au->decoy)) != 0)
		goto fail;
	*out = au;
	return 0;
fail:
	auth_free(au);
	return rc;
}

/* auth_free releases what auth_new made; NULL accepted. */
void
auth_free(struct auth *au)
{
	if (au == NULL)
		return;
	pthread_mutex_destroy(&au->cache_lock);
	pthread_mutex_destroy(&au->limit_lock);
	sem_destroy(&au->hashing);
	explicit_bzero(au, sizeof(*au));
	free(au);
}

static void
cache_flush(struct auth *au)
{
	pthread_mutex_lock(&au->cache_lock);
	for (int i = 0; i < AUTH_CACHE_SLOTS; i++)
		au->cache[i].used = 0;
	pthread_mutex_unlock(&au->cache_lock);
}

static const char insert_user_sql[] =
    "INSERT INTO users (username, password_hash, role) "
    "VALUES ($1, $2, $3) ON CONFLICT (username) DO NOTHING "
    "RETURNING user_id";

/*
 * auth_bootstrap creates the first admin from ORK_ADMIN_PASSWORD when
 * no user exists.  Returns 0, ORK_EINVAL (a bad name or password: the
 * daemon exits 2) or another error.
 */
int
auth_bootstrap(struct api *a)
{
	const struct api_config	*cfg = a->cfg;
	PGconn			*c;
	PGresult		*res;
	char			 msg[256], encoded[AUTH_ENCODED_MAX];
	const char		*values[3];
	int			 rc, err, any;

	rc = dbpool_get(a->pool, API_DB_WAIT_MS, &c, msg, sizeof(msg));
	if (rc != 0) {
		log_error("could not check for users: %s", msg);
		return rc;
	}
	res = sql_exec(c, "SELECT EXISTS (SELECT 1 FROM users)", 0, NULL, &err,
	    msg, sizeof(msg));
	if (res == NULL) {
		dbpool_put(a->pool, c);
		log_error("could not check for users: %s", msg);
		return err;
	}
	any = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (any || cfg->admin_password == NULL ||
	    cfg->admin_password[0] == '\0') {
		dbpool_put(a->pool, c);
		if (any && cfg->admin_password != NULL &&
		    cfg->admin_password[0] != '\0')
			log_info("users exist: ORK_ADMIN_PASSWORD is not used");
		else if (!any && cfg->auth)
			log_warn("no user exists: set ORK_ADMIN_PASSWORD or run "
			    "\"ork-api create-user NAME admin\"");
		return 0;
	}
	if (!valid_username(cfg->admin_user)) {
		dbpool_put(a->pool, c);
		log_error("ORK_ADMIN_USER \"%s\": %s", cfg->admin_user,
		    username_rule);
		return ORK_EINVAL;
	}
	if (strlen(cfg->admin_password) < AUTH_PASSWORD_MIN ||
	    strlen(cfg->admin_password) > AUTH_PASSWORD_MAX) {
		dbpool_put(a->pool, c);
		log_error("ORK_ADMIN_PASSWORD must have %d to %d characters",
		    AUTH_PASSWORD_MIN, AUTH_PASSWORD_MAX);
		return ORK_EINVAL;
	}
	if ((rc = hash_password(NULL, cfg->admin_password, encoded)) != 0) {
		dbpool_put(a->pool, c);
		return rc;
	}
	values[0] = cfg->admin_user;
	values[1] = encoded;
	values[2] = "admin";
	res = sql_exec(c, insert_user_sql, 3, values, &err, msg, sizeof(msg));
	dbpool_put(a->pool, c);
	if (res == NULL) {
		log_error("could not create the first admin: %s", msg);
		return err;
	}
	if (PQntuples(res) > 0)
		log_info("created the first admin \"%s\" from "
		    "ORK_ADMIN_PASSWORD", cfg->admin_user);
	PQclear(res);
	return 0;
}

/* read_password reads one line from stdin without its line break. */
static int
read_password(char *buf, size_t len)
{
	size_t n;

	if (fgets(buf, (int)len, stdin) == NULL)
		return -1;
	n = strlen(buf);
	if (n == len - 1 && buf[n - 1] != '\n')
		return -1;		/* longer than the buffer */
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return 0;
}

/*
 * auth_create_user_cli runs "ork-api create-user NAME ROLE": the
 * password is read from standard input.  Returns the exit status.
 */
int
auth_create_user_cli(const struct api_config *cfg, const char *name,
    const char *role)
{
	PGconn		*c;
	PGresult	*res;
	char		 pw[AUTH_PASSWORD_MAX + 2], encoded[AUTH_ENCODED_MAX];
	char		 err[512];
	const char	*values[3];
	int		 rc, e, status = 1;

	if (!valid_username(name)) {
		fprintf(stderr, "ork-api: \"%s\": %s\n", name, username_rule);
		return 2;
	}
	if (api_role_parse(role) < 0) {
		fprintf(stderr, "ork-api: \"%s\" is not a role: viewer, "
		    "operator or admin\n", role);
		return 2;
	}
	if (read_password(pw, sizeof(pw)) != 0 ||
	    strlen(pw) < AUTH_PASSWORD_MIN || strlen(pw) > AUTH_PASSWORD_MAX) {
		fprintf(stderr, "ork-api: give the password (%d to %d "
		    "characters) on standard input\n", AUTH_PASSWORD_MIN,
		    AUTH_PASSWORD_MAX);
		explicit_bzero(pw, sizeof(pw));
		return 2;
	}
	rc = hash_password(NULL, pw, encoded);
	explicit_bzero(pw, sizeof(pw));
	if (rc != 0)
		return 1;
	if (db_connect(cfg->database_url, "ork-api", &c, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "ork-api: %s\n", err);
		return 1;
	}
	if (db_schema_check(c, err, sizeof(err)) != 0) {
		fprintf(stderr, "ork-api: %s\n", err);
		goto finish;
	}
	values[0] = name;
	values[1] = encoded;
	values[2] = role;
	res = sql_exec(c, insert_user_sql, 3, values, &e, err, sizeof(err));
	if (res == NULL) {
		fprintf(stderr, "ork-api: could not create user \"%s\": %s\n",
		    name, err);
		goto finish;
	}
	if (PQntuples(res) == 0)
		fprintf(stderr, "ork-api: user \"%s\" exists already\n", name);
	else {
		printf("created user \"%s\" (%s)\n", name, role);
		status = 0;
	}
	PQclear(res);
finish:
	PQfinish(c);
	return status;
}

/* ---- authentication ---------------------------------------------- */

static const struct sql_stmt token_stmt = {
	"auth_token",
	"UPDATE api_tokens t SET last_used_at = now() FROM users u "
	"WHERE t.token_hash = decode($1, 'hex') AND u.user_id = t.user_id "
	"AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR "
	"t.expires_at > now()) AND u.is_active "
	"RETURNING t.token_id, t.kind, u.user_id, u.username, u.role, "
	"coalesce(extract(epoch FROM t.expires_at - now()) * 1000, -1)::int8",
	1, 0
};

static int
cache_lookup(struct auth *au, const unsigned char hash[SHA256_LEN],
    struct principal *who)
{
	struct cached	*e;
	unsigned	 slot = ((unsigned)hash[0] << 8 | hash[1]) %
	    AUTH_CACHE_SLOTS;
	int		 hit = 0;

	pthread_mutex_lock(&au->cache_lock);
	e = &au->cache[slot];
	if (e->used && sha256_equal(e->hash, hash) &&
	    e->until_ms > util_mono_ms()) {
		*who = e->who;
		hit = 1;
	}
	pthread_mutex_unlock(&au->cache_lock);
	return hit;
}

static void
cache_store(struct auth *au, const unsigned char hash[SHA256_LEN],
    const struct principal *who, int64_t valid_ms)
{
	struct cached	*e;
	unsigned	 slot = ((unsigned)hash[0] << 8 | hash[1]) %
	    AUTH_CACHE_SLOTS;

	if (valid_ms >= 0 && valid_ms < 1)
		return;
	if (valid_ms < 0 || valid_ms > AUTH_CACHE_MS)
		valid_ms = AUTH_CACHE_MS;
	pthread_mutex_lock(&au->cache_lock);
	e = &au->cache[slot];
	memcpy(e->hash, hash, SHA256_LEN);
	e->who = *who;
	e->until_ms = util_mono_ms() + valid_ms;
	e->used = 1;
	pthread_mutex_unlock(&au->cache_lock);
}

/* bearer finds the token of a request: header, or for streams a query. */
static int
bearer(struct req *r, char *token, size_t len)
{
	const char *h = mg_get_header(r->c, "Authorization");

	token[0] = '\0';
	if (h != NULL) {
		if (strncasecmp(h, "Bearer ", 7) != 0)
			return -1;
		h += 7;
		while (*h == ' ')
			h++;
		if (strlen(h) >= len)
			return -1;
		snprintf(token, len, "%s", h);
		return 0;
	}
	/* EventSource cannot send headers: /events takes access_token. */
	if (r->route != NULL && (r->route->flags & ROUTE_STREAM) &&
	    http_query(r, "access_token", token, len) > 0)
		return 0;
	return 1;
}

/*
 * auth_authenticate finds who makes the request (everyone is an admin
 * when authentication is off).  Answers 401 (or 503) itself and returns
 * that status, or returns 0.
 */
int
auth_authenticate(struct req *r)
{
	struct auth	*au = r->a->auth;
	unsigned char	 hash[SHA256_LEN];
	char		 token[AUTH_TOKEN_MAX + 1], hex[2 * SHA256_LEN + 1];
	char		 msg[256];
	const char	*values[1];
	PGconn		*c;
	PGresult	*res;
	int		 rc, err, role;

	if (!r->a->cfg->auth) {
		r->who.role = ROLE_ADMIN;
		snprintf(r->who.username, sizeof(r->who.username), "anonymous");
		return 0;
	}
	rc = bearer(r, token, sizeof(token));
	if (rc > 0)
		return http_error_h(r, 401, unauthorized_hdr, "unauthorized",
		    NULL, "this needs a token: send \"Authorization: Bearer "
		    "TOKEN\" (POST /auth/login gives one)");
	if (rc < 0 || token[0] == '\0')
		return http_error_h(r, 401, unauthorized_hdr, "unauthorized",
		    NULL, "the Authorization header must be \"Bearer TOKEN\"");
	sha256(token, strlen(token), hash);
	explicit_bzero(token, sizeof(token));
	if (cache_lookup(au, hash, &r->who))
		return 0;
	text_hex(hash, sizeof(hash), hex);
	values[0] = hex;
	if ((rc = sql_conn(r, &c)) != 0)
		return rc;
	res = sql_run(c, &token_stmt, values, &err, msg, sizeof(msg));
	sql_release(r, c);
	if (res == NULL)
		return http_fail(r, err, "could not check the token");
	if (PQntuples(res) == 0) {
		PQclear(res);
		return http_error_h(r, 401, unauthorized_hdr, "unauthorized",
		    NULL, "the token is unknown, expired or revoked");
	}
	memset(&r->who, 0, sizeof(r->who));
	snprintf(r->who.token_id, sizeof(r->who.token_id), "%s",
	    PQgetvalue(res, 0, 0));
	snprintf(r->who.token_kind, sizeof(r->who.token_kind), "%s",
	    PQgetvalue(res, 0, 1));
	snprintf(r->who.user_id, sizeof(r->who.user_id), "%s",
	    PQgetvalue(res, 0, 2));
	snprintf(r->who.username, sizeof(r->who.username), "%s",
	    PQgetvalue(res, 0, 3));
	role = api_role_parse(PQgetvalue(res, 0, 4));
	r->who.role = role > 0 ? (enum api_role)role : ROLE_NONE;
	cache_store(au, hash, &r->who, strtoll(PQgetvalue(res, 0, 5), NULL,
	    10));
	PQclear(res);
	return 0;
}

/* ---- login rate limit -------------------------------------------- */

/*
 * limit_take takes one login attempt from addr's bucket.  Returns 0, or
 * the seconds to wait.  When every slot near addr's is busy the attempt
 * is refused too: an address never gets a fresh bucket by crowding.
 */
static int
limit_take(struct auth *au, const char *addr)
{
	struct bucket	*b = NULL, *spare = NULL;
	uint32_t	 h = 2166136261u;
	int64_t		 now = util_mono_ms();
	int		 wait = 0;

	for (const char *p = addr; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	pthread_mutex_lock(&au->limit_lock);
	for (int i = 0; i < AUTH_LIMIT_PROBE; i++) {
		struct bucket	*s = &au->buckets[(h + (unsigned)i) %
		    AUTH_LIMIT_SLOTS];
		double		 full = s->tokens + (double)(now - s->last_ms) *
		    AUTH_LOGIN_PER_MINUTE / 60000.0;

		if (s->addr[0] != '\0' && strcmp(s->addr, addr) == 0) {
			b = s;
			break;
		}
		if (spare == NULL && (s->addr[0] == '\0' ||
		    full >= AUTH_LOGIN_BURST))
			spare = s;
	}
	if (b == NULL) {
		if (spare == NULL) {
			wait = 60;
			goto out;
		}
		b = spare;
		snprintf(b->addr, sizeof(b->addr), "%s", addr);
		b->tokens = AUTH_LOGIN_BURST;
		b->last_ms = now;
	}
	b->tokens += (double)(now - b->last_ms) * AUTH_LOGIN_PER_MINUTE /
	    60000.0;
	if (b->tokens > AUTH_LOGIN_BURST)
		b->tokens = AUTH_LOGIN_BURST;
	b->last_ms = now;
	if (b->tokens >= 1.0)
		b->tokens -= 1.0;
	else
		wait = (int)ceil((1.0 - b->tokens) * 60.0 /
		    AUTH_LOGIN_PER_MINUTE);
out:
	pthread_mutex_unlock(&au->limit_lock);
	return wait;
}

/* ---- tokens ------------------------------------------------------ */

/*
 * new_token makes a token and its hash as hex, for the
 * decode($n, 'hex') of the statements.
 */
static int
new_token(char token[AUTH_TOKEN_MAX + 1], char hex[2 * SHA256_LEN + 1])
{
	unsigned char	raw[AUTH_TOKEN_BYTES], hash[SHA256_LEN];
	char		enc[64];

	if (util_rand_bytes(raw, sizeof(raw)) != 0)
		return ORK_EIO;
	text_b64url_encode(raw, sizeof(raw), enc, sizeof(enc));
	snprintf(token, AUTH_TOKEN_MAX + 1, AUTH_TOKEN_PREFIX "%s", enc);
	sha256(token, strlen(token), hash);
	text_hex(hash, sizeof(hash), hex);
	explicit_bzero(raw, sizeof(raw));
	return 0;
}

/* string_member reads a string member: 1 present, 0 absent, <0 answered. */
static int
string_member(struct req *r, const cJSON *body, const char *name,
    size_t max, const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, name);

	*out = NULL;
	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v))
		return -http_error(r, 400, TASKCFG_E_INVALID_TYPE, name, "%s "
		    "must be a string", name);
	if (v->valuestring[0] == '\0' || strlen(v->valuestring) > max)
		return -http_error(r, 400, TASKCFG_E_INVALID_VALUE, name, "%s "
		    "must have 1 to %zu characters", name, max);
	*out = v->valuestring;
	return 1;
}

/* only_members: every member of body is one of names; else answers. */
static int
only_members(struct req *r, const cJSON *body, const char *const *names)
{
	if (!cJSON_IsObject(body))
		return http_error(r, 400, TASKCFG_E_INVALID_TYPE, NULL, "the "
		    "body must be a JSON object");
	for (const cJSON *m = body->child; m != NULL; m = m->next) {
		int known = 0;

		for (const char *const *n = names; *n != NULL; n++)
			known |= strcmp(*n, m->string) == 0;
		if (!known)
			return http_error(r, 400, TASKCFG_E_UNKNOWN_FIELD,
			    m->string, "unknown field \"%.64s\"", m->string);
	}
	return 0;
}

static const struct sql_stmt login_user_stmt = {
	"auth_login_user",
	"SELECT user_id, password_hash, role, is_active FROM users "
	"WHERE username = $1",
	1, 0
};

/* POST /auth/login {"username", "password"} */
int
auth_login(struct req *r)
{
	static const struct sql_field session_fields[] = {
		SQL_F("token_id", SQL_UUID), SQL_F("expires_at", SQL_TIME),
	};
	static const char *const names[] = { "username", "password", NULL };
	struct auth	*au = r->a->auth;
	cJSON		*body = NULL;
	const char	*user, *pw, *values[4];
	char		 hdr[64], msg[256], encoded[AUTH_ENCODED_MAX];
	char		 user_id[UTIL_UUID_LEN + 1], role[16], secs[16];
	char		 token[AUTH_TOKEN_MAX + 1], hex[2 * SHA256_LEN + 1];
	struct json_buf	 b;
	PGconn		*c;
	PGresult	*res;
	int		 rc, err, wait, known = 0, ok;

	wait = limit_take(au, r->ri->remote_addr);
	if (wait > 0) {
		snprintf(hdr, sizeof(hdr), "Retry-After: %d\r\n", wait);
		log_warn("login attempts from %s are being refused for %d s",
		    r->ri->remote_addr, wait);
		return http_error_h(r, 429, hdr, "too_many_requests", NULL,
		    "too many login attempts from this address; try again in "
		    "%d s", wait);
	}
	if ((rc = http_parse_body(r, &body)) != 0)
		return rc;
	if ((rc = only_members(r, body, names)) != 0)
		goto out;
	if ((rc = string_member(r, body, "username", API_USERNAME_MAX,
	    &user)) <= 0 || (rc = string_member(r, body, "password",
	    AUTH_PASSWORD_MAX, &pw)) <= 0) {
		rc = rc < 0 ? -rc : http_error(r, 400,
		    TASKCFG_E_MISSING_FIELD, user == NULL ? "username" :
		    "password", "give a username and a password");
		goto out;
	}
	if ((rc = sql_conn(r, &c)) != 0)
		goto out;
	values[0] = user;
	res = sql_run(c, &login_user_stmt, values, &err, msg, sizeof(msg));
	sql_release(r, c);
	if (res == NULL) {
		rc = http_fail(r, err, "could not check the password");
		goto out;
	}
	snprintf(encoded, sizeof(encoded), "%s", au->decoy);
	if (PQntuples(res) > 0) {
		known = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
		snprintf(encoded, sizeof(encoded), "%s", PQgetvalue(res, 0, 1));
		snprintf(user_id, sizeof(user_id), "%s", PQgetvalue(res, 0, 0));
		snprintf(role, sizeof(role), "%s", PQgetvalue(res, 0, 2));
	}
	PQclear(res);
	/* The same work whether or not the user exists. */
	ok = verify_password(&au->hashing, encoded, pw) && known;
	if (!ok) {
		log_info("failed login as \"%.64s\" from %s", user,
		    r->ri->remote_addr);
		rc = http_error_h(r, 401, unauthorized_hdr,
		    "invalid_credentials", NULL, "wrong username or password");
		goto out;
	}
	if (new_token(token, hex) != 0) {
		rc = http_error(r, 500, "internal", NULL, "no randomness");
		goto out;
	}
	snprintf(secs, sizeof(secs), "%d", AUTH_SESSION_SECONDS);
	values[0] = user_id;
	values[1] = hex;
	values[2] = secs;
	if ((rc = sql_conn(r, &c)) != 0)
		goto out;
	res = sql_exec_binary(c, "INSERT INTO api_tokens (user_id, "
	    "token_hash, kind, name, expires_at) VALUES ($1::uuid, "
	    "decode($2, 'hex'), 'session', 'login', now() + $3::int * "
	    "interval '1 second') RETURNING token_id, expires_at", 3, values,
	    &err, msg, sizeof(msg));
	sql_release(r, c);
	if (res == NULL) {
		rc = http_fail(r, err, "could not store the session");
		goto out;
	}
	log_info("\"%s\" logged in from %s", user, r->ri->remote_addr);
	json_buf_init(&b, 4096);
	json_buf_puts(&b, "{\"token\":");
	json_buf_str(&b, token);
	json_buf_puts(&b, ",\"token_type\":\"Bearer\",");
	(void)sql_fields(&b, res, 0, 0, session_fields,
	    SQL_NFIELDS(session_fields));
	json_buf_printf(&b, ",\"user\":{\"user_id\":\"%s\",\"username\":",
	    user_id);
	json_buf_str(&b, user);
	json_buf_puts(&b, ",\"role\":");
	json_buf_str(&b, role);
	json_buf_puts(&b, "}}");
	PQclear(res);
	explicit_bzero(token, sizeof(token));
	rc = http_reply_buf(r, 200, NULL, &b);
out:
	cJSON_Delete(body);
	return rc;
}

static int
no_content(struct req *r)
{
	r->status = 204;
	mg_printf(r->c, "HTTP/1.1 204 No Content\r\nCache-Control: no-store\r\n"
	    "Content-Length: 0\r\n\r\n");
	return 204;
}

/* POST /auth/logout: revokes the token the request was made with. */
int
auth_logout(struct req *r)
{
	PGconn		*c;
	PGresult	*res;
	const char	*values[1] = { r->who.token_id };
	char		 msg[256];
	int		 rc, err;

	if (r->who.token_id[0] == '\0')
		return no_content(r);	/* authentication is off */
	if ((rc = sql_conn(r, &c)) != 0)
		return rc;
	res = sql_exec(c, "UPDATE api_tokens SET revoked_at = now() WHERE "
	    "token_id = $1::uuid AND revoked_at IS NULL", 1, values, &err, msg,
	    sizeof(msg));
	sql_release(r, c);
	if (res == NULL)
		return http_fail(r, err, "could not revoke the token");
	PQclear(res);
	cache_flush(r->a->auth);
	return no_content(r);
}

/* GET /auth/me */
int
auth_me(struct req *r)
{
	struct json_buf b;

	json_buf_init(&b, 2048);
	json_buf_puts(&b, "{\"user_id\":");
	json_buf_str(&b, r->who.user_id[0] != '\0' ? r->who.user_id : NULL);
	json_buf_puts(&b, ",\"username\":");
	json_buf_str(&b, r->who.username);
	json_buf_printf(&b, ",\"role\":\"%s\",\"auth\":\"%s\",\"token_id\":",
	    api_role_names[r->who.role], r->a->cfg->auth ? "on" : "off");
	json_buf_str(&b, r->who.token_id[0] != '\0' ? r->who.token_id : NULL);
	json_buf_puts(&b, ",\"token_kind\":");
	json_buf_str(&b, r->who.token_kind[0] != '\0' ? r->who.token_kind :
	    NULL);
	json_buf_puts(&b, "}");
	return http_reply_buf(r, 200, NULL, &b);
}

/* A token's columns, from api_tokens t and users u. */
#define TOKEN_COLUMNS \
	"t.token_id, t.name, t.kind, u.user_id, u.username, u.role, " \
	"t.created_at, t.expires_at, t.last_used_at, t.revoked_at"
#define TOKEN_CREATED_COL 6

static const struct sql_field token_fields[] = {
	SQL_F("token_id", SQL_UUID), SQL_F("name", SQL_TEXT), SQL_F("kind", SQL_TEXT),
	SQL_F("user_id", SQL_UUID), SQL_F("username", SQL_TEXT),
	SQL_F("role", SQL_TEXT), SQL_F("created_at", SQL_TIME),
	SQL_F("expires_at", SQL_TIME), SQL_F("last_used_at", SQL_TIME),
	SQL_F("revoked_at", SQL_TIME),
};

/*
 * list_page answers a page of a small table, paging through
 * (created_at, id): id is column 0, created_at column created_col.
 */
static int
list_page(struct req *r, const char *const sql[2],
    const struct sql_field *f, int nf, int created_col, const char *what)
{
	struct page	 pg;
	struct json_buf	 b;
	PGconn		*c;
	PGresult	*res;
	const char	*values[3];
	char		 limit[16], at[32], msg[256], id[UTIL_UUID_LEN + 1];
	int		 rc, err, rows;

	if ((rc = http_page(r, API_LIMIT_DEFAULT, API_LIMIT_MAX, &pg)) != 0)
		return rc;
	snprintf(limit, sizeof(limit), "%d", pg.limit + 1);
	snprintf(at, sizeof(at), "%lld", (long long)pg.at_us);
	values[0] = limit;
	values[1] = at;
	values[2] = pg.id;
	if ((rc = sql_conn(r, &c)) != 0)
		return rc;
	res = sql_exec_binary(c, sql[pg.has_cursor], pg.has_cursor ? 3 : 1,
	    values, &err, msg, sizeof(msg));
	sql_release(r, c);
	if (res == NULL)
		return http_fail(r, err, what);
	rows = PQntuples(res);
	json_buf_init(&b, API_REPLY_MAX);
	json_buf_puts(&b, "{\"items\":[");
	for (int i = 0; i < rows && i < pg.limit; i++) {
		if (i > 0)
			json_buf_add(&b, ",", 1);
		sql_object(&b, res, i, 0, f, nf);
	}
	json_buf_puts(&b, "],\"next_cursor\":");
	if (rows > pg.limit) {
		sql_uuid(res, pg.limit - 1, 0, id);
		http_cursor(&b, sql_time_us(res, pg.limit - 1, created_col), id);
	} else
		json_buf_puts(&b, "null");
	json_buf_puts(&b, "}");
	PQclear(res);
	return http_reply_buf(r, 200, NULL, &b);
}

#define KEYSET(table, alias, id) \
	" AND (" alias ".created_at, " alias "." id ") < (timestamptz " \
	"'epoch' + $2::int8 * interval '1 microsecond', $3::uuid)"

/* GET /tokens: the API tokens, newest first, never their secret. */
int
auth_tokens_list(struct req *r)
{
	static const char *const sql[2] = {
		"SELECT * FROM (SELECT " TOKEN_COLUMNS " FROM api_tokens t "
		"JOIN users u ON u.user_id = t.user_id WHERE t.kind = 'api' "
		"ORDER BY t.created_at DESC, t.token_id DESC LIMIT 501) page "
		"LIMIT $1::int",
		"SELECT * FROM (SELECT " TOKEN_COLUMNS " FROM api_tokens t "
		"JOIN users u ON u.user_id = t.user_id WHERE t.kind = 'api'"
		KEYSET(api_tokens, "t", "token_id") " ORDER BY "
		"t.created_at DESC, t.token_id DESC LIMIT 501) page "
		"LIMIT $1::int"
	};

	return list_page(r, sql, token_fields, SQL_NFIELDS(token_fields),
	    TOKEN_CREATED_COL, "could not list tokens");
}

/*
 * POST /tokens {"name", "username" (default: the caller),
 * "expires_in_days" (default: never)}: the answer is the only place the
 * token is ever shown.
 */
int
auth_tokens_create(struct req *r)
{
	static const char *const names[] = { "name", "username",
	    "expires_in_days", NULL };
	cJSON		*body = NULL;
	const cJSON	*days;
	const char	*name, *user, *values[4];
	char		 token[AUTH_TOKEN_MAX + 1], hex[2 * SHA256_LEN + 1];
	char		 days_s[16], msg[256];
	struct json_buf	 b;
	PGconn		*c;
	PGresult	*res;
	int		 rc, err;

	if ((rc = http_parse_body(r, &body)) != 0)
		return rc;
	if ((rc = only_members(r, body, names)) != 0)
		goto out;
	if ((rc = string_member(r, body, "name", TASKCFG_NAME_MAX,
	    &name)) <= 0) {
		rc = rc < 0 ? -rc : http_error(r, 400, TASKCFG_E_MISSING_FIELD,
		    "name", "a token needs a name saying what uses it");
		goto out;
	}
	if ((rc = string_member(r, body, "username", API_USERNAME_MAX,
	    &user)) < 0) {
		rc = -rc;
		goto out;
	}
	if (user == NULL && r->who.username[0] != '\0' &&
	    r->who.user_id[0] != '\0')
		user = r->who.username;
	if (user == NULL) {
		rc = http_error(r, 400, TASKCFG_E_MISSING_FIELD, "username",
		    "authentication is off: name the user the token acts as");
		goto out;
	}
	days = cJSON_GetObjectItemCaseSensitive(body, "expires_in_days");
	days_s[0] = '\0';
	if (days != NULL && !cJSON_IsNull(days)) {
		if (!cJSON_IsNumber(days) || days->valuedouble < 1 ||
		    days->valuedouble > AUTH_TOKEN_DAYS_MAX ||
		    days->valuedouble != floor(days->valuedouble)) {
			rc = http_error(r, 400, TASKCFG_E_INVALID_VALUE,
			    "expires_in_days", "expires_in_days must be an "
			    "integer from 1 to %d", AUTH_TOKEN_DAYS_MAX);
			goto out;
		}
		snprintf(days_s, sizeof(days_s), "%d", (int)days->valuedouble);
	}
	if (new_token(token, hex) != 0) {
		rc = http_error(r, 500, "internal", NULL, "no randomness");
		goto out;
	}
	values[0] = user;
	values[1] = hex;
	values[2] = name;
	values[3] = days_s[0] != '\0' ? days_s : NULL;
	if ((rc = sql_conn(r, &c)) != 0)
		goto out;
	res = sql_exec_binary(c, "WITH t AS (INSERT INTO api_tokens (user_id, "
	    "token_hash, kind, name, expires_at) SELECT user_id, "
	    "decode($2, 'hex'), 'api', $3, now() + $4::int * interval '1 day' "
	    "FROM users WHERE username = $1 RETURNING *) SELECT " TOKEN_COLUMNS
	    " FROM t JOIN users u ON u.user_id = t.user_id", 4, values, &err,
	    msg, sizeof(msg));
	sql_release(r, c);
	if (res == NULL) {
		rc = http_fail(r, err, "could not create the token");
		goto out;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		rc = http_error(r, 400, TASKCFG_E_INVALID_VALUE, "username",
		    "no user \"%.64s\"", user);
		goto out;
	}
	log_info("%s created API token \"%s\" for \"%s\"", r->who.username,
	    name, user);
	json_buf_init(&b, 4096);
	/* the token's JSON, with the secret added in front */
	json_buf_puts(&b, "{\"token\":");
	json_buf_str(&b, token);
	json_buf_puts(&b, ",");
	(void)sql_fields(&b, res, 0, 0, token_fields,
	    SQL_NFIELDS(token_fields));
	json_buf_puts(&b, "}");
	PQclear(res);
	explicit_bzero(token, sizeof(token));
	rc = http_reply_buf(r, 201, NULL, &b);
out:
	cJSON_Delete(body);
	return rc;
}

/* DELETE /tokens/{token_id}: revoke (again is fine). */
int
auth_tokens_revoke(struct req *r)
{
	PGconn		*c;
	PGresult	*res;
	const char	*values[1] = { r->id };
	char		 msg[256];
	int		 rc, err, found;

	if ((rc = sql_conn(r, &c)) != 0)
		return rc;
	res = sql_exec(c, "UPDATE api_tokens SET revoked_at = coalesce("
	    "revoked_at, now()) WHERE token_id = $1::uuid", 1, values, &err,
	    msg, sizeof(msg));
	sql_release(r, c);
	if (res == NULL)
		return http_fail(r, err, "could not revoke the token");
	found = strcmp(PQcmdTuples(res), "0") != 0;
	PQclear(res);
	if (!found)
		return http_error(r, 404, "not_found", NULL, "no token %s",
		    r->id);
	cache_flush(r->a->auth);
	log_info("%s revoked token %s", r->who.username, r->id);
	return no_content(r);
}

/* ---- users ------------------------------------------------------- */

/* A user's columns, from users u. */
#define USER_COLUMNS \
	"u.user_id, u.username, u.role, u.is_active, u.created_at, " \
	"u.updated_at"
#define USER_CREATED_COL 4

static const struct sql_field user_fields[] = {
	SQL_F("user_id", SQL_UUID), SQL_F("username", SQL_TEXT),
	SQL_F("role", SQL_TEXT), SQL_F("is_active", SQL_BOOL),
	SQL_F("created_at", SQL_TIME), SQL_F("updated_at", SQL_TIME),
};

/* GET /users */
int
auth_users_list(struct req *r)
{
	static const char *const sql[2] = {
		"SELECT * FROM (SELECT " USER_COLUMNS " FROM users u ORDER BY "
		"u.created_at DESC, u.user_id DESC LIMIT 501) page "
		"LIMIT $1::int",
		"SELECT * FROM (SELECT " USER_COLUMNS " FROM users u WHERE "
		"true" KEYSET(users, "u", "user_id") " ORDER BY "
		"u.created_at DESC, u.user_id DESC LIMIT 501) page "
		"LIMIT $1::int"
	};

	return list_page(r, sql, user_fields, SQL_NFIELDS(user_fields),
	    USER_CREATED_COL, "could not list users");
}

/* GET /users/{user_id} */
int
auth_users_get(struct req *r)
{
	struct json_buf	 b;
	PGconn		*c;
	PGresult	*res;
	const char	*values[1] = { r->id };
	char		 msg[256];
	int		 rc, err;

	if ((rc = sql_conn(r, &c)) != 0)
		return rc;
	res = sql_exec_binary(c, "SELECT " USER_COLUMNS " FROM users u WHERE "
	    "u.user_id = $1::uuid", 1, values, &err, msg, sizeof(msg));
	sql_release(r, c);
	if (res == NULL)
		return http_fail(r, err, "could not read the user");
	if (PQntuples(res) == 0) {
		PQclear(res);
		return http_error(r, 404, "not_found", NULL, "no user %s", r->id);
	}
	json_buf_init(&b, 4096);
	sql_object(&b, res, 0, 0, user_fields, SQL_NFIELDS(user_fields));
	PQclear(res);
	return http_reply_buf(r, 200, NULL, &b);
}

/* role_member reads an optional role: 1 given, 0 absent, <0 answered. */
static int
role_member(struct req *r, const cJSON *body, const char **out)
{
	int rc = string_member(r, body, "role", 16, out);

	if (rc > 0 && api_role_parse(*out) < 0)
		return -http_error(r, 400, TASKCFG_E_INVALID_VALUE, "role",
		    "role must be viewer, operator or admin");
	return rc;
}

static int
password_member(struct req *r, const cJSON *body, const char **out)
{
	int rc = string_member(r, body, "password", AUTH_PASSWORD_MAX, out);

	if (rc > 0 && strlen(*out) < AUTH_PASSWORD_MIN)
		return -http_error(r, 400, TASKCFG_E_INVALID_VALUE, "password",
		    "a password has at least %d characters", AUTH_PASSWORD_MIN);
	return rc;
}

/* POST /users {"username", "password", "role" (default viewer)} */
int
auth_users_create(struct req *r)
{
	static const char *const names[] = { "username", "password", "role",
	    NULL };
	cJSON		*body = NULL;
	const char	*user, *pw, *role, *values[3];
	char		 encoded[AUTH_ENCODED_MAX], msg[256], hdr[128];
	char		 id[UTIL_UUID_LEN + 1];
	struct json_buf	 b;
	PGconn		*c;
	PGresult	*res;
	int		 rc, err;

	if ((rc = http_parse_body(r, &body)) != 0)
		return rc;
	if ((rc = only_members(r, body, names)) != 0)
		goto out;
	if ((rc = string_member(r, body, "username", API_USERNAME_MAX,
	    &user)) <= 0) {
		rc = rc < 0 ? -rc : http_error(r, 400, TASKCFG_E_MISSING_FIELD,
		    "username", "a user needs a username");
		goto out;
	}
	if (!valid_username(user)) {
		rc = http_error(r, 400, TASKCFG_E_INVALID_VALUE, "username",
		    "%s", username_rule);
		goto out;
	}
	if ((rc = password_member(r, body, &pw)) <= 0) {
		rc = rc < 0 ? -rc : http_error(r, 400, TASKCFG_E_MISSING_FIELD,
		    "password", "a user needs a password");
		goto out;
	}
	if ((rc = role_member(r, body, &role)) < 0) {
		rc = -rc;
		goto out;
	}
	if (role == NULL)
		role = "viewer";
	if (hash_password(&r->a->auth->hashing, pw, encoded) != 0) {
		rc = http_error(r, 500, "internal", NULL, "could not hash the "
		    "password");
		goto out;
	}
	values[0] = user;
	values[1] = encoded;
	values[2] = role;
	if ((rc = sql_conn(r, &c)) != 0)
		goto out;
	res = sql_exec_binary(c, "INSERT INTO users AS u (username, "
	    "password_hash, role) VALUES ($1, $2, $3) RETURNING " USER_COLUMNS,
	    3, values, &err, msg, sizeof(msg));
	sql_release(r, c);
	if (res == NULL) {
		rc = err == ORK_EEXIST ? http_error(r, 409, "conflict",
		    "username", "user \"%s\" exists already", user) :
		    http_fail(r, err, "could not create the user");
		goto out;
	}
	log_info("%s created user \"%s\" (%s)", r->who.username, user, role);
	sql_uuid(res, 0, 0, id);
	snprintf(hdr, sizeof(hdr), "Location: /users/%s\r\n", id);
	json_buf_init(&b, 4096);
	sql_object(&b, res, 0, 0, user_fields, SQL_NFIELDS(user_fields));
	PQclear(res);
	rc = http_reply_buf(r, 201, hdr, &b);
out:
	cJSON_Delete(body);
	return rc;
}

/*
 * keeps_an_admin: inside a transaction, locks the active admins and
 * says whether one other than user_id remains.  1, 0, or -err.
 */
static int
keeps_an_admin(PGconn *c, const char *user_id, char *msg, size_t msglen)
{
	PGresult	*res;
	const char	*values[1] = { user_id };
	int		 err, others = 0;

	res = sql_exec(c, "SELECT user_id FROM users WHERE role = 'admin' AND "
	    "is_active FOR UPDATE", 0, NULL, &err, msg, msglen);
	if (res == NULL)
		return err;
	for (int i = 0; i < PQntuples(res); i++)
		others += strcmp(PQgetvalue(res, i, 0), values[0]) != 0;
	PQclear(res);
	return others > 0;
}

/* PATCH /users/{user_id} {"role", "is_active", "password"} */
int
auth_users_update(struct req *r)
{
	static const char *const names[] = { "role", "is_active", "password",
	    NULL };
	cJSON		*body = NULL;
	const cJSON	*active;
	const char	*role, *pw, *values[4];
	char		 encoded[AUTH_ENCODED_MAX], msg[256];
	struct json_buf	 b;
	PGconn		*c;
	PGresult	*res;
	int		 rc, err, demotes;

	if ((rc = http_parse_body(r, &body)) != 0)
		return rc;
	if ((rc = only_members(r, body, names)) != 0)
		goto out;
	if (body->child == NULL) {
		rc = http_error(r, 400, TASKCFG_E_MISSING_FIELD, NULL, "give "
		    "role, is_active or password");
		goto out;
	}
	if ((rc = role_member(r, body, &role)) < 0 ||
	    (rc = password_member(r, body, &pw)) < 0) {
		rc = -rc;
		goto out;
	}
	active = cJSON_GetObjectItemCaseSensitive(body, "is_active");
	if (active != NULL && !cJSON_IsBool(active)) {
		rc = http_error(r, 400, TASKCFG_E_INVALID_TYPE, "is_active",
		    "is_active must be true or false");
		goto out;
	}
	if (pw != NULL && hash_password(&r->a->auth->hashing, pw,
	    encoded) != 0) {
		rc = http_error(r, 500, "internal", NULL, "could not hash the "
		    "password");
		goto out;
	}
	demotes = (role != NULL && strcmp(role, "admin") != 0) ||
	    cJSON_IsFalse(active);
	if ((rc = sql_conn(r, &c)) != 0)
		goto out;
	if ((err = sql_begin(c)) != 0)
		goto failed;
	if (demotes) {
		rc = keeps_an_admin(c, r->id, msg, sizeof(msg));
		if (rc < 0) {
			err = rc;
			goto failed;
		}
		if (rc == 0) {
			sql_rollback(c);
			sql_release(r, c);
			rc = http_error(r, 409, "conflict", NULL, "this would "
			    "leave no active admin");
			goto out;
		}
	}
	values[0] = r->id;
	values[1] = role;
	values[2] = active != NULL ? (cJSON_IsTrue(active) ? "true" : "false") :
	    NULL;
	values[3] = pw != NULL ? encoded : NULL;
	res = sql_exec_binary(c, "UPDATE users u SET role = coalesce($2, "
	    "role), is_active = coalesce($3::boolean, is_active), "
	    "password_hash = coalesce($4, password_hash), updated_at = now() "
	    "WHERE user_id = $1::uuid RETURNING " USER_COLUMNS, 4, values, &err,
	    msg, sizeof(msg));
	if (res == NULL)
		goto failed;
	if (PQntuples(res) == 0) {
		PQclear(res);
		sql_rollback(c);
		sql_release(r, c);
		rc = http_error(r, 404, "not_found", NULL, "no user %s", r->id);
		goto out;
	}
	if (pw != NULL) {
		/* a new password ends the user's sessions */
		PGresult *rv = sql_exec(c, "UPDATE api_tokens SET revoked_at = "
		    "now() WHERE user_id = $1::uuid AND kind = 'session' AND "
		    "revoked_at IS NULL", 1, values, &err, msg, sizeof(msg));

		if (rv == NULL) {
			PQclear(res);
			goto failed;
		}
		PQclear(rv);
	}
	if ((err = sql_commit(c, msg, sizeof(msg))) != 0) {
		PQclear(res);
		goto failed;
	}
	sql_release(r, c);
	cache_flush(r->a->auth);
	log_info("%s changed user %s", r->who.username, r->id);
	json_buf_init(&b, 4096);
	sql_object(&b, res, 0, 0, user_fields, SQL_NFIELDS(user_fields));
	PQclear(res);
	rc = http_reply_buf(r, 200, NULL, &b);
	goto out;
failed:
	sql_rollback(c);
	sql_release(r, c);
	rc = http_fail(r, err, "could not change the user");
out:
	cJSON_Delete(body);
	return rc;
}

/* DELETE /users/{user_id}: never the last active admin. */
int
auth_users_delete(struct req *r)
{
	PGconn		*c;
	PGresult	*res;
	const char	*values[1] = { r->id };
	char		 msg[256];
	int		 rc, err, found;

	if ((rc = sql_conn(r, &c)) != 0)
		return rc;
	if ((err = sql_begin(c)) != 0)
		goto failed;
	rc = keeps_an_admin(c, r->id, msg, sizeof(msg));
	if (rc < 0) {
		err = rc;
		goto failed;
	}
	res = sql_exec(c, "DELETE FROM users WHERE user_id = $1::uuid AND "
	    "($2::boolean OR NOT (role = 'admin' AND is_active)) RETURNING 1",
	    2, (const char *const[]){ r->id, rc > 0 ? "true" : "false" }, &err,
	    msg, sizeof(msg));
	if (res == NULL)
		goto failed;
	found = PQntuples(res) > 0;
	PQclear(res);
	if (!found) {
		res = sql_exec(c, "SELECT 1 FROM users WHERE user_id = $1::uuid",
		    1, values, &err, msg, sizeof(msg));
		if (res == NULL)
			goto failed;
		found = PQntuples(res) > 0;
		PQclear(res);
		sql_rollback(c);
		sql_release(r, c);
		if (found)
			return http_error(r, 409, "conflict", NULL, "user %s is "
			    "the last active admin", r->id);
		return http_error(r, 404, "not_found", NULL, "no user %s",
		    r->id);
	}
	if ((err = sql_commit(c, msg, sizeof(msg))) != 0)
		goto failed;
	sql_release(r, c);
	cache_flush(r->a->auth);
	log_info("%s deleted user %s", r->who.username, r->id);
	return no_content(r);
failed:
	sql_rollback(c);
	sql_release(r, c);
	return http_fail(r, err, "could not delete the user");
}
