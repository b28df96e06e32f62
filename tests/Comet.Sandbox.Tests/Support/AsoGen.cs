using FsCheck;
using FsCheck.Fluent;

namespace Comet.Sandbox.Tests.Support;

/// <summary>FsCheck generators of Lua data: scalars of every kind, and nested tables.</summary>
internal static class AsoGen
{
    private static readonly Gen<AsoValue> Text = Gen.OneOf(
        Gen.Elements("", "a", "key", "value", "héllo", "日本語", "with space", "x\u0000y", "Ω≈ç√", "1", "2.5", "true"),
        ArbMap.Default.ArbFor<string>().Generator.Where(s => s is not null))
        .Select(s => AsoValue.FromString(s));

    private static readonly Gen<AsoValue> Bytes =
        Gen.ArrayOf(ArbMap.Default.ArbFor<byte>().Generator).Select(b => AsoValue.FromUtf8(b));

    private static readonly Gen<AsoValue> Integer = Gen.OneOf(
        Gen.Choose(-3, 10).Select(i => (long)i),
        ArbMap.Default.ArbFor<long>().Generator,
        Gen.Elements(long.MinValue, long.MaxValue, 0L, -1L, 1L << 53))
        .Select(AsoValue.FromInt64);

    private static readonly Gen<AsoValue> Float = Gen.OneOf(
        ArbMap.Default.ArbFor<double>().Generator,
        Gen.Elements(0.5, -0.0, 1e300, double.Epsilon, double.NaN, double.PositiveInfinity, double.NegativeInfinity, 3.0))
        .Select(AsoValue.FromDouble);

    private static readonly Gen<AsoValue> Scalar = Gen.Frequency(
        (1, Gen.Elements(AsoValue.True, AsoValue.False)),
        (3, Integer),
        (2, Float),
        (3, Text),
        (1, Bytes));

    /// <summary>Table keys: booleans, integers (often small, to fill array parts), non-integral floats, strings.</summary>
    private static readonly Gen<AsoValue> Key = Gen.Frequency(
        (1, Gen.Elements(AsoValue.True, AsoValue.False)),
        (4, Gen.Choose(1, 6).Select(i => AsoValue.FromInt64(i))),
        (1, Integer),
        (1, ArbMap.Default.ArbFor<double>().Generator
            .Where(d => !double.IsNaN(d) && !AsoValue.IsIntegral(d, out _)).Select(AsoValue.FromDouble)),
        (4, Text));

    /// <summary>Any Lua data value (never nil).</summary>
    public static Gen<AsoValue> Value { get; } = Gen.Sized(size => Tree(Math.Min(size, 24)));

    /// <summary>A table.</summary>
    public static Gen<AsoValue> Table { get; } = Gen.Sized(size => TableOf(Math.Max(2, Math.Min(size, 24))));

    public static Arbitrary<AsoValue> ValueArb => Value.ToArbitrary();

    public static Arbitrary<AsoValue> TableArb => Table.ToArbitrary();

    private static Gen<AsoValue> Tree(int size) =>
        size <= 1 ? Scalar : Gen.Frequency((2, Scalar), (1, TableOf(size)));

    private static Gen<AsoValue> TableOf(int size) =>
        Gen.Choose(0, Math.Min(size, 8))
            .SelectMany(n => Gen.ArrayOf(Gen.Zip(Key, Tree(size / 2)), n))
            .Select(pairs =>
            {
                var seen = new List<AsoValue>();
                var entries = new List<KeyValuePair<AsoValue, AsoValue>>();
                foreach (var (k, v) in pairs)
                {
                    if (!seen.Contains(k))
                    {
                        seen.Add(k);
                        entries.Add(new(k, v));
                    }
                }
                return AsoValue.Table(entries);
            });
}
