//! The audit log as a Certificate Transparency Merkle tree (RFC 6962 §2.1):
//! leaf `SHA-256(0x00 ‖ canonical bytes)`, node `SHA-256(0x01 ‖ left ‖ right)`.
//!
//! The proof math is `tlog_tiles`, a port of Go's `golang.org/x/mod/sumdb/tlog`
//! (the checksum database behind every `go get`): it stores each complete
//! subtree's hash once, at a dense index, and computes roots, inclusion and
//! consistency proofs by reading only the O(log n) stored hashes they need —
//! so nothing here loads the whole log. Verifiers that stream the events
//! keep a [`Frontier`] instead.

pub use tlog_tiles::{Hash, HashReader};

/// The root of the empty tree: SHA-256 of nothing.
pub const EMPTY_ROOT: Hash = tlog_tiles::EMPTY_HASH;

pub fn leaf_hash(canonical: &[u8]) -> Hash {
    tlog_tiles::record_hash(canonical)
}

/// Where the hashes written with leaf `index` start (they are stored at
/// consecutive indexes from here).
pub fn stored_index(index: u64) -> u64 {
    tlog_tiles::stored_hash_index(0, index)
}

/// The hashes to store when leaf `index` is appended: its leaf hash, then
/// the subtrees it completes. Reads at most log₂ n earlier hashes.
pub fn hashes_to_store<R: HashReader>(
    index: u64,
    leaf: Hash,
    stored: &R,
) -> Result<Vec<Hash>, tlog_tiles::Error> {
    tlog_tiles::stored_hashes_for_record_hash(index, leaf, stored)
}

pub fn root<R: HashReader>(size: u64, stored: &R) -> Result<Hash, tlog_tiles::Error> {
    tlog_tiles::tree_hash(size, stored)
}

/// The audit path of leaf `index` in the tree of `size` leaves, leaf first.
pub fn inclusion_proof<R: HashReader>(
    index: u64,
    size: u64,
    stored: &R,
) -> Result<Vec<Hash>, tlog_tiles::Error> {
    tlog_tiles::prove_record(size, index, stored)
}

/// The proof that the tree of `from` leaves is a prefix of the tree of `to`.
/// Empty when `from` is 0 (every tree extends the empty one) or `to`.
pub fn consistency_proof<R: HashReader>(
    from: u64,
    to: u64,
    stored: &R,
) -> Result<Vec<Hash>, tlog_tiles::Error> {
    if from == 0 && to > 0 {
        return Ok(Vec::new());
    }
    tlog_tiles::prove_tree(to, from, stored)
}

/// Whether `proof` shows leaf `index` with hash `leaf` in the tree of
/// `size` leaves whose root is `root`.
pub fn check_inclusion(proof: &[Hash], index: u64, size: u64, leaf: Hash, root: Hash) -> bool {
    index < size && tlog_tiles::check_record(&proof.to_vec(), size, root, index, leaf).is_ok()
}

/// Whether `proof` shows the tree (`from`, `from_root`) to be a prefix of
/// the tree (`to`, `to_root`).
pub fn check_consistency(
    proof: &[Hash],
    from: u64,
    from_root: Hash,
    to: u64,
    to_root: Hash,
) -> bool {
    match (from, to) {
        (0, _) => from_root == EMPTY_ROOT && proof.is_empty(),
        (from, to) if from > to => false,
        _ => tlog_tiles::check_tree(&proof.to_vec(), to, to_root, from, from_root).is_ok(),
    }
}

pub fn to_hex(hash: &Hash) -> String {
    hex::encode(hash.0)
}

pub fn from_hex(text: &str) -> Option<Hash> {
    let bytes = hex::decode(text).ok()?;
    Some(Hash(bytes.try_into().ok()?))
}

/// The right edge of a tree being built leaf by leaf: one hash per complete
/// subtree (one per set bit of the size, largest first), so a verifier
/// streaming a million events holds twenty hashes.
#[derive(Debug, Clone, Default)]
pub struct Frontier {
    size: u64,
    peaks: Vec<Hash>,
}

