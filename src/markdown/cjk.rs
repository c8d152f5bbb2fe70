//! CJK-friendly emphasis: `*` delimiter runs that CommonMark leaves literal because
//! full-width punctuation sits on one side and a CJK character on the other
//! (`**Site Reliability Engineer（SRE）**です`) are paired on the event stream.
//!
//! The rule follows the idea of the CommonMark community's CJK-friendly amendment:
//! in the flanking tests, a CJK character next to the run counts like whitespace or
//! punctuation on the *outer* side. Inline containers (paragraph, heading, cell,
//! link text…) where some `*` run flanks differently under the amendment have their
//! `*` emphasis undone and paired again with CommonMark's delimiter algorithm using
//! the amended flanking; every other container is left exactly as the parser made
//! it, so text without that situation renders as before. `_` keeps CommonMark's
//! rule (it joins identifiers).

use std::collections::HashMap;
use std::ops::Range;

use pulldown_cmark::{CowStr, Event, Tag, TagEnd};

/// A CJK character for the flanking amendment: East Asian wide or full-width
/// (ideographs, kana, full-width punctuation and forms), not Hangul (Korean separates
/// words with spaces, so CommonMark's rule already fits it).
fn is_cjk(c: char) -> bool {
    let hangul =
        matches!(c, '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}' | '\u{AC00}'..='\u{D7AF}');
    !hangul && unicode_width::UnicodeWidthChar::width(c) == Some(2)
}

/// Unicode punctuation as CommonMark uses it (general categories P and S): ASCII
/// punctuation, and outside ASCII whatever is neither alphanumeric, space nor control.
fn is_punct(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_punctuation();
    }
    !c.is_alphanumeric() && !c.is_whitespace() && !c.is_control()
}

/// Flanking of one delimiter run given the characters around it (`None` = line edge):
/// (left-flanking, right-flanking) under CommonMark and under the amendment.
fn flanking(before: Option<char>, after: Option<char>) -> [(bool, bool); 2] {
    let ws = |c: Option<char>| c.is_none_or(char::is_whitespace);
    let pn = |c: Option<char>| c.is_some_and(is_punct);
    let cjk = |c: Option<char>| c.is_some_and(is_cjk);
    let left_std = !ws(after) && (!pn(after) || ws(before) || pn(before));
    let right_std = !ws(before) && (!pn(before) || ws(after) || pn(after));
    let left_cjk = !ws(after) && (!pn(after) || ws(before) || pn(before) || cjk(before));
    let right_cjk = !ws(before) && (!pn(before) || ws(after) || pn(after) || cjk(after));
    [(left_std, right_std), (left_cjk, right_cjk)]
}

/// One `*` of the source inside an inline container: its offset, the event holding
/// it (a text event, or a `*` emphasis tag the parser made) and its byte there (for
/// a tag, the star's index among the tag's stars).
#[derive(Clone, Copy)]
struct Star {
    at: usize,
    event: usize,
    byte: usize,
}

/// A delimiter run: contiguous stars of one container.
struct Run {
    stars: Vec<Star>,
    open: bool,
    close: bool,
    /// Stars still unpaired, and how many pairs took from each side.
    rem: usize,
    taken_left: usize,
    taken_right: usize,
}

/// Containers whose text is inline markdown.
fn is_inline_parent(tag: &Tag<'_>) -> bool {
    matches!(
        tag,
        Tag::Paragraph
            | Tag::Heading { .. }
            | Tag::TableCell
            | Tag::Item
            | Tag::Emphasis
            | Tag::Strong
            | Tag::Strikethrough
            | Tag::Link { .. }
    )
}

/// Number of `*` a parser-made emphasis tag stands for, when it was made of `*`.
fn star_tag(source: &str, ev: &Event<'_>, range: &Range<usize>) -> Option<usize> {
    let n = match ev {
        Event::Start(Tag::Strong) | Event::End(TagEnd::Strong) => 2,
        Event::Start(Tag::Emphasis) | Event::End(TagEnd::Emphasis) => 1,
        _ => return None,
    };
    let s = source.get(range.clone())?;
    (s.len() >= 2 * n && s.starts_with(&"**"[..n]) && s.ends_with(&"**"[..n])).then_some(n)
}

