/**
 * Where the agent listens, and the order in which the client tries (SPEC.md "Discovery").
 *
 * `wss://` first on 27360, 27361, 27362, then plain `ws://` on 27370, 27371, 27372 — each on
 * 127.0.0.1 before [::1].  Plain `ws://` is left out where the browser blocks it from a secure
 * page (Safari treats loopback `ws://` from https as mixed content), so those browsers need the
 * agent's per-install root to be trusted.
 * @module
 */

/** The WebSocket subprotocol of this client's major protocol version. */
export const SUBPROTOCOL = 'bitaqa.v1';

/** The discovery document's path on every agent port. */
export const DISCOVERY_PATH = '/.well-known/bitaqa';

export const SECURE_PORTS = Object.freeze([27360, 27361, 27362]);
export const PLAIN_PORTS = Object.freeze([27370, 27371, 27372]);
export const LOOPBACK_HOSTS = Object.freeze(['127.0.0.1', '[::1]']);

/**
 * @typedef {object} Endpoint
 * @property {'wss' | 'ws'} scheme
 * @property {string} host
 * @property {number} port
 * @property {string} discoveryUrl the https:// or http:// URL of the discovery document
 * @property {string} socketUrl the wss:// or ws:// URL of the WebSocket
 */

/**
 * @param {'wss' | 'ws'} scheme
 * @param {string} host
 * @param {number} port
 * @returns {Endpoint}
 */
export function endpoint(scheme, host, port) {
  const http = scheme === 'wss' ? 'https' : 'http';
  return {
    scheme,
    host,
    port,
    discoveryUrl: `${http}://${host}:${port}${DISCOVERY_PATH}`,
    socketUrl: `${scheme}://${host}:${port}/`,
  };
}

/**
 * The endpoints to try, in order.
 * @param {{allowPlain?: boolean, securePorts?: readonly number[], plainPorts?: readonly number[],
 *          hosts?: readonly string[]}} [options] `allowPlain: false` leaves out `ws://`
 * @returns {Endpoint[]}
 */
export function candidateEndpoints(options = {}) {
  const hosts = options.hosts ?? LOOPBACK_HOSTS;
  /** @type {Endpoint[]} */
  const result = [];
  for (const port of options.securePorts ?? SECURE_PORTS) {
    for (const host of hosts) result.push(endpoint('wss', host, port));
  }
  if (options.allowPlain ?? true) {
    for (const port of options.plainPorts ?? PLAIN_PORTS) {
      for (const host of hosts) result.push(endpoint('ws', host, port));
    }
  }
  return result;
}

/**
 * Whether this browser lets a page open `ws://127.0.0.1` (Chromium and Firefox do; Safari and
 * other WebKit browsers block it as mixed content from https pages).  Based on the user agent,
 * because no feature test can tell without trying.
 * @param {string} userAgent `navigator.userAgent`
 * @returns {boolean}
 */
export function browserAllowsPlainLoopback(userAgent) {
  const webkitOnly = /AppleWebKit/.test(userAgent) && !/(Chrome|Chromium|Edg|Firefox)\//.test(userAgent);
  return !webkitOnly;
}
