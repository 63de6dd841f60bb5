#!/bin/bash -eu
# Builds walproof's fuzz targets for ClusterFuzzLite and OSS-Fuzz.
#
# Uses what the builder sets: CC, CXX, CFLAGS, CXXFLAGS, LIB_FUZZING_ENGINE,
# SRC, WORK, OUT. Leaves in $OUT, for every target in fuzz/: the binary,
# <target>.options, <target>.dict and <target>_seed_corpus.zip (from
# corpus/<target>/).
#
# Dependencies: when $SRC/snappy and $SRC/zstd exist (the Dockerfile clones
# them) they are built here with the fuzzing flags and linked statically.
# Otherwise (a local check of this script) the system's libsnappy and libzstd
# are used, and their shared objects are copied to $OUT/lib with an rpath,
# since the runner image does not have them.
SRC_DIR=${WALPROOF_SRC:-$SRC/walproof}
BUILD=$WORK/walproof-build
DEPS=$WORK/deps
mkdir -p "$BUILD" "$DEPS" "$OUT"

extra_cmake=()
if [ -d "$SRC/snappy" ] && [ -d "$SRC/zstd" ]; then
  cmake -S "$SRC/snappy" -B "$WORK/snappy-build" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
    -DSNAPPY_BUILD_TESTS=OFF -DSNAPPY_BUILD_BENCHMARKS=OFF -DSNAPPY_FUZZING_BUILD=OFF \
    -DCMAKE_INSTALL_PREFIX="$DEPS" -DCMAKE_INSTALL_LIBDIR=lib
  cmake --build "$WORK/snappy-build" --target install
  make -C "$SRC/zstd/lib" -j"$(nproc)" PREFIX="$DEPS" LIBDIR="$DEPS/lib" \
    ZSTD_LEGACY_SUPPORT=0 install-static install-pc install-includes
  extra_cmake+=("-DCMAKE_PREFIX_PATH=$DEPS")
  export PKG_CONFIG_PATH="$DEPS/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
else
  echo "build.sh: no \$SRC/snappy and \$SRC/zstd: using the system's libraries" >&2
  # CMake escapes this one for the generator ($ORIGIN in raw linker flags
  # would be eaten by Ninja).
  extra_cmake+=("-DCMAKE_BUILD_RPATH=\$ORIGIN/lib")
fi

# CFLAGS/CXXFLAGS come from the environment (CMake reads them); the engine is
# passed as is: -fsanitize=fuzzer, or a library path for other engines.
cmake -S "$SRC_DIR" -B "$BUILD" -G Ninja \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DWALPROOF_TESTS=OFF -DWALPROOF_LIBFUZZER=ON \
  -DWALPROOF_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" \
  "${extra_cmake[@]}"
cmake --build "$BUILD" --target walproof_fuzzers -j"$(nproc)"

for bin in "$BUILD"/fuzz/*_fuzzer; do
  [ -x "$bin" ] || continue
  t=$(basename "$bin")
  cp "$bin" "$OUT/$t"
  [ -f "$SRC_DIR/fuzz/$t.options" ] && cp "$SRC_DIR/fuzz/$t.options" "$OUT/"
  [ -f "$SRC_DIR/fuzz/$t.dict" ] && cp "$SRC_DIR/fuzz/$t.dict" "$OUT/"
  if [ -d "$SRC_DIR/corpus/$t" ]; then
    rm -f "$OUT/${t}_seed_corpus.zip"
    (cd "$SRC_DIR/corpus/$t" && zip -q -r "$OUT/${t}_seed_corpus.zip" .)
  fi
done

# System libraries the targets need at run time (local check only).
if [ ! -d "$SRC/snappy" ]; then
  mkdir -p "$OUT/lib"
  for bin in "$OUT"/*_fuzzer; do
    ldd "$bin" | awk '/libsnappy|libzstd/ {print $3}' | while read -r lib; do
      # Once copied, the rpath makes ldd find them in $OUT/lib already.
      [ -e "$OUT/lib/$(basename "$lib")" ] || cp -L "$lib" "$OUT/lib/"
    done
  done
fi
