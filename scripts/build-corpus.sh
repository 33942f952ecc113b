#!/usr/bin/env bash
# Build the pv2hvm test corpus: small guest disk images made by real tools
# (mke2fs -d, mkfs.fat + mtools, mkswap, sfdisk, cpio, qemu-img) from the
# plain-text trees in corpus/trees/ and corpus/initramfs/.
#
#   scripts/build-corpus.sh            build into corpus/images/
#   scripts/build-corpus.sh --check    build into a temp dir and compare with
#                                      the committed images (exit 1 on drift)
#
# Deterministic: fixed UUIDs, hash seeds, volume ids, disk ids, partition
# UUIDs and a fixed clock (E2FSPROGS_FAKE_TIME, faketime for mtools, all
# inode times/owners rewritten with debugfs after mke2fs -d, which copies the
# source files' ctime/atime/uid).  Runs as an ordinary user; nothing is
# mounted.  Images are copied into corpus/images/ only when their bytes
# changed.
set -euo pipefail
export LC_ALL=C TZ=UTC
export PATH="$PATH:/usr/sbin:/sbin"
umask 022

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TREES=$ROOT/corpus/trees
INITRDS=$ROOT/corpus/initramfs
OUT=$ROOT/corpus/images
CHECK_ONLY=0
[ "${1:-}" = "--check" ] && CHECK_ONLY=1

# The one clock every timestamp in the corpus is set to: 2023-11-14 22:13:20 UTC.
EPOCH=1700000000
FAKE_CLOCK="2023-11-14 22:13:20"
export E2FSPROGS_FAKE_TIME=$EPOCH SOURCE_DATE_EPOCH=$EPOCH
export MKE2FS_CONFIG=$ROOT/scripts/corpus-mke2fs.conf
export MTOOLS_SKIP_CHECK=1 MTOOLS_NO_VFAT=0

# ---------------------------------------------------------------- tools
missing=0
need() { # need COMMAND DEBIAN-PACKAGE
	if ! command -v "$1" >/dev/null 2>&1; then
		echo "build-corpus: '$1' not found: apt-get install $2" >&2
		missing=1
	fi
}
need_file() { # need_file PATH DEBIAN-PACKAGE
	if [ ! -r "$1" ]; then
		echo "build-corpus: '$1' not found: apt-get install $2" >&2
		missing=1
	fi
}
need mke2fs e2fsprogs
need debugfs e2fsprogs
need sfdisk fdisk
need mkswap util-linux
need mkfs.fat dosfstools
need mmd mtools
need mcopy mtools
need cpio cpio
need gzip gzip
need xz xz-utils
need zstd zstd
need faketime faketime
need qemu-img qemu-utils
need grub-mkimage grub-pc-bin
need qemu-io qemu-utils
need cmp diffutils
need awk mawk
need sha256sum coreutils
GRUB_BOOT_IMG=${GRUB_BOOT_IMG:-/usr/lib/grub/i386-pc/boot.img}
SYSLINUX_MBR=${SYSLINUX_MBR:-/usr/lib/syslinux/mbr/mbr.bin}
need_file "$GRUB_BOOT_IMG" grub-pc-bin
need_file "$SYSLINUX_MBR" syslinux-common
[ "$missing" = 0 ] || exit 1
if ! mke2fs -V 2>&1 | grep -q '^mke2fs 1\.47\.0'; then
	echo "build-corpus: warning: the committed images were made with e2fsprogs 1.47.0;" \
		"$(mke2fs -V 2>&1 | head -n1) may give different bytes" >&2
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pv2hvm-corpus.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/images" "$WORK/stage" "$WORK/fs"

log() { printf '  %s\n' "$*" >&2; }

# ---------------------------------------------------------------- trees
# stage SRC DST: copy a text tree into the work area and normalise it:
# drop .gitkeep placeholders, xz-compress *.ko.xz.in stand-in modules into
# *.ko.xz, modes 0755 for directories and executables, 0644 otherwise.
stage() {
	local src=$1 dst=$2
	rm -rf "$dst"; mkdir -p "$dst"
	cp -a "$src/." "$dst/"
	find "$dst" -name .gitkeep -type f -delete
	local f
	while IFS= read -r f; do
		xz -T1 --check=crc32 -c "$f" > "${f%.in}"
		rm -f "$f"
	done < <(find "$dst" -type f -name '*.ko.xz.in' | sort)
	find "$dst" -type d -exec chmod 0755 {} +
	find "$dst" -type f -perm -u+x -exec chmod 0755 {} +
	find "$dst" -type f ! -perm -u+x -exec chmod 0644 {} +
}

