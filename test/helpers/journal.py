#!/usr/bin/env python3
"""Inspect or damage a fish journal segment, for the durability tests.

    journal.py offsets SEGMENT      print "OFFSET LENGTH TYPE" per record
    journal.py truncate SEGMENT N   cut the file to N bytes
    journal.py flip SEGMENT N       invert the byte at offset N
"""
import struct
import sys

HEADER_LEN = 24


def offsets(path):
    with open(path, "rb") as f:
        data = f.read()
    at = HEADER_LEN
    while at + 8 <= len(data):
        length, _ = struct.unpack(">II", data[at:at + 8])
        if length < 5 or at + 8 + length > len(data):
            break
        print(at, 8 + length, data[at + 8])
        at += 8 + length


def main():
    verb, path = sys.argv[1], sys.argv[2]
    if verb == "offsets":
        offsets(path)
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
        sys.exit("usage: journal.py offsets|truncate|flip SEGMENT [N]")


main()
