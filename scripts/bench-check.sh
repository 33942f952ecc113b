#!/usr/bin/env bash
# Measure `pv2hvm check`: time and bytes read per audit on every corpus image and target, then the
# initramfs scan on its own (KERN003 streams and decompresses the default entry's initramfs) with
# a guest whose initramfs is as large as a distribution's (≈ 3000 modules, 64 MiB of cpio, zstd).
#
#   scripts/bench-check.sh [RUNS]     (default 20; needs e2fsprogs, fdisk, cpio, zstd)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
cargo build --release --quiet
bin=$PWD/target/release/pv2hvm
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# median_ms IMAGE ARGS…: median wall time of RUNS audits, and the bytes read by one of them.
measure() {
  local img=$1; shift
  local times=()
  for _ in $(seq "$runs"); do
    local s e
    s=$(date +%s%N)
    "$bin" check --format json "$@" "$img" >/dev/null || true
    e=$(date +%s%N)
    times+=($(( (e - s) / 1000 )))
  done
  local med
  med=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  local stats
  stats=$({ "$bin" check --format json --stats "$@" "$img" 2>&1 >/dev/null || true; } | sed "s/^pv2hvm: //")
  printf '%-28s %-10s %8.2f ms   %s\n' "$(basename "$img")" "${TARGET:-}" "$(awk -v u="$med" 'BEGIN {print u/1000}')" "$stats"
}

echo "== every corpus image, every target (median of $runs runs, whole process)"
for img in corpus/images/*.img corpus/images/*.qcow2; do
  for t in xen-hvm xen-pvhvm kvm nitro xen-pv; do
    TARGET=$t measure "$img" --target "$t"
  done
done

echo "== a distribution-sized initramfs"
tree=$work/tree
mkdir -p "$tree/etc" "$tree/boot/grub" "$work/initramfs/lib/modules/6.1.0-28-amd64/kernel/drivers"
printf 'ID=debian\nVERSION_ID="12"\n' >"$tree/etc/os-release"
printf 'UUID=0a0a0a0a-1111-4222-8333-444455556666 / ext4 defaults 0 1\n' >"$tree/etc/fstab"
printf 'default 0\ntitle L\n\tkernel /boot/vmlinuz-6.1.0-28-amd64 root=UUID=0a0a0a0a-1111-4222-8333-444455556666 console=ttyS0\n\tinitrd /boot/initrd.img-6.1.0-28-amd64\n' >"$tree/boot/grub/menu.lst"
echo k >"$tree/boot/vmlinuz-6.1.0-28-amd64"
for i in $(seq 3000); do
  head -c 22000 /dev/urandom | base64 >"$work/initramfs/lib/modules/6.1.0-28-amd64/kernel/drivers/m$i.ko"
done
(cd "$work/initramfs" && find . | sort | cpio -o -H newc --quiet | zstd -q -3 >"$tree/boot/initrd.img-6.1.0-28-amd64")
ls -l "$tree/boot/initrd.img-6.1.0-28-amd64" | awk '{printf "initramfs: %d bytes compressed\n", $5}'
img=$work/big-initramfs.img
/usr/sbin/mke2fs -q -F -t ext4 -U 0a0a0a0a-1111-4222-8333-444455556666 -d "$tree" "$img" 128M
TARGET=kvm measure "$img" --target kvm
TARGET="(no KERN)" measure "$img" --target kvm --ignore KERN003,KERN004
