//! Partition tables: MBR (with logical partitions), GPT, or none (a filesystem at byte 0).