# fix_times DIR: every file, link and directory gets the fixed clock.
fix_times() {
	find "$1" -depth -exec touch -h -d "@$EPOCH" {} +
}

# initramfs NAME COMPRESSOR DEST: build corpus/initramfs/NAME/main (and an
# uncompressed early/ microcode archive in front of it, when present) into a
# real initramfs at DEST.  COMPRESSOR: gzip | xz | zstd.
cpio_of() { # cpio_of DIR: newc archive of DIR on stdout, sorted, owner 0:0
	( cd "$1" && find . -mindepth 1 -printf '%P\n' | sort |
		cpio -o -H newc --reproducible -R 0:0 --quiet )
}
initramfs() {
	local name=$1 comp=$2 dest=$3 t=$WORK/initrd/$1
	mkdir -p "$t"
	: > "$dest"
	if [ -d "$INITRDS/$name/early" ]; then
		stage "$INITRDS/$name/early" "$t/early"; fix_times "$t/early"
		cpio_of "$t/early" >> "$dest"
	fi
	stage "$INITRDS/$name/main" "$t/main"; fix_times "$t/main"
	case $comp in
	gzip) cpio_of "$t/main" | gzip -n -9 >> "$dest" ;;
	xz)   cpio_of "$t/main" | xz -T1 --check=crc32 --lzma2=dict=1MiB >> "$dest" ;;
	zstd) cpio_of "$t/main" | zstd -q -T1 -19 -c >> "$dest" ;;
	*) echo "unknown compressor $comp" >&2; exit 1 ;;
	esac
}

# ---------------------------------------------------------------- filesystems
# mkext OUT FSTYPE SIZE_KIB UUID LABEL INODES INODE_SIZE FEATURES DIR
# A real mke2fs -d population, then debugfs rewrites owner and every time
# field of every inode, because mke2fs copies them from the source files.
mkext() {
	local out=$1 type=$2 size=$3 uuid=$4 label=$5 inodes=$6 isize=$7 feat=$8 dir=$9
	local lopt=()
	[ "$label" = - ] || lopt=(-L "$label")
	rm -f "$out"
	mke2fs -q -F -t "$type" -b 1024 -I "$isize" -N "$inodes" -m 5 \
		-O "none,$feat" -U "$uuid" "${lopt[@]}" \
		-E "hash_seed=$uuid,root_owner=0:0,lazy_itable_init=0,lazy_journal_init=0" \
		-d "$dir" "$out" "${size}k" >/dev/null
	local cmds=$out.debugfs p f fields=(atime ctime mtime)
	[ "$isize" -gt 128 ] && fields+=(crtime)
	{
		while IFS= read -r p; do
			for f in "${fields[@]}"; do
				echo "sif \"$p\" $f @$EPOCH"
				[ "$isize" -gt 128 ] && echo "sif \"$p\" ${f}_extra 0"
			done
			echo "sif \"$p\" uid 0"
			echo "sif \"$p\" gid 0"
		done < <( { echo /; echo /lost+found; (cd "$dir" && find . -mindepth 1 -printf '/%P\n'); } | sort)
	} > "$cmds"
	debugfs -w -f "$cmds" "$out" > "$cmds.log" 2>&1
	if grep -v '^debugfs [0-9]' "$cmds.log" | grep -v '^debugfs: ' | grep -q .; then
		echo "debugfs reported errors for $out:" >&2; cat "$cmds.log" >&2; exit 1
	fi
	rm -f "$cmds" "$cmds.log"
}

# mkswapfs OUT SIZE_KIB UUID LABEL
mkswapfs() {
	local out=$1 size=$2 uuid=$3 label=$4 lopt=()
	[ "$label" = - ] || lopt=(-L "$label")
	rm -f "$out"; truncate -s "${size}K" "$out"; chmod 0600 "$out"
	mkswap -q -U "$uuid" "${lopt[@]}" "$out" >/dev/null
}

