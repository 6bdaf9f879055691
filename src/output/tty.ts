/**
 * The one place that decides what a terminal gets: colour (on a TTY, off
 * with NO_COLOR, forced with FORCE_COLOR) and progress (redrawn in place on
 * an interactive TTY; elsewhere — CI, pipes, files — a plain line at most
 * every few seconds, so logs stay readable and still show that work goes on).
 */

export interface OutputStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

export interface Terminal {
  /** ANSI colours and styles. */
  readonly colour: boolean;
  /** Progress redrawn in place (carriage return, erase line). */
  readonly live: boolean;
}

const enabled = (value: string | undefined): boolean | null => {
  if (value === undefined) return null;
  return !['0', 'false', 'no', 'off'].includes(value.trim().toLowerCase());
};

/** What `stream` can show, from its TTY-ness and the environment (https://no-color.org, FORCE_COLOR as chalk and Node read it, CI). */
export function terminalFor(stream: OutputStream, env: NodeJS.ProcessEnv = process.env): Terminal {
  const tty = stream.isTTY === true && env.TERM !== 'dumb';
  const forced = enabled(env.FORCE_COLOR);
  const colour = env.NO_COLOR !== undefined && env.NO_COLOR !== '' ? false : (forced ?? tty);
  const ci = enabled(env.CI) === true || env.GITHUB_ACTIONS === 'true';
  return { colour, live: tty && !ci };
}

const styles = { red: [31, 39], green: [32, 39], yellow: [33, 39], dim: [2, 22], bold: [1, 22] } as const;
export type Style = keyof typeof styles;

/** `text` in `style` when the terminal shows colour, else unchanged. */
export function paint(terminal: Terminal, style: Style, text: string): string {
  if (!terminal.colour) return text;
  const [open, close] = styles[style];
  return `\x1b[${open}m${text}\x1b[${close}m`;
}

export interface Progress {
  /** Transient state ("rls: 3 properties done"): redrawn in place when live, else printed at most every `intervalMs`. */
  update(message: string): void;
  /** A line that stays (a finished step). */
  line(message: string): void;
  /** Clear the transient line; stop any ticker. */
  done(): void;
}

export interface ProgressOptions {
  /** Minimum time between plain progress lines when not live (default 5000). */
  readonly intervalMs?: number;
  readonly now?: () => number;
}

export function progress(stream: OutputStream, terminal: Terminal, options: ProgressOptions = {}): Progress {
  const interval = options.intervalMs ?? 5000;
  const now = options.now ?? Date.now;
  let drawn = false;
  let lastPlain = Number.NEGATIVE_INFINITY;
  const clear = (): void => {
    if (drawn) stream.write('\r\x1b[2K');
    drawn = false;
  };
  return {
    update(message) {
      if (terminal.live) {
        stream.write(`\r\x1b[2K${message}`);
        drawn = true;
        return;
      }
      if (now() - lastPlain < interval) return;
      lastPlain = now();
      stream.write(`${message}\n`);
    },
    line(message) {
      clear();
      stream.write(`${message}\n`);
    },
    done() {
      clear();
    },
  };
}

/** A heartbeat for a step that reports nothing until it ends: `message(elapsedMs)` every `tickMs` (live) or every `intervalMs` (plain). */
export function heartbeat(target: Progress, message: (elapsedMs: number) => string, options: { readonly tickMs?: number; readonly now?: () => number } = {}): () => void {
  const now = options.now ?? Date.now;
  const started = now();
  const timer = setInterval(() => target.update(message(now() - started)), options.tickMs ?? 1000);
  timer.unref();
  return () => {
    clearInterval(timer);
    target.done();
  };
}
