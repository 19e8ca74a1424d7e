/**
 * `BitaqaClient`: find the agent, open one WebSocket, and call its methods (SPEC.md "Methods").
 *
 * One client keeps one connection and reopens it on the next call after it closed.  Card and
 * reader notifications are dispatched as events named like the notification (`cardInserted`,
 * `cardRemoved`, `readerAttached`, `readerDetached`) with the params as `event.detail`; they
 * arrive while a connection is open (call `connect()` to open one just for them).
 * @module
 */

import { candidateEndpoints, browserAllowsPlainLoopback, SUBPROTOCOL } from './endpoints.js';
import { classifyFailure, loopbackPermissionState, probe, requireCompatible } from './discovery.js';
import { AgentUnavailableError, AgentVersionError, InvalidParamsError, OriginNotAllowedError, UserTimeoutError } from './errors.js';
import { parseAgentFrame } from './messages.js';
import { RpcConnection } from './rpc.js';
import { callDeadline } from './timeouts.js';

/** This client's version (package.json). */
export const CLIENT_VERSION = '0.1.0';

/** How long the WebSocket handshake and the agent's `hello` may take. */
export const HANDSHAKE_TIMEOUT_MS = 5000;

/** The agent notifications re-dispatched as events. */
export const EVENT_NAMES = Object.freeze(['readerAttached', 'readerDetached', 'cardInserted', 'cardRemoved']);

/**
 * @typedef {object} ClientOptions
 * @property {string} [lang] 'ar' or 'en': the language of the agent's dialogs for this page
 * @property {number} [userInteractionTimeout] default for every call, in milliseconds
 * @property {import('./endpoints.js').Endpoint[]} [endpoints] where to look (default: the spec's ports)
 * @property {typeof fetch} [fetch] for tests and unusual embeddings
 * @property {new (url: string, protocols: string[]) => WebSocket} [WebSocket]
 */

/**
 * @typedef {object} ActionOptions
 * @property {string} [lang] overrides the client's language for this call
 * @property {number} [userInteractionTimeout] milliseconds the resident has to answer (default 120000)
 * @property {string} [reader] the PC/SC reader name to use (default: the agent picks the card)
 * @property {AbortSignal} [signal] aborting it cancels this call
 */

export class BitaqaClient extends EventTarget {
  /** @param {ClientOptions} [options] */
  constructor(options = {}) {
    super();
    this.options = options;
    /** @type {Promise<{rpc: RpcConnection, hello: Record<string, unknown>}> | null} */
    this.connection = null;
  }

  /**
   * The agent's `status` result (`agentVersion`, `protocolVersion`, `pcscAvailable`, `card`,
   * `policy`; SPEC.md §6.1) and this client's version.
   * @returns {Promise<{clientVersion: string, agentVersion: string, [key: string]: unknown}>}
   */
  async status() {
    const result = /** @type {Record<string, unknown>} */ (await this.call('status', {}, {}));
    return { ...result, agentVersion: String(result.agentVersion ?? ''), clientVersion: CLIENT_VERSION };
  }

  /**
   * The readers and the cards in them.
   * @returns {Promise<{readers: unknown[]}>}
   */
  async listReaders() {
    return /** @type {any} */ (await this.call('listReaders', {}, {}));
  }

  /**
   * Log in: the card signs H(origin) || H(challengeNonce); resolves to a `web-eid:1.0` token.
   * @param {string} challengeNonce from the portal backend (44 to 128 base64 characters)
   * @param {ActionOptions & {signedRequest?: string}} [options] `signedRequest` where the trust list requires one
   * @returns {Promise<{unverifiedCertificate: string, algorithm: string, signature: string, format: string, appVersion: string}>}
   */
  async authenticate(challengeNonce, options = {}) {
    if (typeof challengeNonce !== 'string' || challengeNonce.length < 44 || challengeNonce.length > 128) {
      throw new InvalidParamsError('challengeNonce must be a base64 string of 44 to 128 characters');
    }
    const params = { challengeNonce, ...(options.signedRequest ? { signedRequest: requireToken(options.signedRequest) } : {}) };
    return /** @type {any} */ (await this.call('authenticate', params, options));
  }

  /**
   * The signing certificate and the algorithms the card can sign with.
   * @param {ActionOptions & {signedRequest?: string}} [options] `signedRequest` where the trust list requires one
   * @returns {Promise<{certificate: string, supportedSignatureAlgorithms: unknown[]}>}
   */
  async getSigningCertificate(options = {}) {
    const params = options.signedRequest ? { signedRequest: requireToken(options.signedRequest) } : {};
    return /** @type {any} */ (await this.call('getSigningCertificate', params, options));
  }

  /**
   * Sign the hash named inside a signed request made by the portal backend.
   * @param {string} signedRequest compact JWS from the backend (`op: "sign"`)
   * @param {ActionOptions} [options]
   * @returns {Promise<{signature: string, signatureAlgorithm: unknown}>}
   */
  async sign(signedRequest, options = {}) {
    return /** @type {any} */ (await this.call('sign', { signedRequest: requireToken(signedRequest) }, options));
  }

  /**
   * Read the identity fields named inside a signed request made by the portal backend.
   * @param {string} signedRequest compact JWS from the backend (`op: "readIdentity"`)
   * @param {ActionOptions} [options]
   * @returns {Promise<Record<string, unknown>>}
   */
  async readIdentity(signedRequest, options = {}) {
    return /** @type {any} */ (await this.call('readIdentity', { signedRequest: requireToken(signedRequest) }, options));
  }

