#!/bin/sh
# Writes a gzipped man page of a program from its own --help and --version
# (help2man), so the page cannot drift from the binary. Run by the build
# (packaging/CMakeLists.txt):
#   make-man.sh PROGRAM SECTION "NAME LINE" STATIC.h2m OUT.gz [--commands]
# STATIC.h2m holds what --help does not say (files, signals, see also).
# --commands (storectl): adds a COMMANDS section with the --help of every
# subcommand, found recursively under "Subcommands:", and sets the root help's
# "Examples:" block and "Exit codes:" paragraph as preformatted sections
# (help2man would run the example lines together).
set -eu
prog=$1 section=$2 name_line=$3 static=$4 out=$5
commands=${6:-}
tmp=$out.d
rm -rf "$tmp" && mkdir -p "$tmp"
base=$(basename "$prog")

# roff-safe verbatim lines: backslashes, minus signs, leading dots and quotes.
verbatim() { sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e 's/^/\\\&/'; }

# The --help of a command path, without the help flags every level repeats.
command_help() { "$prog" "$@" --help | grep -v -e '^  -h,--help ' -e '^  --help-all '; }

subcommands() {
  "$prog" "$@" --help | awk '/^Subcommands:/ { s = 1; next } s && /^  [a-z]/ { print $1; next } s && !/^ / { s = 0 }'
}

walk() {  # command path...
  for sub in $(subcommands "$@"); do
    printf '.SS "%s"\n.nf\n' "$base $* $sub" | sed 's/  */ /g'
    command_help "$@" "$sub" | verbatim
    printf '.fi\n'
    walk "$@" "$sub"
  done
}

includes="--include=$static"
if [ "$commands" = --commands ]; then
  help=$("$prog" --help)
  {
    examples=$(printf '%s\n' "$help" | awk '/^Examples:$/ { e = 1; next } e && /^$/ { exit } e { print }')
    if [ -n "$examples" ]; then
      printf '[=EXAMPLES]\n.nf\n'
      printf '%s\n' "$examples" | verbatim
      printf '.fi\n'
    fi
    exits=$(printf '%s\n' "$help" | awk '/^Exit codes:/ { x = 1 } x && (/^$/ || /^Usage:/) { exit } x { print }')
    if [ -n "$exits" ]; then
      printf '[EXIT STATUS]\n'
      printf '%s\n' "$exits" | verbatim
    fi
    printf '[COMMANDS]\n'
    printf 'Every command and its options, as "%s COMMAND \\-\\-help" prints them.\n' "$base"
    walk
  } > "$tmp/commands.h2m"
  includes="$includes --include=$tmp/commands.h2m"
fi

# The footer names "<program> <version>" from --version, without the commit
# (too long for it, and the page then changes only with the version).
version=$("$prog" --version | head -n 1 | cut -d ' ' -f 1,2)
# shellcheck disable=SC2086 # $includes is two words on purpose
help2man --no-info --section="$section" --name="$name_line" --version-string="$version" $includes \
  --output="$tmp/$base.$section" "$prog"
gzip -9n -c "$tmp/$base.$section" > "$out"
rm -rf "$tmp"
