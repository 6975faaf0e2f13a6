#pragma once
// SQL text of the ack and worker-queue functions (pg_schema.cpp). Same rules as pg_schema_sql.hpp.

#include <string_view>

namespace duroxide::pg {

// Commits one turn: the same steps, in the same order, as the SQLite store's ack, set-based.
// The lock row is locked FOR UPDATE and checked live first, so a lease cannot be taken over by a
// fetcher while the ack runs. Every statement costs an executor start-up whatever it writes, so
// each table is written by one statement and steps with nothing to write are skipped
// (docs/storage.md, "What a call costs"). Step 1 creates this newest form; step 4 re-creates it for
// schemas made before it. Step 7 adds this form's hand-off parameters (p_w_token, p_w_lock_ms) as a
// new overload, leaving the older form to processes of an older build that are still running.
inline constexpr std::string_view kAckOrchestration = R"sql(
CREATE OR REPLACE FUNCTION dx_ack_orchestration(p_token text, p_exec bigint,
  p_ev_ids bigint[], p_ev_types text[], p_ev_data text[],
  p_status text, p_output text, p_name text, p_version text, p_parent text, p_pin bigint[],
  p_cs_set boolean, p_cs text,
  p_kv_op text[], p_kv_key text[], p_kv_value text[], p_kv_ts bigint[],
  p_w_item text[], p_w_inst text[], p_w_exec bigint[], p_w_act bigint[], p_w_session text[], p_w_tag text[],
  p_w_token text[], p_w_lock_ms bigint,
  p_c_inst text[], p_c_exec bigint[], p_c_act bigint[],
  p_o_inst text[], p_o_item text[], p_o_visible bigint[])
RETURNS TABLE(out_instance text, out_orch_work boolean)
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  v_now bigint := dx_now_ms();
  v_inst text;
  v_until bigint;
  -- Every status but Running and Suspended ends the execution (docs/terminate.md).
  v_terminal boolean := COALESCE(p_status NOT IN ('Running', 'Suspended'), false);
  v_work boolean;
  v_new_work boolean := COALESCE(cardinality(p_w_item), 0) > 0;
  -- Items locked for this process's idle workers (p_w_token) need no other fetcher woken.
  v_free_work boolean := COALESCE(cardinality(p_w_item), 0) > COALESCE(cardinality(array_remove(p_w_token, NULL)), 0);
BEGIN
  SELECT l.instance_id, l.locked_until INTO v_inst, v_until FROM instance_locks l WHERE l.lock_token = p_token FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'DX001', MESSAGE = 'Invalid lock token: ' || p_token;
  END IF;
  IF v_until <= v_now THEN
    RAISE EXCEPTION USING ERRCODE = 'DX001', MESSAGE = format('Instance lock expired for instance ''%s''', v_inst);
  END IF;

  DELETE FROM orchestrator_queue WHERE lock_token = p_token;

