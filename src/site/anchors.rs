//! The links stage: `#anchor` links against the ids their target documents have.

use super::Site;
use crate::config::AnchorPolicy;
use crate::diagnostics::{Diagnostic, Diagnostics, Severity};

/// Links with `#anchor` must point at an id that exists in the target document.
pub(crate) fn run(site: &Site, diags: &Diagnostics) {
    let lib = &site.lib;
    let policy = site.config.links.anchors;
    if policy == AnchorPolicy::Ignore {
        return;
    }
    let mut known_by_page: std::collections::HashMap<usize, Vec<&String>> = Default::default();
    for t in lib.targets() {
        let doc = lib.doc(t);
        for r in &doc.rendered.anchor_refs {
            let target = r.target.map_or(doc, |tt| lib.doc(tt));
            if r.anchor == "top" || target.rendered.anchors.contains(&r.anchor) {
                continue;
            }
            // Sorted once per target page: per broken anchor it was quadratic.
            let known = known_by_page
                .entry(std::ptr::from_ref(target) as usize)
                .or_insert_with(|| {
                    let mut known: Vec<&String> = target.rendered.anchors.iter().collect();
                    known.sort();
                    known.truncate(8);
                    known
                });
            let where_ = if std::ptr::eq(target, doc) {
                "this page".to_string()
            } else {
                target.source.display().to_string()
            };
            let mut d = Diagnostic::error(
                "broken-anchor",
                format!("anchor `#{}` does not exist in {where_}", r.anchor),
            )
            .at_offset(&doc.source, r.span, &doc.text, r.offset);
            if !known.is_empty() {
                let list: Vec<String> = known.iter().map(|a| format!("#{a}")).collect();
                d = d.with_help(format!("ids there include: {}", list.join(", ")));
            }
            if policy == AnchorPolicy::Warn {
                d.severity = Severity::Warning;
            }
            diags.push(d);
        }
    }
}
