//! Receipts of top-level executions that failed (reverted, trapped, ran out of gas).
//!
//! FRAME runs every dispatch in a storage layer and rolls it back when the dispatch
//! returns an error, the pallet's receipt and event included, and a failed contract
//! call must return an error (clients and fees depend on it). So a failing
//! dispatchable leaves its receipt here, in memory, and the runtime's
//! [`StoreFailedReceipts`] transaction extension stores it from `post_dispatch`,
//! which runs after that rollback within the same extrinsic.
//!
//! The state a block produces must not depend on how its extrinsics were grouped
//! into runtime calls (a block author applies each in its own call, an importer runs
//! the whole block in one), so the extension empties the cell before each dispatch
//! and stores only what that dispatch left. A runtime without the extension keeps
//! only successful executions' receipts.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode};
use core::{cell::RefCell, marker::PhantomData};
use polkadot_sdk::{
    frame_support::{dispatch::DispatchInfo, weights::Weight},
    sp_runtime::{
        impl_tx_ext_default,
        traits::{DispatchInfoOf, Dispatchable, PostDispatchInfoOf, TransactionExtension},
        transaction_validity::TransactionValidityError,
        AccountId32, DispatchResult,
    },
};
use scale_info::TypeInfo;

use crate::{Config, Pallet, Receipt};

type Pending = RefCell<Vec<Receipt<AccountId32>>>;

#[cfg(feature = "std")]
std::thread_local! {
    static PENDING: Pending = const { RefCell::new(Vec::new()) };
}

#[cfg(feature = "std")]
fn with_pending<R>(f: impl FnOnce(&mut Vec<Receipt<AccountId32>>) -> R) -> R {
    PENDING.with(|p| f(&mut p.borrow_mut()))
}

#[cfg(not(feature = "std"))]
struct SingleThreaded(Pending);
// The runtime's wasm instance runs on one thread.
#[cfg(not(feature = "std"))]
unsafe impl Sync for SingleThreaded {}
#[cfg(not(feature = "std"))]
static PENDING: SingleThreaded = SingleThreaded(RefCell::new(Vec::new()));

#[cfg(not(feature = "std"))]
fn with_pending<R>(f: impl FnOnce(&mut Vec<Receipt<AccountId32>>) -> R) -> R {
    f(&mut PENDING.0.borrow_mut())
}

/// Leaves a failed execution's receipt for the transaction extension.
pub(crate) fn push(receipt: Receipt<AccountId32>) {
    with_pending(|p| p.push(receipt));
}

fn clear() {
    with_pending(|p| p.clear());
}

fn take() -> Vec<Receipt<AccountId32>> {
    with_pending(core::mem::take)
}

/// The transaction extension that keeps failed executions' receipts: put it in the
/// runtime's `TxExtension`. It carries no data, so signers (polkadot.js, subxt) need
/// not know it. Its storage writes are paid for by the contract calls themselves
/// (their weight includes storing a receipt).
#[derive(Encode, Decode, DecodeWithMemTracking, Clone, Eq, PartialEq, TypeInfo)]
#[scale_info(skip_type_params(T))]
pub struct StoreFailedReceipts<T>(PhantomData<T>);

impl<T> StoreFailedReceipts<T> {
    pub fn new() -> Self {
        Self(PhantomData)
    }
}

impl<T> Default for StoreFailedReceipts<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> core::fmt::Debug for StoreFailedReceipts<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        f.write_str("StoreFailedReceipts")
    }
}

impl<T: Config + Send + Sync> TransactionExtension<T::RuntimeCall> for StoreFailedReceipts<T>
where
    T::RuntimeCall: Dispatchable<Info = DispatchInfo>,
{
    const IDENTIFIER: &'static str = "StoreFailedReceipts";
    type Implicit = ();
    type Val = ();
    type Pre = ();

    fn weight(&self, _call: &T::RuntimeCall) -> Weight {
        Weight::zero()
    }

    fn prepare(
        self,
        _val: (),
        _origin: &polkadot_sdk::sp_runtime::traits::DispatchOriginOf<T::RuntimeCall>,
        _call: &T::RuntimeCall,
        _info: &DispatchInfoOf<T::RuntimeCall>,
        _len: usize,
    ) -> Result<(), TransactionValidityError> {
        clear();
        Ok(())
    }

    fn post_dispatch_details(
        _pre: (),
        _info: &DispatchInfoOf<T::RuntimeCall>,
        _post_info: &PostDispatchInfoOf<T::RuntimeCall>,
        _len: usize,
        _result: &DispatchResult,
    ) -> Result<Weight, TransactionValidityError> {
        store_pending::<T>();
        Ok(Weight::zero())
    }

    fn bare_validate_and_prepare(
        _call: &T::RuntimeCall,
        _info: &DispatchInfoOf<T::RuntimeCall>,
        _len: usize,
    ) -> Result<(), TransactionValidityError> {
        clear();
        Ok(())
    }

    fn bare_post_dispatch(
        _info: &DispatchInfoOf<T::RuntimeCall>,
        _post_info: &mut PostDispatchInfoOf<T::RuntimeCall>,
        _len: usize,
        _result: &DispatchResult,
    ) -> Result<(), TransactionValidityError> {
        store_pending::<T>();
        Ok(())
    }

    impl_tx_ext_default!(T::RuntimeCall; validate);
}

fn store_pending<T: Config>() {
    for receipt in take() {
        Pallet::<T>::store_receipt(receipt);
    }
}
