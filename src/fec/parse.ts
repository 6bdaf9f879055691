/**
 * Read one FEC bulk file as a stream, in blocks of 1 MiB, so memory stays
 * flat whatever the file's size (a whole-file read held about five times the
 * file: bytes, decoded text, the split lines and the COPY rows).
 *
 * Two passes over the file:
 * - `surveyFecFile`: checksum (the load's idempotency key), line count and
 *   encoding. No parsing; nothing is kept.
 * - `copyRows`: decode, split into lines, check the syntax of every line
 *   (column count, dates, numbers) and render it as COPY text-format rows
 *   `line_no \t field1 \t ...` (empty field = NULL) in chunks of about
 *   1 MiB, for piping into COPY inside the load's transaction. A syntax error
 *   throws input_invalid with file:line, which aborts the COPY: the
 *   transaction rolls back and a malformed file loads nothing. The checksum
 *   is taken again: a file that changed since the survey fails the same way.
 *
 * Lines end at LF or CRLF, as the FEC publishes them. A lone CR is data, not
 * a line break (which is why Node's readline, which breaks at a lone CR, is
 * not used).
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { SchemaproofError } from '../errors/index.ts';
import { checkField, fecFileKinds, fecFormats, type FecFileKind, type FieldCheck } from './formats.ts';

type Encoding = 'utf-8' | 'windows-1252';

export interface SurveyedFile {
  readonly kind: FecFileKind;
  readonly path: string;
  readonly file: string;
  readonly sha256: string;
  readonly rows: number;
  /** UTF-8 when the whole file decodes as UTF-8; older FEC files are Windows-1252. */
  readonly encoding: Encoding;
}

const blockSize = 1 << 20;

/** The file's bytes in blocks of at most 1 MiB (each a fresh buffer). */
function* blocks(path: string): Generator<Buffer> {
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const buffer = Buffer.allocUnsafe(blockSize);
      const read = readSync(fd, buffer, 0, blockSize, null);
      if (read === 0) return;
      yield read === blockSize ? buffer : buffer.subarray(0, read);
    }
  } finally {
    closeSync(fd);
  }
}

/** sha256 of a file, read in blocks. */
export function fileChecksum(path: string): string {
  const hash = createHash('sha256');
  for (const block of blocks(path)) hash.update(block);
  return hash.digest('hex');
}

class NotUtf8 extends Error {}

/**
 * The file's lines (without their LF or CRLF), a block at a time: each batch
 * is the lines completed by one block, with the number of the first. Decoded
 * as `encoding`; `hash` sees every byte. A final empty line (the file ends
 * with a newline) is not a line. Throws NotUtf8 when a UTF-8 decode meets
 * bytes that are not UTF-8.
 */
function* lineBatches(path: string, encoding: Encoding, hash: ReturnType<typeof createHash>): Generator<{ readonly first: number; readonly lines: string[] }> {
  const decoder = new TextDecoder(encoding, { fatal: encoding === 'utf-8' });
  let carry = '';
  let next = 1;
  const decode = (block?: Buffer): string => {
    try {
      return block ? decoder.decode(block, { stream: true }) : decoder.decode();
    } catch {
      throw new NotUtf8();
    }
  };
  const batch = (text: string, last: boolean) => {
    const lines = text.split('\n');
    carry = last ? '' : lines.pop()!;
    if (last && lines[lines.length - 1] === '') lines.pop();
    for (let i = 0; i < lines.length; i += 1) if (lines[i]!.endsWith('\r')) lines[i] = lines[i]!.slice(0, -1);
    const result = { first: next, lines };
    next += lines.length;
    return result;
  };
  for (const block of blocks(path)) {
    hash.update(block);
    yield batch(carry + decode(block), false);
  }
  yield batch(carry + decode(), true);
}

