//! The check a figure passes before it is embedded in the page.
//!
//! Figures come from our own plotting code, but a figure is pasted into the HTML as is, so a
//! mistake there (an unclosed element, a stray `</svg>`, a comment) would break the rest of the
//! page, and a script or an external link would break the promise of a self-contained report.
//! The check is a small tag walker, not an XML parser: it accepts the subset plotters writes.

use cartera_core::{Error, Result};

/// Words that have no place in an embedded chart, looked for case-insensitively anywhere.
const FORBIDDEN: [(&str, &str); 12] = [
    ("<script", "a script"),
    ("<style", "a style sheet (it would restyle the whole page)"),
    ("<foreignobject", "a foreignObject"),
    ("<iframe", "an iframe"),
    ("<object", "an object"),
    ("<embed", "an embed"),
    ("<!--", "a comment"),
    ("<![cdata[", "a CDATA section"),
    ("<!doctype", "a DOCTYPE"),
    ("<?", "a processing instruction"),
    ("javascript:", "a javascript: URL"),
    ("@import", "an @import"),
];

fn bad(what: &str, svg: &str, reason: impl Into<String>) -> Error {
    let excerpt: String = svg.chars().take(40).collect();
    Error::invalid_param(what, format!("{excerpt:?}…"), reason)
}

/// Returns the part of `svg` to paste into the page (the `<svg>` element, without an XML
/// declaration or surrounding whitespace), or an error naming `what` if it could break the
/// page or load anything from outside it.
pub(crate) fn check<'a>(svg: &'a str, what: &str) -> Result<&'a str> {
    let mut s = svg.trim();
    if s.starts_with("<?xml") {
        let end = s
            .find("?>")
            .ok_or_else(|| bad(what, svg, "the XML declaration is not closed"))?;
        s = s[end + 2..].trim_start();
    }
    if !s.starts_with("<svg") {
        return Err(bad(what, svg, "must be one <svg> element"));
    }
    let lower = s.to_ascii_lowercase();
    for (needle, name) in FORBIDDEN {
        if lower.contains(needle) {
            return Err(bad(what, svg, format!("must not contain {name}")));
        }
    }
    // url(#id) points inside the figure; any other url( would be a fetch.
    let mut rest = lower.as_str();
    while let Some(at) = rest.find("url(") {
        rest = &rest[at + 4..];
        if !rest.trim_start_matches(['\'', '"', ' ']).starts_with('#') {
            return Err(bad(what, svg, "must not reference an external url(...)"));
        }
    }
    walk(s).map_err(|reason| bad(what, svg, reason))?;
    Ok(s)
}

