"""What kind of recording a file is, decided from its own first bytes (never from its name or the browser's
content type): the audio and video containers phones and recorders produce."""
from __future__ import annotations

HEADER_BYTES = 64  # enough to tell every type below


def media_type(head: bytes) -> str | None:
    """The media type of a file starting with `head`, or None if it is not audio or video we accept."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"M4A ", b"M4B "):
            return "audio/mp4"
        if brand == b"qt  ":
            return "video/quicktime"
        if brand.startswith(b"3g"):
            return "video/3gpp"
        return "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm" if b"webm" in head[:HEADER_BYTES] else "video/x-matroska"
    if len(head) >= 12 and head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"#!AMR"):
        return "audio/amr"
    if head.startswith(b"ID3"):
        return "audio/mpeg"
    if len(head) >= 2 and head[0] == 0xFF and head[1] in (0xF1, 0xF9):
        return "audio/aac"
    if len(head) >= 4 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06 != 0 \
            and head[2] & 0xF0 not in (0x00, 0xF0):
        return "audio/mpeg"  # an MPEG audio frame header without an ID3 tag: layer set, a real bitrate
    return None


EXTENSION = {"audio/mp4": "m4a", "video/quicktime": "mov", "video/3gpp": "3gp", "video/mp4": "mp4",
             "video/webm": "webm", "video/x-matroska": "mkv", "audio/wav": "wav", "audio/ogg": "ogg",
             "audio/amr": "amr", "audio/mpeg": "mp3", "audio/aac": "aac"}
