/**
 * Types of @bitaqa/client (hand-written; `npm test` type-checks src/ against its JSDoc and this file
 * against test/types.ts).  SPEC.md defines the messages these calls exchange.
 */

export declare const CLIENT_VERSION: string;
export declare const SUBPROTOCOL: 'bitaqa.v1';
export declare const DEFAULT_USER_INTERACTION_TIMEOUT_MS: number;
export declare const EVENT_NAMES: readonly BitaqaEventName[];

export type BitaqaEventName = 'readerAttached' | 'readerDetached' | 'cardInserted' | 'cardRemoved';

export interface Endpoint {
  scheme: 'wss' | 'ws';
  host: string;
  port: number;
  discoveryUrl: string;
  socketUrl: string;
}

export declare function candidateEndpoints(options?: {
  allowPlain?: boolean;
  securePorts?: readonly number[];
  plainPorts?: readonly number[];
  hosts?: readonly string[];
}): Endpoint[];

export interface ClientOptions {
  /** 'ar' or 'en': the language of the agent's dialogs for this page. */
  lang?: string;
  /** Default for every call, in milliseconds (1000 to 600000; default 120000). */
  userInteractionTimeout?: number;
  /** Where to look for the agent (default: the spec's ports, wss first). */
  endpoints?: Endpoint[];
  fetch?: typeof fetch;
  WebSocket?: new (url: string, protocols: string[]) => WebSocket;
}

export interface ActionOptions {
  lang?: string;
  userInteractionTimeout?: number;
  /** The PC/SC reader name to use (default: the agent picks the card). */
  reader?: string;
  /** Aborting it cancels the call (RequestCancelledError). */
  signal?: AbortSignal;
}

/** A `web-eid:1.0` authentication token; send it to the backend unchanged. */
export interface AuthToken {
  unverifiedCertificate: string;
  algorithm: string;
  signature: string;
  format: string;
  appVersion: string;
}

export interface SignatureAlgorithm {
  cryptoAlgorithm: string;
  hashFunction: string;
  paddingScheme: string;
}

export interface SigningCertificate {
  certificate: string;
  supportedSignatureAlgorithms: SignatureAlgorithm[];
}

export interface SignResult {
  signature: string;
  signatureAlgorithm: SignatureAlgorithm;
}

/** Whether an operation could use a card now, and if not, why (SPEC.md §6.1). */
export type CardReadiness = 'ready' | 'pcscUnavailable' | 'noReader' | 'noCard' | 'unknownCard' | 'cardError';

export interface StatusResult {
  clientVersion: string;
  agentVersion: string;
  protocolVersion?: string;
  pcscAvailable?: boolean;
  card?: CardReadiness;
  /** The agent's policy health: reasons only, never local paths. */
  policy?: {
    trustList: { version: number; state: 'ok' | 'fallback' | 'none'; problems: string[] };
    consentStore: 'ok' | 'tampered' | 'unreadable' | 'unavailable';
  };
  [key: string]: unknown;
}

export declare class BitaqaClient extends EventTarget {
  constructor(options?: ClientOptions);
  status(): Promise<StatusResult>;
  listReaders(): Promise<{ readers: unknown[] }>;
  authenticate(challengeNonce: string, options?: ActionOptions & { signedRequest?: string }): Promise<AuthToken>;
  getSigningCertificate(options?: ActionOptions & { signedRequest?: string }): Promise<SigningCertificate>;
  sign(signedRequest: string, options?: ActionOptions): Promise<SignResult>;
  readIdentity(signedRequest: string, options?: ActionOptions): Promise<Record<string, unknown>>;
  /** Find the agent and open the connection now (for example to receive card events). */
  connect(): Promise<unknown>;
  /** Cancel every call in flight. */
  cancel(): void;
  close(): void;
  /** Listen to a card or reader notification; returns a function that stops listening. */
  on(type: BitaqaEventName, listener: (detail: unknown) => void): () => void;
}

