//! Machine-readable outputs: Atom feeds, `sitemap.xml` and `robots.txt`.

use std::fmt::Write as _;

use anyhow::Result;
use rayon::prelude::*;

use super::scope::Scope;
use super::Site;
use crate::content::{Date, Page, Target};
use crate::output::Output;

use crate::escape::xml as xml_escape;

pub use crate::render::views::absolute_url as absolute;

pub struct FeedInfo<'a> {
    pub title: &'a str,
    pub base_url: &'a str,
    /// Site path of the feed file (`atom.xml`, `postmortems/atom.xml`).
    pub feed_path: &'a str,
    /// Site path of the HTML page the feed describes.
    pub html_path: &'a str,
}

/// An Atom feed of `pages` (already sorted and limited).
pub fn atom(info: &FeedInfo<'_>, pages: &[&Page]) -> String {
    let updated = pages
        .iter()
        .filter_map(|p| p.doc.updated.or(p.doc.date))
        .max()
        .map(|d| d.at.to_rfc3339())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
    let mut s = String::with_capacity(4096);
    s.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    let _ = writeln!(s, "  <title>{}</title>", xml_escape(info.title));
    let _ = writeln!(
        s,
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>",
        xml_escape(&absolute(info.base_url, info.feed_path))
    );
    let _ = writeln!(
        s,
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
        xml_escape(&absolute(info.base_url, info.html_path))
    );
    let _ = writeln!(
        s,
        "  <id>{}</id>",
        xml_escape(&absolute(info.base_url, info.feed_path))
    );
    let _ = writeln!(s, "  <updated>{updated}</updated>");
    let _ = writeln!(s, "  <generator>srekb</generator>");
    for p in pages {
        let url = absolute(info.base_url, &p.doc.path);
        let published = p.doc.date.map(|d| d.at.to_rfc3339());
        let updated = p
            .doc
            .updated
            .or(p.doc.date)
            .map(|d| d.at.to_rfc3339())
            .unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
        let _ = writeln!(s, "  <entry xml:base=\"{}\">", xml_escape(&url));
        let _ = writeln!(s, "    <title>{}</title>", xml_escape(&p.doc.title));
        let _ = writeln!(
            s,
            "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
            xml_escape(&url)
        );
        let _ = writeln!(s, "    <id>{}</id>", xml_escape(&url));
        if let Some(pubd) = published {
            let _ = writeln!(s, "    <published>{pubd}</published>");
        }
        let _ = writeln!(s, "    <updated>{updated}</updated>");
        for tag in p.doc.taxonomies.get("tags").into_iter().flatten() {
            let _ = writeln!(s, "    <category term=\"{}\"/>", xml_escape(tag));
        }
        if let Some(d) = &p.doc.meta.description {
            let _ = writeln!(s, "    <summary>{}</summary>", xml_escape(d));
        }
        let content = p
            .doc
            .rendered
            .summary_html
            .as_deref()
            .unwrap_or(&p.doc.rendered.html);
        let _ = writeln!(
            s,
            "    <content type=\"html\">{}</content>",
            xml_escape(content)
        );
        s.push_str("  </entry>\n");
    }
    s.push_str("</feed>\n");
    s
}

/// `sitemap.xml` for (site path, last modified) pairs.
pub fn sitemap(base_url: &str, entries: &[(String, Option<Date>)]) -> String {
    let mut s = String::with_capacity(entries.len() * 100 + 200);
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for (path, lastmod) in entries {
        let _ = write!(
            s,
            "  <url><loc>{}</loc>",
            xml_escape(&absolute(base_url, path))
        );
        if let Some(d) = lastmod {
            let _ = write!(s, "<lastmod>{}</lastmod>", d.at.format("%Y-%m-%d"));
        }
        s.push_str("</url>\n");
    }
    s.push_str("</urlset>\n");
    s
}

pub fn robots(base_url: &str) -> String {
    format!("User-agent: *\nAllow: /\nSitemap: {base_url}/sitemap.xml\n")
}

/// The newest `limit` dated pages under `prefix`: newest first, then by title, then
/// in library order (what a stable sort of them all gives), found without sorting
/// them all.
fn newest<'a>(pages: &'a [Page], prefix: &str, limit: usize) -> Vec<&'a Page> {
    let mut v: Vec<(usize, &Page)> = pages
        .iter()
        .enumerate()
        .filter(|(_, p)| p.doc.date.is_some() && p.doc.path.starts_with(prefix))
        .collect();
    let order = |a: &(usize, &Page), b: &(usize, &Page)| {
        b.1.doc
            .date
            .cmp(&a.1.doc.date)
            .then(a.1.doc.title.cmp(&b.1.doc.title))
            .then(a.0.cmp(&b.0))
    };
    if limit == 0 {
        return Vec::new();
    }
    if v.len() > limit {
        v.select_nth_unstable_by(limit - 1, order);
        v.truncate(limit);
    }
    v.sort_unstable_by(order);
    v.into_iter().map(|(_, p)| p).collect()
}

