namespace Comet.Load;

internal sealed class LoadOptions
{
    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(5);
    public TimeSpan Warmup { get; set; } = TimeSpan.FromSeconds(2);
    public int[] Concurrency { get; set; } = [1, 64];
    public string? Gateway { get; set; }
    public bool Sqlite { get; set; }
    public bool Http { get; set; }
    public int ConnectionsPerSilo { get; set; } = 1;
    public int Keys { get; set; } = 1000;
    public int ValueBytes { get; set; } = 100;
    public bool Redis { get; set; } = true;
    public int RedisRequests { get; set; } = 200_000;
    public string? Only { get; set; }
    public bool Quick { get; set; }
    public bool Diagnostics { get; set; }
    public bool NoHalfLoad { get; set; }

    public static LoadOptions Parse(string[] args)
    {
        var o = new LoadOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--quick":
                    o.Quick = true;
                    o.Duration = TimeSpan.FromSeconds(1.5);
                    o.Warmup = TimeSpan.FromSeconds(0.3);
                    o.RedisRequests = 50_000;
                    break;
                case "--duration": o.Duration = TimeSpan.FromSeconds(double.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture)); break;
                case "--warmup": o.Warmup = TimeSpan.FromSeconds(double.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture)); break;
                case "--concurrency": o.Concurrency = Next().Split(',').Select(int.Parse).ToArray(); break;
                case "--gateway": o.Gateway = Next(); break;
                case "--sqlite": o.Sqlite = true; break;
                case "--http": o.Http = true; break;
                case "--connections": o.ConnectionsPerSilo = int.Parse(Next()); break;
                case "--keys": o.Keys = int.Parse(Next()); break;
                case "--value-bytes": o.ValueBytes = int.Parse(Next()); break;
                case "--no-redis": o.Redis = false; break;
                case "--diag": o.Diagnostics = true; break;
                case "--no-half-load": o.NoHalfLoad = true; break;
                case "--redis-requests": o.RedisRequests = int.Parse(Next()); break;
                case "--only": o.Only = Next(); break;
                case "-h" or "--help":
                    Console.WriteLine("""
                        dotnet run -c Release --project bench/Comet.Load -- [options]
                          --quick               ~30 s run (1.5 s per measurement)
                          --duration S          seconds per measurement (default 5)
                          --warmup S            warm-up seconds before each scenario (default 2)
                          --concurrency 1,64    concurrent requests (default 1,64)
                          --gateway host:port   use an existing cluster instead of an in-process 3-silo one
                          --sqlite              in-process cluster on a temporary SQLite file (default: memory store)
                          --http                start the silos' REST gateways too (not needed by the SDK)
                          --connections 1|2     client connections per silo (default 1)
                          --keys K              distinct keys per scenario (default 1000)
                          --value-bytes B       passive value size (default 100)
                          --only substring      run only the scenarios whose name contains it
                          --no-redis            skip the Redis comparison
                          --diag                add ASO scenarios whose onGet changes no state (splits the ASO cost)
                          --no-half-load        skip the rate-limited pass at 50% of peak GET
                        """);
                    Environment.Exit(0);
                    break;
                default: throw new ArgumentException($"unknown option {args[i]} (try --help)");
            }
        }
        return o;
    }
}
