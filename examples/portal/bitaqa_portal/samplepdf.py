"""A one-page PDF to sign when the user brings none."""

from __future__ import annotations

from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter

__all__ = ["sample_pdf"]

_A4 = (0, 0, 595, 842)
_LINES = (
    "Bitaqa example portal",
    "Application for a residence permit renewal",
    "I confirm that the information I gave is true.",
)


def sample_pdf() -> bytes:
    """Return a small valid PDF with a few lines of text in Helvetica."""
    text = " ".join(
        f"BT /F1 {18 if index == 0 else 12} Tf 72 {760 - 40 * index} Td ({line}) Tj ET"
        for index, line in enumerate(_LINES)
    )
    writer = PdfFileWriter()
    font = generic.DictionaryObject(
        {
            generic.pdf_name("/Type"): generic.pdf_name("/Font"),
            generic.pdf_name("/Subtype"): generic.pdf_name("/Type1"),
            generic.pdf_name("/BaseFont"): generic.pdf_name("/Helvetica"),
        }
    )
    resources = generic.DictionaryObject(
        {generic.pdf_name("/Font"): generic.DictionaryObject({generic.pdf_name("/F1"): font})}
    )
    contents = writer.add_object(generic.StreamObject(stream_data=text.encode("ascii")))
    writer.insert_page(PageObject(contents, _A4, resources))
    output = BytesIO()
    writer.write(output)
    return output.getvalue()
