// Prints the closing line CI reads, "N passed, N failed", from vitest's JSON
// report. A file whose setup failed (its tests never ran) counts as one
// failure; a missing or unreadable report counts as one failure (the run
// broke before tests could report).
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'reports/vitest.json';
try {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  const passed = report.numPassedTests ?? 0;
  let failed = report.numFailedTests ?? 0;
  for (const suite of report.testResults ?? []) {
    const failedInside = (suite.assertionResults ?? []).some((test) => test.status === 'failed');
    if (suite.status === 'failed' && !failedInside) failed += 1;
  }
  const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  // Skipped tests are reported on their own line: CI reads the last line,
  // which has exactly the form "N passed, N failed".
  if (skipped > 0) console.log(`${skipped} skipped`);
  console.log(`${passed} passed, ${failed} failed`);
} catch {
  console.log('0 passed, 1 failed');
}
