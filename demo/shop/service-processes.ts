/**
 * The runner's side of the service processes: fork the five services (TypeScript through tsx, with the
 * shop configuration in their environment), wait until each says `ready`, ask them to flush their spans,
 * and stop them in an order that lets in-flight work finish. A service that exits early, or does not get
 * ready in time, fails the start with its own output.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { RunnerMessage, ServiceMessage } from './service-process';
import { SERVICE_NAMES, SHOP_CONFIG_ENV } from './shop-config';
import type { ServiceName, ShopConfig } from './shop-config';

const REPO_ROOT = join(__dirname, '..', '..');
const READY_TIMEOUT_MS = 120_000;
const FLUSH_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 30_000;
/** Lines of each service's output kept for error reports. */
const OUTPUT_LINES_KEPT = 40;

/**
 * Callers go first, so a service stops only after everything that could still need it: `receipts` waits
 * for the notifier's reply to the job in hand, the notifier for `orders`' answer.
 */
const STOP_ORDER: readonly ServiceName[] = ['gateway', 'receipts', 'notifier', 'inventory', 'orders'];

export interface ServiceProcessesOptions {
  /** Also print each service's output, prefixed with its name. Default: only on failure. */
  readonly verbose?: boolean;
  /** Extra environment for the services (exporter endpoints). */
  readonly env?: NodeJS.ProcessEnv;
}

class ServiceProcess {
  private readonly output: string[] = [];
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: ServiceName,
    private readonly child: ChildProcess,
    verbose: boolean,
  ) {
    const keep = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue;
        if (verbose) console.log(`[${name}] ${line}`);
        this.output.push(line);
        if (this.output.length > OUTPUT_LINES_KEPT) this.output.shift();
      }
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** The service's last lines of output, for an error message. */
  describe(problem: string): string {
    const tail = this.output.length > 0 ? this.output.map((l) => `  | ${l}`).join('\n') : '  | (no output)';
    return `${this.name} ${problem}; its last output:\n${tail}`;
  }

  /** Resolves at the next message of `type`; rejects if the process exits first or `timeoutMs` passes. */
  awaitMessage(type: ServiceMessage['type'], timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => done(new Error(this.describe(`sent no "${type}" in ${timeoutMs} ms`))),
        timeoutMs,
      );
      const onMessage = (message: ServiceMessage): void => {
        if (message.type === type) done();
      };
      const onExit = (code: number | null): void => done(new Error(this.describe(`exited (code ${code})`)));
      const done = (error?: Error): void => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        if (error) reject(error);
        else resolve();
      };
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
    });
  }

  send(message: RunnerMessage): void {
    if (this.child.connected) this.child.send(message);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    const code = await this.exited;
    clearTimeout(timer);
    if (code !== 0) throw new Error(this.describe(`did not stop cleanly (exit code ${code})`));
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/** The five running services. */
export class ServiceProcesses {
  private constructor(private readonly services: readonly ServiceProcess[]) {}

  /** Forks every service and resolves once all are ready; on any failure the others are killed. */
  static async start(config: ShopConfig, options: ServiceProcessesOptions = {}): Promise<ServiceProcesses> {
    const services = SERVICE_NAMES.map((name) => {
      const child = fork(join(REPO_ROOT, 'demo', 'services', `${name}.ts`), [], {
        cwd: REPO_ROOT, // tsx finds tsconfig.json, whose paths resolve `tracebridge/*` to the sources
        execArgv: ['--import', 'tsx'],
        env: { ...process.env, ...options.env, [SHOP_CONFIG_ENV]: JSON.stringify(config) },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
      return new ServiceProcess(name, child, options.verbose ?? false);
    });
    try {
      await Promise.all(services.map((s) => s.awaitMessage('ready', READY_TIMEOUT_MS)));
    } catch (error) {
      for (const service of services) service.kill();
      throw error;
    }
    return new ServiceProcesses(services);
  }

  /** Has every service export the spans that have ended so far. */
  async flush(): Promise<void> {
    await Promise.all(
      this.services.map((service) => {
        const flushed = service.awaitMessage('flushed', FLUSH_TIMEOUT_MS);
        service.send({ type: 'flush' });
        return flushed;
      }),
    );
  }

  /** Stops the services one by one (callers first); each flushes its spans as it exits. */
  async stop(): Promise<void> {
    const errors: unknown[] = [];
    for (const name of STOP_ORDER) {
      const service = this.services.find((s) => s.name === name)!;
      await service.stop().catch((error: unknown) => errors.push(error));
    }
    if (errors.length > 0) throw new AggregateError(errors, 'some services did not stop cleanly');
  }

  /** Kills every service at once (after a failure). */
  kill(): void {
    for (const service of this.services) service.kill();
  }
}
