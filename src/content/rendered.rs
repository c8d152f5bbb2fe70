//! What the markdown stage produces for a document, stored in the content model so
//! later stages (links, render, search) read it without knowing the renderer.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::Target;
use crate::diagnostics::Span;

/// One entry of a table of contents, nested by heading level.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TocEntry {
    pub level: u8,
    pub id: String,
    pub title: String,
    pub children: Vec<TocEntry>,
}

/// A link to another document with an anchor, checked once every document is rendered.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AnchorRef {
    pub target: Option<Target>,
    pub anchor: String,
    pub span: Span,
    /// Byte offset of the link in the file's text (for the diagnostic's window).
    pub offset: usize,
}

/// The markdown step's output for one document.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Rendered {
    pub html: String,
    /// HTML before a `<!--more-->` marker, if the document has one.
    pub summary_html: Option<String>,
    pub toc: Vec<TocEntry>,
    /// Every id a link may point at: headings and footnotes.
    pub anchors: HashSet<String>,
    /// Heading texts in order (for search).
    pub headings: Vec<String>,
    /// The text without markup (for search, descriptions, reading time).
    pub plain: String,
    pub anchor_refs: Vec<AnchorRef>,
}