  -- The instance row: created by the first turn (name and version given), then moved to the
  -- newest execution, stamped, and given the turn's custom status, in one statement.
  IF p_name IS NOT NULL AND p_version IS NOT NULL THEN
    INSERT INTO instances AS i (instance_id, orchestration_name, orchestration_version, current_execution_id,
                                parent_instance_id, created_at, updated_at, custom_status, custom_status_version)
      VALUES (v_inst, p_name, p_version, p_exec, p_parent, v_now, v_now,
              CASE WHEN p_cs_set THEN p_cs END, CASE WHEN p_cs_set THEN 1 ELSE 0 END)
      ON CONFLICT (instance_id) DO UPDATE SET orchestration_name = excluded.orchestration_name,
        orchestration_version = excluded.orchestration_version,
        current_execution_id = GREATEST(i.current_execution_id, p_exec), updated_at = v_now,
        custom_status = CASE WHEN p_cs_set THEN p_cs ELSE i.custom_status END,
        custom_status_version = i.custom_status_version + CASE WHEN p_cs_set THEN 1 ELSE 0 END;
  ELSE
    UPDATE instances SET current_execution_id = GREATEST(current_execution_id, p_exec), updated_at = v_now,
      custom_status = CASE WHEN p_cs_set THEN p_cs ELSE custom_status END,
      custom_status_version = custom_status_version + CASE WHEN p_cs_set THEN 1 ELSE 0 END
     WHERE instance_id = v_inst;
  END IF;
  -- The execution row: created Running by its first turn; a status (with its output) and a pinned
  -- version are written when the turn carries them, and nothing is rewritten when it does not.
  INSERT INTO executions AS x (instance_id, execution_id, status, output, started_at, completed_at,
                               duroxide_version_major, duroxide_version_minor, duroxide_version_patch)
    VALUES (v_inst, p_exec, COALESCE(p_status, 'Running'), CASE WHEN p_status IS NOT NULL THEN p_output END, v_now,
            CASE WHEN v_terminal THEN v_now END, p_pin[1], p_pin[2], p_pin[3])
    ON CONFLICT (instance_id, execution_id) DO UPDATE SET
      status = COALESCE(p_status, x.status),
      output = CASE WHEN p_status IS NOT NULL THEN p_output ELSE x.output END,
      completed_at = CASE WHEN v_terminal THEN v_now WHEN p_status IS NOT NULL THEN NULL ELSE x.completed_at END,
      duroxide_version_major = CASE WHEN p_pin IS NOT NULL THEN p_pin[1] ELSE x.duroxide_version_major END,
      duroxide_version_minor = CASE WHEN p_pin IS NOT NULL THEN p_pin[2] ELSE x.duroxide_version_minor END,
      duroxide_version_patch = CASE WHEN p_pin IS NOT NULL THEN p_pin[3] ELSE x.duroxide_version_patch END
    WHERE p_status IS NOT NULL OR p_pin IS NOT NULL;

  IF COALESCE(cardinality(p_ev_ids), 0) > 0 THEN
    INSERT INTO history (instance_id, execution_id, event_id, event_type, event_data, created_at)
      SELECT v_inst, p_exec, u.id, u.typ, u.data, v_now FROM unnest(p_ev_ids, p_ev_types, p_ev_data) AS u(id, typ, data);
  END IF;

  FOR i IN 1 .. COALESCE(array_length(p_kv_op, 1), 0) LOOP
    IF p_kv_op[i] = 'set' THEN
      INSERT INTO kv_delta (instance_id, key, value, last_updated_at_ms) VALUES (v_inst, p_kv_key[i], p_kv_value[i], p_kv_ts[i])
        ON CONFLICT (instance_id, key) DO UPDATE SET value = excluded.value, last_updated_at_ms = excluded.last_updated_at_ms;
    ELSIF p_kv_op[i] = 'clear' THEN
      INSERT INTO kv_delta (instance_id, key, value, last_updated_at_ms) VALUES (v_inst, p_kv_key[i], NULL, v_now)
        ON CONFLICT (instance_id, key) DO UPDATE SET value = NULL, last_updated_at_ms = excluded.last_updated_at_ms;
    ELSE
      UPDATE kv_delta SET value = NULL, last_updated_at_ms = v_now WHERE instance_id = v_inst;
      INSERT INTO kv_delta (instance_id, key, value, last_updated_at_ms)
        SELECT instance_id, key, NULL, v_now FROM kv_store WHERE instance_id = v_inst ON CONFLICT DO NOTHING;
    END IF;
  END LOOP;
  IF v_terminal AND EXISTS (SELECT 1 FROM kv_delta WHERE instance_id = v_inst) THEN
    INSERT INTO kv_store (instance_id, key, value, last_updated_at_ms)
      SELECT instance_id, key, value, last_updated_at_ms FROM kv_delta WHERE instance_id = v_inst AND value IS NOT NULL
      ON CONFLICT (instance_id, key) DO UPDATE SET value = excluded.value, last_updated_at_ms = excluded.last_updated_at_ms;
    DELETE FROM kv_store WHERE instance_id = v_inst
      AND key IN (SELECT key FROM kv_delta WHERE instance_id = v_inst AND value IS NULL);
    DELETE FROM kv_delta WHERE instance_id = v_inst;
  END IF;

