// Evictions are reported in aggregate: the first at once, later ones counted and reported with their
// number, so 29,000 evicted deliveries are a few log lines whose counts add up, not 29,000 lines.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import type { DiagLogger } from '@opentelemetry/api';
import { AggregatedWarning } from '../../../src/core/aggregated-warning';
import { MessagingTelemetry } from '../../../src/core/messaging-telemetry';
import { SettleRegistry } from '../../../src/core/settle-registry';
import { amqpHeadersCarrier } from '../../../src/propagation/amqp-headers-carrier';

let warnings: string[];
beforeEach(() => {
  warnings = [];
  // The component logger passes its namespace first, then the message.
  const record = (namespace: string, message?: unknown) => {
    assert.equal(namespace, 'tracebridge');
    warnings.push(String(message));
  };
  const ignore = () => undefined;
  const logger: DiagLogger = { error: ignore, warn: record, info: ignore, debug: ignore, verbose: ignore };
  diag.setLogger(logger, DiagLogLevel.WARN);
});
afterEach(() => diag.disable());

/** How many evictions a warning line reports: 1 for the first line, `N more` for the others. */
function evictionsIn(line: string): number {
  const more = /: (\d+) more spans were ended as evicted/.exec(line);
  if (more !== null) return Number(more[1]);
  assert.match(line, /the oldest span was ended as evicted/);
  return 1;
}

describe('SettleRegistry eviction warnings', () => {
  it('29,000 evictions make a few lines whose counts add up, the rest reported at release', () => {
    // No SDK registered: non-recording spans, so only the registry's own work is measured here.
    const telemetry = new MessagingTelemetry({ system: 'rabbitmq' });
    const registry = new SettleRegistry<number>({ maxPending: 1000 });
    for (let tag = 1; tag <= 30_000; tag++) {
      registry.track(
        tag,
        telemetry.startProcess({
          destination: 'q',
          carrier: amqpHeadersCarrier,
          headers: undefined,
          info: tag,
        }),
      );
    }
    assert.equal(registry.evicted, 29_000);
    const beforeRelease = warnings.filter((line) => line.includes('evicted')).length;
    assert.ok(beforeRelease >= 1, 'the first eviction is reported at once');
    assert.equal(registry.releaseAll({ kind: 'closed' }), 1000);

    const lines = warnings.filter((line) => line.includes('evicted'));
    // One line at the first eviction, at most one per minute of this loop, and one at release.
    assert.ok(lines.length <= beforeRelease + 1, `${lines.length} lines`);
    assert.ok(lines.length < 10, `${lines.length} lines for 29,000 evictions`);
    assert.equal(
      lines.reduce((sum, line) => sum + evictionsIn(line), 0),
      29_000,
    );
    assert.match(lines.at(-1)!, /\(29000 in all\)$/);
    registry.releaseAll({ kind: 'closed' });
    assert.equal(
      warnings.filter((line) => line.includes('evicted')).length,
      lines.length,
      'nothing left to report',
    );
  });
});

describe('AggregatedWarning', () => {
  it('reports the first at once, then counts until the interval has passed, then flushes the rest', () => {
    let now = 0;
    const warning = new AggregatedWarning(
      (count) => `${count} happened`,
      1000,
      () => now,
    );
    warning.record();
    assert.deepEqual(warnings, ['1 happened']);
    for (let i = 0; i < 5; i++) warning.record();
    now = 999;
    warning.record();
    assert.deepEqual(warnings, ['1 happened'], 'counted, not reported, within the interval');
    now = 1000;
    warning.record();
    assert.deepEqual(warnings, ['1 happened', '7 happened']);
    now = 1500;
    warning.record();
    warning.record();
    warning.flush();
    warning.flush();
    assert.deepEqual(warnings, ['1 happened', '7 happened', '2 happened']);
    assert.equal(warning.total, 10);
  });

  it('logs nothing when nothing happened', () => {
    new AggregatedWarning(() => 'never').flush();
    assert.deepEqual(warnings, []);
  });
});
