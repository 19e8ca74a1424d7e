"""The virtual card: a PIV card (NIST SP 800-73-4) emulated in Python for tests, demos and CI.

Modules, one job each:

* ``card``: ``VirtualPivCard``, the applet as a pure object (``atr``, ``process_apdu``,
  ``power_on``, ``reset``, ``counters``); no I/O, so the agent can run it in-process.
* ``apdu``, ``tlv``: command APDU parsing and BER-TLV; ``pin``: PIN/PUK retry counters;
  ``keys``: RSA (raw, CRT), ECDSA and ECDH; ``objects``: the PIV data objects;
  ``security_object``: the issuer-signed hash list (format documented there).
* ``profile``: the card profile JSON format; ``factory``: the test PKI and standard profiles.
* ``vpcd``: the TCP transport to pcscd's vpcd driver; ``control``: the Unix control socket.
* ``command`` (``bitaqa vcard``) and ``pki_command`` (``bitaqa pki``): the command-line entries.
"""
