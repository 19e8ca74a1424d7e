"""A minimal PC/SC client for the virtual-card tests, on pyscard's low-level ``scard`` API."""

from __future__ import annotations

from smartcard import scard


class PcscError(Exception):
    """A PC/SC call failed; ``code`` is the pcsc-lite return code."""

    def __init__(self, call: str, code: int) -> None:
        super().__init__(f"{call}: {scard.SCardGetErrorMessage(code)} ({code & 0xFFFFFFFF:#x})")
        self.code = code


class CardSession:
    """One shared T=1 connection to the card in ``reader``; ``close(disposition)`` ends it."""

    def __init__(self, reader: str) -> None:
        result, self._context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        _check("SCardEstablishContext", result)
        result, self._card, _ = scard.SCardConnect(
            self._context, reader, scard.SCARD_SHARE_SHARED, scard.SCARD_PROTOCOL_T1
        )
        if result != scard.SCARD_S_SUCCESS:
            scard.SCardReleaseContext(self._context)
            raise PcscError("SCardConnect", result)

    def transmit(self, command: bytes | str) -> tuple[bytes, int]:
        """Send one APDU and return (data, status word)."""
        raw = bytes.fromhex(command) if isinstance(command, str) else command
        result, response = scard.SCardTransmit(self._card, scard.SCARD_PCI_T1, list(raw))
        _check("SCardTransmit", result)
        answer = bytes(response)
        return answer[:-2], int.from_bytes(answer[-2:], "big")

    def close(self, disposition: int = scard.SCARD_LEAVE_CARD) -> None:
        """Disconnect (leaving, resetting or unpowering the card) and release the context."""
        scard.SCardDisconnect(self._card, disposition)
        scard.SCardReleaseContext(self._context)

    def __enter__(self) -> CardSession:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _check(call: str, result: int) -> None:
    if result != scard.SCARD_S_SUCCESS:
        raise PcscError(call, result)
