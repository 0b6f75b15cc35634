#!/usr/bin/env bash
# Packs a strata program as a Lambda function for the provided.al2023 (or
# provided.al2) runtime: package.sh PROGRAM OUT.zip
#
#   bootstrap   a two-line script: runs `app` with the dynamic loader in lib/
#   app         PROGRAM
#   lib/        every shared library PROGRAM loads (ldd), glibc and its loader
#               included
#
# Why the loader travels with it: a program built on Debian 12 loads
# Debian's libstdc++, which needs glibc 2.36 (arc4random), and Amazon Linux
# 2023 has glibc 2.34, so the system's loader would refuse it.
# Run by the loader it was linked against, with lib/ as its only library
# path, the program needs nothing of the runtime's image but the kernel.
set -euo pipefail
program=${1:?usage: package.sh PROGRAM OUT.zip}
out=${2:?usage: package.sh PROGRAM OUT.zip}
work=$(mktemp -d /tmp/strata-function-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/lib"
cp "$program" "$work/app"
loader=
while read -r lib; do
  cp -L "$lib" "$work/lib/"
  [[ $lib == */ld-linux* ]] && loader=$(basename "$lib")
done < <(ldd "$program" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/.*ld-linux/ { print $1 }')
[[ -n $loader ]] || { echo "package.sh: $program names no ld-linux loader (a static program needs no lib/)" >&2; exit 1; }
cat >"$work/bootstrap" <<SCRIPT
#!/bin/sh
here=\$(dirname "\$0")
exec "\$here/lib/$loader" --library-path "\$here/lib" "\$here/app" "\$@"
SCRIPT
chmod 755 "$work/bootstrap" "$work/app"
rm -f "$out"
# CMake's own zip writer (libarchive) keeps the executable bits Lambda needs.
(cd "$work" && cmake -E tar cf "$(realpath -m "$out")" --format=zip bootstrap app lib)
echo "package.sh: $out: app $(stat -c %s "$work/app") bytes, lib/ $(du -sb "$work/lib" | cut -f1) bytes in $(ls "$work/lib" | wc -l) files, zip $(stat -c %s "$out") bytes"