  -- An item with a token is claimed as a fetch would (first attempt, a lease of p_w_lock_ms) for
  -- the idle worker this process hands it to (docs/storage.md, "Hand-off to idle workers").
  IF v_new_work THEN
    INSERT INTO worker_queue (work_item, visible_at, instance_id, execution_id, activity_id, session_id, tag, created_at,
                              lock_token, locked_until, attempt_count)
      SELECT u.item, v_now, u.inst, u.ex, u.act, u.sess, u.tag, v_now,
             u.tok, CASE WHEN u.tok IS NOT NULL THEN v_now + p_w_lock_ms END, CASE WHEN u.tok IS NOT NULL THEN 1 ELSE 0 END
        FROM unnest(p_w_item, p_w_inst, p_w_exec, p_w_act, p_w_session, p_w_tag, p_w_token) WITH ORDINALITY
          AS u(item, inst, ex, act, sess, tag, tok, ord) ORDER BY u.ord;
  END IF;
  -- After the inserts, so an activity scheduled and cancelled in the same turn leaves nothing.
  IF COALESCE(cardinality(p_c_inst), 0) > 0 THEN
    DELETE FROM worker_queue w USING unnest(p_c_inst, p_c_exec, p_c_act) AS c(inst, ex, act)
     WHERE w.instance_id = c.inst AND w.execution_id = c.ex AND w.activity_id = c.act;
  END IF;
  IF COALESCE(cardinality(p_o_item), 0) > 0 THEN
    INSERT INTO orchestrator_queue (instance_id, work_item, visible_at, created_at)
      SELECT u.inst, u.item, COALESCE(u.vis, v_now), v_now
        FROM unnest(p_o_inst, p_o_item, p_o_visible) WITH ORDINALITY AS u(inst, item, vis, ord) ORDER BY u.ord;
  END IF;
  IF v_terminal THEN
    -- Timers of an ended execution can only be discarded as stale: delete them now.
    DELETE FROM orchestrator_queue WHERE instance_id = v_inst AND visible_at > v_now AND lock_token IS NULL
      AND (dx_try_json(work_item) #>> '{TimerFired,execution_id}')::numeric <= p_exec;
  END IF;

  DELETE FROM instance_locks WHERE instance_id = v_inst;
  v_work := COALESCE(cardinality(p_o_item), 0) > 0
    OR EXISTS (SELECT 1 FROM orchestrator_queue WHERE instance_id = v_inst AND visible_at <= v_now);
  IF dx_others_listen() THEN
    PERFORM CASE WHEN v_work THEN pg_notify(dx_channel('orch'), '') END,
            CASE WHEN v_free_work THEN pg_notify(dx_channel('work'), '') END,
            pg_notify(dx_channel('change'), v_inst);
  END IF;
  out_instance := v_inst;
  out_orch_work := v_work;
  RETURN NEXT;
END $$;
)sql";

// Worker queue: enqueue, abandon, renew and the first form of the ack; the fetch is kWorkerFetch.
inline constexpr std::string_view kStep1Worker = R"sql(
CREATE OR REPLACE FUNCTION dx_enqueue_worker(p_item text, p_inst text, p_exec bigint, p_act bigint, p_session text,
  p_tag text) RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE v_now bigint := dx_now_ms();
BEGIN
  INSERT INTO worker_queue (work_item, visible_at, instance_id, execution_id, activity_id, session_id, tag, created_at)
    VALUES (p_item, v_now, p_inst, p_exec, p_act, p_session, p_tag, v_now);
  PERFORM dx_notify('work', '');
END $$;

CREATE OR REPLACE FUNCTION dx_abandon_work(p_token text, p_delay_ms bigint, p_ignore_attempt boolean)
RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  UPDATE worker_queue SET lock_token = NULL, locked_until = NULL, visible_at = dx_now_ms() + p_delay_ms,
    attempt_count = CASE WHEN p_ignore_attempt THEN GREATEST(0, attempt_count - 1) ELSE attempt_count END
   WHERE lock_token = p_token;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'DX001', MESSAGE = 'Invalid lock token or already acked: ' || p_token;
  END IF;
  PERFORM dx_notify('work', '');
END $$;

CREATE OR REPLACE FUNCTION dx_renew_work(p_token text, p_extend_ms bigint)
RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  v_now bigint := dx_now_ms();
  v_session text;
BEGIN
  UPDATE worker_queue SET locked_until = v_now + p_extend_ms WHERE lock_token = p_token AND locked_until > v_now
    RETURNING session_id INTO v_session;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'DX001',
      MESSAGE = 'Invalid lock token, lock expired or activity cancelled: ' || p_token;
  END IF;
  IF v_session IS NOT NULL THEN
    UPDATE sessions SET last_activity_at = v_now WHERE session_id = v_session AND locked_until > v_now;
  END IF;
END $$;
)sql";

