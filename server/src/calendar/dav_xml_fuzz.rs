//! Property tests (proptest) of the WebDAV XML reader: a generated multistatus reads back as
//! generated (prefixes, default namespaces, escapes and CDATA included), and mutated or random
//! documents give `Ok` or an error message, never a panic or a long stall. Case counts keep each
//! property within a few seconds in a debug build; `PROPTEST_CASES` raises them.
use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::*;
use crate::calendar::proptest_config::config;

#[derive(Debug, Clone)]
struct Response {
    href: String,
    /// A response-level status (a deletion in sync-collection) instead of properties.
    gone: bool,
    etag: String,
    data: String,
    /// calendar-data as CDATA rather than escaped text.
    cdata: bool,
    /// A 404 propstat that must be dropped.
    missing: bool,
}

#[derive(Debug, Clone)]
struct Document {
    /// `Some("D")` for `D:` prefixes, `None` for a default namespace.
    prefix: Option<&'static str>,
    responses: Vec<Response>,
    sync_token: Option<String>,
}

/// Text with the characters XML cares about (escaped when written), kept free of the ones it
/// cannot carry at all and of surrounding whitespace (which the reader trims).
fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 <>&\"'/%.:;=é€-]{1,30}".prop_map(|t| {
        let t = t.trim().to_string();
        if t.is_empty() {
            "x".into()
        } else {
            t
        }
    })
}

fn response() -> impl Strategy<Value = Response> {
    (
        text(),
        any::<bool>(),
        text(),
        text(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(href, gone, etag, data, cdata, missing)| Response {
            href,
            gone,
            etag,
            // CDATA cannot contain its own terminator.
            data: data.replace("]]>", ""),
            cdata,
            missing,
        })
}

fn document() -> impl Strategy<Value = Document> {
    (
        prop::sample::select(vec![Some("D"), Some("dav"), None]),
        prop::collection::vec(response(), 0..6),
        prop::option::of(text()),
    )
        .prop_map(|(prefix, responses, sync_token)| Document {
            prefix,
            responses,
            sync_token,
        })
}

fn render(doc: &Document) -> String {
    let d = |name: &str| match doc.prefix {
        Some(p) => format!("{p}:{name}"),
        None => name.to_string(),
    };
    let xmlns = match doc.prefix {
        Some(p) => format!("xmlns:{p}=\"DAV:\""),
        None => "xmlns=\"DAV:\"".to_string(),
    };
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<{} {xmlns} xmlns:C=\"{CALDAV}\">",
        d("multistatus")
    );
    for r in &doc.responses {
        out.push_str(&format!("<{}>", d("response")));
        out.push_str(&format!("<{h}>{}</{h}>", escape(&r.href), h = d("href")));
        if r.gone {
            out.push_str(&format!(
                "<{s}>HTTP/1.1 404 Not Found</{s}>",
                s = d("status")
            ));
        } else {
            let data = if r.cdata {
                format!("<![CDATA[{}]]>", r.data)
            } else {
                escape(&r.data)
            };
            out.push_str(&format!(
                "<{ps}><{p}><{e}>{}</{e}><C:calendar-data>{data}</C:calendar-data></{p}><{s}>HTTP/1.1 200 OK</{s}></{ps}>",
                escape(&r.etag),
                ps = d("propstat"),
                p = d("prop"),
                e = d("getetag"),
                s = d("status"),
            ));
            if r.missing {
                out.push_str(&format!(
                    "<{ps}><{p}><{n}/></{p}><{s}>HTTP/1.1 404 Not Found</{s}></{ps}>",
                    ps = d("propstat"),
                    p = d("prop"),
                    n = d("displayname"),
                    s = d("status"),
                ));
            }
        }
        out.push_str(&format!("</{}>", d("response")));
    }
    if let Some(token) = &doc.sync_token {
        out.push_str(&format!(
            "<{t}>{}</{t}>",
            escape(token),
            t = d("sync-token")
        ));
    }
    out.push_str(&format!("</{}>", d("multistatus")));
    out
}

