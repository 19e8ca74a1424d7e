"""Bitaqa wire protocol core: sans-I/O parsing, serialisation, verification (SPEC.md).

Modules, each with one job: ``errors`` (the error table and exception tree), ``limits`` (message
bounds), ``codec`` (bounded JSON), ``jsonrpc`` (envelopes), ``methods`` (params, results,
notifications), ``origin`` (origin normal form), ``authtoken``, ``signed_request`` and
``trustlist`` (the security documents).  Nothing here does I/O, reads the clock or draws random
numbers: those are arguments.
"""

__all__: list[str] = []
