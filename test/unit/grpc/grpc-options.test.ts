// The interceptors' options: every documented option is accepted, anything else is refused at setup with
// the closest valid name, and `incoming` belongs to the server alone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TracebridgeConfigError, TracebridgeErrorCode } from '../../../src/core/errors';
import { grpcClientInterceptor, grpcServerInterceptor } from '../../../src/grpc/index';

function refused(make: () => unknown, message: RegExp): void {
  assert.throws(
    make,
    (error: unknown) =>
      error instanceof TracebridgeConfigError &&
      error.code === TracebridgeErrorCode.InvalidOption &&
      message.test(error.message),
  );
}

describe('gRPC interceptor options', () => {
  it('refuse an unknown option, naming the closest valid one', () => {
    refused(
      () => grpcClientInterceptor({ ignoreMethod: ['x'] } as never),
      /^grpcClientInterceptor: unknown option `ignoreMethod`; did you mean `ignoreMethods`\?$/,
    );
    refused(
      () => grpcServerInterceptor({ metadata: ['x-tenant'] } as never),
      /^grpcServerInterceptor: unknown option `metadata`; did you mean `metadataAttributes`\?$/,
    );
    refused(() => grpcClientInterceptor({ incoming: 'link' } as never), /unknown option `incoming`/);
  });

  it('accept every documented option, and check their types', () => {
    const all = {
      tracerProvider: undefined,
      meterProvider: undefined,
      ignoreMethods: ['grpc.health.v1.Health'],
      metadataAttributes: ['x-tenant'],
      messageEvents: true,
      requestHook: () => undefined,
      responseHook: () => undefined,
    };
    grpcClientInterceptor(all);
    grpcServerInterceptor({ ...all, incoming: { default: 'link' } });
    refused(() => grpcClientInterceptor({ metadataAttributes: 'x-tenant' } as never), /must be an array/);
  });
});