/// Walks the tags of `s`: they must nest, close the root last and end the text, and no
/// attribute may be an event handler or a link leaving the figure.
fn walk(s: &str) -> Result<(), String> {
    let b = s.as_bytes();
    let mut stack: Vec<&str> = Vec::new();
    let mut i = 0;
    let mut root_closed_at = None;
    while let Some(off) = s[i..].find('<') {
        let start = i + off;
        if root_closed_at.is_some() {
            return Err("content after the closing </svg>".into());
        }
        let mut j = start + 1;
        let closing = b.get(j) == Some(&b'/');
        if closing {
            j += 1;
        }
        let name_start = j;
        while j < b.len() && (b[j].is_ascii_alphanumeric() || matches!(b[j], b':' | b'_' | b'-')) {
            j += 1;
        }
        let name = &s[name_start..j];
        if name.is_empty() {
            return Err(format!("a '<' that starts no tag at byte {start}"));
        }
        if closing {
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            if b.get(j) != Some(&b'>') {
                return Err(format!("closing tag </{name} is not closed"));
            }
            match stack.pop() {
                Some(open) if open == name => {}
                Some(open) => return Err(format!("</{name}> closes <{open}>")),
                None => return Err(format!("</{name}> closes nothing")),
            }
            i = j + 1;
            if stack.is_empty() {
                root_closed_at = Some(i);
            }
            continue;
        }
        if stack.is_empty() && start != 0 {
            return Err("more than one root element".into());
        }
        // Attributes, up to '>' or '/>'.
        let self_closing;
        loop {
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            match b.get(j) {
                None => return Err(format!("<{name}> is not closed")),
                Some(b'>') => {
                    self_closing = false;
                    j += 1;
                    break;
                }
                Some(b'/') if b.get(j + 1) == Some(&b'>') => {
                    self_closing = true;
                    j += 2;
                    break;
                }
                Some(_) => {}
            }
            let attr_start = j;
            while j < b.len()
                && !b[j].is_ascii_whitespace()
                && !matches!(b[j], b'=' | b'>' | b'/' | b'"' | b'\'')
            {
                j += 1;
            }
            let attr = s[attr_start..j].to_ascii_lowercase();
            if attr.is_empty() {
                return Err(format!("a malformed attribute in <{name}>"));
            }
            if attr.starts_with("on") {
                return Err(format!("an event handler attribute `{attr}` in <{name}>"));
            }
            if b.get(j) != Some(&b'=') {
                continue; // attribute without a value
            }
            j += 1;
            let quote = match b.get(j) {
                Some(&q @ (b'"' | b'\'')) => q,
                _ => return Err(format!("the value of `{attr}` in <{name}> is not quoted")),
            };
            let value_start = j + 1;
            let len = s[value_start..]
                .bytes()
                .position(|c| c == quote)
                .ok_or_else(|| format!("the value of `{attr}` in <{name}> is not closed"))?;
            let value = &s[value_start..value_start + len];
            if (attr == "href" || attr.ends_with(":href") || attr == "src")
                && !(value.starts_with('#') || value.starts_with("data:"))
            {
                return Err(format!("a link `{attr}` leaving the figure in <{name}>"));
            }
            j = value_start + len + 1;
        }
        if !self_closing {
            stack.push(name);
        } else if stack.is_empty() {
            root_closed_at = Some(j);
        }
        i = j;
    }
    if !stack.is_empty() {
        return Err(format!("<{}> is never closed", stack.join("> <")));
    }
    match root_closed_at {
        Some(end) if s[end..].trim().is_empty() => Ok(()),
        _ => Err("text after the closing </svg>".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    const GOOD: &str = r##"<svg width="10" height="10" viewBox="0 0 10 10" xmlns="http://www.w3.org/2000/svg">
<rect x="0" y="0" width="10" height="10" fill="url(#g)"/>
<text x="1" y="5" font-family="sans-serif">a &lt; b &amp; c</text>
<line x1="0" y1="0" x2="10" y2="10" stroke="#000"/>
</svg>
"##;

    #[test]
    fn plotters_like_svg_passes_and_loses_its_xml_declaration() {
        assert_eq!(check(GOOD, "f").unwrap(), GOOD.trim());
        let with_decl = format!("<?xml version=\"1.0\"?>\n{GOOD}");
        assert_eq!(check(&with_decl, "f").unwrap(), GOOD.trim());
        assert!(check("<svg/>", "f").is_ok());
    }

    #[test]
    fn anything_that_could_break_the_page_is_refused() {
        let cases = [
            ("", "one <svg>"),
            ("<div></div>", "one <svg>"),
            ("<svg><script>alert(1)</script></svg>", "script"),
            ("<svg><STYLE>body{}</STYLE></svg>", "style"),
            ("<svg><!-- </svg>", "comment"),
            ("<svg><g></svg>", "closes <g>"),
            ("<svg><g>", "never closed"),
            ("<svg></svg><p>x</p>", "after the closing"),
            ("<svg></svg>tail", "text after"),
            ("<svg></g></svg>", "closes <svg>"),
            ("<svg onload=\"x()\"></svg>", "event handler"),
            ("<svg><image href=\"http://x/y.png\"/></svg>", "link"),
            ("<svg><use xlink:href='https://x#a'/></svg>", "link"),
            ("<svg><rect fill=\"url(http://x)\"/></svg>", "url("),
            ("<svg><rect width=10/></svg>", "not quoted"),
            ("<svg><rect width=\"10/></svg>", "not closed"),
            ("<svg>1 < 2</svg>", "starts no tag"),
            ("<svg", "not closed"),
        ];
        for (svg, expected) in cases {
            let err = check(svg, "figures[3].svg").expect_err(svg).to_string();
            assert!(err.contains(expected), "{svg:?}: {err}");
            assert!(err.contains("figures[3].svg"), "{err}");
        }
    }
}
