/**
 * The exit codes the CLI uses and the README's table agree: every code in
 * `exitCodes` has a row, and every row is a code the CLI can return.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { exitCodes } from '../../src/errors/index.ts';

const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');

function documentedCodes(): number[] {
  const section = readme.split('### Exit codes')[1]?.split('\n## ')[0] ?? '';
  return [...section.matchAll(/^\| (\d+) \|/gm)].map((match) => Number(match[1]));
}

describe('exit codes in the README', () => {
  it('documents every exit code the CLI returns, and no other', () => {
    expect(documentedCodes().sort((a, b) => a - b)).toEqual([...new Set(Object.values(exitCodes))].sort((a, b) => a - b));
  });
});
