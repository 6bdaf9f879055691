/**
 * The server-side probe: one plpgsql function (temporary, per connection)
 * that runs a batch of checks, each in its own subtransaction that is always
 * rolled back: optional setup as the superuser, a snapshot of the target
 * relation, the oracle (for `where` rules: the rule evaluated as the
 * superuser with the actor's claims, on the row as it is or would be after
 * the statement — in a nested subtransaction, also rolled back), then the
 * statement as the actor (SET LOCAL ROLE + local JWT claims, exactly as
 * PostgREST does), then a second snapshot. It returns the outcome (ids seen,
 * rows affected, or the SQLSTATE), the oracle's verdict, and the rows added,
 * removed or changed, so "refused" can be told apart from "half done".
 */
import { sql, type Queryable, type SQLQuery } from '@databases/pg';

export interface OracleRequest {
  /** Select: a query whose single column is the id of every row the rule allows. */
  readonly select?: string;
  /** Writes: the target row before the statement, as jsonb (update, delete). */
  readonly old?: string;
  /** Writes: the statement as the superuser, returning the new row as jsonb (insert, update). */
  readonly write?: string;
  /** Writes: the rule as a boolean; $1 = the new row (or the row, for delete), $2 = the old row. */
  readonly check?: string;
}

export interface ProbeRequest {
  readonly kind: 'select' | 'write';
  readonly role: string;
  /** JSON text of the claims, or null for none. */
  readonly claims: string | null;
  /** SQL run as the superuser before switching role (rolled back with the probe). */
  readonly setup?: string;
  /** The statement run as the actor. For `select`: a query whose single column is the id as text. */
  readonly statement: string;
  /** For writes: a query (run as the superuser, before and after) returning jsonb {id: [row version, owner]}. */
  readonly snapshot?: string;
  readonly oracle?: OracleRequest;
}

export interface ProbeOutcome {
  readonly ok: boolean;
  /** Phase that failed: setup errors are harness errors, act errors are the actor's outcome. */
  readonly phase?: 'setup' | 'oracle' | 'act' | 'check';
  readonly sqlstate?: string;
  readonly message?: string;
  readonly ids?: readonly string[];
  readonly rows?: number;
  readonly added?: readonly (readonly [string, string | null])[];
  readonly removed?: readonly string[];
  readonly changed?: readonly (readonly [string, string | null, string | null])[];
  /** The oracle: may the actor do this (writes) / which rows may it see (select). */
  readonly allowed?: boolean;
  readonly allowedIds?: readonly string[];
  /** The superuser's own statement failed (the database refuses the change for everyone). */
  readonly oracleRefused?: string;
  /** Server-side time spent on this probe. */
  readonly ms?: number;
}

