#!/usr/bin/env python3
"""Checks layerscope against reference tools on the images real-debian.sh
built, and prints one PASS/FAIL row per image x format x check.

  flatten     `layerscope flatten`, extracted with GNU tar, vs the
              `umoci unpack` rootfs (compare.py, with xattrs and devices)
  ls          `layerscope ls --layer N --json` vs `tar -tv` of the layer
              blob decompressed with the gzip/zstd CLI (every layer)
  digests     `layerscope verify --json` vs `skopeo inspect --raw`/`--config`
              and sha256sum of the blobs and of their decompressed streams
  efficiency  `layerscope efficiency --json` vs `dive --ci --json` on the
              image's docker-archive (dive reads no OCI input)
  diff        `layerscope diff A B --json` vs a tree diff of the two umoci
              rootfs (pairs of related images, across formats): added,
              removed and changed paths, and what changed
  packages    `layerscope packages --json` (final image, and `--layer N`
              for every layer) vs `dpkg-query --admindir=DIR -W` on the umoci
              rootfs and on the dpkg status file each layer blob writes;
              addedLayer / changedLayers / removed vs the history of those
              per-layer sets; files vs `dpkg-query -L`

A FAIL whose every difference line matches a pattern of --known (regex,
check, reason per line) is shown as KNOWN with its reason; see
docs/differential.md.
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import compare_trees, walk  # noqa: E402

# (format name, file suffix, skopeo transport)
FORMATS = [
    ("docker", ".docker.tar", "docker-archive"),
    ("oci", ".oci.tar", "oci-archive"),
    ("oci-dir", ".oci-dir", "oci"),
    ("oci-zstd", ".oci-zstd.tar", "oci-archive"),
    ("oci-zstd-chunked", ".oci-zstd-chunked.tar", "oci-archive"),
]
# Related image pairs for `diff` (A, format of A, B, format of B).
DIFF_PAIRS = [
    ("apt-lists", "docker", "apt-clean", "oci-zstd"),
    ("apt-clean", "oci-dir", "fs-edge", "oci-zstd-chunked"),
    ("fs-edge", "oci", "overlay-edge", "docker"),
]
MAX_DETAILS = 8


def run(cmd, ok=(0,), **kw):
    """Runs a command; returns its stdout bytes (raises on other codes)."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    if p.returncode not in ok:
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {p.returncode}: "
                           f"{p.stderr.decode(errors='replace').strip()[:400]}")
    return p.stdout


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


class Results:
    def __init__(self, known):
        self.rows = []
        self.mark = time.monotonic()
        self.known = known  # [(check, regex, reason)]

    def add(self, image, fmt, check, errors, summary=""):
        status, reason = "PASS", ""
        if errors:
            status = "FAIL"
            reasons = set()
            for e in errors:
                hit = [r for (c, rx, r) in self.known if c == check and rx.search(e)]
                if not hit:
                    break
                reasons.add(hit[0])
            else:
                status, reason = "KNOWN", "; ".join(sorted(reasons))
        self.rows.append((image, fmt, check, status, summary, errors, reason))
        now = time.monotonic()
        print(f"  {status:<5} {check:<10} {image} {fmt} {summary} [{now - self.mark:.1f} s]", flush=True)
        self.mark = now
        if status == "FAIL":
            for e in errors[:MAX_DETAILS]:
                print(f"        {e}")
            if len(errors) > MAX_DETAILS:
                print(f"        ... {len(errors) - MAX_DETAILS} more")

    def table(self):
        w = max([len(r[0]) for r in self.rows] + [5])
        out = [f"{'image':<{w}}  {'format':<24}  {'check':<10}  {'result':<6}  details",
               f"{'-' * w}  {'-' * 24}  {'-' * 10}  {'-' * 6}  -------"]
        for image, fmt, check, status, summary, errors, reason in self.rows:
            detail = summary
            if status == "FAIL":
                detail += f" ({len(errors)} difference(s); first: {errors[0]})"
            elif status == "KNOWN":
                detail += f" ({len(errors)} documented difference(s): {reason})"
            out.append(f"{image:<{w}}  {fmt:<24}  {check:<10}  {status:<6}  {detail}")
        counts = {s: sum(1 for r in self.rows if r[3] == s) for s in ("PASS", "KNOWN", "FAIL")}
        out.append(f"\n{counts['PASS']} passed, {counts['KNOWN']} documented differences, "
                   f"{counts['FAIL']} failed")
        return "\n".join(out)

    def failed(self):
        return any(r[3] == "FAIL" for r in self.rows)


def load_known(path):
    known = []
    if path and os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            check, rx, reason = [x.strip() for x in line.split("\t") if x.strip()]
            known.append((check, re.compile(rx), reason))
    return known


