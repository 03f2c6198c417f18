"""Small real media files made in pure Python: PNG pictures, GIF animations, WAV tones."""

from __future__ import annotations

import io
import math
import struct
import wave
import zlib


def diagonal_gradient_png(width: int, height: int, start: bytes, end: bytes) -> bytes:
    """A PNG shading from ``start`` (top left) to ``end`` (bottom right) RGB colours.

    Each row is a window onto one precomputed line, so it costs microseconds.
    """
    span = width + height
    line = b"".join(bytes(int(start[i] + (end[i] - start[i]) * k / span) for i in range(3))
                    for k in range(span))
    raw = b"".join(b"\x00" + line[y * 3:(y + width) * 3] for y in range(height))
    return _png(width, height, raw)


def _png(width: int, height: int, raw: bytes) -> bytes:

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


def gif(width: int, height: int, palette: list[tuple[int, int, int]], frames: list[list[int]],
        delay_cs: int = 20) -> bytes:
    """A looping GIF animation; each frame lists width*height indexes into ``palette``.

    The image data is written as uncompressed LZW: 8-bit codes with a clear code every
    126 pixels, so the code width never grows — valid for every GIF decoder.
    """
    palette = (palette + [(0, 0, 0)] * 128)[:128]
    out = io.BytesIO()
    out.write(b"GIF89a" + struct.pack("<HHBBB", width, height, 0xF6, 0, 0))
    out.write(b"".join(bytes(c) for c in palette))
    out.write(b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00")  # loop forever
    for frame in frames:
        out.write(b"\x21\xf9\x04\x00" + struct.pack("<H", delay_cs) + b"\x00\x00")
        out.write(b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0))
        codes = bytearray()
        for start in range(0, len(frame), 126):
            codes.append(128)  # clear
            codes.extend(p & 0x7F for p in frame[start:start + 126])
        codes.append(129)  # end of information
        out.write(b"\x07")  # minimum code size: 7 bits, so codes are 8 bits wide
        for start in range(0, len(codes), 255):
            block = codes[start:start + 255]
            out.write(bytes([len(block)]) + bytes(block))
        out.write(b"\x00")
    out.write(b"\x3b")
    return out.getvalue()


def wav(frequency: float, seconds: float = 1.0, rate: int = 8000) -> bytes:
    """A mono 16-bit WAV tone with a soft fade in and out."""
    count = int(seconds * rate)
    samples = bytearray()
    for i in range(count):
        fade = min(1.0, i / (rate * 0.05), (count - i) / (rate * 0.05))
        value = int(12000 * fade * math.sin(2 * math.pi * frequency * i / rate))
        samples += struct.pack("<h", value)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(samples))
    return buffer.getvalue()
