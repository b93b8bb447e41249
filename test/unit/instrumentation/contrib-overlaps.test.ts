/**
 * The configuration helper for the real `getNodeAutoInstrumentations`, and the removal of shimmer patches
 * (what every contrib instrumentation's `_wrap` leaves) under and over tracebridge's own.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getNodeAutoInstrumentations } from '@opentelemetry/auto-instrumentations-node';
import { InstrumentationBase } from '@opentelemetry/instrumentation';
import {
  OVERLAPPING_CONTRIB_INSTRUMENTATIONS,
  autoInstrumentationsWithoutOverlaps,
} from 'tracebridge/instrumentation';
import { patchMethod, removeShimmerWrappers, unpatchMethod } from '../../../src/instrumentation/method-patch';

/** An instrumentation whose only use is `_wrap`, exactly as contrib instrumentations patch. */
class ShimmerUser extends InstrumentationBase {
  constructor() {
    super('shimmer-user', '0.0.0', { enabled: false });
  }
  protected override init(): [] {
    return [];
  }
  wrap(target: object, name: string): void {
    this._wrap(target as Record<string, () => string>, name, (original) => () => `contrib(${original()})`);
  }
}

class Library {
  make(): string {
    return 'made';
  }
}

describe('overlaps with the contrib instrumentations', () => {
  it('autoInstrumentationsWithoutOverlaps() leaves the real auto-instrumentations without kafkajs, amqplib and grpc', () => {
    const all = getNodeAutoInstrumentations();
    const without = getNodeAutoInstrumentations(
      autoInstrumentationsWithoutOverlaps({ '@opentelemetry/instrumentation-fs': { enabled: true } }),
    );
    try {
      const names = (list: typeof all) => list.map((i) => i.instrumentationName);
      for (const name of OVERLAPPING_CONTRIB_INSTRUMENTATIONS) {
        assert.ok(names(all).includes(name), `${name} is on by default`);
        assert.ok(!names(without).includes(name), `${name} is off`);
      }
      assert.ok(
        names(without).includes('@opentelemetry/instrumentation-fs'),
        'the rest of the config is kept',
      );
      assert.equal(names(without).length, names(all).length - 3 + 1);
    } finally {
      for (const instrumentation of [...all, ...without]) instrumentation.disable();
    }
  });

  it('does not modify the configuration it is given', () => {
    const config = { '@opentelemetry/instrumentation-kafkajs': { enabled: true } };
    const result = autoInstrumentationsWithoutOverlaps(config);
    assert.deepEqual(config, { '@opentelemetry/instrumentation-kafkajs': { enabled: true } });
    assert.deepEqual(result['@opentelemetry/instrumentation-kafkajs'], { enabled: false });
  });

  it('removes a contrib patch made before tracebridge’s, and one made over it', () => {
    const contrib = new ShimmerUser();
    const prototype = Library.prototype as unknown as Record<string, () => string>;
    contrib.wrap(prototype, 'make');
    patchMethod(
      prototype,
      'make',
      (original) =>
        function make(this: unknown) {
          return `tracebridge(${String(original.call(this))})`;
        },
      true,
    );
    assert.equal(new Library().make(), 'tracebridge(made)', 'the patch below was taken off');
    contrib.wrap(prototype, 'make');
    assert.equal(
      new Library().make(),
      'contrib(tracebridge(made))',
      'InstrumentationBase kept tracebridge’s patch',
    );
    assert.equal(removeShimmerWrappers(prototype, 'make'), true);
    assert.equal(new Library().make(), 'tracebridge(made)', 'the patch on top was taken off');
    unpatchMethod(prototype, 'make');
    assert.equal(new Library().make(), 'made');
    assert.equal(removeShimmerWrappers(prototype, 'make'), false, 'nothing left to remove');
  });
});