# --- image layout: manifest, config and layer blobs --------------------------

class Layout:
    """An image's manifest, config and layer blob paths, read from the files
    (archives are unpacked with tar first)."""

    def __init__(self, path, fmt, work):
        if os.path.isdir(path):
            d = path
        else:
            d = os.path.join(work, "unpacked", os.path.basename(path))
            if not os.path.isdir(d):
                os.makedirs(d)
                run(["tar", "-xf", path, "-C", d])
        self.dir = d
        if fmt == "docker":
            m = json.load(open(os.path.join(d, "manifest.json")))[0]
            self.manifest_bytes = None
            self.config_path = os.path.join(d, m["Config"])
            self.layers = [os.path.join(d, layer) for layer in m["Layers"]]
            self.layer_digests = None
        else:
            index = json.load(open(os.path.join(d, "index.json")))
            mdesc = index["manifests"][0]
            mpath = self.blob(mdesc["digest"])
            self.manifest_bytes = open(mpath, "rb").read()
            manifest = json.loads(self.manifest_bytes)
            self.config_path = self.blob(manifest["config"]["digest"])
            self.layers = [self.blob(layer["digest"]) for layer in manifest["layers"]]
            self.layer_digests = [layer["digest"] for layer in manifest["layers"]]
        self.config = json.load(open(self.config_path))

    def blob(self, digest):
        algo, hexd = digest.split(":", 1)
        return os.path.join(self.dir, "blobs", algo, hexd)


def decompress(blob, out):
    """Decompresses a layer blob with the gzip or zstd CLI (chosen from its
    magic bytes) into `out`; returns the compression name."""
    with open(blob, "rb") as f:
        magic = f.read(4)
    if magic[:2] == b"\x1f\x8b":
        tool, name = ["gzip", "-dc", blob], "gzip"
    elif magic == b"\x28\xb5\x2f\xfd":
        tool, name = ["zstd", "-dcq", blob], "zstd"
    else:
        tool, name = ["cat", blob], "none"
    with open(out, "wb") as o:
        subprocess.run(tool, stdout=o, check=True)
    return name


# --- check: flatten vs umoci -------------------------------------------------

REF_WALKS = {}  # umoci rootfs -> its walk (the same for every format)


def check_flatten(res, ls, image, fmt, path, ref, work):
    flat_tar = os.path.join(work, "flat.tar")
    flat = os.path.join(work, "flat")
    shutil.rmtree(flat, ignore_errors=True)
    os.makedirs(flat)
    run([ls, "flatten", path, "-o", flat_tar])
    run(["tar", "--numeric-owner", "--xattrs", "--xattrs-include=*", "-xpf", flat_tar, "-C", flat])
    root = os.path.join(ref, image, "rootfs")
    if root not in REF_WALKS:
        REF_WALKS[root] = walk(root, xattrs=True)
    n, errors = compare_trees(root, flat, xattrs=True, ta=REF_WALKS[root])
    res.add(image, fmt, "flatten", errors, f"{n} paths")
    shutil.rmtree(flat, ignore_errors=True)
    os.remove(flat_tar)


# --- check: ls vs tar -tv ----------------------------------------------------

TV = re.compile(r'^(.)(.{9}) +(\d+)/(\d+) +(\S+) +(\S+ \S+) "((?:[^"\\]|\\.)*)"'
                r'(?: (->|link to) "((?:[^"\\]|\\.)*)")?$')
KINDS = {"-": "file", "d": "dir", "l": "symlink", "h": "hardlink", "c": "char-device",
         "b": "block-device", "p": "fifo"}


def unquote_c(s):
    """Undoes GNU tar's --quoting-style=c (octal escapes of UTF-8 bytes)."""
    raw = s.encode("latin-1", "backslashreplace").decode("unicode_escape").encode("latin-1")
    return raw.decode("utf-8", "surrogateescape")


def perm_bits(s):
    """`rwsr-xr-t` -> 0o5755 (including setuid/setgid/sticky)."""
    bits = 0
    for i, ch in enumerate(s):
        if ch not in "-ST":
            bits |= 1 << (8 - i)
    for i, (ch, flag, exec_pos) in enumerate(((s[2], 0o4000, 2), (s[5], 0o2000, 5), (s[8], 0o1000, 8))):
        if ch in "sStT":
            bits |= flag
            if ch in "ST":
                bits &= ~(1 << (8 - exec_pos))
    return bits


def norm(name):
    while name.startswith("./"):
        name = name[2:]
    return name.strip("/")


