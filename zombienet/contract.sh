#!/usr/bin/env bash
# Run by network.zndsl on a node. `deploy PORT`: instantiate the contract in
# $RIVET_ZN_BLOB through that node and bump it once (count 5 -> 6). `read PORT`: the
# count read back through that node must be 6 (retried while the block propagates).
# The contract's address travels between steps in $RIVET_ZN_STATE/contract.
set -euo pipefail
step="$1"
url="ws://127.0.0.1:$2"
rivet="${RIVET_BIN:-rivet}"
case "$step" in
    deploy)
        out=$("$rivet" instantiate "$RIVET_ZN_BLOB" --input-u32 5,0 --url "$url")
        echo "$out"
        addr=$(sed -n 's/^contract: //p' <<<"$out")
        [ -n "$addr" ] || { echo "no contract address in the output" >&2; exit 1; }
        echo "$addr" > "$RIVET_ZN_STATE/contract"
        out=$("$rivet" call "$addr" --input-hex 00 --url "$url")
        echo "$out"
        grep -q '^output: 0x0600000000000000$' <<<"$out"
        ;;
    read)
        addr=$(cat "$RIVET_ZN_STATE/contract")
        for _ in $(seq 60); do
            value=$("$rivet" storage "$addr" count --url "$url" || true)
            [ "$value" = "0x0600000000000000" ] && { echo "count read on $url: $value"; exit 0; }
            sleep 1
        done
        echo "count on $url is ${value:-unreadable}, not 0x0600000000000000" >&2
        exit 1
        ;;
    *)
        echo "usage: contract.sh deploy|read PORT" >&2
        exit 2
        ;;
esac
