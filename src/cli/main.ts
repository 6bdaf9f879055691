/**
 * The thin CLI: parse arguments, call a library function, print, pick the
 * exit code. All behaviour lives in the capability folders.
 */
import { Command, CommanderError, Option } from 'commander';
import { exitCodes, isSchemaproofError, type ExitCode } from '../errors/index.ts';
import { interruptedBy, isStopSignal, onInterrupt, signalExitStatus } from '../postgres/exit-cleanup.ts';
import { renderFailure } from './render.ts';
import { helpPointer } from './flags.ts';
import { packageVersion } from './version.ts';
import { registerMigrate } from './commands/migrate.ts';
import { registerTest } from './commands/test.ts';
import { registerRls } from './commands/rls.ts';
import { registerBench } from './commands/bench.ts';
import { registerLint } from './commands/lint.ts';
import { registerLoadFec } from './commands/load-fec.ts';
import { registerVerify } from './commands/verify.ts';
import { registerMergeReports } from './commands/merge-reports.ts';
import { registerInit } from './commands/init.ts';

export interface GlobalOptions {
  readonly config?: string;
  readonly databaseUrl?: string;
  /** On a server schemaproof did not start: create the missing Supabase roles (printing each) instead of failing. */
  readonly installShim?: boolean;
  readonly debug?: boolean;
}

export type CommandAction = (globals: GlobalOptions) => Promise<ExitCode>;

/** Wrap a command action: run it, render any failure, set the exit code. */
export function runAction(program: Command, action: CommandAction): () => Promise<void> {
  return async () => {
    const globals = program.opts<GlobalOptions>();
    const interruptedLine = (signal: string) => `schemaproof: interrupted by ${signal}; stopping and removing what this run created\n`;
    const stopListening = onInterrupt((signal) => process.stderr.write(interruptedLine(signal)));
    try {
      process.exitCode = await action(globals);
    } catch (error) {
      const signal = interruptedBy();
      if (signal !== null) {
        // The failure is the interruption's doing (connections closed, processes stopped): not worth a line.
        process.exitCode = signalExitStatus(signal);
        return;
      }
      if (isSchemaproofError(error) && error.detail.code === 'interrupted' && isStopSignal(error.detail.signal)) {
        // A child (initdb, pg_ctl) died of the signal before this process's own
        // handler ran: the same interruption, told the same way.
        process.stderr.write(interruptedLine(error.detail.signal));
        process.exitCode = signalExitStatus(error.detail.signal);
        return;
      }
      const rendered = renderFailure(error, globals.debug === true);
      for (const line of rendered.lines) process.stderr.write(`${line}\n`);
      process.exitCode = rendered.exitCode;
      await annotateFailure(error);
    } finally {
      stopListening();
    }
  };
}

/** Under GitHub Actions: the failure as an annotation on the line it names (a SQL error, a refused statement). */
async function annotateFailure(error: unknown): Promise<void> {
  const { isGithubActions, errorAnnotations } = await import('../output/github.ts');
  if (!isGithubActions() || !isSchemaproofError(error)) return;
  for (const line of errorAnnotations(error.detail, process.cwd())) process.stdout.write(`${line}\n`);
}

export function buildProgram(): Command {
  const program = new Command('schemaproof')
    .description('Prove a schema-as-code Postgres project: migrations, pgTAP, RLS properties, plans, lints, report.')
    .addOption(new Option('-c, --config <file>', 'config file (schemaproof.config.ts or .json)'))
    .addOption(new Option('--database-url <url>', 'use an existing server instead of a throwaway cluster').env('DATABASE_URL'))
    .option('--install-shim', 'with --database-url: create the missing Supabase roles (cluster-wide; each one is printed) instead of failing')
    .option('--debug', 'print stack traces')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride()
    // A usage error is one line naming the flag, then where the help is; never the whole help.
    .configureOutput({ outputError: (message, write) => write(`schemaproof: ${message}`) });
  registerMigrate(program);
  registerTest(program);
  registerRls(program);
  registerBench(program);
  registerLint(program);
  registerLoadFec(program);
  registerVerify(program);
  registerMergeReports(program);
  registerInit(program);
  const pointTo = (command: Command): void => {
    command.showHelpAfterError(helpPointer(command));
    for (const sub of command.commands) pointTo(sub);
  };
  pointTo(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv as string[]);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
      return;
    }
    const rendered = renderFailure(error, process.argv.includes('--debug'));
    for (const line of rendered.lines) process.stderr.write(`${line}\n`);
    process.exitCode = rendered.exitCode;
  }
}
