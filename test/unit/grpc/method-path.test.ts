import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isErrorStatus } from '../../../src/grpc/grpc-status';
import { parseMethodPath } from '../../../src/grpc/method-path';

describe('parseMethodPath', () => {
  it('splits /package.Service/Method into the conventions’ service, method and span name', () => {
    assert.deepEqual(parseMethodPath('/shop.v1.Orders/PlaceOrder'), {
      service: 'shop.v1.Orders',
      method: 'PlaceOrder',
      spanName: 'shop.v1.Orders/PlaceOrder',
    });
    assert.equal(parseMethodPath('grpc.health.v1.Health/Check').service, 'grpc.health.v1.Health');
  });

  it('never throws on a path of another shape', () => {
    for (const path of ['', '/', 'noslash', '/trailing/', '//Method']) {
      const name = parseMethodPath(path);
      assert.equal(typeof name.spanName, 'string');
      assert.ok(name.service.length > 0);
    }
    assert.equal(parseMethodPath('/trailing/').method, 'unknown');
  });
});

describe('isErrorStatus', () => {
  it('client: every non-OK status is an error', () => {
    assert.equal(isErrorStatus(0, 'client'), false);
    for (let code = 1; code <= 16; code++) assert.equal(isErrorStatus(code, 'client'), true, `code ${code}`);
  });

  it('server: only UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS', () => {
    const errors = Array.from({ length: 17 }, (_, code) => code).filter((code) =>
      isErrorStatus(code, 'server'),
    );
    assert.deepEqual(errors, [2, 4, 12, 13, 14, 15]);
  });
});