// The worker fetch: the oldest eligible row, skipping rows another fetcher holds (SKIP LOCKED) and
// session-bound rows whose session someone else claimed meanwhile; never "nothing" because one
// candidate was lost. Rows it held and let go were skipped meanwhile by other fetchers, which may
// now be asleep: out_let_go counts them, and the call wakes the other processes' fetchers itself
// (docs/storage.md, "Wake-ups"). Step 1 creates this newest form; step 3 re-created it for schemas
// made before it (a column was added, so it is dropped first), and step 4 again (its result row is
// assigned rather than selected, one statement less).
inline constexpr std::string_view kWorkerFetch = R"sql(
DROP FUNCTION IF EXISTS dx_fetch_work(text, bigint, text, bigint, integer, text[]);
-- p_mode: 0 untagged only, 1 these tags, 2 untagged or these tags, 3 any.
CREATE OR REPLACE FUNCTION dx_fetch_work(p_token text, p_lock_ms bigint, p_owner text, p_session_ms bigint,
  p_mode integer, p_tags text[])
RETURNS TABLE(out_id bigint, out_item text, out_session text, out_inst text, out_exec bigint, out_act bigint,
  out_tag text, out_attempts bigint, out_due bigint, out_let_go bigint)
-- enable_sort off: every query here has an index in the order it wants, and a sort means reading
-- every matching row first, which the planner picks when stale statistics call the match rare.
LANGUAGE plpgsql SET search_path FROM CURRENT SET enable_sort = off AS $$
DECLARE
  v_now bigint := dx_now_ms();
  v_skip bigint[] := '{}'::bigint[];
  v_row worker_queue%ROWTYPE;
  v_n bigint;
  v_attempts bigint;
  v_async text;
