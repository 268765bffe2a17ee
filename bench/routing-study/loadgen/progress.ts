/** A one-line progress bar on stderr, redrawn at most 5 times a second; silent when stderr is not a terminal. */
export class Progress {
  readonly #label: string;
  readonly #total: number;
  readonly #tty = process.stderr.isTTY === true;
  #last = 0;

  constructor(label: string, total: number) {
    this.#label = label;
    this.#total = total;
  }

  update(sent: number, done: number, failed: number, force = false): void {
    if (!this.#tty) return;
    const now = performance.now();
    if (!force && now - this.#last < 200) return;
    this.#last = now;
    const width = 24;
    const filled = Math.round((done / Math.max(1, this.#total)) * width);
    const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
    process.stderr.write(`\r${this.#label} [${bar}] sent ${sent}/${this.#total} done ${done} failed ${failed}   `);
  }

  finish(): void {
    if (this.#tty) process.stderr.write('\n');
  }
}
