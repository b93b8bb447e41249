/**
 * A header or field named `__proto__` is an ordinary own key as kafkajs and amqplib decode it. Every copy
 * tracebridge makes (copy-on-write inject, `retryMessage`, Redis field copies) keeps it as a data property,
 * and what the client library then sends still holds it. The kafkajs headers here are decoded by kafkajs's
 * own record decoder from bytes its encoder wrote, so they have exactly the shape a consumer receives.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { retryMessage } from '../../../src/kafka/retry-message';
import { amqpHeadersCarrier } from '../../../src/propagation/amqp-headers-carrier';
import { assignOwnFields } from '../../../src/propagation/own-fields';
import { kafkaHeadersCarrier } from '../../../src/propagation/kafka-headers-carrier';
import type { KafkaHeaders } from '../../../src/propagation/kafka-headers-carrier';
import { redisStreamFieldsCarrier } from '../../../src/propagation/redis-stream-fields-carrier';
import { fieldArguments } from '../../../src/redis/stream-fields';
import { setupTracing } from '../../helpers/tracing';
import type { TestTracing } from '../../helpers/tracing';

/* eslint-disable @typescript-eslint/no-require-imports -- kafkajs's record codec has no typed entry point */
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (record: {
  key: Buffer;
  value: Buffer;
  headers: KafkaHeaders;
}) => { buffer: Buffer };
const decodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/decoder') as (
  decoder: unknown,
  batch: object,
) => { headers: KafkaHeaders };
const KafkaDecoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => {
  readVarInt(): number;
};
/* eslint-enable @typescript-eslint/no-require-imports */

const CONTEXT = trace.setSpanContext(ROOT_CONTEXT, {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
});

function withProtoKey<T extends object>(fields: T, value: unknown): T {
  Object.defineProperty(fields, '__proto__', { value, enumerable: true, writable: true, configurable: true });
  return fields;
}

/** Kafka headers as kafkajs's consumer decodes them from the wire. */
function kafkajsRoundTrip(headers: KafkaHeaders): KafkaHeaders {
  const { buffer } = encodeRecord({ key: Buffer.from('k'), value: Buffer.from('v'), headers });
  const decoder = new KafkaDecoder(buffer);
  decoder.readVarInt(); // the record's length
  return decodeRecord(decoder, { firstOffset: '0', firstTimestamp: 0, magicByte: 2 }).headers;
}

function assertKeeps(copy: object, value: unknown): void {
  assert.ok(Object.hasOwn(copy, '__proto__'), 'the copy has an own __proto__ key');
  assert.equal(Object.getOwnPropertyDescriptor(copy, '__proto__')?.value, value);
  assert.equal(Object.getPrototypeOf(copy), Object.prototype, "the copy's prototype is untouched");
}

describe('copies keep a __proto__ header or field', () => {
  let tracing: TestTracing;
  before(() => {
    tracing = setupTracing('w3c');
  });
  after(() => tracing.shutdown());

  it('kafkajs decodes a __proto__ header as an own key (the premise)', () => {
    const received = kafkajsRoundTrip(withProtoKey({ a: Buffer.from('1') }, Buffer.from('p')));
    assert.deepEqual(Object.keys(received), ['a', '__proto__']);
    // kafkajs's decoder finds Object.prototype under obj['__proto__'] and makes the value an array of it
    // and the bytes: a quirk of kafkajs that a copy must carry over as it is, not repair.
    const value = Object.getOwnPropertyDescriptor(received, '__proto__')?.value as unknown[];
    assert.equal(String(value[1]), 'p');
  });

  it('kafka inject: the copy of kafkajs-decoded headers keeps the key and its value as they are', () => {
    const received = kafkajsRoundTrip(withProtoKey({ a: Buffer.from('1') }, Buffer.from('p')));
    const protoValue = Object.getOwnPropertyDescriptor(received, '__proto__')?.value as unknown;
    const injected = kafkaHeadersCarrier.inject(CONTEXT, received);
    assert.notEqual(injected, received);
    assertKeeps(injected as object, protoValue);
    assert.equal(typeof injected?.['traceparent'], 'string');
    assert.deepEqual(Object.keys(injected ?? {}), ['a', '__proto__', 'traceparent']);
  });

  it('kafka inject: headers parsed from JSON keep __proto__, and kafkajs encodes it on the wire', () => {
    const headers = JSON.parse('{"a": "1", "__proto__": "p"}') as KafkaHeaders;
    const injected = kafkaHeadersCarrier.inject(CONTEXT, headers);
    assertKeeps(injected as object, 'p');
    const relayed = kafkajsRoundTrip(injected as KafkaHeaders);
    assert.deepEqual(Object.keys(relayed), ['a', '__proto__', 'traceparent']);
  });

  it('kafka retryMessage: the retried message keeps it, beside the attempt header', () => {
    const headers = kafkajsRoundTrip(withProtoKey({ a: Buffer.from('1') }, Buffer.from('p')));
    const retried = retryMessage(
      { key: null, value: Buffer.from('v'), headers, timestamp: '0', offset: '0' },
      { 'x-reason': 'x' },
    );
    const kept = Object.getOwnPropertyDescriptor(retried.headers, '__proto__')?.value as unknown[];
    // What kafkajs can send again: its decoder's Object.prototype is left out, the bytes are kept.
    assert.deepEqual(kept, [Buffer.from('p')]);
    assert.equal(Object.getPrototypeOf(retried.headers), Object.prototype);
    assert.doesNotThrow(() => kafkajsRoundTrip(retried.headers!), 'kafkajs encodes the retried headers');
    assert.deepEqual(Object.keys(retried.headers ?? {}).sort(), [
      '__proto__',
      'a',
      'tracebridge-attempt',
      'x-reason',
    ]);
    // A __proto__ among the headers the caller adds is kept too.
    const added = retryMessage(
      { key: null, value: null, headers: {}, timestamp: '0', offset: '0' },
      withProtoKey({}, 'from caller'),
    );
    assertKeeps(added.headers as object, 'from caller');
  });

  it('amqp inject: the copy keeps it for amqplib, which encodes the keys for...in yields', () => {
    const table = withProtoKey({ 'x-retries': 3 }, 'p');
    const injected = amqpHeadersCarrier.inject(CONTEXT, table) as Record<string, unknown>;
    assertKeeps(injected, 'p');
    const encoded: string[] = [];
    for (const key in injected) encoded.push(key);
    assert.deepEqual(encoded.sort(), ['__proto__', 'traceparent', 'x-retries']);
  });

  it('redis stream fields: an object of fields keeps it, and XADD gets it as an argument', () => {
    const fields = withProtoKey({ job: 'resize' }, 'p');
    const injected = redisStreamFieldsCarrier.inject(CONTEXT, fields) as Record<string, string>;
    assertKeeps(injected, 'p');
    const args = fieldArguments(injected).map(String);
    assert.equal(args[args.indexOf('__proto__') + 1], 'p');
    assert.ok(args.includes('traceparent'));
  });

  it('assignOwnFields: an object value under __proto__ never becomes the prototype', () => {
    const value = Buffer.from('p');
    const copy = assignOwnFields({}, withProtoKey({ a: 1 }, value));
    assertKeeps(copy, value);
    assert.equal((copy as { length?: unknown }).length, undefined, 'nothing inherited from the Buffer');
  });
});
