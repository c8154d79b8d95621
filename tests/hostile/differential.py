#!/usr/bin/env python3
"""Differential check: for every hostile case, compare the entry names that
layerscope (`layerscope ls --layer N --json`), GNU tar (`tar -tf`) and
Python's `tarfile` read from each layer, and write the disagreements to
tests/hostile/differential.md.

Usage: python3 tests/hostile/differential.py [path/to/layerscope]
(default: target/debug/layerscope; build it first with
`cargo build -p layerscope-cli`). Needs GNU tar on PATH.

Names are compared after the same light cleaning for all three readers
(leading `./` and `/`, trailing `/` and doubled `/` removed); `..` is kept,
so names layerscope refuses show up as differences.
"""

import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import make_corpus  # noqa: E402


def clean(name):
    while name.startswith("./"):
        name = name[2:]
    name = name.lstrip("/")
    while "//" in name:
        name = name.replace("//", "/")
    name = name.replace("/./", "/")
    return name.rstrip("/")


def gnu_tar(raw):
    with tempfile.NamedTemporaryFile(suffix=".tar") as f:
        f.write(raw)
        f.flush()
        p = subprocess.run(["tar", "--quoting-style=literal", "-tf", f.name],
                           capture_output=True)
    names = [clean(n) for n in p.stdout.decode("utf-8", "replace").splitlines()]
    err = p.stderr.decode("utf-8", "replace").strip().splitlines()
    return names, (err[0] if err and p.returncode != 0 else None)


def python_tarfile(raw):
    try:
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as t:
            return [clean(n) for n in t.getnames()], None
    except Exception as e:  # noqa: BLE001 - any failure is a result here
        return [], "%s: %s" % (type(e).__name__, e)


FLAGS = {"maxJsonBytes": "--max-json-bytes", "maxArchiveMembers": "--max-archive-members",
         "maxEntriesPerLayer": "--max-entries", "maxPathBytes": "--max-path-bytes",
         "maxPaxBytes": "--max-pax-bytes", "maxLayerBytes": "--max-layer-bytes",
         "maxIndexDepth": "--max-index-depth",
         "maxIndexDescriptors": "--max-index-descriptors",
         "maxListingPathBytes": "--max-listing-path-bytes"}


def layerscope(binary, image, layer, limits):
    flags = []
    for key, value in (limits or {}).items():
        flags += [FLAGS[key], str(value)]
    p = subprocess.run([binary, "ls", image, "--layer", str(layer), "--json"] + flags,
                       capture_output=True)
    if p.returncode != 0:
        err = p.stderr.decode("utf-8", "replace").strip().splitlines()
        return [], (err[0] if err else "exit %d" % p.returncode)
    doc = json.loads(p.stdout)
    return [e["path"] for e in doc["entries"]], None


def show(names, err, limit=6):
    if err:
        return "error: " + err.replace("|", "\\|")[:120]
    shown = ", ".join("`%s`" % n.replace("|", "\\|").replace("\n", "\\n")[:60] for n in names[:limit])
    if len(names) > limit:
        shown += ", … (%d)" % len(names)
    return shown or "(none)"


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target/debug/layerscope")
    make_corpus.GZIP_BOMB_DIFF_ID = "0" * 64
    with open(os.path.join(HERE, "expected.json")) as f:
        expected = {c["case"]: c for c in json.load(f)}
    rows = []
    agree = 0
    for c in make_corpus.CASES:
        name = c["case"]
        # Layers only: the other categories are about the outer archive and
        # its JSON, which GNU tar and tarfile do not interpret.
        if c["category"] not in ("names", "links", "whiteouts", "tar"):
            continue
        built = c["builder"]()
        image_bytes, raws = built if isinstance(built, tuple) else (built, [])
        if not raws or name not in expected or "file" not in expected[name]:
            continue
        image = os.path.join(HERE, expected[name]["file"])
        for i, raw in enumerate(raws):
            g, gerr = gnu_tar(raw)
            p, perr = python_tarfile(raw)
            l, lerr = layerscope(binary, image, i, c["limits"])
            same = (g, gerr is None) == (p, perr is None) == (l, lerr is None)
            if same:
                agree += 1
                continue
            rows.append("| %s | %d | %s | %s | %s |" % (
                name, i, show(l, lerr), show(g, gerr), show(p, perr)))
    out = [
        "# Differential check (generated)",
        "",
        "Made by `python3 tests/hostile/differential.py`: entry names per layer",
        "as read by layerscope, GNU tar %s and Python %s `tarfile`, for every"
        % (subprocess.run(["tar", "--version"], capture_output=True).stdout.decode().splitlines()[0].split()[-1],
           sys.version.split()[0]),
        "hostile case with a layer. %d layers agree; the %d below do not. Why"
        % (agree, len(rows)),
        "layerscope's reading is the safe one is in docs/security.md.",
        "",
        "| case | layer | layerscope | GNU tar | Python tarfile |",
        "| --- | --- | --- | --- | --- |",
    ] + rows
    with open(os.path.join(HERE, "differential.md"), "w") as f:
        f.write("\n".join(out) + "\n")
    print("%d layers agree, %d differ -> tests/hostile/differential.md" % (agree, len(rows)))


if __name__ == "__main__":
    main()
