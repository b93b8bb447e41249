import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventEmitter } from 'node:events';
import { withMethodOverrides } from '../../../src/core/method-overrides';

class Client extends EventEmitter {
  readonly #secret = 'private state';
  calls = 0;
  reveal(): string {
    this.calls++;
    return this.#secret;
  }
  send(value: string): string {
    return `sent ${value}`;
  }
}

describe('withMethodOverrides', () => {
  it('replaces only the overridden methods; everything else is the original, private fields included', () => {
    const client = new Client();
    const traced = withMethodOverrides(client, { send: (value: string) => `traced ${client.send(value)}` });
    assert.equal(traced.send('x'), 'traced sent x');
    assert.equal(traced.reveal(), 'private state', 'methods run on the original, so #private works');
    assert.equal(client.calls, 1, 'state changes land on the original');
    assert.ok(traced instanceof Client && traced instanceof EventEmitter);
    // eslint-disable-next-line @typescript-eslint/unbound-method -- compares identities, calls nothing
    assert.equal(traced.reveal, traced.reveal, 'bound methods keep a stable identity');
    assert.equal(Object.prototype.hasOwnProperty.call(client, 'send'), false, 'the original is not modified');
  });

  it('events emitted on the original reach listeners added through the stand-in', () => {
    const client = new Client();
    const traced = withMethodOverrides(client, {});
    let heard = '';
    traced.on('drain', (v: string) => (heard = v));
    client.emit('drain', 'yes');
    assert.equal(heard, 'yes');
  });

  it('reads properties at the moment of the read, and sees methods replaced on the original later', () => {
    const client = new Client();
    const traced = withMethodOverrides(client, {});
    client.calls = 5;
    assert.equal(traced.calls, 5);
    client.reveal = () => 'patched later';
    assert.equal(traced.reveal(), 'patched later');
  });
});
