//! [`GraphLayout`] and [`GraphView`]: a candidate's expression graph drawn as nodes and edges,
//! from the input `x` on the left to the output on the right. Shared sub-expressions appear
//! once, with an edge to each user. Flat or non-differentiable primitives (the ones whose
//! backward mode matters) are drawn in orange.

use crate::row::Row;
use radact::expr::print::format_constant;
use radact::expr::{Graph, Node, NodeId};
use std::collections::HashMap;

/// What kind of node a [`LaidNode`] is, for its colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// The input `x`.
    Input,
    /// A constant.
    Const,
    /// A smooth primitive.
    Smooth,
    /// A flat or non-differentiable primitive.
    Radical,
}

/// A node placed on the canvas grid.
#[derive(Clone, Debug, PartialEq)]
pub struct LaidNode {
    /// Its id in the graph.
    pub id: NodeId,
    /// Its text: `x`, a constant, or the primitive's name with its parameters.
    pub label: String,
    /// Its kind.
    pub kind: NodeKind,
    /// Column: 0 for `x`, growing towards the output.
    pub layer: usize,
    /// Row within the column.
    pub slot: usize,
}

/// An edge from an argument to the node that uses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edge {
    /// Index of the argument in [`GraphLayout::nodes`].
    pub from: usize,
    /// Index of the user in [`GraphLayout::nodes`].
    pub to: usize,
    /// Argument position, when it matters (a non-commutative primitive of several arguments).
    pub position: Option<usize>,
}

/// A graph laid out in columns.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GraphLayout {
    /// The nodes reachable from the root.
    pub nodes: Vec<LaidNode>,
    /// Argument edges.
    pub edges: Vec<Edge>,
    /// Number of columns.
    pub layers: usize,
    /// Most nodes in one column.
    pub height: usize,
    /// Index of the root (output) in `nodes`.
    pub root: usize,
}

/// The text shown for a node.
pub fn node_label(graph: &Graph, id: NodeId) -> String {
    match graph.node(id) {
        Node::Input => "x".to_string(),
        Node::Const(v) => format_constant(v),
        Node::Param(v) => format!("param({})", format_constant(v)),
        Node::Op { op, params } => {
            let specs = op.primitive().params;
            if specs.is_empty() {
                op.name().to_string()
            } else {
                let values: Vec<String> = specs
                    .iter()
                    .zip(params)
                    .map(|(s, v)| format!("{}={}", s.name, format_constant(v)))
                    .collect();
                format!("{}({})", op.name(), values.join(", "))
            }
        }
    }
}

