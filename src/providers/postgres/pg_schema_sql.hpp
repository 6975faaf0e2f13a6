#pragma once
// SQL text of the migration steps (pg_schema.cpp). Every step runs with search_path set to the
// tenant's schema; functions keep that search path (SET search_path FROM CURRENT), so they work
// whatever the caller's path. Timestamps are BIGINT epoch milliseconds from the database clock.

#include <string_view>

namespace duroxide::pg {

// The NOTIFY channel of one queue of the schema the caller runs in (its search path): every dx_*
// function runs with its schema's path, and so does the LISTEN connection. plpgsql, without a SET
// clause, so its plan is cached per connection: the first form (SQL with SET search_path) could not
// be inlined and was parsed and planned on every notify, ~55 us each (docs/storage.md, "What a call
// costs"). Step 1 creates this newest form; step 4 re-creates it for schemas made before it.
inline constexpr std::string_view kChannelFunction = R"sql(
CREATE OR REPLACE FUNCTION dx_channel(suffix text) RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN CASE WHEN octet_length(current_schema()) <= 50 THEN current_schema() || '_' || suffix
              ELSE 'dx_' || md5(current_schema()) || '_' || suffix END;
END $$;
)sql";

// Who is told (docs/storage.md, "Wake-ups: who is told"): every process's LISTEN connection
// registers its node here, and the calls notify only when a node other than the caller's own
// (`duroxide.node`, set on every pooled connection) is registered. A process alone on its schema
// wakes its own fetchers in memory, so its notifications only cost the server work (about 10% of
// W1). `dx_others_listen` is VOLATILE so that its query takes a fresh snapshot after locking the
// table: a listener that registers and then takes the table's ACCESS EXCLUSIVE lock knows every
// call that did not see its row has ended. plpgsql without a SET clause, so plans stay cached.
// Step 8.
inline constexpr std::string_view kListeners = R"sql(
CREATE TABLE IF NOT EXISTS listeners (
  node TEXT PRIMARY KEY,
  backend_pid INTEGER NOT NULL,
  registered_at TIMESTAMPTZ NOT NULL DEFAULT now());
CREATE OR REPLACE FUNCTION dx_others_listen() RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM listeners WHERE node IS DISTINCT FROM current_setting('duroxide.node', true));
END $$;
CREATE OR REPLACE FUNCTION dx_notify(p_suffix text, p_payload text) RETURNS void LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF dx_others_listen() THEN PERFORM pg_notify(dx_channel(p_suffix), p_payload); END IF;
END $$;
)sql";

// How long until something of a queue comes due (a delayed message, an expiring lease), asked by a
// fetch that found nothing. plpgsql so that the plan is cached: the first forms were SQL functions
// with a SET clause, which cannot be inlined and were parsed and planned on every call. Step 1
// creates these newest forms; step 4 re-creates them for schemas made before it.
inline constexpr std::string_view kDueInFunctions = R"sql(
CREATE OR REPLACE FUNCTION dx_orch_due_in(p_now bigint) RETURNS bigint LANGUAGE plpgsql STABLE
SET search_path FROM CURRENT AS $$
BEGIN
  RETURN LEAST((SELECT MIN(visible_at) FROM orchestrator_queue WHERE visible_at > p_now),
               (SELECT MIN(locked_until) FROM instance_locks WHERE locked_until > p_now)) - p_now;
END $$;
CREATE OR REPLACE FUNCTION dx_work_due_in(p_now bigint) RETURNS bigint LANGUAGE plpgsql STABLE
SET search_path FROM CURRENT AS $$
BEGIN
  RETURN LEAST((SELECT MIN(visible_at) FROM worker_queue WHERE visible_at > p_now),
               (SELECT MIN(locked_until) FROM worker_queue WHERE lock_token IS NOT NULL AND locked_until > p_now),
               (SELECT MIN(locked_until) FROM sessions WHERE locked_until > p_now)) - p_now;
END $$;
)sql";

