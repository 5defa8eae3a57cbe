//! An ERC-20-like token: balances in storage under the account id, a total supply,
//! transfers that emit `Transfer(from, to)` events carrying the amount.
#![no_std]
#![no_main]

use rivet_guest::api::{self, AccountId};

const SUPPLY: &[u8] = b"supply";

fn balance_of(who: &AccountId) -> u128 {
    api::storage_get(who).and_then(|b| b.try_into().ok()).map(u128::from_le_bytes).unwrap_or(0)
}

fn set_balance(who: &AccountId, v: u128) {
    if v == 0 {
        api::storage_clear(who);
    } else {
        api::storage_set(who, &v.to_le_bytes());
    }
}

fn u128_at(input: &[u8], at: usize) -> Option<u128> {
    Some(u128::from_le_bytes(input.get(at..at + 16)?.try_into().ok()?))
}

fn account_at(input: &[u8], at: usize) -> Option<AccountId> {
    input.get(at..at + 32)?.try_into().ok()
}

/// Input: the total supply (u128 LE), all of it minted to the deployer.
#[no_mangle]
extern "C" fn deploy() {
    let input = api::input();
    let Some(supply) = u128_at(&input, 0) else { api::revert(b"expected the supply") };
    api::storage_set(SUPPLY, &supply.to_le_bytes());
    set_balance(&api::caller(), supply);
}

/// 0 transfer(to: [u8; 32], amount: u128); 1 balance_of(who) -> u128; 2 total_supply -> u128.
#[no_mangle]
extern "C" fn call() {
    let input = api::input();
    match input.first() {
        Some(0) => {
            let (Some(to), Some(amount)) = (account_at(&input, 1), u128_at(&input, 33)) else { api::revert(b"bad transfer arguments") };
            let from = api::caller();
            let from_balance = balance_of(&from);
            if from_balance < amount {
                api::revert(b"insufficient balance");
            }
            set_balance(&from, from_balance - amount);
            set_balance(&to, balance_of(&to) + amount);
            let topic = api::keccak_256(b"Transfer(address,address,uint256)");
            api::deposit_event(&[topic, from, to], &amount.to_le_bytes());
            api::return_value(&[])
        }
        Some(1) => {
            let Some(who) = account_at(&input, 1) else { api::revert(b"expected an account") };
            api::return_value(&balance_of(&who).to_le_bytes())
        }
        Some(2) => {
            let supply = api::storage_get(SUPPLY).unwrap_or_default();
            api::return_value(&supply)
        }
        _ => api::revert(b"unknown selector"),
    }
}

rivet_guest::entry_points!(deploy, call);
