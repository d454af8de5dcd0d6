//! Reading XML from a package: decoding the bytes, checking that the document is
//! well-formed (as the namespace-aware parsers of importers would), and handing its
//! elements to a visitor.
//!
//! Built on quick-xml, which reads without recursion and never expands entities
//! declared in a DTD, so a deep or "billion laughs" document costs no more than its
//! size; callers cap the size ([`crate::Limits::max_xml_bytes`]).

use std::borrow::Cow;
use std::fmt;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

/// The namespace the `xml:` prefix is bound to by definition (Namespaces in XML §3).
const XML_NAMESPACE: &str = "http://www.w3.org/XML/1998/namespace";

/// Why a document does not parse, with the line it happens on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct XmlError {
    /// 1-based line of the problem.
    pub line: usize,
    /// What is wrong, a lower-case fragment.
    pub message: String,
}

/// How the messages of an undeclared namespace prefix begin ([`XmlError::is_namespace_only`]).
const UNDECLARED_PREFIX: &str = "the namespace prefix `";

impl XmlError {
    /// Whether the document is well-formed XML whose only fault is a namespace prefix
    /// it never declares: namespace-aware parsers (Java's, .NET's) refuse it, libxml2
    /// (PHP's DOM) reports it and reads on, so importers differ.
    pub(crate) fn is_namespace_only(&self) -> bool {
        self.message.starts_with(UNDECLARED_PREFIX)
    }
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

fn line_of(bytes: &[u8], position: usize) -> usize {
    1 + bytes[..position.min(bytes.len())].iter().filter(|b| **b == b'\n').count()
}

/// Decodes a document to text: UTF-8 (the default, strict), UTF-16 behind its
/// byte-order mark, and any other declared encoding read byte for byte as Latin-1,
/// which keeps the ASCII markup intact. `prefix` says the bytes are the start of a
/// longer document, so a character cut at the end is dropped rather than an error.
pub(crate) fn decode(bytes: &[u8], prefix: bool) -> Result<Cow<'_, str>, XmlError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return decode_utf8(rest, prefix);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return decode_utf16(rest, u16::from_be_bytes, prefix);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return decode_utf16(rest, u16::from_le_bytes, prefix);
    }
    match declared_encoding(bytes).as_deref() {
        None | Some("utf-8" | "utf8") => decode_utf8(bytes, prefix),
        Some(encoding) if encoding.starts_with("utf-16") || encoding.starts_with("ucs") => Err(XmlError {
            line: 1,
            message: format!("encoding `{encoding}` declared but there is no byte-order mark"),
        }),
        Some(_) => Ok(Cow::Owned(bytes.iter().map(|b| char::from(*b)).collect())),
    }
}

/// The `encoding` of an XML declaration, lower-cased.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = bytes.get(..bytes.len().min(256))?;
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = head.windows(2).position(|w| w == b"?>")?;
    let declaration = String::from_utf8_lossy(&head[..end]);
    let after = declaration.split_once("encoding")?.1.trim_start().strip_prefix('=')?.trim_start();
    let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = after[1..].split(quote).next()?;
    Some(value.trim().to_ascii_lowercase())
}

fn decode_utf8(bytes: &[u8], prefix: bool) -> Result<Cow<'_, str>, XmlError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(Cow::Borrowed(text)),
        Err(error) if prefix && error.error_len().is_none() => {
            // Cut inside the last character: keep what precedes it.
            Ok(Cow::Borrowed(std::str::from_utf8(&bytes[..error.valid_up_to()]).unwrap_or_default()))
        }
        Err(error) => {
            let at = error.valid_up_to();
            let byte = bytes.get(at).copied().unwrap_or_default();
            Err(XmlError {
                line: line_of(bytes, at),
                message: format!("not valid UTF-8 (byte 0x{byte:02X}): save the file as UTF-8 or declare its encoding"),
            })
        }
    }
}

fn decode_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16, prefix: bool) -> Result<Cow<'static, str>, XmlError> {
    let even = bytes.len() - bytes.len() % 2;
    if even != bytes.len() && !prefix {
        return Err(XmlError { line: 1, message: "UTF-16 text with an odd number of bytes".to_owned() });
    }
    let units = bytes[..even].chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
    let mut text = String::with_capacity(even / 2);
    for decoded in char::decode_utf16(units) {
        match decoded {
            Ok(c) => text.push(c),
            Err(_) if prefix => break,
            Err(_) => return Err(XmlError { line: 1, message: "invalid UTF-16 (an unpaired surrogate)".to_owned() }),
        }
    }
    Ok(Cow::Owned(text))
}

/// An element or attribute name with its namespace resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Name {
    /// The local part, e.g. `manifest`.
    pub local: String,
    /// The namespace URI, if the name is bound to one.
    pub namespace: Option<String>,
}

/// One attribute of an element, value unescaped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Attribute {
    /// The name as written, e.g. `adlcp:scormType` or `xmlns:adlcp`.
    pub qname: String,
    /// The resolved name (`xmlns` declarations resolve to no namespace).
    pub name: Name,
    /// The value, with character and predefined entity references replaced.
    pub value: String,
}

