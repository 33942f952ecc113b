//! The `inspect` report: one serialisable structure (JSON schema `pv2hvm.inspect`, version 1)
//! and its human rendering.

use super::human_size;
use crate::guest::fstab::{Resolution, ResolvedFstab};
use crate::guest::inventory::boot_code::{self, BootCode};
use crate::guest::inventory::bootloader::BootConfigKind;
use crate::guest::inventory::{self, Inventory};
use crate::guest::tree::Mount;
use crate::guest::volume::{FsState, Volume};
use crate::guest::Guest;
use crate::image::ImageFormat;
use crate::partition::{PartitionTable, TableKind};
use serde::Serialize;
use std::fmt::Write;
use std::time::Instant;

/// Name of the JSON schema.
pub const SCHEMA: &str = "pv2hvm.inspect";
/// Version of the JSON schema; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// The image file itself.
#[derive(Serialize)]
pub struct ImageInfo {
    pub path: String,
    pub format: ImageFormat,
    pub virtual_size: u64,
    pub backing_chain: Vec<String>,
}

/// Which volume is `/`.
#[derive(Serialize)]
pub struct RootInfo {
    pub volume: Option<usize>,
    pub partition: Option<u32>,
    pub candidates: Vec<usize>,
}

/// What reading the image cost.
#[derive(Serialize)]
pub struct Stats {
    pub bytes_read: u64,
    pub read_requests: u64,
    pub elapsed_ms: f64,
}

/// Everything `inspect` reports.
#[derive(Serialize)]
pub struct InspectReport<'a> {
    pub schema: &'static str,
    pub schema_version: u32,
    pub image: ImageInfo,
    pub partition_table: &'a PartitionTable,
    pub boot_code: BootCode,
    pub volumes: &'a [Volume],
    pub root: RootInfo,
    pub fstab: Option<&'a ResolvedFstab>,
    pub mounts: &'a [Mount],
    pub inventory: Inventory,
    pub problems: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats: Option<Stats>,
}

impl<'a> InspectReport<'a> {
    /// Collect the inventory and assemble the report; `stats` adds the I/O counters.
    pub fn build(g: &'a Guest, started: Instant, stats: bool) -> Self {
        let inventory = inventory::collect(g.files());
        let stats = stats.then(|| Stats {
            bytes_read: g.stats.bytes(),
            read_requests: g.stats.reads(),
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        });
        InspectReport {
            schema: SCHEMA,
            schema_version: SCHEMA_VERSION,
            image: ImageInfo {
                path: g.path.display().to_string(),
                format: g.format,
                virtual_size: g.size,
                backing_chain: g.backing_chain.clone(),
            },
            partition_table: &g.table,
            boot_code: boot_code::identify(&g.boot_sector),
            volumes: &g.volumes,
            root: RootInfo {
                volume: g.root,
                partition: g.root.map(|r| g.volumes[r].number),
                candidates: g.root_candidates.clone(),
            },
            fstab: g.fstab.as_ref(),
            mounts: &g.mounts,
            inventory,
            problems: &g.problems,
            stats,
        }
    }
}

/// The report as text an operator reads at a glance.
pub fn render_human(r: &InspectReport) -> String {
    let mut o = String::new();
    header(&mut o, r);
    volumes(&mut o, r);
    guest(&mut o, r);
    fstab(&mut o, r);
    boot(&mut o, r);
    if !r.problems.is_empty() {
        let _ = writeln!(o, "\nProblems");
        for p in r.problems {
            let _ = writeln!(o, "  - {p}");
        }
    }
    if let Some(s) = &r.stats {
        let _ = writeln!(
            o,
            "\nRead {} in {} requests, {:.1} ms",
            human_size(s.bytes_read),
            s.read_requests,
            s.elapsed_ms
        );
    }
    o
}

fn header(o: &mut String, r: &InspectReport) {
    let i = &r.image;
    let _ = writeln!(
        o,
        "Image      {}  ({}, {})",
        i.path,
        i.format.name(),
        human_size(i.virtual_size)
    );
    for b in &i.backing_chain {
        let _ = writeln!(o, "  backed by {b}");
    }
    let t = r.partition_table;
    let table = match t.kind {
        TableKind::Mbr => "MBR",
        TableKind::Gpt if t.hybrid_mbr => "GPT (hybrid MBR)",
        TableKind::Gpt => "GPT",
        TableKind::None => "none (a filesystem at byte 0: partitionless)",
    };
    let id = t.disk_id.as_deref().map(|d| format!(", disk id {d}"));
    let _ = writeln!(o, "Table      {table}{}", id.unwrap_or_default());
    for p in &t.problems {
        let _ = writeln!(o, "  ! {p}");
    }
    let _ = writeln!(o, "Boot code  {}", r.boot_code.detail);
}