# mkvfat OUT SIZE_KIB VOLID DIR: FAT with a fixed volume id, filled with mtools
# under a frozen clock (no mcopy -m: libfaketime shifts stat() times by
# its offset, so source mtimes would depend on when the build runs).
mkvfat() {
	local out=$1 size=$2 volid=$3 dir=$4
	rm -f "$out"; truncate -s "${size}K" "$out"
	mkfs.fat --invariant -i "$volid" "$out" >/dev/null
	local d f
	while IFS= read -r d; do
		faketime "$FAKE_CLOCK" mmd -i "$out" "::/$d"
	done < <(cd "$dir" && find . -mindepth 1 -type d -printf '%P\n' | sort)
	while IFS= read -r f; do
		faketime "$FAKE_CLOCK" mcopy -i "$out" "$dir/$f" "::/$f"
	done < <(cd "$dir" && find . -mindepth 1 -type f -printf '%P\n' | sort)
}

# ---------------------------------------------------------------- disks
# newdisk OUT SIZE_SECTORS SFDISK-SCRIPT (script on stdin)
newdisk() {
	rm -f "$1"; truncate -s $(( $2 * 512 )) "$1"
	sfdisk -q --no-reread --no-tell-kernel --wipe never "$1" >/dev/null
}
# put DISK FSIMAGE START_SECTOR
put() { dd if="$2" of="$1" bs=512 seek="$3" conv=notrunc status=none; }
# mbr_code DISK CODEFILE: the first 440 bytes (boot code only; disk id and
# partition table are kept).
mbr_code() { dd if="$2" of="$1" bs=440 count=1 conv=notrunc status=none; }
# grub_core IMAGE PREFIX: what grub-install leaves in the gap after an msdos MBR — a real core.img
# made by grub-mkimage (deterministic for the same modules and prefix) at sector 1, where the
# stock boot.img's kernel_sector points.
grub_core() {
	grub-mkimage -O i386-pc -o "$WORK/core.img" -p "$2" biosdisk part_msdos ext2
	dd if="$WORK/core.img" of="$1" bs=512 seek=1 conv=notrunc status=none
}

# Feature sets by era.
EXT4_MODERN=has_journal,ext_attr,resize_inode,dir_index,filetype,extent,64bit,flex_bg,sparse_super,large_file,huge_file,dir_nlink,extra_isize,metadata_csum
EXT4_OLD=has_journal,ext_attr,resize_inode,dir_index,filetype,extent,flex_bg,sparse_super,large_file,huge_file,uninit_bg,dir_nlink,extra_isize
EXT3=has_journal,ext_attr,resize_inode,dir_index,filetype,sparse_super,large_file
EXT2=ext_attr,resize_inode,dir_index,filetype,sparse_super

S=$WORK/stage
F=$WORK/fs
I=$WORK/images

# ================================================================ guests

build_centos6() { # centos6-pv.img
	log centos6-pv.img
	stage "$TREES/centos6-pv" "$S/centos6"
	initramfs centos6-754 gzip "$S/centos6/boot/initramfs-2.6.32-754.el6.x86_64.img"
	fix_times "$S/centos6"
	mkext "$F/c6-p1" ext4 3072 612adebf-dbb9-4670-9061-175f93afa2fb - 256 256 "$EXT4_OLD" "$S/centos6"
	newdisk "$I/centos6-pv.img" 8192 <<-'EOF'
	label: dos
	label-id: 0x3ed75c47
	unit: sectors
	grain: 512

	start=2048, size=6144, type=83, bootable
	EOF
	put "$I/centos6-pv.img" "$F/c6-p1" 2048
}

build_centos7() { # centos7-pv.img
	log centos7-pv.img
	stage "$TREES/centos7-pv/boot" "$S/centos7-boot"
	stage "$TREES/centos7-pv/root" "$S/centos7-root"
	initramfs centos7-1160 gzip "$S/centos7-boot/initramfs-3.10.0-1160.el7.x86_64.img"
	initramfs centos7-rescue gzip "$S/centos7-boot/initramfs-0-rescue-29d96789c0fc400493ac689e802cd54c.img"
	fix_times "$S/centos7-boot"; fix_times "$S/centos7-root"
	mkext "$F/c7-p1" ext4 2560 a4c11c26-e9e8-4089-9222-6cffb33aca18 - 64 256 "$EXT4_OLD" "$S/centos7-boot"
	mkext "$F/c7-p2" ext4 3072 92f027fb-0633-4469-998e-8abab23be606 - 384 256 "$EXT4_OLD" "$S/centos7-root"
	mkswapfs "$F/c7-p3" 512 64cc5592-828b-41c9-b4fa-31f3c8dd7047 -
	newdisk "$I/centos7-pv.img" 14336 <<-'EOF'
	label: dos
	label-id: 0xa7babc93
	unit: sectors
	grain: 512

	start=2048, size=5120, type=83, bootable
	start=7168, size=6144, type=83
	start=13312, size=1024, type=82
	EOF
	put "$I/centos7-pv.img" "$F/c7-p1" 2048
	put "$I/centos7-pv.img" "$F/c7-p2" 7168
	put "$I/centos7-pv.img" "$F/c7-p3" 13312
	mbr_code "$I/centos7-pv.img" "$GRUB_BOOT_IMG"
	grub_core "$I/centos7-pv.img" "(hd0,msdos1)/grub2"
}

