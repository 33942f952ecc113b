#!/usr/bin/env python3
"""Check the committed corpus against the hand-written corpus/manifest.json.

Uses only the real tools (sfdisk -J, blkid -p, e2fsck -fn, fsck.fat -n,
qemu-img check/info/convert, debugfs rdump, mtools) -- never pv2hvm itself:
    scripts/verify-corpus.py            all images
    scripts/verify-corpus.py NAME...    only these image files
Exit status 1 when anything disagrees.  Nothing here writes to the images.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMAGES = os.path.join(ROOT, "corpus", "images")
GRUB_BOOT_IMG = "/usr/lib/grub/i386-pc/boot.img"
SYSLINUX_MBR = "/usr/lib/syslinux/mbr/mbr.bin"
DISK_DRIVERS = {"xen-blkfront", "xenblk", "virtio_blk", "ata_piix", "ahci", "sd_mod", "nvme"}
os.environ["PATH"] += ":/usr/sbin:/sbin"
os.environ["MTOOLS_SKIP_CHECK"] = "1"

failures = []


def fail(img, msg):
    failures.append(f"{img}: {msg}")
    print(f"  FAIL {msg}")


def ok(msg):
    print(f"  ok   {msg}")


def run(*cmd, check=True, **kw):
    return subprocess.run(cmd, check=check, capture_output=True, text=True, **kw)


def partitions(raw):
    """{number: (start_bytes, size_bytes, type)} and the label, or ({}, 'none')."""
    p = run("sfdisk", "-J", raw, check=False)
    if p.returncode != 0:
        return {}, "none"
    pt = json.loads(p.stdout)["partitiontable"]
    label = {"dos": "mbr", "gpt": "gpt"}[pt["label"]]
    ssz = pt.get("sectorsize", 512)
    parts = {}
    for e in pt.get("partitions", []):
        n = int(re.search(r"(\d+)$", e["node"]).group(1))
        parts[n] = (e["start"] * ssz, e["size"] * ssz, e["type"].lower())
    return parts, label


def extract(raw, start, size, out):
    with open(raw, "rb") as f, open(out, "wb") as o:
        f.seek(start)
        left = size
        while left:
            b = f.read(min(left, 1 << 20))
            if not b:
                break
            o.write(b)
            left -= len(b)


def blkid(path):
    p = run("blkid", "-p", "-o", "export", path, check=False)
    d = {}
    for line in p.stdout.splitlines():
        k, _, v = line.partition("=")
        d[k] = v
    return d


def resolve(view, path, depth=0):
    """Resolve a guest path inside the host directory `view`, following
    symlinks (absolute ones relative to the guest root)."""
    if depth > 40:
        return None
    parts = [p for p in path.split("/") if p]
    cur = "/"
    for i, part in enumerate(parts):
        nxt = os.path.join(cur, part)
        host = view + nxt
        if os.path.islink(host):
            target = os.readlink(host)
            base = target if target.startswith("/") else os.path.normpath(os.path.join(cur, target))
            rest = "/".join(parts[i + 1:])
            return resolve(view, os.path.normpath(base + ("/" + rest if rest else "")), depth + 1)
        if part == "..":
            nxt = os.path.dirname(cur.rstrip("/")) or "/"
        cur = nxt
    return view + cur


def lexists(view, path):
    head, tail = os.path.split(path)
    d = resolve(view, head)
    return d is not None and os.path.lexists(os.path.join(d, tail))


def read_guest(view, path):
    h = resolve(view, path)
    if h is None or not os.path.isfile(h):
        return None
    with open(h, "rb") as f:
        return f.read()


def cpio_names(data):
    """Member names of one newc archive and the offset just after it."""
    names, off = [], 0
    while True:
        if data[off:off + 6] != b"070701":
            raise ValueError(f"no newc header at {off}")
        namesize = int(data[off + 94:off + 102], 16)
        filesize = int(data[off + 54:off + 62], 16)
        name = data[off + 110:off + 110 + namesize - 1].decode()
        off = (off + 110 + namesize + 3) & ~3
        off = (off + filesize + 3) & ~3
        if name == "TRAILER!!!":
            return names, off
        names.append(name)


def initrd_info(data):
    fmt, names = [], []
    if data[:6] == b"070701":
        early, off = cpio_names(data)
        fmt.append("early-cpio")
        while off < len(data) and data[off] == 0:
            off += 1
        data = data[off:]
    magic = {b"\x1f\x8b": ("gzip", ["gzip", "-dc"]), b"\xfd7zXZ": ("xz", ["xz", "-dc"]),
             b"\x28\xb5\x2f\xfd": ("zstd", ["zstd", "-dcq"])}
    for m, (name, cmd) in magic.items():
        if data.startswith(m):
            fmt.append(name)
            plain = subprocess.run(cmd, input=data, capture_output=True, check=True).stdout
            names, _ = cpio_names(plain)
            break
    else:
        fmt.append("unknown")
    mods = set()
    for n in names:
        b = os.path.basename(n)
        m = re.match(r"(.+)\.ko(\.xz|\.zst|\.gz)?$", b)
        if m:
            mods.add(m.group(1))
    return "+".join(fmt), sorted(mods & DISK_DRIVERS)


def check_image(ent, tmp):
    img = ent["image"]
    path = os.path.join(IMAGES, img)
    print(f"{img}")
    if not os.path.exists(path):
        fail(img, "missing")
        return
    size = os.path.getsize(path)
    if size > 8 * 1024 * 1024:
        fail(img, f"{size} bytes > 8 MiB")
    info = json.loads(run("qemu-img", "info", "--output=json", path).stdout)
    if info["format"] != ent["format"]:
        fail(img, f"format {info['format']} != {ent['format']}")
    else:
        ok(f"format {info['format']}, {size} bytes")
    if ent.get("backing_file") != info.get("backing-filename"):
        fail(img, f"backing file {info.get('backing-filename')} != {ent.get('backing_file')}")
    elif ent.get("backing_file"):
        ok(f"backing file {ent['backing_file']} ({info.get('backing-filename-format')})")
    raw = path
    if ent["format"] == "qcow2":
        c = run("qemu-img", "check", path, check=False)
        if c.returncode != 0:
            fail(img, "qemu-img check: " + c.stdout + c.stderr)
        else:
            ok("qemu-img check clean")
        raw = os.path.join(tmp, img + ".raw")
        run("qemu-img", "convert", "-f", "qcow2", "-O", "raw", path, raw, cwd=IMAGES)

    parts, label = partitions(raw)
    if label != ent["partition_table"]:
        fail(img, f"partition table {label} != {ent['partition_table']}")
    else:
        ok(f"partition table {label}")
    with open(raw, "rb") as f:
        mbr = f.read(440)
    kind = "unknown"
    if mbr == bytes(440):
        kind = "none"
    elif os.path.exists(GRUB_BOOT_IMG) and mbr == open(GRUB_BOOT_IMG, "rb").read(440):
        kind = "grub2"
    elif os.path.exists(SYSLINUX_MBR) and mbr == open(SYSLINUX_MBR, "rb").read(440):
        kind = "syslinux"
    if kind != ent["mbr_boot_code"]:
        fail(img, f"MBR boot code {kind} != {ent['mbr_boot_code']}")
    else:
        ok(f"MBR boot code {kind}")

    # volumes
    vols = {}
    data_parts = {n for n, (_, _, t) in parts.items() if t not in ("5", "f", "85")}
    want = {v["number"] for v in ent["volumes"]}
    if label != "none" and data_parts != want:
        fail(img, f"partitions {sorted(data_parts)} != manifest volumes {sorted(want)}")
    for v in ent["volumes"]:
        n = v["number"]
        if n == 0:
            vpath = raw
        else:
            if n not in parts:
                fail(img, f"partition {n} missing")
                continue
            start, sz, _ = parts[n]
            vpath = os.path.join(tmp, f"{img}.p{n}")
            extract(raw, start, sz, vpath)
        vols[n] = vpath
        b = blkid(vpath)
        got = (b.get("TYPE"), b.get("UUID"), b.get("LABEL"))
        exp = (v["fs_type"], v["uuid"], v["label"])
        if got != exp:
            fail(img, f"volume {n}: blkid {got} != manifest {exp}")
        else:
            ok(f"volume {n}: {got[0]} {got[1]} label={got[2]}")
        t = v["fs_type"]
        if t in ("ext2", "ext3", "ext4"):
            c = run("e2fsck", "-fn", vpath, check=False)
            (ok if c.returncode == 0 else lambda m: fail(img, m))(f"volume {n}: e2fsck -fn rc={c.returncode}")
        elif t == "vfat":
            c = run("fsck.fat", "-n", vpath, check=False)
            (ok if c.returncode == 0 else lambda m: fail(img, m))(f"volume {n}: fsck.fat -n rc={c.returncode}")

    # the guest's file view: root volume, then the other fstab mounts
    view = os.path.join(tmp, img + ".view")
    os.makedirs(view)
    mounts = [("/", ent["root_partition"])]
    for fe in ent["fstab"]:
        if fe["resolves_to"] is not None and fe["mountpoint"].startswith("/") and fe["mountpoint"] != "/":
            mounts.append((fe["mountpoint"], fe["resolves_to"]))
    for mp, n in sorted(mounts, key=lambda m: len(m[0])):
        t = next(v["fs_type"] for v in ent["volumes"] if v["number"] == n)
        dest = view + mp
        os.makedirs(dest, exist_ok=True)
        if t.startswith("ext"):
            run("debugfs", "-R", f"rdump / {dest}", vols[n])
            # rdump puts the root directory's contents in dest/ (as "dest/"); it
            # creates nothing for '/', so contents land directly in dest.
        elif t == "vfat":
            run("mcopy", "-s", "-n", "-i", vols[n], "::/*", dest + "/")

    # fstab lines
    fstab = read_guest(view, "/etc/fstab")
    if fstab is None:
        fail(img, "/etc/fstab not found")
    else:
        lines = fstab.decode().split("\n")
        for fe in ent["fstab"]:
            f = lines[fe["line"] - 1].split() if fe["line"] <= len(lines) else []
            if f[:2] != [fe["spec"], fe["mountpoint"]]:
                fail(img, f"fstab line {fe['line']} is {f[:2]}, manifest {fe['spec']} {fe['mountpoint']}")
        ok(f"fstab lines {[fe['line'] for fe in ent['fstab']]} as in manifest")
        # resolves_to against the volumes of the image
        for fe in ent["fstab"]:
            spec, r = fe["spec"], None
            for v in ent["volumes"]:
                if spec == f"UUID={v['uuid']}" or (v["label"] and spec == f"LABEL={v['label']}"):
                    r = v["number"]
            m = re.match(r"/dev/xvda(\d+)$", spec)
            if m:
                k = int(m.group(1))
                r = k if k in vols else (0 if 0 in vols and k == 1 else None)
            m = re.match(r"PARTUUID=(.+)$", spec)
            if m:
                pt = json.loads(run("sfdisk", "-J", raw).stdout)["partitiontable"]
                for e in pt["partitions"]:
                    if e.get("uuid", "").lower() == m.group(1).lower():
                        r = int(re.search(r"(\d+)$", e["node"]).group(1))
            if r != fe["resolves_to"]:
                fail(img, f"fstab line {fe['line']} {spec} resolves to {r}, manifest {fe['resolves_to']}")

    for p in ent["bootloader_configs"]:
        if not lexists(view, p):
            fail(img, f"bootloader config {p} missing")
    ok(f"{len(ent['bootloader_configs'])} bootloader configs present")

    for k in ent["kernels"]:
        if not lexists(view, f"/boot/vmlinuz-{k['version']}"):
            fail(img, f"kernel /boot/vmlinuz-{k['version']} missing")
        if k["initrd"]:
            data = read_guest(view, k["initrd"])
            if data is None:
                fail(img, f"initrd {k['initrd']} missing")
                continue
            fmt, drivers = initrd_info(data)
            exp = (k.get("initrd_format", fmt), sorted(k.get("initrd_disk_drivers", drivers)))
            if (fmt, drivers) != exp:
                fail(img, f"initrd {k['initrd']}: {fmt} {drivers} != manifest {exp}")
            else:
                ok(f"kernel {k['version']}: initrd {fmt}, disk drivers {drivers}")
        else:
            ok(f"kernel {k['version']}: no initrd")

    # the overlay's top layer must show through in the merged view
    bls = read_guest(view, "/boot/loader/entries/eefd400f148b4b07aa7ff770a578a311-6.7.4-200.fc39.x86_64.conf")
    if bls is not None:
        edited = b"console=hvc0 console=ttyS0,115200n8" in bls
        if edited != (img == "gpt-efi-overlay.qcow2"):
            fail(img, f"6.7.4 BLS entry edited={edited}")
        else:
            ok(f"6.7.4 BLS entry {'shows the top layer edit' if edited else 'is the base version'}")

    osr = read_guest(view, "/etc/os-release")
    if osr is not None:
        kv = dict(re.findall(r'^(\w+)="?([^"\n]*)"?$', osr.decode(), re.M))
        got = (kv.get("ID"), kv.get("VERSION_ID"))
    else:
        rel = (read_guest(view, "/etc/centos-release") or read_guest(view, "/etc/redhat-release") or b"").decode()
        m = re.search(r"(\w+) release ([\d.]+)", rel)
        got = (m.group(1).lower(), m.group(2)) if m else (None, None)
    exp = (ent["distro"]["id"], ent["distro"]["version"])
    # The manifest gives the most precise version the release files state: os-release's
    # VERSION_ID ("7") refined by debian_version / centos-release ("7.11", "7.9.2009").
    same = got[0] == exp[0] and got[1] is not None and (
        exp[1] == got[1] or exp[1].startswith(got[1] + "."))
    (ok if same else lambda s: fail(img, s))(f"distro {got} (manifest {exp})")

    init = resolve(view, "/sbin/init")
    text = open(init, "rb").read().decode(errors="replace") if init and os.path.isfile(init) else ""
    gi = "systemd" if init and init.endswith("/systemd") else next(
        (w for w in ("upstart", "sysvinit", "SysVinit") if w in text), "unknown").lower()
    (ok if gi == ent["init"] else lambda s: fail(img, s))(f"init {gi} (manifest {ent['init']})")


def main():
    manifest = json.load(open(os.path.join(ROOT, "corpus", "manifest.json")))
    names = set(sys.argv[1:])
    listed = {e["image"] for e in manifest}
    on_disk = {f for f in os.listdir(IMAGES) if f.endswith((".img", ".qcow2"))}
    if not names and listed != on_disk:
        failures.append(f"manifest lists {sorted(listed ^ on_disk)} differently from corpus/images")
    total = 0
    with tempfile.TemporaryDirectory(prefix="pv2hvm-verify.") as tmp:
        for ent in manifest:
            if names and ent["image"] not in names:
                continue
            check_image(ent, tmp)
            total += os.path.getsize(os.path.join(IMAGES, ent["image"]))
    print(f"\ntotal {total / 1048576:.1f} MiB in {len(manifest)} image files")
    sums = run("sha256sum", "-c", "SHA256SUMS", cwd=IMAGES, check=False)
    if sums.returncode:
        failures.append("SHA256SUMS: " + sums.stdout)
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