fn volumes(o: &mut String, r: &InspectReport) {
    let _ = writeln!(o, "\nVolumes");
    let _ = writeln!(
        o,
        "  {:<4} {:>10} {:>10}  {:<12} {:<38} {:<12} state",
        "part", "start", "size", "type", "uuid", "label"
    );
    for v in r.volumes {
        let sig = v.signature.as_ref();
        let num = if v.number == 0 {
            "disk".to_string()
        } else {
            v.number.to_string()
        };
        let _ = writeln!(
            o,
            "  {:<4} {:>10} {:>10}  {:<12} {:<38} {:<12} {}",
            num,
            human_size(v.start),
            human_size(v.size),
            type_column(v),
            sig.and_then(|s| s.uuid.as_deref()).unwrap_or("-"),
            sig.and_then(|s| s.label.as_deref()).unwrap_or("-"),
            state(v)
        );
        if let Some(e) = &v.ext {
            let _ = writeln!(
                o,
                "       {} KiB blocks, {}{}, journal: {}",
                e.block_size / 1024,
                if e.clean { "clean" } else { "not clean" },
                if e.last_mounted.is_empty() {
                    String::new()
                } else {
                    format!(", last mounted on {}", e.last_mounted)
                },
                e.journal
            );
        }
        if let FsState::Open { notes } = &v.fs {
            for n in notes {
                let _ = writeln!(o, "       note: {n}");
            }
        }
    }
}

/// The signature's type, else the partition table's type name in parentheses.
fn type_column(v: &Volume) -> String {
    match (&v.signature, &v.partition) {
        (Some(s), _) => s.fs_type.clone(),
        (None, Some(p)) => format!("({})", p.type_name),
        (None, None) => "-".into(),
    }
}

fn state(v: &Volume) -> String {
    match &v.fs {
        FsState::NotOpened => "-".into(),
        FsState::Open { .. } => "read".into(),
        FsState::Failed { reason } => format!("UNREADABLE: {reason}"),
    }
}

fn guest(o: &mut String, r: &InspectReport) {
    let _ = writeln!(o);
    match r.root.volume {
        Some(v) => {
            let _ = writeln!(o, "Root       {}", r.volumes[v].label());
        }
        None => {
            let _ = writeln!(o, "Root       not found");
        }
    }
    let inv = &r.inventory;
    if let Some(d) = &inv.distro {
        let name = d
            .pretty_name
            .clone()
            .unwrap_or_else(|| format!("{} {}", d.name, d.version.as_deref().unwrap_or("")));
        let _ = writeln!(o, "Distro     {} (from {})", name.trim(), d.source);
    }
    let init = format!("{:?}", inv.init.kind).to_lowercase();
    let _ = writeln!(o, "Init       {init}");
    for e in &inv.init.evidence {
        let _ = writeln!(o, "           - {e}");
    }
    for m in r.mounts {
        let _ = writeln!(
            o,
            "Mount      {:<10} <- {}",
            m.mountpoint,
            r.volumes[m.volume].label()
        );
    }
}

fn fstab(o: &mut String, r: &InspectReport) {
    let Some(f) = r.fstab else { return };
    let _ = writeln!(o, "\nfstab      {}", f.path);
    for e in &f.entries {
        let res = match &e.resolution {
            Resolution::Volume { number, via, .. } if *number == 0 => {
                format!("whole disk (by {via})")
            }
            Resolution::Volume { number, via, .. } => format!("partition {number} (by {via})"),
            Resolution::Missing { reason } => format!("NOT FOUND: {reason}"),
            Resolution::Unresolved { reason } => format!("not resolved: {reason}"),
            Resolution::NotADevice => "-".into(),
        };
        let _ = writeln!(
            o,
            "  line {:<3} {:<45} {:<12} {:<6} -> {res}",
            e.entry.line, e.entry.spec, e.entry.mountpoint, e.entry.fstype
        );
    }
    for p in &f.problems {
        let _ = writeln!(
            o,
            "  line {:<3} unparsable: {} ({})",
            p.line, p.text, p.message
        );
    }
}

fn boot(o: &mut String, r: &InspectReport) {
    let inv = &r.inventory;
    let _ = writeln!(o, "\nBootloader configs");
    if inv.boot_configs.is_empty() {
        let _ = writeln!(o, "  none found");
    }
    for c in &inv.boot_configs {
        let link = c
            .link_target
            .as_deref()
            .map(|t| format!(" -> {t}"))
            .unwrap_or_default();
        let chosen = inv.pygrub_choice.as_ref().map(|p| p.path.as_str()) == Some(c.path.as_str());
        let _ = writeln!(
            o,
            "  {:<40} {:<22}{}",
            format!("{}{link}", c.path),
            config_kind(c.kind),
            if chosen {
                "  (pygrub would use this)"
            } else {
                ""
            }
        );
    }
    let _ = writeln!(o, "\nKernels");
    if inv.kernels.is_empty() {
        let _ = writeln!(o, "  none found in /boot");
    }
    for k in &inv.kernels {
        let _ = writeln!(o, "  {:<34} {}", k.version, k.image);
        let _ = writeln!(
            o,
            "  {:<34} initrd: {}  config: {}  modules: {}",
            "",
            k.initrd.as_deref().unwrap_or("none"),
            if k.config.is_some() { "yes" } else { "no" },
            if k.modules_dir.is_some() { "yes" } else { "no" },
        );
    }
}

fn config_kind(k: BootConfigKind) -> &'static str {
    match k {
        BootConfigKind::GrubLegacy => "GRUB legacy",
        BootConfigKind::Grub2 => "GRUB 2",
        BootConfigKind::Grub2Defaults => "GRUB 2 defaults",
        BootConfigKind::SysconfigGrub => "sysconfig grub",
        BootConfigKind::Bls => "BLS entry",
        BootConfigKind::Extlinux => "extlinux",
        BootConfigKind::Syslinux => "syslinux",
    }
}