impl Frontier {
    pub fn push(&mut self, leaf: Hash) {
        let mut hash = leaf;
        let mut size = self.size;
        // Each trailing one bit of the size is a subtree this leaf completes.
        while size & 1 == 1 {
            let Some(left) = self.peaks.pop() else { break };
            hash = tlog_tiles::node_hash(left, hash);
            size >>= 1;
        }
        self.peaks.push(hash);
        self.size += 1;
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn root(&self) -> Hash {
        let mut peaks = self.peaks.iter().rev();
        match peaks.next() {
            None => EMPTY_ROOT,
            Some(&last) => peaks.fold(last, |right, &left| tlog_tiles::node_hash(left, right)),
        }
    }
}

/// Stored hashes in memory, indexed densely: what the database keeps, for
/// tests and for building a tree from an export.
#[derive(Debug, Default)]
pub struct MemoryTree {
    hashes: Vec<Hash>,
    size: u64,
}

impl MemoryTree {
    pub fn push(&mut self, leaf: Hash) {
        // Reading only earlier hashes cannot fail here.
        if let Ok(new) = hashes_to_store(self.size, leaf, self) {
            self.hashes.extend(new);
            self.size += 1;
        }
    }

    pub fn size(&self) -> u64 {
        self.size
    }
}

impl HashReader for MemoryTree {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|&i| {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| self.hashes.get(i).copied())
                    .ok_or(tlog_tiles::Error::IndexesNotInTree)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The leaves of the Certificate Transparency reference tests
    /// (google/certificate-transparency, merkle_tree_test; also in RFC 6962
    /// test suites of every CT implementation).
    const CT_LEAVES: [&str; 8] = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ];
    /// Their roots for sizes 0..=8.
    const CT_ROOTS: [&str; 9] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    fn h(text: &str) -> Hash {
        from_hex(text).unwrap()
    }

    fn reference_tree() -> (MemoryTree, Vec<Hash>) {
        let mut tree = MemoryTree::default();
        let mut leaves = Vec::new();
        for leaf in CT_LEAVES {
            let leaf = leaf_hash(&hex::decode(leaf).unwrap());
            tree.push(leaf);
            leaves.push(leaf);
        }
        (tree, leaves)
    }

    #[test]
    fn roots_match_the_rfc_6962_reference_vectors() {
        let (tree, leaves) = reference_tree();
        let mut frontier = Frontier::default();
        assert_eq!(to_hex(&frontier.root()), CT_ROOTS[0]);
        for (size, leaf) in (1..).zip(&leaves) {
            frontier.push(*leaf);
            assert_eq!(
                to_hex(&frontier.root()),
                CT_ROOTS[size as usize],
                "size {size}"
            );
            assert_eq!(to_hex(&root(size, &tree).unwrap()), CT_ROOTS[size as usize]);
        }
    }

