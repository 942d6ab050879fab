-- 0001_init: the state store of ork.
--
-- Names follow the original schema (job_definitions, task_definitions,
-- job_runs, job_id, job_name, task_order, extractor_config, ...).  Status
-- columns are text with CHECK constraints rather than enum types, so a new
-- status is a one-line migration that does not rewrite the table.

-- ork_uuid7: a random UUID whose first 48 bits are the time in
-- milliseconds (UUID version 7).  Rows inserted together sit together in
-- the primary key's index, which keeps inserts at the index's right edge
-- instead of scattering them over every page.
CREATE FUNCTION ork_uuid7() RETURNS uuid
LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
	SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
	    PLACING substring(int8send((extract(epoch FROM clock_timestamp())
	    * 1000)::bigint) FROM 3) FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid
$$;

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
-- Scheduled jobs whose next fire time is still to be computed (new,
-- edited or re-activated).
CREATE INDEX idx_job_definitions_unscheduled ON job_definitions (job_id)
    WHERE is_active AND schedule IS NOT NULL AND next_fire_at IS NULL;
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
	-- incremental loads: the mark the last load reported (the
	-- destination's ledger holds the committed one), and the generation
	-- a reset bumps: workers only read marks of the current generation
	cursor_mark	text,
	cursor_epoch	integer NOT NULL DEFAULT 0,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT task_definitions_job_id_task_order_key
	    UNIQUE (job_id, task_order)
);
CREATE INDEX idx_task_definitions_job_id ON task_definitions (job_id);

-- job_runs.job_id and task_runs.run_id have no foreign key: the checks
-- cost a query per inserted row, 40 % of ork_trigger.  Runs are made only
-- by ork_trigger, which locks the jobs' rows (FOR KEY SHARE, once per
-- batch) so that no job is deleted under a run being made, and task runs
-- only with their run; deleting a job deletes its runs (trigger
-- job_definitions_deleted below) and the rest follows by key.
CREATE TABLE job_runs (
	run_id		uuid PRIMARY KEY DEFAULT ork_uuid7(),
	job_id		uuid NOT NULL,
	-- skipped: a cron slot that came while the job had max_active_runs
	-- runs and its overlap policy is skip (no task runs)
	status		varchar(50) NOT NULL DEFAULT 'queued'
	    CHECK (status IN ('queued', 'running', 'success', 'failed',
	        'cancelled', 'skipped')),
	triggered_by	varchar(50) NOT NULL
	    CHECK (triggered_by IN ('scheduled', 'manual', 'retry', 'backfill')),
	scheduled_for	timestamptz,
	params		jsonb NOT NULL DEFAULT '{}'::jsonb,
	trace_id	varchar(64),
	-- a TriggerRun resent after a timeout names the same key: one run
	request_key	varchar(200),
	started_at	timestamptz,
	finished_at	timestamptz,
	error_message	text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CHECK (finished_at IS NULL OR status IN ('success', 'failed',
	    'cancelled', 'skipped'))
) WITH (fillfactor = 50);
-- One scheduled run per cron slot, whichever orchestrator fires it.  A
-- backfill with rerun may add runs of a slot that has one already.
CREATE UNIQUE INDEX job_runs_job_id_scheduled_for_key ON job_runs
    (job_id, scheduled_for) WHERE triggered_by = 'scheduled';
CREATE INDEX idx_job_runs_slot ON job_runs (job_id, scheduled_for)
    WHERE scheduled_for IS NOT NULL;
CREATE UNIQUE INDEX job_runs_request_key_key ON job_runs (request_key)
    WHERE request_key IS NOT NULL;
-- No index on status alone: lists filter it along the keyset indexes.
CREATE INDEX idx_job_runs_job_id ON job_runs (job_id, created_at DESC, run_id DESC);
CREATE INDEX idx_job_runs_created ON job_runs (created_at DESC, run_id DESC);
-- No index reads status: a run's status changes stay heap-only (HOT)
-- updates that touch no index; the room left on each page (fillfactor)
-- is for them: half of each page, as a run is updated twice (running,
-- then its end) while its versions may still be visible to a snapshot.
-- Active runs of a job are found through idx_job_runs_job_id.

-- The unfinished runs of cron slots (scheduled and backfill runs): those
-- holding one of their job's max_active_runs places (waiting = false) and
-- those queued behind them (waiting = true; their first task stays
-- pending).  A trigger on job_runs keeps it: a run that ends leaves, and
-- its place goes to the oldest waiting slot.  Manual runs are not limited.
CREATE TABLE job_active_runs (
	run_id		uuid PRIMARY KEY
	    REFERENCES job_runs (run_id) ON DELETE CASCADE,
	job_id		uuid NOT NULL,
	scheduled_for	timestamptz NOT NULL,
	waiting		boolean NOT NULL
);
CREATE INDEX idx_job_active_runs_job ON job_active_runs
    (job_id, waiting, scheduled_for);

-- One row per task per run.  The definition is copied in, so editing or
-- deleting a job definition never rewrites the history of its runs:
-- task_id only says which definition it was copied from (no foreign key:
-- the definition may be replaced), job_id repeats the run's job for
-- filters.  Fewer foreign keys also spare every trigger a row lock on the
-- job and task definitions.
CREATE TABLE task_runs (
	task_run_id	uuid PRIMARY KEY DEFAULT ork_uuid7(),
	run_id		uuid NOT NULL,
	job_id		uuid NOT NULL,
	task_id		uuid,
	task_order	integer NOT NULL,
	kind		varchar(32) NOT NULL,
	extractor_config jsonb NOT NULL,
	loader_config	jsonb NOT NULL DEFAULT '{}'::jsonb,
	status		varchar(50) NOT NULL DEFAULT 'pending'
	    CHECK (status IN ('pending', 'queued', 'retrying', 'running',
	        'success', 'failed', 'cancelled', 'skipped')),
	attempt		integer NOT NULL DEFAULT 0 CHECK (attempt >= 0),
	-- attempts are numbered across retries of the run; a RetryRun starts
	-- a new series with a fresh budget of max_attempts from here
	series_start	integer NOT NULL DEFAULT 0,
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
) WITH (fillfactor = 80);
-- The lease query: ready work, oldest first.
CREATE INDEX idx_task_runs_ready ON task_runs (available_at)
    WHERE status IN ('queued', 'retrying');
