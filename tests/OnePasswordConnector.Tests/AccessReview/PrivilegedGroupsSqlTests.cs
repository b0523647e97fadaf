using OnePasswordConnector.AccessReview;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Tests.AccessReview;

public sealed class PrivilegedGroupsSqlTests
{
    [Fact]
    public void The_summary_query_takes_the_privileged_group_names_as_a_parameter_and_spells_none_itself()
    {
        Assert.Contains("= ANY (@privileged)", AccessReviewSql.PrivilegedMembers, StringComparison.Ordinal);
        foreach (var name in PrivilegedGroups.Names)
        {
            Assert.DoesNotContain(name, AccessReviewSql.PrivilegedMembers, StringComparison.OrdinalIgnoreCase);
        }
    }
}
