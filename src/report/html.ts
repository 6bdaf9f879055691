import { allFailures, type Status, type VerificationReport } from './model.ts';

function escape(text: unknown): string {
  return String(text ?? '').replace(/[<>&"']/g, (char) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[char] ?? char);
}

function badge(status: Status): string {
  return `<span class="badge ${status}">${status}</span>`;
}

function ms(value: number | null): string {
  return value === null ? '—' : value < 10 ? value.toFixed(2) : value.toFixed(1);
}

function ratio(value: number | null): string {
  return value === null ? '—' : value.toFixed(2);
}

function table(id: string, headers: readonly string[], rows: readonly (readonly string[])[], options: { readonly caption?: string } = {}): string {
  if (rows.length === 0) return '<p class="muted">Nothing to show.</p>';
  return `<table class="sortable" id="${escape(id)}">${options.caption ? `<caption>${escape(options.caption)}</caption>` : ''}<thead><tr>${headers.map((header) => `<th scope="col">${escape(header)}</th>`).join('')}</tr></thead><tbody>${rows.map((row) => `<tr>${row.join('')}</tr>`).join('')}</tbody></table>`;
}

const td = (text: unknown, className = ''): string => `<td${className ? ` class="${className}"` : ''}>${escape(text)}</td>`;
const tdHtml = (html: string, sortKey?: string): string => `<td${sortKey !== undefined ? ` data-sort="${escape(sortKey)}"` : ''}>${html}</td>`;

function section(id: string, title: string, body: string, status?: Status): string {
  return `<section id="${id}"><h2>${escape(title)}${status ? ` ${badge(status)}` : ''}</h2>${body}</section>`;
}

const style = `
:root { --pass:#1a7f37; --fail:#cf222e; --warn:#9a6700; --skip:#6e7781; --bg:#fff; --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --head:#f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); margin: 0; }
main { max-width: 1280px; margin: 0 auto; padding: 24px; }
header.verdict { padding: 20px 24px; border-radius: 8px; color: #fff; margin-bottom: 16px; }
header.verdict.pass { background: var(--pass); } header.verdict.fail { background: var(--fail); }
header.verdict h1 { margin: 0 0 4px; font-size: 28px; }
nav { margin: 12px 0 20px; display: flex; flex-wrap: wrap; gap: 8px; }
nav a { color: var(--fg); background: var(--head); border: 1px solid var(--line); border-radius: 16px; padding: 2px 10px; text-decoration: none; }
section { margin: 28px 0; }
h2 { border-bottom: 1px solid var(--line); padding-bottom: 4px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--head); cursor: pointer; user-select: none; position: sticky; top: 0; }
th.sorted-asc::after { content: " ▲"; } th.sorted-desc::after { content: " ▼"; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
pre { background: var(--head); padding: 8px; overflow-x: auto; white-space: pre-wrap; }
.badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; color: #fff; vertical-align: middle; }
.badge.pass { background: var(--pass); } .badge.fail, .badge.error { background: var(--fail); } .badge.warn { background: var(--warn); } .badge.skipped { background: var(--skip); }
.muted { color: var(--muted); }
.failure { border-left: 4px solid var(--fail); background: #fff5f5; padding: 8px 12px; margin: 8px 0; }
.scroll { overflow-x: auto; }
.matrix td { white-space: nowrap; }
.matrix td.allowed { background: #dafbe1; } .matrix td.denied { background: #f6f8fa; } .matrix td.mismatch { background: #ffd8d3; font-weight: bold; }
details { border: 1px solid var(--line); border-radius: 6px; padding: 4px 12px; margin: 6px 0; }
summary { cursor: pointer; font-weight: 600; }
@media print { nav { display: none; } th { position: static; } body { font-size: 11px; } section { break-inside: auto; } header.verdict { -webkit-print-color-adjust: exact; print-color-adjust: exact; } }
`;

const script = `
document.querySelectorAll('table.sortable').forEach(function (tableElement) {
  tableElement.querySelectorAll('th').forEach(function (header, index) {
    header.addEventListener('click', function () {
      var body = tableElement.tBodies[0];
      var ascending = !header.classList.contains('sorted-asc');
      tableElement.querySelectorAll('th').forEach(function (other) { other.classList.remove('sorted-asc', 'sorted-desc'); });
      header.classList.add(ascending ? 'sorted-asc' : 'sorted-desc');
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var left = a.cells[index], right = b.cells[index];
        var x = left ? (left.getAttribute('data-sort') || left.textContent) : '';
        var y = right ? (right.getAttribute('data-sort') || right.textContent) : '';
        var nx = parseFloat(x), ny = parseFloat(y);
        var result = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return ascending ? result : -result;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
window.addEventListener('beforeprint', function () { document.querySelectorAll('details').forEach(function (d) { d.open = true; }); });
`;

/**
 * A matrix cell's observed outcomes ("own: allowed; other: denied/move_to_other: denied")
 * compacted for the grid: per row class ✓ (every attempt allowed or visible), ✗ (every
 * attempt refused, zero rows or hidden) or ± (mixed: e.g. own rows editable but not movable).
 * The full text stays in the cell's tooltip and in the JSON.
 */
export function compactObserved(observed: string): string {
  if (!observed.includes(':')) return observed;
  const order = ['own', 'other', 'anonymous', 'any'];
  const rank = (part: string) => {
    const index = order.indexOf(part.split(':')[0] ?? '');
    return index < 0 ? order.length : index;
  };
  return observed
    .split('; ')
    .sort((left, right) => rank(left) - rank(right))
    .map((part) => {
      const separator = part.indexOf(': ');
      if (separator < 0) return part;
      const rowClass = part.slice(0, separator);
      const outcomes = part
        .slice(separator + 2)
        .split('/')
        .map((outcome) => outcome.split(': ').pop() ?? outcome);
      const allowed = outcomes.filter((outcome) => /allowed|visible/.test(outcome)).length;
      const mark = allowed === outcomes.length ? '✓' : allowed === 0 ? '✗' : '±';
      return `${rowClass} ${mark}`;
    })
    .join(' · ');
}

function complianceHtml(report: VerificationReport): string {
  const compliance = report.compliance;
  const problems =
    compliance.problems.length > 0
      ? `<div class="failure"><strong>The map names checks that do not exist:</strong><ul>${compliance.problems.map((problem) => `<li>${escape(problem)}</li>`).join('')}</ul></div>`
      : '';
  if (compliance.duties.length === 0) return `<p>${escape(compliance.note)}</p>${problems}`;
  const proofs = (duty: VerificationReport['compliance']['duties'][number]) =>
    duty.proofs
      .map((proof) => `${proof.status === 'pass' ? '' : `${badge(proof.status)} `}<code>${escape(proof.check)}</code>${proof.detail ? ` <span class="muted">${escape(proof.detail)}</span>` : ''}`)
      .join('<br>');
  return `<p>${escape(compliance.note)}</p>${problems}${table(
    'compliance-table',
    ['duty', 'regulation', 'mechanism', 'proved by (this run)', 'status'],
    compliance.duties.map((duty) => [td(duty.duty), td(duty.regulation), td(duty.mechanism), tdHtml(proofs(duty)), tdHtml(badge(duty.status), duty.status)]),
  )}`;
}

function accessMatrixHtml(report: VerificationReport): string {
  if (report.accessMatrix.length === 0) return '<p class="muted">The RLS gate did not run.</p>';
  const actors = [...new Set(report.accessMatrix.map((entry) => entry.actor))];
  const tables = [...new Set(report.accessMatrix.map((entry) => entry.table))];
  const operations = [...new Set(report.accessMatrix.map((entry) => entry.operation))];
  const lookup = new Map(report.accessMatrix.map((entry) => [`${entry.table}|${entry.actor}|${entry.operation}`, entry]));
  const header = `<tr><th scope="col">table</th>${actors.map((actor) => `<th scope="col" colspan="${operations.length}">${escape(actor)}</th>`).join('')}</tr><tr><th></th>${actors.map(() => operations.map((operation) => `<th scope="col" title="${escape(operation)}">${escape(operation.slice(0, 1).toUpperCase())}</th>`).join('')).join('')}</tr>`;
  const rows = tables.map((tableName) => {
    const cells = actors.flatMap((actor) =>
      operations.map((operation) => {
        const entry = lookup.get(`${tableName}|${actor}|${operation}`);
        if (!entry) return '<td class="denied">·</td>';
        const shown = compactObserved(entry.observed);
        const className = entry.status !== 'pass' ? 'mismatch' : /✓|±|allowed|visible|all/.test(shown) ? 'allowed' : 'denied';
        const title = `${actor} ${operation} on ${tableName}: expected ${entry.expected}, observed ${entry.observed}`;
        return `<td class="${className}" title="${escape(title)}">${escape(entry.status !== 'pass' ? `${shown} ≠ ${entry.expected}` : shown)}</td>`;
      }),
    );
    return `<tr><th scope="row">${escape(tableName)}</th>${cells.join('')}</tr>`;
  });
  return `<p>Expected (from the access spec) vs observed (from the property tests) for every actor, table and operation: per row class (own, other, anonymous, any) ✓ every attempt allowed, ✗ every attempt refused or hidden, ± mixed (e.g. own rows editable but not movable to another owner). Hover a cell for every outcome; mismatches are red.</p><div class="scroll"><table class="matrix" id="access-matrix"><thead>${header}</thead><tbody>${rows.join('')}</tbody></table></div>`;
}

/** One self-contained HTML file: no external assets, verdict first, prints well. */
export function renderHtml(report: VerificationReport): string {
  const failures = allFailures(report);
  const parts: string[] = [];
  parts.push(
    `<header class="verdict ${report.verdict}" id="verdict"><h1>${report.verdict === 'pass' ? 'PASS' : 'FAIL'} — schemaproof verification</h1><div>${failures.length} failure(s) across ${report.gates.length} gates · ${(report.durationMs / 1000).toFixed(1)} s · generated ${escape(report.generatedAt)}</div></header>`,
  );
  const nav = [
    ['gates', 'Gates'],
    ['failures', 'Failures'],
    ['compliance', 'Compliance'],
    ['inventory', 'Schema'],
    ['access', 'Access matrix'],
    ['pgtap', 'pgTAP'],
    ['rls', 'RLS properties'],
    ['mutation', 'Mutation'],
    ['plans', 'Plans'],
    ['lint', 'Lints'],
    ['migrations', 'Migrations'],
    ['restore', 'Restore drill'],
    ['environment', 'Environment'],
  ];
  if (report.baseline) nav.splice(2, 0, ['baseline', 'Since baseline']);
  parts.push(`<nav>${nav.map(([id, title]) => `<a href="#${id}">${escape(title)}</a>`).join('')}</nav>`);
  parts.push(
    section(
      'gates',
      'Gates',
      table(
        'gates-table',
        ['gate', 'status', 'summary', 'seconds'],
        report.gates.map((gate) => [td(gate.title), tdHtml(badge(gate.status), gate.status), td(gate.summary), td((gate.durationMs / 1000).toFixed(1), 'num')]),
      ),
    ),
  );
  parts.push(
    section(
      'failures',
      `Failures (${failures.length})`,
      failures.length === 0
        ? '<p>None.</p>'
        : failures
            .map(
              (failure) =>
                `<div class="failure"><strong>${escape(failure.gate)}</strong>: ${escape(failure.what)}<br>where: <code>${escape(failure.where)}</code>${failure.replay ? `<br>replay: <code>${escape(failure.replay)}</code>` : ''}</div>`,
            )
            .join(''),
    ),
  );
  if (report.baseline) {
    parts.push(
      section(
        'baseline',
        `Changes since baseline`,
        `<p>Baseline: <code>${escape(report.baseline.file)}</code></p>${table(
          'baseline-table',
          ['kind', 'what', 'before', 'after', 'regression'],
          report.baseline.changes.map((change) => [td(change.kind), td(change.what), td(change.before), td(change.after), td(change.regression ? 'yes' : 'no')]),
        )}`,
      ),
    );
  }
  parts.push(section('compliance', 'Compliance map', complianceHtml(report)));
  const inventory = report.inventory;
  const tableDetails = inventory.tables
    .filter((entry) => entry.partitionOf === null)
    .map(
      (entry) =>
        `<details><summary>${escape(entry.name)} <span class="muted">(${escape(entry.kind)}, ${entry.columns.length} columns, ${entry.indexes.length} indexes, ${entry.policies.length} policies, RLS ${entry.rlsEnabled ? 'on' : 'OFF'}${entry.rlsForced ? '+forced' : ''}, ~${entry.estimatedRows} rows)</span></summary>${entry.comment ? `<p>${escape(entry.comment)}</p>` : ''}${table(
          `columns-${entry.name}`,
          ['column', 'type', 'null', 'default / generated', 'comment'],
          entry.columns.map((column) => [
            td(column.name),
            td(column.type),
            td(column.nullable ? 'yes' : 'no'),
            td(column.generated ? `generated: ${column.generated}` : (column.default ?? '')),
            td(column.comment ?? ''),
          ]),
        )}${table(
          `indexes-${entry.name}`,
          ['index', 'definition'],
          entry.indexes.map((index) => [td(index.name), tdHtml(`<code>${escape(index.definition)}</code>`)]),
        )}${table(
          `constraints-${entry.name}`,
          ['constraint', 'type', 'definition'],
          entry.constraints.map((constraint) => [td(constraint.name), td(constraint.type), tdHtml(`<code>${escape(constraint.definition)}</code>`)]),
        )}${table(
          `policies-${entry.name}`,
          ['policy', 'command', 'roles', 'using', 'with check'],
          entry.policies.map((policy) => [
            td(policy.name),
            td(policy.command),
            td(policy.roles.join(', ')),
            tdHtml(`<code>${escape(policy.using ?? '')}</code>`),
            tdHtml(`<code>${escape(policy.withCheck ?? '')}</code>`),
          ]),
        )}<p>Grants: ${
          Object.entries(entry.grants)
            .map(([role, privileges]) => `<code>${escape(role)}</code>: ${escape(privileges.join(', '))}`)
            .join(' · ') || 'none'
        }${entry.triggers.length > 0 ? `<br>Triggers: ${entry.triggers.map((trigger) => `<code>${escape(trigger)}</code>`).join(', ')}` : ''}</p></details>`,
    )
    .join('');
  const partitions = inventory.tables.filter((entry) => entry.partitionOf !== null);
  parts.push(
    section(
      'inventory',
      'Schema inventory',
      `<p>${escape(inventory.note)} ${inventory.tables.length === 0 ? 'They hold no tables or views.' : `${inventory.tables.length - partitions.length} tables and views, ${partitions.length} partitions, ${inventory.functions.length} functions, ${inventory.enums.length} enum types. Comments double as the data dictionary.`}</p>${tableDetails}${
        partitions.length > 0
          ? `<details><summary>Partitions (${partitions.length})</summary>${table(
              'partitions-table',
              ['partition', 'of', 'RLS', 'forced', 'grants'],
              partitions.map((entry) => [
                td(entry.name),
                td(entry.partitionOf),
                td(entry.rlsEnabled ? 'on' : 'OFF'),
                td(entry.rlsForced ? 'yes' : 'NO'),
                td(Object.keys(entry.grants).join(', ') || 'none'),
              ]),
            )}</details>`
          : ''
      }<details><summary>Functions (${inventory.functions.length})</summary>${table(
        'functions-table',
        ['function', 'security definer', 'settings', 'comment'],
        inventory.functions.map((fn) => [td(fn.signature), td(fn.securityDefiner ? 'yes' : 'no'), td(fn.config.join(', ')), td(fn.comment ?? '')]),
      )}</details><details><summary>Enum types (${inventory.enums.length})</summary>${table(
        'enums-table',
        ['type', 'labels'],
        inventory.enums.map((entry) => [td(entry.name), td(entry.labels.join(', '))]),
      )}</details>`,
    ),
  );
  parts.push(section('access', 'Access matrix', accessMatrixHtml(report)));
  parts.push(
    section(
      'pgtap',
      'pgTAP suites',
      report.pgtap
        ? `<p>${report.pgtap.assertions} assertions, ${report.pgtap.failedAssertions} failed, ${report.pgtap.files.length} files, each in its own fresh database.</p>${table(
            'pgtap-table',
            ['file', 'status', 'planned', 'passed', 'failed', 'ms'],
            report.pgtap.files.map((file) => [
              td(file.file),
              tdHtml(badge(file.status), file.status),
              td(file.planned ?? '—', 'num'),
              td(file.passed, 'num'),
              td(file.failed, 'num'),
              td(file.durationMs.toFixed(0), 'num'),
            ]),
          )}${report.pgtap.files.flatMap((file) => file.failures.map((failure) => `<div class="failure">${escape(failure.what)}<br>where: <code>${escape(failure.where)}</code>${failure.diagnostics ? `<pre>${escape(failure.diagnostics)}</pre>` : ''}</div>`)).join('')}`
        : '<p class="muted">Did not run.</p>',
    ),
  );
  parts.push(
    section(
      'rls',
      'RLS property tests',
      report.rls
        ? `<p>${report.rls.cases} cases${report.rls.casesPerSecond ? ` at ${report.rls.casesPerSecond.toFixed(0)} cases/s` : ''}, seed <code>${escape(report.rls.seed ?? '—')}</code>.</p>${table(
            'rls-table',
            ['property', 'runs', 'status', 'counterexample', 'replay'],
            report.rls.properties.map((property) => [
              td(property.name),
              td(property.runs, 'num'),
              tdHtml(badge(property.status), property.status),
              tdHtml(property.counterexample ? `<pre>${escape(property.counterexample)}</pre>` : '—'),
              tdHtml(property.replay ? `<code>${escape(property.replay)}</code>` : '—'),
            ]),
          )}`
        : '<p class="muted">Did not run.</p>',
    ),
  );
  parts.push(
    section(
      'mutation',
      'Mutation self-test',
      report.mutation && report.mutation.mutants.length === 0
        ? '<p>No mutant was generated or run: the self-test proved nothing.</p>'
        : report.mutation
          ? `<p>Score: <strong>${(report.mutation.score * 100).toFixed(0)}%</strong> of deliberately broken policy variants caught by the property tests.</p>${table(
              'mutation-table',
              ['mutant', 'what it breaks', 'caught by', 'status'],
              report.mutation.mutants.map((mutant) => [td(mutant.name), td(mutant.description), td(mutant.caughtBy ?? 'SURVIVED'), tdHtml(badge(mutant.status), mutant.status)]),
            )}`
          : '<p class="muted">Did not run.</p>',
    ),
  );
  parts.push(
    section(
      'plans',
      'Query plans and timings',
      report.plans
        ? `<p>Catalogue <code>${escape(report.plans.catalogue)}</code>, scale <code>${escape(report.plans.scale)}</code>, seed <code>${report.plans.seed}</code>.</p><p><strong>Gated on</strong> (the same verdict on an idle or a busy machine): ${escape(report.plans.gates.deterministic)}.</p><p><strong>Wall times:</strong> ${escape(report.plans.gates.timings.summary)}</p><p>Work: buffers = shared blocks hit + read by the execution; calls = calls of the database's functions + function calls in per-row filters times the rows filtered; RLS work = work as the query's actor ÷ work as the role that bypasses RLS. Times are the server's planning + execution time (EXPLAIN ANALYZE with TIMING OFF); RLS time = median of the run-by-run time ratios.</p>${table(
            'plans-table',
            ['#', 'query', 'actor', 'plan node', 'indexes', 'buffers', 'rows', 'calls', 'RLS work', 'p50 ms', 'p95 ms', 'max ms', 'RLS time', 'status', 'failures'],
            report.plans.queries.map((query) => [
              td(query.id, 'num'),
              td(query.title),
              td(query.actor),
              td(query.planNode),
              td(query.indexes.join(', ') || '—'),
              td(query.work?.buffers ?? '—', 'num'),
              td(query.work?.rows ?? '—', 'num'),
              td(query.work ? (query.work.functionCalls ?? 0) + query.work.filterCalls : '—', 'num'),
              td(ratio(query.rlsWorkRatio), 'num'),
              td(ms(query.p50Ms), 'num'),
              td(ms(query.p95Ms), 'num'),
              td(ms(query.maxMs), 'num'),
              td(ratio(query.rlsTimeRatio), 'num'),
              tdHtml(badge(query.status), query.status),
              td(query.failures.join('; ')),
            ]),
          )}${report.plans.notes.map((note) => `<p>${escape(note)}</p>`).join('')}`
        : '<p class="muted">Did not run.</p>',
    ),
  );
  parts.push(
    section(
      'lint',
      'Lint findings',
      report.lint
        ? `${table(
            'lint-table',
            ['lint', 'level', 'object', 'detail', 'remediation', 'suppressed'],
            report.lint.findings.map((finding) => [
              td(finding.lint),
              td(finding.level),
              td(finding.object),
              td(finding.detail),
              td(finding.remediation),
              td(finding.suppressed ? `yes: ${finding.suppressionReason ?? ''}` : 'no'),
            ]),
          )}<details><summary>Lint catalogue (${report.lint.catalogue.length})</summary>${table(
            'lint-catalogue',
            ['lint', 'level', 'what', 'remediation'],
            report.lint.catalogue.map((doc) => [td(doc.name), td(doc.level), td(doc.description), td(doc.remediation)]),
          )}</details>`
        : '<p class="muted">Did not run.</p>',
    ),
  );
  parts.push(
    section(
      'migrations',
      'Migrations and policies',
      table(
        'migrations-table',
        ['file', 'kind', 'sha256'],
        report.migrations.files.map((file) => [td(file.file), td(file.kind), tdHtml(`<code>${escape(file.sha256)}</code>`)]),
      ),
    ),
  );
  parts.push(
    section(
      'restore',
      'Restore drill',
      report.restoreDrill
        ? `<p>${badge(report.restoreDrill.status)} ${escape(report.restoreDrill.summary)}</p>${table(
            'restore-table',
            ['object', 'aspect', 'before', 'after'],
            report.restoreDrill.differences.map((difference) => [td(difference.object), td(difference.aspect), td(difference.before), td(difference.after)]),
          )}`
        : '<p class="muted">Did not run.</p>',
    ),
  );
  parts.push(
    section(
      'environment',
      'Environment',
      table(
        'environment-table',
        ['', ''],
        Object.entries(report.environment).map(([key, value]) => [td(key), td(value)]),
      ),
    ),
  );
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>schemaproof: ${report.verdict.toUpperCase()}</title><style>${style}</style></head><body><main>${parts.join('\n')}</main><script>${script}</script></body></html>\n`;
}
