#!/usr/bin/env bash
# Measure `pv2hvm inspect`: bytes read from the image and time per inspection, warm cache.
# Every corpus image, plus an 8 GiB sparse disk (and its qcow2) holding a guest tree, to show that
# an inspection reads metadata only, whatever the image size.
#
#   scripts/bench-inspect.sh [RUNS]      (default 20 runs per image; needs e2fsprogs, fdisk, qemu-utils)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
cargo build --release --quiet
bin=target/release/pv2hvm
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A big guest: 8 GiB sparse MBR disk, ext4 root over the whole disk, the clean-hvm tree in it.
big=$work/big-8g.img
truncate -s 8G "$big"
printf 'label: dos\nstart=2048, type=83\n' | /usr/sbin/sfdisk -q "$big"
truncate -s $((8 * 1024 * 1024 * 1024 - 1024 * 1024)) "$work/root.fs"
E2FSPROGS_FAKE_TIME=1700000000 /usr/sbin/mke2fs -q -F -t ext4 -d corpus/trees/clean-hvm "$work/root.fs"
dd if="$work/root.fs" of="$big" bs=1M seek=1 conv=notrunc,sparse status=none
rm "$work/root.fs"
qemu-img convert -O qcow2 "$big" "$work/big-8g.qcow2"

printf "%-28s %10s %12s %9s %10s %9s\n" image "virt size" "bytes read" requests "in-process" "per run"
for img in corpus/images/*.img corpus/images/*.qcow2 "$big" "$work/big-8g.qcow2"; do
  json=$("$bin" inspect --json --stats "$img")
  read -r bytes reqs size < <(python3 -c '
import json,sys; j=json.load(sys.stdin)
print(j["stats"]["bytes_read"], j["stats"]["read_requests"], j["image"]["virtual_size"])' <<<"$json")
  : >"$work/runs"
  start=$(date +%s%N)
  for _ in $(seq "$runs"); do
    "$bin" inspect --json --stats "$img" >>"$work/runs"
  done
  end=$(date +%s%N)
  # Median of the in-process times the tool itself measured, over all runs.
  median=$(python3 -c '
import json,sys
docs=[]; buf=""
for line in open(sys.argv[1]):
    buf+=line
    if line.startswith("}"):
        docs.append(json.loads(buf)); buf=""
t=sorted(d["stats"]["elapsed_ms"] for d in docs); print(t[len(t)//2])' "$work/runs")
  per_run=$(( (end - start) / runs / 1000 ))
  printf '%-28s %9sM %12s %9s %8.2fms %7.1fms\n' "$(basename "$img")" "$((size / 1024 / 1024))" \
    "$bytes" "$reqs" "$median" "$(awk -v u="$per_run" 'BEGIN {print u / 1000}')"
done
