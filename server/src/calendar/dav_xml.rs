//! WebDAV multistatus responses read into a small namespace-aware tree. quick-xml never expands
//! entities beyond the five predefined ones, so hostile DTDs cannot blow up memory.
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

pub const DAV: &str = "DAV:";
pub const CALDAV: &str = "urn:ietf:params:xml:ns:caldav";
pub const CALSERVER: &str = "http://calendarserver.org/ns/";
pub const APPLE: &str = "http://apple.com/ns/ical/";

/// Deeper nesting than any DAV response needs is refused rather than followed.
const MAX_DEPTH: usize = 64;
/// DAV elements carry a few attributes; more is an attack on the parser.
const MAX_ATTRIBUTES: usize = 64;
/// A multistatus of 20 MB holds far fewer elements than this.
const MAX_ELEMENTS: usize = 2_000_000;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Node {
    pub ns: String,
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Node>,
    pub text: String,
}

impl Node {
    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.ns == ns && self.name == name
    }

    pub fn child(&self, ns: &str, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.is(ns, name))
    }

    pub fn children_named<'a>(
        &'a self,
        ns: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.is(ns, name))
    }

    /// First descendant (depth-first) with this name.
    pub fn find(&self, ns: &str, name: &str) -> Option<&Node> {
        self.children.iter().find_map(|c| {
            if c.is(ns, name) {
                Some(c)
            } else {
                c.find(ns, name)
            }
        })
    }

    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn trimmed_text(&self) -> Option<String> {
        let t = self.text.trim();
        (!t.is_empty()).then(|| t.to_string())
    }
}

