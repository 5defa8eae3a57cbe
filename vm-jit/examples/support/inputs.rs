//! The inputs `rivet-vm-bench --quick` runs the guest programs with.

pub fn quick_input(program: &str) -> Vec<u8> {
    let u32s = |v: &[u32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    match program {
        "sha256" | "keccak" => (0..(1u32 << 16)).map(|i| (i * 7) as u8).collect(),
        "fibonacci" => u32s(&[5_000_000 / 16]),
        "sieve" => u32s(&[4_000_000 / 16]),
        "sort" => u32s(&[400_000 / 16, 9]),
        "collections" => u32s(&[100_000 / 16, 9]),
        other => panic!("no input for {other}"),
    }
}
