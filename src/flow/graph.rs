//! The executor graph: implicit `needs`, unknown references and cycles.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::flow::model::Executor;

/// Fill in implicit `needs` (the previous non-floating executor, or the gateway for the first)
/// and check every reference; a cycle is reported with its path.
pub fn resolve(executors: &mut [Executor]) -> Result<()> {
    let mut last: Option<String> = None;
    for e in executors.iter_mut() {
        if e.needs.is_empty() {
            e.needs = vec![last.clone().unwrap_or_else(|| "gateway".into())];
        }
        if !e.floating {
            last = Some(e.name.clone());
        }
    }
    let index: HashMap<&str, usize> = executors.iter().enumerate().map(|(i, e)| (e.name.as_str(), i)).collect();
    let mut parents: Vec<Vec<usize>> = Vec::with_capacity(executors.len());
    for e in executors.iter() {
        let mut ps = Vec::with_capacity(e.needs.len());
        for need in &e.needs {
            if need == "gateway" {
                continue;
            }
            match index.get(need.as_str()) {
                Some(&i) => ps.push(i),
                None => {
                    let names = executors.iter().map(|x| x.name.as_str()).chain(["gateway"]);
                    let err = Error::input(e.pos, format!("executor `{}` needs `{need}`, which is not an executor of this Flow", e.name));
                    return Err(match crate::error::did_you_mean(need, names) {
                        Some(s) => err.with_hint(format!("did you mean `{s}`?")),
                        None => err.with_hint("use the name of an executor, or `gateway` for the start"),
                    });
                }
            }
        }
        parents.push(ps);
    }
    if let Some(cycle) = find_cycle(&parents) {
        let path: Vec<&str> = cycle.iter().map(|&i| executors[i].name.as_str()).collect();
        let first = &executors[cycle[0]];
        return Err(Error::input(first.pos, format!("`needs` form a cycle: {}", path.join(" -> ")))
            .with_hint("an executor cannot (indirectly) need itself"));
    }
    Ok(())
}

/// Iterative three-colour DFS over `needs` edges; returns the cycle as node indices, first node
/// repeated at the end.
fn find_cycle(parents: &[Vec<usize>]) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut mark = vec![Mark::New; parents.len()];
    for root in 0..parents.len() {
        if mark[root] != Mark::New {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        mark[root] = Mark::Open;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&p) = parents[node].get(*next) {
                *next += 1;
                match mark[p] {
                    Mark::New => {
                        mark[p] = Mark::Open;
                        stack.push((p, 0));
                    }
                    Mark::Open => {
                        let start = stack.iter().position(|&(n, _)| n == p).unwrap_or(0);
                        let mut cycle: Vec<usize> = stack[start..].iter().map(|&(n, _)| n).collect();
                        cycle.reverse();
                        cycle.insert(0, p);
                        cycle.dedup();
                        cycle.push(cycle[0]);
                        return Some(cycle);
                    }
                    Mark::Done => {}
                }
            } else {
                mark[node] = Mark::Done;
                stack.pop();
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_are_found_with_their_path() {
        // 0 needs 2, 1 needs 0, 2 needs 1
        let parents = vec![vec![2], vec![0], vec![1]];
        let cycle = find_cycle(&parents).unwrap();
        assert_eq!(cycle.len(), 4);
        assert_eq!(cycle.first(), cycle.last());
    }

    #[test]
    fn dags_have_no_cycle() {
        let parents = vec![vec![], vec![0], vec![0], vec![1, 2]];
        assert!(find_cycle(&parents).is_none());
    }
}
