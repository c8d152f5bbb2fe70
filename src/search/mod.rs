//! Search: one tantivy index of every page, analysed for Japanese and English
//! together (see `analyzer`), written by `build` and queried by `srekb search`.

pub mod analyzer;
pub mod index;
