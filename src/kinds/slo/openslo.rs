//! OpenSLO v1 YAML (`apiVersion: openslo/v1`): multi-document files holding `SLO`,
//! `SLI` and `Service` resources. Each `SLO` becomes an [`Slo`], with its indicator
//! inline or found by `indicatorRef` (in any file of the section), its first objective
//! (`target` 0–1 or `targetPercent`) and its first `timeWindow`. Problems carry the
//! YAML position of the offending key.

use std::collections::BTreeMap;

use super::model::{At, Problem, Sli, Slo};
use super::window::Window;
use crate::content::yaml::{self, Node, Tree};
use crate::diagnostics::Span;

pub const API_VERSION: &str = "openslo/v1";

/// An SLO read from an OpenSLO file.
#[derive(Debug, Clone)]
pub struct OpenSlo {
    pub slo: Slo,
    /// `metadata.displayName`, else `metadata.name`.
    pub title: String,
    /// `spec.description`.
    pub description: Option<String>,
    /// Where the `SLO` document starts.
    pub span: Span,
}

fn key_span(n: &Node, key: &str, fallback: Span) -> Span {
    n.key(key).map_or(fallback, |k| k.span)
}

fn text(n: Option<&Node>) -> Option<String> {
    let s = match &n?.tree {
        Tree::Str(s) => s.clone(),
        Tree::Int(i) => i.to_string(),
        Tree::UInt(u) => u.to_string(),
        Tree::Float(f) => f.to_string(),
        _ => return None,
    };
    let s = s.trim().to_string();
    (!s.is_empty()).then_some(s)
}

