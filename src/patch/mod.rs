//! The patch layer: turning a fix plan into writes on the image.
pub mod materialize;
