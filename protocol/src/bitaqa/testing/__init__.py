"""Test helpers shipped for our own tests and for portal developers' CI: a test PKI and request builders."""
