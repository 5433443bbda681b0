#!/usr/bin/env bash
# Sets up and builds storenode, then runs a demo store of three devices on
# this machine: POS1 (priority 30), POS2 (20) and BACKOFFICE (10), data dirs
# under ./demo, free ports on 127.0.0.1. Drives a POS load on every node,
# shows each node's status, stops one till, sells on, restarts it and shows it
# catching up. The nodes keep running afterwards:
#   ./scripts/demo.sh status   # the store's status again
#   ./scripts/demo.sh stop     # stop every demo node (SIGTERM: clean hand-off)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
demo="$root/demo"
bin="$root/build/node/storenode"
ctl="$root/build/tools/storectl"
demo_pin=135790   # the demo admin's PIN (staff id admin)
export STORENODE_STAFF=admin STORENODE_PIN=$demo_pin   # storenode-loadgen signs in at each node
# A session token of the demo admin at the node on HTTP port $1 (sessions are per node).
# The PIN goes to curl on stdin (printf is a shell builtin): never on a command line.
demo_token() {
  printf '{"staff_id":"admin","pin":"%s"}' "$demo_pin" |
    curl -s -X POST "http://127.0.0.1:$1/v1/sessions" -H 'Content-Type: application/json' -d @- |
    sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p'
}
loadgen="$root/build/tools/loadgen/storenode-loadgen"

stop_all() {
  [ -f "$demo/pids" ] || { echo "demo: no demo nodes running"; return 0; }
  while read -r name pid; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" && echo "demo: stopping $name (pid $pid)"
    fi
  done < "$demo/pids"
  for _ in $(seq 1 100); do
    alive=0
    while read -r _ pid; do kill -0 "$pid" 2>/dev/null && alive=1; done < "$demo/pids"
    [ $alive -eq 0 ] && break
    sleep 0.1
  done
  rm -f "$demo/pids"
}

show_status() {
  [ -f "$demo/ports" ] || { echo "demo: not running"; return 1; }
  printf "%-11s %-8s %-5s %-11s %-8s %-8s %s\n" DEVICE ROLE TERM MASTER EVENTS PENDING VERSION_VECTOR
  while read -r name http _; do
    # The header on stdin (-H @-), not the command line: a token is a secret too.
    s=$(printf 'Authorization: Bearer %s\n' "$(demo_token "$http")" |
      curl -s --max-time 2 -H @- "http://127.0.0.1:$http/v1/status" || true)
    if [ -z "$s" ]; then printf "%-11s %s\n" "$name" "(down)"; continue; fi
    echo "$s" | jq -r '[.device_id, .role, (.term|tostring), (.master // "-"), (.events_total|tostring), (.pending_changes|tostring), (.version_vector|tostring)] | @tsv' |
      awk -F'\t' '{printf "%-11s %-8s %-5s %-11s %-8s %-8s %s\n", $1, $2, $3, $4, $5, $6, $7}'
  done < "$demo/ports"
}

case "${1:-run}" in
  stop) stop_all; exit 0 ;;
  status) show_status; exit 0 ;;
  run) ;;
  *) echo "usage: $0 [run|status|stop]"; exit 2 ;;
esac

./scripts/setup.sh storenode storenode-loadgen storectl
stop_all >/dev/null 2>&1 || true
mkdir -p "$demo"

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# Four free ports per device: HTTP, peer ROUTER, peer PUB (= ROUTER + 1), door (= ROUTER + 2).
p=17100
names=(POS1 POS2 BACKOFFICE)
prios=(30 20 10)
: > "$demo/ports"
for i in 0 1 2; do
  while ! (port_free "$p" && port_free $((p+1)) && port_free $((p+2)) && port_free $((p+3))); do p=$((p+4)); done
  echo "${names[$i]} $p $((p+1)) ${prios[$i]}" >> "$demo/ports"
  p=$((p+4))
done
peers=()
while read -r _ _ peer _; do peers+=("tcp://127.0.0.1:$peer"); done < "$demo/ports"

start_node() {  # name [extra storenode flags]
  local name=$1 http peer prio
  shift
  read -r _ http peer prio < <(grep "^$name " "$demo/ports")
  local cfg="$demo/$name.toml"
  {
    echo "device_id = \"$name\""
    echo "priority = $prio"
    echo "data_dir = \"$demo/$name\""
    echo "http = \"127.0.0.1:$http\""
    echo "bind = \"tcp://127.0.0.1:$peer\""
    printf 'peers = ['
    local first=1
    for p in "${peers[@]}"; do
      [ "$p" = "tcp://127.0.0.1:$peer" ] && continue
      [ $first -eq 1 ] || printf ', '
      printf '"%s"' "$p"; first=0
    done
    echo ']'
    echo 'log_level = "info"'
  } > "$cfg"
  # The first admin of the demo store (docs/operations.md "The first admin"):
  # from the environment, never a flag. Each node bootstraps it only while it
  # knows no staff; the demo's PIN is not a secret.
  # A joining device's one-time code (join_code, set by enroll below) goes in
  # the environment too: never a flag, never logged.
  STORENODE_ADMIN_PIN="$demo_pin" STORENODE_JOIN_CODE="${join_code:-}" \
    nohup "$bin" --config "$cfg" "$@" >> "$demo/$name.log" 2>&1 &
  echo "$name $!" >> "$demo/pids"
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$http/healthz" >/dev/null && return 0; sleep 0.1; done
  echo "demo: $name did not start; see $demo/$name.log"; exit 1
}

