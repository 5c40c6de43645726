import type { CliIo } from './command.js';
import type { ProgressEvent } from '../core/events.js';

function fmtTime(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '--:--';
  const s = Math.max(0, Math.round(ms / 1000));
  const m = Math.floor(s / 60);
  return `${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * A one-line progress bar on stderr when it is a TTY; silent when piped or in CI.
 */
export class ProgressBar {
  readonly #io: CliIo;
  readonly #enabled: boolean;
  #last = 0;
  #label: string;

  constructor(io: CliIo, label: string, options: { quiet?: boolean } = {}) {
    this.#io = io;
    this.#label = label;
    this.#enabled = !options.quiet && io.stderr.isTTY === true && !process.env.CI;
  }

  update(p: ProgressEvent, force = false): void {
    if (!this.#enabled) return;
    const now = Date.now();
    if (!force && now - this.#last < 100) return;
    this.#last = now;
    const width = Math.max(10, Math.min(40, (this.#io.stderr.columns ?? 80) - 60));
    const frac = p.total > 0 ? (p.done + p.failed) / p.total : 1;
    const filled = Math.round(Math.min(1, frac) * width);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    const failed = p.failed ? ` ${p.failed} failed` : '';
    this.#io.stderr.write(`\r${this.#label} [${bar}] ${p.done}/${p.total} tiles${failed} ${p.tilesPerSecond.toFixed(1)}/s ETA ${fmtTime(p.etaMs)}\x1b[K`);
  }

  done(): void {
    if (this.#enabled && this.#last !== 0) this.#io.stderr.write('\n');
  }
}