def tar_tv(layer_tar):
    env = dict(os.environ, LC_ALL="C", TZ="UTC")
    out = run(["tar", "-tv", "--numeric-owner", "--full-time", "--quoting-style=c", "-f", layer_tar],
              env=env).decode("ascii")
    rows = []
    for line in out.splitlines():
        m = TV.match(line)
        if not m:
            raise RuntimeError(f"cannot parse tar -tv line: {line!r}")
        t, perms, uid, gid, size, _when, name, arrow, target = m.groups()
        rows.append({"path": norm(unquote_c(name)), "kind": KINDS.get(t, t), "mode": perm_bits(perms),
                     "uid": int(uid), "gid": int(gid),
                     "size": None if "," in size else int(size),
                     "device": tuple(int(x) for x in size.split(",")) if "," in size else None,
                     "target": None if target is None else
                     (norm(unquote_c(target)) if arrow == "link to" else unquote_c(target))})
    return rows


def check_ls(res, ls, image, fmt, path, layout, work):
    errors, total = [], 0
    for i, blob in enumerate(layout.layers):
        layer_tar = os.path.join(work, "layer.tar")
        decompress(blob, layer_tar)
        ref = tar_tv(layer_tar)
        os.remove(layer_tar)
        ours = json.loads(run([ls, "ls", path, "--layer", str(i), "--json"]))["entries"]
        total += len(ref)
        if len(ours) != len(ref):
            errors.append(f"layer {i}: {len(ours)} entries != tar -tv {len(ref)}")
        for r, o in zip(ref, ours):
            where = f"layer {i} {r['path']}"
            if o["path"] != r["path"]:
                errors.append(f"layer {i}: path {o['path']!r} != tar -tv {r['path']!r}")
                continue
            kind = o["kind"]
            if kind != r["kind"]:
                errors.append(f"{where}: kind {kind} != tar -tv {r['kind']}")
            if (o["mode"] & 0o7777) != r["mode"]:
                errors.append(f"{where}: mode {o['mode'] & 0o7777:o} != tar -tv {r['mode']:o}")
            if (o["uid"], o["gid"]) != (r["uid"], r["gid"]):
                errors.append(f"{where}: owner {o['uid']}/{o['gid']} != tar -tv {r['uid']}/{r['gid']}")
            if r["size"] is not None and kind in ("file", "dir", "symlink", "fifo") and o["size"] != r["size"]:
                errors.append(f"{where}: size {o['size']} != tar -tv {r['size']}")
            if r["target"] is not None and (o["linkTarget"] or "") != r["target"]:
                errors.append(f"{where}: link target {o['linkTarget']!r} != tar -tv {r['target']!r}")
            if r["device"] is not None:
                dev = o.get("device") or {}
                got = (dev.get("major"), dev.get("minor")) if isinstance(dev, dict) else tuple(dev)
                if tuple(got) != r["device"]:
                    errors.append(f"{where}: device {got} != tar -tv {r['device']}")
    res.add(image, fmt, "ls", errors, f"{len(layout.layers)} layers, {total} entries")


# --- check: digests vs skopeo + sha256sum ------------------------------------

def check_digests(res, ls, image, fmt, transport, path, layout, work):
    errors = []
    ref = f"{transport}:{path}"
    raw = run(["skopeo", "inspect", "--raw", ref])
    manifest = json.loads(raw)
    config_raw = run(["skopeo", "inspect", "--raw", "--config", ref])
    config = json.loads(config_raw)
    report = json.loads(run([ls, "verify", path, "--json"], ok=(0, 1)))
    img = report["image"]
    if not report["verification"]["ok"]:
        bad = [c for c in report["verification"]["checks"] if c["status"] not in ("verified", "not-checkable")]
        errors.append(f"verify: not ok: {bad[:2]}")
    config_digest = "sha256:" + hashlib.sha256(config_raw).hexdigest()
    if img["configDigest"] != config_digest:
        errors.append(f"config digest {img['configDigest']} != sha256(skopeo --config) {config_digest}")
    if manifest["config"]["digest"] != config_digest:
        errors.append(f"skopeo manifest config {manifest['config']['digest']} != {config_digest}")
    if sha256_file(layout.config_path) != config_digest:
        errors.append(f"config file {layout.config_path} hashes differently from skopeo's config")
    if fmt != "docker":
        md = "sha256:" + hashlib.sha256(raw).hexdigest()
        if img.get("manifestDigest") != md:
            errors.append(f"manifest digest {img.get('manifestDigest')} != sha256(skopeo --raw) {md}")
    diff_ids = config["rootfs"]["diff_ids"]
    layers = report["layers"]
    if not (len(layers) == len(manifest["layers"]) == len(diff_ids) == len(layout.layers)):
        errors.append(f"layer counts: ours {len(layers)}, skopeo manifest {len(manifest['layers'])}, "
                      f"diff_ids {len(diff_ids)}, blobs {len(layout.layers)}")
    for i, (ours, desc, diff_id, blob) in enumerate(zip(layers, manifest["layers"], diff_ids, layout.layers)):
        blob_sha = sha256_file(blob)
        if ours["digest"] != desc["digest"]:
            errors.append(f"layer {i}: digest {ours['digest']} != skopeo {desc['digest']}")
        if ours["digest"] != blob_sha:
            errors.append(f"layer {i}: digest {ours['digest']} != sha256sum(blob) {blob_sha}")
        if ours["size"] != os.path.getsize(blob):
            errors.append(f"layer {i}: size {ours['size']} != blob size {os.path.getsize(blob)}")
        plain = os.path.join(work, "plain.tar")
        comp = decompress(blob, plain)
        plain_sha, plain_size = sha256_file(plain), os.path.getsize(plain)
        os.remove(plain)
        if ours["diffId"] != diff_id or ours["diffId"] != plain_sha:
            errors.append(f"layer {i}: diffId {ours['diffId']} vs config {diff_id} vs sha256(decompressed) {plain_sha}")
        if ours["uncompressedSize"] != plain_size:
            errors.append(f"layer {i}: uncompressed size {ours['uncompressedSize']} != {plain_size}")
        if ours["compression"] != comp:
            errors.append(f"layer {i}: compression {ours['compression']} != magic bytes say {comp}")
        if ours.get("status") != "verified":
            errors.append(f"layer {i}: status {ours.get('status')}")
    res.add(image, fmt, "digests", errors, f"config + {len(layers)} layers")


