using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OnePasswordConnector.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class DirectoryWithoutConnectionKeys : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_directory_groups_connections_connection_id",
                table: "directory_groups");

            migrationBuilder.DropForeignKey(
                name: "fk_directory_users_connections_connection_id",
                table: "directory_users");

            migrationBuilder.DropForeignKey(
                name: "fk_memberships_connections_connection_id",
                table: "memberships");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddForeignKey(
                name: "fk_directory_groups_connections_connection_id",
                table: "directory_groups",
                column: "connection_id",
                principalTable: "connections",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "fk_directory_users_connections_connection_id",
                table: "directory_users",
                column: "connection_id",
                principalTable: "connections",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "fk_memberships_connections_connection_id",
                table: "memberships",
                column: "connection_id",
                principalTable: "connections",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);
        }
    }
}