impl GraphLayout {
    /// Lays out the nodes reachable from `graph`'s root: each operation one column right of its
    /// deepest argument, each constant just left of its first user, rows ordered to keep edges
    /// short.
    pub fn new(graph: &Graph) -> GraphLayout {
        let order = graph.topo_order();
        let index: HashMap<NodeId, usize> =
            order.iter().enumerate().map(|(i, &n)| (n, i)).collect();
        let args: Vec<Vec<usize>> = order
            .iter()
            .map(|&n| graph.args(n).iter().map(|a| index[a]).collect())
            .collect();
        let mut users: Vec<Vec<usize>> = vec![Vec::new(); order.len()];
        for (u, a) in args.iter().enumerate() {
            for &a in a {
                users[a].push(u);
            }
        }
        // Columns: arguments come first in `order`, so one pass suffices.
        let mut layer = vec![0usize; order.len()];
        for i in 0..order.len() {
            if matches!(graph.node(order[i]), Node::Op { .. }) {
                layer[i] = args[i].iter().map(|&a| layer[a] + 1).max().unwrap_or(1);
            }
        }
        for i in 0..order.len() {
            if matches!(graph.node(order[i]), Node::Const(_) | Node::Param(_)) {
                let first_user = users[i].iter().map(|&u| layer[u]).min().unwrap_or(1);
                layer[i] = first_user.saturating_sub(1);
            }
        }
        let layers = layer.iter().max().map_or(0, |m| m + 1);
        // Rows: by the mean row of the arguments (left to right), constants by their users.
        let mut columns: Vec<Vec<usize>> = vec![Vec::new(); layers];
        for (i, &l) in layer.iter().enumerate() {
            columns[l].push(i);
        }
        let mut slot = vec![0usize; order.len()];
        let mean = |of: &[usize], slot: &[usize]| -> f64 {
            if of.is_empty() {
                0.0
            } else {
                of.iter().map(|&a| slot[a] as f64).sum::<f64>() / of.len() as f64
            }
        };
        for column in columns.iter_mut() {
            let keys: Vec<(usize, f64)> = column
                .iter()
                .map(|&i| {
                    let key = if matches!(graph.node(order[i]), Node::Const(_) | Node::Param(_)) {
                        users[i].iter().map(|&u| mean(&args[u], &slot)).sum::<f64>()
                            / users[i].len().max(1) as f64
                    } else {
                        mean(&args[i], &slot)
                    };
                    (i, key)
                })
                .collect();
            let mut sorted = keys;
            sorted.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            *column = sorted.iter().map(|&(i, _)| i).collect();
            for (s, &i) in column.iter().enumerate() {
                slot[i] = s;
            }
        }
        let nodes = order
            .iter()
            .enumerate()
            .map(|(i, &n)| LaidNode {
                id: n,
                label: node_label(graph, n),
                kind: match graph.node(n) {
                    Node::Input => NodeKind::Input,
                    Node::Const(_) | Node::Param(_) => NodeKind::Const,
                    Node::Op { op, .. } => {
                        let flags = op.primitive().flags;
                        if flags.flat || flags.non_differentiable {
                            NodeKind::Radical
                        } else {
                            NodeKind::Smooth
                        }
                    }
                },
                layer: layer[i],
                slot: slot[i],
            })
            .collect();
        let mut edges = Vec::new();
        for (to, a) in args.iter().enumerate() {
            let ordered = match graph.node(order[to]) {
                Node::Op { op, .. } => a.len() > 1 && !op.primitive().commutative,
                _ => false,
            };
            for (position, &from) in a.iter().enumerate() {
                edges.push(Edge {
                    from,
                    to,
                    position: ordered.then_some(position + 1),
                });
            }
        }
        GraphLayout {
            height: columns.iter().map(Vec::len).max().unwrap_or(0),
            root: index.get(&graph.root()).copied().unwrap_or(0),
            nodes,
            edges,
            layers,
        }
    }
}

/// Which graph of the selected candidate is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    /// The forward function `f`.
    Forward,
    /// The derived backward multiplier `g`.
    Backward,
}

/// The graph panel: the layout of one candidate's forward or backward graph.
#[derive(Debug)]
pub struct GraphView {
    /// Which graph is drawn.
    pub which: Which,
    layout: Option<GraphLayout>,
    key: Option<(u64, String, String, Which)>,
    error: Option<String>,
}

impl Default for GraphView {
    fn default() -> Self {
        GraphView {
            which: Which::Forward,
            layout: None,
            key: None,
            error: None,
        }
    }
}

impl GraphView {
    /// Lays out the graph (forward or backward) of `row`'s candidate unless it is already laid
    /// out; `None` clears the view. A formula that does not parse leaves an error to show.
    pub fn update(&mut self, row: Option<&Row>) {
        let Some(row) = row else {
            self.layout = None;
            self.key = None;
            self.error = None;
            return;
        };
        let key = (
            row.id(),
            row.formula().to_string(),
            row.backward.clone(),
            self.which,
        );
        if self.key.as_ref() == Some(&key) {
            return;
        }
        self.key = Some(key);
        match row.record.activation() {
            Ok(a) => {
                let graph = match self.which {
                    Which::Forward => a.forward,
                    Which::Backward => a.backward_graph(),
                };
                self.layout = Some(GraphLayout::new(&graph));
                self.error = None;
            }
            Err(e) => {
                self.layout = None;
                self.error = Some(format!(
                    "#{}: cannot draw `{}`: {e}",
                    row.id(),
                    row.formula()
                ));
            }
        }
    }

    /// The current layout.
    pub fn layout(&self) -> Option<&GraphLayout> {
        self.layout.as_ref()
    }

    /// Shows the forward/backward switch and draws the graph in the space left.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.which, Which::Forward, "f(x) graph");
            ui.selectable_value(&mut self.which, Which::Backward, "g(x) graph");
        });
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        let Some(layout) = &self.layout else {
            ui.weak("Select a candidate to see its graph.");
            return;
        };
        let size = egui::vec2(ui.available_width(), ui.available_height().max(120.0));
        let (response, painter) = ui.allocate_painter(size, egui::Sense::hover());
        draw(ui, &painter, response.rect, layout);
    }
}

