import type { LintRow, SchemaLint } from '../types.ts';
import { findUnwrappedCalls } from '../policy-expression.ts';
import { projectSchema } from '../scope.ts';

function unwrappedIn(expression: unknown, functions: readonly string[]): string[] {
  if (typeof expression !== 'string') return [];
  return [...new Set(findUnwrappedCalls(expression, functions).map((call) => `${call.name}()`))];
}

export const authFunctionNotWrapped: SchemaLint = {
  name: 'auth_function_not_wrapped',
  title: 'Policy calls auth functions once per row',
  level: 'warn',
  categories: ['performance'],
  description:
    'A policy whose USING or WITH CHECK expression calls auth.uid(), auth.jwt(), auth.role(), auth.email(), current_setting() or a zero-argument helper function of the project directly instead of through `(select ...)`.',
  rationale:
    'A direct call is evaluated for every row the query reads; `(select auth.uid())` is planned as an InitPlan and evaluated once per statement. On a table of a million rows that is the difference between milliseconds and seconds.',
  remediation: 'Wrap each call: `using (owner_id = (select auth.uid()))`, `using ((select app.is_staff()))`.',
  scope:
    'Policies on tables in every project schema. The query selects policies that mention a listed function (schemaproof.lint_policy_functions); a scanner over the deparsed expression then keeps the calls not inside a FROM-less `(SELECT ...)`.',
  source: 'catalog',
  query: `
select format('%I.%I.%I', p.schemaname, p.tablename, p.policyname) as object,
       '' as detail,
       null::text as remediation,
       p.qual,
       p.with_check
from pg_policies p
join pg_namespace n on n.nspname = p.schemaname
where ${projectSchema('n')}
  and exists (
    select 1 from unnest(string_to_array(current_setting('schemaproof.lint_policy_functions'), ',')) f
    where position(f || '(' in coalesce(p.qual, '') || ' ' || coalesce(p.with_check, '')) > 0)
order by 1`,
  refine(row: LintRow, context: { readonly policyFunctions: readonly string[] }): readonly LintRow[] {
    const inUsing = unwrappedIn(row.qual, context.policyFunctions);
    const inCheck = unwrappedIn(row.with_check, context.policyFunctions);
    if (inUsing.length === 0 && inCheck.length === 0) return [];
    const parts = [inUsing.length > 0 ? `USING calls ${inUsing.join(', ')} per row` : null, inCheck.length > 0 ? `WITH CHECK calls ${inCheck.join(', ')} per row` : null].filter(
      (part): part is string => part !== null,
    );
    const names = [...new Set([...inUsing, ...inCheck])];
    return [
      {
        object: row.object,
        detail: `${parts.join('; ')}; wrap in (select ...)`,
        remediation: `rewrite the policy with ${names.map((name) => `(select ${name})`).join(', ')} in place of the bare call${names.length > 1 ? 's' : ''}`,
      },
    ];
  },
};