# --- check: efficiency vs dive -----------------------------------------------

def dive_reference(docker_archive, work):
    """dive's numbers for a docker-archive: (image json, layer json, the
    userWastedPercent line of its CI output)."""
    out_json = os.path.join(work, "dive.json")
    # dive 0.13.1 opens its --json file without truncating it: a longer
    # earlier report would leave trailing bytes.
    if os.path.exists(out_json):
        os.remove(out_json)
    env = dict(os.environ, CI="true")
    text = run(["dive", docker_archive, "--source", "docker-archive", "--ci", "--json", out_json,
                "--lowestEfficiency", "0", "--highestUserWastedPercent", "disabled",
                "--highestWastedBytes", "disabled"], env=env, cwd=work).decode(errors="replace")
    d = json.load(open(out_json))
    m = re.search(r"userWastedPercent: ([0-9.]+|NaN) %", text)
    return d, (m.group(1) if m else None)


def check_efficiency(res, ls, image, fmt, path, dive):
    d, user_pct = dive
    ours = json.loads(run([ls, "efficiency", path, "--json", "--top", "100000"]))["dive"]
    ref = d["image"]
    errors = []
    if abs(ours["score"] - ref["efficiencyScore"]) > 1e-12:
        errors.append(f"score {ours['score']!r} != dive {ref['efficiencyScore']!r}")
    if ours["wastedBytes"] != ref["inefficientBytes"]:
        errors.append(f"wasted bytes {ours['wastedBytes']} != dive {ref['inefficientBytes']}")
    if ours["sizeBytes"] != ref["sizeBytes"]:
        errors.append(f"size bytes {ours['sizeBytes']} != dive {ref['sizeBytes']}")
    user_size = sum(layer["sizeBytes"] for layer in d["layer"][1:])
    if ours["userSizeBytes"] != user_size:
        errors.append(f"user size bytes {ours['userSizeBytes']} != dive Σ layers[1:] {user_size}")
    ours_pct = ours["wastedUserPercent"]
    if user_pct is not None and ours_pct is not None and f"{ours_pct * 100:.4f}" != user_pct:
        errors.append(f"user wasted {ours_pct * 100:.4f} % != dive {user_pct} %")
    theirs = {"/" + r["file"].lstrip("/"): (r["count"], r["sizeBytes"]) for r in ref["fileReference"]}
    mine = {"/" + r["path"]: (r["count"], r["cumulativeSize"]) for r in ours["inefficiencies"]}
    for p in sorted(set(theirs) | set(mine)):
        if theirs.get(p) != mine.get(p):
            errors.append(f"{p}: (count, bytes) {mine.get(p)} != dive {theirs.get(p)}")
    summary = (f"score {ours['score']:.6f} wasted {ours['wastedBytes']} B "
               f"user-wasted {ours_pct * 100 if ours_pct is not None else float('nan'):.2f} % "
               f"({len(mine)} paths)")
    res.add(image, fmt, "efficiency", errors, summary)
    return ours


# --- check: diff vs a tree diff of the umoci rootfs --------------------------

