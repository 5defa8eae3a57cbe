//! The node's service: a full client on the wasm runtime with Rivet's VM host
//! functions, and either instant sealing (`--dev`: a block as soon as a transaction
//! arrives, finalized at once) or Aura + GRANDPA (every other chain).

use std::{sync::Arc, time::Duration};

use futures::FutureExt;
use polkadot_sdk::{
    sc_basic_authorship,
    sc_client_api::{Backend, BlockBackend, StorageProvider},
    sc_consensus,
    sc_consensus_aura::{self, ImportQueueParams, SlotProportion, StartAuraParams},
    sc_consensus_grandpa::{self, SharedVoterState},
    sc_consensus_manual_seal::{self, consensus::aura::AuraConsensusDataProvider},
    sc_executor, sc_network, sc_offchain,
    sc_service::{self, error::Error as ServiceError, Configuration, TaskManager, WarpSyncConfig},
    sc_telemetry::{Telemetry, TelemetryWorker},
    sc_transaction_pool,
    sc_transaction_pool_api::OffchainTransactionPoolFactory,
    sp_consensus_aura::{self, sr25519::AuthorityPair as AuraPair, SlotDuration},
    sp_core::storage::StorageKey,
    sp_io, sp_runtime, sp_timestamp,
};
use rivet_runtime::{apis::RuntimeApi, opaque::Block};

/// The host functions the runtime may call: Substrate's and Rivet's VM (contracts run
/// on the node's JIT through them).
pub type HostFunctions = (sp_io::SubstrateHostFunctions, rivet_vm_runtime_interface::guest_vm::HostFunctions);

pub(crate) type FullClient = sc_service::TFullClient<Block, RuntimeApi, sc_executor::WasmExecutor<HostFunctions>>;
type FullBackend = sc_service::TFullBackend<Block>;
type FullSelectChain = sc_consensus::LongestChain<FullBackend, Block>;
type FullPool = sc_transaction_pool::TransactionPoolHandle<Block, FullClient>;

const GRANDPA_JUSTIFICATION_PERIOD: u32 = 512;

pub struct Parts {
    pub client: Arc<FullClient>,
    pub backend: Arc<FullBackend>,
    pub task_manager: TaskManager,
    pub keystore_container: sc_service::KeystoreContainer,
    pub select_chain: FullSelectChain,
    pub transaction_pool: Arc<FullPool>,
    pub telemetry: Option<Telemetry>,
}

/// Client, backend, pool: what every mode and subcommand needs.
pub fn new_parts(config: &Configuration) -> Result<Parts, ServiceError> {
    let telemetry = config
        .telemetry_endpoints
        .clone()
        .filter(|x| !x.is_empty())
        .map(|endpoints| -> Result<_, polkadot_sdk::sc_telemetry::Error> {
            let worker = TelemetryWorker::new(16)?;
            let telemetry = worker.handle().new_telemetry(endpoints);
            Ok((worker, telemetry))
        })
        .transpose()?;
    let executor = sc_service::new_wasm_executor::<HostFunctions>(&config.executor);
    let (client, backend, keystore_container, task_manager) =
        sc_service::new_full_parts::<Block, RuntimeApi, _>(config, telemetry.as_ref().map(|(_, t)| t.handle()), executor, Vec::new())?;
    let client = Arc::new(client);
    let telemetry = telemetry.map(|(worker, telemetry)| {
        task_manager.spawn_handle().spawn("telemetry", None, worker.run());
        telemetry
    });
    let select_chain = sc_consensus::LongestChain::new(backend.clone());
    let transaction_pool = Arc::from(
        sc_transaction_pool::Builder::new(task_manager.spawn_essential_handle(), client.clone(), config.role.is_authority().into())
            .with_options(config.transaction_pool.clone())
            .with_prometheus(config.prometheus_registry())
            .build(),
    );
    Ok(Parts { client, backend, task_manager, keystore_container, select_chain, transaction_pool, telemetry })
}

/// The import queue of the Aura + GRANDPA chains (and of the block subcommands).
pub fn aura_import_queue(
    parts: &Parts,
    config: &Configuration,
) -> Result<
    (
        sc_consensus::DefaultImportQueue<Block>,
        sc_consensus_grandpa::GrandpaBlockImport<FullBackend, Block, FullClient, FullSelectChain>,
        sc_consensus_grandpa::LinkHalf<Block, FullClient, FullSelectChain>,
    ),
    ServiceError,
