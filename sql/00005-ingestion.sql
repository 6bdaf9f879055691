-- 00005 ingestion: run log and resumable cursors for data loaders (admin-only).
--
-- Why: loaders (the FEC bulk loader, openFEC API pagers) must be resumable
-- and safe to run from more than one worker. Two guarantees are made by the
-- database rather than by convention:
--   * at most one `running` run per (source, stream): a partial unique index;
--   * a cursor advances only from the version the worker read: the
--     compare-and-set function advance_ingestion_cursor() is a single
--     UPDATE ... WHERE version = expected, so two workers can never both
--     advance it (the loser's UPDATE re-checks the WHERE against the
--     winner's committed row and matches nothing).
-- A replayed run is recognised by its idempotency_key (unique).

create type public.ingestion_type as enum ('full', 'incremental', 'backfill', 'replay');
comment on type public.ingestion_type is 'Kind of ingestion run: full (everything), incremental (since the cursor), backfill (a past range), replay (re-run of an earlier run).';

create type public.ingestion_status as enum ('running', 'succeeded', 'partial', 'failed', 'cancelled');
comment on type public.ingestion_status is 'State of an ingestion run: running, succeeded, partial (finished with some records failed or quarantined), failed, cancelled.';

create type public.ingestion_cursor_type as enum ('page', 'offset', 'keyset', 'timestamp', 'token', 'sequence');
comment on type public.ingestion_cursor_type is 'How a cursor value is interpreted: page number, row offset, keyset (last key seen, e.g. openFEC last_indexes), timestamp, opaque continuation token, or sequence number.';

-- ---------------------------------------------------------------------------
-- ingestion_logs
-- ---------------------------------------------------------------------------
create table public.ingestion_logs (
  id uuid primary key default private.uuid_v7(),
  source text not null,
  stream text not null,
  ingestion_type public.ingestion_type not null,
  status public.ingestion_status not null default 'running',
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  duration_ms bigint generated always as (
    case when finished_at is null then null
         else floor(extract(epoch from (finished_at - started_at)) * 1000)::bigint end
  ) stored,
  records_processed bigint not null default 0,
  records_inserted bigint not null default 0,
  records_updated bigint not null default 0,
  records_skipped bigint not null default 0,
  records_failed bigint not null default 0,
  error_message text,
  error_details jsonb,
  idempotency_key text,
  cursor_before text,
  cursor_after text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint ingestion_logs_idempotency_key_key unique (idempotency_key),
  constraint ingestion_logs_source_check check (source ~ '^[a-z][a-z0-9_.-]{0,63}$'),
  constraint ingestion_logs_stream_check check (stream ~ '^[a-z][a-z0-9_.-]{0,63}$'),
  constraint ingestion_logs_finished_at_check check (finished_at >= started_at),
  -- A run is open exactly while it is running.
  constraint ingestion_logs_status_finished_at_check check ((status = 'running') = (finished_at is null)),
  constraint ingestion_logs_records_processed_check check (records_processed >= 0),
  constraint ingestion_logs_records_inserted_check check (records_inserted >= 0),
  constraint ingestion_logs_records_updated_check check (records_updated >= 0),
  constraint ingestion_logs_records_skipped_check check (records_skipped >= 0),
  constraint ingestion_logs_records_failed_check check (records_failed >= 0),
  constraint ingestion_logs_error_message_check check (char_length(error_message) between 1 and 4000),
  constraint ingestion_logs_error_details_check check (
    jsonb_typeof(error_details) = 'object' and pg_column_size(error_details) <= 32768
  ),
  constraint ingestion_logs_idempotency_key_check check (char_length(idempotency_key) between 1 and 200),
  constraint ingestion_logs_cursor_before_check check (char_length(cursor_before) between 1 and 4096),
  constraint ingestion_logs_cursor_after_check check (char_length(cursor_after) between 1 and 4096)
);

comment on table public.ingestion_logs is 'One row per ingestion run of a (source, stream). At most one running run per (source, stream) (partial unique index). Admin and service only. Retention: 90 days (run_retention).';
comment on column public.ingestion_logs.id is 'Time-ordered UUID v7 primary key (private.uuid_v7()).';
comment on column public.ingestion_logs.source is 'Data source, lowercase slug, e.g. fec_bulk, openfec.';
comment on column public.ingestion_logs.stream is 'Stream within the source, lowercase slug, e.g. cn, cm, ccl, filings.';
comment on column public.ingestion_logs.ingestion_type is 'Kind of run.';
comment on column public.ingestion_logs.status is 'State of the run; running exactly while finished_at is null.';
comment on column public.ingestion_logs.started_at is 'When the run started.';
comment on column public.ingestion_logs.finished_at is 'When the run finished (null while running); >= started_at.';
comment on column public.ingestion_logs.duration_ms is 'Generated: milliseconds from started_at to finished_at; null while running.';
comment on column public.ingestion_logs.records_processed is 'Source records read (>= 0).';
comment on column public.ingestion_logs.records_inserted is 'Rows inserted (>= 0).';
comment on column public.ingestion_logs.records_updated is 'Rows updated (>= 0).';
comment on column public.ingestion_logs.records_skipped is 'Records skipped as unchanged or duplicate (>= 0).';
comment on column public.ingestion_logs.records_failed is 'Records rejected or quarantined, each with its reason in error_details (>= 0).';
comment on column public.ingestion_logs.error_message is 'Summary of the failure, if any (1-4000 chars).';
comment on column public.ingestion_logs.error_details is 'Structured failure details (JSON object, at most 32 KiB), e.g. rejected rows with reasons.';
comment on column public.ingestion_logs.idempotency_key is 'Caller-chosen key of the run; unique, so a replayed run with the same key is recognised (23505).';
comment on column public.ingestion_logs.cursor_before is 'Cursor value when the run started.';
comment on column public.ingestion_logs.cursor_after is 'Cursor value when the run finished.';
comment on column public.ingestion_logs.created_at is 'When the row was inserted.';
comment on column public.ingestion_logs.updated_at is 'When the row was last updated (trigger ingestion_logs_set_updated_at).';

comment on index public.ingestion_logs_idempotency_key_key is 'Recognises a replayed run by its idempotency key.';
create unique index ingestion_logs_source_stream_running_idx on public.ingestion_logs (source, stream) where status = 'running';
comment on index public.ingestion_logs_source_stream_running_idx is 'At most one running run per (source, stream): a second one fails with 23505.';
create index ingestion_logs_source_stream_started_at_idx on public.ingestion_logs (source, stream, started_at desc);
comment on index public.ingestion_logs_source_stream_started_at_idx is 'Run history of one stream, newest first.';
-- Led by started_at, not status: under RLS (admins) a comparison on an enum
-- cannot be an index condition (enum_eq is not leakproof), a timestamptz
-- range can. status is included so the filter needs no heap visit.
create index ingestion_logs_started_at_idx on public.ingestion_logs (started_at) include (status);
comment on index public.ingestion_logs_started_at_idx is 'Serves query 26: failed or running runs in the last 24 hours (range on started_at, status filtered from the index; works under RLS).';

create trigger ingestion_logs_set_updated_at
  before update on public.ingestion_logs
  for each row execute function private.set_updated_at();

-- ---------------------------------------------------------------------------
-- ingestion_cursors
-- ---------------------------------------------------------------------------
create table public.ingestion_cursors (
  id uuid primary key default gen_random_uuid(),
  source text not null,
  stream text not null,
  cursor_type public.ingestion_cursor_type not null,
  cursor_value text,
  cursor_metadata jsonb not null default '{}'::jsonb,
  version bigint not null default 0,
  last_run_id uuid references public.ingestion_logs (id) on delete set null,
  last_success_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint ingestion_cursors_source_stream_key unique (source, stream),
  constraint ingestion_cursors_source_check check (source ~ '^[a-z][a-z0-9_.-]{0,63}$'),
  constraint ingestion_cursors_stream_check check (stream ~ '^[a-z][a-z0-9_.-]{0,63}$'),
  constraint ingestion_cursors_cursor_value_check check (char_length(cursor_value) between 1 and 4096),
  constraint ingestion_cursors_cursor_metadata_check check (
    jsonb_typeof(cursor_metadata) = 'object' and pg_column_size(cursor_metadata) <= 32768
  ),
  constraint ingestion_cursors_version_check check (version >= 0)
);

comment on table public.ingestion_cursors is 'Resumable position of each (source, stream), advanced only by compare-and-set (advance_ingestion_cursor). Admin and service only.';
comment on column public.ingestion_cursors.id is 'Surrogate primary key (random UUID v4).';
comment on column public.ingestion_cursors.source is 'Data source, lowercase slug (as in ingestion_logs).';
comment on column public.ingestion_cursors.stream is 'Stream within the source, lowercase slug; (source, stream) is unique.';
comment on column public.ingestion_cursors.cursor_type is 'How cursor_value is interpreted.';
comment on column public.ingestion_cursors.cursor_value is 'The position itself (page, offset, last key, timestamp, token, sequence) as text; null before the first advance.';
comment on column public.ingestion_cursors.cursor_metadata is 'Extra position data as a JSON object of at most 32 KiB, e.g. the openFEC last_indexes object.';
comment on column public.ingestion_cursors.version is 'Compare-and-set version: starts at 0, +1 on every advance.';
comment on column public.ingestion_cursors.last_run_id is 'The run that last advanced the cursor; FK to ingestion_logs (set null when that log expires).';
comment on column public.ingestion_cursors.last_success_at is 'When the cursor was last advanced.';
comment on column public.ingestion_cursors.created_at is 'When the row was inserted.';
comment on column public.ingestion_cursors.updated_at is 'When the row was last updated (trigger ingestion_cursors_set_updated_at).';

comment on index public.ingestion_cursors_source_stream_key is 'One cursor per (source, stream); serves query 25 (a cursor by source and stream).';
create index ingestion_cursors_last_run_id_idx on public.ingestion_cursors (last_run_id);
comment on index public.ingestion_cursors_last_run_id_idx is 'FK index for last_run_id.';

create trigger ingestion_cursors_set_updated_at
  before update on public.ingestion_cursors
  for each row execute function private.set_updated_at();

-- ---------------------------------------------------------------------------
-- Compare-and-set advance
-- ---------------------------------------------------------------------------
create function public.advance_ingestion_cursor(
  p_source text,
  p_stream text,
  p_expected_version bigint,
  p_cursor_value text,
  p_cursor_metadata jsonb default null,
  p_run_id uuid default null
)
returns bigint
language plpgsql
security invoker
set search_path = ''
as $$
declare
  new_version bigint;
begin
  if p_source is null or p_stream is null or p_expected_version is null then
    raise exception 'advance_ingestion_cursor: source, stream and expected version are required'
      using errcode = '22004';
  end if;
  -- The whole compare-and-set is this one statement. Under READ COMMITTED a
  -- concurrent advance makes this UPDATE wait, then re-evaluate the WHERE on
  -- the committed row, whose version has moved on: zero rows, null returned.
  update public.ingestion_cursors c
     set cursor_value = p_cursor_value,
         cursor_metadata = coalesce(p_cursor_metadata, c.cursor_metadata),
         version = c.version + 1,
         last_run_id = coalesce(p_run_id, c.last_run_id),
         last_success_at = pg_catalog.now()
   where c.source = p_source
     and c.stream = p_stream
     and c.version = p_expected_version
  returning c.version into new_version;
  return new_version;
end;
$$;
comment on function public.advance_ingestion_cursor(text, text, bigint, text, jsonb, uuid) is
  'Compare-and-set advance of the cursor (p_source, p_stream): if its version equals p_expected_version, sets cursor_value, cursor_metadata (unchanged when null), last_run_id (unchanged when null), last_success_at = now() and version + 1, and returns the new version. Returns NULL, changing nothing, when the version does not match (another worker advanced first: reload and retry) or the cursor does not exist or is not visible to the caller. One UPDATE, so two workers can never both advance. SECURITY INVOKER: row-level security applies, so it works for admins (policy) and service_role (BYPASSRLS) and changes nothing for anyone else; EXECUTE granted to authenticated and service_role only. Cursors are created with a plain INSERT (unique (source, stream)).';

revoke all on function public.advance_ingestion_cursor(text, text, bigint, text, jsonb, uuid) from public, anon, authenticated, service_role;
grant execute on function public.advance_ingestion_cursor(text, text, bigint, text, jsonb, uuid) to authenticated, service_role;
