#!/usr/bin/env bash
# Differential sweep on real Debian images against reference tools.
#
#   tests/differential/real-debian.sh [PATH/TO/layerscope]
#
# 1. debootstrap --variant=minbase bookworm (cached as a tarball under
#    $REAL_DEBIAN_CACHE, default target/real-debian/), imported with buildah
#    as localhost/debian-minbase;
# 2. `buildah bud` of tests/differential/real-cases/*.Containerfile (real
#    apt-get installs and file-system edge cases), each saved with skopeo as
#    docker-archive, OCI archive, OCI layout directory, OCI archive with
#    zstd and with zstd:chunked layers (cached per image; rebuilt when its
#    Containerfile, the base tarball or BUILD_RECIPE changes). Cases built
#    with vfs unless the Containerfile says `# storage-driver: overlay`;
# 3. `umoci unpack` of each image (the reference root filesystem);
# 4. compare_real.py: layerscope flatten / ls / verify / efficiency / diff /
#    packages against umoci, GNU tar, skopeo + sha256, dive, a tree diff
#    and dpkg-query.
#
# Exit 0 = every check passed (or differed only as documented in
# docs/differential.md), 1 = a check failed, 77 = a tool is missing.
# The first run needs network (Debian mirror); later runs do not.
# Needs root (buildah, umoci, device nodes in the rootfs).
# Environment: REAL_DEBIAN_CACHE, REAL_DEBIAN_MIRROR, REAL_DEBIAN_SUITE,
# REAL_DEBIAN_REBUILD=1 (rebuild the images), KEEP=1 (keep the work dir).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LAYERSCOPE=$(realpath "${1:-$ROOT/target/release/layerscope}")
CACHE=${REAL_DEBIAN_CACHE:-$ROOT/target/real-debian}
MIRROR=${REAL_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=${REAL_DEBIAN_SUITE:-bookworm}

[ -x "$LAYERSCOPE" ] || { echo "no layerscope binary at $LAYERSCOPE (cargo build --release -p layerscope-cli)"; exit 77; }
for tool in debootstrap buildah skopeo umoci dive python3 tar gzip zstd sha256sum dpkg dpkg-query; do
  command -v "$tool" >/dev/null || { echo "skip: $tool is not installed"; exit 77; }
done
[ "$(id -u)" = 0 ] || { echo "skip: needs root (buildah, umoci unpack, device nodes)"; exit 77; }

mkdir -p "$CACHE"
CACHE=$(realpath "$CACHE")
BASE_TAR=$CACHE/$SUITE-minbase.tar
IMAGES=$CACHE/images
REF=$CACHE/ref
FORMATS=(docker oci oci-dir oci-zstd oci-zstd-chunked)

step() { printf '\n== %s\n' "$*"; }

# --- 1. the Debian root filesystem ------------------------------------------
if [ ! -s "$BASE_TAR" ]; then
  step "debootstrap --variant=minbase $SUITE ($MIRROR)"
  rm -rf "$CACHE/rootfs.tmp"
  debootstrap --variant=minbase "$SUITE" "$CACHE/rootfs.tmp" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
    || { tail -20 "$CACHE/debootstrap.log"; exit 1; }
  # What Debian's own images drop: downloaded packages, apt caches and lists.
  rm -rf "$CACHE"/rootfs.tmp/var/cache/apt/archives/*.deb "$CACHE"/rootfs.tmp/var/cache/apt/*.bin \
    "$CACHE"/rootfs.tmp/var/lib/apt/lists/*
  tar --numeric-owner --xattrs --xattrs-include='*' -C "$CACHE/rootfs.tmp" -cf "$BASE_TAR.part" .
  mv "$BASE_TAR.part" "$BASE_TAR"
  rm -rf "$CACHE/rootfs.tmp"
fi

# --- 2. images, in every format ----------------------------------------------
# An image is rebuilt when its Containerfile, the base tarball or
# BUILD_RECIPE (bump it when the build or export commands below change)
# does; its umoci reference with it.
BUILD_RECIPE=1
[ -s "$BASE_TAR.sha256" ] && [ "$BASE_TAR.sha256" -nt "$BASE_TAR" ] || sha256sum "$BASE_TAR" | cut -d' ' -f1 >"$BASE_TAR.sha256"
mkdir -p "$IMAGES"
BUILD=
cleanup_build() { [ -z "$BUILD" ] || { buildah --root "$BUILD/vfs" --runroot "$BUILD/run-vfs" --storage-driver vfs rm -a >/dev/null 2>&1 || true
  buildah --root "$BUILD/overlay" --runroot "$BUILD/run-overlay" --storage-driver overlay rm -a >/dev/null 2>&1 || true
  buildah --root "$BUILD/overlay" --runroot "$BUILD/run-overlay" --storage-driver overlay rmi -a -f >/dev/null 2>&1 || true
  umount -R "$BUILD/overlay" 2>/dev/null || true
  rm -rf "$BUILD"; BUILD=; }; }
trap cleanup_build EXIT
export BUILDAH_ISOLATION=chroot
for cf in "$HERE"/real-cases/*.Containerfile; do
  name=$(basename "$cf" .Containerfile)
  # The storage driver decides how a layer diff is computed (vfs: compare
  # full copies; overlay: read the upper directory, opaque xattrs included).
  driver=$(sed -n 's/^# storage-driver: *\([a-z]*\).*/\1/p' "$cf" | head -1)
  driver=${driver:-vfs}
  key=$( { cat "$BASE_TAR.sha256" "$cf"; echo "$BUILD_RECIPE $driver"; } | sha256sum | cut -d' ' -f1)
  if [ "${REAL_DEBIAN_REBUILD:-}" != 1 ] && [ "$(cat "$IMAGES/$name.key" 2>/dev/null)" = "$key" ]; then
    continue
  fi
  rm -rf "$IMAGES/$name".* "$REF/$name"
  [ -n "$BUILD" ] || BUILD=$(mktemp -d "$CACHE/build.XXXXXX")
  STORE=(--root "$BUILD/$driver" --runroot "$BUILD/run-$driver" --storage-driver "$driver")
  export STORAGE_DRIVER=$driver
  if ! buildah "${STORE[@]}" inspect --type image localhost/debian-minbase >/dev/null 2>&1; then
    step "import $BASE_TAR as localhost/debian-minbase ($driver)"
    ctr=$(buildah "${STORE[@]}" from scratch)
    buildah "${STORE[@]}" add "$ctr" "$BASE_TAR" / >/dev/null
    buildah "${STORE[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      --env DEBIAN_FRONTEND=noninteractive --cmd /bin/bash "$ctr"
    buildah "${STORE[@]}" commit -q "$ctr" localhost/debian-minbase >/dev/null
    buildah "${STORE[@]}" rm "$ctr" >/dev/null
  fi
  step "buildah bud $name ($driver)"
  buildah "${STORE[@]}" bud -q --layers -f "$cf" -t "localhost/$name" "$HERE/real-cases" >"$BUILD/$name.log" 2>&1 \
    || { tail -30 "$BUILD/$name.log"; exit 1; }
  step "skopeo copy $name -> ${FORMATS[*]}"
  s="containers-storage:[$driver@$BUILD/$driver+$BUILD/run-$driver]localhost/$name:latest"
  skopeo copy -q "$s" "docker-archive:$IMAGES/$name.docker.tar:localhost/$name:latest"
  skopeo copy -q "$s" "oci-archive:$IMAGES/$name.oci.tar:latest"
  skopeo copy -q "$s" "oci:$IMAGES/$name.oci-dir:latest"
  skopeo copy -q --dest-compress-format zstd "$s" "oci-archive:$IMAGES/$name.oci-zstd.tar:latest"
  skopeo copy -q --dest-compress-format zstd:chunked "$s" "oci-archive:$IMAGES/$name.oci-zstd-chunked.tar:latest"
  echo "$key" >"$IMAGES/$name.key"
done
# The stores hold a full copy of the root per layer (vfs): drop them.
cleanup_build

# --- 3. reference root filesystems (umoci) -----------------------------------
for cf in "$HERE"/real-cases/*.Containerfile; do
  name=$(basename "$cf" .Containerfile)
  if [ ! -d "$REF/$name/rootfs" ]; then
    step "umoci unpack $name"
    rm -rf "$REF/$name"
    mkdir -p "$REF"
    umoci unpack --image "$IMAGES/$name.oci-dir:latest" "$REF/$name" >/dev/null
  fi
done

# --- 4. compare ---------------------------------------------------------------
WORK=$(mktemp -d)
trap 'cleanup_build; [ -n "${KEEP:-}" ] && echo "kept $WORK" || rm -rf "$WORK"' EXIT
step "compare (layerscope $("$LAYERSCOPE" --version | cut -d' ' -f2))"
python3 "$HERE/compare_real.py" --layerscope "$LAYERSCOPE" --images "$IMAGES" --ref "$REF" \
  --work "$WORK" --cases "$HERE/real-cases" --known "$HERE/real-known.txt"
