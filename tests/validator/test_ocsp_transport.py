"""HttpOcspTransport against real loopback servers: ``timeout`` bounds the whole exchange.

Each server is a thread of this test on 127.0.0.1 that answers one connection, sending its
answer in pieces with a pause before each; the fixture stops every server it started.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from bitaqa.validator import HttpOcspTransport, OcspCheckFailed

DEADLINE = 1.0
"""The transport timeout the tests use, in seconds."""

BODY = bytes(range(1, 17))
"""What the servers send as the response body (the transport does not parse it)."""

ANSWER = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: application/ocsp-response\r\n"
    b"Content-Length: " + str(len(BODY)).encode() + b"\r\n"
    b"Connection: close\r\n"
    b"\r\n" + BODY
)


class LoopbackServer:
    """Answers one HTTP request on 127.0.0.1 with ``pieces``, waiting ``interval`` before each."""

    def __init__(self, pieces: list[bytes], interval: float) -> None:
        self._pieces = pieces
        self._interval = interval
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """Where the server listens."""
        port = self._listener.getsockname()[1]
        return f"http://127.0.0.1:{port}/ocsp"

    def _serve(self) -> None:
        try:
            connection, _ = self._listener.accept()
        except OSError:  # closed by stop() before a client came
            return
        with connection:
            try:
                connection.recv(65536)
                for piece in self._pieces:
                    if self._stopping.wait(self._interval):
                        return
                    connection.sendall(piece)
            except OSError:  # the client gave up and closed its end
                return

    def stop(self) -> None:
        """Stop sending and close the listener; wait for the thread."""
        self._stopping.set()
        self._listener.close()
        self._thread.join(timeout=5)
        assert not self._thread.is_alive()


ServerFactory = Callable[[list[bytes], float], LoopbackServer]


@pytest.fixture
def loopback_server() -> Iterator[ServerFactory]:
    """Start servers with ``loopback_server(pieces, interval)``; all are stopped at teardown."""
    started: list[LoopbackServer] = []

    def start(pieces: list[bytes], interval: float) -> LoopbackServer:
        server = LoopbackServer(pieces, interval)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def _one_byte_at_a_time(data: bytes) -> list[bytes]:
    return [data[index : index + 1] for index in range(len(data))]


def test_prompt_responder_answer_is_returned(loopback_server: ServerFactory) -> None:
    """A responder that answers at once gets its body returned (the control for the tests below)."""
    server = loopback_server([ANSWER], 0.0)
    assert HttpOcspTransport().post(server.url, b"request", timeout=DEADLINE) == BODY


def test_http_error_status_fails(loopback_server: ServerFactory) -> None:
    """Anything but a 2xx answer is a failed check, not a body to parse."""
    server = loopback_server([b"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n"], 0.0)
    with pytest.raises(OcspCheckFailed, match="HTTP 500"):
        HttpOcspTransport().post(server.url, b"request", timeout=DEADLINE)


@pytest.mark.parametrize(
    "pieces",
    [
        _one_byte_at_a_time(ANSWER),
        [ANSWER[: -len(BODY)], *_one_byte_at_a_time(BODY)],
    ],
    ids=["drips-headers", "drips-body"],
)
def test_dripping_responder_is_cut_off_at_the_deadline(
    loopback_server: ServerFactory, pieces: list[bytes]
) -> None:
    """A responder sending a byte every 0.3 s — well inside any per-read timeout — would take
    several seconds; the transport gives up once ``timeout`` has passed in total."""
    interval = 0.3
    server = loopback_server(pieces, interval)
    assert interval * len(pieces) > 3 * DEADLINE  # the whole answer would take longer
    started = time.monotonic()
    with pytest.raises(OcspCheckFailed, match="TimeoutError"):
        HttpOcspTransport().post(server.url, b"request", timeout=DEADLINE)
    elapsed = time.monotonic() - started
    # A correctness bound, not a benchmark: the deadline plus generous slack for a busy machine.
    assert elapsed < 3 * DEADLINE
