#!/bin/bash
# GPU check for the NCCL backend of Mlops.Training.Distributed.
#
#   bash tools/gpu-check.sh build        (here, with dotnet)  publishes the test worker self-contained for linux-x64 and
#                                        packs it as out/gpu-check/gpu-check.tar.xz (tar + xz, well under 64 MiB)
#   bash tools/gpu-check.sh run          (on the GPU machine, which has no dotnet) unpacks the bundle, finds NCCL and the
#                                        CUDA runtime (NCCL_LIB / CUDART_LIB, else the PyTorch venv's nvidia wheels) and runs:
#                                          1. one rank: init, all-reduce in place and out of place on device memory for every
#                                             reduction (checked on the host), timing of a 256 MB all-reduce
#                                          2. the watchdog: an all-reduce stuck behind a 3 s stream stall must abort within its
#                                             500 ms deadline, and the aborted communicator must refuse further calls
#                                          3. two ranks given the same GPU must both fail with a clear error (no NCCL hang)
#                                          4. with two or more GPUs: two ranks, correctness and a 256 MB all-reduce
#
# With the project's device tool: build here, then run with carry ["out/gpu-check"] and command
#   bash tools/gpu-check.sh run
# Every stage has a timeout and prints its exit code; the log goes to $OUT/gpu-check.log when OUT is set.
set -u
MODE="${1:-run}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUNDLE_DIR="$ROOT/out/gpu-check"
BUNDLE="$BUNDLE_DIR/gpu-check.tar.xz"

if [ "$MODE" = "build" ]; then
  set -e
  rm -rf "$BUNDLE_DIR/app"; mkdir -p "$BUNDLE_DIR"
  dotnet publish "$ROOT/tests/Mlops.Training.Distributed.TestWorker" -c Release -r linux-x64 --self-contained true \
    -p:PublishTrimmed=false -p:InvariantGlobalization=true -o "$BUNDLE_DIR/app" -v quiet -nologo
  tar -C "$BUNDLE_DIR/app" -cf - . | xz -T0 -6 > "$BUNDLE"
  rm -rf "$BUNDLE_DIR/app"
  SIZE=$(stat -c %s "$BUNDLE")
  echo "bundle: $BUNDLE ($((SIZE / 1024 / 1024)) MiB)"
  if [ "$SIZE" -gt $((60 * 1024 * 1024)) ]; then echo "bundle is over 60 MiB; the GPU machine takes at most 64 MiB per run" >&2; exit 1; fi
  exit 0
fi

if [ "$MODE" != "run" ]; then echo "usage: bash tools/gpu-check.sh build|run" >&2; exit 2; fi

LOG_DIR="${OUT:-/tmp/mlops-gpu-check}"; mkdir -p "$LOG_DIR"
exec > >(tee -a "$LOG_DIR/gpu-check.log") 2>&1
FAILED=0
stage() {  # stage NAME TIMEOUT cmd...
  local name="$1" t="$2"; shift 2
  echo; echo "=== $name (timeout ${t}s, t=${SECONDS}s)"
  timeout -k 5 "$t" "$@"; local rc=$?
  echo "=== $name: rc=$rc$( [ $rc -eq 124 ] && echo ' (TIMEOUT)')"
  return $rc
}

echo "=== host"; date; uname -srm; nvidia-smi -L 2>&1 || echo "nvidia-smi failed"
[ -f "$BUNDLE" ] || { echo "no bundle at $BUNDLE: run 'bash tools/gpu-check.sh build' first and carry out/gpu-check"; exit 1; }
APP=/tmp/mlops-gpu-check-app; rm -rf "$APP"; mkdir -p "$APP"
xz -dc "$BUNDLE" | tar -C "$APP" -xf - || { echo "could not unpack $BUNDLE"; exit 1; }
WORKER="$APP/Mlops.Training.Distributed.TestWorker"; chmod +x "$WORKER"

# Where NCCL and cudart live on the project's GPU machine: the nvidia wheels of the PyTorch venv (DEVELOPERS.md).
VENV=/opt/torch/.venv
if [ -z "${NCCL_LIB:-}" ]; then NCCL_LIB=$(find "$VENV" -name 'libnccl.so.2' 2>/dev/null | head -1); fi
if [ -z "${CUDART_LIB:-}" ]; then
  CUDART_LIB=$(find "$VENV" -name 'libcudart.so.13' 2>/dev/null | head -1)
  [ -n "$CUDART_LIB" ] || CUDART_LIB=$(find "$VENV" /usr/local/cuda/lib64 -name 'libcudart.so.1[0-9]*' 2>/dev/null | head -1)
fi
export NCCL_LIB CUDART_LIB
echo "NCCL_LIB=$NCCL_LIB"; echo "CUDART_LIB=$CUDART_LIB"
GPUS=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU')
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)); }
rank() {  # rank RANK WORLD LOCAL PORT args...
  local r="$1" w="$2" l="$3" p="$4"; shift 4
  env RANK="$r" WORLD_SIZE="$w" LOCAL_RANK="$l" LOCAL_WORLD_SIZE=$([ "$l" -eq 0 ] && echo 1 || echo "$w") \
      MASTER_ADDR=127.0.0.1 MASTER_PORT="$p" "$WORKER" "$@" 2>&1 | sed "s/^/[rank $r] /"
  return "${PIPESTATUS[0]}"
}

stage "1 rank: correctness and 256 MB all-reduce" 180 rank 0 1 0 "$(free_port)" nccl 256 || FAILED=1
stage "1 rank: watchdog aborts a stuck all-reduce" 60 rank 0 1 0 "$(free_port)" nccl-abort || FAILED=1

echo; echo "=== 2 ranks on one GPU must fail clearly (t=${SECONDS}s)"
PORT=$(free_port)
( timeout -k 5 90 bash -c "$(declare -f rank); WORKER='$WORKER'; rank 0 2 0 $PORT nccl 16" > "$LOG_DIR/same-gpu-0.log" 2>&1 ) &
( timeout -k 5 90 bash -c "$(declare -f rank); WORKER='$WORKER'; rank 1 2 0 $PORT nccl 16" > "$LOG_DIR/same-gpu-1.log" 2>&1 ) &
wait
cat "$LOG_DIR/same-gpu-0.log" "$LOG_DIR/same-gpu-1.log"
if grep -q "both use GPU" "$LOG_DIR/same-gpu-0.log" && grep -q "both use GPU" "$LOG_DIR/same-gpu-1.log"; then
  echo "=== same GPU: both ranks reported it: OK"
else
  echo "=== same GPU: expected 'both use GPU' on both ranks: FAILED"; FAILED=1
fi

if [ "$GPUS" -ge 2 ]; then
  PORT=$(free_port)
  stage "2 ranks on 2 GPUs" 180 bash -c "$(declare -f rank); WORKER='$WORKER'; rank 0 2 0 $PORT nccl 256 & rank 1 2 1 $PORT nccl 256; wait" || FAILED=1
else
  echo "=== 2 ranks on 2 GPUs: skipped, $GPUS GPU(s) on this machine"
fi

echo; echo "=== gpu-check $( [ $FAILED -eq 0 ] && echo PASSED || echo FAILED ) in ${SECONDS}s"
exit $FAILED
