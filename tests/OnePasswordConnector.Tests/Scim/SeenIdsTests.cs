using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Tests.Scim;

public sealed class SeenIdsTests
{
    [Fact]
    public void An_id_seen_again_reports_the_pass_that_saw_it_last()
    {
        var seen = new SeenIds();

        Assert.Equal(0, seen.See("2c6bd7f1-aa01", 1));
        Assert.Equal(1, seen.See("2c6bd7f1-aa01", 1));
        Assert.Equal(1, seen.See("2c6bd7f1-aa01", 2));
        Assert.Equal(2, seen.See("2c6bd7f1-aa01", 2));
        Assert.Equal(1, seen.Count);
    }

    [Fact]
    public void Ids_that_differ_only_in_case_width_or_an_unpaired_surrogate_are_different_ids()
    {
        var seen = new SeenIds();
        string[] ids = ["abc", "ABC", "ab\u00e7", "ab\ud800", "ab\udc00", "ab\ufffd", "ab", "", "日本語", "ab\ud800\udc00"];

        Assert.All(ids, id => Assert.Equal(0, seen.See(id, 1)));
        Assert.All(ids, id => Assert.Equal(1, seen.See(id, 1)));
        Assert.Equal(ids.Length, seen.Count);
        Assert.Equal(ids, seen.NotSeenBy(2));
    }

    [Fact]
    public void A_hundred_thousand_ids_and_a_long_one_are_each_told_apart_and_given_back_exactly()
    {
        var seen = new SeenIds();
        var ids = Enumerable.Range(0, 100_000).Select(i => $"user-{i:D6}-{Guid.Empty}").Append(new string('x', 70_000)).ToList();

        foreach (var id in ids)
        {
            Assert.Equal(0, seen.See(id, 1));
        }

        foreach (var id in ids.Where((_, i) => i % 2 == 0))
        {
            Assert.Equal(1, seen.See(id, 2));
        }

        Assert.Equal(ids.Count, seen.Count);
        Assert.Equal(ids.Where((_, i) => i % 2 == 1), seen.NotSeenBy(2));
    }
}
