#!/usr/bin/env python3
"""Writes Tests/Fixtures/dictd/tiny.{index,dict.dz}: a small dictd dictionary in the layout of
FreeDict German-English (Debian dict-freedict-deu-eng), compressed as dictzip does it (a gzip
member whose header carries the "RA" random-access table, deflate flushed every CHUNK bytes).
Standard library only; the output is byte-identical on every run."""
import os
import struct
import zlib

CHUNK = 256  # tiny chunks so the fixture has several
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

ENTRIES = [  # (index headwords, entry text) in the order of the text
    (["00-database-short"], "German - English tiny test dictionary\n"),
    (["00-database-url"], "https://example.invalid/\n"),
    (["haus", "heim"], 'Haus /hˈaʊs/ <neut, n, sg>\nhouse <n>\n'
        '      "ein Haus bauen"  - build a house\n'
        '      "Ich komm nicht viel aus dem Haus."  - I don\'t get out of the house much.\n'
        ' see: {Häuser}, {frei Haus}\n\n'),
    (["das auto ist so gut wie nichts wert"], 'Das Auto ist so gut wie nichts wert. /das ˈaʊtoː ɪst zoː ɡˈuːt viː nˈɪçts vˈɛɾt/\n'
        'The car is worth diddly-squat.\n see: {so gut wie gar nichts}\n\n'),
    (["ach komm"], 'Ach komm! /ˈax kˈɔm/\nGet out!, Get out of here!, Get out of town! [Am.]\n\n'),
    (["auf regen folgt sonnenschein"], 'Auf Regen folgt Sonnenschein. /aʊf rˈeːɡən fˈɔlkt zˈɔnənʃˌaɪn/\n'
        ' [Sprw.] Every cloud has a silver lining. [prov.]\n\n'),
    (["abgesehen von etw"], 'abgesehen von etw. /ˈapɡəzˌeːən fɔn ˈɛtf/ <prep>\nexcept sth. <prep>, apart from sth. <prep>\n\n'),
    (["dollar-zeichen", ""], 'Dollar-Zeichen /dɔlˈɑːɾ tsˈaɪçən/ ($) <neut, n, sg>\ndollar sign <n>$\n\n'),
    (["danke im voraus"], 'Danke im Voraus! /dˈaŋkə ɪm fˈoːraʊs/\nThanks in advance!TIA\n\n'),
    (["daten verteilen zuordnen"], 'Daten verteilen / zuordnen /dˈɑːtən fɛɾtˈaɪlən tsˈuːɔɾdnən/ <v>\n'
        'randomize <v>, randomise data <v>\n   Synonym: {randomisieren}\n\n'),
    (["brautschau"], 'Brautschau /bɾˈaʊtʃaʊ/ <fem, n, sg>\n\n      "auf Brautschau gehen"  - go/be looking for a wife\n\n'),
    (["ach komm"], 'Ach komm! /ˈax kˈɔm/\n [ugs.] Come off it! [Br.]\n\n'),
    (["wir versichern ihnen unsere weitere unterstützung"],
        'Wir versichern Ihnen unsere weitere Unterstützung. /viːɾ fɛɾzˈɪçɜn ˌiːnən ˌʊnzərə vˈaɪtərə ʊntɜʃtˈʏtsʊŋ/\n'
        'We assure you of our continued assistance:, Assuring you of our continued support.\n\n'),
]


def b64(n):
    digits = ""
    while True:
        digits = B64[n % 64] + digits
        n //= 64
        if n == 0:
            return digits


def dictzip(data):
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunks = []
    for start in range(0, len(data), CHUNK):
        piece = comp.compress(data[start:start + CHUNK])
        piece += comp.flush(zlib.Z_FULL_FLUSH if start + CHUNK < len(data) else zlib.Z_FINISH)
        chunks.append(piece)
    ra = struct.pack("<HHH", 1, CHUNK, len(chunks)) + b"".join(struct.pack("<H", len(c)) for c in chunks)
    extra = b"RA" + struct.pack("<H", len(ra)) + ra
    header = b"\x1f\x8b\x08" + bytes([0x04 | 0x08]) + struct.pack("<I", 0) + b"\x02\x03"
    header += struct.pack("<H", len(extra)) + extra + b"tiny.dict\x00"
    trailer = struct.pack("<II", zlib.crc32(data) & 0xFFFFFFFF, len(data) & 0xFFFFFFFF)
    return header + b"".join(chunks) + trailer


def main():
    text = b""
    index = []
    for headwords, entry in ENTRIES:
        raw = entry.encode("utf-8")
        for headword in headwords:
            index.append((headword, len(text), len(raw)))
        text += raw
    index.sort(key=lambda row: (row[0], row[1]))  # dictd sorts the index by headword
    out = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "dictd")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "tiny.index"), "wb") as f:
        for headword, offset, length in index:
            f.write(f"{headword}\t{b64(offset)}\t{b64(length)}\n".encode("utf-8"))
    with open(os.path.join(out, "tiny.dict.dz"), "wb") as f:
        f.write(dictzip(text))
    assert zlib.decompress(dictzip(text), 47) == text
    print(f"{len(index)} index lines, {len(text)} bytes of text, {len(text) // CHUNK + 1} chunks")


if __name__ == "__main__":
    main()