> {
    let (grandpa_block_import, grandpa_link) = sc_consensus_grandpa::block_import(
        parts.client.clone(),
        GRANDPA_JUSTIFICATION_PERIOD,
        &parts.client,
        parts.select_chain.clone(),
        parts.telemetry.as_ref().map(|x| x.handle()),
    )?;
    let cidp_client = parts.client.clone();
    let import_queue = sc_consensus_aura::import_queue::<AuraPair, _, _, _, _, _>(ImportQueueParams {
        block_import: grandpa_block_import.clone(),
        justification_import: Some(Box::new(grandpa_block_import.clone())),
        client: parts.client.clone(),
        create_inherent_data_providers: move |parent_hash, _| {
            let cidp_client = cidp_client.clone();
            async move {
                let slot_duration = sc_consensus_aura::standalone::slot_duration_at(&*cidp_client, parent_hash)?;
                let timestamp = sp_timestamp::InherentDataProvider::from_system_time();
                let slot = sp_consensus_aura::inherents::InherentDataProvider::from_timestamp_and_slot_duration(*timestamp, slot_duration);
                Ok((slot, timestamp))
            }
        },
        spawner: &parts.task_manager.spawn_essential_handle(),
        registry: config.prometheus_registry(),
        check_for_equivocation: Default::default(),
        telemetry: parts.telemetry.as_ref().map(|x| x.handle()),
        compatibility_mode: Default::default(),
    })?;
    Ok((import_queue, grandpa_block_import, grandpa_link))
}

/// The timestamp of block `parent` (pallet_timestamp's `Now`), if it has one.
fn parent_timestamp(client: &FullClient, parent: <Block as sp_runtime::traits::Block>::Hash) -> Option<u64> {
    let mut key = sp_io::hashing::twox_128(b"Timestamp").to_vec();
    key.extend_from_slice(&sp_io::hashing::twox_128(b"Now"));
    let data = client.storage(parent, &StorageKey(key)).ok()??;
    let bytes: [u8; 8] = data.0.get(..8)?.try_into().ok()?;
    Some(u64::from_le_bytes(bytes))
}

