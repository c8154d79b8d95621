#!/usr/bin/env python3
"""Generates the hostile-input corpus: one image file per case in
tests/hostile/cases/ and the expected outcome of every case in
tests/hostile/expected.json.

Python 3 standard library only. Tar headers are written by hand (512-byte
blocks) because `tarfile` refuses to write most of what is tested here.
Output is deterministic: running the script twice gives identical files.

Usage: python3 tests/hostile/make_corpus.py [--check]
  --check   regenerate in memory and fail if any committed file differs.

Cases that would be large on disk (a 100 MB PAX record, a manifest over
64 MiB) are not written here: expected.json lists them with a `generator`
name and tests/tests/hostile.rs builds them at test time as sparse files.
"""

import gzip
import hashlib
import io
import json
import os
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
CASES_DIR = os.path.join(HERE, "cases")
EXPECTED = os.path.join(HERE, "expected.json")

BLOCK = 512


# ---------------------------------------------------------------- tar blocks

def octal(value, width):
    """A NUL-terminated, zero-padded octal field of `width` bytes."""
    return b"%0*o\0" % (width - 1, value)


def header(name, size=0, typ=b"0", link=b"", mode=0o644, uid=0, gid=0,
           mtime=0, fmt="ustar", prefix=b"", size_field=None, checksum=None,
           uname=b"root", gname=b"root", raw_patch=None):
    """One raw 512-byte tar header. `name`/`link`/`prefix` are bytes (or
    str), written verbatim (truncated to their field). `fmt` is `ustar`,
    `gnu` or `v7` (no magic)."""
    if isinstance(name, str):
        name = name.encode()
    if isinstance(link, str):
        link = link.encode()
    if isinstance(prefix, str):
        prefix = prefix.encode()
    buf = bytearray(BLOCK)
    buf[0:100] = name[:100].ljust(100, b"\0")
    buf[100:108] = octal(mode, 8)
    buf[108:116] = octal(uid, 8)
    buf[116:124] = octal(gid, 8)
    buf[124:136] = size_field if size_field is not None else octal(size, 12)
    buf[136:148] = octal(mtime, 12)
    buf[156:157] = typ
    buf[157:257] = link[:100].ljust(100, b"\0")
    if fmt == "ustar":
        buf[257:263] = b"ustar\0"
        buf[263:265] = b"00"
    elif fmt == "gnu":
        buf[257:265] = b"ustar  \0"
    if fmt != "v7":
        buf[265:297] = uname[:32].ljust(32, b"\0")
        buf[297:329] = gname[:32].ljust(32, b"\0")
        buf[329:337] = octal(0, 8)
        buf[337:345] = octal(0, 8)
    if prefix:
        buf[345:500] = prefix[:155].ljust(155, b"\0")
    if raw_patch:
        for offset, data in raw_patch:
            buf[offset:offset + len(data)] = data
    buf[148:156] = b" " * 8
    total = sum(buf)
    buf[148:156] = b"%06o\0 " % total if checksum is None else checksum
    return bytes(buf)


def pad(data):
    return data + b"\0" * (-len(data) % BLOCK)


def member(name, data=b"", typ=b"0", **kw):
    """Header plus padded data; the header's size is len(data) unless given."""
    kw.setdefault("size", len(data))
    return header(name, typ=typ, **kw) + pad(data)


def directory(name, **kw):
    return header(name, typ=b"5", mode=0o755, **kw)


def symlink(name, target, **kw):
    return header(name, typ=b"2", link=target, mode=0o777, **kw)


def hardlink(name, target, **kw):
    return header(name, typ=b"1", link=target, **kw)


def pax_record(key, value):
    """`LEN key=value\\n` with LEN counting itself."""
    if isinstance(key, str):
        key = key.encode()
    if isinstance(value, str):
        value = value.encode()
    body = b" " + key + b"=" + value + b"\n"
    length = len(body) + 1
    while len(str(length)) + len(body) != length:
        length = len(str(length)) + len(body)
    return str(length).encode() + body


def pax(records, typ=b"x", name=b"PaxHeaders/entry", size=None):
    """A PAX header (`x` or `g`) with `records` (dict or raw bytes)."""
    if isinstance(records, dict):
        data = b"".join(pax_record(k, v) for k, v in records.items())
    else:
        data = records
    return member(name, data, typ=typ, size=len(data) if size is None else size)


def gnu_long(value, typ=b"L"):
    """A GNU long name (`L`) or long link (`K`) header."""
    if isinstance(value, str):
        value = value.encode()
    return member(b"././@LongLink", value + b"\0", typ=typ, fmt="gnu", mode=0)


END = b"\0" * (2 * BLOCK)


def tar(*members, end=True):
    return b"".join(members) + (END if end else b"")


def gz(data, level=9):
    return gzip.compress(data, compresslevel=level, mtime=0)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def zstd_raw_frame(data, window_exponent=None):
    """A zstd frame holding `data` in raw blocks (no compression needed).
    With `window_exponent`, the frame header declares a window of
    2**(10 + exponent) bytes instead of being single-segment."""
    out = bytearray(b"\x28\xb5\x2f\xfd")
    if window_exponent is None:
        # Single_Segment, Frame_Content_Size 4 bytes (FCS flag 2).
        out.append(0b1010_0000)
        out += struct.pack("<I", len(data))
    else:
        out.append(0b0000_0000)  # no FCS, not single segment, no checksum
        out.append(window_exponent << 3)
    chunks = [data[i:i + 100_000] for i in range(0, len(data), 100_000)] or [b""]
    for i, chunk in enumerate(chunks):
        last = 1 if i == len(chunks) - 1 else 0
        block_header = last | (0 << 1) | (len(chunk) << 3)
        out += struct.pack("<I", block_header)[:3]
        out += chunk
    return bytes(out)


# ------------------------------------------------------------- outer archives

class Layer:
    """A layer blob as stored (`stored`) and its uncompressed tar (`raw`,
    used for the diff_id and the differential check)."""

    def __init__(self, raw, stored=None, diff_id=None):
        self.raw = raw
        self.stored = raw if stored is None else stored
        self.diff_id = diff_id or "sha256:" + sha256(raw)


def outer_tar(files):
    """A plain ustar outer archive from (name, bytes) pairs and raw header
    tuples ("raw", bytes)."""
    parts = []
    for item in files:
        if item[0] == "raw":
            parts.append(item[1])
            continue
        name, data = item
        if isinstance(name, str):
            name = name.encode()
        if len(name) > 100:
            parts.append(gnu_long(name))
        parts.append(member(name[:100], data, mode=0o644))
    return tar(*parts)


def image_config(diff_ids, history=None):
    return json.dumps({
        "architecture": "amd64",
        "os": "linux",
        "created": "2024-01-01T00:00:00Z",
        "config": {"Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history or [{"created_by": "hostile layer %d" % i}
                               for i in range(len(diff_ids))],
    }, sort_keys=True).encode()


def docker_archive(layers, manifest=None, extra=(), layer_names=None,
                   manifest_extra=None):
    """A docker-archive: manifest.json, config.json, layer<i>/layer.tar."""
    names = layer_names or ["layer%d/layer.tar" % i for i in range(len(layers))]
    config = image_config([l.diff_id for l in layers])
    files = [("config.json", config)]
    seen = set()
    for name, layer in zip(names, layers):
        if name in seen:
            continue
        seen.add(name)
        files.append((name, layer.stored))
    entry = {"Config": "config.json", "RepoTags": ["hostile:case"],
             "Layers": names}
    if manifest_extra:
        entry.update(manifest_extra)
    files.insert(0, ("manifest.json",
                     manifest if manifest is not None
                     else json.dumps([entry]).encode()))
    files.extend(extra)
    return outer_tar(files)


def descriptor(media_type, data, digest=None, size=None, **more):
    d = {"mediaType": media_type,
         "digest": digest or "sha256:" + sha256(data),
         "size": len(data) if size is None else size}
    d.update(more)
    return d


MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = "application/vnd.oci.image.layer.v1.tar"
MT_LAYER_GZ = "application/vnd.oci.image.layer.v1.tar+gzip"


