import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkField, findFecFiles, idempotencyKeyFor, kindOfFile, parseFecFile } from '../../src/fec/index.ts';

describe('FEC file formats', () => {
  it('recognises the FEC file names of any cycle', () => {
    expect(kindOfFile('cn.txt')).toBe('cn');
    expect(kindOfFile('webk20.txt')).toBe('webk');
    expect(kindOfFile('webk24.txt')).toBe('webk');
    expect(kindOfFile('itpas2.txt')).toBe('itpas2');
    expect(kindOfFile('cn_header_file.csv')).toBeNull();
  });

  it('checks dates, amounts and integers', () => {
    expect(checkField('date_mmddyyyy', '01152019')).toBeNull();
    expect(checkField('date_mmddyyyy', '02302019')).toMatch(/not a date/);
    expect(checkField('date_slash', '02/28/2019')).toBeNull();
    expect(checkField('date_slash', '2019-02-28')).toMatch(/not a date/);
    expect(checkField('amount', '-1023.1')).toBeNull();
    expect(checkField('amount', '.08')).toBeNull();
    expect(checkField('amount', '12,50')).toMatch(/not an amount/);
    expect(checkField('integer', '4021920191640423011')).toBeNull();
    expect(checkField('integer', '12a')).toMatch(/not an integer/);
    expect(checkField('integer', '')).toBeNull();
  });

  it('a line with the wrong column count is input_invalid at that line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-fec-'));
    writeFileSync(join(dir, 'ccl.txt'), 'H0AL01055|2020|2020|C00697789|H|P|1\nH0AL01055|2020|2020|C00697789|H|P\n');
    expect(() => parseFecFile(join(dir, 'ccl.txt'), 'ccl')).toThrowError(expect.objectContaining({ detail: expect.objectContaining({ code: 'input_invalid', line: 2 }) }));
  });

  it('escapes backslashes and tabs for COPY and keeps empty fields as NULL', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-fec-'));
    writeFileSync(join(dir, 'ccl.txt'), 'H0AL01055|2020|2020|C00697789|H\\x|\t|1\n');
    const parsed = parseFecFile(join(dir, 'ccl.txt'), 'ccl');
    expect(parsed.rows).toBe(1);
    expect(Buffer.concat(parsed.chunks).toString()).toBe('1\tH0AL01055\t2020\t2020\tC00697789\tH\\\\x\t\\N\t1\n');
  });

  it('the idempotency key depends on content, not order', () => {
    const a = idempotencyKeyFor([
      { kind: 'cn', sha256: 'aa' },
      { kind: 'cm', sha256: 'bb' },
    ]);
    expect(
      idempotencyKeyFor([
        { kind: 'cm', sha256: 'bb' },
        { kind: 'cn', sha256: 'aa' },
      ]),
    ).toBe(a);
    expect(
      idempotencyKeyFor([
        { kind: 'cm', sha256: 'bc' },
        { kind: 'cn', sha256: 'aa' },
      ]),
    ).not.toBe(a);
  });

  it('a directory without FEC files is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-fec-'));
    expect(() => findFecFiles(dir)).toThrowError(expect.objectContaining({ detail: expect.objectContaining({ code: 'input_invalid' }) }));
    expect(() => findFecFiles(join(dir, 'missing'))).toThrowError(expect.objectContaining({ detail: expect.objectContaining({ code: 'directory_missing' }) }));
  });
});