def tree_diff(a, b):
    ta = REF_WALKS.get(a) or walk(a, xattrs=True)
    tb = REF_WALKS.get(b) or walk(b, xattrs=True)
    added = {p for p in tb if p not in ta}
    removed = {p for p in ta if p not in tb}
    changed = {}
    for p in set(ta) & set(tb):
        x, y = ta[p], tb[p]
        keys = [k for k in ("type", "mode", "uid", "gid", "target", "sha", "rdev", "xattrs") if x.get(k) != y.get(k)]
        if keys:
            changed[p] = keys
    return added, removed, changed


def check_diff(res, ls, images, ref, a, fa, b, fb):
    suffix = {f: s for f, s, _ in FORMATS}
    pa, pb = os.path.join(images, a + suffix[fa]), os.path.join(images, b + suffix[fb])
    ours = json.loads(run([ls, "diff", pa, pb, "--json"], ok=(0, 1)))
    added, removed, changed = tree_diff(os.path.join(ref, a, "rootfs"), os.path.join(ref, b, "rootfs"))
    errors = []
    for name, mine, theirs in (("added", {e["path"] for e in ours["added"]}, added),
                               ("removed", {e["path"] for e in ours["removed"]}, removed),
                               ("changed", {e["path"] for e in ours["changed"]}, set(changed))):
        for p in sorted(mine - theirs):
            errors.append(f"{p}: {name} by layerscope, not by the tree diff"
                          f"{' (tree diff: changed ' + ','.join(changed[p]) + ')' if p in changed else ''}")
        for p in sorted(theirs - mine):
            errors.append(f"{p}: {name} by the tree diff"
                          f"{' (' + ','.join(changed[p]) + ')' if p in changed else ''}, not by layerscope")
    # What changed, for paths both call changed (a type change is shown
    # without a matching aspect; inode and mtime have no tree-diff key).
    # (The tree diff's "size" is implied by its content hash.)
    aspect_of = {"mode": "mode", "uid": "owner", "gid": "owner", "target": "linkTarget",
                 "sha": "content", "rdev": "device", "xattrs": "xattrs"}
    for e in ours["changed"]:
        keys = changed.get(e["path"])
        if keys is None or "type" in keys:
            continue
        want = {aspect_of[k] for k in keys}
        got = set(e["aspects"]) - {"mtime", "inode", "size"}  # size goes with content
        if got != want:
            errors.append(f"{e['path']}: aspects {sorted(got)} != tree diff {sorted(want)}")
    summary = f"+{len(added)} -{len(removed)} ~{len(changed)} ({a}.{fa} -> {b}.{fb})"
    res.add(f"{a}->{b}", f"{fa}/{fb}", "diff", errors, summary)


# --- check: packages vs dpkg-query -------------------------------------------

STATUS = "var/lib/dpkg/status"
DPKG_FIELDS = "${Package}\\t${Architecture}\\t${Version}\\t${db:Status-Status}\\n"
# dpkg states whose package has no files on disk: `not-installed` (purged;
# `dpkg-query -W` skips it) and `config-files` (removed, conffiles kept;
# `dpkg-query -W` lists it). Every other state counts as present, as in
# core/src/packages/dpkg.rs.
ABSENT_STATES = {"not-installed", "config-files"}
GONE = "gone"  # a layer that whites out the status file
PKG_REFS = {}  # (image, diff_ids) -> per-layer reference
DPKG_L = {}  # (admindir, name:arch) -> files


def dpkg_query(admindir):
    """`dpkg-query -W` of an admin directory: ({(name, arch): version} of the
    packages whose files are on disk, {(name, arch): state} of every row)."""
    out = run(["dpkg-query", f"--admindir={admindir}", "-W", "-f", DPKG_FIELDS]).decode()
    present, states = {}, {}
    for line in out.splitlines():
        name, arch, version, state = line.split("\t")
        states[(name, arch)] = state
        if state not in ABSENT_STATES:
            present[(name, arch)] = version
    return present, states


def dpkg_files(admindir, name, arch):
    """`dpkg-query -L NAME:ARCH`: the package's files, relative, without `/.`."""
    key = (admindir, f"{name}:{arch}")
    if key not in DPKG_L:
        out = run(["dpkg-query", f"--admindir={admindir}", "-L", key[1]]).decode()
        files = {norm(p) for p in out.splitlines() if p.startswith("/")}
        DPKG_L[key] = sorted(files - {"", "."})
    return DPKG_L[key]


def dpkg_order(a, b):
    """How version a relates to b by `dpkg --compare-versions`."""
    for op, word in (("gt", "upgraded"), ("lt", "downgraded")):
        if subprocess.run(["dpkg", "--compare-versions", a, op, b]).returncode == 0:
            return word
    return "changed"


