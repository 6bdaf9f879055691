/**
 * Offsets in SQL text: Postgres reports an error position as a 1-based count
 * of characters (code points) of the query it received; JavaScript strings
 * index UTF-16 code units. Lines end at LF (a CR before it belongs to the
 * line ending, not to the column); columns count characters.
 */

/** The UTF-16 offset of the `position`-th character (1-based, code points) of `text`, clamped to its length. */
export function offsetOfCharacter(text: string, position: number): number {
  let offset = 0;
  for (let character = 1; character < position && offset < text.length; character += 1) {
    const code = text.charCodeAt(offset);
    offset += code >= 0xd800 && code <= 0xdbff && offset + 1 < text.length ? 2 : 1;
  }
  return offset;
}

function characterCount(text: string): number {
  let count = 0;
  for (const _character of text) count += 1;
  return count;
}

/** 1-based line and column (in characters) of a UTF-16 `offset` in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const clamped = Math.max(0, Math.min(offset, text.length));
  const before = text.slice(0, clamped);
  const lineStart = before.lastIndexOf('\n') + 1;
  let line = 1;
  for (let index = before.indexOf('\n'); index !== -1; index = before.indexOf('\n', index + 1)) line += 1;
  return { line, column: characterCount(before.slice(lineStart)) + 1 };
}

/** The lines around `line`, numbered, with a caret under `column`; a trailing CR is not shown. */
export function excerpt(text: string, line: number, column: number, context = 2): string {
  const lines = text.split('\n').map((entry) => entry.replace(/\r$/, ''));
  const first = Math.max(1, line - context);
  const last = Math.min(lines.length, line + context);
  const width = String(last).length;
  const out: string[] = [];
  for (let number = first; number <= last; number++) {
    out.push(`${number === line ? '>' : ' '} ${String(number).padStart(width)} | ${lines[number - 1] ?? ''}`);
    if (number === line) out.push(`  ${' '.repeat(width)} | ${' '.repeat(Math.max(0, column - 1))}^`);
  }
  return out.join('\n');
}

/** A fast offset → 1-based line lookup for many offsets in one text. */
export function lineLocator(text: string): (offset: number) => number {
  const starts = [0];
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) starts.push(index + 1);
  return (offset) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((starts[middle] as number) <= offset) low = middle;
      else high = middle - 1;
    }
    return low + 1;
  };
}
