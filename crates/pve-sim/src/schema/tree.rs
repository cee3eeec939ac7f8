//! Path matching: the templates as a segment tree, built once at load.
//!
//! A lookup walks one tree level per path segment (a hash lookup for literals), so its
//! cost grows with the path's depth, not with the number of templates. Literal children
//! are tried before a placeholder, which gives the reference validator's "most literal
//! segments wins" (the official tree never mixes both kinds below one node anyway, just
//! like PVE's own router, which forbids it).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use percent_encoding::percent_decode_str;

use super::model::Endpoint;

/// Subtrees PVE mounts with `fragmentDelimiter => ''`: the last placeholder takes the rest
/// of the path, so volume IDs may contain an unencoded '/'. Same list as the reference
/// validator's `GREEDY_PATHS`.
const GREEDY_TEMPLATES: &[&str] = &["/nodes/{node}/storage/{storage}/content/{volume}"];

#[derive(Debug)]
pub(super) struct PathTree {
    nodes: Vec<TreeNode>,
}

#[derive(Debug, Default)]
struct TreeNode {
    literals: HashMap<String, usize>,
    placeholder: Option<Placeholder>,
    /// Index into the schema's endpoints when a template ends here.
    endpoint: Option<usize>,
}

#[derive(Debug)]
struct Placeholder {
    name: String,
    child: usize,
    /// Takes all remaining segments, joined with '/'.
    greedy: bool,
}

const ROOT: usize = 0;

impl PathTree {
    pub fn build(endpoints: &[Endpoint]) -> PathTree {
        let mut tree = PathTree {
            nodes: vec![TreeNode::default()],
        };
        for (index, endpoint) in endpoints.iter().enumerate() {
            let greedy = GREEDY_TEMPLATES.contains(&endpoint.template.as_str());
            let segments: Vec<&str> = split(&endpoint.template).collect();
            let mut node = ROOT;
            for (i, segment) in segments.iter().enumerate() {
                let last = i + 1 == segments.len();
                node = match placeholder_name(segment) {
                    Some(name) => tree.placeholder_child(node, name, greedy && last),
                    None => tree.literal_child(node, segment),
                };
            }
            tree.nodes[node].endpoint = Some(index);
        }
        tree
    }

    /// Matches a concrete path (relative to `/api2/json`); returns the endpoint index and
    /// the percent-decoded placeholder values.
    pub fn lookup(&self, path: &str) -> Option<(usize, BTreeMap<String, String>)> {
        let segments: Vec<Cow<'_, str>> = split(path)
            .map(|s| percent_decode_str(s).decode_utf8_lossy())
            .collect();
        let mut values = Vec::new();
        let endpoint = self.walk(ROOT, &segments, &mut values)?;
        let values = values
            .into_iter()
            .map(|(name, value)| (name.to_string(), value.into_owned()))
            .collect();
        Some((endpoint, values))
    }

    fn walk<'t, 'p>(
        &'t self,
        node: usize,
        segments: &'p [Cow<'p, str>],
        values: &mut Vec<(&'t str, Cow<'p, str>)>,
    ) -> Option<usize> {
        let current = &self.nodes[node];
        let Some((first, rest)) = segments.split_first() else {
            return current.endpoint;
        };
        if let Some(&child) = current.literals.get(first.as_ref())
            && let Some(found) = self.walk(child, rest, values)
        {
            return Some(found);
        }
        let placeholder = current.placeholder.as_ref()?;
        let (value, rest) = if placeholder.greedy && !rest.is_empty() {
            (Cow::Owned(segments.join("/")), &[][..])
        } else {
            (first.clone(), rest)
        };
        // PVE matches placeholders with /^(\S+)$/ by default.
        if value.chars().any(char::is_whitespace) {
            return None;
        }
        values.push((&placeholder.name, value));
        let found = self.walk(placeholder.child, rest, values);
        if found.is_none() {
            values.pop();
        }
        found
    }

    fn literal_child(&mut self, node: usize, segment: &str) -> usize {
        if let Some(&child) = self.nodes[node].literals.get(segment) {
            return child;
        }
        let child = self.push_node();
        self.nodes[node].literals.insert(segment.to_string(), child);
        child
    }

    fn placeholder_child(&mut self, node: usize, name: &str, greedy: bool) -> usize {
        if let Some(existing) = &mut self.nodes[node].placeholder {
            // The official tree uses one placeholder name per level; should two templates
            // disagree, the first name wins for matching (PVE's router would refuse it).
            existing.greedy |= greedy;
            return existing.child;
        }
        let child = self.push_node();
        self.nodes[node].placeholder = Some(Placeholder {
            name: name.to_string(),
            child,
            greedy,
        });
        child
    }

    fn push_node(&mut self) -> usize {
        self.nodes.push(TreeNode::default());
        self.nodes.len() - 1
    }
}

/// Non-empty '/'-separated segments (PVE splits on '/+' and skips empty fragments).
fn split(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

fn placeholder_name(segment: &str) -> Option<&str> {
    segment.strip_prefix('{')?.strip_suffix('}')
}
