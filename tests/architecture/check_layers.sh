#!/usr/bin/env bash
# The host library's folders are layers (docs/ARCHITECTURE.md): a file may
# include attnlab headers of its own folder and of the folders listed for it
# below, nothing else. Any other include is reported with file and line.
# Usage: check_layers.sh /path/to/repository
root="$1"
cd "$root/framework" || exit 2

declare -A allowed=(
  [common]=""
  [hosting]="common"
  [checks]="hosting common"
  [training]="hosting common"
  [theory]="training hosting common"
  [analysis]="training hosting common"
  [reports]="common"
  [results]="analysis reports training hosting common"
  [reproduce]="sweeps results reports analysis theory training checks hosting common"
  [sweeps]="results reports analysis training common"
)

violations=0
checked=0
for layer in "${!allowed[@]}"; do
  for dir in "src/$layer" "include/attnlab/framework/$layer"; do
    [ -d "$dir" ] || continue
    while IFS= read -r file; do
      checked=$((checked + 1))
      # "<layer>/x.hpp" (private headers) and <attnlab/framework/<layer>/x.hpp>.
      while IFS=: read -r line used; do
        [ "$used" = "$layer" ] && continue
        case " ${allowed[$layer]} " in *" $used "*) continue ;; esac
        echo "FAIL framework/$file:$line: the $layer layer includes the $used layer"
        violations=$((violations + 1))
      done < <(grep -nE '#include (<attnlab/framework/|")[a-z]+/[a-z_]+\.hpp[>"]' "$file" |
               sed -E 's/^([0-9]+):#include (<attnlab\/framework\/|")([a-z]+)\/.*/\1:\3/')
    done < <(find "$dir" -name '*.[ch]pp')
  done
done
# Every folder of the library is a known layer.
for dir in src/* include/attnlab/framework/*; do
  [ -d "$dir" ] || { echo "FAIL framework/$dir: a file outside the layer folders"; violations=$((violations + 1)); continue; }
  [ -n "${allowed[$(basename "$dir")]+x}" ] || { echo "FAIL framework/$dir: not a known layer"; violations=$((violations + 1)); }
done
echo "layers: $checked files checked, $violations violations"
[ "$checked" -gt 0 ] && [ "$violations" -eq 0 ]
