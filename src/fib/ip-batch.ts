/**
 * One long-lived `ip -force -batch -` child. ip runs lines one by one, each waiting for the kernel's
 * netlink ACK, so a job is done when a sentinel line written after it has run. The sentinel is an
 * unknown ip object: ip answers it with "Command failed -:N" on unbuffered stderr, which tells us
 * exactly when line N (and everything before it) is through. Other failures map back to their lines.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { BatchErrorParser } from './ip-lines.js';

const SENTINEL = 'rackbgp-sync';

interface Job {
  /** Line number of the job's first line minus one. */
  readonly base: number;
  readonly count: number;
  readonly errors: Map<number, string>;
  readonly resolve: (errors: Map<number, string>) => void;
  readonly reject: (e: Error) => void;
}

export class IpBatchProcess {
  private readonly child: ChildProcessByStdio<Writable, null, Readable>;
  private readonly parser = new BatchErrorParser();
  private readonly jobs: Job[] = [];
  private lineNo = 0;
  private exitError: Error | null = null;
  private readonly exited: Promise<void>;
  /** Lines written so far (for recycling: iproute2 6.1 keeps ~4 KB per route command). */
  written = 0;

  constructor(ipPath: string, args: readonly string[]) {
    this.child = spawn(ipPath, [...args, '-force', '-batch', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => this.parser.push(chunk, (n, msg) => this.failed(n, msg)));
    // EPIPE after an unexpected exit surfaces through 'exit' below.
    this.child.stdin.on('error', () => {});
    this.exited = new Promise((resolve) => {
      this.child.on('error', (e) => {
        this.fail(new Error(`cannot run ${ipPath}: ${e.message}`));
        resolve();
      });
      this.child.on('close', (code, signal) => {
        this.fail(new Error(`ip exited (${signal ?? code})${this.describeTail()}`));
        resolve();
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.exitError === null;
  }

  /** Writes lines and resolves with the failed ones (index in `lines` → ip's message). */
  run(lines: readonly string[]): Promise<Map<number, string>> {
    if (this.exitError) return Promise.reject(this.exitError);
    return new Promise((resolve, reject) => {
      const base = this.lineNo;
      this.jobs.push({ base, count: lines.length, errors: new Map(), resolve, reject });
      this.lineNo += lines.length + 1;
      this.written += lines.length;
      this.child.stdin.write(lines.length ? `${lines.join('\n')}\n${SENTINEL}\n` : `${SENTINEL}\n`);
    });
  }

  /** Lets ip finish what it has, then waits for it to exit (killing it after `graceMs`). */
  async close(graceMs = 5000): Promise<void> {
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  private failed(line: number, message: string): void {
    const job = this.jobs[0];
    if (!job) return;
    if (line === job.base + job.count + 1) {
      this.jobs.shift();
      job.resolve(job.errors);
    } else if (line > job.base && line <= job.base + job.count) {
      job.errors.set(line - job.base - 1, message || 'failed');
    }
  }

  private fail(e: Error): void {
    if (this.exitError) return;
    this.exitError = e;
    for (const job of this.jobs.splice(0)) job.reject(e);
  }

  private describeTail(): string {
    const t = this.parser.pending();
    return t ? `: ${t}` : '';
  }
}
