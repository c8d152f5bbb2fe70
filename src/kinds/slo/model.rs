//! One SLO, typed: front matter as written ([`Meta`]) resolved once into an [`Slo`]
//! with every problem located at its key, so the same checks serve markdown pages and
//! OpenSLO files.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::budget;
use super::window::Window;
use crate::content::frontmatter::one_or_many;
use crate::diagnostics::Span;

/// What is measured: a description and either good/total event queries or a ratio.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Sli {
    pub description: Option<String>,
    /// Query counting good events.
    pub good: Option<String>,
    /// Query counting bad events (OpenSLO's `bad`), instead of `good`.
    pub bad: Option<String>,
    /// Query counting all events.
    pub total: Option<String>,
    /// A single ratio query (or a description of it).
    pub ratio: Option<String>,
}

/// `sli` may be just a sentence.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum SliMeta {
    Text(String),
    Full(Sli),
}

fn sli_meta<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Sli>, D::Error> {
    Ok(Option::<SliMeta>::deserialize(d)?.map(|m| match m {
        SliMeta::Text(t) => Sli {
            description: Some(t),
            ..Sli::default()
        },
        SliMeta::Full(s) => s,
    }))
}

/// Front matter of a `kind = "slo"` page, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Meta {
    pub service: Option<String>,
    #[serde(deserialize_with = "sli_meta")]
    pub sli: Option<Sli>,
    /// Percent, `99.9` or `"99.9%"`; checked by [`resolve`].
    pub objective: Option<Value>,
    pub window: Option<String>,
    pub error_budget_policy: Option<String>,
    #[serde(deserialize_with = "one_or_many")]
    pub owners: Vec<String>,
    #[serde(deserialize_with = "one_or_many")]
    pub alerts: Vec<String>,
}

/// Where a problem is: a front-matter key (located by the page) or a position.
#[derive(Debug, Clone, PartialEq)]
pub enum At {
    Key(&'static str),
    Span(Span),
}

/// A finding of [`resolve`] or the OpenSLO reader, turned into a diagnostic by the kind.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub error: bool,
    pub at: At,
    pub message: String,
    pub help: Option<&'static str>,
}

impl Problem {
    pub fn error(at: At, message: impl Into<String>) -> Problem {
        Problem {
            error: true,
            at,
            message: message.into(),
            help: None,
        }
    }

    pub fn warning(at: At, message: impl Into<String>) -> Problem {
        Problem {
            error: false,
            ..Problem::error(at, message)
        }
    }

    pub fn help(mut self, help: &'static str) -> Problem {
        self.help = Some(help);
        self
    }
}

/// A service level objective, validated.
#[derive(Debug, Clone, Serialize)]
pub struct Slo {
    /// Stable name: the page's slug or the OpenSLO `metadata.name`; postmortems name it
    /// in `slos = [...]`.
    pub id: String,
    pub service: Option<String>,
    pub sli: Option<Sli>,
    /// Percent in (0, 100); `None` when missing or invalid (already reported).
    #[serde(serialize_with = "super::budget::whole_opt")]
    pub objective: Option<f64>,
    #[serde(skip)]
    pub window: Option<Window>,
    /// The window as written back (`28d`, `calendar-month`).
    pub window_label: Option<String>,
    pub error_budget_policy: Option<String>,
    pub owners: Vec<String>,
    pub alerts: Vec<String>,
}

