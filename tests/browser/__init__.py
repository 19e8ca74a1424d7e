"""Browser end-to-end tests (a package, so the ``chromium`` fixture can be package-scoped)."""