inline constexpr std::string_view kStep1Tables = R"sql(
CREATE OR REPLACE FUNCTION dx_now_ms() RETURNS bigint LANGUAGE sql VOLATILE AS
  $$ SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint $$;
-- JSON of a text that may not be JSON (corrupt rows): NULL instead of an error.
CREATE OR REPLACE FUNCTION dx_try_json(t text) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN RETURN t::jsonb; EXCEPTION WHEN others THEN RETURN NULL; END $$;

CREATE TABLE IF NOT EXISTS instances (
  instance_id TEXT PRIMARY KEY, orchestration_name TEXT NOT NULL, orchestration_version TEXT,
  current_execution_id BIGINT NOT NULL DEFAULT 1, custom_status TEXT,
  custom_status_version BIGINT NOT NULL DEFAULT 0, parent_instance_id TEXT,
  created_at BIGINT NOT NULL DEFAULT dx_now_ms(), updated_at BIGINT NOT NULL DEFAULT dx_now_ms(),
  seq BIGSERIAL);
CREATE INDEX IF NOT EXISTS idx_instances_parent ON instances(parent_instance_id);
CREATE TABLE IF NOT EXISTS executions (
  instance_id TEXT NOT NULL, execution_id BIGINT NOT NULL, status TEXT NOT NULL DEFAULT 'Running',
  output TEXT, duroxide_version_major BIGINT, duroxide_version_minor BIGINT, duroxide_version_patch BIGINT,
  started_at BIGINT NOT NULL DEFAULT dx_now_ms(), completed_at BIGINT,
  PRIMARY KEY (instance_id, execution_id));
CREATE TABLE IF NOT EXISTS history (
  instance_id TEXT NOT NULL, execution_id BIGINT NOT NULL, event_id BIGINT NOT NULL,
  event_type TEXT NOT NULL, event_data TEXT NOT NULL, created_at BIGINT NOT NULL DEFAULT dx_now_ms(),
  PRIMARY KEY (instance_id, execution_id, event_id));
CREATE TABLE IF NOT EXISTS orchestrator_queue (
  id BIGSERIAL PRIMARY KEY, instance_id TEXT NOT NULL, work_item TEXT NOT NULL, visible_at BIGINT NOT NULL,
  lock_token TEXT, attempt_count BIGINT NOT NULL DEFAULT 0 CHECK (attempt_count >= 0),
  created_at BIGINT NOT NULL DEFAULT dx_now_ms());
