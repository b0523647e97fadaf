using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OnePasswordConnector.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class SignIns : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "events_sources",
                columns: table => new
                {
                    connection_id = table.Column<Guid>(type: "uuid", nullable: false),
                    events_url = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: false),
                    protected_token = table.Column<string>(type: "text", nullable: true),
                    token_hint = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: true),
                    account_uuid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    features = table.Column<string[]>(type: "text[]", nullable: false),
                    cursor = table.Column<string>(type: "text", nullable: true),
                    known_since = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    first_collected_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    last_collected_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    last_error = table.Column<string>(type: "text", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_events_sources", x => x.connection_id);
                    table.ForeignKey(
                        name: "fk_events_sources_connections_connection_id",
                        column: x => x.connection_id,
                        principalTable: "connections",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "sign_in_attempts",
                columns: table => new
                {
                    connection_id = table.Column<Guid>(type: "uuid", nullable: false),
                    uuid = table.Column<string>(type: "text", nullable: false),
                    session_uuid = table.Column<string>(type: "text", nullable: true),
                    occurred_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    category = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    type = table.Column<string>(type: "text", nullable: true),
                    country = table.Column<string>(type: "text", nullable: true),
                    target_user_uuid = table.Column<string>(type: "text", nullable: true),
                    target_user_email = table.Column<string>(type: "text", nullable: true),
                    target_user_name = table.Column<string>(type: "text", nullable: true),
                    user_scim_id = table.Column<string>(type: "text", nullable: true),
                    client = table.Column<string>(type: "jsonb", nullable: true),
                    collected_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_sign_in_attempts", x => new { x.connection_id, x.uuid });
                    table.ForeignKey(
                        name: "fk_sign_in_attempts_connections_connection_id",
                        column: x => x.connection_id,
                        principalTable: "connections",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_sign_in_attempts_connection_id_occurred_at",
                table: "sign_in_attempts",
                columns: new[] { "connection_id", "occurred_at" });

            migrationBuilder.CreateIndex(
                name: "ix_sign_in_attempts_connection_id_user_scim_id_category_occurr",
                table: "sign_in_attempts",
                columns: new[] { "connection_id", "user_scim_id", "category", "occurred_at" });

            migrationBuilder.CreateIndex(
                name: "ix_sign_in_attempts_connection_id_user_scim_id_occurred_at",
                table: "sign_in_attempts",
                columns: new[] { "connection_id", "user_scim_id", "occurred_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "events_sources");

            migrationBuilder.DropTable(
                name: "sign_in_attempts");
        }
    }
}
