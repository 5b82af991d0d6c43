/** A one-line progress bar on a terminal; nothing when output is not a terminal. */
export class ProgressBar {
  private readonly stream: NodeJS.WriteStream;
  private readonly enabled: boolean;
  private lastDraw = 0;
  private shown = false;

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.stream = stream;
    this.enabled = Boolean(stream.isTTY) && process.env.CI !== 'true';
  }

  update(done: number, total: number, suffix: string, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 100 && done < total) return;
    this.lastDraw = now;
    const width = 24;
    const filled = total > 0 ? Math.round((width * Math.min(done, total)) / total) : 0;
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
    const line = `${bar} ${done}/${total} ${suffix}`;
    const columns = this.stream.columns ?? 120;
    this.stream.write(`\r${line.slice(0, columns - 1).padEnd(Math.min(columns - 1, line.length + 8))}`);
    this.shown = true;
  }

  /** Clears the bar so a normal line can be printed. */
  clear(): void {
    if (!this.enabled || !this.shown) return;
    this.stream.write(`\r${' '.repeat((this.stream.columns ?? 120) - 1)}\r`);
    this.shown = false;
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}