/// Parses, checking it returns soon; the outcome itself may be anything but a panic.
fn read(text: &str) -> Result<Multistatus, String> {
    let started = Instant::now();
    let result = multistatus(text);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{} bytes took {:?}",
        text.len(),
        started.elapsed()
    );
    result
}

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Duplicate(usize, usize),
    Insert(usize, String),
    Truncate(usize),
}

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "<",
            ">",
            "</",
            "/>",
            "&",
            "&amp;",
            "&#0;",
            "&#x110000;",
            "&unknown;",
            "&#65;",
            "<![CDATA[",
            "]]>",
            "<!--",
            "-->",
            "<?xml version=\"1.0\"?>",
            "<!DOCTYPE x [<!ENTITY a \"b\">]>",
            "xmlns:D=\"other\"",
            "xmlns=\"\"",
            "<D:response>",
            "</D:response>",
            "<D:prop>",
            "</D:propstat>",
            "<C:calendar-data>",
            "\"",
            "'",
            "=",
            "\u{0}",
            "\u{feff}",
            "é",
        ])
        .prop_map(str::to_string),
        "[ -~]{0,12}",
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    let at = any::<usize>();
    prop_oneof![
        1 => (at, 0usize..40).prop_map(|(a, n)| Edit::Delete(a, n)),
        1 => (at, 0usize..40).prop_map(|(a, n)| Edit::Duplicate(a, n)),
        3 => (at, token()).prop_map(|(a, t)| Edit::Insert(a, t)),
        1 => at.prop_map(Edit::Truncate),
    ]
}

fn boundary(text: &str, at: usize) -> usize {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(mut text: String, edits: &[Edit]) -> String {
    for e in edits {
        match e {
            Edit::Delete(at, n) => {
                let start = boundary(&text, *at);
                let end = boundary(&text, start + n).max(start);
                text.replace_range(start..end, "");
            }
            Edit::Duplicate(at, n) => {
                let start = boundary(&text, *at);
                let end = boundary(&text, start + n).max(start);
                let copy = text[start..end].to_string();
                text.insert_str(end, &copy);
            }
            Edit::Insert(at, token) => {
                let at = boundary(&text, *at);
                text.insert_str(at, token);
            }
            Edit::Truncate(at) => {
                let at = boundary(&text, *at);
                text.truncate(at);
            }
        }
    }
    text
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn a_generated_multistatus_reads_back_as_written(doc in document()) {
        let ms = read(&render(&doc)).expect("a valid document");
        prop_assert_eq!(ms.sync_token, doc.sync_token.clone());
        prop_assert_eq!(ms.responses.len(), doc.responses.len());
        for (got, want) in ms.responses.iter().zip(&doc.responses) {
            prop_assert_eq!(&got.href, &want.href);
            if want.gone {
                prop_assert_eq!(got.status, Some(404));
                prop_assert!(got.props.is_empty());
            } else {
                prop_assert_eq!(got.prop_text(DAV, "getetag"), Some(want.etag.clone()));
                prop_assert_eq!(got.prop_text(CALDAV, "calendar-data"), Some(want.data.clone()));
                prop_assert!(got.prop(DAV, "displayname").is_none(), "404 propstats are dropped");
            }
        }
    }

    #[test]
    fn mutated_multistatus_documents_never_panic(
        doc in document(),
        edits in prop::collection::vec(edit(), 1..10),
    ) {
        let text = apply(render(&doc), &edits);
        let _ = read(&text);
    }

    #[test]
    fn random_text_never_panics(text in "\\PC{0,400}", bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = read(&text);
        let _ = read(&String::from_utf8_lossy(&bytes));
        let _ = read(&format!("<multistatus xmlns=\"DAV:\">{text}</multistatus>"));
    }
}