/// What the walk hands to its visitor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Node {
    /// An element opens; `depth` is 1 for the root.
    Open { depth: usize, name: Name, attributes: Vec<Attribute> },
    /// Character data inside the element at `depth`.
    Text { depth: usize, text: String },
    /// The element at `depth` closes.
    Close { depth: usize },
}

/// Whether the visitor wants more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    Stop,
}

/// Reads `text` and hands every element to `visit`, checking well-formedness as it
/// goes: matching end tags, one root element, no text outside it, declared namespace
/// prefixes, well-formed attributes and comments. Stops without error when the visitor
/// says so (a sniff for the root element reads no further than the root).
pub(crate) fn walk(text: &str, mut visit: impl FnMut(Node) -> Flow) -> Result<(), XmlError> {
    let mut reader = NsReader::from_str(text);
    reader.config_mut().check_comments = true;
    let bytes = text.as_bytes();
    let error_at = |position: u64, message: String| XmlError { line: line_of(bytes, clamp(position)), message };

    let mut depth = 0usize;
    let mut root_seen = false;
    loop {
        let position = reader.buffer_position();
        let (resolved, event) = match reader.read_resolved_event() {
            Ok((resolved, event)) => (owned_namespace(&resolved), event),
            Err(error) => return Err(error_at(reader.error_position(), error.to_string())),
        };
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                if depth == 0 && root_seen {
                    let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
                    return Err(error_at(position, format!("a second root element <{name}>")));
                }
                root_seen = true;
                let name = element_name(start, resolved).map_err(|message| error_at(position, message))?;
                let attributes = attributes(&reader, start).map_err(|message| error_at(position, message))?;
                let empty = matches!(event, Event::Empty(_));
                depth += 1;
                if visit(Node::Open { depth, name, attributes }) == Flow::Stop {
                    return Ok(());
                }
                if empty {
                    if visit(Node::Close { depth }) == Flow::Stop {
                        return Ok(());
                    }
                    depth -= 1;
                }
            }
            Event::End(_) => {
                if visit(Node::Close { depth }) == Flow::Stop {
                    return Ok(());
                }
                depth = depth.saturating_sub(1);
            }
            Event::Text(text) => {
                let text = text.decode().map_err(|error| error_at(position, error.to_string()))?;
                if depth == 0 {
                    if !text.trim().is_empty() {
                        return Err(error_at(position, "text outside the root element".to_owned()));
                    }
                } else if visit(Node::Text { depth, text: text.into_owned() }) == Flow::Stop {
                    return Ok(());
                }
            }
            Event::CData(data) => {
                if depth == 0 {
                    return Err(error_at(position, "a CDATA section outside the root element".to_owned()));
                }
                let text = String::from_utf8_lossy(&data).into_owned();
                if visit(Node::Text { depth, text }) == Flow::Stop {
                    return Ok(());
                }
            }
            Event::GeneralRef(reference) => {
                if depth == 0 {
                    return Err(error_at(position, "an entity reference outside the root element".to_owned()));
                }
                let name = reference.decode().map_err(|error| error_at(position, error.to_string()))?;
                let text = match reference.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => quick_xml::escape::resolve_predefined_entity(&name)
                        .map_or_else(|| format!("&{name};"), str::to_owned),
                    Err(error) => return Err(error_at(position, error.to_string())),
                };
                if visit(Node::Text { depth, text }) == Flow::Stop {
                    return Ok(());
                }
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
            Event::Eof => {
                if depth > 0 {
                    return Err(error_at(position, "the document ends before its elements are closed".to_owned()));
                }
                if !root_seen {
                    return Err(error_at(position, "no root element".to_owned()));
                }
                return Ok(());
            }
        }
    }
}

/// The local name and namespace of the first element, reading no further.
pub(crate) fn root_element(text: &str) -> Result<Name, XmlError> {
    let mut root = None;
    walk(text, |node| {
        if let Node::Open { name, .. } = node {
            root = Some(name);
        }
        Flow::Stop
    })?;
    root.ok_or(XmlError { line: 1, message: "no root element".to_owned() })
}

fn clamp(position: u64) -> usize {
    usize::try_from(position).unwrap_or(usize::MAX)
}

/// `Ok(Some(uri))` bound, `Ok(None)` unbound, `Err(prefix)` for an undeclared prefix.
fn owned_namespace(resolved: &ResolveResult<'_>) -> Result<Option<String>, String> {
    match resolved {
        ResolveResult::Bound(namespace) => Ok(Some(String::from_utf8_lossy(namespace.as_ref()).into_owned())),
        ResolveResult::Unbound => Ok(None),
        ResolveResult::Unknown(prefix) => Err(String::from_utf8_lossy(prefix).into_owned()),
    }
}

fn element_name(start: &BytesStart<'_>, resolved: Result<Option<String>, String>) -> Result<Name, String> {
    let local = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
    match resolved {
        Ok(namespace) => Ok(Name { local, namespace }),
        Err(prefix) => {
            let qname = String::from_utf8_lossy(start.name().as_ref()).into_owned();
            Err(format!("{UNDECLARED_PREFIX}{prefix}` of <{qname}> is not declared"))
        }
    }
}

