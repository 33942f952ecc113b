//! Recognising disk images by content, never by name: a qcow2 (or another container, which is
//! skipped with the reason), a raw disk with an MBR or GPT, or a raw partitionless volume (a
//! filesystem or volume signature at byte 0). Anything else is *not a disk image*.

use crate::image::{detect_format, ImageFormat, IoStats, RawImage};
use crate::partition::{self, TableKind};
use crate::probe;
use std::path::Path;
use std::sync::Arc;

/// What a file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A qcow2 image or a raw disk/volume: to be audited.
    Image(ImageFormat),
    /// Not audited, with the reason.
    Skip {
        format: Option<ImageFormat>,
        reason: String,
    },
}

/// Classify the file at `path`; returns the kind and the bytes read to decide.
pub fn classify(path: &Path) -> Result<(Kind, u64), String> {
    let stats = Arc::new(IoStats::default());
    let raw = RawImage::open(path, stats.clone()).map_err(|e| format!("cannot read: {e}"))?;
    let kind = classify_dev(&raw).map_err(|e| format!("cannot read: {e}"))?;
    Ok((kind, stats.bytes()))
}

fn classify_dev(raw: &RawImage) -> std::io::Result<Kind> {
    use crate::image::ReadAt;
    if raw.size() == 0 {
        return Ok(Kind::Skip {
            format: None,
            reason: "empty file, not a disk image".into(),
        });
    }
    let format = detect_format(raw)?;
    match format {
        ImageFormat::Qcow2 => Ok(Kind::Image(format)),
        ImageFormat::Raw => {
            let table = partition::read(raw)?;
            if table.kind != TableKind::None || probe::probe(raw)?.is_some() {
                Ok(Kind::Image(format))
            } else {
                Ok(Kind::Skip {
                    format: None,
                    reason:
                        "not a disk image (no partition table, no filesystem or volume signature)"
                            .into(),
                })
            }
        }
        other => Ok(Kind::Skip {
            format: Some(other),
            reason: format!(
                "{}: not supported yet (convert with `qemu-img convert -O raw`)",
                other.name()
            ),
        }),
    }
}

/// The lowercase name used in records (`raw`, `qcow2`, `vhd`, `qcow1`…).
pub fn format_name(f: ImageFormat) -> String {
    match f {
        ImageFormat::Qcow1 => "qcow1".into(),
        other => other.name().to_ascii_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn kind_of(bytes: &[u8]) -> Kind {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        classify(f.path()).unwrap().0
    }

    #[test]
    fn non_images_are_skipped() {
        for b in [&b""[..], b"hello, world\n", &[0u8; 8192]] {
            assert!(
                matches!(kind_of(b), Kind::Skip { format: None, .. }),
                "{b:?}"
            );
        }
        let mut vhd = vec![0u8; 4096];
        vhd[4096 - 512..4096 - 504].copy_from_slice(b"conectix");
        match kind_of(&vhd) {
            Kind::Skip { format, reason } => {
                assert_eq!(format, Some(ImageFormat::Vhd));
                assert!(reason.starts_with("VHD: not supported yet"), "{reason}");
            }
            k => panic!("{k:?}"),
        }
    }
}
