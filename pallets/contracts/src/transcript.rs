//! The host-call transcript of an execution, kept as a hash chain: for each host call
//! in order, `h' = blake2_256(h ++ SCALE(number, args, reads, writes, results))`,
//! starting from 32 zero bytes. `reads` are the guest-memory ranges the host read
//! (address and bytes), `writes` those it wrote, `results` a0 and a1 afterwards.
//! This binds every value the host fed into the guest, so a prover can take the
//! responses as given and check only the guest's own computation.

use alloc::vec::Vec;
use codec::Encode;
use polkadot_sdk::sp_io::hashing::blake2_256;

#[derive(Default)]
pub struct Transcript {
    hash: [u8; 32],
    entry: Option<Entry>,
}

#[derive(Encode, Default)]
struct Entry {
    number: u32,
    args: [u32; 6],
    reads: Vec<(u32, Vec<u8>)>,
    writes: Vec<(u32, Vec<u8>)>,
    results: [u32; 2],
}

impl Transcript {
    /// A host call starts.
    pub fn begin(&mut self, number: u32, args: [u32; 6]) {
        self.entry = Some(Entry { number, args, ..Default::default() });
    }

    pub fn read(&mut self, addr: u32, data: &[u8]) {
        if let Some(e) = &mut self.entry {
            e.reads.push((addr, data.to_vec()));
        }
    }

    pub fn write(&mut self, addr: u32, data: &[u8]) {
        if let Some(e) = &mut self.entry {
            e.writes.push((addr, data.to_vec()));
        }
    }

    /// The host call ends with these a0, a1 (for calls that don't return, what the
    /// registers held).
    pub fn end(&mut self, results: [u32; 2]) {
        if let Some(mut e) = self.entry.take() {
            e.results = results;
            let mut buf = Vec::with_capacity(64);
            buf.extend_from_slice(&self.hash);
            e.encode_to(&mut buf);
            self.hash = blake2_256(&buf);
        }
    }

    pub fn hash(&self) -> [u8; 32] {
        self.hash
    }
}
