//! The taxonomies stage: terms collected from front matter (`tags`, …), and a
//! taxonomy whose pages would overwrite a section reported.

use super::Site;
use crate::content::Target;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::taxonomy::{self, Taxonomy};

pub(crate) fn run(site: &Site, diags: &Diagnostics) -> Vec<Taxonomy> {
    let t = taxonomy::collect(&site.lib, &site.config.taxonomies);
    for tax in &t {
        if let Some(Target::Section(si)) = site.lib.by_path.get(&tax.path()) {
            diags.push(
                Diagnostic::error(
                    "duplicate-path",
                    format!(
                        "the `{}` taxonomy's pages would overwrite section /{}",
                        tax.name,
                        tax.path()
                    ),
                )
                .in_file(&site.lib.sections[*si].doc.source),
            );
        }
    }
    t
}
