using System.Web;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Comet.Storage.Azure;

/// <summary>
/// Signs every attempt (it runs per retry, so each retry carries a fresh <c>x-ms-date</c>) with
/// the account key: the pipeline policy for Azurite and key-based accounts.
/// </summary>
internal sealed class SharedKeyPolicy(SharedKeySignature signature, TimeProvider time) : HttpPipelineSynchronousPolicy
{
    public override void OnSendingRequest(HttpMessage message)
    {
        var request = message.Request;
        var date = SharedKeySignature.FormatDate(time.GetUtcNow());
        request.Headers.SetValue("x-ms-date", date);
        request.Headers.TryGetValue("Content-MD5", out var md5);
        request.Headers.TryGetValue("Content-Type", out var contentType);
        var uri = request.Uri.ToUri();
        var comp = uri.Query.Length > 1 ? HttpUtility.ParseQueryString(uri.Query)["comp"] : null;
        var toSign = SharedKeySignature.StringToSign(request.Method.Method, md5, contentType, date,
            signature.CanonicalizedResource(uri.AbsolutePath, comp));
        request.Headers.SetValue("Authorization", signature.AuthorizationHeader(toSign));
    }
}
