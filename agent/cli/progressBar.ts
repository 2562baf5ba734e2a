import { fitDisplayWidth } from './textTable.js';

/**
 * A tiny progress display for long CLI jobs (scan): on a terminal one line redrawn in place,
 * `[##########..........]  12/24  unit 12 · 2 answered`; on a pipe or file a plain line each
 * tenth of the way, so logs stay short. No colours (field laptops, serial consoles).
 */

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const DEFAULT_BAR_WIDTH = 24;
const MIN_BAR_WIDTH = 10;

/** `[#####.....]` with `width` cells between the brackets; done is clamped to 0..total. */
export function renderBar(done: number, total: number, width = DEFAULT_BAR_WIDTH): string {
  const w = Math.max(1, Math.floor(width));
  const fraction = total <= 0 ? 1 : Math.min(1, Math.max(0, done / total));
  const filled = Math.round(fraction * w);
  return `[${'#'.repeat(filled)}${'.'.repeat(w - filled)}]`;
}

/** The whole terminal line, fitted to `columns` (the note is cut first, then the bar narrows). */
export function progressLine(done: number, total: number, note: string, columns = 80): string {
  const count = `${String(done).padStart(String(total).length)}/${total}`;
  const room = columns - 1; // never touch the last column: some terminals wrap there
  const barWidth = Math.max(MIN_BAR_WIDTH, Math.min(DEFAULT_BAR_WIDTH, room - count.length - 4));
  let line = `${renderBar(done, total, barWidth)}  ${count}`;
  if (note) line += `  ${note}`;
  // Terminal columns, not characters: a Chinese note takes two columns a character.
  return fitDisplayWidth(line, Math.max(0, room));
}

export interface ProgressOptions {
  /** What the plain lines say before the count, e.g. "scan". */
  label: string;
  /** Plain mode: print a line every `1/steps` of the way. Default 10. */
  steps?: number;
}

export class Progress {
  private readonly stream: ProgressStream;
  private readonly total: number;
  private readonly tty: boolean;
  private readonly label: string;
  private readonly steps: number;
  private lastStep = 0;
  private done = 0;
  private note = '';
  private drawn = false;

  constructor(stream: ProgressStream, total: number, opts: ProgressOptions) {
    this.stream = stream;
    this.total = total;
    this.tty = stream.isTTY === true;
    this.label = opts.label;
    this.steps = Math.max(1, opts.steps ?? 10);
  }

  /** `done` items of `total` finished; `note` says what is happening now. */
  update(done: number, note = ''): void {
    this.done = done;
    this.note = note;
    if (this.tty) {
      this.draw();
      return;
    }
    const step = this.total <= 0 ? this.steps : Math.floor((done / this.total) * this.steps);
    if (step > this.lastStep) {
      this.lastStep = step;
      this.stream.write(`${this.label}: ${done}/${this.total}${note ? ` (${note})` : ''}\n`);
    }
  }

  /** Writes something (to any stream) as a line above the bar, then redraws the bar under it. */
  above(write: () => void): void {
    this.clear();
    write();
    if (this.tty && this.drawn) this.draw();
  }

  /** Removes the bar (terminal); call before the summary. */
  finish(): void {
    this.clear();
    this.drawn = false;
  }

  private draw(): void {
    // A terminal without a window size (script, some serial consoles) reports 0 columns.
    const columns = this.stream.columns || 80;
    this.stream.write(`\r${progressLine(this.done, this.total, this.note, columns)}\x1b[K`);
    this.drawn = true;
  }

  private clear(): void {
    if (this.tty && this.drawn) this.stream.write('\r\x1b[K');
  }
}