CREATE INDEX IF NOT EXISTS idx_orch_due ON orchestrator_queue(visible_at, id);
CREATE INDEX IF NOT EXISTS idx_orch_instance ON orchestrator_queue(instance_id, id);
CREATE TABLE IF NOT EXISTS instance_locks (
  instance_id TEXT PRIMARY KEY, lock_token TEXT NOT NULL, locked_until BIGINT NOT NULL, locked_at BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS idx_locks_token ON instance_locks(lock_token);
CREATE INDEX IF NOT EXISTS idx_locks_until ON instance_locks(locked_until);
CREATE TABLE IF NOT EXISTS worker_queue (
  id BIGSERIAL PRIMARY KEY, work_item TEXT NOT NULL, visible_at BIGINT NOT NULL, lock_token TEXT,
  locked_until BIGINT, attempt_count BIGINT NOT NULL DEFAULT 0 CHECK (attempt_count >= 0),
  instance_id TEXT, execution_id BIGINT, activity_id BIGINT, session_id TEXT, tag TEXT,
  created_at BIGINT NOT NULL DEFAULT dx_now_ms());
CREATE INDEX IF NOT EXISTS idx_worker_free ON worker_queue(tag, id) WHERE lock_token IS NULL;
CREATE INDEX IF NOT EXISTS idx_worker_locked ON worker_queue(locked_until) WHERE lock_token IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_worker_identity ON worker_queue(instance_id, execution_id, activity_id);
CREATE TABLE IF NOT EXISTS sessions (
  session_id TEXT PRIMARY KEY, worker_id TEXT NOT NULL, locked_until BIGINT NOT NULL, last_activity_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS kv_store (
  instance_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, last_updated_at_ms BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (instance_id, key));
CREATE TABLE IF NOT EXISTS kv_delta (
  instance_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT, last_updated_at_ms BIGINT NOT NULL,
  PRIMARY KEY (instance_id, key));
CREATE TABLE IF NOT EXISTS dead_letters (
  id BIGSERIAL PRIMARY KEY, queue TEXT NOT NULL, source_row_id BIGINT NOT NULL, instance_id TEXT,
  execution_id BIGINT, activity_id BIGINT, raw_text TEXT NOT NULL, error TEXT NOT NULL,
  created_at BIGINT NOT NULL DEFAULT dx_now_ms(), UNIQUE (queue, source_row_id));
)sql";

// A fetched batch the provider does not hand out: dropped (queue messages of a never-started
// instance) or put back untouched (this fetch's attempt undone). It sends no wake-up: nothing it
// leaves behind can be served, and a wake-up would send every process of the schema to fetch the
// same unservable instance again, each waking the others in turn (docs/storage.md, "Wake-ups").
// Step 1 creates this newest form; step 3 re-creates it for schemas made before it.
inline constexpr std::string_view kReleaseOrchestration = R"sql(
CREATE OR REPLACE FUNCTION dx_release_orchestration(p_token text, p_drop boolean)
RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF p_drop THEN
    DELETE FROM orchestrator_queue WHERE lock_token = p_token;
  ELSE
    UPDATE orchestrator_queue SET lock_token = NULL, attempt_count = GREATEST(0, attempt_count - 1)
     WHERE lock_token = p_token;
  END IF;
  DELETE FROM instance_locks WHERE lock_token = p_token;
END $$;
)sql";

// Orchestrator queue. The fetch never blocks on another fetcher (try-lock) and never gives up on
// the queue because one candidate was lost to a concurrent fetcher: it moves to the next one.
inline constexpr std::string_view kStep1Orchestrator = R"sql(
CREATE OR REPLACE FUNCTION dx_enqueue_orchestrator(p_instance text, p_item text, p_delay_ms bigint)
RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO orchestrator_queue (instance_id, work_item, visible_at) VALUES (p_instance, p_item, dx_now_ms() + p_delay_ms);
  PERFORM dx_notify('orch', '');
END $$;

CREATE OR REPLACE FUNCTION dx_abandon_orchestration(p_token text, p_delay_ms bigint, p_ignore_attempt boolean)
RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  v_now bigint := dx_now_ms();
  v_inst text;
BEGIN
  SELECT instance_id INTO v_inst FROM instance_locks WHERE lock_token = p_token FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'DX001', MESSAGE = 'Invalid lock token: ' || p_token;
  END IF;
  DELETE FROM instance_locks WHERE instance_id = v_inst;
  IF p_ignore_attempt THEN
    UPDATE orchestrator_queue SET attempt_count = GREATEST(0, attempt_count - 1) WHERE lock_token = p_token;
  END IF;
  IF p_delay_ms > 0 THEN
    UPDATE orchestrator_queue SET visible_at = v_now + p_delay_ms WHERE instance_id = v_inst AND visible_at <= v_now;
  END IF;
  PERFORM dx_notify('orch', '');
END $$;

CREATE OR REPLACE FUNCTION dx_renew_orchestration(p_token text, p_extend_ms bigint)
RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE v_now bigint := dx_now_ms();
BEGIN
  UPDATE instance_locks SET locked_until = v_now + p_extend_ms WHERE lock_token = p_token AND locked_until > v_now;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'DX001',
      MESSAGE = 'Invalid lock token, lock expired or already acked: ' || p_token;
  END IF;
END $$;
)sql";

/// The orchestration fetch: claims the oldest visible message's instance and returns only the
/// newest events of its history (delta fetch). Step 2 created it; step 4 re-creates it with the
/// version filter checked per candidate, and a new schema gets this form.
inline constexpr std::string_view kFetchOrchestration = R"sql(
CREATE OR REPLACE FUNCTION dx_fetch_orchestration(p_token text, p_lock_ms bigint, p_batch integer, p_exclude text[],
  p_filter boolean, p_lo bigint[], p_hi bigint[], p_history_tail integer)