build_debian7() { # debian7-pv.img
	log debian7-pv.img
	stage "$TREES/debian7-pv" "$S/debian7"
	initramfs debian7-3.2 gzip "$S/debian7/boot/initrd.img-3.2.0-4-amd64"
	fix_times "$S/debian7"
	mkext "$F/d7-p1" ext3 3072 6dc85842-73f5-4ba2-b5f1-5ecc483ce405 - 256 256 "$EXT3" "$S/debian7"
	newdisk "$I/debian7-pv.img" 8192 <<-'EOF'
	label: dos
	label-id: 0x4431e388
	unit: sectors
	grain: 512

	start=2048, size=6144, type=83
	EOF
	put "$I/debian7-pv.img" "$F/d7-p1" 2048
}

build_debian9() { # debian9-sysv.img
	log debian9-sysv.img
	stage "$TREES/debian9-sysv" "$S/debian9"
	initramfs debian9-4.9 gzip "$S/debian9/boot/initrd.img-4.9.0-19-amd64"
	fix_times "$S/debian9"
	mkext "$F/d9-p1" ext4 3072 d4ddd49c-8d3f-44f4-8aa2-a260f06e8b65 - 256 256 "$EXT4_MODERN" "$S/debian9"
	mkswapfs "$F/d9-p2" 256 22cdb20c-574f-47c7-8b90-6d14dee59b63 -
	newdisk "$I/debian9-sysv.img" 8704 <<-'EOF'
	label: dos
	label-id: 0x577e5ad4
	unit: sectors
	grain: 512

	start=2048, size=6144, type=83
	start=8192, size=512, type=82
	EOF
	put "$I/debian9-sysv.img" "$F/d9-p1" 2048
	put "$I/debian9-sysv.img" "$F/d9-p2" 8192
}

build_ubuntu1404() { # ubuntu1404-pv.img
	log ubuntu1404-pv.img
	stage "$TREES/ubuntu1404-pv" "$S/ubuntu1404"
	initramfs ubuntu1404-3.13 gzip "$S/ubuntu1404/boot/initrd.img-3.13.0-170-generic"
	fix_times "$S/ubuntu1404"
	mkext "$F/u14-p1" ext4 3072 6205119a-af06-4819-a81f-ae3aa4845335 cloudimg-rootfs 256 256 "$EXT4_OLD" "$S/ubuntu1404"
	newdisk "$I/ubuntu1404-pv.img" 8192 <<-'EOF'
	label: dos
	label-id: 0x383f865f
	unit: sectors
	grain: 512

	start=2048, size=6144, type=83, bootable
	EOF
	put "$I/ubuntu1404-pv.img" "$F/u14-p1" 2048
}

build_xentools() { # xentools-partitionless.img: the filesystem is the whole image
	log xentools-partitionless.img
	stage "$TREES/xentools-partitionless" "$S/xentools"
	initramfs xentools-6.1 xz "$S/xentools/boot/initrd.img-6.1.0-28-amd64"
	fix_times "$S/xentools"
	mkext "$I/xentools-partitionless.img" ext4 3072 d3e1f1c3-6d06-4275-8067-81e47001a1c9 - 384 256 "$EXT4_MODERN" "$S/xentools"
}

