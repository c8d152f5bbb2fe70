//! The structure of a markdown body without rendering it: sections by heading, and in
//! each section its plain text, tables and list items, all with byte offsets so kind
//! checks can point at the exact line.

use std::ops::Range;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

#[derive(Debug, Clone, Default)]
pub struct Cell {
    pub text: String,
    pub offset: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Table {
    pub header: Vec<Cell>,
    pub rows: Vec<Vec<Cell>>,
    /// Byte range of the whole table in the body.
    pub range: Range<usize>,
}

#[derive(Debug, Clone, Default)]
pub struct Item {
    /// `Some(done)` for task-list items.
    pub task: Option<bool>,
    pub text: String,
    pub offset: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Section {
    pub level: u8,
    pub title: String,
    /// Offset of the heading line.
    pub offset: usize,
    /// Plain text of the content up to the next heading of any level (comments excluded).
    pub text: String,
    pub tables: Vec<Table>,
    pub items: Vec<Item>,
    /// Byte range of the content (after the heading, up to the next heading).
    pub content: Range<usize>,
}

/// Sections of `body` in order; text before the first heading forms a section with
/// level 0 and an empty title.
pub fn outline(body: &str) -> Vec<Section> {
    let opts = Options::ENABLE_TABLES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_HEADING_ATTRIBUTES;
    let mut sections = vec![Section::default()];
    let mut in_heading = false;
    let mut table: Option<Table> = None;
    let mut row: Option<Vec<Cell>> = None;
    let mut cell: Option<Cell> = None;
    let mut in_header = false;
    // Items can nest; the innermost open item collects text.
    let mut items: Vec<Item> = Vec::new();
    let mut in_code = false;

    for (event, range) in Parser::new_ext(body, opts).into_offset_iter() {
        let cur = sections.last_mut().expect("never empty");
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                cur.content.end = range.start;
                sections.push(Section {
                    level: level as u8,
                    offset: range.start,
                    content: range.end..body.len(),
                    ..Section::default()
                });
                in_heading = true;
            }
            Event::End(TagEnd::Heading(_)) => {
                in_heading = false;
                cur.title = cur.title.trim().to_string();
            }
            Event::Start(Tag::Table(_)) => {
                table = Some(Table {
                    range: range.clone(),
                    ..Table::default()
                });
            }
            Event::End(TagEnd::Table) => {
                if let Some(t) = table.take() {
                    cur.tables.push(t);
                }
            }
            Event::Start(Tag::TableHead) => {
                in_header = true;
                row = Some(Vec::new());
            }
            Event::End(TagEnd::TableHead) => {
                in_header = false;
                if let (Some(t), Some(r)) = (table.as_mut(), row.take()) {
                    t.header = r;
                }
            }
            Event::Start(Tag::TableRow) => row = Some(Vec::new()),
            Event::End(TagEnd::TableRow) => {
                if let (Some(t), Some(r)) = (table.as_mut(), row.take()) {
                    if !in_header {
                        t.rows.push(r);
                    }
                }
            }
            Event::Start(Tag::TableCell) => {
                cell = Some(Cell {
                    text: String::new(),
                    offset: range.start,
                });
            }
            Event::End(TagEnd::TableCell) => {
                if let (Some(r), Some(mut c)) = (row.as_mut(), cell.take()) {
                    c.text = c.text.trim().to_string();
                    r.push(c);
                }
            }
            Event::Start(Tag::Item) => items.push(Item {
                offset: range.start,
                ..Item::default()
            }),
            Event::End(TagEnd::Item) => {
                if let Some(mut it) = items.pop() {
                    it.text = it.text.trim().to_string();
                    cur.items.push(it);
                }
            }
            Event::TaskListMarker(done) => {
                if let Some(it) = items.last_mut() {
                    it.task = Some(done);
                }
            }
            Event::Start(Tag::CodeBlock(_)) => in_code = true,
            Event::End(TagEnd::CodeBlock) => in_code = false,
            Event::Text(t) | Event::Code(t) => {
                if in_heading {
                    cur.title.push_str(&t);
                } else {
                    if let Some(c) = cell.as_mut() {
                        c.text.push_str(&t);
                    } else if let Some(it) = items.last_mut() {
                        it.text.push_str(&t);
                    }
                    if !in_code || !t.trim().is_empty() {
                        cur.text.push_str(&t);
                    }
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(it) = items.last_mut() {
                    it.text.push(' ');
                }
                cur.text.push(' ');
            }
            Event::End(TagEnd::Paragraph) => cur.text.push('\n'),
            _ => {}
        }
    }
    sections
}

impl Section {
    /// True when the section has no content besides white space and HTML comments.
    pub fn is_empty(&self) -> bool {
        self.text.trim().is_empty() && self.tables.iter().all(|t| t.rows.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_tables_and_tasks() {
        let body = "intro\n\n## サマリ\n\n本文です。\n\n## アクションアイテム\n\n| アクション | 担当 |\n|---|---|\n| 監視を追加 | @a |\n\n- [ ] 手順を直す @b #12\n- [x] 済み\n\n## 空\n\n<!-- hint -->\n\n### 下位\n";
        let s = outline(body);
        assert_eq!(s[0].title, "");
        assert_eq!(s[1].title, "サマリ");
        assert_eq!(s[1].level, 2);
        assert!(s[1].text.contains("本文です"));
        let ai = &s[2];
        assert_eq!(ai.tables[0].header[0].text, "アクション");
        assert_eq!(ai.tables[0].rows[0][1].text, "@a");
        assert_eq!(ai.items.len(), 2);
        assert_eq!(ai.items[0].task, Some(false));
        assert_eq!(ai.items[0].text, "手順を直す @b #12");
        assert_eq!(ai.items[1].task, Some(true));
        assert!(s[3].is_empty(), "a comment-only section is empty");
        assert_eq!(s[4].level, 3);
        let off = ai.tables[0].rows[0][0].offset;
        let line_start = body[..off].rfind('\n').map_or(0, |i| i + 1);
        assert!(body[line_start..].starts_with("| 監視を追加"));
    }
}
