#!/usr/bin/env python3
"""Compare two extracted root filesystems: paths, types, modes, owners,
symlink targets, file contents and hard-link groups (inode grouping);
with --xattrs also extended attributes. Directory mtimes and
implied-directory metadata are not compared. `compare_trees` is reused by
compare_real.py."""
import os, stat, sys, hashlib

def walk(root, xattrs=False):
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            st = os.lstat(full)
            rec = {"type": stat.S_IFMT(st.st_mode), "mode": stat.S_IMODE(st.st_mode),
                   "uid": st.st_uid, "gid": st.st_gid, "ino": (st.st_dev, st.st_ino), "nlink": st.st_nlink}
            if xattrs:
                rec["xattrs"] = {k: os.getxattr(full, k, follow_symlinks=False)
                                 for k in sorted(os.listxattr(full, follow_symlinks=False))}
            if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                rec["rdev"] = (os.major(st.st_rdev), os.minor(st.st_rdev))
            if stat.S_ISLNK(st.st_mode):
                rec["target"] = os.readlink(full)
            elif stat.S_ISREG(st.st_mode):
                with open(full, "rb") as f:
                    rec["sha"] = hashlib.sha256(f.read()).hexdigest()
                rec["mtime"] = int(st.st_mtime)
            out[rel] = rec
    return out

def groups(tree):
    by = {}
    for p, r in tree.items():
        if r["type"] == stat.S_IFREG and r["nlink"] > 1:
            by.setdefault(r["ino"], set()).add(p)
    return {p: frozenset(g) for g in by.values() for p in g if len(g) > 1}

def compare_trees(a, b, xattrs=False, ta=None):
    """Differences between the trees under `a` (umoci) and `b` (layerscope),
    as (number of paths compared, list of one-line descriptions). `ta` is
    `walk(a, xattrs)` when the caller already has it."""
    ta = walk(a, xattrs) if ta is None else ta
    tb = walk(b, xattrs)
    errors = []
    for p in sorted(set(ta) | set(tb)):
        if p not in ta or p not in tb:
            errors.append(f"{p}: only in {'umoci' if p in ta else 'layerscope'}")
            continue
        x, y = ta[p], tb[p]
        for k in ("type", "mode", "uid", "gid", "target", "sha", "rdev", "xattrs"):
            if x.get(k) != y.get(k):
                errors.append(f"{p}: {k} {x.get(k)!r} != {y.get(k)!r}")
    ga, gb = groups(ta), groups(tb)
    for p in sorted(set(ga) | set(gb)):
        if ga.get(p) != gb.get(p):
            errors.append(f"{p}: hard-link group {sorted(ga.get(p, []))} != {sorted(gb.get(p, []))}")
    return len(ta), errors

def main(a, b, xattrs=False):
    n, errors = compare_trees(a, b, xattrs)
    for e in errors:
        print(e)
    print(f"compared {n} paths: {len(errors)} difference(s)")
    return 1 if errors else 0

if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--xattrs"]
    sys.exit(main(args[0], args[1], "--xattrs" in sys.argv[1:]))
