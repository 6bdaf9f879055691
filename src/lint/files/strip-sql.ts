/**
 * Blank out what is not code in a SQL script — comments and single-quoted
 * string literals — keeping every newline so offsets still map to the same
 * line and column. Dollar-quoted bodies (functions, DO blocks) are kept and
 * scanned as code (each on its own): a `create policy` in a DO block is
 * still a policy in a migration, while `execute 'alter table ... enable row
 * level security'` in a string (dynamic SQL, e.g. for new partitions) is
 * not. Known limit: a dollar-quoted text constant (a comment written with
 * $$...$$) is scanned as code too.
 */

function blank(text: string): string {
  return text.replace(/[^\n]/g, ' ');
}

export function stripSqlNoise(script: string): string {
  let out = '';
  let index = 0;
  while (index < script.length) {
    const char = script[index] as string;
    const next = script[index + 1];
    if (char === '-' && next === '-') {
      const end = script.indexOf('\n', index);
      const stop = end === -1 ? script.length : end;
      out += blank(script.slice(index, stop));
      index = stop;
      continue;
    }
    if (char === '/' && next === '*') {
      // block comments nest in Postgres
      let depth = 1;
      let cursor = index + 2;
      while (cursor < script.length && depth > 0) {
        if (script[cursor] === '/' && script[cursor + 1] === '*') {
          depth += 1;
          cursor += 2;
        } else if (script[cursor] === '*' && script[cursor + 1] === '/') {
          depth -= 1;
          cursor += 2;
        } else cursor += 1;
      }
      out += blank(script.slice(index, cursor));
      index = cursor;
      continue;
    }
    if (char === "'") {
      // E'...' strings allow backslash escapes; standard strings double the quote
      const escapes = index > 0 && /[eE]/.test(script[index - 1] as string) && !/[A-Za-z0-9_]/.test(script[index - 2] ?? ' ');
      let cursor = index + 1;
      while (cursor < script.length) {
        const current = script[cursor];
        if (escapes && current === '\\') {
          cursor += 2;
          continue;
        }
        if (current === "'") {
          if (script[cursor + 1] === "'") {
            cursor += 2;
            continue;
          }
          break;
        }
        cursor += 1;
      }
      out += blank(script.slice(index, cursor + 1));
      index = cursor + 1;
      continue;
    }
    if (char === '"') {
      const end = script.indexOf('"', index + 1);
      const stop = end === -1 ? script.length : end + 1;
      out += script.slice(index, stop);
      index = stop;
      continue;
    }
    if (char === '$') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(script.slice(index));
      if (tag && !/[A-Za-z0-9_]/.test(script[index - 1] ?? ' ')) {
        // keep the delimiters, scan the body as code on its own, so a stray
        // quote inside a dollar-quoted text constant cannot swallow the rest
        const bodyStart = index + tag[0].length;
        const close = script.indexOf(tag[0], bodyStart);
        const bodyEnd = close === -1 ? script.length : close;
        out += tag[0] + stripSqlNoise(script.slice(bodyStart, bodyEnd)) + (close === -1 ? '' : tag[0]);
        index = close === -1 ? script.length : close + tag[0].length;
        continue;
      }
    }
    out += char;
    index += 1;
  }
  return out;
}

/** 1-based line and column of `offset` in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1) + 1;
  return { line, column };
}
