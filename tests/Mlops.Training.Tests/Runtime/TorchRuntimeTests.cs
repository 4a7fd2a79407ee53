using System.Diagnostics;
using Mlops.Training.Runtime;
using TorchSharp;

namespace Mlops.Training.Tests.Runtime;

public class TorchRuntimeTests
{
    [Fact]
    public void Loads_libtorch_from_the_output_folder_and_trains_a_step()
    {
        TorchRuntime.EnsureInitialized();
        Assert.Contains("libtorch 2.10", TorchRuntime.Description, StringComparison.Ordinal);
        torch.manual_seed(1);
        using var scope = torch.NewDisposeScope();
        var w = torch.zeros(3, requires_grad: true);
        var x = torch.tensor(new float[] { 1, 2, 3 });
        var loss = (w * x).sum() - 6;
        loss.backward();
        Assert.Equal([1f, 2f, 3f], w.grad!.data<float>().ToArray());
    }

    [Fact]
    public void Output_copy_of_the_bridge_needs_glibcxx_3_4_32_only_weakly_when_the_system_lacks_it()
    {
        var bridge = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
        Assert.True(File.Exists(bridge), $"missing {bridge}");
        var systemHasIt = File.Exists("/usr/lib/x86_64-linux-gnu/libstdc++.so.6")
            && File.ReadAllText("/usr/lib/x86_64-linux-gnu/libstdc++.so.6").Contains("GLIBCXX_3.4.32\0", StringComparison.Ordinal);
        var flags = ElfVersionNeeds.FlagsOf(bridge, "GLIBCXX_3.4.32");
        Assert.NotNull(flags);
        Assert.Equal(!systemHasIt, (flags!.Value & 0x2) != 0);
    }

    [Fact]
    public void A_bridge_without_the_build_fix_is_reported_as_a_libstdcxx_problem_with_what_to_do()
    {
        var folder = Directory.CreateTempSubdirectory("mlops-strict-bridge").FullName;
        try
        {
            var strict = Path.Combine(folder, "libLibTorchSharp.so");
            ElfVersionNeeds.WriteStrictCopy(Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so"), strict, "GLIBCXX_3.4.32");

            // Its libtorch dependencies are found by name once loaded, so only the version need can stop the copy.
            TorchRuntime.EnsureInitialized();
            System.Runtime.InteropServices.NativeLibrary.Load(Path.Combine(AppContext.BaseDirectory, "libtorch.so"));
            if (SystemHasGlibcxx3432())
            {
                TorchRuntime.Load(strict, "TorchSharp's native bridge"); // a system that has the version loads it as NuGet ships it
                return;
            }

            var error = Assert.Throws<TorchLoadException>(() => TorchRuntime.Load(strict, "TorchSharp's native bridge"));
            Assert.True(error.Message.Contains($"TorchSharp's native bridge ({strict}) needs a newer libstdc++", StringComparison.Ordinal), error.Message);
            Assert.Contains("GLIBCXX_3.4.32", error.Message, StringComparison.Ordinal);
            Assert.Contains("Rebuild the application", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    private static bool SystemHasGlibcxx3432() =>
        File.Exists("/usr/lib/x86_64-linux-gnu/libstdc++.so.6")
        && File.ReadAllText("/usr/lib/x86_64-linux-gnu/libstdc++.so.6").Contains("GLIBCXX_3.4.32\0", StringComparison.Ordinal);

    [Fact]
    public async Task Missing_libtorch_folder_is_reported_with_what_to_do()
    {
        var folder = Directory.CreateTempSubdirectory("mlops-nolibtorch").FullName;
        try
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Mlops.Training.Tests.dll"));
            start.ArgumentList.Add("worker");
            start.ArgumentList.Add("torch-version");
            start.Environment[TorchRuntimeOptions.LibTorchDirectoryVariable] = folder;
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEndAsync();
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(deadline.Token);
            Assert.NotEqual(0, process.ExitCode);
            var errorText = await error;
            Assert.Contains($"The libtorch folder '{folder}'", errorText, StringComparison.Ordinal);
            Assert.Contains("has no libtorch_cpu.so", errorText, StringComparison.Ordinal);
            Assert.Empty(await output);
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }
}
