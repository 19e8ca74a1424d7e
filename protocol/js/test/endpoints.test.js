import assert from 'node:assert/strict';
import { test } from 'node:test';

import { browserAllowsPlainLoopback, candidateEndpoints } from '../src/endpoints.js';

test('wss ports come first, then ws ports, each on 127.0.0.1 before [::1]', () => {
  const urls = candidateEndpoints().map((e) => e.socketUrl);
  assert.deepEqual(urls, [
    'wss://127.0.0.1:27360/', 'wss://[::1]:27360/',
    'wss://127.0.0.1:27361/', 'wss://[::1]:27361/',
    'wss://127.0.0.1:27362/', 'wss://[::1]:27362/',
    'ws://127.0.0.1:27370/', 'ws://[::1]:27370/',
    'ws://127.0.0.1:27371/', 'ws://[::1]:27371/',
    'ws://127.0.0.1:27372/', 'ws://[::1]:27372/',
  ]);
});

test('the discovery URL uses https for wss and http for ws on the same port', () => {
  const [secure] = candidateEndpoints();
  const plain = candidateEndpoints().find((e) => e.scheme === 'ws');
  assert.equal(secure.discoveryUrl, 'https://127.0.0.1:27360/.well-known/bitaqa');
  assert.equal(plain?.discoveryUrl, 'http://127.0.0.1:27370/.well-known/bitaqa');
});

test('without plain loopback only wss endpoints remain', () => {
  const endpoints = candidateEndpoints({ allowPlain: false });
  assert.equal(endpoints.length, 6);
  assert.ok(endpoints.every((e) => e.scheme === 'wss'));
});

test('Safari is the browser that cannot use ws://127.0.0.1', () => {
  const safari = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15';
  const chrome = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/147.0.0.0 Safari/537.36';
  const edge = `${chrome} Edg/147.0.0.0`;
  const firefox = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0';
  const iosChrome = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/130.0 Mobile/15E148 Safari/604.1';
  assert.equal(browserAllowsPlainLoopback(safari), false);
  assert.equal(browserAllowsPlainLoopback(iosChrome), false);
  assert.equal(browserAllowsPlainLoopback(chrome), true);
  assert.equal(browserAllowsPlainLoopback(edge), true);
  assert.equal(browserAllowsPlainLoopback(firefox), true);
});
