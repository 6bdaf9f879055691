/**
 * One option parser per kind of flag, and the flags every command that writes
 * results shares: `--reporter <name>` (what is written) and
 * `--output-file <path>` (where; stdout when absent). Older spellings stay as
 * hidden aliases. A bad value is a usage error naming the flag (exit 2).
 *
 * This module loads nothing but commander: `--help` and `--version` must not
 * pay for Postgres clients, zod or fast-check.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { SchemaproofError } from '../errors/index.ts';
import { isShardSpec, parseShard, type ShardSpec } from '../shard/select.ts';

export function integer(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isInteger(parsed)) throw new InvalidArgumentError('expected an integer');
  return parsed;
}

export function positiveInteger(value: string): number {
  const parsed = integer(value);
  if (parsed <= 0) throw new InvalidArgumentError('expected a positive integer');
  return parsed;
}

export function nonNegativeInteger(value: string): number {
  const parsed = integer(value);
  if (parsed < 0) throw new InvalidArgumentError('expected an integer of 0 or more');
  return parsed;
}

/** A flag value that can only be checked once the command runs (e.g. against names the library defines): exit 2, like a parse error. */
export function flagError(flag: string, value: string, detail: string): SchemaproofError {
  return new SchemaproofError({ code: 'flag_invalid', flag, value, detail });
}

/** Check a value against names known only at run time; returns it typed. */
export function oneOf<T extends string>(flag: string, value: string, names: readonly T[]): T {
  if (!(names as readonly string[]).includes(value)) throw flagError(flag, value, `expected one of ${names.join(', ')}`);
  return value as T;
}

/** `--reporter <name>` with its choices and default. */
export function reporterOption(names: readonly string[], defaultName: string, description = 'what to write'): Option {
  return new Option('--reporter <name>', description).choices(names).default(defaultName);
}

/** `--output-file <path>`: write the reporter's output there instead of stdout. */
export function outputFileOption(description = 'write the report to this file instead of stdout'): Option {
  return new Option('--output-file <path>', description);
}

/** An older spelling kept for one release: parsed, not shown in --help. */
export function hiddenAlias(flags: string, description: string): Option {
  return new Option(flags, `${description} (deprecated alias)`).hideHelp();
}

/** Where the report goes: `--output-file`, else the first old spelling given, else undefined (stdout or the command's default). */
export function outputFile(options: { readonly outputFile?: string }, ...aliases: readonly (string | undefined)[]): string | undefined {
  return options.outputFile ?? aliases.find((alias) => alias !== undefined);
}

/** The one-line pointer printed after a usage error, instead of the whole help. */
export function helpPointer(command: Command): string {
  const names: string[] = [];
  for (let current: Command | null = command; current; current = current.parent) names.unshift(current.name());
  return `see \`${names.join(' ')} --help\``;
}

/** `--shard <i/n>`: run shard i of n (1-based); checked when the command runs, so a bad value is `flag_invalid` (exit 2). */
export function shardOption(what: string): Option {
  return new Option('--shard <i/n>', `run shard i of n (1-based) of the ${what}, split by name; merge the shards' --reporter json files with \`schemaproof merge-reports\``);
}

/** The parsed `--shard` value (undefined when not given). */
export function shardFlag(value: string | undefined): ShardSpec | undefined {
  if (value === undefined) return undefined;
  const parsed = parseShard(value);
  if (!isShardSpec(parsed)) throw flagError('--shard', value, parsed.problem);
  return parsed;
}