pub fn parse(text: &str) -> Result<Node, String> {
    let mut reader = NsReader::from_str(text);
    let mut stack: Vec<Node> = vec![Node::default()];
    let mut elements = 0usize;
    loop {
        let (ns, event) = reader
            .read_resolved_event()
            .map_err(|e| format!("malformed XML: {e}"))?;
        match event {
            Event::Start(start) | Event::Empty(start) if stack.len() > MAX_DEPTH => {
                let _ = start;
                return Err("XML nested too deeply".into());
            }
            Event::Start(_) | Event::Empty(_) if elements == MAX_ELEMENTS => {
                return Err("XML with too many elements".into());
            }
            Event::Start(start) => {
                elements += 1;
                stack.push(element(ns, &start)?)
            }
            Event::Empty(start) => {
                elements += 1;
                let node = element(ns, &start)?;
                stack.last_mut().expect("root").children.push(node);
            }
            Event::End(_) => {
                let node = stack.pop().expect("balanced");
                stack
                    .last_mut()
                    .ok_or("unbalanced XML")?
                    .children
                    .push(node);
            }
            Event::Text(t) => {
                let text = t
                    .unescape()
                    .map_err(|e| format!("malformed XML text: {e}"))?;
                stack.last_mut().expect("root").text.push_str(&text);
            }
            Event::CData(c) => {
                let text =
                    std::str::from_utf8(c.as_ref()).map_err(|_| "XML is not UTF-8".to_string())?;
                stack.last_mut().expect("root").text.push_str(text);
            }
            Event::DocType(_) => return Err("XML document types are not accepted".into()),
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 {
        return Err("XML ended early".into());
    }
    let root = stack.pop().expect("root");
    root.children
        .into_iter()
        .next()
        .ok_or_else(|| "empty XML document".to_string())
}

fn element(ns: ResolveResult, start: &quick_xml::events::BytesStart) -> Result<Node, String> {
    let ns = match ns {
        ResolveResult::Bound(n) => String::from_utf8_lossy(n.as_ref()).into_owned(),
        _ => String::new(),
    };
    let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
    let mut attributes = Vec::new();
    // quick-xml's duplicate check is quadratic in the attribute count; DAV elements carry a
    // handful, so refuse many instead of checking them.
    for attr in start.attributes().with_checks(false).flatten() {
        if attributes.len() == MAX_ATTRIBUTES {
            return Err("XML element with too many attributes".into());
        }
        let key = String::from_utf8_lossy(attr.key.local_name().as_ref()).into_owned();
        let value = attr
            .unescape_value()
            .map_err(|e| format!("malformed XML attribute: {e}"))?
            .into_owned();
        attributes.push((key, value));
    }
    Ok(Node {
        ns,
        name,
        attributes,
        ..Default::default()
    })
}

/// One `<response>` of a multistatus: its href, the response-level status (used for deletions in
/// sync-collection), and the properties that came back with 200.
#[derive(Debug, Clone, PartialEq)]
pub struct DavResponse {
    pub href: String,
    pub status: Option<u16>,
    pub props: Vec<Node>,
}

impl DavResponse {
    pub fn prop(&self, ns: &str, name: &str) -> Option<&Node> {
        self.props.iter().find(|p| p.is(ns, name))
    }

    pub fn prop_text(&self, ns: &str, name: &str) -> Option<String> {
        self.prop(ns, name).and_then(Node::trimmed_text)
    }
}

pub struct Multistatus {
    pub responses: Vec<DavResponse>,
    pub sync_token: Option<String>,
}

pub fn multistatus(text: &str) -> Result<Multistatus, String> {
    let root = parse(text)?;
    if !root.is(DAV, "multistatus") {
        return Err(format!("expected a DAV multistatus, got <{}>", root.name));
    }
    let responses = root
        .children_named(DAV, "response")
        .filter_map(|r| {
            let href = r.child(DAV, "href")?.trimmed_text()?;
            let status = r.child(DAV, "status").and_then(|s| status_code(&s.text));
            let props = r
                .children_named(DAV, "propstat")
                .filter(|ps| {
                    ps.child(DAV, "status")
                        .and_then(|s| status_code(&s.text))
                        .is_none_or(|c| (200..300).contains(&c))
                })
                .filter_map(|ps| ps.child(DAV, "prop"))
                .flat_map(|p| p.children.iter().cloned())
                .collect();
            Some(DavResponse {
                href,
                status,
                props,
            })
        })
        .collect();
    let sync_token = root.child(DAV, "sync-token").and_then(Node::trimmed_text);
    Ok(Multistatus {
        responses,
        sync_token,
    })
}

/// "HTTP/1.1 404 Not Found" → 404.
pub fn status_code(line: &str) -> Option<u16> {
    line.split_whitespace().nth(1)?.parse().ok()
}

pub fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

/// Property tests: generated and mutated multistatus documents.
#[cfg(test)]
#[path = "dav_xml_fuzz.rs"]
mod fuzz;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_attributes_are_refused_without_checking_each_pair() {
        let attributes: String = (0..80_000).map(|i| format!(" a{i}=\"x\"")).collect();
        let text =
            format!("<d:multistatus xmlns:d=\"DAV:\"><d:response{attributes}/></d:multistatus>");
        assert_eq!(
            parse(&text).unwrap_err(),
            "XML element with too many attributes"
        );
        let few: String = (0..10).map(|i| format!(" a{i}=\"x\"")).collect();
        let text = format!("<d:multistatus xmlns:d=\"DAV:\"><d:response{few}/></d:multistatus>");
        assert_eq!(parse(&text).unwrap().children[0].attributes.len(), 10);
    }

    #[test]
    fn reads_namespaced_multistatus_with_prefixes_and_cdata() {
        let xml = r#"<?xml version="1.0"?>
<D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:response>
    <D:href>/cal/a%20b.ics</D:href>
    <D:propstat><D:prop><D:getetag>"1"</D:getetag><C:calendar-data><![CDATA[BEGIN:VCALENDAR
END:VCALENDAR]]></C:calendar-data></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>
    <D:propstat><D:prop><D:displayname/></D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>
  </D:response>
  <D:response><D:href>/cal/gone.ics</D:href><D:status>HTTP/1.1 404 Not Found</D:status></D:response>
  <D:sync-token>http://x/sync/7</D:sync-token>
</D:multistatus>"#;
        let ms = multistatus(xml).unwrap();
        assert_eq!(ms.sync_token.as_deref(), Some("http://x/sync/7"));
        assert_eq!(ms.responses.len(), 2);
        let first = &ms.responses[0];
        assert_eq!(first.href, "/cal/a%20b.ics");
        assert_eq!(first.prop_text(DAV, "getetag").as_deref(), Some("\"1\""));
        assert!(first
            .prop_text(CALDAV, "calendar-data")
            .unwrap()
            .starts_with("BEGIN:VCALENDAR"));
        assert!(
            first.prop(DAV, "displayname").is_none(),
            "404 propstats are dropped"
        );
        assert_eq!(ms.responses[1].status, Some(404));
    }

    #[test]
    fn default_namespaces_and_escapes_are_resolved() {
        let xml = r#"<multistatus xmlns="DAV:"><response><href>/a&amp;b</href><propstat><prop><displayname>Work &lt;3</displayname></prop></propstat></response></multistatus>"#;
        let ms = multistatus(xml).unwrap();
        assert_eq!(ms.responses[0].href, "/a&b");
        assert_eq!(
            ms.responses[0].prop_text(DAV, "displayname").as_deref(),
            Some("Work <3")
        );
    }

    #[test]
    fn entity_declarations_and_garbage_are_refused() {
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><multistatus xmlns="DAV:">&lol2;</multistatus>"#;
        assert!(multistatus(bomb).is_err());
        assert!(multistatus("<html><body>Login</body></html>").is_err());
        assert!(multistatus("not xml <<<").is_err());
    }
}
