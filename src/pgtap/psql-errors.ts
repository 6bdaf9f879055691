/**
 * Read psql's standard error: `psql:FILE:LINE: ERROR:  [SQLSTATE: ]message`
 * followed by LINE/DETAIL/HINT/CONTEXT lines (run with VERBOSITY=verbose so
 * the SQLSTATE is there; the C-source LOCATION line is dropped).
 */

export interface PsqlMessage {
  readonly file: string;
  readonly line: number;
  readonly severity: string;
  readonly sqlstate: string | null;
  readonly message: string;
  readonly details: readonly string[];
  /** The `LINE n: text` excerpt the server printed, if any. */
  readonly excerpt: { readonly lineInStatement: number; readonly text: string } | null;
}

const header = /^psql:(.+):(\d+): (ERROR|FATAL|PANIC|WARNING|NOTICE|INFO|LOG|DEBUG):\s+(.*)$/;
const sqlstatePrefix = /^([0-9A-Z]{5}): (.*)$/s;
const excerptLine = /^LINE (\d+): (.*)$/;

export function parsePsqlStderr(stderr: string): readonly PsqlMessage[] {
  const messages: PsqlMessage[] = [];
  let current: { file: string; line: number; severity: string; sqlstate: string | null; message: string; details: string[] } | null = null;
  const flush = (): void => {
    if (!current) return;
    const excerpt = current.details.map((detail) => excerptLine.exec(detail)).find((match) => match !== null) ?? null;
    messages.push({
      ...current,
      excerpt: excerpt ? { lineInStatement: Number(excerpt[1]), text: excerpt[2] ?? '' } : null,
    });
    current = null;
  };
  for (const raw of stderr.split('\n')) {
    const text = raw.replace(/\r$/, '');
    const match = header.exec(text);
    if (match) {
      flush();
      const body = match[4] ?? '';
      const coded = sqlstatePrefix.exec(body);
      current = {
        file: match[1] ?? '',
        line: Number(match[2]),
        severity: match[3] ?? 'ERROR',
        sqlstate: coded ? (coded[1] ?? null) : null,
        message: coded ? (coded[2] ?? '') : body,
        details: [],
      };
      continue;
    }
    if (!current) continue;
    if (text.startsWith('LOCATION:') || text.trim() === '') continue;
    current.details.push(text);
  }
  flush();
  return messages;
}

export function isErrorSeverity(severity: string): severity is 'ERROR' | 'FATAL' | 'PANIC' {
  return severity === 'ERROR' || severity === 'FATAL' || severity === 'PANIC';
}
