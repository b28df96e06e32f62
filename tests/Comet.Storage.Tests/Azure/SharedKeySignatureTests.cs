using Comet.Storage.Azure;

namespace Comet.Storage.Tests.Azure;

/// <summary>
/// The Shared Key signing, checked against Azure's documentation ("Authorize with Shared Key",
/// Table service format) rather than only against Azurite, which could share a mistake.
/// </summary>
public sealed class SharedKeySignatureTests
{
    private const string DevKey = AzureStorageConnectionString.DevelopmentAccountKey;

    [Fact]
    public void String_to_sign_is_verb_md5_type_date_and_resource_one_per_line()
    {
        // The documented Table service form: VERB \n Content-MD5 \n Content-Type \n Date \n CanonicalizedResource,
        // with no trailing newline and no canonicalized headers (unlike the Blob/Queue form).
        var text = SharedKeySignature.StringToSign("PUT", null, "application/json", "Sat, 21 Feb 2015 00:48:38 GMT", "/myaccount/mytable");

        Assert.Equal("PUT\n\napplication/json\nSat, 21 Feb 2015 00:48:38 GMT\n/myaccount/mytable", text);
    }

    [Fact]
    public void Empty_headers_leave_empty_lines_and_the_verb_is_upper_case()
    {
        var text = SharedKeySignature.StringToSign("get", "", "", "Sat, 21 Feb 2015 00:48:38 GMT", "/myaccount/Tables");

        Assert.Equal("GET\n\n\nSat, 21 Feb 2015 00:48:38 GMT\n/myaccount/Tables", text);
    }

    [Fact]
    public void Canonicalized_resource_is_slash_account_then_the_encoded_path()
    {
        var signer = new SharedKeySignature("myaccount", DevKey);

        Assert.Equal("/myaccount/mytable", signer.CanonicalizedResource("/mytable"));
        Assert.Equal("/myaccount/mytable(PartitionKey='p%2F1',RowKey='r')",
            signer.CanonicalizedResource("/mytable(PartitionKey='p%2F1',RowKey='r')"));
    }

    [Fact]
    public void Canonicalized_resource_keeps_only_the_comp_parameter_as_in_the_documented_example()
    {
        // The documentation's example for this format: ...?restype=container&comp=metadata
        // canonicalizes to "/myaccount/mycontainer?comp=metadata" (only comp is kept).
        var signer = new SharedKeySignature("myaccount", DevKey);

        Assert.Equal("/myaccount/mycontainer?comp=metadata", signer.CanonicalizedResource("/mycontainer", "metadata"));
    }

    [Fact]
    public void Path_style_emulator_urls_put_the_account_twice()
    {
        // http://127.0.0.1:10002/devstoreaccount1/Tables: the path already starts with the account.
        var signer = new SharedKeySignature(AzureStorageConnectionString.DevelopmentAccountName, DevKey);

        Assert.Equal("/devstoreaccount1/devstoreaccount1/Tables", signer.CanonicalizedResource("/devstoreaccount1/Tables"));
    }

    [Fact]
    public void Hmac_matches_the_RFC_4231_known_answer()
    {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?",
        // HMAC-SHA256 = 5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843.
        var signer = new SharedKeySignature("a", Convert.ToBase64String("Jefe"u8.ToArray()));

        var signature = signer.Sign("what do ya want for nothing?");

        Assert.Equal("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            Convert.ToHexStringLower(Convert.FromBase64String(signature)));
    }

    [Fact]
    public void Authorization_header_with_the_emulator_key_matches_an_independent_openssl_computation()
    {
        // Computed outside .NET:
        //   printf 'GET\n\n\nSat, 21 Feb 2015 00:48:38 GMT\n/devstoreaccount1/devstoreaccount1/Tables' |
        //   openssl dgst -sha256 -mac HMAC -macopt hexkey:<hex of the Base64-decoded key> -binary | base64
        var signer = new SharedKeySignature(AzureStorageConnectionString.DevelopmentAccountName, DevKey);
        var text = SharedKeySignature.StringToSign("GET", null, null, "Sat, 21 Feb 2015 00:48:38 GMT", "/devstoreaccount1/devstoreaccount1/Tables");

        Assert.Equal("SharedKey devstoreaccount1:2s65hZuG2lLuuQqVWGolDqbAx0Qmu0YpJDNXHK60puU=", signer.AuthorizationHeader(text));
    }

    [Fact]
    public void Dates_use_the_RFC_1123_form()
    {
        Assert.Equal("Sat, 21 Feb 2015 00:48:38 GMT", SharedKeySignature.FormatDate(new DateTimeOffset(2015, 2, 21, 1, 48, 38, TimeSpan.FromHours(1))));
    }
}
