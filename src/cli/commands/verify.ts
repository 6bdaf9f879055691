import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { Settings } from '../../config/index.ts';
import { scales } from '../../config/scales.ts';
import { gateIds, type GateId, type VerificationReport } from '../../report/model.ts';
import { flagError, outputFileOption, positiveInteger, reporterOption } from '../flags.ts';
import { writeReport } from '../output.ts';
import { runAction } from '../main.ts';

const verifyReporters = ['summary', 'json', 'markdown', 'junit'] as const;

interface VerifyFlags {
  readonly baseline?: string;
  readonly scale?: (typeof scales)[number];
  readonly runs?: number;
  readonly skip?: string[];
  readonly reportsDir?: string;
  readonly reporter: (typeof verifyReporters)[number];
  readonly outputFile?: string;
}

/** The report in the format `--reporter` names (null: the summary lines only). */
async function renderAs(report: VerificationReport, reporter: VerifyFlags['reporter']): Promise<string | null> {
  const { renderJunit, renderMarkdown } = await import('../../report/index.ts');
  switch (reporter) {
    case 'summary':
      return null;
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'markdown':
      return renderMarkdown(report);
    case 'junit':
      return renderJunit(report);
  }
}

/** Under GitHub Actions: an annotation per failure (on its file line when it names one) and the Markdown report in the job summary. */
async function publishToGithub(report: VerificationReport, markdownFile: string | null, root: string): Promise<void> {
  const { annotation, appendStepSummary, isGithubActions, placeOf } = await import('../../output/github.ts');
  if (!isGithubActions()) return;
  for (const gate of report.gates) {
    for (const failure of gate.failures) {
      const message = `${failure.what}${failure.replay ? `\nreplay: ${failure.replay}` : ''}`;
      process.stdout.write(`${annotation('error', message, placeOf(failure.where, root), `schemaproof ${gate.id}`)}\n`);
    }
  }
  if (markdownFile) appendStepSummary(readFileSync(markdownFile, 'utf8'));
}

async function override(settings: Settings, flags: VerifyFlags): Promise<Settings> {
  const { resolveSettings } = await import('../../config/index.ts');
  const raw = {
    ...settings,
    bench: { ...settings.bench, ...(flags.scale ? { scale: flags.scale } : {}), fecDir: settings.bench.fecDir ?? undefined, baseline: settings.bench.baseline ?? undefined },
    rls: { ...settings.rls, ...(flags.runs !== undefined ? { runs: flags.runs } : {}) },
    ...(flags.reportsDir ? { reportsDir: flags.reportsDir } : {}),
  };
  const { root, configFile, ...rest } = raw;
  return resolveSettings(rest, root, configFile);
}

export function registerVerify(program: Command): void {
  const command = program
    .command('verify')
    .description('everything in one run; writes reports/verification.{html,md,json} and reports/junit.xml; exit 0 only when every gate passes')
    .option('--baseline <file>', 'compare with an earlier verification.json; regressions fail')
    .addOption(new Option('--scale <scale>', 'data scale for the plan benchmark').choices([...scales]))
    .option('--runs <n>', 'RLS property runs: random worlds per property (default: rls.runs from the config)', positiveInteger)
    .option('--reports-dir <dir>', 'where to write the reports')
    .addOption(reporterOption(verifyReporters, 'summary', 'what to print (or write to --output-file) besides the report files: summary, json, markdown or junit'))
    .addOption(outputFileOption('write the --reporter format to this file (the summary still goes to stdout)'))
    .addOption(new Option('--skip <gate...>', 'leave gates out (reported as skipped)').choices(gateIds.filter((id) => id !== 'migrations')));
  command.action(
    runAction(program, async (globals) => {
      const flags = command.opts<VerifyFlags>();
      if (flags.outputFile !== undefined && flags.reporter === 'summary') throw flagError('--output-file', flags.outputFile, 'give a --reporter for the file: json, markdown or junit');
      const { loadSettings } = await import('../../config/index.ts');
      const { verify } = await import('../../verify/index.ts');
      const settings = await override(await loadSettings({ configPath: globals.config }), flags);
      const { heartbeat, paint, progress, terminalFor } = await import('../../output/tty.ts');
      const terminal = terminalFor(process.stderr);
      const steps = progress(process.stderr, terminal);
      const started = Date.now();
      const stamp = (): string => `[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s]`;
      let current = 'starting';
      // A gate reports when it starts and ends: between, a live line on a TTY, a plain line every few seconds elsewhere.
      const stopHeartbeat = heartbeat(steps, () => `${stamp()} ${current}`);
      const result = await verify({
        settings,
        databaseUrl: globals.databaseUrl,
        installShim: globals.installShim === true,
        baseline: flags.baseline ?? settings.bench.baseline,
        skip: (flags.skip ?? []) as GateId[],
        onProgress: (message) => {
          current = message;
          if (terminal.live && message.includes(': running')) steps.update(`${stamp()} ${message}`);
          else steps.line(`${stamp()} ${message}`);
        },
      }).finally(stopHeartbeat);
      const { report, written } = result;
      const rendered = await renderAs(report, flags.reporter);
      if (rendered !== null && flags.outputFile === undefined) {
        writeReport(rendered, undefined);
        return result.exitCode;
      }
      if (rendered !== null && flags.outputFile !== undefined) writeReport(rendered, flags.outputFile);
      const verdict = report.verdict === 'pass' ? paint(terminalFor(process.stdout), 'green', 'PASS') : paint(terminalFor(process.stdout), 'red', 'FAIL');
      process.stdout.write(`\n${verdict}: ${report.gates.map((gate) => `${gate.id} ${gate.status}`).join(', ')} (${(report.durationMs / 1000).toFixed(1)} s)\n`);
      for (const gate of report.gates) {
        for (const failure of gate.failures.slice(0, 20))
          process.stdout.write(`  ✗ [${gate.id}] ${failure.what}\n      where: ${failure.where}${failure.replay ? `\n      replay: ${failure.replay}` : ''}\n`);
        if (gate.failures.length > 20) process.stdout.write(`  … ${gate.failures.length - 20} more ${gate.id} failure(s) in the report\n`);
      }
      if (written) process.stdout.write(`reports: ${written.html}, ${written.markdown}, ${written.json}, ${written.junit}\n`);
      await publishToGithub(report, written?.markdown ?? null, settings.root);
      return result.exitCode;
    }),
  );
}
