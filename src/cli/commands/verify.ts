import type { Command } from 'commander';
import { exitCodes } from '../../errors/index.ts';
import { runAction } from '../main.ts';

// Placeholder until the capability lands: the command exists and says so.
export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(
      runAction(program, async () => {
        process.stderr.write('schemaproof verify: not implemented yet\n');
        return exitCodes.usage;
      }),
    );
}