fn attributes(reader: &NsReader<&[u8]>, start: &BytesStart<'_>) -> Result<Vec<Attribute>, String> {
    let mut out = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|error| error.to_string())?;
        let qname = String::from_utf8_lossy(attribute.key.as_ref()).into_owned();
        let value = match attribute.unescape_value() {
            Ok(value) => value.into_owned(),
            // An entity declared in a DTD: keep the text as written rather than fail.
            Err(_) => String::from_utf8_lossy(&attribute.value).into_owned(),
        };
        let name = if qname == "xmlns" || qname.starts_with("xmlns:") {
            Name { local: qname.clone(), namespace: None }
        } else if let Some(local) = qname.strip_prefix("xml:") {
            Name { local: local.to_owned(), namespace: Some(XML_NAMESPACE.to_owned()) }
        } else {
            let (resolved, local) = reader.resolve_attribute(attribute.key);
            let local = String::from_utf8_lossy(local.as_ref()).into_owned();
            match owned_namespace(&resolved) {
                Ok(namespace) => Name { local, namespace },
                Err(prefix) => {
                    return Err(format!("{UNDECLARED_PREFIX}{prefix}` of attribute `{qname}` is not declared"));
                }
            }
        };
        out.push(Attribute { qname, name, value });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        walk(text, |_| Flow::Continue).expect_err("ill-formed").to_string()
    }

    #[test]
    fn ill_formed_documents_are_errors_with_their_line() {
        let cases = [
            ("<a>\n<b>\n</a>", "line 3: "),
            ("<a/><b/>", "a second root element <b>"),
            ("<a/>text", "text outside the root element"),
            ("<a>\n<b>", "line 2: the document ends before its elements are closed"),
            ("", "no root element"),
            ("<!-- only -->", "no root element"),
            ("<p:a/>", "the namespace prefix `p` of <p:a> is not declared"),
            ("<a p:x='1'/>", "the namespace prefix `p` of attribute `p:x` is not declared"),
            ("<a x='1' x='2'/>", "line 1: "),
            ("<a><!-- a -- b --></a>", "line 1: "),
        ];
        for (text, expected) in cases {
            let message = error(text);
            assert!(message.contains(expected), "{text:?}: {message}");
        }
    }

    #[test]
    fn the_walk_resolves_namespaces_and_unescapes_text() {
        let text = r#"<?xml version="1.0"?>
<m:manifest xmlns:m="urn:m" xmlns="urn:d" xml:base="x/"><schemaversion>2004 &amp; &#52;th</schemaversion></m:manifest>"#;
        let mut nodes = Vec::new();
        walk(text, |node| {
            nodes.push(node);
            Flow::Continue
        })
        .expect("well-formed");
        let Node::Open { depth: 1, name, attributes } = &nodes[0] else { panic!("{nodes:?}") };
        assert_eq!(name, &Name { local: "manifest".into(), namespace: Some("urn:m".into()) });
        assert_eq!(attributes[2].name.namespace.as_deref(), Some(XML_NAMESPACE));
        let Node::Open { depth: 2, name, .. } = &nodes[1] else { panic!("{nodes:?}") };
        assert_eq!(name.namespace.as_deref(), Some("urn:d"));
        let text: String = nodes
            .iter()
            .filter_map(|node| match node {
                Node::Text { depth: 2, text } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(text, "2004 & 4th");
        assert_eq!(nodes.last(), Some(&Node::Close { depth: 1 }));
    }

    #[test]
    fn root_sniffing_stops_at_the_root_even_in_a_cut_document() {
        let root = root_element("<?xml version='1.0'?>\n<!-- x -->\n<questestinterop><assessment").expect("root");
        assert_eq!(root.local, "questestinterop");
        assert!(root_element("<a").is_err());
    }

    #[test]
    fn decoding_follows_the_bom_and_the_declared_encoding() {
        assert_eq!(decode(b"\xEF\xBB\xBF<a/>", false).expect("utf-8"), "<a/>");
        assert_eq!(decode(b"\xFF\xFE<\x00a\x00/\x00>\x00", false).expect("utf-16le"), "<a/>");
        assert_eq!(decode(b"\xFE\xFF\x00<\x00a\x00/\x00>", false).expect("utf-16be"), "<a/>");
        let latin = b"<?xml version='1.0' encoding='ISO-8859-1'?><a>caf\xE9</a>";
        assert_eq!(decode(latin, false).expect("latin-1"), "<?xml version='1.0' encoding='ISO-8859-1'?><a>café</a>");
        let wrong = decode(b"<a>\ncaf\xE9</a>", false).expect_err("not utf-8");
        assert_eq!(wrong.line, 2);
        assert!(wrong.message.contains("0xE9"), "{wrong}");
        assert_eq!(decode(b"<a>caf\xC3", true).expect("cut character dropped"), "<a>caf");
        assert!(decode(b"<?xml version='1.0' encoding='UTF-16'?><a/>", false).is_err());
    }
}
