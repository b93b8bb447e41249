// The expectations of assertConnectedTrace: a misspelt one is refused with the closest valid name, so a
// typo never makes a check silently pass.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TracebridgeConfigError, TracebridgeErrorCode } from '../../../src/core/errors';
import { describeTraceProblems } from '../../../src/testing';
import type { ConnectedTraceExpectations } from '../../../src/testing';

describe('trace expectations', () => {
  it('refuse an unknown expectation, naming the closest valid one', () => {
    assert.throws(
      () => describeTraceProblems([], { noError: true } as ConnectedTraceExpectations),
      (error: unknown) =>
        error instanceof TracebridgeConfigError &&
        error.code === TracebridgeErrorCode.InvalidOption &&
        error.message === 'describeTraceProblems: unknown option `noError`; did you mean `noErrors`?',
    );
  });
});
