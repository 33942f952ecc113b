//! `CON`: consoles — kernel messages and login prompts where the target's console is.