  /** Cancel every call in flight; each rejects with RequestCancelledError and the agent closes its dialogs. */
  cancel() {
    void this.connection?.then(({ rpc }) => rpc.cancelAll(), () => undefined);
  }

  /** Close the connection; pending calls reject with ConnectionLostError. */
  close() {
    const connection = this.connection;
    this.connection = null;
    void connection?.then(({ rpc }) => rpc.close(), () => undefined);
  }

  /**
   * Listen to an agent notification; returns a function that stops listening.
   * @param {string} type one of EVENT_NAMES
   * @param {(detail: unknown) => void} listener
   * @returns {() => void}
   */
  on(type, listener) {
    /** @param {Event} event */
    const wrapped = (event) => listener(/** @type {CustomEvent} */ (event).detail);
    this.addEventListener(type, wrapped);
    return () => this.removeEventListener(type, wrapped);
  }

  /**
   * Find the agent and open the connection if none is open.
   * @returns {Promise<{rpc: RpcConnection, hello: Record<string, unknown>}>}
   */
  connect() {
    if (!this.connection) {
      const attempt = this.open();
      this.connection = attempt;
      attempt.catch(() => {
        if (this.connection === attempt) this.connection = null;
      });
    }
    return this.connection;
  }

  /**
   * @param {string} method
   * @param {Record<string, unknown>} params
   * @param {ActionOptions} options
   */
  async call(method, params, options) {
    const deadlineMs = callDeadline(method, { userInteractionTimeout: options.userInteractionTimeout ?? this.options.userInteractionTimeout });
    const lang = options.lang ?? this.options.lang;
    if (lang !== undefined && !/^[a-z]{2}$/.test(lang)) throw new InvalidParamsError('lang must be a two-letter ISO 639-1 code');
    const { rpc } = await this.connect();
    const wire = { ...params, ...(options.reader ? { reader: options.reader } : {}), ...(lang ? { lang } : {}) };
    const timeoutError = () => new UserTimeoutError(`No answer to ${method} within ${deadlineMs} ms`);
    return rpc.call(method, wire, { deadlineMs, timeoutError, signal: options.signal });
  }

  async open() {
    const fetchImpl = this.options.fetch ?? globalThis.fetch.bind(globalThis);
    const endpoints = this.options.endpoints ?? candidateEndpoints({ allowPlain: browserAllowsPlainLoopback(globalThis.navigator?.userAgent ?? '') });
    const results = [];
    for (const endpoint of endpoints) {
      const result = await probe(endpoint.discoveryUrl, fetchImpl);
      results.push(result);
      if (result.kind !== 'agent') continue;
      requireCompatible(result.info);
      return this.handshake(endpoint.socketUrl);
    }
    // The Permissions API takes a plain object; its TypeScript type does not know the new names.
    throw classifyFailure(results, await loopbackPermissionState(/** @type {any} */ (globalThis.navigator?.permissions)));
  }

  /**
   * Open the WebSocket and read the agent's `hello`.
   * @param {string} url
   * @returns {Promise<{rpc: RpcConnection, hello: Record<string, unknown>}>}
   */
  handshake(url) {
    const WebSocketImpl = this.options.WebSocket ?? globalThis.WebSocket;
    return new Promise((resolve, reject) => {
      const socket = new WebSocketImpl(url, [SUBPROTOCOL]);
      let settled = false;
      const fail = (/** @type {Error} */ error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.close();
        reject(error);
      };
      const timer = setTimeout(() => fail(new AgentUnavailableError('The Bitaqa agent did not greet in time')), HANDSHAKE_TIMEOUT_MS);
      socket.addEventListener('error', () => fail(new AgentUnavailableError('The Bitaqa agent refused the connection')));
      socket.addEventListener('close', () => fail(new AgentUnavailableError('The Bitaqa agent closed the connection')));
      socket.addEventListener('open', () => {
        if (socket.protocol !== SUBPROTOCOL) fail(new AgentVersionError(`The Bitaqa agent did not accept ${SUBPROTOCOL}`));
      });
      const onHello = (/** @type {MessageEvent} */ event) => {
        socket.removeEventListener('message', onHello);
        const hello = parseHello(event.data);
        if (!hello || (hello.protocol !== undefined && hello.protocol !== SUBPROTOCOL)) {
          return fail(new AgentVersionError(`The Bitaqa agent did not greet with ${SUBPROTOCOL}`));
        }
        // SPEC §3.6: the agent signs and shows the origin it saw; it must be this page's.
        const pageOrigin = globalThis.location?.origin;
        if (typeof hello.origin === 'string' && pageOrigin && hello.origin !== pageOrigin) {
          return fail(new OriginNotAllowedError('The Bitaqa agent saw another origin than this page'));
        }
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const rpc = new RpcConnection(socket, {
          onNotification: (method, params) => {
            if (EVENT_NAMES.includes(method)) this.dispatchEvent(new CustomEvent(method, { detail: params }));
          },
          onClose: () => {
            this.connection = null;
          },
        });
        resolve({ rpc, hello });
      };
      socket.addEventListener('message', onHello);
    });
  }
}

/**
 * The params of the agent's first frame, a `hello` notification, or null.
 * @param {unknown} data
 * @returns {Record<string, unknown> | null}
 */
export function parseHello(data) {
  try {
    const message = parseAgentFrame(String(data));
    return message.kind === 'notification' && message.method === 'hello' ? message.params : null;
  } catch {
    return null; // MalformedFrameError: not a greeting this client can read
  }
}

/**
 * @param {unknown} token
 * @returns {string}
 */
function requireToken(token) {
  if (typeof token !== 'string' || !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) {
    throw new InvalidParamsError('signedRequest must be the compact JWS made by the portal backend');
  }
  return token;
}
