//! The proof system's parameters: BabyBear, its degree-4 extension for challenges,
//! BLAKE3 Merkle commitments and Fiat-Shamir, FRI with blowup 2, 100 queries, 16
//! bits of query grinding and 10 of batching grinding, folding by 8 per round
//! (Plonky3's high-arity benchmark setting, ~100 bits conjectured security; the
//! arity only shortens the proof: 7 rounds of Merkle paths per query instead of 20,
//! -60 KiB on a 900 KiB proof).
//!
//! BLAKE3 rather than Poseidon2: nothing verifies these proofs inside another proof,
//! so the hash needn't be arithmetic-friendly, and BLAKE3 hashes many rows per SIMD
//! call with the instructions the running CPU has (detected at run time), where
//! Plonky3's Poseidon2 vectorizes only when built for the CPU.

use p3_baby_bear::BabyBear;
use p3_blake3::Blake3;
use p3_challenger::{HashChallenger, SerializingChallenger32};
use p3_commit::ExtensionMmcs;
use p3_dft::Radix2DitParallel;
use p3_field::extension::BinomialExtensionField;
use p3_fri::{FriParameters, TwoAdicFriPcs};
use p3_merkle_tree::MerkleTreeMmcs;
use p3_symmetric::{CompressionFunctionFromHasher, SerializingHasher};
use p3_uni_stark::StarkConfig;

pub type Val = BabyBear;
pub type Challenge = BinomialExtensionField<Val, 4>;
type Hash = SerializingHasher<Blake3>;
type Compress = CompressionFunctionFromHasher<Blake3, 2, 32>;
type ValMmcs = MerkleTreeMmcs<Val, u8, Hash, Compress, 2, 32>;
type ChallengeMmcs = ExtensionMmcs<Val, Challenge, ValMmcs>;
type Challenger = SerializingChallenger32<Val, HashChallenger<u8, Blake3, 32>>;
type Dft = Radix2DitParallel<Val>;
type Pcs = TwoAdicFriPcs<Val, Dft, ValMmcs, ChallengeMmcs>;
pub type Config = StarkConfig<Pcs, Challenge, Challenger>;

pub fn config() -> Config {
    let val_mmcs = ValMmcs::new(Hash::new(Blake3), Compress::new(Blake3), 0);
    let challenge_mmcs = ChallengeMmcs::new(val_mmcs.clone());
    let fri = FriParameters::new_benchmark_high_arity(challenge_mmcs);
    let pcs = Pcs::new(Dft::default(), val_mmcs, fri);
    StarkConfig::new(pcs, Challenger::new(HashChallenger::new(alloc::vec::Vec::new(), Blake3)))
}
