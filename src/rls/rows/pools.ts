/**
 * Values the server has accepted, per column, and fresh values for the
 * columns that must differ from row to row (keys, unique columns). Fresh
 * values for world rows are never handed out twice in a run; probe rows
 * (always rolled back) reuse a small reserved set that world rows never get.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Queryable } from '@databases/pg';

export type SlotKind = 'uuid' | 'counter' | 'pool';

const acceptFunction = `
create or replace function pg_temp.schemaproof_accept(rel regclass, payload jsonb) returns jsonb
language plpgsql volatile as $accept$
declare
  v_column text;
  v_values jsonb;
  v_value jsonb;
  v_checks text;
  v_text text;
  v_accepted jsonb;
  v_result jsonb := '{}'::jsonb;
begin
  for v_column, v_values in select key, value from jsonb_each(payload->'columns') loop
    v_checks := coalesce(payload->'checks'->>v_column, 'true');
    begin
      -- All candidates at once; one that does not convert fails the lot, and then each is tried alone.
      execute format('select coalesce(jsonb_agg(distinct x.v), ''[]''::jsonb) from (select (t.%I)::text as v from jsonb_array_elements($1) as c(value)'
                     ' cross join lateral jsonb_populate_record(null::%s, jsonb_build_object(%L, c.value)) as t where %s) as x where x.v is not null',
                     v_column, rel, v_column, v_checks)
        into v_accepted using v_values;
    exception when others then
      v_accepted := '[]'::jsonb;
      for v_value in select value from jsonb_array_elements(v_values) loop
        begin
          v_text := null;
          execute format('select (t.%I)::text from jsonb_populate_record(null::%s, $1) as t where %s', v_column, rel, v_checks)
            into v_text using jsonb_build_object(v_column, v_value);
          if v_text is not null and not v_accepted ? v_text then v_accepted := v_accepted || to_jsonb(v_text); end if;
        exception when others then null;
        end;
      end loop;
    end;
    v_result := v_result || jsonb_build_object(v_column, v_accepted);
  end loop;
  return v_result;
end
$accept$;`;

export async function installAccept(db: Queryable): Promise<void> {
  await db.query(sql.__dangerous__rawValue(acceptFunction));
}

/**
 * Keep the candidates the server accepts for each column of one table:
 * the value converts to the column's type (domain constraints included) and
 * passes every CHECK on that column alone. Returns each column's accepted
 * values as canonical text (what `value::text` prints), without duplicates.
 */
export async function acceptCandidates(
  db: Queryable,
  table: string,
  candidates: Readonly<Record<string, readonly unknown[]>>,
  checks: Readonly<Record<string, string>>,
): Promise<Record<string, string[]>> {
  if (Object.keys(candidates).length === 0) return {};
  // Postgres text cannot hold NUL; such candidates would only cost the slow path.
  const hasNul = (value: unknown): boolean => JSON.stringify(value).includes('\\u0000');
  candidates = Object.fromEntries(Object.entries(candidates).map(([column, values]) => [column, values.filter((value) => !hasNul(value))]));
  const rows = await db.query(sql`select pg_temp.schemaproof_accept(${table}::regclass, ${JSON.stringify({ columns: candidates, checks })}::jsonb) as accepted`);
  return rows[0]!.accepted as Record<string, string[]>;
}

const probeReserve = 8;

interface UniquePool {
  values: string[];
  next: number;
  readonly probe: string[];
}

export interface Refill {
  readonly table: string;
  readonly column: string;
  readonly candidates: () => unknown[];
  readonly check: string;
}

export class Pools {
  private readonly accepted = new Map<string, readonly string[]>();
  private readonly unique = new Map<string, UniquePool>();
  private readonly counters = new Map<string, { next: number; readonly probeBase: number }>();
  private readonly refills = new Map<string, Refill>();
  private readonly kinds = new Map<string, SlotKind>();
  /** Refills run one at a time: two at once could both accept the same value before either records it. */
  private refilling: Promise<void> = Promise.resolve();

