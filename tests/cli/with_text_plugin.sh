#!/usr/bin/env bash
# Runs COMMAND with each argument equal to {text-plugin} replaced by the path
# of a text file named not-a-plugin.so, made in a fresh temporary folder that
# is removed afterwards. Exits with COMMAND's status.
#
#   with_text_plugin.sh COMMAND [ARGS...]
set -u
folder=$(mktemp -d "${TMPDIR:-/tmp}/attnlab-cli-test-XXXXXX") || exit 2
trap 'rm -rf "$folder"' EXIT
echo "this is a text file, not a shared library" >"$folder/not-a-plugin.so"

args=()
for arg in "$@"; do
  if [ "$arg" = "{text-plugin}" ]; then
    args+=("$folder/not-a-plugin.so")
  else
    args+=("$arg")
  fi
done
"${args[@]}"
