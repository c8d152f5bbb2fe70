//! Layout, i18n and accessibility of the default theme, checked in headless Chromium:
//! every page type of the sample site at 360, 390, 1280, 1440 and 1600 px in light and dark —
//! no horizontal overflow, a one-row header (≤ 64 px), chart text at least 11 px on a
//! phone and 12 px on desktop, inside its chart and not over other text, no English UI string on the Japanese site (and no
//! Japanese on an English one), and axe-core with no serious or critical violation.
//! Also the page-title rule and CJK emphasis on a fixture (no browser needed).

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use common::browser::{self, Browser};
use common::*;

/// One of each page type of the sample site.
const PAGES: &[(&str, &str)] = &[
    ("home", ""),
    ("section", "docs/"),
    (
        "postmortem",
        "postmortems/2026-11-05-checkout-payment-timeouts/",
    ),
    ("report", "postmortems/report/"),
    ("action items", "postmortems/action-items/"),
    ("runbook", "runbooks/checkout-error-budget-burn/"),
    ("alert page", "runbooks/alerts/"),
    ("coverage", "runbooks/coverage/"),
    ("career", "careers/site_reliability_engineer/"),
    ("scorecard", "maturity/payments/"),
    ("organisation", "maturity/"),
    ("self-assessment", "maturity/self-assessment/"),
    ("slo", "slos/checkout-availability/"),
    ("slo catalogue", "slos/"),
    ("search", "search/?q=SLO"),
    ("404", "404.html"),
];

/// The issue's three widths, and the ends of the range the layout must hold (360–1600).
const WIDTHS: [u32; 5] = [360, 390, 1280, 1440, 1600];

const AXE_SHA256: &str = "880970c081707360e64f34cea25ff91892f5bc95675b0776925b9709dd8a68bb";

fn browser() -> Option<Browser> {
    let chromium = chromium()?;
    let driver = browser::chromedriver()?;
    Some(Browser::start(&chromium, &driver))
}

/// The vendored axe-core, after checking it is the pinned file.
fn axe_source() -> String {
    let path = repo_root().join("tests/vendor/axe-core/axe.min.js");
    let out = std::process::Command::new("sha256sum")
        .arg(&path)
        .output()
        .expect("running sha256sum");
    let sum = String::from_utf8_lossy(&out.stdout);
    assert!(
        sum.starts_with(AXE_SHA256),
        "tests/vendor/axe-core/axe.min.js is not the pinned axe-core 4.10.3: {sum}"
    );
    std::fs::read_to_string(&path).unwrap()
}

/// Leaf strings of an i18n file by dotted key.
fn strings(path: &Path) -> Vec<(String, String)> {
    fn walk(prefix: &str, v: &toml::Value, out: &mut Vec<(String, String)>) {
        match v {
            toml::Value::String(s) => out.push((prefix.to_string(), s.clone())),
            toml::Value::Table(t) => {
                for (k, v) in t {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, v, out);
                }
            }
            _ => {}
        }
    }
    let v: toml::Value = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut out = Vec::new();
    walk("", &v, &mut out);
    out
}

/// English UI phrases that must not show on the Japanese site: each en.toml string
/// whose Japanese differs, cut at placeholders, keeping parts of two letters or more.
fn english_phrases() -> Vec<String> {
    let dir = repo_root().join("themes/default/i18n");
    let ja: std::collections::HashMap<String, String> =
        strings(&dir.join("ja.toml")).into_iter().collect();
    let mut out = BTreeSet::new();
    for (k, en) in strings(&dir.join("en.toml")) {
        if ja.get(&k) == Some(&en) {
            continue;
        }
        for part in en.split(['{', '}']).step_by(2) {
            let part = part.trim_matches(|c: char| !c.is_alphanumeric());
            if part.chars().filter(|c| c.is_ascii_alphabetic()).count() >= 2 {
                out.insert(part.to_string());
            }
        }
    }
    out.into_iter().collect()
}

/// Whether `phrase` occurs in `text` as whole words.
fn has_words(text: &str, phrase: &str) -> bool {
    // Case-insensitive: CSS may upper-case a label (`started` shows as STARTED).
    let (text, phrase) = (text.to_lowercase(), phrase.to_lowercase());
    let phrase = phrase.as_str();
    text.match_indices(phrase).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + phrase.len()..].chars().next();
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

