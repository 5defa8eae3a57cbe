use polkadot_sdk::{
    sc_cli::{self, SubstrateCli},
    sc_consensus_grandpa, sc_network, sc_service, sp_runtime,
};
use rivet_runtime::opaque::Block;

use crate::{
    chain_spec,
    cli::{Cli, Subcommand},
    service,
};

impl SubstrateCli for Cli {
    fn impl_name() -> String {
        "Rivet Node".into()
    }

    fn impl_version() -> String {
        env!("SUBSTRATE_CLI_IMPL_VERSION").into()
    }

    fn description() -> String {
        env!("CARGO_PKG_DESCRIPTION").into()
    }

    fn author() -> String {
        "Rivet developers".into()
    }

    fn support_url() -> String {
        "https://github.com/rivet-chain/rivet/issues".into()
    }

    fn copyright_start_year() -> i32 {
        2026
    }

    fn load_spec(&self, id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
        Ok(match id {
            "dev" => Box::new(chain_spec::development_chain_spec()?),
            "" | "local" => Box::new(chain_spec::local_chain_spec()?),
            path => Box::new(chain_spec::ChainSpec::from_json_file(std::path::PathBuf::from(path))?),
        })
    }
}

/// Client and import queue for the block subcommands.
fn partial(
    config: &sc_service::Configuration,
) -> Result<(service::Parts, polkadot_sdk::sc_consensus::DefaultImportQueue<Block>), sc_cli::Error> {
    let parts = service::new_parts(config)?;
    let (queue, _, _) = service::aura_import_queue(&parts, config)?;
    Ok((parts, queue))
}

pub fn run() -> sc_cli::Result<()> {
    let mut cli = Cli::from_args();
    if cli.run.shared_params.is_dev() {
        // Instant sealing proposes from the pool as soon as a transaction is imported;
        // the single-state pool has it ready then (the fork-aware one may not yet).
        cli.run.pool_config.pool_type = sc_cli::TransactionPoolType::SingleState;
    }
    match &cli.subcommand {
        Some(Subcommand::Key(cmd)) => cmd.run(&cli),
        Some(Subcommand::BuildSpec(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            #[allow(deprecated)]
            runner.sync_run(|config| cmd.run(config.chain_spec, config.network))
        }
        Some(Subcommand::ExportChainSpec(cmd)) => {
            let spec = cli.load_spec(&cmd.chain)?;
            cmd.run(spec)
        }
        Some(Subcommand::CheckBlock(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            runner.async_run(|config| {
                let (parts, queue) = partial(&config)?;
                Ok((cmd.run(parts.client, queue), parts.task_manager))
            })
        }
        Some(Subcommand::ExportBlocks(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            runner.async_run(|config| {
                let parts = service::new_parts(&config)?;
                Ok((cmd.run(parts.client, config.database), parts.task_manager))
            })
        }
        Some(Subcommand::ExportState(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            runner.async_run(|config| {
                let parts = service::new_parts(&config)?;
                Ok((cmd.run(parts.client, config.chain_spec), parts.task_manager))
            })
        }
        Some(Subcommand::ImportBlocks(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            runner.async_run(|config| {
                let (parts, queue) = partial(&config)?;
                Ok((cmd.run(parts.client, queue), parts.task_manager))
            })
        }
        Some(Subcommand::PurgeChain(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            runner.sync_run(|config| cmd.run(config.database))
        }
        Some(Subcommand::Revert(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            runner.async_run(|config| {
                let parts = service::new_parts(&config)?;
                let aux_revert = Box::new(|client, _, blocks| {
                    sc_consensus_grandpa::revert(client, blocks)?;
                    Ok(())
                });
                Ok((cmd.run(parts.client, parts.backend, Some(aux_revert)), parts.task_manager))
            })
        }
        Some(Subcommand::ChainInfo(cmd)) => {
            let runner = cli.create_runner(cmd)?;
            runner.sync_run(|config| cmd.run::<Block>(&config))
        }
        #[cfg(feature = "runtime-benchmarks")]
        Some(Subcommand::Benchmark(cmd)) => {
            use polkadot_sdk::frame_benchmarking_cli::BenchmarkCmd;
            let runner = cli.create_runner(cmd)?;
            runner.sync_run(|config| match cmd {
                BenchmarkCmd::Pallet(cmd) => {
                    cmd.run_with_spec::<sp_runtime::traits::HashingFor<Block>, service::HostFunctions>(Some(config.chain_spec))
                }
                _ => Err("only `benchmark pallet` is wired up in this node".into()),
            })
        }
        None => {
            let runner = cli.create_runner(&cli.run)?;
            runner.run_node_until_exit(|config| async move {
                match config.network.network_backend {
                    sc_network::config::NetworkBackendType::Libp2p => {
                        service::new_full::<sc_network::NetworkWorker<Block, <Block as sp_runtime::traits::Block>::Hash>>(config)
                            .map_err(sc_cli::Error::Service)
                    }
                    sc_network::config::NetworkBackendType::Litep2p => {
                        service::new_full::<sc_network::Litep2pNetworkBackend>(config).map_err(sc_cli::Error::Service)
                    }
                }
            })
        }
    }
}
