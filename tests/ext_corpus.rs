//! Robustness over e2fsprogs' test images (`tests/*/image.gz` of e2fsprogs, many of them
//! deliberately damaged): every image is opened with `ExtFs::open`, and if it opens its tree
//! is walked breadth-first (bounded) and every regular file read with a 1 MiB cap.
//!
//! Requirements: no panic, no hang (each image runs on its own thread under a deadline), no
//! huge allocation (the peak resident size is checked at the end), every image processed.

use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use pv2hvm::fs::ext::{ExtFs, JournalState};
use pv2hvm::fs::{FileKind, FileSystem};
use pv2hvm::image::{IoStats, RawImage, ReadAt};

const EXPECTED_IMAGES: usize = 218;
const MAX_ENTRIES: usize = 2000;
const MAX_DEPTH: usize = 16;
const READ_CAP: u64 = 1 << 20;
const PER_IMAGE_DEADLINE: Duration = Duration::from_secs(20);

#[derive(Debug, Default)]
struct Outcome {
    opened: bool,
    refusal: Option<String>,
    journal: Option<String>,
    entries: usize,
    files_read: usize,
    errors: usize,
    /// Replayed blocks compared with `debugfs -R journal_run` (None: not compared).
    jr_compared: Option<usize>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora/e2fsprogs")
}

fn walk(fs: &ExtFs, out: &mut Outcome) {
    let mut queue = VecDeque::from([("/".to_string(), 0usize)]);
    while let Some((dir, depth)) = queue.pop_front() {
        let entries = match fs.read_dir(&dir) {
            Ok(e) => e,
            Err(_) => {
                out.errors += 1;
                continue;
            }
        };
        for e in entries {
            if out.entries >= MAX_ENTRIES {
                return;
            }
            out.entries += 1;
            let path = if dir == "/" {
                format!("/{}", e.name)
            } else {
                format!("{dir}/{}", e.name)
            };
            let ok = match e.kind {
                FileKind::Dir => {
                    if depth + 1 < MAX_DEPTH {
                        queue.push_back((path, depth + 1));
                    }
                    true
                }
                FileKind::File => match fs.read_file(&path, READ_CAP) {
                    Ok(data) => {
                        out.files_read += 1;
                        data.len() as u64 <= READ_CAP
                    }
                    Err(pv2hvm::fs::FsError::TooLarge { .. }) => true,
                    Err(_) => false,
                },
                FileKind::Symlink => fs.read_link(&path).is_ok(),
                FileKind::Special => fs.symlink_metadata(&path).is_ok(),
            };
            if !ok {
                out.errors += 1;
            }
        }
    }
}

/// Compare our replayed blocks with what e2fsprogs' own recovery (`debugfs -w -R
/// journal_run`, the e2fsck recovery code without the repair passes) writes. The primary
/// superblock is skipped (journal_run rewrites it to clear needs_recovery), and so are
/// journals whose recovery debugfs refuses or that have fast commits (which we do not
/// replay). Returns the number of blocks compared.
fn compare_with_journal_run(fs: &ExtFs, img: &Path) -> Option<usize> {
    let replay = fs.replay()?;
    if replay.notes.iter().any(|n| n.contains("fast-commit")) {
        return None;
    }
    let copy = img.with_extension("jr");
    std::fs::copy(img, &copy).unwrap();
    let out = Command::new("debugfs")
        .args(["-w", "-R", "journal_run"])
        .arg(&copy)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let theirs = std::fs::read(&copy).unwrap();
    std::fs::remove_file(&copy).unwrap();
    if text.contains("while recovering journal") {
        return None;
    }
    let bs = replay.block_size() as usize;
    let sb_block = fs.superblock().first_data_block as u64;
    let mut compared = 0;
    for b in replay.blocks().filter(|&b| b != sb_block) {
        let mut mine = vec![0u8; bs];
        fs.view().read_at(b * bs as u64, &mut mine).unwrap();
        assert!(
            mine == theirs[b as usize * bs..(b as usize + 1) * bs],
            "{}: replayed block {b} differs from debugfs journal_run's",
            img.display()
        );
        compared += 1;
    }
    Some(compared)
}