fn draw(ui: &egui::Ui, painter: &egui::Painter, rect: egui::Rect, layout: &GraphLayout) {
    let visuals = ui.visuals();
    let font = egui::FontId::monospace(12.0);
    let columns = layout.layers.max(1) as f32;
    let column_width = rect.width() / columns;
    // Node centres: columns left to right, rows centred within each column.
    let mut per_column = vec![0usize; layout.layers.max(1)];
    for n in &layout.nodes {
        per_column[n.layer] = per_column[n.layer].max(n.slot + 1);
    }
    let centre = |n: &LaidNode| {
        let rows = per_column[n.layer].max(1) as f32;
        let row_height = rect.height() / rows;
        egui::pos2(
            rect.left() + column_width * (n.layer as f32 + 0.5),
            rect.top() + row_height * (n.slot as f32 + 0.5),
        )
    };
    let boxes: Vec<egui::Rect> = layout
        .nodes
        .iter()
        .map(|n| {
            let galley =
                painter.layout_no_wrap(n.label.clone(), font.clone(), visuals.text_color());
            let size = galley.size() + egui::vec2(12.0, 8.0);
            egui::Rect::from_center_size(centre(n), size.min(egui::vec2(column_width - 6.0, 60.0)))
        })
        .collect();
    let edge_color = visuals.weak_text_color();
    for e in &layout.edges {
        let (a, b) = (boxes[e.from], boxes[e.to]);
        let start = egui::pos2(a.right(), a.center().y);
        let end = egui::pos2(b.left(), b.center().y);
        painter.arrow(start, end - start, egui::Stroke::new(1.2, edge_color));
        if let Some(p) = e.position {
            let at = end + (start - end) * 0.15 + egui::vec2(0.0, -8.0);
            painter.text(
                at,
                egui::Align2::CENTER_CENTER,
                p.to_string(),
                egui::FontId::proportional(10.0),
                edge_color,
            );
        }
    }
    for (i, (n, r)) in layout.nodes.iter().zip(&boxes).enumerate() {
        let fill = match n.kind {
            NodeKind::Input => egui::Color32::from_rgb(46, 125, 50),
            NodeKind::Const => egui::Color32::from_gray(96),
            NodeKind::Smooth => egui::Color32::from_rgb(25, 90, 160),
            NodeKind::Radical => egui::Color32::from_rgb(200, 100, 20),
        };
        painter.rect_filled(*r, 5.0, fill);
        if i == layout.root {
            painter.rect_stroke(
                *r,
                5.0,
                egui::Stroke::new(2.0, visuals.strong_text_color()),
                egui::StrokeKind::Outside,
            );
        }
        painter.text(
            r.center(),
            egui::Align2::CENTER_CENTER,
            &n.label,
            font.clone(),
            egui::Color32::WHITE,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use radact::expr::parse;

    #[test]
    fn layout_puts_x_first_and_the_root_last() {
        let g = parse("tanh(x) * heaviside(x - 0.5) + quantize(x, 5)").unwrap();
        let l = GraphLayout::new(&g);
        assert_eq!(l.nodes.len(), g.topo_order().len());
        let x = l.nodes.iter().find(|n| n.kind == NodeKind::Input).unwrap();
        assert_eq!((x.label.as_str(), x.layer), ("x", 0));
        let root = &l.nodes[l.root];
        assert_eq!(root.layer, l.layers - 1);
        assert!(l.nodes.iter().all(|n| n.layer < l.layers));
        // Every edge runs left to right.
        assert!(l
            .edges
            .iter()
            .all(|e| l.nodes[e.from].layer < l.nodes[e.to].layer));
        // Parameters are shown, flat primitives are marked.
        let q = l
            .nodes
            .iter()
            .find(|n| n.label.starts_with("quantize"))
            .unwrap();
        assert_eq!(q.label, "quantize(levels=5)");
        assert_eq!(q.kind, NodeKind::Radical);
        // No two nodes share a place.
        let mut places: Vec<(usize, usize)> = l.nodes.iter().map(|n| (n.layer, n.slot)).collect();
        places.sort();
        places.dedup();
        assert_eq!(places.len(), l.nodes.len());
    }

    #[test]
    fn argument_order_is_shown_only_where_it_matters() {
        let l = GraphLayout::new(&parse("x - tanh(x)").unwrap());
        let mut positions: Vec<Option<usize>> = l.edges.iter().map(|e| e.position).collect();
        positions.sort();
        assert_eq!(positions, [None, Some(1), Some(2)]);
        let l = GraphLayout::new(&parse("x * tanh(x)").unwrap());
        assert!(l.edges.iter().all(|e| e.position.is_none()));
    }
}
