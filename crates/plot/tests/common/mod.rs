//! A minimal SVG checker (no XML dependency): the document is one `<svg>` element, every tag
//! is closed in order, attribute quotes are balanced, and text holds no raw `<` or `&`
//! outside an entity. Plus counters for the marks the tests look for.
#![allow(dead_code, clippy::unwrap_used)]

/// Panics with a description unless `svg` is a well-formed SVG document.
pub fn assert_well_formed(svg: &str) {
    assert!(
        svg.starts_with("<svg "),
        "must start with <svg: {}",
        &svg[..40.min(svg.len())]
    );
    assert!(svg.trim_end().ends_with("</svg>"), "must end with </svg>");
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = svg;
    let mut roots = 0;
    while let Some(open) = rest.find('<') {
        check_text(&rest[..open]);
        let after = &rest[open + 1..];
        let close = find_tag_end(after)
            .unwrap_or_else(|| panic!("unclosed tag near {}", &after[..after.len().min(60)]));
        let tag = &after[..close];
        rest = &after[close + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let top = stack
                .pop()
                .unwrap_or_else(|| panic!("</{name}> closes nothing"));
            assert_eq!(top, name.trim(), "</{name}> closes <{top}>");
            continue;
        }
        assert!(
            tag.matches('"').count().is_multiple_of(2),
            "unbalanced quotes in <{tag}>"
        );
        let name = tag
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap();
        assert!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()),
            "bad tag name in <{tag}>"
        );
        if stack.is_empty() {
            roots += 1;
            assert_eq!(name, "svg", "the root element must be <svg>");
        }
        if !tag.ends_with('/') {
            stack.push(name);
        }
    }
    check_text(rest);
    assert!(stack.is_empty(), "unclosed elements: {stack:?}");
    assert_eq!(roots, 1, "exactly one root element");
}

/// End of a tag: the first `>` outside a quoted attribute value.
fn find_tag_end(s: &str) -> Option<usize> {
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '>' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

/// Text content: every `&` starts a known entity.
fn check_text(text: &str) {
    for (i, _) in text.match_indices('&') {
        let entity = &text[i..];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                .iter()
                .any(|e| entity.starts_with(e)),
            "raw & in text: {}",
            &entity[..entity.len().min(20)]
        );
    }
}

/// Number of `<name` elements.
pub fn count(svg: &str, name: &str) -> usize {
    svg.matches(&format!("<{name} ")).count()
}

/// Number of `<name` elements filled with `color` (as plotters writes it: `#RRGGBB`).
pub fn count_filled(svg: &str, name: &str, color: cartera_plot::Rgb) -> usize {
    let fill = format!("fill=\"{}\"", color.hex().to_uppercase());
    svg.lines()
        .filter(|l| l.starts_with(&format!("<{name} ")) && l.contains(&fill))
        .count()
}

/// The text of every `<text>` element, trimmed, in document order.
pub fn texts(svg: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find("<text ") {
        let after = &rest[i..];
        let start = after.find('>').unwrap() + 1;
        let end = after.find("</text>").unwrap();
        out.push(after[start..end].trim().to_string());
        rest = &after[end..];
    }
    out
}

/// The `y` attribute of the first `<text>` element whose content is `content`.
pub fn text_y(svg: &str, content: &str) -> Option<i64> {
    let mut rest = svg;
    while let Some(i) = rest.find("<text ") {
        let after = &rest[i..];
        let start = after.find('>').unwrap() + 1;
        let end = after.find("</text>").unwrap();
        if after[start..end].trim() == content {
            let tag = &after[..start];
            let y = tag.split(" y=\"").nth(1)?.split('"').next()?;
            return y.parse().ok();
        }
        rest = &after[end..];
    }
    None
}

/// Owned names.
pub fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}
