using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Comet.Load;

internal sealed record RedisResults(double Get, double Set, double GetPipelined, double SetPipelined, string LoadAverage);

/// <summary>
/// Runs redis-benchmark against a redis-server on 127.0.0.1:<c>port</c> (default 6390): one already listening there,
/// or a throw-away one started here (<c>--save '' --appendonly no</c>) and stopped after.
/// </summary>
internal static partial class RedisBench
{
    private static int Port = 6390;

    public static async Task<RedisResults?> RunAsync(int requests, int port)
    {
        Port = port;
        string? server = Which("redis-server");
        string? bench = Which("redis-benchmark");
        if (bench is null)
        {
            Console.WriteLine("redis-benchmark not found: skipping the Redis comparison (apt-get install -y redis-server redis-tools).");
            return null;
        }
        if (await WaitForPortAsync(TimeSpan.Zero))
        {
            Console.WriteLine();
            Console.WriteLine($"redis-server already listening on {Port}: using it");
            return await BothAsync(bench, requests);
        }
        if (server is null)
        {
            Console.WriteLine("redis-server not found: skipping the Redis comparison (apt-get install -y redis-server).");
            return null;
        }
        using var proc = Process.Start(new ProcessStartInfo(server)
        {
            ArgumentList = { "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        proc.OutputDataReceived += (_, _) => { };
        proc.ErrorDataReceived += (_, _) => { };
        proc.BeginOutputReadLine();
        proc.BeginErrorReadLine();
        try
        {
            if (!await WaitForPortAsync(TimeSpan.FromSeconds(10)))
            {
                Console.WriteLine($"redis-server did not listen on {Port}: skipping the Redis comparison.");
                return null;
            }
            Console.WriteLine();
            return await BothAsync(bench, requests);
        }
        finally
        {
            try
            {
                proc.Kill();
                await proc.WaitForExitAsync();
            }
            catch (InvalidOperationException)
            {
            }
        }
    }

    private static async Task<RedisResults> BothAsync(string bench, int requests)
    {
        Console.WriteLine($"redis-benchmark -p {Port} -t get,set -n {requests} -c 50 -q   (load average {Machine.LoadAverage()})");
        var plain = await BenchAsync(bench, requests, pipeline: 1);
        Console.WriteLine($"redis-benchmark -p {Port} -t get,set -n {requests} -c 50 -q -P 16   (load average {Machine.LoadAverage()})");
        var piped = await BenchAsync(bench, requests, pipeline: 16);
        return new RedisResults(plain.Get, plain.Set, piped.Get, piped.Set, Machine.LoadAverage());
    }

    private static async Task<(double Get, double Set)> BenchAsync(string bench, int requests, int pipeline)
    {
        var psi = new ProcessStartInfo(bench)
        {
            ArgumentList = { "-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-t", "get,set", "-n", requests.ToString(CultureInfo.InvariantCulture), "-c", "50", "-q" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (pipeline > 1)
        {
            psi.ArgumentList.Add("-P");
            psi.ArgumentList.Add(pipeline.ToString(CultureInfo.InvariantCulture));
        }
        using var p = Process.Start(psi)!;
        string output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        double get = double.NaN, set = double.NaN;
        // -q prints progress lines ending in \r, then e.g. "GET: 123456.79 requests per second, p50=0.215 msec".
        foreach (var line in output.Split('\n', '\r'))
        {
            var m = RateLine().Match(line);
            if (!m.Success) continue;
            double rate = double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            if (m.Groups[1].Value == "GET") get = rate;
            else if (m.Groups[1].Value == "SET") set = rate;
            Console.WriteLine("  " + line.Trim());
        }
        return (get, set);
    }

    [GeneratedRegex(@"^\s*(GET|SET):\s*([0-9.]+)\s+requests per second")]
    private static partial Regex RateLine();

    private static async Task<bool> WaitForPortAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        do
        {
            try
            {
                using var socket = new TcpClient();
                await socket.ConnectAsync("127.0.0.1", Port);
                return true;
            }
            catch (SocketException)
            {
                if (timeout > TimeSpan.Zero) await Task.Delay(100);
            }
        }
        while (DateTime.UtcNow < deadline);
        return false;
    }

    private static string? Which(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':'))
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path)) return path;
        }
        return null;
    }
}

internal static class Report
{
    /// <summary>The SDK targets of issue 10 (the REST one comes from bench/rest/run-wrk.sh).</summary>
    public static void Ratios(List<Result> results, RedisResults? redis, List<Result> halfLoad)
    {
        double Peak(string name) => results.Where(r => r.Name == name && r.Mode.StartsWith("c=", StringComparison.Ordinal))
            .Select(r => r.OpsPerSecond).DefaultIfEmpty(double.NaN).Max();
        double get1 = Peak("GET N=1/R=1");
        double get3 = Peak("GET N=3/R=2");
        double put3 = Peak("PUT N=3/W=2");
        double aso1 = Peak("ASO GET N=1");
        double aso3 = Peak("ASO GET N=3/R=2");
        Console.WriteLine();
        Console.WriteLine("target (issue 10)                                   measured              ratio   target");
        void Line(string what, double a, double b, string goal, double threshold)
        {
            double ratio = a / b;
            string verdict = double.IsNaN(ratio) ? "n/a" : ratio >= threshold ? "MET" : "MISSED";
            Console.WriteLine($"{what,-51} {a,9:N0} / {b,-9:N0} {ratio,6:F2}x  {goal,-7}  {verdict}");
        }
        if (redis is not null)
        {
            Line("SDK GET N=3/R=2 vs Redis GET (-c 50)", get3, redis.Get, ">= 0.6x", 0.6);
            Line("SDK GET N=1 vs Redis GET (-c 50) (not a target)", get1, redis.Get, "", 0);
            Line("SDK PUT N=3/W=2 vs Redis SET (-c 50)", put3, redis.Set, ">= 0.2x", 0.2);
        }
        Line("ASO GET N=1 vs passive GET N=1", aso1, get1, ">= 0.8x", 0.8);
        Line("ASO GET N=3/R=2 vs passive GET N=3/R=2", aso3, get3, ">= 0.8x", 0.8);
        foreach (var half in halfLoad)
        {
            string verdict = half.Latency.P99Ms <= 5 ? "MET" : "MISSED";
            Console.WriteLine($"{"p99 of " + half.Name + " at half of peak (" + half.Mode + ")",-51} {half.Latency.P99Ms,9:F2} ms                    <= 5 ms   {verdict}");
        }
    }
}
