"""Per-connection coordination: frames in, one answer out per request, nothing else.

The controller only coordinates (STYLE.md, after web-eid-app): it reads a frame with the protocol
core, finds the command object for the method, lets it validate its params *before* anything
touches the card or the resident, runs it as a task, and writes exactly one answer.  It sees the
card layer, the UI and the policy only through the interfaces the commands use.

Theory of operation, per request:

* A frame that cannot be read (bad JSON, over a bound, not JSON-RPC) gets an error response with
  the ``id`` if one could be read, else ``null``.  The connection stays open.
* ``cancel`` is answered at once; the target, if queued or running on this connection, is
  answered REQUEST_CANCELLED first (SPEC.md §6.8) and its id is free again at once.
* Other methods run concurrently, each as a task, up to ``max_requests_in_flight`` per connection
  (LIMIT_EXCEEDED beyond); a second request with an ``id`` still in flight is INVALID_REQUEST.
  ``immediate`` commands (status, listReaders: no card, no dialog) are answered inline.
* When the connection closes, its requests are cancelled (their answers have nowhere to go).
* When a card is withdrawn, every request bound to that insertion ends with CARD_REMOVED.
* Any failure carrying an ErrorCode (agent, card or protocol errors) becomes that error; anything
  else is logged and answered INTERNAL_ERROR with no detail.

Every answer to a request that runs as a task goes out through :meth:`Controller._finish`, which
answers once and frees the id whatever happened to the task: it ran to its end, it was cancelled
while running, or it was cancelled before its coroutine even started (a done-callback covers
that case), so no request is lost, answered twice or left holding its id.  ``hello`` is sent
before any frame of the session is served (SPEC.md §7.1).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from websockets.exceptions import ConnectionClosed

from bitaqa.agent.cards.errors import CardError, CardRemoved
from bitaqa.agent.cardstate import CardEvent, CardEventKind
from bitaqa.agent.commands.base import Command, Invocation
from bitaqa.agent.errors import CARD_REMOVED_CANCEL, AgentError, RequestCancelled
from bitaqa.agent.log import log_event
from bitaqa.protocol.errors import ErrorCode, MessageError, ProtocolError
from bitaqa.protocol.jsonrpc import (
    ErrorObject,
    ErrorResponse,
    Message,
    Notification,
    RequestId,
    Response,
    error_response,
    parse_request,
    serialize,
)
from bitaqa.protocol.limits import Limits
from bitaqa.protocol.methods import CancelParams, cancel_result, parse_params

__all__ = ["Controller", "Session"]

_logger = logging.getLogger("bitaqa.agent.controller")
_WIRE_DATA = ("triesLeft", "retryAfter")


@dataclass(eq=False)
class _Running:
    task: asyncio.Task[None]
    invocation: Invocation
    method: str
    started: float
    reason: BaseException | None = None
    answered: bool = False


@dataclass(eq=False)
class Session:
    """One WebSocket connection: its handshake origin and its requests in flight."""

    origin: str
    send: Callable[[str], Awaitable[None]]
    running: dict[RequestId, _Running] = field(default_factory=dict)
    open: bool = True
    hello: asyncio.Future[None] | None = None


def _error_answer(request_id: RequestId | None, error: BaseException) -> ErrorResponse:
    """The wire answer for a failure; only documented data fields reach the page."""
    if isinstance(error, ProtocolError):
        return error_response(error, request_id)
    if isinstance(error, AgentError):
        code, data = error.code, dict(error.data)
    elif isinstance(error, CardError):
        code, data = error.code, dict(error.wire_data)
    else:
        code, data = ErrorCode.INTERNAL_ERROR, {}
    wire = {key: data[key] for key in _WIRE_DATA if key in data}
    return ErrorResponse(request_id, ErrorObject(code, "", wire))


class Controller:
    """Runs the commands for every session; the server's :class:`SessionHandler`.

    Args:
        commands: method name → command object (``cancel`` is the controller's own).
        limits: the protocol bounds (frame decoding, requests in flight).
        hello: builds the first frame for a session's origin.
    """

    def __init__(
        self,
        commands: Mapping[str, Command],
        limits: Limits,
        hello: Callable[[str], Notification],
    ) -> None:
        self._commands = dict(commands)
        self._limits = limits
        self._hello = hello
        self._sessions: set[Session] = set()
        self._background: set[asyncio.Task[None]] = set()

    # -- sessions -------------------------------------------------------------------------

    def open_session(self, origin: str, send: Callable[[str], Awaitable[None]]) -> Session:
        """Register a connection from ``origin`` and queue its ``hello`` frame."""
        session = Session(origin, send)
        self._sessions.add(session)
        session.hello = self._spawn(self._send(session, self._hello(origin)))
        log_event(_logger, logging.INFO, "connection-opened", origin=origin)
        return session

    def close_session(self, session: object) -> None:
        """The connection closed: cancel everything it still has in flight."""
        assert isinstance(session, Session)
        session.open = False
        self._sessions.discard(session)
        for running in session.running.values():
            running.reason = RequestCancelled("connection closed")
            running.task.cancel()
        log_event(_logger, logging.INFO, "connection-closed", origin=session.origin)

    @property
    def session_count(self) -> int:
        """Open sessions (for status and tests)."""
        return len(self._sessions)

    def _spawn(self, coroutine: Awaitable[None]) -> asyncio.Future[None]:
        task = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def _send(self, session: Session, message: Message) -> None:
        if not session.open:
            return
        with contextlib.suppress(ConnectionClosed):
            await session.send(serialize(message))

    # -- frames ---------------------------------------------------------------------------

    async def receive(self, session: object, frame: str | bytes) -> None:
        """Handle one frame from ``session``; bad input is answered, never raised."""
        assert isinstance(session, Session)
        if session.hello is not None and not session.hello.done():
            await asyncio.shield(session.hello)  # hello is the first frame (SPEC.md §7.1)
        request_id: RequestId | None = None
        try:
            request = parse_request(frame, self._limits)
            request_id = request.id
            params = parse_params(request.method, request.params)
        except MessageError as error:
            log_event(
                _logger, logging.INFO, "frame-refused", origin=session.origin, code=error.code.name
            )
            await self._send(session, error_response(error, request_id))
            return
        if isinstance(params, CancelParams):
            cancelled = await self._cancel(session, params.id)
            await self._send(session, Response(request.id, cancel_result(cancelled=cancelled)))
            return
        if request.id in session.running:
            duplicate = MessageError(ErrorCode.INVALID_REQUEST, "id already in flight")
            await self._send(session, error_response(duplicate, request.id))
            return
        if len(session.running) >= self._limits.max_requests_in_flight:
            too_many = MessageError(ErrorCode.LIMIT_EXCEEDED, "too many requests in flight")
            await self._send(session, error_response(too_many, request.id))
            return
        command = self._commands[request.method]
        invocation = Invocation(origin=session.origin, request_id=request.id, params=params)
        if command.immediate:
            started = time.perf_counter()
            answer = await self._outcome(command, invocation)
            await self._answer(session, answer, request.method, started)
            return
        task = asyncio.get_running_loop().create_task(self._run(session, command, invocation))
        running = _Running(task, invocation, request.method, time.perf_counter())
        session.running[request.id] = running
        task.add_done_callback(lambda _: self._task_done(session, running))

    async def _cancel(self, session: Session, request_id: RequestId) -> bool:
        """Cancel ``request_id``; answer it REQUEST_CANCELLED now, before the cancel's answer."""
        running = session.running.get(request_id)
        if running is None or running.answered:
            return False
        running.reason = RequestCancelled("cancelled by the page")
        running.task.cancel()
        await self._finish(session, running, _error_answer(request_id, running.reason))
        return True

    def _task_done(self, session: Session, running: _Running) -> None:
        """Done-callback: a task that ended without answering (cancelled, maybe before it ever
        started) is answered with its cancel reason.  Without a reason the agent is stopping,
        and a closed connection has no one left to answer.  Either way its id is freed."""
        if running.answered:
            return
        if running.reason is None or not session.open:
            running.answered = True
            self._release(session, running)
            return
        answer = _error_answer(running.invocation.request_id, running.reason)
        self._spawn(self._finish(session, running, answer))

    def _release(self, session: Session, running: _Running) -> None:
        request_id = running.invocation.request_id
        if session.running.get(request_id) is running:
            del session.running[request_id]

    async def _finish(self, session: Session, running: _Running, answer: Message) -> None:
        """Answer ``running`` and free its id, once whatever calls this and how often."""
        if running.answered:
            return
        running.answered = True
        self._release(session, running)
        await self._answer(session, answer, running.method, running.started)

    @staticmethod
    def _own_entry(session: Session, request_id: RequestId) -> _Running | None:
        """The current task's entry (not a later request that reuses the freed id)."""
        running = session.running.get(request_id)
        return running if running is not None and running.task is asyncio.current_task() else None

    async def _run(self, session: Session, command: Command, invocation: Invocation) -> None:
        try:
            answer = await self._outcome(command, invocation)
        except asyncio.CancelledError:
            running = self._own_entry(session, invocation.request_id)
            if running is None or running.reason is None:  # answered already, or agent stopping
                raise
            answer = _error_answer(invocation.request_id, running.reason)
        running = self._own_entry(session, invocation.request_id)
        if running is not None:
            await self._finish(session, running, answer)

    async def _outcome(self, command: Command, invocation: Invocation) -> Message:
        """Run ``command``: its result or its failure as the answer (CancelledError passes)."""
        try:
            return Response(invocation.request_id, await command.run(invocation))
        except (ProtocolError, AgentError, CardError) as error:
            return _error_answer(invocation.request_id, error)
        except Exception:
            _logger.exception("command-failed")
            return _error_answer(invocation.request_id, RuntimeError())

    async def _answer(self, session: Session, answer: Message, method: str, started: float) -> None:
        if _logger.isEnabledFor(logging.INFO):
            outcome = answer.error.code.name if isinstance(answer, ErrorResponse) else "ok"
            log_event(
                _logger,
                logging.INFO,
                "request",
                method=method,
                origin=session.origin,
                outcome=outcome,
                milliseconds=round((time.perf_counter() - started) * 1000, 1),
            )
        await self._send(session, answer)

    # -- card events ----------------------------------------------------------------------

    def card_event(self, event: CardEvent, notification: Notification) -> None:
        """Tell every page about ``event``; on removal fail the requests bound to that card."""
        if event.kind is CardEventKind.CARD_REMOVED:
            for session in self._sessions:
                for running in session.running.values():
                    if running.invocation.is_bound_to(event.reader, event.generation):
                        running.reason = CardRemoved("card removed")
                        running.task.cancel(CARD_REMOVED_CANCEL)
        for session in list(self._sessions):
            self._spawn(self._send(session, notification))

    async def close(self) -> None:
        """Cancel every request and wait for pending sends (agent shutdown)."""
        tasks = [r.task for s in self._sessions for r in s.running.values()]
        for session in list(self._sessions):
            self.close_session(session)
        tasks += list(self._background)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
