/**
 * Read one FEC bulk file: checksum, decode, split into lines, check the
 * syntax of every line (column count, dates, numbers) and render it as
 * COPY text-format rows `line_no \t field1 \t ...` (empty field = NULL).
 * Any syntax error makes the whole file malformed: input_invalid with
 * file:line, and the caller loads nothing.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { SchemaproofError } from '../errors/index.ts';
import { checkField, fecFormats, type FecFileKind } from './formats.ts';

export interface ParsedFile {
  readonly kind: FecFileKind;
  readonly path: string;
  readonly file: string;
  readonly sha256: string;
  readonly rows: number;
  /** COPY text-format data, in chunks of about 1 MiB. */
  readonly chunks: readonly Buffer[];
}

function decode(buffer: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch {
    // Older FEC files are Windows-1252; decode rather than reject.
    return new TextDecoder('windows-1252').decode(buffer);
  }
}

function copyEscape(value: string): string {
  if (value === '') return '\\N';
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

export function fileChecksum(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export function parseFecFile(path: string, kind: FecFileKind): ParsedFile {
  const format = fecFormats[kind];
  const buffer = readFileSync(path);
  const sha256 = createHash('sha256').update(buffer).digest('hex');
  const text = decode(buffer);
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const file = basename(path);
  const checks = Object.entries(format.checks).map(([column, check]) => ({ index: format.columns.indexOf(column), column, check }));
  const chunks: Buffer[] = [];
  let pending: string[] = [];
  let pendingSize = 0;
  lines.forEach((line, offset) => {
    const lineNo = offset + 1;
    const fields = line.split('|');
    if (fields.length !== format.columns.length) {
      throw new SchemaproofError({
        code: 'input_invalid',
        file: path,
        line: lineNo,
        detail: `${format.description} line has ${fields.length} columns, the FEC format has ${format.columns.length}`,
      });
    }
    for (const { index, column, check } of checks) {
      const problem = checkField(check, (fields[index] ?? '').trim());
      if (problem) throw new SchemaproofError({ code: 'input_invalid', file: path, line: lineNo, detail: `${column}: ${problem}` });
    }
    const row = `${lineNo}\t${fields.map((field) => copyEscape(field.trim())).join('\t')}\n`;
    pending.push(row);
    pendingSize += row.length;
    if (pendingSize > 1_000_000) {
      chunks.push(Buffer.from(pending.join(''), 'utf8'));
      pending = [];
      pendingSize = 0;
    }
  });
  if (pending.length > 0) chunks.push(Buffer.from(pending.join(''), 'utf8'));
  return { kind, path, file, sha256, rows: lines.length, chunks };
}