-- The reaper: running tasks by lease expiry.
CREATE INDEX idx_task_runs_lease ON task_runs (lease_expires_at)
    WHERE status = 'running';

-- Deleting jobs deletes their runs and task runs (in place of foreign
-- keys, see job_runs); attempts, logs and active-run entries follow by
-- their keys.
CREATE FUNCTION ork_jobs_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM task_runs WHERE run_id IN (SELECT r.run_id
	    FROM job_runs r JOIN gone g ON r.job_id = g.job_id);
	DELETE FROM job_runs WHERE job_id IN (SELECT job_id FROM gone);
	RETURN NULL;
END
$$;
CREATE TRIGGER job_definitions_deleted AFTER DELETE ON job_definitions
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION ork_jobs_deleted();

-- Every attempt of every task run: who ran it, how it ended.
CREATE TABLE task_attempts (
	task_run_id	uuid NOT NULL
	    REFERENCES task_runs (task_run_id) ON DELETE CASCADE,
	attempt		integer NOT NULL CHECK (attempt >= 1),
	worker_id	varchar(255),
	status		varchar(50) NOT NULL DEFAULT 'running'
	    CHECK (status IN ('running', 'success', 'failed', 'cancelled',
	        'timed_out', 'lease_expired', 'handed_back')),
	rows_moved	bigint NOT NULL DEFAULT 0,
	error_message	text,
	started_at	timestamptz NOT NULL DEFAULT now(),
	finished_at	timestamptz,
	PRIMARY KEY (task_run_id, attempt)
) WITH (fillfactor = 70);	-- room for the update that ends the attempt

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

