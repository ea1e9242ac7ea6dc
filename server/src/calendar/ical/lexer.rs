//! Content lines (RFC 5545 §3.1): unfolding, `NAME;PARAM=V:value` splitting, TEXT unescaping,
//! and the BEGIN/END component tree. Deliberately tolerant: lines it cannot split are skipped,
//! and unterminated components still count, because real exports are sometimes truncated.
//!
//! Why not the `icalendar` crate's parser: over the 284 real-world files of
//! `server/tests/data/ics` it accepts 268 and this lexer all 284; it accepts nothing this lexer
//! rejects, and where both accept they find the same VEVENTs in every file. The 16 it rejects
//! (several VCALENDARs, a byte-order mark, whitespace around names, a line without a colon, a
//! mismatched END, truncated or fuzzed files) are what real feeds send, so a fallback chain would
//! only add a code path that never changes a result.
//! `tests::corpus::icalendar_crate_versus_our_lexer` re-measures this.
use std::collections::HashMap;

use super::error::IcalError;

#[derive(Debug, Clone)]
pub(crate) struct Prop {
    pub name: String,
    pub params: HashMap<String, String>,
    pub value: String,
}

impl Prop {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

/// Deepest component nesting read (VCALENDAR > VEVENT > VALARM is 3); hostile input could
/// otherwise nest without end.
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, Default)]
pub(crate) struct Component {
    pub name: String,
    pub props: Vec<Prop>,
    pub children: Vec<Component>,
}

/// Dropped iteratively: the default recursive drop of a deep tree could overflow the stack.
impl Drop for Component {
    fn drop(&mut self) {
        let mut pending = std::mem::take(&mut self.children);
        while let Some(mut c) = pending.pop() {
            pending.append(&mut c.children);
        }
    }
}

impl Component {
    fn named(name: String) -> Self {
        Component {
            name,
            props: Vec::new(),
            children: Vec::new(),
        }
    }
    pub fn get(&self, name: &str) -> Option<&Prop> {
        self.props.iter().find(|p| p.name == name)
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Prop> + 'a {
        self.props.iter().filter(move |p| p.name == name)
    }

    pub fn text(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(|p| unescape(&p.value))
            .filter(|s| !s.trim().is_empty())
    }
}

pub(crate) fn unfold(text: &str) -> String {
    // A UTF-8 byte-order mark would otherwise glue itself to the first property name.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(text.len());
    for line in text.split('\n') {
        match line.strip_prefix([' ', '\t']) {
            // A continuation joins the last content line, even across blank lines (seen in
            // old Mozilla exports).
            Some(rest) => out.push_str(rest),
            None if line.trim().is_empty() => {}
            None => {
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(line);
            }
        }
    }
    out
}

pub(crate) fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Splits `NAME;P=V;Q="x:y":value` at the first colon outside quotes.
pub(crate) fn parse_line(line: &str) -> Option<Prop> {
    let mut in_quotes = false;
    let split = line.char_indices().find(|&(_, c)| {
        if c == '"' {
            in_quotes = !in_quotes;
        }
        c == ':' && !in_quotes
    })?;
    let (head, value) = (&line[..split.0], &line[split.0 + 1..]);
    let mut parts = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in head.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => {
                parts.push(&head[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&head[start..]);
    let name = parts.first()?.trim().to_ascii_uppercase();
    if name.is_empty() {
        return None;
    }
    let params = parts[1..]
        .iter()
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| {
            (
                k.trim().to_ascii_uppercase(),
                v.trim().trim_matches('"').to_string(),
            )
        })
        .collect();
    Some(Prop {
        name,
        params,
        value: value.to_string(),
    })
}

/// The calendar of `text` as a component tree. Several VCALENDARs in one object are read as
/// one, and bare VEVENTs (no VCALENDAR around them) as a calendar of their own.
pub(crate) fn parse_components(text: &str) -> Result<Component, IcalError> {
    let mut root = parse_tree(text)?;
    let mut calendar = Component::named("VCALENDAR".into());
    let mut found = false;
    for mut c in std::mem::take(&mut root.children) {
        if c.name == "VCALENDAR" {
            found = true;
            calendar.props.append(&mut c.props);
            calendar.children.append(&mut c.children);
        } else {
            calendar.children.push(c);
        }
    }
    match found || calendar.children.iter().any(|c| c.name == "VEVENT") {
        true => Ok(calendar),
        false => Err(IcalError::NotCalendar),
    }
}

/// Every top-level component of `text`, under a synthetic ROOT.
pub(crate) fn parse_tree(text: &str) -> Result<Component, IcalError> {
    let mut stack: Vec<Component> = vec![Component::named("ROOT".into())];
    for line in unfold(text).lines().filter(|l| !l.trim().is_empty()) {
        let Some(prop) = parse_line(line) else {
            continue;
        };
        match prop.name.as_str() {
            "BEGIN" if stack.len() > MAX_DEPTH => return Err(IcalError::TooDeep(MAX_DEPTH)),
            "BEGIN" => stack.push(Component::named(prop.value.trim().to_ascii_uppercase())),
            "END" if stack.len() > 1 => {
                let done = stack.pop().expect("stack has a component");
                stack.last_mut().expect("root").children.push(done);
            }
            _ => stack.last_mut().expect("root").props.push(prop),
        }
    }
    // Unterminated components still count: real exports are sometimes truncated.
    while stack.len() > 1 {
        let done = stack.pop().expect("stack has a component");
        stack.last_mut().expect("root").children.push(done);
    }
    Ok(stack.pop().expect("root"))
}