/// The page's UI text: visible and assistive text and the labelling attributes,
/// without the authors' content (the article body, code, titles of listed pages and
/// the content-derived names in tables, charts and the search filters).
const UI_TEXT: &str = r#"
// The article body is the authors' content, except the UI strings of the postmortem
// action table and timeline the theme renders into it (head, statuses, badges, marks).
var ui = [];
document.querySelectorAll('.prose .action-items thead, .prose .ai-status, .prose .badge, .prose .tl-mark').forEach(function (e) { ui.push(e.textContent); });
var c = document.body.cloneNode(true);
c.querySelectorAll('script,style,noscript,template,textarea,.prose,pre,code,.page-item-title,.page-item-desc,.card-title,.card p,.tag,.search-hit-title,.search-hit-snippet,.search-hit-meta a,#search-service option:not([value=""]),#search-tag option:not([value=""]),.breadcrumbs li,.svc,.owner,h1,svg title,svg desc,#maturity-model').forEach(function (e) { e.remove(); });
var attrs = [];
document.querySelectorAll('[aria-label],[title],[placeholder],[alt],[data-full]').forEach(function (e) {
  ['aria-label', 'title', 'placeholder', 'alt', 'data-full'].forEach(function (a) { if (e.hasAttribute(a) && !e.closest('svg')) attrs.push(e.getAttribute(a)); });
});
return c.textContent + '\n' + attrs.join('\n') + '\n' + ui.join('\n');
"#;

/// How many of the theme's UI elements inside a postmortem's body the page has: the
/// action table head, status cells and timeline marks (so the language checks above
/// are known to have seen them).
const PM_UI_COUNT: &str = r#"
return ['.prose .action-items thead', '.prose .ai-status', '.prose .tl-mark'].map(function (s) { return document.querySelectorAll(s).length; });
"#;

fn assert_pm_ui_present(b: &Browser, page: &str) {
    let counts = b.eval(PM_UI_COUNT);
    assert!(
        counts
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n.as_u64() > Some(0)),
        "{page}: action table head, statuses and timeline marks expected, found {counts}"
    );
}

/// Geometry checks of the current page at the current width, as a list of problems.
const GEOMETRY: &str = r#"
var min = arguments[0], problems = [];
var doc = document.documentElement;
if (doc.scrollWidth > window.innerWidth + 1) {
  var wide = [];
  document.querySelectorAll('body *').forEach(function (e) {
    var r = e.getBoundingClientRect();
    if (r.right > window.innerWidth + 1 && !e.closest('.table-wrap') && wide.length < 5) wide.push(e.tagName + '.' + e.className + ' right=' + Math.round(r.right));
  });
  problems.push('document ' + doc.scrollWidth + ' px wide in a ' + window.innerWidth + ' px window: ' + wide.join(', '));
}
var header = document.querySelector('.site-header').getBoundingClientRect();
if (header.height > 64) problems.push('header ' + Math.round(header.height) + ' px tall');
var row = [];
['.site-title', '.site-nav', '.site-search', '.theme-toggle', '.nav-menu > summary'].forEach(function (s) {
  var e = document.querySelector(s);
  if (e && e.getClientRects().length) { var r = e.getBoundingClientRect(); row.push([s, r.top + r.height / 2]); }
});
row.forEach(function (a) { if (Math.abs(a[1] - row[0][1]) > 8) problems.push(a[0] + ' is not on the header row'); });
document.querySelectorAll('svg text').forEach(function (t) {
  if (!t.textContent.trim() || !t.getClientRects().length) return;
  var ctm = t.getScreenCTM();
  if (!ctm) return;
  var px = parseFloat(getComputedStyle(t).fontSize) * Math.hypot(ctm.a, ctm.b);
  if (px < min - 0.05) problems.push('chart text "' + t.textContent.slice(0, 20) + '" is ' + px.toFixed(1) + ' px');
  var box = t.ownerSVGElement.getBoundingClientRect(), r = t.getBoundingClientRect();
  if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1)
    problems.push('chart text "' + t.textContent.slice(0, 20) + '" is cut off by its chart');
});
document.querySelectorAll('svg').forEach(function (svg) {
  var rects = [];
  svg.querySelectorAll('text').forEach(function (t) { if (t.getClientRects().length && t.textContent.trim()) rects.push([t.textContent, t.getBoundingClientRect()]); });
  for (var i = 0; i < rects.length; i++) for (var j = i + 1; j < rects.length; j++) {
    var a = rects[i][1], b = rects[j][1];
    if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1)
      problems.push('chart texts "' + rects[i][0].slice(0, 12) + '" and "' + rects[j][0].slice(0, 12) + '" overlap');
  }
});
return problems;
"#;

fn set_theme(b: &Browser, theme: &str) {
    b.eval(&format!(
        "document.documentElement.setAttribute('data-theme', '{theme}'); return 1;"
    ));
}

fn load(b: &Browser, url: &str) {
    b.goto(url);
    b.wait_for(
        "document.readyState === 'complete'",
        Duration::from_secs(20),
    );
}

