# Sourced by the example tests with their four arguments (SRC STAGE WORK
# ARGS_FILE): reads the CMake arguments the build tree wrote for them (one a
# line), starts WORK afresh, and configures and builds the example SRC in
# WORK/build against the staged prefix with find_package. Leaves src, stage,
# work, and the compiler and flags (cxx, cxx_flags, link_flags) for the
# sourcing script.
# shellcheck shell=bash disable=SC2034  # the variables are for the sourcing script
src=$1 stage=$2 work=$3
example_args=()
cxx=c++ cxx_flags="" link_flags=""
while IFS= read -r line; do
  [ -n "$line" ] || continue
  example_args+=("$line")
  case $line in
    -DCMAKE_CXX_COMPILER=*) cxx=${line#*=} ;;
    -DCMAKE_CXX_FLAGS=*) cxx_flags=${line#*=} ;;
    -DCMAKE_EXE_LINKER_FLAGS=*) link_flags=${line#*=} ;;
  esac
done < "$4"
rm -rf "$work"
mkdir -p "$work"
cmake -S "$src" -B "$work/build" "${example_args[@]}" > "$work/configure.log" || { cat "$work/configure.log"; exit 1; }
cmake --build "$work/build" > "$work/build.log" || { cat "$work/build.log"; exit 1; }
echo "built $(basename "$src") with find_package(walproof) from $stage"
