/**
 * A scratch clone: one long-lived clone of the template on one session, on which
 * many judgements run, each inside a transaction that is rolled back at its
 * end (DDL is transactional in Postgres, so a mutant applied inside it is
 * gone afterwards). It replaces a CREATE DATABASE and a DROP DATABASE per
 * judgement: in Postgres 15 a file-copy clone costs two checkpoints and a
 * drop one more, each writing every other session's dirty pages, and a new
 * session starts with cold catalogue caches.
 *
 * What a rollback does not undo is put back by `restart` or checked by
 * `drift`:
 * - sequence positions (nextval is not transactional): `restart` sets each
 *   back to where the template left it, so every judgement draws the same
 *   ids a fresh clone would;
 * - anything else that could survive (a rollback that did not happen, a
 *   statement that is not transactional): `drift` compares the catalogue
 *   and the row counts with those taken when the scratch clone was opened. The
 *   mutation self-test fails when they differ, rather than trusting
 *   verdicts reached on a scratch clone that was not what it claimed to be.
 */
import { sql, type ConnectionPool, type Queryable, type SQLQuery } from '@databases/pg';
import { templateHandle, type PostgresServer } from '../postgres/index.ts';
import { installProbe } from './probe.ts';
import { installAccept } from './rows/pools.ts';

export interface ScratchClone {
  /** One session (pool of one): the probe lives in its temporary schema. */
  readonly db: ConnectionPool;
  /** Run first inside each judgement's transaction: sequences back to the template's positions, and the transaction noted. */
  restart(tx: Queryable): Promise<void>;
  /**
   * Run after the mutant: it must not have ended the transaction (a COMMIT
   * or ROLLBACK in its SQL would make it, or what follows, outlive the
   * rollback). If it did, the scratch clone is marked tainted and this throws.
   */
  confirm(tx: Queryable): Promise<void>;
  /** Set when a judgement left the transaction: the scratch clone must be closed, not reused. */
  readonly tainted: boolean;
  /** What differs from when the scratch clone was opened ("object: before -> after"); empty when nothing survived a rollback. */
  drift(): Promise<string[]>;
  close(): Promise<void>;
}

interface SequenceState {
  readonly name: string;
  readonly value: string;
  readonly called: boolean;
}

/**
 * Every object a mutant or a judgement can change, as `kind name` → its
 * definition: policies, row security and grants of relations, functions
 * (body, security, settings, grants), triggers and rules, schemas' grants,
 * roles' attributes and memberships, and the row count of every table
 * outside the system schemas. Roles are shared by every database of the
 * cluster, and other work on it (another run, a test creating roles) may
 * change them at any time: only the roles this database names count (owners,
 * grantees, policy roles, roles with settings here), each with the roles it
 * is a member of. Another database's roles changing is not drift: two
 * mutation runs failed that way while a test on the same cluster created
 * and granted roles.
 */
const fingerprintQuery = sql`
  with relevant(oid) as (
    select c.relowner from pg_catalog.pg_class c
    union select p.proowner from pg_catalog.pg_proc p
    union select n.nspowner from pg_catalog.pg_namespace n
    union select a.grantee from pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
    union select a.grantee from pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a
    union select a.grantee from pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) a
    union select r from pg_catalog.pg_policy pol, unnest(pol.polroles) r
    union select s.setrole from pg_catalog.pg_db_role_setting s where s.setdatabase = (select oid from pg_catalog.pg_database where datname = current_database())
  ),
  objects(key, definition) as (
    select 'policy ' || pol.polrelid::regclass::text || ' ' || pol.polname,
           concat_ws(' | ', pol.polcmd, pol.polpermissive, pol.polroles::text, pg_catalog.pg_get_expr(pol.polqual, pol.polrelid), pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid))
      from pg_catalog.pg_policy pol
    union all
    select 'relation ' || c.oid::regclass::text, concat_ws(' | ', c.relkind, c.relrowsecurity, c.relforcerowsecurity, c.relacl::text, c.relowner::regrole::text, c.reloptions::text)
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') and n.nspname not like 'pg_temp%' and n.nspname not like 'pg_toast_temp%'
    union all
    select 'function ' || p.oid::regprocedure::text, concat_ws(' | ', md5(p.prosrc), p.prosecdef, p.proconfig::text, p.proacl::text, p.provolatile, p.proowner::regrole::text)
      from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
     where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_temp%'
    union all
    select 'trigger ' || t.tgrelid::regclass::text || ' ' || t.tgname, concat_ws(' | ', t.tgenabled, t.tgfoid::regprocedure::text)
      from pg_catalog.pg_trigger t
    union all
    select 'rule ' || r.ev_class::regclass::text || ' ' || r.rulename, concat_ws(' | ', r.ev_enabled, md5(pg_catalog.pg_get_ruledef(r.oid)))
      from pg_catalog.pg_rewrite r join pg_catalog.pg_class c on c.oid = r.ev_class join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where n.nspname not in ('pg_catalog', 'information_schema')
    union all
    select 'schema ' || n.nspname, concat_ws(' | ', n.nspacl::text, n.nspowner::regrole::text)
      from pg_catalog.pg_namespace n where n.nspname not like 'pg_temp%' and n.nspname not like 'pg_toast_temp%'
    union all
    select 'role ' || r.rolname, concat_ws(' | ', r.rolsuper, r.rolbypassrls, r.rolinherit, r.rolcanlogin, r.rolconfig::text,
           (select string_agg(m.roleid::regrole::text, ',' order by m.roleid::regrole::text) from pg_catalog.pg_auth_members m where m.member = r.oid))
      from pg_catalog.pg_roles r where r.oid in (select oid from relevant)
    union all
    select 'database setting ' || coalesce(s.setrole::regrole::text, '*'), s.setconfig::text
      from pg_catalog.pg_db_role_setting s where s.setdatabase in (0, (select oid from pg_catalog.pg_database where datname = current_database()))
       and (s.setrole = 0 or s.setrole in (select oid from relevant))
    union all
    select 'rows of ' || c.oid::regclass::text,
           (xpath('/row/n/text()', query_to_xml(format('select count(*) as n from only %s', c.oid::regclass), false, true, '')))[1]::text
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') and n.nspname not like 'pg_temp%'
  )
  select key, definition from objects order by key`;

