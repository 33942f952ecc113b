//! FAT filesystems (an EFI system partition, a FAT /boot) through `fatfs` over a slice.
