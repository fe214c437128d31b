#!/usr/bin/env bash
# Build MAFFT 7.505 from Debian's source package with zero-skip.patch into PREFIX (make setup: .venv/opt/mafft).
#
# The source is Debian bookworm's mafft_7.505.orig.tar.gz (checked against its SHA-256 from the package's .dsc);
# it is compiled with the flags Debian's package is compiled with (dpkg-buildflags on bookworm), so that the
# only difference to /usr/bin/mafft is the patch. See README.md in this folder.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
prefix=${1:?usage: build.sh PREFIX}
sha256=9b9ee0dea1d493f0fad6f9c227bcc291ddedd045b5558b7fea30dc5932db33b8
urls=(
  http://deb.debian.org/debian/pool/main/m/mafft/mafft_7.505.orig.tar.gz
  https://snapshot.debian.org/archive/debian/20250520T000000Z/pool/main/m/mafft/mafft_7.505.orig.tar.gz
)
cflags="-g -O2 -fstack-protector-strong -Wformat -Werror=format-security -Wdate-time -D_FORTIFY_SOURCE=2"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for url in "${urls[@]}"; do
  if curl -fsSL --retry 2 -o "$work/src.tar.gz" "$url"; then break; fi
  echo "build.sh: could not download $url" >&2
done
if ! echo "$sha256  $work/src.tar.gz" | sha256sum -c --quiet - 2>/dev/null; then
  echo "build.sh: MAFFT's source could not be downloaded or has the wrong SHA-256 (expected $sha256)." >&2
  echo "  Download mafft_7.505.orig.tar.gz from Debian by hand, or set PREDACT_MAFFT to Debian's /usr/bin/mafft" >&2
  echo "  (same alignments, slower) and skip this step with 'make setup MAFFT_BUILD='." >&2
  exit 1
fi
tar xzf "$work/src.tar.gz" -C "$work"
src="$work/mafft-7.505-without-extensions"
patch --quiet -p1 -d "$src" < "$here/zero-skip.patch"
rm -rf "$prefix"
# the compiler's warnings (MAFFT's own code) go to a log that is shown only when the build fails
if ! { make -C "$src/core" -j2 PREFIX="$prefix" LIBDIR="$prefix/lib/mafft" ENABLE_MULTITHREAD=-Denablemultithread \
         CFLAGS="$cflags" LDFLAGS="-Wl,-z,relro" \
       && make -C "$src/core" install PREFIX="$prefix" LIBDIR="$prefix/lib/mafft"; } >"$work/build.log" 2>&1; then
  tail -30 "$work/build.log" >&2
  echo "build.sh: compiling MAFFT failed (needs gcc and make); see above." >&2
  exit 1
fi
"$prefix/bin/mafft" --version >/dev/null 2>&1
sha256sum "$here/zero-skip.patch" | cut -c1-64 > "$prefix/.predact-build"
echo "MAFFT 7.505 with zero-skip.patch built into $prefix"
