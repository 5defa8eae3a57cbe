use polkadot_sdk::sc_cli;

#[derive(Debug, clap::Parser)]
pub struct Cli {
    #[command(subcommand)]
    pub subcommand: Option<Subcommand>,

    #[clap(flatten)]
    pub run: sc_cli::RunCmd,
}

#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
    /// Key management.
    #[command(subcommand)]
    Key(sc_cli::KeySubcommand),
    /// Write a chain spec (deprecated upstream in favour of export-chain-spec).
    BuildSpec(sc_cli::BuildSpecCmd),
    /// Export a chain spec.
    ExportChainSpec(sc_cli::ExportChainSpecCmd),
    CheckBlock(sc_cli::CheckBlockCmd),
    ExportBlocks(sc_cli::ExportBlocksCmd),
    ExportState(sc_cli::ExportStateCmd),
    ImportBlocks(sc_cli::ImportBlocksCmd),
    PurgeChain(sc_cli::PurgeChainCmd),
    Revert(sc_cli::RevertCmd),
    ChainInfo(sc_cli::ChainInfoCmd),
    /// Benchmarks (build with `--features runtime-benchmarks`).
    #[cfg(feature = "runtime-benchmarks")]
    #[command(subcommand)]
    Benchmark(polkadot_sdk::frame_benchmarking_cli::BenchmarkCmd),
}
