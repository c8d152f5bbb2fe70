//! Postmortems (Google SRE book template): typed front matter with the incident
//! window, sections recognised by Japanese or English heading, action items and the
//! timeline parsed from tables or task lists, checks that tighten with the status
//! (draft → in-review → reviewed → closed), blameless-language hints, and the
//! derived durations that the reports aggregate.

pub(crate) mod outputs;
mod scaffold;

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Analysis, AnalyzeCx, ContentKind, Fragments, Pages, SearchFields, SiteRef};
use crate::config::SiteConfig;
use crate::content::frontmatter::one_or_many;
use crate::content::{Date, Document, Kind, KindData, Library, Page, Target};
use crate::diagnostics::{Diagnostic, Span};
use crate::markdown::links::{self, Resolved};
use crate::markdown::outline::{self, Cell, Section};

/// PagerDuty's lifecycle; checks get stricter further along.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    #[default]
    Draft,
    InReview,
    Reviewed,
    Closed,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Draft,
        Status::InReview,
        Status::Reviewed,
        Status::Closed,
    ];

    fn parse(s: &str) -> Option<Status> {
        Some(
            match s
                .trim()
                .to_ascii_lowercase()
                .replace([' ', '_'], "-")
                .as_str()
            {
                "draft" => Status::Draft,
                "in-review" | "review" => Status::InReview,
                "reviewed" => Status::Reviewed,
                "closed" => Status::Closed,
                _ => return None,
            },
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::InReview => "in-review",
            Status::Reviewed => "reviewed",
            Status::Closed => "closed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DetectionSource {
    Alert,
    UserReport,
    Internal,
}

impl DetectionSource {
    pub const ALL: [DetectionSource; 3] = [
        DetectionSource::Alert,
        DetectionSource::UserReport,
        DetectionSource::Internal,
    ];

    fn parse(s: &str) -> Option<DetectionSource> {
        Some(
            match s
                .trim()
                .to_ascii_lowercase()
                .replace([' ', '_'], "-")
                .as_str()
            {
                "alert" | "monitoring" => DetectionSource::Alert,
                "user-report" | "customer" | "user" => DetectionSource::UserReport,
                "internal" | "employee" => DetectionSource::Internal,
                _ => return None,
            },
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DetectionSource::Alert => "alert",
            DetectionSource::UserReport => "user-report",
            DetectionSource::Internal => "internal",
        }
    }
}

/// Front matter as written.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Meta {
    #[serde(deserialize_with = "one_or_many")]
    authors: Vec<String>,
    status: Option<String>,
    severity: Option<String>,
    #[serde(deserialize_with = "one_or_many")]
    services: Vec<String>,
    started_at: Option<String>,
    detected_at: Option<String>,
    mitigated_at: Option<String>,
    resolved_at: Option<String>,
    reviewed_at: Option<String>,
    detection: Option<DetectionMeta>,
    error_budget_consumed: Option<Value>,
    customer_impact: Option<String>,
    #[serde(deserialize_with = "one_or_many")]
    related: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum DetectionMeta {
    Source(String),
    Full {
        source: String,
        alert: Option<String>,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct Detection {
    pub source: DetectionSource,
    pub alert: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ActionStatus {
    Open,
    InProgress,
    Done,
    WontFix,
}

impl ActionStatus {
    fn parse(s: &str) -> ActionStatus {
        let l = s.trim().to_lowercase();
        match l.as_str() {
            "done" | "closed" | "fixed" | "完了" | "対応済み" | "済" | "済み" | "resolved" => {
                ActionStatus::Done
            }
            "in-progress" | "in progress" | "doing" | "wip" | "対応中" | "進行中" => {
                ActionStatus::InProgress
            }
            "wontfix" | "won't fix" | "wont-fix" | "対応しない" | "見送り" => {
                ActionStatus::WontFix
            }
            _ => ActionStatus::Open,
        }
    }

    pub fn is_open(&self) -> bool {
        matches!(self, ActionStatus::Open | ActionStatus::InProgress)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ActionItem {
    pub action: String,
    /// prevent / mitigate / detect / process
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub priority: Option<String>,
    pub owner: Option<String>,
    pub due: Option<NaiveDate>,
    pub ticket: Option<String>,
    pub status: ActionStatus,
    pub open: bool,
    pub overdue: bool,
    /// Days since the postmortem's date while open.
    pub age_days: Option<i64>,
    pub line: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct TimelineEntry {
    pub at: Option<Date>,
    /// The time as written.
    pub when: String,
    pub text: String,
    /// Which window boundary this entry marks, if any (started, detected, mitigated, resolved).
    pub marks: Option<&'static str>,
    pub line: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct RelatedLink {
    pub title: String,
    pub href: String,
    pub kind: &'static str,
    #[serde(skip)]
    pub target: Option<Target>,
}

/// Everything a postmortem adds to its page, serialised for templates and JSON.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Postmortem {
    pub status: Status,
    pub severity: Option<String>,
    /// 0 for the most severe.
    pub severity_rank: Option<usize>,
    pub authors: Vec<String>,
    pub services: Vec<String>,
    pub started_at: Option<Date>,
    pub detected_at: Option<Date>,
    pub mitigated_at: Option<Date>,
    pub resolved_at: Option<Date>,
    pub reviewed_at: Option<Date>,
    pub detection: Option<Detection>,
    pub error_budget_consumed: Option<String>,
    pub customer_impact: Option<String>,
    pub minutes_to_detect: Option<i64>,
    pub minutes_to_mitigate: Option<i64>,
    pub minutes_to_resolve: Option<i64>,
    pub review_latency_days: Option<i64>,
    pub action_items: Vec<ActionItem>,
    pub open_action_items: usize,
    pub overdue_action_items: usize,
    pub timeline: Vec<TimelineEntry>,
    /// Section id → heading id found in the body.
    pub sections: BTreeMap<String, String>,
    pub related: Vec<RelatedLink>,
}

impl Postmortem {
    /// The month the incident started (or the page date) as `YYYY-MM`.
    pub fn month(&self, page_date: Option<Date>) -> Option<String> {
        self.started_at
            .or(page_date)
            .map(|d| d.at.format("%Y-%m").to_string())
    }
}

/// Built-in heading aliases per section id.
const SECTION_ALIASES: &[(&str, &[&str])] = &[
    (
        "summary",
        &["summary", "サマリ", "サマリー", "概要", "要約"],
    ),
    ("impact", &["impact", "影響", "インパクト", "影響範囲"]),
    (
        "root_causes",
        &["root causes", "root cause", "根本原因", "原因"],
    ),
    (
        "trigger",
        &["trigger", "発生要因", "トリガー", "きっかけ", "引き金"],
    ),
    (
        "resolution",
        &["resolution", "対応", "復旧", "解決", "対応内容"],
    ),
    ("detection", &["detection", "検出", "検知"]),
    (
        "action_items",
        &["action items", "アクションアイテム", "再発防止策", "対策"],
    ),
    ("lessons", &["lessons learned", "lessons", "教訓", "学び"]),
    (
        "went_well",
        &["what went well", "うまくいったこと", "良かったこと"],
    ),
    (
        "went_wrong",
        &["what went wrong", "うまくいかなかったこと", "悪かったこと"],
    ),
    (
        "got_lucky",
        &["where we got lucky", "幸運だったこと", "運が良かったこと"],
    ),
    ("timeline", &["timeline", "タイムライン", "時系列"]),
    (
        "supporting",
        &["supporting information", "参考情報", "参考資料", "補足"],
    ),
];

/// Lower-case, without numbering ("1. ", "１．") or trailing punctuation.
fn normalize_heading(s: &str) -> String {
    let t = s.trim();
    let t = t.trim_start_matches(|c: char| {
        c.is_ascii_digit()
            || ('０'..='９').contains(&c)
            || matches!(c, '.' | '．' | ')' | '、' | ' ')
    });
    t.trim_end_matches([':', '：', ' ']).to_lowercase()
}

/// The section id a heading names, if any.
pub fn section_id(heading: &str, config: &SiteConfig) -> Option<String> {
    let h = normalize_heading(heading);
    for (id, aliases) in SECTION_ALIASES {
        if aliases.iter().any(|a| *a == h) {
            return Some(id.to_string());
        }
    }
    for (id, aliases) in &config.postmortem.sections {
        if aliases.iter().any(|a| normalize_heading(a) == h) {
            return Some(id.clone());
        }
    }
    None
}

/// Column of an action-item or timeline table, by header text.
fn column(header: &str) -> Option<&'static str> {
    let h = header.trim().to_lowercase();
    Some(match h.as_str() {
        "action"
        | "action item"
        | "アクション"
        | "アクションアイテム"
        | "内容"
        | "対策"
        | "再発防止策"
        | "やること" => "action",
        "type" | "種類" | "種別" | "分類" => "type",
        "priority" | "優先度" => "priority",
        "owner" | "担当" | "担当者" | "オーナー" => "owner",
        "due" | "期限" | "期日" => "due",
        "ticket" | "チケット" | "issue" | "バグ" | "バグの種類" => "ticket",
        "status" | "状態" | "ステータス" => "status",
        "time" | "時刻" | "日時" | "時間" | "when" | "timestamp" => "time",
        "event" | "出来事" | "イベント" | "内容・出来事" | "what" | "description" => {
            "event"
        }
        _ => return None,
    })
}

struct Ctx<'a> {
    page: &'a Page,
    config: &'a SiteConfig,
    diags: Vec<Diagnostic>,
}

impl Ctx<'_> {
    fn body_span(&self, offset: usize) -> Span {
        self.page.doc.body_span(offset)
    }

    fn push(&mut self, d: Diagnostic, span: Span) {
        let doc = &self.page.doc;
        self.diags.push(d.at(&doc.source, span, &doc.text));
    }

    fn key(&self, key: &str) -> Span {
        self.page.doc.key_span(key)
    }

    /// An error once the postmortem is past `from`, a warning before.
    fn strict(&self, status: Status, from: Status, code: &'static str, msg: String) -> Diagnostic {
        if status >= from {
            Diagnostic::error(code, msg)
        } else {
            Diagnostic::warning(code, msg)
        }
    }
}

fn minutes_between(a: Option<Date>, b: Option<Date>) -> Option<i64> {
    Some((b?.at - a?.at).num_minutes())
}

/// Parses a timeline time: RFC 3339, `YYYY-MM-DD HH:MM[:SS]`, `YYYY/MM/DD HH:MM`, or
/// `HH:MM[:SS]` on the date of `context`.
fn parse_when(s: &str, context: Option<Date>, config: &SiteConfig) -> Option<Date> {
    let s = s.trim().replace('／', "/").replace('：', ":");
    let offset = context
        .map(|d| *d.at.offset())
        .unwrap_or_else(|| config.offset());
    if let Some(d) = Date::parse(&s, offset) {
        return Some(Date {
            has_time: true,
            ..d
        });
    }
    for fmt in ["%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(&s, fmt) {
            return offset
                .from_local_datetime(&n)
                .single()
                .map(|at| Date { at, has_time: true });
        }
    }
    for fmt in ["%H:%M", "%H:%M:%S"] {
        if let Ok(t) = NaiveTime::parse_from_str(&s, fmt) {
            let day = context?.at.date_naive();
            return offset
                .from_local_datetime(&day.and_time(t))
                .single()
                .map(|at| Date { at, has_time: true });
        }
    }
    None
}

/// Sections `i` and its sub-sections (the following ones of deeper level).
fn with_children(sections: &[Section], i: usize) -> &[Section] {
    let level = sections[i].level;
    let end = sections[i + 1..]
        .iter()
        .position(|s| s.level <= level)
        .map_or(sections.len(), |p| i + 1 + p);
    &sections[i..end]
}

fn cell<'a>(row: &'a [Cell], cols: &[Option<&'static str>], name: &str) -> Option<&'a Cell> {
    cols.iter()
        .position(|c| *c == Some(name))
        .and_then(|i| row.get(i))
        .filter(|c| !c.text.trim().is_empty() && c.text.trim() != "-" && c.text.trim() != "—")
}

/// Reads `@owner`, `#123`, `due:2025-06-01`, `type:prevent`, `priority:P1` out of a
/// task-list item, returning the remaining text.
fn task_tokens(text: &str) -> (String, BTreeMap<&'static str, String>) {
    let mut rest = Vec::new();
    let mut found = BTreeMap::new();
    for word in text.split_whitespace() {
        if let Some(o) = word.strip_prefix('@').filter(|o| !o.is_empty()) {
            found.insert("owner", format!("@{o}"));
        } else if word.starts_with('#')
            && word.len() > 1
            && word[1..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            found.insert("ticket", word.to_string());
        } else if let Some((k, v)) = word.split_once(':').filter(|(k, v)| {
            !v.is_empty() && matches!(*k, "due" | "type" | "priority" | "期限" | "種類" | "優先度")
        }) {
            let key = match k {
                "due" | "期限" => "due",
                "type" | "種類" => "type",
                _ => "priority",
            };
            found.insert(key, v.to_string());
        } else {
            rest.push(word);
        }
    }
    (rest.join(" "), found)
}

fn contains_term(haystack: &str, term: &str) -> Option<usize> {
    let lower = haystack.to_lowercase();
    lower
        .find(&term.to_lowercase())
        .map(|b| lower[..b].chars().count())
}

/// Analyses one postmortem page: data, body ranges to render specially, diagnostics.
pub fn analyze(
    page: &Page,
    lib: &Library,
    config: &SiteConfig,
    today: NaiveDate,
) -> (Postmortem, Fragments, Vec<Diagnostic>) {
    let mut cx = Ctx {
        page,
        config,
        diags: Vec::new(),
    };
    let doc = &page.doc;
    let mut pm = Postmortem::default();
    let offset = config.offset();

    // Front matter.
    let (meta, err): (Meta, _) = super::read_meta(page, "postmortem");
    cx.diags.extend(err);
    pm.authors = meta.authors;
    pm.services = meta.services;
    pm.customer_impact = meta.customer_impact;
    pm.error_budget_consumed = meta.error_budget_consumed.map(|v| match v {
        Value::String(s) => s,
        Value::Number(n) => format!("{n} min"),
        other => other.to_string(),
    });
    pm.status = match meta.status.as_deref() {
        None => {
            let span = cx.key("title");
            cx.push(
                Diagnostic::warning("postmortem", "no `status`; treated as draft")
                    .with_help("set status = \"draft\", \"in-review\", \"reviewed\" or \"closed\""),
                span,
            );
            Status::Draft
        }
        Some(s) => Status::parse(s).unwrap_or_else(|| {
            let span = cx.key("status");
            cx.push(
                Diagnostic::error("postmortem", format!("unknown status `{s}`"))
                    .with_help("use draft, in-review, reviewed or closed"),
                span,
            );
            Status::Draft
        }),
    };
    let status = pm.status;
    match meta.severity.as_deref() {
        Some(s) => match config
            .postmortem
            .severities
            .iter()
            .position(|x| x.eq_ignore_ascii_case(s.trim()))
        {
            Some(rank) => {
                pm.severity = Some(config.postmortem.severities[rank].clone());
                pm.severity_rank = Some(rank);
            }
            None => {
                let span = cx.key("severity");
                cx.push(
                    Diagnostic::error("postmortem", format!("unknown severity `{s}`")).with_help(
                        format!("use one of {}", config.postmortem.severities.join(", ")),
                    ),
                    span,
                );
            }
        },
        None => {
            let span = cx.key("title");
            let d = cx.strict(
                status,
                Status::InReview,
                "postmortem",
                "no `severity`".into(),
            );
            cx.push(d, span);
        }
    }
    if pm.authors.is_empty() {
        let span = cx.key("title");
        let d = cx.strict(
            status,
            Status::InReview,
            "postmortem",
            "no `authors`".into(),
        );
        cx.push(d, span);
    }
    if let Some(det) = meta.detection {
        let (source, alert) = match det {
            DetectionMeta::Source(s) => (s, None),
            DetectionMeta::Full { source, alert } => (source, alert),
        };
        match DetectionSource::parse(&source) {
            Some(source) => pm.detection = Some(Detection { source, alert }),
            None => {
                let span = cx.key("detection");
                cx.push(
                    Diagnostic::error("postmortem", format!("unknown detection source `{source}`"))
                        .with_help("use alert, user-report or internal"),
                    span,
                );
            }
        }
    }

    let times = [
        ("started_at", &meta.started_at),
        ("detected_at", &meta.detected_at),
        ("mitigated_at", &meta.mitigated_at),
        ("resolved_at", &meta.resolved_at),
        ("reviewed_at", &meta.reviewed_at),
    ];
    incident_window(&mut cx, &mut pm, times, offset);
    let body = doc.body();
    let (sections, found) = find_sections(&mut cx, &mut pm, body, status);
    let mut replacements: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    action_items(&mut cx, &mut pm, &sections, &found, &mut replacements);
    action_item_checks(&mut cx, &mut pm, &sections, &found, status, today);
    timeline(&mut cx, &mut pm, &sections, &found, &mut replacements);
    // Blameless language.
    blame_hints(&mut cx, body);
    related(&mut cx, &mut pm, &meta.related, lib);
    let out = fragments(replacements, &sections, &found);
    (pm, out, cx.diags)
}

/// The incident window: each time parsed, in order, with the derived durations.
fn incident_window(
    cx: &mut Ctx<'_>,
    pm: &mut Postmortem,
    times: [(&'static str, &Option<String>); 5],
    offset: chrono::FixedOffset,
) {
    let status = pm.status;
    let mut window: Vec<(&'static str, Option<Date>)> = Vec::new();
    for (key, value) in times {
        let parsed = value.as_deref().and_then(|s| {
            let d = Date::parse(s, offset);
            if d.is_none() {
                let span = cx.key(key);
                cx.push(Diagnostic::error("postmortem", format!("`{key}`: `{s}` is not a date-time (use RFC 3339 such as 2025-05-12T10:03:00+09:00)")), span);
            }
            d
        });
        window.push((key, parsed));
    }
    pm.started_at = window[0].1;
    pm.detected_at = window[1].1;
    pm.mitigated_at = window[2].1;
    pm.resolved_at = window[3].1;
    pm.reviewed_at = window[4].1;
    for (key, v) in &window[..4] {
        if v.is_none()
            && (*key == "started_at" || *key == "resolved_at" || status >= Status::Reviewed)
            && cx.page.doc.meta.extra.get(*key).is_none()
        {
            let span = cx.key("title");
            let d = cx.strict(
                status,
                Status::Reviewed,
                "postmortem-window",
                format!("no `{key}` in the incident window"),
            );
            cx.push(d, span);
        }
    }
    let present: Vec<(&str, Date)> = window[..4]
        .iter()
        .filter_map(|(k, v)| v.map(|d| (*k, d)))
        .collect();
    for pair in present.windows(2) {
        let ((ka, a), (kb, b)) = (pair[0], pair[1]);
        if b.at < a.at {
            let span = cx.key(kb);
            cx.push(
                Diagnostic::error(
                    "postmortem-window",
                    format!(
                        "`{kb}` ({}) is before `{ka}` ({})",
                        b.at.to_rfc3339(),
                        a.at.to_rfc3339()
                    ),
                ),
                span,
            );
        }
    }
    if let (Some(res), Some(rev)) = (pm.resolved_at, pm.reviewed_at) {
        if rev.at < res.at {
            let span = cx.key("reviewed_at");
            cx.push(
                Diagnostic::error("postmortem-window", "`reviewed_at` is before `resolved_at`"),
                span,
            );
        }
        pm.review_latency_days = Some((rev.at - res.at).num_days());
    }
    pm.minutes_to_detect = minutes_between(pm.started_at, pm.detected_at);
    pm.minutes_to_mitigate = minutes_between(pm.started_at, pm.mitigated_at);
    pm.minutes_to_resolve = minutes_between(pm.started_at, pm.resolved_at);
}

/// The body's sections by id (summary, timeline, …); required ones missing or empty are reported.
fn find_sections(
    cx: &mut Ctx<'_>,
    pm: &mut Postmortem,
    body: &str,
    status: Status,
) -> (Vec<Section>, BTreeMap<String, usize>) {
    let (doc, config) = (&cx.page.doc, cx.config);
    let sections = outline::outline(body);
    let mut found: BTreeMap<String, usize> = BTreeMap::new();
    let mut anchors_seen: BTreeMap<String, usize> = BTreeMap::new();
    for (i, s) in sections.iter().enumerate() {
        if s.level < 2 {
            continue;
        }
        let anchor = crate::content::slug::anchor(&s.title);
        let n = anchors_seen.entry(anchor.clone()).or_insert(0);
        let id = if *n == 0 {
            anchor.clone()
        } else {
            format!("{anchor}-{n}")
        };
        *n += 1;
        if let Some(sid) = section_id(&s.title, config) {
            if found.contains_key(&sid) {
                continue;
            }
            found.insert(sid.clone(), i);
            pm.sections.insert(sid, id);
        }
    }
    for req in &config.postmortem.required_sections {
        match found.get(req) {
            None => {
                let aliases = SECTION_ALIASES
                    .iter()
                    .find(|(id, _)| id == req)
                    .map(|(_, a)| a.join(" / "))
                    .unwrap_or_default();
                let d = cx
                    .strict(
                        status,
                        Status::InReview,
                        "postmortem-section",
                        format!("missing required section `{req}`"),
                    )
                    .with_help(format!("add a heading: {aliases}"));
                cx.push(d, Span::new(doc.body_line + 1, 1));
            }
            Some(&i) => {
                if status >= Status::Reviewed
                    && with_children(&sections, i).iter().all(Section::is_empty)
                {
                    let span = cx.body_span(sections[i].offset);
                    cx.push(
                        Diagnostic::error(
                            "postmortem-section",
                            format!(
                                "section `{}` is empty, but the postmortem is {}",
                                sections[i].title,
                                status.as_str()
                            ),
                        ),
                        span,
                    );
                }
            }
        }
    }
    (sections, found)
}

/// Action items: tables with recognised columns, or task-list items.
fn action_items(
    cx: &mut Ctx<'_>,
    pm: &mut Postmortem,
    sections: &[Section],
    found: &BTreeMap<String, usize>,
    replacements: &mut Vec<(std::ops::Range<usize>, String)>,
) {
    if let Some(&i) = found.get("action_items") {
        for s in with_children(sections, i) {
            for table in &s.tables {
                let cols: Vec<Option<&'static str>> =
                    table.header.iter().map(|c| column(&c.text)).collect();
                if !cols.contains(&Some("action")) {
                    continue;
                }
                for row in table
                    .rows
                    .iter()
                    .filter(|r| r.iter().any(|c| !c.text.trim().is_empty()))
                {
                    let get = |n: &str| cell(row, &cols, n).map(|c| c.text.trim().to_string());
                    let Some(action) = get("action") else {
                        continue;
                    };
                    let line = cx.body_span(row[0].offset).line;
                    pm.action_items.push(ActionItem {
                        action,
                        kind: get("type"),
                        priority: get("priority"),
                        owner: get("owner"),
                        due: get("due")
                            .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
                        ticket: get("ticket"),
                        status: ActionStatus::parse(&get("status").unwrap_or_default()),
                        open: false,
                        overdue: false,
                        age_days: None,
                        line,
                    });
                    if let Some(d) = get("due") {
                        if NaiveDate::parse_from_str(&d, "%Y-%m-%d").is_err() {
                            let span = cx.body_span(
                                cell(row, &cols, "due").map_or(row[0].offset, |c| c.offset),
                            );
                            cx.push(
                                Diagnostic::warning(
                                    "action-item",
                                    format!("due date `{d}` is not YYYY-MM-DD"),
                                ),
                                span,
                            );
                        }
                    }
                }
                replacements.push((table.range.clone(), String::new()));
            }
            for item in s.items.iter().filter(|it| it.task.is_some()) {
                let (text, tokens) = task_tokens(&item.text);
                let line = cx.body_span(item.offset).line;
                pm.action_items.push(ActionItem {
                    action: text,
                    kind: tokens.get("type").cloned(),
                    priority: tokens.get("priority").cloned(),
                    owner: tokens.get("owner").cloned(),
                    due: tokens
                        .get("due")
                        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
                    ticket: tokens.get("ticket").cloned(),
                    status: if item.task == Some(true) {
                        ActionStatus::Done
                    } else {
                        ActionStatus::Open
                    },
                    open: false,
                    overdue: false,
                    age_days: None,
                    line,
                });
            }
        }
    }
}

/// Action items once read: open, overdue and age; missing owners, vague items and a
/// closed postmortem with open items reported.
fn action_item_checks(
    cx: &mut Ctx<'_>,
    pm: &mut Postmortem,
    sections: &[Section],
    found: &BTreeMap<String, usize>,
    status: Status,
    today: NaiveDate,
) {
    let (doc, config) = (&cx.page.doc, cx.config);
    let opened = doc.date.or(pm.resolved_at).map(|d| d.at.date_naive());
    for item in &mut pm.action_items {
        item.open = item.status.is_open();
        item.overdue = item.open && item.due.is_some_and(|d| d < today);
        item.age_days = if item.open {
            opened.map(|o| (today - o).num_days().max(0))
        } else {
            None
        };
        if let Some(k) = &item.kind {
            let k = k.to_lowercase();
            let known = [
                "prevent",
                "mitigate",
                "detect",
                "process",
                "予防",
                "緩和",
                "検知",
                "プロセス",
            ];
            if !known.contains(&k.as_str()) {
                let line = item.line;
                let d = Diagnostic::warning(
                    "action-item",
                    format!(
                        "action item type `{k}` is not one of prevent, mitigate, detect, process"
                    ),
                );
                cx.push(d, Span::new(line, 1));
            }
        }
    }
    for item in pm.action_items.clone() {
        if item.owner.is_none() {
            let d = cx.strict(
                status,
                Status::InReview,
                "action-item",
                format!("action item `{}` has no owner", item.action),
            );
            cx.push(
                d.with_help("add an owner column or `@owner` to the item"),
                Span::new(item.line, 1),
            );
        }
        for term in &config.postmortem.vague_action_terms {
            if contains_term(&item.action, term).is_some() {
                cx.push(
                    Diagnostic::warning(
                        "vague-action",
                        format!(
                            "action item `{}` is vague (`{term}`): it cannot be verified as done",
                            item.action
                        ),
                    )
                    .with_help("name a change to a system or process that someone can check"),
                    Span::new(item.line, 1),
                );
            }
        }
    }
    pm.open_action_items = pm.action_items.iter().filter(|a| a.open).count();
    pm.overdue_action_items = pm.action_items.iter().filter(|a| a.overdue).count();
    if found.contains_key("action_items")
        && pm.action_items.is_empty()
        && status >= Status::InReview
    {
        let i = found["action_items"];
        let span = cx.body_span(sections[i].offset);
        cx.push(Diagnostic::warning("action-item", "no action items found (a table with an アクション/Action column, or `- [ ]` items)"), span);
    }
    if status == Status::Closed && pm.open_action_items > 0 {
        let span = cx.key("status");
        cx.push(
            Diagnostic::warning(
                "postmortem",
                format!(
                    "closed, but {} action items are still open",
                    pm.open_action_items
                ),
            ),
            span,
        );
    }
}

/// Timeline: a table with a time column, or list items starting with a time; entries in order, the window's moments marked.
fn timeline(
    cx: &mut Ctx<'_>,
    pm: &mut Postmortem,
    sections: &[Section],
    found: &BTreeMap<String, usize>,
    replacements: &mut Vec<(std::ops::Range<usize>, String)>,
) {
    let (doc, config) = (&cx.page.doc, cx.config);
    if let Some(&i) = found.get("timeline") {
        let mut context = pm.started_at.or(doc.date);
        for s in with_children(sections, i) {
            for table in &s.tables {
                let cols: Vec<Option<&'static str>> =
                    table.header.iter().map(|c| column(&c.text)).collect();
                let time_col = cols.iter().position(|c| *c == Some("time")).unwrap_or(0);
                for row in table
                    .rows
                    .iter()
                    .filter(|r| r.iter().any(|c| !c.text.trim().is_empty()))
                {
                    let Some(when) = row.get(time_col) else {
                        continue;
                    };
                    let text: Vec<&str> = row
                        .iter()
                        .enumerate()
                        .filter(|(j, _)| *j != time_col)
                        .map(|(_, c)| c.text.as_str())
                        .filter(|t| !t.is_empty())
                        .collect();
                    let at = parse_when(&when.text, context, config);
                    let line = cx.body_span(when.offset).line;
                    if at.is_none() {
                        cx.push(
                            Diagnostic::warning(
                                "timeline",
                                format!("cannot read the time `{}`", when.text),
                            )
                            .with_help("use HH:MM, YYYY-MM-DD HH:MM or RFC 3339"),
                            Span::new(line, 1),
                        );
                    }
                    context = at.or(context);
                    pm.timeline.push(TimelineEntry {
                        at,
                        when: when.text.clone(),
                        text: text.join(" — "),
                        marks: None,
                        line,
                    });
                }
                replacements.push((table.range.clone(), String::new()));
            }
            for item in &s.items {
                let mut parts = item.text.splitn(3, ' ');
                let first = parts.next().unwrap_or("");
                let second = parts.next().unwrap_or("");
                let (at, when, text) =
                    if let Some(d) = parse_when(&format!("{first} {second}"), context, config) {
                        (
                            Some(d),
                            format!("{first} {second}"),
                            parts.next().unwrap_or("").to_string(),
                        )
                    } else if let Some(d) =
                        parse_when(first.trim_end_matches([':', '：']), context, config)
                    {
                        (
                            Some(d),
                            first.to_string(),
                            item.text[first.len()..].trim().to_string(),
                        )
                    } else {
                        continue;
                    };
                context = at.or(context);
                let line = cx.body_span(item.offset).line;
                pm.timeline.push(TimelineEntry {
                    at,
                    when,
                    text: text
                        .trim_start_matches(['-', '—', ':', '：', ' '])
                        .to_string(),
                    marks: None,
                    line,
                });
            }
        }
        let mut last: Option<Date> = None;
        for e in pm.timeline.clone() {
            let Some(at) = e.at else { continue };
            if let Some(l) = last {
                if at.at < l.at {
                    cx.push(
                        Diagnostic::error("timeline", format!("timeline entry `{}` is earlier than the one before it", e.when))
                            .with_help("entries must be in time order; write the date for entries after midnight"),
                        Span::new(e.line, 1),
                    );
                }
            }
            let lead = chrono::Duration::minutes(config.postmortem.timeline_lead_minutes);
            let outside_start = pm.started_at.is_some_and(|s| at.at < s.at - lead);
            let outside_end = pm.resolved_at.is_some_and(|r| at.at > r.at);
            if outside_start || outside_end {
                let which = if outside_start {
                    "more than timeline_lead_minutes before `started_at`"
                } else {
                    "after `resolved_at`"
                };
                cx.push(
                    Diagnostic::warning(
                        "timeline",
                        format!("timeline entry `{}` is {which}", e.when),
                    )
                    .with_help(
                        "check the incident window in the front matter, or the entry's date",
                    ),
                    Span::new(e.line, 1),
                );
            }
            last = Some(at);
        }
        for (key, marks) in [
            ("started", pm.started_at),
            ("detected", pm.detected_at),
            ("mitigated", pm.mitigated_at),
            ("resolved", pm.resolved_at),
        ] {
            if let Some(m) = marks {
                if let Some(e) = pm
                    .timeline
                    .iter_mut()
                    .filter(|e| e.marks.is_none())
                    .find(|e| e.at.is_some_and(|a| a.at >= m.at))
                {
                    if e.at.is_some_and(|a| a.at == m.at) {
                        e.marks = Some(key);
                    }
                }
            }
        }
    }
}

/// Related runbooks and postmortems: each must be a page of the site.
fn related(cx: &mut Ctx<'_>, pm: &mut Postmortem, related: &[String], lib: &Library) {
    let doc = &cx.page.doc;

    for r in related {
        match links::resolve(r, &doc.rel, &doc.path, lib) {
            Resolved::Internal { target, .. } => {
                let d = lib.doc(target);
                let kind = match target {
                    Target::Page(p) => lib.pages[p].kind.as_str(),
                    Target::Section(_) => "section",
                };
                pm.related.push(RelatedLink {
                    title: d.title.clone(),
                    href: crate::content::slug::encode_path(&d.path),
                    kind,
                    target: Some(target),
                });
            }
            _ => {
                let span = cx.key("related");
                cx.push(
                    Diagnostic::error(
                        "broken-link",
                        format!("related `{r}` is not a page in content/"),
                    ),
                    span,
                );
            }
        }
    }
}

/// The theme renders the parsed tables: the first action table and timeline table.
fn fragments(
    replacements: Vec<(std::ops::Range<usize>, String)>,
    sections: &[Section],
    found: &BTreeMap<String, usize>,
) -> Fragments {
    let mut out = Vec::new();
    let mut action_done = false;
    let mut timeline_done = false;
    for (range, _) in replacements {
        let in_actions = found.get("action_items").is_some_and(|&i| {
            let secs = with_children(sections, i);
            secs.iter()
                .any(|s| s.tables.iter().any(|t| t.range == range))
        });
        if in_actions && !action_done {
            out.push((range, ACTIONS_TEMPLATE));
            action_done = true;
        } else if !in_actions && !timeline_done {
            out.push((range, TIMELINE_TEMPLATE));
            timeline_done = true;
        }
    }
    out
}

/// One pattern for any of `lowered` (terms already lowercased), kept between pages
/// (every page of a build has the same terms): a line it does not match holds no
/// term, so most lines are passed over after one scan. None when it cannot be built.
fn any_term(lowered: &[String]) -> Option<std::sync::Arc<regex::Regex>> {
    use std::sync::{Arc, Mutex};
    type Kept = Option<(Vec<String>, Option<Arc<regex::Regex>>)>;
    static KEPT: Mutex<Kept> = Mutex::new(None);
    let mut kept = KEPT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((terms, re)) = kept.as_ref() {
        if terms.as_slice() == lowered {
            return re.clone();
        }
    }
    let pattern: Vec<String> = lowered.iter().map(|t| regex::escape(t)).collect();
    let re = regex::Regex::new(&pattern.join("|")).ok().map(Arc::new);
    *kept = Some((lowered.to_vec(), re.clone()));
    re
}

fn blame_hints(cx: &mut Ctx<'_>, body: &str) {
    let config = cx.config;
    let groups: [(&Vec<String>, &str, &str); 2] = [
        (
            &config.postmortem.blame_terms,
            "blame-language",
            "describe what the system allowed to happen, not who slipped",
        ),
        (
            &config.postmortem.counterfactual_terms,
            "counterfactual",
            "describe what people knew and did at the time; hindsight hides the real causes",
        ),
    ];
    // Each term lowercased once, in the order they are reported.
    let lowered: Vec<Vec<String>> = groups
        .iter()
        .map(|(terms, ..)| terms.iter().map(|t| t.to_lowercase()).collect())
        .collect();
    let all: Vec<String> = lowered.iter().flatten().cloned().collect();
    let any = any_term(&all);
    let mut in_fence = false;
    let mut ignore_next = false;
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        if line.contains("srekb-ignore") {
            ignore_next = true;
            continue;
        }
        if std::mem::take(&mut ignore_next) {
            continue;
        }
        let lower = line.to_lowercase();
        if any.as_ref().is_some_and(|re| !re.is_match(&lower)) {
            continue;
        }
        for (&(terms, code, help), lowered) in groups.iter().zip(&lowered) {
            for (term, low) in terms.iter().zip(lowered) {
                if let Some(byte) = lower.find(low.as_str()) {
                    let col = lower[..byte].chars().count();
                    let in_line = line.char_indices().nth(col).map_or(line.len(), |(i, _)| i);
                    let at = cx.page.doc.body_span(start + in_line);
                    let msg = format!(
                        "`{term}`: {}",
                        if code == "blame-language" {
                            "blames a person"
                        } else {
                            "is a counterfactual"
                        }
                    );
                    let d = Diagnostic::warning(code, msg).with_help(format!(
                        "{help} (silence with <!-- srekb-ignore --> on the line before)"
                    ));
                    cx.push(d, at);
                }
            }
        }
    }
}

/// The theme's templates that replace the body's action-item and timeline tables.
const ACTIONS_TEMPLATE: &str = "partials/pm-actions.html";
const TIMELINE_TEMPLATE: &str = "partials/pm-timeline.html";

/// `kind = "postmortem"`.
pub const KIND: Kind = Kind::named("postmortem");

/// The postmortem kind: blameless incident reviews with a timeline and action items.
pub struct PostmortemKind;

impl ContentKind for PostmortemKind {
    fn kind(&self) -> Kind {
        KIND
    }

    fn default_section(&self) -> Option<&'static str> {
        Some("postmortems")
    }

    fn analyze(
        &self,
        page: &Page,
        cx: &AnalyzeCx<'_>,
        diags: &crate::diagnostics::Diagnostics,
    ) -> Analysis {
        let (pm, fragments, ds) = analyze(page, cx.lib, cx.config, cx.today);
        diags.extend(ds);
        Analysis {
            data: Box::new(pm),
            fragments,
        }
    }

    fn fragment_context(&self, page: &Page, c: &mut tera::Context) {
        c.insert("pm", &page.data::<Postmortem>());
    }

    fn section_context(
        &self,
        site: &SiteRef<'_>,
        renderer: &crate::render::Renderer,
        si: usize,
        c: &mut tera::Context,
    ) {
        outputs::index_context(site, renderer, c, si);
    }

    fn outputs(&self, site: &SiteRef<'_>, pages: &Pages<'_>) -> anyhow::Result<()> {
        outputs::render(site, pages)?;
        outputs::write_json(site, pages.out)
    }

    fn new_command(&self) -> Option<clap::Command> {
        use clap::{Arg, ArgAction};
        Some(
            clap::Command::new("postmortem")
                .about("A postmortem: `srekb new postmortem \"決済APIのタイムアウト多発\" --severity SEV2 --service payments-api`.")
                .arg(Arg::new("title").value_name("TITLE").required(true).help("Title of the incident."))
                .arg(Arg::new("slug").long("slug").value_name("SLUG").help("File name part after the date (default: from the title)."))
                .arg(Arg::new("severity").long("severity").value_name("SEVERITY").help("Severity (one of `[postmortem] severities`)."))
                .arg(Arg::new("service").long("service").value_name("SERVICES").action(ArgAction::Append).help("Affected service (repeatable).")),
        )
    }

    fn scaffold(
        &self,
        cx: &super::scaffold::ScaffoldCx<'_>,
        args: &clap::ArgMatches,
    ) -> anyhow::Result<i32> {
        let s = |id: &str| args.get_one::<String>(id).cloned();
        let services: Vec<String> = args
            .get_many::<String>("service")
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        scaffold::postmortem(
            cx,
            &s("title").unwrap_or_default(),
            s("slug"),
            s("severity"),
            services,
        )
    }

    fn search_fields<'a>(&self, page: &'a Page) -> SearchFields<'a> {
        let Some(pm) = page.data::<Postmortem>() else {
            return SearchFields::default();
        };
        SearchFields {
            keywords: pm
                .detection
                .iter()
                .filter_map(|d| d.alert.as_deref())
                .chain(pm.services.iter().map(String::as_str))
                .collect(),
            severity: pm.severity.as_deref(),
        }
    }
}

impl KindData for Postmortem {
    crate::kind_data_basics!();

    fn list_summary(&self, doc: &Document) -> Option<Value> {
        serde_json::to_value(pm_summary(self, doc)).ok()
    }
}

/// What a list shows of a postmortem.
#[derive(Serialize)]
pub struct PmSummary<'a> {
    pub severity: Option<&'a str>,
    pub status: &'static str,
    pub services: &'a [String],
    pub started_at: Option<String>,
    pub minutes_to_resolve: Option<i64>,
    pub minutes_to_detect: Option<i64>,
    pub open_action_items: usize,
    pub detection: Option<&'static str>,
    pub year: Option<String>,
}

fn pm_summary<'a>(pm: &'a Postmortem, doc: &Document) -> PmSummary<'a> {
    PmSummary {
        severity: pm.severity.as_deref(),
        status: pm.status.as_str(),
        services: &pm.services,
        started_at: pm.started_at.map(|d| d.to_string_short()),
        minutes_to_resolve: pm.minutes_to_resolve,
        minutes_to_detect: pm.minutes_to_detect,
        open_action_items: pm.open_action_items,
        detection: pm.detection.as_ref().map(|d| d.source.as_str()),
        year: pm
            .started_at
            .or(doc.date)
            .map(|d| d.at.format("%Y").to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_are_recognised_in_both_languages() {
        let c = SiteConfig::default();
        assert_eq!(section_id("サマリ", &c).as_deref(), Some("summary"));
        assert_eq!(
            section_id("Root Causes", &c).as_deref(),
            Some("root_causes")
        );
        assert_eq!(section_id("1. 影響", &c).as_deref(), Some("impact"));
        assert_eq!(
            section_id("What went wrong:", &c).as_deref(),
            Some("went_wrong")
        );
        assert_eq!(section_id("雑談", &c), None);
        let mut c2 = SiteConfig::default();
        c2.postmortem
            .sections
            .insert("summary".into(), vec!["まとめ".into()]);
        assert_eq!(section_id("まとめ", &c2).as_deref(), Some("summary"));
    }

    #[test]
    fn task_items_yield_owner_ticket_due() {
        let (text, t) = task_tokens("監視を追加する @tanaka #123 due:2025-06-01 type:detect");
        assert_eq!(text, "監視を追加する");
        assert_eq!(t["owner"], "@tanaka");
        assert_eq!(t["ticket"], "#123");
        assert_eq!(t["due"], "2025-06-01");
        assert_eq!(t["type"], "detect");
    }

    #[test]
    fn timeline_times_take_the_date_of_context() {
        let c = SiteConfig::default();
        let ctx = Date::parse("2025-05-12T09:00:00+09:00", c.offset());
        let d = parse_when("10:03", ctx, &c).unwrap();
        assert_eq!(d.at.to_rfc3339(), "2025-05-12T10:03:00+09:00");
        assert_eq!(
            parse_when("2025/05/13 01:00", ctx, &c)
                .unwrap()
                .at
                .to_rfc3339(),
            "2025-05-13T01:00:00+09:00"
        );
        assert!(parse_when("朝", ctx, &c).is_none());
        assert!(parse_when("10:03", None, &c).is_none());
    }

    #[test]
    fn action_statuses() {
        assert_eq!(ActionStatus::parse("完了"), ActionStatus::Done);
        assert_eq!(ActionStatus::parse("対応中"), ActionStatus::InProgress);
        assert_eq!(ActionStatus::parse(""), ActionStatus::Open);
        assert!(ActionStatus::parse("todo").is_open());
    }

    #[test]
    fn statuses_are_ordered_by_strictness() {
        assert!(Status::Draft < Status::InReview && Status::Reviewed < Status::Closed);
        assert_eq!(Status::parse("In Review"), Some(Status::InReview));
    }
}
