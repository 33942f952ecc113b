//! `CON`: consoles — kernel messages and login prompts where the target's console is.

pub mod grub2_no_serial;
pub mod grub_legacy_no_serial;
pub mod grub_legacy_splashimage;
pub mod inittab_getty_pv_console;
pub mod kernel_console_missing;
pub mod kernel_console_pv_only;
pub mod pv_console_missing;
pub mod pv_only_args;
pub mod securetty_missing_console;
pub mod systemd_getty_pv_console;
pub mod template_console_pv_only;
pub mod upstart_getty_pv_console;