def layer_dpkg_status(blob, work):
    """What a layer does to var/lib/dpkg/status: the bytes it writes, GONE
    when it hides the lower one (a whiteout of it or of a parent, an opaque
    parent) without writing one, None when it leaves it alone."""
    plain = os.path.join(work, "packages-layer.tar")
    decompress(blob, plain)
    written, hidden = None, False
    try:
        with tarfile.open(plain, "r:") as tf:
            for m in tf:
                path = norm(m.name)
                parent, _, base = path.rpartition("/")
                if base.startswith(".wh."):
                    gone = parent if base == ".wh..wh..opq" else "/".join(x for x in (parent, base[4:]) if x)
                    hidden |= gone == "" or STATUS == gone or STATUS.startswith(gone + "/")
                elif path == STATUS and (m.isfile() or m.islnk()):
                    written = tf.extractfile(m).read()
    finally:
        os.remove(plain)
    return written if written is not None else (GONE if hidden else None)


def reference_layers(image, layout, work):
    """The dpkg package set as each layer leaves the image, from the status
    file the layer blobs write (`dpkg-query -W` on each), and the history
    of every package across them as layerscope defines it (docs/json.md):
    {"sets", "states", "sources", "history"}."""
    key = (image, tuple(layout.config["rootfs"]["diff_ids"]))
    if key in PKG_REFS:
        return PKG_REFS[key]
    sets, states, sources = [], [], []
    cur, cur_states, src = {}, {}, None
    admin = os.path.join(work, "admin")
    for i, blob in enumerate(layout.layers):
        status = layer_dpkg_status(blob, work)
        if status == GONE:
            cur, cur_states, src = {}, {}, None
        elif status is not None:
            shutil.rmtree(admin, ignore_errors=True)
            os.makedirs(admin)
            with open(os.path.join(admin, "status"), "wb") as f:
                f.write(status)
            cur, cur_states = dpkg_query(admin)
            src = i
            shutil.rmtree(admin)
        sets.append(cur)
        states.append(cur_states)
        sources.append(src)
    history, prev = {}, {}
    for layer, now in enumerate(sets):
        for k, v in sorted(now.items()):
            h = history.get(k)
            if h is None:
                history[k] = {"added": layer, "versionLayer": layer, "version": v, "changes": [],
                              "present": True, "removed": None}
            elif not h["present"]:
                h.update(present=True, removed=None, versionLayer=layer, version=v)
                h["changes"].append((layer, "readded", None, v))
            elif h["version"] != v:
                h["changes"].append((layer, dpkg_order(v, h["version"]), h["version"], v))
                h.update(version=v, versionLayer=layer)
        for k in sorted(prev):
            if k not in now:
                h = history[k]
                h.update(present=False, removed=layer)
                h["changes"].append((layer, "removed", h["version"], None))
        prev = now
    PKG_REFS[key] = {"sets": sets, "states": states, "sources": sources, "history": history}
    return PKG_REFS[key]


def deb_set(report):
    """{(name, arch): version} of the deb packages of a `packages --json`."""
    out = {}
    for p in report["packages"]:
        if p["ecosystem"] == "deb":
            out[(p["name"], p["arch"] or "")] = p["version"]
    return out


def compare_sets(where, ours, theirs, reference):
    """Differences between two {(name, arch): version}, first package first."""
    errors = []
    for k in sorted(set(ours) | set(theirs)):
        pkg = f"{k[0]}:{k[1]}"
        if k not in theirs:
            errors.append(f"{where}: {pkg} {ours[k]} listed by layerscope, not by {reference}")
        elif k not in ours:
            errors.append(f"{where}: {pkg} {theirs[k]} listed by {reference}, not by layerscope")
        elif ours[k] != theirs[k]:
            errors.append(f"{where}: {pkg} version {ours[k]} != {reference} {theirs[k]}")
    return errors


def os_release_id(root):
    """The ID of the rootfs's os-release (the purl namespace)."""
    for rel in ("etc/os-release", "usr/lib/os-release"):
        p = os.path.join(root, rel)
        if os.path.islink(p):
            target = os.readlink(p)
            p = os.path.join(root, target.lstrip("/")) if target.startswith("/") \
                else os.path.join(os.path.dirname(p), target)
        if os.path.isfile(p):
            fields = dict(line.split("=", 1) for line in open(p, encoding="utf-8").read().splitlines()
                          if "=" in line)
            return {k: v.strip('"') for k, v in fields.items()}
    return {}