  private static key(table: string, column: string): string {
    return `${table}.${column}`;
  }

  setAccepted(table: string, column: string, values: readonly string[]): void {
    this.accepted.set(Pools.key(table, column), values);
  }

  acceptedValues(table: string, column: string): readonly string[] {
    return this.accepted.get(Pools.key(table, column)) ?? [];
  }

  /** A value the server accepted for the column (index wraps), or null when there is none. */
  pick(table: string, column: string, index: number): string | null {
    const values = this.acceptedValues(table, column);
    return values.length === 0 ? null : values[Math.abs(index) % values.length]!;
  }

  slotKind(table: string, column: string): SlotKind | undefined {
    return this.kinds.get(Pools.key(table, column));
  }

  defineUuidSlot(table: string, column: string): void {
    this.kinds.set(Pools.key(table, column), 'uuid');
  }

  defineCounterSlot(table: string, column: string, start: number): void {
    this.kinds.set(Pools.key(table, column), 'counter');
    this.counters.set(Pools.key(table, column), { next: start, probeBase: start - 1 });
  }

  /** A pool slot: the accepted values minus a reserve for probe rows; `refill` fetches more when they run low. */
  definePoolSlot(table: string, column: string, values: readonly string[], refill: Refill): boolean {
    if (values.length <= probeReserve) return false;
    this.kinds.set(Pools.key(table, column), 'pool');
    this.unique.set(Pools.key(table, column), { values: [...values.slice(probeReserve)], next: 0, probe: values.slice(0, probeReserve) });
    this.refills.set(Pools.key(table, column), refill);
    return true;
  }

  /** A value no other world row of this run has had. */
  fresh(table: string, column: string): string {
    const key = Pools.key(table, column);
    switch (this.kinds.get(key)) {
      case 'uuid':
        return randomUUID();
      case 'counter': {
        const counter = this.counters.get(key)!;
        counter.next += 1;
        return String(counter.next);
      }
      case 'pool': {
        const pool = this.unique.get(key)!;
        if (pool.next >= pool.values.length) throw new Error(`fresh values of ${key} ran out (refill before planning)`);
        const value = pool.values[pool.next]!;
        pool.next += 1;
        return value;
      }
      default:
        throw new Error(`${key} is not a slot`);
    }
  }

  /** The `index`-th value reserved for probe rows (rolled back, so shared between probes). */
  probe(table: string, column: string, index: number): string {
    const key = Pools.key(table, column);
    switch (this.kinds.get(key)) {
      case 'uuid':
        return randomUUID();
      case 'counter':
        return String(this.counters.get(key)!.probeBase - index);
      case 'pool': {
        const pool = this.unique.get(key)!;
        return pool.probe[index % pool.probe.length]!;
      }
      default:
        throw new Error(`${key} is not a slot`);
    }
  }

  /** Top up every pool slot that has fewer than `atLeast` fresh values left. */
  refill(db: Queryable, atLeast = 64): Promise<void> {
    const run = this.refilling.then(() => this.refillNow(db, atLeast));
    this.refilling = run.catch(() => undefined);
    return run;
  }

  private async refillNow(db: Queryable, atLeast: number): Promise<void> {
    let installed = false;
    for (const [key, pool] of this.unique) {
      if (pool.values.length - pool.next >= atLeast) continue;
      if (!installed) {
        await installAccept(db);
        installed = true;
      }
      const refill = this.refills.get(key)!;
      const used = new Set([...pool.values, ...pool.probe]);
      for (let round = 0; round < 4 && pool.values.length - pool.next < atLeast; round += 1) {
        const accepted = await acceptCandidates(db, refill.table, { [refill.column]: refill.candidates() }, { [refill.column]: refill.check });
        for (const value of accepted[refill.column] ?? []) {
          if (!used.has(value)) {
            used.add(value);
            pool.values.push(value);
          }
        }
      }
    }
  }
}

/** A small seeded random source for the learner's choices. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