export declare function getDefaultClient(): BitaqaClient;
export declare const status: BitaqaClient['status'];
export declare const authenticate: BitaqaClient['authenticate'];
export declare const getSigningCertificate: BitaqaClient['getSigningCertificate'];
export declare const sign: BitaqaClient['sign'];
export declare const readIdentity: BitaqaClient['readIdentity'];
export declare const cancel: BitaqaClient['cancel'];
export declare const on: BitaqaClient['on'];

/** Root of every error the client throws; `code` is a stable name. */
export declare class BitaqaError extends Error {
  constructor(code: string, message: string, details?: { retriable?: boolean; data?: Record<string, unknown> });
  readonly code: string;
  readonly retriable: boolean;
  readonly data: Readonly<Record<string, unknown>>;
}

/** The agent answered with a JSON-RPC error; one subclass per row of protocol/error-codes.json. */
export declare abstract class WireError extends BitaqaError {
  constructor(message?: string, data?: Record<string, unknown>);
  /** The JSON-RPC `error.code`. */
  readonly number: number;
}

export declare function errorFromWire(error: unknown): WireError;
export declare function wireErrorTable(): { code: string; number: number; retriable: boolean }[];

export declare class AgentUnavailableError extends BitaqaError {
  constructor(message?: string);
}
export declare class AgentVersionError extends BitaqaError {
  constructor(message: string, data?: { agentVersion?: string; protocols?: string[] });
}
export declare class LocalNetworkAccessDeniedError extends BitaqaError {
  constructor(message?: string);
}
export declare class ConnectionLostError extends BitaqaError {
  constructor(message?: string);
}

/** PARSE_ERROR (-32700). */
export class ParseError extends WireError {}
/** INVALID_REQUEST (-32600). */
export class InvalidRequestError extends WireError {}
/** METHOD_NOT_FOUND (-32601). */
export class MethodNotFoundError extends WireError {}
/** INVALID_PARAMS (-32602). */
export class InvalidParamsError extends WireError {}
/** INTERNAL_ERROR (-32603). */
export class InternalError extends WireError {}
/** LIMIT_EXCEEDED (-32000). */
export class LimitExceededError extends WireError {}
/** USER_CANCELLED (1001). */
export class UserCancelledError extends WireError {}
/** USER_TIMEOUT (1002). */
export class UserTimeoutError extends WireError {}
/** USER_DENIED (1003). */
export class UserDeniedError extends WireError {}
/** RATE_LIMITED (1004). */
export class RateLimitedError extends WireError {}
/** REQUEST_CANCELLED (1005). */
export class RequestCancelledError extends WireError {}
/** PCSC_UNAVAILABLE (1101). */
export class PcscUnavailableError extends WireError {}
/** NO_READER (1102). */
export class NoReaderError extends WireError {}
/** NO_CARD (1103). */
export class NoCardError extends WireError {}
/** UNKNOWN_CARD (1104). */
export class UnknownCardError extends WireError {}
/** CARD_REMOVED (1105). */
export class CardRemovedError extends WireError {}
/** CARD_ERROR (1106). */
export class CardError extends WireError {}
/** PIN_INCORRECT (1201). */
export class PinIncorrectError extends WireError {}
/** PIN_BLOCKED (1202). */
export class PinBlockedError extends WireError {}
/** CERTIFICATE_MISMATCH (1203). */
export class CertificateMismatchError extends WireError {}
/** OPERATION_NOT_SUPPORTED (1204). */
export class OperationNotSupportedError extends WireError {}
/** ORIGIN_NOT_ALLOWED (1301). */
export class OriginNotAllowedError extends WireError {}
/** SIGNED_REQUEST_REQUIRED (1302). */
export class SignedRequestRequiredError extends WireError {}
/** REQUEST_SIGNATURE_INVALID (1303). */
export class RequestSignatureInvalidError extends WireError {}
/** REQUEST_EXPIRED (1304). */
export class RequestExpiredError extends WireError {}
/** REQUEST_REPLAYED (1305). */
export class RequestReplayedError extends WireError {}
/** BUSY (1401). */
export class BusyError extends WireError {}
