/**
 * The controller side of the Hex Text Protocol: sends one command at a time to a child
 * process and reads its answer (`= result` or `? message`, ended by a blank line).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { HextorchError } from '../errors';

export class HtpClient {
  private buffer = '';
  private waiting: { resolve: (text: string) => void; reject: (error: Error) => void; command: string } | undefined;
  private exited: Error | undefined;
  private stderrTail = '';

  private constructor(private readonly child: ChildProcessWithoutNullStreams, readonly command: string) {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      this.buffer += chunk.replace(/\r/g, '');
      this.drain();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-2000);
    });
    const fail = (why: string) => {
      this.exited = new HextorchError('HEXTORCH_IO', `engine '${command}' ${why}${this.stderrTail ? `; its last output: ${this.stderrTail.trim().slice(-300)}` : ''}`);
      this.waiting?.reject(this.exited);
      this.waiting = undefined;
    };
    child.on('error', (error) => fail(`could not be started: ${error.message}`));
    child.on('exit', (code, signal) => fail(`exited (${signal ?? `code ${code}`})`));
    child.stdin.on('error', () => undefined);  // reported through 'exit'
  }

  static spawn(command: string): HtpClient {
    return new HtpClient(spawn(command, { shell: true, stdio: ['pipe', 'pipe', 'pipe'] }), command);
  }

  /** Sends a command; resolves with the result text, rejects on `? message`. */
  send(command: string, timeoutMs = 600_000): Promise<string> {
    if (this.exited) return Promise.reject(this.exited);
    if (this.waiting) return Promise.reject(new HextorchError('HEXTORCH_BUSY', `engine '${this.command}': '${command}' sent while '${this.waiting.command}' waits`));
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new HextorchError('HEXTORCH_IO', `engine '${this.command}' did not answer '${command}' within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.waiting = {
        command,
        resolve: (text) => {
          clearTimeout(timer);
          resolve(text);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.child.stdin.write(`${command}\n`);
      this.drain();
    });
  }

  private drain(): void {
    const end = this.buffer.indexOf('\n\n');
    if (end < 0 || !this.waiting) return;
    const answer = this.buffer.slice(0, end).replace(/^\n+/, '');
    this.buffer = this.buffer.slice(end + 2);
    const waiting = this.waiting;
    this.waiting = undefined;
    const match = /^([=?])\d*\s?([\s\S]*)$/.exec(answer);
    if (!match) waiting.reject(new HextorchError('HEXTORCH_IO', `engine '${this.command}' answered '${waiting.command}' with '${answer.slice(0, 200)}', not '= ...' or '? ...'`));
    else if (match[1] === '?') waiting.reject(new HextorchError('HEXTORCH_INVALID_ARGUMENT', `engine '${this.command}' refused '${waiting.command}': ${match[2]!.trim()}`));
    else waiting.resolve(match[2]!);
  }

  /** Sends quit and waits for the process to end (killing it after a grace period). */
  async close(): Promise<void> {
    if (this.exited) return;
    const ended = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.send('quit', 5000).catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await ended;
    clearTimeout(timer);
  }
}
