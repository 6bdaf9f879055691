/**
 * The draft as text. A new file is JSON with two-space indentation and each
 * actor's four rules on one line (as the worked examples are written). An
 * update inserts the new relations after the last one, and touches nothing
 * else of the file: every existing entry keeps its bytes. Offsets come from
 * jsonc-parser's syntax tree, so nothing is found by searching the text.
 */
import { findNodeAtLocation, parseTree, type Node } from 'jsonc-parser';

const inlineAt = (path: readonly string[]): boolean => path.length === 4 && path[0] === 'relations' && path[2] === 'rules';

function compact(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(compact).join(', ')}]`;
  return `{ ${Object.entries(value)
    .map(([key, entry]) => `${JSON.stringify(key)}: ${compact(entry)}`)
    .join(', ')} }`;
}

/** JSON text of `value`, starting at `indent` (the first line is not indented). */
export function renderJson(value: unknown, indent = '', path: readonly string[] = []): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (inlineAt(path)) return compact(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((entry) => entry === null || typeof entry !== 'object')) return compact(value);
    return `[\n${value.map((entry, index) => `${inner}${renderJson(entry, inner, [...path, String(index)])}`).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value).filter(([, entry]) => entry !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([key, entry]) => `${inner}${JSON.stringify(key)}: ${renderJson(entry, inner, [...path, key])}`).join(',\n')}\n${indent}}`;
}

/** The whitespace before the node's line's first character. */
function indentOf(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))![0];
}

export interface Insertion {
  readonly name: string;
  readonly value: unknown;
}

/**
 * Add relations to an existing spec's text, and set `version` to 2 when it
 * was 1 (`reviewed` needs version 2). Everything else stays byte for byte.
 * `text` must parse (the caller has loaded it with the spec loader).
 */
export function insertRelations(text: string, additions: readonly Insertion[], options: { readonly setVersion2: boolean }): string {
  const tree = parseTree(text);
  const relations = tree ? findNodeAtLocation(tree, ['relations']) : undefined;
  if (!tree || !relations || relations.type !== 'object') throw new Error('the spec has no "relations" object');
  const edits: { offset: number; length: number; content: string }[] = [];
  if (additions.length > 0) {
    const properties: Node[] = relations.children ?? [];
    const last = properties.at(-1);
    const propertyIndent = last ? indentOf(text, last.offset) : `${indentOf(text, relations.offset)}  `;
    const rendered = additions.map((addition) => `${propertyIndent}${JSON.stringify(addition.name)}: ${renderJson(addition.value, propertyIndent, ['relations', addition.name])}`).join(',\n');
    if (last) edits.push({ offset: last.offset + last.length, length: 0, content: `,\n${rendered}` });
    else {
      const closing = relations.offset + relations.length - 1;
      edits.push({ offset: relations.offset + 1, length: closing - relations.offset - 1, content: `\n${rendered}\n${indentOf(text, relations.offset)}` });
    }
  }
  const version = findNodeAtLocation(tree, ['version']);
  if (options.setVersion2 && version && version.value === 1) edits.push({ offset: version.offset, length: version.length, content: '2' });
  let result = text;
  for (const edit of edits.sort((a, b) => b.offset - a.offset)) result = result.slice(0, edit.offset) + edit.content + result.slice(edit.offset + edit.length);
  return result;
}
