//! The host-call transcript: every host call's request and response, in order. It
//! is public: the verifier turns it into the host tables' periodic (public) columns
//! and hashes it into the proof's public values.

use alloc::{collections::BTreeMap, vec::Vec};

/// One host call: what the guest asked (t0, a0..a5) and everything the host did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostCall {
    pub number: u32,
    pub args: [u32; 6],
    /// Guest memory the host read: (address, bytes).
    pub reads: Vec<(u32, Vec<u8>)>,
    /// Guest memory the host wrote: (address, bytes).
    pub writes: Vec<(u32, Vec<u8>)>,
    /// a0 and a1 when the guest continued (or when the host ended the run).
    pub results: [u32; 2],
    /// Gas left after the host's own charges.
    pub gas_left: u64,
    /// The heap top after the call (`sbrk` moves it).
    pub heap_top: u32,
}

/// The host calls of one execution, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transcript {
    pub calls: Vec<HostCall>,
}

/// Largest transcript the verifier decodes (bytes).
pub const MAX_TRANSCRIPT_BYTES: usize = 16 << 20;

/// One word of guest memory a host call touched: which bytes it read (and their
/// values) and which it wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WordAccess {
    pub call: usize,
    pub word: u32,
    pub read_mask: [bool; 4],
    pub read: [u8; 4],
    pub write_mask: [bool; 4],
    pub written: [u8; 4],
}

impl Transcript {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let u32s = |out: &mut Vec<u8>, v: u32| out.extend_from_slice(&v.to_le_bytes());
        u32s(&mut out, self.calls.len() as u32);
        for c in &self.calls {
            u32s(&mut out, c.number);
            c.args.iter().for_each(|&a| u32s(&mut out, a));
            for ranges in [&c.reads, &c.writes] {
                u32s(&mut out, ranges.len() as u32);
                for (addr, bytes) in ranges {
                    u32s(&mut out, *addr);
                    u32s(&mut out, bytes.len() as u32);
                    out.extend_from_slice(bytes);
                }
            }
            c.results.iter().for_each(|&a| u32s(&mut out, a));
            out.extend_from_slice(&c.gas_left.to_le_bytes());
            u32s(&mut out, c.heap_top);
        }
        out
    }

    /// Decodes `to_bytes`' output from the front of `bytes`; returns it and its length.
    pub fn from_bytes(bytes: &[u8]) -> Option<(Transcript, usize)> {
        if bytes.len() > MAX_TRANSCRIPT_BYTES {
            return None;
        }
        let mut r = Reader { bytes, at: 0 };
        let count = r.u32()? as usize;
        // Every call takes at least 56 bytes: a bound before allocating.
        if count > bytes.len() / 56 + 1 {
            return None;
        }
        let mut calls = Vec::with_capacity(count);
        for _ in 0..count {
            let mut c = HostCall { number: r.u32()?, ..Default::default() };
            for a in c.args.iter_mut() {
                *a = r.u32()?;
            }
            for which in 0..2 {
                let n = r.u32()? as usize;
                let mut ranges = Vec::new();
                for _ in 0..n {
                    let addr = r.u32()?;
                    let len = r.u32()? as usize;
                    ranges.push((addr, r.take(len)?.to_vec()));
                }
                if which == 0 {
                    c.reads = ranges;
                } else {
                    c.writes = ranges;
                }
            }
            c.results = [r.u32()?, r.u32()?];
            c.gas_left = u64::from_le_bytes(r.take(8)?.try_into().ok()?);
            c.heap_top = r.u32()?;
            calls.push(c);
        }
        Some((Transcript { calls }, r.at))
    }

    /// The words each call read or wrote, by call then word. `None` if a range wraps
    /// around the address space.
    pub fn word_accesses(&self) -> Option<Vec<WordAccess>> {
        let mut out = Vec::new();
        for (k, c) in self.calls.iter().enumerate() {
            let mut words: BTreeMap<u32, WordAccess> = BTreeMap::new();
            for (write, ranges) in [(false, &c.reads), (true, &c.writes)] {
                for (addr, bytes) in ranges {
                    for (i, &b) in bytes.iter().enumerate() {
                        let a = addr.checked_add(i as u32)?;
                        let w = words.entry(a >> 2).or_insert(WordAccess { call: k, word: a >> 2, ..Default::default() });
                        let j = (a & 3) as usize;
                        if write {
                            w.write_mask[j] = true;
                            w.written[j] = b;
                        } else if !w.read_mask[j] {
                            w.read_mask[j] = true;
                            w.read[j] = b;
                        }
                    }
                }
            }
            out.extend(words.into_values());
        }
        Some(out)
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
}