RETURNS TABLE(kind text, n1 bigint, n2 bigint, t1 text, t2 text)
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  v_now bigint := dx_now_ms();
  v_tried text[] := COALESCE(p_exclude, '{}'::text[]);
  v_inst text;
  v_n bigint;
  v_exec bigint;
  v_name text;
  v_version text;
  v_has_execution boolean;
  v_async text;
  v_candidates text[];
  v_first boolean := cardinality(v_tried) = 0;
  v_idle boolean := false;
BEGIN
  -- A claim need not wait for its WAL flush: if the server loses it in a crash, the lease and the
  -- attempt count are simply not there, the holder's ack fails as LockLost and the batch is
  -- fetched again, which is what a lapsed lease does anyway. Acks stay synchronous and flush every
  -- earlier record with theirs (docs/storage.md, "Durable commits").
  -- An assignment, not PERFORM: a plain function call is evaluated without an executor start-up.
  v_async := set_config('synchronous_commit', 'off', true);
  LOOP
    IF p_filter THEN
      -- The candidate's pinned version is looked up per candidate (LATERAL with LIMIT cannot be
      -- flattened or hashed): the first form made the planner hash every execution of the store on
      -- each fetch.
      SELECT array_agg(c.instance_id ORDER BY c.visible_at, c.id) INTO v_candidates FROM (
      SELECT q.instance_id, q.visible_at, q.id FROM orchestrator_queue q
        LEFT JOIN LATERAL (
          SELECT e.duroxide_version_major AS major,
                 ARRAY[e.duroxide_version_major, e.duroxide_version_minor, e.duroxide_version_patch] AS v
            FROM instances i JOIN executions e
              ON e.instance_id = i.instance_id AND e.execution_id = i.current_execution_id
           WHERE i.instance_id = q.instance_id LIMIT 1) pin ON true
       WHERE q.visible_at <= v_now AND q.instance_id <> ALL (v_tried)
         AND NOT EXISTS (SELECT 1 FROM instance_locks l WHERE l.instance_id = q.instance_id AND l.locked_until > v_now)
         AND (pin.major IS NULL OR NOT COALESCE(pin.v < p_lo OR pin.v > p_hi, false))
       ORDER BY q.visible_at, q.id LIMIT 2) c;
    ELSE
      SELECT array_agg(c.instance_id ORDER BY c.visible_at, c.id) INTO v_candidates FROM (
      SELECT q.instance_id, q.visible_at, q.id FROM orchestrator_queue q
       WHERE q.visible_at <= v_now AND q.instance_id <> ALL (v_tried)
         AND NOT EXISTS (SELECT 1 FROM instance_locks l WHERE l.instance_id = q.instance_id AND l.locked_until > v_now)
       ORDER BY q.visible_at, q.id LIMIT 2) c;
    END IF;
    v_inst := v_candidates[1];
    -- Two candidates are read so that a claim can tell the caller when it took the only claimable
    -- instance (its second message does not count as another): the caller's next poll then waits
    -- for a signal instead of querying (docs/storage.md, "Wake-ups"). Only the first round of a
    -- call with nothing excluded speaks for everything this fetcher can claim.
    v_idle := v_first AND cardinality(v_candidates) = 1;
    v_first := false;
    IF v_inst IS NULL THEN
      kind := 'due'; n1 := dx_orch_due_in(v_now); n2 := NULL; t1 := NULL; t2 := NULL;
      RETURN NEXT;
      RETURN;
    END IF;
    v_tried := v_tried || v_inst;
    -- Another fetcher is claiming it right now: try the next candidate instead of waiting.
    CONTINUE WHEN NOT pg_try_advisory_xact_lock(hashtextextended(current_schema() || '/' || v_inst, 1));
    INSERT INTO instance_locks AS l (instance_id, lock_token, locked_until, locked_at)
      VALUES (v_inst, p_token, v_now + p_lock_ms, v_now)
      ON CONFLICT (instance_id) DO UPDATE SET lock_token = excluded.lock_token, locked_until = excluded.locked_until,
        locked_at = excluded.locked_at WHERE l.locked_until <= v_now;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    CONTINUE WHEN v_n = 0;
    -- Claim the batch and return it in one statement: the lock row (the highest attempt count)
    -- and the messages in id order; no row when nothing was left to claim.
    RETURN QUERY WITH claimed AS (
        UPDATE orchestrator_queue SET lock_token = p_token, attempt_count = attempt_count + 1
         WHERE id IN (SELECT id FROM orchestrator_queue WHERE instance_id = v_inst AND visible_at <= v_now
                      ORDER BY id LIMIT p_batch)
        RETURNING id, work_item, attempt_count)
      SELECT 'lock'::text, MAX(c.attempt_count), NULL::bigint, v_inst, NULL::text FROM claimed c HAVING COUNT(*) > 0
      UNION ALL
      (SELECT 'msg'::text, c.id, NULL::bigint, c.work_item, NULL::text FROM claimed c ORDER BY c.id);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    IF v_n = 0 THEN
      DELETE FROM instance_locks WHERE instance_id = v_inst AND lock_token = p_token;
      CONTINUE;
    END IF;
    SELECT i.current_execution_id, i.orchestration_name, i.orchestration_version,
           EXISTS (SELECT 1 FROM executions e WHERE e.instance_id = v_inst AND e.execution_id = i.current_execution_id)
      INTO v_exec, v_name, v_version, v_has_execution FROM instances i WHERE i.instance_id = v_inst;
    IF FOUND THEN
      kind := 'meta'; n1 := v_exec; n2 := v_has_execution::int::bigint; t1 := v_name; t2 := v_version;
      RETURN NEXT;
    ELSE
      SELECT MAX(h.execution_id) INTO v_exec FROM history h WHERE h.instance_id = v_inst;
    END IF;
    -- Only the newest p_history_tail events: the caller usually holds the rest already and reads
    -- more itself when it does not (docs/storage.md, "Delta fetch"). Then the instance's KV.
    RETURN QUERY (SELECT 'hist'::text, t.event_id, t.execution_id, t.event_data, NULL::text FROM (
        SELECT h.event_id, h.execution_id, h.event_data FROM history h
         WHERE h.instance_id = v_inst AND h.execution_id = v_exec ORDER BY h.event_id DESC LIMIT p_history_tail) t
        ORDER BY t.event_id)
      UNION ALL
      SELECT 'kv'::text, k.last_updated_at_ms, NULL::bigint, k.key, k.value FROM kv_store k
       WHERE k.instance_id = v_inst;
    IF v_idle THEN
      kind := 'idle'; n1 := dx_orch_due_in(v_now); n2 := NULL; t1 := NULL; t2 := NULL;
      RETURN NEXT;
    END IF;
    RETURN;
  END LOOP;
