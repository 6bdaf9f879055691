import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSchemaproofError } from '../../src/errors/index.ts';
import { loadAccessSpec, parseAccessSpec, privilegeMustBeAbsent } from '../../src/rls/index.ts';

const specFile = resolve(import.meta.dirname, '../access/access-spec.json');

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
  it('the project spec is valid and covers every actor and operation of every relation', () => {
    const spec = loadAccessSpec(specFile);
    expect(Object.keys(spec.relations).length).toBeGreaterThanOrEqual(15);
    expect(spec.relations.privacy_data_requests?.rules.user.update).toEqual({ custom: 'own_cancel_pending' });
    expect(spec.relations.fec_candidate_committees?.ownerColumn).toBeNull();
  });

  it('reports every problem of a malformed spec at once, as access_spec_invalid', () => {
    const raw = JSON.parse(readFileSync(specFile, 'utf8'));
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

  it('reports cross-field problems (unknown view source, own without owner column)', () => {
    const raw = JSON.parse(readFileSync(specFile, 'utf8'));
    raw.relations.privacy_current_consents.of = 'no_such_table';
    raw.relations.fec_filings.rules.user.select = 'own';
    raw.relations.privacy_consent_records.rules.user.update = { custom: 'own_initial_status' };
    const problems = problemsOf(() => parseAccessSpec(raw));
    expect(problems).toEqual(
      expect.arrayContaining([expect.stringContaining('relations.privacy_current_consents.of'), expect.stringContaining('relations.fec_filings.rules.user.select'), expect.stringContaining('relations.privacy_consent_records.rules.user.update')]),
    );
  });

  it('rejects unreadable and non-JSON files with the same code', () => {
    expect(problemsOf(() => loadAccessSpec('/nonexistent/spec.json'))[0]).toMatch(/cannot be read/);
  });

  it('derives least privilege per role: no actor of a role may act, so the role must hold no privilege', () => {
    const spec = loadAccessSpec(specFile);
    const logs = spec.relations.ingestion_logs!;
    expect(privilegeMustBeAbsent(logs, 'anon', 'select')).toBe(true);
    // user may not, but admin (also authenticated) may: the grant must stay
    expect(privilegeMustBeAbsent(logs, 'user', 'select')).toBe(false);
    expect(privilegeMustBeAbsent(spec.relations.privacy_audit_logs!, 'admin', 'update')).toBe(true);
  });
});
