using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OnePasswordConnector.Persistence.Migrations
{
    /// <summary>
    /// The access review follows groups nested in groups on every read. These partial indexes hold only the
    /// group-in-group links (few or none), so finding them costs next to nothing beside the user memberships. Plain SQL
    /// read only by the access review's own queries: the EF model and its snapshot do not need to know them.
    /// </summary>
    [DbContext(typeof(ConnectorDbContext))]
    [Migration("20261129190000_NestedGroupIndexes")]
    public partial class NestedGroupIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("CREATE INDEX ix_memberships_nested_groups ON memberships (connection_id, member_id, group_id) WHERE member_type = 'Group';");
            migrationBuilder.Sql("CREATE INDEX ix_membership_history_nested_groups ON membership_history (connection_id, member_id, group_id) WHERE member_type = 'Group';");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP INDEX ix_membership_history_nested_groups;");
            migrationBuilder.Sql("DROP INDEX ix_memberships_nested_groups;");
        }
    }
}
