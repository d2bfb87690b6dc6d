#!/usr/bin/env python3
"""Renames one GLIBCXX version requirement of an ELF64 shared library to another of equal length.

patchelf can unversion a symbol but leaves the version requirement in .gnu.version_r, which the loader still checks
against libstdc++. This rewrites that Vernaux entry's name (in .dynstr, in place) and its ELF hash.
Usage: retarget_verneed.py LIB OLD NEW   (exit 0: rewritten or absent)
"""
import struct
import sys


def elf_hash(name: bytes) -> int:
    h = 0
    for c in name:
        h = ((h << 4) + c) & 0xFFFFFFFF
        g = h & 0xF0000000
        if g:
            h ^= g >> 24
        h &= ~g & 0xFFFFFFFF
    return h


def main(path: str, old: str, new: str) -> int:
    if len(old) != len(new):
        sys.exit("the new version name must have the old one's length")
    data = bytearray(open(path, "rb").read())
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        sys.exit(f"{path}: not a little-endian ELF64 file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    SHT_GNU_VERNEED = 0x6FFFFFFE
    changed = 0
    for sec in sections:
        if sec[1] != SHT_GNU_VERNEED:
            continue
        strtab_off = sections[sec[6]][4]
        off = sec[4]
        while True:
            _, vn_cnt, _, vn_aux, vn_next = struct.unpack_from("<HHIII", data, off)
            aux = off + vn_aux
            for _ in range(vn_cnt):
                _, flags, other, name, vna_next = struct.unpack_from("<IHHII", data, aux)
                start = strtab_off + name
                if data[start:start + len(old) + 1] == old.encode() + b"\0":
                    data[start:start + len(new)] = new.encode()
                    struct.pack_into("<I", data, aux, elf_hash(new.encode()))
                    changed += 1
                if not vna_next:
                    break
                aux += vna_next
            if not vn_next:
                break
            off += vn_next
    if changed:
        open(path, "wb").write(data)
    print(f"{path}: {changed} requirement(s) {old} -> {new}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