#[test]
fn every_page_type_holds_its_layout_speaks_japanese_and_passes_axe() {
    let Some(b) = browser() else { return };
    let (_site, public) = build_sample();
    let base = browser::static_server(&public);
    let english = english_phrases();
    assert!(english.iter().any(|p| p == "Incident report"));
    let axe = axe_source();
    let mut problems = Vec::new();
    for &width in &WIDTHS {
        b.resize(width, 900);
        // 11 px from a 390 px phone up, 12 px on desktop; charts scale with their
        // box, so the narrowest phone (360 px) gets 360/390 of the phone size.
        let min = match width {
            ..390 => 10.0,
            390..600 => 11.0,
            _ => 12.0,
        };
        for &(kind, path) in PAGES {
            load(&b, &format!("{base}/{path}"));
            if kind == "search" {
                b.wait_for(
                    "document.querySelectorAll('#search-results li').length > 0",
                    Duration::from_secs(20),
                );
            }
            let inner = b.eval("return window.innerWidth;");
            assert_eq!(inner, serde_json::json!(width), "viewport width");
            for theme in ["light", "dark"] {
                set_theme(&b, theme);
                let found = b.call_script(GEOMETRY, &[serde_json::json!(min)]);
                for p in found.as_array().unwrap() {
                    problems.push(format!("{kind} @{width} {theme}: {}", p.as_str().unwrap()));
                }
                // axe checks colours and names, not geometry: a phone and a desktop width.
                if width == 390 || width == 1280 {
                    for v in axe_violations(&b, &axe) {
                        problems.push(format!("{kind} @{width} {theme}: axe {v}"));
                    }
                }
            }
            if width == 1280 {
                if kind == "postmortem" {
                    assert_pm_ui_present(&b, path);
                }
                let text = b.eval(UI_TEXT);
                let text = text.as_str().unwrap();
                for phrase in &english {
                    if has_words(text, phrase) {
                        problems.push(format!("{kind}: English UI string \"{phrase}\""));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Serious and critical axe-core violations of the page, one line each.
fn axe_violations(b: &Browser, axe: &str) -> Vec<String> {
    if b.eval("return typeof window.axe;") != serde_json::json!("object") {
        b.eval(&format!("{axe}\nreturn 1;"));
    }
    let v = b.eval_async(
        "var done = arguments[arguments.length - 1];
         axe.run(document, { resultTypes: ['violations'] }).then(function (r) {
           done(r.violations.filter(function (v) { return v.impact === 'serious' || v.impact === 'critical'; })
             .map(function (v) { return v.impact + ' ' + v.id + ': ' + v.nodes.slice(0, 3).map(function (n) { return n.target.join(' '); }).join(' | '); }));
         }, function (e) { done(['axe failed: ' + e]); });",
    );
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn the_english_site_shows_no_japanese_ui_text() {
    let Some(b) = browser() else { return };
    let (site, _) = build_fixture_once("postmortem-english");
    let base = browser::static_server(&site.path().join("public"));
    b.resize(1280, 900);
    let mut problems = Vec::new();
    for path in [
        "",
        "postmortems/",
        "postmortems/2025-02-01-dns/",
        "postmortems/2025-01-10-cache/",
        "postmortems/report/",
        "postmortems/action-items/",
        "404.html",
    ] {
        load(&b, &format!("{base}/{path}"));
        // This one writes its action items and timeline as tables, which the theme
        // renders (the other as lists, kept as written).
        if path == "postmortems/2025-01-10-cache/" {
            assert_pm_ui_present(&b, path);
        }
        let text = b.eval(UI_TEXT);
        let japanese: String = text
            .as_str()
            .unwrap()
            .chars()
            .filter(|c| matches!(c, '\u{3040}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}'))
            .collect();
        if !japanese.is_empty() {
            problems.push(format!("/{path}: {japanese}"));
        }
        let found = b.call_script(GEOMETRY, &[serde_json::json!(12.0)]);
        for p in found.as_array().unwrap() {
            problems.push(format!("/{path}: {}", p.as_str().unwrap()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn titles_come_from_front_matter_then_a_leading_h1_then_the_file_name() {
    let (site, _) = build_fixture_once("layout-titles");
    let public = site.path().join("public");
    let title = |page: &str| {
        let html = read(&public, &format!("docs/{page}/index.html"));
        let start = html.find("<title>").unwrap() + 7;
        html[start..start + html[start..].find(" | ").unwrap()].to_string()
    };
    assert_eq!(title("front-matter"), "前付けのタイトル");
    assert_eq!(title("with-h1"), "見出しのタイトル");
    // The first heading is `## 概要`: never the title; a later `#` is not leading.
    assert_eq!(title("sre-primer"), "sre-primer");
    let primer = read(&public, "docs/sre-primer/index.html");
    assert!(
        primer.contains("<strong>Site Reliability Engineer（SRE）</strong>です"),
        "CJK-friendly emphasis"
    );
    assert!(primer.contains("これは<strong>「重要」</strong>な役割"));
}

#[test]
fn the_report_shows_time_to_mitigate_and_times_by_severity() {
    let (_site, public) = build_sample();
    let html = read(&public, "postmortems/report/index.html");
    assert!(html.contains("id=\"pm-ttm-h\">緩和までの時間</h2>"));
    assert!(html.contains("<dt>緩和まで (中央値)</dt><dd>33分</dd>"));
    let table = &html[html.find("<table class=\"times-by-severity\">").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    // SEV2: three incidents; TTD, TTM, TTR median and p90 in that order.
    let sev2 = &table[table.find(">SEV2</span>").unwrap()..];
    let sev2 = &sev2[..sev2.find("</tr>").unwrap()];
    let cells: Vec<&str> = sev2
        .split("<td")
        .skip(1)
        .map(|c| &c[c.find('>').unwrap() + 1..c.find("</td>").unwrap()])
        .collect();
    assert_eq!(
        cells,
        [
            "3",
            "7分",
            "42分",
            "33分",
            "1時間15分",
            "1時間30分",
            "1時間38分"
        ]
    );
    // Clock ticks on the duration axes, integer ticks on the counts.
    assert!(html.contains(">4h</text>") && !html.contains(".8h<"));
}

#[test]
fn the_self_assessment_starts_from_the_teams_last_levels_and_shows_the_change() {
    let Some(b) = browser() else { return };
    let (_site, public) = build_sample();
    // The payments team's latest levels, as its scorecard shows them.
    let card = read(&public, "maturity/payments/index.html");
    let expected: Vec<(String, String)> = card
        .split("<tr id=\"area-")
        .skip(1)
        .map(|row| {
            let id = row[..row.find('"').unwrap()].to_string();
            let cell = &row[row.find("class=\"lvl lvl-").unwrap() + 15..];
            (id, cell[..cell.find('"').unwrap()].to_string())
        })
        .collect();
    assert_eq!(expected.len(), 9);
    let base = browser::static_server(&public);
    b.resize(1280, 900);
    // A level in the link wins over the pre-filled one.
    load(
        &b,
        &format!("{base}/maturity/self-assessment/#team=payments&slo=1"),
    );
    let checked = |id: &str| {
        b.eval(&format!(
            "var r = document.querySelector(\"input[name='level-{id}']:checked\"); return r ? r.value : '0';"
        ))
    };
    for (id, level) in &expected {
        let want = if id == "slo" { "1" } else { level.as_str() };
        assert_eq!(checked(id), serde_json::json!(want), "{id}");
    }
    let note = b.eval(
        "var n = document.getElementById('prefill-note'); return n.hidden ? '' : n.textContent;",
    );
    assert!(
        note.as_str()
            .unwrap()
            .contains("2026年6月15日の評価で記入済み"),
        "{note}"
    );
    // Raising monitoring shows the change against the last assessment.
    let monitoring = &expected.iter().find(|e| e.0 == "monitoring").unwrap().1;
    assert_eq!(monitoring, "3");
    b.eval(
        "document.querySelector(\"input[name='level-monitoring'][value='2']\").click(); return 1;",
    );
    let change = b.eval(
        "var s = document.querySelector(\".level-change[data-area='monitoring']\"); return s.className + '|' + s.textContent;",
    );
    assert_eq!(
        change,
        serde_json::json!("level-change change-down|前回 3 → 2 ↓")
    );
    let file = b.eval("return document.getElementById('assessment-output').value;");
    assert!(
        file.as_str().unwrap().contains("monitoring = 2\n"),
        "{file}"
    );
    // The radar shows the previous assessment too.
    assert_eq!(
        b.eval("return document.querySelectorAll('#live-radar .s-previous').length;"),
        serde_json::json!(1)
    );
}

#[test]
fn the_organisation_page_shows_delegation_gaps_per_team() {
    let (_site, public) = build_sample();
    let html = read(&public, "maturity/index.html");
    let table = &html[html.find("<table class=\"delegation-gaps\"").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    assert!(table.contains("<th scope=\"col\">決済チーム</th>"));
    let slo = &table[table.find("<th scope=\"row\">SLI/SLO</th>").unwrap()..];
    let slo = &slo[..slo.find("</tr>").unwrap()];
    assert!(
        slo.contains("<td class=\"gap-open\">同意する → 尋ねる <span class=\"badge badge-stale\">あと2段階</span></td>"),
        "{slo}"
    );
}