const probeFunction = `
create or replace function pg_temp.schemaproof_probe(probes jsonb) returns jsonb
language plpgsql volatile as $probe$
declare
  p jsonb;
  -- An array, not a jsonb value: appending to jsonb copies it every time
  -- (quadratic in the batch), a plpgsql array grows in place.
  results jsonb[] := '{}';
  r jsonb;
  v_before jsonb;
  v_after jsonb;
  v_ids jsonb;
  v_rows bigint;
  v_phase text;
  v_state text;
  v_message text;
  v_started timestamptz;
  v_snapshots jsonb := '{}'::jsonb;
  v_old jsonb;
  v_new jsonb;
  v_allowed boolean;
  v_allowed_ids jsonb;
  v_refused text;
  v_everyone jsonb := '{}'::jsonb;
begin
  for p in select value from jsonb_array_elements(probes) loop
    v_started := clock_timestamp();
    r := null; v_before := null; v_after := null; v_ids := null; v_rows := null;
    v_allowed := null; v_allowed_ids := null; v_refused := null;
    begin
      v_phase := 'setup';
      if p ? 'setup' then execute p->>'setup'; end if;
      if p ? 'snapshot' then
        -- Every probe is rolled back, so without a setup the "before" is the same for all of a batch.
        if not p ? 'setup' and v_snapshots ? (p->>'snapshot') then
          v_before := v_snapshots->(p->>'snapshot');
        else
          execute p->>'snapshot' into v_before;
          if not p ? 'setup' then v_snapshots := v_snapshots || jsonb_build_object(p->>'snapshot', v_before); end if;
        end if;
      end if;
      perform set_config('request.jwt.claims', coalesce(p->>'claims', ''), true);
      if p ? 'oracle' then
        v_phase := 'oracle';
        begin
          if p->'oracle' ? 'select' then
            execute 'select coalesce(jsonb_agg(o.id), ''[]''::jsonb) from (' || (p->'oracle'->>'select') || ') as o(id)' into v_allowed_ids;
          else
            v_old := null; v_new := null;
            if p->'oracle' ? 'old' then execute p->'oracle'->>'old' into v_old; end if;
            if p->'oracle' ? 'write' and not p->'oracle' ? 'check' and v_everyone ? (p->'oracle'->>'write') then
              -- Whether the superuser can make a change does not depend on who asks: once per batch.
              v_refused := v_everyone->(p->'oracle'->>'write')->>0;
            elsif p->'oracle' ? 'write' then
              -- The new row as the database would store it; the write is then
              -- undone, so the rule reads every other table as it was before
              -- the statement (as a policy's WITH CHECK does).
              begin
                execute p->'oracle'->>'write' into v_new;
                raise exception using errcode = 'SPNEW';
              exception
                when sqlstate 'SPNEW' then null;
                when others then
                  get stacked diagnostics v_refused = returned_sqlstate, v_message = message_text;
                  v_refused := v_refused || ': ' || v_message;
                  v_new := null;
              end;
              if not p->'oracle' ? 'check' then
                v_everyone := v_everyone || jsonb_build_object(p->'oracle'->>'write', jsonb_build_array(v_refused));
              end if;
            else
              v_new := v_old;
            end if;
            if not p->'oracle' ? 'check' then
              null;
            elsif v_new is null then
              v_allowed := false;
            else
              execute p->'oracle'->>'check' into v_allowed using v_new, v_old;
              v_allowed := coalesce(v_allowed, false);
            end if;
          end if;
          raise exception using errcode = 'SPORC';
        exception when sqlstate 'SPORC' then null;
        end;
      end if;
      v_phase := 'act';
      execute 'set local role ' || quote_ident(p->>'role');
      if p->>'kind' = 'select' then
        execute 'select coalesce(jsonb_agg(probe_ids.probe_id), ''[]''::jsonb) from (' || (p->>'statement') || ') as probe_ids(probe_id)' into v_ids;
      else
        execute p->>'statement';
        get diagnostics v_rows = row_count;
      end if;
      v_phase := 'check';
      execute 'reset role';
      perform set_config('request.jwt.claims', '', true);
      if p ? 'snapshot' then execute p->>'snapshot' into v_after; end if;
      r := jsonb_build_object('ok', true, 'ids', v_ids, 'rows', v_rows);
      if v_before is not null then
        r := r || jsonb_build_object(
          'added', (select coalesce(jsonb_agg(jsonb_build_array(a.key, a.value->>1)), '[]'::jsonb) from jsonb_each(v_after) a where not v_before ? a.key),
          'removed', (select coalesce(jsonb_agg(b.key), '[]'::jsonb) from jsonb_each(v_before) b where not v_after ? b.key),
          'changed', (select coalesce(jsonb_agg(jsonb_build_array(a.key, v_before->a.key->>1, a.value->>1)), '[]'::jsonb)
                        from jsonb_each(v_after) a where v_before ? a.key and v_before->a.key->>0 is distinct from a.value->>0));
      end if;
      raise exception using errcode = 'SPRBK';
    exception when others then
      get stacked diagnostics v_state = returned_sqlstate, v_message = message_text;
      if v_state <> 'SPRBK' then
        r := jsonb_build_object('ok', false, 'phase', v_phase, 'sqlstate', v_state, 'message', v_message);
      end if;
    end;
    if v_allowed is not null then r := r || jsonb_build_object('allowed', v_allowed); end if;
    if v_allowed_ids is not null then r := r || jsonb_build_object('allowedIds', v_allowed_ids); end if;
    if v_refused is not null then r := r || jsonb_build_object('oracleRefused', v_refused); end if;
    results := results || (r || jsonb_build_object('ms', extract(epoch from clock_timestamp() - v_started) * 1000));
  end loop;
  return to_jsonb(results);
end
$probe$;`;

/** Install the probe function on this connection (temporary: gone when the session ends). */
export async function installProbe(db: Queryable): Promise<void> {
  await db.query(sql.__dangerous__rawValue(probeFunction));
}

/** Run a batch of probes in one round trip. */
export async function runProbes(db: Queryable, probes: readonly ProbeRequest[]): Promise<ProbeOutcome[]> {
  if (probes.length === 0) return [];
  const payload = probes.map((probe) => {
    const entry: Record<string, unknown> = { kind: probe.kind, role: probe.role, claims: probe.claims, statement: probe.statement };
    if (probe.setup) entry.setup = probe.setup;
    if (probe.snapshot) entry.snapshot = probe.snapshot;
    if (probe.oracle) entry.oracle = probe.oracle;
    return entry;
  });
  const rows = await db.query(sql`select pg_temp.schemaproof_probe(${JSON.stringify(payload)}::jsonb) as results`);
  return rows[0]?.results as ProbeOutcome[];
}

/**
 * jsonb {key: [version, owner]} of a relation, as the superuser. The version
 * is where the row is stored (partition and ctid): every UPDATE writes a new
 * row version elsewhere, so a changed row is found without reading its
 * contents (reading and hashing every row was most of a probe's time).
 */
export function snapshotQuery(relation: SQLQuery, key: SQLQuery, ownerColumn: string | null): SQLQuery {
  const owner = ownerColumn ? sql`t.${sql.ident(ownerColumn)}::text` : sql`null::text`;
  return sql`select coalesce(jsonb_object_agg(${key}, jsonb_build_array(t.tableoid::text || t.ctid::text, ${owner})), '{}'::jsonb) from ${relation} as t`;
}
