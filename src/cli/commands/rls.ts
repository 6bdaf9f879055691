import type { Command } from 'commander';
import { exitCodes } from '../../errors/index.ts';
import { runAction } from '../main.ts';

// Placeholder until the capability lands: the command exists and says so.
export function registerRls(program: Command): void {
  program
    .command('rls')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(
      runAction(program, async () => {
        process.stderr.write('schemaproof rls: not implemented yet\n');
        return exitCodes.usage;
      }),
    );
}
