//! Line and column of byte offsets in one file, from an index of line starts built
//! once, so that locating every link of a page is linear instead of rescanning the
//! text from its start for each one.

use std::sync::Mutex;

use crate::diagnostics::Span;

pub struct LineIndex {
    /// Byte offset where each line starts (the first is 0).
    starts: Vec<usize>,
    /// The last offset located and its column: offsets usually come in order, so
    /// columns on a very long line are counted onward from there, not from its start.
    last: Mutex<(usize, usize)>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr_newlines(text.as_bytes()).map(|i| i + 1));
        LineIndex {
            starts,
            last: Mutex::new((0, 1)),
        }
    }

    /// The 1-based line and column (in characters) of `offset` in `text`, the text
    /// the index was built from. Same result as [`Span::from_offset`].
    pub fn span(&self, text: &str, offset: usize) -> Span {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let (from, col) = if last.0 >= start && last.0 <= offset {
            *last
        } else {
            (start, 1)
        };
        let col = col + text[from..offset].chars().count();
        *last = (offset, col);
        Span {
            line: line + 1,
            col,
        }
    }
}

fn memchr_newlines(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_a_rescan_in_any_order() {
        let text = "行1\r\nab 日本語 c\n\n末尾 x";
        let idx = LineIndex::new(text);
        let mut offsets: Vec<usize> = (0..=text.len() + 2).collect();
        offsets.extend((0..=text.len()).rev());
        for o in offsets {
            assert_eq!(idx.span(text, o), Span::from_offset(text, o), "offset {o}");
        }
    }
}
