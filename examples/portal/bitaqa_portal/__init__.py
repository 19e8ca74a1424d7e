"""The Bitaqa example portal: log in with the ID card, sign a PDF with it, read its identity data.

A Flask app meant to be read in one sitting and copied.  Start at :mod:`bitaqa_portal.app`
(the routes), then :mod:`bitaqa_portal.pdfsign` (PAdES signing with the card) and
``static/portal.js`` (the page side, using ``@bitaqa/client``).
"""

__all__: list[str] = []
