#!/usr/bin/python3
"""libtorrent-rasterbar side of the interop tests (run with Debian's /usr/bin/python3).

  lt_tool.py make ROOT OUT.torrent PIECE_SIZE   v1-only torrent of ROOT, prints the info-hash
  lt_tool.py load FILE.torrent                  prints JSON: info_hash, name, files, pieces
"""
import json
import os
import sys

import libtorrent as lt


def sorted_files(root):
    """Regular files below root, sorted by path components as fluxo sorts them.

    libtorrent's own add_files() takes directory (readdir) order, which is not
    stable across file systems, so the same files are added here explicitly in
    fluxo's documented order."""
    root = os.path.abspath(root)
    name = os.path.basename(root)
    if os.path.isfile(root):
        return [(name, os.path.getsize(root))]
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        for f in filenames:
            full = os.path.join(dirpath, f)
            if os.path.islink(full) or not os.path.isfile(full):
                continue
            rel = os.path.relpath(full, root).split(os.sep)
            found.append((rel, os.path.getsize(full)))
    found.sort(key=lambda e: [c.encode() for c in e[0]])
    return [(os.path.join(name, *rel), size) for rel, size in found]


def make(root, out, piece_size):
    fs = lt.file_storage()
    for path, size in sorted_files(root):
        fs.add_file(path, size)
    ct = lt.create_torrent(fs, int(piece_size), flags=lt.create_torrent.v1_only)
    lt.set_piece_hashes(ct, os.path.dirname(os.path.abspath(root)))
    data = lt.bencode(ct.generate())
    with open(out, "wb") as f:
        f.write(data)
    print(str(lt.torrent_info(data).info_hashes().v1))


def load(path):
    ti = lt.torrent_info(path)
    fs = ti.files()
    files = [{"path": fs.file_path(i), "size": fs.file_size(i),
              "pad": bool(fs.file_flags(i) & lt.file_storage.flag_pad_file)}
             for i in range(fs.num_files())]
    print(json.dumps({
        "info_hash": str(ti.info_hashes().v1),
        "name": ti.name(),
        "total_size": ti.total_size(),
        "piece_length": ti.piece_length(),
        "num_pieces": ti.num_pieces(),
        "files": files,
    }))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "make":
        make(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "load":
        load(sys.argv[2])
    else:
        sys.exit("unknown command " + cmd)
