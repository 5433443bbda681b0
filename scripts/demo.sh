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
    s=$(curl -s --max-time 2 "http://127.0.0.1:$http/v1/status" || true)
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
# Three free ports per device: HTTP, peer ROUTER, peer PUB (= ROUTER + 1).
p=17100
names=(POS1 POS2 BACKOFFICE)
prios=(30 20 10)
: > "$demo/ports"
for i in 0 1 2; do
  while ! (port_free "$p" && port_free $((p+1)) && port_free $((p+2))); do p=$((p+3)); done
  echo "${names[$i]} $p $((p+1)) ${prios[$i]}" >> "$demo/ports"
  p=$((p+3))
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
  nohup "$bin" --config "$cfg" "$@" >> "$demo/$name.log" 2>&1 &
  echo "$name $!" >> "$demo/pids"
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$http/healthz" >/dev/null && return 0; sleep 0.1; done
  echo "demo: $name did not start; see $demo/$name.log"; exit 1
}

# The first device creates the store (its genesis: store.created and its own
# device.enrolled, docs/operations.md "Creating a store") on its first start.
if [ -d "$demo/POS1" ]; then start_node POS1; else start_node POS1 --create-store; fi
for n in "${names[@]:1}"; do start_node "$n"; done
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

cat <<TXT

The demo store keeps running. Look around:
  curl -s http://127.0.0.1:$h1/v1/status | jq          # one node's status
  curl -s http://127.0.0.1:$h1/v1/reports/daily | jq   # today's figures, store-wide
  curl -N http://127.0.0.1:$h1/v1/events/stream        # live event stream (SSE)
  $ctl status --store --node http://127.0.0.1:$h1      # the whole store
  $ctl events tail --follow --node http://127.0.0.1:$h1
  logs and data: $demo/
Stop it with: ./scripts/demo.sh stop
TXT
