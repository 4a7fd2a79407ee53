using System.Runtime.InteropServices;
using Mlops.Distributed.Collectives;

namespace Mlops.Distributed.Nccl;

/// <summary>
/// The NCCL and CUDA runtime entry points this backend uses, bound once per process by symbol lookup (no DllImport, so
/// a missing library is a clear error at <see cref="Load"/> rather than an EntryPointNotFoundException at first use).
/// </summary>
internal sealed unsafe class NcclApi
{
    public const int Success = 0;
    public const int InProgress = 7;
    public const int CudaErrorNotReady = 600;
    public const int CudaMemcpyHostToDevice = 1;
    public const int CudaMemcpyDeviceToHost = 2;
    private static readonly object LoadLock = new();
    private static NcclApi? _loaded;

    private NcclApi(nint nccl, nint cudart, string ncclPath, string cudartPath)
    {
        NcclPath = ncclPath;
        CudaRuntimePath = cudartPath;
        GetVersion = (delegate* unmanaged<int*, int>)Export(nccl, "ncclGetVersion", ncclPath);
        GetUniqueId = (delegate* unmanaged<NcclUniqueId*, int>)Export(nccl, "ncclGetUniqueId", ncclPath);
        CommInitRankConfig = (delegate* unmanaged<nint*, int, NcclUniqueId, int, NcclConfig*, int>)Export(nccl, "ncclCommInitRankConfig", ncclPath);
        CommGetAsyncError = (delegate* unmanaged<nint, int*, int>)Export(nccl, "ncclCommGetAsyncError", ncclPath);
        CommAbort = (delegate* unmanaged<nint, int>)Export(nccl, "ncclCommAbort", ncclPath);
        CommFinalize = (delegate* unmanaged<nint, int>)Export(nccl, "ncclCommFinalize", ncclPath);
        CommDestroy = (delegate* unmanaged<nint, int>)Export(nccl, "ncclCommDestroy", ncclPath);
        GetErrorString = (delegate* unmanaged<int, byte*>)Export(nccl, "ncclGetErrorString", ncclPath);
        AllReduce = (delegate* unmanaged<nint, nint, nuint, int, int, nint, nint, int>)Export(nccl, "ncclAllReduce", ncclPath);
        Broadcast = (delegate* unmanaged<nint, nint, nuint, int, int, nint, nint, int>)Export(nccl, "ncclBroadcast", ncclPath);
        AllGather = (delegate* unmanaged<nint, nint, nuint, int, nint, nint, int>)Export(nccl, "ncclAllGather", ncclPath);
        ReduceScatter = (delegate* unmanaged<nint, nint, nuint, int, int, nint, nint, int>)Export(nccl, "ncclReduceScatter", ncclPath);
        CudaGetDeviceCount = (delegate* unmanaged<int*, int>)Export(cudart, "cudaGetDeviceCount", cudartPath);
        CudaSetDevice = (delegate* unmanaged<int, int>)Export(cudart, "cudaSetDevice", cudartPath);
        CudaDeviceGetPciBusId = (delegate* unmanaged<byte*, int, int, int>)Export(cudart, "cudaDeviceGetPCIBusId", cudartPath);
        CudaStreamQuery = (delegate* unmanaged<nint, int>)Export(cudart, "cudaStreamQuery", cudartPath);
        CudaGetErrorString = (delegate* unmanaged<int, byte*>)Export(cudart, "cudaGetErrorString", cudartPath);
        CudaMalloc = (delegate* unmanaged<nint*, nuint, int>)Export(cudart, "cudaMalloc", cudartPath);
        CudaFree = (delegate* unmanaged<nint, int>)Export(cudart, "cudaFree", cudartPath);
        CudaMemcpy = (delegate* unmanaged<nint, nint, nuint, int, int>)Export(cudart, "cudaMemcpy", cudartPath);
        CudaDeviceSynchronize = (delegate* unmanaged<int>)Export(cudart, "cudaDeviceSynchronize", cudartPath);
    }

    public string NcclPath { get; }

    public string CudaRuntimePath { get; }

    public delegate* unmanaged<int*, int> GetVersion { get; }

    public delegate* unmanaged<NcclUniqueId*, int> GetUniqueId { get; }

    public delegate* unmanaged<nint*, int, NcclUniqueId, int, NcclConfig*, int> CommInitRankConfig { get; }

    public delegate* unmanaged<nint, int*, int> CommGetAsyncError { get; }

    public delegate* unmanaged<nint, int> CommAbort { get; }

    public delegate* unmanaged<nint, int> CommFinalize { get; }

    public delegate* unmanaged<nint, int> CommDestroy { get; }

