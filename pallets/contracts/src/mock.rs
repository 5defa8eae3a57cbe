//! A mock runtime with System, Balances, Timestamp and the contracts pallet, whose VM
//! backend is chosen per run (`set_backend`). Used by the tests, the FRAME benchmark
//! tests and the calls-per-second benchmark (feature `mock`).

use core::cell::Cell;

use polkadot_sdk::{
    frame_support::{self, derive_impl, parameter_types, traits::ConstU32},
    frame_system, pallet_balances, pallet_timestamp, sp_io,
    sp_runtime::{traits::IdentityLookup, AccountId32, BuildStorage},
};
use rivet_vm::{CallError, GuestInstance, Interrupt, MemoryError, Reg};

use crate::{self as pallet_rivet_contracts, Interpreter, NodeJit, VmBackend};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Balances: pallet_balances,
        Timestamp: pallet_timestamp,
        Contracts: pallet_rivet_contracts,
    }
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
    type Block = Block;
    type AccountId = AccountId32;
    type Lookup = IdentityLookup<AccountId32>;
    type AccountData = pallet_balances::AccountData<u128>;
    // Storage access costs gas in proportion (gas.rs): price it as the runtime does.
    type DbWeight = frame_support::weights::constants::RocksDbWeight;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
    type Balance = u128;
    type ExistentialDeposit = frame_support::traits::ConstU128<1>;
    type AccountStore = System;
}

impl pallet_timestamp::Config for Test {
    type Moment = u64;
    type OnTimestampSet = ();
    type MinimumPeriod = frame_support::traits::ConstU64<1>;
    type WeightInfo = ();
}

parameter_types! {
    pub const DepositPerByte: u128 = 1;
    pub const DepositPerItem: u128 = 100;
    pub const ReceiptRetention: u64 = 3;
}

impl pallet_rivet_contracts::Config for Test {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type Time = Timestamp;
    type Backend = TestBackend;
    type WeightInfo = ();
    type DepositPerByte = DepositPerByte;
    type DepositPerItem = DepositPerItem;
    type MaxCodeLen = ConstU32<{ 256 * 1024 }>;
    type MaxMemory = ConstU32<{ 1024 * 1024 }>;
    type MaxCallDepth = ConstU32<8>;
    type MaxValueLen = ConstU32<{ 16 * 1024 }>;
    type MaxEventDataLen = ConstU32<1024>;
    type MaxSaltLen = ConstU32<64>;
    type ReceiptRetention = ReceiptRetention;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    Interpreter,
    Jit,
}

thread_local! {
    static BACKEND: Cell<Which> = const { Cell::new(Which::Interpreter) };
}

pub fn set_backend(w: Which) {
    BACKEND.with(|b| b.set(w));
}

/// The backend of the current test run: the real `Interpreter` or `NodeJit`.
pub struct TestBackend;

pub enum AnyInstance {
    Interpreter(<Interpreter as VmBackend>::Instance),
    Jit(<NodeJit as VmBackend>::Instance),
}

impl VmBackend for TestBackend {
    type Instance = AnyInstance;
    fn instantiate(blob: &[u8]) -> Option<AnyInstance> {
        match BACKEND.with(|b| b.get()) {
            Which::Interpreter => Interpreter::instantiate(blob).map(AnyInstance::Interpreter),
            Which::Jit => NodeJit::instantiate(blob).map(AnyInstance::Jit),
        }
    }
}

macro_rules! delegate {
    ($self:ident, $i:ident => $e:expr) => {
        match $self {
            AnyInstance::Interpreter($i) => $e,
            AnyInstance::Jit($i) => $e,
        }
    };
}

impl GuestInstance for AnyInstance {
    fn prepare_call(&mut self, entry: &str, gas: u64) -> Result<(), CallError> {
        delegate!(self, i => i.prepare_call(entry, gas))
    }
    fn run(&mut self) -> Interrupt {
        delegate!(self, i => i.run())
    }
    fn reg(&self, r: Reg) -> u32 {
        delegate!(self, i => i.reg(r))
    }
    fn set_reg(&mut self, r: Reg, value: u32) {
        delegate!(self, i => i.set_reg(r, value))
    }
    fn registers(&self) -> [u32; 16] {
        delegate!(self, i => i.registers())
    }
    fn gas_left(&self) -> u64 {
        delegate!(self, i => i.gas_left())
    }
    fn set_gas_left(&mut self, gas: u64) {
        delegate!(self, i => i.set_gas_left(gas))
    }
    fn pc(&self) -> Option<u32> {
        delegate!(self, i => i.pc())
    }
    fn heap_top(&self) -> u32 {
        delegate!(self, i => i.heap_top())
    }
    fn sbrk(&mut self, increment: u32) -> Option<u32> {
        delegate!(self, i => i.sbrk(increment))
    }
    fn read_memory(&self, addr: u32, buf: &mut [u8]) -> Result<(), MemoryError> {
        delegate!(self, i => i.read_memory(addr, buf))
    }
    fn write_memory(&mut self, addr: u32, data: &[u8]) -> Result<(), MemoryError> {
        delegate!(self, i => i.write_memory(addr, data))
    }
}

pub const ALICE: AccountId32 = AccountId32::new([1; 32]);
pub const BOB: AccountId32 = AccountId32::new([2; 32]);
pub const CHARLIE: AccountId32 = AccountId32::new([3; 32]);
pub const POOR: AccountId32 = AccountId32::new([4; 32]);
pub const INITIAL: u128 = 1_000_000_000_000;

pub fn new_test_ext() -> sp_io::TestExternalities {
    let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
    pallet_balances::GenesisConfig::<Test> {
        balances: vec![(ALICE, INITIAL), (BOB, INITIAL), (CHARLIE, INITIAL), (POOR, 1_000)],
        ..Default::default()
    }
    .assimilate_storage(&mut t)
    .unwrap();
    let mut ext = sp_io::TestExternalities::new(t);
    ext.execute_with(|| {
        System::set_block_number(1);
        Timestamp::set_timestamp(1_700_000_000_000);
    });
    ext
}
