//! Input bytes for a guest from the command line: hex, a file, or little-endian u32s.
//! Shared by `rivet-vm run` and the `rivet` contract tool.

use std::path::PathBuf;

#[derive(clap::Args, Clone, Debug, Default)]
pub struct InputArgs {
    /// Input as hex bytes (e.g. 0a000000 or 0x0a000000).
    #[arg(long, conflicts_with_all = ["input_file", "input_u32"])]
    pub input_hex: Option<String>,
    /// Input read from a file.
    #[arg(long, conflicts_with = "input_u32")]
    pub input_file: Option<PathBuf>,
    /// Input as comma-separated little-endian u32 values (e.g. 30,7).
    #[arg(long, value_delimiter = ',')]
    pub input_u32: Option<Vec<u32>>,
}

impl InputArgs {
    /// The input bytes (empty when none was given), or a message saying what is wrong.
    pub fn bytes(&self) -> Result<Vec<u8>, String> {
        if let Some(h) = &self.input_hex {
            parse_hex(h)
        } else if let Some(f) = &self.input_file {
            std::fs::read(f).map_err(|e| format!("can't read {}: {e}", f.display()))
        } else {
            Ok(self.input_u32.iter().flatten().flat_map(|v| v.to_le_bytes()).collect())
        }
    }
}

/// The chain the development host stands in for, as the contract host calls see it.
#[derive(clap::Args, Clone, Debug)]
pub struct ChainArgs {
    /// The calling account (32 bytes in hex) [default: 0x01 repeated].
    #[arg(long, value_parser = account)]
    pub caller: Option<[u8; 32]>,
    /// The contract's own account (32 bytes in hex) [default: 0x02 repeated].
    #[arg(long, value_parser = account)]
    pub address: Option<[u8; 32]>,
    /// The contract's balance.
    #[arg(long, default_value_t = crate::DevHost::default().balance)]
    pub balance: u128,
    /// The block number.
    #[arg(long, default_value_t = crate::DevHost::default().block_number)]
    pub block_number: u64,
    /// The block's timestamp in milliseconds.
    #[arg(long, default_value_t = crate::DevHost::default().now_ms)]
    pub now_ms: u64,
}

impl ChainArgs {
    /// A development host with this chain's values and empty storage.
    pub fn host(&self) -> crate::DevHost {
        let d = crate::DevHost::default();
        crate::DevHost {
            caller: self.caller.unwrap_or(d.caller),
            address: self.address.unwrap_or(d.address),
            balance: self.balance,
            block_number: self.block_number,
            now_ms: self.now_ms,
            ..d
        }
    }
}

/// A 32-byte account id in hex.
fn account(s: &str) -> Result<[u8; 32], String> {
    parse_hex(s)?.try_into().map_err(|b: Vec<u8>| format!("an account id is 32 bytes, not {}", b.len()))
}

/// Hex digits, with or without a `0x` prefix, to bytes.
pub fn parse_hex(s: &str) -> Result<Vec<u8>, String> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    if s.len() % 2 != 0 {
        return Err("hex input has an odd number of digits".into());
    }
    (0..s.len())
        .step_by(2)
        .map(|i| {
            s.get(i..i + 2)
                .and_then(|d| u8::from_str_radix(d, 16).ok())
                .ok_or_else(|| format!("bad hex digits {:?}", s.get(i..i + 2).unwrap_or(s)))
        })
        .collect()
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_rejects_garbage() {
        assert_eq!(parse_hex("0x0aff").unwrap(), vec![0x0a, 0xff]);
        assert_eq!(hex(&parse_hex("00ab").unwrap()), "00ab");
        assert!(parse_hex("abc").unwrap_err().contains("odd"));
        assert!(parse_hex("zz").unwrap_err().contains("zz"));
        // A multi-byte character must not split a slice mid-character.
        assert!(parse_hex("é0").is_err());
    }

    #[test]
    fn u32_input_is_little_endian() {
        let a = InputArgs { input_u32: Some(vec![1, 0x0203]), ..Default::default() };
        assert_eq!(a.bytes().unwrap(), vec![1, 0, 0, 0, 3, 2, 0, 0]);
        assert_eq!(InputArgs::default().bytes().unwrap(), Vec::<u8>::new());
    }
}