def oci_parts(layers, layer_descriptors=None, manifest_descriptor=None,
              skip_blobs=(), layer_media=MT_LAYER):
    """Blobs and index for an OCI image: returns (files, manifest bytes)."""
    config = image_config([l.diff_id for l in layers])
    layer_desc = layer_descriptors or [descriptor(layer_media, l.stored)
                                       for l in layers]
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": MT_MANIFEST,
        "config": descriptor(MT_CONFIG, config),
        "layers": layer_desc,
    }, sort_keys=True).encode()
    blobs = {"sha256:" + sha256(config): config,
             "sha256:" + sha256(manifest): manifest}
    for l in layers:
        blobs["sha256:" + sha256(l.stored)] = l.stored
    mdesc = manifest_descriptor or descriptor(
        MT_MANIFEST, manifest,
        annotations={"org.opencontainers.image.ref.name": "hostile"})
    index = json.dumps({"schemaVersion": 2, "mediaType": MT_INDEX,
                        "manifests": [mdesc]}, sort_keys=True).encode()
    files = [("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'),
             ("index.json", index)]
    for digest, data in sorted(blobs.items()):
        if digest in skip_blobs:
            continue
        alg, hexpart = digest.split(":", 1)
        files.append(("blobs/%s/%s" % (alg, hexpart), data))
    return files, manifest


def oci_archive(layers, **kw):
    files, _ = oci_parts(layers, **kw)
    return outer_tar(files)


def oci_with_index(index, blobs):
    """An OCI archive with a hand-written index.json and raw blobs
    {"sha256:<hex>": bytes}."""
    files = [("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'),
             ("index.json", json.dumps(index, sort_keys=True).encode())]
    for digest, data in sorted(blobs.items()):
        alg, hexpart = digest.split(":", 1)
        files.append(("blobs/%s/%s" % (alg, hexpart), data))
    return outer_tar(files)


def simple_layer(*members):
    return Layer(tar(*members))


def base_files():
    return [directory("etc/"), member("etc/passwd", b"root:x:0:0::/root:/bin/sh\n"),
            directory("bin/"), member("bin/sh", b"#!shell\n", mode=0o755)]


# ------------------------------------------------------------------ the cases

CASES = []


def case(name, category, note, expect="ok", error_kind=None, warnings=(),
         limits=None, exit_code=None, absent=(), present=(), overlay=True,
         package_warnings=()):
    """Registers a case builder. The builder returns the image bytes, or
    (image bytes, [raw layer tars]) for the differential check."""
    def register(builder):
        CASES.append({
            "case": name, "category": category, "note": note,
            "expect": expect, "errorKind": error_kind,
            "warnings": list(warnings), "limits": limits,
            "exit": exit_code, "absent": list(absent),
            "present": list(present), "overlay": overlay,
            "packageWarnings": list(package_warnings),
            "builder": builder,
        })
        return builder
    return register


def docker_one(*members):
    layer = simple_layer(*members)
    return docker_archive([layer]), [layer.raw]


# (1) entry names ------------------------------------------------------------

@case("path_absolute", "names", "absolute names are made relative with a warning",
      warnings=["absolute-path"], present=["etc/cron.d/evil"], exit_code=0)
def _():
    return docker_one(*base_files(), member("/etc/cron.d/evil", b"* * * * * root sh\n"))


@case("path_dotdot_leading", "names", "'../' names are left out of the index",
      warnings=["unsafe-path"], absent=["etc/shadow"], exit_code=0)
def _():
    return docker_one(*base_files(), member("../../../etc/shadow", b"pwned\n"))


@case("path_dotdot_middle", "names", "'..' in the middle of a name",
      warnings=["unsafe-path"], exit_code=0)
def _():
    return docker_one(*base_files(), member("a/b/../../../x", b"x"),
                      member("usr/lib/../../../../etc/x", b"x"))


@case("path_dotdot_deep", "names", "'..' after 50 components",
      warnings=["unsafe-path"], exit_code=0)
def _():
    name = "./" + "d/" * 50 + "../" * 60 + "escaped"
    return docker_one(*base_files(), pax({"path": name}), member("placeholder", b"x"))


@case("path_dotdot_pax", "names",
      "the PAX path (with '..') wins over the harmless ustar name; the entry is left out",
      warnings=["unsafe-path"], absent=["harmless"], exit_code=0)
def _():
    return docker_one(*base_files(), pax({"path": "../pax-escape"}),
                      member("harmless", b"x"))


@case("path_dotdot_gnu_longname", "names", "a GNU long name with '..'",
      warnings=["unsafe-path"], absent=["short"], exit_code=0)
def _():
    return docker_one(*base_files(), gnu_long("../../" + "x" * 120),
                      member("short", b"x", fmt="gnu"))


@case("path_backslash", "names",
      "backslashes are ordinary bytes in a Linux path: kept verbatim and flagged",
      warnings=["non-portable-path"], present=["..\\..\\windows\\system32\\evil.dll"],
      exit_code=0)
def _():
    return docker_one(*base_files(), member("..\\..\\windows\\system32\\evil.dll", b"MZ"))


@case("path_drive_letter", "names", "a drive-letter name is a relative Linux path, flagged",
      warnings=["non-portable-path"], present=["C:/Windows/evil"], exit_code=0)
def _():
    return docker_one(*base_files(), member("C:/Windows/evil", b"x"))


@case("path_nul_pax", "names", "a NUL byte inside a PAX path is refused",
      warnings=["unsafe-path"], absent=["visible"], exit_code=0)
def _():
    return docker_one(*base_files(), pax({"path": b"visible\0/../../etc/shadow"}),
                      member("ustar-name", b"x"))


@case("path_nul_longname", "names", "a NUL byte inside a GNU long name is refused",
      warnings=["unsafe-path"], exit_code=0)
def _():
    return docker_one(*base_files(), gnu_long(b"innocent\0../../etc/shadow"),
                      member("ustar-name", b"x", fmt="gnu"))


@case("path_nul_ustar", "names",
      "a NUL inside the ustar name field ends the name (as in every tar reader)",
      present=["evil"], exit_code=0)
def _():
    return docker_one(*base_files(), member(b"evil\0../../etc/shadow", b"x"))


@case("path_dot_nondir", "names", "a regular file, symlink or hard link named '.' or '/'",
      warnings=["root-not-dir"], exit_code=0)
def _():
    return docker_one(*base_files(), member(".", b"file named dot"),
                      member("/", b"file named slash"), symlink("./", "/etc"),
                      hardlink("//", "etc/passwd"))


@case("path_collision", "names",
      "names that are equal after cleaning: the last one wins in the overlay",
      warnings=["absolute-path"], present=["a/b"], exit_code=0)
def _():
    return docker_one(directory("a/"), member("a/b", b"first"), member("./a/b", b"second"),
                      member("a//b", b"third"), member("/a/b", b"fourth"),
                      member("a/./b/", b"fifth"))


@case("path_64kb_longname", "names", "a 64 KiB GNU long name",
      expect="error", error_kind="LimitError", exit_code=1)
def _():
    return docker_one(*base_files(), gnu_long("n" * 65536), member("x", b"x", fmt="gnu"))


@case("path_64kb_pax", "names", "a 64 KiB PAX path",
      expect="error", error_kind="LimitError", exit_code=1)
def _():
    return docker_one(*base_files(), pax({"path": "p/" * 32768}), member("x", b"x"))


@case("path_10000_deep", "names", "a path 10,000 directories deep (20 KB)",
      expect="error", error_kind="LimitError", exit_code=1)
def _():
    return docker_one(pax({"path": "d/" * 10000 + "f"}), member("x", b"x"))


@case("path_10000_deep_raised", "names",
      "the same 10,000-deep path with --max-path-bytes raised: indexed, and the overlay copes",
      limits={"maxPathBytes": 1 << 20}, exit_code=0)
def _():
    deep = "d/" * 10000
    return docker_one(pax({"path": deep + "f"}), member("x", b"x"),
                      pax({"path": deep + "g"}), symlink("y", "../" * 10000 + "etc"))


@case("overlay_deep_paths", "names",
      "ten 16 KB names 8,000 directories deep, within the default limits",
      exit_code=0)
def _():
    members = []
    for i in range(10):
        members.append(pax({"path": "x%02d/" % i + "a/" * 8000 + "f"}))
        members.append(member("placeholder", b"x"))
    return docker_one(*members)


# (2) links --------------------------------------------------------------------

@case("symlink_write_absolute", "links",
      "symlink to /etc, then a file written through it: indexed as a name, never followed out of the root",
      present=["evil/cron.d/x"], exit_code=0)
def _():
    return docker_one(*base_files(), symlink("evil", "/etc"),
                      member("evil/cron.d/x", b"* * * * * root sh\n"))


@case("symlink_write_relative", "links", "symlink ../../../../etc then a write through it",
      present=["evil/passwd"], exit_code=0)
def _():
    return docker_one(*base_files(), symlink("evil", "../../../../etc"),
                      member("evil/passwd", b"root::0:0::/:/bin/sh\n"))


@case("symlink_chain", "links", "a -> b -> c -> /, then a/etc/shadow",
      exit_code=0)
def _():
    return docker_one(*base_files(), symlink("a", "b"), symlink("b", "c"), symlink("c", "/"),
                      member("a/etc/shadow", b"x"))


@case("symlink_dangling", "links", "a dangling symlink, then a write through it",
      exit_code=0)
def _():
    return docker_one(*base_files(), symlink("link", "/nonexistent/dir"),
                      member("link/file", b"x"))


@case("symlink_replaces_dir", "links", "a directory replaced by a symlink mid-layer",
      exit_code=0)
def _():
    return docker_one(*base_files(), directory("d/"), member("d/x", b"x"),
                      symlink("d", "/etc"), member("d/passwd", b"x"))


@case("symlink_loop", "links", "symlinks that loop, then writes through them",
      exit_code=0)
def _():
    return docker_one(symlink("a", "b"), symlink("b", "a"), member("a/x", b"x"),
                      symlink("self", "self/self"), member("self/y", b"y"))


@case("hardlink_escape", "links", "a hard link to ../../etc/shadow is left out",
      warnings=["bad-link-target"], exit_code=0)
def _():
    return docker_one(*base_files(), hardlink("h", "../../etc/shadow"))


@case("hardlink_absolute", "links", "a hard link to /etc/passwd (made relative)",
      present=["h"], exit_code=0)
def _():
    return docker_one(*base_files(), hardlink("h", "/etc/passwd"))


@case("hardlink_to_symlink", "links", "a hard link to a symlink that points out of the root",
      exit_code=0)
def _():
    return docker_one(*base_files(), symlink("s", "/etc/shadow"), hardlink("h", "s"))


@case("hardlink_before_target", "links", "a hard link listed before its target",
      exit_code=0)
def _():
    return docker_one(*base_files(), hardlink("h", "t"), member("t", b"target"))


@case("hardlink_target_replaced", "links",
      "a hard link whose target is later replaced by a symlink",
      exit_code=0)
def _():
    return docker_one(*base_files(), member("t", b"target"), hardlink("h", "t"),
                      symlink("t", "/etc/shadow"))


@case("hardlink_dangling_empty", "links", "hard links to nothing and to ''",
      warnings=["bad-link-target"], exit_code=0)
def _():
    return docker_one(*base_files(), hardlink("h1", "missing"), hardlink("h2", ""))


@case("whiteout_under_symlink", "links",
      "whiteout and opaque markers under a parent that a lower layer made a symlink to /etc",
      exit_code=0)
def _():
    l0 = simple_layer(*base_files(), directory("real/"), member("real/keep", b"k"))
    l1 = simple_layer(symlink("a", "/etc"), symlink("b", "../real"))
    l2 = simple_layer(member("a/.wh.passwd"), member("b/.wh..wh..opq"),
                      member("a/.wh..wh..opq"))
    return docker_archive([l0, l1, l2]), [l0.raw, l1.raw, l2.raw]


# (3) whiteouts ----------------------------------------------------------------

@case("whiteout_malformed", "whiteouts", "'.wh.', '.wh..', '.wh...' and '.wh..wh.plnk' are refused",
      warnings=["invalid-whiteout"], exit_code=0)
def _():
    l0 = simple_layer(*base_files())
    l1 = simple_layer(member(".wh."), member("etc/.wh.."), member("etc/.wh..."),
                      member(".wh..wh.plnk"))
    return docker_archive([l0, l1]), [l0.raw, l1.raw]


@case("whiteout_dotdot", "whiteouts", "whiteouts whose name climbs with '..'",
      warnings=["unsafe-path"], exit_code=0)
def _():
    l0 = simple_layer(*base_files())
    l1 = simple_layer(member("etc/.wh.../../../x"), member("../.wh.etc"),
                      member("etc/../../.wh.passwd"))
    return docker_archive([l0, l1]), [l0.raw, l1.raw]


@case("whiteout_root_opaque", "whiteouts", "an opaque marker at the root hides every lower path",
      exit_code=0)
def _():
    l0 = simple_layer(*base_files())
    l1 = simple_layer(member("./.wh..wh..opq"), member("new", b"n"))
    return docker_archive([l0, l1]), [l0.raw, l1.raw]


@case("whiteout_of_root", "whiteouts", "'.wh.' markers for '.', and a whiteout with data",
      warnings=["invalid-whiteout"], exit_code=0)
def _():
    l0 = simple_layer(*base_files())
    l1 = simple_layer(member("./.wh.."), member("etc/.wh.passwd", b"whiteouts have no data"))
    return docker_archive([l0, l1]), [l0.raw, l1.raw]


# (4) tar parser differentials -------------------------------------------------

def smuggled():
    """A tar header for 'smuggled' hidden inside file data."""
    return member("smuggled", b"hidden payload\n")


@case("pax_size_larger", "tar",
      "PAX size (1024) larger than the ustar size (0): the PAX size is used, the smuggled header is data",
      absent=["smuggled"], present=["carrier"], exit_code=0)
def _():
    body = pad(smuggled())
    body = body + b"\0" * (1024 - len(body))
    return docker_one(pax({"size": "1024"}), header("carrier", size=0) + body[:1024])


@case("pax_size_smaller", "tar",
      "PAX size 0 with a ustar size of 1024 (TARmageddon shape): the PAX size is used, so the next header is the one inside",
      present=["carrier", "smuggled"], exit_code=0)
def _():
    inner = pad(smuggled())
    body = inner + b"\0" * (1024 - len(inner))
    return docker_one(pax({"size": "0"}), header("carrier", size=1024) + body)


@case("pax_then_gnu_longname", "tar",
      "a PAX path and a GNU long name for the same entry: the PAX path wins (as in GNU tar and Go), with a warning",
      present=["pax-path"], absent=["gnu-long-name"], warnings=["conflicting-names"], exit_code=0)
def _():
    return docker_one(pax({"path": "pax-path"}), gnu_long("gnu-long-name"),
                      member("ustar-name", b"x", fmt="gnu"))


@case("gnu_longname_then_pax", "tar", "a GNU long name, then a PAX header, then the entry: the PAX path wins",
      present=["pax-path"], absent=["gnu-long-name"], warnings=["conflicting-names"], exit_code=0)
def _():
    return docker_one(gnu_long("gnu-long-name"), pax({"path": "pax-path"}),
                      member("ustar-name", b"x"))


@case("pax_two_headers", "tar", "two PAX headers for one entry",
      expect="error", error_kind="LayerFormatError", exit_code=1)
def _():
    return docker_one(pax({"path": "one"}), pax({"path": "two"}), member("x", b"x"))


@case("pax_bad_length", "tar", "a PAX record whose length is wrong: ignored",
      present=["ustar-name"], warnings=["malformed-pax"], exit_code=0)
def _():
    return docker_one(pax(b"99 path=pax-path\n"), member("ustar-name", b"x"))


@case("pax_missing_equals", "tar", "a PAX record without '=': ignored",
      present=["ustar-name"], warnings=["malformed-pax"], exit_code=0)
def _():
    return docker_one(pax(b"14 pathpaxpath\n"), member("ustar-name", b"x"))


@case("pax_huge_record_length", "tar", "a PAX record claiming 99,999,999,999 bytes",
      present=["ustar-name"], warnings=["malformed-pax"], exit_code=0)
def _():
    return docker_one(pax(b"99999999999 path=x\n"), member("ustar-name", b"x"))


@case("pax_bad_record_then_size", "tar",
      "a malformed record before 'size': the tar crate then ignores the PAX size (GNU tar and Go refuse the entry)",
      warnings=["malformed-pax"], exit_code=0)
def _():
    records = b"5 bad\n" + pax_record("size", "512")
    return docker_one(pax(records), header("carrier", size=0), header("smuggled"),
                      member("after", b"x"))


@case("pax_duplicate_path", "tar", "two path records in one PAX header: the last wins (as in Go and GNU tar)",
      present=["second"], absent=["first"], warnings=["conflicting-names"], exit_code=0)
def _():
    return docker_one(pax(pax_record("path", "first") + pax_record("path", "second")),
                      member("ustar-name", b"x"))


@case("pax_linkpath_vs_longlink", "tar",
      "a hard link with a GNU long link name and a PAX linkpath: the PAX linkpath is the target",
      present=["etc/passwd", "h"], exit_code=0)
def _():
    return docker_one(*base_files(), pax({"linkpath": "etc/passwd"}), gnu_long("missing-target", typ=b"K"),
                      hardlink("h", "ustar-target", fmt="gnu"))


@case("pax_global", "tar", "a PAX global header with a path: not applied to entries",
      present=["local-name"], exit_code=0)
def _():
    return docker_one(pax({"path": "global-path", "comment": "global"}, typ=b"g",
                          name="pax_global_header"),
                      member("local-name", b"x"))


@case("pax_oversized_2mib", "tar", "a 2 MiB PAX header (limit 1 MiB)",
      expect="error", error_kind="LimitError", exit_code=1)
def _():
    data = pax_record("comment", "c" * (2 << 20))
    layer = Layer(tar(pax(data), member("x", b"x")))
    layer.stored = gz(layer.raw)
    return docker_archive([layer]), [layer.raw]


@case("gnu_longname_1gb_declared", "tar",
      "a GNU long name header declaring 1 GiB (data absent): refused at the header",
      expect="error", error_kind="LimitError", exit_code=1)
def _():
    raw = header(b"././@LongLink", size=1 << 30, typ=b"L", fmt="gnu") + b"n" * 4096
    layer = Layer(raw)
    return docker_archive([layer]), [layer.raw]


@case("pax_uid_huge", "tar", "PAX uid/gid/mtime values that are huge, negative or not numbers",
      present=["f"], exit_code=0)
def _():
    return docker_one(pax({"uid": "99999999999999999999999", "gid": "-1",
                           "mtime": "-1e99", "size": "1"}), member("f", b"x"))


def sparse_header(name, real_size, blocks, extended=False, size=None):
    """An old-GNU sparse (`S`) header with up to 4 (offset, length) blocks."""
    patch = [(386 + i * 24, octal(off, 12) + octal(ln, 12))
             for i, (off, ln) in enumerate(blocks[:4])]
    patch.append((482, b"\x01" if extended else b"\x00"))
    patch.append((483, octal(real_size, 12)))
    data_size = sum(ln for _, ln in blocks) if size is None else size
    return header(name, size=data_size, typ=b"S", fmt="gnu", raw_patch=patch)


@case("gnu_sparse", "tar", "an old-GNU sparse file (holes expanded when hashing)",
      present=["sparse"], exit_code=0)
def _():
    h = sparse_header("sparse", 8192, [(0, 512), (4096, 512), (8192, 0)])
    return docker_one(*base_files(), h + b"a" * 512 + b"b" * 512, member("after", b"x"))


@case("gnu_sparse_map_bomb", "tar",
      "a GNU sparse map of 3,000 extension blocks of empty-data entries (the tar crate would list them all in memory)",
      expect="error", error_kind="LimitError", exit_code=1)
def _():
    h = sparse_header("sparse", 1 << 40, [(1, 0)], extended=True, size=0)
    blocks = []
    for b in range(3000):
        ext = bytearray(BLOCK)
        for i in range(21):
            ext[i * 24:i * 24 + 24] = octal(2 + b * 21 + i, 12) + octal(0, 12)
        ext[504] = 1
        blocks.append(bytes(ext))
    raw = h + b"".join(blocks) + END
    layer = Layer(raw, stored=gz(raw))
    return docker_archive([layer]), [layer.raw]


def pax_sparse_1_0(name, real_size, map_text, data):
    """A PAX sparse file, GNU format 1.0: the map starts the entry data."""
    records = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0",
               "GNU.sparse.name": name, "GNU.sparse.realsize": str(real_size)}
    return pax(records) + member("GNUSparseFile.1/" + name, pad(map_text) + data)


@case("pax_sparse_1_0", "tar",
      "a PAX sparse file, GNU format 1.0 (the tar crate reads it as the packed member; expanded under GNU.sparse.name)",
      present=["sparse"], absent=["GNUSparseFile.1/sparse"], exit_code=0)
def _():
    return docker_one(*base_files(),
                      pax_sparse_1_0("sparse", 8192, b"2\n0\n512\n4096\n512\n",
                                     b"a" * 512 + b"b" * 512),
                      member("after", b"x"))


@case("pax_sparse_map_bomb", "tar",
      "a PAX sparse 1.0 map of 2 MiB of lines in the entry data (gzip), over max_pax_bytes: refused while reading the map",
      expect="error", error_kind="LimitError", exit_code=1)
def _():
    lines = b"200000\n" + b"12345\n" * ((2 << 20) // 6)
    raw = simple_layer(pax_sparse_1_0("sparse", 1 << 40, lines, b"")).raw
    layer = Layer(raw, stored=gz(raw))
    return docker_archive([layer]), [layer.raw]


@case("ustar_prefix", "tar", "a ustar prefix field that climbs with '..'",
      warnings=["unsafe-path"], absent=["passwd"], exit_code=0)
def _():
    return docker_one(*base_files(), member("passwd", b"x", prefix="a/../../../etc"))


@case("gnu_magic_with_prefix", "tar",
      "GNU magic plus bytes in the ustar prefix position: the prefix is not part of the name (GNU format has none)",
      present=["name-only"], exit_code=0)
def _():
    return docker_one(member("name-only", b"x", fmt="gnu", prefix="../../../../evil-prefix"))


@case("v7_with_prefix", "tar", "an old v7 header (no magic) with bytes in the prefix position",
      present=["v7-name"], exit_code=0)
def _():
    return docker_one(member("v7-name", b"x", fmt="v7", prefix="../../evil"))


@case("base256_size", "tar", "sizes in GNU base-256 encoding (small, and 2^62)",
      expect="error", error_kind="LayerFormatError", exit_code=1)
def _():
    small = b"\x80" + b"\0" * 10 + b"\x05"
    huge = b"\x80" + b"\0" * 3 + b"\x40" + b"\0" * 7
    return docker_one(header("b256", size_field=small, fmt="gnu") + pad(b"hello"),
                      header("b256-huge", size_field=huge, fmt="gnu") + pad(b"x"))


@case("base256_size_small", "tar", "a small size in GNU base-256 encoding",
      present=["b256"], exit_code=0)
def _():
    small = b"\x80" + b"\0" * 10 + b"\x05"
    return docker_one(header("b256", size_field=small, fmt="gnu") + pad(b"hello"))


@case("bad_checksum", "tar", "the second header's checksum is wrong: the layer is refused",
      expect="error", error_kind="LayerFormatError", exit_code=1)
def _():
    return docker_one(member("good", b"x"), member("bad", b"y", checksum=b"0000000\0"),
                      member("after", b"z"))


@case("data_after_end", "tar",
      "entries after the end-of-archive marker: not listed, reported, included in the diff_id",
      warnings=["data-after-end"], absent=["hidden"], exit_code=0)
def _():
    raw = tar(*base_files()) + member("hidden", b"after the end") + END
    layer = Layer(raw)
    return docker_archive([layer]), [raw]


@case("missing_end_marker", "tar", "a layer that ends right after the last entry's data",
      present=["etc/passwd"], exit_code=0)
def _():
    raw = tar(*base_files(), end=False)
    layer = Layer(raw)
    return docker_archive([layer]), [raw]


@case("truncated_final_block", "tar", "the layer tar is cut in the middle of a file's data",
      expect="error", error_kind="LayerFormatError", exit_code=1)
def _():
    raw = tar(*base_files(), member("big", b"b" * 3000), end=False)[:-2000]
    layer = Layer(raw)
    return docker_archive([layer]), [raw]


@case("truncated_header", "tar", "the layer tar ends in the middle of a header",
      expect="error", error_kind="LayerFormatError", exit_code=1)
def _():
    raw = tar(*base_files(), end=False) + header("cut", size=0)[:200]
    layer = Layer(raw)
    return docker_archive([layer]), [raw]


@case("outer_truncated", "tar", "the outer archive is cut in the middle of a layer",
      expect="error", error_kind="TruncatedError", exit_code=1)
def _():
    big = simple_layer(*base_files(), member("big", bytes(range(256)) * 64))
    image = docker_archive([big])
    return image[:-(len(END) + 8192)], [big.raw]


@case("outer_unsafe_members", "tar",
      "outer archive members named ../x or /abs, a member symlink escaping the archive, and a symlink loop",
      warnings=["unsafe-member-path", "layer-link-broken"], exit_code=1)
def _():
    good = simple_layer(*base_files())
    config = image_config([good.diff_id, good.diff_id, good.diff_id])
    manifest = json.dumps([{"Config": "config.json", "RepoTags": ["hostile:case"],
                            "Layers": ["good/layer.tar", "escape/layer.tar", "loop/a"]}]).encode()
    return outer_tar([
        ("manifest.json", manifest), ("config.json", config),
        ("good/layer.tar", good.stored), ("../../etc/evil", b"x"),
        ("raw", symlink("escape/layer.tar", "../../../../etc/passwd")),
        ("raw", symlink("loop/a", "b")), ("raw", symlink("loop/b", "a")),
    ]), [good.raw]


@case("outer_pax_oversized", "tar", "the outer archive has a PAX header declaring 2 MiB",
      expect="error", error_kind="LimitError", exit_code=2)
def _():
    image = docker_archive([simple_layer(*base_files())])
    return header("PaxHeaders/x", size=2 << 20, typ=b"x") + b"9 a=b\n" + image[:4096], []


@case("outer_member_long_name", "tar", "an outer archive member with a 20 KB GNU long name",
      expect="error", error_kind="LimitError", exit_code=2)
def _():
    layer = simple_layer(*base_files())
    return docker_archive([layer], extra=[("n" * 20000, b"x")]), [layer.raw]


@case("outer_pax_size_desync", "tar",
      "outer archive: PAX size 0 on a member whose ustar size hides a fake manifest.json",
      exit_code=0)
def _():
    layer = simple_layer(*base_files())
    image = docker_archive([layer])
    fake = member("manifest.json", b'[{"Config":"nope.json","Layers":[]}]')
    carrier = header("carrier", size=len(pad(fake))) + pad(fake)
    # PAX size=0 says the carrier is empty: its "data" is read as headers.
    return pax({"size": str(len(pad(fake)))}) + carrier + image, [layer.raw]


# (5) exhaustion -----------------------------------------------------------------

def gzip_bomb_layer():
    """A tar holding one 1 GiB file of zeros, gzip -9: about 1 MB stored."""
    size = 1 << 30
    head = header("zeros", size=size)
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [comp.compress(head)]
    chunk = b"\0" * (1 << 20)
    for _ in range(size // len(chunk)):
        out.append(comp.compress(chunk))
    out.append(comp.compress(END))
    out.append(comp.flush())
    stored = b"".join(out)
    # Fix the gzip header's mtime/OS bytes for determinism.
    stored = stored[:4] + b"\0\0\0\0" + stored[8:9] + b"\xff" + stored[10:]
    return stored


@case("gzip_bomb", "exhaustion", "1 GiB of zeros in about 1 MB of gzip: streamed, costs time not memory",
      exit_code=0)
def _():
    stored = gzip_bomb_layer()
    layer = Layer(b"", stored=stored, diff_id="sha256:" + GZIP_BOMB_DIFF_ID)
    return docker_archive([layer]), []


GZIP_BOMB_DIFF_ID = None  # filled in by main() (hashing 1 GiB once)


@case("gzip_bomb_limited", "exhaustion", "the gzip bomb with --max-layer-bytes 100000000",
      expect="error", error_kind="LimitError", limits={"maxLayerBytes": 100_000_000},
      exit_code=1)
def _():
    return None, []  # same file as gzip_bomb


@case("gzip_many_members", "exhaustion", "a layer split into 20,000 gzip members",
      present=["etc/passwd"], exit_code=0)
def _():
    raw = tar(*base_files(), member("data", b"m" * 20_000))
    parts = [gz(raw[i:i + len(raw) // 20_000 + 1]) for i in range(0, len(raw), len(raw) // 20_000 + 1)]
    layer = Layer(raw, stored=b"".join(parts))
    return docker_archive([layer]), [raw]


@case("gzip_corrupt_past_bad_header", "exhaustion",
      "a tar broken at its second header inside a gzip stream whose checksum fails "
      "256 KiB later: the corrupt stream is reported, however far a decoder read ahead",
      expect="error", error_kind="DecompressionError", exit_code=1)
def _():
    raw = tar(*base_files(), end=False) + b"x" * BLOCK
    state = 0x12345678
    filler = bytearray()
    for _ in range(256 * 1024):
        state ^= (state << 13) & 0xFFFFFFFF
        state ^= state >> 17
        state ^= (state << 5) & 0xFFFFFFFF
        filler.append(state & 0xFF)
    raw += bytes(filler)
    stored = bytearray(gz(raw))
    stored[-8] ^= 0xFF  # the gzip trailer's CRC-32
    return docker_archive([Layer(raw, stored=bytes(stored))]), []


@case("zstd_huge_window", "exhaustion", "a zstd frame declaring a 2 TiB window",
      expect="error", error_kind="DecompressionError", exit_code=1)
def _():
    raw = tar(*base_files())
    layer = Layer(raw, stored=zstd_raw_frame(raw, window_exponent=31))
    return docker_archive([layer]), [raw]


@case("zstd_huge_content_size", "exhaustion",
      "a single-segment zstd frame declaring 1 TiB of content (its window)",
      expect="error", error_kind="DecompressionError", exit_code=1)
def _():
    raw = tar(*base_files())
    frame = (b"\x28\xb5\x2f\xfd\xe0" + struct.pack("<Q", 1 << 40)
             + zstd_raw_frame(raw)[9:])
    layer = Layer(raw, stored=frame)
    return docker_archive([layer]), [raw]


@case("zstd_raw_blocks", "exhaustion", "a valid zstd frame of raw blocks (control for zstd_huge_window)",
      present=["etc/passwd"], exit_code=0)
def _():
    raw = tar(*base_files())
    layer = Layer(raw, stored=zstd_raw_frame(raw))
    return docker_archive([layer]), [raw]


@case("many_tiny_entries", "exhaustion", "50,000 empty files in one layer",
      exit_code=0)
def _():
    raw = tar(*[header("f/%05d" % i) for i in range(50_000)])
    layer = Layer(raw, stored=gz(raw))
    return docker_archive([layer]), [raw]


@case("many_tiny_entries_limited", "exhaustion", "50,000 entries with --max-entries 10000",
      expect="error", error_kind="LimitError", limits={"maxEntriesPerLayer": 10_000}, exit_code=1)
def _():
    return None, []  # same file as many_tiny_entries


@case("many_outer_members_limited", "exhaustion", "2,000 outer members with --max-archive-members 1000",
      expect="error", error_kind="LimitError", limits={"maxArchiveMembers": 1000}, exit_code=2)
def _():
    layer = simple_layer(*base_files())
    image = docker_archive([layer], extra=[("junk/%04d" % i, b"") for i in range(2000)])
    return image, [layer.raw]


@case("layer_referenced_1000_times", "exhaustion", "one layer member listed 1,000 times",
      exit_code=0)
def _():
    layer = simple_layer(*base_files())
    return docker_archive([layer] * 1000, layer_names=["l/layer.tar"] * 1000), [layer.raw]


def index_doc(manifests):
    return {"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": manifests}


@case("index_self_cycle", "exhaustion", "an index blob that lists itself",
      expect="error", error_kind="FormatError", exit_code=2)
def _():
    fake = "sha256:" + "c" * 64
    blob = json.dumps(index_doc([{"mediaType": MT_INDEX, "digest": fake, "size": 10}])).encode()
    return oci_with_index(index_doc([{"mediaType": MT_INDEX, "digest": fake, "size": len(blob)}]),
                          {fake: blob}), []


@case("index_two_cycle", "exhaustion", "index A lists B, B lists A",
      expect="error", error_kind="FormatError", exit_code=2)
def _():
    a, b = "sha256:" + "a" * 64, "sha256:" + "b" * 64
    blob_a = json.dumps(index_doc([{"mediaType": MT_INDEX, "digest": b, "size": 1}])).encode()
    blob_b = json.dumps(index_doc([{"mediaType": MT_INDEX, "digest": a, "size": 1}])).encode()
    return oci_with_index(index_doc([{"mediaType": MT_INDEX, "digest": a, "size": 1}]),
                          {a: blob_a, b: blob_b}), []


@case("index_deep_nesting", "exhaustion", "20 nested indexes (limit 8)",
      expect="error", error_kind="FormatError", exit_code=2)
def _():
    layer = simple_layer(*base_files())
    files, manifest = oci_parts([layer])
    blobs = {}
    for name, data in files:
        if name.startswith("blobs/"):
            blobs["sha256:" + name.rsplit("/", 1)[1]] = data
    child = descriptor(MT_MANIFEST, manifest)
    for _ in range(20):
        doc = json.dumps(index_doc([child]), sort_keys=True).encode()
        blobs["sha256:" + sha256(doc)] = doc
        child = descriptor(MT_INDEX, doc)
    return oci_with_index(index_doc([child]), blobs), [layer.raw]


@case("index_fanout_dag", "exhaustion",
      "7 levels of indexes that each list the next one 10 times (10^7 paths through 7 blobs): each index is walked once",
      warnings=["index-repeated"], exit_code=0)
def _():
    layer = simple_layer(*base_files())
    files, manifest = oci_parts([layer])
    blobs = {}
    for name, data in files:
        if name.startswith("blobs/"):
            blobs["sha256:" + name.rsplit("/", 1)[1]] = data
    child = descriptor(MT_MANIFEST, manifest)
    for _ in range(7):
        doc = json.dumps(index_doc([child] * 10), sort_keys=True).encode()
        blobs["sha256:" + sha256(doc)] = doc
        child = descriptor(MT_INDEX, doc)
    return oci_with_index(index_doc([child]), blobs), [layer.raw]


@case("index_wide_same_manifest", "exhaustion",
      "2,000 descriptors naming one 200 KB manifest: the walk's JSON budget (4 x max_json_bytes) stops it",
      expect="error", error_kind="LimitError", limits={"maxJsonBytes": 4 << 20}, exit_code=2)
def _():
    layer = simple_layer(*base_files())
    config = image_config([layer.diff_id])
    layers = [descriptor(MT_LAYER, layer.stored)] + [
        {"mediaType": MT_LAYER, "digest": "sha256:%064x" % i, "size": 1} for i in range(1, 2500)]
    manifest = json.dumps({"schemaVersion": 2, "mediaType": MT_MANIFEST,
                           "config": descriptor(MT_CONFIG, config), "layers": layers}).encode()
    blobs = {"sha256:" + sha256(config): config, "sha256:" + sha256(manifest): manifest,
             "sha256:" + sha256(layer.stored): layer.stored}
    return oci_with_index(index_doc([descriptor(MT_MANIFEST, manifest)] * 2000), blobs), [layer.raw]


# (6) digest / format confusion -----------------------------------------------------

def oci_with_manifest_digest(digest):
    layer = simple_layer(*base_files())
    files, manifest = oci_parts([layer], manifest_descriptor={
        "mediaType": MT_MANIFEST, "digest": digest, "size": 100})
    return outer_tar(files), [layer.raw]


@case("digest_traversal", "digests", "a manifest digest 'sha256:../../x' is not a path",
      expect="error", error_kind="DigestError", exit_code=2)
def _():
    return oci_with_manifest_digest("sha256:../../../etc/passwd")


@case("digest_uppercase", "digests", "uppercase hex is not a valid sha256 digest",
      expect="error", error_kind="DigestError", exit_code=2)
def _():
    return oci_with_manifest_digest("sha256:" + "A" * 64)


@case("digest_wrong_length", "digests", "a sha256 digest with 63 hex digits",
      expect="error", error_kind="DigestError", exit_code=2)
def _():
    return oci_with_manifest_digest("sha256:" + "a" * 63)


@case("digest_unknown_algorithm", "digests",
      "a layer digest with an unknown algorithm: parsed, stored as blobs/<alg>/<hex>, not checkable",
      exit_code=0)
def _():
    layer = simple_layer(*base_files())
    fake = "blake9:" + "0" * 32
    files, _ = oci_parts([layer], layer_descriptors=[
        {"mediaType": MT_LAYER, "digest": fake, "size": len(layer.stored)}])
    files.append(("blobs/blake9/" + "0" * 32, layer.stored))
    return outer_tar(files), [layer.raw]


@case("digest_size_mismatch", "digests", "a layer descriptor whose size is wrong",
      exit_code=1)
def _():
    layer = simple_layer(*base_files())
    return oci_archive([layer], layer_descriptors=[
        descriptor(MT_LAYER, layer.stored, size=len(layer.stored) + 1)]), [layer.raw]


@case("digest_content_mismatch", "digests", "a layer whose bytes do not hash to its descriptor digest",
      exit_code=1)
def _():
    layer = simple_layer(*base_files())
    other = simple_layer(member("other", b"o"))
    files, _ = oci_parts([layer], layer_descriptors=[descriptor(MT_LAYER, other.stored)])
    files.append(("blobs/sha256/" + sha256(other.stored), layer.stored))
    return outer_tar(files), [layer.raw]


@case("mediatype_says_index", "digests", "a manifest whose descriptor media type says index",
      warnings=["media-type-mismatch"], exit_code=0)
def _():
    layer = simple_layer(*base_files())
    files, manifest = oci_parts([layer])
    files2, _ = oci_parts([layer], manifest_descriptor=descriptor(MT_INDEX, manifest))
    return outer_tar(files2), [layer.raw]


@case("layer_gzip_mediatype_plain", "digests",
      "a plain tar layer whose media type says gzip: compression is detected from the bytes",
      exit_code=0)
def _():
    layer = simple_layer(*base_files())
    return oci_archive([layer], layer_media=MT_LAYER_GZ), [layer.raw]


@case("blob_missing", "digests", "a layer blob absent from the archive",
      exit_code=1)
def _():
    layer = simple_layer(*base_files())
    return oci_archive([layer], skip_blobs=("sha256:" + sha256(layer.stored),)), [layer.raw]


@case("config_missing", "digests", "the config blob is absent",
      expect="error", error_kind="MissingError", exit_code=2)
def _():
    layer = simple_layer(*base_files())
    config = image_config([layer.diff_id])
    return oci_archive([layer], skip_blobs=("sha256:" + sha256(config),)), [layer.raw]


@case("layer_sources_lying", "digests",
      "docker-archive LayerSources that claim other digests and sizes: reported, never used",
      warnings=["layer-sources"], exit_code=0)
def _():
    layer = simple_layer(*base_files())
    lie = {"sha256:" + "e" * 64: {"mediaType": MT_LAYER_GZ, "size": 1, "digest": "sha256:" + "e" * 64}}
    return docker_archive([layer], manifest_extra={"LayerSources": lie}), [layer.raw]


@case("manifest_json_escape", "digests", "manifest.json layer paths with '..'",
      expect="error", error_kind="FormatError", exit_code=2)
def _():
    layer = simple_layer(*base_files())
    return docker_archive([layer], layer_names=["../../../etc/passwd"]), [layer.raw]


@case("diff_id_count_mismatch", "digests", "a config with more diff_ids than layers",
      expect="error", error_kind="FormatError", exit_code=2)
def _():
    layer = simple_layer(*base_files())
    config = image_config([layer.diff_id, layer.diff_id])
    manifest = json.dumps([{"Config": "config.json", "Layers": ["l/layer.tar"]}]).encode()
    return outer_tar([("manifest.json", manifest), ("config.json", config),
                      ("l/layer.tar", layer.stored)]), [layer.raw]


@case("manifest_json_wrong_types", "digests", "manifest.json with numbers where strings belong",
      expect="error", error_kind="FormatError", exit_code=2)
def _():
    manifest = b'[{"Config": 5, "Layers": {"a": 1}, "RepoTags": "x"}]'
    return outer_tar([("manifest.json", manifest)]), []


@case("json_deeply_nested", "exhaustion", "a config 100,000 arrays deep (serde_json's recursion limit)",
      expect="error", error_kind="FormatError", exit_code=2)
def _():
    layer = simple_layer(*base_files())
    config = b"[" * 100_000 + b"]" * 100_000
    manifest = json.dumps([{"Config": "config.json", "Layers": ["l/layer.tar"]}]).encode()
    return outer_tar([("manifest.json", manifest), ("config.json", config),
                      ("l/layer.tar", layer.stored)]), [layer.raw]


# (8) text a terminal would obey ----------------------------------------------
# Escape sequences, bidi overrides and bytes that are not UTF-8 wherever an
# image carries text. Every command on these cases must print only safe text
# (tests/tests/terminal_output.rs); names keep their exact bytes.

EVIL = "evil\x1b[31mRED\x1b[0m\x1b]0;pwned\x07name"


def encoded(raw):
    """A raw name as layerscope's core encodes it (core/src/names.rs): valid
    UTF-8 as is, each other byte as U+10FF00 + byte, and a code point of
    U+10FF00..U+10FFFF as its four bytes escaped the same way."""
    if isinstance(raw, str):
        raw = raw.encode()
    out = []
    for ch in raw.decode("utf-8", "surrogateescape"):
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:
            out.append(chr(0x10FF00 + code - 0xDC00))
        elif code >= 0x10FF00:
            out.extend(chr(0x10FF00 + b) for b in ch.encode())
        else:
            out.append(ch)
    return "".join(out)


@case("term_entry_names", "terminal",
      "entry names, link targets, owner and xattr names with escape sequences, bidi overrides, C1 controls, DEL, newlines and quotes",
      present=[EVIL, "dir/line1\nline2", 'quote"back\\slash', "\u202eexe.txt", "csi\u009b31m", "del\x7f",
               "link-esc", "hard-esc"], exit_code=0)
def _():
    lower = simple_layer(
        *base_files(),
        member(EVIL, b"red\n"),
        directory("dir/"),
        member("dir/line1\nline2", b"x"),
        member('quote"back\\slash', b"q"),
        member("\u202eexe.txt", b"bidi"),
        member("csi\u009b31m", b"c1"),
        member("del\x7f", b"del", uname=b"\x1b[31mroot", gname=b"\x1b]0;grp\x07"),
        symlink("link-esc", "\x1b]0;title\x07target"),
        hardlink("hard-esc", EVIL),
        pax({"SCHILY.xattr.user.\x1b[2J": "\x1b[5mvalue"}),
        member("xattr-file", b"x"),
    )
    upper = simple_layer(
        member(".wh." + EVIL),
        member("del\x7f", b"changed"),
        member("new\x1b[1mfile", b"added"),
    )
    return docker_archive([lower, upper]), [lower.raw, upper.raw]


@case("term_invalid_utf8", "terminal",
      "names, link targets and owner names that are not UTF-8: two names differing only in invalid bytes stay two, a valid U+10FF41 stays itself",
      warnings=["non-utf8-path"],
      present=[encoded(b"bad\xff\xfe"), encoded(b"d/\xff"), encoded(b"d/\xfe"),
               encoded("ok\U0010ff41"), "sym-bad", "hard-bad"], exit_code=0)
def _():
    lower = simple_layer(
        *base_files(),
        member(b"bad\xff\xfe", b"1"),
        directory("d/"),
        member(b"d/\xff", b"ff"),
        member(b"d/\xfe", b"fe"),
        member("ok\U0010ff41".encode(), b"u"),
        symlink("sym-bad", b"tar\xffget\x1b[2J"),
        hardlink("hard-bad", b"d/\xff"),
        member(b"gone\xc3", b"bye", uname=b"us\xe9r", gname=b"\xff"),
    )
    upper = simple_layer(member(b".wh.gone\xc3"), member(b"d/\xfe", b"FE"))
    return docker_archive([lower, upper]), [lower.raw, upper.raw]


def hostile_config(diff_ids):
    return json.dumps({
        "architecture": "amd64",
        "os": "linux",
        "author": "\x1b[5mauthor\u202e",
        "created": "2024-01-01T00:00:00Z\x1b[2J",
        "config": {
            "Env": ["A=\x1b[2J", "B=\u202eevil", "C=\u009b1m", "D=line\nbreak"],
            "Cmd": ["/bin/sh", "-c", "echo \x1b[31mred"],
            "Entrypoint": ["\x1b]0;pwned\x07"],
            "User": "\x1b[8mroot",
            "WorkingDir": "/w\x1b[K",
            "Labels": {"l\x1b[1m": "v\u202e", "org.x": "\x7fdel", "\u2066k": "<script>alert(1)</script>"},
            "StopSignal": "\x1bSIGTERM",
            "ExposedPorts": {"80/\x1b[31mtcp": {}},
            "Volumes": {"/v\x1b[2J": {}},
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [
            {"created_by": "RUN \x1b[31mred\x1b[0m && echo \u202eevil", "author": "\x1b[5m",
             "comment": "\u2066hidden\u2069", "created": "\x1b[2J"},
            {"created_by": "ENV \x1b]0;pwned\x07", "empty_layer": True},
            {"created_by": "RUN apt-get install \x9b31m && rm -rf \x1b[2J"},
        ],
    }, sort_keys=True).encode()


@case("term_config", "terminal",
      "tags, env, labels, cmd, entrypoint, user, ports, volumes, history, author and comment with escape sequences and bidi overrides; a secret, a cache and waste whose evidence carries them",
      present=["root/.ssh/id_rsa", "var/cache/apt/archives/\x1b[2J.deb"], exit_code=0)
def _():
    lower = simple_layer(
        *base_files(),
        directory("root/"), directory("root/.ssh/"),
        member("root/.ssh/id_rsa", b"-----BEGIN OPENSSH PRIVATE KEY-----\n"),
        member("big\x1b[31m.bin", b"\x1b[2J" * 4096),
    )
    upper = simple_layer(
        directory("var/"), directory("var/cache/"), directory("var/cache/apt/"),
        directory("var/cache/apt/archives/"),
        member("var/cache/apt/archives/\x1b[2J.deb", b"\x1b]0;deb\x07" * 512),
        member("big\x1b[31m.bin", b"again" * 1000),
        member("copy\u202e.bin", b"\x1b[2J" * 4096),
    )
    layers = [lower, upper]
    config = hostile_config([l.diff_id for l in layers])
    manifest = json.dumps([{"Config": "config.json",
                            "RepoTags": ["hostile:\x1b[31mred", "ok:\u202etag", "<b>html</b>:1"],
                            "Layers": ["l0/layer.tar", "l1/layer.tar"]}]).encode()
    return outer_tar([("manifest.json", manifest), ("config.json", config),
                      ("l0/layer.tar", lower.stored), ("l1/layer.tar", upper.stored)]), \
        [l.raw for l in layers]


@case("term_oci_annotations", "terminal",
      "an OCI index whose ref.name, annotations, platform and media type carry escape sequences and bidi overrides",
      exit_code=0)
def _():
    layer = simple_layer(*base_files(), member("oci\x1b[31mname", b"o"))
    files, manifest = oci_parts([layer])
    mdesc = descriptor(MT_MANIFEST, manifest, annotations={
        "org.opencontainers.image.ref.name": "\x1b[31mtag\u202e",
        "io.example.\x1b[2J": "\x1b]0;title\x07",
    }, platform={"os": "linux", "architecture": "amd64", "variant": "\x1b[2J"})
    index = json.dumps({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": [mdesc],
                        "annotations": {"org.opencontainers.image.ref.name": "\u202eidx"}},
                       sort_keys=True).encode()
    files = [f if f[0] != "index.json" else ("index.json", index) for f in files]
    return outer_tar(files), [layer.raw]


@case("term_member_missing", "terminal",
      "manifest.json references a layer member and a config whose names carry escape sequences; neither exists",
      expect="error", error_kind="MissingError", exit_code=2)
def _():
    manifest = json.dumps([{"Config": "c\x1b[31m.json", "RepoTags": ["\x1b]0;t\x07"],
                            "Layers": ["l\x1b[2J\u202e/layer.tar"]}]).encode()
    return outer_tar([("manifest.json", manifest)]), []


@case("term_member_names", "terminal",
      "outer archive members whose names carry escape sequences and bytes that are not UTF-8, referenced from manifest.json; an unsafe one beside them",
      warnings=["unsafe-member-path"], exit_code=0)
def _():
    layer = simple_layer(*base_files())
    config = image_config([layer.diff_id])
    layer_name = "\x1b]0;x\x07/layer.tar"
    manifest = json.dumps([{"Config": "c\x1b[31m.json", "RepoTags": ["hostile:case"],
                            "Layers": [layer_name]}]).encode()
    return outer_tar([("manifest.json", manifest), ("c\x1b[31m.json", config),
                      (layer_name, layer.stored), (b"../\x1b[2J\xff", b"x")]), [layer.raw]


@case("term_not_a_tar_text", "terminal",
      "a text file (like /etc/passwd) whose lines carry escape sequences: the error describes, never echoes",
      expect="error", error_kind="ArchiveError", exit_code=2)
def _():
    line = b"root:x:0:0:\x1b]0;pwned\x07\x1b[2J:/root:/bin/sh\n"
    return (line * 40)[:1000], []


@case("term_not_a_tar_random", "terminal",
      "1,000 bytes of noise with escape sequences in it: the error describes, never echoes",
      expect="error", error_kind="ArchiveError", exit_code=2)
def _():
    noise = b""
    block = b"seed"
    while len(noise) < 1000:
        block = hashlib.sha256(block).digest()
        noise += block + b"\x1b[31m\x9b\xe2\x80\xae"
    return noise[:1000], []


@case("term_json_not_utf8", "terminal",
      "a config.json with bytes that are not UTF-8 and escape sequences inside a string: the parse error quotes nothing",
      expect="error", error_kind="FormatError", exit_code=2)
def _():
    layer = simple_layer(*base_files())
    config = image_config([layer.diff_id]).replace(b'"os": "linux"', b'"os": "lin\xff\x1b[2Jux"')
    manifest = json.dumps([{"Config": "config.json", "Layers": ["l/layer.tar"]}]).encode()
    return outer_tar([("manifest.json", manifest), ("config.json", config),
                      ("l/layer.tar", layer.stored)]), [layer.raw]


# (packages) malformed package databases: warnings naming the file, never an
# abort; `packageWarnings` are the package scan's codes (tests/tests/hostile.rs).

DPKG_OK = (b"Package: bash\nStatus: install ok installed\nArchitecture: amd64\n"
           b"Version: 5.2.15-2+b2\n\n")


@case("pkgdb_dpkg_truncated", "packages",
      "a dpkg status file cut mid-paragraph, with a stray line: the complete paragraph is read",
      package_warnings=["package-db-malformed"], exit_code=0)
def _():
    return docker_one(*base_files(), member(
        "var/lib/dpkg/status",
        DPKG_OK + b"this line is not a field\nPackage: coreutils\nStatus: install ok inst"))


@case("pkgdb_apk_binary_garbage", "packages",
      "an apk database of binary garbage and invalid UTF-8",
      package_warnings=["package-db-encoding", "package-db-malformed"], exit_code=0)
def _():
    garbage = bytes((i * 37 + 11) % 256 for i in range(4096))
    return docker_one(*base_files(), member("lib/apk/db/installed", garbage))


@case("pkgdb_npm_not_json", "packages",
      "package.json files that are not JSON, and one nested 100,000 arrays deep",
      package_warnings=["package-db-malformed"], exit_code=0)
def _():
    return docker_one(
        *base_files(),
        member("app/node_modules/broken/package.json", b'{"name": "broken", "version": '),
        member("app/node_modules/deep/package.json", b"[" * 100_000),
        member("app/node_modules/ok/package.json", b'{"name": "ok", "version": "1.0.0"}'))


@case("pkgdb_metadata_over_limit", "packages",
      "a Python METADATA over --max-package-db-bytes is skipped, naming the file",
      limits={"maxPackageDbBytes": 4096},
      package_warnings=["package-db-too-large"], exit_code=0)
def _():
    big = b"Name: big\nVersion: 1.0\n\n" + b"x" * 65536
    return docker_one(*base_files(), member(
        "usr/lib/python3/dist-packages/big-1.0.dist-info/METADATA", big))


@case("pkgdb_hostile_binaries", "packages",
      "executables with a Go build-info magic and an absurd length, and an ELF header "
      "whose section table points past the end: no packages, no crash",
      exit_code=0)
def _():
    go = (b"\x7fELF" + b"\0" * 60 + b"\xff Go buildinf:\x08\x02" + b"\0" * 16
          + b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01" + b"go1.22" + b"\0" * 64)
    elf = bytearray(b"\x7fELF\x02\x01\x01" + b"\0" * 9)
    elf += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0, 0, 1 << 40, 0, 64, 56, 0, 64, 0xffff, 3)
    elf += b"\0" * 256
    return docker_one(*base_files(), member("usr/bin/go-app", go, mode=0o755),
                      member("usr/bin/elf-app", bytes(elf), mode=0o755))


# Cases built at test time (too big to commit); the Rust test knows them by name.
GENERATED = [
    {"case": "pax_100mb_record", "category": "exhaustion", "generator": "pax_100mb",
     "note": "a 100 MB PAX record in a layer (sparse file): refused at the header",
     "expect": "error", "errorKind": "LimitError", "exit": 1},
    {"case": "outer_pax_100mb", "category": "exhaustion", "generator": "outer_pax_100mb",
     "note": "a 100 MB PAX record in the outer archive (sparse file)",
     "expect": "error", "errorKind": "LimitError", "exit": 2},
    {"case": "manifest_json_65mib", "category": "exhaustion", "generator": "huge_manifest",
     "note": "a manifest.json of 65 MiB (sparse), over the 64 MiB max_json_bytes",
     "expect": "error", "errorKind": "LimitError", "exit": 2},
    {"case": "layer_8gib_declared", "category": "exhaustion", "generator": "layer_8gib",
     "note": "a layer member declaring 8 GiB in a sparse archive of zeros: streamed and hashed, refused by --max-layer-bytes",
     "expect": "error", "errorKind": "LimitError", "exit": 1,
     "limits": {"maxLayerBytes": 50_000_000}},
    # Secrets are never committed, not even fake ones: the values are random
    # and written at test time.
    {"case": "secret_split_across_blocks", "category": "secrets", "generator": "secret_split",
     "note": "a GitLab token starting at byte 500 of a file's data, across the 512-byte tar block boundary: found once, on its line",
     "expect": "ok", "exit": 0, "secrets": ["gitlab-token@app/notes.txt:2"]},
    {"case": "secret_near_match_flood", "category": "secrets", "generator": "secret_flood",
     "note": "5 MB of near-matches of every pattern (prefixes without their values), then one token: one linear pass, within the time budget",
     "expect": "ok", "exit": 0, "secrets": ["github-token@app/flood.txt:60001"]},
]


def main():
    global GZIP_BOMB_DIFF_ID
    check = "--check" in sys.argv[1:]
    h = hashlib.sha256()
    h.update(header("zeros", size=1 << 30))
    zero = b"\0" * (1 << 20)
    for _ in range(1024):
        h.update(zero)
    h.update(END)
    GZIP_BOMB_DIFF_ID = h.hexdigest()

    os.makedirs(CASES_DIR, exist_ok=True)
    expected = []
    produced = {}
    files_by_case = {}
    for c in CASES:
        built = c["builder"]()
        image, raws = built if isinstance(built, tuple) else (built, [])
        name = c["case"]
        if image is None:
            file_name = {"gzip_bomb_limited": "gzip_bomb.tar",
                         "many_tiny_entries_limited": "many_tiny_entries.tar"}[name]
        else:
            file_name = name + ".tar"
            produced[file_name] = image
        files_by_case[name] = file_name
        entry = {"case": name, "category": c["category"], "file": "cases/" + file_name,
                 "expect": c["expect"], "note": c["note"]}
        if c["errorKind"]:
            entry["errorKind"] = c["errorKind"]
        if c["warnings"]:
            entry["warnings"] = c["warnings"]
        if c["limits"]:
            entry["limits"] = c["limits"]
        if c["exit"] is not None:
            entry["exit"] = c["exit"]
        if c["absent"]:
            entry["absent"] = c["absent"]
        if c["present"]:
            entry["present"] = c["present"]
        if c["overlay"] is not True:
            entry["skipOverlay"] = c["overlay"]
        if c["packageWarnings"]:
            entry["packageWarnings"] = c["packageWarnings"]
        expected.append(entry)
    expected.extend(GENERATED)
    text = json.dumps(expected, indent=2) + "\n"

    mismatched = []
    for file_name, data in sorted(produced.items()):
        path = os.path.join(CASES_DIR, file_name)
        if check:
            with open(path, "rb") as f:
                if f.read() != data:
                    mismatched.append(file_name)
        else:
            with open(path, "wb") as f:
                f.write(data)
    if check:
        with open(EXPECTED) as f:
            if f.read() != text:
                mismatched.append("expected.json")
        if mismatched:
            print("out of date: " + ", ".join(mismatched), file=sys.stderr)
            sys.exit(1)
        print("corpus up to date: %d files, %d cases" % (len(produced), len(expected)))
        return
    for stale in os.listdir(CASES_DIR):
        if stale not in produced:
            os.remove(os.path.join(CASES_DIR, stale))
    with open(EXPECTED, "w") as f:
        f.write(text)
    total = sum(len(d) for d in produced.values())
    print("wrote %d files (%.1f MB), %d cases" % (len(produced), total / 1e6, len(expected)))


def layers_of(case_name):
    """The raw layer tars of a case (for tests/hostile/differential.py)."""
    for c in CASES:
        if c["case"] == case_name:
            built = c["builder"]()
            return built[1] if isinstance(built, tuple) else []
    return []


if __name__ == "__main__":
    main()
