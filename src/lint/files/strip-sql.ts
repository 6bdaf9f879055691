/**
 * Blank out what is not code in a SQL script — comments and single-quoted
 * string literals — keeping every newline so offsets still map to the same
 * line and column. Dollar-quoted bodies (functions, DO blocks) are kept and
 * scanned as code (each on its own): a `create policy` in a DO block is
 * still a policy in a migration, while `execute 'alter table ... enable row
 * level security'` in a string (dynamic SQL, e.g. for new partitions) is
 * not. Known limit: a dollar-quoted text constant (a comment written with
 * $$...$$) is scanned as code too. The tokens come from the one SQL lexer
 * (src/sql).
 */
import { dollarBody, tokenize } from '../../sql/index.ts';

function blank(text: string): string {
  return text.replace(/[^\n]/g, ' ');
}

export function stripSqlNoise(script: string): string {
  let out = '';
  for (const token of tokenize(script)) {
    switch (token.kind) {
      case 'line_comment':
      case 'block_comment':
      case 'string':
      case 'bom':
        out += blank(token.text);
        break;
      case 'dollar_string': {
        const tag = token.tag ?? '';
        out += tag + stripSqlNoise(dollarBody(token).text) + (token.unterminated ? '' : tag);
        break;
      }
      default:
        out += token.text;
    }
  }
  return out;
}
