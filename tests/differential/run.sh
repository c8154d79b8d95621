#!/usr/bin/env bash
# Differential test: build images with buildah, unpack them with
# `umoci unpack`, flatten them with layerscope, extract, and compare trees.
# Usage: run.sh PATH/TO/layerscope   (exit 0 = identical, 1 = differences,
# 77 = tools missing). Needs root (or working rootless buildah) and
# buildah, skopeo, umoci, busybox (static), python3, tar.
set -euo pipefail
LAYERSCOPE=${1:?path to the layerscope binary}
HERE=$(cd "$(dirname "$0")" && pwd)
for tool in buildah skopeo umoci python3 tar; do
  command -v "$tool" >/dev/null || { echo "skip: $tool is not installed"; exit 77; }
done
BUSYBOX=$(command -v busybox || true)
[ -n "$BUSYBOX" ] || { echo "skip: busybox(-static) is not installed"; exit 77; }
ldd "$BUSYBOX" >/dev/null 2>&1 && { echo "skip: $BUSYBOX is not static (apt-get install busybox-static)"; exit 77; }

WORK=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] && echo "kept $WORK" || rm -rf "$WORK"' EXIT
export STORAGE_DRIVER=vfs BUILDAH_ISOLATION=chroot
STORE=(--root "$WORK/storage" --runroot "$WORK/run" --storage-driver vfs)

# Base: a busybox rootfs as a single-layer image.
mkdir -p "$WORK/base/bin" "$WORK/base/etc" "$WORK/base/tmp"
cp "$BUSYBOX" "$WORK/base/bin/busybox"
for a in sh ln rm mkdir echo cp chmod chown mv touch cat; do ln -s busybox "$WORK/base/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' > "$WORK/base/etc/passwd"
echo 'root:x:0:' > "$WORK/base/etc/group"
tar -C "$WORK/base" -cf "$WORK/base.tar" .
ctr=$(buildah "${STORE[@]}" from scratch)
buildah "${STORE[@]}" add "$ctr" "$WORK/base.tar" / >/dev/null
buildah "${STORE[@]}" commit -q "$ctr" localhost/diffbase >/dev/null

status=0
for cf in "$HERE"/cases/*.Containerfile; do
  name=$(basename "$cf" .Containerfile)
  echo "== $name"
  buildah "${STORE[@]}" bud -q --layers -f "$cf" -t "localhost/$name" "$HERE/cases" >/dev/null
  skopeo copy -q --src-shared-blob-dir "$WORK/blobs" "containers-storage:[vfs@$WORK/storage+$WORK/run]localhost/$name" "oci:$WORK/oci:$name" 2>/dev/null \
    || skopeo copy -q "containers-storage:[vfs@$WORK/storage+$WORK/run]localhost/$name" "oci:$WORK/oci:$name"
  umoci unpack --image "$WORK/oci:$name" "$WORK/bundle-$name" >/dev/null
  mkdir -p "$WORK/flat-$name"
  "$LAYERSCOPE" flatten "$WORK/oci" --image "$name" -o "$WORK/$name.tar" 2>/dev/null
  tar --numeric-owner -xpf "$WORK/$name.tar" -C "$WORK/flat-$name"
  python3 "$HERE/compare.py" "$WORK/bundle-$name/rootfs" "$WORK/flat-$name" || status=1
done
exit $status
