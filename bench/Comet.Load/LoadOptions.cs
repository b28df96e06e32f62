using System.Globalization;

namespace Comet.Load;

internal sealed class LoadOptions
{
    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(10);
    public TimeSpan Warmup { get; set; } = TimeSpan.FromSeconds(2);
    public int[] Concurrency { get; set; } = [64];
    public string[]? Gateways { get; set; }
    public bool Memory { get; set; }
    public int ConnectionsPerSilo { get; set; } = 1;
    public int Keys { get; set; } = 1000;
    public int ValueBytes { get; set; } = 100;
    public bool Redis { get; set; } = true;
    public int RedisRequests { get; set; } = 200_000;
    public int RedisPort { get; set; } = 6390;
    public string[]? Only { get; set; }
    public bool Diagnostics { get; set; }

    /// <summary>Fixed rates (ops/s) for the paced pass; null: half of the measured peak of each rate scenario.</summary>
    public double[]? Rates { get; set; }
    public bool NoRate { get; set; }
    public string[] RateScenarios { get; set; } = ["GET N=1/R=1", "GET N=3/R=2"];
    public int RateWorkers { get; set; } = 64;
    public bool OpenLoop { get; set; }
    public int[] WatchPids { get; set; } = [];
    public string? PreloadRest { get; set; }
    public string[]? Floor { get; set; }
    public string Namespace { get; set; } = "default";
    public string ClusterId { get; set; } = Comet.Grains.CometCluster.DefaultClusterId;

    public static LoadOptions Parse(string[] args)
    {
        var o = new LoadOptions();
        static double Seconds(string s) => double.Parse(s, CultureInfo.InvariantCulture);
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--quick":
                    o.Duration = TimeSpan.FromSeconds(2);
                    o.Warmup = TimeSpan.FromSeconds(0.5);
                    o.RedisRequests = 50_000;
                    break;
                case "--duration": o.Duration = TimeSpan.FromSeconds(Seconds(Next())); break;
                case "--warmup": o.Warmup = TimeSpan.FromSeconds(Seconds(Next())); break;
                case "--concurrency": o.Concurrency = Next().Split(',').Select(int.Parse).ToArray(); break;
                case "--gateway": o.Gateways = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
                case "--memory": o.Memory = true; break;
                case "--connections": o.ConnectionsPerSilo = int.Parse(Next()); break;
                case "--keys": o.Keys = int.Parse(Next()); break;
                case "--value-bytes": o.ValueBytes = int.Parse(Next()); break;
                case "--namespace": o.Namespace = Next(); break;
                case "--cluster-id": o.ClusterId = Next(); break;
                case "--no-redis": o.Redis = false; break;
                case "--redis-requests": o.RedisRequests = int.Parse(Next()); break;
                case "--redis-port": o.RedisPort = int.Parse(Next()); break;
                case "--diag": o.Diagnostics = true; break;
                case "--only": o.Only = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
                case "--rate":
                    var rate = Next();
                    if (rate is "none" or "off") o.NoRate = true;
                    else if (rate != "half") o.Rates = rate.Split(',').Select(r => double.Parse(r, CultureInfo.InvariantCulture)).ToArray();
                    break;
                case "--no-half-load": o.NoRate = true; break;
                case "--rate-scenario": o.RateScenarios = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
                case "--rate-workers": o.RateWorkers = int.Parse(Next()); break;
                case "--open-loop": o.OpenLoop = true; break;
                case "--watch-pid": o.WatchPids = Next().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray(); break;
                case "--preload-rest": o.PreloadRest = Next(); break;
                case "--floor": o.Floor = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
                case "-h" or "--help":
                    Console.WriteLine("""
                        dotnet run -c Release --project bench/Comet.Load -- [options]
                        Target (one of):
                          --gateway h:p[,h:p]   an existing cluster's SDK gateways (e.g. 127.0.0.1:30000,127.0.0.1:30001,127.0.0.1:30002)
                          (none)                3 CometSilos started in this process on a temporary SQLite file
                          --cluster-id ID       the existing cluster's Orleans cluster id (default "comet")
                          --memory              ... on the memory store instead of SQLite
                                                (their REST gateways listen on free ports, printed at start)
                        Load:
                          --concurrency 1,64    requests in flight (closed loop; default 64)
                          --duration S          seconds per measurement (default 10)
                          --warmup S            warm-up seconds before each scenario (default 2)
                          --quick               2 s per measurement, 0.5 s warm-up, 50k Redis requests
                          --keys K              distinct keys per scenario (default 1000)
                          --value-bytes B       passive value size (default 100)
                          --namespace NS        namespace (default "default")
                          --connections 1|2     client connections per gateway (default 1)
                          --only a,b            run only scenarios whose name contains one of these (e.g. "GET N=1,PUT")
                          --diag                add ASO scenarios whose onGet changes no state (splits the ASO cost)
                        Fixed rate (p99 at a given load, wrk2-style paced workers, latency from the send and from the schedule):
                          --rate half|R[,R]|none   default half: 50% of the peak measured for each --rate-scenario
                          --rate-scenario names    default "GET N=1/R=1,GET N=3/R=2"
                          --rate-workers W         paced workers (default 64)
                          --open-loop              also an open-loop pass (one dispatcher thread, 1 ms ticks)
                        Other:
                          --watch-pid P[,P]     also report CPU µs/op of these processes (the silo) from /proc
                          --preload-rest PREFIX store the wrk keys (PREFIX-v1-i N=1, PREFIX-v3-i N=3, PREFIX-a1-i / PREFIX-a3-i
                                                counter ASOs) and exit; see bench/rest/run-wrk.sh
                          --floor h:p[,h:p]     measure bare Orleans grains instead (the silos of `Comet.Load floor-silos [--with-dashboard]`,
                                                gateways 127.0.0.1:30100-30102): what Orleans alone costs on this machine
                          --no-redis            skip redis-benchmark
                          --redis-port P        redis-server port (default 6390; started and stopped here unless one listens)
                          --redis-requests N    redis-benchmark -n (default 200000)
                        """);
                    Environment.Exit(0);
                    break;
                default: throw new ArgumentException($"unknown option {args[i]} (try --help)");
            }
        }
        return o;
    }
}
