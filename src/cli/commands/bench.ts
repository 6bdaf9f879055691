import type { Command } from 'commander';
import { exitCodes } from '../../errors/index.ts';
import { runAction } from '../main.ts';

// Placeholder until the capability lands: the command exists and says so.
export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(
      runAction(program, async () => {
        process.stderr.write('schemaproof bench: not implemented yet\n');
        return exitCodes.usage;
      }),
    );
}
