# The database: one Neon project per environment. The worker reaches it with Neon's
# SQL-over-HTTP endpoint on the project's read-write endpoint (NEON_SQL_URL) and a
# connection string for the app's own role and database (DATABASE_URL). Both go from
# here into the worker's bindings: the password is never shown to anyone.

resource "neon_project" "tora" {
  name      = "tora-${var.environment}"
  region_id = var.neon_region_id
  org_id    = var.neon_org_id
  # pgvector 0.8 (iterative index scans, which recall relies on) ships with Postgres 17.
  pg_version = 17
  # A day of history to branch from or restore to.
  history_retention_seconds = 86400

  # The default branch and its read-write endpoint. Neon also makes a default database
  # and role on it; the app uses its own, below.
  branch {
    name = "main"
  }

  default_endpoint_settings {
    autoscaling_limit_min_cu = 0.25
    autoscaling_limit_max_cu = var.neon_max_cu
    suspend_timeout_seconds  = 300
  }
}

# The app's role: owns its database and is the only role in DATABASE_URL. Migrations
# (`tora-dev migrate` in the deploy workflow) run as it too.
resource "neon_role" "app" {
  project_id = neon_project.tora.id
  branch_id  = neon_project.tora.default_branch_id
  name       = "tora_app"
}

resource "neon_database" "app" {
  project_id = neon_project.tora.id
  branch_id  = neon_project.tora.default_branch_id
  name       = "tora"
  owner_name = neon_role.app.name
}

locals {
  # The endpoint's host serves both Postgres (5432) and the HTTP SQL API (/sql).
  neon_host    = neon_project.tora.database_host
  neon_sql_url = "https://${local.neon_host}/sql"
  database_url = "postgresql://${neon_role.app.name}:${urlencode(neon_role.app.password)}@${local.neon_host}/${neon_database.app.name}?sslmode=require"
}