END $$;
)sql";

/// Step 2: the orchestration fetch returns only the newest events of the history (delta fetch).
/// The seven-argument form of step 1 stays, as the whole-history call, for processes of an older
/// build still running against an upgraded schema.
inline constexpr std::string_view kStep2FetchTailCompat = R"sql(
CREATE OR REPLACE FUNCTION dx_fetch_orchestration(p_token text, p_lock_ms bigint, p_batch integer, p_exclude text[],
  p_filter boolean, p_lo bigint[], p_hi bigint[])
RETURNS TABLE(kind text, n1 bigint, n2 bigint, t1 text, t2 text)
LANGUAGE sql SET search_path FROM CURRENT AS $$
  SELECT * FROM dx_fetch_orchestration(p_token, p_lock_ms, p_batch, p_exclude, p_filter, p_lo, p_hi, 2147483647)
$$;
)sql";

/// Indexes of step 4 (docs/storage.md, "What a call costs"), created by step 1 after the tables and
/// by step 4 after dropping the full indexes they replace. Indexes by lock token and by session
/// hold only rows that have one, so a query for rows without (`lock_token IS NULL`, `session_id IS
/// NULL`) cannot be served by reading every such row through them, as the planner chose with stale
/// statistics: a terminal ack deleting its unclaimed timers read every unclaimed message, and the
/// worker fetch sorted every free row. Free worker rows get an index in id order.
inline constexpr std::string_view kQueueIndexes = R"sql(
CREATE INDEX IF NOT EXISTS idx_orch_locked ON orchestrator_queue(lock_token) WHERE lock_token IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_worker_free_id ON worker_queue(id) WHERE lock_token IS NULL;
CREATE INDEX IF NOT EXISTS idx_worker_token_set ON worker_queue(lock_token) WHERE lock_token IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_worker_session_set ON worker_queue(session_id) WHERE session_id IS NOT NULL;
)sql";

