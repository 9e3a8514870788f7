//! A decision graph drawn as SVG, with the path a decision took drawn in a
//! thicker amber line. The layered layout is `layout-rs`'s (see
//! `docs/decisions.md`); this module only says what each node and edge
//! looks like.

use std::collections::HashMap;

use layout::backends::svg::SVGWriter;
use layout::core::base::Orientation;
use layout::core::color::Color;
use layout::core::style::{LineStyleKind, StyleAttr};
use layout::std_shapes::render::get_shape_size;
use layout::std_shapes::shapes::{Arrow, Element, LineEndKind, ShapeKind};
use layout::topo::layout::VisualGraph;

use crate::graph::{GraphDescription, PathTaken, TAKEN_COLOUR};

/// Where the SVG goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SvgTarget {
    /// A standalone `.svg` file: XML declaration and its own font styles.
    Document,
    /// Markup to place inside an HTML page: no XML declaration and no
    /// `<style>` element (a page's Content-Security-Policy refuses inline
    /// styles); the page's stylesheet styles the `graph-text` class.
    Inline,
}

/// The font size of every label, in pixels.
const FONT_SIZE: usize = 13;
/// The longest line of a label, in characters, before it wraps.
const WRAP: usize = 26;

/// Draws `graph` top to bottom with `path` highlighted. Each node is a
/// `<g class="node" data-node="ID">` (`class="node taken"` when walked) and
/// each edge a `<g class="edge" data-from="ID" data-to="ID">` (likewise),
/// so a page or a test can find them.
pub fn graph_svg(graph: &GraphDescription, path: &PathTaken, target: SvgTarget) -> String {
    let orientation = Orientation::TopToBottom;
    let mut visual = VisualGraph::new(orientation);
    let mut handles = HashMap::new();
    for node in &graph.nodes {
        let taken = path.has_node(&node.id);
        let label = match (node.kind.as_str(), &node.graph) {
            ("subgraph", Some(name)) => format!("{}\n[{name}]", wrap(&node.text)),
            _ => wrap(&node.text),
        };
        let shape = ShapeKind::new_box(&label);
        let rounded = if node.kind == "outcome" { 14 } else { 2 };
        let fill = match (node.kind.as_str(), taken) {
            (_, true) => "#fff7ed",
            ("outcome", false) => "#f3f4f6",
            ("subgraph", false) => "#eef2ff",
            _ => "#ffffff",
        };
        let look = style(taken, Some(fill), rounded);
        let size = get_shape_size(orientation, &shape, FONT_SIZE, false);
        let class = if taken { "node taken" } else { "node" };
        let properties = format!(
            "class=\"{class} {}\" data-node=\"{}\"",
            node.kind,
            crate::xml::escape(&node.id)
        );
        let element = Element::create_with_properties(shape, look, orientation, size, properties);
        handles.insert(node.id.as_str(), visual.add_node(element));
    }
    for edge in &graph.edges {
        let (Some(&from), Some(&to)) = (
            handles.get(edge.from.as_str()),
            handles.get(edge.to.as_str()),
        ) else {
            continue;
        };
        let taken = path.has_edge(&edge.from, &edge.to);
        let class = if taken { "edge taken" } else { "edge" };
        let properties = format!(
            "class=\"{class}\" data-from=\"{}\" data-to=\"{}\"",
            crate::xml::escape(&edge.from),
            crate::xml::escape(&edge.to)
        );
        let arrow = Arrow::with_properties(
            LineEndKind::None,
            LineEndKind::Arrow,
            LineStyleKind::Normal,
            edge.answer.as_deref().unwrap_or_default(),
            &style(taken, None, 0),
            properties,
            &None,
            &None,
        );
        visual.add_edge(arrow, from, to);
    }
    let mut writer = SVGWriter::new();
    visual.do_it(false, false, false, &mut writer);
    // The writer grows its canvas by each label's length as if it ran
    // downwards, which leaves a tall blank band: the canvas is set to the
    // laid-out nodes' extent instead.
    let (mut width, mut height) = (0f64, 0f64);
    for handle in visual.iter_nodes() {
        let position = visual.pos(handle);
        width = width.max(position.right(false));
        height = height.max(position.bottom(false));
    }
    let document = with_canvas(&writer.finalize(), width + 10.0, height + 10.0);
    let font_class = format!("class=\"a{FONT_SIZE}\"");
    match target {
        SvgTarget::Document => document,
        SvgTarget::Inline => inline(&document).replace(&font_class, "class=\"graph-text\""),
    }
}

/// `document` with its `<svg ...>` start tag sized `width` by `height`.
fn with_canvas(document: &str, width: f64, height: f64) -> String {
    let Some(start) = document.find("<svg") else {
        return document.to_owned();
    };
    let Some(end) = document.get(start..).and_then(|rest| rest.find('>')) else {
        return document.to_owned();
    };
    let (before, after) = (
        document.get(..start).unwrap_or_default(),
        document.get(start + end + 1..).unwrap_or_default(),
    );
    format!(
        "{before}<svg width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" xmlns=\"http://www.w3.org/2000/svg\">{after}"
    )
}

/// The style of a node or an edge.
fn style(taken: bool, fill: Option<&str>, rounded: usize) -> StyleAttr {
    let (line, width) = if taken {
        (TAKEN_COLOUR, 2)
    } else {
        ("#6b7280", 1)
    };
    StyleAttr::new(
        Color::fast(line),
        width,
        fill.map(Color::fast),
        rounded,
        FONT_SIZE,
    )
}

/// `document` without its XML declaration and `<style>` element.
fn inline(document: &str) -> String {
    let body = document
        .find("<svg")
        .and_then(|at| document.get(at..))
        .unwrap_or(document);
    match (body.find("<style>"), body.find("</style>")) {
        (Some(start), Some(end)) if start < end => {
            let before = body.get(..start).unwrap_or_default();
            let after = body.get(end + "</style>".len()..).unwrap_or_default();
            format!("{before}{after}")
        }
        _ => body.to_owned(),
    }
}

/// `text` wrapped at word boundaries into lines of at most [`WRAP`]
/// characters (a longer word keeps its own line).
fn wrap(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut line = 0usize;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if line > 0 && line + 1 + len > WRAP {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_wrap_at_word_boundaries() {
        assert_eq!(
            wrap("Is the license active or in its grace period?"),
            "Is the license active or\nin its grace period?"
        );
        assert_eq!(wrap("short"), "short");
    }

    #[test]
    fn an_inline_svg_has_no_declaration_and_no_style_element() {
        let doc = "<?xml version=\"1.0\"?><svg a=\"1\"><defs/><style>\n.a13 {}\n</style><g/></svg>";
        assert_eq!(inline(doc), "<svg a=\"1\"><defs/><g/></svg>");
    }
}