    #[test]
    fn proofs_match_the_reference_vectors() {
        let (tree, leaves) = reference_tree();
        let inclusion = [
            (
                0,
                8,
                vec![
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                5,
                8,
                vec![
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
        ];
        for (index, size, expected) in inclusion {
            let proof = inclusion_proof(index, size, &tree).unwrap();
            let proof_hex: Vec<String> = proof.iter().map(to_hex).collect();
            assert_eq!(proof_hex, expected, "inclusion of {index} in {size}");
            let root = h(CT_ROOTS[size as usize]);
            assert!(check_inclusion(
                &proof,
                index,
                size,
                leaves[index as usize],
                root
            ));
        }
        let consistency = [
            (
                2,
                8,
                vec![
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                6,
                8,
                vec![
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
        ];
        for (from, to, expected) in consistency {
            let proof = consistency_proof(from, to, &tree).unwrap();
            let proof_hex: Vec<String> = proof.iter().map(to_hex).collect();
            assert_eq!(proof_hex, expected, "consistency {from}..{to}");
            let (a, b) = (h(CT_ROOTS[from as usize]), h(CT_ROOTS[to as usize]));
            assert!(check_consistency(&proof, from, a, to, b));
            assert!(!check_consistency(&proof, from, b, to, a));
        }
    }

    fn tree_of(n: u64) -> (MemoryTree, Vec<Hash>, Vec<Hash>) {
        let mut tree = MemoryTree::default();
        let mut frontier = Frontier::default();
        let mut leaves = Vec::new();
        let mut roots = vec![EMPTY_ROOT];
        for i in 0..n {
            let leaf = leaf_hash(format!("event {i}").as_bytes());
            tree.push(leaf);
            frontier.push(leaf);
            leaves.push(leaf);
            roots.push(frontier.root());
        }
        (tree, leaves, roots)
    }

    #[test]
    fn every_proof_verifies_for_every_size_up_to_a_few_hundred() {
        let (tree, leaves, roots) = tree_of(260);
        for size in 1..=260u64 {
            assert_eq!(root(size, &tree).unwrap(), roots[size as usize]);
            for index in 0..size {
                let proof = inclusion_proof(index, size, &tree).unwrap();
                let leaf = leaves[index as usize];
                assert!(check_inclusion(
                    &proof,
                    index,
                    size,
                    leaf,
                    roots[size as usize]
                ));
            }
            for from in 0..=size {
                let proof = consistency_proof(from, size, &tree).unwrap();
                let (a, b) = (roots[from as usize], roots[size as usize]);
                assert!(
                    check_consistency(&proof, from, a, size, b),
                    "{from}..{size}"
                );
            }
        }
    }

    proptest! {
        /// Any changed byte, a wrong index or a wrong size fails the proof.
        #[test]
        fn tampered_proofs_fail(
            size in 2u64..2000,
            pick in any::<u64>(),
            byte in 0usize..32,
            bit in 0u8..8,
        ) {
            let (tree, leaves, roots) = tree_of(size);
            let index = pick % size;
            let root = roots[size as usize];
            let mut proof = inclusion_proof(index, size, &tree).unwrap();
            let leaf = leaves[index as usize];
            prop_assert!(check_inclusion(&proof, index, size, leaf, root));
            prop_assert!(!check_inclusion(&proof, (index + 1) % size, size, leaf, root));
            prop_assert!(!check_inclusion(&proof, index, size, leaves[((index + 1) % size) as usize], root));
            prop_assert!(!check_inclusion(&proof, index, size, leaf, roots[size as usize - 1]));
            let slot = (pick as usize) % proof.len();
            proof[slot].0[byte] ^= 1 << bit;
            prop_assert!(!check_inclusion(&proof, index, size, leaf, root));

            let from = 1 + pick % (size - 1);
            let mut proof = consistency_proof(from, size, &tree).unwrap();
            let old = roots[from as usize];
            prop_assert!(check_consistency(&proof, from, old, size, root));
            prop_assert!(!check_consistency(&proof, from, roots[from as usize - 1], size, root));
            let slot = (pick as usize) % proof.len();
            proof[slot].0[byte] ^= 1 << bit;
            prop_assert!(!check_consistency(&proof, from, old, size, root));
        }
    }

    #[test]
    fn a_large_tree_with_a_ragged_edge_proves() {
        // A size with several set bits: the right edge is made of subtrees
        // of different heights.
        let (tree, leaves, roots) = tree_of(1 << 12 | 1 << 7 | 3);
        let size = tree.size();
        let proof = inclusion_proof(size - 1, size, &tree).unwrap();
        assert!(check_inclusion(
            &proof,
            size - 1,
            size,
            leaves[size as usize - 1],
            roots[size as usize]
        ));
        let proof = consistency_proof(1 << 12, size, &tree).unwrap();
        assert!(check_consistency(
            &proof,
            1 << 12,
            roots[1 << 12],
            size,
            roots[size as usize]
        ));
    }
}
