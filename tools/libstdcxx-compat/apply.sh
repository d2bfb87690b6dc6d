#!/usr/bin/env bash
# Makes TorchSharp's libLibTorchSharp.so load on a libstdc++ older than GCC 13's (Debian 12 ships GCC 12's).
#
# The library needs GLIBCXX_3.4.32 for exactly one symbol, std::ios_base_library_init(). When the system libstdc++
# lacks that version, every copy of libLibTorchSharp.so under DIR gets:
#   1. libsb_iosinit.so beside it (ios_base_library_init.cpp: the one missing function) as a NEEDED library;
#   2. the symbol's version cleared (patchelf), so it binds to that definition;
#   3. its GLIBCXX_3.4.32 requirement renamed to GLIBCXX_3.4.22, which every libstdc++ since GCC 6 has.
# Newer systems (Debian 13, Ubuntu 24.04, the .NET and CUDA images) have GLIBCXX_3.4.32: nothing is done there.
# Idempotent: a patched copy is recognised by its NEEDED entry. Usage: apply.sh DIR...
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# (awk and grep read their whole input: an early exit would SIGPIPE the writer, and pipefail would fail the script)
libstdcxx="$(/sbin/ldconfig -p | awk '!found && /libstdc\+\+\.so\.6 .*x86-64/ {print $NF; found = 1}')"
if [ -z "$libstdcxx" ] || grep -qa 'GLIBCXX_3\.4\.32' "$libstdcxx"; then
  exit 0
fi
shim_name=libsb_iosinit.so
cache="${SB_LIBSTDCXX_CACHE:-$here/../../artifacts/libstdcxx-compat}"
mkdir -p "$cache"
if [ ! -f "$cache/$shim_name" ] || [ "$here/ios_base_library_init.cpp" -nt "$cache/$shim_name" ]; then
  g++ -O2 -shared -fPIC -o "$cache/$shim_name.tmp" "$here/ios_base_library_init.cpp"
  mv "$cache/$shim_name.tmp" "$cache/$shim_name"
fi
for dir in "$@"; do
  [ -d "$dir" ] || continue
  while IFS= read -r -d '' lib; do
    libdir="$(dirname "$lib")"
    cp -f "$cache/$shim_name" "$libdir/$shim_name"
    if patchelf --print-needed "$lib" | grep -x "$shim_name" >/dev/null; then
      continue
    fi
    tmp="$lib.patching"
    cp -f "$lib" "$tmp"
    patchelf --clear-symbol-version _ZSt21ios_base_library_initv "$tmp"
    patchelf --add-needed "$shim_name" "$tmp"
    python3 "$here/retarget_verneed.py" "$tmp" GLIBCXX_3.4.32 GLIBCXX_3.4.22 >/dev/null
    mv -f "$tmp" "$lib"
    echo "libstdc++ compatibility applied to $lib"
  done < <(find "$dir" -name libLibTorchSharp.so -type f -print0)
done
