import type { Command } from 'commander';
import { exitCodes } from '../../errors/index.ts';
import { runAction } from '../main.ts';

// Placeholder until the capability lands: the command exists and says so.
export function registerTest(program: Command): void {
  program
    .command('test')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(
      runAction(program, async () => {
        process.stderr.write('schemaproof test: not implemented yet\n');
        return exitCodes.usage;
      }),
    );
}
