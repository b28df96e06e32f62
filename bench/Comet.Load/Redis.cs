using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Comet.Load;

internal sealed record RedisResults(double Get, double Set, double GetPipelined, double SetPipelined, string LoadAverage);

/// <summary>Runs redis-benchmark against a throw-away redis-server on 127.0.0.1:6390 (if both are installed).</summary>
internal static partial class RedisBench
{
    private const int Port = 6390;

    public static async Task<RedisResults?> RunAsync(int requests)
    {
        string? server = Which("redis-server");
        string? bench = Which("redis-benchmark");
        if (server is null || bench is null)
        {
            Console.WriteLine("redis-server/redis-benchmark not found: skipping the Redis comparison (apt-get install -y redis-server).");
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
            Console.WriteLine($"redis-benchmark -p {Port} -t get,set -n {requests} -c 50 -q   (load average {Machine.LoadAverage()})");
            var plain = await BenchAsync(bench, requests, pipeline: 1);
            Console.WriteLine($"redis-benchmark -p {Port} -t get,set -n {requests} -c 50 -q -P 16   (load average {Machine.LoadAverage()})");
            var piped = await BenchAsync(bench, requests, pipeline: 16);
            return new RedisResults(plain.Get, plain.Set, piped.Get, piped.Set, Machine.LoadAverage());
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
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var socket = new TcpClient();
                await socket.ConnectAsync("127.0.0.1", Port);
                return true;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }
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
    public static void Ratios(List<Result> results, RedisResults? redis, Result? halfLoad)
    {
        double Peak(string name) => results.Where(r => r.Name == name && r.Mode.StartsWith("c=", StringComparison.Ordinal))
            .Select(r => r.OpsPerSecond).DefaultIfEmpty(double.NaN).Max();
        double get1 = Peak("GET N=1/R=1");
        double get3 = Peak("GET N=3/R=2");
        double aso1 = Peak("ASO GET N=1");
        double aso3 = Peak("ASO GET N=3/R=2");
        Console.WriteLine();
        Console.WriteLine("goal                                              measured        ratio   goal     ");
        void Line(string what, double a, double b, string goal, double threshold, bool atLeast = true)
        {
            double ratio = a / b;
            string verdict = double.IsNaN(ratio) ? "n/a" : (atLeast ? ratio >= threshold : ratio <= threshold) ? "MET" : "MISSED";
            Console.WriteLine($"{what,-49} {a,7:N0} / {b,-9:N0} {ratio,6:F2}x  {goal,-7}  {verdict}");
        }
        if (redis is not null)
        {
            Line("passive GET N=1 vs Redis GET pipelined (-P 16)", get1, redis.GetPipelined, ">= 0.3x", 0.3);
            Line("passive GET N=1 vs Redis GET unpipelined", get1, redis.Get, ">= 1x", 1.0);
            Line("GET N=3/R=2 vs Redis GET pipelined (-P 16)", get3, redis.GetPipelined, ">= 0.15x", 0.15);
        }
        Line("ASO GET N=1 vs passive GET N=1", aso1, get1, ">= 0.8x", 0.8);
        Line("ASO GET N=3/R=2 vs passive GET N=3/R=2", aso3, get3, ">= 0.8x", 0.8);
        if (halfLoad is not null)
        {
            string verdict = halfLoad.Latency.P99Ms <= 2 ? "MET" : "MISSED";
            Console.WriteLine($"{"p99 of GET N=1 at 50% of peak (" + halfLoad.Mode + "/s, 64 paced)",-49} {halfLoad.Latency.P99Ms,7:F2} ms              <= 2 ms   {verdict}");
        }
    }
}
