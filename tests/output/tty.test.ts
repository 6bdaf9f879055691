/**
 * One module decides colour and progress: NO_COLOR wins, FORCE_COLOR forces,
 * otherwise a TTY; progress is redrawn in place only on an interactive TTY
 * (not CI), and elsewhere is a plain line at most every interval.
 */
import { describe, expect, it } from 'vitest';
import { paint, progress, terminalFor, type OutputStream } from '../../src/output/tty.ts';

function sink(isTTY: boolean): OutputStream & { text: string } {
  return {
    isTTY,
    text: '',
    write(chunk: string) {
      this.text += chunk;
      return true;
    },
  };
}

describe('terminal decisions', () => {
  it.each([
    [true, {}, { colour: true, live: true }],
    [false, {}, { colour: false, live: false }],
    [true, { NO_COLOR: '1' }, { colour: false, live: true }],
    [true, { NO_COLOR: '1', FORCE_COLOR: '1' }, { colour: false, live: true }],
    [false, { FORCE_COLOR: '1' }, { colour: true, live: false }],
    [true, { FORCE_COLOR: '0' }, { colour: false, live: true }],
    [true, { CI: 'true' }, { colour: true, live: false }],
    [true, { GITHUB_ACTIONS: 'true' }, { colour: true, live: false }],
    [true, { TERM: 'dumb' }, { colour: false, live: false }],
  ])('tty=%s env=%j → %j', (isTTY, env, expected) => {
    expect(terminalFor(sink(isTTY), env as NodeJS.ProcessEnv)).toEqual(expected);
  });

  it('paints only when colour is on', () => {
    expect(paint({ colour: true, live: false }, 'red', 'FAIL')).toBe('\x1b[31mFAIL\x1b[39m');
    expect(paint({ colour: false, live: true }, 'red', 'FAIL')).toBe('FAIL');
  });
});

describe('progress', () => {
  it('redraws one line in place on a live terminal and clears it before a lasting line', () => {
    const out = sink(true);
    const steps = progress(out, { colour: false, live: true });
    steps.update('a');
    steps.update('b');
    steps.line('done a');
    expect(out.text).toBe('\r\x1b[2Ka\r\x1b[2Kb\r\x1b[2Kdone a\n');
  });

  it('prints plain lines at most every interval elsewhere, and never escape codes', () => {
    let clock = 0;
    const out = sink(false);
    const steps = progress(out, { colour: false, live: false }, { intervalMs: 5000, now: () => clock });
    steps.update('t0');
    clock = 1000;
    steps.update('t1 (dropped)');
    clock = 5000;
    steps.update('t5');
    steps.line('finished');
    steps.done();
    expect(out.text).toBe('t0\nt5\nfinished\n');
  });
});
