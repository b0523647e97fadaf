using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OnePasswordConnector.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class AccessReviewIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_user_history_connection_id_valid_from_valid_to",
                table: "user_history",
                columns: new[] { "connection_id", "valid_from", "valid_to" });

            migrationBuilder.CreateIndex(
                name: "ix_sync_runs_succeeded_finished_at",
                table: "sync_runs",
                columns: new[] { "connection_id", "finished_at" },
                filter: "status = 'succeeded'");

            migrationBuilder.CreateIndex(
                name: "ix_membership_history_connection_id_valid_from_valid_to",
                table: "membership_history",
                columns: new[] { "connection_id", "valid_from", "valid_to" });

            migrationBuilder.CreateIndex(
                name: "ix_group_history_connection_id_valid_from_valid_to",
                table: "group_history",
                columns: new[] { "connection_id", "valid_from", "valid_to" });

            migrationBuilder.CreateIndex(
                name: "ix_directory_users_connection_id_user_name_scim_id",
                table: "directory_users",
                columns: new[] { "connection_id", "user_name", "scim_id" });

            migrationBuilder.CreateIndex(
                name: "ix_change_events_connection_id_subject_id_occurred_at_id",
                table: "change_events",
                columns: new[] { "connection_id", "subject_id", "occurred_at", "id" },
                descending: new[] { false, false, true, true });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_user_history_connection_id_valid_from_valid_to",
                table: "user_history");

            migrationBuilder.DropIndex(
                name: "ix_sync_runs_succeeded_finished_at",
                table: "sync_runs");

            migrationBuilder.DropIndex(
                name: "ix_membership_history_connection_id_valid_from_valid_to",
                table: "membership_history");

            migrationBuilder.DropIndex(
                name: "ix_group_history_connection_id_valid_from_valid_to",
                table: "group_history");

            migrationBuilder.DropIndex(
                name: "ix_directory_users_connection_id_user_name_scim_id",
                table: "directory_users");

            migrationBuilder.DropIndex(
                name: "ix_change_events_connection_id_subject_id_occurred_at_id",
                table: "change_events");
        }
    }
}
