/**
 * A small scanner over deparsed policy expressions (pg_get_expr output): finds
 * calls to per-call functions (auth.uid(), a project's own helper, ...) that are
 * not wrapped in an uncorrelated scalar subquery `(select f())`.
 *
 * Rule: a call is wrapped when the innermost parenthesised group around it
 * that starts with SELECT has no FROM of its own — Postgres then plans it as
 * an InitPlan and evaluates it once per statement. A call inside a subquery
 * with a FROM (EXISTS (SELECT 1 FROM t WHERE t.owner_id = auth.uid())) runs
 * once per row of that subquery, so it counts as unwrapped. Known limit: a
 * FROM-less `(select auth.uid() = owner_id)` that references an outer column
 * is correlated and still counts as wrapped.
 */

export interface UnwrappedCall {
  /** The function as written, e.g. `auth.uid`. */
  readonly name: string;
  /** Character offset in the expression. */
  readonly offset: number;
}

interface Group {
  readonly isSelect: boolean;
  hasFrom: boolean;
}

function isIdentifierChar(char: string | undefined): boolean {
  return char !== undefined && /[A-Za-z0-9_$."]/.test(char);
}

/** Find the calls of `functions` (qualified names, `auth.uid`) not wrapped in `(select ...)`. */
export function findUnwrappedCalls(expression: string, functions: readonly string[]): UnwrappedCall[] {
  const lowered = functions.map((name) => name.toLowerCase());
  const groups: Group[] = [];
  const stack: number[] = [];
  const calls: { name: string; offset: number; enclosing: number[] }[] = [];
  let index = 0;
  while (index < expression.length) {
    const char = expression[index] as string;
    if (char === "'") {
      // string literal; '' is an escaped quote
      index += 1;
      while (index < expression.length) {
        if (expression[index] === "'") {
          if (expression[index + 1] === "'") index += 2;
          else break;
        } else index += 1;
      }
      index += 1;
      continue;
    }
    if (char === '(') {
      const rest = expression.slice(index + 1);
      groups.push({ isSelect: /^\s*select\b/i.test(rest), hasFrom: false });
      stack.push(groups.length - 1);
      index += 1;
      continue;
    }
    if (char === ')') {
      stack.pop();
      index += 1;
      continue;
    }
    if (isIdentifierChar(char) && !isIdentifierChar(expression[index - 1])) {
      let end = index;
      while (end < expression.length && isIdentifierChar(expression[end])) end += 1;
      const word = expression.slice(index, end);
      const bare = word.replaceAll('"', '').toLowerCase();
      if (bare === 'from') {
        const top = stack[stack.length - 1];
        if (top !== undefined) (groups[top] as Group).hasFrom = true;
      } else if (lowered.includes(bare) && /^\s*\(/.test(expression.slice(end))) {
        calls.push({ name: bare, offset: index, enclosing: [...stack] });
      }
      index = end;
      continue;
    }
    index += 1;
  }
  return calls
    .filter((call) => {
      for (let position = call.enclosing.length - 1; position >= 0; position -= 1) {
        const group = groups[call.enclosing[position] as number] as Group;
        if (group.isSelect) return group.hasFrom;
      }
      return true;
    })
    .map(({ name, offset }) => ({ name, offset }));
}
