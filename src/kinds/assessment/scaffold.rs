//! `srekb new assessment`: a team's levels, carried over from its last assessment.

use anyhow::{bail, Context as _, Result};

use crate::config::Language;
use crate::kinds::scaffold::{create_new, plain_segment, section_dir, today, toml_str, ScaffoldCx};

pub(crate) fn assessment(cx: &ScaffoldCx<'_>, team: &str, date: Option<String>) -> Result<i32> {
    plain_segment("--team", team)?;
    let config = cx.config;
    let root = cx.root;
    let dir = section_dir(config, crate::kinds::assessment::KIND, "maturity");
    let model_path = root.join("content").join(&dir).join("model.toml");
    let text = std::fs::read_to_string(&model_path)
        .with_context(|| format!("reading the maturity model {}", model_path.display()))?;
    let model = match crate::kinds::assessment::model::Model::parse(&text, &model_path) {
        Ok(m) => m,
        Err(ds) => {
            (cx.report)(&ds);
            bail!("the maturity model has errors");
        }
    };
    if !model.teams.is_empty() && model.team(team).is_none() {
        let ids: Vec<&str> = model.teams.iter().map(|t| t.id.as_str()).collect();
        bail!(
            "unknown team `{team}`; teams in model.toml: {}",
            ids.join(", ")
        );
    }
    let date = match date {
        Some(d) => chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
            .with_context(|| format!("`{d}` is not YYYY-MM-DD"))?,
        None => today(config),
    };
    let team_dir = root.join("content").join(&dir).join(team);
    // The latest earlier assessment's levels, to start from.
    let mut previous: Option<(String, toml::Table)> = None;
    if let Ok(entries) = std::fs::read_dir(&team_dir) {
        let mut names: Vec<String> = entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| {
                n.ends_with(".md") && n.len() == 13 && n.as_str() < format!("{date}.md").as_str()
            })
            .collect();
        names.sort();
        if let Some(last) = names.last() {
            let text = std::fs::read_to_string(team_dir.join(last)).unwrap_or_default();
            if let Ok(split) = crate::content::frontmatter::split(&text) {
                if let Ok(t) = split.raw.parse::<toml::Table>() {
                    previous = Some((last.trim_end_matches(".md").to_string(), t));
                }
            }
        }
    }
    let prev_levels = previous
        .as_ref()
        .and_then(|(_, t)| t.get("levels"))
        .and_then(|v| v.as_table());
    let ja = config.language == Language::Ja;
    let mut out = format!(
        "+++\nteam = {}\ndate = {date}\nassessors = []\n\n[levels]\n",
        toml_str(team)
    );
    if let Some((d, _)) = &previous {
        out.push_str(&format!(
            "# {} {d}\n",
            if ja {
                "前回の評価から引き継いだレベル:"
            } else {
                "levels carried over from"
            }
        ));
    }
    for area in model.assessed() {
        out.push_str(&format!("# {} ({})\n", area.name, area.id));
        for (i, c) in area.levels.iter().enumerate() {
            out.push_str(&format!("#   {}: {c}\n", i + 1));
        }
        let level = prev_levels
            .and_then(|t| t.get(&area.id))
            .and_then(|v| v.as_integer())
            .unwrap_or(1);
        out.push_str(&format!("{} = {level}\n", area.id));
    }
    out.push_str(&format!(
        "\n# {}\n# {}\n[delegation]\n\n# {}\n[evidence]\n+++\n\n{}\n",
        if ja {
            "いまの委譲レベル（任意）:"
        } else {
            "current delegation level (optional):"
        },
        model.delegation.join(" / "),
        if ja {
            "レベルの根拠（任意）: 領域 = \"ダッシュボードやドキュメントへのリンク\""
        } else {
            "evidence (optional): area = \"link to a dashboard or document\""
        },
        if ja { "評価のメモ。" } else { "Notes." }
    ));
    let file = team_dir.join(format!("{date}.md"));
    create_new(&file, &out)?;
    println!("Created {}", file.display());
    Ok(0)
}
