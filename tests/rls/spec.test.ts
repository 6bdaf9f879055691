import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSchemaproofError } from '../../src/errors/index.ts';
import { aliasWhere, defaultActorNames, isWhereRule, loadAccessSpec, parseAccessSpec, privilegeMustBeAbsent, unreviewedRelations } from '../../src/rls/index.ts';

const specFile = resolve(import.meta.dirname, '../access/access-spec.json');
const v1File = resolve(import.meta.dirname, 'fixtures/access-spec-v1.json');
const rawSpec = () => JSON.parse(readFileSync(specFile, 'utf8'));

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    if (isSchemaproofError(error) && error.detail.code === 'access_spec_invalid') return error.detail.problems;
    throw error;
  }
  throw new Error('expected access_spec_invalid');
}

describe('access spec', () => {
  it('the project spec is valid: the default actors, where rules for the data-request workflow, no relation left unreviewed', () => {
    const spec = loadAccessSpec(specFile);
    expect(spec.version).toBe(2);
    expect(spec.actors.map((actor) => actor.name)).toEqual([...defaultActorNames]);
    expect(Object.keys(spec.relations).length).toBeGreaterThanOrEqual(15);
    const update = spec.relations.privacy_data_requests!.rules.user!.update;
    expect(isWhereRule(update) && update.where).toMatch(/old\.request_status = 'pending_verification'/);
    expect(spec.relations.fec_candidate_committees?.ownerColumn).toBeNull();
    expect(unreviewedRelations(spec)).toEqual([]);
  });

  it('loads a version 1 file unchanged: the named predicates become where rules built from the relation itself', () => {
    const spec = loadAccessSpec(v1File);
    expect(spec.version).toBe(1);
    expect(spec.actors.map((actor) => actor.name)).toEqual([...defaultActorNames]);
    const requests = spec.relations.privacy_data_requests!;
    const rule = requests.rules.user!.update;
    expect(rule).toEqual({ where: aliasWhere('own_cancel_pending', requests), alias: 'own_cancel_pending' });
    expect(isWhereRule(rule) && rule.where).toContain(`old."user_id" = auth.uid()`);
    const workflow = requests.rules.admin!.update;
    expect(isWhereRule(workflow) && workflow.where).toContain(`'in_progress>legal_review'`);
    // Every other rule is what the file says.
    expect(spec.relations.analytics_sessions!.rules.anon!.insert).toBe('owner_null');
  });

  it('reports every problem of a malformed spec at once, as access_spec_invalid', () => {
    const raw = rawSpec();
    raw.relations.analytics_sessions.rules.anon.select = 'everything';
    raw.relations.privacy_consent_records.rules.user.insert = { custom: 'no_such_predicate' };
    delete raw.relations.ingestion_logs.rules.service;
    raw.relations.analytics_events.refusalSqlstates = ['oops'];
    raw.equivalentMutants = { some_mutant: 'because' };
    const problems = problemsOf(() => parseAccessSpec(raw, 'broken.json'));
    expect(problems.some((p) => p.startsWith('equivalentMutants.some_mutant'))).toBe(true);
    expect(problems.some((p) => p.startsWith('relations.analytics_sessions.rules.anon.select'))).toBe(true);
    expect(problems.some((p) => p.startsWith('relations.privacy_consent_records.rules.user.insert'))).toBe(true);
    expect(problems.some((p) => p.startsWith('relations.ingestion_logs.rules.service'))).toBe(true);
    expect(problems.some((p) => p.startsWith('relations.analytics_events.refusalSqlstates'))).toBe(true);
  });

  it('reports cross-field problems (unknown view source, own without owner column, alias on the wrong operation, old outside update)', () => {
    const raw = rawSpec();
    raw.relations.privacy_current_consents.of = 'no_such_table';
    raw.relations.fec_filings.rules.user.select = 'own';
    raw.relations.privacy_consent_records.rules.user.update = { custom: 'own_initial_status' };
    raw.relations.privacy_consent_records.rules.user.select = { where: 'old.user_id = auth.uid()' };
    raw.relations.analytics_sessions.rules.service.select = 'own';
    const problems = problemsOf(() => parseAccessSpec(raw));
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('relations.privacy_current_consents.of'),
        expect.stringContaining('relations.fec_filings.rules.user.select'),
        expect.stringContaining('relations.privacy_consent_records.rules.user.update'),
        expect.stringContaining('relations.privacy_consent_records.rules.user.select'),
        expect.stringContaining('relations.analytics_sessions.rules.service.select'),
      ]),
    );
  });

  it('declared actors replace the defaults: every relation must give rules for exactly those actors', () => {
    const raw = rawSpec();
    raw.actors = {
      visitor: { role: 'anon' },
      member: { role: 'authenticated', people: { min: 2, max: 4 } },
      manager: { role: 'authenticated', claims: { app_metadata: { role: 'manager' } } },
    };
    const problems = problemsOf(() => parseAccessSpec(raw));
    expect(problems).toEqual(
      expect.arrayContaining([expect.stringContaining('relations.analytics_sessions.rules.visitor'), expect.stringContaining('relations.analytics_sessions.rules.user: unknown actor')]),
    );

    const minimal = {
      version: 2,
      exposedSchemas: ['public'],
      actors: raw.actors,
      relations: {
        notes: {
          kind: 'table',
          ownerColumn: 'author_id',
          reviewed: false,
          hints: { columns: { body: { pattern: '^[a-z ]{1,20}$' } }, sameOwner: ['folder_id'] },
          rules: {
            visitor: { select: 'none', insert: 'none', update: 'none', delete: 'none' },
            member: { select: 'own', insert: 'own', update: 'own', delete: 'own' },
            manager: { select: { where: "auth.jwt() -> 'app_metadata' ->> 'role' = 'manager'" }, insert: 'none', update: 'none', delete: 'none' },
          },
        },
      },
    };
    const spec = parseAccessSpec(minimal);
    expect(spec.actors.map((actor) => [actor.name, actor.role, actor.subject])).toEqual([
      ['visitor', 'anon', false],
      ['member', 'authenticated', true],
      ['manager', 'authenticated', true],
    ]);
    expect(spec.relations.notes!.hints.sameOwner).toEqual(['folder_id']);
    expect(unreviewedRelations(spec)).toEqual(['notes']);
  });

  it('version 2 features in a version 1 file are refused, naming the version', () => {
    const raw = JSON.parse(readFileSync(v1File, 'utf8'));
    raw.relations.fec_filings.rules.admin.select = { where: 'true' };
    raw.relations.fec_filings.hints = { columns: {} };
    const problems = problemsOf(() => parseAccessSpec(raw));
    expect(problems.filter((problem) => problem.includes('"version": 2'))).toHaveLength(2);
  });

  it('rejects unreadable and non-JSON files with the same code', () => {
    expect(problemsOf(() => loadAccessSpec('/nonexistent/spec.json'))[0]).toMatch(/cannot be read/);
  });

  it('derives least privilege per role: no actor of a role may act, so the role must hold no privilege', () => {
    const spec = loadAccessSpec(specFile);
    const logs = spec.relations.ingestion_logs!;
    expect(privilegeMustBeAbsent(spec, logs, 'anon', 'select')).toBe(true);
    // user may not, but admin (also authenticated) may: the grant must stay
    expect(privilegeMustBeAbsent(spec, logs, 'user', 'select')).toBe(false);
    expect(privilegeMustBeAbsent(spec, spec.relations.privacy_audit_logs!, 'admin', 'update')).toBe(true);
  });
});