BEGIN
  -- As dx_fetch_orchestration: a lost claim is a lapsed lease, so it need not wait for its flush.
  -- An assignment, not PERFORM: a plain function call is evaluated without an executor start-up.
  v_async := set_config('synchronous_commit', 'off', true);
  LOOP
    -- A lapsed lease first, the longest lapsed first: only a few rows are ever lapsed, and
    -- idx_worker_locked (claimed rows by lease end) reads them in that order.
    SELECT w.* INTO v_row FROM worker_queue w
     WHERE w.lock_token IS NOT NULL AND w.locked_until <= v_now AND w.visible_at <= v_now
       AND CASE p_mode WHEN 0 THEN w.tag IS NULL WHEN 1 THEN w.tag = ANY (p_tags)
                       WHEN 2 THEN (w.tag IS NULL OR w.tag = ANY (p_tags)) ELSE true END
       AND CASE WHEN p_owner IS NULL THEN w.session_id IS NULL
                ELSE (w.session_id IS NULL OR NOT EXISTS (SELECT 1 FROM sessions s WHERE s.session_id = w.session_id
                        AND s.locked_until > v_now AND s.worker_id <> p_owner)) END
       AND w.id <> ALL (v_skip)
     ORDER BY w.locked_until LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
      -- Then the oldest free row, through an index of free rows in id order, so the scan stops at
      -- the first eligible row whatever the statistics say (docs/storage.md, "What a call costs").
      -- One statement per tag mode: a mode hidden in a CASE would hide the index's condition.
      IF p_mode = 0 THEN
        SELECT w.* INTO v_row FROM worker_queue w
         WHERE w.lock_token IS NULL AND w.tag IS NULL AND w.visible_at <= v_now
           AND CASE WHEN p_owner IS NULL THEN w.session_id IS NULL
                    ELSE (w.session_id IS NULL OR NOT EXISTS (SELECT 1 FROM sessions s WHERE s.session_id = w.session_id
                            AND s.locked_until > v_now AND s.worker_id <> p_owner)) END
           AND w.id <> ALL (v_skip)
         ORDER BY w.id LIMIT 1 FOR UPDATE SKIP LOCKED;
      ELSIF p_mode = 3 THEN
        SELECT w.* INTO v_row FROM worker_queue w
         WHERE w.lock_token IS NULL AND w.visible_at <= v_now
           AND CASE WHEN p_owner IS NULL THEN w.session_id IS NULL
                    ELSE (w.session_id IS NULL OR NOT EXISTS (SELECT 1 FROM sessions s WHERE s.session_id = w.session_id
                            AND s.locked_until > v_now AND s.worker_id <> p_owner)) END
           AND w.id <> ALL (v_skip)
         ORDER BY w.id LIMIT 1 FOR UPDATE SKIP LOCKED;
      ELSE
        SELECT w.* INTO v_row FROM worker_queue w
         WHERE w.lock_token IS NULL AND w.visible_at <= v_now
           AND (w.tag = ANY (p_tags) OR (p_mode = 2 AND w.tag IS NULL))
           AND CASE WHEN p_owner IS NULL THEN w.session_id IS NULL
                    ELSE (w.session_id IS NULL OR NOT EXISTS (SELECT 1 FROM sessions s WHERE s.session_id = w.session_id
                            AND s.locked_until > v_now AND s.worker_id <> p_owner)) END
           AND w.id <> ALL (v_skip)
         ORDER BY w.id LIMIT 1 FOR UPDATE SKIP LOCKED;
      END IF;
    END IF;
    IF NOT FOUND THEN
      IF cardinality(v_skip) > 0 THEN PERFORM dx_notify('work', ''); END IF;
      out_due := dx_work_due_in(v_now);
      out_let_go := cardinality(v_skip);
      RETURN NEXT;
      RETURN;
    END IF;
    IF v_row.session_id IS NOT NULL AND p_owner IS NOT NULL THEN
      INSERT INTO sessions AS s (session_id, worker_id, locked_until, last_activity_at)
        VALUES (v_row.session_id, p_owner, v_now + p_session_ms, v_now)
        ON CONFLICT (session_id) DO UPDATE SET worker_id = excluded.worker_id, locked_until = excluded.locked_until,
          last_activity_at = excluded.last_activity_at WHERE s.locked_until <= v_now OR s.worker_id = p_owner;
      GET DIAGNOSTICS v_n = ROW_COUNT;
      IF v_n = 0 THEN
        v_skip := v_skip || v_row.id;
        CONTINUE;
      END IF;
    END IF;
    UPDATE worker_queue SET lock_token = p_token, locked_until = v_now + p_lock_ms, attempt_count = attempt_count + 1
     WHERE id = v_row.id RETURNING attempt_count INTO v_attempts;
    IF cardinality(v_skip) > 0 THEN PERFORM dx_notify('work', ''); END IF;
    out_id := v_row.id; out_item := v_row.work_item; out_session := v_row.session_id; out_inst := v_row.instance_id;
    out_exec := v_row.execution_id; out_act := v_row.activity_id; out_tag := v_row.tag; out_attempts := v_attempts;
    out_let_go := cardinality(v_skip);
    RETURN NEXT;
    RETURN;
  END LOOP;
END $$;
)sql";

/// An activity's ack, which commits without waiting for its WAL flush. Step 2 created it; step 4
/// re-creates it (the setting is assigned, one statement less), and a new schema gets this form.
inline constexpr std::string_view kAckWork = R"sql(
CREATE OR REPLACE FUNCTION dx_ack_work(p_token text, p_inst text, p_item text)
RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  v_now bigint := dx_now_ms();
  v_session text;
  v_async text;
