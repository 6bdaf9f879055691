/**
 * The one SQL lexer against Postgres' own parser: libpg_query (the PG 15
 * grammar, compiled to WASM, a devDependency used only here) says where each
 * statement ends; our psql-style split must end every statement at the same
 * `;` — on the corpus, on this project's migrations and policies, and on
 * generated hostile scripts (fast-check; a failure prints seed and path).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { loadModule, parseSync } from 'libpg-query';
import { splitStatements, tokenize } from '../../src/sql/index.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
const corpusDir = resolve(repoRoot, 'tests/fixtures/sql-corpus');

interface ParsedStatement {
  readonly stmt_location?: number;
  readonly stmt_len?: number;
}

/** Byte offsets (UTF-8) of the `;` ending each statement, per libpg_query; null for a last statement without one. */
function parserEnds(text: string): (number | null)[] {
  const statements = (parseSync(text) as { stmts?: ParsedStatement[] }).stmts ?? [];
  const bytes = Buffer.from(text, 'utf8');
  return statements.map((statement) => {
    const end = (statement.stmt_location ?? 0) + (statement.stmt_len ?? 0);
    return statement.stmt_len && bytes[end] === 0x3b ? end : null;
  });
}

/** The same from our lexer: non-empty statements, in UTF-8 bytes. */
function lexerEnds(text: string): (number | null)[] {
  return splitStatements(tokenize(text))
    .filter((statement) => statement.tokens.some((token) => token.kind !== 'semicolon'))
    .map((statement) => (statement.terminated ? Buffer.byteLength(text.slice(0, statement.end - 1), 'utf8') : null));
}

function sqlFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.sql'))
    .map((name) => join(dir, name));
}

beforeAll(async () => {
  await loadModule();
});

describe('statement ends agree with libpg_query', () => {
  const files = [...sqlFiles(corpusDir), ...sqlFiles(resolve(repoRoot, 'sql')), ...sqlFiles(resolve(repoRoot, 'policies'))];
  it.each(files.map((file) => [file.slice(repoRoot.length + 1), file]))('%s', (_name, file) => {
    // psql and the migration runner skip a BOM; libpg_query is handed the text after it
    const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
    expect(lexerEnds(text)).toEqual(parserEnds(text));
  });

  it('the corpus holds at least 25 files', () => {
    expect(sqlFiles(corpusDir).length).toBeGreaterThanOrEqual(25);
  });
});

const tag = fc.constantFrom('', 'a', 'fn', 'A1', '_', 'ü');
const noise = fc.constantFrom(';', "'", "''", '"', '--', '/*', '*/', '$', '$$', '$a$', '\\', '\n', '\r\n', ' ', 'x', 'é', '😀', 'begin', 'end', 'commit');
const body = fc.array(noise, { maxLength: 12 }).map((parts) => parts.join(''));

/** Pieces of valid SQL that hide statement-ending or quote characters. */
const piece: fc.Arbitrary<string> = fc.oneof(
  body.map((text) => `'${text.replace(/'/g, "''")}'`),
  body.map((text) => `E'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`),
  body.map((text) => `'${text.replace(/'/g, "''").replace(/\\+$/, '')}\\'`),
  fc
    .tuple(tag, body)
    .filter(([name, text]) => `${text}$${name}$`.indexOf(`$${name}$`) === text.length)
    .map(([name, text]) => `$${name}$${text}$${name}$`),
  body.map((text) => `"${text.replace(/"/g, '""') || 'q'}"`),
  body.map((text) => `/* ${text.replace(/\/\*|\*\//g, '')} /* nested ${text.replace(/\/\*|\*\//g, '')} */ */ 1`),
  body.map((text) => `-- ${text.replace(/[\r\n]/g, '')}\n1`),
  fc.constant('2*/**/3'),
  fc.constant("U&'d\\0061t'"),
);

const statement = fc.oneof(
  fc.array(piece, { minLength: 1, maxLength: 4 }).map((pieces) => `select ${pieces.join(', ')}`),
  fc.array(piece, { minLength: 1, maxLength: 3 }).map((pieces) => `create function f() returns int language sql begin atomic select ${pieces.join(', ')}; select case when true then 1 end; end`),
  fc.array(piece, { minLength: 1, maxLength: 3 }).map((pieces) => `create rule r as on insert to t do also (select ${pieces.join(', ')}; select 1)`),
);

describe('generated hostile scripts', () => {
  it('split where the parser splits', () => {
    fc.assert(
      fc.property(fc.array(statement, { minLength: 1, maxLength: 6 }), fc.constantFrom('\n', '\r\n', ' ', ';\n'), (statements, separator) => {
        const text = statements.map((entry) => `${entry};`).join(separator);
        expect(lexerEnds(text)).toEqual(parserEnds(text));
      }),
      { numRuns: 400 },
    );
  });
});
