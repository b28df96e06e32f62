using Comet.Abstractions.Errors;
using Comet.Storage.Azure;

namespace Comet.Storage.Tests.Azure;

public sealed class AzureStorageConnectionStringTests
{
    [Fact]
    public void UseDevelopmentStorage_means_Azurite_on_port_10002_with_the_well_known_account()
    {
        var parsed = AzureStorageConnectionString.Parse("UseDevelopmentStorage=true");

        Assert.Equal(new Uri("http://127.0.0.1:10002/devstoreaccount1"), parsed.TableEndpoint);
        Assert.Equal("devstoreaccount1", parsed.AccountName);
        Assert.Equal(AzureStorageConnectionString.DevelopmentAccountKey, parsed.AccountKey);
    }

    [Fact]
    public void Account_name_and_suffix_make_the_table_endpoint()
    {
        var parsed = AzureStorageConnectionString.Parse("DefaultEndpointsProtocol=https;AccountName=comet;AccountKey=a2V5;EndpointSuffix=core.chinacloudapi.cn");

        Assert.Equal(new Uri("https://comet.table.core.chinacloudapi.cn"), parsed.TableEndpoint);
        Assert.Equal("comet", parsed.AccountName);
        Assert.Equal("a2V5", parsed.AccountKey);
    }

    [Fact]
    public void An_explicit_path_style_TableEndpoint_names_its_account_in_the_path()
    {
        var parsed = AzureStorageConnectionString.Parse("TableEndpoint=http://127.0.0.1:41000/devstoreaccount1;AccountKey=" + AzureStorageConnectionString.DevelopmentAccountKey);

        Assert.Equal("devstoreaccount1", parsed.AccountName);
        Assert.Equal(41000, parsed.TableEndpoint.Port);
    }

    [Fact]
    public void Keys_ending_in_padding_are_kept_whole()
    {
        var parsed = AzureStorageConnectionString.Parse("AccountName=a;AccountKey=YWJjZA==");

        Assert.Equal("YWJjZA==", parsed.AccountKey);
    }

    [Theory]
    [InlineData("")]
    [InlineData("AccountKey=YWJj")]
    [InlineData("nonsense")]
    [InlineData("AccountName=a;AccountKey=not base64!")]
    [InlineData("TableEndpoint=relative/path;AccountName=a")]
    public void Bad_connection_strings_are_a_bad_request_that_never_echoes_the_key(string text)
    {
        var error = Assert.Throws<CometException>(() => AzureStorageConnectionString.Parse(text));

        Assert.Equal(CometErrorCode.BadRequest, error.Code);
        Assert.DoesNotContain("not base64!", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_does_not_show_the_key()
    {
        var parsed = AzureStorageConnectionString.Parse("UseDevelopmentStorage=true");

        Assert.DoesNotContain(AzureStorageConnectionString.DevelopmentAccountKey, parsed.ToString(), StringComparison.Ordinal);
    }
}