# The first device creates the store (its genesis: store.created and its own
# device.enrolled, docs/operations.md "Creating a store") on its first start.
# Data of an older demo (a build before enrollment, or a run that did not get
# every device enrolled) cannot be resumed: start a fresh demo store instead.
if [ -d "$demo/POS1" ] && [ ! -f "$demo/enrolled" ]; then
  echo "demo: ./demo holds an older or unfinished demo store; starting a fresh one"
  for n in "${names[@]}"; do rm -rf "${demo:?}/$n"; done
fi
if [ -d "$demo/POS1" ]; then start_node POS1; else start_node POS1 --create-store; fi
# The others join it (docs/operations.md "Enrolling a device"): the admin asks
# POS1 for a one-time code per device (storectl devices enroll), and each
# device starts once with its code; its first --peer is POS1.
read -r _ pos1_http _ _ < <(grep "^POS1 " "$demo/ports")
for n in "${names[@]:1}"; do
  join_code=
  if [ ! -d "$demo/$n" ]; then
    prio=$(awk -v n="$n" '$1==n{print $4}' "$demo/ports")
    join_code=$(STORENODE_TOKEN=$(demo_token "$pos1_http") \
      "$ctl" devices enroll "$n" --priority "$prio" --node "http://127.0.0.1:$pos1_http" --json | jq -r .code)
    echo "demo: $n joins with a one-time code from POS1 (storectl devices enroll $n --priority $prio)"
  fi
  start_node "$n"
done
join_code=
touch "$demo/enrolled"   # every device is a member: later runs resume this store
urls=()
while read -r _ http _ _; do urls+=(--node "http://127.0.0.1:$http"); done < "$demo/ports"

echo; echo "== the store is up: three devices =="
sleep 1; show_status
echo; echo "== selling on every till for 10 s =="
"$loadgen" "${urls[@]}" --products 100 --clients 2 --duration-s 10
sleep 1; show_status

echo; echo "== stopping BACKOFFICE, selling 5 s more on the others =="
pid=$(awk '$1=="BACKOFFICE"{print $2}' "$demo/pids"); kill -TERM "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
sed -i '/^BACKOFFICE /d' "$demo/pids"
read -r _ h1 _ _ < <(grep "^POS1 " "$demo/ports"); read -r _ h2 _ _ < <(grep "^POS2 " "$demo/ports")
"$loadgen" --node "http://127.0.0.1:$h1" --node "http://127.0.0.1:$h2" --no-setup --products 100 --duration-s 5 --seed 2
show_status
echo; echo "== BACKOFFICE restarts and catches up =="
start_node BACKOFFICE
for _ in $(seq 1 50); do
  show_status | awk 'NR>1{print $5}' | sort -u | wc -l | grep -qx 1 && break; sleep 0.2
done
show_status

# A demo cashier and supervisor, so that a newcomer opens the console on a
# working till (the PINs are demo values, not secrets).
# The token as a 0600 header file and the PIN on stdin, as above: never on a command line.
hdr=$(umask 077; mktemp)
printf 'Authorization: Bearer %s\n' "$(demo_token "$h1")" > "$hdr"
for who in 'cashier1 "Demo Cashier" cashier 1111' 'super1 "Demo Supervisor" supervisor 2222'; do
  eval "set -- $who"
  printf '{"staff_id":"%s","name":"%s","role":"%s","pin":"%s"}' "$1" "$2" "$3" "$4" |
    curl -s -o /dev/null -X POST "http://127.0.0.1:$h1/v1/staff" -H @"$hdr" \
      -H 'Content-Type: application/json' -H "Idempotency-Key: demo-staff-$1" -d @-
done
rm -f "$hdr"

cat <<TXT

== the store console ==
  Open http://127.0.0.1:$h1/ (POS1's till) or http://127.0.0.1:$h2/ (POS2's) in a browser.
  Sign in as cashier1 with PIN 1111 (a supervisor approves voids: super1, PIN 2222;
  the admin is admin, PIN $demo_pin). Scan or type a SKU (the demo's products
  are SKU00001 … SKU00100), Enter on an empty field to pay.

The demo store keeps running. Look around:
  $ctl login --node http://127.0.0.1:$h1 --staff admin   # sign in (the PIN: demo_pin in scripts/demo.sh)
  H="\${XDG_CONFIG_HOME:-\$HOME/.config}/storenode/header"   # the token as a header file (never on a command line)
  (umask 077; printf 'Authorization: Bearer %s\n' "\$(cat "\${H%/header}/token")" > "\$H")
  curl -s -H @"\$H" http://127.0.0.1:$h1/v1/status | jq          # one node's status
  curl -s -H @"\$H" http://127.0.0.1:$h1/v1/reports/daily | jq   # today's figures, store-wide
  curl -N -H @"\$H" http://127.0.0.1:$h1/v1/events/stream        # live event stream (SSE)
  $ctl status --store --node http://127.0.0.1:$h1      # the whole store (log in at each node first)
  $ctl events tail --follow --node http://127.0.0.1:$h1
  logs and data: $demo/
Stop it with: ./scripts/demo.sh stop
TXT
