using System.Runtime.InteropServices;
using System.Text;
using Comet.Sandbox.Tests.Support;
using FsCheck;
using FsCheck.Fluent;
using static Comet.Sandbox.Native.LuaNative;

namespace Comet.Sandbox.Tests;

/// <summary>
/// The sandbox's string.find/match/gmatch/gsub (a step-counted port of Lua's matcher) must give
/// exactly what native Lua 5.4 gives: checked case by case against an unsandboxed reference
/// state of the same liblua54.
/// </summary>
public partial class PatternTests
{
    // Runs the cases and prints each outcome; error messages lose their "chunk:line:" prefix
    // (native pattern errors have none, the sandbox's point at the caller's line).
    private const string Program = """
        local function ser(...)
          local out = {}
          for i = 1, select("#", ...) do
            local v = select(i, ...)
            if type(v) == "string" then v = string.format("%q", v) else v = tostring(v) end
            out[#out + 1] = v
          end
          return table.concat(out, ",")
        end
        local function run(c)
          local f = c[1]
          if f == "find" then return pcall(string.find, c[2], c[3], c[4], c[5])
          elseif f == "match" then return pcall(string.match, c[2], c[3], c[4])
          elseif f == "gsub" then return pcall(string.gsub, c[2], c[3], c[4], c[5])
          else
            return pcall(function()
              local out, n = {}, 0
              for a, b in string.gmatch(c[2], c[3]) do
                n = n + 1; out[n] = ser(a, b)
                if n > 40 then break end
              end
              return table.concat(out, ";")
            end)
          end
        end
        local results = {}
        for i, c in ipairs(CASES) do
          local r = table.pack(run(c))
          if r[1] then
            results[i] = ser(table.unpack(r, 1, r.n))
          else
            local msg = r[2]
            local colon = msg:find(": ", 1, true)
            if colon and msg:sub(1, colon):find("^[%w_]+:%d+:$") then msg = msg:sub(colon + 2) end
            results[i] = "error " .. msg
          end
        end
        return table.concat(results, "\0")
        """;

    private static readonly string[] PatternTokens =
    [
        "a", "b", ".", "%a", "%d", "%s", "%w", "%p", "%l", "%u", "%x", "%c", "%g", "%A", "%S", "%%", "%.",
        "%b()", "%bab", "%f[%a]", "%f[%A]", "[ab]", "[^a]", "[a-c]", "[%a]", "[%]]", "[]", "[", "]", "(", ")", "()",
        "*", "+", "-", "?", "^", "$", "%1", "%2", "%0", "%", "%b", "%f", "x", " ", "1", "%z",
    ];

    private static readonly string[] SubjectChars = ["a", "b", "c", " ", "(", ")", "1", "x", "A", "%", ".", "\n", "ab", "aa"];

    private static readonly string[] Replacements = ["'x'", "'%0'", "'%1'", "'<%1>'", "'%%'", "'%2'", "''", "'%'", "'%a'", "{a = 'A', b = false}", "7"];

    [LibraryImport("lua54")]
    private static partial nint luaL_newstate();

    [LibraryImport("lua54")]
    private static partial void luaL_openlibs(nint L);

    [LibraryImport("lua54")]
    private static partial void lua_close(nint L);

    [Fact]
    public async Task Hand_picked_patterns_match_like_native_lua()
    {
        var cases = new List<string>
        {
            Case("find", "hello world", "o w"), Case("find", "hello world", "(o)%s(w)"), Case("find", "a.b", ".", null, "true"),
            Case("find", "a+b", "+", null, null), Case("find", "abc", "b()"), Case("find", "abc", "", "10"), Case("find", "abc", "", "4"),
            Case("find", "abc", "c", "-1"), Case("find", "abc", "a", "-10"), Case("match", "key=val", "(%w+)=(%w+)"),
            Case("match", "  trim  ", "^%s*(.-)%s*$"), Case("match", "f(a(b)c)d", "%b()"), Case("match", "THE (quick) fox", "%((%a+)%)"),
            Case("match", "hello", "(h)(e)(l)(l)(o)"), Case("match", "abab", "(ab)%1"), Case("match", "x", "(()x)"),
            Case("gmatch", "one two  three", "%a+"), Case("gmatch", "k1=v1, k2=v2", "(%w+)=(%w+)"), Case("gmatch", "abc", ""),
            Case("gmatch", "^a^a", "^a"), Case("gsub", "hello world", "o", "'0'"), Case("gsub", "hello world", "(%w+)", "'<%1>'"),
            Case("gsub", "abc", "", "'-'"), Case("gsub", "hello", "l", "{l = 'L'}"), Case("gsub", "x = 1, y = 2", "(%w+) = (%w+)", "'%2 = %1'"),
            Case("gsub", "abc", "^a", "'A'"), Case("gsub", "aaa", "a", "'b'", "2"), Case("gsub", "THE quick", "%f[%a]%a+", "'W'"),
            Case("gsub", "abc", "b", "'%'"), Case("gsub", "abc", "b", "'%2'"), Case("gsub", "abc", "(b)", "'%9'"),
            Case("find", "a", "%"), Case("find", "a", "[a"), Case("find", "a", "(a"), Case("find", "a", "a)"), Case("find", "a", "%b"),
            Case("find", "a", "%f"), Case("find", "a", "%1"), Case("match", new string('a', 40), new string('(', 33) + "a" + new string(')', 33)),
            Case("gsub", "abc", "%w", "7"), Case("find", "a\nb", "%c"), Case("match", "2024-01-05", "(%d+)-(%d+)-(%d+)"),
            Case("gsub", "hello world", "%w+", "{hello = 'HI'}"), Case("find", "", ""), Case("find", "", "a*"), Case("match", "aaa", "a-$"),
            Case("match", "[test]", "%[(.*)%]"), Case("find", "abc", "[%a-z]"), Case("find", "a-z", "[a%-z]+"), Case("match", "x]", "[]]"),
        };
        await Compare(cases);
    }

