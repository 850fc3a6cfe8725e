#!/usr/bin/env python3
"""Copies a folder of PNG files without the chunks of the given types (the pixels are unchanged: only ancillary
chunks may be named). For the ablation in docs/results.md: which of a foreign program's chunks cost accuracy.
   usage: scripts/strip-png-chunks.py IN OUT TYPE[,TYPE...]     e.g. ... foreign/imagemagick-png out cHRM,bKGD
   TYPE 'ancillary' drops every chunk but IHDR, PLTE, IDAT and IEND."""
import os
import struct
import sys

CRITICAL = {b"IHDR", b"PLTE", b"IDAT", b"IEND"}


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    src, dst, types = sys.argv[1], sys.argv[2], sys.argv[3]
    drop = None if types == "ancillary" else {t.encode("ascii") for t in types.split(",")}
    if drop is not None and drop & CRITICAL:
        sys.exit("strip-png-chunks: only ancillary chunks may be dropped")
    if os.path.exists(dst):
        sys.exit(f"strip-png-chunks: {dst} already exists")
    count = 0
    for root, _, files in os.walk(src):
        for name in files:
            if not name.lower().endswith(".png"):
                continue
            data = open(os.path.join(root, name), "rb").read()
            if data[:8] != b"\x89PNG\r\n\x1a\n":
                sys.exit(f"strip-png-chunks: {os.path.join(root, name)} is not a PNG file")
            out, at = [data[:8]], 8
            while at + 8 <= len(data):
                length = struct.unpack(">I", data[at:at + 4])[0]
                kind = data[at + 4:at + 8]
                keep = kind in CRITICAL if drop is None else kind not in drop
                if keep:
                    out.append(data[at:at + 12 + length])
                at += 12 + length
            target = os.path.join(dst, os.path.relpath(root, src))
            os.makedirs(target, exist_ok=True)
            with open(os.path.join(target, name), "wb") as f:
                f.write(b"".join(out))
            count += 1
    print(f"{count} files written to {dst}")


if __name__ == "__main__":
    main()
