-- 00010 the same format checks, without bounded regex quantifiers
--
-- Why: PostgreSQL's regex engine expands a bounded quantifier such as
-- {1,128} into that many automaton states, and every row pays for it. The
-- session key check '^[A-Za-z0-9_.:-]{1,128}$' cost about 10 us per row
-- (200,000 session keys: 2,080 ms), the fingerprint check '{64}' 8 us; both
-- run on every insert into analytics_sessions, and the session key check on
-- every insert into analytics_events and analytics_page_views, the two
-- highest-volume tables. An unbounded class plus a length test accepts
-- exactly the same strings ('+' = at least one; char_length counts
-- characters as the regex does) at about 0.5 us per row (107 ms for the same
-- keys). Measured with count(*) over 200,000 generated sessions; the
-- constraint names stay the same, so error messages and the pgTAP
-- boundary tests (length limits, empty and invalid keys) are unchanged.
--
-- Each check is replaced NOT VALID, then validated: validation scans the
-- table but does not block reads and writes in the way an immediate check
-- would when this migration runs on its own. Here every migration runs in
-- one transaction, so the lock taken by the replacement is held to the end
-- of the run; at 1,000,000 events validation takes about a second.
alter table public.analytics_sessions
  drop constraint analytics_sessions_session_id_check,
  add constraint analytics_sessions_session_id_check
    check (session_id ~ '^[A-Za-z0-9_.:-]+$' and char_length(session_id) <= 128) not valid,
  drop constraint analytics_sessions_device_fingerprint_hash_check,
  add constraint analytics_sessions_device_fingerprint_hash_check
    check (device_fingerprint_hash ~ '^[0-9a-f]+$' and char_length(device_fingerprint_hash) = 64) not valid;
alter table public.analytics_sessions validate constraint analytics_sessions_session_id_check;
alter table public.analytics_sessions validate constraint analytics_sessions_device_fingerprint_hash_check;

alter table public.analytics_events
  drop constraint analytics_events_session_id_check,
  add constraint analytics_events_session_id_check
    check (session_id ~ '^[A-Za-z0-9_.:-]+$' and char_length(session_id) <= 128) not valid,
  drop constraint analytics_events_event_type_check,
  add constraint analytics_events_event_type_check
    check (event_type ~ '^[a-z][a-z0-9_]*$' and char_length(event_type) <= 64) not valid;
alter table public.analytics_events validate constraint analytics_events_session_id_check;
alter table public.analytics_events validate constraint analytics_events_event_type_check;

alter table public.analytics_page_views
  drop constraint analytics_page_views_session_id_check,
  add constraint analytics_page_views_session_id_check
    check (session_id ~ '^[A-Za-z0-9_.:-]+$' and char_length(session_id) <= 128) not valid;
alter table public.analytics_page_views validate constraint analytics_page_views_session_id_check;

alter table public.privacy_consent_records
  drop constraint privacy_consent_records_anonymous_id_check,
  add constraint privacy_consent_records_anonymous_id_check
    check (anonymous_id ~ '^[A-Za-z0-9:_.-]+$' and char_length(anonymous_id) <= 128) not valid;
alter table public.privacy_consent_records validate constraint privacy_consent_records_anonymous_id_check;

alter table public.privacy_audit_logs
  drop constraint privacy_audit_logs_event_type_check,
  add constraint privacy_audit_logs_event_type_check
    check (event_type ~ '^[a-z][a-z0-9_]*$' and char_length(event_type) <= 64) not valid,
  drop constraint privacy_audit_logs_target_table_check,
  add constraint privacy_audit_logs_target_table_check
    check (target_table ~ '^[a-z_][a-z0-9_.]*$' and char_length(target_table) <= 127) not valid;
alter table public.privacy_audit_logs validate constraint privacy_audit_logs_event_type_check;
alter table public.privacy_audit_logs validate constraint privacy_audit_logs_target_table_check;

alter table public.ingestion_logs
  drop constraint ingestion_logs_source_check,
  add constraint ingestion_logs_source_check
    check (source ~ '^[a-z][a-z0-9_.-]*$' and char_length(source) <= 64) not valid,
  drop constraint ingestion_logs_stream_check,
  add constraint ingestion_logs_stream_check
    check (stream ~ '^[a-z][a-z0-9_.-]*$' and char_length(stream) <= 64) not valid;
alter table public.ingestion_logs validate constraint ingestion_logs_source_check;
alter table public.ingestion_logs validate constraint ingestion_logs_stream_check;

alter table public.ingestion_cursors
  drop constraint ingestion_cursors_source_check,
  add constraint ingestion_cursors_source_check
    check (source ~ '^[a-z][a-z0-9_.-]*$' and char_length(source) <= 64) not valid,
  drop constraint ingestion_cursors_stream_check,
  add constraint ingestion_cursors_stream_check
    check (stream ~ '^[a-z][a-z0-9_.-]*$' and char_length(stream) <= 64) not valid;
alter table public.ingestion_cursors validate constraint ingestion_cursors_source_check;
alter table public.ingestion_cursors validate constraint ingestion_cursors_stream_check;