    [Fact]
    public async Task Random_patterns_match_like_native_lua()
    {
        var tokens = Gen.Choose(1, 5).SelectMany(n => Gen.ArrayOf(Gen.Elements(PatternTokens), n)).Select(string.Concat);
        var subjects = Gen.Choose(0, 10).SelectMany(n => Gen.ArrayOf(Gen.Elements(SubjectChars), n)).Select(string.Concat);
        var inits = Gen.Elements<string?>(null, null, "1", "2", "-1", "-3", "0", "5", "30");
        var caseGen = Gen.Elements("find", "find", "match", "gmatch", "gsub").SelectMany(fn =>
            Gen.Zip(Gen.Zip(subjects, tokens), Gen.Zip(inits, Gen.Elements(Replacements)))
                .Select(t => fn switch
                {
                    "find" => Case(fn, t.Item1.Item1, t.Item1.Item2, t.Item2.Item1, t.Item2.Item1 == "2" ? "true" : null),
                    "match" => Case(fn, t.Item1.Item1, t.Item1.Item2, t.Item2.Item1),
                    "gsub" => Case(fn, t.Item1.Item1, t.Item1.Item2, t.Item2.Item2, t.Item2.Item1 is "1" or "2" ? t.Item2.Item1 : null),
                    _ => Case(fn, t.Item1.Item1, t.Item1.Item2),
                }));

        var cases = Gen.Sample(caseGen, 3000, 30).ToList();
        await Compare(cases);
    }

    private static string Case(string fn, string subject, string pattern, string? third = null, string? fourth = null)
    {
        return $"{{\"{fn}\", {Quote(subject)}, {Quote(pattern)}, {third ?? "nil"}, {fourth ?? "nil"}}}";
    }

    private static string Quote(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in s)
        {
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                _ => c.ToString(),
            });
        }
        return sb.Append('"').ToString();
    }

    private static async Task Compare(List<string> cases)
    {
        string program = "local CASES = {\n" + string.Join(",\n", cases) + "\n}\n" + Program;
        string native = RunNative(program);
        var runtime = Asos.Runtime(o =>
        {
            o.InstructionLimit = 500_000_000;
            o.MemoryLimitBytes = 16 * 1024 * 1024;
            o.HandlerTimeout = TimeSpan.FromSeconds(60);
            o.MaxCodeBytes = 4 * 1024 * 1024;
        });
        using var obj = Asos.Load("function aso:onGet()\n" + program + "\nend", runtime: runtime);
        string sandboxed = (await obj.Get()).AsString();

        var expected = native.Split('\0');
        var actual = sandboxed.Split('\0');
        Assert.Equal(cases.Count, expected.Length);
        for (int i = 0; i < cases.Count; i++)
        {
            Assert.True(expected[i] == actual[i], $"case {cases[i]}: native {expected[i]} but sandbox {actual[i]}");
        }
    }

    private static unsafe string RunNative(string program)
    {
        nint L = luaL_newstate();
        try
        {
            luaL_openlibs(L);
            byte[] code = Encoding.UTF8.GetBytes(program);
            int status;
            fixed (byte* p = code)
            fixed (byte* name = "=native\0"u8)
            fixed (byte* mode = "t\0"u8)
            {
                status = luaL_loadbufferx(L, p, (nuint)code.Length, name, mode);
            }
            if (status == LUA_OK)
            {
                status = lua_pcall(L, 0, 1);
            }
            string text = Encoding.UTF8.GetString(StringBytes(L, -1));
            Assert.True(status == LUA_OK, text);
            return text;
        }
        finally
        {
            lua_close(L);
        }
    }
}
