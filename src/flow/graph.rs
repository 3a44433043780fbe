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
    let index: HashMap<&str, usize> = executors
        .iter()
        .enumerate()
        .map(|(i, e)| (e.name.as_str(), i))
        .collect();
    let mut parents: Vec<Vec<usize>> = Vec::with_capacity(executors.len());
    for e in executors.iter() {
        let mut ps = Vec::with_capacity(e.needs.len());
        for need in &e.needs {
            if need == "gateway" {
                continue;
            }
            if let Some(&i) = index.get(need.as_str()) {
                ps.push(i);
            } else {
                let names = executors.iter().map(|x| x.name.as_str()).chain(["gateway"]);
                let err = Error::input(
                    e.pos,
                    format!(
                        "executor `{}` needs `{need}`, which is not an executor of this Flow",
                        e.name
                    ),
                );
                return Err(match crate::error::did_you_mean(need, names) {
                    Some(s) => err.with_hint(format!("did you mean `{s}`?")),
                    None => {
                        err.with_hint("use the name of an executor, or `gateway` for the start")
                    }
                });
            }
        }
        parents.push(ps);
    }
    if let Some(cycle) = find_cycle(&parents) {
        let path: Vec<&str> = cycle.iter().map(|&i| executors[i].name.as_str()).collect();
        let first = &executors[cycle[0]];
        if cycle.len() == 2 {
            return Err(
                Error::input(first.pos, format!("executor `{}` needs itself", first.name))
                    .with_hint("remove it from its own `needs`"),
            );
        }
        return Err(Error::input(
            first.pos,
            format!("`needs` form a cycle: {}", path.join(" -> ")),
        )
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
                        let mut cycle: Vec<usize> =
                            stack[start..].iter().map(|&(n, _)| n).collect();
                        cycle.reverse();
                        // The reversed path already ends with `p`; close it at the front.
                        cycle.insert(0, p);
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

    fn needs_of(yaml: &str) -> Vec<(String, Vec<String>)> {
        let flow = crate::flow::load_str(yaml, &|_| None).unwrap();
        flow.executors
            .into_iter()
            .map(|e| (e.name, e.needs))
            .collect()
    }

    fn pairs(expected: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
        expected
            .iter()
            .map(|(n, needs)| {
                (
                    n.to_string(),
                    needs.iter().map(std::string::ToString::to_string).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn implicit_needs_chain_executors_from_the_gateway() {
        let got = needs_of("jtype: Flow\nexecutors:\n  - name: a\n  - name: b\n  - name: c\n");
        assert_eq!(
            got,
            pairs(&[("a", &["gateway"]), ("b", &["a"]), ("c", &["b"])])
        );
    }

    #[test]
    fn floating_executors_are_skipped_by_the_implicit_chain() {
        let yaml =
            "jtype: Flow\nexecutors:\n  - name: a\n  - name: f\n    floating: true\n  - name: c\n";
        assert_eq!(
            needs_of(yaml),
            pairs(&[("a", &["gateway"]), ("f", &["a"]), ("c", &["a"])])
        );
        let flow = crate::flow::load_str(yaml, &|_| None).unwrap();
        assert_eq!(flow.last_executor().map(|e| e.name.as_str()), Some("c"));
        assert!(!flow.edges().iter().any(|(from, _)| from == "f"));
    }

    #[test]
    fn explicit_needs_gateway_starts_a_new_branch() {
        let yaml = "jtype: Flow\nexecutors:\n  - name: a\n  - name: b\n    needs: gateway\n  - name: c\n    needs: [a, b]\n  - name: d\n";
        assert_eq!(
            needs_of(yaml),
            pairs(&[
                ("a", &["gateway"]),
                ("b", &["gateway"]),
                ("c", &["a", "b"]),
                ("d", &["c"])
            ])
        );
    }

    #[test]
    fn cycles_and_self_needs_are_reported_by_name() {
        let err = crate::flow::load_str(
            "jtype: Flow\nexecutors:\n  - name: a\n    needs: c\n  - name: b\n    needs: a\n  - name: c\n    needs: b\n",
            &|_| None,
        )
        .unwrap_err();
        assert_eq!(err.message(), "`needs` form a cycle: a -> b -> c -> a");
        let err = crate::flow::load_str(
            "jtype: Flow\nexecutors:\n  - name: a\n    needs: [gateway, a]\n",
            &|_| None,
        )
        .unwrap_err();
        assert_eq!(err.message(), "executor `a` needs itself");
    }

    #[test]
    fn dags_have_no_cycle() {
        let parents = vec![vec![], vec![0], vec![0], vec![1, 2]];
        assert!(find_cycle(&parents).is_none());
    }
}
