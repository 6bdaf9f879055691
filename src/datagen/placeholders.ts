/**
 * `{...}` placeholders in a recipe's SQL and text templates. A placeholder is
 * exactly `{name}`, `{alias.column}` or `{name:argument}`; any other brace is
 * SQL (JSON and array literals pass through untouched). `{{` is a literal `{`
 * for the rare literal that would otherwise read as a placeholder ('{{a}').
 */

export type Placeholder =
  /** The row's index: 0..rows-1 (dense over all rows of a fan-out step). */
  | { readonly kind: 'i' }
  /** The row's index within its parent (fan-out steps). */
  | { readonly kind: 'k' }
  | { readonly kind: 'seed' }
  /** The time the generated history ends at (a timestamptz expression). */
  | { readonly kind: 'anchor' }
  /** Rows of this step (no argument) or of the named step, at the run's scale. */
  | { readonly kind: 'rows'; readonly step: string | null }
  | { readonly kind: 'param'; readonly name: string }
  /** A uniform draw in [0, 1): per value (no label) or shared by label within the step. */
  | { readonly kind: 'u'; readonly label: string | null }
  /** Another value (let or column) of the same row. */
  | { readonly kind: 'value'; readonly name: string }
  /** A column of the parent picked under `alias` (`idx`: its index in the parent's pick list). */
  | { readonly kind: 'parent'; readonly alias: string; readonly column: string };

export type Token = { readonly text: string } | { readonly placeholder: Placeholder; readonly source: string };

const pattern = /\{\{|\{([A-Za-z_][A-Za-z0-9_$]*)(?:\.([A-Za-z_][A-Za-z0-9_$]*))?(?::([A-Za-z0-9_.$-]+))?\}/g;

const reserved = new Set(['i', 'k', 'seed', 'anchor', 'rows', 'param', 'u']);

export function isReservedName(name: string): boolean {
  return reserved.has(name);
}

/** Split a template into literal text and placeholders; problems name the offending placeholder. */
export function tokenize(text: string): { tokens: Token[]; problems: string[] } {
  const tokens: Token[] = [];
  const problems: string[] = [];
  let last = 0;
  let literal = '';
  for (const match of text.matchAll(pattern)) {
    literal += text.slice(last, match.index);
    last = (match.index ?? 0) + match[0].length;
    if (match[0] === '{{') {
      literal += '{';
      continue;
    }
    const [source, name = '', column, argument] = match;
    let placeholder: Placeholder | null = null;
    if (column !== undefined) {
      if (argument !== undefined) problems.push(`${source}: a parent column takes no argument`);
      else placeholder = { kind: 'parent', alias: name, column };
    } else if (name === 'rows') {
      placeholder = { kind: 'rows', step: argument ?? null };
    } else if (name === 'param') {
      if (argument === undefined) problems.push(`${source}: name the parameter, e.g. {param:streams}`);
      else placeholder = { kind: 'param', name: argument };
    } else if (name === 'u') {
      placeholder = { kind: 'u', label: argument ?? null };
    } else if (argument !== undefined) {
      problems.push(`${source}: only {rows:…}, {param:…} and {u:…} take an argument`);
    } else if (name === 'i' || name === 'k' || name === 'seed' || name === 'anchor') {
      placeholder = { kind: name };
    } else {
      placeholder = { kind: 'value', name };
    }
    if (placeholder) {
      if (literal) tokens.push({ text: literal });
      literal = '';
      tokens.push({ placeholder, source });
    }
  }
  literal += text.slice(last);
  if (literal) tokens.push({ text: literal });
  return { tokens, problems };
}

export function placeholdersOf(text: string): Placeholder[] {
  return tokenize(text).tokens.flatMap((token) => ('placeholder' in token ? [token.placeholder] : []));
}