def check_purl(p, osr):
    """The purl of a deb package, decoded, against its name, version, arch
    and the os-release (purl spec: pkg:deb/ID/NAME@VERSION?arch=&distro=)."""
    m = re.match(r"^pkg:deb/([^/@?]+)/([^/@?]+)@([^?]+)\?(.*)$", p["purl"])
    if not m:
        return [f"{p['name']}: purl {p['purl']!r} is not pkg:deb/NS/NAME@VERSION?QUALIFIERS"]
    ns, name, version = (urllib.parse.unquote(x) for x in m.groups()[:3])
    quals = dict(urllib.parse.parse_qsl(m.group(4)))
    want = (osr.get("ID"), p["name"], p["version"], p["arch"],
            f"{osr.get('ID')}-{osr.get('VERSION_ID')}")
    got = (ns, name, version, quals.get("arch"), quals.get("distro"))
    return [] if got == want else [f"{p['name']}: purl {p['purl']} decodes to {got}, want {want}"]


def case_expectations(cases, image):
    """`# packages-expect: WORD NAME…` lines of a Containerfile: what its
    steps must show (removed, readded, config-files)."""
    out = []
    path = os.path.join(cases, image + ".Containerfile")
    for line in open(path, encoding="utf-8"):
        m = re.match(r"^# packages-expect: *(removed|readded|config-files) +(.+)$", line.strip())
        if m:
            out += [(m.group(1), n) for n in m.group(2).split()]
    return out


def check_packages(res, ls, image, fmt, path, layout, ref, work, cases):
    errors = []
    refs = reference_layers(image, layout, work)
    n_layers = len(layout.layers)
    per_layer = []
    for i in range(n_layers):
        ours = json.loads(run([ls, "packages", path, "--layer", str(i), "--json"]))
        per_layer.append(ours)
        if ours.get("layer") != i:
            errors.append(f"--layer {i}: report is of layer {ours.get('layer')}")
        src = refs["sources"][i]
        errors += compare_sets(f"--layer {i}", deb_set(ours), refs["sets"][i],
                               f"dpkg-query -W on layer {src}'s {STATUS}" if src is not None else "no status file")
    final = json.loads(run([ls, "packages", path, "--json"]))
    root = os.path.join(ref, image, "rootfs")
    admindir = os.path.join(root, "var/lib/dpkg")
    if ("umoci", admindir) not in PKG_REFS:
        PKG_REFS[("umoci", admindir)] = dpkg_query(admindir)
    theirs, states = PKG_REFS[("umoci", admindir)]
    ours = deb_set(final)
    errors += compare_sets("final", ours, theirs, "dpkg-query -W on the umoci rootfs")
    if refs["sets"] and theirs != refs["sets"][-1]:
        errors.append("reference: dpkg-query on the umoci rootfs differs from the last layer's status file")
    # Attribution: the history of the per-layer reference sets.
    hist = refs["history"]
    osr = os_release_id(root)
    for p in final["packages"]:
        if p["ecosystem"] != "deb":
            continue
        k = (p["name"], p["arch"] or "")
        h = hist.get(k)
        if h is None:
            continue  # reported by compare_sets
        got_changes = [(c["layer"], c["change"], c["from"], c["to"]) for c in p["changedLayers"]]
        mine = (p["addedLayer"], p["versionLayer"], got_changes)
        want = (h["added"], h["versionLayer"], h["changes"])
        if mine != want:
            errors.append(f"final: {k[0]}:{k[1]} (addedLayer, versionLayer, changedLayers) {mine} "
                          f"!= per-layer dpkg-query history {want}")
        errors += [f"final: {e}" for e in check_purl(p, osr)]
        files = sorted({norm(f) for f in p["files"]})
        if len(files) != len(p["files"]) or files != dpkg_files(admindir, *k):
            ref_files = dpkg_files(admindir, *k)
            extra = sorted(set(files) - set(ref_files))[:1]
            missing = sorted(set(ref_files) - set(files))[:1]
            errors.append(f"final: {k[0]}:{k[1]} files: {len(p['files'])} listed, dpkg-query -L {len(ref_files)}"
                          f" (first extra {extra}, first missing {missing})")
    want_removed = {(k[0], h["version"]): (h["added"], h["removed"]) for k, h in hist.items() if not h["present"]}
    got_removed = {(r["name"], r["version"]): (r["addedLayer"], r["removedLayer"])
                   for r in final["removed"] if r["ecosystem"] == "deb"}
    for k in sorted(set(want_removed) | set(got_removed)):
        if want_removed.get(k) != got_removed.get(k):
            errors.append(f"removed: {k[0]} {k[1]} (addedLayer, removedLayer) {got_removed.get(k)} "
                          f"!= per-layer dpkg-query history {want_removed.get(k)}")
    # What the case's steps must show, in the reference and in layerscope.
    for word, name in case_expectations(cases, image):
        keys = [k for k in hist if k[0] == name]
        if not keys:
            errors.append(f"expect {word} {name}: no such package in any layer's dpkg-query")
            continue
        k = keys[0]
        h = hist[k]
        if word == "removed":
            r = [x for x in final["removed"] if x["name"] == name and x["ecosystem"] == "deb"]
            if h["present"] or not r:
                errors.append(f"expect removed {name}: reference present={h['present']}, layerscope removed={r}")
            elif (k not in deb_set(per_layer[r[0]["removedLayer"] - 1])
                  or k in deb_set(per_layer[r[0]["removedLayer"]])):
                errors.append(f"expect removed {name}: not in packages --layer {r[0]['removedLayer'] - 1}, "
                              f"or still in --layer {r[0]['removedLayer']}")
        elif word == "readded":
            if not any(c[1] == "readded" for c in h["changes"]):
                errors.append(f"expect readded {name}: the reference history has no readded step")
        elif word == "config-files":
            layers = [i for i, st in enumerate(refs["states"]) if st.get(k) == "config-files"]
            if not layers:
                errors.append(f"expect config-files {name}: no layer's dpkg-query shows it in config-files")
            elif any(k in deb_set(per_layer[i]) for i in layers):
                errors.append(f"expect config-files {name}: layerscope lists it in a config-files layer {layers}")
    other = sum(1 for p in final["packages"] if p["ecosystem"] != "deb")
    n_removed = len(got_removed)
    config_files = sum(1 for s in states.values() if s == "config-files")
    summary = (f"{len(theirs)} deb packages, {n_layers} layers, {n_removed} removed"
               f"{f', {config_files} config-files excluded' if config_files else ''}"
               f"{f', {other} non-deb' if other else ''}")
    res.add(image, fmt, "packages", errors, summary)


