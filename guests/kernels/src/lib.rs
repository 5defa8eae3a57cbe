//! The work each guest program does, as plain `no_std` functions. The guests wrap
//! them in entry points; tests and benchmarks call them natively to get the expected
//! results and the native timings.
#![no_std]

extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;

/// The n-th Fibonacci number modulo 2^64, by iteration.
pub fn fibonacci(n: u32) -> u64 {
    let (mut a, mut b) = (0u64, 1u64);
    for _ in 0..n {
        let next = a.wrapping_add(b);
        a = b;
        b = next;
    }
    a
}

/// The n-th Fibonacci number modulo 2^32, by naive recursion (exercises calls and the stack).
pub fn fibonacci_recursive(n: u32) -> u32 {
    if n < 2 {
        n
    } else {
        fibonacci_recursive(n - 1).wrapping_add(fibonacci_recursive(n - 2))
    }
}

/// Number of primes below `n` (sieve of Eratosthenes).
pub fn count_primes(n: u32) -> u32 {
    let n = n as usize;
    if n < 3 {
        return 0;
    }
    let mut composite = vec![false; n];
    let mut count = 0;
    for i in 2..n {
        if !composite[i] {
            count += 1;
            // i * i overflows a 32-bit usize for large n: compare by division.
            if i > (n - 1) / i {
                continue;
            }
            let mut j = i * i;
            while j < n {
                composite[j] = true;
                j += i;
            }
        }
    }
    count
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(data).into()
}

pub fn keccak256(data: &[u8]) -> [u8; 32] {
    use tiny_keccak::Hasher;
    let mut k = tiny_keccak::Keccak::v256();
    k.update(data);
    let mut out = [0u8; 32];
    k.finalize(&mut out);
    out
}

/// A deterministic pseudo-random sequence (xorshift32); `seed` 0 is replaced by 1.
pub fn pseudo_random(n: usize, seed: u32) -> Vec<u32> {
    let mut x = if seed == 0 { 1 } else { seed };
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        })
        .collect()
}

/// Sorts `n` pseudo-random words and returns a position-weighted checksum of the result.
pub fn sort_checksum(n: u32, seed: u32) -> u64 {
    let mut v = pseudo_random(n as usize, seed);
    v.sort_unstable();
    v.iter().enumerate().fold(0u64, |acc, (i, &x)| acc.wrapping_mul(31).wrapping_add(x as u64 ^ i as u64))
}

/// Heavy Vec/BTreeMap use: inserts, lookups, removals and growing vectors.
pub fn collections_checksum(n: u32, seed: u32) -> u64 {
    let keys = pseudo_random(n as usize, seed);
    let mut map: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for (i, &k) in keys.iter().enumerate() {
        map.entry(k % (n / 4 + 1)).or_default().push(i as u32);
    }
    let mut acc = 0u64;
    for (i, &k) in keys.iter().enumerate() {
        if i % 3 == 0 {
            if let Some(v) = map.remove(&(k % (n / 4 + 1))) {
                acc = acc.wrapping_add(v.iter().map(|&x| x as u64).sum::<u64>());
            }
        } else if let Some(v) = map.get(&(k % (n / 5 + 1))) {
            acc = acc.wrapping_mul(17).wrapping_add(v.len() as u64);
        }
    }
    for (k, v) in &map {
        acc = acc.wrapping_add(*k as u64 * v.len() as u64);
    }
    acc
}

/// Little-endian u32 argument `i` of an input, 0 where the input is too short.
pub fn arg(input: &[u8], i: usize) -> u32 {
    input.get(4 * i..4 * i + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).unwrap_or(0)
}
