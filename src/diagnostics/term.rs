//! What reaches a terminal: the colour decision (`--color`, `NO_COLOR`,
//! `CLICOLOR_FORCE`) and escaping of control characters that come from content.

use std::borrow::Cow;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::sync::OnceLock;

/// `--color`: whether terminal output is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when the stream is a terminal, unless `NO_COLOR` is set (or forced by `CLICOLOR_FORCE`).
    #[default]
    Auto,
    /// Always colour, whatever the stream and the environment say.
    Always,
    /// Never colour.
    Never,
}

static CHOICE: OnceLock<ColorChoice> = OnceLock::new();

/// Records the command line's `--color` once, before any output.
pub fn set_color_choice(choice: ColorChoice) {
    let _ = CHOICE.set(choice);
}

pub fn stderr_color() -> bool {
    color_for(std::io::stderr().is_terminal())
}

pub fn stdout_color() -> bool {
    color_for(std::io::stdout().is_terminal())
}

fn color_for(is_tty: bool) -> bool {
    decide(
        CHOICE.get().copied().unwrap_or_default(),
        is_tty,
        std::env::var_os("NO_COLOR"),
        std::env::var_os("CLICOLOR_FORCE"),
        std::env::var_os("CLICOLOR"),
    )
}

/// The conventions of no-color.org and bixense.com/clicolors: an explicit `--color`
/// wins; a non-empty `NO_COLOR` disables colour (an empty one does not, as the
/// convention says); `CLICOLOR_FORCE` other than "0" forces it; `CLICOLOR=0`
/// disables it on a terminal.
fn decide(
    choice: ColorChoice,
    is_tty: bool,
    no_color: Option<OsString>,
    clicolor_force: Option<OsString>,
    clicolor: Option<OsString>,
) -> bool {
    let set = |v: &Option<OsString>| v.as_ref().is_some_and(|v| !v.is_empty());
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if set(&no_color) => false,
        ColorChoice::Auto
            if set(&clicolor_force) && clicolor_force.as_deref() != Some("0".as_ref()) =>
        {
            true
        }
        ColorChoice::Auto => is_tty && clicolor.as_deref() != Some("0".as_ref()),
    }
}

/// Characters a terminal would act on instead of showing: C0 and C1 controls (ESC
/// starts colour, OSC titles and clipboard writes; U+009B is a one-byte CSI), DEL,
/// and the bidirectional overrides that reorder what is shown ("trojan source").
fn is_unsafe(c: char, keep_newlines: bool) -> bool {
    match c {
        '\t' => false,
        '\n' => !keep_newlines,
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => true,
        c => c.is_control(),
    }
}

/// `s` with every control character shown as an escape (`\x1b`, `\u{9b}`), so text
/// from content can never drive the terminal. Newlines are kept when `keep_newlines`.
pub fn escape(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    if !s.chars().any(|c| is_unsafe(c, keep_newlines)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !is_unsafe(c, keep_newlines) {
            out.push(c);
        } else if (c as u32) < 0x80 {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(s: &str) -> Option<OsString> {
        Some(s.into())
    }

    #[test]
    fn colour_follows_flag_then_environment_then_terminal() {
        use ColorChoice::*;
        assert!(decide(Always, false, os("1"), None, None));
        assert!(!decide(Never, true, None, os("1"), None));
        assert!(!decide(Auto, true, os("1"), None, None));
        // An empty NO_COLOR does not disable colour.
        assert!(decide(Auto, true, os(""), None, None));
        assert!(decide(Auto, false, os(""), os("1"), None));
        assert!(!decide(Auto, false, None, os("0"), None));
        assert!(!decide(Auto, false, None, os(""), None));
        assert!(!decide(Auto, true, None, None, os("0")));
        assert!(decide(Auto, true, None, None, None));
        assert!(!decide(Auto, false, None, None, None));
    }

    #[test]
    fn control_characters_are_shown_escaped() {
        assert_eq!(escape("plain 日本語\tx", false), "plain 日本語\tx");
        assert_eq!(
            escape("a\x1b]0;pwned\x07b\u{9b}2J\u{202e}", false),
            "a\\x1b]0;pwned\\x07b\\u{9b}2J\\u{202e}"
        );
        assert_eq!(escape("a\nb\rc", true), "a\nb\\x0dc");
        assert_eq!(escape("a\nb\x7f", false), "a\\x0ab\\x7f");
    }
}
