"""Card drivers behind one small interface, and the only code that talks to PC/SC.

Modules:

- ``base``: the interface the controller sees (``ApduTransport``, ``CardDriver``, value types).
- ``errors``: the card error tree, one class per wire code.
- ``pcsc``: pyscard (the only importer): connector, transport, blocking status watcher.
- ``monitor``: reader and card events from the watcher's thread into asyncio.
- ``inprocess``: readers and a transport for a card object in the same process (demo, tests).
- ``registry`` and ``piv_family``: which driver a card gets, by ATR then by probing.
- ``piv``, ``piv_identity``: the PIV driver and its data objects; ``certificates``: its cache.
- ``apdu``, ``tlv``, ``padding``, ``trace``: APDU exchange, BER-TLV, signature encodings, the
  redacted APDU trace and counter.
"""
