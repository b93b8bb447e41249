/**
 * The Java peer of the mixed-fleet tests: test/interop/java's program (kafka-clients, amqp-client,
 * grpc-java, no tracing code of its own) in one JVM with the OpenTelemetry Java agent attached, built by
 * scripts/java-peer.mjs when missing. The test drives it one command per stdin line and reads the agent's
 * spans back from its `logging-otlp` exporter (one OTLP JSON `ResourceSpans` per log line on stderr),
 * through tracebridge/cli's own OTLP reader. Java or Maven missing, a failed build, a JVM that exits early:
 * each fails the test with the reason, never skips it.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseOtlpJson } from '../../src/cli/parse-otlp-json';
import type { TraceSpan } from '../../src/cli/trace-span';

const ROOT = join(__dirname, '..', '..');
const JAVA = process.env['JAVA_HOME'] ? join(process.env['JAVA_HOME'], 'bin', 'java') : 'java';
const REPLY_PREFIX = 'tracebridge-peer ';
const SPANS_MARKER = 'OtlpJsonLoggingSpanExporter - ';
const STARTUP_MS = 60_000;
const COMMAND_MS = 45_000;
const STDERR_TAIL_LINES = 30;

/** Where scripts/java-peer.mjs put the build. */
interface PeerBuild {
  readonly agent: string;
  readonly classpath: string;
  readonly mainClass: string;
}

/** How the agent is configured for one JVM. */
export interface JavaPeerOptions {
  /** The agent's `otel.propagators`: `tracecontext,baggage` (its default) or `b3multi`. */
  readonly propagators: 'tracecontext,baggage' | 'b3multi';
  /** Sets `otel.semconv-stability.opt-in=messaging` (default: not set, the agent's older names). */
  readonly semconvMessaging?: boolean;
}

/** A running Java peer. */
export interface JavaPeer {
  /** The port its gRPC server (`tracebridge.interop.Echo/Say`, unary echo) listens on, on 127.0.0.1. */
  readonly grpcPort: number;
  /** Runs one command (see JavaPeer.java) and resolves with its answer; fails when the peer reports an error. */
  command(line: string): Promise<string>;
  /** Waits until the agent has exported a span matching `match`, and returns it (the only one). */
  span(what: string, match: (span: TraceSpan) => boolean): Promise<TraceSpan>;
  /** Every span the agent exported so far. */
  spans(): readonly TraceSpan[];
  /** Asks the peer to quit and waits for the JVM to exit. */
  close(): Promise<void>;
}

/** Builds the peer if needed (the first build downloads from Maven Central) and returns where it is. */
export function buildJavaPeer(): PeerBuild {
  const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'java-peer.mjs')], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    assert.fail(
      `scripts/java-peer.mjs failed (exit ${String(result.status)}):\n${result.stderr}${result.error?.message ?? ''}`,
    );
  }
  const lines = result.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as PeerBuild;
}

/** Starts the JVM and waits until it serves gRPC. */
export async function startJavaPeer(options: JavaPeerOptions): Promise<JavaPeer> {
  const build = buildJavaPeer();
  const properties = [
    `-Dotel.propagators=${options.propagators}`,
    '-Dotel.service.name=java-peer',
    '-Dotel.traces.exporter=logging-otlp',
    '-Dotel.metrics.exporter=none',
    '-Dotel.logs.exporter=none',
    '-Dotel.bsp.schedule.delay=100',
    ...(options.semconvMessaging === true ? ['-Dotel.semconv-stability.opt-in=messaging'] : []),
  ];
  const child: ChildProcessWithoutNullStreams = spawn(
    JAVA,
    [
      `-javaagent:${build.agent}`,
      ...properties,
      '-Xmx256m',
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      '-cp',
      build.classpath,
      build.mainClass,
    ],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
  );

  const spans: TraceSpan[] = [];
  // Failed in `span`, not in the stream's listener, where a throw would take the whole test process down.
  const problems: string[] = [];
  const stderrTail: string[] = [];
  const replies: string[] = [];
  let waiting: ((line: string | undefined) => void) | undefined;
  let exited: string | undefined;

  createInterface({ input: child.stderr }).on('line', (line) => {
    const at = line.indexOf(SPANS_MARKER);
    if (at < 0) {
      stderrTail.push(line);
      if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
      return;
    }
    // The exporter logs one ResourceSpans per line; the reader takes export requests.
    const parsed = parseOtlpJson(`{"resourceSpans":[${line.slice(at + SPANS_MARKER.length)}]}`);
    problems.push(...parsed.problems.map((p) => JSON.stringify(p)));
    spans.push(...parsed.spans);
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (!line.startsWith(REPLY_PREFIX)) return;
    const reply = line.slice(REPLY_PREFIX.length);
    if (waiting === undefined) replies.push(reply);
    else waiting(reply);
  });
  const exit = new Promise<void>((resolve) => {
    child.on('error', (error) => {
      exited = `could not start ${JAVA}: ${error.message}`;
      waiting?.(undefined);
      resolve();
    });
    child.on('exit', (code, signal) => {
      exited = `the JVM exited (code ${String(code)}, signal ${String(signal)})`;
      waiting?.(undefined);
      resolve();
    });
  });

  const describeExit = (): string =>
    `${exited ?? 'no answer'}; its last stderr lines:\n${stderrTail.join('\n')}`;

  function nextReply(what: string, ms: number): Promise<string> {
    const queued = replies.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (exited !== undefined) return Promise.reject(new Error(`java peer, ${what}: ${describeExit()}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting = undefined;
        reject(new Error(`java peer, ${what}: no answer within ${ms} ms; ${describeExit()}`));
      }, ms);
      waiting = (line) => {
        clearTimeout(timer);
        waiting = undefined;
        if (line === undefined) reject(new Error(`java peer, ${what}: ${describeExit()}`));
        else resolve(line);
      };
    });
  }

  const ready = await nextReply('starting', STARTUP_MS);
  const match = /^ready (\d+)$/.exec(ready);
  assert.ok(match, `java peer: unexpected first line ${JSON.stringify(ready)}`);

  return {
    grpcPort: Number(match[1]),
    async command(line) {
      child.stdin.write(`${line}\n`);
      const reply = await nextReply(line, COMMAND_MS);
      assert.ok(reply.startsWith('ok '), `java peer, ${line}: ${reply}`);
      return reply.slice('ok '.length);
    },
    async span(what, matches) {
      const deadline = Date.now() + COMMAND_MS;
      for (;;) {
        assert.deepEqual(problems, [], 'the agent’s OTLP JSON reads without problems');
        const found = spans.filter(matches);
        assert.ok(found.length <= 1, `java peer: expected one ${what}, found ${found.length}`);
        if (found.length === 1) return found[0]!;
        if (Date.now() > deadline || exited !== undefined) {
          const seen = spans.map((s) => `${s.kind} ${s.name} ${s.traceId}`).join('\n  ');
          assert.fail(`java peer: no ${what} exported; the agent exported:\n  ${seen}\n${describeExit()}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    spans: () => spans,
    async close() {
      if (exited === undefined) child.stdin.end('quit\n');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(killer);
    },
  };
}
