namespace Comet.Sandbox.Patterns;

/// <summary>
/// Lua 5.4's pattern matcher (lstrlib.c <c>match</c> and friends), ported to C# with a step
/// budget. Lua's own matcher backtracks without bound inside one C call, where no hook can stop
/// it (SANDBOX.md E5: <c>("a"):rep(2000):find(".-.-b")</c> ran 7.9 s); this one counts every
/// step and gives up when the handler's instruction budget is spent. Semantics follow the C code
/// line by line, including how it reads the pattern's terminating NUL.
/// </summary>
internal ref struct LuaPatternMatcher
{
    public const int MaxCaptures = 32;
    public const int CapUnfinished = -1;
    public const int CapPosition = -2;
    private const int MaxCalls = 200;
    private const byte Esc = (byte)'%';

    private readonly ReadOnlySpan<byte> _src;
    private readonly ReadOnlySpan<byte> _pat;
    private readonly Span<int> _capInit;
    private readonly Span<int> _capLen;
    private readonly long _maxSteps;
    private readonly long _deadline;
    private long _nextClock;
    private int _matchDepth;

    /// <summary>Steps between two looks at the wall clock (a look costs ~20 ns; 4096 steps ~10 µs).</summary>
    internal const long ClockEvery = 4096;

    public LuaPatternMatcher(ReadOnlySpan<byte> src, ReadOnlySpan<byte> pattern, Span<int> capInit, Span<int> capLen, long maxSteps, long deadlineTimestamp = long.MaxValue)
    {
        _deadline = deadlineTimestamp;
        _nextClock = ClockEvery;
        _src = src;
        _pat = pattern;
        _capInit = capInit;
        _capLen = capLen;
        _maxSteps = maxSteps;
        Level = 0;
        Steps = 0;
        _matchDepth = MaxCalls;
    }

    /// <summary>Captures (finished or not) of the last successful match.</summary>
    public int Level { get; private set; }

    /// <summary>Steps spent so far.</summary>
    public long Steps { get; private set; }

    /// <summary>
    /// Tries a match at each position from <paramref name="init"/> (only there when
    /// <paramref name="anchor"/>), skipping matches that end at <paramref name="lastMatch"/>
    /// (gmatch and gsub never return the same empty match twice). Returns the match start, or -1.
    /// </summary>
    public int Scan(int init, bool anchor, int lastMatch, out int end)
    {
        int s1 = init;
        do
        {
            Level = 0;
            _matchDepth = MaxCalls;
            int e = Match(s1, 0);
            if (e != -1 && e != lastMatch)
            {
                end = e;
                return s1;
            }
            s1++;
        }
        while (s1 <= _src.Length && !anchor);
        end = -1;
        return -1;
    }

    /// <summary>Start and length (or <see cref="CapPosition"/>/<see cref="CapUnfinished"/>) of capture <paramref name="i"/>.</summary>
    public readonly (int Init, int Len) Capture(int i) => (_capInit[i], _capLen[i]);

    /// <summary>Plain substring search (no magic characters), with the same step accounting.</summary>
    public static int FindPlain(ReadOnlySpan<byte> src, ReadOnlySpan<byte> needle, int init, long maxSteps, out long steps, long deadlineTimestamp = long.MaxValue)
    {
        long nextClock = ClockEvery;
        steps = 0;
        if (needle.Length == 0)
        {
            return init;
        }
        int perCandidate = 1 + (needle.Length >> 4);
        int pos = init;
        while (pos <= src.Length - needle.Length)
        {
            int i = src[pos..].IndexOf(needle[0]);
            steps += 1 + ((i < 0 ? src.Length - pos : i) >> 6);
            if (i < 0 || pos + i > src.Length - needle.Length)
            {
                return -1;
            }
            pos += i;
            steps += perCandidate;
            if (steps > maxSteps)
            {
                throw new PatternException(PatternError.Budget);
            }
            if (steps >= nextClock)
            {
                nextClock = steps + ClockEvery;
                if (System.Diagnostics.Stopwatch.GetTimestamp() > deadlineTimestamp)
                {
                    throw new PatternException(PatternError.Budget);
                }
            }
            if (src.Slice(pos, needle.Length).SequenceEqual(needle))
            {
                return pos;
            }
            pos++;
        }
        return -1;
    }

    /// <summary>True when the pattern has none of Lua's magic characters (plain search suffices).</summary>
    public static bool NoSpecials(ReadOnlySpan<byte> pattern) => pattern.IndexOfAny("^$*+?.([%-"u8) < 0;

    private readonly byte P(int i) => i < _pat.Length ? _pat[i] : (byte)0;

    private readonly byte S(int i) => i < _src.Length ? _src[i] : (byte)0;

    // The step budget alone does not bound the time: with a large instruction limit a single
    // match may take seconds (E5), so the wall clock is read every ClockEvery steps too.
    private void Step()
    {
        if (++Steps > _maxSteps)
        {
            throw new PatternException(PatternError.Budget);
        }
        if (Steps >= _nextClock)
        {
            _nextClock = Steps + ClockEvery;
            if (System.Diagnostics.Stopwatch.GetTimestamp() > _deadline)
            {
                throw new PatternException(PatternError.Budget);
            }
        }
    }

    private readonly int ClassEnd(int p)
    {
        byte c = _pat[p++];
        if (c == Esc)
        {
            if (p >= _pat.Length)
            {
                throw new PatternException(PatternError.EndsWithPercent);
            }
            return p + 1;
        }
        if (c == '[')
        {
            if (P(p) == '^')
            {
                p++;
            }
            do
            {
                if (p >= _pat.Length)
                {
                    throw new PatternException(PatternError.MissingBracket);
                }
                byte cc = _pat[p++];
                if (cc == Esc && p < _pat.Length)
                {
                    p++;
                }
            }
            while (P(p) != ']');
            return p + 1;
        }
        return p;
    }

    private static bool IsAlpha(int c) => (uint)((c | 0x20) - 'a') <= 'z' - 'a';
    private static bool IsDigit(int c) => (uint)(c - '0') <= 9;
    private static bool IsLower(int c) => (uint)(c - 'a') <= 'z' - 'a';
    private static bool IsUpper(int c) => (uint)(c - 'A') <= 'Z' - 'A';
    private static bool IsGraph(int c) => c >= 33 && c <= 126;

    /// <summary>C-locale ctype classes, as Lua's <c>match_class</c>.</summary>
    private static bool MatchClass(int c, int cl)
    {
        bool res;
        switch (cl | 0x20)
        {
            case 'a': res = IsAlpha(c); break;
            case 'c': res = c < 32 || c == 127; break;
            case 'd': res = IsDigit(c); break;
            case 'g': res = IsGraph(c); break;
            case 'l': res = IsLower(c); break;
            case 'p': res = IsGraph(c) && !IsAlpha(c) && !IsDigit(c); break;
            case 's': res = c == ' ' || (c >= 9 && c <= 13); break;
            case 'u': res = IsUpper(c); break;
            case 'w': res = IsAlpha(c) || IsDigit(c); break;
            case 'x': res = IsDigit(c) || (uint)((c | 0x20) - 'a') <= 'f' - 'a'; break;
            default: return cl == c;
        }
        return IsUpper(cl) ? !res : res;
    }

    private readonly bool MatchBracketClass(int c, int p, int ec)
    {
        bool sig = true;
        if (P(p + 1) == '^')
        {
            sig = false;
            p++;
        }
        while (++p < ec)
        {
            if (_pat[p] == Esc)
            {
                p++;
                if (MatchClass(c, P(p)))
                {
                    return sig;
                }
            }
            else if (P(p + 1) == '-' && p + 2 < ec)
            {
                p += 2;
                if (_pat[p - 2] <= c && c <= _pat[p])
                {
                    return sig;
                }
            }
            else if (_pat[p] == c)
            {
                return sig;
            }
        }
        return !sig;
    }

    private bool SingleMatch(int s, int p, int ep)
    {
        Step();
        if (s >= _src.Length)
        {
            return false;
        }
        int c = _src[s];
        return _pat[p] switch
        {
            (byte)'.' => true,
            Esc => MatchClass(c, P(p + 1)),
            (byte)'[' => MatchBracketClass(c, p, ep - 1),
            _ => _pat[p] == c,
        };
    }

    private int MatchBalance(int s, int p)
    {
        if (p >= _pat.Length - 1)
        {
            throw new PatternException(PatternError.MissingBalanceArguments);
        }
        if (S(s) != _pat[p])
        {
            return -1;
        }
        int b = _pat[p];
        int e = _pat[p + 1];
        int cont = 1;
        while (++s < _src.Length)
        {
            Step();
            if (_src[s] == e)
            {
                if (--cont == 0)
                {
                    return s + 1;
                }
            }
            else if (_src[s] == b)
            {
                cont++;
            }
        }
        return -1;
    }

    private int MaxExpand(int s, int p, int ep)
    {
        int i = 0;
        while (SingleMatch(s + i, p, ep))
        {
            i++;
        }
        while (i >= 0)
        {
            int res = Match(s + i, ep + 1);
            if (res != -1)
            {
                return res;
            }
            i--;
        }
        return -1;
    }

    private int MinExpand(int s, int p, int ep)
    {
        for (; ; )
        {
            int res = Match(s, ep + 1);
            if (res != -1)
            {
                return res;
            }
            if (SingleMatch(s, p, ep))
            {
                s++;
            }
            else
            {
                return -1;
            }
        }
    }

    private int StartCapture(int s, int p, int what)
    {
        int level = Level;
        if (level >= MaxCaptures)
        {
            throw new PatternException(PatternError.TooManyCaptures);
        }
        _capInit[level] = s;
        _capLen[level] = what;
        Level = level + 1;
        int res = Match(s, p);
        if (res == -1)
        {
            Level--;
        }
        return res;
    }

    private int EndCapture(int s, int p)
    {
        int l = CaptureToClose();
        _capLen[l] = s - _capInit[l];
        int res = Match(s, p);
        if (res == -1)
        {
            _capLen[l] = CapUnfinished;
        }
        return res;
    }

    private readonly int CaptureToClose()
    {
        for (int level = Level - 1; level >= 0; level--)
        {
            if (_capLen[level] == CapUnfinished)
            {
                return level;
            }
        }
        throw new PatternException(PatternError.InvalidPatternCapture);
    }

    private int MatchCapture(int s, int digit)
    {
        int l = digit - '1';
        if (l < 0 || l >= Level || _capLen[l] == CapUnfinished)
        {
            throw new PatternException(PatternError.InvalidCaptureIndex, l + 1);
        }
        int len = _capLen[l];
        // A position capture has no text: C compares (size_t)-2 and never matches.
        if (len < 0 || _src.Length - s < len)
        {
            return -1;
        }
        Steps += len >> 4;
        if (_src.Slice(_capInit[l], len).SequenceEqual(_src.Slice(s, len)))
        {
            return s + len;
        }
        return -1;
    }

    private int Match(int s, int p)
    {
        if (_matchDepth-- == 0)
        {
            throw new PatternException(PatternError.TooComplex);
        }
        Step();
        while (p != _pat.Length)
        {
            bool fallToDefault = false;
            switch (_pat[p])
            {
                case (byte)'(':
                    s = P(p + 1) == ')' ? StartCapture(s, p + 2, CapPosition) : StartCapture(s, p + 1, CapUnfinished);
                    goto done;
                case (byte)')':
                    s = EndCapture(s, p + 1);
                    goto done;
                case (byte)'$':
                    if (p + 1 != _pat.Length)
                    {
                        fallToDefault = true;
                        break;
                    }
                    s = s == _src.Length ? s : -1;
                    goto done;
                case Esc:
                    switch (P(p + 1))
                    {
                        case (byte)'b':
                            s = MatchBalance(s, p + 2);
                            if (s != -1)
                            {
                                p += 4;
                                continue;
                            }
                            goto done;
                        case (byte)'f':
                        {
                            p += 2;
                            if (P(p) != '[')
                            {
                                throw new PatternException(PatternError.MissingBracketAfterFrontier);
                            }
                            int ep = ClassEnd(p);
                            int previous = s == 0 ? 0 : _src[s - 1];
                            if (!MatchBracketClass(previous, p, ep - 1) && MatchBracketClass(S(s), p, ep - 1))
                            {
                                p = ep;
                                continue;
                            }
                            s = -1;
                            goto done;
                        }
                        case >= (byte)'0' and <= (byte)'9':
                            s = MatchCapture(s, P(p + 1));
                            if (s != -1)
                            {
                                p += 2;
                                continue;
                            }
                            goto done;
                        default:
                            fallToDefault = true;
                            break;
                    }
                    break;
                default:
                    fallToDefault = true;
                    break;
            }
            if (!fallToDefault)
            {
                goto done;
            }

            // Default: a single-character class plus an optional suffix.
            int end = ClassEnd(p);
            byte suffix = P(end);
            if (!SingleMatch(s, p, end))
            {
                if (suffix == '*' || suffix == '?' || suffix == '-')
                {
                    p = end + 1;
                    continue;
                }
                s = -1;
                goto done;
            }
            switch (suffix)
            {
                case (byte)'?':
                {
                    int res = Match(s + 1, end + 1);
                    if (res != -1)
                    {
                        s = res;
                        goto done;
                    }
                    p = end + 1;
                    continue;
                }
                case (byte)'+':
                    s = MaxExpand(s + 1, p, end);
                    goto done;
                case (byte)'*':
                    s = MaxExpand(s, p, end);
                    goto done;
                case (byte)'-':
                    s = MinExpand(s, p, end);
                    goto done;
                default:
                    s++;
                    p = end;
                    continue;
            }
        }
    done:
        _matchDepth++;
        return s;
    }
}

/// <summary>Why a pattern operation stopped (values are shared with the setup chunk's message table).</summary>
internal enum PatternError
{
    Budget = 1,
    EndsWithPercent = 2,
    MissingBracket = 3,
    MissingBalanceArguments = 4,
    MissingBracketAfterFrontier = 5,
    InvalidCaptureIndex = 6,
    InvalidPatternCapture = 7,
    TooManyCaptures = 8,
    TooComplex = 9,
}

/// <summary>Unwinds the recursive matcher (the C code longjmps); never leaves the callback.</summary>
#pragma warning disable CA1032, CA1064 // Internal control flow, not a public error type.
internal sealed class PatternException(PatternError error, int argument = 0) : Exception
#pragma warning restore CA1032, CA1064
{
    public PatternError Error { get; } = error;

    public int Argument { get; } = argument;
}
