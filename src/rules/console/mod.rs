//! `CON`: consoles — kernel messages and login prompts where the target's console is.

pub mod kernel_console_missing;
pub mod kernel_console_pv_only;
pub mod pv_only_args;
pub mod template_console_pv_only;
