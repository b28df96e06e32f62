namespace Comet.Sandbox;

/// <summary>
/// A handler call that succeeded (accepted, for onPut/onUpdate). Failures are thrown as
/// <see cref="AsoException"/> instead.
/// </summary>
/// <param name="StateChanged">The object's encoded data fields differ from before the call: the grid persists the replica-local state.</param>
/// <param name="DeleteRequested">The handler called <c>comet.deleteSelf()</c>.</param>
/// <param name="Instructions">Instruction-equivalents the call used (to the hook's granularity).</param>
/// <param name="Keep">onUpdate returned <c>"keep"</c>: the put is absorbed into this object instead of replacing it.</param>
public readonly record struct HandlerOutcome(bool StateChanged, bool DeleteRequested, long Instructions, bool Keep = false);

/// <summary>The answer to a get: the handler's result (or <c>aso.value</c> without onGet) plus the <see cref="HandlerOutcome"/> fields.</summary>
/// <param name="Result">What onGet returned (its first value), or <c>aso.value</c>; <see cref="AsoValue.Nil"/> for nothing.</param>
/// <param name="StateChanged">The object's encoded data fields differ from before the call (a get counter, say).</param>
/// <param name="DeleteRequested">The handler called <c>comet.deleteSelf()</c>.</param>
/// <param name="Instructions">Instruction-equivalents the call used (to the hook's granularity).</param>
public readonly record struct GetOutcome(AsoValue Result, bool StateChanged, bool DeleteRequested, long Instructions);