build_multipart() { # multipart-mbr.img: CentOS 5, primary + extended + logicals, 63-sector offsets
	log multipart-mbr.img
	stage "$TREES/multipart-mbr/boot" "$S/mp-boot"
	stage "$TREES/multipart-mbr/root" "$S/mp-root"
	stage "$TREES/multipart-mbr/var" "$S/mp-var"
	initramfs centos5-xen gzip "$S/mp-boot/initrd-2.6.18-419.el5xen.img"
	initramfs centos5-nonxen gzip "$S/mp-boot/initrd-2.6.18-419.el5.img"
	fix_times "$S/mp-boot"; fix_times "$S/mp-root"; fix_times "$S/mp-var"
	mkext "$F/mp-p1" ext2 1024 d22002c2-d7da-45d4-a6c4-25e194bf3c04 /boot 64 128 "$EXT2" "$S/mp-boot"
	mkswapfs "$F/mp-p5" 256 e0d34ed6-f385-4344-8053-fd6dd23fbb12 SWAP-xvda5
	mkext "$F/mp-p6" ext4 3072 1c12f5d4-3b1d-48af-a5b5-f755e3ada719 / 384 256 "$EXT4_OLD" "$S/mp-root"
	mkext "$F/mp-p7" ext4 2560 5ba81787-e746-4520-b68d-f8fb476f0093 - 128 256 "$EXT4_OLD" "$S/mp-var"
	newdisk "$I/multipart-mbr.img" 14336 <<-'EOF'
	label: dos
	label-id: 0x5ce02cef
	unit: sectors
	grain: 512

	start=63, size=2048, type=83, bootable
	start=2111, size=12225, type=5
	start=2174, size=512, type=82
	start=2749, size=6144, type=83
	start=8956, size=5120, type=83
	EOF
	put "$I/multipart-mbr.img" "$F/mp-p1" 63
	put "$I/multipart-mbr.img" "$F/mp-p5" 2174
	put "$I/multipart-mbr.img" "$F/mp-p6" 2749
	put "$I/multipart-mbr.img" "$F/mp-p7" 8956
	mbr_code "$I/multipart-mbr.img" "$SYSLINUX_MBR"
}

# gpt_efi_disk OUT ROOT-TREE-STAGE: shared by the raw image and the overlay's top.
gpt_efi_disk() {
	local out=$1 rootdir=$2 tag=$3
	mkext "$F/ge-p3-$tag" ext4 4096 764a42dd-1f6d-4edb-ab88-19124d6c1d90 - 384 256 "$EXT4_MODERN" "$rootdir"
	newdisk "$out" 16384 <<-'EOF'
	label: gpt
	label-id: A02D9564-4A73-49E0-8D62-1DD13090437A
	unit: sectors
	grain: 512
	first-lba: 2048
	last-lba: 16350

	start=2048, size=2048, type=21686148-6449-6E6F-744E-656564454649, uuid=410363F8-E1CD-4879-B13C-6966F48B2655
	start=4096, size=2048, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=E100B903-D754-4BA1-99D5-D6EF53ECAE93, name="EFI System Partition"
	start=6144, size=8192, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=2470E129-4596-4412-952B-26014A383222
	start=14336, size=1024, type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F, uuid=A3D5072C-B300-4432-BD56-3103A200EAF2
	EOF
	put "$out" "$F/ge-p2" 4096
	put "$out" "$F/ge-p3-$tag" 6144
	put "$out" "$F/ge-p4" 14336
	mbr_code "$out" "$GRUB_BOOT_IMG"
}