fn number(n: &Node) -> Option<f64> {
    match &n.tree {
        Tree::Int(i) => Some(*i as f64),
        Tree::UInt(u) => Some(*u as f64),
        Tree::Float(f) => Some(*f),
        Tree::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The query of a `metricSource`: `spec.query` (or another query-like key), else the
/// spec as compact JSON so nothing is lost.
fn query(metric: Option<&Node>) -> Option<String> {
    let spec = metric?.get("metricSource")?.get("spec")?;
    for k in ["query", "promql", "expr", "metric", "metricName"] {
        if let Some(q) = text(spec.get(k)) {
            return Some(q);
        }
    }
    Some(spec.to_json().to_string())
}

/// An SLI resource's `spec` as an [`Sli`].
fn sli_of(spec: &Node, metadata: Option<&Node>) -> Sli {
    let mut sli = Sli {
        description: text(spec.get("description"))
            .or_else(|| text(metadata.and_then(|m| m.get("displayName")))),
        ..Sli::default()
    };
    if let Some(r) = spec.get("ratioMetric") {
        sli.good = query(r.get("good"));
        sli.bad = query(r.get("bad"));
        sli.total = query(r.get("total"));
        if sli.good.is_none() && sli.bad.is_none() && sli.total.is_none() {
            sli.ratio = query(r.get("raw"));
        }
    } else if let Some(t) = spec.get("thresholdMetric") {
        sli.ratio = query(Some(t));
    }
    sli
}

fn name_of(doc: &Node) -> Option<String> {
    text(doc.get("metadata")?.get("name"))
}

/// Parses the documents of one file; a syntax error is one problem at its position.
fn documents(text: &str) -> Result<Vec<Node>, Problem> {
    let docs = yaml::parse_all(text)
        .map_err(|e| Problem::error(At::Span(e.span), format!("YAML: {}", e.message)))?;
    Ok(docs)
}

/// The `SLI` resources of a file by name, for `indicatorRef`s in other files.
pub fn slis(text: &str) -> BTreeMap<String, Sli> {
    let mut out = BTreeMap::new();
    for doc in documents(text).unwrap_or_default() {
        if text_key(&doc, "kind").as_deref() == Some("SLI") {
            if let (Some(name), Some(spec)) = (name_of(&doc), doc.get("spec")) {
                out.insert(name, sli_of(spec, doc.get("metadata")));
            }
        }
    }
    out
}

fn text_key(doc: &Node, key: &str) -> Option<String> {
    text(doc.get(key))
}

/// Reads every `SLO` of a file. `known_slis` holds the `SLI` resources of the whole
/// section (see [`slis`]).
pub fn read(text: &str, known_slis: &BTreeMap<String, Sli>) -> (Vec<OpenSlo>, Vec<Problem>) {
    let mut problems = Vec::new();
    let docs = match documents(text) {
        Ok(d) => d,
        Err(p) => return (Vec::new(), vec![p]),
    };
    for (path, first, again) in docs.iter().flat_map(yaml::duplicates) {
        problems.push(Problem::error(
            At::Span(again),
            format!("key `{path}` written twice (first at line {})", first.line),
        ));
    }
    let mut slos = Vec::new();
    for doc in &docs {
        if !matches!(doc.tree, Tree::Map(_)) {
            problems.push(Problem::error(
                At::Span(doc.span),
                "an OpenSLO document is a mapping",
            ));
            continue;
        }
        match text_key(doc, "apiVersion").as_deref() {
            Some(API_VERSION) => {}
            Some(other) => {
                problems.push(
                    Problem::error(
                        At::Span(key_span(doc, "apiVersion", doc.span)),
                        format!("apiVersion `{other}` is not supported"),
                    )
                    .help("srekb reads OpenSLO v1: apiVersion: openslo/v1"),
                );
                continue;
            }
            None => {
                problems.push(
                    Problem::error(At::Span(doc.span), "no `apiVersion`")
                        .help("start each document with apiVersion: openslo/v1"),
                );
                continue;
            }
        }
        match text_key(doc, "kind").as_deref() {
            Some("SLO") => {
                if let Some(s) = slo(doc, known_slis, &mut problems) {
                    slos.push(s);
                }
            }
            // Read in the pre-pass, or not needed for pages.
            Some(
                "SLI"
                | "Service"
                | "AlertPolicy"
                | "AlertCondition"
                | "AlertNotificationTarget"
                | "DataSource",
            ) => {}
            Some(other) => problems.push(Problem::warning(
                At::Span(key_span(doc, "kind", doc.span)),
                format!("OpenSLO kind `{other}` is not read by srekb"),
            )),
            None => problems.push(Problem::error(At::Span(doc.span), "no `kind`")),
        }
    }
    (slos, problems)
}

fn slo(
    doc: &Node,
    known_slis: &BTreeMap<String, Sli>,
    problems: &mut Vec<Problem>,
) -> Option<OpenSlo> {
    let meta = doc.get("metadata");
    let Some(name) = name_of(doc) else {
        problems.push(Problem::error(
            At::Span(key_span(doc, "metadata", doc.span)),
            "SLO without `metadata.name`",
        ));
        return None;
    };
    let here = key_span(doc, "kind", doc.span);
    let Some(spec) = doc.get("spec") else {
        problems.push(Problem::error(
            At::Span(here),
            format!("SLO `{name}` has no `spec`"),
        ));
        return None;
    };
    let spec_at = key_span(doc, "spec", here);
    let service = text(spec.get("service"));
    if service.is_none() {
        problems.push(Problem::error(
            At::Span(spec_at),
            format!("SLO `{name}` has no `spec.service`"),
        ));
    }
    let sli = if let Some(inline) = spec.get("indicator") {
        inline
            .get("spec")
            .map(|s| sli_of(s, inline.get("metadata")))
    } else if let Some(r) = spec.get("indicatorRef") {
        let found = text(Some(r)).and_then(|n| known_slis.get(&n).cloned());
        if found.is_none() {
            problems.push(
                Problem::error(
                    At::Span(key_span(spec, "indicatorRef", spec_at)),
                    format!(
                        "indicatorRef `{}` names no SLI in this section",
                        text(Some(r)).unwrap_or_default()
                    ),
                )
                .help("add a `kind: SLI` document with that metadata.name, or inline `indicator`"),
            );
        }
        found
    } else {
        problems.push(Problem::warning(
            At::Span(spec_at),
            format!("SLO `{name}` has no `indicator` or `indicatorRef`"),
        ));
        None
    };
    let objective = objective(spec, spec_at, problems);
    let window = window(spec, spec_at, problems);
    let mut alerts = Vec::new();
    for p in spec
        .get("alertPolicies")
        .and_then(Node::as_seq)
        .unwrap_or_default()
    {
        let n = text(Some(p))
            .or_else(|| text(p.get("alertPolicyRef")))
            .or_else(|| name_of(p));
        if let Some(n) = n.filter(|n| !alerts.contains(n)) {
            alerts.push(n);
        }
    }
    let labels = meta.and_then(|m| m.get("labels"));
    let mut owners = Vec::new();
    for key in ["owner", "owners", "team"] {
        if let Some(v) = labels.and_then(|l| l.get(key)) {
            match v.as_seq() {
                Some(items) => owners.extend(items.iter().filter_map(|i| text(Some(i)))),
                None => owners.extend(text(Some(v))),
            }
        }
    }
    let policy = meta
        .and_then(|m| m.get("annotations"))
        .and_then(|a| match &a.tree {
            Tree::Map(e) => e
                .iter()
                .find(|(k, _)| k.name.ends_with("error-budget-policy"))
                .and_then(|(_, v)| text(Some(v))),
            _ => None,
        });
    Some(OpenSlo {
        title: text(meta.and_then(|m| m.get("displayName"))).unwrap_or_else(|| name.clone()),
        description: text(spec.get("description")),
        span: doc.span,
        slo: Slo {
            id: name,
            service,
            sli,
            objective,
            window_label: window.map(|w| w.label()),
            window,
            error_budget_policy: policy,
            owners,
            alerts,
        },
    })
}

fn objective(spec: &Node, spec_at: Span, problems: &mut Vec<Problem>) -> Option<f64> {
    let Some(list) = spec
        .get("objectives")
        .and_then(Node::as_seq)
        .filter(|l| !l.is_empty())
    else {
        problems.push(Problem::error(
            At::Span(spec_at),
            "no `objectives` with a target",
        ));
        return None;
    };
    if list.len() > 1 {
        problems.push(Problem::warning(
            At::Span(list[1].span),
            "only the first objective is shown; write one SLO per objective",
        ));
    }
    let o = &list[0];
    let (key, scale) = if o.get("target").is_some() {
        ("target", 100.0)
    } else if o.get("targetPercent").is_some() {
        ("targetPercent", 1.0)
    } else {
        problems.push(Problem::error(
            At::Span(o.span),
            "objective without `target` or `targetPercent`",
        ));
        return None;
    };
    let at = At::Span(key_span(o, key, o.span));
    let Some(n) = o.get(key).and_then(number) else {
        problems.push(Problem::error(at, format!("`{key}` is not a number")));
        return None;
    };
    match super::budget::check_objective(n * scale) {
        Ok(v) => Some(v),
        Err(e) => {
            let help = if scale > 1.0 {
                "target is a ratio in (0, 1): 0.999"
            } else {
                "targetPercent is in (0, 100): 99.9"
            };
            problems.push(Problem::error(at, format!("`{key}`: {e}")).help(help));
            None
        }
    }
}

fn window(spec: &Node, spec_at: Span, problems: &mut Vec<Problem>) -> Option<Window> {
    let Some(tw) = spec
        .get("timeWindow")
        .and_then(Node::as_seq)
        .and_then(|l| l.first())
    else {
        problems.push(Problem::error(At::Span(spec_at), "no `timeWindow`"));
        return None;
    };
    let rolling = match tw.get("isRolling").map(|n| &n.tree) {
        Some(Tree::Bool(b)) => *b,
        _ => tw.get("calendar").is_none(),
    };
    let Some(d) = text(tw.get("duration")) else {
        problems.push(Problem::error(
            At::Span(tw.span),
            "`timeWindow` without `duration`",
        ));
        return None;
    };
    match Window::duration(&d, rolling) {
        Ok(w) => Some(w),
        Err(e) => {
            problems.push(
                Problem::error(At::Span(key_span(tw, "duration", tw.span)), e)
                    .help(super::window::UNITS_HELP),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
apiVersion: openslo/v1
kind: Service
metadata:
  name: search
  displayName: 検索
---
apiVersion: openslo/v1
kind: SLI
metadata:
  name: search-latency-good
spec:
  description: 300ms 以内に返った検索
  ratioMetric:
    counter: true
    good:
      metricSource:
        type: Prometheus
        spec:
          query: sum(rate(search_duration_bucket{le=\"0.3\"}[5m]))
    total:
      metricSource:
        type: Prometheus
        spec:
          query: sum(rate(search_duration_count[5m]))
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: search-latency
  displayName: 検索レイテンシ
  labels:
    team: search
  annotations:
    srekb/error-budget-policy: 予算を使い切ったら再インデックスを止める
spec:
  service: search
  indicatorRef: search-latency-good
  budgetingMethod: Occurrences
  objectives:
    - displayName: 300ms
      target: 0.99
  timeWindow:
    - duration: 1M
      isRolling: false
      calendar:
        startTime: 2024-01-01 00:00:00
        timeZone: Asia/Tokyo
  alertPolicies:
    - SearchLatencyHigh
    - alertPolicyRef: SearchErrorBudgetBurn
";

    #[test]
    fn reads_an_slo_with_an_indicator_ref() {
        let (slos, problems) = read(FILE, &slis(FILE));
        assert!(problems.is_empty(), "{problems:?}");
        let s = &slos[0];
        assert_eq!(s.title, "検索レイテンシ");
        assert_eq!(s.span.line, 26);
        assert_eq!(s.slo.id, "search-latency");
        assert_eq!(s.slo.service.as_deref(), Some("search"));
        assert_eq!(s.slo.objective, Some(99.0));
        assert_eq!(s.slo.window_label.as_deref(), Some("calendar-month"));
        assert_eq!(s.slo.owners, vec!["search"]);
        assert_eq!(
            s.slo.alerts,
            vec!["SearchLatencyHigh", "SearchErrorBudgetBurn"]
        );
        let sli = s.slo.sli.as_ref().unwrap();
        assert_eq!(sli.description.as_deref(), Some("300ms 以内に返った検索"));
        assert!(sli.good.as_deref().unwrap().contains("le=\"0.3\""));
        assert!(sli.total.as_deref().unwrap().contains("_count"));
        assert!(s
            .slo
            .error_budget_policy
            .as_deref()
            .unwrap()
            .contains("再インデックス"));
    }

    #[test]
    fn inline_indicator_and_target_percent() {
        let text = "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: a\nspec:\n  service: s\n  indicator:\n    metadata:\n      name: i\n    spec:\n      thresholdMetric:\n        metricSource:\n          spec:\n            query: up\n  objectives:\n    - targetPercent: 99.5\n  timeWindow:\n    - duration: 28d\n      isRolling: true\n";
        let (slos, problems) = read(text, &BTreeMap::new());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(slos[0].slo.objective, Some(99.5));
        assert_eq!(slos[0].slo.window_label.as_deref(), Some("28d"));
        assert_eq!(
            slos[0].slo.sli.as_ref().unwrap().ratio.as_deref(),
            Some("up")
        );
    }

    #[test]
    fn problems_point_at_the_key() {
        let text = "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: a\nspec:\n  service: s\n  indicatorRef: nope\n  objectives:\n    - target: 99.9\n  timeWindow:\n    - duration: 28x\n---\napiVersion: openslo/v2\nkind: SLO\n";
        let (slos, problems) = read(text, &BTreeMap::new());
        assert_eq!(slos.len(), 1);
        let found: Vec<(usize, usize, &str)> = problems
            .iter()
            .map(|p| match p.at {
                At::Span(s) => (s.line, s.col, p.message.as_str()),
                At::Key(_) => (0, 0, ""),
            })
            .collect();
        assert_eq!(found.len(), 4, "{found:?}");
        assert_eq!((found[0].0, found[0].1), (7, 3));
        assert!(found[0].2.contains("indicatorRef `nope`"));
        assert_eq!((found[1].0, found[1].1), (9, 7));
        assert!(found[1].2.contains("(0, 100)"));
        assert_eq!((found[2].0, found[2].1), (11, 7));
        assert!(found[2].2.contains("unknown window unit"));
        assert_eq!(found[3].0, 13);
        assert!(found[3].2.contains("openslo/v2"));
    }

    #[test]
    fn syntax_error_is_located() {
        let (slos, problems) = read("apiVersion: openslo/v1\nkind: [SLO\n", &BTreeMap::new());
        assert!(slos.is_empty());
        assert_eq!(problems.len(), 1);
        assert!(matches!(problems[0].at, At::Span(s) if s.line >= 2));
    }
}
