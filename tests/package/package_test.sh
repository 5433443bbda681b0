#!/usr/bin/env bash
# ctest package_deb: package_test.sh SOURCE_DIR BUILD_DIR VERSION [COMMIT_OVERRIDE]
# Builds the .deb from the existing build dir (scripts/package.sh --no-build:
# cpack + lintian), extracts it with dpkg -x and checks: Depends (shlibdeps,
# librocksdb), the conffile and maintainer scripts, --version of both
# programs (project version and git commit), the example config (parses; all
# keys present; its commented values are the defaults), the man pages (every
# storectl command), the bash completion against the real command list, the
# unit, and that no test or benchmark is shipped.
set -euo pipefail
src=$1 build=$2 version=$3 commit_override=${4:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

"$src/scripts/package.sh" --no-build --build-dir "$build" --out "$tmp/out"
arch=$(dpkg --print-architecture)
deb=$tmp/out/storenode_${version}_${arch}.deb
[ -f "$deb" ] || fail "no $deb: $(ls "$tmp/out")"
ok "built $(basename "$deb"), $(stat -c %s "$deb") bytes"

# Control data.
depends=$(dpkg-deb -f "$deb" Depends)
[[ $depends == *librocksdb* ]] || fail "Depends lacks librocksdb: $depends"
[[ $depends == *adduser* ]] || fail "Depends lacks adduser (postinst adds the user): $depends"
[[ $depends == *tzdata* ]] || fail "Depends lacks tzdata (store.time_zone is read from it): $depends"
[[ $depends == *libzmq5* ]] || fail "Depends lacks libzmq5: $depends"
info=$(dpkg-deb -I "$deb")
grep -q '^ Depends: .*librocksdb' <<< "$info" || fail "dpkg-deb -I shows no librocksdb"
ok "Depends: $depends"
mkdir "$tmp/control"
dpkg-deb -e "$deb" "$tmp/control"
[ "$(cat "$tmp/control/conffiles")" = /etc/storenode/storenode.toml ] || fail "conffiles: $(cat "$tmp/control/conffiles")"
for s in postinst prerm postrm; do
  [ -x "$tmp/control/$s" ] || fail "no executable $s"
  sh -n "$tmp/control/$s" || fail "$s: syntax"
done
grep -q 'adduser --system' "$tmp/control/postinst" || fail "postinst does not create the system user"
if grep -nE '^[^#]*(systemctl +(--[a-z]+ +)*(enable|start)|deb-systemd-invoke +(start|restart))' "$tmp/control/"*; then
  fail "a maintainer script enables or starts the unit"
fi
ok "conffile, maintainer scripts (no enable, no start)"

# Files: what is shipped, and nothing of the tests or benchmarks.
dpkg-deb -c "$deb" | awk '{print $6}' > "$tmp/files"
if grep -E 'test|bench|loadgen|\.a$|include/' "$tmp/files"; then fail "ships test, benchmark or development files"; fi
root=$tmp/root
dpkg -x "$deb" "$root"
for f in usr/bin/storenode usr/bin/storectl etc/storenode/storenode.toml usr/lib/systemd/system/storenode.service \
  usr/share/man/man8/storenode.8.gz usr/share/man/man1/storectl.1.gz usr/share/bash-completion/completions/storectl \
  usr/share/doc/storenode/copyright usr/share/doc/storenode/changelog.gz; do
  [ -f "$root/$f" ] || fail "missing /$f"
done
ok "files: $(wc -l < "$tmp/files") entries"

# --version: project version and the commit this tree is at.
if [ -n "$commit_override" ]; then
  commit_re=$commit_override
elif git -C "$src" rev-parse --git-dir > /dev/null 2>&1; then
  commit_re="$(git -C "$src" rev-parse --short=12 HEAD)(-dirty)?"
else
  commit_re=unknown
fi
for p in storenode storectl; do
  v=$("$root/usr/bin/$p" --version)
  [[ $v =~ ^$p\ ${version//./\\.}\ \(commit\ $commit_re\)$ ]] || fail "$p --version: '$v', expected '$p $version (commit $commit_re)' (binary older than the tree? build first)"
  ok "$v"
done

# The example config: parses; only device_id is missing (it is the device's own).
node=$root/usr/bin/storenode
conf=$root/etc/storenode/storenode.toml
set +e
msg=$("$node" --config "$conf" --print-config 2>&1)
rc=$?
set -e
if [ $rc -ne 2 ] || [[ $msg != *"device_id is required"* ]]; then
  fail "storenode --config <example> --print-config: exit $rc: $msg"
fi
printed=$("$node" --config "$conf" --device-id PKGTEST --print-config) || fail "example config with --device-id does not parse"
grep -qx "data_dir = '/var/lib/storenode'" <<< "$printed" || fail "example config's data_dir is not /var/lib/storenode"
# Every key is in it, commented out with its default: uncommenting them all changes nothing.
sed -E 's/^#([a-z_]+ = )/\1/' "$conf" > "$tmp/all.toml"
uncommented=$("$node" --config "$tmp/all.toml" --device-id PKGTEST --print-config) || fail "uncommented example does not parse"
[ "$uncommented" = "$printed" ] || fail "the commented values differ from the defaults: $(diff <(echo "$printed") <(echo "$uncommented"))"
keys_in_file=$(grep -cE '^[a-z_]+ = ' "$tmp/all.toml")
keys_printed=$(grep -cE '^[a-z_]+ = ' <<< "$printed")
[ "$keys_in_file" -eq "$keys_printed" ] || fail "example has $keys_in_file keys, the node knows $keys_printed"
ok "example config: parses, all $keys_printed keys, commented values = defaults"

# Man pages: storenode's options, and every storectl command (at every level).
ctl=$root/usr/bin/storectl
subcommands() { "$ctl" "$@" --help | awk '/^Subcommands:/ { s = 1; next } s && /^  [a-z]/ { print $1; next } s && !/^ / { s = 0 }'; }
zcat "$root/usr/share/man/man8/storenode.8.gz" | grep -q 'print\\-example\\-config' || fail "storenode.8 lacks --print-example-config"
zcat "$root/usr/share/man/man1/storectl.1.gz" > "$tmp/storectl.1"
top=$(subcommands)
[ -n "$top" ] || fail "storectl --help lists no subcommands"
n=0
for c in $top; do
  grep -q "^\.SS \"storectl $c\"" "$tmp/storectl.1" || fail "storectl.1 lacks the command $c"
  n=$((n + 1))
  for s in $(subcommands "$c"); do
    grep -q "^\.SS \"storectl $c $s\"" "$tmp/storectl.1" || fail "storectl.1 lacks the command $c $s"
    n=$((n + 1))
  done
done
if command -v man > /dev/null; then
  for page in "$root/usr/share/man/man8/storenode.8.gz" "$tmp/storectl.1"; do
    warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 > /dev/null)
    [ -z "$warnings" ] || fail "man warnings for $page: $warnings"
  done
fi
ok "man pages: storenode(8), storectl(1) with $n commands"

# Bash completion, checked against the real command list.
complete_words() {  # words... (the last one is being completed)
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _storectl; echo "${COMPREPLY[*]}"' \
    _ "$root/usr/share/bash-completion/completions/storectl" "$@"
}
words() { tr '\n' ' ' <<< "$1" | sed 's/ *$//'; }  # one line, single spaces
[ "$(complete_words storectl '')" = "$(words "$top")" ] || fail "completion of 'storectl ': $(complete_words storectl '')"
for c in $top; do
  subs=$(subcommands "$c")
  [ "$(complete_words storectl "$c" '')" = "$(words "$subs")" ] || fail "completion of 'storectl $c ': $(complete_words storectl "$c" '')"
  offered=" $(complete_words storectl "$c" --) "
  for opt in $("$ctl" "$c" --help | grep -oE '^  (-[a-zA-Z],)?--[a-z][a-z-]*' | sed -E 's/^  (-[a-zA-Z],)?//'); do
    [[ $offered == *" $opt "* ]] || fail "completion of 'storectl $c --' lacks $opt"
  done
done
ok "bash completion: commands, subcommands and options match storectl --help"

# The unit runs the packaged binary with the packaged config, as storenode.
unit=$root/usr/lib/systemd/system/storenode.service
grep -qx 'ExecStart=/usr/bin/storenode --config /etc/storenode/storenode.toml' "$unit" || fail "unit ExecStart"
grep -qx 'User=storenode' "$unit" || fail "unit: no User=storenode"
grep -qx 'StateDirectory=storenode' "$unit" || fail "unit: no StateDirectory=storenode"
ok "systemd unit"
echo "package_deb: all checks passed"
