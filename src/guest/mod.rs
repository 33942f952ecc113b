//! The guest as its own OS would see it: root, fstab mounts, path view and inventory.
pub mod files;
pub mod inventory;
pub mod memfiles;