BEGIN
  -- Like a claim, an activity's ack need not wait for its WAL flush: if the server loses it in a
  -- crash, the activity is still queued under a lease that lapses and runs again (activities run
  -- at least once), and its completion was never seen. Whatever an orchestration turn makes of
  -- the completion is flushed with that turn's synchronous ack, which flushes all WAL before it
  -- (docs/storage.md, "Durable commits").
  -- An assignment, not PERFORM: a plain function call is evaluated without an executor start-up.
  v_async := set_config('synchronous_commit', 'off', true);
  DELETE FROM worker_queue WHERE lock_token = p_token AND locked_until > v_now RETURNING session_id INTO v_session;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'DX001',
      MESSAGE = 'Invalid lock token, lock expired or activity cancelled: ' || p_token;
  END IF;
  IF v_session IS NOT NULL THEN
    UPDATE sessions SET last_activity_at = v_now WHERE session_id = v_session AND locked_until > v_now;
  END IF;
  IF p_item IS NOT NULL THEN
    INSERT INTO orchestrator_queue (instance_id, work_item, visible_at, created_at) VALUES (p_inst, p_item, v_now, v_now);
    PERFORM dx_notify('orch', '');
  END IF;
END $$;
)sql";

/// An activity's ack that also claims the acking fetcher's next activity, in the same transaction
/// (docs/storage.md, "Hand-off to idle workers"): the worker slot that acks fetches again at once,
/// and this saves that fetch's call. It claims as a fetch without a session owner would: a lapsed
/// lease first, then the oldest free row, session-less rows only, of the fetcher's tag mode. The
/// result row has dx_fetch_work's columns; no row when nothing was claimable. Step 7.
inline constexpr std::string_view kAckWorkClaimNext = R"sql(
CREATE OR REPLACE FUNCTION dx_ack_work_claim_next(p_token text, p_inst text, p_item text,
  p_next_token text, p_lock_ms bigint, p_mode integer, p_tags text[])
RETURNS TABLE(out_id bigint, out_item text, out_session text, out_inst text, out_exec bigint, out_act bigint,
  out_tag text, out_attempts bigint, out_due bigint, out_let_go bigint)
LANGUAGE plpgsql SET search_path FROM CURRENT SET enable_sort = off AS $$
DECLARE
  v_now bigint := dx_now_ms();
  v_row worker_queue%ROWTYPE;
  v_attempts bigint;
BEGIN
  -- Commits without waiting for its flush, as dx_ack_work does (it sets that for the transaction).
  PERFORM dx_ack_work(p_token, p_inst, p_item);
  SELECT w.* INTO v_row FROM worker_queue w
   WHERE w.lock_token IS NOT NULL AND w.locked_until <= v_now AND w.visible_at <= v_now AND w.session_id IS NULL
     AND CASE p_mode WHEN 0 THEN w.tag IS NULL WHEN 1 THEN w.tag = ANY (p_tags)
                     WHEN 2 THEN (w.tag IS NULL OR w.tag = ANY (p_tags)) ELSE true END
   ORDER BY w.locked_until LIMIT 1 FOR UPDATE SKIP LOCKED;
  IF NOT FOUND THEN
    IF p_mode = 0 THEN
      SELECT w.* INTO v_row FROM worker_queue w
       WHERE w.lock_token IS NULL AND w.tag IS NULL AND w.visible_at <= v_now AND w.session_id IS NULL
       ORDER BY w.id LIMIT 1 FOR UPDATE SKIP LOCKED;
    ELSIF p_mode = 3 THEN
      SELECT w.* INTO v_row FROM worker_queue w
       WHERE w.lock_token IS NULL AND w.visible_at <= v_now AND w.session_id IS NULL
       ORDER BY w.id LIMIT 1 FOR UPDATE SKIP LOCKED;
    ELSE
      SELECT w.* INTO v_row FROM worker_queue w
       WHERE w.lock_token IS NULL AND w.visible_at <= v_now AND w.session_id IS NULL
         AND (w.tag = ANY (p_tags) OR (p_mode = 2 AND w.tag IS NULL))
       ORDER BY w.id LIMIT 1 FOR UPDATE SKIP LOCKED;
    END IF;
  END IF;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  UPDATE worker_queue SET lock_token = p_next_token, locked_until = v_now + p_lock_ms, attempt_count = attempt_count + 1
   WHERE id = v_row.id RETURNING attempt_count INTO v_attempts;
  out_id := v_row.id; out_item := v_row.work_item; out_session := NULL; out_inst := v_row.instance_id;
  out_exec := v_row.execution_id; out_act := v_row.activity_id; out_tag := v_row.tag; out_attempts := v_attempts;
  out_let_go := 0;
  RETURN NEXT;
END $$;
)sql";

}  // namespace duroxide::pg