/// Starts the node: instant sealing on a development chain, Aura + GRANDPA otherwise.
pub fn new_full<N: sc_network::NetworkBackend<Block, <Block as sp_runtime::traits::Block>::Hash>>(
    config: Configuration,
) -> Result<TaskManager, ServiceError> {
    let instant_seal = config.chain_spec.chain_type() == sc_service::ChainType::Development;
    if !rivet_vm_runtime_interface::jit_supported() {
        // Weights are benchmarked on the JIT: the interpreter computes the same
        // results, but a block full of contract work takes it longer than its slot.
        log::warn!(
            "Contracts run on the interpreter: the JIT needs x86-64 Linux. Results are the same, execution is slower than the chain's weights assume{}",
            if config.role.is_authority() { "; as a validator this node may miss its slots when blocks are full of contract calls" } else { "" }
        );
    }
    let mut parts = new_parts(&config)?;

    let mut net_config = sc_network::config::FullNetworkConfiguration::<Block, <Block as sp_runtime::traits::Block>::Hash, N>::new(
        &config.network,
        config.prometheus_registry().cloned(),
    );
    let metrics = N::register_notification_metrics(config.prometheus_registry());

    let (import_queue, aura_parts) = if instant_seal {
        let queue = sc_consensus_manual_seal::import_queue(
            Box::new(parts.client.clone()),
            &parts.task_manager.spawn_essential_handle(),
            config.prometheus_registry(),
        );
        (queue, None)
    } else {
        let (queue, block_import, link) = aura_import_queue(&parts, &config)?;
        (queue, Some((block_import, link)))
    };

    // GRANDPA's network protocol, where GRANDPA runs.
    let genesis_hash = parts.client.block_hash(0).ok().flatten().ok_or_else(|| ServiceError::Other("no genesis block".into()))?;
    let grandpa_protocol_name = sc_consensus_grandpa::protocol_standard_name(&genesis_hash, &config.chain_spec);
    let mut grandpa_notification_service = None;
    let mut warp_sync_config = None;
    if let Some((_, link)) = &aura_parts {
        let (grandpa_protocol_config, service) = sc_consensus_grandpa::grandpa_peers_set_config::<_, N>(
            grandpa_protocol_name.clone(),
            metrics.clone(),
            net_config.peer_store_handle(),
        );
        net_config.add_notification_protocol(grandpa_protocol_config);
        grandpa_notification_service = Some(service);
        let warp_sync = Arc::new(sc_consensus_grandpa::warp_proof::NetworkProvider::new(
            parts.backend.clone(),
            link.shared_authority_set().clone(),
            Vec::default(),
        ));
        warp_sync_config = Some(WarpSyncConfig::WithProvider(warp_sync));
    }

    let (network, system_rpc_tx, tx_handler_controller, sync_service, _bitswap) =
        sc_service::build_network(sc_service::BuildNetworkParams {
            config: &config,
            net_config,
            client: parts.client.clone(),
            transaction_pool: parts.transaction_pool.clone(),
            spawn_handle: parts.task_manager.spawn_handle(),
            spawn_essential_handle: parts.task_manager.spawn_essential_handle(),
            gap_sync_body_policy: None,
            import_queue,
            block_announce_validator_builder: None,
            warp_sync_config,
            block_relay: None,
            metrics,
        })?;

    if config.offchain_worker.enabled {
        let offchain_workers = sc_offchain::OffchainWorkers::new(sc_offchain::OffchainWorkerOptions {
            runtime_api_provider: parts.client.clone(),
            is_validator: config.role.is_authority(),
            keystore: Some(parts.keystore_container.keystore()),
            offchain_db: parts.backend.offchain_storage(),
            transaction_pool: Some(OffchainTransactionPoolFactory::new(parts.transaction_pool.clone())),
            network_provider: Arc::new(network.clone()),
            enable_http_requests: true,
            custom_extensions: |_| vec![],
        })?;
        parts.task_manager.spawn_handle().spawn(
            "offchain-workers-runner",
            "offchain-worker",
            offchain_workers.run(parts.client.clone(), parts.task_manager.spawn_handle()).boxed(),
        );
    }

    let role = config.role;
    let force_authoring = config.force_authoring;
    let name = config.network.node_name.clone();
    let enable_grandpa = !config.disable_grandpa;
    let prometheus_registry = config.prometheus_registry().cloned();

    let rpc_builder = {
        let client = parts.client.clone();
        let pool = parts.transaction_pool.clone();
        Box::new(move |_| {
            let deps = crate::rpc::FullDeps { client: client.clone(), pool: pool.clone() };
            crate::rpc::create_full(deps).map_err(Into::into)
        })
    };

    let _rpc_handlers = sc_service::spawn_tasks(sc_service::SpawnTasksParams {
        network: Arc::new(network.clone()),
        client: parts.client.clone(),
        keystore: parts.keystore_container.keystore(),
        task_manager: &mut parts.task_manager,
        transaction_pool: parts.transaction_pool.clone(),
        rpc_builder,
        backend: parts.backend.clone(),
        system_rpc_tx,
        tx_handler_controller,
        sync_service: sync_service.clone(),
        config,
        telemetry: parts.telemetry.as_mut(),
        tracing_execute_block: None,
    })?;

    let slot_duration = sc_consensus_aura::slot_duration(&*parts.client)?;
    if instant_seal {
        start_instant_seal(&parts, prometheus_registry.as_ref(), slot_duration);
        return Ok(parts.task_manager);
    }
    let Some((block_import, grandpa_link)) = aura_parts else { unreachable!("set for every non-development chain") };

    if role.is_authority() {
        let proposer_factory = sc_basic_authorship::ProposerFactory::new(
            parts.task_manager.spawn_handle(),
            parts.client.clone(),
            parts.transaction_pool.clone(),
            prometheus_registry.as_ref(),
            parts.telemetry.as_ref().map(|x| x.handle()),
        );
        let aura = sc_consensus_aura::start_aura::<AuraPair, _, _, _, _, _, _, _, _, _, _>(StartAuraParams {
            slot_duration,
            client: parts.client.clone(),
            select_chain: parts.select_chain.clone(),
            block_import,
            proposer_factory,
            create_inherent_data_providers: move |_, ()| async move {
                let timestamp = sp_timestamp::InherentDataProvider::from_system_time();
                let slot = sp_consensus_aura::inherents::InherentDataProvider::from_timestamp_and_slot_duration(*timestamp, slot_duration);
                Ok((slot, timestamp))
            },
            force_authoring,
            backoff_authoring_blocks: Option::<()>::None,
            keystore: parts.keystore_container.keystore(),
            sync_oracle: sync_service.clone(),
            justification_sync_link: sync_service.clone(),
            block_proposal_slot_portion: SlotProportion::new(2f32 / 3f32),
            max_block_proposal_slot_portion: None,
            telemetry: parts.telemetry.as_ref().map(|x| x.handle()),
            compatibility_mode: Default::default(),
        })?;
        parts.task_manager.spawn_essential_handle().spawn_blocking("aura", Some("block-authoring"), aura);
    }

    if enable_grandpa {
        let keystore = if role.is_authority() { Some(parts.keystore_container.keystore()) } else { None };
        let grandpa_config = sc_consensus_grandpa::Config {
            gossip_duration: Duration::from_millis(333),
            justification_generation_period: GRANDPA_JUSTIFICATION_PERIOD,
            name: Some(name),
            observer_enabled: false,
            keystore,
            local_role: role,
            telemetry: parts.telemetry.as_ref().map(|x| x.handle()),
            protocol_name: grandpa_protocol_name,
        };
        let notification_service =
            grandpa_notification_service.ok_or_else(|| ServiceError::Other("GRANDPA protocol not configured".into()))?;
        let grandpa_params = sc_consensus_grandpa::GrandpaParams {
            config: grandpa_config,
            link: grandpa_link,
            network,
            sync: Arc::new(sync_service),
            notification_service,
            voting_rule: sc_consensus_grandpa::VotingRulesBuilder::default().build(),
            prometheus_registry,
            shared_voter_state: SharedVoterState::empty(),
            telemetry: parts.telemetry.as_ref().map(|x| x.handle()),
            offchain_tx_pool_factory: OffchainTransactionPoolFactory::new(parts.transaction_pool.clone()),
        };
        parts.task_manager.spawn_essential_handle().spawn_blocking(
            "grandpa-voter",
            None,
            sc_consensus_grandpa::run_grandpa_voter(grandpa_params)?,
        );
    }
    Ok(parts.task_manager)
}

