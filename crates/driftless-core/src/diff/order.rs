//! Ordering helpers: renames that form chains (`b -> c` must run before `a -> b`), and deterministic topological
//! order with a smallest-name tie break.

use std::collections::{BTreeMap, BTreeSet};

/// Orders renames so that each target name is free when its rename runs: a rename whose target is the source of
/// another rename goes after that one. Returns the renames in order, or the names forming a cycle (a swap), which
/// has no order without a temporary name.
pub(crate) fn order_renames<'a>(renames: &BTreeMap<&'a str, &'a str>) -> Result<Vec<(&'a str, &'a str)>, Vec<&'a str>> {
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut out = Vec::with_capacity(renames.len());
    let mut remaining: BTreeMap<&str, &str> = renames.clone();
    while !remaining.is_empty() {
        // A rename is ready when its target is not the source of a rename still waiting.
        let ready: Vec<&str> =
            remaining.iter().filter(|(_, to)| !remaining.contains_key(*to)).map(|(from, _)| *from).collect();
        if ready.is_empty() {
            return Err(remaining.keys().copied().collect());
        }
        for from in ready {
            if let Some(to) = remaining.remove(from) {
                done.insert(from);
                out.push((from, to));
            }
        }
    }
    Ok(out)
}

/// Kahn's algorithm over `nodes` where `deps(n)` are the nodes that must come first. Ready nodes are taken in name
/// order; when only cycles remain, `break_cycle` is called with the smallest remaining node and must return the
/// dependencies to ignore for it (it is then emitted). Returns the order.
pub(crate) fn topo_order<'a>(
    nodes: &BTreeSet<&'a str>,
    deps: &BTreeMap<&'a str, BTreeSet<&'a str>>,
    mut break_cycle: impl FnMut(&'a str, &BTreeSet<&'a str>),
) -> Vec<&'a str> {
    let mut remaining: BTreeSet<&str> = nodes.clone();
    let mut waiting_on: BTreeMap<&str, usize> = BTreeMap::new();
    let mut dependents: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for n in nodes {
        let ds: Vec<&str> = deps
            .get(n)
            .map(|d| d.iter().copied().filter(|d| d != n && nodes.contains(d)).collect())
            .unwrap_or_default();
        waiting_on.insert(n, ds.len());
        for d in ds {
            dependents.entry(d).or_default().push(n);
        }
    }
    let mut ready: BTreeSet<&str> = waiting_on.iter().filter(|(_, c)| **c == 0).map(|(n, _)| *n).collect();
    let mut out = Vec::with_capacity(nodes.len());
    while !remaining.is_empty() {
        let next = match ready.pop_first() {
            Some(n) => n,
            None => {
                let Some(n) = remaining.first().copied() else { break };
                let pending: BTreeSet<&str> = deps
                    .get(n)
                    .map(|d| d.iter().copied().filter(|d| *d != n && remaining.contains(d)).collect())
                    .unwrap_or_default();
                break_cycle(n, &pending);
                n
            }
        };
        if !remaining.remove(next) {
            continue;
        }
        out.push(next);
        if let Some(ds) = dependents.get(next) {
            for d in ds {
                if let Some(c) = waiting_on.get_mut(d) {
                    *c = c.saturating_sub(1);
                    if *c == 0 && remaining.contains(d) {
                        ready.insert(d);
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_run_back_to_front_and_swaps_are_reported() {
        let r: BTreeMap<&str, &str> = [("a", "b"), ("b", "c")].into_iter().collect();
        assert_eq!(order_renames(&r).unwrap(), [("b", "c"), ("a", "b")]);
        let r: BTreeMap<&str, &str> = [("a", "b"), ("b", "a"), ("x", "y")].into_iter().collect();
        assert_eq!(order_renames(&r).unwrap_err(), ["a", "b"]);
    }

    #[test]
    fn cycles_are_broken_at_the_smallest_name() {
        let nodes: BTreeSet<&str> = ["a", "b", "c"].into_iter().collect();
        let deps: BTreeMap<&str, BTreeSet<&str>> =
            [("a", ["b"].into()), ("b", ["a"].into()), ("c", ["a"].into())].into_iter().collect();
        let mut broken = Vec::new();
        let order = topo_order(&nodes, &deps, |n, pending| broken.push((n, pending.clone())));
        assert_eq!(order, ["a", "b", "c"]);
        assert_eq!(broken, [("a", ["b"].into_iter().collect())]);
    }
}