/// Whether the source character at `at` is backslash-escaped.
fn escaped(source: &str, at: usize) -> bool {
    source[..at]
        .bytes()
        .rev()
        .take_while(|&b| b == b'\\')
        .count()
        % 2
        == 1
}

/// What becomes of one star: dropped, or replaced by a tag.
type Outcome = Option<Event<'static>>;

/// Re-pairs `*` emphasis in the inline containers where the CJK amendment changes a
/// flanking decision; returns the events (text split around new tags), each with a
/// source range.
pub fn emphasis<'a>(
    source: &'a str,
    events: impl Iterator<Item = (Event<'a>, Range<usize>)>,
) -> Vec<(Event<'a>, Range<usize>)> {
    let events: Vec<(Event<'a>, Range<usize>)> = events.collect();
    if !source.contains('*') {
        return events;
    }
    // Stars per container instance; `*` emphasis tags are transparent (their stars
    // and content belong to the enclosing container).
    let mut stars: HashMap<usize, Vec<Star>> = HashMap::new();
    let mut owner: Vec<usize> = vec![0; events.len()];
    // (container id, inline?, transparent?)
    let mut stack: Vec<(usize, bool, bool)> = vec![(0, false, false)];
    let mut next_id = 1;
    for (i, (ev, range)) in events.iter().enumerate() {
        let &(id, inline, _) = stack.last().unwrap_or(&(0, false, false));
        owner[i] = id;
        let tag_stars = if inline {
            star_tag(source, ev, range)
        } else {
            None
        };
        match ev {
            Event::Start(tag) => {
                if let Some(n) = tag_stars {
                    stack.push((id, true, true));
                    let list = stars.entry(id).or_default();
                    list.extend((0..n).map(|k| Star {
                        at: range.start + k,
                        event: i,
                        byte: k,
                    }));
                } else {
                    stack.push((next_id, is_inline_parent(tag), false));
                    next_id += 1;
                }
            }
            Event::End(_) => {
                if let Some((_, _, true)) = stack.pop() {
                    // The closing tag belongs to the container around it.
                    let id = stack.last().map_or(0, |s| s.0);
                    owner[i] = id;
                    let n = tag_stars.unwrap_or(0);
                    let list = stars.entry(id).or_default();
                    list.extend((0..n).map(|k| Star {
                        at: range.end - n + k,
                        event: i,
                        byte: k,
                    }));
                }
            }
            Event::Text(t) if inline && source.get(range.clone()) == Some(t.as_ref()) => {
                // Only text that is verbatim source (no escapes or entities) can hold
                // a delimiter run.
                let list = stars.entry(id).or_default();
                for (b, _) in t.match_indices('*') {
                    let at = range.start + b;
                    if !escaped(source, at) {
                        list.push(Star {
                            at,
                            event: i,
                            byte: b,
                        });
                    }
                }
            }
            _ => {}
        }
    }
    let mut outcome: HashMap<(usize, usize), Outcome> = HashMap::new();
    let mut redo: Vec<bool> = vec![false; next_id];
    for (&id, list) in stars.iter_mut() {
        list.sort_by_key(|s| s.at);
        if let Some(mut runs) = runs_if_amended(source, list) {
            redo[id] = true;
            pair(&mut runs, &mut outcome);
        }
    }
    if !redo.iter().any(|&r| r) {
        return events;
    }
    let mut out = Vec::with_capacity(events.len() + outcome.len());
    for (i, (ev, range)) in events.into_iter().enumerate() {
        if !redo[owner[i]] {
            out.push((ev, range));
            continue;
        }
        if let Some(n) = star_tag(source, &ev, &range) {
            // A parser-made tag of a redone container: each star is now a new tag,
            // nothing, or a literal `*`.
            let first = if matches!(ev, Event::Start(_)) {
                range.start
            } else {
                range.end - n
            };
            for k in 0..n {
                let r = first + k..first + k + 1;
                match outcome.remove(&(i, k)) {
                    Some(Some(tag)) => out.push((tag, r)),
                    Some(None) => {}
                    None => out.push((Event::Text(CowStr::Borrowed("*")), r)),
                }
            }
            continue;
        }
        let Event::Text(text) = &ev else {
            out.push((ev, range));
            continue;
        };
        let mut cuts: Vec<(usize, Outcome)> = text
            .match_indices('*')
            .filter_map(|(b, _)| outcome.remove(&(i, b)).map(|o| (b, o)))
            .collect();
        if cuts.is_empty() {
            out.push((ev, range));
            continue;
        }
        cuts.sort_by_key(|c| c.0);
        let mut at = 0;
        for (b, tag) in cuts {
            if b > at {
                out.push((
                    Event::Text(CowStr::from(text[at..b].to_string())),
                    range.start + at..range.start + b,
                ));
            }
            if let Some(tag) = tag {
                out.push((tag, range.start + b..range.start + b + 1));
            }
            at = b + 1;
        }
        if at < text.len() {
            out.push((
                Event::Text(CowStr::from(text[at..].to_string())),
                range.start + at..range.end,
            ));
        }
    }
    out
}

/// Groups a container's stars into runs of contiguous source stars, with amended
/// flanking; `None` when no run flanks differently under the amendment (the
/// container then stays as the parser made it).
fn runs_if_amended(source: &str, stars: &[Star]) -> Option<Vec<Run>> {
    let mut runs = Vec::new();
    let mut amended = false;
    let mut i = 0;
    while i < stars.len() {
        let mut j = i + 1;
        while j < stars.len() && stars[j].at == stars[j - 1].at + 1 {
            j += 1;
        }
        let (s, e) = (stars[i].at, stars[j - 1].at + 1);
        let before = source[..s].chars().next_back();
        let after = source[e..].chars().next();
        let [std, cjk] = flanking(before, after);
        amended |= std != cjk;
        runs.push(Run {
            stars: stars[i..j].to_vec(),
            open: cjk.0,
            close: cjk.1,
            rem: j - i,
            taken_left: 0,
            taken_right: 0,
        });
        i = j;
    }
    amended.then_some(runs)
}

/// CommonMark's delimiter-stack pairing of one container's runs (process emphasis,
/// `*` only): records what each consumed star becomes.
fn pair(runs: &mut [Run], outcome: &mut HashMap<(usize, usize), Outcome>) {
    for c in 0..runs.len() {
        if !runs[c].close {
            continue;
        }
        let mut o = c;
        while o > 0 && runs[c].rem > 0 {
            o -= 1;
            if !runs[o].open || runs[o].rem == 0 {
                continue;
            }
            let (opener, closer) = (&runs[o], &runs[c]);
            // The "multiple of 3" rule for runs that can both open and close.
            let both = (opener.open && opener.close) || (closer.open && closer.close);
            let (lo, lc) = (opener.stars.len(), closer.stars.len());
            if both && (lo + lc) % 3 == 0 && (lo % 3 != 0 || lc % 3 != 0) {
                continue;
            }
            let n = if opener.rem >= 2 && closer.rem >= 2 {
                2
            } else {
                1
            };
            let (start_tag, end_tag) = if n == 2 {
                (Tag::Strong, TagEnd::Strong)
            } else {
                (Tag::Emphasis, TagEnd::Emphasis)
            };
            // A pair takes the innermost stars: the opener's last, the closer's first.
            let ol = opener.stars.len() - opener.taken_right;
            for (k, s) in opener.stars[ol - n..ol].iter().enumerate() {
                let tag = (k == 0).then(|| Event::Start(start_tag.clone()));
                outcome.insert((s.event, s.byte), tag);
            }
            let cf = closer.taken_left;
            for (k, s) in closer.stars[cf..cf + n].iter().enumerate() {
                let tag = (k == 0).then_some(Event::End(end_tag));
                outcome.insert((s.event, s.byte), tag);
            }
            runs[o].rem -= n;
            runs[o].taken_right += n;
            runs[c].rem -= n;
            runs[c].taken_left += n;
            // Runs between the pair can no longer pair across it.
            for r in &mut runs[o + 1..c] {
                r.open = false;
                r.close = false;
            }
            if runs[o].rem > 0 {
                o += 1; // the same opener again
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use pulldown_cmark::{html, Options, Parser};

    fn render(md: &str) -> String {
        let events = super::emphasis(
            md,
            Parser::new_ext(md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH)
                .into_offset_iter(),
        );
        let mut s = String::new();
        html::push_html(&mut s, events.into_iter().map(|(e, _)| e));
        s
    }

    fn plain(md: &str) -> String {
        let mut s = String::new();
        html::push_html(
            &mut s,
            Parser::new_ext(md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH),
        );
        s
    }

    #[test]
    fn strong_before_kana_after_full_width_parenthesis() {
        assert_eq!(
            render("**Site Reliability Engineer（SRE）**です"),
            "<p><strong>Site Reliability Engineer（SRE）</strong>です</p>\n"
        );
    }

    #[test]
    fn opener_after_kana_before_corner_bracket() {
        assert_eq!(
            render("これは**「重要」**です。"),
            "<p>これは<strong>「重要」</strong>です。</p>\n"
        );
        assert_eq!(
            render("これは*「強調」*です"),
            "<p>これは<em>「強調」</em>です</p>\n"
        );
    }

    #[test]
    fn several_pairs_and_nesting_in_links_and_cells() {
        assert_eq!(
            render("**（A）**と**（B）**です"),
            "<p><strong>（A）</strong>と<strong>（B）</strong>です</p>\n"
        );
        assert_eq!(
            render("[**（x）**です](y)"),
            "<p><a href=\"y\"><strong>（x）</strong>です</a></p>\n"
        );
        let table = render("|a|\n|-|\n|**「表」**の中|\n");
        assert!(
            table.contains("<td><strong>「表」</strong>の中</td>"),
            "{table}"
        );
        assert_eq!(
            render("- 項目は**「箇条」**です"),
            "<ul>\n<li>項目は<strong>「箇条」</strong>です</li>\n</ul>\n"
        );
    }

    #[test]
    fn nothing_changes_without_cjk() {
        for md in [
            "**\"foo\"**bar",
            "a**\"foo\"**",
            "**foo** and *bar*",
            "2 * 3 * 4",
            "***strong emph***",
            "**unclosed (x)**y",
            "snake_case_name and __init__",
        ] {
            assert_eq!(render(md), plain(md), "{md}");
        }
    }

    #[test]
    fn escapes_code_and_code_blocks_stay_literal() {
        assert_eq!(
            render("\\*\\*（SRE）\\*\\*です"),
            "<p>**（SRE）**です</p>\n"
        );
        assert_eq!(
            render("`**（SRE）**です`"),
            "<p><code>**（SRE）**です</code></p>\n"
        );
        let block = "```\n**（SRE）**です\n```\n";
        assert_eq!(render(block), plain(block));
    }

    #[test]
    fn whitespace_inside_still_blocks_the_run() {
        // A run followed by a space opens nothing, CJK or not.
        assert_eq!(
            render("これは** 「x」**です"),
            plain("これは** 「x」**です")
        );
    }

    #[test]
    fn parser_pairs_are_redone_where_the_amendment_applies() {
        // CommonMark pairs the middle runs (`**と**`); the amendment pairs outer ones.
        assert_eq!(
            render("**太字**と**（B）**です"),
            "<p><strong>太字</strong>と<strong>（B）</strong>です</p>\n"
        );
        assert_eq!(
            render("***（強）***です"),
            "<p><em><strong>（強）</strong></em>です</p>\n"
        );
        assert_eq!(
            render("*斜体*と**「太字」**の*混在*"),
            "<p><em>斜体</em>と<strong>「太字」</strong>の<em>混在</em></p>\n"
        );
    }

    #[test]
    fn already_matched_emphasis_is_kept() {
        let md = "**太字**と*斜体*";
        assert_eq!(render(md), plain(md));
        assert_eq!(render(md), "<p><strong>太字</strong>と<em>斜体</em></p>\n");
    }
}
