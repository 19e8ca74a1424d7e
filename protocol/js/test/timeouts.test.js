import assert from 'node:assert/strict';
import { test } from 'node:test';

import { InvalidParamsError } from '../src/errors.js';
import { AGENT_MARGIN_MS, AGENT_RESPONSE_TIMEOUT_MS, callDeadline, userInteractionTimeout } from '../src/timeouts.js';

test('dialog methods wait 5 s plus two user interaction timeouts (SPEC §8.4)', () => {
  assert.equal(AGENT_MARGIN_MS, 5000);
  for (const method of ['authenticate', 'getSigningCertificate', 'sign', 'readIdentity', 'getCertificates']) {
    assert.equal(callDeadline(method), 5000 + 2 * 120_000);
    assert.equal(callDeadline(method, { userInteractionTimeout: 5000 }), 5000 + 2 * 5000);
  }
});

test('methods without a dialog wait the short response timeout whatever the option says', () => {
  assert.equal(callDeadline('status', { userInteractionTimeout: 300_000 }), AGENT_RESPONSE_TIMEOUT_MS);
  assert.equal(callDeadline('listReaders'), AGENT_RESPONSE_TIMEOUT_MS);
});

test('a user interaction timeout outside 1 s to 10 min or not an integer is refused', () => {
  for (const bad of [0, 999, 600_001, 1.5, '5000', Number.NaN, null]) {
    assert.throws(() => userInteractionTimeout(bad), InvalidParamsError, String(bad));
  }
  assert.equal(userInteractionTimeout(1000), 1000);
  assert.equal(userInteractionTimeout(600_000), 600_000);
});
