using System.Globalization;
using Mlops.Features.FeatureStore.Online;
using StackExchange.Redis;

namespace Mlops.Features.Redis;

/// <summary>
/// The Lua script that writes one row newer-wins, atomically inside Redis, and the arguments it takes. Timestamps go
/// as decimal strings of the stores' integer orders (UTC ticks; created: 0 for none, else ticks + 1); Lua numbers are
/// doubles, exact only to 2^53, so the script compares them in two parts (above and below 10^9).
/// </summary>
internal static class RedisRowScript
{
    /// <summary>
    /// KEYS[1]: the row's hash. ARGV[1]: the event order; ARGV[2]: the created order; ARGV[3..]: field, value pairs.
    /// Returns 1 when the row was stored, 0 when the stored row is newer (<c>OnlineWriteBatch.Replaces</c> is the rule).
    /// </summary>
    public const string Source = """
        local function compare(a, b)
          local an, bn = #a, #b
          local ah = an > 9 and tonumber(string.sub(a, 1, an - 9)) or 0
          local bh = bn > 9 and tonumber(string.sub(b, 1, bn - 9)) or 0
          if ah ~= bh then return ah < bh and -1 or 1 end
          local al = tonumber(an > 9 and string.sub(a, an - 8) or a)
          local bl = tonumber(bn > 9 and string.sub(b, bn - 8) or b)
          if al ~= bl then return al < bl and -1 or 1 end
          return 0
        end
        local stored = redis.call('HMGET', KEYS[1], '_ts', '_ct')
        if stored[1] then
          local byEvent = compare(ARGV[1], stored[1])
          if byEvent < 0 or (byEvent == 0 and compare(ARGV[2], stored[2] or '0') < 0) then
            return 0
          end
          redis.call('DEL', KEYS[1])
        end
        redis.call('HSET', KEYS[1], '_ts', ARGV[1], '_ct', ARGV[2])
        for i = 3, #ARGV, 200 do
          redis.call('HSET', KEYS[1], unpack(ARGV, i, math.min(i + 199, #ARGV)))
        end
        return 1
        """;

    /// <summary>The script's ARGV for <paramref name="row"/>: its timestamps, then each feature's field and encoded value.</summary>
    /// <exception cref="ArgumentException">A value that cannot be encoded (the message names the feature).</exception>
    public static RedisValue[] Arguments(OnlineRow row)
    {
        var arguments = new RedisValue[2 + (2 * row.Values.Count)];
        arguments[0] = OnlineWriteBatch.EventOrder(row).ToString(CultureInfo.InvariantCulture);
        arguments[1] = OnlineWriteBatch.CreatedOrder(row).ToString(CultureInfo.InvariantCulture);
        var i = 2;
        foreach (var (name, value) in row.Values)
        {
            arguments[i++] = RedisKeyLayout.FeatureField(name);
            arguments[i++] = OnlineValueCodec.EncodeValue(value, name);
        }

        return arguments;
    }
}
