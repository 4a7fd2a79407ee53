#!/bin/bash
# GPU check for the NCCL backend and the CUDA trainer, and the GPU training benchmark.
#
#   bash tools/gpu-check.sh build   (here, with dotnet) publishes self-contained for linux-x64, into one folder that shares
#                                   the .NET runtime, the NCCL test worker (tests/Mlops.Distributed.TestWorker) and
#                                   the benchmarks program (benchmarks/Mlops.Benchmarks) without its CPU libtorch (the GPU
#                                   machine's own CUDA libtorch is used through MLOPS_LIBTORCH_DIR), and packs it as
#                                   out/gpu-check/gpu-check.tar.xz (tar + xz, at most 60 MiB: the GPU machine takes 64 MiB)
#   bash tools/gpu-check.sh run     (on the GPU machine, which has no dotnet) unpacks the bundle, finds libtorch, NCCL and the
#                                   CUDA runtime in the PyTorch venv (MLOPS_GPU_VENV, default /opt/torch/.venv; or
#                                   MLOPS_LIBTORCH_DIR / NCCL_LIB / CUDART_LIB) and runs, each stage with a timeout:
#     1. NCCL, one rank: init, all-reduce in place and out of place on device memory for every reduction (checked on the
#        host), timing of a 256 MB all-reduce
#     2. NCCL watchdog: an all-reduce stuck behind a 3 s stream stall must abort within its 500 ms deadline
#     3. two ranks given the same GPU must both fail with a clear error (no NCCL hang)
#     4. with two or more GPUs: two ranks, correctness and a 256 MB all-reduce
#     5. training-cuda-check: the strategy on CUDA with NCCL, Fit, float64 CUDA = CPU, two replicas on one GPU, Save/Load
#     6. training-gpu (C#): Fit through the strategy at world size 1 vs a plain TorchSharp loop
#     7. tools/gpu/train_reference.py: PyTorch eager (default and fused Adam) on the same configs
#     and joins 6 and 7 into $OUT/gpu-train.md.
#
# With the project's device tool: build here, then run with carry ["out/gpu-check"], timeout_s 600 and command
#   bash tools/gpu-check.sh run
# Everything is logged to $OUT (gpu-check.log, gpu-train-cs.log, gpu-train-py.log, gpu-train.md) when OUT is set, else to
# /tmp/mlops-gpu-check. Stage timeouts are capped so the whole run ends within GPU_CHECK_DEADLINE seconds (default 540).
# Smaller runs: GPU_TRAIN_ARGS="--steps 100 --repeats 3" (passed to both benchmarks), GPU_CHECK_STAGES="nccl,check,bench".
# A rehearsal without a GPU (MLOPS_LIBTORCH_DIR at a CPU libtorch, MLOPS_GPU_VENV at a Python with torch):
#   GPU_CHECK_STAGES=check,bench GPU_CUDA_CHECK_ARGS="--device cpu" #   GPU_TRAIN_ARGS="--device cpu --steps 3 --warmup 1 --repeats 1 --max-batch 256 --hidden 256" bash tools/gpu-check.sh run
set -u
MODE="${1:-run}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUNDLE_DIR="$ROOT/out/gpu-check"
BUNDLE="$BUNDLE_DIR/gpu-check.tar.xz"
LIMIT_MIB=60