fn process(img: PathBuf) -> Outcome {
    let mut out = Outcome::default();
    let dev = Arc::new(RawImage::open(&img, Arc::new(IoStats::default())).unwrap());
    match ExtFs::open(dev) {
        Ok(fs) => {
            out.opened = true;
            out.journal = match fs.journal_state() {
                JournalState::Replayed { .. } => Some("replayed".into()),
                JournalState::RecoveryNeededButUnreadable(why) => {
                    Some(format!("unreadable: {why}"))
                }
                _ => None,
            };
            out.jr_compared = compare_with_journal_run(&fs, &img);
            walk(&fs, &mut out);
        }
        Err(e) => {
            out.refusal = Some(format!("{:?}: {}", e.kind, e.reason));
            if let Some(JournalState::Replayed { .. }) = e.journal_state {
                out.journal = Some("replayed".into());
            }
        }
    }
    out
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[test]
fn e2fsprogs_corpus() {
    let start = Instant::now();
    let mut images: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("corpus directory")
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".img.gz"))
        .collect();
    images.sort();
    assert_eq!(images.len(), EXPECTED_IMAGES);

    let tmp = tempfile::tempdir().unwrap();
    let mut results: BTreeMap<String, Outcome> = BTreeMap::new();
    for gz in &images {
        let name = gz
            .file_name()
            .unwrap()
            .to_string_lossy()
            .replace(".img.gz", "");
        let img = tmp.path().join(format!("{name}.img"));
        let status = Command::new("gzip")
            .arg("-dc")
            .arg(gz)
            .stdout(Stdio::from(File::create(&img).unwrap()))
            .status()
            .unwrap();
        assert!(status.success(), "gzip -dc {}", gz.display());
        let (tx, rx) = mpsc::channel();
        let path = img.clone();
        std::thread::spawn(move || {
            let r = std::panic::catch_unwind(|| process(path));
            let _ = tx.send(r);
        });
        let outcome = match rx.recv_timeout(PER_IMAGE_DEADLINE) {
            Ok(Ok(o)) => o,
            Ok(Err(_)) => panic!("{name}: panicked"),
            Err(_) => panic!("{name}: no result within {PER_IMAGE_DEADLINE:?} (hang?)"),
        };
        std::fs::remove_file(&img).unwrap();
        results.insert(name, outcome);
    }

    let opened = results.values().filter(|o| o.opened).count();
    let refused = results.len() - opened;
    let replayed = results
        .values()
        .filter(|o| o.journal.as_deref() == Some("replayed"))
        .count();
    let unreadable = results
        .values()
        .filter(|o| {
            o.journal
                .as_deref()
                .is_some_and(|j| j.starts_with("unreadable"))
        })
        .count();
    let files: usize = results.values().map(|o| o.files_read).sum();
    let entries: usize = results.values().map(|o| o.entries).sum();
    let errors: usize = results.values().map(|o| o.errors).sum();
    let jr_images = results.values().filter(|o| o.jr_compared.is_some()).count();
    let jr_blocks: usize = results.values().filter_map(|o| o.jr_compared).sum();
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for o in results.values() {
        if let Some(r) = &o.refusal {
            // Group by the reason up to the superblock description.
            let key: String = r
                .split("; superblock")
                .next()
                .unwrap()
                .chars()
                .take(90)
                .collect();
            *reasons.entry(key).or_default() += 1;
        }
    }
    eprintln!(
        "e2fsprogs corpus: {} images in {:?}",
        results.len(),
        start.elapsed()
    );
    eprintln!("  opened {opened}, refused {refused}");
    eprintln!("  journals replayed {replayed}, needing recovery but unreadable {unreadable}");
    eprintln!("  replays identical to debugfs journal_run: {jr_images} images, {jr_blocks} blocks");
    eprintln!("  entries walked {entries}, files read {files}, per-entry errors {errors}");
    eprintln!("  peak RSS {} MiB", peak_rss_kib() / 1024);
    for (r, n) in &reasons {
        eprintln!("  refused x{n}: {r}");
    }
    for (name, o) in &results {
        if o.errors > 20 {
            eprintln!("  errors {name}: {} of {} entries", o.errors, o.entries);
        }
        if let Some(j) = &o.journal {
            eprintln!("  journal {name}: {j}");
        }
    }

    assert_eq!(results.len(), EXPECTED_IMAGES);
    // Lower bounds observed when this test was written (see the printed summary).
    assert!(opened >= LOWER_OPENED, "only {opened} images opened");
    assert!(
        replayed >= LOWER_REPLAYED,
        "only {replayed} journals replayed"
    );
    assert!(files >= LOWER_FILES, "only {files} files read");
    assert!(
        jr_images >= LOWER_JR_IMAGES,
        "only {jr_images} replays compared"
    );
    assert!(peak_rss_kib() < 1024 * 1024, "peak RSS above 1 GiB");
}

const LOWER_OPENED: usize = 140;
const LOWER_REPLAYED: usize = 12;
const LOWER_FILES: usize = 5000;
const LOWER_JR_IMAGES: usize = 8;
