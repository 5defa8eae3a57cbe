#!/usr/bin/env bash
# Run by network.zndsl on a node, to check that the chain moves on from a moment
# rather than up to a fixed height (which would wait for blocks the check doesn't
# need). `mark PORT`: record that node's best block number. `finalized PORT N`: wait
# until that node has finalized the marked block number + N (zndsl's `within` bounds
# the wait).
set -euo pipefail
step="$1"
port="$2"
number() {
    # $1: "best" or "finalized"; prints that block's number as the node sees it.
    python3 - "$port" "$1" <<'PY'
import json, sys, urllib.request
port, which = sys.argv[1], sys.argv[2]
def call(method, params):
    body = json.dumps({"id": 1, "jsonrpc": "2.0", "method": method, "params": params}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}", body, {"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req, timeout=10))["result"]
head = call("chain_getFinalizedHead", []) if which == "finalized" else None
print(int(call("chain_getHeader", [head] if head else [])["number"], 16))
PY
}
case "$step" in
    mark)
        best=$(number best)
        echo "$best" > "$RIVET_ZN_STATE/mark"
        echo "best block on port $port: $best"
        ;;
    finalized)
        target=$(( $(cat "$RIVET_ZN_STATE/mark") + $3 ))
        while true; do
            finalized=$(number finalized || echo 0)
            [ "$finalized" -ge "$target" ] && { echo "finalized on port $port: $finalized (>= $target)"; exit 0; }
            sleep 2
        done
        ;;
    *)
        echo "usage: progress.sh mark PORT | finalized PORT N" >&2
        exit 2
        ;;
esac
