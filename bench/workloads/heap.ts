/**
 * A benchmark check, not a timed table: the heap stays flat over a million traced messages. In process,
 * through tracebridge's messaging core as it ships (dist/), AlwaysOn, the shared SDK and globals (see
 * bench-sdk.ts): per message, a PRODUCER `send` span whose context is injected into Redis stream fields,
 * then a CONSUMER `process` span extracted from those fields (as received: Buffers), the handler run in it
 * and the span ended, plus the metrics calls, as every adapter makes them.
 *
 * After each chunk of {@link CHUNK} messages the processor is flushed, a full GC runs, and the heap in use
 * is read. The check fails when the heap after the last chunk exceeds the heap after the first (the warm
 * state: JIT code, caches filled) by more than {@link ALLOWED_GROWTH_BYTES}, i.e. when anything is kept
 * per message (a leak of 2 bytes per message over the rest of a million would show). The spans exported
 * must number two per message, so the check cannot pass by recording nothing.
 */
import type * as Tracebridge from '../../src/index';
import { INSTRUMENTATION_NAME } from '../../src/version';
import { createBenchSdk } from '../bench-sdk';
import { fullCollection } from '../full-collection';
import { loadBuilt } from '../built-package';
import type { BenchOptions } from '../runner';

const CHUNK = 100_000;
const ALLOWED_GROWTH_BYTES = 2 * 1024 * 1024;

export async function check(options: BenchOptions): Promise<string> {
  const messages = options.quick ? 300_000 : 1_000_000;
  const { MessagingTelemetry, redisStreamFieldsCarrier } = loadBuilt<typeof Tracebridge>(
    'index',
    (m) => m.MessagingTelemetry,
  );
  const sdk = createBenchSdk(2 * CHUNK + 1_000);
  const { exporter, provider } = sdk.of('AlwaysOn')!;
  const telemetry = new MessagingTelemetry({ system: 'redis', tracerProvider: provider });
  const destination = 'heap-check';
  let handled = 0;
  const handler = () => {
    handled++;
  };
  const heaps: number[] = [];
  sdk.register();
  try {
    for (let done = 0; done < messages; done += CHUNK) {
      sdk.reset();
      for (let i = 0; i < CHUNK; i++) {
        const send = telemetry.startSend({ destination, operationName: 'send', info: undefined });
        const fields = send.inject(redisStreamFieldsCarrier, ['n', String(i)]) as string[];
        send.end();
        const received = fields.map((f) => Buffer.from(String(f)));
        telemetry.process(
          {
            destination,
            carrier: redisStreamFieldsCarrier,
            headers: received,
            enqueueTimeMs: Date.now(),
            info: undefined,
          },
          handler,
        );
      }
      await provider.forceFlush();
      if (exporter.total !== 2 * CHUNK || exporter.from(INSTRUMENTATION_NAME) !== 2 * CHUNK)
        throw new Error(`heap: ${CHUNK} messages exported ${exporter.total} spans, expected ${2 * CHUNK}`);
      fullCollection();
      heaps.push(process.memoryUsage().heapUsed);
    }
  } finally {
    await sdk.unregister();
    await sdk.shutdown();
  }
  if (handled !== messages) throw new Error(`heap: ${handled} of ${messages} messages handled`);
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);
  const growth = heaps.at(-1)! - heaps[0]!;
  const flat = growth <= ALLOWED_GROWTH_BYTES;
  return [
    `heap: ${messages.toLocaleString('en')} messages through the messaging core (send + process spans, AlwaysOn), heap in use after GC every ${CHUNK.toLocaleString('en')} (MB):`,
    `  ${heaps.map(mb).join(' ')}`,
    `  growth after the first chunk: ${mb(growth)} MB (${(growth / (messages - CHUNK)).toFixed(2)} bytes/message); flat (<= ${mb(ALLOWED_GROWTH_BYTES)} MB): ${flat ? 'MET' : 'UNMET'}`,
  ].join('\n');
}