# --- main ----------------------------------------------------------------------

def guarded(res, image, fmt, check, fn, *args):
    """Runs one check; a command that fails or output that cannot be read
    becomes a FAIL row instead of ending the sweep."""
    try:
        return fn(*args)
    except Exception as e:  # noqa: BLE001 - reported as a failed check
        res.add(image, fmt, check, [f"{type(e).__name__}: {e}"], "did not run to the end")
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--layerscope", required=True)
    ap.add_argument("--images", required=True)
    ap.add_argument("--ref", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--cases", required=True)
    ap.add_argument("--known")
    ap.add_argument("--only", help="comma-separated checks to run")
    args = ap.parse_args()
    args.work, args.images, args.ref = (os.path.abspath(p) for p in (args.work, args.images, args.ref))
    ls = args.layerscope
    only = set(args.only.split(",")) if args.only else None
    res = Results(load_known(args.known))
    names = sorted(f[: -len(".Containerfile")] for f in os.listdir(args.cases) if f.endswith(".Containerfile"))
    started = time.monotonic()
    for image in names:
        print(f"\n-- {image}", flush=True)
        dive = None
        if not only or "efficiency" in only:
            dive = guarded(res, image, "docker", "efficiency", dive_reference,
                           os.path.join(args.images, image + ".docker.tar"), args.work)
        for fmt, suffix, transport in FORMATS:
            path = os.path.join(args.images, image + suffix)
            layout = Layout(path, fmt, args.work)
            res.mark = time.monotonic()
            try:
                if not only or "flatten" in only:
                    guarded(res, image, fmt, "flatten", check_flatten, res, ls, image, fmt, path, args.ref, args.work)
                if not only or "ls" in only:
                    guarded(res, image, fmt, "ls", check_ls, res, ls, image, fmt, path, layout, args.work)
                if not only or "digests" in only:
                    guarded(res, image, fmt, "digests", check_digests,
                            res, ls, image, fmt, transport, path, layout, args.work)
                if dive is not None:
                    guarded(res, image, fmt, "efficiency", check_efficiency, res, ls, image, fmt, path, dive)
                if not only or "packages" in only:
                    guarded(res, image, fmt, "packages", check_packages,
                            res, ls, image, fmt, path, layout, args.ref, args.work, args.cases)
            finally:
                shutil.rmtree(os.path.join(args.work, "unpacked"), ignore_errors=True)
    if not only or "diff" in only:
        print("\n-- diff", flush=True)
        for a, fa, b, fb in DIFF_PAIRS:
            if a in names and b in names:
                guarded(res, f"{a}->{b}", f"{fa}/{fb}", "diff", check_diff, res, ls, args.images, args.ref, a, fa, b, fb)
    print(f"\n{res.table()}")
    print(f"(checks took {time.monotonic() - started:.0f} s)")
    return 1 if res.failed() else 0


if __name__ == "__main__":
    sys.exit(main())
