/**
 * `schemaproof init`: a draft access spec for a migrated project, written
 * from what the database is and does now — every relation the API roles can
 * reach (discover.ts), the owner column guessed, and the rules observed by
 * probing as each actor (observe.ts, through the RLS engine). Every drafted
 * relation is `"reviewed": false`: `rls` and `verify` warn and count them
 * until a person has checked the rules against what the product should do.
 *
 * `--update` (an existing spec): the relations the spec lacks are drafted
 * and added; every existing entry keeps its bytes; relations the database
 * no longer has are reported and kept (the spec loader then refuses the file
 * until a person removes them: nothing disappears silently).
 */
import { existsSync } from 'node:fs';
import { sql } from '@databases/pg';
import { parseTree } from 'jsonc-parser';
import { SchemaproofError } from '../errors/index.ts';
import { templateHandle, type PostgresServer } from '../postgres/index.ts';
import { operations, parseAccessSpec, type AccessSpec, type Operation } from '../rls/index.ts';
import { discover, type DiscoveredFunction, type DiscoveredRelation } from './discover.ts';
import { observeRules, type ObservedRelation, type RawRelation } from './observe.ts';
import { insertRelations, renderJson } from './text.ts';

export { classVerdicts, ruleFor, updateRuleFor, refusalSqlstates, type ClassVerdict, type DraftedRule } from './rules.ts';
export { renderJson, insertRelations } from './text.ts';
export { guessOwner, type OwnerGuess, type DiscoveredRelation, type DiscoveredFunction } from './discover.ts';

export interface ExistingSpec {
  readonly file: string;
  readonly text: string;
}

export interface InitOptions {
  readonly server: PostgresServer;
  /** The migrated template (as `rls` uses it). */
  readonly template: string;
  /** `--update`: the spec to add to. */
  readonly existing?: ExistingSpec;
  /** Exposed schemas of a new spec (default `["public"]`); an update keeps the spec's own. */
  readonly exposedSchemas?: readonly string[];
  /** Worlds per property per round of probing. */
  readonly runs: number;
  readonly seed: number;
}

export interface DraftedRelationSummary {
  readonly name: string;
  readonly schema: string;
  readonly kind: 'table' | 'view';
  readonly ownerColumn: string | null;
  readonly primaryKey: readonly string[];
  readonly partitions: readonly string[];
  /** Per actor: the four rules as text (`select own, insert own, ...`). */
  readonly rules: Readonly<Record<string, Readonly<Record<Operation, string>>>>;
  /** Some rule is a placeholder or was not observed: read the note. */
  readonly needsAttention: boolean;
}

export interface InitResult {
  /** The spec file's new text. */
  readonly text: string;
  readonly added: readonly DraftedRelationSummary[];
  /** Relations already in the spec (left as they were). */
  readonly kept: readonly string[];
  /** Relations in the spec the database no longer has (kept; `rls` refuses the spec until they are removed). */
  readonly disappeared: readonly string[];
  /** SECURITY DEFINER functions the API roles may execute that the spec does not list (coverage fails until each gets a reason). */
  readonly unlistedDefinerFunctions: readonly DiscoveredFunction[];
  /** Reachable relations the draft could not hold, with the reason. */
  readonly skipped: readonly string[];
  readonly rounds: number;
  /** The last probing round agreed with the drafted rules. */
  readonly settled: boolean;
  readonly cases: number;
  readonly errors: readonly string[];
}

const ruleText = (rule: unknown): string => (typeof rule === 'string' ? rule : `where ${(rule as { where: string }).where}`);

function rawEntry(relation: DiscoveredRelation): RawRelation {
  const singleKey = relation.primaryKey.length === 1 ? relation.primaryKey[0]! : null;
  return {
    kind: relation.kind,
    ...(relation.schema !== 'public' ? { schema: relation.schema } : {}),
    ...(relation.kind === 'table' && singleKey && singleKey !== 'id' ? { idColumn: singleKey } : {}),
    ...(relation.kind === 'view' && relation.viewIdColumn && relation.viewIdColumn !== 'id' ? { idColumn: relation.viewIdColumn } : {}),
    ownerColumn: relation.owner?.column ?? null,
    ...(relation.of ? { of: relation.of } : {}),
    ...(relation.relkind === 'p' ? { partitioned: true } : {}),
  };
}

