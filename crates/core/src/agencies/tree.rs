//! The organisation tree built from the flat list of agencies.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::model::{Agency, AgencyCode};
use crate::authz::AgencyLineage;

pub struct AgencyTree<'a> {
    by_code: HashMap<&'a AgencyCode, &'a Agency>,
    children: HashMap<Option<AgencyCode>, Vec<&'a Agency>>,
}

#[derive(Debug, Serialize)]
pub struct TreeNode<'a> {
    pub agency: &'a Agency,
    pub depth: usize,
}

impl<'a> AgencyTree<'a> {
    pub fn new(agencies: &'a [Agency]) -> Self {
        let by_code = agencies.iter().map(|a| (&a.code, a)).collect();
        let mut children: HashMap<Option<AgencyCode>, Vec<&Agency>> = HashMap::new();
        for agency in agencies {
            children
                .entry(agency.parent.clone())
                .or_default()
                .push(agency);
        }
        for list in children.values_mut() {
            list.sort_by(|a, b| a.code.cmp(&b.code));
        }
        AgencyTree { by_code, children }
    }

    pub fn get(&self, code: &AgencyCode) -> Option<&'a Agency> {
        self.by_code.get(code).copied()
    }

    /// The agency and its ancestors, nearest first. Stops on a cycle instead of looping.
    pub fn lineage(&self, code: &AgencyCode) -> AgencyLineage {
        let mut out = Vec::new();
        let mut next = Some(code);
        while let Some(code) = next {
            if out.contains(code) {
                break;
            }
            out.push(code.clone());
            next = self.get(code).and_then(|a| a.parent.as_ref());
        }
        AgencyLineage(out)
    }

    /// True when `candidate` is `code` itself or lies below it.
    pub fn is_descendant_or_self(&self, candidate: &AgencyCode, code: &AgencyCode) -> bool {
        self.lineage(candidate).contains(code)
    }

    pub fn children_of(&self, code: Option<&AgencyCode>) -> &[&'a Agency] {
        self.children
            .get(&code.cloned())
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Depth-first walk from the roots, for indented lists.
    pub fn walk(&self) -> Vec<TreeNode<'a>> {
        let mut out = Vec::new();
        let mut stack: Vec<(&'a Agency, usize)> = self
            .children_of(None)
            .iter()
            .rev()
            .map(|a| (*a, 0))
            .collect();
        // Agencies whose parent is missing still appear, at the top level.
        for agency in self.by_code.values() {
            if let Some(parent) = &agency.parent
                && !self.by_code.contains_key(parent)
            {
                stack.insert(0, (agency, 0));
            }
        }
        let mut seen: HashSet<&AgencyCode> = HashSet::new();
        while let Some((agency, depth)) = stack.pop() {
            if !seen.insert(&agency.code) {
                continue;
            }
            out.push(TreeNode { agency, depth });
            for child in self.children_of(Some(&agency.code)).iter().rev() {
                stack.push((child, depth + 1));
            }
        }
        out
    }
}
