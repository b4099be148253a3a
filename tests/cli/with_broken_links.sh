#!/usr/bin/env bash
# Runs COMMAND with "{links}" in its arguments replaced by a fresh temporary
# folder (removed afterwards) that holds symbolic links leading nowhere:
#   loop.so -> loop.so, ping.so -> pong.so -> ping.so, dangling.so -> missing.so
# Exits with COMMAND's status.
#
#   with_broken_links.sh COMMAND [ARGS...]
set -u
folder=$(mktemp -d "${TMPDIR:-/tmp}/attnlab-cli-test-XXXXXX") || exit 2
trap 'rm -rf "$folder"' EXIT
ln -s loop.so "$folder/loop.so"
ln -s pong.so "$folder/ping.so"
ln -s ping.so "$folder/pong.so"
ln -s missing.so "$folder/dangling.so"

args=()
for arg in "$@"; do
  args+=("${arg//\{links\}/$folder}")
done
"${args[@]}"
