# Sourced by the example tests: reads the CMake arguments the build tree
# wrote for them (one a line) into the array example_args, and the compiler
# and flags among them into cxx, cxx_flags and link_flags.
# shellcheck shell=bash disable=SC2034  # the variables are for the sourcing script
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
done < "$1"