async function fingerprint(db: Queryable): Promise<Map<string, string>> {
  const rows = (await db.query(fingerprintQuery)) as { key: string; definition: string | null }[];
  return new Map(rows.map((row) => [row.key, row.definition ?? '']));
}

function differences(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): string[] {
  const found: string[] = [];
  for (const [key, definition] of before) {
    if (!after.has(key)) found.push(`${key}: gone`);
    else if (after.get(key) !== definition) found.push(`${key}: ${definition} -> ${after.get(key)}`);
  }
  for (const key of after.keys()) if (!before.has(key)) found.push(`${key}: added`);
  return found;
}

async function sequenceStates(db: Queryable): Promise<SequenceState[]> {
  const names = (await db.query(sql`
    select c.oid::regclass::text as name from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where c.relkind = 'S' and n.nspname not like 'pg_temp%' order by 1`)) as { name: string }[];
  const states: SequenceState[] = [];
  for (const { name } of names) {
    const row = (await db.query(sql`select last_value::text as value, is_called as called from ${sql.__dangerous__rawValue(name)}`))[0] as { value: string; called: boolean };
    states.push({ name, value: row.value, called: row.called });
  }
  return states;
}

/** Open a scratch clone on a fresh clone of `template`: the probe installed and committed, the template's state recorded. */
export async function openScratchClone(server: PostgresServer, template: string): Promise<ScratchClone> {
  const clone = await templateHandle(server, template).clone('rls_scratch');
  const db = server.connect(clone.name, { poolSize: 1, idleTimeoutMilliseconds: 0 });
  try {
    await installProbe(db);
    await installAccept(db);
    const sequences = await sequenceStates(db);
    const opened = await fingerprint(db);
    const restartQuery: SQLQuery | null =
      sequences.length === 0
        ? null
        : sql`select ${sql.join(
            sequences.map((sequence) => sql`pg_catalog.setval(${sequence.name}::regclass, ${sequence.value}::bigint, ${sequence.called})`),
            sql`, `,
          )}`;
    let transaction: string | null = null;
    let tainted = false;
    const currentTransaction = async (tx: Queryable): Promise<string> => ((await tx.query(sql`select pg_catalog.pg_current_xact_id()::text as xid`))[0] as { xid: string }).xid;
    return {
      db,
      get tainted() {
        return tainted;
      },
      async restart(tx) {
        if (restartQuery) await tx.query(restartQuery);
        transaction = await currentTransaction(tx);
      },
      async confirm(tx) {
        let now: string | null = null;
        try {
          now = await currentTransaction(tx);
        } catch {
          // An aborted or missing transaction is as much a change of transaction.
        }
        if (now !== transaction) {
          tainted = true;
          throw new Error('the mutant ended the transaction it was applied in (COMMIT or ROLLBACK in its SQL): the scratch clone cannot undo it');
        }
      },
      async drift() {
        return differences(opened, await fingerprint(db));
      },
      async close() {
        await db.dispose();
        await clone.drop();
      },
    };
  } catch (error) {
    await db.dispose();
    await clone.drop();
    throw error;
  }
}
