/**
 * Errors the client reports.  Every failure is a `BitaqaError`; `error.code` is a stable name.
 *
 * Tree:
 *
 *     BitaqaError                        any failure; `code`, `retriable`, `data`
 *     ├── WireError                      the agent answered with a JSON-RPC error (SPEC.md "Errors")
 *     │   └── one class per row of protocol/error-codes.json (UserCancelledError, NoCardError, ...);
 *     │       `number` is the JSON-RPC code, `code` the row name, `data` e.g. `{triesLeft: 2}`
 *     ├── AgentUnavailableError          no agent answered on any port: not installed or not running
 *     ├── AgentVersionError              an agent answered but does not speak this client's protocol
 *     ├── LocalNetworkAccessDeniedError  the browser's local network access permission is denied
 *     └── ConnectionLostError            the agent closed the connection while a call was pending
 *
 * The wire table below is checked against protocol/error-codes.json by test/errors.test.js.
 * @module
 */

/** Root of every error the client throws. */
export class BitaqaError extends Error {
  /**
   * @param {string} code stable name, e.g. 'AGENT_UNAVAILABLE' or a wire reason such as 'NO_CARD'
   * @param {string} message short English text for developers (not for residents)
   * @param {{retriable?: boolean, data?: Record<string, unknown>}} [details]
   */
  constructor(code, message, details = {}) {
    super(message);
    this.name = new.target.name;
    /** @readonly */
    this.code = code;
    /** @readonly whether the same call may succeed if the resident tries again */
    this.retriable = details.retriable ?? false;
    /** @readonly extra fields from the agent, e.g. `{triesLeft: 2}` or `{retryAfter: 30}` */
    this.data = Object.freeze({ ...(details.data ?? {}) });
  }
}

/** The agent's JSON-RPC error answer; subclasses name each wire code. */
export class WireError extends BitaqaError {
  /**
   * @param {string} [message] the agent's short English message
   * @param {Record<string, unknown>} [data] the error's `data` object (its `reason` is dropped)
   */
  constructor(message, data = {}) {
    const row = WIRE_ROWS.get(new.target);
    if (row === undefined) {
      throw new TypeError('WireError is abstract: use a subclass or errorFromWire()');
    }
    const { reason: _reason, ...rest } = data;
    super(row.code, message || row.code, { retriable: row.retriable, data: rest });
    /** @readonly the JSON-RPC `error.code` */
    this.number = row.number;
  }
}

/** PARSE_ERROR (-32700): The frame is not valid UTF-8 JSON, or uses a construct the codec refuses (NaN, duplicate keys, floats). */
export class ParseError extends WireError {}
/** INVALID_REQUEST (-32600): The JSON is not a JSON-RPC 2.0 request object. */
export class InvalidRequestError extends WireError {}
/** METHOD_NOT_FOUND (-32601): The method is not part of this protocol version. */
export class MethodNotFoundError extends WireError {}
/** INVALID_PARAMS (-32602): The params do not match the method's schema (missing, extra, wrong type, wrong length, unsupported algorithm, hash length not matching the algorithm). */
export class InvalidParamsError extends WireError {}
/** INTERNAL_ERROR (-32603): The agent failed in a way it did not expect. No detail is given to the page; the agent's log has it. */
export class InternalError extends WireError {}
/** LIMIT_EXCEEDED (-32000): A message bound was exceeded: frame size, JSON nesting depth, string length, array length, or requests in flight on this connection. */
export class LimitExceededError extends WireError {}
/** USER_CANCELLED (1001): The user closed the consent or PIN dialog. */
export class UserCancelledError extends WireError {}
/** USER_TIMEOUT (1002): The user did not answer the dialog (or the PIN pad) in time. */
export class UserTimeoutError extends WireError {}
/** USER_DENIED (1003): The user refused this site access to the card (deny, or a remembered deny). */
export class UserDeniedError extends WireError {}
/** RATE_LIMITED (1004): This origin asked for prompts or card operations too often; retry after data.retryAfter seconds. */
export class RateLimitedError extends WireError {}
/** REQUEST_CANCELLED (1005): The request was cancelled by the page (cancel) or its connection closed. */
export class RequestCancelledError extends WireError {}
/** PCSC_UNAVAILABLE (1101): The smart card service (pcscd, WinSCard) is not running or not installed. */
export class PcscUnavailableError extends WireError {}
/** NO_READER (1102): No card reader is connected. */
export class NoReaderError extends WireError {}
/** NO_CARD (1103): No card is in any reader. */
export class NoCardError extends WireError {}
/** UNKNOWN_CARD (1104): A card is present but no driver recognises it. */
export class UnknownCardError extends WireError {}
/** CARD_REMOVED (1105): The card or its reader was removed during the operation. */
export class CardRemovedError extends WireError {}
/** CARD_ERROR (1106): The card answered with an error the agent cannot attribute to the user (communication failure, unexpected status word). */
export class CardError extends WireError {}
/** PIN_INCORRECT (1201): The PIN was wrong; data.triesLeft says how many tries remain. */
export class PinIncorrectError extends WireError {}
/** PIN_BLOCKED (1202): The PIN is blocked; the user must unblock it with the PUK at the issuer. */
export class PinBlockedError extends WireError {}
/** CERTIFICATE_MISMATCH (1203): The certificate named by the signed request is not the one on the card. */
export class CertificateMismatchError extends WireError {}
/** OPERATION_NOT_SUPPORTED (1204): The card has no key, certificate or data for this operation, or does not support the requested algorithm. */
export class OperationNotSupportedError extends WireError {}
/** ORIGIN_NOT_ALLOWED (1301): The origin is not on the trust list, or the trust list does not allow it this operation. */
export class OriginNotAllowedError extends WireError {}
/** SIGNED_REQUEST_REQUIRED (1302): This operation needs a signed request from the portal backend and none was given. */
export class SignedRequestRequiredError extends WireError {}
/** REQUEST_SIGNATURE_INVALID (1303): The signed request is malformed, uses a refused algorithm, names another origin or operation, or its signature does not verify with the key pinned for the origin. */
export class RequestSignatureInvalidError extends WireError {}
/** REQUEST_EXPIRED (1304): The signed request has expired, is not yet valid, or lives longer than the protocol allows. */
export class RequestExpiredError extends WireError {}
/** REQUEST_REPLAYED (1305): The signed request's jti was already used. */
export class RequestReplayedError extends WireError {}
/** BUSY (1401): The queue for the card is full; try again shortly. */
export class BusyError extends WireError {}

