using System.Net;
using Microsoft.Extensions.Logging;
using Mlops.Distributed.Cluster;
using Mlops.Distributed.Collectives;

namespace Mlops.Distributed.Rendezvous;

/// <summary>Joins a job's rendezvous: rank 0 hosts the store (unless the launcher does), every rank (rank 0 included) connects to it.</summary>
internal static class JobRendezvous
{
    public static (RendezvousServer? Server, RendezvousClient Store) Join(ClusterSpec spec, CollectiveOptions options, TimeProvider clock, ILogger logger, CancellationToken cancellationToken)
    {
        RendezvousServer? server = null;
        try
        {
            if (spec.WorldSize == 1)
            {
                // A one-process job still gets a store (callers may use it) but needs no agreed port: take a free one.
                server = RendezvousServer.Start(IPAddress.Loopback, 0, spec.Generation, 1, clock, logger);
                return (server, RendezvousClient.Connect("127.0.0.1", server.EndPoint.Port, spec.Generation, 0, 1, options.ConnectTimeout, clock, cancellationToken));
            }

            if (spec.Rank == 0 && !spec.LauncherHostsStore)
            {
                server = RendezvousServer.Start(ListenAddressFor(spec, options), spec.MasterPort, spec.Generation, spec.WorldSize, clock, logger);
            }

            var store = RendezvousClient.Connect(spec.MasterAddress, spec.MasterPort, spec.Generation, spec.Rank, spec.WorldSize, options.ConnectTimeout, clock, cancellationToken);
            return (server, store);
        }
        catch
        {
            server?.Dispose();
            throw;
        }
    }

    private static IPAddress ListenAddressFor(ClusterSpec spec, CollectiveOptions options)
    {
        if (options.ListenAddress is not null)
        {
            return IPAddress.Parse(options.ListenAddress);
        }

        var loopback = string.Equals(spec.MasterAddress, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(spec.MasterAddress, out var ip) && IPAddress.IsLoopback(ip));
        return loopback ? IPAddress.Loopback : IPAddress.Any;
    }
}
