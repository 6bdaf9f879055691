/**
 * The server-side probe: one plpgsql function (temporary, per connection)
 * that runs a batch of checks, each in its own subtransaction that is always
 * rolled back: optional setup as the superuser, a snapshot of the target
 * relation, then the statement as the actor (SET LOCAL ROLE + local JWT
 * claims, exactly as PostgREST does), then a second snapshot. It returns the
 * outcome (ids seen, rows affected, or the SQLSTATE) and the rows added,
 * removed or changed, so "refused" can be told apart from "half done".
 */
import { sql, type Queryable, type SQLQuery } from '@databases/pg';

export interface ProbeRequest {
  readonly kind: 'select' | 'write';
  readonly role: string;
  /** JSON text of the claims, or null for none. */
  readonly claims: string | null;
  /** SQL run as the superuser before switching role (rolled back with the probe). */
  readonly setup?: string;
  /** The statement run as the actor. For `select`: a query whose single column is the id as text. */
  readonly statement: string;
  /** For writes: a query (run as the superuser, before and after) returning jsonb {id: [md5(row), owner]}. */
  readonly snapshot?: string;
}

export interface ProbeOutcome {
  readonly ok: boolean;
  /** Phase that failed: setup errors are harness errors, act errors are the actor's outcome. */
  readonly phase?: 'setup' | 'act' | 'check';
  readonly sqlstate?: string;
  readonly message?: string;
  readonly ids?: readonly string[];
  readonly rows?: number;
  readonly added?: readonly (readonly [string, string | null])[];
  readonly removed?: readonly string[];
  readonly changed?: readonly (readonly [string, string | null, string | null])[];
  /** Server-side time spent on this probe. */
  readonly ms?: number;
}

const probeFunction = `
create or replace function pg_temp.schemaproof_probe(probes jsonb) returns jsonb
language plpgsql volatile as $probe$
declare
  p jsonb;
  results jsonb := '[]'::jsonb;
  r jsonb;
  v_before jsonb;
  v_after jsonb;
  v_ids jsonb;
  v_rows bigint;
  v_phase text;
  v_state text;
  v_message text;
  v_started timestamptz;
begin
  for p in select value from jsonb_array_elements(probes) loop
    v_started := clock_timestamp();
    r := null; v_before := null; v_after := null; v_ids := null; v_rows := null;
    begin
      v_phase := 'setup';
      if p ? 'setup' then execute p->>'setup'; end if;
      if p ? 'snapshot' then execute p->>'snapshot' into v_before; end if;
      perform set_config('request.jwt.claims', coalesce(p->>'claims', ''), true);
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
    results := results || jsonb_build_array(r || jsonb_build_object('ms', extract(epoch from clock_timestamp() - v_started) * 1000));
  end loop;
  return results;
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
    return entry;
  });
  const rows = await db.query(sql`select pg_temp.schemaproof_probe(${JSON.stringify(payload)}::jsonb) as results`);
  return rows[0]?.results as ProbeOutcome[];
}

/** jsonb {id: [md5(row), owner]} of a relation, as the superuser. */
export function snapshotQuery(relation: SQLQuery, idColumn: string, ownerColumn: string | null): SQLQuery {
  const owner = ownerColumn ? sql`t.${sql.ident(ownerColumn)}::text` : sql`null::text`;
  return sql`select coalesce(jsonb_object_agg(t.${sql.ident(idColumn)}::text, jsonb_build_array(md5(t::text), ${owner})), '{}'::jsonb) from ${relation} as t`;
}