    public delegate* unmanaged<int, byte*> GetErrorString { get; }

    public delegate* unmanaged<nint, nint, nuint, int, int, nint, nint, int> AllReduce { get; }

    public delegate* unmanaged<nint, nint, nuint, int, int, nint, nint, int> Broadcast { get; }

    public delegate* unmanaged<nint, nint, nuint, int, nint, nint, int> AllGather { get; }

    public delegate* unmanaged<nint, nint, nuint, int, int, nint, nint, int> ReduceScatter { get; }

    public delegate* unmanaged<int*, int> CudaGetDeviceCount { get; }

    public delegate* unmanaged<int, int> CudaSetDevice { get; }

    public delegate* unmanaged<byte*, int, int, int> CudaDeviceGetPciBusId { get; }

    public delegate* unmanaged<nint, int> CudaStreamQuery { get; }

    public delegate* unmanaged<int, byte*> CudaGetErrorString { get; }

    public delegate* unmanaged<nint*, nuint, int> CudaMalloc { get; }

    public delegate* unmanaged<nint, int> CudaFree { get; }

    public delegate* unmanaged<nint, nint, nuint, int, int> CudaMemcpy { get; }

    public delegate* unmanaged<int> CudaDeviceSynchronize { get; }

    /// <summary>Loads NCCL and the CUDA runtime once per process.</summary>
    /// <exception cref="CollectiveBackendUnavailableException">A library is missing or is not the expected one.</exception>
    public static NcclApi Load(string? ncclPath, string? cudaRuntimePath, int rank)
    {
        lock (LoadLock)
        {
            if (_loaded is not null)
            {
                return _loaded;
            }

            if (!OperatingSystem.IsLinux())
            {
                throw new CollectiveBackendUnavailableException($"Rank {rank}: the NCCL backend runs on Linux only; use the Ring backend here.", rank);
            }

            var cudart = NativeLibraryLocator.TryLoad(NativeLibraryLocator.CudaRuntimeCandidates(cudaRuntimePath), out var triedCudart, out var cudartPath);
            if (cudart == 0)
            {
                throw new CollectiveBackendUnavailableException(
                    $"Rank {rank}: the NCCL backend needs the CUDA runtime (libcudart.so.*), which was not found (tried: {triedCudart}). Install CUDA or a PyTorch with CUDA, or set CUDART_LIB (option CudaRuntimePath) to the library's path; without a GPU use the Ring backend.",
                    rank);
            }

            var nccl = NativeLibraryLocator.TryLoad(NativeLibraryLocator.NcclCandidates(ncclPath), out var triedNccl, out var loadedNccl);
            if (nccl == 0)
            {
                throw new CollectiveBackendUnavailableException(
                    $"Rank {rank}: NCCL (libnccl.so.2) was not found (tried: {triedNccl}). Install NCCL (or the nvidia-nccl pip wheel), or set NCCL_LIB (option NcclLibraryPath) to its path; without a GPU use the Ring backend.",
                    rank);
            }

            try
            {
                return _loaded = new NcclApi(nccl, cudart, loadedNccl, cudartPath);
            }
            catch (EntryPointNotFoundException ex)
            {
                throw new CollectiveBackendUnavailableException($"Rank {rank}: {ex.Message} Point NCCL_LIB and CUDART_LIB at NCCL 2.14 or later and a CUDA runtime.", rank, ex);
            }
        }
    }

    public string NcclError(int code) => $"{Marshal.PtrToStringUTF8((nint)GetErrorString(code))} (ncclResult {code})";

    public string CudaError(int code) => $"{Marshal.PtrToStringUTF8((nint)CudaGetErrorString(code))} (cudaError {code})";

    private static nint Export(nint library, string name, string path) =>
        NativeLibrary.TryGetExport(library, name, out var address)
            ? address
            : throw new EntryPointNotFoundException($"'{path}' does not export {name}; it is not the expected library (or too old).");
}

/// <summary>NCCL's 128-byte unique id, exchanged through the rendezvous store.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NcclUniqueId
{
    public const int Size = 128;
    public fixed byte Internal[Size];
}

/// <summary>
/// The prefix of <c>ncclConfig_t</c> up to <c>blocking</c>, declared as version 2.14: NCCL copies <c>size</c> bytes and
/// gives every later field its default, so this stays valid for newer NCCL versions.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NcclConfig
{
    public nuint Size;
    public uint Magic;
    public uint Version;
    public int Blocking;

    public static NcclConfig NonBlocking() => new() { Size = (nuint)Marshal.SizeOf<NcclConfig>(), Magic = 0xcafebeef, Version = 21400, Blocking = 0 };
}
