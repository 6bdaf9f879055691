import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromSystemError } from '../errors/index.ts';
import { renderHtml } from './html.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';
import type { VerificationReport } from './model.ts';

export * from './model.ts';
export { renderHtml } from './html.ts';
export { renderMarkdown, markdownLimit } from './markdown.ts';
export { renderJunit } from './junit.ts';

export interface WrittenReport {
  readonly html: string;
  readonly markdown: string;
  readonly json: string;
  readonly junit: string;
}

/** Write the four renderings into `dir` (created if needed). */
export function writeReport(report: VerificationReport, dir: string): WrittenReport {
  const paths = {
    html: join(dir, 'verification.html'),
    markdown: join(dir, 'verification.md'),
    json: join(dir, 'verification.json'),
    junit: join(dir, 'junit.xml'),
  };
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(paths.html, renderHtml(report));
    writeFileSync(paths.markdown, renderMarkdown(report, { htmlPath: paths.html }));
    writeFileSync(paths.json, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(paths.junit, renderJunit(report));
  } catch (error) {
    throw fromSystemError(error, dir) ?? error;
  }
  return paths;
}
