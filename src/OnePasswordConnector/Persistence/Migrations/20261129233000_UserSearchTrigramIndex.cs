using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OnePasswordConnector.Persistence.Migrations
{
    /// <summary>
    /// The users list's q is a case-insensitive "contains" search (ILIKE '%text%') over userName, displayName, primary
    /// email and formatted name: no B-tree can serve it. A GIN index of trigrams (pg_trgm, a trusted contrib extension
    /// that ships with PostgreSQL, so the database owner may create it) finds the matching users from the index; its
    /// four columns each answer one arm of the OR. Plain SQL read only by the access review's own query: the EF model and
    /// its snapshot do not need to know it.
    /// </summary>
    [DbContext(typeof(ConnectorDbContext))]
    [Migration("20261129233000_UserSearchTrigramIndex")]
    public partial class UserSearchTrigramIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("CREATE EXTENSION IF NOT EXISTS pg_trgm;");
            migrationBuilder.Sql("""
                CREATE INDEX ix_directory_users_search ON directory_users
                USING gin (user_name gin_trgm_ops, display_name gin_trgm_ops, primary_email gin_trgm_ops, formatted_name gin_trgm_ops);
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP INDEX ix_directory_users_search;");
        }
    }
}