function noteFor(relation: DiscoveredRelation, observed: ObservedRelation): string {
  const parts: string[] = [
    'Drafted by schemaproof init from the rules the database enforces now (observed by probing), not from what the product should do: check each rule, then set "reviewed": true.',
  ];
  if (relation.relkind === 'p') parts.push(`Partitioned; partitions: ${relation.partitions.join(', ') || 'none yet'}.`);
  if (relation.primaryKey.length > 1) parts.push(`Primary key (${relation.primaryKey.join(', ')}).`);
  if (relation.owner)
    parts.push(
      `Owner column ${relation.owner.column}: ${relation.owner.evidence.map((evidence) => (evidence === 'foreign_key' ? 'a foreign key to auth.users' : 'a policy compares it with auth.uid()')).join(' and ')}.`,
    );
  else parts.push('No owner column found (no foreign key to auth.users, no policy comparing a uuid column with auth.uid()).');
  parts.push(...relation.notes.map((note) => `${note[0]!.toUpperCase()}${note.slice(1)}.`));
  for (const [actor, byOperation] of Object.entries(observed.rules)) {
    for (const operation of operations) {
      const note = byOperation[operation].note;
      if (note) parts.push(`${actor} ${operation}: ${note}.`);
    }
  }
  if (observed.refusalSqlstates.length > 0)
    parts.push(`Refusals with SQLSTATE ${observed.refusalSqlstates.join(', ')} were observed: if they are deliberate (a trigger's own code), list them in refusalSqlstates.`);
  if (observed.rowNotes.length > 0) parts.push(`Rows: ${observed.rowNotes.join('; ')}; a rule that could not be observed is drafted as none.`);
  return parts.join(' ');
}

async function missingRelations(server: PostgresServer, template: string, spec: AccessSpec): Promise<string[]> {
  const clone = await templateHandle(server, template).clone('init_check');
  const db = server.connect(clone.name, { poolSize: 1, idleTimeoutMilliseconds: 0 });
  try {
    const missing: string[] = [];
    for (const [name, relation] of Object.entries(spec.relations)) {
      const rows = (await db.query(sql`select to_regclass(pg_catalog.format('%I.%I', ${relation.schema}::text, ${name}::text)) is not null as present`)) as { present: boolean }[];
      if (!rows[0]?.present) missing.push(name);
    }
    return missing;
  } finally {
    await db.dispose();
    await clone.drop();
  }
}

/**
 * An existing spec is overwritten by nobody: `access_spec_exists` (exit 8)
 * unless the run merges into it (`--update`). Checked before anything starts.
 */
export function refuseOverwrite(file: string, options: { readonly update: boolean }): void {
  if (existsSync(file) && !options.update) throw new SchemaproofError({ code: 'access_spec_exists', file });
}

