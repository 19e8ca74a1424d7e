/**
 * JSON-RPC 2.0 over one open WebSocket: ids, pending calls, deadlines, cancel, notifications.
 *
 * Transport-agnostic: it needs only `send`, `close` and `addEventListener` for `message` and
 * `close`, so node tests drive it with a plain object.
 * @module
 */

import { ConnectionLostError, InternalError, RequestCancelledError } from './errors.js';
import { MalformedFrameError, parseAgentFrame } from './messages.js';

/**
 * @typedef {object} SocketLike
 * @property {(data: string) => void} send
 * @property {(code?: number, reason?: string) => void} close
 * @property {(type: string, listener: (event: any) => void) => void} addEventListener
 */

/**
 * @typedef {object} CallOptions
 * @property {number} deadlineMs cancel the call and reject with `timeoutError()` after this long
 * @property {() => Error} timeoutError the error for an expired deadline
 * @property {AbortSignal} [signal] aborting it cancels the call (RequestCancelledError)
 */

/**
 * @typedef {object} Pending
 * @property {(value: unknown) => void} resolve
 * @property {(error: Error) => void} reject
 * @property {() => void} dispose
 */

export class RpcConnection {
  /**
   * @param {SocketLike} socket an open socket whose first frame (hello) was already consumed
   * @param {{onNotification?: (method: string, params: unknown) => void, onClose?: () => void}} [handlers]
   */
  constructor(socket, handlers = {}) {
    this.socket = socket;
    this.handlers = handlers;
    this.nextId = 1;
    this.closed = false;
    /** @type {Map<number, Pending>} */
    this.pending = new Map();
    socket.addEventListener('message', (event) => this.receive(event.data));
    socket.addEventListener('close', () => this.lost());
  }

  /**
   * Send a request and wait for its result.
   * @param {string} method
   * @param {Record<string, unknown>} params
   * @param {CallOptions} options
   * @returns {Promise<unknown>} the `result`; a JSON-RPC error rejects with its error class
   */
  call(method, params, options) {
    if (this.closed) return Promise.reject(new ConnectionLostError());
    if (options.signal?.aborted) return Promise.reject(new RequestCancelledError('The page cancelled the request'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.abandon(id, options.timeoutError()), options.deadlineMs);
      const onAbort = () => this.abandon(id, new RequestCancelledError('The page cancelled the request'));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const dispose = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      this.pending.set(id, { resolve, reject, dispose });
      this.socket.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  }

  /** Cancel every pending call (each rejects with RequestCancelledError). */
  cancelAll() {
    for (const id of [...this.pending.keys()]) {
      this.abandon(id, new RequestCancelledError('The page cancelled the request'));
    }
  }

  /** Close the socket; pending calls reject with ConnectionLostError. */
  close() {
    this.socket.close(1000, 'closed by the page');
    this.lost();
  }

  /**
   * Stop waiting for `id`, tell the agent to stop working on it, and reject it with `error`.
   * @param {number} id
   * @param {Error} error
   */
  abandon(id, error) {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.settle(id, entry, () => entry.reject(error));
    if (!this.closed) {
      // `cancel` is itself a request; its answer and the cancelled request's REQUEST_CANCELLED
      // answer both arrive for ids no longer pending and are ignored.
      this.socket.send(JSON.stringify({ jsonrpc: '2.0', id: this.nextId++, method: 'cancel', params: { id } }));
    }
  }

  /**
   * Handle one frame: settle the call it answers, or pass a notification on.  A malformed
   * frame that still names a pending call's id fails that call with InternalError; any other
   * malformed frame is dropped, as nothing could act on it.
   * @param {unknown} data
   */
  receive(data) {
    let message;
    try {
      message = parseAgentFrame(String(data));
    } catch (error) {
      if (!(error instanceof MalformedFrameError)) throw error;
      this.failMalformed(data);
      return;
    }
    if (message.kind === 'notification') {
      this.handlers.onNotification?.(message.method, message.params);
      return;
    }
    const entry = message.id === null ? undefined : this.pending.get(/** @type {number} */ (message.id));
    if (!entry) return;
    const { id } = /** @type {{id: number}} */ (message);
    if (message.kind === 'error') {
      const { error } = message;
      this.settle(id, entry, () => entry.reject(error));
    } else {
      const { result } = message;
      this.settle(id, entry, () => entry.resolve(result));
    }
  }

  /** @param {unknown} data a frame parseAgentFrame refused */
  failMalformed(data) {
    let id;
    try {
      id = JSON.parse(String(data))?.id;
    } catch {
      return;
    }
    const entry = this.pending.get(id);
    if (entry) this.settle(id, entry, () => entry.reject(new InternalError('The agent sent a malformed answer')));
  }

  /**
   * @param {number} id
   * @param {Pending} entry
   * @param {() => void} outcome
   */
  settle(id, entry, outcome) {
    this.pending.delete(id);
    entry.dispose();
    outcome();
  }

  lost() {
    if (this.closed) return;
    this.closed = true;
    for (const [id, entry] of [...this.pending]) this.settle(id, entry, () => entry.reject(new ConnectionLostError()));
    this.handlers.onClose?.();
  }
}
