/**
 * GitHub Actions output: workflow-command annotations on the lines that
 * failed (`::error file=…,line=…,col=…::…`, shown on the pull request's diff)
 * and the Markdown report appended to the job summary
 * ($GITHUB_STEP_SUMMARY). Functions return text; the CLI prints it.
 */
import { appendFileSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { describeError, type ErrorDetail } from '../errors/index.ts';
import type { LintResult } from '../lint/types.ts';
import { errorLocations } from './sarif.ts';

export type AnnotationLevel = 'error' | 'warning' | 'notice';

export interface AnnotationPlace {
  readonly file: string;
  readonly line?: number;
  readonly col?: number;
}

/** Whether we run as a GitHub Actions step. */
export function isGithubActions(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.GITHUB_ACTIONS === 'true';
}

// The runner's escaping (actions/toolkit, command.ts): data escapes % CR LF; property values also : and ,
const escapeData = (text: string): string => text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (text: string): string => escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** One workflow command line. */
export function annotation(level: AnnotationLevel, message: string, place?: AnnotationPlace, title?: string): string {
  const properties: string[] = [];
  if (place) {
    properties.push(`file=${escapeProperty(place.file)}`);
    if (place.line !== undefined) properties.push(`line=${place.line}`);
    if (place.col !== undefined) properties.push(`col=${place.col}`);
  }
  if (title) properties.push(`title=${escapeProperty(title)}`);
  return `::${level}${properties.length > 0 ? ` ${properties.join(',')}` : ''}::${escapeData(message)}`;
}

/** A path as GitHub wants it: relative to the workspace (default: the current directory), forward slashes. */
export function workspacePath(file: string, root: string, workspace: string = process.env.GITHUB_WORKSPACE ?? process.cwd()): string {
  const absolute = isAbsolute(file) ? file : resolve(root, file);
  return relative(workspace, absolute).split(sep).join('/');
}

/** An annotation per unsuppressed lint finding (errors and warnings), on its file line where it has one. */
export function lintAnnotations(result: LintResult, root: string, workspace?: string): string[] {
  return result.findings
    .filter((finding) => !finding.suppressed)
    .map((finding) =>
      annotation(
        finding.level === 'error' ? 'error' : 'warning',
        `${finding.object}: ${finding.detail}\n${finding.remediation}`,
        finding.location ? { file: workspacePath(finding.location.file, root, workspace), line: finding.location.line, col: finding.location.column } : undefined,
        `schemaproof ${finding.lint}`,
      ),
    );
}

/** An error annotation per place a failure names (a SQL error, each refused statement); one without a place otherwise. */
export function errorAnnotations(detail: ErrorDetail, root: string, workspace?: string): string[] {
  const located = errorLocations(detail);
  const title = `schemaproof ${detail.code}`;
  if (located.length === 0) return [annotation('error', describeError(detail), undefined, title)];
  return located.map((location) => annotation('error', describeError(detail), { file: workspacePath(location.file, root, workspace), line: location.line, col: location.column }, title));
}

/** `where` strings of the report's failures that name a file line (`path:line` or `path:line:col`) as a place. */
export function placeOf(where: string, root: string, workspace?: string): AnnotationPlace | undefined {
  const match = /^([^\s:][^:]*\.[A-Za-z0-9]+):(\d+)(?::(\d+))?$/.exec(where);
  if (!match) return undefined;
  return { file: workspacePath(match[1]!, root, workspace), line: Number(match[2]), ...(match[3] ? { col: Number(match[3]) } : {}) };
}

/** Append Markdown to the job summary; false when there is no summary file (not in Actions). */
export function appendStepSummary(markdown: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const file = env.GITHUB_STEP_SUMMARY;
  if (!file) return false;
  appendFileSync(file, markdown.endsWith('\n') ? markdown : `${markdown}\n`);
  return true;
}
