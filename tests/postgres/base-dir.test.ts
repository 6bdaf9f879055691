/**
 * Run directories go to tmpfs only when it keeps 8 GiB free beyond what the
 * cluster will hold from the start (a copied bench data directory): tmpfs
 * is memory.
 */
import { statfsSync } from 'node:fs';
import { freemem, tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { defaultBaseDir } from '../../src/postgres/index.ts';

const gib = 1024 ** 3;

/** Free bytes on /dev/shm (0 when there is none). */
function tmpfsFree(): number {
  try {
    const stats = statfsSync('/dev/shm');
    return stats.bavail * stats.bsize;
  } catch {
    return 0;
  }
}

describe('defaultBaseDir', () => {
  it('leaves tmpfs for the temp dir when the expected data would not leave 8 GiB free', () => {
    expect(defaultBaseDir({}, 1024 * 1024 * gib)).toBe(tmpdir());
    const free = Math.min(tmpfsFree(), freemem());
    if (free >= 8 * gib + gib) {
      expect(defaultBaseDir({}, 0)).toBe('/dev/shm');
      expect(defaultBaseDir({}, free - 8 * gib - gib / 2)).toBe('/dev/shm');
      expect(defaultBaseDir({}, free - 8 * gib + gib)).toBe(tmpdir());
    } else {
      expect(defaultBaseDir({}, 0)).toBe(tmpdir());
    }
  });

  it('counts the memory available, not only the tmpfs size (a tmpfs may be sized beyond the memory)', () => {
    const tmpfs = tmpfsFree();
    if (tmpfs >= 8 * gib + gib) {
      expect(defaultBaseDir({}, 0, '/dev/shm', tmpfs)).toBe('/dev/shm');
      expect(defaultBaseDir({}, 0, '/dev/shm', 8 * gib - 1)).toBe(tmpdir());
      expect(defaultBaseDir({}, gib, '/dev/shm', 8 * gib + gib / 2)).toBe(tmpdir());
    }
  });

  it('SCHEMAPROOF_TMPDIR wins whatever the size', () => {
    expect(defaultBaseDir({ SCHEMAPROOF_TMPDIR: '/somewhere' }, 1024 * gib)).toBe('/somewhere');
  });
});
