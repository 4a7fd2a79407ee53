using System.Runtime.InteropServices;

namespace Mlops.Distributed.Collectives;

/// <summary>
/// Linux futexes on shared memory: a thread of one process sleeps on a 32-bit word until a thread of another process
/// changes it and wakes it. Not the private variant, so the kernel keys the word by its file page and it works across
/// processes that map the same file.
/// </summary>
internal static unsafe partial class Futex
{
    private const int WaitOp = 0;
    private const int WakeOp = 1;

    private static readonly long SyscallNumber = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 202,
        Architecture.Arm64 => 98,
        _ => -1,
    };

    /// <summary>Whether this platform has futexes (Linux on x64 or arm64).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && SyscallNumber > 0;

    /// <summary>Sleeps while <c>*word == expected</c>, at most <paramref name="milliseconds"/>; returns early on a wake or a change.</summary>
    public static void Wait(int* word, int expected, int milliseconds)
    {
        var timeout = new TimeSpec { Seconds = milliseconds / 1000, Nanoseconds = (milliseconds % 1000) * 1_000_000L };
        _ = Syscall(SyscallNumber, word, WaitOp, expected, &timeout, 0, 0);
    }

    /// <summary>Wakes every thread sleeping on <paramref name="word"/>.</summary>
    public static void WakeAll(int* word) => _ = Syscall(SyscallNumber, word, WakeOp, int.MaxValue, null, 0, 0);

    // syscall(2) is variadic; every argument here is an integer or pointer, passed in the same registers either way.
    [LibraryImport("libc", EntryPoint = "syscall")]
    private static partial long Syscall(long number, int* word, int op, int value, TimeSpec* timeout, nint word2, int value3);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
