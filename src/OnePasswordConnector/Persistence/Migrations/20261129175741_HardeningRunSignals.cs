using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OnePasswordConnector.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class HardeningRunSignals : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "cancel_reason",
                table: "sync_runs",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "cancel_requested_at",
                table: "sync_runs",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "warning_count",
                table: "sync_runs",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "warnings",
                table: "sync_runs",
                type: "jsonb",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "deleted_at",
                table: "connections",
                type: "timestamp with time zone",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "cancel_reason",
                table: "sync_runs");

            migrationBuilder.DropColumn(
                name: "cancel_requested_at",
                table: "sync_runs");

            migrationBuilder.DropColumn(
                name: "warning_count",
                table: "sync_runs");

            migrationBuilder.DropColumn(
                name: "warnings",
                table: "sync_runs");

            migrationBuilder.DropColumn(
                name: "deleted_at",
                table: "connections");
        }
    }
}
