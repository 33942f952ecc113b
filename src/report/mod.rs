//! Renderers of inspection results: human text and versioned JSON.
