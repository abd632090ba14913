#!/usr/bin/env python3
"""Write the character vectors of an R lazy-load database (data/Rdata.rdb) as text files.

    rdb_strings.py RDATA_RDB OUT_DIR

An .rdb file is a sequence of records, each a 4-byte big-endian length and a zlib stream
holding one object in R's XDR serialization ("X\\n", format version 2 or 3). janeaustenr's
records are plain character vectors (STRSXP, one element per line of a novel); each one is
written to OUT_DIR/<first non-empty line, lower case, words joined by '_'>.txt, lines joined
with '\\n'. Anything else in the file is an error: this reads exactly what it was written for.
"""
import os
import re
import struct
import sys
import zlib


def fail(msg):
    sys.exit(f"rdb_strings: {msg}")


def strings_of(blob, where):
    if blob[:2] != b"X\n":
        fail(f"{where}: not an XDR-serialized R object")
    pos = 2
    version = struct.unpack(">i", blob[pos:pos + 4])[0]
    pos += 12  # version, writer version, minimal reader version
    if version == 3:
        n = struct.unpack(">i", blob[pos:pos + 4])[0]
        pos += 4 + n  # native encoding name
    elif version != 2:
        fail(f"{where}: serialization format {version} is not supported")
    flags, length = struct.unpack(">ii", blob[pos:pos + 8])
    pos += 8
    if flags & 0xFF != 16:  # STRSXP
        fail(f"{where}: object type {flags & 0xFF} is not a character vector")
    lines = []
    for _ in range(length):
        cflags, n = struct.unpack(">ii", blob[pos:pos + 8])
        pos += 8
        if cflags & 0xFF != 9:  # CHARSXP
            fail(f"{where}: element type {cflags & 0xFF} is not a string")
        if n == -1:  # NA
            lines.append("")
            continue
        lines.append(blob[pos:pos + n].decode("utf-8"))
        pos += n
    return lines


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    data = open(sys.argv[1], "rb").read()
    os.makedirs(sys.argv[2], exist_ok=True)
    pos, count = 0, 0
    while pos < len(data):
        (size,) = struct.unpack(">I", data[pos:pos + 4])
        inflater = zlib.decompressobj()
        blob = inflater.decompress(data[pos + 4:])
        if len(blob) != size:
            fail(f"record at byte {pos}: {len(blob)} bytes inflated, {size} expected")
        lines = strings_of(blob, f"record at byte {pos}")
        title = next((l.strip() for l in lines if l.strip()), "untitled")
        name = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")
        with open(os.path.join(sys.argv[2], name + ".txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(lines).strip("\n") + "\n")
        pos = len(data) - len(inflater.unused_data)
        count += 1
    print(f"rdb_strings: wrote {count} texts to {sys.argv[2]}")


if __name__ == "__main__":
    main()
