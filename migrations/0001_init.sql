-- 0001_init: the state store of ork.
--
-- Names follow the original schema (job_definitions, task_definitions,
-- job_runs, job_id, job_name, task_order, extractor_config, ...).  Status
-- columns are text with CHECK constraints rather than enum types, so a new
-- status is a one-line migration that does not rewrite the table.

CREATE TABLE job_definitions (
	job_id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	job_name	varchar(255) NOT NULL,
	description	text,
	schedule	varchar(255),
	timezone	varchar(64) NOT NULL DEFAULT 'UTC',
	is_active	boolean NOT NULL DEFAULT true,
	catchup		boolean NOT NULL DEFAULT false,
	max_active_runs	integer NOT NULL DEFAULT 1
	    CHECK (max_active_runs BETWEEN 1 AND 1000),
	overlap		varchar(16) NOT NULL DEFAULT 'queue'
	    CHECK (overlap IN ('queue', 'skip')),
	next_fire_at	timestamptz,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT job_definitions_job_name_key UNIQUE (job_name),
	CONSTRAINT job_definitions_job_name_check
	    CHECK (length(btrim(job_name)) > 0)
);
CREATE INDEX idx_job_definitions_is_active ON job_definitions (is_active);
-- The scheduler's claim: earliest due active job first.
CREATE INDEX idx_job_definitions_next_fire_at ON job_definitions (next_fire_at)
    WHERE is_active AND next_fire_at IS NOT NULL;
-- Keyset pagination of GET /jobs, newest first.
CREATE INDEX idx_job_definitions_created ON job_definitions
    (created_at DESC, job_id DESC);

CREATE TABLE task_definitions (
	task_id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	job_id		uuid NOT NULL
	    REFERENCES job_definitions (job_id) ON DELETE CASCADE,
	task_order	integer NOT NULL CHECK (task_order >= 0),
	task_name	varchar(255),
	extractor_config jsonb NOT NULL,
	loader_config	jsonb NOT NULL DEFAULT '{}'::jsonb,
	max_attempts	integer NOT NULL DEFAULT 3
	    CHECK (max_attempts BETWEEN 1 AND 100),
	timeout_seconds	integer CHECK (timeout_seconds > 0),
	retry_base_ms	integer NOT NULL DEFAULT 1000 CHECK (retry_base_ms >= 0),
	retry_cap_ms	integer NOT NULL DEFAULT 300000
	    CHECK (retry_cap_ms >= retry_base_ms),
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT task_definitions_job_id_task_order_key
	    UNIQUE (job_id, task_order)
);
CREATE INDEX idx_task_definitions_job_id ON task_definitions (job_id);

CREATE TABLE job_runs (
	run_id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	job_id		uuid NOT NULL
	    REFERENCES job_definitions (job_id) ON DELETE CASCADE,
	status		varchar(50) NOT NULL DEFAULT 'queued'
	    CHECK (status IN ('queued', 'running', 'success', 'failed',
	        'cancelled')),
	triggered_by	varchar(50) NOT NULL
	    CHECK (triggered_by IN ('scheduled', 'manual', 'retry', 'backfill')),
	scheduled_for	timestamptz,
	params		jsonb NOT NULL DEFAULT '{}'::jsonb,
	trace_id	varchar(64),
	started_at	timestamptz,
	finished_at	timestamptz,
	error_message	text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CHECK (finished_at IS NULL OR status IN ('success', 'failed',
	    'cancelled'))
);
-- One run per cron slot, whichever orchestrator fires it.
CREATE UNIQUE INDEX job_runs_job_id_scheduled_for_key ON job_runs
    (job_id, scheduled_for) WHERE scheduled_for IS NOT NULL;
CREATE INDEX idx_job_runs_status ON job_runs (status);
CREATE INDEX idx_job_runs_job_id ON job_runs (job_id, created_at DESC, run_id DESC);
CREATE INDEX idx_job_runs_created ON job_runs (created_at DESC, run_id DESC);
-- Active runs per job, for max_active_runs.
CREATE INDEX idx_job_runs_active ON job_runs (job_id)
    WHERE status IN ('queued', 'running');