/// Step 4: the full indexes that kQueueIndexes replaces. The channel function, the fetches and the
/// acks come in their newest forms (above).
inline constexpr std::string_view kStep4DropFullIndexes = R"sql(
DROP INDEX IF EXISTS idx_orch_lock;
DROP INDEX IF EXISTS idx_worker_token;
DROP INDEX IF EXISTS idx_worker_session;
)sql";

/// Step 5: listing that scales (docs/storage.md, "Listing instances"). Each instance carries
/// its current execution's status, kept by triggers, and four indexes serve a page filtered by
/// status, by name, by both or by neither, newest first, as one index range from the cursor on. The
/// instance trigger runs only when the current execution changes (its WHEN clause), not on every
/// ack's update of the instance row.
inline constexpr std::string_view kStep5InstanceStatus = R"sql(
ALTER TABLE instances ADD COLUMN IF NOT EXISTS status TEXT;
UPDATE instances i SET status = e.status FROM executions e
 WHERE e.instance_id = i.instance_id AND e.execution_id = i.current_execution_id;
CREATE INDEX IF NOT EXISTS idx_instances_created ON instances(created_at, instance_id);
CREATE INDEX IF NOT EXISTS idx_instances_status ON instances(status, created_at, instance_id);
CREATE INDEX IF NOT EXISTS idx_instances_name ON instances(orchestration_name, created_at, instance_id);
CREATE INDEX IF NOT EXISTS idx_instances_name_status ON instances(orchestration_name, status, created_at, instance_id);
CREATE OR REPLACE FUNCTION dx_status_from_execution() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    UPDATE instances SET status = NULL
     WHERE instance_id = OLD.instance_id AND current_execution_id = OLD.execution_id;
  ELSE
    UPDATE instances SET status = NEW.status
     WHERE instance_id = NEW.instance_id AND current_execution_id = NEW.execution_id
       AND status IS DISTINCT FROM NEW.status;
  END IF;
  RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION dx_status_of_current_execution() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  NEW.status := (SELECT e.status FROM executions e
                  WHERE e.instance_id = NEW.instance_id AND e.execution_id = NEW.current_execution_id);
  RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS instance_status_from_execution ON executions;
CREATE TRIGGER instance_status_from_execution AFTER INSERT OR DELETE OR UPDATE OF status ON executions
  FOR EACH ROW EXECUTE FUNCTION dx_status_from_execution();
DROP TRIGGER IF EXISTS instance_status_on_insert ON instances;
CREATE TRIGGER instance_status_on_insert BEFORE INSERT ON instances
  FOR EACH ROW EXECUTE FUNCTION dx_status_of_current_execution();
DROP TRIGGER IF EXISTS instance_status_on_new_execution ON instances;
CREATE TRIGGER instance_status_on_new_execution BEFORE UPDATE OF current_execution_id ON instances
  FOR EACH ROW WHEN (OLD.current_execution_id IS DISTINCT FROM NEW.current_execution_id)
  EXECUTE FUNCTION dx_status_of_current_execution();
)sql";

}  // namespace duroxide::pg
