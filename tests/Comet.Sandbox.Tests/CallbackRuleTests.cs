using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Comet.Sandbox.Tests;

/// <summary>
/// The root cause of the old native crash (SandboxState.cs, "CallbackRule"): a
/// [SuppressGCTransition] P/Invoke made directly in an [UnmanagedCallersOnly] callback got its
/// GC poll after the callback's exit to preemptive mode, and a pending collection then sent the
/// thread back into Lua in cooperative mode. Every callback must be a shim whose only call is
/// to a body the JIT never inlines.
/// </summary>
public class CallbackRuleTests
{
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    [Fact]
    public void Every_native_callback_of_the_sandbox_only_calls_a_body_that_is_never_inlined()
    {
        var callbacks = typeof(AsoObject).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Where(m => m.GetCustomAttribute<UnmanagedCallersOnlyAttribute>() is not null)
            .ToList();
        Assert.True(callbacks.Count >= 8, $"found only {callbacks.Count} callbacks");

        var broken = new List<string>();
        foreach (var callback in callbacks)
        {
            var callees = Callees(callback);
            string name = $"{callback.DeclaringType!.Name}.{callback.Name}";
            if (callees.Count != 1)
            {
                broken.Add($"{name} makes {callees.Count} calls ({string.Join(", ", callees.Select(c => c.Name))})");
                continue;
            }
            var body = callees[0];
            if ((body.MethodImplementationFlags & MethodImplAttributes.NoInlining) == 0 || body.GetCustomAttribute<SuppressGCTransitionAttribute>() is not null)
            {
                broken.Add($"{name} calls {body.Name}, which may be inlined");
            }
        }
        Assert.True(broken.Count == 0, string.Join("; ", broken));
    }

    /// <summary>The methods a method's IL calls (call, callvirt, newobj).</summary>
    private static List<MethodBase> Callees(MethodInfo method)
    {
        byte[] il = method.GetMethodBody()!.GetILAsByteArray()!;
        var callees = new List<MethodBase>();
        int i = 0;
        while (i < il.Length)
        {
            short value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            i += il[i] == 0xFE ? 2 : 1;
            var op = OpCodesByValue[value];
            int size = op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, i),
                _ => 4,
            };
            if (op == OpCodes.Call || op == OpCodes.Callvirt || op == OpCodes.Newobj || op == OpCodes.Calli)
            {
                if (op == OpCodes.Calli)
                {
                    throw new InvalidOperationException($"{method.Name} makes an indirect call");
                }
                callees.Add(method.Module.ResolveMethod(BitConverter.ToInt32(il, i))!);
            }
            i += size;
        }
        return callees;
    }
}
