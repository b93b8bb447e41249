import { createHeaderRecordCarrier } from './header-record-carrier';

/**
 * AMQP 0-9-1 message headers (`properties.headers` in amqplib): a field table whose values may be strings,
 * numbers, booleans, Buffers, nested tables, arrays or `null`. The object itself may be absent.
 */
export type AmqpHeaders = Record<string, unknown>;

/**
 * Carries trace context in AMQP message headers. Injected values are strings (AMQP long strings); on
 * extract only string and byte values are read, and any other AMQP type is ignored.
 */
export const amqpHeadersCarrier = createHeaderRecordCarrier<AmqpHeaders>('amqp-headers');
