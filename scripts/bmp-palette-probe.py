#!/usr/bin/env python3
"""Copies a folder of 8-bit gray indexed BMP files (netpbm's ppmtobmp layout: its palette in its colour hash's order)
with the palette made the identity 0, 1, ... 255, for the probe in docs/results.md: does the model read the palette?
   usage: scripts/bmp-palette-probe.py IN OUT MODE     e.g. ... foreign/netpbm-bmp out/sorted sorted
   MODE 'sorted'   each pixel byte becomes its palette entry's gray: the same image, the same header, the palette
                   now the identity (what a gray palette in order looks like);
   MODE 'identity' the pixel bytes untouched, the palette the identity: another image (each gray replaced by its
                   index), which a model that ignores the palette reads exactly as the original."""
import os
import struct
import sys


def probe(data: bytes, mode: str) -> bytes:
    b = bytearray(data)
    offset, header = struct.unpack_from("<II", b, 10)
    bits = struct.unpack_from("<H", b, 28)[0]
    width, height = struct.unpack_from("<ii", b, 18)
    if b[:2] != b"BM" or bits != 8:
        raise ValueError("not an 8-bit indexed BMP")
    palette_start = 14 + header
    entries = (offset - palette_start) // 4
    gray = [b[palette_start + 4 * i] for i in range(entries)]
    if any(not b[palette_start + 4 * i] == b[palette_start + 4 * i + 1] == b[palette_start + 4 * i + 2] for i in range(entries)):
        raise ValueError("not a gray palette")
    row_bytes = (width + 3) // 4 * 4
    if mode == "sorted":
        for y in range(abs(height)):
            for x in range(width):                      # only the pixels, not the row padding
                i = offset + y * row_bytes + x
                b[i] = gray[b[i]]
    elif mode != "identity":
        raise ValueError(f"unknown mode {mode}")
    for i in range(entries):
        b[palette_start + 4 * i:palette_start + 4 * i + 3] = bytes([i, i, i])
    return bytes(b)


def main() -> None:
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    src, out, mode = sys.argv[1:]
    n = 0
    for root, _, files in os.walk(src):
        for name in files:
            target = os.path.join(out, os.path.relpath(root, src))
            os.makedirs(target, exist_ok=True)
            with open(os.path.join(root, name), "rb") as f:
                data = f.read()
            with open(os.path.join(target, name), "wb") as f:
                f.write(probe(data, mode))
            n += 1
    print(f"wrote {n} files under {out}")


if __name__ == "__main__":
    main()