/** @typedef {{code: string, number: number, retriable: boolean}} WireRow */

/** @type {ReadonlyArray<[new (message?: string, data?: Record<string, unknown>) => WireError, string, number, boolean]>} */
const TABLE = [
  [ParseError, 'PARSE_ERROR', -32700, false],
  [InvalidRequestError, 'INVALID_REQUEST', -32600, false],
  [MethodNotFoundError, 'METHOD_NOT_FOUND', -32601, false],
  [InvalidParamsError, 'INVALID_PARAMS', -32602, false],
  [InternalError, 'INTERNAL_ERROR', -32603, true],
  [LimitExceededError, 'LIMIT_EXCEEDED', -32000, false],
  [UserCancelledError, 'USER_CANCELLED', 1001, true],
  [UserTimeoutError, 'USER_TIMEOUT', 1002, true],
  [UserDeniedError, 'USER_DENIED', 1003, false],
  [RateLimitedError, 'RATE_LIMITED', 1004, true],
  [RequestCancelledError, 'REQUEST_CANCELLED', 1005, true],
  [PcscUnavailableError, 'PCSC_UNAVAILABLE', 1101, true],
  [NoReaderError, 'NO_READER', 1102, true],
  [NoCardError, 'NO_CARD', 1103, true],
  [UnknownCardError, 'UNKNOWN_CARD', 1104, true],
  [CardRemovedError, 'CARD_REMOVED', 1105, true],
  [CardError, 'CARD_ERROR', 1106, true],
  [PinIncorrectError, 'PIN_INCORRECT', 1201, true],
  [PinBlockedError, 'PIN_BLOCKED', 1202, false],
  [CertificateMismatchError, 'CERTIFICATE_MISMATCH', 1203, false],
  [OperationNotSupportedError, 'OPERATION_NOT_SUPPORTED', 1204, false],
  [OriginNotAllowedError, 'ORIGIN_NOT_ALLOWED', 1301, false],
  [SignedRequestRequiredError, 'SIGNED_REQUEST_REQUIRED', 1302, false],
  [RequestSignatureInvalidError, 'REQUEST_SIGNATURE_INVALID', 1303, false],
  [RequestExpiredError, 'REQUEST_EXPIRED', 1304, false],
  [RequestReplayedError, 'REQUEST_REPLAYED', 1305, false],
  [BusyError, 'BUSY', 1401, true],
];

/** @type {Map<Function, WireRow>} */
const WIRE_ROWS = new Map(TABLE.map(([cls, code, number, retriable]) => [cls, { code, number, retriable }]));
const BY_NUMBER = new Map(TABLE.map(([cls, , number]) => [number, cls]));

/**
 * The wire table as plain rows, in error-codes.json order.
 * @returns {WireRow[]}
 */
export function wireErrorTable() {
  return TABLE.map(([, code, number, retriable]) => ({ code, number, retriable }));
}

/**
 * Turn a JSON-RPC error object into its class; unknown or malformed errors become InternalError.
 * @param {unknown} error the `error` member of a JSON-RPC response
 * @returns {WireError}
 */
export function errorFromWire(error) {
  const object = typeof error === 'object' && error !== null ? /** @type {Record<string, unknown>} */ (error) : {};
  const cls = BY_NUMBER.get(/** @type {number} */ (object.code)) ?? InternalError;
  const message = typeof object.message === 'string' ? object.message : '';
  const data = typeof object.data === 'object' && object.data !== null ? /** @type {Record<string, unknown>} */ (object.data) : {};
  return new cls(message, data);
}

/** No agent answered on any port: it is not installed, not running, or its certificate is not trusted. */
export class AgentUnavailableError extends BitaqaError {
  constructor(message = 'The Bitaqa agent is not installed or not running') {
    super('AGENT_UNAVAILABLE', message, { retriable: true });
  }
}

/** An agent answered but does not speak this client's protocol version (it needs an update). */
export class AgentVersionError extends BitaqaError {
  /**
   * @param {string} message what did not match
   * @param {{agentVersion?: string, protocols?: string[]}} [data]
   */
  constructor(message, data = {}) {
    super('AGENT_VERSION_MISMATCH', message, { data });
  }
}

/** The browser's Local Network Access (loopback) permission for this page is denied. */
export class LocalNetworkAccessDeniedError extends BitaqaError {
  constructor(message = 'The browser does not allow this page to reach the Bitaqa agent') {
    super('LOCAL_NETWORK_ACCESS_DENIED', message);
  }
}

/** The connection to the agent closed while a call was waiting for its answer. */
export class ConnectionLostError extends BitaqaError {
  constructor(message = 'The connection to the Bitaqa agent was lost') {
    super('CONNECTION_LOST', message, { retriable: true });
  }
}
