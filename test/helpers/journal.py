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
    journal.py v1record TYPE JSON   print a format-1 record (the earlier
                                    fish's), as an attacker would post it
    journal.py forge SEGMENT N TYPE:JSON...
                                    rewrite the body of the record at
                                    offset N so that it carries these
                                    records, each encoded for the very
                                    salt and position where it lies, and
                                    the record's own checksums right: what
                                    the writer would have written had an
                                    attacker who knows the salt posted it

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


def crc_table():
    """The CRC-32C (Castagnoli) lookup table."""
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


CRC_TABLE = crc_table()


def crc32c(data, crc=0):
    """Extend a CRC-32C over data."""
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = CRC_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def fragment(salt, number, offset, kind, payload):
    """Encode one fragment for its segment's salt and its position."""
    binding = struct.pack(">QII", salt, number, offset) + bytes([kind]) + \
        struct.pack(">H", len(payload))
    crc = crc32c(payload, crc32c(binding))
    return struct.pack(">IHB", crc, len(payload), kind) + payload


def logical(kind, json, body=b""):
    """A record's logical bytes: L, type, J, JSON, body."""
    return struct.pack(">IBI", 5 + len(json) + len(body), kind,
                       len(json)) + json + body


def fragments_at(data, at):
    """Return the (offset, kind, length) of the record's fragments at at."""
    out = []
    while True:
        _, length, kind = struct.unpack(">IHB", data[at:at + 7])
        out.append((at, kind, length))
        if kind in (FULL, LAST):
            return out
        at = (at // BLOCK + 1) * BLOCK


def forge(path, at, specs):
    """Rewrite the body of the record at offset at; see the usage."""
    with open(path, "rb") as f:
        data = bytearray(f.read())
    number = struct.unpack(">I", data[12:16])[0]
    salt = struct.unpack(">Q", data[24:32])[0]
    frags = fragments_at(data, at)
    payload = bytearray()
    where = []                  # absolute offset of each logical byte
    for offset, _, length in frags:
        payload += data[offset + 7:offset + 7 + length]
        where += range(offset + 7, offset + 7 + length)
    json_len = struct.unpack(">I", payload[5:9])[0]
    body = 9 + json_len
    # Each forged record where it fits within one block of the body,
    # the first right after a block boundary's fragment header if any.
    starts = [t for t in range(body, len(payload))
              if where[t] % BLOCK == 7]
    starts += [body + (k + 1) * (len(payload) - body) // (len(specs) + 2)
               for k in range(len(specs))]
    for spec, t in zip(specs, starts):
        kind, json = spec.split(":", 1)
        forged = fragment(salt, number, where[t], FULL,
                          logical(int(kind), json.encode()))
        if t + len(forged) > len(payload) or \
                where[t + len(forged) - 1] != where[t] + len(forged) - 1:
            sys.exit("journal.py: the body is too short to forge in")
        payload[t:t + len(forged)] = forged
    done = 0
    for offset, kind, length in frags:
        data[offset:offset + 7 + length] = fragment(
            salt, number, offset, kind, bytes(payload[done:done + length]))
        done += length
    with open(path, "r+b") as f:
        f.write(data)


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
    verb, path = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else ""
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
    elif verb == "v1record":
        record = logical(int(sys.argv[2]), sys.argv[3].encode())[4:]
        sys.stdout.buffer.write(struct.pack(">II", len(record),
                                            crc32c(record)) + record)
    elif verb == "forge":
        forge(path, int(sys.argv[3]), sys.argv[4:])
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
        sys.exit("usage: journal.py offsets|blocks|salt|truncate|flip|"
                 "forge SEGMENT [N] | v1record TYPE JSON")


main()