-- One row per task per run.  The definition is copied in, so editing or
-- deleting a job definition never rewrites the history of its runs.
CREATE TABLE task_runs (
	task_run_id	uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	run_id		uuid NOT NULL REFERENCES job_runs (run_id) ON DELETE CASCADE,
	job_id		uuid NOT NULL
	    REFERENCES job_definitions (job_id) ON DELETE CASCADE,
	task_id		uuid REFERENCES task_definitions (task_id) ON DELETE SET NULL,
	task_order	integer NOT NULL,
	kind		varchar(32) NOT NULL,
	extractor_config jsonb NOT NULL,
	loader_config	jsonb NOT NULL DEFAULT '{}'::jsonb,
	status		varchar(50) NOT NULL DEFAULT 'pending'
	    CHECK (status IN ('pending', 'queued', 'retrying', 'running',
	        'success', 'failed', 'cancelled', 'skipped')),
	attempt		integer NOT NULL DEFAULT 0 CHECK (attempt >= 0),
	max_attempts	integer NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
	timeout_seconds	integer CHECK (timeout_seconds > 0),
	retry_base_ms	integer NOT NULL DEFAULT 1000,
	retry_cap_ms	integer NOT NULL DEFAULT 300000,
	available_at	timestamptz NOT NULL DEFAULT now(),
	lease_owner	varchar(255),
	lease_expires_at timestamptz,
	lease_expiries	integer NOT NULL DEFAULT 0,
	cancel_requested boolean NOT NULL DEFAULT false,
	rows_moved	bigint NOT NULL DEFAULT 0,
	error_message	text,
	started_at	timestamptz,
	finished_at	timestamptz,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT task_runs_run_id_task_order_key UNIQUE (run_id, task_order),
	CHECK (status <> 'running' OR
	    (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
);
-- The lease query: ready work, oldest first.
CREATE INDEX idx_task_runs_ready ON task_runs (available_at)
    WHERE status IN ('queued', 'retrying');
-- The reaper: running tasks by lease expiry.
CREATE INDEX idx_task_runs_lease ON task_runs (lease_expires_at)
    WHERE status = 'running';
CREATE INDEX idx_task_runs_lease_owner ON task_runs (lease_owner)
    WHERE status = 'running';

-- Every attempt of every task run: who ran it, how it ended.
CREATE TABLE task_attempts (
	task_run_id	uuid NOT NULL
	    REFERENCES task_runs (task_run_id) ON DELETE CASCADE,
	attempt		integer NOT NULL CHECK (attempt >= 1),
	worker_id	varchar(255),
	status		varchar(50) NOT NULL DEFAULT 'running'
	    CHECK (status IN ('running', 'success', 'failed', 'cancelled',
	        'timed_out', 'lease_expired')),
	rows_moved	bigint NOT NULL DEFAULT 0,
	error_message	text,
	started_at	timestamptz NOT NULL DEFAULT now(),
	finished_at	timestamptz,
	PRIMARY KEY (task_run_id, attempt)
);

CREATE TABLE task_logs (
	log_id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	task_run_id	uuid NOT NULL
	    REFERENCES task_runs (task_run_id) ON DELETE CASCADE,
	attempt		integer NOT NULL,
	logged_at	timestamptz NOT NULL DEFAULT now(),
	stream		varchar(16) NOT NULL
	    CHECK (stream IN ('stdout', 'stderr', 'system')),
	line		text NOT NULL
);
CREATE INDEX idx_task_logs_task_run_id ON task_logs (task_run_id, log_id);

CREATE TABLE workers (
	worker_id	varchar(255) PRIMARY KEY,
	hostname	varchar(255) NOT NULL,
	capacity	integer NOT NULL CHECK (capacity BETWEEN 1 AND 1024),
	kinds		text[] NOT NULL DEFAULT '{}',
	protocol_version integer NOT NULL,
	status		varchar(50) NOT NULL DEFAULT 'active'
	    CHECK (status IN ('active', 'draining', 'lost', 'stopped')),
	registered_at	timestamptz NOT NULL DEFAULT now(),
	last_heartbeat_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_workers_heartbeat ON workers (last_heartbeat_at)
    WHERE status IN ('active', 'draining');

CREATE TABLE users (
	user_id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	username	varchar(255) NOT NULL,
	password_hash	text NOT NULL,
	role		varchar(16) NOT NULL DEFAULT 'viewer'
	    CHECK (role IN ('viewer', 'operator', 'admin')),
	is_active	boolean NOT NULL DEFAULT true,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT users_username_key UNIQUE (username)
);
CREATE INDEX idx_users_username ON users (username);

-- Session (login) and machine tokens.  Only a SHA-256 of the token is kept.
CREATE TABLE api_tokens (
	token_id	uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id		uuid NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
	token_hash	bytea NOT NULL,
	kind		varchar(16) NOT NULL CHECK (kind IN ('session', 'api')),
	name		varchar(255),
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz,
	last_used_at	timestamptz,
	revoked_at	timestamptz,
	CONSTRAINT api_tokens_token_hash_key UNIQUE (token_hash),
	CHECK (octet_length(token_hash) = 32)
);
CREATE INDEX idx_api_tokens_user_id ON api_tokens (user_id);

-- Run and task changes, in commit order, for GET /events (Last-Event-ID)
-- and for replicas that missed a NOTIFY.
CREATE TABLE events (
	event_id	bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind		varchar(16) NOT NULL CHECK (kind IN ('run', 'task')),
	job_id		uuid NOT NULL,
	run_id		uuid NOT NULL REFERENCES job_runs (run_id) ON DELETE CASCADE,
	task_run_id	uuid,
	status		varchar(50) NOT NULL,
	attempt		integer,
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_events_run_id ON events (run_id, event_id);
CREATE INDEX idx_events_job_id ON events (job_id, event_id);
