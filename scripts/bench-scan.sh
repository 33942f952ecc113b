#!/usr/bin/env bash
# Measure `pv2hvm scan` on a library of sparse images of 1–8 GiB virtual size each: raw copies of
# the corpus images extended with `truncate`, qcow2 conversions resized with `qemu-img resize`,
# and qcow2 overlays (`qemu-img create -b`) of them. Reports images per second, bytes read per
# image (from the records' `bytes_read`) and the scan's peak memory (VmHWM, from `--stats`); then
# the same scan again with a warm `--cache`.
#
#   scripts/bench-scan.sh [IMAGES]     (default 600; needs qemu-utils, python3)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-600}
cargo build --release --quiet
bin=$PWD/target/release/pv2hvm
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
lib=$work/lib
mkdir -p "$lib/base"

mapfile -t raws < <(ls corpus/images/*.img)
# qcow2 bases: every raw corpus image converted once (the overlays' backing files).
for img in "${raws[@]}"; do
  qemu-img convert -q -f raw -O qcow2 "$img" "$lib/base/$(basename "$img" .img).qcow2"
done
mapfile -t bases < <(ls "$lib/base"/*.qcow2)

echo "== building $n images of 1-8 GiB virtual size in $lib"
for i in $(seq 0 $((n - 1))); do
  dir=$lib/pool$((i % 10))/shelf$((i % 7))
  mkdir -p "$dir"
  gib=$((1 + i % 8))
  case $((i % 6)) in
    0 | 1 | 2 | 3) # raw: the corpus image at the start, extended sparsely
      src=${raws[$((i % ${#raws[@]}))]}
      out=$dir/vm$i.img
      cp --sparse=always "$src" "$out"
      truncate -s "${gib}G" "$out"
      ;;
    4) # qcow2 overlay on a converted base
      base=${bases[$((i % ${#bases[@]}))]}
      qemu-img create -q -f qcow2 -b "$base" -F qcow2 "$dir/vm$i.qcow2" "${gib}G"
      ;;
    5) # standalone qcow2, resized
      base=${bases[$((i % ${#bases[@]}))]}
      cp "$base" "$dir/vm$i.qcow2"
      qemu-img resize -q "$dir/vm$i.qcow2" "${gib}G"
      ;;
  esac
done
echo "library: $(find "$lib" -type f | wc -l) files, $(du -sh "$lib" | cut -f1) on disk, $(du -sh --apparent-size "$lib" | cut -f1) apparent"

report() {
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
secs = float(sys.argv[2])
stats = sys.argv[3]
imgs = [r for r in recs if r["verdict"] not in ("skipped",)]
br = [r["bytes_read"] for r in imgs]
verdicts = {}
for r in recs:
    verdicts[r["verdict"]] = verdicts.get(r["verdict"], 0) + 1
print(f"records {len(recs)}  images {len(imgs)}  verdicts {verdicts}  cached {sum(r['cached'] for r in recs)}")
print(f"wall {secs:.2f} s  {len(imgs)/secs:.1f} images/s")
if br:
    print(f"bytes read per image: mean {sum(br)/len(br)/1024:.1f} KiB  max {max(br)/1024:.1f} KiB  total {sum(br)/2**20:.1f} MiB")
print(stats)
PY
}

run() {
  local label=$1; shift
  echo "== $label"
  sync
  local s e
  s=$(date +%s%N)
  "$bin" scan --format jsonl --stats "$@" "$lib" >"$work/out.jsonl" 2>"$work/err" || true
  e=$(date +%s%N)
  report "$work/out.jsonl" "$(awk -v ns=$((e - s)) 'BEGIN {print ns/1e9}')" "$(grep '^pv2hvm: scanned' "$work/err" || cat "$work/err")"
}

echo "cores: $(nproc)"
# A cold page cache shows the disk-bound case; dropping it needs root (skipped otherwise).
if sync && echo 3 2>/dev/null >/proc/sys/vm/drop_caches; then
  run "scan, --jobs default, cold page cache (dropped)"
fi
run "scan, --jobs default, warm page cache"
run "scan with a cold --cache (writes it)" --cache "$work/cache.jsonl"
run "scan with a warm --cache" --cache "$work/cache.jsonl"
run "scan, --jobs 1" --jobs 1
