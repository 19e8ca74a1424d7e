"""Data-object helpers: the JPEG frame-size reader used for the Facial Image header."""

from __future__ import annotations

import dataclasses
import io

import pytest
from PIL import Image

from bitaqa.vcard.objects import jpeg_size
from bitaqa.vcard.profile import ProfileError


@pytest.mark.parametrize("progressive", [False, True])
@pytest.mark.parametrize("size", [(1, 1), (90, 120), (640, 17)])
def test_jpeg_size_reads_the_frame_header(size, progressive):
    """Width and height come from the SOF segment of baseline and progressive JPEGs."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 20, 30)).save(buffer, "JPEG", progressive=progressive)
    assert jpeg_size(buffer.getvalue()) == size


@pytest.mark.parametrize("data", [b"", b"GIF89a", b"\xff\xd8\xff\xe0\x00\x10JFIF", b"\xff\xd8\x00"])
def test_jpeg_size_refuses_what_is_not_a_complete_jpeg(data):
    """Non-JPEG data or a JPEG without a frame header raises ValueError."""
    with pytest.raises(ValueError, match="JPEG"):
        jpeg_size(data)


def test_a_profile_with_a_broken_photo_is_refused(ecc_profile):
    """Loading a profile checks its photo, so the card never builds a broken Facial Image."""
    with pytest.raises(ProfileError, match="photo"):
        dataclasses.replace(ecc_profile, photo_jpeg=b"\xff\xd8not a jpeg")
