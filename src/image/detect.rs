//! Container-format detection from the content of an image file, never from its name.

use super::ReadAt;
use std::io;

/// The container formats pv2hvm recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    /// A plain disk or filesystem image, or a block device.
    Raw,
    /// QEMU copy-on-write v2/v3.
    Qcow2,
    /// QEMU copy-on-write v1 (obsolete).
    Qcow1,
    /// QEMU enhanced disk.
    Qed,
    /// Microsoft/XenServer Virtual Hard Disk.
    Vhd,
    /// Hyper-V VHDX.
    Vhdx,
    /// VMware disk (sparse or descriptor).
    Vmdk,
    /// VirtualBox disk.
    Vdi,
}

impl ImageFormat {
    /// The name operators know the format by.
    pub fn name(self) -> &'static str {
        match self {
            ImageFormat::Raw => "raw",
            ImageFormat::Qcow2 => "qcow2",
            ImageFormat::Qcow1 => "qcow (version 1)",
            ImageFormat::Qed => "QED",
            ImageFormat::Vhd => "VHD",
            ImageFormat::Vhdx => "VHDX",
            ImageFormat::Vmdk => "VMDK",
            ImageFormat::Vdi => "VDI",
        }
    }
}

/// Look at the first bytes (and the VHD footer) of `dev` and name its container format.
pub fn detect_format(dev: &dyn ReadAt) -> io::Result<ImageFormat> {
    let size = dev.size();
    let mut head = [0u8; 512];
    let n = head.len().min(size as usize);
    dev.read_at(0, &mut head[..n])?;
    if let Some(f) = from_header(&head[..n]) {
        return Ok(f);
    }
    if size >= 512 {
        let mut foot = [0u8; 512];
        dev.read_at(size - 512, &mut foot)?;
        if &foot[..8] == b"conectix" {
            return Ok(ImageFormat::Vhd);
        }
    }
    Ok(ImageFormat::Raw)
}

fn from_header(h: &[u8]) -> Option<ImageFormat> {
    if h.len() >= 8 && &h[..4] == b"QFI\xfb" {
        let version = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
        return Some(if version == 1 {
            ImageFormat::Qcow1
        } else {
            ImageFormat::Qcow2
        });
    }
    let starts = |m: &[u8]| h.len() >= m.len() && &h[..m.len()] == m;
    if starts(b"QED\0") {
        return Some(ImageFormat::Qed);
    }
    if starts(b"conectix") {
        return Some(ImageFormat::Vhd);
    }
    if starts(b"vhdxfile") {
        return Some(ImageFormat::Vhdx);
    }
    if starts(b"KDMV") || starts(b"COWD") || starts(b"# Disk DescriptorFile") {
        return Some(ImageFormat::Vmdk);
    }
    if h.len() >= 68 && h[64..68] == [0x7f, 0x10, 0xda, 0xbe] {
        return Some(ImageFormat::Vdi);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::MemDevice;

    fn fmt_of(bytes: &[u8]) -> ImageFormat {
        detect_format(&MemDevice(bytes.to_vec())).unwrap()
    }

    #[test]
    fn recognises_magics() {
        let mut q = vec![0u8; 1024];
        q[..8].copy_from_slice(b"QFI\xfb\0\0\0\x03");
        assert_eq!(fmt_of(&q), ImageFormat::Qcow2);
        let mut v = vec![0u8; 1024];
        v[512..520].copy_from_slice(b"conectix");
        assert_eq!(fmt_of(&v), ImageFormat::Vhd);
        assert_eq!(fmt_of(b"# Disk DescriptorFile\n"), ImageFormat::Vmdk);
        assert_eq!(fmt_of(&[0u8; 4096]), ImageFormat::Raw);
        assert_eq!(fmt_of(&[]), ImageFormat::Raw);
    }
}
