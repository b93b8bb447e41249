/**
 * Not a test: a file the suite's type check compiles, so every entry point's published declarations are
 * checked against the line's `@opentelemetry/api` (and `@opentelemetry/instrumentation`) types, including
 * the entry points the tests do not load.
 */
import * as root from 'tracebridge';
import * as amqp from 'tracebridge/amqp';
import * as bullmq from 'tracebridge/bullmq';
import * as cli from 'tracebridge/cli';
import * as grpc from 'tracebridge/grpc';
import * as instrumentation from 'tracebridge/instrumentation';
import * as kafka from 'tracebridge/kafka';
import * as redis from 'tracebridge/redis';
import * as testing from 'tracebridge/testing';

export const entryPoints = { root, amqp, bullmq, cli, grpc, instrumentation, kafka, redis, testing };
