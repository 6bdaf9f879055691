import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkFecFile, checkField, copyRows, findFecFiles, idempotencyKeyFor, kindOfFile } from '../../src/fec/index.ts';

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
    expect(() => checkFecFile(join(dir, 'ccl.txt'), 'ccl')).toThrowError(expect.objectContaining({ detail: expect.objectContaining({ code: 'input_invalid', line: 2 }) }));
  });

  it('escapes backslashes and tabs for COPY and keeps empty fields as NULL', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-fec-'));
    writeFileSync(join(dir, 'ccl.txt'), 'H0AL01055|2020|2020|C00697789|H\\x|\t|1\n');
    const checked = checkFecFile(join(dir, 'ccl.txt'), 'ccl');
    expect(checked.rows).toBe(1);
    expect(Buffer.concat([...copyRows(checked)]).toString()).toBe('1\tH0AL01055\t2020\t2020\tC00697789\tH\\\\x\t\\N\t1\n');
  });

  // A reference the streaming reader must agree with: the whole file decoded at once,
  // split at LF or CRLF, every field trimmed and escaped for COPY.
  function reference(bytes: Buffer, encoding: string): string {
    const lines = new TextDecoder(encoding).decode(bytes).split(/\r?\n/);
    if (lines[lines.length - 1] === '') lines.pop();
    const esc = (v: string) => (v === '' ? '\\N' : v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\r/g, '\\r').replace(/\n/g, '\\n'));
    return lines
      .map(
        (line, i) =>
          `${i + 1}\t${line
            .split('|')
            .map((f) => esc(f.trim()))
            .join('\t')}\n`,
      )
      .join('');
  }

  it('streams a file of several blocks: lines, CRLF and multi-byte characters cut at block edges, a lone CR kept as data', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-fec-'));
    const lines: string[] = [];
    // ~3.5 MiB: block edges (every 1 MiB) fall inside lines and inside the 2- and 3-byte characters.
    for (let i = 0, size = 0; size < 3_600_000; i += 1, size += lines[lines.length - 1]!.length) {
      const name = i % 11 === 0 ? `a\rb ${i}` : `Zoë Ñúñez €€€ ${i}`;
      lines.push(`H0AL${String(i).padStart(5, '0')}|2020|2020|C${String(i).padStart(8, '0')}|${name}|P|${i}${i % 3 === 0 ? '\r\n' : '\n'}`);
    }
    const bytes = Buffer.from(lines.join(''), 'utf8');
    // The reader's blocks are 1 MiB: the data must cut a character there, or the test proves nothing about decoding across blocks.
    const edges = [1, 2, 3].map((k) => k * (1 << 20));
    expect(edges.some((edge) => ((bytes[edge] ?? 0) & 0xc0) === 0x80)).toBe(true);
    writeFileSync(join(dir, 'ccl.txt'), bytes);
    const checked = checkFecFile(join(dir, 'ccl.txt'), 'ccl');
    expect(checked.encoding).toBe('utf-8');
    expect(checked.rows).toBe(lines.length);
    const chunks = [...copyRows(checked)];
    expect(chunks.length).toBeGreaterThan(1);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(reference(bytes, 'utf-8'));
  });

  it('a file that is not UTF-8 past its first block is read as Windows-1252 throughout; no final newline keeps the last line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-fec-'));
    const head = Buffer.from(Array.from({ length: 40_000 }, (_, i) => `H0AL0${i}|2020|2020|C00697789|H|P|${i}\n`).join(''), 'latin1');
    const tail = Buffer.from('H0AL01055|2020|2020|C00697789|Caf\xe9|P|9', 'latin1');
    const bytes = Buffer.concat([head, tail]);
    expect(bytes.length).toBeGreaterThan(1 << 20);
    writeFileSync(join(dir, 'ccl.txt'), bytes);
    const checked = checkFecFile(join(dir, 'ccl.txt'), 'ccl');
    expect(checked.encoding).toBe('windows-1252');
    expect(checked.rows).toBe(40_001);
    const text = Buffer.concat([...copyRows(checked)]).toString('utf8');
    expect(text).toBe(reference(bytes, 'windows-1252'));
    expect(text.endsWith('40001\tH0AL01055\t2020\t2020\tC00697789\tCafé\tP\t9\n')).toBe(true);
  });

  it('a bad line deep in a large file is reported at its line number', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-fec-'));
    const lines = Array.from({ length: 60_000 }, (_, i) => `H0AL01055|2020|2020|C00697789|H|P|${i}\n`);
    lines[51_234] = 'H0AL01055|20x0|2020|C00697789|H|P|1\n';
    writeFileSync(join(dir, 'ccl.txt'), lines.join(''));
    expect(() => checkFecFile(join(dir, 'ccl.txt'), 'ccl')).toThrowError(expect.objectContaining({ detail: expect.objectContaining({ code: 'input_invalid', line: 51_235 }) }));
  });

  it('a file that changes between the check and the copy fails the copy', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-fec-'));
    writeFileSync(join(dir, 'ccl.txt'), 'H0AL01055|2020|2020|C00697789|H|P|1\n');
    const checked = checkFecFile(join(dir, 'ccl.txt'), 'ccl');
    writeFileSync(join(dir, 'ccl.txt'), 'H0AL01055|2020|2020|C00697789|H|P|2\n');
    expect(() => [...copyRows(checked)]).toThrowError(expect.objectContaining({ detail: expect.objectContaining({ code: 'input_invalid', detail: expect.stringMatching(/changed/) }) }));
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