/** A line's trimmed fields, after checking its column count and its checked columns. */
function fieldsOf(path: string, kind: FecFileKind, lineNo: number, line: string): string[] {
  const format = fecFormats[kind];
  const fields = line.split('|');
  if (fields.length !== format.columns.length) {
    throw new SchemaproofError({
      code: 'input_invalid',
      file: path,
      line: lineNo,
      detail: `${format.description} line has ${fields.length} columns, the FEC format has ${format.columns.length}`,
    });
  }
  const trimmed = fields.map((field) => field.trim());
  for (const { index, column, check } of checksByKind[kind]) {
    const problem = checkField(check, trimmed[index] ?? '');
    if (problem) throw new SchemaproofError({ code: 'input_invalid', file: path, line: lineNo, detail: `${column}: ${problem}` });
  }
  return trimmed;
}

/** Each format's checked columns with their positions, worked out once. */
const checksByKind = Object.fromEntries(
  fecFileKinds.map((kind) => [kind, Object.entries(fecFormats[kind].checks).map(([column, check]) => ({ index: fecFormats[kind].columns.indexOf(column), column, check }))]),
) as Record<FecFileKind, { index: number; column: string; check: FieldCheck }[]>;

/** First pass: checksum, line count and encoding, in one read with no parsing. */
export function surveyFecFile(path: string, kind: FecFileKind): SurveyedFile {
  const hash = createHash('sha256');
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let encoding: Encoding = 'utf-8';
  let rows = 0;
  let last = 10;
  for (const block of blocks(path)) {
    hash.update(block);
    for (let at = block.indexOf(10); at !== -1; at = block.indexOf(10, at + 1)) rows += 1;
    last = block[block.length - 1]!;
    if (encoding === 'utf-8') {
      try {
        decoder.decode(block, { stream: true });
      } catch {
        // Older FEC files are Windows-1252; decode rather than reject.
        encoding = 'windows-1252';
      }
    }
  }
  if (encoding === 'utf-8') {
    try {
      decoder.decode();
    } catch {
      encoding = 'windows-1252';
    }
  }
  // A last line without a final newline is a line too.
  if (last !== 10) rows += 1;
  return { kind, path, file: basename(path), sha256: hash.digest('hex'), rows, encoding };
}

/** Both passes without a database: the file's syntax checked in full (throws input_invalid at the first bad line). */
export function checkFecFile(path: string, kind: FecFileKind): SurveyedFile {
  const surveyed = surveyFecFile(path, kind);
  for (const chunk of copyRows(surveyed)) void chunk;
  return surveyed;
}

function copyEscape(value: string): string {
  if (value === '') return '\\N';
  if (!/[\\\t\r\n]/.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

/**
 * Second pass: the file as COPY text-format data, in chunks of about 1 MiB,
 * every line checked first (throws input_invalid at the first bad line).
 */
export function* copyRows(checked: SurveyedFile): Generator<Buffer> {
  const hash = createHash('sha256');
  let pending: string[] = [];
  let pendingSize = 0;
  let seen = 0;
  try {
    for (const { first, lines } of lineBatches(checked.path, checked.encoding, hash)) {
      seen += lines.length;
      for (let i = 0; i < lines.length; i += 1) {
        const row = `${first + i}\t${fieldsOf(checked.path, checked.kind, first + i, lines[i]!)
          .map(copyEscape)
          .join('\t')}\n`;
        pending.push(row);
        pendingSize += row.length;
      }
      if (pendingSize > 1_000_000) {
        yield Buffer.from(pending.join(''), 'utf8');
        pending = [];
        pendingSize = 0;
      }
    }
  } catch (error) {
    if (error instanceof NotUtf8) throw changed(checked);
    throw error;
  }
  if (hash.digest('hex') !== checked.sha256 || seen !== checked.rows) throw changed(checked);
  if (pending.length > 0) yield Buffer.from(pending.join(''), 'utf8');
}

function changed(checked: SurveyedFile): SchemaproofError {
  return new SchemaproofError({ code: 'input_invalid', file: checked.path, line: 0, detail: 'the file changed while it was being loaded; nothing was loaded' });
}
