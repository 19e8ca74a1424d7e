"""Bitaqa wire protocol core: sans-I/O parsing, serialisation and verification (see protocol/SPEC.md)."""