if [ "$MODE" = "build" ]; then
  set -e
  command -v dotnet >/dev/null || { echo "build needs dotnet" >&2; exit 1; }
  APP="$BUNDLE_DIR/app"
  rm -rf "$APP" "$BUNDLE"; mkdir -p "$APP"
  publish() {  # publish PROJECT: self-contained linux-x64 into the shared folder
    echo "publishing $1"
    dotnet publish "$ROOT/$1" -c Release -r linux-x64 --self-contained true -p:PublishTrimmed=false \
      -p:InvariantGlobalization=true -o "$APP" -v quiet -nologo
  }
  publish benchmarks/Mlops.Benchmarks
  # The CPU libtorch (~600 MB) stays out: the files the libtorch-cpu package ships, and the same names by pattern.
  VERSION=$(sed -n 's/.*Include="libtorch-cpu-linux-x64" Version="\([^"]*\)".*/\1/p' "$ROOT/Directory.Packages.props")
  NATIVE="${NUGET_PACKAGES:-$HOME/.nuget/packages}/libtorch-cpu-linux-x64/$VERSION/runtimes/linux-x64/native"
  REMOVED=0
  if [ -d "$NATIVE" ]; then
    for f in "$NATIVE"/*; do
      [ -e "$APP/$(basename "$f")" ] && { rm -f "$APP/$(basename "$f")"; REMOVED=$((REMOVED + 1)); }
    done
  fi
  for f in "$APP"/libtorch*.so* "$APP"/libc10*.so* "$APP"/libgomp*.so* "$APP"/libshm.so "$APP"/libaoti_custom_ops.so \
           "$APP"/libbackend_with_compiler.so "$APP"/libjitbackend_test.so "$APP"/libnnapi_backend.so; do
    [ -e "$f" ] && { rm -f "$f"; REMOVED=$((REMOVED + 1)); }
  done
  # Native parts of benchmarks the GPU commands never load: DuckDB (70 MB), BenchmarkDotNet's disassembler and Windows
  # tracing DLLs, ML.NET debug symbols.
  rm -rf "$APP/libduckdb.so" "$APP/libcapstone.so" "$APP"/*.dbg "$APP/amd64"
  echo "removed $REMOVED CPU libtorch files (libtorch-cpu-linux-x64 $VERSION)"
  for need in libLibTorchSharp.so TorchSharp.dll Mlops.Benchmarks Mlops.Training.dll; do
    [ -e "$APP/$need" ] || { echo "the publish folder lacks $need" >&2; exit 1; }
  done
  if ls "$APP"/libtorch_cpu.so* >/dev/null 2>&1; then echo "libtorch_cpu.so is still in the bundle" >&2; exit 1; fi
  publish tests/Mlops.Distributed.TestWorker
  echo "packing $(du -sm "$APP" | cut -f1) MiB with xz"
  tar -C "$APP" -cf - . | xz -T0 -6 > "$BUNDLE"
  rm -rf "$APP"
  SIZE=$(stat -c %s "$BUNDLE")
  TOTAL=$(du -sb "$BUNDLE_DIR" | cut -f1)
  echo "bundle: $BUNDLE ($(awk "BEGIN { printf \"%.1f\", $SIZE / 1048576 }") MiB); out/gpu-check in all: $(awk "BEGIN { printf \"%.1f\", $TOTAL / 1048576 }") MiB"
  if [ "$TOTAL" -gt $((LIMIT_MIB * 1024 * 1024)) ]; then echo "out/gpu-check is over $LIMIT_MIB MiB; the GPU machine takes at most 64 MiB per run" >&2; exit 1; fi
  exit 0
fi

if [ "$MODE" != "run" ]; then echo "usage: bash tools/gpu-check.sh build|run" >&2; exit 2; fi

LOG_DIR="${OUT:-/tmp/mlops-gpu-check}"; mkdir -p "$LOG_DIR"
exec > >(tee -a "$LOG_DIR/gpu-check.log") 2>&1
DEADLINE="${GPU_CHECK_DEADLINE:-540}"
STAGES="${GPU_CHECK_STAGES:-nccl,check,bench}"
SUMMARY=()
FAILED=0
wants() { [[ ",$STAGES," == *",$1,"* ]]; }
stage() {  # stage NAME TIMEOUT cmd...: runs with a timeout capped by the time left; records the exit code
  local name="$1" t="$2"; shift 2
  local left=$((DEADLINE - SECONDS))
  [ "$left" -lt "$t" ] && t=$left
  if [ "$t" -lt 10 ]; then echo "=== $name: SKIPPED, no time left"; SUMMARY+=("$name: skipped (no time left)"); FAILED=1; return 99; fi
  echo; echo "=== $name (timeout ${t}s, t=${SECONDS}s)"
  timeout -k 5 "$t" "$@"; local rc=$?
  local note=""; [ $rc -eq 124 ] && note=" (TIMEOUT)"; [ $rc -gt 128 ] && [ $rc -ne 137 ] && note=" (signal $((rc - 128)))"
  echo "=== $name: rc=$rc$note"
  SUMMARY+=("$name: rc=$rc$note")
  [ $rc -eq 0 ] || FAILED=1
  return $rc
}

echo "=== host"; date; uname -srm; grep PRETTY_NAME /etc/os-release 2>/dev/null; nproc
nvidia-smi -L 2>&1 || echo "nvidia-smi failed: no NVIDIA driver here?"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>/dev/null
DEVICE_NAME=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
GPUS=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU')
STDCXX=$(ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ { print $NF; exit }')
if [ -n "$STDCXX" ] && grep -qa 'GLIBCXX_3\.4\.32' "$STDCXX"; then echo "libstdc++ $STDCXX has GLIBCXX_3.4.32"; else echo "libstdc++ ${STDCXX:-?} lacks GLIBCXX_3.4.32 (the bundle's libLibTorchSharp.so marks that need weak)"; fi

[ -f "$BUNDLE" ] || { echo "no bundle at $BUNDLE: run 'bash tools/gpu-check.sh build' first and carry out/gpu-check"; exit 1; }
APP=/tmp/mlops-gpu-check-app
unpack() { rm -rf "$APP"; mkdir -p "$APP" && xz -dc "$BUNDLE" | tar -C "$APP" -xf -; }
unpack || { echo "could not unpack $BUNDLE into $APP"; exit 1; }
"$APP/Mlops.Benchmarks" >/dev/null 2>&1
if [ $? -ge 126 ]; then  # /tmp mounted noexec: unpack beside the bundle instead
  echo "cannot run programs from /tmp; unpacking into $BUNDLE_DIR/app"; APP="$BUNDLE_DIR/app"; unpack || { echo "could not unpack $BUNDLE"; exit 1; }
fi
echo "unpacked $(du -sm "$APP" | cut -f1) MiB into $APP in ${SECONDS}s"
WORKER="$APP/Mlops.Distributed.TestWorker"
BENCH="$APP/Mlops.Benchmarks"

# Where libtorch, NCCL and cudart live on the project's GPU machine: the PyTorch venv (torch/lib and the nvidia wheels).
VENV="${MLOPS_GPU_VENV:-/opt/torch/.venv}"
PY="$VENV/bin/python3"
if [ ! -x "$PY" ]; then
  echo "no python in $VENV; using $(command -v python3 || echo 'no python3')"; PY=$(command -v python3 || echo python3)
fi
if [ -z "${MLOPS_LIBTORCH_DIR:-}" ]; then
  TORCH_CUDA=$(find "$VENV" -name 'libtorch_cuda.so' 2>/dev/null | head -1)
  [ -n "$TORCH_CUDA" ] || TORCH_CUDA=$(timeout 60 "$PY" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib", "libtorch_cuda.so"))' 2>/dev/null)
  [ -f "$TORCH_CUDA" ] && MLOPS_LIBTORCH_DIR=$(dirname "$TORCH_CUDA")
fi
if [ -z "${NCCL_LIB:-}" ]; then NCCL_LIB=$(find "$VENV" -name 'libnccl.so.2' 2>/dev/null | head -1); fi
if [ -z "${CUDART_LIB:-}" ]; then
  CUDART_LIB=$(find "$VENV" -name 'libcudart.so.13' 2>/dev/null | head -1)
  [ -n "$CUDART_LIB" ] || CUDART_LIB=$(find "$VENV" /usr/local/cuda/lib64 -name 'libcudart.so.1[0-9]*' 2>/dev/null | head -1)
fi
echo "MLOPS_LIBTORCH_DIR=${MLOPS_LIBTORCH_DIR:-(not found: the trainer stages will say CUDA is absent)}"
echo "NCCL_LIB=${NCCL_LIB:-(not found)}"; echo "CUDART_LIB=${CUDART_LIB:-(not found)}"
LIBDIRS=""
for d in "${MLOPS_LIBTORCH_DIR:-}" "$(dirname "${NCCL_LIB:-/}")" "$(dirname "${CUDART_LIB:-/}")"; do
  [ -n "$d" ] && [ "$d" != "/" ] && [ -d "$d" ] && LIBDIRS="$LIBDIRS${LIBDIRS:+:}$d"
done
[ -n "$LIBDIRS" ] && export LD_LIBRARY_PATH="$LIBDIRS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export NCCL_LIB CUDART_LIB
[ -n "${MLOPS_LIBTORCH_DIR:-}" ] && export MLOPS_LIBTORCH_DIR
echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)); }
rank() {  # rank RANK WORLD LOCAL PORT args...
  local r="$1" w="$2" l="$3" p="$4"; shift 4
  env RANK="$r" WORLD_SIZE="$w" LOCAL_RANK="$l" LOCAL_WORLD_SIZE=$([ "$l" -eq 0 ] && echo 1 || echo "$w") \
      MASTER_ADDR=127.0.0.1 MASTER_PORT="$p" "$WORKER" "$@" 2>&1 | sed "s/^/[rank $r] /"
  return "${PIPESTATUS[0]}"
}
export -f rank; export WORKER  # `timeout` runs programs, not functions: stages call rank through `bash -c`

if wants nccl; then
  stage "1 rank: NCCL correctness and 256 MB all-reduce" 120 bash -c 'rank "$@"' rank 0 1 0 "$(free_port)" nccl 256
  stage "1 rank: NCCL watchdog aborts a stuck all-reduce" 60 bash -c 'rank "$@"' rank 0 1 0 "$(free_port)" nccl-abort

  echo; echo "=== 2 ranks on one GPU must fail clearly (t=${SECONDS}s)"
  PORT=$(free_port)
  ( timeout -k 5 60 bash -c "rank 0 2 0 $PORT nccl 16" > "$LOG_DIR/same-gpu-0.log" 2>&1 ) &
  FIRST=$!
  ( timeout -k 5 60 bash -c "rank 1 2 0 $PORT nccl 16" > "$LOG_DIR/same-gpu-1.log" 2>&1 ) &
  SECOND=$!
  wait "$FIRST" "$SECOND"  # by pid: a bare `wait` would also wait for the log's tee, which never ends
  cat "$LOG_DIR/same-gpu-0.log" "$LOG_DIR/same-gpu-1.log"
  if grep -q "both use GPU" "$LOG_DIR/same-gpu-0.log" && grep -q "both use GPU" "$LOG_DIR/same-gpu-1.log"; then
    echo "=== same GPU: both ranks reported it: OK"; SUMMARY+=("2 ranks on one GPU fail clearly: ok")
  else
    echo "=== same GPU: expected 'both use GPU' on both ranks: FAILED"; SUMMARY+=("2 ranks on one GPU fail clearly: FAILED"); FAILED=1
  fi

  if [ "$GPUS" -ge 2 ]; then
    PORT=$(free_port)
    stage "2 ranks on 2 GPUs" 120 bash -c "rank 0 2 0 $PORT nccl 256 & first=\$!; rank 1 2 1 $PORT nccl 256; second=\$?; wait \$first; exit \$(( \$? | second ))"
  else
    echo "=== 2 ranks on 2 GPUs: skipped, $GPUS GPU(s) on this machine"
  fi
fi

if wants check; then
  NCCL_DEBUG="${NCCL_DEBUG:-WARN}" stage "training-cuda-check (strategy, NCCL, Fit, Save/Load on CUDA)" 150 "$BENCH" training-cuda-check ${GPU_CUDA_CHECK_ARGS:-}
  if [ $? -ne 0 ] && [ -n "${MLOPS_LIBTORCH_DIR:-}" ]; then
    echo "--- diagnosis: libLibTorchSharp.so against $MLOPS_LIBTORCH_DIR (undefined symbols = an ABI gap)"
    timeout 60 ldd -r "$APP/libLibTorchSharp.so" 2>&1 | grep -E 'not found|undefined symbol' | head -20
  fi
fi

if wants bench; then
  # shellcheck disable=SC2086  # GPU_TRAIN_ARGS is a list of arguments
  stage "training-gpu, C# (Fit vs plain TorchSharp)" 200 bash -c "set -o pipefail; '$BENCH' training-gpu ${GPU_TRAIN_ARGS:-} 2>&1 | tee '$LOG_DIR/gpu-train-cs.log'"
  stage "train_reference.py, PyTorch eager" 200 bash -c "set -o pipefail; PYTHONUNBUFFERED=1 '$PY' '$ROOT/tools/gpu/train_reference.py' ${GPU_TRAIN_ARGS:-} 2>&1 | tee '$LOG_DIR/gpu-train-py.log'"
  timeout 30 "$PY" "$ROOT/tools/gpu/join_tables.py" "$LOG_DIR/gpu-train-cs.log" "$LOG_DIR/gpu-train-py.log" "${DEVICE_NAME:-this machine}" > "$LOG_DIR/gpu-train.md" 2>&1 \
    || timeout 30 python3 "$ROOT/tools/gpu/join_tables.py" "$LOG_DIR/gpu-train-cs.log" "$LOG_DIR/gpu-train-py.log" "${DEVICE_NAME:-this machine}" > "$LOG_DIR/gpu-train.md" 2>&1
  echo; cat "$LOG_DIR/gpu-train.md"
fi

echo; echo "=== summary (${SECONDS}s)"
printf '  %s\n' "${SUMMARY[@]}"
echo "=== gpu-check $( [ $FAILED -eq 0 ] && echo PASSED || echo FAILED ) in ${SECONDS}s; logs in $LOG_DIR"
exit $FAILED
