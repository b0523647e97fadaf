using System.Xml.Linq;

namespace OnePasswordConnector.Tests.AccessReview;

public sealed class AccessReviewDocCommentsTests
{
    /// <summary>
    /// Two summaries on one member mean that one of them was left behind when the member it described moved or went
    /// away (the compiler rejects a comment on nothing, but not a second one on the next member).
    /// </summary>
    [Fact]
    public void Every_documented_access_review_member_has_exactly_one_summary()
    {
        var file = Path.Combine(AppContext.BaseDirectory, "OnePasswordConnector.xml");
        var members = XDocument.Load(file).Descendants("member")
            .Where(m => m.Attribute("name")!.Value.Contains(":OnePasswordConnector.AccessReview.", StringComparison.Ordinal))
            .ToList();

        Assert.NotEmpty(members);
        Assert.Empty(members.Where(m => m.Elements("summary").Count() > 1).Select(m => m.Attribute("name")!.Value));
    }
}