build_gpt_efi() { # gpt-efi.img, gpt-efi.qcow2, gpt-efi-overlay.qcow2
	log gpt-efi.img gpt-efi.qcow2 gpt-efi-overlay.qcow2
	stage "$TREES/gpt-efi/esp" "$S/ge-esp"; fix_times "$S/ge-esp"
	stage "$TREES/gpt-efi/root" "$S/ge-root"
	initramfs fedora39-6.7 zstd "$S/ge-root/boot/initramfs-6.7.4-200.fc39.x86_64.img"
	fix_times "$S/ge-root"
	mkvfat "$F/ge-p2" 1024 BABC9AF2 "$S/ge-esp"
	mkswapfs "$F/ge-p4" 512 8b0c21c8-c53f-4f9e-87dc-3b6c98cda342 -
	gpt_efi_disk "$I/gpt-efi.img" "$S/ge-root" base
	qemu-img convert -q -m 1 -f raw -O qcow2 -o compat=1.1,cluster_size=65536 \
		"$I/gpt-efi.img" "$I/gpt-efi.qcow2"

	# The overlay: the same guest after someone edited one BLS entry in
	# place.  The edited disk is built from the same tree plus the changed
	# file; the 4 KiB blocks that differ from the base are written into a
	# fresh overlay with qemu-io, so the top layer holds only those clusters
	# and the backing file is named by a relative path.
	local top=$S/ge-root-top
	rm -rf "$top"; cp -a "$S/ge-root" "$top"
	cp "$TREES/gpt-efi/overlay-top/eefd400f148b4b07aa7ff770a578a311-6.7.4-200.fc39.x86_64.conf" \
		"$top/boot/loader/entries/eefd400f148b4b07aa7ff770a578a311-6.7.4-200.fc39.x86_64.conf"
	fix_times "$top"
	gpt_efi_disk "$F/gpt-efi-top.img" "$top" top
	( cd "$I" && qemu-img create -q -f qcow2 -o compat=1.1,cluster_size=65536 \
		-b gpt-efi.qcow2 -F qcow2 gpt-efi-overlay.qcow2 )
	local off len n=0
	while read -r off len; do
		dd if="$F/gpt-efi-top.img" of="$F/chunk" bs=4096 skip=$((off / 4096)) \
			count=$((len / 4096)) status=none
		qemu-io -f qcow2 -c "write -q -s $F/chunk $off $len" "$I/gpt-efi-overlay.qcow2"
		n=$((n + 1))
	done < <(cmp -l "$I/gpt-efi.img" "$F/gpt-efi-top.img" | awk '
		{ b = int(($1 - 1) / 4096); if (!(b in seen)) { seen[b] = 1; blocks[nb++] = b } }
		END {
			if (nb == 0) exit
			s = blocks[0]; e = s
			for (i = 1; i < nb; i++) {
				if (blocks[i] == e + 1) { e = blocks[i]; continue }
				print s * 4096, (e - s + 1) * 4096; s = blocks[i]; e = s
			}
			print s * 4096, (e - s + 1) * 4096
		}' || true)
	[ "$n" -gt 0 ] || { echo "overlay: no difference from the base image" >&2; exit 1; }
	# The chain must read back exactly as the edited disk, the base as the raw.
	( cd "$I" && qemu-img compare -q -f qcow2 -F raw gpt-efi-overlay.qcow2 "$F/gpt-efi-top.img" &&
		qemu-img compare -q -f qcow2 -F raw gpt-efi.qcow2 gpt-efi.img ) ||
		{ echo "qcow2 images do not read back as their raw sources" >&2; exit 1; }
}

build_clean_hvm() { # clean-hvm.img: the control
	log clean-hvm.img
	stage "$TREES/clean-hvm" "$S/clean"
	initramfs debian12-clean zstd "$S/clean/boot/initrd.img-6.1.0-28-amd64"
	fix_times "$S/clean"
	mkext "$F/clean-p1" ext4 3072 b71c6b50-735e-4e64-b00f-d9741e49cbec - 384 256 "$EXT4_MODERN" "$S/clean"
	newdisk "$I/clean-hvm.img" 8192 <<-'EOF'
	label: dos
	label-id: 0xbfbeef05
	unit: sectors
	grain: 512

	start=2048, size=6144, type=83, bootable
	EOF
	put "$I/clean-hvm.img" "$F/clean-p1" 2048
	mbr_code "$I/clean-hvm.img" "$GRUB_BOOT_IMG"
	grub_core "$I/clean-hvm.img" "(hd0,msdos1)/boot/grub"
}

echo "building corpus images in $WORK" >&2
build_centos6
build_centos7
build_debian7
build_debian9
build_ubuntu1404
build_xentools
build_multipart
build_gpt_efi
build_clean_hvm

( cd "$I" && sha256sum -- *.img *.qcow2 ) > "$WORK/SHA256SUMS"

# ---------------------------------------------------------------- install
mkdir -p "$OUT"
changed=0
for f in "$I"/*.img "$I"/*.qcow2 "$WORK/SHA256SUMS"; do
	b=$(basename "$f")
	if ! cmp -s "$f" "$OUT/$b"; then
		changed=1
		if [ "$CHECK_ONLY" = 1 ]; then
			echo "differs: corpus/images/$b" >&2
		else
			cp "$f" "$OUT/$b.tmp" && mv -f "$OUT/$b.tmp" "$OUT/$b"
			echo "updated: corpus/images/$b" >&2
		fi
	fi
done
if [ "$CHECK_ONLY" = 1 ] && [ "$changed" = 1 ]; then
	echo "build-corpus: committed images differ from a fresh build" >&2
	exit 1
fi
[ "$changed" = 0 ] && echo "build-corpus: all images up to date" >&2
cat "$WORK/SHA256SUMS"
