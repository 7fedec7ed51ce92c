//! Graph structure checks and a deterministic topological order of the nodes.

use std::collections::{BTreeMap, BTreeSet};

use super::error::OnnxError;
use super::model::OnnxGraph;

/// Where a value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Producer {
    /// A graph input.
    GraphInput,
    /// An initializer.
    Initializer,
    /// Output of the node with this index.
    Node(usize),
}

impl OnnxGraph {
    /// Map every value name to where it is defined. Errors if a value is defined twice.
    pub fn producers(&self) -> Result<BTreeMap<&str, Producer>, OnnxError> {
        let err = |detail: String| OnnxError::Graph {
            graph: self.name.clone(),
            detail,
        };
        let mut defined: BTreeMap<&str, Producer> = BTreeMap::new();
        for input in &self.inputs {
            if defined.insert(&input.name, Producer::GraphInput).is_some() {
                return Err(err(format!("graph input '{}' is listed twice", input.name)));
            }
        }
        for name in self.initializers.keys() {
            // IR < 4 lists initializers among the graph inputs as well; that is allowed.
            defined.insert(name, Producer::Initializer);
        }
        for (i, node) in self.nodes.iter().enumerate() {
            for out in node.outputs.iter().filter(|o| !o.is_empty()) {
                if let Some(previous) = defined.insert(out, Producer::Node(i)) {
                    let what = match previous {
                        Producer::GraphInput => "a graph input".to_string(),
                        Producer::Initializer => "an initializer".to_string(),
                        Producer::Node(j) => format!("node {}", self.nodes[j].label()),
                    };
                    return Err(err(format!(
                        "value '{out}' is produced by node {} but is already defined by {what}",
                        node.label()
                    )));
                }
            }
        }
        Ok(defined)
    }

    /// The node indices in a topological order: every node after the producers of its
    /// inputs. Among the ready nodes the one earliest in the file goes first, so a graph
    /// already in order keeps its order.
    ///
    /// Errors name the problem: a value used but never defined, a value defined twice,
    /// a graph output nobody produces, or the nodes of a cycle.
    pub fn topological_order(&self) -> Result<Vec<usize>, OnnxError> {
        let defined = self.producers()?;
        let n = self.nodes.len();
        let mut consumers: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
        let mut indegree = vec![0usize; n];
        for (i, node) in self.nodes.iter().enumerate() {
            let mut deps = BTreeSet::new();
            for input in node.inputs.iter().filter(|s| !s.is_empty()) {
                match defined.get(input.as_str()) {
                    Some(Producer::Node(j)) => {
                        deps.insert(*j);
                    }
                    Some(_) => {}
                    None => {
                        return Err(OnnxError::Graph {
                            graph: self.name.clone(),
                            detail: format!(
                                "node {} uses '{input}', which no node, graph input or \
                                 initializer defines",
                                node.label()
                            ),
                        })
                    }
                }
            }
            indegree[i] = deps.len();
            for j in deps {
                consumers[j].insert(i);
            }
        }
        for output in &self.outputs {
            if !defined.contains_key(output.name.as_str()) {
                return Err(OnnxError::Graph {
                    graph: self.name.clone(),
                    detail: format!("graph output '{}' is never produced", output.name),
                });
            }
        }
        let mut ready: BTreeSet<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(i) = ready.pop_first() {
            order.push(i);
            for &c in &consumers[i] {
                indegree[c] -= 1;
                if indegree[c] == 0 {
                    ready.insert(c);
                }
            }
        }
        if order.len() < n {
            let nodes = (0..n)
                .filter(|&i| indegree[i] > 0)
                .map(|i| self.nodes[i].label())
                .collect();
            return Err(OnnxError::Cycle {
                graph: self.name.clone(),
                nodes,
            });
        }
        Ok(order)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::onnx::model::{OnnxNode, ValueInfo};

    fn node(name: &str, inputs: &[&str], outputs: &[&str]) -> OnnxNode {
        OnnxNode {
            name: name.into(),
            op_type: "Relu".into(),
            domain: String::new(),
            inputs: inputs.iter().map(|s| s.to_string()).collect(),
            outputs: outputs.iter().map(|s| s.to_string()).collect(),
            attributes: Default::default(),
        }
    }

    fn graph(nodes: Vec<OnnxNode>) -> OnnxGraph {
        OnnxGraph {
            name: "g".into(),
            nodes,
            inputs: vec![ValueInfo {
                name: "x".into(),
                dtype: None,
                shape: None,
            }],
            outputs: vec![ValueInfo {
                name: "z".into(),
                dtype: None,
                shape: None,
            }],
            ..Default::default()
        }
    }

    #[test]
    fn orders_unsorted_graphs() {
        let g = graph(vec![node("b", &["y"], &["z"]), node("a", &["x"], &["y"])]);
        assert_eq!(g.topological_order().unwrap(), vec![1, 0]);
        let g = graph(vec![
            node("a", &["x", ""], &["y"]),
            node("b", &["y"], &["z"]),
        ]);
        assert_eq!(g.topological_order().unwrap(), vec![0, 1]);
    }

    #[test]
    fn rejects_cycles_and_dangling_values() {
        let g = graph(vec![
            node("a", &["x", "z"], &["y"]),
            node("b", &["y"], &["z"]),
        ]);
        let e = g.topological_order().unwrap_err().to_string();
        assert!(
            e.contains("cycle") && e.contains("'a'") && e.contains("'b'"),
            "{e}"
        );
        let g = graph(vec![node("a", &["q"], &["z"])]);
        let e = g.topological_order().unwrap_err().to_string();
        assert!(e.contains("'q'"), "{e}");
        let g = graph(vec![node("a", &["x"], &["z"]), node("b", &["x"], &["z"])]);
        assert!(g.topological_order().is_err());
        let g = graph(vec![node("a", &["x"], &["y"])]);
        assert!(g
            .topological_order()
            .unwrap_err()
            .to_string()
            .contains("never produced"));
    }
}