/// Checks a page's front matter once and builds its [`Slo`].
pub fn resolve(id: &str, meta: Meta) -> (Slo, Vec<Problem>) {
    let mut problems = Vec::new();
    let service = meta
        .service
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    if service.is_none() {
        problems.push(
            Problem::error(
                At::Key("title"),
                "no `service`: which service does this objective cover?",
            )
            .help("add service = \"payments-api\" (the name postmortems use in `services`)"),
        );
    }
    let objective = match meta.objective {
        None => {
            problems.push(
                Problem::error(At::Key("title"), "no `objective`")
                    .help("add objective = 99.9 (percent of good events)"),
            );
            None
        }
        Some(v) => match budget::parse_objective(&v) {
            Ok(n) => Some(n),
            Err(e) => {
                problems.push(Problem::error(At::Key("objective"), e));
                None
            }
        },
    };
    let window = match meta.window.as_deref() {
        None => {
            problems.push(
                Problem::error(At::Key("title"), "no `window`")
                    .help("add window = \"28d\" (rolling) or \"calendar-month\""),
            );
            None
        }
        Some(w) => match Window::parse(w) {
            Ok(w) => Some(w),
            Err(e) => {
                problems.push(Problem::error(At::Key("window"), e).help(super::window::UNITS_HELP));
                None
            }
        },
    };
    // Empty strings (a fresh scaffold) count as not written.
    let clean = |o: Option<String>| o.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let sli = meta
        .sli
        .map(|s| Sli {
            description: clean(s.description),
            good: clean(s.good),
            bad: clean(s.bad),
            total: clean(s.total),
            ratio: clean(s.ratio),
        })
        .filter(|s| *s != Sli::default());
    match &sli {
        None => problems.push(
            Problem::warning(At::Key("title"), "no `sli`: say what is measured")
                .help("add [sli] with description, good and total (event queries) or ratio"),
        ),
        Some(s) if s.total.is_some() && s.good.is_none() && s.bad.is_none() => {
            problems.push(Problem::warning(
                At::Key("sli"),
                "`sli` has `total` but neither `good` nor `bad` events",
            ))
        }
        Some(s) if (s.good.is_some() || s.bad.is_some()) && s.total.is_none() => {
            problems.push(Problem::warning(
                At::Key("sli"),
                "`sli` counts good (or bad) events but has no `total`",
            ))
        }
        _ => {}
    }
    let mut alerts: Vec<String> = Vec::new();
    for a in meta.alerts {
        let a = a.trim().to_string();
        if !a.is_empty() && !alerts.contains(&a) {
            alerts.push(a);
        }
    }
    let slo = Slo {
        id: id.to_string(),
        service,
        sli,
        objective,
        window_label: window.map(|w| w.label()),
        window,
        error_budget_policy: meta.error_budget_policy.filter(|p| !p.trim().is_empty()),
        owners: meta.owners,
        alerts,
    };
    (slo, problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meta(v: Value) -> Meta {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_complete_slo() {
        let (slo, problems) = resolve(
            "checkout-availability",
            meta(json!({
                "service": "payments-api",
                "objective": "99.9%",
                "window": "4w",
                "owners": "payments",
                "alerts": ["CheckoutErrorBudgetBurn", "CheckoutErrorBudgetBurn"],
                "sli": {"description": "成功した決済", "good": "g", "total": "t"},
                "error_budget_policy": "凍結",
            })),
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(slo.objective, Some(99.9));
        assert_eq!(slo.window_label.as_deref(), Some("28d"));
        assert_eq!(slo.owners, vec!["payments"]);
        assert_eq!(slo.alerts, vec!["CheckoutErrorBudgetBurn"]);
    }

    #[test]
    fn problems_are_located_at_their_key() {
        let (_, problems) = resolve(
            "x",
            meta(json!({"service": "a", "objective": 100, "window": "28y!", "sli": "ok"})),
        );
        let at: Vec<_> = problems.iter().map(|p| (&p.at, p.error)).collect();
        assert_eq!(
            at,
            vec![(&At::Key("objective"), true), (&At::Key("window"), true)]
        );
        assert!(problems[0].message.contains("(0, 100)"));
        assert!(problems[1].message.contains("unknown window unit"));
    }

    #[test]
    fn missing_keys() {
        let (slo, problems) = resolve("x", Meta::default());
        assert_eq!(problems.iter().filter(|p| p.error).count(), 3);
        assert_eq!(problems.iter().filter(|p| !p.error).count(), 1);
        assert!(slo.objective.is_none() && slo.window.is_none());
    }

    #[test]
    fn sli_as_a_sentence() {
        let m = meta(json!({"sli": "p99 < 300ms"}));
        assert_eq!(m.sli.unwrap().description.as_deref(), Some("p99 < 300ms"));
    }
}
