#!/usr/bin/env python3
"""Inspect or damage a fish journal segment, for the durability tests.

    journal.py offsets SEGMENT      print "OFFSET LENGTH TYPE" per record:
                                    where its first fragment starts, the
                                    bytes its fragments span, its type
    journal.py blocks SEGMENT       print "OFFSET LENGTH TYPE FIRST LAST"
                                    per record: the blocks of its first
                                    and last byte
    journal.py salt SEGMENT         print the segment's salt (hex)
    journal.py truncate SEGMENT N   cut the file to N bytes
    journal.py flip SEGMENT N       invert the byte at offset N

Format 2 (doc/journal.md): 32 KiB blocks, a 128-byte header (two copies),
records cut into fragments (u32 CRC, u16 length, u8 type, payload); a
format-1 segment (24-byte header, u32 length, u32 CRC, record) is read too.
Fragments are followed as the writer laid them out; their CRCs are not
checked here.
"""
import signal
import struct
import sys

BLOCK = 32768
HEADER_LEN = 128
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


def records_v2(data):
    """Yield (offset, span, type) for each record, as the writer cut it."""
    at = HEADER_LEN
    start = None
    payload = b""
    while at < len(data):
        space = BLOCK - at % BLOCK
        if space < 7:
            at += space
            continue
        if at + 7 > len(data):
            break
        _, length, kind = struct.unpack(">IHB", data[at:at + 7])
        if kind == 0 or kind > LAST or at + 7 + length > len(data):
            # Nothing written (or damage): go on at the next block.
            at += space
            start = None
            continue
        if kind in (FULL, FIRST):
            start, payload = at, b""
        payload += data[at + 7:at + 7 + length]
        at += 7 + length
        if kind in (FULL, LAST) and start is not None:
            if len(payload) >= 5:
                yield start, at - start, payload[4]
            start = None


def records_v1(data):
    """Yield (offset, span, type) for each format-1 record."""
    at = 24
    while at + 8 <= len(data):
        length, _ = struct.unpack(">II", data[at:at + 8])
        if length < 5 or at + 8 + length > len(data):
            break
        yield at, 8 + length, data[at + 8]
        at += 8 + length


def records(path):
    """Yield the records of the segment at path."""
    with open(path, "rb") as f:
        data = f.read()
    version = struct.unpack(">I", data[8:12])[0] if len(data) >= 12 else 0
    if version == 1:
        return records_v1(data)
    return records_v2(data)


def main():
    # Quietly stop when a reader such as head(1) has seen enough.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    verb, path = sys.argv[1], sys.argv[2]
    if verb == "offsets":
        for offset, span, kind in records(path):
            print(offset, span, kind)
    elif verb == "blocks":
        for offset, span, kind in records(path):
            print(offset, span, kind, offset // BLOCK,
                  (offset + span - 1) // BLOCK)
    elif verb == "salt":
        with open(path, "rb") as f:
            print(f.read(32)[24:32].hex())
    elif verb == "truncate":
        with open(path, "r+b") as f:
            f.truncate(int(sys.argv[3]))
    elif verb == "flip":
        at = int(sys.argv[3])
        with open(path, "r+b") as f:
            f.seek(at)
            byte = f.read(1)
            f.seek(at)
            f.write(bytes([byte[0] ^ 0xFF]))
    else:
        sys.exit("usage: journal.py offsets|blocks|salt|truncate|flip "
                 "SEGMENT [N]")


main()