/// A block as soon as a transaction arrives, finalized at once; and, every half
/// second, one more if transactions are still waiting (a transaction imported while a
/// block was being built would otherwise wait for the next one). Each block's
/// timestamp is at least one slot after its parent's (Aura needs a new slot per
/// block), and never behind the wall clock — also after a restart.
fn start_instant_seal(
    parts: &Parts,
    registry: Option<&polkadot_sdk::substrate_prometheus_endpoint::Registry>,
    slot_duration: SlotDuration,
) {
    use futures::StreamExt;
    use polkadot_sdk::{sc_consensus_manual_seal::EngineCommand, sc_transaction_pool_api::TransactionPool};

    let proposer = sc_basic_authorship::ProposerFactory::new(
        parts.task_manager.spawn_handle(),
        parts.client.clone(),
        parts.transaction_pool.clone(),
        registry,
        parts.telemetry.as_ref().map(|x| x.handle()),
    );
    let pool = parts.transaction_pool.clone();
    let imported = pool.import_notification_stream().map(|_| ());
    let waiting = futures::stream::unfold(pool.clone(), |pool| async move {
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            if pool.status().ready > 0 {
                return Some(((), pool));
            }
        }
    });
    let commands_stream = futures::stream::select(imported, Box::pin(waiting)).map(|()| EngineCommand::SealNewBlock {
        create_empty: false,
        finalize: true,
        parent_hash: None,
        sender: None,
    });
    let client = parts.client.clone();
    let params = sc_consensus_manual_seal::ManualSealParams {
        block_import: parts.client.clone(),
        env: proposer,
        client: parts.client.clone(),
        pool,
        commands_stream,
        select_chain: parts.select_chain.clone(),
        consensus_data_provider: Some(Box::new(AuraConsensusDataProvider::new_with_slot_duration(slot_duration))),
        create_inherent_data_providers: move |parent, ()| {
            let client = client.clone();
            async move {
                let now = sp_timestamp::Timestamp::current().as_millis();
                let after_parent = parent_timestamp(&client, parent).map_or(0, |t| t + slot_duration.as_millis());
                // Only the timestamp: the Aura digest comes from the consensus data
                // provider, and manual seal counts inherent data providers to tell an
                // empty block (a slot provider would make every block look empty).
                Ok(sp_timestamp::InherentDataProvider::new(now.max(after_parent).into()))
            }
        },
    };
    parts.task_manager.spawn_essential_handle().spawn_blocking("instant-seal", None, sc_consensus_manual_seal::run_manual_seal(params));
}
