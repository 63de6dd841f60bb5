#!/usr/bin/env bash
# Builds the Debian packages from the build tree BUILD with cpack (no
# rebuild), checks their names and contents, unpacks the runtime package with
# dpkg-deb -x (as on a Prometheus host with no compiler) and runs the
# unpacked binaries: --help, and `walproof verify` on a clean WAL (exit 0)
# and on the same WAL with one byte flipped (exit 1, naming segment and offset).
set -euo pipefail
build=$1 out=$2 version=$3
rm -rf "$out"
mkdir -p "$out"
cpack --config "$build/CPackConfig.cmake" -B "$out" > "$out/cpack.log" 2>&1 || { cat "$out/cpack.log"; exit 1; }
runtime=$out/walproof_${version}_amd64.deb dev=$out/walproof-dev_${version}_amd64.deb
for deb in "$runtime" "$dev"; do
  [ -f "$deb" ] || { echo "cpack did not make $(basename "$deb"):"; ls "$out"; exit 1; }
  echo "$(basename "$deb"): $(stat -c %s "$deb") bytes; $(dpkg-deb -f "$deb" Package Version Architecture Depends | tr '\n' ' ')"
done
dpkg-deb -c "$dev" > "$out/dev-contents.txt"
for f in ./usr/include/walproof/io/fs.h ./usr/include/crashsim/check_run.h ./usr/lib/cmake/walproof/walproofConfig.cmake \
         ./usr/lib/pkgconfig/walproof-reference.pc ./usr/lib/libwalproof_reference.a; do
  grep -q " $f\$" "$out/dev-contents.txt" || { echo "walproof-dev lacks $f"; exit 1; }
done

dpkg-deb -x "$runtime" "$out/root"
bin=$out/root/usr/bin
"$bin/walproof" --help | head -n 3
"$bin/crashsim" --help > /dev/null
"$bin/walproof" verify --help | grep -q 'Exit codes' || { echo "verify --help states no exit codes"; exit 1; }

"$bin/walproof" demo "$out/wal" --series 5 --scrapes 20 > /dev/null
"$bin/walproof" verify "$out/wal"
segment=$(find "$out/wal" -name '00000000')
# One byte inside the first record's payload (past the 7-byte fragment header).
python3 -c 'import sys; f=open(sys.argv[1],"r+b"); f.seek(40); b=f.read(1); f.seek(40); f.write(bytes([b[0]^0xff]))' "$segment"
status=0
"$bin/walproof" verify "$out/wal" > "$out/verify-corrupt.txt" 2>&1 || status=$?
cat "$out/verify-corrupt.txt"
[ "$status" -eq 1 ] || { echo "verify of a damaged WAL exited $status, expected 1"; exit 1; }
grep -q 'corruption in segment .*00000000 at [0-9]' "$out/verify-corrupt.txt" || { echo "no segment and offset named"; exit 1; }
echo "the unpacked walproof verifies a clean WAL (0) and names the damage in a broken one (1)"