/** Draft the access spec (or the relations an existing one lacks) of the migrated `template`. */
export async function draftAccessSpec(options: InitOptions): Promise<InitResult> {
  const existingSpec = options.existing ? parseAccessSpec(JSON.parse(options.existing.text), options.existing.file) : null;
  const existingRaw = options.existing ? (JSON.parse(options.existing.text) as Record<string, unknown>) : null;
  const header: Record<string, unknown> = existingRaw
    ? { version: 2, exposedSchemas: existingRaw.exposedSchemas, ...(existingRaw.actors ? { actors: existingRaw.actors } : {}) }
    : { version: 2, exposedSchemas: options.exposedSchemas ?? ['public'] };
  const actors = parseAccessSpec({ ...header, relations: {} }, '(draft)').actors;
  const clone = await templateHandle(options.server, options.template).clone('init');
  const db = options.server.connect(clone.name, { poolSize: 1, idleTimeoutMilliseconds: 0 });
  let discovery;
  try {
    discovery = await discover(db, header.exposedSchemas as string[], actors);
  } finally {
    await db.dispose();
    await clone.drop();
  }
  const existingRelations = (existingRaw?.relations ?? {}) as Record<string, RawRelation>;
  const skipped = [...discovery.skipped];
  const fresh = discovery.relations.filter((relation) => {
    if (relation.name in existingRelations) return false;
    if (relation.kind === 'view' && (relation.of === null || relation.viewIdColumn === null)) {
      skipped.push(`${relation.schema}.${relation.name}: a view whose table or id column could not be told (${relation.notes.join('; ')}); add it by hand with "of" and "idColumn"`);
      return false;
    }
    return true;
  });
  const raw = Object.fromEntries(fresh.map((relation) => [relation.name, rawEntry(relation)]));
  const context: Record<string, RawRelation> = {};
  for (const relation of fresh) if (relation.of && !(relation.of in raw) && existingRelations[relation.of]) context[relation.of] = existingRelations[relation.of]!;
  const observation =
    fresh.length > 0
      ? await observeRules({ server: options.server, template: options.template, header, relations: raw, context, runs: options.runs, seed: options.seed })
      : { relations: {}, rounds: 0, settled: true, cases: 0, errors: [] };
  const entries = fresh.map((relation) => {
    const observed = observation.relations[relation.name]!;
    const rules = Object.fromEntries(
      Object.entries(observed.rules).map(([actor, byOperation]) => [actor, Object.fromEntries(operations.map((operation) => [operation, byOperation[operation].rule]))]),
    );
    return { name: relation.name, value: { ...raw[relation.name], reviewed: false, note: noteFor(relation, observed), rules } };
  });
  const listed = new Set(Object.keys((existingRaw?.securityDefinerFunctions ?? {}) as Record<string, string>));
  let text: string;
  if (options.existing) {
    text = insertRelations(options.existing.text, entries, { setVersion2: entries.length > 0 });
  } else {
    const spec = {
      version: 2,
      description: 'Drafted by schemaproof init: the rules the database enforces now. Review every relation, then set "reviewed": true.',
      exposedSchemas: header.exposedSchemas,
      relations: Object.fromEntries(entries.map((entry) => [entry.name, entry.value])),
    };
    text = `${renderJson(spec)}\n`;
  }
  // The written text must load as the spec it is (and parse as JSON where the edit was spliced in).
  if (!parseTree(text)) throw new Error('init produced text that is not JSON');
  parseAccessSpec(JSON.parse(text), options.existing?.file ?? '(draft)');
  const added: DraftedRelationSummary[] = fresh.map((relation) => {
    const observed = observation.relations[relation.name]!;
    return {
      name: relation.name,
      schema: relation.schema,
      kind: relation.kind,
      ownerColumn: relation.owner?.column ?? null,
      primaryKey: relation.primaryKey,
      partitions: relation.partitions,
      rules: Object.fromEntries(
        Object.entries(observed.rules).map(([actor, byOperation]) => [
          actor,
          Object.fromEntries(operations.map((operation) => [operation, ruleText(byOperation[operation].rule)])) as Record<Operation, string>,
        ]),
      ),
      needsAttention: Object.values(observed.rules).some((byOperation) => operations.some((operation) => byOperation[operation].note !== undefined)),
    };
  });
  return {
    text,
    added,
    kept: Object.keys(existingRelations),
    disappeared: existingSpec ? await missingRelations(options.server, options.template, existingSpec) : [],
    unlistedDefinerFunctions: discovery.definerFunctions.filter((fn) => !listed.has(fn.signature)),
    skipped,
    rounds: observation.rounds,
    settled: observation.settled,
    cases: observation.cases,
    errors: observation.errors,
  };
}
