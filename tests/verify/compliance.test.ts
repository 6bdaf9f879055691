import { describe, expect, it } from 'vitest';
import { complianceMap, duties } from '../../src/verify/index.ts';

describe('compliance map', () => {
  it('marks a duty proved only by evidence from this run, failed when that evidence failed, unproved when none', () => {
    const evidence = [
      { label: 'erase ok', haystack: 'tests/pgtap/compliance_export_erase.sql erase_user_data leaves nothing personal', ok: true },
      { label: 'export broken', haystack: 'tests/pgtap/compliance_export_erase.sql export_user_data returns the sessions', ok: false },
    ];
    const map = new Map(complianceMap(evidence).map((duty) => [duty.id, duty]));
    expect(map.get('erasure')?.status).toBe('pass');
    expect(map.get('access')?.status).toBe('fail');
    expect(map.get('storage_limitation')?.status).toBe('warn');
    expect(complianceMap([]).every((duty) => duty.status === 'warn')).toBe(true);
    expect(duties.length).toBeGreaterThanOrEqual(10);
  });
});
