using System.Threading.Channels;
using OnePasswordConnector.Scim;

namespace OnePasswordConnector.Sync;

internal sealed partial class SyncStaging
{
    /// <summary>Users read ahead of the staging: about sixteen pages of 100, a few megabytes.</summary>
    private const int UsersReadAhead = 1_600;

    /// <summary>Lists and parses every user into <paramref name="users"/>, and ends the channel however the listing ends.</summary>
    private async Task ReadUsersAsync(ChannelWriter<ListedUser> users, EnumerationRecord record, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var item in pager.EnumerateAsync(bridge, "Users", progress, record, cancellationToken))
            {
                var user = ScimUser.Parse(item.Resource);
                await users.WriteAsync(new ListedUser(user, ScimJson.Property(item.Resource, "groups") is not null, item.Repairs), cancellationToken);
            }
        }
        finally
        {
            users.TryComplete();
        }
    }
}

/// <summary>A user as listed: parsed, whether the bridge sent its group list, and the text replaced in it.</summary>
internal sealed record ListedUser(ScimUser User, bool CarriesGroups, IReadOnlyList<LocatedRepair>? Repairs);
