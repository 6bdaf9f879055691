import { describe, expect, it } from 'vitest';
import { complianceMap, duties } from '../../src/verify/index.ts';

const file = 'tests/pgtap/compliance_export_erase.sql';

describe('compliance map', () => {
  it('marks a duty proved only when every piece of its evidence ran in this run and passed', () => {
    const erasure = [
      { label: 'a', haystack: `${file} after erasure every section of the export is empty`, ok: true },
      { label: 'b', haystack: `${file} no audit row names the erased person (user_id, actor_id or details)`, ok: true },
      { label: 'c', haystack: `${file} verify_audit_chain() passes after the erasure`, ok: true },
    ];
    const access = [
      { label: 'd', haystack: `${file} the export holds every row the schema has about the user`, ok: false },
      { label: 'e', haystack: `${file} the export holds nothing about anyone else`, ok: true },
    ];
    const map = new Map(complianceMap([...erasure, ...access]).map((duty) => [duty.id, duty]));
    expect(map.get('erasure')?.status).toBe('pass');
    expect(map.get('erasure')?.evidence).toEqual(['a', 'b', 'c']);
    expect(map.get('access')?.status).toBe('fail');
    expect(map.get('access')?.evidence).toContain('FAILED d');
    expect(map.get('storage_limitation')?.status).toBe('warn');
    // one missing piece of evidence is enough to leave a duty unproved
    const partial = new Map(complianceMap(erasure.slice(0, 2)).map((duty) => [duty.id, duty]));
    expect(partial.get('erasure')?.status).toBe('warn');
    expect(complianceMap([]).every((duty) => duty.status === 'warn')).toBe(true);
    expect(duties.length).toBeGreaterThanOrEqual(10);
  });
});
