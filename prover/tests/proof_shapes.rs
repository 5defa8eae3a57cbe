//! Proofs whose structure is wrong are errors, never panics. Every list in the
//! Plonky3 proof (commitments, opened values, each query's openings and Merkle paths,
//! FRI's rounds...) is made one element shorter, one longer and empty, one list at a
//! time, and the result must be rejected without the verifier (ours or the library's)
//! indexing past what it was given.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use rivet_prover::proof::{self, Decoded};
use rivet_prover::{prove, samples, verify};
use serde_json::Value;

/// Where a list sits in the proof, as indices into the JSON tree (`Err`: a map key).
type Path = Vec<Result<usize, String>>;

/// The first and the last list of each kind, a kind being the path with list indices
/// left out: lists at the same place in different queries, rows or rounds have the
/// same shape, so those two stand for the rest.
fn lists(v: &Value, path: &mut Path, out: &mut BTreeMap<String, (Path, Path)>) {
    match v {
        Value::Array(items) => {
            let key: String = path
                .iter()
                .map(|p| match p {
                    Ok(_) => "[]".to_string(),
                    Err(k) => format!(".{k}"),
                })
                .collect();
            out.entry(key).and_modify(|(_, last)| *last = path.clone()).or_insert_with(|| (path.clone(), path.clone()));
            for (i, item) in items.iter().enumerate() {
                path.push(Ok(i));
                lists(item, path, out);
                path.pop();
            }
        }
        Value::Object(fields) => {
            for (k, item) in fields {
                path.push(Err(k.clone()));
                lists(item, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn at<'a>(v: &'a mut Value, path: &Path) -> &'a mut Vec<Value> {
    let mut v = v;
    for p in path {
        v = match p {
            Ok(i) => &mut v.as_array_mut().unwrap()[*i],
            Err(k) => v.get_mut(k.as_str()).unwrap(),
        };
    }
    v.as_array_mut().unwrap()
}

#[test]
fn proofs_with_lists_too_short_too_long_or_empty_are_errors_not_panics() {
    let blob = samples::mixed(3);
    let proved = prove(&blob, "call", 1_000_000, |_| {}).unwrap();
    let Ok(Decoded::Stark { host_clks, extra_tables, seams, proof }) = proof::decode(&proved.proof) else { panic!("a STARK") };
    let tree = serde_json::to_value(&*proof).unwrap();
    let mut groups = BTreeMap::new();
    lists(&tree, &mut Vec::new(), &mut groups);

    let mut checked = 0;
    let mut panics = Vec::new();
    let mut accepted = Vec::new();
    for (key, (first, last)) in &groups {
        let picks = if first == last { vec![first] } else { vec![first, last] };
        for path in picks {
            for change in ["shorter", "longer", "empty"] {
                let mut bad = tree.clone();
                let list = at(&mut bad, path);
                match change {
                    "shorter" if !list.is_empty() => drop(list.pop()),
                    "longer" if !list.is_empty() => list.push(list[list.len() - 1].clone()),
                    "empty" if !list.is_empty() => list.clear(),
                    _ => continue,
                }
                // Fixed-size arrays (digests, extension field elements) don't decode
                // at another length: nothing to verify.
                let Ok(bad) = serde_json::from_value(bad) else { continue };
                let bytes = proof::encode(&bad, &host_clks, &extra_tables, &seams);
                checked += 1;
                match catch_unwind(AssertUnwindSafe(|| verify(&blob, &proved.statement, &bytes))) {
                    Err(_) => panics.push(format!("{key} {change}")),
                    Ok(Ok(())) => accepted.push(format!("{key} {change}")),
                    Ok(Err(_)) => {}
                }
            }
        }
    }
    assert!(
        groups.len() > 20 && checked > 40,
        "{} kinds of list, {checked} proofs checked: the walk missed the proof's lists",
        groups.len()
    );
    assert!(panics.is_empty(), "the verifier panicked on {} of {checked} malformed proofs: {panics:#?}", panics.len());
    assert!(accepted.is_empty(), "malformed proofs accepted: {accepted:#?}");
}