-- Run and task changes, in id order, for GET /events (Last-Event-ID) and
-- for replicas to republish.  An append-only log read by id ranges: only
-- its primary key is indexed, and it has no foreign key (every state
-- change writes here; the leader prunes old rows instead).
CREATE TABLE events (
	event_id	bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind		varchar(16) NOT NULL CHECK (kind IN ('run', 'task')),
	job_id		uuid NOT NULL,
	run_id		uuid NOT NULL,
	task_run_id	uuid,
	status		varchar(50) NOT NULL,
	attempt		integer,
	created_at	timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------------
-- The run/task state machine.  Every transition is a statement guarded
-- by the state it leaves, so a late or repeated message cannot move a row
-- backwards.  (Joins against rows a statement just produced are also
-- written as "= ANY (ARRAY(...))": the planner cannot know how few rows a
-- CTE yields and would otherwise read whole tables.  Rows named by id are
-- locked by primary key first and their status tested afterwards: a test
-- on status lets the planner pick the partial index of running tasks,
-- which under load is mostly entries of tasks that finished since, as
-- bitmap scans never mark index entries dead.)  Each function is one round trip for the orchestrator; each
-- records the changes in events and notifies the other replicas.
-- ---------------------------------------------------------------------

-- ork_kind: the task kind workers advertise ("api" is the http extractor).
CREATE FUNCTION ork_kind(extractor jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN extractor->>'type' = 'api' THEN 'http'
	    ELSE coalesce(extractor->>'type', 'noop') END
$$;

-- ork_backoff: the wait before retry n (n >= 1).  The window doubles from
-- base up to cap; the wait is drawn uniformly from the window's upper half,
-- so waits spread out (jitter) yet never shrink from one retry to the next.
CREATE FUNCTION ork_backoff(n integer, base_ms integer, cap_ms integer)
RETURNS interval LANGUAGE sql VOLATILE AS $$
	SELECT make_interval(secs => (w / 2 + random() * w / 2) / 1000.0)
	FROM (SELECT least(cap_ms::float8,
	    base_ms::float8 * power(2::float8, greatest(n - 1, 0))) AS w) x
$$;

CREATE FUNCTION ork_notify() RETURNS void LANGUAGE sql AS $$
	SELECT pg_notify('ork_events', '')
$$;

-- ork_finish_run: settle a run whose tasks may all be done.  Called after
-- a task reached success, failed or cancelled.
CREATE FUNCTION ork_finish_run(p_run uuid) RETURNS text
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	v_open integer;
	v_failed integer;
	v_cancelled integer;
	v_status text;
	v_job uuid;
BEGIN
	SELECT count(*) FILTER (WHERE status IN ('pending', 'queued',
	        'retrying', 'running')),
	    count(*) FILTER (WHERE status = 'failed'),
	    count(*) FILTER (WHERE status = 'cancelled')
	INTO v_open, v_failed, v_cancelled
	FROM task_runs WHERE run_id = p_run;
	IF v_open > 0 THEN
		RETURN NULL;
	END IF;
	v_status := CASE WHEN v_failed > 0 THEN 'failed'
	    WHEN v_cancelled > 0 THEN 'cancelled' ELSE 'success' END;
	UPDATE job_runs SET status = v_status, finished_at = now(),
	    started_at = coalesce(started_at, now()), updated_at = now()
	WHERE run_id = p_run AND status IN ('queued', 'running')
	RETURNING job_id INTO v_job;
	IF FOUND THEN
		INSERT INTO events (kind, job_id, run_id, status)
		VALUES ('run', v_job, p_run, v_status);
	END IF;
	RETURN v_status;
END
$$;

-- ork_trigger: create runs, one per element of the arrays, each with one
-- task run per task of its job, in one statement.  A cron slot
-- (p_slots[i]) fires once, and a request key (p_keys[i]) makes one run:
-- a second trigger of the same slot or key returns the existing run with
-- o_created = false.  A job that does not exist or has
-- no tasks gets o_error 'not_found' or 'no_tasks' and no run.  A run
-- whose p_wait[i] is true waits for a place among its job's
-- max_active_runs: its first task stays pending (ork_fire, ork_admit).
CREATE FUNCTION ork_trigger(p_jobs uuid[], p_by text[], p_params jsonb[],
    p_traces text[], p_slots timestamptz[], p_keys text[],
    p_wait boolean[] DEFAULT NULL)
RETURNS TABLE (o_i integer, o_run_id uuid, o_status text, o_created boolean,
    o_error text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	r record;
	v_any boolean := false;
BEGIN
	-- no job is deleted under its new runs (job_runs has no foreign key)
	PERFORM 1 FROM job_definitions WHERE job_id = ANY (p_jobs)
	ORDER BY job_id FOR KEY SHARE;
	FOR r IN
		WITH x AS (
			SELECT x.*, ork_uuid7() AS run_id,
			    (SELECT min(d.task_order) FROM task_definitions d
				WHERE d.job_id = x.job) AS first
			FROM unnest(p_jobs, p_by, p_params, p_traces, p_slots,
			    p_keys, coalesce(p_wait, '{}'::boolean[]))
			    WITH ORDINALITY AS x(job, by, params, trace, slot,
			    rkey, wait, i)
		), ins AS (
			-- created_at: when the run was made, not when the
			-- transaction began (a slot's firing lag is read off it)
			INSERT INTO job_runs (run_id, job_id, triggered_by,
			    params, trace_id, scheduled_for, request_key,
			    created_at)
			SELECT x.run_id, x.job, x.by,
			    coalesce(x.params, '{}'::jsonb), x.trace, x.slot,
			    x.rkey, clock_timestamp()
			FROM x WHERE x.first IS NOT NULL
			ORDER BY x.i
			ON CONFLICT DO NOTHING
			RETURNING run_id, job_id
		), tr AS (
			INSERT INTO task_runs (run_id, job_id, task_id,
			    task_order, kind, extractor_config, loader_config,
			    status, max_attempts, timeout_seconds,
			    retry_base_ms, retry_cap_ms)
			SELECT ins.run_id, ins.job_id, d.task_id, d.task_order,
			    ork_kind(d.extractor_config), d.extractor_config,
			    d.loader_config,
			    CASE WHEN d.task_order = x.first AND
				x.wait IS NOT TRUE THEN 'queued'
				ELSE 'pending' END,
			    d.max_attempts, d.timeout_seconds, d.retry_base_ms,
			    d.retry_cap_ms
			FROM ins JOIN x ON x.run_id = ins.run_id
			    JOIN task_definitions d ON d.job_id = ins.job_id
			WHERE d.job_id = ANY (p_jobs)
		), ev AS (
			-- the run's event stands for its first task's too
			INSERT INTO events (kind, job_id, run_id, status)
			SELECT 'run', ins.job_id, ins.run_id, 'queued' FROM ins
		)
		SELECT x.i::integer AS i, x.job, x.slot, x.rkey, ins.run_id,
		    x.first IS NOT NULL AS has_tasks
		FROM x LEFT JOIN ins ON ins.run_id = x.run_id
		ORDER BY x.i
	LOOP
		o_i := r.i;
		o_error := NULL;
		o_created := r.run_id IS NOT NULL;
		o_run_id := r.run_id;
		o_status := 'queued';
		IF r.run_id IS NOT NULL THEN
			v_any := true;
		ELSIF r.has_tasks AND r.rkey IS NOT NULL THEN
			SELECT run_id, status INTO o_run_id, o_status
			FROM job_runs WHERE request_key = r.rkey;
		ELSIF r.has_tasks AND r.slot IS NOT NULL THEN
			SELECT run_id, status INTO o_run_id, o_status
			FROM job_runs
			WHERE job_id = r.job AND scheduled_for = r.slot
			    AND triggered_by = 'scheduled';
		ELSE
			o_status := NULL;
			o_error := CASE WHEN EXISTS (SELECT 1
			    FROM job_definitions WHERE job_id = r.job)
			    THEN 'no_tasks' ELSE 'not_found' END;
		END IF;
		RETURN NEXT;
	END LOOP;
	IF v_any THEN
		PERFORM ork_notify();
	END IF;
END
$$;

-- ork_admit: give free places among a job's max_active_runs to its
-- waiting slot runs, oldest slot first; returns how many were admitted.
-- The job's row lock orders admissions against firing; a waiting run
-- somebody is cancelling (its row locked) is passed over.
CREATE FUNCTION ork_admit(p_job uuid) RETURNS integer
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	v_max integer;
	v_active integer;
	v_run uuid;
	v_n integer := 0;
BEGIN
	SELECT max_active_runs INTO v_max FROM job_definitions
	WHERE job_id = p_job FOR UPDATE;
	IF NOT FOUND THEN
		RETURN 0;
	END IF;
	SELECT count(*) INTO v_active FROM job_active_runs
	WHERE job_id = p_job AND NOT waiting;
	WHILE v_active < v_max LOOP
		SELECT a.run_id INTO v_run FROM job_active_runs a
		    JOIN job_runs r ON r.run_id = a.run_id
		WHERE a.job_id = p_job AND a.waiting AND r.status = 'queued'
		ORDER BY a.scheduled_for, a.run_id LIMIT 1
		FOR UPDATE OF r SKIP LOCKED;
		EXIT WHEN NOT FOUND;
		UPDATE job_active_runs SET waiting = false WHERE run_id = v_run;
		WITH q AS (
			UPDATE task_runs SET status = 'queued',
			    available_at = now(), updated_at = now()
			WHERE task_run_id = (SELECT task_run_id FROM task_runs
			    WHERE run_id = v_run AND status = 'pending'
			    ORDER BY task_order LIMIT 1)
			RETURNING task_run_id, job_id, run_id, attempt
		)
		INSERT INTO events (kind, job_id, run_id, task_run_id, status,
		    attempt)
		SELECT 'task', q.job_id, q.run_id, q.task_run_id, 'queued',
		    q.attempt FROM q;
		v_active := v_active + 1;
		v_n := v_n + 1;
	END LOOP;
	IF v_n > 0 THEN
		PERFORM ork_notify();
	END IF;
	RETURN v_n;
END
$$;

-- ork_slot_run_changed: keeps job_active_runs as slot runs end (their
-- place goes to the next waiting one) or are retried (they take a place
-- again at once, like a manual action).
CREATE FUNCTION ork_slot_run_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	v_waiting boolean;
BEGIN
	IF NEW.status IN ('success', 'failed', 'cancelled', 'skipped') THEN
		-- the job's row is locked (ork_admit) only when a run waits:
		-- a firing counts places with SKIP LOCKED, so it already
		-- took this one as free
		DELETE FROM job_active_runs WHERE run_id = NEW.run_id
		RETURNING waiting INTO v_waiting;
		IF FOUND AND NOT v_waiting AND EXISTS (SELECT 1
		    FROM job_active_runs WHERE job_id = NEW.job_id
			AND waiting) THEN
			PERFORM ork_admit(NEW.job_id);
		END IF;
	ELSIF OLD.status IN ('success', 'failed', 'cancelled') THEN
		INSERT INTO job_active_runs (run_id, job_id, scheduled_for,
		    waiting)
		VALUES (NEW.run_id, NEW.job_id, NEW.scheduled_for, false)
		ON CONFLICT DO NOTHING;
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER job_runs_slot_changed AFTER UPDATE OF status ON job_runs
    FOR EACH ROW WHEN (NEW.scheduled_for IS NOT NULL AND
	OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION ork_slot_run_changed();

-- ork_fire: create the runs of cron slots, oldest first per job, in a
-- few statements whatever their number: p_jobs[k] fires slot p_slots[k],
-- triggered_by p_by ('scheduled' or 'backfill').  A slot that has a run
-- already is left alone (o_existing) unless p_rerun.  Beyond a job's
-- max_active_runs unfinished slot runs, a new one waits (o_waiting), or
-- with overlap 'skip' a scheduled slot is recorded as a skipped run
-- (o_skipped); backfills always wait.  o_errors lists "job: error" of
-- jobs without tasks.  The jobs' rows are locked first, so firing and
-- admissions of one job never interleave.
CREATE FUNCTION ork_fire(p_jobs uuid[], p_slots timestamptz[], p_by text,
    p_rerun boolean)
RETURNS TABLE (o_created integer, o_waiting integer, o_skipped integer,
    o_existing integer, o_errors text[])
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	v_total integer := coalesce(array_length(p_slots, 1), 0);
	v_jobs uuid[];
	v_slots timestamptz[];
	v_wait boolean[];
	v_n integer;
	v_skipped integer;
	v_considered integer;
	d_jobs uuid[];
	d_slots timestamptz[];
	d_full boolean[];
	d_skip boolean[];
	d_lim integer[];
BEGIN
	PERFORM 1 FROM job_definitions WHERE job_id = ANY (p_jobs)
	ORDER BY job_id FOR UPDATE;
	-- each slot's place in its job's queue: the job's unfinished slot
	-- runs holding a place, then its new slots in order.  A place whose
	-- row is locked is being given up by a run that just ended (only
	-- that deletes them): it counts as free, and that run's release
	-- finds nothing waiting to admit.
	WITH held AS (
		SELECT a.job_id FROM job_active_runs a
		WHERE a.job_id = ANY (p_jobs) AND NOT a.waiting
		FOR UPDATE SKIP LOCKED
	)
	SELECT array_agg(d.job ORDER BY d.k), array_agg(d.slot ORDER BY d.k),
	    array_agg(d.place > d.lim ORDER BY d.k),
	    array_agg(d.place > d.lim AND d.skip ORDER BY d.k),
	    array_agg(d.lim ORDER BY d.k), count(*)
	INTO d_jobs, d_slots, d_full, d_skip, d_lim, v_considered
	FROM (SELECT f.job, f.slot, f.k, j.max_active_runs AS lim,
		p_by = 'scheduled' AND j.overlap = 'skip' AS skip,
		(SELECT count(*) FROM held WHERE held.job_id = f.job) +
		row_number() OVER (PARTITION BY f.job ORDER BY f.slot, f.k)
		AS place
	    FROM unnest(p_jobs, p_slots) WITH ORDINALITY AS f(job, slot, k)
		JOIN job_definitions j ON j.job_id = f.job
	    WHERE j.job_id = ANY (p_jobs) AND (p_rerun OR NOT EXISTS (
		SELECT 1 FROM job_runs r WHERE r.job_id = f.job
		    AND r.scheduled_for = f.slot))) d;
	WITH s AS (
		INSERT INTO job_runs (job_id, status, triggered_by,
		    scheduled_for, finished_at, error_message)
		SELECT u.job, 'skipped', p_by, u.slot, now(),
		    format('skipped: %s of at most %s runs were active '
		    '(overlap skip)', u.lim, u.lim)
		FROM unnest(d_jobs, d_slots, d_skip, d_lim)
		    WITH ORDINALITY AS u(job, slot, skip, lim, k)
		WHERE u.skip
		ORDER BY u.k
		ON CONFLICT DO NOTHING
		RETURNING run_id, job_id
	)
	INSERT INTO events (kind, job_id, run_id, status)
	SELECT 'run', s.job_id, s.run_id, 'skipped' FROM s;
	GET DIAGNOSTICS v_skipped = ROW_COUNT;
	SELECT array_agg(u.job ORDER BY u.k), array_agg(u.slot ORDER BY u.k),
	    array_agg(u.wait ORDER BY u.k), count(*)
	INTO v_jobs, v_slots, v_wait, v_n
	FROM unnest(d_jobs, d_slots, d_full, d_skip)
	    WITH ORDINALITY AS u(job, slot, wait, skip, k)
	WHERE NOT u.skip;
	RETURN QUERY
	WITH t AS (
		SELECT * FROM ork_trigger(v_jobs,
		    array_fill(p_by, ARRAY[v_n]), NULL,
		    ARRAY(SELECT replace(gen_random_uuid()::text, '-', '')
			FROM generate_series(1, v_n)),
		    v_slots, NULL, v_wait)
	), a AS (
		INSERT INTO job_active_runs (run_id, job_id, scheduled_for,
		    waiting)
		SELECT t.o_run_id, v_jobs[t.o_i], v_slots[t.o_i],
		    v_wait[t.o_i]
		FROM t WHERE t.o_created
	)
	SELECT (count(*) FILTER (WHERE t.o_created
		AND NOT v_wait[t.o_i]))::integer,
	    (count(*) FILTER (WHERE t.o_created AND v_wait[t.o_i]))::integer,
	    v_skipped,
	    v_total - v_considered + (v_considered - v_n - v_skipped) +
	    (count(*) FILTER (WHERE NOT t.o_created
		AND t.o_error IS NULL))::integer,
	    array_agg(DISTINCT v_jobs[t.o_i]::text || ': ' || t.o_error)
		FILTER (WHERE t.o_error IS NOT NULL)
	FROM t;
END
$$;

-- ork_schedule_fired: the scheduler's pass over the due jobs it claimed
-- (p_jobs, locked by the caller's transaction): fire their slots
-- (p_slots[k] belongs to p_jobs[p_slot_job[k]]) and store each job's next
-- fire time.
CREATE FUNCTION ork_schedule_fired(p_jobs uuid[], p_next timestamptz[],
    p_slot_job integer[], p_slots timestamptz[])
RETURNS TABLE (o_created integer, o_waiting integer, o_skipped integer,
    o_existing integer, o_errors text[])
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
	RETURN QUERY SELECT * FROM ork_fire(ARRAY(SELECT p_jobs[u.j]
	    FROM unnest(p_slot_job) WITH ORDINALITY AS u(j, k) ORDER BY u.k),
	    p_slots, 'scheduled', false);
	UPDATE job_definitions j SET next_fire_at = u.t
	FROM unnest(p_jobs, p_next) AS u(id, t)
	WHERE j.job_id = u.id AND j.job_id = ANY (p_jobs);
END
$$;

-- ork_lease: claim up to p_max ready tasks of the given kinds (NULL: any)
-- for a worker, in one statement, skipping rows other claimers hold.
CREATE FUNCTION ork_lease(p_worker text, p_kinds text[], p_max integer,
    p_lease_ms integer)
RETURNS TABLE (o_task_run_id uuid, o_run_id uuid, o_job_id uuid,
    o_attempt integer, o_kind text, o_extractor text, o_loader text,
    o_timeout integer, o_lease_expires_at timestamptz,
    o_run_created_at timestamptz, o_trace_id text, o_task_order integer,
    o_cursor_epoch integer)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
	RETURN QUERY
	WITH c AS (
		SELECT t.task_run_id FROM task_runs t
		WHERE t.status IN ('queued', 'retrying')
		    AND t.available_at <= now()
		    AND (p_kinds IS NULL OR t.kind = ANY (p_kinds))
		ORDER BY t.available_at
		LIMIT p_max
		FOR UPDATE SKIP LOCKED
	), u AS (
		UPDATE task_runs t SET status = 'running',
		    attempt = t.attempt + 1, lease_owner = p_worker,
		    lease_expires_at = now() + p_lease_ms * interval '1 ms',
		    started_at = coalesce(t.started_at, now()),
		    updated_at = now()
		WHERE t.task_run_id = ANY (ARRAY(SELECT task_run_id FROM c))
		RETURNING t.*
	), a AS (
		INSERT INTO task_attempts (task_run_id, attempt, worker_id)
		SELECT u.task_run_id, u.attempt, p_worker FROM u
	), r AS (
		UPDATE job_runs j SET status = 'running',
		    started_at = coalesce(j.started_at, now()),
		    updated_at = now()
		WHERE j.run_id = ANY (ARRAY(SELECT u.run_id FROM u))
		    AND j.status = 'queued'
		RETURNING j.run_id, j.job_id
	), e AS (
		INSERT INTO events (kind, job_id, run_id, task_run_id, status,
		    attempt)
		SELECT 'run', r.job_id, r.run_id, NULL, 'running', NULL FROM r
		UNION ALL
		SELECT 'task', u.job_id, u.run_id, u.task_run_id, 'running',
		    u.attempt FROM u
	)
	SELECT u.task_run_id, u.run_id, u.job_id, u.attempt, u.kind::text,
	    u.extractor_config::text, u.loader_config::text, u.timeout_seconds,
	    u.lease_expires_at,
	    (SELECT jr.created_at FROM job_runs jr WHERE jr.run_id = u.run_id),
	    (SELECT jr.trace_id::text FROM job_runs jr
		WHERE jr.run_id = u.run_id),
	    u.task_order,
	    coalesce((SELECT d.cursor_epoch FROM task_definitions d
		WHERE d.job_id = u.job_id AND d.task_order = u.task_order), 0)
	FROM u;
	IF FOUND THEN
		PERFORM ork_notify();
	END IF;
END
$$;

-- ork_heartbeat: extend the leases a worker still holds.  The attempt is
-- the fencing token: only the attempt holding a live lease is renewed.
-- Verdicts: renewed, cancel (stop and report cancelled), lost (stop and
-- report nothing).  A NULL row with verdict 'reregister' says the worker
-- is unknown.
CREATE FUNCTION ork_heartbeat(p_worker text, p_ids uuid[],
    p_attempts integer[], p_lease_ms integer)
RETURNS TABLE (o_task_run_id uuid, o_attempt integer, o_verdict text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
	UPDATE workers SET last_heartbeat_at = now(),
	    status = CASE WHEN status = 'lost' THEN 'active' ELSE status END
	WHERE worker_id = p_worker;
	IF NOT FOUND THEN
		RETURN QUERY SELECT NULL::uuid, 0, 'reregister'::text;
	END IF;
	RETURN QUERY
	WITH x AS (
		SELECT * FROM unnest(p_ids, p_attempts) AS x(id, att)
	), l AS (
		-- by primary key; the tests on the locked rows come after
		SELECT t.task_run_id, t.attempt, t.status, t.lease_owner,
		    t.lease_expires_at
		FROM task_runs t
		WHERE t.task_run_id = ANY (p_ids)
		FOR UPDATE OF t
	), ok AS (
		SELECT l.task_run_id FROM l
		WHERE l.attempt = p_attempts[array_position(p_ids,
			l.task_run_id)]
		    AND l.status = 'running' AND l.lease_owner = p_worker
		    AND l.lease_expires_at > now()
	), renew AS (
		UPDATE task_runs t
		SET lease_expires_at = now() + p_lease_ms * interval '1 ms',
		    updated_at = now()
		WHERE t.task_run_id = ANY (ARRAY(SELECT task_run_id FROM ok))
		RETURNING t.task_run_id, t.cancel_requested
	)
	SELECT x.id, x.att, CASE WHEN r.task_run_id IS NULL THEN 'lost'
	    WHEN r.cancel_requested THEN 'cancel' ELSE 'renewed' END
	FROM x LEFT JOIN renew r ON r.task_run_id = x.id;
END
$$;

-- ork_fail_run: a task failed for good: the run fails with its error and
-- the tasks after it are skipped.
CREATE FUNCTION ork_fail_run(p_run uuid, p_error text) RETURNS void
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	v_job uuid;
BEGIN
	WITH s AS (
		UPDATE task_runs SET status = 'skipped', updated_at = now()
		WHERE run_id = p_run AND status IN ('pending', 'queued',
		    'retrying')
		RETURNING task_run_id, job_id, run_id
	)
	INSERT INTO events (kind, job_id, run_id, task_run_id, status)
	SELECT 'task', s.job_id, s.run_id, s.task_run_id, 'skipped' FROM s;
	UPDATE job_runs SET status = 'failed', error_message = p_error,
	    finished_at = now(), updated_at = now()
	WHERE run_id = p_run AND status IN ('queued', 'running')
	RETURNING job_id INTO v_job;
	IF FOUND THEN
		INSERT INTO events (kind, job_id, run_id, status)
		VALUES ('run', v_job, p_run, 'failed');
	END IF;
END
$$;

-- ork_task_failed: one attempt of a running task failed (or its lease
-- expired): retry after a backoff while attempts remain, else fail the
-- task and its run.  The caller holds the row lock.
CREATE FUNCTION ork_task_failed(t task_runs, p_error text, p_give_up boolean)
RETURNS text LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	v_used integer := t.attempt - t.series_start;
BEGIN
	IF NOT p_give_up AND v_used < t.max_attempts THEN
		UPDATE task_runs SET status = 'retrying',
		    available_at = now() + ork_backoff(v_used, t.retry_base_ms,
		        t.retry_cap_ms),
		    lease_expires_at = NULL, error_message = p_error,
		    updated_at = now()
		WHERE task_run_id = t.task_run_id;
		INSERT INTO events (kind, job_id, run_id, task_run_id, status,
		    attempt)
		VALUES ('task', t.job_id, t.run_id, t.task_run_id, 'retrying',
		    t.attempt);
		RETURN 'retrying';
	END IF;
	UPDATE task_runs SET status = 'failed', finished_at = now(),
	    lease_expires_at = NULL, error_message = p_error, updated_at = now()
	WHERE task_run_id = t.task_run_id;
	INSERT INTO events (kind, job_id, run_id, task_run_id, status, attempt)
	VALUES ('task', t.job_id, t.run_id, t.task_run_id, 'failed', t.attempt);
	PERFORM ork_fail_run(t.run_id, format('task %s (%s) failed after %s '
	    'attempt%s: %s', t.task_order, t.kind, v_used,
	    CASE WHEN v_used = 1 THEN '' ELSE 's' END, p_error));
	RETURN 'failed';
END
$$;

-- ork_task_cancelled: a task stopped because its run was cancelled.
CREATE FUNCTION ork_task_cancelled(t task_runs) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE task_runs SET status = 'cancelled', finished_at = now(),
	    lease_expires_at = NULL, updated_at = now()
	WHERE task_run_id = t.task_run_id;
	INSERT INTO events (kind, job_id, run_id, task_run_id, status, attempt)
	VALUES ('task', t.job_id, t.run_id, t.task_run_id, 'cancelled',
	    t.attempt);
	PERFORM ork_finish_run(t.run_id);
	RETURN 'cancelled';
END
$$;

-- ork_report: record how attempts ended.  Outcomes: success, failed,
-- timed_out, cancelled, handed_back.  Only the attempt holding a live lease
-- is accepted; a repeated report of an attempt already recorded by the
-- same worker is answered with what was recorded, changing nothing.  One
-- row per result, o_i being its position in the arrays.
CREATE FUNCTION ork_report(p_worker text, p_ids uuid[], p_attempts integer[],
    p_outcomes text[], p_errors text[], p_rows bigint[])
RETURNS TABLE (o_i integer, o_task_run_id uuid, o_accepted boolean,
    o_recorded text, o_queued_next boolean)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	t task_runs;
	r record;
	v_n integer := coalesce(array_length(p_ids, 1), 0);
	v_done boolean[] := array_fill(false, ARRAY[greatest(v_n, 1)]);
	v_prev text;
	v_rec text;
	v_next boolean;
	v_changed boolean := false;
	v_att text;
BEGIN
	-- The common case, set-based: successes of attempts that hold their
	-- lease, in runs nobody is cancelling.  Nothing joins the batch: a
	-- row finds its own values by array_position, and every table is
	-- reached through "= ANY" on an index (a join invites a nested loop
	-- repeating the whole "= ANY" scan for every row of the batch).
	FOR r IN
		WITH l AS (
			-- by primary key; the tests on the locked rows come
			-- after
			SELECT t.task_run_id, t.run_id, t.job_id, t.attempt,
			    t.status, t.lease_owner, t.lease_expires_at,
			    t.cancel_requested,
			    array_position(p_ids, t.task_run_id) AS i
			FROM task_runs t
			WHERE t.task_run_id = ANY (p_ids)
			FOR UPDATE OF t
		), v AS (
			SELECT l.task_run_id, l.run_id, l.job_id, l.attempt,
			    p_rows[l.i] AS nrows, l.i
			FROM l
			WHERE p_outcomes[l.i] = 'success'
			    AND l.status = 'running' AND l.attempt = p_attempts[l.i]
			    AND l.lease_owner = p_worker
			    AND l.lease_expires_at > now()
			    AND NOT l.cancel_requested
		), u AS (
			UPDATE task_runs t SET status = 'success',
			    finished_at = now(), lease_expires_at = NULL,
			    rows_moved = coalesce(p_rows[array_position(p_ids,
				t.task_run_id)], 0),
			    error_message = NULL, updated_at = now()
			WHERE t.task_run_id = ANY (ARRAY(SELECT task_run_id
			    FROM v))
			RETURNING t.task_run_id, t.run_id, t.job_id, t.attempt
		), a AS (
			UPDATE task_attempts a SET status = 'success',
			    finished_at = now(),
			    rows_moved = coalesce(p_rows[array_position(p_ids,
				a.task_run_id)], 0)
			WHERE a.task_run_id = ANY (ARRAY(SELECT task_run_id
			    FROM v))
			    AND a.attempt = p_attempts[array_position(p_ids,
				a.task_run_id)]
		), nxt AS (
			SELECT DISTINCT ON (p.run_id) p.task_run_id, p.run_id,
			    p.job_id
			FROM task_runs p
			WHERE p.run_id = ANY (ARRAY(SELECT run_id FROM v))
			    AND p.status = 'pending'
			ORDER BY p.run_id, p.task_order
		), q AS (
			UPDATE task_runs t SET status = 'queued',
			    available_at = now(), updated_at = now()
			WHERE t.task_run_id = ANY (ARRAY(SELECT task_run_id
			    FROM nxt))
			RETURNING t.task_run_id, t.run_id, t.job_id
		), fin AS (
			-- runs whose other tasks all succeeded (the statement
			-- still sees this batch's tasks as running)
			UPDATE job_runs j SET status = 'success',
			    finished_at = now(),
			    started_at = coalesce(j.started_at, now()),
			    updated_at = now()
			WHERE j.run_id = ANY (ARRAY(SELECT run_id FROM v))
			    AND j.status IN ('queued', 'running')
			    AND NOT EXISTS (SELECT 1 FROM nxt
				WHERE nxt.run_id = j.run_id)
			    AND NOT EXISTS (SELECT 1 FROM task_runs o
				WHERE o.run_id = j.run_id
				    AND o.run_id = ANY (ARRAY(SELECT run_id
					FROM v))
				    AND o.status <> 'success'
				    AND o.task_run_id <> ALL (ARRAY(
					SELECT task_run_id FROM v)))
			RETURNING j.run_id, j.job_id
		), e AS (
			INSERT INTO events (kind, job_id, run_id, task_run_id,
			    status, attempt)
			SELECT 'task', u.job_id, u.run_id, u.task_run_id,
			    'success', u.attempt FROM u
			UNION ALL
			SELECT 'task', q.job_id, q.run_id, q.task_run_id,
			    'queued', 0 FROM q
			UNION ALL
			SELECT 'run', fin.job_id, fin.run_id, NULL, 'success',
			    NULL FROM fin
		)
		SELECT v.i::integer AS i, v.task_run_id,
		    EXISTS (SELECT 1 FROM nxt WHERE nxt.run_id = v.run_id)
		    AS queued_next
		FROM v
	LOOP
		v_done[r.i] := true;
		v_changed := true;
		o_i := r.i;
		o_task_run_id := r.task_run_id;
		o_accepted := true;
		o_recorded := 'success';
		o_queued_next := r.queued_next;
		RETURN NEXT;
	END LOOP;

	-- Everything else, one by one.
	FOR i IN 1 .. v_n LOOP
		IF v_done[i] THEN
			CONTINUE;
		END IF;
		v_next := false;
		SELECT * INTO t FROM task_runs WHERE task_run_id = p_ids[i]
		FOR UPDATE;
		IF NOT FOUND THEN
			RETURN QUERY SELECT i, p_ids[i], false, 'unknown'::text,
			    false;
			CONTINUE;
		END IF;
		IF t.status <> 'running' OR t.attempt <> p_attempts[i] OR
		    t.lease_owner IS DISTINCT FROM p_worker OR
		    t.lease_expires_at <= now() THEN
			SELECT status INTO v_prev FROM task_attempts
			WHERE task_run_id = t.task_run_id
			    AND attempt = p_attempts[i]
			    AND worker_id = p_worker AND status <> 'running';
			-- outcomes and attempt statuses share their names
			IF FOUND AND v_prev = p_outcomes[i] THEN
				RETURN QUERY SELECT i, t.task_run_id, true,
				    t.status::text, false;
			ELSE
				RETURN QUERY SELECT i, t.task_run_id, false,
				    t.status::text, false;
			END IF;
			CONTINUE;
		END IF;
		v_att := p_outcomes[i];
		UPDATE task_attempts SET status = v_att, finished_at = now(),
		    rows_moved = coalesce(p_rows[i], 0),
		    error_message = nullif(p_errors[i], '')
		WHERE task_run_id = t.task_run_id AND attempt = t.attempt;
		v_changed := true;
		IF v_att = 'success' THEN
			UPDATE task_runs SET status = 'success',
			    finished_at = now(), lease_expires_at = NULL,
			    rows_moved = coalesce(p_rows[i], 0),
			    error_message = NULL, updated_at = now()
			WHERE task_run_id = t.task_run_id;
			INSERT INTO events (kind, job_id, run_id, task_run_id,
			    status, attempt)
			VALUES ('task', t.job_id, t.run_id, t.task_run_id,
			    'success', t.attempt);
			WITH n AS (
				UPDATE task_runs SET status = 'queued',
				    available_at = now(), updated_at = now()
				WHERE task_run_id = (
					SELECT task_run_id FROM task_runs
					WHERE run_id = t.run_id
					    AND status = 'pending'
					ORDER BY task_order LIMIT 1)
				RETURNING task_run_id, job_id, run_id
			)
			INSERT INTO events (kind, job_id, run_id, task_run_id,
			    status, attempt)
			SELECT 'task', n.job_id, n.run_id, n.task_run_id,
			    'queued', 0 FROM n;
			IF FOUND THEN
				v_next := true;
			ELSE
				PERFORM ork_finish_run(t.run_id);
			END IF;
			v_rec := 'success';
		ELSIF v_att IN ('failed', 'timed_out') THEN
			v_rec := ork_task_failed(t, coalesce(nullif(p_errors[i],
			    ''), v_att), false);
		ELSIF v_att = 'cancelled' THEN
			v_rec := ork_task_cancelled(t);
		ELSIF v_att = 'handed_back' THEN
			-- the worker stopped before finishing (shutdown): the
			-- attempt does not count against the task's budget
			UPDATE task_runs SET status = 'queued',
			    available_at = now(), lease_expires_at = NULL,
			    max_attempts = max_attempts + 1, updated_at = now()
			WHERE task_run_id = t.task_run_id;
			INSERT INTO events (kind, job_id, run_id, task_run_id,
			    status, attempt)
			VALUES ('task', t.job_id, t.run_id, t.task_run_id,
			    'queued', t.attempt);
			v_rec := 'queued';
			v_next := true;
		ELSE
			RAISE EXCEPTION 'unknown outcome "%"', v_att
			    USING ERRCODE = 'invalid_parameter_value';
		END IF;
		RETURN QUERY SELECT i, t.task_run_id, true, v_rec, v_next;
	END LOOP;
	IF v_changed THEN
		PERFORM ork_notify();
	END IF;
END
$$;

-- ork_cancel_run: cancel what has not started at once and ask running
-- tasks to stop.  Returns the run's status afterwards and the running
-- attempts to stop (empty when the run was already finished).
CREATE FUNCTION ork_cancel_run(p_run uuid)
RETURNS TABLE (o_status text, o_task_run_id uuid, o_attempt integer)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	v_status text;
	v_job uuid;
BEGIN
	SELECT status, job_id INTO v_status, v_job FROM job_runs
	WHERE run_id = p_run FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'run % does not exist', p_run
		    USING ERRCODE = 'no_data_found';
	END IF;
	IF v_status IN ('success', 'failed', 'cancelled', 'skipped') THEN
		RETURN QUERY SELECT v_status, NULL::uuid, NULL::integer;
		RETURN;
	END IF;
	WITH c AS (
		UPDATE task_runs SET status = 'cancelled', finished_at = now(),
		    updated_at = now()
		WHERE run_id = p_run AND status IN ('pending', 'queued',
		    'retrying')
		RETURNING task_run_id, job_id, run_id, attempt
	)
	INSERT INTO events (kind, job_id, run_id, task_run_id, status, attempt)
	SELECT 'task', c.job_id, c.run_id, c.task_run_id, 'cancelled',
	    c.attempt FROM c;
	UPDATE task_runs SET cancel_requested = true, updated_at = now()
	WHERE run_id = p_run AND status = 'running';
	v_status := coalesce(ork_finish_run(p_run), 'running');
	PERFORM ork_notify();
	RETURN QUERY SELECT v_status, t.task_run_id, t.attempt
	FROM task_runs t WHERE t.run_id = p_run AND t.status = 'running'
	UNION ALL
	SELECT v_status, NULL::uuid, NULL::integer
	WHERE NOT EXISTS (SELECT 1 FROM task_runs
	    WHERE run_id = p_run AND status = 'running');
END
$$;

-- ork_retry_run: start a new attempt series for the failed, cancelled and
-- skipped tasks of a finished failed or cancelled run.
CREATE FUNCTION ork_retry_run(p_run uuid)
RETURNS TABLE (o_status text, o_requeued integer)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	v_status text;
	v_job uuid;
	v_count integer;
BEGIN
	SELECT status, job_id INTO v_status, v_job FROM job_runs
	WHERE run_id = p_run FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'run % does not exist', p_run
		    USING ERRCODE = 'no_data_found';
	END IF;
	IF v_status NOT IN ('failed', 'cancelled') THEN
		RAISE EXCEPTION 'run % is %: only failed or cancelled runs can '
		    'be retried', p_run, v_status
		    USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;
	UPDATE task_runs SET status = 'pending', series_start = attempt,
	    lease_expiries = 0, cancel_requested = false, error_message = NULL,
	    finished_at = NULL, available_at = now(), updated_at = now()
	WHERE run_id = p_run AND status IN ('failed', 'cancelled', 'skipped');
	GET DIAGNOSTICS v_count = ROW_COUNT;
	WITH q AS (
		UPDATE task_runs SET status = 'queued'
		WHERE task_run_id = (SELECT task_run_id FROM task_runs
		    WHERE run_id = p_run AND status = 'pending'
		    ORDER BY task_order LIMIT 1)
		RETURNING task_run_id, job_id, run_id, attempt
	)
	INSERT INTO events (kind, job_id, run_id, task_run_id, status, attempt)
	SELECT 'task', q.job_id, q.run_id, q.task_run_id, 'queued', q.attempt
	FROM q;
	UPDATE job_runs SET status = 'queued', finished_at = NULL,
	    error_message = NULL, updated_at = now()
	WHERE run_id = p_run;
	INSERT INTO events (kind, job_id, run_id, status)
	VALUES ('run', v_job, p_run, 'queued');
	PERFORM ork_notify();
	RETURN QUERY SELECT 'queued'::text, v_count;
END
$$;

-- ork_reap: requeue tasks whose lease expired (the attempt counts), fail
-- those that expired p_max_expiries times or used up their attempts, and
-- mark workers lost whose heartbeats stopped.  Run by the leader only.
CREATE FUNCTION ork_reap(p_max_expiries integer, p_worker_timeout_ms integer,
    p_limit integer)
RETURNS integer LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	t task_runs;
	v_count integer := 0;
BEGIN
	UPDATE workers SET status = 'lost'
	WHERE status IN ('active', 'draining')
	    AND last_heartbeat_at < now() - p_worker_timeout_ms *
	        interval '1 ms';
	FOR t IN SELECT * FROM task_runs
	    WHERE status = 'running' AND lease_expires_at <= now()
	    ORDER BY lease_expires_at LIMIT p_limit
	    FOR UPDATE SKIP LOCKED
	LOOP
		v_count := v_count + 1;
		UPDATE task_attempts SET status = 'lease_expired',
		    finished_at = now(),
		    error_message = 'lease expired (worker ' ||
		        coalesce(t.lease_owner, '?') || ' stopped heartbeating)'
		WHERE task_run_id = t.task_run_id AND attempt = t.attempt;
		UPDATE task_runs SET lease_expiries = lease_expiries + 1
		WHERE task_run_id = t.task_run_id
		RETURNING * INTO t;
		IF t.cancel_requested THEN
			PERFORM ork_task_cancelled(t);
		ELSE
			PERFORM ork_task_failed(t, format('lease expired on '
			    'worker %s (%s of %s allowed)', t.lease_owner,
			    t.lease_expiries, p_max_expiries),
			    t.lease_expiries >= p_max_expiries);
		END IF;
	END LOOP;
	IF v_count > 0 THEN
		PERFORM ork_notify();
	END IF;
	RETURN v_count;
END
$$;

-- The planner takes a CTE or an unnested array for one row and would join
-- batches of hundreds by nested loops, comparing every row with every
-- other.  Each table in these statements is reached through an index on
-- "= ANY (...)"; hash joins then keep a batch linear in its size.  And no
-- sequential scans: a plan is cached for the session, and one made while
-- a table was young (a new install; statistics come a minute later)
-- would read the whole table on every call once it has grown.
ALTER FUNCTION ork_trigger(uuid[], text[], jsonb[], text[], timestamptz[],
    text[], boolean[])
    SET enable_nestloop = off SET enable_seqscan = off;
ALTER FUNCTION ork_lease(text, text[], integer, integer)
    SET enable_nestloop = off SET enable_seqscan = off;
ALTER FUNCTION ork_heartbeat(text, uuid[], integer[], integer)
    SET enable_nestloop = off SET enable_seqscan = off;
ALTER FUNCTION ork_report(text, uuid[], integer[], text[], text[], bigint[])
    SET enable_nestloop = off SET enable_seqscan = off;