/// Atom feeds (the site's and each section's) and the sitemap. A scoped build writes
/// only the feeds that carry a changed page; the sitemap lists places and dates,
/// which a scoped change leaves alone.
pub(crate) fn write(site: &Site, scope: Option<&Scope>, out: &Output) -> Result<()> {
    let lib = &site.lib;
    let config = &site.config;
    let dated = |prefix: &str| newest(&lib.pages, prefix, config.feed.limit);
    // A scoped build leaves every page's place, title and dates as they were, and
    // renders again only the changed documents: a feed none of them is in is as the
    // last build wrote it.
    let changed: Vec<&str> = scope.map_or_else(Vec::new, |sc| {
        sc.changed
            .iter()
            .filter_map(|t| match t {
                Target::Page(p) => Some(lib.pages[*p].doc.path.as_str()),
                Target::Section(_) => None,
            })
            .collect()
    });
    let stale =
        |pages: &[&Page]| scope.is_none() || pages.iter().any(|p| changed.contains(&&*p.doc.path));
    let home = dated("");
    if stale(&home) {
        out.write(
            "atom.xml",
            atom(
                &FeedInfo {
                    title: &config.title,
                    base_url: &config.base_url,
                    feed_path: "atom.xml",
                    html_path: "",
                },
                &home,
            )
            .as_bytes(),
        )?;
    }
    let sections: Vec<&crate::content::Section> = lib
        .sections
        .iter()
        .enumerate()
        .filter(|(si, s)| s.parent.is_some() && scope.is_none_or(|sc| sc.feeds.contains(si)))
        .map(|(_, s)| s)
        .collect();
    sections.par_iter().try_for_each(|s| -> Result<()> {
        let pages = dated(&s.doc.path);
        if pages.is_empty() || !stale(&pages) {
            return Ok(());
        }
        let feed_path = format!("{}atom.xml", s.doc.path);
        let title = format!("{} | {}", s.doc.title, config.title);
        out.write(
            &feed_path,
            atom(
                &FeedInfo {
                    title: &title,
                    base_url: &config.base_url,
                    feed_path: &feed_path,
                    html_path: &s.doc.path,
                },
                &pages,
            )
            .as_bytes(),
        )
    })?;
    if scope.is_some() {
        return Ok(());
    }
    let mut entries: Vec<(String, Option<crate::content::Date>)> = Vec::new();
    for s in &lib.sections {
        entries.push((s.doc.path.clone(), s.doc.updated.or(s.doc.date)));
    }
    for p in &lib.pages {
        entries.push((p.doc.path.clone(), p.doc.updated.or(p.doc.date)));
    }
    for tax in &site.taxonomies {
        entries.push((tax.path(), None));
        for t in &tax.terms {
            entries.push((format!("{}{}/", tax.path(), t.slug), None));
        }
    }
    entries.sort();
    out.write(
        "sitemap.xml",
        sitemap(&config.base_url, &entries).as_bytes(),
    )?;
    out.write("robots.txt", robots(&config.base_url).as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{Document, Kind};

    #[test]
    fn escapes_and_strips_control_chars() {
        assert_eq!(
            xml_escape("<a & \"b\">\u{1}\u{FFFE}\u{FFFF}\u{1b}"),
            "&lt;a &amp; &quot;b&quot;&gt;"
        );
    }

    #[test]
    fn absolute_urls_are_encoded() {
        assert_eq!(
            absolute("https://kb.example", "タグ/"),
            "https://kb.example/%E3%82%BF%E3%82%B0/"
        );
        assert_eq!(absolute("https://kb.example", ""), "https://kb.example/");
    }

    #[test]
    fn the_newest_pages_are_those_a_stable_sort_of_all_gives() {
        let offset = chrono::FixedOffset::east_opt(9 * 3600).unwrap();
        let pages: Vec<Page> = (0..200)
            .map(|i| {
                let title = format!("t{}", (i * 7) % 5);
                let path = if i % 3 == 0 { "a/" } else { "b/" };
                let mut doc = Document::synthesized("x", title, format!("{path}{i}/"));
                doc.date = (i % 11 != 0)
                    .then(|| Date::parse(&format!("2025-01-{:02}", 1 + i % 9), offset))
                    .flatten();
                Page {
                    doc,
                    kind: Kind::PAGE,
                    section: 0,
                    slug: i.to_string(),
                    data: None,
                    replacements: Vec::new(),
                }
            })
            .collect();
        for prefix in ["", "a/", "b/"] {
            for limit in [0, 1, 7, 30, 500] {
                let mut all: Vec<&Page> = pages
                    .iter()
                    .filter(|p| p.doc.date.is_some() && p.doc.path.starts_with(prefix))
                    .collect();
                all.sort_by(|a, b| {
                    b.doc
                        .date
                        .cmp(&a.doc.date)
                        .then(a.doc.title.cmp(&b.doc.title))
                });
                all.truncate(limit);
                let want: Vec<&str> = all.iter().map(|p| p.doc.path.as_str()).collect();
                let got: Vec<&str> = newest(&pages, prefix, limit)
                    .iter()
                    .map(|p| p.doc.path.as_str())
                    .collect();
                assert_eq!(got, want, "{prefix} {limit}");
            }
        }
    }
}
